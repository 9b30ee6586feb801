//! Helpers: temp dirs, snapshot fixtures, running the binary, reading output.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use nrr::config::{JobConfig, Overrides};
use polars::prelude::*;

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("nrr-it-").tempdir().expect("temp dir")
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

/// One snapshot row: (date, customer, subscription, mrr).
pub type Row<'a> = (&'a str, &'a str, &'a str, f64);

/// A snapshot frame with snapshot_date, customer_id, subscription_id, mrr.
pub fn snapshot_frame(rows: &[Row]) -> DataFrame {
    let days: Vec<i32> = rows.iter().map(|r| nrr::month::date_to_epoch_days(date(r.0))).collect();
    DataFrame::new_infer_height(vec![
        Column::new("snapshot_date".into(), days).cast(&DataType::Date).unwrap(),
        Column::new("customer_id".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        Column::new("subscription_id".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
        Column::new("mrr".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
    ])
    .unwrap()
}

pub fn write(path: &Path, frame: DataFrame) -> PathBuf {
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    nrr::io::write::write_parquet(path, frame).unwrap();
    path.to_path_buf()
}

pub fn config(input: &Path, output: &Path, segment_by: &[&str], fx: Option<&Path>) -> JobConfig {
    JobConfig::resolve(
        Overrides {
            input: Some(input.display().to_string()),
            output: Some(output.display().to_string()),
            segment_by: Some(segment_by.iter().map(|s| s.to_string()).collect()),
            fx_rates: fx.map(|p| p.display().to_string()),
            ..Default::default()
        },
        None,
    )
    .unwrap()
}

/// The `nrr` binary, with none of the caller's `NRR_*` settings or `RUST_LOG`.
pub fn nrr_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nrr"));
    command.env_remove("RUST_LOG");
    for name in nrr::config::env::ALL {
        command.env_remove(name);
    }
    command
}

/// Runs the `nrr` binary; returns (exit code, stdout, stderr).
pub fn nrr(args: &[&str]) -> (i32, String, String) {
    let out = nrr_command().args(args).output().expect("run nrr");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Reads a written table back (Hive partitions included), sorted as written.
pub fn read_table(output: &Path, table: &str) -> DataFrame {
    let spec = nrr::tables::ALL_TABLES.iter().find(|t| t.name == table).expect("table");
    let path = output.join(table);
    let args = ScanArgsParquet {
        hive_options: if spec.partitioned {
            HiveOptions::new_enabled()
        } else {
            HiveOptions::new_disabled()
        },
        ..Default::default()
    };
    let glob = format!("{}/**/*.parquet", path.display());
    LazyFrame::scan_parquet(PlRefPath::new(glob.as_str()), args)
        .unwrap()
        .collect()
        .unwrap()
        .sort(spec.order_by.to_vec(), SortMultipleOptions::default())
        .unwrap()
}

/// All table files under `dir` with their bytes, by relative path (the run
/// manifest, which records times and input paths, is left out).
pub fn file_bytes(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for entry in fs_err::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if !path.ends_with(nrr::io::manifest::MANIFEST) {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, fs_err::read(&path).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts two outputs hold the same table files, byte for byte.
pub fn assert_same_files(a: &Path, b: &Path) {
    let (fa, fb) = (file_bytes(a), file_bytes(b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "different files"
    );
    let differing: Vec<_> = fa.keys().filter(|k| fa[*k] != fb[*k]).collect();
    assert!(differing.is_empty(), "files differ: {differing:?}");
}

/// Money column values as cents (DECIMAL(18,2) published).
pub fn cents(frame: &DataFrame, column: &str) -> Vec<i64> {
    let c = frame.column(column).unwrap();
    match c.dtype() {
        DataType::Decimal(_, 2) => c
            .as_materialized_series()
            .decimal()
            .unwrap()
            .physical()
            .iter()
            .map(|v| v.unwrap() as i64)
            .collect(),
        other => panic!("{column} is {other}, expected DECIMAL(18,2)"),
    }
}

pub fn floats(frame: &DataFrame, column: &str) -> Vec<Option<f64>> {
    frame.column(column).unwrap().f64().unwrap().iter().collect()
}

pub fn ints(frame: &DataFrame, column: &str) -> Vec<i64> {
    frame
        .column(column)
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

pub fn strings(frame: &DataFrame, column: &str) -> Vec<String> {
    frame
        .column(column)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap_or("").to_string())
        .collect()
}

/// Rows of `frame` where `column == value`.
pub fn filter_eq(frame: &DataFrame, column: &str, value: Expr) -> DataFrame {
    frame.clone().lazy().filter(col(column).eq(value)).collect().unwrap()
}

/// A plain-text rendering of a frame for golden files.
pub fn render(frame: &DataFrame) -> String {
    let names: Vec<String> = frame.get_column_names().iter().map(|n| n.to_string()).collect();
    let mut out = names.join(",");
    out.push('\n');
    for i in 0..frame.height() {
        let row: Vec<String> = frame
            .columns()
            .iter()
            .map(|c| match c.get(i).unwrap() {
                AnyValue::Null => String::new(),
                AnyValue::String(s) => s.to_string(),
                AnyValue::Float64(f) => format!("{f:.6}"),
                other => other.to_string(),
            })
            .collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// Generated snapshots (`nrr generate`) under `dir/data`, starting 2023-01;
/// returns the data folder (snapshots/ and fx_rates.parquet inside).
pub fn generated(dir: &Path, customers: usize, months: u32, daily: bool, seed: u64) -> PathBuf {
    let data = dir.join("data");
    nrr::generate::generate(&nrr::generate::GenerateOptions {
        customers,
        months,
        daily,
        seed,
        start: nrr::Month::from_ym(2023, 1),
        output: data.clone(),
    })
    .unwrap();
    data
}

/// A DATE column as days since 1970-01-01.
pub fn epoch_days(frame: &DataFrame, column: &str) -> Vec<i32> {
    frame
        .column(column)
        .unwrap()
        .cast(&DataType::Int32)
        .unwrap()
        .i32()
        .unwrap()
        .into_no_null_iter()
        .collect()
}
