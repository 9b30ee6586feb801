//! Command-line types (clap). They stay in the binary: the library takes a
//! resolved [`nrr::config::JobConfig`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::EnvFilter;

/// Net Revenue Retention engine: subscription snapshots in, NRR/GRR cohort tables out.
#[derive(Debug, Parser)]
#[command(name = "nrr", version, about)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// More logging (-v: debug, -vv: trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr, and no summary on stdout.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the NRR tables from snapshots and write them as Parquet.
    Run(RunArgs),
    /// Write synthetic subscription snapshots (and an FX file).
    Generate(GenerateArgs),
}

/// `nrr run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Snapshot Parquet: a file, a directory (Hive folders allowed) or a glob.
    #[arg(long, env = "NRR_INPUT")]
    pub input: Option<String>,
    /// Output folder; one sub-folder per table.
    #[arg(long, env = "NRR_OUTPUT")]
    pub output: Option<String>,
    /// Last month of the timeline (YYYY-MM); default: last month in the data.
    #[arg(long, env = "NRR_AS_OF")]
    pub as_of: Option<String>,
    /// Segment columns, comma-separated.
    #[arg(long, value_delimiter = ',', env = "NRR_SEGMENT_BY")]
    pub segment_by: Option<Vec<String>>,
    /// FX rates Parquet (month, currency, rate).
    #[arg(long, env = "NRR_FX_RATES")]
    pub fx_rates: Option<String>,
    /// Currency of every amount in the output.
    #[arg(long, env = "NRR_REPORTING_CURRENCY")]
    pub reporting_currency: Option<String>,
    /// Months-since-cohort columns of the wide matrix (m00..mNN).
    #[arg(long)]
    pub horizon: Option<u32>,
    /// TOML config file; command-line values win over it.
    #[arg(long, env = "NRR_CONFIG")]
    pub config: Option<PathBuf>,
}

/// `nrr generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of customers.
    #[arg(long, default_value_t = 1000)]
    pub customers: usize,
    /// Number of months.
    #[arg(long, default_value_t = 24)]
    pub months: u32,
    /// First month (YYYY-MM).
    #[arg(long, default_value = "2023-01")]
    pub start: String,
    /// A snapshot every day rather than at each month end.
    #[arg(long)]
    pub daily: bool,
    /// Random seed; the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder.
    #[arg(long)]
    pub output: PathBuf,
}

/// Logs go to stderr, one line per event, with each stage's time on close.
pub fn init_logging(cli: &Cli) {
    let default = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "nrr=info",
        (false, 1) => "nrr=debug",
        _ => "nrr=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        .init();
}
