//! Cohorts: customers grouped by their first paying month, followed over time.
//!
//! Rule (docs/METRICS.md, "Cohorts"): a customer's cohort is its first month
//! with MRR > 0. For cohort c and month M = c + k: cohort_customers and
//! cohort_mrr are counted at c; active_customers and mrr at M; the movement
//! columns are M's movements of the cohort's customers; nrr = mrr /
//! cohort_mrr; grr = Σ min(MRR(M), MRR(c)) / cohort_mrr; logo_retention =
//! active_customers / cohort_customers. Month 0 always has nrr = grr = 1.

use polars::prelude::*;

use crate::exprs::{count_if, min2, months_frame, ratio, sum_if, zero_fill};
use crate::month_close::Timeline;
use crate::movements::{CHURN, CONTRACTION, EXPANSION, NEW, REACTIVATION};
use crate::snapshots::{segment_column, CUSTOMER_ID};
use crate::tables::{
    wide_column, COHORT_MONTH, MONTH, MONTHS_SINCE_COHORT, MOVEMENT, MRR, PREV_MRR, SEGMENT_NAME, SEGMENT_VALUE,
};
use crate::{segments, Result};

const ADDITIVE: [&str; 8] = [
    "cohort_customers",
    "cohort_mrr",
    "active_customers",
    MRR,
    "mrr_expansion",
    "mrr_contraction",
    "mrr_churn",
    "mrr_reactivation",
];

/// The cohort_matrix table (working types) from customer_months rows carrying
/// the customers' segment columns.
pub fn matrix(customer_months: LazyFrame, timeline: Timeline, segment_by: &[String]) -> Result<DataFrame> {
    let mut cohort_cols = vec![
        col(CUSTOMER_ID),
        col(COHORT_MONTH),
        col(MRR).alias("customer_cohort_mrr"),
    ];
    cohort_cols.extend(segment_by.iter().map(|s| col(segment_column(s))));
    let cohort_rows = customer_months
        .clone()
        .filter(col(MOVEMENT).eq(lit(NEW)))
        .select(cohort_cols);

    let sizes = segments::long(cohort_rows.clone(), segment_by, &[COHORT_MONTH, "customer_cohort_mrr"])?
        .group_by([col(COHORT_MONTH), col(SEGMENT_NAME), col(SEGMENT_VALUE)])
        .agg([
            len().cast(DataType::Int64).alias("cohort_customers"),
            col("customer_cohort_mrr").sum().alias("cohort_mrr"),
        ]);

    let rows = customer_months.join(
        cohort_rows.select([col(CUSTOMER_ID), col("customer_cohort_mrr")]),
        [col(CUSTOMER_ID)],
        [col(CUSTOMER_ID)],
        JoinArgs::new(JoinType::Inner),
    );
    let long = segments::long(
        rows,
        segment_by,
        &[COHORT_MONTH, MONTH, MRR, PREV_MRR, MOVEMENT, "customer_cohort_mrr"],
    )?;
    let is = |m: &str| col(MOVEMENT).eq(lit(m));
    let keys = [col(COHORT_MONTH), col(MONTH), col(SEGMENT_NAME), col(SEGMENT_VALUE)];
    let sums = long.group_by(keys.clone()).agg([
        count_if(col(MRR).gt(lit(0))).alias("active_customers"),
        col(MRR).sum().alias(MRR),
        sum_if(is(EXPANSION), col(MRR) - col(PREV_MRR)).alias("mrr_expansion"),
        sum_if(is(CONTRACTION), col(PREV_MRR) - col(MRR)).alias("mrr_contraction"),
        sum_if(is(CHURN), col(PREV_MRR)).alias("mrr_churn"),
        sum_if(is(REACTIVATION), col(MRR)).alias("mrr_reactivation"),
        min2(col(MRR), col("customer_cohort_mrr")).sum().alias("gross_mrr"),
    ]);

    let grid = sizes
        .cross_join(months_frame(MONTH, timeline.months())?.lazy(), None)
        .filter(col(MONTH).gt_eq(col(COHORT_MONTH)))
        .with_column(
            (col(MONTH) - col(COHORT_MONTH))
                .cast(DataType::Int64)
                .alias(MONTHS_SINCE_COHORT),
        );
    Ok(grid
        .join(sums, keys.clone(), keys, JoinArgs::new(JoinType::Left))
        .with_columns(zero_fill(&ADDITIVE))
        .with_column(col("gross_mrr").fill_null(lit(0_i64)))
        .with_columns([
            ratio(col(MRR), col("cohort_mrr")).alias("nrr"),
            ratio(col("gross_mrr"), col("cohort_mrr")).alias("grr"),
            ratio(col("active_customers"), col("cohort_customers")).alias("logo_retention"),
        ])
        .collect()?)
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
