//! `nrr run`: resolve the config, run the job, print the summary.

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::RunArgs;

pub fn run(args: RunArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let cfg = super::resolve(args.job, args.as_of, args.from, args.to)?;
    let outcome = nrr::job::run(&cfg).with_context(|| format!("nrr run on '{}'", cfg.input))?;
    if outcome.kept_previous {
        nrr::job::log_restatement(&nrr::io::store::Location::parse(&cfg.output, &cfg.store)?);
    }
    if args.report {
        let root = nrr::io::store::Location::parse(&cfg.output, &cfg.store)?;
        let shown = super::report::write(&root, None, None)?;
        tracing::info!(report = %shown, "report written");
    }
    if !quiet {
        print!(
            "{}",
            nrr::summary::render(&outcome.tables, &cfg.engine.reporting_currency)?
        );
        let rows: usize = outcome.manifest.tables.values().map(|w| w.rows).sum();
        println!(
            "wrote {} tables ({rows} rows, months {} to {}) to {} in {:.2}s",
            outcome.manifest.tables.len(),
            outcome.manifest.months_written_from,
            outcome.manifest.months_written_to,
            cfg.output,
            outcome.seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}
