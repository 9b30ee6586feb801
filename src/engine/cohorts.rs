//! Cohorts: customers grouped by their first paying month, followed over time.
//!
//! Rule (docs/METRICS.md, "Cohorts"): a customer's cohort is its first month
//! with MRR > 0. For cohort c and month M = c + k: cohort_customers and
//! cohort_mrr are counted at c; active_customers and mrr at M; the movement
//! columns are M's movements of the cohort's customers (constant-currency
//! rule, plus mrr_fx); at the cohort month's rates ("Constant currency"),
//! nrr = Σ MRR_at(M, c) / cohort_mrr and grr = Σ min(MRR_at(M, c), MRR(c)) /
//! cohort_mrr; nrr_with_fx = mrr / cohort_mrr at actual rates;
//! logo_retention = active_customers / cohort_customers. Month 0 always has
//! nrr = grr = 1.

use polars::prelude::*;

use super::accumulate::{self, Sums};
use super::keys::{key_columns, Keys};
use super::month_close::Timeline;
use super::movements::{Movement, MovementRow, AT_COHORT};
use super::ratios::ratio;
use crate::tables::{wide_column, COHORT_MONTH, MONTH, MONTHS_SINCE_COHORT, MRR, SEGMENT_NAME, SEGMENT_VALUE};
use crate::Result;

/// Sums per (cohort, month, key) published as they are; the sums behind
/// nrr and grr (Σ MRR_at(c, M, C) and Σ min(MRR_at(c, M, C), MRR(c, C))) follow.
const SUM_COLUMNS: [&str; 7] = [
    "active_customers",
    MRR,
    "mrr_expansion",
    "mrr_contraction",
    "mrr_churn",
    "mrr_reactivation",
    "mrr_fx",
];

/// One customer-month row's contribution to its cohort's cell (in
/// [`SUM_COLUMNS`] order, then Σ MRR_at(c, M, C) and Σ min(MRR_at(c, M, C),
/// MRR(c, C))); `cohort_mrr` is the customer's MRR in its cohort month.
pub fn contribution(row: &MovementRow, cohort_mrr: i64) -> [i64; 9] {
    let (mrr, prev, cc, movement) = (row.mrr, row.prev, row.mrr_cc(), row.movement);
    let amount = |m: Movement, v: i64| if movement == m { v } else { 0 };
    let at_cohort = row.at[AT_COHORT];
    [
        i64::from(mrr > 0),
        mrr,
        amount(Movement::Expansion, cc - prev),
        amount(Movement::Contraction, prev - cc),
        amount(Movement::Churn, prev),
        amount(Movement::Reactivation, mrr),
        row.fx(),
        at_cohort,
        at_cohort.min(cohort_mrr),
    ]
}

/// The cohort_matrix table (working types) from the cohort sizes per
/// (cohort month, key) — customers and MRR — and the sums per (cohort ×
/// months + month, key) of [`contribution`]: for every (cohort, key) with
/// customers, a row for each month from the cohort month to the as-of month.
pub fn emit(sizes: &Sums<2>, sums: &Sums<9>, keys: &Keys, timeline: Timeline) -> Result<DataFrame> {
    let (months, first) = (timeline.len(), timeline.first.0);
    let (mut cohort_col, mut since_col, mut month_col, mut size_rows, mut rows) =
        (vec![], vec![], vec![], vec![], vec![]);
    for ci in 0..months {
        for k in (0..keys.len()).filter(|k| sizes.get(ci, *k)[0] > 0) {
            for m in ci..months {
                cohort_col.push(first + ci as i32);
                since_col.push((m - ci) as i64);
                month_col.push(first + m as i32);
                size_rows.push((ci, k));
                rows.push((ci * months + m, k));
            }
        }
    }
    let [customers_col, cohort_mrr_col] = sizes.emit(&size_rows);
    let values = sums.emit(&rows);
    let n = rows.len();
    let [active, mrr, expansion, contraction, churn, reactivation, fx, cc, gross] = values;
    let nrr: Vec<Option<f64>> = (0..n).map(|i| ratio(cc[i], cohort_mrr_col[i])).collect();
    let grr: Vec<Option<f64>> = (0..n).map(|i| ratio(gross[i], cohort_mrr_col[i])).collect();
    let logo: Vec<Option<f64>> = (0..n).map(|i| ratio(active[i], customers_col[i])).collect();
    let with_fx: Vec<Option<f64>> = (0..n).map(|i| ratio(mrr[i], cohort_mrr_col[i])).collect();
    let (names, vals) = key_columns(keys, rows.iter().map(|(_, k)| *k));
    let mut columns = vec![
        Column::new(COHORT_MONTH.into(), cohort_col),
        Column::new(MONTHS_SINCE_COHORT.into(), since_col),
        Column::new(MONTH.into(), month_col),
        Column::new(SEGMENT_NAME.into(), names),
        Column::new(SEGMENT_VALUE.into(), vals),
        Column::new("cohort_customers".into(), customers_col),
        Column::new("cohort_mrr".into(), cohort_mrr_col),
    ];
    columns.extend(accumulate::columns(
        &SUM_COLUMNS,
        [active, mrr, expansion, contraction, churn, reactivation, fx],
    ));
    columns.push(Column::new("nrr".into(), nrr));
    columns.push(Column::new("grr".into(), grr));
    columns.push(Column::new("logo_retention".into(), logo));
    columns.push(Column::new("nrr_with_fx".into(), with_fx));
    Ok(DataFrame::new_infer_height(columns)?)
}

/// The nrr_matrix_wide table (working types): one row per cohort and segment,
/// NRR at `m00`..`m{horizon}` months since cohort, null where not observed yet.
pub fn wide(matrix: &DataFrame, horizon: u32) -> Result<DataFrame> {
    let sorted = matrix.sort(
        [COHORT_MONTH, SEGMENT_NAME, SEGMENT_VALUE, MONTHS_SINCE_COHORT],
        SortMultipleOptions::default(),
    )?;
    let cohort = sorted.column(COHORT_MONTH)?.i32()?;
    let name = sorted.column(SEGMENT_NAME)?.str()?;
    let value = sorted.column(SEGMENT_VALUE)?.str()?;
    let customers = sorted.column("cohort_customers")?.i64()?;
    let mrr = sorted.column("cohort_mrr")?.i64()?;
    let since = sorted.column(MONTHS_SINCE_COHORT)?.i64()?;
    let nrr = sorted.column("nrr")?.f64()?;

    let (mut c_out, mut n_out, mut v_out, mut cust_out, mut mrr_out) = (vec![], vec![], vec![], vec![], vec![]);
    let mut cells: Vec<Vec<Option<f64>>> = vec![Vec::new(); horizon as usize + 1];
    for i in 0..sorted.height() {
        let key = (cohort.get(i), name.get(i), value.get(i));
        let new_row = i == 0 || key != (cohort.get(i - 1), name.get(i - 1), value.get(i - 1));
        if new_row {
            c_out.push(key.0);
            n_out.push(key.1.map(String::from));
            v_out.push(key.2.map(String::from));
            cust_out.push(customers.get(i));
            mrr_out.push(mrr.get(i));
            for column in cells.iter_mut() {
                column.push(None);
            }
        }
        if let Some(k) = since.get(i).filter(|k| *k >= 0 && *k <= horizon as i64) {
            *cells[k as usize].last_mut().expect("row pushed") = nrr.get(i);
        }
    }
    let mut columns = vec![
        Column::new(COHORT_MONTH.into(), c_out),
        Column::new(SEGMENT_NAME.into(), n_out),
        Column::new(SEGMENT_VALUE.into(), v_out),
        Column::new("cohort_customers".into(), cust_out),
        Column::new("cohort_mrr".into(), mrr_out),
    ];
    for (k, values) in cells.into_iter().enumerate() {
        columns.push(Column::new(wide_column(k as u32).into(), values));
    }
    Ok(DataFrame::new_infer_height(columns)?)
}
