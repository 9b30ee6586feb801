//! The engine: month-close rows in, the five tables out (working types),
//! one month at a time.
//!
//! Pure: no files, no clocks, no environment. Each stage is a function of
//! data frames, timed in a `tracing` span with its row counts. The modules
//! form layers whose arrows point one way:
//!
//! - rules, each in one place: [`month_close`] (which day, which months),
//!   [`statuses`] (which rows count), [`validate`] (which rows are bad),
//!   [`currency`] (exact cents), [`movements`] (new, expansion, …, churn),
//!   [`segments`] (a customer's fixed values), [`ratios`] (NRR, GRR),
//!   [`quality`] (data-quality findings);
//! - per-customer state, folded month by month: [`fold`], which also emits
//!   each month's customer_months rows, and the table [`keys`];
//! - table builders from the fold's sums: [`bridge`], [`windows`],
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
pub mod fold;
pub mod keys;
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
use month_close::{CloseOptions, Closed, Timeline};

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

/// The computed tables, in working types (see [`crate::tables`]);
/// customer_months left month by month through the caller's sink.
pub struct Tables {
    /// The months reported.
    pub timeline: Timeline,
    /// close(M) of each month reported.
    pub close_dates: BTreeMap<Month, NaiveDate>,
    /// Close days let through the partial-close check, and pinned months.
    pub close_exceptions: Vec<month_close::CloseException>,
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
    /// How much was folded, and the most rows held at once.
    pub folded: FoldCounts,
}

/// What the month-at-a-time fold went through.
#[derive(Clone, Copy, Debug, Default)]
pub struct FoldCounts {
    /// Close rows folded, all months.
    pub rows: usize,
    /// The most close rows held at once: one month's.
    pub rows_held_max: usize,
    /// customer_months rows handed to the sink.
    pub customer_months: usize,
    /// Customers with a cohort.
    pub customers: usize,
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

/// Runs the engine month by month: `rows(M)` gives month M's close rows,
/// `customer_months(M, frame)` takes month M's customer_months rows as soon
/// as they are folded, and the aggregate tables come back at the end.
pub fn compute(
    closed: Closed,
    rows: &mut dyn FnMut(Month) -> Result<DataFrame>,
    fx: Option<&FxRates>,
    opts: &EngineOptions,
    customer_months: &mut dyn FnMut(Month, DataFrame) -> Result<()>,
) -> Result<Tables> {
    let Closed {
        timeline,
        close_dates,
        earlier,
        sources,
        columns,
    } = closed;
    let column_findings = quality::column_findings(&columns, fx.is_some());
    let started = std::time::Instant::now();
    let mut fold = fold::Fold::new(timeline, fx, opts, &sources);
    info_span!("fold").in_scope(|| -> Result<()> {
        for (done, month) in timeline.first.through(timeline.last).enumerate() {
            let day = *close_dates
                .get(&month)
                .ok_or_else(|| crate::Error::Invariant(format!("no close day for {month}")))?;
            let frame = rows(month)?;
            let n = frame.height();
            let cm = fold.month(month, frame, day)?;
            let cm_rows = cm.height();
            customer_months(month, cm)?;
            let seconds = started.elapsed().as_secs_f64();
            tracing::info!(
                target: "nrr::progress",
                month = %month,
                done = done + 1,
                months = timeline.len(),
                rows = n,
                customer_months = cm_rows,
                rows_per_second = (fold.rows_folded as f64 / seconds.max(1e-9)) as u64,
                "month folded"
            );
        }
        tracing::info!(rows = fold.rows_folded, "subscription-months converted to cents");
        Ok(())
    })?;
    let folded_counts = FoldCounts {
        rows: fold.rows_folded,
        rows_held_max: fold.rows_held_max,
        customer_months: fold.customer_month_rows,
        customers: 0,
    };
    let close_exceptions = month_close::check_close_days(&fold.close_totals, &earlier, &opts.close)?;
    if let Some(e) = fold.deferred.take() {
        return Err(e);
    }
    let mut findings = std::mem::take(&mut fold.findings);
    let folded = fold.finish();
    let folded_counts = FoldCounts {
        customers: folded.customers,
        ..folded_counts
    };
    tracing::info!(
        rows = folded_counts.customer_months,
        customers = folded.customers,
        "customer months"
    );
    for s in &folded.statuses {
        tracing::info!(status = %s.status, rows = s.rows, counts_mrr = s.counts, known = s.known, "status seen");
    }
    for e in &close_exceptions {
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
    let data_quality = info_span!("data_quality").in_scope(|| -> Result<_> {
        let mut all = quality::close_findings(&close_exceptions);
        all.extend(column_findings);
        all.extend(quality::status_findings(&folded.statuses, &opts.zero_statuses));
        all.append(&mut findings);
        let (warnings, infos) = quality::counts(&all);
        tracing::info!(warnings, infos, "data quality");
        Ok((quality::table(&all)?, warnings, infos))
    })?;
    let keys = &folded.keys;
    let bridge = info_span!("movements").in_scope(|| -> Result<_> {
        let bridge = bridge::emit(&folded.bridge, keys, timeline, &close_dates)?;
        tracing::info!(rows = bridge.table.height(), "mrr movements");
        Ok(bridge)
    })?;
    let checks = Checks {
        bridge_rows: bridge.table.height(),
        segment_sums: bridge.segment_sums_checked,
    };
    let nrr_summary = info_span!("windows").in_scope(|| -> Result<DataFrame> {
        let summary = windows::emit(&folded.windows, keys, timeline)?;
        tracing::info!(rows = summary.height(), "nrr summary");
        Ok(summary)
    })?;
    let (cohort_matrix, nrr_matrix_wide) = info_span!("cohorts").in_scope(|| -> Result<_> {
        let matrix = cohorts::emit(&folded.sizes, &folded.cohorts, keys, timeline)?;
        let wide = cohorts::wide(&matrix, opts.horizon)?;
        tracing::info!(rows = matrix.height(), wide_rows = wide.height(), "cohorts");
        Ok((matrix, wide))
    })?;

    Ok(Tables {
        timeline,
        close_dates,
        close_exceptions,
        mrr_movements: bridge.table,
        nrr_summary,
        cohort_matrix,
        nrr_matrix_wide,
        data_quality: data_quality.0,
        warnings: data_quality.1,
        infos: data_quality.2,
        checks,
        folded: folded_counts,
    })
}
