//! Segments: which slice of the business a customer belongs to.
//!
//! Rule (docs/METRICS.md, "Segments"): a customer's value of a segment column
//! is fixed for life: the value at its cohort month, taken from its
//! highest-MRR subscription that month (ties: smallest subscription_id as
//! text); null becomes `(unknown)`. Because each customer sits in exactly one
//! value per segment, additive columns of a segment sum to the totals.
//! Tables carry the totals as `segment_name = 'all', segment_value = 'all'`.

use polars::prelude::*;

use crate::snapshots::{segment_column, CENTS, CUSTOMER_ID, MONTH, SUBSCRIPTION_ID};
use crate::tables::{COHORT_MONTH, SEGMENT_NAME, SEGMENT_VALUE};
use crate::Result;

/// Segment name and value of the totals rows.
pub const ALL: &str = "all";
/// Segment value of a customer whose segment column was null.
pub const UNKNOWN: &str = "(unknown)";

/// One row per customer: [`CUSTOMER_ID`], [`COHORT_MONTH`] and one
/// [`segment_column`] per segment.
///
/// `sub_months` has subscription rows with [`MONTH`], [`CENTS`] and the
/// segment columns; `cohorts` has [`CUSTOMER_ID`] and [`COHORT_MONTH`].
pub fn assign(sub_months: LazyFrame, cohorts: LazyFrame, segment_by: &[String]) -> LazyFrame {
    let mut select = vec![col(CUSTOMER_ID), col(COHORT_MONTH).first()];
    select.extend(segment_by.iter().map(|s| {
        col(segment_column(s))
            .cast(DataType::String)
            .fill_null(lit(UNKNOWN))
            .first()
    }));
    let aggs: Vec<Expr> = select.split_off(1);
    sub_months
        .join(
            cohorts,
            [col(CUSTOMER_ID)],
            [col(CUSTOMER_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col(MONTH).eq(col(COHORT_MONTH)))
        .sort_by_exprs(
            [col(CUSTOMER_ID), col(CENTS), col(SUBSCRIPTION_ID)],
            SortMultipleOptions::default().with_order_descending_multi([false, true, false]),
        )
        .group_by_stable([col(CUSTOMER_ID)])
        .agg(aggs)
}

/// Stacks `frame` once for the totals and once per segment, replacing the
/// segment columns by [`SEGMENT_NAME`] and [`SEGMENT_VALUE`]; `keep` lists
/// the other columns to carry.
pub fn long(frame: LazyFrame, segment_by: &[String], keep: &[&str]) -> Result<LazyFrame> {
    let carry = || keep.iter().map(|c| col(*c)).collect::<Vec<_>>();
    let mut parts = Vec::with_capacity(segment_by.len() + 1);
    let mut totals = carry();
    totals.push(lit(ALL).alias(SEGMENT_NAME));
    totals.push(lit(ALL).alias(SEGMENT_VALUE));
    parts.push(frame.clone().select(totals));
    for segment in segment_by {
        let mut cols = carry();
        cols.push(lit(segment.as_str()).alias(SEGMENT_NAME));
        cols.push(col(segment_column(segment)).alias(SEGMENT_VALUE));
        parts.push(frame.clone().select(cols));
    }
    Ok(concat(parts, UnionArgs::default())?)
}

/// Name of the key column holding the month a segment value first appears.
pub const FIRST_MONTH: &str = "first_month";

/// Every (segment_name, segment_value) pair that has a customer, with the
/// first month it has one (its earliest cohort), plus the totals pair from
/// the first month of the timeline. Tables report a pair from its first
/// month on, so a month's rows never depend on later data.
pub fn keys(customers: &DataFrame, segment_by: &[String], first: crate::Month) -> Result<DataFrame> {
    let cohorts = customers.column(COHORT_MONTH)?.i32()?;
    let mut pairs: std::collections::BTreeMap<(String, String), i32> = std::collections::BTreeMap::new();
    pairs.insert((ALL.to_string(), ALL.to_string()), first.0);
    for segment in segment_by {
        let values = customers.column(&segment_column(segment))?.str()?;
        for (value, cohort) in values.iter().zip(cohorts.iter()) {
            if let (Some(value), Some(cohort)) = (value, cohort) {
                let first = pairs.entry((segment.clone(), value.to_string())).or_insert(cohort);
                *first = (*first).min(cohort);
            }
        }
    }
    let (mut names, mut values, mut firsts) = (Vec::new(), Vec::new(), Vec::new());
    for ((name, value), month) in pairs {
        names.push(name);
        values.push(value);
        firsts.push(month);
    }
    Ok(DataFrame::new_infer_height(vec![
        Column::new(SEGMENT_NAME.into(), names),
        Column::new(SEGMENT_VALUE.into(), values),
        Column::new(FIRST_MONTH.into(), firsts),
    ])?)
}

/// The (month, segment_name, segment_value) rows a monthly table reports:
/// each pair from its first month through `last`.
pub fn grid(keys: &DataFrame, months: impl Iterator<Item = crate::Month>) -> Result<LazyFrame> {
    Ok(crate::exprs::months_frame(crate::tables::MONTH, months)?
        .lazy()
        .cross_join(keys.clone().lazy(), None)
        .filter(col(crate::tables::MONTH).gt_eq(col(FIRST_MONTH)))
        .select([col(crate::tables::MONTH), col(SEGMENT_NAME), col(SEGMENT_VALUE)]))
}
