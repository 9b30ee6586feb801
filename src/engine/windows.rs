//! Trailing-window retention: NRR and GRR over 1, 3 and 12 months.
//!
//! Rule (docs/METRICS.md, "Windows" and "Constant currency"): for month M
//! and window w, the base is the customers with MRR > 0 in B = M-w. Each base
//! customer's change from B to M, at B's rates (cur_cc), is expansion (up),
//! contraction (down, still active) or churn (to zero); customers who joined
//! after B are not in the base. nrr = Σ cur_cc / base, grr = Σ min(cur_cc,
//! base) / base, nrr_with_fx adds the FX impact Σ (MRR(M) − cur_cc). Rows
//! exist only where B is in the timeline; w = 1 gives the same ratios as
//! mrr_movements.

use polars::prelude::*;

use super::accumulate::{self, Sums};
use super::keys::{key_columns, Keys};
use super::month_close::Timeline;
pub use super::movements::WINDOWS;
use super::ratios::ratio;
use crate::tables::{MONTH, SEGMENT_NAME, SEGMENT_VALUE, WINDOW_MONTHS};
use crate::Result;

/// The additive columns of nrr_summary, in order.
pub const ADDITIVE: [&str; 9] = [
    "base_customers",
    "retained_customers",
    "base_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churn_mrr",
    "fx_mrr",
    "retained_mrr",
    "gross_retained_mrr",
];

/// One base customer's contribution, in [`ADDITIVE`] order: `base` its MRR
/// in B, `cur` in M and `cur_cc` M's amounts at B's rates.
pub fn contribution(base: i64, cur: i64, cur_cc: i64) -> [i64; 9] {
    if cur == 0 {
        return [1, 0, base, 0, 0, base, 0, 0, 0];
    }
    [
        1,
        1,
        base,
        (cur_cc - base).max(0),
        (base - cur_cc).max(0),
        0,
        cur - cur_cc,
        cur_cc,
        cur_cc.min(base),
    ]
}

/// The nrr_summary table (working types) from its sums per (window × month,
/// key): cell = window index × months + month index, each base customer
/// adding its [`contribution`].
pub fn emit(sums: &Sums<9>, keys: &Keys, timeline: Timeline) -> Result<DataFrame> {
    let (months, first, last) = (timeline.len(), timeline.first.0, timeline.last.0);
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
    let [base, fx, retained, gross] = [2, 6, 7, 8].map(|c| &values[c]);
    let nrr: Vec<Option<f64>> = (0..rows.len()).map(|i| ratio(retained[i], base[i])).collect();
    let grr: Vec<Option<f64>> = (0..rows.len()).map(|i| ratio(gross[i], base[i])).collect();
    let with_fx: Vec<Option<f64>> = (0..rows.len())
        .map(|i| ratio(i128::from(retained[i]) + i128::from(fx[i]), base[i]))
        .collect();
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
    columns.push(Column::new("nrr_with_fx".into(), with_fx));
    Ok(DataFrame::new_infer_height(columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_customer_counts_its_net_change_only() {
        // 100 -> (dip) -> 130 over the window: expansion 30, no contraction.
        assert_eq!(contribution(100, 130, 130), [1, 1, 100, 30, 0, 0, 0, 130, 100]);
        assert_eq!(contribution(100, 0, 0), [1, 0, 100, 0, 0, 100, 0, 0, 0]);
        assert_eq!(contribution(100, 60, 60), [1, 1, 100, 0, 40, 0, 0, 60, 60]);
    }

    /// docs/METRICS.md section 2a: B, 220.00 at January's rates, is worth
    /// 300.00 in February, 275.00 of it at January's rates.
    #[test]
    fn the_window_compares_at_the_base_months_rates() {
        assert_eq!(
            contribution(22_000, 30_000, 27_500),
            [1, 1, 22_000, 5_500, 0, 0, 2_500, 27_500, 22_000]
        );
        // A rate move alone: flat at constant currency, all FX.
        assert_eq!(
            contribution(11_000, 12_000, 11_000),
            [1, 1, 11_000, 0, 0, 0, 1_000, 11_000, 11_000]
        );
    }
}
