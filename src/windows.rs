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

use crate::ledger::Ledger;
use crate::month_close::Timeline;
use crate::movements::ratio;
use crate::segments::{key_columns, Keys};
use crate::tables::{MONTH, SEGMENT_NAME, SEGMENT_VALUE, WINDOW_MONTHS};
use crate::Result;

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
    let (months, nk, first, last) = (timeline.len(), keys.len(), timeline.first.0, timeline.last.0);
    let mut acc = vec![[0_i64; 8]; WINDOWS.len() * months * nk];
    let (mut ks, mut active) = (Vec::new(), Vec::new());
    for c in 0..ledger.customers() {
        keys.of(ledger, c, &mut ks);
        active.clear();
        active.extend(
            ledger
                .rows_of(c)
                .filter(|r| ledger.rows.mrr[*r] > 0)
                .map(|r| (ledger.rows.month[r], ledger.rows.mrr[r])),
        );
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
                let add = contribution(base, cur);
                for k in &ks {
                    let cell = &mut acc[(wi * months + (m - first) as usize) * nk + k];
                    for (a, v) in cell.iter_mut().zip(add) {
                        *a += v;
                    }
                }
            }
        }
    }
    let (mut month_col, mut window_col, mut key_rows, mut values) = (vec![], vec![], vec![], vec![Vec::new(); 8]);
    for (wi, w) in WINDOWS.iter().enumerate() {
        for month in first + w..=last {
            for k in (0..nk).filter(|k| keys.first[*k] <= month) {
                month_col.push(month);
                window_col.push(i64::from(*w));
                key_rows.push(k);
                for (col, v) in values
                    .iter_mut()
                    .zip(acc[(wi * months + (month - first) as usize) * nk + k])
                {
                    col.push(v);
                }
            }
        }
    }
    let (names, vals) = key_columns(keys, &key_rows);
    let nrr: Vec<Option<f64>> = (0..month_col.len())
        .map(|i| ratio(values[6][i], values[2][i]))
        .collect();
    let grr: Vec<Option<f64>> = (0..month_col.len())
        .map(|i| ratio(values[7][i], values[2][i]))
        .collect();
    let mut columns = vec![
        Column::new(MONTH.into(), month_col),
        Column::new(WINDOW_MONTHS.into(), window_col),
        Column::new(SEGMENT_NAME.into(), names),
        Column::new(SEGMENT_VALUE.into(), vals),
    ];
    columns.extend(ADDITIVE.iter().zip(values).map(|(n, v)| Column::new((*n).into(), v)));
    columns.push(Column::new("nrr".into(), nrr));
    columns.push(Column::new("grr".into(), grr));
    Ok(DataFrame::new_infer_height(columns)?)
}

/// NRR from a bridge's parts, the textbook formula.
pub fn nrr(start: i64, expansion: i64, contraction: i64, churn: i64) -> Option<f64> {
    ratio(start + expansion - contraction - churn, start)
}

/// GRR from a bridge's parts.
pub fn grr(start: i64, contraction: i64, churn: i64) -> Option<f64> {
    ratio(start - contraction - churn, start)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked examples quoted across the NRR literature (amounts in dollars).
    #[test]
    fn textbook_examples() {
        let k = 1_000;
        assert_eq!(nrr(1_000 * k, 80 * k, 20 * k, 30 * k), Some(1.03));
        assert_eq!(nrr(1_000 * k, 200 * k, 50 * k, 100 * k), Some(1.05));
        assert_eq!(nrr(10_000 * k, 1_500 * k, 300 * k, 700 * k), Some(1.05));
        assert_eq!(grr(1_000 * k, 20 * k, 30 * k), Some(0.95));
        assert_eq!(nrr(0, 10, 0, 0), None);
    }

    #[test]
    fn a_base_customer_counts_its_net_change_only() {
        // 100 -> (dip) -> 130 over the window: expansion 30, no contraction.
        assert_eq!(contribution(100, 130), [1, 1, 100, 30, 0, 0, 130, 100]);
        assert_eq!(contribution(100, 0), [1, 0, 100, 0, 0, 100, 0, 0]);
        assert_eq!(contribution(100, 60), [1, 1, 100, 0, 40, 0, 60, 60]);
    }
}
