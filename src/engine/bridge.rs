//! The monthly bridge, mrr_movements: each month's movements added up per
//! key, with the checks that every bridge reconciles and every segment sums
//! to the totals.
//!
//! Rule (docs/METRICS.md, "Monthly bridge" and "Constant currency"): start,
//! new, reactivation, expansion, contraction, churn, fx and end are sums over
//! the month's customer_months rows ([`super::movements`]); nrr and grr are
//! the textbook ratios at constant currency, nrr_with_fx the ratio at actual
//! rates ([`super::ratios`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::accumulate::{self, Sums};
use super::keys::{key_columns, Keys};
use super::month_close::Timeline;
use super::movements::{Movement, MovementRow};
use super::ratios::{grr, nrr, nrr_with_fx};
use crate::tables::{CLOSE_DATE, MONTH, SEGMENT_NAME, SEGMENT_VALUE};
use crate::{Error, Month, Result};

/// Additive columns of mrr_movements, in order: 7 counts, then 8 money columns.
pub const BRIDGE_COLUMNS: [&str; 15] = [
    "customers_start",
    "customers_end",
    "customers_new",
    "customers_reactivated",
    "customers_expanded",
    "customers_contracted",
    "customers_churned",
    "mrr_start",
    "mrr_new",
    "mrr_reactivation",
    "mrr_expansion",
    "mrr_contraction",
    "mrr_churn",
    "mrr_fx",
    "mrr_end",
];

const START: usize = 7;
const NEW: usize = 8;
const REACTIVATION: usize = 9;
const EXPANSION: usize = 10;
const CONTRACTION: usize = 11;
const CHURN: usize = 12;
const FX: usize = 13;
const END: usize = 14;

/// One customer-month row's contribution to the bridge, in [`BRIDGE_COLUMNS`] order.
pub fn contribution(row: &MovementRow) -> [i64; 15] {
    let MovementRow {
        prev, mrr, movement, ..
    } = *row;
    let cc = row.mrr_cc();
    let is = |m: Movement| i64::from(movement == m);
    let amount = |m: Movement, v: i64| if movement == m { v } else { 0 };
    [
        i64::from(prev > 0),
        i64::from(mrr > 0),
        is(Movement::New),
        is(Movement::Reactivation),
        is(Movement::Expansion),
        is(Movement::Contraction),
        is(Movement::Churn),
        prev,
        amount(Movement::New, mrr),
        amount(Movement::Reactivation, mrr),
        amount(Movement::Expansion, cc - prev),
        amount(Movement::Contraction, prev - cc),
        amount(Movement::Churn, prev),
        row.fx(),
        mrr,
    ]
}

/// The bridge and the checks it passed.
pub struct Bridge {
    /// mrr_movements (working types).
    pub table: DataFrame,
    /// (month, segment column) pairs whose values sum to the totals.
    pub segment_sums_checked: usize,
}

/// The mrr_movements table from its sums per (month, key) ([`contribution`]
/// of every customer-month row): a row for every month and key from the
/// key's first month on; quiet months show zeros. Fails if a bridge does not
/// reconcile or a segment does not sum to the totals (a bug, never data).
pub fn emit(
    sums: &Sums<15>,
    keys: &Keys,
    timeline: Timeline,
    close_dates: &BTreeMap<Month, NaiveDate>,
) -> Result<Bridge> {
    let first = timeline.first.0;
    let segment_sums_checked = reconcile(sums, keys, timeline)?;

    let mut rows = Vec::new();
    let (mut month_col, mut close_col) = (Vec::new(), Vec::new());
    for m in 0..timeline.len() {
        let month = first + m as i32;
        let close = close_dates
            .get(&Month(month))
            .map(|d| crate::month::date_to_epoch_days(*d));
        for k in (0..keys.len()).filter(|k| keys.first[*k] <= month) {
            rows.push((m, k));
            month_col.push(month);
            close_col.push(close);
        }
    }
    let values = sums.emit(&rows);
    let ratio = |f: &dyn Fn(usize) -> Option<f64>| -> Vec<Option<f64>> { (0..rows.len()).map(f).collect() };
    let nrr = ratio(&|i| {
        nrr(
            values[START][i],
            values[EXPANSION][i],
            values[CONTRACTION][i],
            values[CHURN][i],
        )
    });
    let grr = ratio(&|i| grr(values[START][i], values[CONTRACTION][i], values[CHURN][i]));
    let with_fx = ratio(&|i| {
        let v = |c: usize| values[c][i];
        nrr_with_fx(v(START), v(EXPANSION), v(CONTRACTION), v(CHURN), v(FX))
    });
    let (names, vals) = key_columns(keys, rows.iter().map(|(_, k)| *k));
    let mut columns = vec![
        Column::new(MONTH.into(), month_col),
        Column::new(CLOSE_DATE.into(), close_col),
        Column::new(SEGMENT_NAME.into(), names),
        Column::new(SEGMENT_VALUE.into(), vals),
    ];
    columns.extend(accumulate::columns(&BRIDGE_COLUMNS, values));
    columns.push(Column::new("nrr".into(), nrr));
    columns.push(Column::new("grr".into(), grr));
    columns.push(Column::new("nrr_with_fx".into(), with_fx));
    Ok(Bridge {
        table: DataFrame::new_infer_height(columns)?,
        segment_sums_checked,
    })
}

/// Checks every (month, key) bridge — end = start + new + reactivation +
/// expansion − contraction − churn + fx — and that each segment column's
/// values add up to the totals. Returns the (month, segment column) pairs checked.
fn reconcile(sums: &Sums<15>, keys: &Keys, timeline: Timeline) -> Result<usize> {
    let mut checked = 0;
    for m in 0..timeline.len() {
        let month = timeline.first.plus(m as i32);
        for k in 0..keys.len() {
            let v = sums.get(m, k).map(i128::from);
            let end = v[START] + v[NEW] + v[REACTIVATION] + v[EXPANSION] - v[CONTRACTION] - v[CHURN] + v[FX];
            if end != v[END] {
                return Err(Error::Invariant(format!(
                    "the {month} bridge of {}={} does not reconcile: {end} ≠ {}",
                    keys.names[k], keys.values[k], v[END]
                )));
            }
        }
        for segment in keys.segments() {
            if !segment.clone().any(|k| keys.first[k] <= month.0) {
                continue;
            }
            let mut total = [0_i128; 15];
            for k in segment.clone() {
                for (t, v) in total.iter_mut().zip(sums.get(m, k)) {
                    *t += i128::from(*v);
                }
            }
            if total != sums.get(m, 0).map(i128::from) {
                return Err(Error::Invariant(format!(
                    "in {month}, the values of segment '{}' do not sum to the totals",
                    keys.names[segment.start]
                )));
            }
            checked += 1;
        }
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(month: i32, prev: i64, mrr: i64, movement: Movement) -> MovementRow {
        MovementRow {
            month,
            mrr,
            prev,
            at: [mrr; 4],
            movement,
        }
    }

    #[test]
    fn each_movement_lands_in_its_column() {
        let c = contribution(&row(1, 500, 700, Movement::Expansion));
        assert_eq!(c[..7], [1, 1, 0, 0, 1, 0, 0]);
        assert_eq!(c[7..], [500, 0, 0, 200, 0, 0, 0, 700]);
        let c = contribution(&row(2, 700, 0, Movement::Churn));
        assert_eq!(c[..7], [1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(c[7..], [700, 0, 0, 0, 0, 700, 0, 0]);
        let c = contribution(&row(0, 0, 100, Movement::New));
        assert_eq!(c[7..], [0, 100, 0, 0, 0, 0, 0, 100]);
        // Worth 120.00 at this month's rates, 110.00 at last month's: flat, FX 10.00.
        let mut flat = row(1, 11_000, 12_000, Movement::Flat);
        flat.at[0] = 11_000;
        assert_eq!(contribution(&flat)[7..], [11_000, 0, 0, 0, 0, 0, 1_000, 12_000]);
    }
}
