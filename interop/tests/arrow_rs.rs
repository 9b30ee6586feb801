//! Reads every file `nrr run` writes with arrow-rs, a Parquet implementation
//! independent of the Polars writer. It checks that each file decodes and
//! that each column has the physical and logical type the warehouse DDL
//! promises: DECIMAL(18,2) on INT64, DATE on INT32, INT64, DOUBLE and STRING.
// parquet's readers take a std::fs::File (fs-err's File is no ChunkReader).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::path::{Path, PathBuf};
use std::process::Command;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{LogicalType, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Money,
    Date,
    Int,
    Ratio,
    Text,
}

fn kind_of(column: &str) -> Kind {
    match column {
        "customer_id" | "movement" | "segment_name" | "segment_value" | "plan" | "region" | "check_name"
        | "severity" | "subscription_id" | "value" | "message" => Kind::Text,
        "cohort_month" | "close_date" => Kind::Date,
        "nrr" | "grr" | "logo_retention" | "nrr_with_fx" => Kind::Ratio,
        c if c.starts_with('m') && c.len() == 3 && c[1..].chars().all(|d| d.is_ascii_digit()) => Kind::Ratio,
        c if c.starts_with("customers_")
            || c.ends_with("_customers")
            || c == "months_since_cohort"
            || c == "window_months" =>
        {
            Kind::Int
        }
        _ => Kind::Money,
    }
}

/// The columns inside each table's files (the `month` partition key is in the path).
fn expected_columns(table: &str) -> Vec<String> {
    let cols: &[&str] = match table {
        "customer_months" => &[
            "customer_id",
            "cohort_month",
            "mrr",
            "prev_mrr",
            "fx_mrr",
            "movement",
            "fx_mrr_3m",
            "fx_mrr_12m",
            "fx_mrr_cohort",
            "plan",
            "region",
        ],
        "mrr_movements" => &[
            "close_date",
            "segment_name",
            "segment_value",
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
            "mrr_fx",
            "mrr_end",
            "nrr",
            "grr",
            "nrr_with_fx",
        ],
        "nrr_summary" => &[
            "window_months",
            "segment_name",
            "segment_value",
            "base_customers",
            "retained_customers",
            "base_mrr",
            "expansion_mrr",
            "contraction_mrr",
            "churn_mrr",
            "fx_mrr",
            "retained_mrr",
            "gross_retained_mrr",
            "nrr",
            "grr",
            "nrr_with_fx",
        ],
        "cohort_matrix" => &[
            "cohort_month",
            "months_since_cohort",
            "segment_name",
            "segment_value",
            "cohort_customers",
            "cohort_mrr",
            "active_customers",
            "mrr",
            "mrr_expansion",
            "mrr_contraction",
            "mrr_churn",
            "mrr_reactivation",
            "mrr_fx",
            "nrr",
            "grr",
            "logo_retention",
            "nrr_with_fx",
        ],
        "data_quality" => &[
            "check_name",
            "severity",
            "customer_id",
            "subscription_id",
            "value",
            "message",
        ],
        "nrr_matrix_wide" => &[
            "cohort_month",
            "segment_name",
            "segment_value",
            "cohort_customers",
            "cohort_mrr",
        ],
        other => panic!("unknown table {other}"),
    };
    let mut out: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
    if table == "nrr_matrix_wide" {
        out.extend((0..=36).map(|k| format!("m{k:02}")));
    }
    out
}

fn run_sample(out: &Path) {
    let bin = std::env::var("NRR_BIN").expect("set NRR_BIN to the nrr binary (the Makefile does)");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("sample_data");
    let status = Command::new(bin)
        .args(["--quiet", "run", "--segment-by", "plan,region", "--input"])
        .arg(root.join("snapshots"))
        .arg("--fx-rates")
        .arg(root.join("fx_rates.parquet"))
        .arg("--output")
        .arg(out)
        .status()
        .expect("run nrr");
    assert!(status.success());
}

fn parquet_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            parquet_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
}

#[test]
fn every_file_reads_back_with_the_promised_types() {
    let out = std::env::temp_dir().join(format!("nrr-interop-{}", std::process::id()));
    run_sample(&out);
    let mut checked = 0;
    for table in [
        "customer_months",
        "mrr_movements",
        "nrr_summary",
        "data_quality",
        "cohort_matrix",
        "nrr_matrix_wide",
    ] {
        let mut files = Vec::new();
        parquet_files(&out.join(table), &mut files);
        assert!(!files.is_empty(), "{table}: no files");
        let mut rows = 0;
        for file in &files {
            let reader = SerializedFileReader::new(std::fs::File::open(file).unwrap()).unwrap();
            let schema = reader.metadata().file_metadata().schema_descr_ptr();
            let names: Vec<String> = schema.columns().iter().map(|c| c.name().to_string()).collect();
            assert_eq!(names, expected_columns(table), "{}", file.display());
            for column in schema.columns() {
                let (physical, logical) = (column.physical_type(), column.logical_type_ref().cloned());
                let name = column.name();
                match kind_of(name) {
                    Kind::Money => {
                        assert_eq!(physical, Physical::INT64, "{name}");
                        match &logical {
                            Some(LogicalType::Decimal(d)) => assert_eq!((d.precision, d.scale), (18, 2), "{name}"),
                            other => panic!("{name}: {other:?}, expected DECIMAL(18,2)"),
                        }
                    }
                    Kind::Date => {
                        assert_eq!(physical, Physical::INT32, "{name}");
                        assert_eq!(logical, Some(LogicalType::Date), "{name}");
                    }
                    Kind::Int => {
                        assert_eq!(physical, Physical::INT64, "{name}");
                        match &logical {
                            None => {}
                            Some(LogicalType::Integer(i)) => {
                                assert_eq!((i.bit_width, i.is_signed), (64, true), "{name}")
                            }
                            other => panic!("{name}: {other:?}, expected INT64"),
                        }
                    }
                    Kind::Ratio => assert_eq!(physical, Physical::DOUBLE, "{name}"),
                    Kind::Text => {
                        assert_eq!(physical, Physical::BYTE_ARRAY, "{name}");
                        assert_eq!(logical, Some(LogicalType::String), "{name}");
                    }
                }
            }
            // Decode every row group through arrow-rs.
            let batches = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap())
                .unwrap()
                .build()
                .unwrap();
            for batch in batches {
                rows += batch.unwrap().num_rows();
            }
            checked += 1;
        }
        assert!(rows > 0, "{table}: no rows");
    }
    assert!(checked > 90, "only {checked} files checked");
    std::fs::remove_dir_all(&out).ok();
}
