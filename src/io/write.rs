//! Writing published tables as Parquet: one folder per table, the long tables
//! Hive-partitioned by `month=YYYY-MM-DD` with one file per partition.
//!
//! Each file is encoded in memory and stored whole ([`Location::put`]): renamed
//! into place locally, one PUT on an object store. A reader never sees half a
//! file. A full run also removes partitions of months outside its timeline,
//! after the new ones are in place.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use super::store::Location;
use crate::tables::{TableSpec, MONTH};
use crate::{Error, Month, Result};

/// Name of the data file inside each partition (or table folder).
pub const DATA_FILE: &str = "part-00000.parquet";

/// What was written for one table.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Written {
    /// Table name.
    pub table: String,
    /// Files written.
    pub files: usize,
    /// Rows written.
    pub rows: usize,
}

/// The key of a partition file.
pub fn partition_key(table: &str, month: Month) -> String {
    format!("{table}/{MONTH}={}/{DATA_FILE}", month.iso_first_day())
}

/// One long table's partitions, encoded and not yet written.
pub struct Encoded {
    /// The table.
    pub table: &'static str,
    /// Each month's Parquet file, in month order.
    pub files: Vec<(Month, Part)>,
    /// Rows in all files.
    pub rows: usize,
    /// The local folder staged files are in (removed when dropped).
    pub staging: Option<Staging>,
}

/// An encoded partition: in memory, or staged in a local file.
pub enum Part {
    /// The bytes.
    Bytes(Vec<u8>),
    /// A file in the [`Staging`] folder.
    Staged(std::path::PathBuf),
}

/// A private local folder for partitions encoded before they are published:
/// a table as large as customer_months is written month by month as it is
/// computed, not held in memory, and reaches the output only when every
/// table is ready (nothing is written to the output on bad input). The
/// folder is removed when dropped, whatever happened.
pub struct Staging {
    dir: std::path::PathBuf,
}

impl Staging {
    /// A new folder under the system's temporary directory.
    pub fn new(table: &str) -> Result<Staging> {
        // Unique per run, also for runs side by side in one process.
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(".nrr-{table}-{run}.tmp-{}", std::process::id()));
        // Folders of killed runs (their process is gone) are swept.
        if let Ok(entries) = fs_err::read_dir(std::env::temp_dir()) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with(".nrr-") && name.contains(".tmp-") && !super::store::writer_alive(&name) {
                    let _ = fs_err::remove_dir_all(entry.path());
                }
            }
        }
        fs_err::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
        Ok(Staging { dir })
    }

    /// Writes one month's file; returns its path.
    pub fn add(&self, month: Month, bytes: &[u8]) -> Result<std::path::PathBuf> {
        let path = self.dir.join(format!("{}.parquet", month.iso_first_day()));
        fs_err::write(&path, bytes).map_err(|e| Error::io("writing", &path, e))?;
        Ok(path)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs_err::remove_dir_all(&self.dir);
    }
}

/// Encodes one published partition per month; `frame_of` gives a month's
/// rows in published types, without the `month` column (it is the folder).
/// Encoding (compression) is the costly part: it is spread over the cores,
/// and each month's frame lives only while it is encoded.
pub fn encode_months(
    spec: &TableSpec,
    months: &[Month],
    frame_of: impl Fn(Month) -> Result<DataFrame> + Sync,
) -> Result<Encoded> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(months.len().max(1));
    type Done = (Month, usize, Vec<u8>);
    let encoded: Vec<Result<Vec<Done>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let frame_of = &frame_of;
                scope.spawn(move || {
                    months
                        .iter()
                        .skip(t)
                        .step_by(threads)
                        .map(|m| {
                            let frame = frame_of(*m)?;
                            Ok((*m, frame.height(), encode(frame)?))
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("encoder thread")).collect()
    });
    let mut parts: Vec<Done> = Vec::with_capacity(months.len());
    for chunk in encoded {
        parts.extend(chunk?);
    }
    parts.sort_by_key(|(m, _, _)| *m);
    Ok(Encoded {
        table: spec.name,
        rows: parts.iter().map(|(_, n, _)| n).sum(),
        files: parts.into_iter().map(|(m, _, bytes)| (m, Part::Bytes(bytes))).collect(),
        staging: None,
    })
}

/// Encodes the partitions of `months` of one published long table (sorted
/// by month first).
pub fn encode_partitions(spec: &TableSpec, frame: &DataFrame, months: &[Month]) -> Result<Encoded> {
    let days = frame.column(MONTH)?.cast(&DataType::Int32)?;
    let days = days.i32()?;
    let mut runs: BTreeMap<i32, (usize, usize)> = BTreeMap::new();
    for (i, day) in days.iter().enumerate() {
        let day = day.ok_or_else(|| Error::Invariant(format!("{} has a null month", spec.name)))?;
        runs.entry(day).and_modify(|r| r.1 = i + 1).or_insert((i, i + 1));
    }
    encode_months(spec, months, |month| {
        let (start, end) = runs.get(&month.first_day_epoch_days()).copied().unwrap_or((0, 0));
        Ok(frame.slice(start as i64, end - start).drop(MONTH)?)
    })
}

/// Writes encoded partitions. With `prune`, partitions of months other
/// than `months` are removed after.
pub fn put_partitions(
    root: &Location,
    spec: &TableSpec,
    encoded: Encoded,
    months: &[Month],
    prune: bool,
) -> Result<Written> {
    let Encoded {
        files, rows, staging, ..
    } = encoded;
    let count = files.len();
    for (month, part) in files {
        let key = partition_key(spec.name, month);
        match part {
            Part::Bytes(bytes) => root.put(&key, bytes)?,
            Part::Staged(path) => root.put_file(&key, &path)?,
        }
    }
    drop(staging);
    if prune {
        // Only nrr's own files go: month=YYYY-MM-DD/part-NNNNN.parquet.
        let keep: BTreeSet<String> = months.iter().map(|m| partition_key(spec.name, *m)).collect();
        for entry in root.join(spec.name).list()? {
            let key = format!("{}/{}", spec.name, entry.key);
            if keep.contains(&key) {
                continue;
            }
            if is_partition_file(&entry.key) {
                root.delete(&key)?;
            } else {
                tracing::warn!(file = %root.display(&key), "not an nrr partition file: left alone");
            }
        }
    }
    Ok(Written {
        table: spec.name.to_string(),
        files: count,
        rows,
    })
}

/// Whether a key inside a table folder names one of nrr's partition files:
/// `month=YYYY-MM-DD/part-NNNNN.parquet`.
pub fn is_partition_file(key: &str) -> bool {
    let Some((folder, file)) = key.split_once('/') else {
        return false;
    };
    let date_ok = folder
        .strip_prefix(&format!("{MONTH}="))
        .is_some_and(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok());
    let file_ok = file
        .strip_prefix("part-")
        .and_then(|f| f.strip_suffix(".parquet"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    date_ok && file_ok
}

/// Writes a single-file table.
pub fn write_single(root: &Location, spec: &TableSpec, frame: &DataFrame) -> Result<Written> {
    root.put(&format!("{}/{DATA_FILE}", spec.name), encode(frame.clone())?)?;
    Ok(Written {
        table: spec.name.to_string(),
        files: 1,
        rows: frame.height(),
    })
}

/// Parquet bytes of a frame: zstd, statistics, no run-dependent metadata, so
/// the same frame always gives the same bytes.
pub fn encode(mut frame: DataFrame) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .finish(&mut frame)?;
    Ok(bytes)
}

/// Writes a frame to a local Parquet file, whole (samples, tests).
pub fn write_parquet(path: &std::path::Path, frame: DataFrame) -> Result<()> {
    let dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Location::Local(dir).put(&name, encode(frame)?)
}

/// Reads a long table back from the output, with its `month` partition column.
pub fn read_partitions(root: &Location, table: &str) -> Result<DataFrame> {
    let mut parts = Vec::new();
    for entry in root.join(table).list()? {
        // Only nrr's own partition files: anything else in the folder is not a table's rows.
        if !is_partition_file(&entry.key) || !entry.key.ends_with(DATA_FILE) {
            continue;
        }
        let Some(day) = entry.key.strip_prefix("month=").and_then(|k| k.split('/').next()) else {
            continue;
        };
        let Some(month) = Month::parse(day) else { continue };
        let bytes = root.join(table).get(&entry.key)?;
        let shown = root.join(table).display(&entry.key);
        let mut frame =
            ParquetReader::new(std::io::Cursor::new(bytes))
                .finish()
                .map_err(|e| Error::UnreadableFile {
                    path: shown,
                    reason: e.to_string(),
                })?;
        let days = vec![month.first_day_epoch_days(); frame.height()];
        frame.with_column(Column::new(MONTH.into(), days).cast(&DataType::Date)?)?;
        parts.push(frame.lazy());
    }
    if parts.is_empty() {
        return Err(Error::Invariant(format!("no partitions of {table} to read back")));
    }
    Ok(concat(parts, UnionArgs::default())?.collect()?)
}
