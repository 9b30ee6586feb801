//! The customer_months table: the ledger as rows, the audit trail every
//! aggregate can be drilled down to.

use polars::prelude::*;

use super::ledger::Ledger;
use super::movements::{cohort_fx, window_fx, Movement};
use crate::snapshots::CUSTOMER_ID;
use crate::tables::{COHORT_MONTH, FX_MRR, FX_MRR_12M, FX_MRR_3M, FX_MRR_COHORT, MONTH, MOVEMENT, MRR, PREV_MRR};
use crate::Result;

/// The customer_months table (working types), ordered by month then customer.
pub fn table(ledger: &Ledger, segment_by: &[String]) -> Result<DataFrame> {
    let rows = &ledger.rows;
    let mut customer_of = Vec::with_capacity(rows.len());
    // FX impacts against the 3- and 12-month window bases' rates, in ledger order.
    let (mut fx3, mut fx12) = (Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len()));
    for c in 0..ledger.customers() {
        let own = ledger.rows_of(c);
        customer_of.extend(std::iter::repeat_n(c as u32, own.len()));
        fx3.extend((0..own.len()).map(|i| window_fx(own, i, 1)));
        fx12.extend((0..own.len()).map(|i| window_fx(own, i, 2)));
    }
    // Stable counting sort by month keeps customers in text order within a month.
    let (lo, hi) = match (rows.iter().map(|r| r.month).min(), rows.iter().map(|r| r.month).max()) {
        (Some(lo), Some(hi)) => (lo, hi),
        _ => (0, -1),
    };
    let span = (hi - lo + 1).max(0) as usize;
    let mut starts = vec![0_usize; span + 1];
    for r in rows {
        starts[(r.month - lo) as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut order = vec![0_usize; rows.len()];
    for (i, r) in rows.iter().enumerate() {
        let slot = &mut starts[(r.month - lo) as usize];
        order[*slot] = i;
        *slot += 1;
    }
    // Text columns are taken from small dictionaries (names, movements,
    // segment values) by index.
    let by_row = |f: &dyn Fn(usize) -> IdxSize| IdxCa::from_vec("idx".into(), order.iter().map(|i| f(*i)).collect());
    let names = StringChunked::from_iter_values("".into(), ledger.names.iter().map(String::as_str));
    let customer_idx = by_row(&|i| customer_of[i] as IdxSize);
    let movement_names = StringChunked::from_iter_values("".into(), Movement::ALL.iter().map(|m| m.name()));
    let gather = |f: &dyn Fn(usize) -> i64| -> Vec<i64> { order.iter().map(|i| f(*i)).collect() };
    let mut columns = vec![
        names.take(&customer_idx)?.with_name(CUSTOMER_ID.into()).into_column(),
        Column::new(MONTH.into(), order.iter().map(|i| rows[*i].month).collect::<Vec<_>>()),
        Column::new(
            COHORT_MONTH.into(),
            order
                .iter()
                .map(|i| ledger.cohort[customer_of[*i] as usize])
                .collect::<Vec<_>>(),
        ),
        Column::new(MRR.into(), gather(&|i| rows[i].mrr)),
        Column::new(PREV_MRR.into(), gather(&|i| rows[i].prev)),
        Column::new(FX_MRR.into(), gather(&|i| rows[i].fx())),
        movement_names
            .take(&by_row(&|i| rows[i].movement as IdxSize))?
            .with_name(MOVEMENT.into())
            .into_column(),
        Column::new(FX_MRR_3M.into(), gather(&|i| fx3[i])),
        Column::new(FX_MRR_12M.into(), gather(&|i| fx12[i])),
        Column::new(FX_MRR_COHORT.into(), gather(&|i| cohort_fx(&rows[i]))),
    ];
    for (s, name) in segment_by.iter().enumerate() {
        let values = StringChunked::from_iter_values("".into(), ledger.segments[s].values.iter().map(String::as_str));
        let codes = by_row(&|i| ledger.code(customer_of[i] as usize, s) as IdxSize);
        columns.push(values.take(&codes)?.with_name(name.as_str().into()).into_column());
    }
    Ok(DataFrame::new_infer_height(columns)?)
}
