//! Every kind of bad input: exit code 3, a message naming the file, column,
//! value and fix, and no output written.

use std::path::Path;

use polars::prelude::*;

use crate::util::*;

const GOOD: [Row; 3] = [
    ("2024-01-31", "c1", "s1", 100.0),
    ("2024-02-29", "c1", "s1", 120.0),
    ("2024-03-31", "c1", "s1", 120.0),
];

/// Runs the binary on `input`; asserts exit 3, that stderr holds every
/// fragment, and that nothing was written.
fn rejects(input: &Path, extra: &[&str], fragments: &[&str]) {
    let out = input.parent().unwrap().join("out");
    let mut args = vec![
        "run",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, _, stderr) = nrr(&args);
    assert_eq!(code, 3, "exit code; stderr: {stderr}");
    for fragment in fragments {
        assert!(stderr.contains(fragment), "stderr lacks {fragment:?}:\n{stderr}");
    }
    assert!(!out.exists(), "output was written despite bad input");
}

fn with_column(frame: DataFrame, column: Column) -> DataFrame {
    let mut frame = frame;
    frame.with_column(column).unwrap();
    frame
}

#[test]
fn missing_required_column() {
    let dir = tempdir();
    let frame = snapshot_frame(&GOOD).drop("mrr").unwrap();
    let file = write(&dir.path().join("in/a.parquet"), frame);
    rejects(
        &file,
        &[],
        &["a.parquet", "required column 'mrr' is missing", "[columns]"],
    );
}

#[test]
fn segment_column_in_no_file() {
    let dir = tempdir();
    let file = write(&dir.path().join("in/a.parquet"), snapshot_frame(&GOOD));
    rejects(
        &file,
        &["--segment-by", "plann"],
        &[
            "--segment-by column 'plann' is in no input file",
            "a.parquet",
            "snapshot_date",
        ],
    );
}

#[test]
fn wrongly_typed_column() {
    let dir = tempdir();
    let frame = with_column(snapshot_frame(&GOOD), Column::new("mrr".into(), ["100", "120", "120"]));
    let file = write(&dir.path().join("in/a.parquet"), frame);
    rejects(&file, &[], &["a.parquet", "column 'mrr' has type", "expected a number"]);
}

#[test]
fn null_customer_id() {
    let dir = tempdir();
    let frame = with_column(
        snapshot_frame(&GOOD),
        Column::new("customer_id".into(), [Some("c1"), None, Some("c1")]),
    );
    let file = write(&dir.path().join("in/a.parquet"), frame);
    rejects(
        &file,
        &[],
        &["a.parquet", "column 'customer_id' is null in 1 row(s)", "2024-02-29"],
    );
}

#[test]
fn null_snapshot_date() {
    let dir = tempdir();
    let dates = Column::new("snapshot_date".into(), [Some(19_753), None, Some(19_813)])
        .cast(&DataType::Date)
        .unwrap();
    let frame = with_column(snapshot_frame(&GOOD), dates);
    let file = write(&dir.path().join("in/a.parquet"), frame);
    rejects(&file, &[], &["a.parquet", "column 'snapshot_date' is null in 1 row(s)"]);
}

#[test]
fn negative_mrr() {
    let dir = tempdir();
    let mut rows = GOOD.to_vec();
    rows[1].3 = -5.5;
    let file = write(&dir.path().join("in/a.parquet"), snapshot_frame(&rows));
    rejects(
        &file,
        &[],
        &["a.parquet", "negative MRR -5.5", "subscription 's1' on 2024-02-29"],
    );
}

#[test]
fn duplicate_subscription_on_one_date() {
    let dir = tempdir();
    write(&dir.path().join("in/a.parquet"), snapshot_frame(&GOOD));
    write(
        &dir.path().join("in/b.parquet"),
        snapshot_frame(&[("2024-02-29", "c9", "s1", 5.0)]),
    );
    rejects(
        &dir.path().join("in"),
        &[],
        &[
            "subscription 's1' appears 2 times on 2024-02-29",
            "a.parquet",
            "b.parquet",
            "deduplicate",
        ],
    );
}

#[test]
fn currency_without_fx_rate() {
    let dir = tempdir();
    let frame = with_column(
        snapshot_frame(&GOOD),
        Column::new("currency".into(), ["USD", "EUR", "EUR"]),
    );
    let file = write(&dir.path().join("in/a.parquet"), frame);
    rejects(
        &file,
        &[],
        &["no FX rate for currency EUR in month 2024-02", "--fx-rates"],
    );

    // With a rates file that lacks March, the message points into that file.
    let rates = DataFrame::new_infer_height(vec![
        Column::new("month".into(), [19_754]).cast(&DataType::Date).unwrap(),
        Column::new("currency".into(), ["EUR"]),
        Column::new("rate".into(), [1.1]),
    ])
    .unwrap();
    let fx = write(&dir.path().join("fx.parquet"), rates);
    rejects(
        &file,
        &["--fx-rates", fx.to_str().unwrap()],
        &[
            "no FX rate for currency EUR in month 2024-03",
            "month = 2024-03-01",
            "fx.parquet",
        ],
    );
}

#[test]
fn gap_month() {
    let dir = tempdir();
    let rows = [GOOD[0], GOOD[2]];
    let file = write(&dir.path().join("in/a.parquet"), snapshot_frame(&rows));
    rejects(
        &file,
        &[],
        &["no snapshot in month 2024-02", "2024-01 to 2024-03", "--as-of"],
    );
}

#[test]
fn as_of_past_the_data_is_a_gap() {
    let dir = tempdir();
    let file = write(&dir.path().join("in/a.parquet"), snapshot_frame(&GOOD));
    rejects(&file, &["--as-of", "2024-05"], &["no snapshot in month 2024-04"]);
}

#[test]
fn empty_input() {
    let dir = tempdir();
    let file = write(&dir.path().join("in/a.parquet"), snapshot_frame(&[]));
    rejects(&file, &[], &["has no snapshot rows"]);
    let empty_dir = dir.path().join("nothing");
    fs_err::create_dir_all(&empty_dir).unwrap();
    rejects(&empty_dir, &[], &["no Parquet files found", "nothing"]);
}

#[test]
fn unreadable_parquet_file() {
    let dir = tempdir();
    write(&dir.path().join("in/good.parquet"), snapshot_frame(&GOOD));
    fs_err::write(dir.path().join("in/broken.parquet"), b"PAR1 this is not parquet").unwrap();
    rejects(
        &dir.path().join("in"),
        &[],
        &["cannot read Parquet file", "broken.parquet"],
    );
}

#[test]
fn as_of_before_the_first_snapshot_is_bad_usage() {
    let dir = tempdir();
    for (day, mrr) in [("2024-01-31", 1.0), ("2024-02-29", 2.0)] {
        let frame = snapshot_frame(&[(day, "c", "s", mrr)]).drop("snapshot_date").unwrap();
        write(&dir.path().join(format!("in/snapshot_date={day}/a.parquet")), frame);
    }
    let out = dir.path().join("out");
    let input = dir.path().join("in");
    let (code, _, stderr) = nrr(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--as-of",
        "2023-06",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("2024-01-31"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn bad_usage_exits_2() {
    let dir = tempdir();
    let file = write(&dir.path().join("in/a.parquet"), snapshot_frame(&GOOD));
    let out = dir.path().join("out");
    let (code, _, stderr) = nrr(&[
        "run",
        "--input",
        file.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--as-of",
        "2024/01",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("invalid --as-of '2024/01'"), "{stderr}");
    let (code, _, _) = nrr(&["run", "--no-such-flag"]);
    assert_eq!(code, 2);
}

/// An FX file with one rate per (month, currency) given.
fn fx_file(dir: &Path, rates: &[(&str, &str, f64)]) -> std::path::PathBuf {
    let days: Vec<i32> = rates
        .iter()
        .map(|r| nrr::month::date_to_epoch_days(date(r.0)))
        .collect();
    let frame = DataFrame::new_infer_height(vec![
        Column::new("month".into(), days).cast(&DataType::Date).unwrap(),
        Column::new("currency".into(), rates.iter().map(|r| r.1).collect::<Vec<_>>()),
        Column::new("rate".into(), rates.iter().map(|r| r.2).collect::<Vec<_>>()),
    ])
    .unwrap();
    write(&dir.join("fx.parquet"), frame)
}

/// A DATE in year 200000 (a unit error in the export) is bad input, not a panic.
#[test]
fn snapshot_date_out_of_range() {
    let dir = tempdir();
    let mut frame = snapshot_frame(&GOOD);
    let far = nrr::month::date_to_epoch_days(chrono::NaiveDate::from_ymd_opt(200_000, 1, 31).unwrap());
    let days = Column::new("snapshot_date".into(), [19_753, 19_782, far])
        .cast(&DataType::Date)
        .unwrap();
    frame.with_column(days).unwrap();
    let file = write(&dir.path().join("in/a.parquet"), frame);
    rejects(
        &file,
        &[],
        &["a.parquet", "snapshot_date", "200000-01-31", "1900-01-01 to 9999-12-31"],
    );
}

/// The largest accepted MRR at a huge FX rate does not fit 64-bit cents.
#[test]
fn mrr_times_rate_beyond_64_bit_cents() {
    let dir = tempdir();
    let frame = with_column(
        snapshot_frame(&[("2024-01-31", "c1", "s1", 1e15)]),
        Column::new("currency".into(), ["EUR"]),
    );
    let file = write(&dir.path().join("in/a.parquet"), frame);
    let fx = fx_file(dir.path(), &[("2024-01-01", "EUR", 100_000.0)]);
    rejects(
        &file,
        &["--fx-rates", fx.to_str().unwrap()],
        &[
            "a.parquet",
            "subscription 's1'",
            "2024-01-31",
            "FX rate 100000",
            "beyond what nrr can hold",
        ],
    );
}

/// Many large subscriptions of one customer: the sum, not one row, overflows.
#[test]
fn customer_sum_beyond_64_bit_cents() {
    let dir = tempdir();
    let subs: Vec<String> = (0..100).map(|i| format!("s{i}")).collect();
    let rows: Vec<Row> = subs.iter().map(|s| ("2024-01-31", "big", s.as_str(), 1e15)).collect();
    let file = write(&dir.path().join("in/a.parquet"), snapshot_frame(&rows));
    rejects(&file, &[], &["customer 'big'", "2024-01", "exceeds what nrr can hold"]);
}

/// A rate with more digits than exact arithmetic holds is a bad rate, not a missing one.
#[test]
fn rate_too_large_to_read() {
    let dir = tempdir();
    let frame = with_column(snapshot_frame(&GOOD[..1]), Column::new("currency".into(), ["EUR"]));
    let file = write(&dir.path().join("in/a.parquet"), frame);
    let fx = fx_file(dir.path(), &[("2024-01-01", "EUR", 1e300)]);
    rejects(
        &file,
        &["--fx-rates", fx.to_str().unwrap()],
        &["fx.parquet", "EUR in 2024-01", "not a finite decimal number"],
    );
}

/// A comparison at constant currency needs the base month's rate: January's
/// EUR rate is missing while February's is there.
#[test]
fn base_month_rate_missing() {
    let dir = tempdir();
    let frame = with_column(
        snapshot_frame(&GOOD[..2]),
        Column::new("currency".into(), ["USD", "EUR"]),
    );
    let file = write(&dir.path().join("in/a.parquet"), frame);
    let fx = fx_file(dir.path(), &[("2024-02-01", "EUR", 1.1)]);
    // January's row is in USD, so only the comparison needs a January EUR rate.
    rejects(
        &file,
        &["--fx-rates", fx.to_str().unwrap()],
        &[
            "no FX rate for currency EUR in 2024-01",
            "values 2024-02",
            "customer 'c1'",
            "month = 2024-01-01",
            "a.parquet",
        ],
    );
}

/// A customer's sum that fits 64-bit cents but not DECIMAL(18,2) (10^16 in
/// major units) is bad input too, not an engine error.
#[test]
fn sum_beyond_the_published_decimal() {
    let dir = tempdir();
    let subs: Vec<String> = (0..20).map(|i| format!("s{i}")).collect();
    let rows: Vec<Row> = subs.iter().map(|s| ("2024-01-31", "big", s.as_str(), 1e15)).collect();
    let file = write(&dir.path().join("in/a.parquet"), snapshot_frame(&rows));
    rejects(&file, &[], &["exceeds what nrr can hold", "in the output"]);
}
