//! The engine: month-close rows in, the five tables out (working types).
//!
//! Pure: no files, no clocks, no environment. Each stage is a function of
//! data frames, timed in a `tracing` span with its row counts. The modules
//! form layers whose arrows point one way:
//!
//! - rules, each in one place: [`month_close`] (which day, which months),
//!   [`statuses`] (which rows count), [`validate`] (which rows are bad),
//!   [`currency`] (exact cents), [`movements`] (new, expansion, …, churn),
//!   [`segments`] (a customer's fixed values), [`ratios`] (NRR, GRR);
//! - per-customer state: [`ledger`], and the table [`keys`] over it;
//! - table builders: [`customer_months`], [`bridge`], [`windows`],
//!   [`cohorts`], all summing through [`accumulate`];
//! - [`compute`], which runs them in order.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;
use tracing::info_span;

pub mod accumulate;
pub mod bridge;
pub mod cohorts;
pub mod currency;
pub mod customer_months;
pub mod keys;
pub mod ledger;
pub mod month_close;
pub mod movements;
pub mod quality;
pub mod ratios;
pub mod segments;
pub mod statuses;
pub mod validate;
pub mod windows;

use crate::{Month, Result};
use currency::FxRates;
use keys::Keys;
use month_close::{CloseOptions, Closed, DayTotals, Timeline};

/// Options of one computation.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Last month of the timeline; default the last month in the data
    /// (applied when the month-close rows are read).
    pub as_of: Option<crate::Month>,
    /// Segment columns (canonical names as read).
    pub segment_by: Vec<String>,
    /// Currency of all money in the output.
    pub reporting_currency: String,
    /// Last months-since-cohort column of the wide matrix.
    pub horizon: u32,
    /// How close days are chosen (pins, applied when the rows are read) and checked.
    pub close: CloseOptions,
    /// Statuses whose rows count zero (compared trimmed, any case).
    pub zero_statuses: Vec<String>,
}

/// The computed tables, in working types (see [`crate::tables`]).
pub struct Tables {
    /// The months reported.
    pub timeline: Timeline,
    /// close(M) of each month reported.
    pub close_dates: BTreeMap<Month, NaiveDate>,
    /// Close days let through the partial-close check, and pinned months.
    pub close_exceptions: Vec<month_close::CloseException>,
    /// customer_months, produced a month at a time.
    pub customer_months: customer_months::CustomerMonths,
    /// mrr_movements.
    pub mrr_movements: DataFrame,
    /// nrr_summary.
    pub nrr_summary: DataFrame,
    /// cohort_matrix.
    pub cohort_matrix: DataFrame,
    /// nrr_matrix_wide.
    pub nrr_matrix_wide: DataFrame,
    /// data_quality: the findings.
    pub data_quality: DataFrame,
    /// Warning findings.
    pub warnings: usize,
    /// Info findings.
    pub infos: usize,
    /// The engine's own checks that passed.
    pub checks: Checks,
}

impl Tables {
    /// Whether the as-of month closes before its last calendar day: its
    /// numbers are month-to-date.
    pub fn month_to_date(&self) -> bool {
        self.close_dates
            .get(&self.timeline.last)
            .is_some_and(|d| *d < self.timeline.last.last_day())
    }
}

/// Counts of the internal checks a computation passed (any failure is an error).
#[derive(Clone, Copy, Debug, Default)]
pub struct Checks {
    /// mrr_movements rows whose bridge reconciles.
    pub bridge_rows: usize,
    /// (month, segment column) pairs whose values sum to the totals.
    pub segment_sums: usize,
}

/// Runs every stage of the engine on the month-close rows.
pub fn compute(closed: Closed, fx: Option<&FxRates>, opts: &EngineOptions) -> Result<Tables> {
    let Closed {
        timeline,
        close_dates,
        earlier,
        rows,
        sources,
        columns,
    } = closed;
    let column_findings = quality::column_findings(&columns, fx.is_some());
    let status_findings = info_span!("statuses").in_scope(|| -> Result<_> {
        let seen = statuses::census(&rows, &opts.zero_statuses)?;
        for s in &seen {
            tracing::info!(status = %s.status, rows = s.rows, counts_mrr = s.counts, known = s.known, "status seen");
        }
        Ok(quality::status_findings(&seen, &opts.zero_statuses))
    })?;

    let (sub_months, money, close_exceptions) = info_span!("currency").in_scope(|| -> Result<_> {
        let mut rows = statuses::counted(rows, &opts.zero_statuses)?;
        // The checks and the conversion read the same rows: run them side by side.
        let (checked, cents) = std::thread::scope(|scope| {
            let check = scope.spawn(|| validate::validate(&rows, &sources));
            let cents = currency::row_cents(&rows, fx, &opts.reporting_currency, &sources);
            (check.join(), cents)
        });
        checked.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let close_totals = day_totals(&rows, &close_dates)?;
        let exceptions = month_close::check_close_days(&close_totals, &earlier, &opts.close)?;
        for e in &exceptions {
            tracing::warn!(
                month = %e.month,
                close_day = %e.close.day,
                close_subscriptions = e.close.subscriptions,
                compared_day = %e.compared.day,
                compared_subscriptions = e.compared.subscriptions,
                by = e.by,
                "close day let through"
            );
        }
        let (cents, money) = cents?;
        rows.with_column(cents.into_column())?;
        tracing::info!(rows = rows.height(), "subscription-months converted to cents");
        Ok((rows, money, exceptions))
    })?;

    let ledger = info_span!("customer_months").in_scope(|| -> Result<_> {
        let ledger = ledger::build(&sub_months, &money, timeline, &opts.segment_by, &sources)?;
        tracing::info!(
            rows = ledger.rows.len(),
            customers = ledger.customers(),
            "customer months"
        );
        Ok(ledger)
    })?;
    drop((sub_months, money));
    let data_quality = info_span!("data_quality").in_scope(|| -> Result<_> {
        let mut findings = quality::close_findings(&close_exceptions);
        findings.extend(column_findings);
        findings.extend(status_findings);
        findings.extend(ledger.findings.iter().cloned());
        let (warnings, infos) = quality::counts(&findings);
        tracing::info!(warnings, infos, "data quality");
        Ok((quality::table(&findings)?, warnings, infos))
    })?;
    let keys = Keys::new(&ledger, timeline);

    let bridge = info_span!("movements").in_scope(|| -> Result<_> {
        let bridge = bridge::build(&ledger, &keys, timeline, &close_dates)?;
        tracing::info!(rows = bridge.table.height(), "mrr movements");
        Ok(bridge)
    })?;
    let checks = Checks {
        bridge_rows: bridge.table.height(),
        segment_sums: bridge.segment_sums_checked,
    };

    let nrr_summary = info_span!("windows").in_scope(|| -> Result<DataFrame> {
        let summary = windows::summary(&ledger, &keys, timeline)?;
        tracing::info!(rows = summary.height(), "nrr summary");
        Ok(summary)
    })?;

    let (cohort_matrix, nrr_matrix_wide) = info_span!("cohorts").in_scope(|| -> Result<_> {
        let matrix = cohorts::matrix(&ledger, &keys, timeline)?;
        let wide = cohorts::wide(&matrix, opts.horizon)?;
        tracing::info!(rows = matrix.height(), wide_rows = wide.height(), "cohorts");
        Ok((matrix, wide))
    })?;

    // Last: it takes the ledger over.
    let customer_months =
        info_span!("customer_months_table").in_scope(|| customer_months::CustomerMonths::new(ledger, &opts.segment_by));

    Ok(Tables {
        timeline,
        close_dates,
        close_exceptions,
        customer_months,
        mrr_movements: bridge.table,
        nrr_summary,
        cohort_matrix,
        nrr_matrix_wide,
        data_quality: data_quality.0,
        warnings: data_quality.1,
        infos: data_quality.2,
        checks,
    })
}

/// Counted subscriptions and their MRR as exported on each month's close day.
fn day_totals(rows: &DataFrame, close: &BTreeMap<Month, NaiveDate>) -> Result<BTreeMap<Month, DayTotals>> {
    use crate::snapshots::{MONTH, MRR};
    let months = rows.column(MONTH)?.i32()?;
    let mrr = rows.column(MRR)?.cast(&DataType::Float64)?;
    let mrr = mrr.f64()?;
    let mut totals: BTreeMap<Month, DayTotals> = close
        .iter()
        .map(|(m, day)| {
            (
                *m,
                DayTotals {
                    day: *day,
                    ..Default::default()
                },
            )
        })
        .collect();
    for (m, v) in months.iter().zip(mrr.iter()) {
        if let Some(t) = m.and_then(|m| totals.get_mut(&Month(m))) {
            t.subscriptions += 1;
            t.mrr += v.unwrap_or(0.0);
        }
    }
    Ok(totals)
}
