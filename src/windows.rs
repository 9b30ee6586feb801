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

use crate::exprs::{count_if, min2, ratio, sum_if, zero_fill};
use crate::month_close::Timeline;
use crate::snapshots::{segment_column, CUSTOMER_ID};
use crate::tables::{MONTH, MRR, SEGMENT_NAME, SEGMENT_VALUE, WINDOW_MONTHS};
use crate::{segments, Result};

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

/// The nrr_summary table (working types). `active` holds customer-months with
/// MRR > 0 ([`CUSTOMER_ID`], [`MONTH`], [`MRR`] in cents) and the customers'
/// segment columns; `keys` the (segment_name, segment_value) pairs to report.
pub fn summary(active: LazyFrame, keys: &DataFrame, timeline: Timeline, segment_by: &[String]) -> Result<DataFrame> {
    let mut parts = Vec::new();
    for w in WINDOWS {
        let first = timeline.first.plus(w);
        if first > timeline.last {
            continue;
        }
        let mut base_cols = vec![
            col(CUSTOMER_ID),
            (col(MONTH) + lit(w)).alias(MONTH),
            col(MRR).alias("base"),
        ];
        base_cols.extend(segment_by.iter().map(|s| col(segment_column(s))));
        let base = active
            .clone()
            .select(base_cols)
            .filter(col(MONTH).lt_eq(lit(timeline.last.0)));
        let current = active
            .clone()
            .select([col(CUSTOMER_ID), col(MONTH), col(MRR).alias("current")]);
        let joined = base
            .join(
                current,
                [col(CUSTOMER_ID), col(MONTH)],
                [col(CUSTOMER_ID), col(MONTH)],
                JoinArgs::new(JoinType::Left),
            )
            .with_column(col("current").fill_null(lit(0_i64)));
        let long = segments::long(joined, segment_by, &[MONTH, "base", "current"])?;
        let keys_cols = [col(MONTH), col(SEGMENT_NAME), col(SEGMENT_VALUE)];
        let (base, cur) = (|| col("base"), || col("current"));
        let sums = long.group_by(keys_cols.clone()).agg([
            len().cast(DataType::Int64).alias("base_customers"),
            count_if(cur().gt(lit(0))).alias("retained_customers"),
            base().sum().alias("base_mrr"),
            sum_if(cur().gt(base()), cur() - base()).alias("expansion_mrr"),
            sum_if(cur().gt(lit(0)).and(cur().lt(base())), base() - cur()).alias("contraction_mrr"),
            sum_if(cur().eq(lit(0)), base()).alias("churn_mrr"),
            cur().sum().alias("retained_mrr"),
            min2(cur(), base()).sum().alias("gross_retained_mrr"),
        ]);
        let grid = segments::grid(keys, first.through(timeline.last))?.with_column(lit(w as i64).alias(WINDOW_MONTHS));
        parts.push(
            grid.join(sums, keys_cols.clone(), keys_cols, JoinArgs::new(JoinType::Left))
                .with_columns(zero_fill(&ADDITIVE))
                .with_columns([
                    ratio(col("retained_mrr"), col("base_mrr")).alias("nrr"),
                    ratio(col("gross_retained_mrr"), col("base_mrr")).alias("grr"),
                ]),
        );
    }
    if parts.is_empty() {
        // A one-month timeline has no window; keep the schema.
        return empty(keys);
    }
    Ok(concat(parts, UnionArgs::default())?.collect()?)
}

fn empty(keys: &DataFrame) -> Result<DataFrame> {
    let mut cols = vec![
        Column::new_empty(MONTH.into(), &DataType::Int32),
        Column::new_empty(WINDOW_MONTHS.into(), &DataType::Int64),
        keys.column(SEGMENT_NAME)?.clear(),
        keys.column(SEGMENT_VALUE)?.clear(),
    ];
    cols.extend(
        ADDITIVE
            .iter()
            .map(|n| Column::new_empty((*n).into(), &DataType::Int64)),
    );
    cols.extend(
        ["nrr", "grr"]
            .iter()
            .map(|n| Column::new_empty((*n).into(), &DataType::Float64)),
    );
    Ok(DataFrame::new(0, cols)?)
}

/// NRR from a bridge's parts, the textbook formula.
pub fn nrr(start: i64, expansion: i64, contraction: i64, churn: i64) -> Option<f64> {
    (start > 0).then(|| (start + expansion - contraction - churn) as f64 / start as f64)
}

/// GRR from a bridge's parts.
pub fn grr(start: i64, contraction: i64, churn: i64) -> Option<f64> {
    (start > 0).then(|| (start - contraction - churn) as f64 / start as f64)
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
}
