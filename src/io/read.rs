//! Reading snapshot Parquet (a file, a directory tree or a glob, with Hive
//! `key=value` folders) into the canonical schema, and FX rate files.
//!
//! Each file's schema is read from its footer first, so a missing or
//! mistyped column is reported with the file's name before any data is read.

use std::path::Path;

use polars::prelude::*;

use super::store::{self, Entry, Location, StoreOptions};
use crate::config::ColumnNames;
use crate::currency::FxRates;
use crate::snapshots::{self as s, segment_column, Snapshots};
use crate::{Error, Result};

/// A snapshot file as found, for the run manifest's input fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceFile {
    /// Path or URI.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time (RFC 3339).
    pub modified: Option<String>,
    /// Entity tag (object stores).
    pub etag: Option<String>,
}

/// Splits an input into the folder to list and an optional glob (or single
/// file name) to match below it.
fn split_input(input: &str) -> (String, Option<Vec<String>>) {
    let parts: Vec<&str> = input.split('/').collect();
    if let Some(first_glob) = parts.iter().position(|p| p.contains(['*', '?', '['])) {
        let base = parts[..first_glob].join("/");
        return (base, Some(parts[first_glob..].iter().map(|p| p.to_string()).collect()));
    }
    let single = if store::is_remote(input) {
        input.ends_with(".parquet")
    } else {
        Path::new(input).is_file()
    };
    if single && parts.len() > 1 {
        let (dir, name) = input.rsplit_once('/').expect("has a slash");
        return (dir.to_string(), Some(vec![name.to_string()]));
    }
    if single {
        return (".".into(), Some(vec![input.to_string()]));
    }
    (input.to_string(), None)
}

/// The location an input names and its snapshot files, sorted by key.
pub fn list_files(input: &str, opts: &StoreOptions) -> Result<(Location, Vec<Entry>)> {
    let (base, pattern) = split_input(input);
    let root = Location::parse(&base, opts)?;
    if let Location::Local(dir) = &root {
        if !dir.is_dir() {
            return Err(Error::NoInputFiles {
                path: input.to_string(),
            });
        }
    }
    let mut files = root.list()?;
    files.retain(|f| match &pattern {
        Some(pattern) => glob_match(pattern, &f.key.split('/').map(String::from).collect::<Vec<_>>()),
        None => f.key.ends_with(".parquet"),
    });
    if files.is_empty() {
        return Err(Error::NoInputFiles {
            path: input.to_string(),
        });
    }
    Ok((root, files))
}

/// Matches path components against glob components: `*` and `?` within a
/// component, `**` for any number of components.
fn glob_match(pattern: &[String], path: &[String]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((p, rest)) if p == "**" => (0..=path.len()).any(|i| glob_match(rest, &path[i..])),
        Some((p, rest)) => match path.split_first() {
            Some((c, path_rest)) => wildcard(p.as_bytes(), c.as_bytes()) && glob_match(rest, path_rest),
            None => false,
        },
    }
}

fn wildcard(p: &[u8], t: &[u8]) -> bool {
    match (p.first(), t.first()) {
        (None, None) => true,
        (Some(b'*'), _) => wildcard(&p[1..], t) || (!t.is_empty() && wildcard(p, &t[1..])),
        (Some(b'?'), Some(_)) => wildcard(&p[1..], &t[1..]),
        (Some(a), Some(b)) if a == b => wildcard(&p[1..], &t[1..]),
        _ => false,
    }
}

/// `key=value` folder names in a key.
fn hive_pairs(key: &str) -> Vec<(String, String)> {
    let folders = key.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
    folders
        .split('/')
        .filter_map(|c| c.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

/// One snapshot file opened: its schema and a lazy scan of it.
struct Opened {
    schema: Schema,
    scan: LazyFrame,
    /// Rows, from the footer.
    rows: usize,
}

/// Reads a file's schema (from the footer for local files; remote files are
/// fetched whole, as the engine reads all of them) and prepares its scan.
fn open(root: &Location, entry: &Entry) -> Result<Opened> {
    let shown = root.display(&entry.key);
    let unreadable = |reason: String| Error::UnreadableFile {
        path: shown.clone(),
        reason,
    };
    let args = || ScanArgsParquet {
        hive_options: HiveOptions::new_disabled(),
        ..Default::default()
    };
    let (arrow, scan, rows) = match root.local_path(&entry.key) {
        Some(path) => {
            let file = std::fs::File::open(&path).map_err(|e| unreadable(e.to_string()))?;
            let mut reader = ParquetReader::new(file);
            let arrow = reader.schema().map_err(|e| unreadable(e.to_string()))?;
            let rows = reader.num_rows().map_err(|e| unreadable(e.to_string()))?;
            let scan = LazyFrame::scan_parquet(PlRefPath::new(path.display().to_string().as_str()), args())?;
            (arrow, scan, rows)
        }
        None => {
            let bytes = root.get(&entry.key)?;
            let mut reader = ParquetReader::new(std::io::Cursor::new(bytes.as_slice()));
            let arrow = reader.schema().map_err(|e| unreadable(e.to_string()))?;
            let rows = reader.num_rows().map_err(|e| unreadable(e.to_string()))?;
            let sources = ScanSources::Buffers(std::sync::Arc::from(vec![bytes.into()]));
            (arrow, LazyFrame::scan_parquet_sources(sources, args())?, rows)
        }
    };
    let schema = arrow
        .iter_values()
        .map(|f| (f.name.clone(), DataType::from_arrow_field(f)))
        .collect();
    Ok(Opened { schema, scan, rows })
}

/// What a canonical column accepts.
#[derive(Clone, Copy)]
enum Want {
    Date,
    Key,
    Money,
    Text,
}

impl Want {
    fn accepts(self, dtype: &DataType) -> bool {
        match self {
            Want::Date => matches!(dtype, DataType::Date | DataType::Datetime(..)),
            Want::Key => dtype.is_string() || dtype.is_integer() || dtype.is_categorical(),
            Want::Money => dtype.is_primitive_numeric() || dtype.is_decimal(),
            Want::Text => {
                dtype.is_string() || dtype.is_integer() || dtype.is_categorical() || dtype.is_bool() || dtype.is_enum()
            }
        }
    }

    fn expected(self) -> (&'static str, &'static str) {
        match self {
            Want::Date => (
                "DATE or TIMESTAMP",
                "Export it as a DATE (e.g. CAST(col AS DATE)); text dates are not parsed",
            ),
            Want::Key => ("STRING or INTEGER", "Export the key as text or an integer"),
            Want::Money => (
                "a number (FLOAT, DECIMAL or INTEGER) in major units",
                "Export MRR as a number, e.g. 49.99",
            ),
            Want::Text => ("STRING", "Export it as text"),
        }
    }
}

/// What to read: the input and how its columns are named and typed.
pub struct ReadOptions<'a> {
    /// Source column names.
    pub names: &'a ColumnNames,
    /// Segment columns.
    pub segment_by: &'a [String],
    /// The reporting currency (for files without a currency column).
    pub reporting: &'a str,
    /// Read only snapshots up to this day (range runs); files whose Hive
    /// `snapshot_date` folder is later are not opened at all.
    pub until: Option<chrono::NaiveDate>,
    /// Object-store settings.
    pub store: &'a StoreOptions,
}

/// Reads snapshot files into the canonical schema (lazily; the schemas are
/// checked now, the data is read when the engine collects). Also returns the
/// files read, for the manifest.
pub fn read_snapshots(input: &str, opts: &ReadOptions) -> Result<(Snapshots, Vec<SourceFile>)> {
    let names = opts.names;
    let (root, mut files) = list_files(input, opts.store)?;
    let folder_date = |f: &Entry| {
        hive_pairs(&f.key)
            .iter()
            .find(|(k, _)| *k == names.snapshot_date)
            .and_then(|(_, v)| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
    };
    if let Some(until) = opts.until {
        // A date in the folder name is the file's snapshot_date: skip later days unread.
        let earliest = files.iter().filter_map(folder_date).min();
        files.retain(|f| folder_date(f).is_none_or(|d| d <= until));
        if files.is_empty() {
            return Err(Error::InvalidArgument {
                what: "--as-of/--to".into(),
                value: crate::Month::from_date(until).to_string(),
                expected: format!(
                    "the timeline must end on or after the first snapshot ({})",
                    earliest.map(|d| d.to_string()).unwrap_or_default()
                ),
            });
        }
    }
    // When every file sits in a snapshot_date=YYYY-MM-DD folder, the close
    // days are known from the listing: only their files are opened. If one
    // of those files turns out empty, the listing misled: open them all.
    let all_files = files.clone();
    let dates: Option<Vec<chrono::NaiveDate>> = files.iter().map(folder_date).collect();
    let pruned = dates.is_some();
    if let Some(dates) = dates {
        let mut close: std::collections::BTreeMap<crate::Month, chrono::NaiveDate> = std::collections::BTreeMap::new();
        for d in &dates {
            let e = close.entry(crate::Month::from_date(*d)).or_insert(*d);
            *e = (*e).max(*d);
        }
        let mut keep = dates.iter().map(|d| close[&crate::Month::from_date(*d)] == *d);
        files.retain(|_| keep.next().unwrap_or(true));
    }
    let mut opened = files.iter().map(|f| open(&root, f)).collect::<Result<Vec<_>>>()?;
    if pruned && opened.iter().any(|o| o.rows == 0) {
        tracing::info!("a close-day file is empty: reading every day");
        files = all_files.clone();
        opened = files.iter().map(|f| open(&root, f)).collect::<Result<Vec<_>>>()?;
    }
    tracing::info!(
        opened = files.len(),
        skipped = all_files.len() - files.len(),
        "files of days that close no month skipped"
    );
    let schemas: Vec<&Schema> = opened.iter().map(|o| &o.schema).collect();

    // One MRR type for all files: exact decimals when every file has them, else Float64.
    let mut money = Some(0_usize);
    for schema in &schemas {
        match schema.get(&names.mrr) {
            Some(DataType::Decimal(_, scale)) => money = money.map(|m| m.max(*scale)),
            Some(dtype) if dtype.is_integer() => {}
            _ => money = None,
        }
    }
    let money_type = match money {
        Some(scale) if scale <= 18 => DataType::Decimal(38, scale),
        _ => DataType::Float64,
    };

    let mut columns: Vec<(&str, &str, Want, bool)> = vec![
        (s::SNAPSHOT_DATE, &names.snapshot_date, Want::Date, true),
        (s::CUSTOMER_ID, &names.customer_id, Want::Key, true),
        (s::SUBSCRIPTION_ID, &names.subscription_id, Want::Key, true),
        (s::MRR, &names.mrr, Want::Money, true),
        (s::CURRENCY, &names.currency, Want::Text, false),
        (s::STATUS, &names.status, Want::Text, false),
    ];
    let segment_names: Vec<String> = opts.segment_by.iter().map(|s| segment_column(s)).collect();
    for (segment, internal) in opts.segment_by.iter().zip(&segment_names) {
        columns.push((internal, segment, Want::Text, false));
    }

    // A segment column no file has is a typo, not a column of nulls.
    for segment in opts.segment_by {
        let present = files
            .iter()
            .zip(&schemas)
            .any(|(f, schema)| schema.contains(segment) || hive_pairs(&f.key).iter().any(|(k, _)| k == segment));
        if !present {
            return Err(Error::MissingSegmentColumn {
                path: root.display(&files[0].key),
                column: segment.clone(),
                found: schemas[0]
                    .iter_names()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }

    let mut frames = Vec::with_capacity(files.len());
    for (index, (file, opened)) in files.iter().zip(&opened).enumerate() {
        let path = root.display(&file.key);
        let schema = &opened.schema;
        let hive = hive_pairs(&file.key);
        let mut exprs = Vec::with_capacity(columns.len() + 1);
        for &(canonical, source, want, required) in &columns {
            let target = match want {
                Want::Date => DataType::Date,
                Want::Money => money_type.clone(),
                Want::Key | Want::Text => DataType::String,
            };
            let expr = if let Some(dtype) = schema.get(source) {
                if !want.accepts(dtype) {
                    let (expected, fix) = want.expected();
                    return Err(Error::WrongType {
                        path,
                        column: source.to_string(),
                        found: dtype.to_string(),
                        expected,
                        fix,
                    });
                }
                if matches!(dtype, DataType::Float32) {
                    // Widening an f32 adds digits (2.675 -> 2.674999952...):
                    // go through its shortest text so the written value survives.
                    col(source).cast(DataType::String).cast(target)
                } else {
                    col(source).cast(target)
                }
            } else if let Some((key, value)) = hive.iter().find(|(k, _)| k == source) {
                match want {
                    Want::Date => {
                        let date = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
                            Error::BadPartitionValue {
                                path: path.clone(),
                                key: key.clone(),
                                value: value.clone(),
                            }
                        })?;
                        lit(crate::month::date_to_epoch_days(date)).cast(DataType::Date)
                    }
                    Want::Money => {
                        return Err(Error::WrongType {
                            path,
                            column: source.to_string(),
                            found: "a partition folder".into(),
                            expected: "a column inside the file",
                            fix: "MRR must be a column of the Parquet file",
                        })
                    }
                    Want::Key | Want::Text => lit(value.as_str()),
                }
            } else if required {
                return Err(Error::MissingColumn {
                    path,
                    column: source.to_string(),
                    canonical: canonical.to_string(),
                    found: schema.iter_names().map(|n| n.as_str()).collect::<Vec<_>>().join(", "),
                });
            } else if canonical == s::CURRENCY {
                // A file without a currency column is in the reporting currency.
                lit(opts.reporting)
            } else {
                lit(NULL).cast(DataType::String)
            };
            exprs.push(expr.alias(canonical));
        }
        exprs.push(lit(index as u32).cast(DataType::UInt32).alias(s::FILE));
        frames.push(opened.scan.clone().select(exprs));
    }
    let frame = concat(
        frames,
        UnionArgs {
            parallel: true,
            rechunk: false,
            ..Default::default()
        },
    )?;
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    for f in &files {
        tracing::debug!(file = %root.display(&f.key), size = f.size, "input file");
    }
    tracing::info!(files = files.len(), bytes, input, "snapshot files listed");
    let sources = files
        .iter()
        .map(|f| SourceFile {
            path: root.display(&f.key),
            size: f.size,
            modified: f.modified.clone(),
            etag: f.etag.clone(),
        })
        .collect::<Vec<_>>();
    let snapshots = Snapshots {
        frame,
        files: sources.iter().map(|f| f.path.clone()).collect(),
        input: input.to_string(),
        scans: opened.into_iter().map(|o| o.scan).collect(),
    };
    Ok((snapshots, sources))
}

/// Decodes each snapshot file on its own to find one that cannot be read;
/// used after a failed collect to name the culprit.
pub fn find_unreadable(snapshots: &Snapshots) -> Option<Error> {
    snapshots.scans.iter().zip(&snapshots.files).find_map(|(scan, path)| {
        scan.clone().collect().err().map(|e| Error::UnreadableFile {
            path: path.clone(),
            reason: e.to_string(),
        })
    })
}

/// Reads an FX rates Parquet file (columns month, currency, rate), local or remote.
pub fn read_fx_rates(uri: &str, opts: &StoreOptions) -> Result<FxRates> {
    let (dir, name) = uri.rsplit_once('/').unwrap_or((".", uri));
    let root = Location::parse(dir, opts)?;
    if !root.exists(name)? {
        return Err(Error::BadFxRates {
            path: uri.to_string(),
            problem: "no such file; pass the path of a Parquet file with columns month, currency, rate".into(),
        });
    }
    let bytes = root.get(name)?;
    let frame = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::UnreadableFile {
            path: uri.to_string(),
            reason: e.to_string(),
        })?;
    FxRates::from_frame(uri, frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(p: &str) -> Vec<String> {
        p.split('/').map(String::from).collect()
    }

    #[test]
    fn inputs_split_into_folder_and_pattern() {
        assert_eq!(
            split_input("s3://b/exports/**/*.parquet"),
            ("s3://b/exports".into(), Some(vec!["**".into(), "*.parquet".into()]))
        );
        assert_eq!(
            split_input("s3://b/x/day.parquet"),
            ("s3://b/x".into(), Some(vec!["day.parquet".into()]))
        );
        assert_eq!(split_input("s3://b/exports"), ("s3://b/exports".into(), None));
    }

    #[test]
    fn globs_match_components() {
        assert!(glob_match(&parts("**/*.parquet"), &parts("a/b/c.parquet")));
        assert!(glob_match(&parts("**/*.parquet"), &parts("c.parquet")));
        assert!(glob_match(
            &parts("snapshot_date=2024-0?-*/*.parquet"),
            &parts("snapshot_date=2024-01-31/x.parquet")
        ));
        assert!(!glob_match(&parts("*.parquet"), &parts("a/c.parquet")));
        assert!(!glob_match(&parts("*.parquet"), &parts("c.csv")));
    }

    #[test]
    fn hive_pairs_come_from_folders_of_the_key() {
        let pairs = hive_pairs("snapshot_date=2024-01-31/region=EU/f.parquet");
        assert_eq!(
            pairs,
            vec![
                ("snapshot_date".into(), "2024-01-31".into()),
                ("region".into(), "EU".into())
            ]
        );
        assert!(hive_pairs("f.parquet").is_empty());
    }
}
