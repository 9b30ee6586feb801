//! The checks that reject bad rows, run on the rows that count (the
//! month-close rows whose status counts) before anything is computed.
//!
//! Each names the file the bad row came from, because a data engineer fixes
//! an export, not a data frame (docs/METRICS.md, "Input checks").

use polars::prelude::*;

use crate::snapshots::{Sources, CURRENCY, CUSTOMER_ID, FILE, MONTH, MRR, SNAPSHOT_DATE, SUBSCRIPTION_ID};
use crate::{Error, Result};

/// Largest MRR accepted for one subscription row, in major units.
pub const MAX_MRR: f64 = 1e15;

/// Rejects null keys, negative or unusable MRR and duplicate
/// (snapshot_date, subscription_id) rows among `rows`.
pub fn validate(rows: &DataFrame, sources: &Sources) -> Result<()> {
    for column in [CUSTOMER_ID, SUBSCRIPTION_ID, MRR, CURRENCY] {
        let nulls = rows.column(column)?.null_count();
        if nulls > 0 {
            let first = rows
                .clone()
                .lazy()
                .filter(col(column).is_null())
                .select([
                    col(FILE),
                    col(SNAPSHOT_DATE).cast(DataType::String),
                    col(SUBSCRIPTION_ID),
                ])
                .limit(1)
                .collect()?;
            let date = str_at(&first, SNAPSHOT_DATE);
            let sub = str_at(&first, SUBSCRIPTION_ID);
            let example = match column {
                SUBSCRIPTION_ID => format!(" (first on {date})"),
                _ => format!(" (first: subscription '{sub}' on {date})"),
            };
            return Err(Error::NullValues {
                path: sources.file(u32_at(&first, FILE)),
                column: column.to_string(),
                count: nulls,
                example,
            });
        }
    }

    let mrr_dtype = rows.column(MRR)?.dtype().clone();
    let mrr_f64 = col(MRR).cast(DataType::Float64);
    let unusable = if mrr_dtype.is_float() {
        col(MRR)
            .is_nan()
            .or(col(MRR).is_infinite())
            .or(mrr_f64.clone().gt(lit(MAX_MRR)))
    } else {
        mrr_f64.clone().gt(lit(MAX_MRR))
    };
    let bad = rows
        .clone()
        .lazy()
        .filter(mrr_f64.clone().lt(lit(0.0)).or(unusable.clone()))
        .sort([FILE, SNAPSHOT_DATE, SUBSCRIPTION_ID], Default::default())
        .select([
            col(FILE),
            col(SNAPSHOT_DATE).cast(DataType::String),
            col(SUBSCRIPTION_ID),
            col(MRR).cast(DataType::String).alias("value"),
            unusable.alias("unusable"),
        ])
        .limit(1)
        .collect()?;
    if bad.height() > 0 {
        let path = sources.file(u32_at(&bad, FILE));
        let subscription_id = str_at(&bad, SUBSCRIPTION_ID);
        let date = str_at(&bad, SNAPSHOT_DATE);
        let value = str_at(&bad, "value");
        let unusable = bad.column("unusable")?.bool()?.get(0).unwrap_or(false);
        return Err(if unusable {
            Error::BadMrr {
                path,
                subscription_id,
                date,
                value,
            }
        } else {
            Error::NegativeMrr {
                path,
                subscription_id,
                date,
                value,
            }
        });
    }

    if let Some(dup) = first_duplicate(rows)? {
        let paths = dup
            .files
            .iter()
            .map(|i| format!("'{}'", sources.file(Some(*i))))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Error::DuplicateSnapshot {
            subscription_id: dup.subscription_id,
            date: dup.date.to_string(),
            count: dup.count,
            paths,
        });
    }
    Ok(())
}

struct Duplicate {
    subscription_id: String,
    date: chrono::NaiveDate,
    count: usize,
    files: Vec<u32>,
}

/// The first subscription that appears twice on one snapshot date (rows
/// here hold one date per month). Rows usually come a month at a time (a
/// file per day), so one hash set per run of equal months suffices; if a
/// month comes back later, the set keyed by (month, id) takes over.
fn first_duplicate(rows: &DataFrame) -> Result<Option<Duplicate>> {
    let months = rows.column(MONTH)?.i32()?;
    let subs = rows.column(SUBSCRIPTION_ID)?.str()?;
    // The fast pass clears the set at each change of month; if a month comes
    // back, the rows are not grouped by month and the full pass keeps every key.
    let found = match scan_duplicates(months, subs, false) {
        Scan::Ungrouped => scan_duplicates(months, subs, true),
        other => other,
    };
    match found {
        Scan::Found(row, month, sub) => describe_duplicate(rows, row, month, &sub).map(Some),
        _ => Ok(None),
    }
}

enum Scan {
    Clean,
    Ungrouped,
    Found(usize, i32, String),
}

fn scan_duplicates(months: &Int32Chunked, subs: &StringChunked, keep_all: bool) -> Scan {
    let mut seen: PlHashSet<(i32, &str)> = PlHashSet::default();
    let mut finished: PlHashSet<i32> = PlHashSet::default();
    let mut current: Option<i32> = None;
    for (i, (month, sub)) in months.iter().zip(subs.iter()).enumerate() {
        let (month, sub) = (month.unwrap_or(i32::MIN), sub.unwrap_or(""));
        if current != Some(month) {
            if let Some(done) = current {
                finished.insert(done);
            }
            if !keep_all {
                if finished.contains(&month) {
                    return Scan::Ungrouped;
                }
                seen.clear();
            }
            current = Some(month);
        }
        if !seen.insert((month, sub)) {
            return Scan::Found(i, month, sub.to_string());
        }
    }
    Scan::Clean
}

fn describe_duplicate(rows: &DataFrame, row: usize, month: i32, sub: &str) -> Result<Duplicate> {
    let months = rows.column(MONTH)?.i32()?;
    let subs = rows.column(SUBSCRIPTION_ID)?.str()?;
    let files = rows.column(FILE)?.u32()?;
    let mut count = 0;
    let mut in_files = Vec::new();
    for ((m, s), f) in months.iter().zip(subs.iter()).zip(files.iter()) {
        if m == Some(month) && s == Some(sub) {
            count += 1;
            in_files.extend(f);
        }
    }
    in_files.sort_unstable();
    in_files.dedup();
    let day = rows
        .column(SNAPSHOT_DATE)?
        .cast(&DataType::Int32)?
        .i32()?
        .get(row)
        .unwrap_or_default();
    Ok(Duplicate {
        subscription_id: sub.to_string(),
        date: crate::month::epoch_days_to_date(day).unwrap_or_default(),
        count,
        files: in_files,
    })
}

/// The string in the first row of `column` ("" when absent or null).
pub(crate) fn str_at(df: &DataFrame, column: &str) -> String {
    df.column(column)
        .ok()
        .filter(|c| !c.is_empty())
        .and_then(|c| c.str().ok().and_then(|s| s.get(0).map(str::to_string)))
        .unwrap_or_default()
}

/// The `u32` in the first row of `column`.
pub(crate) fn u32_at(df: &DataFrame, column: &str) -> Option<u32> {
    df.column(column)
        .ok()
        .filter(|c| !c.is_empty())
        .and_then(|c| c.u32().ok().and_then(|s| s.get(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(months: &[i32], subs: &[&str]) -> Option<(usize, i32, String)> {
        let m = Int32Chunked::from_vec("m".into(), months.to_vec());
        let s = StringChunked::from_iter_values("s".into(), subs.iter().copied());
        let found = match scan_duplicates(&m, &s, false) {
            Scan::Ungrouped => scan_duplicates(&m, &s, true),
            other => other,
        };
        match found {
            Scan::Found(i, month, sub) => Some((i, month, sub)),
            _ => None,
        }
    }

    #[test]
    fn duplicates_are_found_whether_or_not_rows_come_grouped_by_month() {
        assert_eq!(scan(&[1, 1, 2, 2], &["a", "b", "a", "b"]), None);
        assert_eq!(scan(&[1, 1, 2, 2], &["a", "b", "a", "a"]), Some((3, 2, "a".into())));
        // Month 1 comes back after month 2: the full pass finds it.
        assert_eq!(scan(&[1, 2, 1], &["a", "a", "a"]), Some((2, 1, "a".into())));
        assert_eq!(scan(&[1, 2, 1], &["a", "a", "b"]), None);
    }
}
