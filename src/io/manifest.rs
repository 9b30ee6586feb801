//! `_manifest.json`: the record a run writes last in the output root, so a
//! scheduler's sensor or a warehouse refresh can wait for it. A run deletes
//! the previous manifest before it touches any table, so a manifest only
//! exists while the tables it describes are complete.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::read::SourceFile;
use super::store::Location;
use super::write::Written;
use crate::{Error, Result};

/// File name of the manifest in the output root.
pub const MANIFEST: &str = "_manifest.json";

/// What a run did.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Always "nrr".
    pub job: String,
    /// The nrr version that wrote the output.
    pub version: String,
    /// "complete": the manifest is written only after every table.
    pub status: String,
    /// "full" (every partition of the timeline, stale ones removed) or "range".
    pub mode: String,
    /// The input as given.
    pub input: String,
    /// Hash of the input files' paths, sizes, times and tags.
    pub input_fingerprint: String,
    /// The input files.
    pub input_files: Vec<SourceFile>,
    /// The FX rates file, if any.
    pub fx_rates: Option<String>,
    /// Reporting currency.
    pub reporting_currency: String,
    /// Segment columns.
    pub segment_by: Vec<String>,
    /// First month of the timeline (YYYY-MM).
    pub timeline_first: String,
    /// As-of month, last of the timeline (YYYY-MM).
    pub as_of: String,
    /// The snapshot day the as-of month stands on (YYYY-MM-DD).
    #[serde(default)]
    pub as_of_close_date: String,
    /// Whether that day is before the month's last day: the as-of month is month-to-date.
    #[serde(default)]
    pub month_to_date: bool,
    /// First month whose partitions this run wrote (YYYY-MM).
    pub months_written_from: String,
    /// Last month whose partitions this run wrote (YYYY-MM).
    pub months_written_to: String,
    /// Rows and files written, by table.
    pub tables: BTreeMap<String, Written>,
    /// Internal checks run on the results.
    pub reconciliation: Reconciliation,
    /// Data-quality findings of the run: warnings and infos (data_quality table).
    #[serde(default)]
    pub data_quality: DataQuality,
    /// Start time (RFC 3339, UTC).
    pub started_at: String,
    /// End time (RFC 3339, UTC).
    pub finished_at: String,
}

/// How many data-quality findings a run made.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DataQuality {
    /// Findings of severity warning.
    pub warnings: usize,
    /// Findings of severity info.
    pub infos: usize,
}

/// Results of the engine's own checks.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reconciliation {
    /// mrr_movements rows whose bridge was checked.
    pub bridge_rows_checked: usize,
    /// Rows where end != start + new + reactivation + expansion - contraction - churn.
    pub bridge_rows_unreconciled: usize,
    /// (month, segment column) pairs whose values were summed against the totals.
    pub segment_sums_checked: usize,
    /// Pairs whose sum differed from the totals.
    pub segment_sums_mismatched: usize,
}

/// A stable 64-bit FNV-1a hash of the input files, as hex.
pub fn fingerprint(files: &[SourceFile]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        let line = format!(
            "{}\0{}\0{}\0{}\n",
            f.path,
            f.size,
            f.modified.as_deref().unwrap_or(""),
            f.etag.as_deref().unwrap_or("")
        );
        for byte in line.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Writes the manifest (last step of a run).
pub fn write(root: &Location, manifest: &Manifest) -> Result<()> {
    let mut text = serde_json::to_string_pretty(manifest).map_err(|e| Error::Invariant(e.to_string()))?;
    text.push('\n');
    root.put(MANIFEST, text.into_bytes())
}

/// Removes the manifest (first step of writing).
pub fn remove(root: &Location) -> Result<()> {
    root.delete(MANIFEST)
}

/// Reads the manifest of an output; `None` when there is none.
pub fn read(root: &Location) -> Result<Option<Manifest>> {
    if !root.exists(MANIFEST)? {
        return Ok(None);
    }
    let bytes = root.get(MANIFEST)?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| Error::ManifestCheck(format!("{} is not a valid manifest: {e}", root.display(MANIFEST))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_changes_with_any_file_attribute() {
        let f = |size| SourceFile {
            path: "a".into(),
            size,
            modified: None,
            etag: None,
        };
        assert_eq!(fingerprint(&[f(1)]), fingerprint(&[f(1)]));
        assert_ne!(fingerprint(&[f(1)]), fingerprint(&[f(2)]));
        assert_eq!(fingerprint(&[]).len(), 16);
    }
}
