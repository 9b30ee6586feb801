//! The engine: snapshot rows in, the five tables out (working types).
//!
//! Pure: no files, no clocks, no environment. Each stage is a function of
//! data frames, timed in a `tracing` span with its row counts.

use polars::prelude::*;
use tracing::info_span;

use crate::currency::{self, FxRates};
use crate::month_close::{self, Timeline};
use crate::segments::Keys;
use crate::snapshots::{self, Snapshots};
use crate::{cohorts, ledger, movements, windows, Error, Result};

/// Options of one computation.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Last month of the timeline; default the last month in the data.
    pub as_of: Option<crate::Month>,
    /// Segment columns (canonical names as read).
    pub segment_by: Vec<String>,
    /// Currency of all money in the output.
    pub reporting_currency: String,
    /// Last months-since-cohort column of the wide matrix.
    pub horizon: u32,
}

/// The computed tables, in working types (see [`crate::tables`]).
pub struct Tables {
    /// The months reported.
    pub timeline: Timeline,
    /// customer_months.
    pub customer_months: DataFrame,
    /// mrr_movements.
    pub mrr_movements: DataFrame,
    /// nrr_summary.
    pub nrr_summary: DataFrame,
    /// cohort_matrix.
    pub cohort_matrix: DataFrame,
    /// nrr_matrix_wide.
    pub nrr_matrix_wide: DataFrame,
    /// The engine's own checks that passed.
    pub checks: Checks,
}

/// Counts of the internal checks a computation passed (any failure is an error).
#[derive(Clone, Copy, Debug, Default)]
pub struct Checks {
    /// mrr_movements rows whose bridge reconciles.
    pub bridge_rows: usize,
    /// (month, segment column) pairs whose values sum to the totals.
    pub segment_sums: usize,
}

/// Runs every stage of the engine.
pub fn compute(input: &Snapshots, fx: Option<&FxRates>, opts: &EngineOptions) -> Result<Tables> {
    let closed = info_span!("month_close").in_scope(|| month_close::close(input, opts.as_of))?;
    let timeline = closed.timeline;

    let sub_months = info_span!("currency").in_scope(|| -> Result<DataFrame> {
        // The checks and the conversion read the same rows: run them side by side.
        let (checked, cents) = std::thread::scope(|scope| {
            let check = scope.spawn(|| snapshots::validate(&closed.rows, input));
            let cents = currency::row_cents(&closed.rows, fx, &opts.reporting_currency, input);
            (check.join().expect("validation thread"), cents)
        });
        checked?;
        let cents = cents?;
        let mut converted = closed.rows;
        converted.with_column(cents.into_column())?;
        tracing::info!(rows = converted.height(), "subscription-months converted to cents");
        Ok(converted)
    })?;

    let ledger = info_span!("customer_months").in_scope(|| -> Result<_> {
        let ledger = ledger::build(&sub_months, timeline, &opts.segment_by)?;
        tracing::info!(
            rows = ledger.rows.customer.len(),
            customers = ledger.customers(),
            "customer months"
        );
        Ok(ledger)
    })?;
    drop(sub_months);
    let keys = Keys::new(&ledger, timeline);
    let customer_months =
        info_span!("customer_months_table").in_scope(|| ledger::customer_months(&ledger, &opts.segment_by))?;

    let mut checks = Checks::default();
    let mrr_movements = info_span!("movements").in_scope(|| -> Result<DataFrame> {
        let bridge = movements::bridge(&ledger, &keys, timeline)?;
        let broken = movements::unreconciled(&bridge)?;
        if broken > 0 {
            return Err(Error::Invariant(format!(
                "{broken} mrr_movements row(s) do not reconcile"
            )));
        }
        let (checked, mismatched) = movements::segment_sum_mismatches(&bridge)?;
        if mismatched > 0 {
            return Err(Error::Invariant(format!(
                "{mismatched} (month, segment) sums differ from the totals"
            )));
        }
        checks = Checks {
            bridge_rows: bridge.height(),
            segment_sums: checked,
        };
        tracing::info!(rows = bridge.height(), "mrr movements");
        Ok(bridge)
    })?;

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

    Ok(Tables {
        timeline,
        customer_months,
        mrr_movements,
        nrr_summary,
        cohort_matrix,
        nrr_matrix_wide,
        checks,
    })
}
