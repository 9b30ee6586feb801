//! One batch run: read, compute, write. The binary's `run` command is a thin
//! layer over [`run`].

use std::time::Instant;

use tracing::info_span;

use crate::config::JobConfig;
use crate::engine::{self, Tables};
use crate::io::{read, write};
use crate::tables::{self, ALL_TABLES};
use crate::{Error, Result};

/// What a run produced.
pub struct RunOutcome {
    /// The tables in working types (for the summary).
    pub tables: Tables,
    /// What was written per table.
    pub written: Vec<write::Written>,
    /// Wall time of the run in seconds.
    pub seconds: f64,
}

/// Reads the input, computes every table and writes them. Nothing is written
/// unless every input check passes and every table is computed.
pub fn run(cfg: &JobConfig) -> Result<RunOutcome> {
    let started = Instant::now();
    let snapshots = info_span!("read").in_scope(|| {
        read::read_snapshots(
            &cfg.input,
            &cfg.columns,
            &cfg.engine.segment_by,
            &cfg.engine.reporting_currency,
        )
    })?;
    let fx = cfg.fx_rates.as_deref().map(read::read_fx_rates).transpose()?;
    let tables = match engine::compute(&snapshots, fx.as_ref(), &cfg.engine) {
        Ok(tables) => tables,
        // A decode failure surfaces without a file name: find the file.
        Err(Error::Polars(e)) => return Err(read::find_unreadable(&snapshots).unwrap_or(Error::Polars(e))),
        Err(e) => return Err(e),
    };
    let written = info_span!("write").in_scope(|| write_all(cfg, &tables))?;
    Ok(RunOutcome {
        tables,
        written,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Publishes and writes the five tables.
pub fn write_all(cfg: &JobConfig, tables: &Tables) -> Result<Vec<write::Written>> {
    let months: Vec<_> = tables.timeline.months().collect();
    let (segments, horizon) = (&cfg.engine.segment_by, cfg.engine.horizon);
    let frames = [
        &tables.customer_months,
        &tables.mrr_movements,
        &tables.nrr_summary,
        &tables.cohort_matrix,
        &tables.nrr_matrix_wide,
    ];
    // Publish all first so a failure leaves the output untouched.
    let published = ALL_TABLES
        .iter()
        .zip(frames)
        .map(|(spec, frame)| tables::finalize(spec, frame.clone(), segments, horizon))
        .collect::<Result<Vec<_>>>()?;
    let mut written = Vec::new();
    for (spec, frame) in ALL_TABLES.iter().zip(&published) {
        let w = write::write_table(&cfg.output, spec, frame, &months)?;
        tracing::info!(table = w.table, files = w.files, rows = w.rows, "written");
        written.push(w);
    }
    Ok(written)
}
