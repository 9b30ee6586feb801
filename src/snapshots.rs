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

    let dups = rows
        .clone()
        .lazy()
        .group_by([col(SNAPSHOT_DATE), col(SUBSCRIPTION_ID)])
        .agg([
            len().alias("rows"),
            col(FILE).unique().sort(Default::default()).alias("files"),
        ])
        .filter(col("rows").gt(lit(1)))
        .sort([SNAPSHOT_DATE, SUBSCRIPTION_ID], Default::default())
        .with_column(col(SNAPSHOT_DATE).cast(DataType::String))
        .limit(1)
        .collect()?;
    if dups.height() > 0 {
        let files = dups.column("files")?.list()?.get_as_series(0).unwrap_or_default();
        let paths = files
            .u32()?
            .iter()
            .map(|i| format!("'{}'", snapshots.file(i)))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Error::DuplicateSnapshot {
            subscription_id: str_at(&dups, SUBSCRIPTION_ID),
            date: str_at(&dups, SNAPSHOT_DATE),
            count: dups.column("rows")?.cast(&DataType::UInt64)?.u64()?.get(0).unwrap_or(0) as usize,
            paths,
        });
    }
    Ok(())
}

/// Drops rows whose status makes them count as zero MRR.
pub fn counted(rows: LazyFrame) -> LazyFrame {
    let zero = Series::new("zero".into(), ZERO_MRR_STATUSES.to_vec());
    rows.filter(
        col(STATUS)
            .str()
            .to_lowercase()
            .str()
            .strip_chars(lit(NULL))
            .is_in(lit(zero).implode(false), false)
            .fill_null(lit(false))
            .not(),
    )
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
