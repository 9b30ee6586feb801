//! Reading an output as the warehouse sees it, for `nrr explain`, `nrr diff`
//! and the restatement summary: the manifest, the months each table holds,
//! and one month's partition at a time. Also the `_previous/` copy that
//! `--keep-previous` keeps.

use std::collections::BTreeSet;

use polars::prelude::*;

use super::manifest::{self, Manifest};
use super::store::{Location, StoreOptions};
use super::write::{is_partition_file, partition_key, DATA_FILE};
use crate::tables::{self, ALL_TABLES, NRR_MATRIX_WIDE};
use crate::{Error, Month, Result};

/// Folder under an output root holding the copy `--keep-previous` keeps.
pub const PREVIOUS: &str = "_previous";

/// A complete output: its root and the manifest of the run that wrote it.
pub struct Published {
    /// The output root.
    pub root: Location,
    /// Its manifest.
    pub manifest: Manifest,
}

impl Published {
    /// Opens the output at `uri`. Only a complete output (one with a
    /// manifest, written last by a run) is read: without one, the tables may
    /// be those of a run that is still writing or that died.
    pub fn open(uri: &str, store: &StoreOptions) -> Result<Published> {
        let root = Location::parse(uri, store)?;
        Self::at(root)
    }

    /// Opens the output at a location.
    pub fn at(root: Location) -> Result<Published> {
        let not_output = |reason: String| Error::NotAnOutput {
            output: root.display(""),
            reason,
        };
        let manifest = match manifest::read(&root) {
            Ok(Some(m)) => m,
            Ok(None) => {
                return Err(not_output(format!(
                    "it has no {} (no run has finished writing it, or one is writing it now)",
                    manifest::MANIFEST
                )))
            }
            Err(Error::ManifestCheck(why)) => return Err(not_output(why)),
            Err(e) => return Err(e),
        };
        if manifest.status != "complete" {
            return Err(not_output(format!("its manifest says '{}'", manifest.status)));
        }
        Ok(Published { root, manifest })
    }

    /// How the output is shown to people.
    pub fn display(&self) -> String {
        self.root.display("")
    }

    /// The months a long table has a partition for.
    pub fn months(&self, table: &str) -> Result<BTreeSet<Month>> {
        let mut months = BTreeSet::new();
        for entry in self.root.join(table).list()? {
            if !is_partition_file(&entry.key) || !entry.key.ends_with(DATA_FILE) {
                continue;
            }
            let day = entry.key.trim_start_matches("month=").split('/').next().unwrap_or("");
            if let Some(month) = Month::parse(day) {
                months.insert(month);
            }
        }
        Ok(months)
    }

    /// The bytes of a table's partition of `month`; `None` when there is none.
    pub fn partition_bytes(&self, table: &str, month: Month) -> Result<Option<Vec<u8>>> {
        let key = partition_key(table, month);
        if !self.root.exists(&key)? {
            return Ok(None);
        }
        self.root.get(&key).map(Some)
    }

    /// A table's partition of `month` in published types (without the
    /// `month` column, which is the folder); `None` when there is none.
    pub fn partition(&self, table: &str, month: Month) -> Result<Option<DataFrame>> {
        let key = partition_key(table, month);
        self.partition_bytes(table, month)?
            .map(|bytes| decode(bytes, &self.root.display(&key)))
            .transpose()
    }

    /// Like [`Self::partition`], in working types (money in cents, months
    /// as indices: [`tables::unpublish`]).
    pub fn partition_cents(&self, table: &str, month: Month) -> Result<Option<DataFrame>> {
        self.partition(table, month)?.map(tables::unpublish).transpose()
    }
}

/// Decodes one Parquet file read from an output.
pub fn decode(bytes: Vec<u8>, shown: &str) -> Result<DataFrame> {
    ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::NotAnOutput {
            output: shown.to_string(),
            reason: format!("it is not readable Parquet ({e})"),
        })
}

/// Keeps the output's current tables under `_previous/` before a run
/// replaces them; returns whether there was a complete output to keep.
///
/// The copy is a complete output of its own, written the way a run writes
/// one: its old manifest goes first, the table files follow, its manifest
/// last. A crash part-way leaves `_previous/` without a manifest, which
/// `nrr diff` refuses, so a mix of two runs is never read as one. An output
/// without a manifest (a run died while writing it) is not kept, and the
/// copy from before stays as it is.
pub fn keep_previous(root: &Location) -> Result<bool> {
    if manifest::read(root)
        .ok()
        .flatten()
        .is_none_or(|m| m.status != "complete")
    {
        return Ok(false);
    }
    let previous = root.join(PREVIOUS);
    manifest::remove(&previous)?;
    let mut keep = BTreeSet::new();
    for spec in ALL_TABLES {
        for entry in root.join(spec.name).list()? {
            let nrr_file = if spec.partitioned {
                is_partition_file(&entry.key)
            } else {
                entry.key == DATA_FILE
            };
            if nrr_file {
                let key = format!("{}/{}", spec.name, entry.key);
                root.copy(&key, &format!("{PREVIOUS}/{key}"))?;
                keep.insert(key);
            }
        }
    }
    // Partitions the copy had and the output no longer has.
    for spec in ALL_TABLES {
        for entry in previous.join(spec.name).list()? {
            let key = format!("{}/{}", spec.name, entry.key);
            let ours = is_partition_file(&entry.key) || (spec.name == NRR_MATRIX_WIDE.name && entry.key == DATA_FILE);
            if ours && !keep.contains(&key) {
                previous.delete(&key)?;
            }
        }
    }
    previous.remove_leftovers(&ALL_TABLES.map(|t| t.name))?;
    root.copy(manifest::MANIFEST, &format!("{PREVIOUS}/{}", manifest::MANIFEST))?;
    Ok(true)
}
