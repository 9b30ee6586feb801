//! Trailing-window retention: NRR and GRR over 1, 3 and 12 months.
//!
//! Rule (docs/METRICS.md, "Windows"): for month M and window w, the base is
//! the customers with MRR > 0 in M-w. Each base customer's change from M-w to
//! M is expansion (up), contraction (down, still > 0) or churn (to zero);
//! customers who joined after M-w are not in the base.
//! nrr = retained / base = (base + expansion − contraction − churn) / base,
//! grr = Σ min(MRR(M), MRR(M-w)) / base. Rows exist only where M-w is in the
//! timeline; w = 1 gives the same NRR as mrr_movements.

use polars::prelude::*;

use super::accumulate::{self, Sums};
use super::keys::{key_columns, Keys};
use super::ledger::Ledger;
use super::month_close::Timeline;
use super::ratios::ratio;
use crate::tables::{MONTH, SEGMENT_NAME, SEGMENT_VALUE, WINDOW_MONTHS};
use crate::{Error, Month, Result};

/// The windows reported, in months.
pub const WINDOWS: [i32; 3] = [1, 3, 12];

const ADDITIVE: [&str; 8] = [
    "base_customers",
    "retained_customers",
    "base_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churn_mrr",
    "retained_mrr",
    "gross_retained_mrr",
];

/// One base customer's contribution, in [`ADDITIVE`] order.
fn contribution(base: i64, cur: i64) -> [i64; 8] {
    [
        1,
        i64::from(cur > 0),
        base,
        if cur > base { cur - base } else { 0 },
        if cur > 0 && cur < base { base - cur } else { 0 },
        if cur == 0 { base } else { 0 },
        cur,
        cur.min(base),
    ]
}

/// The nrr_summary table (working types).
pub fn summary(ledger: &Ledger, keys: &Keys, timeline: Timeline) -> Result<DataFrame> {
    let (months, first, last) = (timeline.len(), timeline.first.0, timeline.last.0);
    // Cell = window index × months + month index.
    let mut sums = Sums::<8>::new(WINDOWS.len() * months, keys.len());
    let (mut ks, mut active) = (Vec::new(), Vec::new());
    for c in 0..ledger.customers() {
        keys.of(ledger, c, &mut ks);
        active.clear();
        active.extend(ledger.rows_of(c).iter().filter(|r| r.mrr > 0).map(|r| (r.month, r.mrr)));
        for (wi, w) in WINDOWS.iter().enumerate() {
            for &(b, base) in &active {
                let m = b + w;
                if m > last {
                    break;
                }
                let cur = active
                    .binary_search_by_key(&m, |(month, _)| *month)
                    .map(|i| active[i].1)
                    .unwrap_or(0);
                let cell = wi * months + (m - first) as usize;
                sums.add(cell, &ks, &contribution(base, cur))
                    .map_err(|_| Error::Overflow {
                        what: format!("the nrr_summary sums of {} ({w}-month window)", Month(m)),
                    })?;
            }
        }
    }
    let (mut rows, mut month_col, mut window_col) = (vec![], vec![], vec![]);
    for (wi, w) in WINDOWS.iter().enumerate() {
        for month in first + w..=last {
            for k in (0..keys.len()).filter(|k| keys.first[*k] <= month) {
                rows.push((wi * months + (month - first) as usize, k));
                month_col.push(month);
                window_col.push(i64::from(*w));
            }
        }
    }
    let values = sums.emit(&rows);
    let nrr: Vec<Option<f64>> = (0..rows.len()).map(|i| ratio(values[6][i], values[2][i])).collect();
    let grr: Vec<Option<f64>> = (0..rows.len()).map(|i| ratio(values[7][i], values[2][i])).collect();
    let (names, vals) = key_columns(keys, rows.iter().map(|(_, k)| *k));
    let mut columns = vec![
        Column::new(MONTH.into(), month_col),
        Column::new(WINDOW_MONTHS.into(), window_col),
        Column::new(SEGMENT_NAME.into(), names),
        Column::new(SEGMENT_VALUE.into(), vals),
    ];
    columns.extend(accumulate::columns(&ADDITIVE, values));
    columns.push(Column::new("nrr".into(), nrr));
    columns.push(Column::new("grr".into(), grr));
    Ok(DataFrame::new_infer_height(columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_customer_counts_its_net_change_only() {
        // 100 -> (dip) -> 130 over the window: expansion 30, no contraction.
        assert_eq!(contribution(100, 130), [1, 1, 100, 30, 0, 0, 130, 100]);
        assert_eq!(contribution(100, 0), [1, 0, 100, 0, 0, 100, 0, 0]);
        assert_eq!(contribution(100, 60), [1, 1, 100, 0, 40, 0, 60, 60]);
    }
}
