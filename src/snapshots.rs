//! The canonical snapshot schema and the checks that reject bad rows.
//!
//! Readers normalise every input to these column names and types, so the
//! rules downstream never see a source's own naming. The checks run on the
//! rows that count (the month-close rows) and name the file each bad row came
//! from, because a data engineer fixes an export, not a data frame.

use polars::prelude::*;

use crate::{Error, Result};

/// Snapshot date (`Date`).
pub const SNAPSHOT_DATE: &str = "snapshot_date";
/// Customer key (`String`).
pub const CUSTOMER_ID: &str = "customer_id";
/// Subscription key (`String`).
pub const SUBSCRIPTION_ID: &str = "subscription_id";
/// MRR in major units of `currency` (`Float64` or `Decimal`).
pub const MRR: &str = "mrr";
/// ISO currency code (`String`); readers fill the reporting currency when a file has none.
pub const CURRENCY: &str = "currency";
/// Subscription status (`String`, may be null).
pub const STATUS: &str = "status";
/// Index of the source file in [`Snapshots::files`] (`UInt32`).
pub const FILE: &str = "__file";
/// Month index (see [`crate::Month`]) (`Int32`), added by month close.
pub const MONTH: &str = "month";
/// Money in integer cents of the reporting currency (`Int64`).
pub const CENTS: &str = "cents";

/// Statuses whose rows count as zero MRR (compared case-insensitively).
pub const ZERO_MRR_STATUSES: [&str; 6] = [
    "trialing",
    "paused",
    "canceled",
    "cancelled",
    "incomplete",
    "incomplete_expired",
];

/// Largest MRR accepted for one subscription row, in major units.
pub const MAX_MRR: f64 = 1e15;

/// The internal name of a `--segment-by` column, kept apart from canonical names.
pub fn segment_column(name: &str) -> String {
    format!("segment:{name}")
}

/// Snapshot rows in canonical form, with the list of files they came from.
#[derive(Clone)]
pub struct Snapshots {
    /// Canonical columns, [`FILE`] and one [`segment_column`] per segment.
    pub frame: LazyFrame,
    /// Source files, indexed by the [`FILE`] column.
    pub files: Vec<String>,
    /// The input as the user gave it, for messages.
    pub input: String,
    /// Each file's own scan, to find a file that cannot be decoded.
    pub scans: Vec<LazyFrame>,
}

impl Snapshots {
    /// The file a row came from.
    pub fn file(&self, index: Option<u32>) -> String {
        index
            .and_then(|i| self.files.get(i as usize))
            .cloned()
            .unwrap_or_else(|| self.input.clone())
    }
}

/// Rejects null keys, negative or unusable MRR and duplicate
/// (snapshot_date, subscription_id) rows among `rows`.
pub fn validate(rows: &DataFrame, snapshots: &Snapshots) -> Result<()> {
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
                path: snapshots.file(u32_at(&first, FILE)),
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
        let path = snapshots.file(u32_at(&bad, FILE));
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
            .map(|i| format!("'{}'", snapshots.file(Some(*i))))
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
        date: crate::month::epoch_days_to_date(day),
        count,
        files: in_files,
    })
}

/// Whether a row with this status counts (its MRR is used), per the rule on
/// zero-MRR statuses (case and surrounding spaces ignored).
pub fn status_counts(status: Option<&str>) -> bool {
    let Some(status) = status else { return true };
    let status = status.trim();
    !ZERO_MRR_STATUSES.iter().any(|z| z.eq_ignore_ascii_case(status))
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

    #[test]
    fn statuses_that_count_zero_ignore_case_and_spaces() {
        assert!(!status_counts(Some(" Canceled ")));
        assert!(!status_counts(Some("TRIALING")));
        assert!(status_counts(Some("past_due")));
        assert!(status_counts(None));
    }
}
