//! Writing published tables as Parquet: one folder per table, the long tables
//! Hive-partitioned by `month=YYYY-MM-DD` with one file per partition.
//!
//! Every file is written under a temporary name and renamed into place, so a
//! reader never sees half a file; partitions of months outside the timeline
//! left by earlier runs are removed after the new ones are in place.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::tables::{TableSpec, MONTH};
use crate::{Error, Month, Result};

/// Name of the data file inside each partition (or table folder).
pub const DATA_FILE: &str = "part-00000.parquet";

/// What was written for one table.
#[derive(Debug, Clone)]
pub struct Written {
    /// Table name.
    pub table: &'static str,
    /// Files written.
    pub files: usize,
    /// Rows written.
    pub rows: usize,
}

/// Writes one published table under `root/<table>/`.
pub fn write_table(root: &Path, spec: &TableSpec, frame: &DataFrame, months: &[Month]) -> Result<Written> {
    let dir = root.join(spec.name);
    fs_err::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    if !spec.partitioned {
        write_parquet(&dir.join(DATA_FILE), frame.clone())?;
        return Ok(Written {
            table: spec.name,
            files: 1,
            rows: frame.height(),
        });
    }

    // Published frames are sorted by month first, so partitions are runs.
    let days = frame.column(MONTH)?.cast(&DataType::Int32)?;
    let days = days.i32()?;
    let mut start = 0_usize;
    let mut keep = BTreeSet::new();
    for month in months {
        let day = month.first_day_epoch_days();
        let mut end = start;
        while end < frame.height() && days.get(end) == Some(day) {
            end += 1;
        }
        let part = frame.slice(start as i64, end - start).drop(MONTH)?;
        let folder = format!("{MONTH}={}", month.iso_first_day());
        let part_dir = dir.join(&folder);
        fs_err::create_dir_all(&part_dir).map_err(|e| Error::io("creating", &part_dir, e))?;
        write_parquet(&part_dir.join(DATA_FILE), part)?;
        keep.insert(folder);
        start = end;
    }
    if start != frame.height() {
        return Err(Error::Invariant(format!("{} has rows outside the timeline", spec.name)));
    }
    remove_stale(&dir, &keep)?;
    Ok(Written {
        table: spec.name,
        files: months.len(),
        rows: frame.height(),
    })
}

fn remove_stale(dir: &Path, keep: &BTreeSet<String>) -> Result<()> {
    for entry in fs_err::read_dir(dir).map_err(|e| Error::io("listing", dir, e))? {
        let entry = entry.map_err(|e| Error::io("listing", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!("{MONTH}=")) && !keep.contains(&name) {
            let path = entry.path();
            fs_err::remove_dir_all(&path).map_err(|e| Error::io("removing stale partition", &path, e))?;
        }
    }
    Ok(())
}

/// Writes `frame` to `path` atomically (temporary file, then rename).
pub fn write_parquet(path: &Path, mut frame: DataFrame) -> Result<()> {
    let tmp: PathBuf = path.with_file_name(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let file = fs_err::File::create(&tmp).map_err(|e| Error::io("writing", &tmp, e))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .finish(&mut frame)?;
    fs_err::rename(&tmp, path).map_err(|e| Error::io("renaming into place", path, e))?;
    Ok(())
}
