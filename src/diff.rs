//! `nrr diff`: what changed between two outputs of the same job (last
//! night's copy and tonight's), month by month: the mrr_movements and
//! nrr_summary cells, the customer_months rows behind them, and the
//! data_quality findings.
//!
//! Outputs are byte-deterministic (the same rows give the same file), so a
//! partition whose bytes are equal in both is unchanged and is not decoded;
//! only months that moved cost more than a read. The text and JSON forms are
//! described in docs/EXPLAIN_DIFF.md.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use polars::prelude::*;
use serde::Serialize;

use crate::engine::segments::ALL;
use crate::io::published::{decode, Published};
use crate::io::write::{partition_key, DATA_FILE};
use crate::snapshots::CUSTOMER_ID;
use crate::summary::{decimal, money};
use crate::tables::{
    COHORT_MONTH, CUSTOMER_MONTHS, DATA_QUALITY, MRR_MOVEMENTS, NRR_MATRIX_WIDE, NRR_SUMMARY, SEGMENT_NAME,
    SEGMENT_VALUE, WINDOW_MONTHS,
};
use crate::{Month, Result};

/// What to compare.
#[derive(Clone, Debug)]
pub struct Options {
    /// Customers listed per month (all are counted).
    pub max_customers: usize,
    /// Compare customer_months and data_quality too (the restatement
    /// summary of `--keep-previous` needs only the aggregate tables).
    pub customers: bool,
}

/// The differences between two outputs.
#[derive(Debug, Serialize)]
pub struct Diff {
    /// The earlier output.
    pub old: String,
    /// The later output.
    pub new: String,
    /// No table cell, customer row, finding or month differs.
    pub identical: bool,
    /// Run settings that differ (from the manifests); shown, not counted.
    pub settings: Vec<Setting>,
    /// Months only the new output has (YYYY-MM).
    pub months_added: Vec<String>,
    /// Months only the old output has (YYYY-MM).
    pub months_dropped: Vec<String>,
    /// Months both have.
    pub months_compared: usize,
    /// Columns a table gained or lost.
    pub columns: Vec<ColumnChange>,
    /// Every month both have with a difference, in order.
    pub months: Vec<MonthDiff>,
    /// Changed cells of nrr_matrix_wide (one file, not by month).
    pub wide_cells: Vec<CellChange>,
    /// Rows (cohort and segment) of nrr_matrix_wide in one output only.
    pub wide_rows: Vec<RowChange>,
}

/// A run setting that differs.
#[derive(Debug, Serialize)]
pub struct Setting {
    /// Manifest field.
    pub name: &'static str,
    /// In the old output.
    pub old: String,
    /// In the new output.
    pub new: String,
}

/// A column present in one output's table only.
#[derive(Debug, Serialize)]
pub struct ColumnChange {
    /// The table.
    pub table: &'static str,
    /// The column.
    pub column: String,
    /// `added` or `removed`.
    pub change: &'static str,
}

/// One month's differences.
#[derive(Debug, Serialize)]
pub struct MonthDiff {
    /// YYYY-MM.
    pub month: String,
    /// Changed cells of mrr_movements and nrr_summary.
    pub cells: Vec<CellChange>,
    /// Rows (keys) of mrr_movements and nrr_summary in one output only.
    pub rows: Vec<RowChange>,
    /// Customers whose customer_months row changed, appeared or went.
    pub customers_changed: usize,
    /// The first `max_customers` of them, by customer id.
    pub customers: Vec<CustomerChange>,
    /// data_quality findings only the new output has.
    pub findings_added: usize,
    /// data_quality findings only the old output has.
    pub findings_removed: usize,
}

/// One changed cell.
#[derive(Debug, Serialize)]
pub struct CellChange {
    /// `mrr_movements`, `nrr_summary` or `nrr_matrix_wide`.
    pub table: &'static str,
    /// The cohort, for nrr_matrix_wide (`YYYY-MM`).
    pub cohort_month: Option<String>,
    /// The window, for nrr_summary.
    pub window_months: Option<i64>,
    /// Segment column.
    pub segment_name: String,
    /// Segment value.
    pub segment_value: String,
    /// The column.
    pub column: String,
    /// Old value.
    pub old: Cell,
    /// New value.
    pub new: Cell,
    /// new − old, for numbers.
    pub delta: Cell,
}

/// A row in one output only.
#[derive(Debug, Serialize)]
pub struct RowChange {
    /// The table.
    pub table: &'static str,
    /// The cohort, for nrr_matrix_wide (`YYYY-MM`).
    pub cohort_month: Option<String>,
    /// The window, for nrr_summary.
    pub window_months: Option<i64>,
    /// Segment column.
    pub segment_name: String,
    /// Segment value.
    pub segment_value: String,
    /// `added` or `removed`.
    pub change: &'static str,
}

/// A customer's customer_months row that differs.
#[derive(Debug, Serialize)]
pub struct CustomerChange {
    /// The customer.
    pub customer_id: String,
    /// `changed`, `added` or `removed`.
    pub change: &'static str,
    /// The columns that differ (for `changed`), or the row's MRR and
    /// movement (for `added` and `removed`).
    pub columns: Vec<FieldChange>,
}

/// One column of a customer's row.
#[derive(Debug, Serialize)]
pub struct FieldChange {
    /// The column.
    pub column: String,
    /// Old value (null for an added row).
    pub old: Cell,
    /// New value (null for a removed row).
    pub new: Cell,
}

/// A cell value. In JSON: money as an exact decimal string, counts as
/// integers, ratios as numbers, text and dates as strings, null as null.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Cents.
    Money(i64),
    /// A count.
    Int(i64),
    /// A ratio.
    Ratio(f64),
    /// Text.
    Text(String),
    /// A date, as days since 1970-01-01.
    Date(i32),
    /// Null.
    Null,
}

impl Serialize for Cell {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Cell::Money(c) => s.serialize_str(&decimal(*c)),
            Cell::Int(i) => s.serialize_i64(*i),
            Cell::Ratio(r) => s.serialize_f64(*r),
            Cell::Text(t) => s.serialize_str(t),
            Cell::Date(d) => s.serialize_str(&date(*d)),
            Cell::Null => s.serialize_none(),
        }
    }
}

impl Cell {
    fn delta(old: &Cell, new: &Cell) -> Cell {
        match (old, new) {
            (Cell::Money(a), Cell::Money(b)) => Cell::Money(b - a),
            (Cell::Int(a), Cell::Int(b)) => Cell::Int(b - a),
            (Cell::Ratio(a), Cell::Ratio(b)) => Cell::Ratio(b - a),
            _ => Cell::Null,
        }
    }

    /// For people: money with separators, ratios as percentages.
    pub fn show(&self) -> String {
        match self {
            Cell::Money(c) => money(*c),
            Cell::Int(i) => i.to_string(),
            Cell::Ratio(r) => format!("{:.2}%", r * 100.0),
            Cell::Text(t) => t.clone(),
            Cell::Date(d) => date(*d),
            Cell::Null => "null".into(),
        }
    }

    /// A delta for people: signed; ratio deltas in percentage points.
    fn show_delta(&self) -> String {
        match self {
            Cell::Money(c) => format!("{}{}", if *c >= 0 { "+" } else { "" }, money(*c)),
            Cell::Int(i) => format!("{i:+}"),
            Cell::Ratio(r) => format!("{:+.2} pp", r * 100.0),
            _ => String::new(),
        }
    }
}

fn date(days: i32) -> String {
    crate::month::epoch_days_to_date(days).map_or_else(|| days.to_string(), |d| d.to_string())
}

/// A decoded partition: its column names and each row's cells by key.
struct Rows {
    columns: Vec<String>,
    by_key: BTreeMap<Vec<KeyPart>, Vec<Cell>>,
}

/// One part of a row key, ordered as its type orders (windows 1 < 3 < 12).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum KeyPart {
    Int(i64),
    Text(String),
}

impl KeyPart {
    fn of(cell: &Cell) -> KeyPart {
        match cell {
            Cell::Int(i) | Cell::Money(i) => KeyPart::Int(*i),
            Cell::Date(d) => KeyPart::Int(i64::from(*d)),
            other => KeyPart::Text(other.show()),
        }
    }

    fn text(&self) -> String {
        match self {
            KeyPart::Int(i) => i.to_string(),
            KeyPart::Text(t) => t.clone(),
        }
    }
}

fn cells(frame: &DataFrame, key: &[&str]) -> Result<Rows> {
    let (columns, values) = row_cells(frame)?;
    let key_at: Vec<usize> = key.iter().filter_map(|k| columns.iter().position(|c| c == k)).collect();
    let mut by_key = BTreeMap::new();
    for row in values {
        let k = key_at.iter().map(|i| KeyPart::of(&row[*i])).collect();
        by_key.insert(k, row);
    }
    Ok(Rows { columns, by_key })
}

/// A frame's column names and its rows as cells.
fn row_cells(frame: &DataFrame) -> Result<(Vec<String>, Vec<Vec<Cell>>)> {
    let columns: Vec<String> = frame.get_column_names().iter().map(|c| c.to_string()).collect();
    let mut values: Vec<Vec<Cell>> = vec![Vec::with_capacity(columns.len()); frame.height()];
    for column in frame.columns() {
        let col = column.as_materialized_series();
        let cells: Vec<Cell> = match col.dtype() {
            DataType::Decimal(_, _) => col
                .decimal()?
                .physical()
                .iter()
                .map(|v| v.map_or(Cell::Null, |c| Cell::Money(c as i64)))
                .collect(),
            DataType::Date => {
                let days = col.cast(&DataType::Int32)?;
                days.i32()?.iter().map(|v| v.map_or(Cell::Null, Cell::Date)).collect()
            }
            DataType::Float64 => col.f64()?.iter().map(|v| v.map_or(Cell::Null, Cell::Ratio)).collect(),
            DataType::String => col
                .str()?
                .iter()
                .map(|v| v.map_or(Cell::Null, |t| Cell::Text(t.to_string())))
                .collect(),
            _ => {
                let ints = col.cast(&DataType::Int64)?;
                ints.i64()?.iter().map(|v| v.map_or(Cell::Null, Cell::Int)).collect()
            }
        };
        for (row, cell) in values.iter_mut().zip(cells) {
            row.push(cell);
        }
    }
    Ok((columns, values))
}

/// A failure reading `output`, named as that output's: exit 1 means "they
/// differ" for `nrr diff`, so a read failure must not be a plain internal
/// error (exit 1) but an unreadable output (exit 3).
pub fn unreadable(output: String) -> impl Fn(crate::Error) -> crate::Error {
    move |e| match e.kind() {
        crate::ErrorKind::Internal => crate::Error::NotAnOutput {
            output: output.clone(),
            reason: e.to_string(),
        },
        _ => e,
    }
}

/// A file's bytes in the old and the new output (`None` where it is absent).
type Pair = (Option<Vec<u8>>, Option<Vec<u8>>);

/// A file's bytes in both outputs; `None` when they are equal.
fn both_bytes(old: &Published, new: &Published, key: &str) -> Result<Option<Pair>> {
    let get = |side: &Published| -> Result<Option<Vec<u8>>> {
        if side.root.exists(key)? {
            side.root.get(key).map(Some)
        } else {
            Ok(None)
        }
    };
    let a = get(old).map_err(unreadable(old.display()))?;
    let b = get(new).map_err(unreadable(new.display()))?;
    Ok((a != b).then_some((a, b)))
}

/// A table's partition in both outputs; `None` when the bytes are equal.
fn changed(old: &Published, new: &Published, table: &str, month: Month) -> Result<Option<(DataFrame, DataFrame)>> {
    let key = partition_key(table, month);
    let Some((a, b)) = both_bytes(old, new, &key)? else {
        return Ok(None);
    };
    decoded_pair(old, new, &key, a, b).map(Some)
}

fn decoded_pair(
    old: &Published,
    new: &Published,
    key: &str,
    a: Option<Vec<u8>>,
    b: Option<Vec<u8>>,
) -> Result<(DataFrame, DataFrame)> {
    let frame = |bytes: Option<Vec<u8>>, out: &Published| -> Result<DataFrame> {
        match bytes {
            Some(bytes) => decode(bytes, &out.root.display(key)),
            None => Ok(DataFrame::empty()),
        }
    };
    Ok((frame(a, old)?, frame(b, new)?))
}

/// Compares two outputs.
pub fn compare(old: &Published, new: &Published, opts: &Options) -> Result<Diff> {
    let (a, b) = (&old.manifest, &new.manifest);
    let mut settings = Vec::new();
    let mut setting = |name: &'static str, x: String, y: String| {
        if x != y {
            settings.push(Setting { name, old: x, new: y });
        }
    };
    setting("input", a.input.clone(), b.input.clone());
    setting(
        "reporting_currency",
        a.reporting_currency.clone(),
        b.reporting_currency.clone(),
    );
    setting("segment_by", a.segment_by.join(","), b.segment_by.join(","));
    setting(
        "fx_rates",
        a.fx_rates.clone().unwrap_or_default(),
        b.fx_rates.clone().unwrap_or_default(),
    );
    setting("as_of", a.as_of.clone(), b.as_of.clone());
    setting("version", a.version.clone(), b.version.clone());

    let (months_old, months_new) = (old.months(MRR_MOVEMENTS.name)?, new.months(MRR_MOVEMENTS.name)?);
    let both: Vec<Month> = months_old.intersection(&months_new).copied().collect();
    let mut diff = Diff {
        old: old.display(),
        new: new.display(),
        identical: true,
        settings,
        months_added: months_new.difference(&months_old).map(|m| m.to_string()).collect(),
        months_dropped: months_old.difference(&months_new).map(|m| m.to_string()).collect(),
        months_compared: both.len(),
        columns: vec![],
        months: vec![],
        wide_cells: vec![],
        wide_rows: vec![],
    };
    let mut column_changes: BTreeSet<(&'static str, String, &'static str)> = BTreeSet::new();
    for month in both {
        let mut md = empty_month(month.to_string());
        for (table, key) in [
            (MRR_MOVEMENTS.name, &[SEGMENT_NAME, SEGMENT_VALUE][..]),
            (NRR_SUMMARY.name, &[WINDOW_MONTHS, SEGMENT_NAME, SEGMENT_VALUE][..]),
        ] {
            let Some((x, y)) = changed(old, new, table, month)? else {
                continue;
            };
            let (x, y) = (cells(&x, key)?, cells(&y, key)?);
            note_columns(table, &x, &y, &mut column_changes);
            aggregate_changes(table, &x, &y, &mut md);
        }
        if opts.customers {
            if let Some((x, y)) = changed(old, new, CUSTOMER_MONTHS.name, month)? {
                let (x, y) = (cells(&x, &[CUSTOMER_ID])?, cells(&y, &[CUSTOMER_ID])?);
                note_columns(CUSTOMER_MONTHS.name, &x, &y, &mut column_changes);
                customer_changes(&x, &y, opts.max_customers, &mut md);
            }
            if let Some((x, y)) = changed(old, new, DATA_QUALITY.name, month)? {
                let (x, y) = (findings(&x)?, findings(&y)?);
                md.findings_added = y.difference(&x).count();
                md.findings_removed = x.difference(&y).count();
            }
        }
        let any = !md.cells.is_empty()
            || !md.rows.is_empty()
            || md.customers_changed > 0
            || md.findings_added + md.findings_removed > 0;
        if any {
            diff.months.push(md);
        }
    }
    // The wide matrix is one file: compared whole.
    let wide_key = format!("{}/{}", NRR_MATRIX_WIDE.name, DATA_FILE);
    if let Some((a, b)) = both_bytes(old, new, &wide_key)? {
        let (x, y) = decoded_pair(old, new, &wide_key, a, b)?;
        let key = [COHORT_MONTH, SEGMENT_NAME, SEGMENT_VALUE];
        let (x, y) = (cells(&x, &key)?, cells(&y, &key)?);
        note_columns(NRR_MATRIX_WIDE.name, &x, &y, &mut column_changes);
        let mut md = empty_month(String::new());
        aggregate_changes(NRR_MATRIX_WIDE.name, &x, &y, &mut md);
        (diff.wide_cells, diff.wide_rows) = (md.cells, md.rows);
    }
    diff.columns = column_changes
        .into_iter()
        .map(|(table, column, change)| ColumnChange { table, column, change })
        .collect();
    diff.identical = diff.months.is_empty()
        && diff.wide_cells.is_empty()
        && diff.wide_rows.is_empty()
        && diff.months_added.is_empty()
        && diff.months_dropped.is_empty()
        && diff.columns.is_empty();
    Ok(diff)
}

fn empty_month(month: String) -> MonthDiff {
    MonthDiff {
        month,
        cells: vec![],
        rows: vec![],
        customers_changed: 0,
        customers: vec![],
        findings_added: 0,
        findings_removed: 0,
    }
}

fn note_columns(table: &'static str, x: &Rows, y: &Rows, out: &mut BTreeSet<(&'static str, String, &'static str)>) {
    // An empty side (a partition missing in one output) says nothing about columns.
    if x.columns.is_empty() || y.columns.is_empty() {
        return;
    }
    for c in y.columns.iter().filter(|c| !x.columns.contains(c)) {
        out.insert((table, c.clone(), "added"));
    }
    for c in x.columns.iter().filter(|c| !y.columns.contains(c)) {
        out.insert((table, c.clone(), "removed"));
    }
}

/// The columns both sides have, as (index in x, index in y, name).
fn common(x: &Rows, y: &Rows) -> Vec<(usize, usize, String)> {
    x.columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| y.columns.iter().position(|d| d == c).map(|j| (i, j, c.clone())))
        .collect()
}

/// A row key as (window, cohort, segment name, segment value).
fn split_key(table: &'static str, key: &[KeyPart]) -> (Option<i64>, Option<String>, String, String) {
    let text = |i: usize| key.get(i).map(KeyPart::text).unwrap_or_default();
    match (table, key.first()) {
        (t, Some(KeyPart::Int(w))) if t == NRR_SUMMARY.name => (Some(*w), None, text(1), text(2)),
        (t, Some(KeyPart::Int(days))) if t == NRR_MATRIX_WIDE.name => {
            let cohort = Month::from_epoch_days(*days as i32).map(|m| m.to_string());
            (None, cohort, text(1), text(2))
        }
        _ => (None, None, text(0), text(1)),
    }
}

fn aggregate_changes(table: &'static str, x: &Rows, y: &Rows, md: &mut MonthDiff) {
    let shared = common(x, y);
    let keys: BTreeSet<&Vec<KeyPart>> = x.by_key.keys().chain(y.by_key.keys()).collect();
    for key in keys {
        let (window_months, cohort_month, segment_name, segment_value) = split_key(table, key);
        match (x.by_key.get(key), y.by_key.get(key)) {
            (Some(a), Some(b)) => {
                for (i, j, name) in &shared {
                    if a[*i] != b[*j] && ![SEGMENT_NAME, SEGMENT_VALUE, WINDOW_MONTHS].contains(&name.as_str()) {
                        md.cells.push(CellChange {
                            table,
                            cohort_month: cohort_month.clone(),
                            window_months,
                            segment_name: segment_name.clone(),
                            segment_value: segment_value.clone(),
                            column: name.clone(),
                            delta: Cell::delta(&a[*i], &b[*j]),
                            old: a[*i].clone(),
                            new: b[*j].clone(),
                        });
                    }
                }
            }
            (a, _) => md.rows.push(RowChange {
                table,
                cohort_month,
                window_months,
                segment_name,
                segment_value,
                change: if a.is_some() { "removed" } else { "added" },
            }),
        }
    }
}

fn customer_changes(x: &Rows, y: &Rows, max: usize, md: &mut MonthDiff) {
    let shared = common(x, y);
    let shown = |rows: &Rows, row: &[Cell], old: bool| -> Vec<FieldChange> {
        ["mrr", "movement"]
            .iter()
            .filter_map(|c| rows.columns.iter().position(|d| d == c))
            .map(|i| FieldChange {
                column: rows.columns[i].clone(),
                old: if old { row[i].clone() } else { Cell::Null },
                new: if old { Cell::Null } else { row[i].clone() },
            })
            .collect()
    };
    let ids: BTreeSet<&Vec<KeyPart>> = x.by_key.keys().chain(y.by_key.keys()).collect();
    for id in ids {
        let change = match (x.by_key.get(id), y.by_key.get(id)) {
            (Some(a), Some(b)) => {
                let columns: Vec<FieldChange> = shared
                    .iter()
                    .filter(|(i, j, _)| a[*i] != b[*j])
                    .map(|(i, j, name)| FieldChange {
                        column: name.clone(),
                        old: a[*i].clone(),
                        new: b[*j].clone(),
                    })
                    .collect();
                if columns.is_empty() {
                    continue;
                }
                ("changed", columns)
            }
            (Some(a), None) => ("removed", shown(x, a, true)),
            (None, Some(b)) => ("added", shown(y, b, false)),
            (None, None) => continue,
        };
        md.customers_changed += 1;
        if md.customers.len() < max {
            md.customers.push(CustomerChange {
                customer_id: id.first().map(KeyPart::text).unwrap_or_default(),
                change: change.0,
                columns: change.1,
            });
        }
    }
}

/// data_quality rows as a set (findings have no key; the table's sort
/// order makes equal findings sit together, so a set loses nothing).
fn findings(frame: &DataFrame) -> Result<BTreeSet<Vec<String>>> {
    let (_, rows) = row_cells(frame)?;
    Ok(rows
        .into_iter()
        .map(|row| row.iter().map(Cell::show).collect())
        .collect())
}

/// The one-line restatement summary `--keep-previous` logs.
pub fn restatement(diff: &Diff) -> String {
    let mut parts = Vec::new();
    if diff.months.is_empty() {
        parts.push("no published month restated".to_string());
    } else {
        let n = diff.months.len();
        let shown: Vec<String> = diff
            .months
            .iter()
            .take(5)
            .map(|m| {
                // The month's headline: its NRR, else its end MRR, of all customers.
                // The month's headline, of all customers: its monthly NRR, else
                // its end MRR, else the shortest window's NRR that moved.
                let total = |table: &str, column: &str| {
                    m.cells
                        .iter()
                        .find(|c| c.table == table && c.segment_name == ALL && c.column == column)
                };
                let shown = |c: &CellChange| (c.old.show(), c.new.show());
                if let Some(c) = total(MRR_MOVEMENTS.name, "nrr") {
                    let (a, b) = shown(c);
                    format!("{} NRR {a} → {b}", m.month)
                } else if let Some(c) = total(MRR_MOVEMENTS.name, "mrr_end") {
                    let (a, b) = shown(c);
                    format!("{} end MRR {a} → {b} (NRR unchanged)", m.month)
                } else if let Some(c) = m
                    .cells
                    .iter()
                    .filter(|c| c.table == NRR_SUMMARY.name && c.segment_name == ALL && c.column == "nrr")
                    .min_by_key(|c| c.window_months)
                {
                    let (a, b) = shown(c);
                    format!(
                        "{} {}-month NRR {a} → {b}",
                        m.month,
                        c.window_months.unwrap_or_default()
                    )
                } else if m.cells.is_empty() && m.rows.is_empty() {
                    format!("{} (customer rows or findings only)", m.month)
                } else {
                    format!("{} (segment or window cells only)", m.month)
                }
            })
            .collect();
        let more = if n > 5 {
            format!(", and {} more", n - 5)
        } else {
            String::new()
        };
        parts.push(format!(
            "restated {n} published month{}: {}{more}",
            if n == 1 { "" } else { "s" },
            shown.join(", ")
        ));
    }
    if !diff.months_added.is_empty() {
        parts.push(format!("months added: {}", diff.months_added.join(", ")));
    }
    if !diff.months_dropped.is_empty() {
        parts.push(format!("months dropped: {}", diff.months_dropped.join(", ")));
    }
    parts.join("; ")
}

/// The diff as text for people.
pub fn render(diff: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "nrr diff {} → {}", diff.old, diff.new);
    for s in &diff.settings {
        let _ = writeln!(out, "  setting {}: {} → {}", s.name, s.old, s.new);
    }
    if diff.identical {
        let _ = writeln!(
            out,
            "identical: {} months compared, no table cell differs",
            diff.months_compared
        );
        return out;
    }
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    let _ = writeln!(
        out,
        "{} of {} months compared differ; months added: {}; months dropped: {}",
        diff.months.len(),
        diff.months_compared,
        list(&diff.months_added),
        list(&diff.months_dropped)
    );
    for c in &diff.columns {
        let _ = writeln!(out, "  {} column {} {}", c.table, c.column, c.change);
    }
    if !diff.wide_cells.is_empty() || !diff.wide_rows.is_empty() {
        let _ = writeln!(out, "\nnrr_matrix_wide");
        for c in &diff.wide_cells {
            let _ = writeln!(
                out,
                "  cohort {} {:<24} {:<8} {:>16} → {:<16} {}",
                c.cohort_month.as_deref().unwrap_or(""),
                format!("{}={}", c.segment_name, c.segment_value),
                c.column,
                c.old.show(),
                c.new.show(),
                c.delta.show_delta()
            );
        }
        for r in &diff.wide_rows {
            let _ = writeln!(
                out,
                "  cohort {} {}={} {}",
                r.cohort_month.as_deref().unwrap_or(""),
                r.segment_name,
                r.segment_value,
                r.change
            );
        }
    }
    for m in &diff.months {
        let _ = writeln!(out, "\n{}", m.month);
        for c in &m.cells {
            let table = match c.window_months {
                Some(w) => format!("{} {w}m", c.table),
                None => c.table.to_string(),
            };
            let _ = writeln!(
                out,
                "  {table:<18} {:<24} {:<22} {:>16} → {:<16} {}",
                format!("{}={}", c.segment_name, c.segment_value),
                c.column,
                c.old.show(),
                c.new.show(),
                c.delta.show_delta()
            );
        }
        for r in &m.rows {
            let _ = writeln!(
                out,
                "  {} row {}={}{} {}",
                r.table,
                r.segment_name,
                r.segment_value,
                r.window_months.map(|w| format!(" ({w}m)")).unwrap_or_default(),
                r.change
            );
        }
        if m.customers_changed > 0 {
            let _ = writeln!(
                out,
                "  customers: {} changed{}",
                m.customers_changed,
                if m.customers.len() < m.customers_changed {
                    format!(" (first {} shown)", m.customers.len())
                } else {
                    String::new()
                }
            );
            for c in &m.customers {
                let what: Vec<String> = c
                    .columns
                    .iter()
                    .map(|f| format!("{} {} → {}", f.column, f.old.show(), f.new.show()))
                    .collect();
                let _ = writeln!(out, "    {} ({}): {}", c.customer_id, c.change, what.join("; "));
            }
        }
        if m.findings_added + m.findings_removed > 0 {
            let _ = writeln!(
                out,
                "  data_quality: {} findings added, {} removed",
                m.findings_added, m.findings_removed
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(table: &'static str, window: Option<i64>, column: &str, old: f64, new: f64) -> CellChange {
        CellChange {
            table,
            cohort_month: None,
            window_months: window,
            segment_name: ALL.into(),
            segment_value: ALL.into(),
            column: column.into(),
            old: Cell::Ratio(old),
            new: Cell::Ratio(new),
            delta: Cell::Ratio(new - old),
        }
    }

    #[test]
    fn the_restatement_names_the_shortest_window_that_moved() {
        let mut month = empty_month("2024-06".into());
        month.cells = vec![
            cell(NRR_SUMMARY.name, Some(12), "nrr", 1.10, 1.09),
            cell(NRR_SUMMARY.name, Some(3), "nrr", 0.98, 0.97),
        ];
        let diff = Diff {
            old: "a".into(),
            new: "b".into(),
            identical: false,
            settings: vec![],
            months_added: vec!["2024-07".into()],
            months_dropped: vec![],
            months_compared: 1,
            columns: vec![],
            months: vec![month],
            wide_cells: vec![],
            wide_rows: vec![],
        };
        assert_eq!(
            restatement(&diff),
            "restated 1 published month: 2024-06 3-month NRR 98.00% → 97.00%; months added: 2024-07"
        );
    }

    #[test]
    fn windows_sort_as_numbers() {
        let mut keys = [KeyPart::Int(12), KeyPart::Int(3), KeyPart::Int(1)];
        keys.sort();
        assert_eq!(keys, [KeyPart::Int(1), KeyPart::Int(3), KeyPart::Int(12)]);
    }
}
