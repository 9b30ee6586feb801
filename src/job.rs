//! One batch run: read, compute, write, record. The binary's `run` and
//! `backfill` commands are thin layers over [`run`].
//!
//! A full run owns its output: it writes every partition of its timeline and
//! removes partitions of other months. A range run (`--from`/`--to`) reads
//! snapshots up to `to` only and rewrites only the months in the range; since
//! no month's numbers depend on later data, any mix of range and full runs
//! over the same input leaves the same files as one full run. Either kind
//! deletes `_manifest.json` before touching a table and writes it last.

use std::collections::BTreeMap;
use std::time::Instant;

use tracing::info_span;

use crate::config::JobConfig;
use crate::diff;
use crate::engine::cohorts;
use crate::engine::{self, Tables};
use crate::io::lease;
use crate::io::manifest::{self, Manifest, Reconciliation};
use crate::io::published::{self, Published};
use crate::io::read::{self, ReadOptions};
use crate::io::store::Location;
use crate::io::write::{self, Written};
use crate::tables::{
    self, COHORT_MATRIX, CUSTOMER_MONTHS, DATA_QUALITY, MONTH, MRR_MOVEMENTS, NRR_MATRIX_WIDE, NRR_SUMMARY,
};
use crate::{Error, Month, Result};
use polars::prelude::DataFrame;

/// What a run produced.
pub struct RunOutcome {
    /// The tables in working types (for the summary).
    pub tables: Tables,
    /// The manifest written.
    pub manifest: Manifest,
    /// Wall time of the run in seconds.
    pub seconds: f64,
    /// Whether the replaced tables were kept under `_previous/`.
    pub kept_previous: bool,
    /// Input files read for more than one month (0: each month's files
    /// were read once, the per-month path).
    pub files_reread: usize,
}

/// Reads the input, computes every table and writes them. Nothing is written
/// unless every input check passes and every table is computed.
pub fn run(cfg: &JobConfig) -> Result<RunOutcome> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let output = Location::parse(&cfg.output, &cfg.store)?;
    let input = read::input_location(&cfg.input, &cfg.store)?;
    if input.contains(&output) || output.contains(&input) {
        return Err(Error::NestedOutput {
            output: cfg.output.clone(),
            input: cfg.input.clone(),
            which: if input.contains(&output) {
                "the output lies inside the input"
            } else {
                "the input lies inside the output"
            },
        });
    }
    let (closed, close_rows, sources) = info_span!("read").in_scope(|| {
        read::read_close_rows(
            &cfg.input,
            &ReadOptions {
                names: &cfg.columns,
                segment_by: &cfg.engine.segment_by,
                reporting: &cfg.engine.reporting_currency,
                as_of: cfg.engine.as_of,
                timezone: cfg.timezone,
                pinned: &cfg.engine.close.pinned,
                zero_statuses: &cfg.engine.zero_statuses,
                store: &cfg.store,
            },
        )
    })?;
    let fx = cfg
        .fx_rates
        .as_deref()
        .map(|f| read::read_fx_rates(f, &cfg.store))
        .transpose()?;
    let (segments, horizon) = (&cfg.engine.segment_by, cfg.engine.horizon);
    // customer_months leaves the engine month by month; each month is
    // published and encoded on another thread while the next one is read.
    let months_in_order: Vec<Month> = closed.timeline.first.through(closed.timeline.last).collect();
    let (tables, customer_months) = std::thread::scope(|scope| -> Result<_> {
        // The next month is read on its own thread while this one is folded.
        let (send_rows, receive_rows) = std::sync::mpsc::sync_channel::<(Month, Result<DataFrame>)>(1);
        let close_rows = &close_rows;
        scope.spawn(move || {
            for month in months_in_order {
                let rows = close_rows.month(month);
                let failed = rows.is_err();
                if send_rows.send((month, rows)).is_err() || failed {
                    break;
                }
            }
        });
        let (send, receive) = std::sync::mpsc::sync_channel::<(Month, DataFrame)>(1);
        let encoder = scope.spawn(move || -> Result<write::Encoded> {
            // Each month's file goes to local disk as soon as it is encoded.
            let staging = write::Staging::new(CUSTOMER_MONTHS.name)?;
            let (mut files, mut rows) = (Vec::new(), 0);
            for (month, frame) in receive {
                let frame = tables::publish_sorted(&CUSTOMER_MONTHS, frame, segments, horizon)?.drop(MONTH)?;
                rows += frame.height();
                let path = staging.add(month, &write::encode(frame)?)?;
                files.push((month, write::Part::Staged(path)));
            }
            Ok(write::Encoded {
                table: CUSTOMER_MONTHS.name,
                files,
                rows,
                staging: Some(staging),
            })
        });
        let write_from = cfg.write_from;
        let tables = engine::compute(
            closed,
            &mut |month| match receive_rows.recv() {
                Ok((read, rows)) if read == month => rows,
                _ => Err(Error::Invariant(format!("the snapshot reader did not deliver {month}"))),
            },
            fx.as_ref(),
            &cfg.engine,
            &mut |month, frame| {
                // A range run writes only its months.
                if write_from.is_some_and(|from| month < from) {
                    return Ok(());
                }
                send.send((month, frame))
                    .map_err(|_| Error::Invariant("the customer_months encoder stopped".into()))
            },
        );
        drop(send);
        let encoded = encoder.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // The encoder's own error explains a failed send.
        let encoded = encoded?;
        Ok((tables?, encoded))
    })?;

    let timeline = tables.timeline;
    let from = match cfg.write_from {
        Some(from) if from > timeline.last => {
            return Err(Error::InvalidArgument {
                what: "--from".into(),
                value: from.to_string(),
                expected: format!("the range must end at or after it starts (--to {})", timeline.last),
            })
        }
        Some(from) => from.max(timeline.first),
        None => timeline.first,
    };
    let months: Vec<Month> = from.through(timeline.last).collect();
    let full = cfg.write_from.is_none();
    let (written, _lease, kept) =
        info_span!("write").in_scope(|| write_all(cfg, &output, &tables, customer_months, &months, full))?;

    let manifest = Manifest {
        job: "nrr".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        status: "complete".into(),
        mode: if full { "full" } else { "range" }.into(),
        input: cfg.input.clone(),
        input_fingerprint: manifest::fingerprint(&sources),
        input_files: sources,
        fx_rates: cfg.fx_rates.clone(),
        reporting_currency: cfg.engine.reporting_currency.clone(),
        segment_by: cfg.engine.segment_by.clone(),
        timeline_first: timeline.first.to_string(),
        as_of: timeline.last.to_string(),
        as_of_close_date: tables
            .close_dates
            .get(&timeline.last)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        month_to_date: tables.month_to_date(),
        months_written_from: from.to_string(),
        months_written_to: timeline.last.to_string(),
        tables: written
            .into_iter()
            .map(|w| (w.table.clone(), w))
            .collect::<BTreeMap<_, _>>(),
        reconciliation: Reconciliation {
            bridge_rows_checked: tables.checks.bridge_rows,
            bridge_rows_unreconciled: 0,
            segment_sums_checked: tables.checks.segment_sums,
            segment_sums_mismatched: 0,
        },
        data_quality: manifest::DataQuality {
            warnings: tables.warnings,
            infos: tables.infos,
        },
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    manifest::write(&output, &manifest)?;
    tracing::info!(output = %output.display(""), mode = %manifest.mode, from = %from, to = %timeline.last, "manifest written");

    Ok(RunOutcome {
        tables,
        manifest,
        seconds: started.elapsed().as_secs_f64(),
        kept_previous: kept,
        files_reread: close_rows.rereads,
    })
}

/// Publishes the tables and writes the partitions of `months`; `full` also
/// prunes other months. The wide matrix is rebuilt from the cohort_matrix
/// partitions in the output after a range run, so it always matches them.
fn write_all(
    cfg: &JobConfig,
    output: &Location,
    tables: &Tables,
    customer_months: write::Encoded,
    months: &[Month],
    full: bool,
) -> Result<(Vec<Written>, lease::Lease, bool)> {
    let (segments, horizon) = (&cfg.engine.segment_by, cfg.engine.horizon);
    // Publish and encode everything first so a failure leaves the output untouched.
    let mut long = vec![customer_months];
    for (spec, frame) in [
        (&MRR_MOVEMENTS, &tables.mrr_movements),
        (&NRR_SUMMARY, &tables.nrr_summary),
        (&COHORT_MATRIX, &tables.cohort_matrix),
        (&DATA_QUALITY, &tables.data_quality),
    ] {
        let published = tables::finalize(spec, frame.clone(), segments, horizon)?;
        long.push(write::encode_partitions(spec, &published, months)?);
    }
    // Held until the manifest is written (the caller drops it); released on
    // every way out. Copying to _previous/ reads every month, so it leases
    // them all: a range run beside it waits rather than mixing into the copy.
    let all: Vec<Month> = tables.timeline.first.through(tables.timeline.last).collect();
    let leased = if cfg.keep_previous { &all[..] } else { months };
    let lease = lease::acquire(output, leased, cfg.lease_minutes)?;

    let kept = cfg.keep_previous && keep_previous(output)?;
    manifest::remove(output)?;
    output.remove_leftovers(&table_names())?;
    let mut written = Vec::new();
    for (spec, encoded) in [
        &CUSTOMER_MONTHS,
        &MRR_MOVEMENTS,
        &NRR_SUMMARY,
        &COHORT_MATRIX,
        &DATA_QUALITY,
    ]
    .into_iter()
    .zip(long)
    {
        let w = write::put_partitions(output, spec, encoded, months, full)?;
        tracing::info!(table = %w.table, files = w.files, rows = w.rows, "written");
        written.push(w);
    }
    let wide = if full {
        tables.nrr_matrix_wide.clone()
    } else {
        let matrix = tables::unpublish(write::read_partitions(output, COHORT_MATRIX.name)?)?;
        cohorts::wide(&matrix, horizon)?
    };
    let wide = tables::finalize(&NRR_MATRIX_WIDE, wide, segments, horizon)?;
    let w = write::write_single(output, &NRR_MATRIX_WIDE, &wide)?;
    tracing::info!(table = %w.table, files = w.files, rows = w.rows, "written");
    written.push(w);
    // Folders of pruned partitions are empty now.
    output.remove_leftovers(&table_names())?;
    Ok((written, lease, kept))
}

/// Copies the output's tables to `_previous/` (`--keep-previous`).
fn keep_previous(output: &Location) -> Result<bool> {
    let _span = info_span!("keep_previous").entered();
    let kept = published::keep_previous(output)?;
    if kept {
        tracing::info!(previous = %output.display(published::PREVIOUS), "kept the published tables");
    } else {
        tracing::info!(
            previous = %output.display(published::PREVIOUS),
            "no complete output to keep (no manifest): the previous copy is left as it is"
        );
    }
    Ok(kept)
}

/// Logs which published months the output's last run (or backfill)
/// restated, against `_previous/`. The run has succeeded by then: a failure
/// here is a warning, never an error.
pub fn log_restatement(output: &Location) {
    if let Err(e) = restatement(output) {
        tracing::warn!(error = %e, "could not compare with the previous output");
    }
}

fn restatement(output: &Location) -> Result<()> {
    let previous = Published::at(output.join(published::PREVIOUS))?;
    let current = Published::at(output.clone())?;
    let d = diff::compare(
        &previous,
        &current,
        &diff::Options {
            max_customers: 0,
            customers: false,
        },
    )?;
    tracing::info!(
        restated_months = d.months.len(),
        months_added = d.months_added.len(),
        months_dropped = d.months_dropped.len(),
        "{}",
        diff::restatement(&d)
    );
    Ok(())
}

/// The folders nrr owns under an output root: its tables and its leases.
fn table_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = tables::ALL_TABLES.iter().map(|t| t.name).collect();
    names.push(lease::LEASE_DIR);
    names
}

/// One step of a backfill: a range run over one quarter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackfillStep {
    /// `YYYYQn`.
    pub quarter: String,
    /// First month.
    pub from: Month,
    /// Last month.
    pub to: Month,
}

/// The quarters from the one starting at `first` to the one starting at `last`.
pub fn backfill_plan(first: Month, last: Month) -> Vec<BackfillStep> {
    (first.0..=last.0)
        .step_by(3)
        .map(|m| BackfillStep {
            quarter: Month(m).quarter_label(),
            from: Month(m),
            to: Month(m + 2),
        })
        .collect()
}

/// Checks an output's manifest: present, complete, reconciled, optionally at
/// the expected as-of month, and every partition it claims is there.
pub fn check(output: &str, store: &crate::io::store::StoreOptions, as_of: Option<Month>) -> Result<Manifest> {
    let root = Location::parse(output, store)?;
    let manifest = manifest::read(&root)?.ok_or_else(|| {
        Error::ManifestCheck(format!(
            "no {} in {}: no run has completed there",
            manifest::MANIFEST,
            root.display("")
        ))
    })?;
    let fail = |why: String| Err(Error::ManifestCheck(why));
    if manifest.status != "complete" {
        return fail(format!("status is '{}'", manifest.status));
    }
    let r = &manifest.reconciliation;
    if r.bridge_rows_unreconciled > 0 || r.segment_sums_mismatched > 0 {
        return fail(format!("reconciliation failed: {r:?}"));
    }
    if let Some(expected) = as_of {
        if manifest.as_of != expected.to_string() {
            return fail(format!("as-of month is {}, expected {expected}", manifest.as_of));
        }
    }
    let (Some(first), Some(last)) = (Month::parse(&manifest.timeline_first), Month::parse(&manifest.as_of)) else {
        return fail("the manifest's months are not YYYY-MM".into());
    };
    for spec in tables::LONG_TABLES {
        let present: std::collections::BTreeSet<String> = root
            .join(spec.name)
            .list()?
            .into_iter()
            .map(|e| format!("{}/{}", spec.name, e.key))
            .collect();
        if let Some(missing) = first
            .through(last)
            .find(|m| !present.contains(&write::partition_key(spec.name, *m)))
        {
            return fail(format!("{} has no partition for {missing}", spec.name));
        }
    }
    if !root.exists(&format!("{}/{}", NRR_MATRIX_WIDE.name, write::DATA_FILE))? {
        return fail("nrr_matrix_wide is missing".into());
    }
    Ok(manifest)
}
