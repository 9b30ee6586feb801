//! Command-line types (clap). They stay in the binary: the library takes a
//! resolved [`nrr::config::JobConfig`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use nrr::config::env;
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
    /// Log format on stderr: text for people, json (one object per line) for schedulers.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true, env = env::LOG_FORMAT)]
    pub log_format: LogFormat,
}

/// Log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    Text,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the NRR tables from snapshots and write them as Parquet.
    Run(RunArgs),
    /// Rewrite a span of quarters, one range run per quarter.
    Backfill(BackfillArgs),
    /// Check the manifest of an output (for sensors and cron).
    Check(CheckArgs),
    /// Write the HTML report (heat-map, bridges, trends) from an output's tables.
    Report(ReportArgs),
    /// Explain one number of an output: its terms, formula and the customers behind it.
    Explain(ExplainArgs),
    /// Compare two outputs of the same job: changed cells and the customers behind them.
    Diff(DiffArgs),
    /// Write synthetic subscription snapshots (and an FX file).
    Generate(GenerateArgs),
}

/// Output formats of `explain` and `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON document (docs/EXPLAIN_DIFF.md), for notebooks and alerting.
    Json,
}

/// `nrr explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Output root of a run (folder or object-store URI).
    #[arg(long, env = env::OUTPUT)]
    pub output: String,
    /// The month to explain (YYYY-MM).
    #[arg(long)]
    pub month: String,
    /// Explain the trailing-window row of nrr_summary (1, 3 or 12) instead of the monthly bridge.
    #[arg(long)]
    pub window: Option<i32>,
    /// Explain the cohort_matrix cell of this cohort (YYYY-MM) at --month.
    #[arg(long)]
    pub cohort: Option<String>,
    /// One segment value, NAME=VALUE (default: all customers).
    #[arg(long)]
    pub segment: Option<String>,
    /// Customers listed per term.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// text or json.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Endpoint of an S3-compatible store.
    #[arg(long, env = env::S3_ENDPOINT)]
    pub s3_endpoint: Option<String>,
}

/// `nrr diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier output (e.g. <output>/_previous).
    pub old: String,
    /// The later output.
    pub new: String,
    /// Customers listed per month (all are counted).
    #[arg(long, default_value_t = 50)]
    pub max_customers: usize,
    /// When OLD holds no complete output (no _manifest.json: a first run, or a
    /// copy a crash cut short), say so and exit 0 instead of 3.
    #[arg(long)]
    pub allow_missing_old: bool,
    /// text or json.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Endpoint of an S3-compatible store.
    #[arg(long, env = env::S3_ENDPOINT)]
    pub s3_endpoint: Option<String>,
}

/// Options shared by `run` and `backfill`.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// Snapshot Parquet: a file, a directory (Hive folders allowed), a glob, or s3://, gs://, az:// URIs of those.
    #[arg(long, env = env::INPUT)]
    pub input: Option<String>,
    /// Output root: a folder or an object-store URI; one sub-folder per table.
    #[arg(long, env = env::OUTPUT)]
    pub output: Option<String>,
    /// Segment columns, comma-separated.
    #[arg(long, value_delimiter = ',', env = env::SEGMENT_BY)]
    pub segment_by: Option<Vec<String>>,
    /// FX rates Parquet (month, currency, rate).
    #[arg(long, env = env::FX_RATES)]
    pub fx_rates: Option<String>,
    /// Currency of every amount in the output.
    #[arg(long, env = env::REPORTING_CURRENCY)]
    pub reporting_currency: Option<String>,
    /// Months-since-cohort columns of the wide matrix (m00..mNN).
    #[arg(long)]
    pub horizon: Option<u32>,
    /// Business time zone: the calendar that puts a zoned snapshot timestamp on a day
    /// (UTC, an offset such as +05:30, or an IANA name such as America/New_York).
    #[arg(long, env = env::TIMEZONE)]
    pub timezone: Option<String>,
    /// Largest drop in counted subscriptions from the day before to a month's close day
    /// before the run stops as a partial export (fraction; 1 disables; default 0.10 within
    /// a month, 0.50 month to month).
    #[arg(long)]
    pub max_close_drop: Option<f64>,
    /// How long this run's lease on the output lasts, in minutes (default 120).
    #[arg(long)]
    pub lease_minutes: Option<u64>,
    /// Before publishing, keep the output's current tables under <output>/_previous/
    /// (for `nrr diff`) and log which published months the run restated.
    #[arg(long)]
    pub keep_previous: bool,
    /// Close a month on a chosen day: YYYY-MM=YYYY-MM-DD (repeatable).
    #[arg(long = "close-day", value_name = "YYYY-MM=YYYY-MM-DD")]
    pub close_days: Vec<String>,
    /// Endpoint of an S3-compatible store (MinIO, R2); default AWS_ENDPOINT_URL.
    #[arg(long, env = env::S3_ENDPOINT)]
    pub s3_endpoint: Option<String>,
    /// TOML config file (${VAR} is read from the environment); command-line values win over it.
    #[arg(long, env = env::CONFIG)]
    pub config: Option<PathBuf>,
}

/// `nrr run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Input, output and model options.
    #[command(flatten)]
    pub job: JobArgs,
    /// Last month of the timeline (YYYY-MM); default: last month in the data.
    #[arg(long, env = env::AS_OF)]
    pub as_of: Option<String>,
    /// Range run: first month to rewrite (YYYY-MM); needs --to.
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Range run: last month to rewrite and read snapshots up to (YYYY-MM).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Also write the HTML report to <output>/report.html.
    #[arg(long)]
    pub report: bool,
}

/// `nrr report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output root of a run (folder or object-store URI).
    #[arg(long, env = env::OUTPUT)]
    pub output: String,
    /// Where to write the page; default <output>/report.html.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Segment shown first, NAME=VALUE (default: all customers).
    #[arg(long)]
    pub segment: Option<String>,
    /// Endpoint of an S3-compatible store.
    #[arg(long, env = env::S3_ENDPOINT)]
    pub s3_endpoint: Option<String>,
}

/// `nrr backfill`.
#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Input, output and model options.
    #[command(flatten)]
    pub job: JobArgs,
    /// First quarter (YYYYQn).
    #[arg(long)]
    pub from: String,
    /// Last quarter (YYYYQn).
    #[arg(long)]
    pub to: String,
    /// Print the plan (one `nrr run` per quarter) and do nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `nrr check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Output root to check.
    #[arg(long, env = env::OUTPUT)]
    pub output: String,
    /// Fail unless the output's as-of month is this (YYYY-MM).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Endpoint of an S3-compatible store.
    #[arg(long, env = env::S3_ENDPOINT)]
    pub s3_endpoint: Option<String>,
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
/// On a terminal (text logs), the engine's per-month events become one
/// progress line instead: months done, rows per second and the time left.
pub fn init_logging(cli: &Cli) {
    use std::io::IsTerminal;
    use tracing_subscriber::prelude::*;
    let default = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "nrr=info",
        (false, 1) => "nrr=debug",
        _ => "nrr=trace",
    };
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let tty = std::io::stderr().is_terminal();
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false);
    match cli.log_format {
        LogFormat::Json => tracing_subscriber::registry()
            .with(fmt.json().with_current_span(true).with_filter(filter()))
            .init(),
        LogFormat::Text => {
            let progress = tty && !cli.quiet;
            let lines = fmt
                .with_ansi(tty)
                .with_filter(tracing_subscriber::filter::filter_fn(move |m| {
                    !(progress && m.target() == PROGRESS)
                }))
                .with_filter(filter());
            tracing_subscriber::registry()
                .with(lines)
                .with(progress.then(|| Progress::default().with_filter(filter())))
                .init()
        }
    }
}

/// The target of the engine's per-month events.
const PROGRESS: &str = "nrr::progress";

/// Draws the engine's per-month events as one line that rewrites itself.
struct Progress {
    started: std::time::Instant,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            started: std::time::Instant::now(),
        }
    }
}

#[derive(Default)]
struct MonthEvent {
    month: String,
    done: u64,
    months: u64,
    rows_per_second: u64,
}

impl tracing::field::Visit for MonthEvent {
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        match field.name() {
            "done" => self.done = value,
            "months" => self.months = value,
            "rows_per_second" => self.rows_per_second = value,
            _ => {}
        }
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "month" {
            self.month = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Progress {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        use std::io::Write;
        if event.metadata().target() != PROGRESS {
            return;
        }
        let mut e = MonthEvent::default();
        event.record(&mut e);
        let elapsed = self.started.elapsed().as_secs_f64();
        let left = elapsed / e.done.max(1) as f64 * e.months.saturating_sub(e.done) as f64;
        let line = format!(
            "\r\x1b[2K  {} of {} months ({}), {:.1}M rows/s, {:.0}s left",
            e.done,
            e.months,
            e.month,
            e.rows_per_second as f64 / 1e6,
            left
        );
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
        if e.done >= e.months {
            let _ = err.write_all(b"\n");
        }
        let _ = err.flush();
    }
}
