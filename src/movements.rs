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
//! Only customer-months with MRR > 0 or prev > 0 exist in the ledger (see
//! [`crate::ledger`]): a gap in a customer's active months is a churn in the
//! month after the last active one and a reactivation in the next active month.

use polars::prelude::*;

use crate::ledger::Ledger;
use crate::month_close::Timeline;
use crate::segments::{key_columns, Keys, ALL};
use crate::tables::{MONTH, SEGMENT_NAME, SEGMENT_VALUE};
use crate::Result;

/// A customer-month's movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Movement {
    /// The cohort month.
    New,
    /// Back from zero after the cohort month.
    Reactivation,
    /// MRR went up.
    Expansion,
    /// MRR went down but not to zero.
    Contraction,
    /// MRR went to zero.
    Churn,
    /// MRR unchanged and above zero.
    Flat,
}

impl Movement {
    /// Every movement, in discriminant order.
    pub const ALL: [Movement; 6] = [
        Movement::New,
        Movement::Reactivation,
        Movement::Expansion,
        Movement::Contraction,
        Movement::Churn,
        Movement::Flat,
    ];

    /// The name written in customer_months.movement.
    pub fn name(self) -> &'static str {
        match self {
            Movement::New => "new",
            Movement::Reactivation => "reactivation",
            Movement::Expansion => "expansion",
            Movement::Contraction => "contraction",
            Movement::Churn => "churn",
            Movement::Flat => "flat",
        }
    }
}

/// The movement of one customer-month; `None` when both months are zero (no row).
pub fn classify(is_cohort_month: bool, prev: i64, cur: i64) -> Option<Movement> {
    Some(match (prev, cur) {
        (_, c) if c > 0 && is_cohort_month => Movement::New,
        (0, 0) => return None,
        (0, _) => Movement::Reactivation,
        (_, 0) => Movement::Churn,
        (p, c) if c > p => Movement::Expansion,
        (p, c) if c < p => Movement::Contraction,
        _ => Movement::Flat,
    })
}

/// Additive columns of mrr_movements, in order: 7 counts, then 7 money columns.
pub const BRIDGE_COLUMNS: [&str; 14] = [
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

/// One ledger row's contribution to the bridge, in [`BRIDGE_COLUMNS`] order.
fn contribution(prev: i64, mrr: i64, movement: Movement) -> [i64; 14] {
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
        amount(Movement::Expansion, mrr - prev),
        amount(Movement::Contraction, prev - mrr),
        amount(Movement::Churn, prev),
        mrr,
    ]
}

/// The mrr_movements table (working types): a row for every month and key
/// from the key's first month on; quiet months show zeros.
pub fn bridge(ledger: &Ledger, keys: &Keys, timeline: Timeline) -> Result<DataFrame> {
    let (months, nk, first) = (timeline.len(), keys.len(), timeline.first.0);
    let mut acc = vec![[0_i64; 14]; months * nk];
    let mut ks = Vec::new();
    for c in 0..ledger.customers() {
        keys.of(ledger, c, &mut ks);
        for r in ledger.rows_of(c) {
            let rows = &ledger.rows;
            let add = contribution(rows.prev[r], rows.mrr[r], rows.movement[r]);
            let m = (rows.month[r] - first) as usize;
            for k in &ks {
                let cell = &mut acc[m * nk + k];
                for (a, v) in cell.iter_mut().zip(add) {
                    *a += v;
                }
            }
        }
    }
    let (mut month_col, mut key_rows, mut values) = (Vec::new(), Vec::new(), vec![Vec::new(); 14]);
    for m in 0..months {
        let month = first + m as i32;
        for k in (0..nk).filter(|k| keys.first[*k] <= month) {
            month_col.push(month);
            key_rows.push(k);
            for (col, v) in values.iter_mut().zip(acc[m * nk + k]) {
                col.push(v);
            }
        }
    }
    let (names, vals) = key_columns(keys, &key_rows);
    let start = &values[7];
    let (expansion, contraction, churn) = (&values[10], &values[11], &values[12]);
    let nrr: Vec<Option<f64>> = (0..month_col.len())
        .map(|i| crate::windows::nrr(start[i], expansion[i], contraction[i], churn[i]))
        .collect();
    let grr: Vec<Option<f64>> = (0..month_col.len())
        .map(|i| crate::windows::grr(start[i], contraction[i], churn[i]))
        .collect();
    let mut columns = vec![
        Column::new(MONTH.into(), month_col),
        Column::new(SEGMENT_NAME.into(), names),
        Column::new(SEGMENT_VALUE.into(), vals),
    ];
    columns.extend(
        BRIDGE_COLUMNS
            .iter()
            .zip(values)
            .map(|(n, v)| Column::new((*n).into(), v)),
    );
    columns.push(Column::new("nrr".into(), nrr));
    columns.push(Column::new("grr".into(), grr));
    Ok(DataFrame::new_infer_height(columns)?)
}

/// `numerator / denominator`, `None` where the denominator is 0.
pub fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Rows of `mrr_movements` (working types) whose bridge does not add up:
/// end ≠ start + new + reactivation + expansion − contraction − churn.
pub fn unreconciled(bridge: &DataFrame) -> Result<usize> {
    let gap = col("mrr_start") + col("mrr_new") + col("mrr_reactivation") + col("mrr_expansion")
        - col("mrr_contraction")
        - col("mrr_churn")
        - col("mrr_end");
    Ok(bridge.clone().lazy().filter(gap.neq(lit(0_i64))).collect()?.height())
}

/// Checks that, for every month and segment column, the values' additive
/// columns sum to the totals row. Returns (pairs checked, pairs that differ).
pub fn segment_sum_mismatches(bridge: &DataFrame) -> Result<(usize, usize)> {
    let totals = bridge.clone().lazy().filter(col(SEGMENT_NAME).eq(lit(ALL)));
    let sums = bridge
        .clone()
        .lazy()
        .filter(col(SEGMENT_NAME).neq(lit(ALL)))
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
    Ok((joined.height(), mismatched))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshots::{CENTS, CUSTOMER_ID, SUBSCRIPTION_ID};
    use crate::Month;

    #[test]
    fn classify_follows_the_table() {
        use Movement::*;
        assert_eq!(classify(true, 0, 100), Some(New));
        assert_eq!(classify(false, 0, 100), Some(Reactivation));
        assert_eq!(classify(false, 100, 150), Some(Expansion));
        assert_eq!(classify(false, 150, 100), Some(Contraction));
        assert_eq!(classify(false, 100, 0), Some(Churn));
        assert_eq!(classify(false, 100, 100), Some(Flat));
        assert_eq!(classify(false, 0, 0), None);
    }

    fn ledger(rows: &[(&str, i32, i64)], last: Month) -> (crate::ledger::Ledger, Timeline) {
        let frame = df!(
            CUSTOMER_ID => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            SUBSCRIPTION_ID => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            crate::snapshots::MONTH => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            CENTS => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        )
        .unwrap();
        let first = Month(rows.iter().map(|r| r.1).min().unwrap());
        let timeline = Timeline { first, last };
        (crate::ledger::build(&frame, timeline, &[]).unwrap(), timeline)
    }

    /// One customer active Jan–Feb, gone in March, back in April at a higher
    /// MRR; the timeline ends in May, so April's MRR churns in May.
    #[test]
    fn gaps_become_churn_then_reactivation() {
        let jan = Month::from_ym(2024, 1);
        let (l, _) = ledger(
            &[("c1", jan.0, 1000), ("c1", jan.0 + 1, 1200), ("c1", jan.0 + 3, 1500)],
            jan.plus(4),
        );
        let names: Vec<_> = l.rows.movement.iter().map(|m| m.name()).collect();
        assert_eq!(names, ["new", "expansion", "churn", "reactivation", "churn"]);
        assert_eq!(l.rows.prev, [0, 1000, 1200, 0, 1500]);
        assert_eq!(l.rows.month, [jan.0, jan.0 + 1, jan.0 + 2, jan.0 + 3, jan.0 + 4]);
    }

    #[test]
    fn no_churn_row_past_the_as_of_month_and_no_row_for_zero_customers() {
        let jan = Month::from_ym(2024, 1);
        let (l, _) = ledger(&[("a", jan.0, 500), ("trial", jan.0, 0)], jan);
        assert_eq!(l.rows.month.len(), 1);
        assert_eq!(l.names, ["a"]);
    }

    #[test]
    fn bridge_sums_rows_into_months() {
        let jan = Month::from_ym(2024, 1);
        let (l, timeline) = ledger(
            &[("a", jan.0, 500), ("a", jan.0 + 1, 700), ("b", jan.0 + 1, 100)],
            jan.plus(1),
        );
        let keys = Keys::new(&l, timeline);
        let b = bridge(&l, &keys, timeline).unwrap();
        let col = |n: &str| {
            b.column(n)
                .unwrap()
                .i64()
                .unwrap()
                .into_no_null_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(col("mrr_end"), [500, 800]);
        assert_eq!(col("mrr_expansion"), [0, 200]);
        assert_eq!(col("mrr_new"), [500, 100]);
        assert_eq!(unreconciled(&b).unwrap(), 0);
    }
}
