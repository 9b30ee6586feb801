//! `nrr run`: resolve the config, run the job, print the summary.

use std::process::ExitCode;

use anyhow::Context;
use nrr::config::{ConfigFile, JobConfig, Overrides};

use crate::cli::RunArgs;

pub fn run(args: RunArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let file = args.config.as_deref().map(ConfigFile::load).transpose()?;
    let overrides = Overrides {
        input: args.input,
        output: args.output,
        as_of: args.as_of,
        segment_by: args.segment_by,
        fx_rates: args.fx_rates,
        reporting_currency: args.reporting_currency,
        horizon: args.horizon,
    };
    let cfg = JobConfig::resolve(overrides, file)?;
    let outcome = nrr::job::run(&cfg).with_context(|| format!("nrr run on '{}'", cfg.input))?;
    if !quiet {
        print!(
            "{}",
            nrr::summary::render(&outcome.tables, &cfg.engine.reporting_currency)?
        );
        let rows: usize = outcome.written.iter().map(|w| w.rows).sum();
        println!(
            "wrote {} tables ({rows} rows) to {} in {:.2}s",
            outcome.written.len(),
            cfg.output.display(),
            outcome.seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}
