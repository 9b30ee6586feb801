//! Where snapshots and tables live: a local folder or an object store
//! (`s3://`, `gs://`, `az://`), behind one small synchronous interface.
//!
//! Stores are built from the standard environment (`AWS_*`, `GOOGLE_*`,
//! `AZURE_*`, instance and web-identity roles) plus the shared AWS
//! credentials file for `AWS_PROFILE`, and an explicit S3 endpoint for
//! S3-compatible stores. Transient failures are retried with backoff by
//! object_store; permanent ones (no bucket, access denied) surface at once,
//! with the URI and the store's reason, never with credentials.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{BackoffConfig, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig};

use crate::{Error, Result};

/// Options for building object stores.
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    /// Endpoint of an S3-compatible store (MinIO, R2, a test server);
    /// `AWS_ENDPOINT_URL` is used when this is unset.
    pub s3_endpoint: Option<String>,
}

/// One object (or file) below a [`Location`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the location, `/`-separated.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time (RFC 3339).
    pub modified: Option<String>,
    /// Entity tag, where the store has one.
    pub etag: Option<String>,
}

/// A folder on the local file system or a prefix in an object store.
#[derive(Clone)]
pub enum Location {
    /// A local folder.
    Local(PathBuf),
    /// A prefix in an object store.
    Remote(Arc<Remote>),
}

/// An object store prefix and the runtime that drives it.
pub struct Remote {
    store: Arc<dyn ObjectStore>,
    /// `scheme://bucket/prefix`, no trailing slash.
    uri: String,
    prefix: ObjectPath,
    runtime: tokio::runtime::Runtime,
}

/// Whether `uri` names an object store rather than a local path.
pub fn is_remote(uri: &str) -> bool {
    ["s3://", "s3a://", "gs://", "az://", "abfs://", "abfss://"]
        .iter()
        .any(|s| uri.starts_with(s))
}

impl Location {
    /// A location from a local path or an object-store URI.
    pub fn parse(uri: &str, opts: &StoreOptions) -> Result<Location> {
        if !is_remote(uri) {
            return Ok(Location::Local(PathBuf::from(uri)));
        }
        let uri = uri.trim_end_matches('/').to_string();
        let bad = |reason: String| Error::Storage {
            uri: uri.clone(),
            reason,
        };
        let (scheme, rest) = uri.split_once("://").ok_or_else(|| bad("not a URI".into()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(bad("the URI names no bucket or container".into()));
        }
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(5),
                base: 2.0,
            },
            max_retries: 6,
            retry_timeout: Duration::from_secs(120),
        };
        let store: Arc<dyn ObjectStore> = match scheme {
            "s3" | "s3a" => {
                let mut builder = aws_profile(AmazonS3Builder::from_env())
                    .with_bucket_name(bucket)
                    .with_retry(retry);
                let endpoint = opts
                    .s3_endpoint
                    .clone()
                    .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
                if let Some(endpoint) = endpoint {
                    builder = builder
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_endpoint(endpoint);
                }
                if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none() {
                    builder = builder.with_region(profile_region().unwrap_or_else(|| "us-east-1".into()));
                }
                Arc::new(builder.build().map_err(|e| bad(redact(&e.to_string())))?)
            }
            "gs" => Arc::new(
                GoogleCloudStorageBuilder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(retry)
                    .build()
                    .map_err(|e| bad(redact(&e.to_string())))?,
            ),
            _ => Arc::new(
                MicrosoftAzureBuilder::from_env()
                    .with_url(format!("{scheme}://{bucket}"))
                    .with_retry(retry)
                    .build()
                    .map_err(|e| bad(redact(&e.to_string())))?,
            ),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| bad(e.to_string()))?;
        let prefix = ObjectPath::from(prefix);
        Ok(Location::Remote(Arc::new(Remote {
            store,
            uri: uri.clone(),
            prefix,
            runtime,
        })))
    }

    /// A sub-folder.
    pub fn join(&self, sub: &str) -> Location {
        match self {
            Location::Local(root) => Location::Local(root.join(sub)),
            Location::Remote(r) => Location::Remote(Arc::new(Remote {
                store: r.store.clone(),
                uri: format!("{}/{sub}", r.uri),
                prefix: ObjectPath::from(format!("{}/{sub}", r.prefix).trim_start_matches('/')),
                runtime: tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime"),
            })),
        }
    }

    /// How a key below this location is shown to people.
    pub fn display(&self, key: &str) -> String {
        match self {
            Location::Local(root) => root.join(key).display().to_string(),
            Location::Remote(r) if key.is_empty() => r.uri.clone(),
            Location::Remote(r) => format!("{}/{key}", r.uri),
        }
    }

    /// The local path of a key, for a local location.
    pub fn local_path(&self, key: &str) -> Option<PathBuf> {
        match self {
            Location::Local(root) => Some(root.join(key)),
            Location::Remote(_) => None,
        }
    }

    /// Every object below the location, sorted by key, skipping any path with a
    /// component that starts with `.` or `_` (temporary files, `_SUCCESS`,
    /// `_manifest.json`).
    pub fn list(&self) -> Result<Vec<Entry>> {
        let mut out = match self {
            Location::Local(root) => {
                let mut out = Vec::new();
                if root.is_dir() {
                    walk(root, root, &mut out)?;
                }
                out
            }
            Location::Remote(r) => {
                use futures::TryStreamExt;
                let prefix = (!r.prefix.as_ref().is_empty()).then_some(&r.prefix);
                let metas: Vec<_> = r
                    .runtime
                    .block_on(r.store.list(prefix).try_collect())
                    .map_err(|e| r.error(&e))?;
                metas
                    .into_iter()
                    .map(|m| Entry {
                        key: m.location.as_ref()[r.prefix.as_ref().len()..]
                            .trim_start_matches('/')
                            .to_string(),
                        size: m.size,
                        modified: Some(m.last_modified.to_rfc3339()),
                        etag: m.e_tag,
                    })
                    .filter(|e| !e.key.split('/').any(|c| c.starts_with('.') || c.starts_with('_')))
                    .collect()
            }
        };
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// The bytes of one object.
    pub fn get(&self, key: &str) -> Result<Vec<u8>> {
        match self {
            Location::Local(root) => {
                let path = root.join(key);
                fs_err::read(&path).map_err(|e| Error::io("reading", &path, e))
            }
            Location::Remote(r) => {
                let path = r.path(key);
                let bytes = r
                    .runtime
                    .block_on(async { r.store.get(&path).await?.bytes().await })
                    .map_err(|e| r.error(&e))?;
                Ok(bytes.to_vec())
            }
        }
    }

    /// Whether an object exists.
    pub fn exists(&self, key: &str) -> Result<bool> {
        match self {
            Location::Local(root) => Ok(root.join(key).exists()),
            Location::Remote(r) => match r.runtime.block_on(r.store.head(&r.path(key))) {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(r.error(&e)),
            },
        }
    }

    /// Writes an object whole: a reader sees the old bytes or the new ones,
    /// never a part. Locally an unchanged file is left alone, so re-running
    /// on the same input changes no byte and no modification time.
    pub fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        match self {
            Location::Local(root) => {
                let path = root.join(key);
                if fs_err::read(&path).is_ok_and(|old| old == bytes) {
                    return Ok(());
                }
                let tmp = write_temp(root, &path, &bytes)?;
                fs_err::rename(&tmp, &path).map_err(|e| Error::io("renaming into place", &path, e))
            }
            Location::Remote(r) => {
                let path = r.path(key);
                r.runtime
                    .block_on(r.store.put(&path, PutPayload::from(bytes)))
                    .map(|_| ())
                    .map_err(|e| r.error(&e))
            }
        }
    }

    /// Writes the local file `path` as the object `key`, whole, as [`Self::put`]
    /// does (an unchanged file is left alone). The file is moved when it can
    /// be (same file system), else copied; either way it is gone after.
    pub fn put_file(&self, key: &str, path: &Path) -> Result<()> {
        if let Location::Local(root) = self {
            let target = root.join(key);
            let same = match (fs_err::metadata(path), fs_err::metadata(&target)) {
                (Ok(a), Ok(b)) if a.len() == b.len() => fs_err::read(path).ok() == fs_err::read(&target).ok(),
                _ => false,
            };
            if same {
                return fs_err::remove_file(path).map_err(|e| Error::io("removing", path, e));
            }
            let dir = target.parent().unwrap_or(root);
            fs_err::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
            if fs_err::rename(path, &target).is_ok() {
                return Ok(());
            }
        }
        let bytes = fs_err::read(path).map_err(|e| Error::io("reading", path, e))?;
        self.put(key, bytes)?;
        fs_err::remove_file(path).map_err(|e| Error::io("removing", path, e))
    }

    /// Copies the object `from` to `to` (both below this location), replacing
    /// `to` whole. Locally a hard link made under a temporary name and renamed
    /// into place: no bytes move, and since nrr replaces files by renaming
    /// (never rewrites one in place), the copy keeps the old bytes when the
    /// original is replaced. On object stores a server-side copy.
    pub fn copy(&self, from: &str, to: &str) -> Result<()> {
        match self {
            Location::Local(root) => {
                let (src, dst) = (root.join(from), root.join(to));
                let dir = dst.parent().unwrap_or(root);
                fs_err::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
                let name = dst
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if same_file(&src, &dst) {
                    // Already a link to the same bytes (an unchanged file kept before).
                    return Ok(());
                }
                let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
                let _ = fs_err::remove_file(&tmp);
                if fs_err::hard_link(&src, &tmp).is_err() {
                    // A file system without hard links: copy the bytes.
                    let bytes = fs_err::read(&src).map_err(|e| Error::io("reading", &src, e))?;
                    let written = write_temp(root, &dst, &bytes)?;
                    return fs_err::rename(&written, &dst).map_err(|e| Error::io("renaming into place", &dst, e));
                }
                fs_err::rename(&tmp, &dst).map_err(|e| Error::io("renaming into place", &dst, e))
            }
            Location::Remote(r) => r
                .runtime
                .block_on(r.store.copy(&r.path(from), &r.path(to)))
                .map_err(|e| r.error(&e)),
        }
    }

    /// Creates an object only if none exists under `key`: `Ok(false)` when one
    /// does. Locally a hard link, which fails if the name exists; on object
    /// stores a create-only conditional put.
    pub fn create_new(&self, key: &str, bytes: &[u8]) -> Result<bool> {
        match self {
            Location::Local(root) => {
                // Written whole under a temporary name, then hard-linked into
                // place: the link fails if the name exists, and a reader
                // never sees the object without its bytes.
                let path = root.join(key);
                let tmp = write_temp(root, &path, bytes)?;
                let linked = fs_err::hard_link(&tmp, &path);
                let _ = fs_err::remove_file(&tmp);
                match linked {
                    Ok(()) => Ok(true),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                    Err(e) => Err(Error::io("creating", &path, e)),
                }
            }
            Location::Remote(r) => {
                let opts = PutOptions {
                    mode: PutMode::Create,
                    ..Default::default()
                };
                match r
                    .runtime
                    .block_on(r.store.put_opts(&r.path(key), PutPayload::from(bytes.to_vec()), opts))
                {
                    Ok(_) => Ok(true),
                    Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                        Ok(false)
                    }
                    Err(e) => Err(r.error(&e)),
                }
            }
        }
    }

    /// Whether `other` lies inside this location (or is it): the same folder
    /// tree, or the same bucket and a prefix below this one.
    pub fn contains(&self, other: &Location) -> bool {
        match (self, other) {
            (Location::Local(a), Location::Local(b)) => {
                let (a, b) = (absolute(a), absolute(b));
                b.starts_with(&a)
            }
            (Location::Remote(a), Location::Remote(b)) => b.uri == a.uri || b.uri.starts_with(&format!("{}/", a.uri)),
            _ => false,
        }
    }

    /// Deletes an object (a missing one is fine).
    pub fn delete(&self, key: &str) -> Result<()> {
        match self {
            Location::Local(root) => {
                let path = root.join(key);
                match fs_err::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("removing", &path, e)),
                    _ => Ok(()),
                }
            }
            Location::Remote(r) => match r.runtime.block_on(r.store.delete(&r.path(key))) {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(r.error(&e)),
            },
        }
    }

    /// Removes what a killed run left behind, and only that: its temporary
    /// files (`.name.tmp-PID` of a process that is gone) at the root and in
    /// the `tables` folders, and empty `month=` folders of those tables
    /// (local only: object stores never hold partial objects). Anything else
    /// under the output is not nrr's and stays.
    pub fn remove_leftovers(&self, tables: &[&str]) -> Result<()> {
        fn stale_temp(name: &str) -> bool {
            name.starts_with('.') && name.contains(".tmp-") && !writer_alive(name)
        }
        fn sweep(dir: &Path) -> Result<bool> {
            let mut empty = true;
            for entry in fs_err::read_dir(dir).map_err(|e| Error::io("listing", dir, e))? {
                let entry = entry.map_err(|e| Error::io("listing", dir, e))?;
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_dir() {
                    if sweep(&path)? && name.starts_with("month=") {
                        fs_err::remove_dir(&path).map_err(|e| Error::io("removing", &path, e))?;
                    } else {
                        empty = false;
                    }
                } else if stale_temp(&name) {
                    fs_err::remove_file(&path).map_err(|e| Error::io("removing", &path, e))?;
                } else {
                    empty = false;
                }
            }
            Ok(empty)
        }
        let Location::Local(root) = self else { return Ok(()) };
        if !root.is_dir() {
            return Ok(());
        }
        for entry in fs_err::read_dir(root).map_err(|e| Error::io("listing", root, e))? {
            let entry = entry.map_err(|e| Error::io("listing", root, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_file() && stale_temp(&name) {
                fs_err::remove_file(entry.path()).map_err(|e| Error::io("removing", entry.path(), e))?;
            }
        }
        for table in tables {
            let dir = root.join(table);
            if dir.is_dir() {
                sweep(&dir)?;
            }
        }
        Ok(())
    }
}

/// Writes `bytes` to a synced temporary file beside `path` (`.name.tmp-PID`,
/// which readers and listings skip) and returns its path.
fn write_temp(root: &Path, path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(root);
    fs_err::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut file = fs_err::File::create(&tmp).map_err(|e| Error::io("writing", &tmp, e))?;
    file.write_all(bytes).map_err(|e| Error::io("writing", &tmp, e))?;
    file.sync_all().map_err(|e| Error::io("syncing", &tmp, e))?;
    Ok(tmp)
}

/// Whether two paths name the same file (one inode, e.g. two hard links).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs_err::metadata(a), fs_err::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// A path made absolute, with its existing part resolved (links, `..`), so
/// two spellings of one folder compare equal.
fn absolute(path: &Path) -> PathBuf {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = fs_err::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    out.extend(rest.iter().rev());
    out
}

/// Whether the process that names a temporary file (`.name.tmp-PID`) still
/// runs, so a concurrent writer's file is left alone.
pub(crate) fn writer_alive(name: &str) -> bool {
    let pid = name.rsplit(".tmp-").next().and_then(|p| p.parse::<u32>().ok());
    pid.is_some_and(|pid| pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists())
}

impl Remote {
    fn path(&self, key: &str) -> ObjectPath {
        if self.prefix.as_ref().is_empty() {
            ObjectPath::from(key)
        } else {
            ObjectPath::from(format!("{}/{key}", self.prefix))
        }
    }

    fn error(&self, e: &object_store::Error) -> Error {
        Error::Storage {
            uri: self.uri.clone(),
            reason: redact(&e.to_string()),
        }
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Entry>) -> Result<()> {
    for entry in fs_err::read_dir(dir).map_err(|e| Error::io("listing", dir, e))? {
        let entry = entry.map_err(|e| Error::io("listing", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else {
            let meta = entry
                .metadata()
                .map_err(|e| Error::io("reading metadata of", &path, e))?;
            let modified = meta
                .modified()
                .ok()
                .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339());
            let key = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push(Entry {
                key,
                size: meta.len(),
                modified,
                etag: None,
            });
        }
    }
    Ok(())
}

/// Removes secrets from a message, in case a store ever echoes one.
fn redact(message: &str) -> String {
    let mut out = message.to_string();
    for var in [
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AZURE_STORAGE_ACCOUNT_KEY",
        "AZURE_STORAGE_SAS_TOKEN",
    ] {
        if let Ok(secret) = std::env::var(var) {
            if secret.len() >= 8 {
                out = out.replace(&secret, "***");
            }
        }
    }
    out
}

/// The `[profile]` section of an AWS shared file as key-value pairs.
fn ini_section(path: &Path, section: &str) -> Option<Vec<(String, String)>> {
    let text = fs_err::read_to_string(path).ok()?;
    let mut current = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_string();
        } else if current == section {
            if let Some((k, v)) = line.split_once('=') {
                out.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

fn aws_home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws"))
}

fn profile_name() -> String {
    std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into())
}

/// Keys from the shared credentials file for `AWS_PROFILE`, when no keys are
/// in the environment (object_store reads the environment and roles, not the file).
fn aws_profile(builder: AmazonS3Builder) -> AmazonS3Builder {
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() || std::env::var_os("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() {
        return builder;
    }
    let file = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| aws_home().map(|h| h.join("credentials")));
    let Some(pairs) = file.and_then(|f| ini_section(&f, &profile_name())) else {
        return builder;
    };
    pairs.into_iter().fold(builder, |b, (k, v)| match k.as_str() {
        "aws_access_key_id" => b.with_access_key_id(v),
        "aws_secret_access_key" => b.with_secret_access_key(v),
        "aws_session_token" => b.with_token(v),
        _ => b,
    })
}

/// The region of `AWS_PROFILE` in the shared config file.
fn profile_region() -> Option<String> {
    let file = std::env::var_os("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| aws_home().map(|h| h.join("config")))?;
    let name = profile_name();
    let section = if name == "default" {
        name
    } else {
        format!("profile {name}")
    };
    ini_section(&file, &section)?
        .into_iter()
        .find(|(k, _)| k == "region")
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_put_is_atomic_and_skips_unchanged_files() {
        let dir = tempfile::tempdir().unwrap();
        let loc = Location::Local(dir.path().to_path_buf());
        loc.put("t/month=2024-01-01/part-00000.parquet", b"one".to_vec())
            .unwrap();
        let path = dir.path().join("t/month=2024-01-01/part-00000.parquet");
        let before = fs_err::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        loc.put("t/month=2024-01-01/part-00000.parquet", b"one".to_vec())
            .unwrap();
        assert_eq!(fs_err::metadata(&path).unwrap().modified().unwrap(), before);
        fs_err::write(
            dir.path().join("t/month=2024-01-01/.part-00000.parquet.tmp-4194999"),
            b"half",
        )
        .unwrap();
        let keys: Vec<_> = loc.list().unwrap().into_iter().map(|e| e.key).collect();
        assert_eq!(keys, ["t/month=2024-01-01/part-00000.parquet"]);
        loc.remove_leftovers(&["t"]).unwrap();
        assert_eq!(fs_err::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    /// Only nrr's leftovers go: an empty `.git`, a folder of someone else's
    /// and their temp-looking file stay; an empty `month=` folder goes.
    #[test]
    fn leftovers_are_only_what_nrr_owns() {
        let dir = tempfile::tempdir().unwrap();
        let loc = Location::Local(dir.path().to_path_buf());
        for folder in [".git", "notes", "t/month=2023-01-01", "t/archive"] {
            fs_err::create_dir_all(dir.path().join(folder)).unwrap();
        }
        fs_err::write(dir.path().join("notes/.draft.tmp-4194999"), b"x").unwrap();
        loc.remove_leftovers(&["t"]).unwrap();
        assert!(dir.path().join(".git").is_dir());
        assert!(dir.path().join("notes/.draft.tmp-4194999").is_file());
        assert!(dir.path().join("t/archive").is_dir());
        assert!(!dir.path().join("t/month=2023-01-01").exists());
    }

    #[test]
    fn create_new_is_exclusive_and_containment_is_by_folder() {
        let dir = tempfile::tempdir().unwrap();
        let loc = Location::Local(dir.path().to_path_buf());
        assert!(loc.create_new("_locks/a", b"1").unwrap());
        assert!(!loc.create_new("_locks/a", b"2").unwrap());
        assert_eq!(loc.get("_locks/a").unwrap(), b"1");
        let inner = Location::Local(dir.path().join("exports/out"));
        let sibling = Location::Local(dir.path().join("exports-2"));
        let exports = Location::Local(dir.path().join("exports"));
        assert!(exports.contains(&inner) && !inner.contains(&exports));
        assert!(!exports.contains(&sibling));
        let opts = StoreOptions::default();
        let (a, b) = (
            Location::parse("s3://b/exports", &opts).unwrap(),
            Location::parse("s3://b/exports/nrr", &opts).unwrap(),
        );
        assert!(a.contains(&b) && !b.contains(&a));
        assert!(!a.contains(&Location::parse("s3://b/exports2", &opts).unwrap()));
    }

    #[test]
    fn reads_a_profile_from_the_shared_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("credentials");
        fs_err::write(
            &file,
            "[default]\naws_access_key_id = A\n[prod]\naws_access_key_id = B\n aws_secret_access_key = S \n",
        )
        .unwrap();
        let prod = ini_section(&file, "prod").unwrap();
        assert_eq!(
            prod,
            vec![
                ("aws_access_key_id".into(), "B".into()),
                ("aws_secret_access_key".into(), "S".into())
            ]
        );
        assert!(ini_section(&file, "missing").is_none());
    }

    #[test]
    fn builds_s3_stores_from_uris() {
        let loc = Location::parse(
            "s3://bucket/some/prefix/",
            &StoreOptions {
                s3_endpoint: Some("http://127.0.0.1:9".into()),
            },
        )
        .unwrap();
        assert_eq!(loc.display("t/x.parquet"), "s3://bucket/some/prefix/t/x.parquet");
        assert!(matches!(
            Location::parse("s3:///x", &StoreOptions::default()),
            Err(Error::Storage { .. })
        ));
        assert!(matches!(
            Location::parse("out/dir", &StoreOptions::default()).unwrap(),
            Location::Local(_)
        ));
    }
}
