//! The worked examples of the NRR literature, run through the whole job.

use nrr::job;
use polars::prelude::*;

use crate::util::*;

/// The totals rows of `frame` for month `month` (first day).
fn totals_in(frame: &DataFrame, month: &str) -> DataFrame {
    frame
        .clone()
        .lazy()
        .filter(
            col("month")
                .eq(lit(date(month)))
                .and(col("segment_name").eq(lit("all"))),
        )
        .collect()
        .unwrap()
}

/// Two month-end snapshots for one month-over-month bridge.
fn bridge_case(rows: &[Row]) -> (DataFrame, DataFrame) {
    let dir = tempdir();
    let input = write(&dir.path().join("in/snapshots.parquet"), snapshot_frame(rows));
    let out = dir.path().join("out");
    job::run(&config(&input, &out, &[], None)).unwrap();
    let movements = read_table(&out, "mrr_movements");
    let summary = read_table(&out, "nrr_summary");
    (movements, summary)
}

/// $1M start, +$80K expansion, −$20K contraction, −$30K churn: NRR 103%, GRR 95%.
#[test]
fn one_million_start_gives_103_percent() {
    let rows = [
        ("2024-01-31", "a", "a1", 500_000.0),
        ("2024-01-31", "b", "b1", 200_000.0),
        ("2024-01-31", "c", "c1", 30_000.0),
        ("2024-01-31", "d", "d1", 270_000.0),
        ("2024-02-29", "a", "a1", 580_000.0),
        ("2024-02-29", "b", "b1", 180_000.0),
        ("2024-02-29", "d", "d1", 270_000.0),
    ];
    let (movements, summary) = bridge_case(&rows);
    let feb = totals_in(&movements, "2024-02-01");
    assert_eq!(cents(&feb, "mrr_start"), [100_000_000]);
    assert_eq!(cents(&feb, "mrr_expansion"), [8_000_000]);
    assert_eq!(cents(&feb, "mrr_contraction"), [2_000_000]);
    assert_eq!(cents(&feb, "mrr_churn"), [3_000_000]);
    assert_eq!(cents(&feb, "mrr_end"), [103_000_000]);
    assert_eq!(floats(&feb, "nrr"), [Some(1.03)]);
    assert_eq!(floats(&feb, "grr"), [Some(0.95)]);
    let w1 = summary
        .clone()
        .lazy()
        .filter(
            col("window_months")
                .eq(lit(1_i64))
                .and(col("segment_name").eq(lit("all"))),
        )
        .collect()
        .unwrap();
    assert_eq!(floats(&w1, "nrr"), [Some(1.03)]);
}

/// $1M start, +$200K, −$50K, −$100K: NRR 105%, GRR 85%; a new customer does not count.
#[test]
fn expansion_heavy_month_gives_105_percent() {
    let rows = [
        ("2024-01-31", "a", "a1", 600_000.0),
        ("2024-01-31", "b", "b1", 300_000.0),
        ("2024-01-31", "c", "c1", 100_000.0),
        ("2024-02-29", "a", "a1", 700_000.0),
        ("2024-02-29", "a", "a2", 100_000.0),
        ("2024-02-29", "b", "b1", 250_000.0),
        ("2024-02-29", "n", "n1", 999_999.99),
    ];
    let (movements, _) = bridge_case(&rows);
    let feb = totals_in(&movements, "2024-02-01");
    assert_eq!(floats(&feb, "nrr"), [Some(1.05)]);
    assert_eq!(floats(&feb, "grr"), [Some(0.85)]);
    assert_eq!(cents(&feb, "mrr_new"), [99_999_999]);
    assert_eq!(ints(&feb, "customers_new"), [1]);
}

/// A quarter: $10M base, +$1.5M, −$0.3M, −$0.7M net over three months: 3-month NRR 105%.
/// Moves inside the quarter (a dip that recovers, a late joiner) do not change it.
#[test]
fn quarter_window_counts_net_change_per_base_customer() {
    let mut rows = Vec::new();
    let months = ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"];
    // (customer, MRR per month)
    let paths: [(&str, [f64; 4]); 5] = [
        ("e", [5_000_000.0, 4_000_000.0, 6_000_000.0, 6_500_000.0]),
        ("f", [3_000_000.0, 3_000_000.0, 2_800_000.0, 2_700_000.0]),
        ("g", [700_000.0, 700_000.0, 0.0, 0.0]),
        ("h", [1_300_000.0, 1_300_000.0, 1_300_000.0, 1_300_000.0]),
        ("late", [0.0, 0.0, 50_000.0, 60_000.0]),
    ];
    for (customer, mrr) in &paths {
        for (m, v) in months.iter().zip(mrr) {
            if *v > 0.0 {
                rows.push((*m, *customer, *customer, *v));
            }
        }
    }
    let (_, summary) = bridge_case(&rows);
    let q = summary
        .clone()
        .lazy()
        .filter(
            col("window_months")
                .eq(lit(3_i64))
                .and(col("segment_name").eq(lit("all"))),
        )
        .collect()
        .unwrap();
    assert_eq!(q.height(), 1, "one 3-month window fits in four months");
    assert_eq!(cents(&q, "base_mrr"), [1_000_000_000]);
    assert_eq!(cents(&q, "expansion_mrr"), [150_000_000]);
    assert_eq!(cents(&q, "contraction_mrr"), [30_000_000]);
    assert_eq!(cents(&q, "churn_mrr"), [70_000_000]);
    assert_eq!(floats(&q, "nrr"), [Some(1.05)]);
    assert_eq!(floats(&q, "grr"), [Some(0.9)]);
    assert_eq!(ints(&q, "base_customers"), [4]);
    assert_eq!(ints(&q, "retained_customers"), [3]);
}
