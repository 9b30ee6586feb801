//! One module per subcommand; [`run`] dispatches.

mod backfill;
mod check;
mod diff;
mod explain;
mod generate;
mod report;
mod run;

use std::process::ExitCode;

use nrr::config::{ConfigFile, JobConfig, Overrides};

use crate::cli::{Cli, Command, JobArgs};

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args, cli.quiet),
        Command::Backfill(args) => backfill::run(args, cli.quiet),
        Command::Check(args) => check::run(args, cli.quiet),
        Command::Report(args) => report::run(args, cli.quiet),
        Command::Explain(args) => explain::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Generate(args) => generate::run(args),
    }
}

/// Resolves job options (command line > environment > config file > default).
fn resolve(job: JobArgs, as_of: Option<String>, from: Option<String>, to: Option<String>) -> nrr::Result<JobConfig> {
    let file = job.config.as_deref().map(ConfigFile::load).transpose()?;
    let overrides = Overrides {
        input: job.input,
        output: job.output,
        as_of,
        segment_by: job.segment_by,
        fx_rates: job.fx_rates,
        reporting_currency: job.reporting_currency,
        horizon: job.horizon,
        timezone: job.timezone,
        max_close_drop: job.max_close_drop,
        lease_minutes: job.lease_minutes,
        keep_previous: job.keep_previous,
        close_days: job.close_days,
        from,
        to,
        s3_endpoint: job.s3_endpoint,
    };
    JobConfig::resolve(overrides, file)
}
