//! The short text summary `nrr run` prints: the latest month's MRR bridge and
//! trailing NRR/GRR, for the totals.

use std::fmt::Write as _;

use polars::prelude::*;

use crate::engine::segments::ALL;
use crate::engine::windows::WINDOWS;
use crate::engine::Tables;
use crate::tables::{MONTH, SEGMENT_NAME, WINDOW_MONTHS};
use crate::Result;

/// Formats cents as `1,234,567.89`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let units = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

/// Formats cents as a plain exact decimal, `-1234567.89`: money in JSON
/// output, which a float would round.
pub fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Serializes cents as [`decimal`] text (serde `serialize_with`).
pub fn serialize_cents<S: serde::Serializer>(cents: &i64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&decimal(*cents))
}

fn percent(ratio: Option<f64>) -> String {
    ratio
        .map(|r| format!("{:.1}%", r * 100.0))
        .unwrap_or_else(|| "n/a".into())
}

/// The summary text.
pub fn render(tables: &Tables, currency: &str) -> Result<String> {
    let last = tables.timeline.last;
    let totals = |frame: &DataFrame| -> Result<DataFrame> {
        Ok(frame
            .clone()
            .lazy()
            .filter(col(MONTH).eq(lit(last.0)).and(col(SEGMENT_NAME).eq(lit(ALL))))
            .collect()?)
    };
    let bridge = totals(&tables.mrr_movements)?;
    let get = |name: &str| -> i64 {
        bridge
            .column(name)
            .ok()
            .filter(|c| !c.is_empty())
            .and_then(|c| c.i64().ok()?.get(0))
            .unwrap_or(0)
    };
    let count = |name: &str| get(name);

    let mut out = String::new();
    let _ = writeln!(
        out,
        "nrr: timeline {} to {} ({} months), {} customers at month end",
        tables.timeline.first,
        last,
        tables.timeline.len(),
        count("customers_end")
    );
    if tables.month_to_date() {
        let close = tables.close_dates.get(&last).map(|d| d.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "note: {last} is month-to-date: it stands on the snapshot of {close}, before the month's last day"
        );
    }
    let _ = writeln!(out, "MRR bridge {last} ({currency})");
    let rows = [
        ("  start", "mrr_start", ""),
        ("+ new", "mrr_new", "customers_new"),
        ("+ reactivation", "mrr_reactivation", "customers_reactivated"),
        ("+ expansion", "mrr_expansion", "customers_expanded"),
        ("- contraction", "mrr_contraction", "customers_contracted"),
        ("- churn", "mrr_churn", "customers_churned"),
        ("+ FX", "mrr_fx", ""),
        ("= end", "mrr_end", ""),
    ];
    for (label, amount, customers) in rows {
        let who = if customers.is_empty() {
            String::new()
        } else {
            let n = count(customers);
            format!("  ({n} customer{})", if n == 1 { "" } else { "s" })
        };
        let _ = writeln!(out, "  {label:<16}{:>18}{who}", money(get(amount)));
    }
    let ratio = |name: &str| bridge.column(name).ok().and_then(|c| c.f64().ok()?.get(0));
    let _ = writeln!(
        out,
        "  NRR {} at constant currency, {} with FX; GRR {}",
        percent(ratio("nrr")),
        percent(ratio("nrr_with_fx")),
        percent(ratio("grr"))
    );
    // Trailing NRR/GRR at the as-of month, totals first, then each segment value.
    let latest = tables
        .nrr_summary
        .clone()
        .lazy()
        .filter(col(MONTH).eq(lit(last.0)))
        .collect()?;
    let names = latest.column(SEGMENT_NAME)?.str()?;
    let values = latest.column(crate::tables::SEGMENT_VALUE)?.str()?;
    let windows = latest.column(WINDOW_MONTHS)?.i64()?;
    let (nrr, grr) = (latest.column("nrr")?.f64()?, latest.column("grr")?.f64()?);
    let with_fx = latest.column("nrr_with_fx")?.f64()?;
    let mut rows: Vec<(String, [Option<f64>; 7])> = Vec::new();
    for i in 0..latest.height() {
        let (name, value) = (names.get(i).unwrap_or(""), values.get(i).unwrap_or(""));
        let label = if name == ALL {
            "all customers".to_string()
        } else {
            format!("{name}={value}")
        };
        let Some(w) = WINDOWS.iter().position(|w| Some(i64::from(*w)) == windows.get(i)) else {
            continue;
        };
        let row = match rows.iter_mut().find(|(l, _)| *l == label) {
            Some(row) => row,
            None => {
                rows.push((label, [None; 7]));
                rows.last_mut().expect("pushed")
            }
        };
        row.1[2 * w] = nrr.get(i);
        row.1[2 * w + 1] = grr.get(i);
        if w == WINDOWS.len() - 1 {
            row.1[6] = with_fx.get(i);
        }
    }
    rows.sort_by_key(|(label, _)| (label != "all customers", label.clone()));
    let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0).max(7);
    let _ = writeln!(out, "Trailing retention at {last} (NRR and GRR at constant currency)");
    let _ = writeln!(
        out,
        "  {:<width$}{:>9}{:>8}{:>9}{:>8}{:>9}{:>8}{:>13}",
        "segment", "1mo NRR", "GRR", "3mo NRR", "GRR", "12mo NRR", "GRR", "12mo w/ FX"
    );
    for (label, v) in &rows {
        let _ = writeln!(
            out,
            "  {label:<width$}{:>9}{:>8}{:>9}{:>8}{:>9}{:>8}{:>13}",
            percent(v[0]),
            percent(v[1]),
            percent(v[2]),
            percent(v[3]),
            percent(v[4]),
            percent(v[5]),
            percent(v[6])
        );
    }
    if rows.is_empty() {
        let _ = writeln!(out, "  (no window fits in a one-month timeline)");
    }
    // Findings about the input as a whole are worth reading before any number.
    let dq = &tables.data_quality;
    if let (Ok(checks), Ok(messages)) = (dq.column("check_name"), dq.column("message")) {
        let (checks, messages) = (checks.str()?, messages.str()?);
        for (check, message) in checks.iter().zip(messages.iter()) {
            if matches!(
                check,
                Some("fx_without_currency" | "status_partly_missing" | "unknown_status")
            ) {
                let _ = writeln!(out, "warning: {}", message.unwrap_or_default());
            }
        }
    }
    if tables.warnings + tables.infos > 0 {
        let _ = writeln!(
            out,
            "Data quality: {} warning{}, {} note{} (the data_quality table lists each one)",
            tables.warnings,
            if tables.warnings == 1 { "" } else { "s" },
            tables.infos,
            if tables.infos == 1 { "" } else { "s" }
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_groups_thousands() {
        assert_eq!(super::money(123_456_789), "1,234,567.89");
        assert_eq!(super::money(5), "0.05");
        assert_eq!(super::money(-100_000), "-1,000.00");
    }
}
