//! MRR movements: how each customer's MRR changed from one month to the next,
//! and the monthly bridge that adds them up.
//!
//! Rule (docs/METRICS.md, "Movements"): with prev = MRR(M-1) and cur = MRR(M),
//! from the customer's cohort month on:
//!
//! | movement     | when                         | amount     |
//! |--------------|------------------------------|------------|
//! | new          | M = cohort month             | cur        |
//! | reactivation | M > cohort, prev = 0 < cur   | cur        |
//! | expansion    | 0 < prev < cur               | cur - prev |
//! | contraction  | 0 < cur < prev               | prev - cur |
//! | churn        | prev > 0 = cur               | prev       |
//! | flat         | 0 < prev = cur               | 0          |
//!
//! Only customer-months with MRR > 0 are ever materialised: a zero month
//! contributes nothing to any sum. A gap in a customer's sorted active months
//! is a churn in the month after the last active one and a reactivation in
//! the next active month; after the last active month comes one churn row
//! (inside the timeline).

use polars::prelude::*;

use crate::exprs::{count_if, ratio, sum_if, zero_fill};
use crate::month_close::Timeline;
use crate::snapshots::{CENTS, CUSTOMER_ID};
use crate::tables::{COHORT_MONTH, MONTH, MOVEMENT, MRR, PREV_MRR, SEGMENT_NAME, SEGMENT_VALUE};
use crate::Result;

/// Movement of the cohort month.
pub const NEW: &str = "new";
/// Back from zero after the cohort month.
pub const REACTIVATION: &str = "reactivation";
/// MRR went up.
pub const EXPANSION: &str = "expansion";
/// MRR went down but not to zero.
pub const CONTRACTION: &str = "contraction";
/// MRR went to zero.
pub const CHURN: &str = "churn";
/// MRR unchanged and above zero.
pub const FLAT: &str = "flat";

/// The movement of one customer-month, the rule in plain Rust; `None` when
/// both months are zero (no row). The Polars expression [`movement_expr`] is
/// tested against this.
pub fn classify(is_cohort_month: bool, prev: i64, cur: i64) -> Option<&'static str> {
    Some(match (prev, cur) {
        (_, c) if c > 0 && is_cohort_month => NEW,
        (0, 0) => return None,
        (0, _) => REACTIVATION,
        (_, 0) => CHURN,
        (p, c) if c > p => EXPANSION,
        (p, c) if c < p => CONTRACTION,
        _ => FLAT,
    })
}

/// The movement of an active (MRR > 0) customer-month row with [`MONTH`],
/// [`COHORT_MONTH`], [`MRR`] and [`PREV_MRR`].
pub fn movement_expr() -> Expr {
    when(col(MONTH).eq(col(COHORT_MONTH)))
        .then(lit(NEW))
        .when(col(PREV_MRR).eq(lit(0)))
        .then(lit(REACTIVATION))
        .when(col(MRR).gt(col(PREV_MRR)))
        .then(lit(EXPANSION))
        .when(col(MRR).lt(col(PREV_MRR)))
        .then(lit(CONTRACTION))
        .otherwise(lit(FLAT))
}

/// Customer MRR per month in cents, only where it is above zero.
/// Input: subscription-month rows with [`CUSTOMER_ID`], [`MONTH`], [`CENTS`].
pub fn active_customer_months(sub_months: LazyFrame) -> LazyFrame {
    sub_months
        .group_by([col(CUSTOMER_ID), col(MONTH)])
        .agg([col(CENTS).sum().alias(MRR)])
        .filter(col(MRR).gt(lit(0)))
}

/// The customer_months table (working types): every customer-month with
/// MRR > 0 or prev MRR > 0 inside the timeline, with its cohort and movement.
pub fn customer_months(active: LazyFrame, timeline: Timeline) -> Result<DataFrame> {
    // `n` rows back (forward for negative n) is the same customer `n` months earlier.
    let adjacent = |n: i64| {
        col(CUSTOMER_ID)
            .eq(col(CUSTOMER_ID).shift(lit(n)))
            .and(col(MONTH).shift(lit(n)).eq(col(MONTH) - lit(n as i32)))
            .fill_null(lit(false))
    };
    let sorted = active.sort([CUSTOMER_ID, MONTH], Default::default()).with_columns([
        col(MONTH).min().over([col(CUSTOMER_ID)])?.alias(COHORT_MONTH),
        when(adjacent(1))
            .then(col(MRR).shift(lit(1)))
            .otherwise(lit(0_i64))
            .alias(PREV_MRR),
        adjacent(-1).alias("continues"),
    ]);
    let active_rows = sorted.clone().select([
        col(CUSTOMER_ID),
        col(MONTH),
        col(COHORT_MONTH),
        col(MRR),
        col(PREV_MRR),
        movement_expr().alias(MOVEMENT),
    ]);
    let churn_rows = sorted
        .filter(
            col("continues")
                .not()
                .and((col(MONTH) + lit(1)).lt_eq(lit(timeline.last.0))),
        )
        .select([
            col(CUSTOMER_ID),
            (col(MONTH) + lit(1)).alias(MONTH),
            col(COHORT_MONTH),
            lit(0_i64).cast(DataType::Int64).alias(MRR),
            col(MRR).alias(PREV_MRR),
            lit(CHURN).alias(MOVEMENT),
        ]);
    Ok(concat([active_rows, churn_rows], UnionArgs::default())?
        .sort([MONTH, CUSTOMER_ID], Default::default())
        .collect()?)
}

/// Additive columns of mrr_movements.
const BRIDGE_COLUMNS: [&str; 14] = [
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
    "mrr_end",
];

/// The mrr_movements table (working types) from customer_months stacked by
/// segment (see [`crate::segments::long`]); `grid` holds every
/// (month, segment_name, segment_value) to report, so quiet months show zeros.
pub fn bridge(long: LazyFrame, grid: LazyFrame) -> Result<DataFrame> {
    let is = |m: &str| col(MOVEMENT).eq(lit(m));
    let keys = [col(MONTH), col(SEGMENT_NAME), col(SEGMENT_VALUE)];
    let sums = long.group_by(keys.clone()).agg([
        count_if(col(PREV_MRR).gt(lit(0))).alias("customers_start"),
        count_if(col(MRR).gt(lit(0))).alias("customers_end"),
        count_if(is(NEW)).alias("customers_new"),
        count_if(is(REACTIVATION)).alias("customers_reactivated"),
        count_if(is(EXPANSION)).alias("customers_expanded"),
        count_if(is(CONTRACTION)).alias("customers_contracted"),
        count_if(is(CHURN)).alias("customers_churned"),
        col(PREV_MRR).sum().alias("mrr_start"),
        sum_if(is(NEW), col(MRR)).alias("mrr_new"),
        sum_if(is(REACTIVATION), col(MRR)).alias("mrr_reactivation"),
        sum_if(is(EXPANSION), col(MRR) - col(PREV_MRR)).alias("mrr_expansion"),
        sum_if(is(CONTRACTION), col(PREV_MRR) - col(MRR)).alias("mrr_contraction"),
        sum_if(is(CHURN), col(PREV_MRR)).alias("mrr_churn"),
        col(MRR).sum().alias("mrr_end"),
    ]);
    let start = || col("mrr_start");
    Ok(grid
        .join(sums, keys.clone(), keys, JoinArgs::new(JoinType::Left))
        .with_columns(zero_fill(&BRIDGE_COLUMNS))
        .with_columns([
            ratio(
                start() + col("mrr_expansion") - col("mrr_contraction") - col("mrr_churn"),
                start(),
            )
            .alias("nrr"),
            ratio(start() - col("mrr_contraction") - col("mrr_churn"), start()).alias("grr"),
        ])
        .collect()?)
}

/// Rows of `mrr_movements` (working types) whose bridge does not add up:
/// end ≠ start + new + reactivation + expansion − contraction − churn.
pub fn unreconciled(bridge: &DataFrame) -> Result<usize> {
    let gap = col("mrr_start") + col("mrr_new") + col("mrr_reactivation") + col("mrr_expansion")
        - col("mrr_contraction")
        - col("mrr_churn")
        - col("mrr_end");
    let n = bridge.clone().lazy().filter(gap.neq(lit(0_i64))).collect()?.height();
    Ok(n)
}

/// Checks that, for every month and segment column, the values' additive
/// columns sum to the totals row. Returns (pairs checked, pairs that differ).
pub fn segment_sum_mismatches(bridge: &DataFrame, segment_by: &[String]) -> Result<(usize, usize)> {
    let totals = bridge
        .clone()
        .lazy()
        .filter(col(SEGMENT_NAME).eq(lit(crate::segments::ALL)));
    let sums = bridge
        .clone()
        .lazy()
        .filter(col(SEGMENT_NAME).neq(lit(crate::segments::ALL)))
        .group_by([col(MONTH), col(SEGMENT_NAME)])
        .agg(
            BRIDGE_COLUMNS
                .iter()
                .map(|c| col(*c).sum().alias(format!("{c}_sum")))
                .collect::<Vec<_>>(),
        );
    let differs = BRIDGE_COLUMNS
        .iter()
        .map(|c| col(*c).neq(col(format!("{c}_sum"))))
        .reduce(|a, b| a.or(b))
        .expect("columns");
    let joined = sums
        .join(totals, [col(MONTH)], [col(MONTH)], JoinArgs::new(JoinType::Left))
        .collect()?;
    let mismatched = joined
        .clone()
        .lazy()
        .filter(differs.fill_null(lit(true)))
        .collect()?
        .height();
    debug_assert!(joined.height() <= segment_by.len() * bridge.column(MONTH)?.n_unique()?);
    Ok((joined.height(), mismatched))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Month;

    fn texts(frame: &DataFrame, column: &str) -> Vec<String> {
        frame
            .column(column)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .map(String::from)
            .collect()
    }

    #[test]
    fn classify_follows_the_table() {
        assert_eq!(classify(true, 0, 100), Some(NEW));
        assert_eq!(classify(false, 0, 100), Some(REACTIVATION));
        assert_eq!(classify(false, 100, 150), Some(EXPANSION));
        assert_eq!(classify(false, 150, 100), Some(CONTRACTION));
        assert_eq!(classify(false, 100, 0), Some(CHURN));
        assert_eq!(classify(false, 100, 100), Some(FLAT));
        assert_eq!(classify(false, 0, 0), None);
    }

    /// One customer active Jan–Feb, gone in March, back in April at a higher
    /// MRR; the timeline ends in May, so April's MRR churns in May.
    #[test]
    fn gaps_become_churn_then_reactivation() {
        let jan = Month::from_ym(2024, 1);
        let active = df!(
            CUSTOMER_ID => ["c1", "c1", "c1"],
            MONTH => [jan.0, jan.0 + 1, jan.0 + 3],
            MRR => [1000_i64, 1200, 1500],
        )
        .unwrap();
        let timeline = Timeline {
            first: jan,
            last: jan.plus(4),
        };
        let out = customer_months(active.lazy(), timeline).unwrap();
        let movements = texts(&out, MOVEMENT);
        assert_eq!(movements, ["new", "expansion", "churn", "reactivation", "churn"]);
        let prev: Vec<_> = out
            .column(PREV_MRR)
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(prev, [0, 1000, 1200, 0, 1500]);
        let months: Vec<_> = out.column(MONTH).unwrap().i32().unwrap().into_no_null_iter().collect();
        assert_eq!(months, [jan.0, jan.0 + 1, jan.0 + 2, jan.0 + 3, jan.0 + 4]);
    }

    #[test]
    fn no_churn_row_past_the_as_of_month() {
        let jan = Month::from_ym(2024, 1);
        let active = df!(CUSTOMER_ID => ["a"], MONTH => [jan.0], MRR => [500_i64]).unwrap();
        let out = customer_months(active.lazy(), Timeline { first: jan, last: jan }).unwrap();
        assert_eq!(out.height(), 1);
    }

    #[test]
    fn expression_agrees_with_classify() {
        let jan = Month::from_ym(2024, 1).0;
        let cases = [(true, 0, 5), (false, 0, 5), (false, 5, 9), (false, 9, 5), (false, 5, 5)];
        let frame = df!(
            MONTH => cases.iter().map(|c| if c.0 { jan } else { jan + 1 }).collect::<Vec<_>>(),
            COHORT_MONTH => vec![jan; cases.len()],
            PREV_MRR => cases.iter().map(|c| c.1).collect::<Vec<_>>(),
            MRR => cases.iter().map(|c| c.2).collect::<Vec<_>>(),
        )
        .unwrap();
        let got = frame
            .lazy()
            .select([movement_expr().alias(MOVEMENT)])
            .collect()
            .unwrap();
        let got = texts(&got, MOVEMENT);
        let want: Vec<_> = cases
            .iter()
            .map(|c| classify(c.0, c.1, c.2).unwrap().to_string())
            .collect();
        assert_eq!(got, want);
    }
}
