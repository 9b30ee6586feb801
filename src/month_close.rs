//! Month close: which snapshot stands for a month, and which months exist.
//!
//! Rule (docs/METRICS.md, "Month close"): close(M) is the latest
//! `snapshot_date` inside calendar month M over the whole input, and a
//! subscription's MRR in M is its `mrr` on that day (absent = 0). The timeline
//! runs from the first month in the data to the as-of month, and every month
//! in it must have a snapshot.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::snapshots::{Snapshots, FILE, MONTH, SNAPSHOT_DATE};
use crate::{Error, Month, Result};

/// The months a run reports on, first and last included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// First month in the data.
    pub first: Month,
    /// The as-of month.
    pub last: Month,
}

impl Timeline {
    /// Every month of the timeline, in order.
    pub fn months(&self) -> impl Iterator<Item = Month> {
        self.first.through(self.last)
    }

    /// Number of months.
    pub fn len(&self) -> usize {
        (self.last.since(self.first) + 1) as usize
    }

    /// Whether the timeline is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.last < self.first
    }
}

/// The month-close rows of the input.
pub struct Closed {
    /// The timeline.
    pub timeline: Timeline,
    /// Input rows on close dates, with [`MONTH`] added.
    pub rows: DataFrame,
}

/// The month index of a `Date` expression, as [`Month`] numbers it.
pub fn month_of(date: Expr) -> Expr {
    date.clone().dt().year().cast(DataType::Int32) * lit(12) + date.dt().month().cast(DataType::Int32) - lit(1)
}

/// Finds close(M) for every month, checks the timeline has no gaps and keeps
/// only the rows on close dates up to `as_of`.
pub fn close(snapshots: &Snapshots, as_of: Option<Month>) -> Result<Closed> {
    let per_month = snapshots
        .frame
        .clone()
        .group_by([month_of(col(SNAPSHOT_DATE)).alias(MONTH)])
        .agg([
            col(SNAPSHOT_DATE).max().alias("close_date"),
            col(FILE).min().alias("file"),
            len().alias("rows"),
        ])
        .collect()?;

    let months = per_month.column(MONTH)?.i32()?;
    let closes = per_month.column("close_date")?.cast(&DataType::Int32)?;
    let closes = closes.i32()?;
    if let Some(i) = months.iter().position(|m| m.is_none()) {
        let count = snapshots
            .frame
            .clone()
            .select([col(SNAPSHOT_DATE).null_count().alias("nulls")])
            .collect()?
            .column("nulls")?
            .cast(&DataType::UInt64)?
            .u64()?
            .get(0)
            .unwrap_or(0) as usize;
        let file = per_month.column("file")?.u32()?.get(i);
        return Err(Error::NullValues {
            path: snapshots.file(file),
            column: SNAPSHOT_DATE.to_string(),
            count,
            example: String::new(),
        });
    }

    let by_month: BTreeMap<Month, chrono::NaiveDate> = months
        .iter()
        .zip(closes.iter())
        .filter_map(|(m, d)| Some((Month(m?), crate::month::epoch_days_to_date(d?))))
        .collect();
    let (Some(&first), Some(&last_in_data)) = (by_month.keys().next(), by_month.keys().next_back()) else {
        return Err(Error::EmptyInput {
            path: snapshots.input.clone(),
        });
    };
    let last = as_of.unwrap_or(last_in_data);
    if last < first {
        return Err(Error::InvalidArgument {
            what: "--as-of".into(),
            value: last.to_string(),
            expected: format!("the as-of month must not be before the first month in the data ({first})"),
        });
    }
    let timeline = Timeline { first, last };
    if let Some(gap) = timeline.months().find(|m| !by_month.contains_key(m)) {
        return Err(Error::GapMonth {
            month: gap.to_string(),
            first: first.to_string(),
            last: last.to_string(),
        });
    }
    let close_dates: BTreeMap<Month, chrono::NaiveDate> = by_month.into_iter().filter(|(m, _)| *m <= last).collect();

    let days: Vec<i32> = close_dates
        .values()
        .map(|d| crate::month::date_to_epoch_days(*d))
        .collect();
    // A filter (not a join) so Polars pushes it into each file's scan, where
    // row-group statistics skip days that are no month's close.
    let close_days = Series::new("close".into(), days).cast(&DataType::Date)?;
    let rows = snapshots
        .frame
        .clone()
        .filter(col(SNAPSHOT_DATE).is_in(lit(close_days).implode(false), false))
        .with_column(month_of(col(SNAPSHOT_DATE)).alias(MONTH))
        .collect()?;

    let rows_read: u64 = per_month
        .column("rows")?
        .cast(&DataType::UInt64)?
        .u64()?
        .into_no_null_iter()
        .sum();
    tracing::info!(
        rows_read,
        months = timeline.len(),
        first = %timeline.first,
        last = %timeline.last,
        close_rows = rows.height(),
        "month close"
    );
    Ok(Closed { timeline, rows })
}
