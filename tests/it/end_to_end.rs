//! Whole runs: the bundled sample, input layouts, config mapping, golden
//! tables, determinism.

use std::path::{Path, PathBuf};

use nrr::job;
use polars::prelude::*;

use crate::util::*;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data")
}

#[test]
fn sample_data_runs_and_reruns_byte_identical() {
    let dir = tempdir();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let input = sample().join("snapshots");
    let fx = sample().join("fx_rates.parquet");
    for out in [&a, &b] {
        let (code, stdout, stderr) = nrr(&[
            "run",
            "--input",
            input.to_str().unwrap(),
            "--fx-rates",
            fx.to_str().unwrap(),
            "--segment-by",
            "plan,region",
            "--output",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("MRR bridge"), "{stdout}");
        assert!(
            stdout.contains("12mo NRR") && stdout.contains("plan=growth"),
            "{stdout}"
        );
    }
    assert!(file_bytes(&a).len() > 5, "tables written");
    assert_same_files(&a, &b);
    assert!(a.join("_manifest.json").is_file());
    for table in ["customer_months", "mrr_movements", "nrr_summary", "cohort_matrix"] {
        let parts: Vec<_> = fs_err::read_dir(a.join(table))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(parts.iter().all(|p| p.starts_with("month=")), "{table}: {parts:?}");
        assert_eq!(parts.len(), 24, "{table}: one partition per timeline month");
    }
    assert!(a.join("nrr_matrix_wide/part-00000.parquet").is_file());
}

/// The same rows as one file with a date column, as Hive folders per date,
/// and through a glob give identical tables.
#[test]
fn file_hive_and_glob_layouts_agree() {
    let dir = tempdir();
    let rows = [
        ("2024-01-15", "c1", "s1", 10.0),
        ("2024-01-31", "c1", "s1", 20.0),
        ("2024-01-31", "c2", "s2", 5.0),
        ("2024-02-29", "c1", "s1", 25.0),
        ("2024-03-31", "c2", "s3", 7.5),
    ];
    let single = write(&dir.path().join("single/all.parquet"), snapshot_frame(&rows));
    for day in ["2024-01-15", "2024-01-31", "2024-02-29", "2024-03-31"] {
        let subset: Vec<Row> = rows.iter().copied().filter(|r| r.0 == day).collect();
        let frame = snapshot_frame(&subset).drop("snapshot_date").unwrap();
        write(
            &dir.path().join(format!("hive/snapshot_date={day}/data.parquet")),
            frame,
        );
    }
    let outs: Vec<PathBuf> = ["o1", "o2", "o3"].iter().map(|o| dir.path().join(o)).collect();
    job::run(&config(&single, &outs[0], &[], None)).unwrap();
    job::run(&config(&dir.path().join("hive"), &outs[1], &[], None)).unwrap();
    job::run(&config(
        Path::new(&format!("{}/hive/*/*.parquet", dir.path().display())),
        &outs[2],
        &[],
        None,
    ))
    .unwrap();
    assert_same_files(&outs[0], &outs[1]);
    assert_same_files(&outs[0], &outs[2]);
    // Mid-month rows do not count: January closes on the 31st.
    let jan = filter_eq(&read_table(&outs[0], "mrr_movements"), "month", lit(date("2024-01-01")));
    assert_eq!(cents(&jan, "mrr_end"), [2500]);
}

/// Timestamps, integer ids, decimal MRR and renamed columns via [columns].
#[test]
fn timestamps_integer_ids_decimals_and_column_mapping() {
    let dir = tempdir();
    let ms: Vec<i64> = ["2024-01-31", "2024-02-29"]
        .iter()
        .map(|d| date(d).and_hms_opt(23, 0, 0).unwrap().and_utc().timestamp_millis())
        .collect();
    let amount = Int128Chunked::from_vec("amount".into(), vec![1_999, 2_500])
        .into_decimal(10, 2)
        .unwrap()
        .into_series()
        .into_column();
    let frame = DataFrame::new_infer_height(vec![
        Column::new("as_of".into(), ms)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .unwrap(),
        Column::new("account".into(), [42_i64, 42]),
        Column::new("sub".into(), [7_i32, 7]),
        amount,
    ])
    .unwrap();
    let input = write(&dir.path().join("in/a.parquet"), frame);
    let config = dir.path().join("job.toml");
    fs_err::write(
        &config,
        format!(
            "input = '{}'\n[columns]\nsnapshot_date = 'as_of'\ncustomer_id = 'account'\nsubscription_id = 'sub'\nmrr = 'amount'\n",
            input.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let (code, _, stderr) = nrr(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let cm = read_table(&out, "customer_months");
    assert_eq!(strings(&cm, "customer_id"), ["42", "42"]);
    assert_eq!(cents(&cm, "mrr"), [1999, 2500]);
    assert_eq!(strings(&cm, "movement"), ["new", "expansion"]);
}

/// A later run with an earlier --as-of owns the output: later partitions go.
#[test]
fn rerun_removes_partitions_outside_the_timeline() {
    let dir = tempdir();
    let rows = [
        ("2024-01-31", "c", "s", 1.0),
        ("2024-02-29", "c", "s", 1.0),
        ("2024-03-31", "c", "s", 1.0),
    ];
    let input = write(&dir.path().join("in/a.parquet"), snapshot_frame(&rows));
    let out = dir.path().join("out");
    job::run(&config(&input, &out, &[], None)).unwrap();
    assert!(out.join("mrr_movements/month=2024-03-01").is_dir());
    let mut cfg = config(&input, &out, &[], None);
    cfg.engine.as_of = nrr::Month::parse("2024-02");
    job::run(&cfg).unwrap();
    assert!(!out.join("mrr_movements/month=2024-03-01").exists());
    assert!(out.join("mrr_movements/month=2024-02-01/part-00000.parquet").is_file());
}

/// (date, customer, subscription, mrr, currency, status, plan)
type GoldenRow<'a> = (
    &'a str,
    &'a str,
    &'a str,
    f64,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
);

/// Golden tables for a small hand-checked case with FX, statuses and segments.
/// Regenerate with UPDATE_GOLDEN=1 after a deliberate change, and review the diff.
#[test]
fn golden_tables() {
    let dir = tempdir();
    let rows: [GoldenRow; 12] = [
        ("2024-01-31", "acme", "a1", 100.0, "USD", Some("active"), Some("pro")),
        ("2024-01-31", "acme", "a2", 20.0, "USD", Some("active"), Some("addon")),
        ("2024-01-31", "bolt", "b1", 50.0, "EUR", Some("Active"), None),
        ("2024-01-31", "cora", "c1", 30.0, "USD", Some("trialing"), Some("basic")),
        ("2024-02-29", "acme", "a1", 150.0, "USD", Some("active"), Some("pro")),
        ("2024-02-29", "bolt", "b1", 50.0, "EUR", Some("past_due"), None),
        ("2024-02-29", "cora", "c1", 30.0, "USD", Some("active"), Some("basic")),
        ("2024-03-31", "acme", "a1", 150.0, "USD", Some("CANCELED"), Some("pro")),
        ("2024-03-31", "bolt", "b1", 40.005, "EUR", None, None),
        ("2024-03-31", "cora", "c1", 30.0, "USD", Some("active"), Some("basic")),
        ("2024-04-30", "acme", "a3", 99.99, "USD", Some("active"), Some("pro")),
        ("2024-04-30", "cora", "c1", 10.0, "USD", Some("active"), Some("basic")),
    ];
    let mut frame = snapshot_frame(&rows.iter().map(|r| (r.0, r.1, r.2, r.3)).collect::<Vec<_>>());
    frame
        .with_column(Column::new(
            "currency".into(),
            rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        ))
        .unwrap();
    frame
        .with_column(Column::new(
            "status".into(),
            rows.iter().map(|r| r.5).collect::<Vec<_>>(),
        ))
        .unwrap();
    frame
        .with_column(Column::new("plan".into(), rows.iter().map(|r| r.6).collect::<Vec<_>>()))
        .unwrap();
    let input = write(&dir.path().join("in/a.parquet"), frame);
    let month = |d: &str| nrr::month::date_to_epoch_days(date(d));
    let rates = DataFrame::new_infer_height(vec![
        Column::new(
            "month".into(),
            [month("2024-01-01"), month("2024-02-01"), month("2024-03-01")],
        )
        .cast(&DataType::Date)
        .unwrap(),
        Column::new("currency".into(), ["EUR", "EUR", "EUR"]),
        Column::new("rate".into(), [1.1, 1.08255, 1.0]),
    ])
    .unwrap();
    let fx = write(&dir.path().join("fx.parquet"), rates);
    let out = dir.path().join("out");
    let mut cfg = config(&input, &out, &["plan"], Some(&fx));
    cfg.engine.horizon = 3;
    job::run(&cfg).unwrap();

    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    // The data behind the report's charts, without the run's times and paths.
    let root = nrr::io::store::Location::Local(out.clone());
    let mut report = nrr::report::load(&root, Some("plan=pro")).unwrap();
    report.finished_at = String::new();
    report.input_fingerprint = String::new();
    let report_json = nrr::report::to_json(&report).unwrap() + "\n";
    let tables = [
        "customer_months",
        "mrr_movements",
        "nrr_summary",
        "cohort_matrix",
        "nrr_matrix_wide",
        "report",
    ];
    for table in tables {
        let got = if table == "report" {
            report_json.clone()
        } else {
            render(&read_table(&out, table))
        };
        let path = golden.join(if table == "report" {
            "report.json".to_string()
        } else {
            format!("{table}.csv")
        });
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            fs_err::write(&path, &got).unwrap();
        }
        let want = fs_err::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            got,
            want,
            "{table} differs from {} (UPDATE_GOLDEN=1 to accept)",
            path.display()
        );
    }
}

/// An empty file on a month's last day must not hide that month's other
/// days when close days are taken from folder names.
#[test]
fn regression_empty_close_day_file_falls_back_to_reading_every_day() {
    let dir = tempdir();
    let days = [("2024-01-15", 10.0), ("2024-02-29", 20.0)];
    for (day, mrr) in days {
        let frame = snapshot_frame(&[(day, "c", "s", mrr)]).drop("snapshot_date").unwrap();
        write(&dir.path().join(format!("in/snapshot_date={day}/a.parquet")), frame);
    }
    let empty = snapshot_frame(&[]).drop("snapshot_date").unwrap();
    write(&dir.path().join("in/snapshot_date=2024-01-31/a.parquet"), empty);
    let out = dir.path().join("out");
    job::run(&config(&dir.path().join("in"), &out, &[], None)).unwrap();
    let jan = filter_eq(&read_table(&out, "mrr_movements"), "month", lit(date("2024-01-01")));
    assert_eq!(
        cents(&jan, "mrr_end"),
        [1000],
        "close(Jan) is the 15th, the last day with rows"
    );
}

/// A 32-bit float MRR keeps the value that was written (2.675 is a tie).
#[test]
fn regression_float32_mrr_rounds_as_written() {
    let dir = tempdir();
    let mut frame = snapshot_frame(&[("2024-01-31", "c", "s", 2.675)]);
    frame.with_column(Column::new("mrr".into(), [2.675_f32])).unwrap();
    let input = write(&dir.path().join("in/a.parquet"), frame);
    let out = dir.path().join("out");
    job::run(&config(&input, &out, &[], None)).unwrap();
    assert_eq!(cents(&read_table(&out, "customer_months"), "mrr"), [268]);
}

/// Quarterly range runs over generated daily data, in any order and over a
/// stale full run, leave the same bytes as one full run.
#[test]
fn range_runs_equal_a_full_run() {
    let dir = tempdir();
    generated(dir.path(), 120, 9, false, 11);
    let input = dir.path().join("data/snapshots");
    let fx = dir.path().join("data/fx_rates.parquet");
    let segments = ["plan", "region"];
    let full = dir.path().join("full");
    job::run(&config(&input, &full, &segments, Some(&fx))).unwrap();

    let ranged = dir.path().join("ranged");
    // A stale full run up to 2023-05 first, then the quarters out of order.
    let mut stale = config(&input, &ranged, &segments, Some(&fx));
    stale.engine.as_of = nrr::Month::parse("2023-05");
    job::run(&stale).unwrap();
    for (from, to) in [("2023-07", "2023-09"), ("2023-01", "2023-03"), ("2023-04", "2023-06")] {
        let mut cfg = config(&input, &ranged, &segments, Some(&fx));
        cfg.write_from = nrr::Month::parse(from);
        cfg.engine.as_of = nrr::Month::parse(to);
        job::run(&cfg).unwrap();
    }
    assert_same_files(&full, &ranged);
}

/// A row whose status counts zero is not used, so it is not checked either:
/// a trial with no price and a currency without a rate does not stop the run.
#[test]
fn rows_that_count_zero_are_not_checked() {
    let dir = tempdir();
    let frame = DataFrame::new_infer_height(vec![
        Column::new("snapshot_date".into(), [19_753, 19_753, 19_782])
            .cast(&DataType::Date)
            .unwrap(),
        Column::new("customer_id".into(), ["c1", "c2", "c1"]),
        Column::new("subscription_id".into(), ["s1", "trial", "s1"]),
        Column::new("mrr".into(), [Some(100.0), None, Some(100.0)]),
        Column::new("currency".into(), [Some("USD"), Some("EUR"), Some("USD")]),
        Column::new("status".into(), ["active", "Trialing", "active"]),
    ])
    .unwrap();
    let input = write(&dir.path().join("in/a.parquet"), frame);
    let out = dir.path().join("out");
    job::run(&config(&input, &out, &[], None)).unwrap();
    let cm = read_table(&out, "customer_months");
    assert_eq!(strings(&cm, "customer_id"), ["c1", "c1"]);

    // The same row with a status that counts is bad input.
    let mut counted = read_parquet_file(&input);
    counted
        .with_column(Column::new("status".into(), ["active", "active", "active"]))
        .unwrap();
    let input = write(&dir.path().join("in2/a.parquet"), counted);
    let (code, _, stderr) = nrr(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--output",
        dir.path().join("out2").to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("'mrr' is null"), "{stderr}");
}

/// Reads one Parquet file.
fn read_parquet_file(path: &Path) -> DataFrame {
    ParquetReader::new(fs_err::File::open(path).unwrap().into_parts().0)
        .finish()
        .unwrap()
}

/// `nrr check` on an output without a complete run exits 4, apart from crashes (1).
#[test]
fn check_failures_have_their_own_exit_status() {
    let dir = tempdir();
    let (code, _, stderr) = nrr(&["check", "--output", dir.path().to_str().unwrap()]);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("no _manifest.json"), "{stderr}");
}

/// Daily snapshots of 2,000 customers whose 2023-03-31 export lost 30% of
/// its rows: the run stops; --max-close-drop 1 lets it through; --close-day
/// closes March on the 30th, giving what a run without the partial day gives.
#[test]
fn partial_close_day_fails_loudly() {
    let dir = tempdir();
    generated(dir.path(), 2_000, 4, true, 5);
    let snapshots = dir.path().join("data/snapshots");
    let partial = snapshots.join("snapshot_date=2023-03-31/part-00000.parquet");
    let full = read_parquet_file(&partial);
    let kept = full.slice(0, full.height() * 7 / 10);
    nrr::io::write::write_parquet(&partial, kept).unwrap();
    let fx = dir.path().join("data/fx_rates.parquet");
    let run = |out: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        let mut args = vec![
            "run",
            "--input",
            snapshots.to_str().unwrap(),
            "--fx-rates",
            fx.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let (code, _, stderr) = nrr(&args);
        (code, stderr, out)
    };

    let (code, stderr, out) = run("stopped", &[]);
    assert_eq!(code, 3, "{stderr}");
    for part in [
        "2023-03: the close day 2023-03-31",
        "on 2023-03-30",
        "--close-day 2023-03=2023-03-30",
    ] {
        assert!(stderr.contains(part), "{part}: {stderr}");
    }
    assert!(!out.exists(), "nothing written");

    let (code, stderr, out) = run("let-through", &["--max-close-drop", "1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("close day let through"), "{stderr}");
    let found = read_table(&out, "data_quality");
    assert_eq!(strings(&found, "check_name"), ["partial_close_day"]);
    assert_eq!(strings(&found, "severity"), ["warning"]);
    let march = |out: &Path| {
        let mm = read_table(out, "mrr_movements");
        let m = filter_eq(&mm, "month", lit(date("2023-03-01")));
        ints(&filter_eq(&m, "segment_name", lit("all")), "customers_churned")[0]
    };
    let churned_partial = march(&out);

    let (code, stderr, pinned) = run("pinned", &["--close-day", "2023-03=2023-03-30"]);
    assert_eq!(code, 0, "{stderr}");
    fs_err::remove_dir_all(snapshots.join("snapshot_date=2023-03-31")).unwrap();
    let (code, stderr, without) = run("without", &[]);
    assert_eq!(code, 0, "{stderr}");
    // The pinned run says so in data_quality; every other table is the same.
    let found = read_table(&pinned, "data_quality");
    assert_eq!(strings(&found, "check_name"), ["partial_close_day"]);
    assert!(strings(&found, "message")[0].contains("let through by --close-day"));
    assert_eq!(read_table(&without, "data_quality").height(), 0);
    for out in [&pinned, &without] {
        fs_err::remove_dir_all(out.join("data_quality")).unwrap();
    }
    assert_same_files(&pinned, &without);
    assert!(
        churned_partial > 3 * march(&without),
        "the partial day churns {churned_partial} customers, the real close {}",
        march(&without)
    );
}

/// A run on the 15th: the as-of month stands on the 15th's snapshot and is
/// reported month-to-date (summary, manifest); every month carries its close_date.
#[test]
fn month_to_date_as_of_month_is_said() {
    let dir = tempdir();
    let rows = [
        ("2024-01-31", "c1", "s1", 100.0),
        ("2024-02-14", "c1", "s1", 100.0),
        ("2024-02-15", "c1", "s1", 120.0),
    ];
    let input = write(&dir.path().join("in/a.parquet"), snapshot_frame(&rows));
    let out = dir.path().join("out");
    let (code, stdout, stderr) = nrr(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("2024-02 is month-to-date"), "{stdout}");
    let manifest = fs_err::read_to_string(out.join("_manifest.json")).unwrap();
    assert!(manifest.contains("\"as_of_close_date\": \"2024-02-15\""), "{manifest}");
    assert!(manifest.contains("\"month_to_date\": true"), "{manifest}");
    let mm = filter_eq(&read_table(&out, "mrr_movements"), "segment_name", lit("all"));
    let days = epoch_days(&mm, "close_date");
    let expected: Vec<i32> = ["2024-01-31", "2024-02-15"]
        .iter()
        .map(|d| nrr::month::date_to_epoch_days(date(d)))
        .collect();
    assert_eq!(days, expected);
}

/// An annual price booked as MRR for one month, a subscription that moves
/// from EUR to USD, and a customer whose top subscription changes plan: each
/// is a data_quality finding; the numbers are computed as always.
#[test]
fn data_quality_findings_on_a_hand_made_case() {
    let dir = tempdir();
    let rows = [
        ("2024-01-31", "c1", "s1", 100.0),
        ("2024-02-29", "c1", "s1", 1200.0),
        ("2024-03-31", "c1", "s1", 100.0),
        ("2024-01-31", "c2", "s2", 50.0),
        ("2024-02-29", "c2", "s2", 50.0),
        ("2024-03-31", "c2", "s2", 55.0),
    ];
    let mut frame = snapshot_frame(&rows);
    frame
        .with_column(Column::new(
            "currency".into(),
            ["USD", "USD", "USD", "EUR", "EUR", "USD"],
        ))
        .unwrap();
    frame
        .with_column(Column::new(
            "plan".into(),
            ["pro", "pro", "basic", "team", "team", "team"],
        ))
        .unwrap();
    let input = write(&dir.path().join("in/a.parquet"), frame);
    let rates = DataFrame::new_infer_height(vec![
        Column::new(
            "month".into(),
            ["2024-01-01", "2024-02-01", "2024-03-01"]
                .iter()
                .map(|d| nrr::month::date_to_epoch_days(date(d)))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)
        .unwrap(),
        Column::new("currency".into(), ["EUR", "EUR", "EUR"]),
        Column::new("rate".into(), [1.1, 1.1, 1.1]),
    ])
    .unwrap();
    let fx = write(&dir.path().join("fx.parquet"), rates);
    let out = dir.path().join("out");
    job::run(&config(&input, &out, &["plan"], Some(&fx))).unwrap();
    let dq = read_table(&out, "data_quality");
    assert_eq!(
        strings(&dq, "check_name"),
        ["currency_change", "mrr_spike", "segment_differs"],
        "{dq}"
    );
    assert_eq!(strings(&dq, "severity"), ["warning", "warning", "info"]);
    assert_eq!(strings(&dq, "subscription_id"), ["s2", "s1", "s1"]);
    assert_eq!(strings(&dq, "value"), ["EUR → USD", "1200.00", "pro → basic"]);
    let months = epoch_days(&dq, "month");
    let march = nrr::month::date_to_epoch_days(date("2024-03-01"));
    assert_eq!(
        months,
        [march, march, march],
        "the spike is filed in the month that shows it"
    );
    assert!(strings(&dq, "message")[1].contains("in 2024-02"));
    let (code, stdout, stderr) = nrr(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--fx-rates",
        fx.to_str().unwrap(),
        "--segment-by",
        "plan",
        "--output",
        dir.path().join("out2").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Data quality: 2 warnings, 1 note"), "{stdout}");
}

/// An output inside the input (or the input inside the output) is refused up
/// front: the next nightly run would read the tables as snapshots.
#[test]
fn nested_output_and_input_are_refused() {
    let dir = tempdir();
    let input = dir.path().join("exports");
    write(&input.join("a.parquet"), snapshot_frame(&GOOD_ROWS));
    for (inp, out) in [
        (input.clone(), input.join("nrr")),
        (dir.path().join("warehouse/exports"), dir.path().join("warehouse")),
    ] {
        if !inp.exists() {
            write(&inp.join("a.parquet"), snapshot_frame(&GOOD_ROWS));
        }
        let (code, _, stderr) = nrr(&[
            "run",
            "--input",
            inp.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("overlap"), "{stderr}");
        assert!(!out.join("mrr_movements").exists());
    }
    // A sibling folder is fine.
    let (code, _, stderr) = nrr(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--output",
        dir.path().join("exports-nrr").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
}

const GOOD_ROWS: [Row; 2] = [("2024-01-31", "c1", "s1", 100.0), ("2024-02-29", "c1", "s1", 120.0)];

/// A full run deletes only nrr's partitions: a README in a table folder, a
/// notes file, an empty `.git` and another tool's folder under the output stay.
#[test]
fn a_full_run_leaves_files_it_does_not_own() {
    let dir = tempdir();
    let input = write(&dir.path().join("in/a.parquet"), snapshot_frame(&GOOD_ROWS));
    let out = dir.path().join("out");
    for folder in [".git", "dbt_target", "customer_months/month=2023-12-01"] {
        fs_err::create_dir_all(out.join(folder)).unwrap();
    }
    fs_err::write(out.join("notes.txt"), b"mine").unwrap();
    fs_err::write(out.join("customer_months/README.md"), b"mine").unwrap();
    fs_err::write(
        out.join("customer_months/month=2023-12-01/part-00000.parquet"),
        b"stale",
    )
    .unwrap();
    job::run(&config(&input, &out, &[], None)).unwrap();
    for kept in [".git", "dbt_target", "notes.txt", "customer_months/README.md"] {
        assert!(out.join(kept).exists(), "{kept} was removed");
    }
    assert!(
        !out.join("customer_months/month=2023-12-01").exists(),
        "a stale nrr partition stays"
    );
}

/// A month leased by a live run stops an overlapping writer (exit 1, the
/// holder named, nothing written); a range run over other months goes ahead.
#[test]
fn overlapping_writers_fail_fast_and_disjoint_range_runs_do_not() {
    let dir = tempdir();
    let rows = [
        ("2024-01-31", "c1", "s1", 100.0),
        ("2024-02-29", "c1", "s1", 100.0),
        ("2024-03-31", "c1", "s1", 100.0),
    ];
    let input = write(&dir.path().join("in/a.parquet"), snapshot_frame(&rows));
    let out = dir.path().join("out");
    // This test process holds February, as a concurrent run would.
    let holder = nrr::io::store::Location::Local(out.clone());
    let lease = nrr::io::lease::acquire(&holder, &[nrr::Month::from_ym(2024, 2)], 60).unwrap();
    let (code, _, stderr) = nrr(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("month 2024-02 is leased to host") && stderr.contains(&format!("pid {}", std::process::id())),
        "{stderr}"
    );
    assert!(!out.join("mrr_movements").exists(), "nothing written");
    let (code, _, stderr) = nrr(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--from",
        "2024-03",
        "--to",
        "2024-03",
    ]);
    assert_eq!(code, 0, "a disjoint range run: {stderr}");
    drop(lease);
    let (code, _, stderr) = nrr(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        fs_err::read_dir(out.join("_lease")).unwrap().count(),
        0,
        "leases released"
    );
}

/// The silent column mismatches: a currency column under another name with
/// --fx-rates given, a status column in some files only, and a status nrr
/// does not know counting its full MRR; each is a warning in the summary and
/// in data_quality, and zero_statuses makes the unknown status count zero.
#[test]
fn silent_column_mismatches_are_warnings() {
    let dir = tempdir();
    let mut jan = snapshot_frame(&[("2024-01-31", "c1", "s1", 100.0), ("2024-01-31", "c2", "s2", 50.0)]);
    jan.with_column(Column::new("ccy".into(), ["EUR", "EUR"])).unwrap();
    jan.with_column(Column::new("status".into(), ["active", "in_trial"]))
        .unwrap();
    let mut feb = snapshot_frame(&[("2024-02-29", "c1", "s1", 100.0), ("2024-02-29", "c2", "s2", 50.0)]);
    feb.with_column(Column::new("ccy".into(), ["EUR", "EUR"])).unwrap();
    write(&dir.path().join("in/snapshot_date=2024-01-31/a.parquet"), jan);
    write(&dir.path().join("in/snapshot_date=2024-02-29/a.parquet"), feb);
    let fx = DataFrame::new_infer_height(vec![
        Column::new(
            "month".into(),
            ["2024-01-01", "2024-02-01"]
                .iter()
                .map(|d| nrr::month::date_to_epoch_days(date(d)))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)
        .unwrap(),
        Column::new("currency".into(), ["EUR", "EUR"]),
        Column::new("rate".into(), [1.1, 1.1]),
    ])
    .unwrap();
    let fx = write(&dir.path().join("fx.parquet"), fx);
    let input = dir.path().join("in");
    let run = |out: &str, config: Option<&str>| {
        let out = dir.path().join(out);
        let mut args = vec![
            "run".to_string(),
            "--input".into(),
            input.display().to_string(),
            "--fx-rates".into(),
            fx.display().to_string(),
            "--output".into(),
            out.display().to_string(),
        ];
        if let Some(text) = config {
            let path = dir.path().join("job.toml");
            fs_err::write(&path, text).unwrap();
            args.extend(["--config".into(), path.display().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = nrr(&args);
        assert_eq!(code, 0, "{stderr}");
        (stdout, read_table(&out, "data_quality"))
    };
    let (stdout, dq) = run("out", None);
    let checks = strings(&dq, "check_name");
    for check in ["fx_without_currency", "status_partly_missing", "unknown_status"] {
        assert!(checks.contains(&check.to_string()), "{check}: {dq}");
    }
    assert!(
        stdout.contains("warning: --fx-rates is given but the close-day files of 2024-01 have no currency column"),
        "{stdout}"
    );
    assert!(
        stdout.contains("warning: status 'in_trial' counts its full MRR"),
        "{stdout}"
    );
    assert!(
        stdout.contains("some input files have a status column and others none (both by 2024-02)"),
        "{stdout}"
    );

    // Mapped and configured: no warnings about them.
    let (stdout, dq) = run(
        "out2",
        Some("zero_statuses = [\"trialing\", \"in_trial\"]\n[columns]\ncurrency = \"ccy\"\n"),
    );
    let checks = strings(&dq, "check_name");
    assert!(!checks.contains(&"fx_without_currency".to_string()), "{dq}");
    assert!(!checks.contains(&"unknown_status".to_string()), "{dq}");
    assert!(!stdout.contains("in_trial"), "{stdout}");
}

/// Month-end snapshots where a fifth of 100 customers churn in one month: a
/// real churn month, not a partial export, so the run goes ahead (20% ≤ 50%).
#[test]
fn a_real_twenty_percent_churn_month_runs() {
    let dir = tempdir();
    let ids: Vec<String> = (0..100).map(|i| format!("c{i:03}")).collect();
    let mut rows: Vec<Row> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        rows.push(("2024-01-31", id, id, 100.0));
        if i >= 20 {
            rows.push(("2024-02-29", id, id, 100.0));
        }
    }
    let input = write(&dir.path().join("in/a.parquet"), snapshot_frame(&rows));
    let out = dir.path().join("out");
    job::run(&config(&input, &out, &[], None)).unwrap();
    let feb = filter_eq(&read_table(&out, "mrr_movements"), "month", lit(date("2024-02-01")));
    assert_eq!(ints(&feb, "customers_churned"), [20]);
    assert_eq!(read_table(&out, "data_quality").height(), 0);
}

/// The month-at-a-time engine: with a file per month (Hive folders), each
/// month's file is read once and the engine never holds more than one
/// month's close rows; a single file holding every month is read once per
/// month and gives the same bytes.
#[test]
fn months_are_folded_one_at_a_time() {
    let dir = tempdir();
    let data = generated(dir.path(), 400, 15, false, 5);
    let out = dir.path().join("out");
    let outcome = nrr::job::run(&config(
        &data.join("snapshots"),
        &out,
        &["plan"],
        Some(&data.join("fx_rates.parquet")),
    ))
    .unwrap();
    let folded = outcome.tables.folded;
    assert_eq!(outcome.files_reread, 0, "one file per month: the per-month path");
    assert_eq!(folded.customer_months, outcome.manifest.tables["customer_months"].rows);
    // The high-water mark is one month's rows: the largest month, far from all of them.
    let all = raw_snapshots(&data);
    let raw = all
        .clone()
        .lazy()
        .group_by([col("snapshot_date")])
        .agg([len().alias("n")])
        .collect()
        .unwrap();
    let per_month: Vec<u32> = raw.column("n").unwrap().u32().unwrap().into_no_null_iter().collect();
    let largest = *per_month.iter().max().unwrap() as usize;
    assert_eq!(folded.rows, per_month.iter().map(|n| *n as usize).sum::<usize>());
    assert_eq!(folded.rows_held_max, largest);
    assert!(folded.rows_held_max * 5 < folded.rows, "{folded:?}");

    // Every month in one file, rows shuffled: read once per month, same tables.
    let shuffled = all
        .clone()
        .lazy()
        .with_row_index("i", None)
        .sort_by_exprs([(col("i") * lit(7919_u32)) % lit(1_000_003_u32)], Default::default())
        .collect()
        .unwrap()
        .drop("i")
        .unwrap();
    let single = dir.path().join("single/all.parquet");
    write(&single, shuffled);
    let out2 = dir.path().join("out2");
    let outcome = nrr::job::run(&config(&single, &out2, &["plan"], Some(&data.join("fx_rates.parquet")))).unwrap();
    assert_eq!(outcome.files_reread, 1);
    assert_eq!(outcome.tables.folded.rows_held_max, largest);
    for table in ["customer_months", "mrr_movements", "nrr_summary", "cohort_matrix"] {
        assert!(
            read_table(&out, table).equals_missing(&read_table(&out2, table)),
            "{table}"
        );
    }
}

/// The generated snapshots as one frame, with snapshot_date as a column.
fn raw_snapshots(data: &Path) -> DataFrame {
    LazyFrame::scan_parquet(
        PlRefPath::new(format!("{}/snapshots/**/*.parquet", data.display()).as_str()),
        ScanArgsParquet {
            hive_options: HiveOptions::new_enabled(),
            ..Default::default()
        },
    )
    .unwrap()
    .collect()
    .unwrap()
}
