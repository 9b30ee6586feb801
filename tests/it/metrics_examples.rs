//! The worked examples of docs/METRICS.md, each built as Parquet snapshots,
//! run through the whole job and checked against the page's numbers.
//!
//! Money is compared in cents, ratios as the `f64` quotient of the page's
//! amounts (which is the quotient of their cents: both are the correctly
//! rounded value of the same fraction).

use std::path::PathBuf;

use nrr::job;
use polars::prelude::*;

use crate::util::*;

/// Writes `frame` (and `fx`, if any) as Parquet, runs the whole job and
/// returns the temp dir (keep it alive) and the output root.
fn run_job(
    frame: DataFrame,
    segment_by: &[&str],
    fx: Option<DataFrame>,
    as_of: Option<&str>,
) -> (tempfile::TempDir, PathBuf) {
    let dir = tempdir();
    let input = write(&dir.path().join("in/snapshots.parquet"), frame);
    let fx = fx.map(|rates| write(&dir.path().join("fx/rates.parquet"), rates));
    let out = dir.path().join("out");
    let mut cfg = config(&input, &out, segment_by, fx.as_deref());
    if let Some(month) = as_of {
        cfg.engine.as_of = nrr::Month::parse(month);
        assert!(cfg.engine.as_of.is_some(), "bad --as-of {month}");
    }
    job::run(&cfg).unwrap();
    (dir, out)
}

/// `frame` with a text column added (one value per row, nulls allowed).
fn with_text(mut frame: DataFrame, name: &str, values: &[Option<&str>]) -> DataFrame {
    assert_eq!(values.len(), frame.height(), "{name}: one value per row");
    frame.with_column(Column::new(name.into(), values.to_vec())).unwrap();
    frame
}

/// A DATE column as ISO dates (`2024-01-01`).
fn dates(frame: &DataFrame, column: &str) -> Vec<String> {
    let days = frame.column(column).unwrap().cast(&DataType::Int32).unwrap();
    days.i32()
        .unwrap()
        .into_no_null_iter()
        .map(|d| nrr::month::epoch_days_to_date(d).unwrap().to_string())
        .collect()
}

/// Every day from `first` through `last`, as ISO dates.
fn days_between(first: &str, last: &str) -> Vec<String> {
    let (mut day, last) = (date(first), date(last));
    let mut out = Vec::new();
    while day <= last {
        out.push(day.to_string());
        day = day.succ_opt().unwrap();
    }
    out
}

/// Month-end rows from each customer's MRR per month (one subscription per
/// customer, named like the customer); an MRR of 0 writes no row.
fn month_end_rows<'a, const N: usize>(ends: [&'a str; N], paths: &[(&'a str, [f64; N])]) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    for (customer, mrr) in paths {
        for (day, value) in ends.iter().zip(mrr) {
            if *value > 0.0 {
                rows.push((*day, *customer, *customer, *value));
            }
        }
    }
    rows
}

/// Rows of `frame` in `month` (first day) for one segment key.
fn key_rows(frame: &DataFrame, month: &str, name: &str, value: &str) -> DataFrame {
    frame
        .clone()
        .lazy()
        .filter(
            col("month")
                .eq(lit(date(month)))
                .and(col("segment_name").eq(lit(name)))
                .and(col("segment_value").eq(lit(value))),
        )
        .collect()
        .unwrap()
}

/// The totals rows of `frame` (all months).
fn totals(frame: &DataFrame) -> DataFrame {
    filter_eq(frame, "segment_name", lit("all"))
}

// ---------------------------------------------------------------------------
// Section 1. Month close
// ---------------------------------------------------------------------------

/// METRICS.md section 1 (month close), the example with daily snapshots and
/// statuses, January–February 2024: s1 (c1) 100.00 every day; s2 (c1) 40.00
/// until 2024-01-17 only; s3 (c2) 25.00 `TRIALING` in January, `active` in
/// February. close(Jan) = 01-31, close(Feb) = 02-29; c1 = 100.00 in both
/// months; c2 = 0 in January (not active) and 25.00 in February, its cohort month.
#[test]
fn section1_month_close_daily_snapshots_with_statuses() {
    let jan = days_between("2024-01-01", "2024-01-31");
    let feb = days_between("2024-02-01", "2024-02-29");
    let s2_days = days_between("2024-01-01", "2024-01-17");
    let mut rows: Vec<Row> = Vec::new();
    let mut status: Vec<Option<&str>> = Vec::new();
    for day in jan.iter().chain(feb.iter()) {
        rows.push((day.as_str(), "c1", "s1", 100.0));
        status.push(Some("active"));
    }
    for day in s2_days.iter() {
        rows.push((day.as_str(), "c1", "s2", 40.0));
        status.push(Some("active"));
    }
    for day in jan.iter() {
        rows.push((day.as_str(), "c2", "s3", 25.0));
        status.push(Some("TRIALING"));
    }
    for day in feb.iter() {
        rows.push((day.as_str(), "c2", "s3", 25.0));
        status.push(Some("active"));
    }
    let frame = with_text(snapshot_frame(&rows), "status", &status);
    let (_dir, out) = run_job(frame, &[], None, None);

    // c2 has no January row: prev = cur = 0 there.
    let cm = read_table(&out, "customer_months");
    assert_eq!(dates(&cm, "month"), ["2024-01-01", "2024-02-01", "2024-02-01"]);
    assert_eq!(strings(&cm, "customer_id"), ["c1", "c1", "c2"]);
    assert_eq!(cents(&cm, "mrr"), [10_000, 10_000, 2_500]);
    assert_eq!(cents(&cm, "prev_mrr"), [0, 10_000, 0]);
    assert_eq!(strings(&cm, "movement"), ["new", "flat", "new"]);
    assert_eq!(
        dates(&cm, "cohort_month"),
        ["2024-01-01", "2024-01-01", "2024-02-01"],
        "February is c2's cohort month"
    );

    let movements = totals(&read_table(&out, "mrr_movements"));
    assert_eq!(dates(&movements, "month"), ["2024-01-01", "2024-02-01"]);
    // January: c1 = 100.00 + 0 (s2 has no row on 01-31); c2 = 0 (TRIALING).
    assert_eq!(ints(&movements, "customers_end"), [1, 2]);
    assert_eq!(cents(&movements, "mrr_end"), [10_000, 12_500]);
    assert_eq!(cents(&movements, "mrr_new"), [10_000, 2_500]);
    assert_eq!(ints(&movements, "customers_new"), [1, 1]);
    assert_eq!(cents(&movements, "mrr_churn"), [0, 0]);
}

/// METRICS.md section 1 (month close), the late-row example: one row dated
/// 2024-02-29 while all other rows stop on 2024-02-28 makes close(Feb) =
/// 2024-02-29, and every subscription without a row that day counts 0 in
/// February. The partial-close check stops such a run (1 subscription on the
/// close day against 2 the day before, 50% fewer); `--max-close-drop 1` lets it through.
#[test]
fn section1_one_late_row_moves_close_for_everyone() {
    let rows = [
        ("2024-01-31", "c1", "s1", 100.0),
        ("2024-01-31", "c2", "s2", 50.0),
        ("2024-02-28", "c1", "s1", 100.0),
        ("2024-02-28", "c2", "s2", 50.0),
        ("2024-02-29", "c1", "s1", 100.0),
    ];
    let dir = tempdir();
    let input = write(&dir.path().join("in/snapshots.parquet"), snapshot_frame(&rows));
    let Err(err) = job::run(&config(&input, &dir.path().join("out"), &[], None)) else {
        panic!("a partial close day ran");
    };
    assert!(
        err.to_string()
            .contains("2024-02: the close day 2024-02-29 has 1 counted"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());

    let dir = tempdir();
    let input = write(&dir.path().join("in/snapshots.parquet"), snapshot_frame(&rows));
    let out = dir.path().join("out");
    let mut cfg = config(&input, &out, &[], None);
    cfg.engine.close.max_drop = Some(1.0);
    job::run(&cfg).unwrap();

    let cm = filter_eq(&read_table(&out, "customer_months"), "month", lit(date("2024-02-01")));
    assert_eq!(strings(&cm, "customer_id"), ["c1", "c2"]);
    assert_eq!(cents(&cm, "mrr"), [10_000, 0], "s2's 02-28 row is not on close(Feb)");
    assert_eq!(cents(&cm, "prev_mrr"), [10_000, 5_000]);
    assert_eq!(strings(&cm, "movement"), ["flat", "churn"]);

    let feb = key_rows(&read_table(&out, "mrr_movements"), "2024-02-01", "all", "all");
    assert_eq!(cents(&feb, "mrr_end"), [10_000]);
    assert_eq!(cents(&feb, "mrr_churn"), [5_000]);
}

// ---------------------------------------------------------------------------
// Section 2. Money
// ---------------------------------------------------------------------------

/// METRICS.md section 2 (money), the March 2024 example: FX file with
/// EUR = 1.08255 for 2024-03 and no GBP rate; A EUR 100.00 → 108.26 (a tie,
/// rounded up), B EUR 49.99 → 54.12, C USD 19.99 → 19.99, D GBP 30.00
/// `Paused` → 0 (needs no rate). Customer MRR(Mar) = 18,237 cents = 182.37.
#[test]
fn section2_march_2024_eur_usd_gbp_example() {
    let rows = [
        ("2024-03-31", "c", "A", 100.00),
        ("2024-03-31", "c", "B", 49.99),
        ("2024-03-31", "c", "C", 19.99),
        ("2024-03-31", "c", "D", 30.00),
    ];
    let frame = with_text(
        snapshot_frame(&rows),
        "currency",
        &[Some("EUR"), Some("EUR"), Some("USD"), Some("GBP")],
    );
    let frame = with_text(
        frame,
        "status",
        &[Some("active"), Some("active"), Some("active"), Some("Paused")],
    );
    let rates = DataFrame::new_infer_height(vec![
        Column::new("month".into(), [nrr::month::date_to_epoch_days(date("2024-03-01"))])
            .cast(&DataType::Date)
            .unwrap(),
        Column::new("currency".into(), ["EUR"]),
        Column::new("rate".into(), [1.08255_f64]),
    ])
    .unwrap();
    // The run succeeds although D is in GBP and there is no GBP rate.
    let (_dir, out) = run_job(frame, &[], Some(rates), None);

    // 10,826 + 5,412 + 1,999 + 0. Converting the EUR total once (16,237) or
    // using the binary rate (10,825 for A) would both give 18,236.
    let cm = read_table(&out, "customer_months");
    assert_eq!(dates(&cm, "month"), ["2024-03-01"]);
    assert_eq!(strings(&cm, "customer_id"), ["c"]);
    assert_eq!(cents(&cm, "mrr"), [10_826 + 5_412 + 1_999]);
    assert_eq!(cents(&cm, "mrr"), [18_237]);

    let mar = key_rows(&read_table(&out, "mrr_movements"), "2024-03-01", "all", "all");
    assert_eq!(cents(&mar, "mrr_new"), [18_237]);
    assert_eq!(cents(&mar, "mrr_end"), [18_237]);
}

/// The METRICS.md section 2a data: A EUR 100 flat, B EUR 200 → 250, C GBP 80
/// flat, D USD 50 then gone; EUR 1.10, 1.20, 1.25 and GBP 1.25, 1.30, 1.30 in
/// January, February and March 2024.
fn section2a_run() -> (tempfile::TempDir, PathBuf) {
    let ends = ["2024-01-31", "2024-02-29", "2024-03-31"];
    let mut rows: Vec<Row> = Vec::new();
    let mut currency = Vec::new();
    for (customer, cur, amounts) in [
        ("A", "EUR", [100.0, 100.0, 100.0]),
        ("B", "EUR", [200.0, 250.0, 250.0]),
        ("C", "GBP", [80.0, 80.0, 80.0]),
        ("D", "USD", [50.0, 0.0, 0.0]),
    ] {
        for (day, amount) in ends.iter().zip(amounts) {
            if amount > 0.0 {
                rows.push((day, customer, customer, amount));
                currency.push(Some(cur));
            }
        }
    }
    let frame = with_text(snapshot_frame(&rows), "currency", &currency);
    let month = |d: &str| nrr::month::date_to_epoch_days(date(d));
    let rates = DataFrame::new_infer_height(vec![
        Column::new(
            "month".into(),
            ["2024-01-01", "2024-02-01", "2024-03-01"]
                .repeat(2)
                .iter()
                .map(|d| month(d))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)
        .unwrap(),
        Column::new("currency".into(), ["EUR", "EUR", "EUR", "GBP", "GBP", "GBP"]),
        Column::new("rate".into(), [1.10, 1.20, 1.25, 1.25, 1.30, 1.30]),
    ])
    .unwrap();
    run_job(frame, &[], Some(rates), None)
}

/// METRICS.md section 2a (constant currency), February: A and C are flat with
/// FX 10.00 and 4.00; B expands by 250 × 1.10 − 220.00 = 55.00 with FX 25.00;
/// D churns 50.00. Bridge 480.00 + 55.00 − 50.00 + 39.00 = 524.00; nrr 485/480,
/// grr 430/480, nrr_with_fx 524/480. March: all flat, FX 5.00 + 12.50 + 0 = 17.50.
#[test]
fn section2a_fx_is_its_own_line() {
    let (_dir, out) = section2a_run();
    let cm = filter_eq(&read_table(&out, "customer_months"), "month", lit(date("2024-02-01")));
    assert_eq!(strings(&cm, "customer_id"), ["A", "B", "C", "D"]);
    assert_eq!(strings(&cm, "movement"), ["flat", "expansion", "flat", "churn"]);
    assert_eq!(cents(&cm, "mrr"), [12_000, 30_000, 10_400, 0]);
    assert_eq!(cents(&cm, "prev_mrr"), [11_000, 22_000, 10_000, 5_000]);
    assert_eq!(cents(&cm, "fx_mrr"), [1_000, 2_500, 400, 0]);

    let mm = read_table(&out, "mrr_movements");
    let feb = key_rows(&mm, "2024-02-01", "all", "all");
    assert_eq!(cents(&feb, "mrr_start"), [48_000]);
    assert_eq!(cents(&feb, "mrr_expansion"), [5_500]);
    assert_eq!(cents(&feb, "mrr_contraction"), [0]);
    assert_eq!(cents(&feb, "mrr_churn"), [5_000]);
    assert_eq!(cents(&feb, "mrr_fx"), [3_900]);
    assert_eq!(cents(&feb, "mrr_end"), [52_400]);
    assert_eq!(ints(&feb, "customers_expanded"), [1]);
    assert_eq!(floats(&feb, "nrr"), [Some(485.0 / 480.0)]);
    assert_eq!(floats(&feb, "grr"), [Some(430.0 / 480.0)]);
    assert_eq!(floats(&feb, "nrr_with_fx"), [Some(524.0 / 480.0)]);

    let mar = key_rows(&mm, "2024-03-01", "all", "all");
    assert_eq!(cents(&mar, "mrr_fx"), [1_750]);
    assert_eq!(cents(&mar, "mrr_expansion"), [0]);
    assert_eq!(cents(&mar, "mrr_end"), [54_150]);
    assert_eq!(floats(&mar, "nrr"), [Some(1.0)]);
    assert_eq!(floats(&mar, "nrr_with_fx"), [Some(541.5 / 524.0)]);
}

/// METRICS.md section 2a: the 1-month window at February equals the bridge
/// (base 480.00, retained 485.00, FX 39.00, gross 430.00), and the January
/// cohort at March is valued at January's rates: 485.00 of 480.00, grr 430/480,
/// while `mrr` (541.50) and nrr_with_fx 541.5/480 are at actual rates.
#[test]
fn section2a_windows_and_cohorts_at_the_base_months_rates() {
    let (_dir, out) = section2a_run();
    let w = read_table(&out, "nrr_summary");
    let w1 = filter_eq(&key_rows(&w, "2024-02-01", "all", "all"), "window_months", lit(1_i64));
    assert_eq!(cents(&w1, "base_mrr"), [48_000]);
    assert_eq!(cents(&w1, "expansion_mrr"), [5_500]);
    assert_eq!(cents(&w1, "churn_mrr"), [5_000]);
    assert_eq!(cents(&w1, "retained_mrr"), [48_500]);
    assert_eq!(cents(&w1, "fx_mrr"), [3_900]);
    assert_eq!(cents(&w1, "gross_retained_mrr"), [43_000]);
    assert_eq!(floats(&w1, "nrr"), [Some(485.0 / 480.0)]);
    assert_eq!(floats(&w1, "nrr_with_fx"), [Some(524.0 / 480.0)]);

    // The audit trail: March's FX impacts against January's (cohort) rates.
    let march = filter_eq(&read_table(&out, "customer_months"), "month", lit(date("2024-03-01")));
    assert_eq!(strings(&march, "customer_id"), ["A", "B", "C"]);
    assert_eq!(cents(&march, "fx_mrr"), [500, 1_250, 0]);
    assert_eq!(cents(&march, "fx_mrr_cohort"), [1_500, 3_750, 400]);
    assert_eq!(cents(&march, "fx_mrr_3m"), [0, 0, 0]);

    let matrix = read_table(&out, "cohort_matrix");
    let k2 = filter_eq(
        &key_rows(&matrix, "2024-03-01", "all", "all"),
        "months_since_cohort",
        lit(2_i64),
    );
    assert_eq!(cents(&k2, "cohort_mrr"), [48_000]);
    assert_eq!(cents(&k2, "mrr"), [54_150]);
    assert_eq!(cents(&k2, "mrr_fx"), [1_750]);
    assert_eq!(floats(&k2, "nrr"), [Some(485.0 / 480.0)]);
    assert_eq!(floats(&k2, "grr"), [Some(430.0 / 480.0)]);
    assert_eq!(floats(&k2, "nrr_with_fx"), [Some(541.5 / 480.0)]);
    let wide = read_table(&out, "nrr_matrix_wide");
    let jan = filter_eq(&wide, "segment_name", lit("all"));
    assert_eq!(
        floats(&jan, "m02")[0],
        Some(485.0 / 480.0),
        "the wide matrix shows constant-currency NRR"
    );
}

/// Runs one snapshot row with the given `mrr` column (reporting currency,
/// no currency column) and returns its customer MRR in cents.
fn one_row_cents(mrr: Column) -> i64 {
    let mut frame = snapshot_frame(&[("2024-01-31", "c", "s", 0.0)]);
    frame.with_column(mrr).unwrap();
    let (_dir, out) = run_job(frame, &[], None, None);
    let got = cents(&read_table(&out, "customer_months"), "mrr");
    assert_eq!(got.len(), 1, "one customer-month");
    got[0]
}

/// METRICS.md section 2 (money), reading and rounding: `19.99` (float) → **19.99**.
#[test]
fn section2_float_19_99_reads_as_19_99() {
    assert_eq!(one_row_cents(Column::new("mrr".into(), [19.99_f64])), 1_999);
}

/// METRICS.md section 2 (money), reading and rounding: `10.005` (float) is
/// read as 10.005, ×1 is a tie, rounded away from zero → **10.01**.
#[test]
fn section2_float_10_005_rounds_to_10_01() {
    assert_eq!(one_row_cents(Column::new("mrr".into(), [10.005_f64])), 1_001);
}

/// METRICS.md section 2 (money), reading and rounding: `2.675` (float, stored
/// as 2.67499999999999982…) is read as 2.675, a tie → **2.68** (not 2.67).
#[test]
fn section2_float_2_675_rounds_to_2_68() {
    assert_eq!(one_row_cents(Column::new("mrr".into(), [2.675_f64])), 268);
}

/// METRICS.md section 2 (money), reading and rounding: `DECIMAL(18,3)`
/// 123.456 → **123.46**.
#[test]
fn section2_decimal_18_3_123_456_rounds_to_123_46() {
    let mrr = Int128Chunked::from_vec("mrr".into(), vec![123_456])
        .into_decimal(18, 3)
        .unwrap()
        .into_series()
        .into_column();
    assert_eq!(one_row_cents(mrr), 12_346);
}

/// METRICS.md section 2 (money), reading and rounding: integer `5` → **5.00**.
#[test]
fn section2_integer_5_is_5_00() {
    assert_eq!(one_row_cents(Column::new("mrr".into(), [5_i64])), 500);
}

// ---------------------------------------------------------------------------
// Section 4. Cohort and movements
// ---------------------------------------------------------------------------

/// Month-end rows of the section 4 customer: 100, 100, 150, 120, 0, 200.
/// May is a row with `mrr` 0, so that May has a snapshot (the timeline needs
/// one) and the customer is inactive that month.
fn section4_rows() -> Vec<Row<'static>> {
    vec![
        ("2024-01-31", "c", "s", 100.0),
        ("2024-02-29", "c", "s", 100.0),
        ("2024-03-31", "c", "s", 150.0),
        ("2024-04-30", "c", "s", 120.0),
        ("2024-05-31", "c", "s", 0.0),
        ("2024-06-30", "c", "s", 200.0),
    ]
}

/// METRICS.md section 4 (cohort and movements), the one-customer example,
/// timeline 2024-01 … 2024-06: new 100.00, flat 0.00, expansion 50.00,
/// contraction 30.00, churn 120.00, reactivation 200.00; MRR(June) = 200.00
/// and no July row (June is the as-of month).
#[test]
fn section4_one_customer_january_to_june() {
    let (_dir, out) = run_job(snapshot_frame(&section4_rows()), &[], None, None);
    let months = [
        "2024-01-01",
        "2024-02-01",
        "2024-03-01",
        "2024-04-01",
        "2024-05-01",
        "2024-06-01",
    ];

    let cm = read_table(&out, "customer_months");
    assert_eq!(dates(&cm, "month"), months);
    assert_eq!(cents(&cm, "prev_mrr"), [0, 10_000, 10_000, 15_000, 12_000, 0]);
    assert_eq!(cents(&cm, "mrr"), [10_000, 10_000, 15_000, 12_000, 0, 20_000]);
    assert_eq!(
        strings(&cm, "movement"),
        ["new", "flat", "expansion", "contraction", "churn", "reactivation"]
    );
    assert_eq!(dates(&cm, "cohort_month"), ["2024-01-01"; 6]);

    // The amount column of the page, month by month.
    let mm = totals(&read_table(&out, "mrr_movements"));
    assert_eq!(dates(&mm, "month"), months, "no July row");
    assert_eq!(cents(&mm, "mrr_new"), [10_000, 0, 0, 0, 0, 0]);
    assert_eq!(cents(&mm, "mrr_expansion"), [0, 0, 15_000 - 10_000, 0, 0, 0]);
    assert_eq!(cents(&mm, "mrr_contraction"), [0, 0, 0, 15_000 - 12_000, 0, 0]);
    assert_eq!(cents(&mm, "mrr_churn"), [0, 0, 0, 0, 12_000, 0]);
    assert_eq!(cents(&mm, "mrr_reactivation"), [0, 0, 0, 0, 0, 20_000]);
    assert_eq!(cents(&mm, "mrr_end"), [10_000, 10_000, 15_000, 12_000, 0, 20_000]);
    // Check: 100.00 + 0 + 50.00 − 30.00 − 120.00 + 200.00 = 200.00 = MRR(June).
    let bridge: i64 = cents(&mm, "mrr_new").iter().sum::<i64>() + cents(&mm, "mrr_expansion").iter().sum::<i64>()
        - cents(&mm, "mrr_contraction").iter().sum::<i64>()
        - cents(&mm, "mrr_churn").iter().sum::<i64>()
        + cents(&mm, "mrr_reactivation").iter().sum::<i64>();
    assert_eq!(bridge, 20_000);
    assert_eq!(ints(&mm, "customers_new"), [1, 0, 0, 0, 0, 0]);
    assert_eq!(ints(&mm, "customers_churned"), [0, 0, 0, 0, 1, 0]);
    assert_eq!(ints(&mm, "customers_reactivated"), [0, 0, 0, 0, 0, 1]);
}

/// METRICS.md section 4 (cohort and movements), the `--as-of 2024-04`
/// variant: the table ends at the April contraction row; no May churn row is
/// written, because May is outside the timeline.
#[test]
fn section4_as_of_april_writes_no_may_churn_row() {
    let (_dir, out) = run_job(snapshot_frame(&section4_rows()), &[], None, Some("2024-04"));
    let months = ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"];

    let cm = read_table(&out, "customer_months");
    assert_eq!(dates(&cm, "month"), months);
    assert_eq!(cents(&cm, "prev_mrr"), [0, 10_000, 10_000, 15_000]);
    assert_eq!(cents(&cm, "mrr"), [10_000, 10_000, 15_000, 12_000]);
    assert_eq!(strings(&cm, "movement"), ["new", "flat", "expansion", "contraction"]);
    assert!(!out.join("customer_months/month=2024-05-01").exists());

    let mm = totals(&read_table(&out, "mrr_movements"));
    assert_eq!(dates(&mm, "month"), months);
    assert_eq!(cents(&mm, "mrr_churn"), [0, 0, 0, 0]);
    assert_eq!(cents(&mm, "mrr_end"), [10_000, 10_000, 15_000, 12_000]);
}

// ---------------------------------------------------------------------------
// Section 5. Segments
// ---------------------------------------------------------------------------

/// The section 5 input (`--segment-by plan`, timeline 2024-01 … 2024-03, USD):
/// c1 has subscriptions 9 (120.00), 10 (120.00) and 11 (80.00), plans basic,
/// pro and team in January and February, all basic in March; c2 joins in
/// February with one subscription, plan null, 50.00.
fn section5_run() -> (tempfile::TempDir, PathBuf) {
    let rows = [
        ("2024-01-31", "c1", "9", 120.0),
        ("2024-01-31", "c1", "10", 120.0),
        ("2024-01-31", "c1", "11", 80.0),
        ("2024-02-29", "c1", "9", 120.0),
        ("2024-02-29", "c1", "10", 120.0),
        ("2024-02-29", "c1", "11", 80.0),
        ("2024-02-29", "c2", "20", 50.0),
        ("2024-03-31", "c1", "9", 120.0),
        ("2024-03-31", "c1", "10", 120.0),
        ("2024-03-31", "c1", "11", 80.0),
        ("2024-03-31", "c2", "20", 50.0),
    ];
    let plans = [
        Some("basic"),
        Some("pro"),
        Some("team"),
        Some("basic"),
        Some("pro"),
        Some("team"),
        None,
        Some("basic"),
        Some("basic"),
        Some("basic"),
        None,
    ];
    let frame = with_text(snapshot_frame(&rows), "plan", &plans);
    run_job(frame, &["plan"], None, None)
}

/// METRICS.md section 5 (segments): 9 and 10 tie at 120.00 and `"10"` <
/// `"9"` as text, so c1's plan is `pro`, and stays `pro` in March; c2's null
/// plan is `(unknown)`; c1's MRR is 320.00 every month; and the February
/// table: all 320.00 / 50.00 / 370.00, (unknown) 0.00 / 50.00 / 50.00,
/// pro 320.00 / 0.00 / 320.00 (mrr_start / mrr_new / mrr_end).
#[test]
fn section5_plan_tie_unknown_plan_and_february_table() {
    let (_dir, out) = section5_run();

    let cm = read_table(&out, "customer_months");
    assert_eq!(
        dates(&cm, "month"),
        ["2024-01-01", "2024-02-01", "2024-02-01", "2024-03-01", "2024-03-01"]
    );
    assert_eq!(strings(&cm, "customer_id"), ["c1", "c1", "c2", "c1", "c2"]);
    assert_eq!(strings(&cm, "plan"), ["pro", "pro", "(unknown)", "pro", "(unknown)"]);
    assert_eq!(cents(&cm, "mrr"), [32_000, 32_000, 5_000, 32_000, 5_000]);
    assert_eq!(dates(&cm, "cohort_month")[2], "2024-02-01", "c2's cohort month");

    let mm = read_table(&out, "mrr_movements");
    // The values are (all, all), (plan, (unknown)) and (plan, pro): never basic or team.
    let mut keys: Vec<(String, String)> = strings(&mm, "segment_name")
        .into_iter()
        .zip(strings(&mm, "segment_value"))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(
        keys,
        [
            ("all".to_string(), "all".to_string()),
            ("plan".to_string(), "(unknown)".to_string()),
            ("plan".to_string(), "pro".to_string()),
        ]
    );

    let feb = filter_eq(&mm, "month", lit(date("2024-02-01")));
    assert_eq!(strings(&feb, "segment_name"), ["all", "plan", "plan"]);
    assert_eq!(strings(&feb, "segment_value"), ["all", "(unknown)", "pro"]);
    assert_eq!(cents(&feb, "mrr_start"), [32_000, 0, 32_000]);
    assert_eq!(cents(&feb, "mrr_new"), [5_000, 5_000, 0]);
    assert_eq!(cents(&feb, "mrr_end"), [37_000, 5_000, 32_000]);
    // The segments add up to the totals: 0.00 + 320.00 = 320.00, 50.00 + 320.00 = 370.00.
    for column in ["mrr_start", "mrr_new", "mrr_end"] {
        let v = cents(&feb, column);
        assert_eq!(v[1] + v[2], v[0], "{column}");
    }
}

/// METRICS.md section 5 (segments): `mrr_movements` has 8 rows, because
/// (`plan`, `(unknown)`) is reported from its first month, February (c2's
/// cohort month), while the totals and `pro` start in January.
#[test]
fn section5_eight_mrr_movements_rows() {
    let (_dir, out) = section5_run();
    let mm = read_table(&out, "mrr_movements");
    assert_eq!(mm.height(), 8, "3 + 3 + 2: (unknown) is reported from February");
    let values = |month: &str| strings(&filter_eq(&mm, "month", lit(date(month))), "segment_value");
    assert_eq!(values("2024-01-01"), ["all", "pro"]);
    assert_eq!(values("2024-02-01"), ["all", "(unknown)", "pro"]);
    assert_eq!(values("2024-03-01"), ["all", "(unknown)", "pro"]);
    assert_eq!(key_rows(&mm, "2024-01-01", "plan", "(unknown)").height(), 0);
}

// ---------------------------------------------------------------------------
// Section 7. Trailing windows
// ---------------------------------------------------------------------------

/// METRICS.md section 7 (trailing windows), M = 2024-04, w = 3: A 100 → 130
/// (expansion 30), B 200 → 180 (contraction 20), C 50 → 0 (churn 50), D not
/// in the base (cohort Feb). base_customers 3, retained 2, base_mrr 350.00,
/// retained 310.00, gross retained 280.00, nrr 310/350, grr 280/350 = 0.8.
/// A's monthly bridges count expansion 70.00 and contraction 40.00.
#[test]
fn section7_three_month_window_at_april() {
    let rows = month_end_rows(
        ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"],
        &[
            ("A", [100.0, 60.0, 90.0, 130.0]),
            ("B", [200.0, 250.0, 150.0, 180.0]),
            ("C", [50.0, 0.0, 0.0, 0.0]),
            ("D", [0.0, 300.0, 300.0, 300.0]),
        ],
    );
    let (_dir, out) = run_job(snapshot_frame(&rows), &[], None, None);

    let summary = read_table(&out, "nrr_summary");
    let w3 = filter_eq(&totals(&summary), "window_months", lit(3_i64));
    assert_eq!(w3.height(), 1, "M−3 is in the timeline only for April");
    assert_eq!(dates(&w3, "month"), ["2024-04-01"]);
    assert_eq!(ints(&w3, "base_customers"), [3]);
    assert_eq!(ints(&w3, "retained_customers"), [2]);
    assert_eq!(cents(&w3, "base_mrr"), [10_000 + 20_000 + 5_000]);
    assert_eq!(cents(&w3, "base_mrr"), [35_000]);
    assert_eq!(cents(&w3, "expansion_mrr"), [3_000]);
    assert_eq!(cents(&w3, "contraction_mrr"), [2_000]);
    assert_eq!(cents(&w3, "churn_mrr"), [5_000]);
    assert_eq!(cents(&w3, "retained_mrr"), [31_000]);
    assert_eq!(cents(&w3, "gross_retained_mrr"), [28_000]);
    assert_eq!(floats(&w3, "nrr"), [Some(310.0 / 350.0)]);
    assert_eq!(floats(&w3, "grr"), [Some(0.8)]);

    // Month by month, A contracts 40.00 in February, then expands 30.00 and 40.00.
    let a = filter_eq(&read_table(&out, "customer_months"), "customer_id", lit("A"));
    assert_eq!(cents(&a, "mrr"), [10_000, 6_000, 9_000, 13_000]);
    assert_eq!(cents(&a, "prev_mrr"), [0, 10_000, 6_000, 9_000]);
    assert_eq!(
        strings(&a, "movement"),
        ["new", "contraction", "expansion", "expansion"]
    );
    let (mrr, prev) = (cents(&a, "mrr"), cents(&a, "prev_mrr"));
    let expansion: i64 = mrr[1..].iter().zip(&prev[1..]).map(|(c, p)| (c - p).max(0)).sum();
    let contraction: i64 = mrr[1..].iter().zip(&prev[1..]).map(|(c, p)| (p - c).max(0)).sum();
    assert_eq!((expansion, contraction), (7_000, 4_000));
}

// ---------------------------------------------------------------------------
// Section 8. Cohorts
// ---------------------------------------------------------------------------

/// METRICS.md section 8 (cohorts), cohort 2024-01, timeline 2024-01 …
/// 2024-04, A 100/120/0/80 and B 200/150/150/150: cohort_customers 2,
/// cohort_mrr 300.00; every column of the k = 0..3 rows of `cohort_matrix`;
/// the `nrr_matrix_wide` row m00 = 1, m01 = 0.9, m02 = 0.5, m03 = 230/300,
/// m04 … m36 null.
#[test]
fn section8_cohort_2024_01_matrix_and_wide_row() {
    let rows = month_end_rows(
        ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"],
        &[("A", [100.0, 120.0, 0.0, 80.0]), ("B", [200.0, 150.0, 150.0, 150.0])],
    );
    let (_dir, out) = run_job(snapshot_frame(&rows), &[], None, None);

    let cohort = read_table(&out, "cohort_matrix");
    assert_eq!(cohort.height(), 4, "one cohort, totals only, k = 0..3");
    assert_eq!(dates(&cohort, "cohort_month"), ["2024-01-01"; 4]);
    assert_eq!(ints(&cohort, "months_since_cohort"), [0, 1, 2, 3]);
    assert_eq!(
        dates(&cohort, "month"),
        ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]
    );
    assert_eq!(strings(&cohort, "segment_name"), ["all"; 4]);
    assert_eq!(strings(&cohort, "segment_value"), ["all"; 4]);
    assert_eq!(ints(&cohort, "cohort_customers"), [2; 4]);
    assert_eq!(cents(&cohort, "cohort_mrr"), [30_000; 4]);
    assert_eq!(ints(&cohort, "active_customers"), [2, 2, 1, 2]);
    assert_eq!(cents(&cohort, "mrr"), [30_000, 27_000, 15_000, 23_000]);
    assert_eq!(cents(&cohort, "mrr_expansion"), [0, 2_000, 0, 0]);
    assert_eq!(cents(&cohort, "mrr_contraction"), [0, 5_000, 0, 0]);
    assert_eq!(cents(&cohort, "mrr_churn"), [0, 0, 12_000, 0]);
    assert_eq!(cents(&cohort, "mrr_reactivation"), [0, 0, 0, 8_000]);
    assert_eq!(
        floats(&cohort, "nrr"),
        [
            Some(300.0 / 300.0),
            Some(270.0 / 300.0),
            Some(150.0 / 300.0),
            Some(230.0 / 300.0)
        ]
    );
    assert_eq!(
        floats(&cohort, "grr"),
        [
            Some((100.0 + 200.0) / 300.0),
            Some(250.0 / 300.0),
            Some(150.0 / 300.0),
            Some(230.0 / 300.0)
        ]
    );
    assert_eq!(
        floats(&cohort, "logo_retention"),
        [Some(1.0), Some(1.0), Some(0.5), Some(1.0)]
    );
    // The page's decimal forms of the same values.
    assert_eq!(floats(&cohort, "nrr")[..3], [Some(1.0), Some(0.9), Some(0.5)]);
    assert_eq!(floats(&cohort, "grr")[2], Some(0.5));
    // Bridge check: 300 + 20 − 50 = 270; 270 − 120 = 150; 150 + 80 = 230.
    let mrr = cents(&cohort, "mrr");
    let (exp, con) = (cents(&cohort, "mrr_expansion"), cents(&cohort, "mrr_contraction"));
    let (churn, react) = (cents(&cohort, "mrr_churn"), cents(&cohort, "mrr_reactivation"));
    for k in 1..4 {
        assert_eq!(mrr[k], mrr[k - 1] + exp[k] - con[k] - churn[k] + react[k], "k = {k}");
    }

    let wide = read_table(&out, "nrr_matrix_wide");
    assert_eq!(wide.height(), 1, "one cohort, totals only");
    assert_eq!(dates(&wide, "cohort_month"), ["2024-01-01"]);
    assert_eq!(strings(&wide, "segment_name"), ["all"]);
    assert_eq!(strings(&wide, "segment_value"), ["all"]);
    assert_eq!(ints(&wide, "cohort_customers"), [2]);
    assert_eq!(cents(&wide, "cohort_mrr"), [30_000]);
    assert_eq!(floats(&wide, "m00"), [Some(1.0)]);
    assert_eq!(floats(&wide, "m01"), [Some(0.9)]);
    assert_eq!(floats(&wide, "m02"), [Some(0.5)]);
    assert_eq!(floats(&wide, "m03"), [Some(230.0 / 300.0)]);
    for k in 4..=36 {
        let name = format!("m{k:02}");
        assert_eq!(floats(&wide, &name), [None], "{name} is after the as-of month");
    }
    assert!(wide.column("m37").is_err(), "the default horizon is 36");
}

/// `nrr explain` on the section 2a example: the cohort cell at March and
/// the 1-month window at February come back from customer_months with the
/// page's figures, and match their tables.
#[test]
fn section2a_explained_from_the_audit_trail() {
    use nrr::explain::{explain, Kind, Request};
    use nrr::io::published::Published;
    let (_dir, out) = section2a_run();
    let output = Published::open(&out.display().to_string(), &Default::default()).unwrap();
    let req = |month: &str, window, cohort: Option<&str>| Request {
        month: nrr::Month::parse(month).unwrap(),
        window,
        cohort: cohort.and_then(nrr::Month::parse),
        segment: None,
        top: 10,
    };
    let cell = explain(&output, &req("2024-03", None, Some("2024-01"))).unwrap();
    assert_eq!(cell.kind, Kind::Cohort);
    assert!(cell.matches, "{:?}", cell.mismatches);
    let term = |ex: &nrr::explain::Explanation, name: &str| ex.terms.iter().find(|t| t.term == name).unwrap().mrr;
    // At January's rates: 485.00 of 480.00; B's real expansion 55.00, D's churn 50.00.
    assert_eq!(term(&cell, "cohort"), 48_000);
    assert_eq!(term(&cell, "retained"), 48_500);
    assert_eq!(term(&cell, "expansion"), 5_500);
    assert_eq!(term(&cell, "churn"), 5_000);
    assert_eq!(term(&cell, "mrr"), 54_150);
    assert_eq!(term(&cell, "fx"), 15_00 + 37_50 + 4_00);
    assert_eq!(cell.nrr, Some(485.0 / 480.0));
    assert_eq!(cell.nrr_with_fx, Some(541.5 / 480.0));
    let fx = cell.contributors.iter().find(|c| c.term == "fx").unwrap();
    let ids: Vec<&str> = fx.top.iter().map(|c| c.customer_id.as_str()).collect();
    assert_eq!(ids, ["B", "A", "C"], "largest FX impact first");

    let w1 = explain(&output, &req("2024-02", Some(1), None)).unwrap();
    assert!(w1.matches);
    assert_eq!(
        (term(&w1, "base"), term(&w1, "retained"), term(&w1, "fx")),
        (48_000, 48_500, 3_900)
    );
    let monthly = explain(&output, &req("2024-02", None, None)).unwrap();
    assert!(monthly.matches);
    assert_eq!(term(&monthly, "end"), 52_400);
    assert_eq!((monthly.nrr, w1.nrr), (Some(485.0 / 480.0), Some(485.0 / 480.0)));
}
