//! The warehouse contract: table names, column names, types and partitioning.
//!
//! Analysts' queries and the Snowflake/BigQuery DDL depend on exactly these
//! names and types, so they are declared once here. Inside the engine the
//! same column names carry working types (month index `Int32`, money in `Int64`
//! cents); [`finalize`] turns a table into its published form: months as
//! `DATE` (first day), money as `DECIMAL(18,2)`, counts as `INT64`, ratios as
//! `FLOAT64`, text as `STRING`.

use polars::prelude::*;

use crate::Result;

/// Month column, also the Hive partition key of the long tables.
pub const MONTH: &str = "month";
/// A customer's first month with MRR > 0.
pub const COHORT_MONTH: &str = "cohort_month";
/// Segment column name, `all` for totals.
pub const SEGMENT_NAME: &str = "segment_name";
/// Segment value, `all` for totals.
pub const SEGMENT_VALUE: &str = "segment_value";
/// Customer MRR of a month (customer_months).
pub const MRR: &str = "mrr";
/// Customer MRR of the month before (customer_months).
pub const PREV_MRR: &str = "prev_mrr";
/// Movement of a customer-month (customer_months).
pub const MOVEMENT: &str = "movement";
/// Months from cohort month to month (cohort_matrix).
pub const MONTHS_SINCE_COHORT: &str = "months_since_cohort";
/// The snapshot day a month stands on, close(M) (mrr_movements).
pub const CLOSE_DATE: &str = "close_date";
/// FX impact of a customer-month: MRR at actual rates minus MRR at the
/// previous month's rates (customer_months).
pub const FX_MRR: &str = "fx_mrr";
/// FX impact against the rates of the 3-month window's base month, M − 3
/// (customer_months; docs/METRICS.md section 2a).
pub const FX_MRR_3M: &str = "fx_mrr_3m";
/// FX impact against the rates of M − 12 (customer_months).
pub const FX_MRR_12M: &str = "fx_mrr_12m";
/// FX impact against the rates of the cohort month (customer_months).
pub const FX_MRR_COHORT: &str = "fx_mrr_cohort";
/// Window length in months (nrr_summary).
pub const WINDOW_MONTHS: &str = "window_months";

/// How a column is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `DATE`, first day of the month; internally a month index.
    Month,
    /// `DATE`; internally days since 1970-01-01.
    Day,
    /// `DECIMAL(18,2)`; internally integer cents.
    Money,
    /// `INT64`.
    Int,
    /// `FLOAT64`, null where the base is zero.
    Ratio,
    /// `STRING`.
    Text,
}

impl Kind {
    /// The Polars type of the published column.
    pub fn dtype(self) -> DataType {
        match self {
            Kind::Month | Kind::Day => DataType::Date,
            Kind::Money => DataType::Decimal(18, 2),
            Kind::Int => DataType::Int64,
            Kind::Ratio => DataType::Float64,
            Kind::Text => DataType::String,
        }
    }
}

/// One output table.
#[derive(Debug)]
pub struct TableSpec {
    /// Folder name under the output root.
    pub name: &'static str,
    /// Hive-partitioned by [`MONTH`] (one file per month) or a single file.
    pub partitioned: bool,
    /// Columns in published order; segment columns of customer_months follow.
    pub columns: &'static [(&'static str, Kind)],
    /// Row order inside each file.
    pub order_by: &'static [&'static str],
}

use Kind::*;

/// Customer-month audit trail.
pub const CUSTOMER_MONTHS: TableSpec = TableSpec {
    name: "customer_months",
    partitioned: true,
    columns: &[
        ("customer_id", Text),
        (MONTH, Month),
        (COHORT_MONTH, Month),
        (MRR, Money),
        (PREV_MRR, Money),
        (FX_MRR, Money),
        (MOVEMENT, Text),
        (FX_MRR_3M, Money),
        (FX_MRR_12M, Money),
        (FX_MRR_COHORT, Money),
    ],
    order_by: &[MONTH, "customer_id"],
};

/// Monthly MRR bridge per segment.
pub const MRR_MOVEMENTS: TableSpec = TableSpec {
    name: "mrr_movements",
    partitioned: true,
    columns: &[
        (MONTH, Month),
        (CLOSE_DATE, Day),
        (SEGMENT_NAME, Text),
        (SEGMENT_VALUE, Text),
        ("customers_start", Int),
        ("customers_end", Int),
        ("customers_new", Int),
        ("customers_reactivated", Int),
        ("customers_expanded", Int),
        ("customers_contracted", Int),
        ("customers_churned", Int),
        ("mrr_start", Money),
        ("mrr_new", Money),
        ("mrr_reactivation", Money),
        ("mrr_expansion", Money),
        ("mrr_contraction", Money),
        ("mrr_churn", Money),
        ("mrr_fx", Money),
        ("mrr_end", Money),
        ("nrr", Ratio),
        ("grr", Ratio),
        ("nrr_with_fx", Ratio),
    ],
    order_by: &[MONTH, SEGMENT_NAME, SEGMENT_VALUE],
};

/// Trailing-window NRR/GRR per segment.
pub const NRR_SUMMARY: TableSpec = TableSpec {
    name: "nrr_summary",
    partitioned: true,
    columns: &[
        (MONTH, Month),
        (WINDOW_MONTHS, Int),
        (SEGMENT_NAME, Text),
        (SEGMENT_VALUE, Text),
        ("base_customers", Int),
        ("retained_customers", Int),
        ("base_mrr", Money),
        ("expansion_mrr", Money),
        ("contraction_mrr", Money),
        ("churn_mrr", Money),
        ("fx_mrr", Money),
        ("retained_mrr", Money),
        ("gross_retained_mrr", Money),
        ("nrr", Ratio),
        ("grr", Ratio),
        ("nrr_with_fx", Ratio),
    ],
    order_by: &[MONTH, WINDOW_MONTHS, SEGMENT_NAME, SEGMENT_VALUE],
};

/// Cohort × months-since-cohort retention, long form.
pub const COHORT_MATRIX: TableSpec = TableSpec {
    name: "cohort_matrix",
    partitioned: true,
    columns: &[
        (COHORT_MONTH, Month),
        (MONTHS_SINCE_COHORT, Int),
        (MONTH, Month),
        (SEGMENT_NAME, Text),
        (SEGMENT_VALUE, Text),
        ("cohort_customers", Int),
        ("cohort_mrr", Money),
        ("active_customers", Int),
        (MRR, Money),
        ("mrr_expansion", Money),
        ("mrr_contraction", Money),
        ("mrr_churn", Money),
        ("mrr_reactivation", Money),
        ("mrr_fx", Money),
        ("nrr", Ratio),
        ("grr", Ratio),
        ("logo_retention", Ratio),
        ("nrr_with_fx", Ratio),
    ],
    order_by: &[MONTH, COHORT_MONTH, SEGMENT_NAME, SEGMENT_VALUE],
};

/// Cohort NRR matrix, one row per cohort and segment; `m00`.. columns are
/// added per the horizon.
pub const NRR_MATRIX_WIDE: TableSpec = TableSpec {
    name: "nrr_matrix_wide",
    partitioned: false,
    columns: &[
        (COHORT_MONTH, Month),
        (SEGMENT_NAME, Text),
        (SEGMENT_VALUE, Text),
        ("cohort_customers", Int),
        ("cohort_mrr", Money),
    ],
    order_by: &[COHORT_MONTH, SEGMENT_NAME, SEGMENT_VALUE],
};

/// Data-quality findings (docs/METRICS.md, "Data quality").
pub const DATA_QUALITY: TableSpec = TableSpec {
    name: "data_quality",
    partitioned: true,
    columns: &[
        (MONTH, Month),
        ("check_name", Text),
        ("severity", Text),
        ("customer_id", Text),
        ("subscription_id", Text),
        ("value", Text),
        ("message", Text),
    ],
    order_by: &[
        MONTH,
        "check_name",
        "customer_id",
        "subscription_id",
        "value",
        "message",
    ],
};

/// All tables, in the order they are written.
pub const ALL_TABLES: [&TableSpec; 6] = [
    &CUSTOMER_MONTHS,
    &MRR_MOVEMENTS,
    &NRR_SUMMARY,
    &COHORT_MATRIX,
    &DATA_QUALITY,
    &NRR_MATRIX_WIDE,
];

/// The Hive-partitioned tables: one file per timeline month.
pub const LONG_TABLES: [&TableSpec; 5] = [
    &CUSTOMER_MONTHS,
    &MRR_MOVEMENTS,
    &NRR_SUMMARY,
    &COHORT_MATRIX,
    &DATA_QUALITY,
];

/// The name of the wide matrix column for `k` months since cohort.
pub fn wide_column(k: u32) -> String {
    format!("m{k:02}")
}

/// The full published column list of a table.
pub fn columns(spec: &TableSpec, segment_by: &[String], horizon: u32) -> Vec<(String, Kind)> {
    let mut out: Vec<(String, Kind)> = spec.columns.iter().map(|(n, k)| (n.to_string(), *k)).collect();
    if spec.name == CUSTOMER_MONTHS.name {
        out.extend(segment_by.iter().map(|s| (s.clone(), Text)));
    }
    if spec.name == NRR_MATRIX_WIDE.name {
        out.extend((0..=horizon).map(|k| (wide_column(k), Ratio)));
    }
    out
}

/// Converts an engine table (working types) into its published form: the
/// contract's columns, in order, with published types, sorted by `order_by`.
pub fn finalize(spec: &TableSpec, frame: DataFrame, segment_by: &[String], horizon: u32) -> Result<DataFrame> {
    let frame = frame.sort(spec.order_by.to_vec(), SortMultipleOptions::default())?;
    publish_sorted(spec, frame, segment_by, horizon)
}

/// [`finalize`] for a frame already in `order_by` order (customer_months
/// months come out of the engine sorted).
pub fn publish_sorted(
    spec: &TableSpec,
    mut frame: DataFrame,
    segment_by: &[String],
    horizon: u32,
) -> Result<DataFrame> {
    let mut out = Vec::new();
    for (name, kind) in columns(spec, segment_by, horizon) {
        let column = frame.column(&name)?.clone();
        out.push(publish(column, kind)?);
    }
    frame = DataFrame::new(frame.height(), out)?;
    Ok(frame)
}

fn publish(column: Column, kind: Kind) -> Result<Column> {
    let name = column.name().clone();
    Ok(match kind {
        Kind::Month => {
            let months = column.cast(&DataType::Int32)?;
            let months = months.i32()?;
            // Few distinct months: convert each once.
            let (lo, hi) = (months.min().unwrap_or(0), months.max().unwrap_or(0));
            let table: Vec<i32> = (lo..=hi).map(|m| crate::Month(m).first_day_epoch_days()).collect();
            let days = months.apply_values(|m| table[(m - lo) as usize]);
            days.into_series().cast(&DataType::Date)?.with_name(name).into_column()
        }
        Kind::Money => {
            let cents = column.cast(&DataType::Int128)?;
            // DECIMAL(18,2) holds less than 10^16 in major units.
            let limit = 10_i128.pow(18);
            if let Some(big) = cents.i128()?.iter().flatten().find(|c| c.abs() >= limit) {
                return Err(crate::Error::Overflow {
                    what: format!(
                        "a value of column {name} ({}.{:02}) in the output",
                        big / 100,
                        (big % 100).abs()
                    ),
                });
            }
            cents
                .i128()?
                .clone()
                .into_decimal(18, 2)?
                .into_series()
                .with_name(name)
                .into_column()
        }
        other => column.cast(&other.dtype())?,
    })
}

/// The inverse of [`finalize`]'s type changes, for tables read back from the
/// output: `DATE` months become month indices (a [`CLOSE_DATE`] stays a
/// date) and `DECIMAL(18,2)` money becomes integer cents.
pub fn unpublish(frame: DataFrame) -> Result<DataFrame> {
    let mut out = Vec::with_capacity(frame.width());
    for column in frame.columns() {
        let name = column.name().clone();
        out.push(match column.dtype() {
            DataType::Date if name.as_str() != CLOSE_DATE => {
                let days = column.cast(&DataType::Int32)?;
                let months = days
                    .i32()?
                    .apply_values(|d| crate::Month::from_epoch_days(d).map_or(i32::MIN, |m| m.0));
                months.into_series().with_name(name).into_column()
            }
            DataType::Decimal(_, 2) => {
                let cents = column
                    .as_materialized_series()
                    .decimal()?
                    .physical()
                    .cast(&DataType::Int64)?;
                cents.with_name(name).into_column()
            }
            _ => column.clone(),
        });
    }
    Ok(DataFrame::new(frame.height(), out)?)
}
