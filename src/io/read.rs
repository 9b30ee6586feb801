//! Reading snapshot Parquet (a file, a directory tree or a glob, with Hive
//! `key=value` folders) into the canonical schema, and FX rate files.
//!
//! Each file's schema is read from its footer first, so a missing or
//! mistyped column is reported with the file's name before any data is read.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::config::ColumnNames;
use crate::currency::FxRates;
use crate::snapshots::{self as s, segment_column, Snapshots};
use crate::{Error, Result};

/// The files an input names, sorted, and the folder Hive keys are read below.
pub fn list_files(input: &str) -> Result<(PathBuf, Vec<PathBuf>)> {
    let is_glob = input.contains(['*', '?', '[']);
    let path = Path::new(input);
    let (root, pattern) = if is_glob {
        let mut root = PathBuf::new();
        let mut rest = Vec::new();
        for part in path.components() {
            let text = part.as_os_str().to_string_lossy();
            if rest.is_empty() && !text.contains(['*', '?', '[']) {
                root.push(part);
            } else {
                rest.push(text.into_owned());
            }
        }
        (root, Some(rest))
    } else if path.is_file() {
        return Ok((
            path.parent().map(Path::to_path_buf).unwrap_or_default(),
            vec![path.to_path_buf()],
        ));
    } else {
        (path.to_path_buf(), None)
    };
    if !root.is_dir() {
        return Err(Error::NoInputFiles {
            path: input.to_string(),
        });
    }
    let mut files = Vec::new();
    walk(&root, &mut files)?;
    files.retain(|f| match &pattern {
        Some(pattern) => {
            let rel: Vec<String> = f
                .strip_prefix(&root)
                .unwrap_or(f)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            glob_match(pattern, &rel)
        }
        None => f.extension().is_some_and(|e| e == "parquet"),
    });
    files.sort();
    if files.is_empty() {
        return Err(Error::NoInputFiles {
            path: input.to_string(),
        });
    }
    Ok((root, files))
}

/// Every file below `dir`, skipping hidden and `_`-prefixed entries (temporary
/// files, `_SUCCESS`, `_manifest.json`).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = fs_err::read_dir(dir).map_err(|e| Error::io("listing", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("listing", dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
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

/// `key=value` folder names between `root` and the file.
fn hive_pairs(root: &Path, file: &Path) -> Vec<(String, String)> {
    let rel = file.strip_prefix(root).unwrap_or(file);
    rel.parent()
        .into_iter()
        .flat_map(|p| p.components())
        .filter_map(|c| {
            let text = c.as_os_str().to_string_lossy();
            text.split_once('=').map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

fn read_schema(path: &Path) -> Result<Schema> {
    let unreadable = |reason: String| Error::UnreadableFile {
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let arrow = ParquetReader::new(file)
        .schema()
        .map_err(|e| unreadable(e.to_string()))?;
    Ok(arrow
        .iter_values()
        .map(|f| (f.name.clone(), DataType::from_arrow_field(f)))
        .collect())
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

/// Reads snapshot files into the canonical schema (lazily; the schemas are
/// checked now, the data is read when the engine collects).
pub fn read_snapshots(input: &str, names: &ColumnNames, segment_by: &[String], reporting: &str) -> Result<Snapshots> {
    let (root, files) = list_files(input)?;
    let schemas = files.iter().map(|f| read_schema(f)).collect::<Result<Vec<_>>>()?;

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
    let segment_names: Vec<String> = segment_by.iter().map(|s| segment_column(s)).collect();
    for (segment, internal) in segment_by.iter().zip(&segment_names) {
        columns.push((internal, segment, Want::Text, false));
    }

    // A segment column no file has is a typo, not a column of nulls.
    for segment in segment_by {
        let present = files
            .iter()
            .zip(&schemas)
            .any(|(f, schema)| schema.contains(segment) || hive_pairs(&root, f).iter().any(|(k, _)| k == segment));
        if !present {
            return Err(Error::MissingSegmentColumn {
                path: files[0].display().to_string(),
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
    for (index, (file, schema)) in files.iter().zip(&schemas).enumerate() {
        let path = file.display().to_string();
        let hive = hive_pairs(&root, file);
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
                col(source).cast(target)
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
                lit(reporting)
            } else {
                lit(NULL).cast(DataType::String)
            };
            let expr = if canonical == s::CURRENCY {
                expr.str().strip_chars(lit(NULL)).str().to_uppercase()
            } else {
                expr
            };
            exprs.push(expr.alias(canonical));
        }
        exprs.push(lit(index as u32).cast(DataType::UInt32).alias(s::FILE));
        let args = ScanArgsParquet {
            hive_options: HiveOptions::new_disabled(),
            ..Default::default()
        };
        let scan = LazyFrame::scan_parquet(PlRefPath::new(path.as_str()), args)?;
        frames.push(scan.select(exprs));
    }
    let frame = concat(
        frames,
        UnionArgs {
            parallel: true,
            rechunk: false,
            ..Default::default()
        },
    )?;
    tracing::info!(files = files.len(), input, "snapshot files listed");
    Ok(Snapshots {
        frame,
        files: files.iter().map(|f| f.display().to_string()).collect(),
        input: input.to_string(),
    })
}

/// Reads each snapshot file on its own to find one that cannot be decoded;
/// used after a failed collect to name the culprit.
pub fn find_unreadable(snapshots: &Snapshots) -> Option<Error> {
    for path in &snapshots.files {
        let args = ScanArgsParquet {
            hive_options: HiveOptions::new_disabled(),
            ..Default::default()
        };
        let result = LazyFrame::scan_parquet(PlRefPath::new(path.as_str()), args).and_then(|lf| lf.collect());
        if let Err(e) = result {
            return Some(Error::UnreadableFile {
                path: path.clone(),
                reason: e.to_string(),
            });
        }
    }
    None
}

/// Reads an FX rates Parquet file (columns month, currency, rate).
pub fn read_fx_rates(path: &str) -> Result<FxRates> {
    let unreadable = |e: PolarsError| Error::UnreadableFile {
        path: path.to_string(),
        reason: e.to_string(),
    };
    if !Path::new(path).is_file() {
        return Err(Error::BadFxRates {
            path: path.to_string(),
            problem: "no such file; pass the path of a Parquet file with columns month, currency, rate".into(),
        });
    }
    let args = ScanArgsParquet {
        hive_options: HiveOptions::new_disabled(),
        ..Default::default()
    };
    let frame = LazyFrame::scan_parquet(PlRefPath::new(path), args)
        .and_then(|lf| lf.collect())
        .map_err(unreadable)?;
    FxRates::from_frame(path, frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(p: &str) -> Vec<String> {
        p.split('/').map(String::from).collect()
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
    fn hive_pairs_below_root_only() {
        let pairs = hive_pairs(
            Path::new("/d/x=1"),
            Path::new("/d/x=1/snapshot_date=2024-01-31/region=EU/f.parquet"),
        );
        assert_eq!(
            pairs,
            vec![
                ("snapshot_date".into(), "2024-01-31".into()),
                ("region".into(), "EU".into())
            ]
        );
    }
}
