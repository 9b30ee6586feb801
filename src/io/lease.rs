//! The output lease: at most one writer per month of an output at a time.
//!
//! Before it writes, a run takes a lease on every month it will write: one
//! small object `_lease/month=YYYY-MM.json` per month, created only if absent
//! (`O_EXCL` locally, a create-only conditional put on object stores), naming
//! the host, process and times. Overlapping writers therefore fail fast with
//! the holder named, while range runs over disjoint months (a backfill's
//! fan-out) run side by side. The leases go when the run ends; a lease left
//! by a crashed run is taken over once it has expired, or at once when its
//! process is known to be gone (same host, no such pid).

use serde::{Deserialize, Serialize};

use super::store::Location;
use crate::{Error, Month, Result};

/// Folder of the lease objects under the output root.
pub const LEASE_DIR: &str = "_lease";
/// Default lifetime of a lease, in minutes.
pub const DEFAULT_MINUTES: u64 = 120;

/// Who holds a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Host name.
    pub host: String,
    /// Process id on that host.
    pub pid: u32,
    /// When the lease was taken (RFC 3339).
    pub started_at: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
    /// The months the run writes, `YYYY-MM..YYYY-MM`.
    pub months: String,
}

/// The leases of one run; released when dropped.
pub struct Lease {
    root: Location,
    keys: Vec<String>,
    body: Vec<u8>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        for key in &self.keys {
            // Only our own: a run that took an expired lease over keeps it.
            if self.root.get(key).ok().as_deref() != Some(self.body.as_slice()) {
                continue;
            }
            if let Err(e) = self.root.delete(key) {
                tracing::warn!(lease = %self.root.display(key), error = %e, "lease not released: it expires by itself");
            }
        }
    }
}

fn key(month: Month) -> String {
    format!("{LEASE_DIR}/month={month}.json")
}

/// This machine's name.
fn host() -> String {
    fs_err::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// Whether a holder's lease may be taken over: expired, or its process is
/// gone from this very host.
fn stale(holder: &Holder, now: chrono::DateTime<chrono::Utc>) -> bool {
    let expired = chrono::DateTime::parse_from_rfc3339(&holder.expires_at).map_or(true, |t| t < now);
    let gone = holder.host == host()
        && holder.pid != std::process::id()
        && !std::path::Path::new(&format!("/proc/{}", holder.pid)).exists();
    expired || gone
}

/// Takes the lease on `months` of the output at `root` for `minutes`.
pub fn acquire(root: &Location, months: &[Month], minutes: u64) -> Result<Lease> {
    let now = chrono::Utc::now();
    let range = match (months.first(), months.last()) {
        (Some(a), Some(b)) => format!("{a}..{b}"),
        _ => String::new(),
    };
    let me = Holder {
        host: host(),
        pid: std::process::id(),
        started_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        expires_at: (now + chrono::Duration::minutes(minutes.min(i64::MAX as u64) as i64))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        months: range,
    };
    let body = serde_json::to_vec_pretty(&me).map_err(|e| Error::Invariant(e.to_string()))?;
    let mut lease = Lease {
        root: root.clone(),
        keys: Vec::new(),
        body: body.clone(),
    };
    for month in months {
        let key = key(*month);
        let mut taken_over = false;
        loop {
            if root.create_new(&key, &body)? {
                lease.keys.push(key);
                break;
            }
            // A lease that cannot be read is no sign of a dead run: it stays.
            let holder: Holder = root
                .get(&key)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_else(|| Holder {
                    host: "(unreadable lease)".into(),
                    pid: 0,
                    started_at: String::new(),
                    expires_at: "9999-12-31T00:00:00Z".into(),
                    months: String::new(),
                });
            match holder {
                h if !stale(&h, now) || taken_over => {
                    return Err(Error::OutputBusy {
                        month: *month,
                        host: h.host,
                        pid: h.pid,
                        started_at: h.started_at,
                        expires_at: h.expires_at,
                        lease: root.display(&key),
                    });
                }
                other => {
                    tracing::warn!(
                        lease = %root.display(&key),
                        holder = ?other,
                        "lease of a run that is gone or expired: taken over"
                    );
                    root.delete(&key)?;
                    taken_over = true;
                }
            }
        }
    }
    Ok(lease)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn months(a: &str, b: &str) -> Vec<Month> {
        Month::parse(a).unwrap().through(Month::parse(b).unwrap()).collect()
    }

    #[test]
    fn overlapping_leases_fail_and_disjoint_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = Location::Local(dir.path().to_path_buf());
        let first = acquire(&root, &months("2024-01", "2024-03"), 60).unwrap();
        let Err(err) = acquire(&root, &months("2024-03", "2024-04"), 60) else {
            panic!("an overlapping lease was granted");
        };
        let text = err.to_string();
        assert!(
            text.contains("2024-03") && text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        assert!(
            !dir.path().join("_lease/month=2024-04.json").exists(),
            "a failed run keeps no lease"
        );
        let disjoint = acquire(&root, &months("2024-04", "2024-06"), 60).unwrap();
        drop((first, disjoint));
        assert_eq!(fs_err::read_dir(dir.path().join(LEASE_DIR)).unwrap().count(), 0);
    }

    #[test]
    fn a_dead_or_expired_holder_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let root = Location::Local(dir.path().to_path_buf());
        let dead = Holder {
            host: host(),
            pid: 4_194_999,
            started_at: "2026-01-01T00:00:00Z".into(),
            expires_at: "2999-01-01T00:00:00Z".into(),
            months: "2024-01..2024-01".into(),
        };
        let expired = Holder {
            host: "elsewhere".into(),
            pid: 1,
            expires_at: "2020-01-01T00:00:00Z".into(),
            ..dead.clone()
        };
        root.put(&key(Month::from_ym(2024, 1)), serde_json::to_vec(&dead).unwrap())
            .unwrap();
        root.put(&key(Month::from_ym(2024, 2)), serde_json::to_vec(&expired).unwrap())
            .unwrap();
        let lease = acquire(&root, &months("2024-01", "2024-02"), 60).unwrap();
        let now: Holder = serde_json::from_slice(&root.get(&key(Month::from_ym(2024, 1))).unwrap()).unwrap();
        assert_eq!(now.pid, std::process::id());
        drop(lease);
        // Another host's live lease is not.
        let live = Holder {
            host: "elsewhere".into(),
            pid: 1,
            ..dead
        };
        root.put(&key(Month::from_ym(2024, 1)), serde_json::to_vec(&live).unwrap())
            .unwrap();
        assert!(acquire(&root, &months("2024-01", "2024-01"), 60).is_err());
    }
}
