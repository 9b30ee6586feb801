//! The library's error type: one variant per thing that can go wrong, each
//! message naming the file, column, month or value involved and the fix.

use polars::prelude::PolarsError;

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is; the binary maps these to exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input data is wrong (exit code 3).
    BadInput,
    /// The command line or config file is wrong (exit code 2).
    Usage,
    /// `nrr check` found the output incomplete or failing (exit code 4).
    CheckFailed,
    /// Anything else: I/O, a bug (exit code 1).
    Internal,
}

/// Everything that can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input path matched no Parquet file.
    #[error("no Parquet files found at '{path}': pass a Parquet file, a directory holding *.parquet files, or a glob such as 'exports/**/*.parquet'")]
    NoInputFiles {
        /// The input as given.
        path: String,
    },

    /// A file could not be opened or decoded as Parquet.
    #[error("cannot read Parquet file '{path}': {reason}. Re-export the file or remove it from the input")]
    UnreadableFile {
        /// The file.
        path: String,
        /// What the reader said.
        reason: String,
    },

    /// A required column is absent from a file.
    #[error("'{path}': required column '{column}' is missing (columns found: {found}). Rename the column in the export, or map your name to it in the config file under [columns], e.g. {canonical} = \"your_column\"")]
    MissingColumn {
        /// The file.
        path: String,
        /// The column looked for (after mapping).
        column: String,
        /// The canonical name the column maps to.
        canonical: String,
        /// The columns the file has.
        found: String,
    },

    /// A `--segment-by` column that no input file has.
    #[error("--segment-by column '{column}' is in no input file (columns of '{path}': {found}). Check the spelling, or drop it from --segment-by")]
    MissingSegmentColumn {
        /// The first file.
        path: String,
        /// The segment column.
        column: String,
        /// The columns the first file has.
        found: String,
    },

    /// A column has a type the engine cannot use.
    #[error("'{path}': column '{column}' has type {found}, expected {expected}. {fix}")]
    WrongType {
        /// The file.
        path: String,
        /// The column.
        column: String,
        /// Its type in the file.
        found: String,
        /// The accepted types.
        expected: &'static str,
        /// How to fix it.
        fix: &'static str,
    },

    /// A key column holds nulls.
    #[error("'{path}': column '{column}' is null in {count} row(s){example}. Every row needs a {column}: fix the export or filter those rows out")]
    NullValues {
        /// The (first) file with nulls.
        path: String,
        /// The column.
        column: String,
        /// Null rows in the rows read.
        count: usize,
        /// A row to look at, already formatted.
        example: String,
    },

    /// MRR below zero.
    #[error("'{path}': negative MRR {value} for subscription '{subscription_id}' on {date}. MRR must be zero or more: record refunds and credits outside MRR, or fix the export")]
    NegativeMrr {
        /// The file.
        path: String,
        /// The subscription.
        subscription_id: String,
        /// The snapshot date.
        date: String,
        /// The value as read.
        value: String,
    },

    /// MRR that is NaN or infinite, or too large to hold in cents.
    #[error("'{path}': MRR value {value} for subscription '{subscription_id}' on {date} is not a usable amount (NaN, infinite or above 10^15). Fix the export")]
    BadMrr {
        /// The file.
        path: String,
        /// The subscription.
        subscription_id: String,
        /// The snapshot date.
        date: String,
        /// The value as read.
        value: String,
    },

    /// A snapshot date outside the years nrr accepts.
    #[error("'{path}': {column} {value} is outside the accepted range 1900-01-01 to 9999-12-31. Fix the date in the export (a typo, or a number of seconds or milliseconds stored as days)")]
    DateOutOfRange {
        /// The file.
        path: String,
        /// The date column, as named in the file.
        column: String,
        /// The date as read.
        value: String,
    },

    /// An amount times its FX rate does not fit 64-bit cents.
    #[error("'{path}': MRR {value} of subscription '{subscription_id}' on {date} at FX rate {rate} is beyond what nrr can hold (±92,233,720,368,547,758.07 in the reporting currency). Fix the amount (minor units or a wrong scale?) or the rate")]
    MoneyOverflow {
        /// The file.
        path: String,
        /// The subscription.
        subscription_id: String,
        /// The snapshot date.
        date: String,
        /// The amount as read.
        value: String,
        /// The rate applied.
        rate: String,
    },

    /// A sum of money leaves the 64-bit range.
    #[error("{what} exceeds what nrr can hold (±92,233,720,368,547,758.07 in the reporting currency). Check the mrr column for amounts far too large (minor units, a wrong scale) and the FX rates")]
    Overflow {
        /// Which sum, e.g. "the MRR of customer 'c1' in 2024-03".
        what: String,
    },

    /// The same subscription twice on one snapshot date.
    #[error("duplicate snapshot rows: subscription '{subscription_id}' appears {count} times on {date} (in {paths}). A subscription may have one row per snapshot_date: deduplicate the export")]
    DuplicateSnapshot {
        /// The subscription.
        subscription_id: String,
        /// The snapshot date.
        date: String,
        /// How many rows.
        count: usize,
        /// The files holding them.
        paths: String,
    },

    /// A currency that has no rate for a month.
    #[error("no FX rate for currency {currency} in month {month} ({rows} subscription row(s), e.g. subscription '{subscription_id}' in '{path}'). {fix}")]
    MissingFxRate {
        /// The currency code.
        currency: String,
        /// The month.
        month: crate::Month,
        /// Rows affected.
        rows: usize,
        /// One affected subscription.
        subscription_id: String,
        /// The file of that subscription row.
        path: String,
        /// How to fix it.
        fix: String,
    },

    /// A currency with no rate in a base month of a constant-currency comparison.
    #[error("no FX rate for currency {currency} in {base}, which values {month}'s amounts at constant currency (customer '{customer}', subscription '{subscription_id}' in '{path}'). Add a row (month = {base_day}, currency = {currency}, rate = <reporting currency per {currency}>) to the --fx-rates file", base_day = .base.iso_first_day())]
    MissingBaseRate {
        /// The currency code.
        currency: String,
        /// The base month whose rate is missing.
        base: crate::Month,
        /// The month compared with it.
        month: crate::Month,
        /// The customer.
        customer: String,
        /// One of its subscriptions in that currency.
        subscription_id: String,
        /// The file of that subscription row.
        path: String,
    },

    /// The FX rates file is malformed.
    #[error("FX rates file '{path}': {problem}")]
    BadFxRates {
        /// The file.
        path: String,
        /// What is wrong and how to fix it.
        problem: String,
    },

    /// A close day with markedly fewer subscriptions than the day before it.
    #[error("{month}: the close day {close_day} has {close_subscriptions} counted subscriptions (MRR {close_mrr:.2} as exported) against {compared_subscriptions} (MRR {compared_mrr:.2}) on {compared_day}, {pct:.1}% fewer, more than the {limit_pct:.0}% allowed. A partial export counts every subscription missing from it as churned. Fix the export of {close_day}; or, if the drop is real, pass --max-close-drop {suggested} (max_close_drop in the config file; 1 disables the check); or close the month on the earlier day with --close-day {month}={compared_day} ([close_days] in the config file)", pct = drop * 100.0, limit_pct = limit * 100.0, suggested = (drop * 100.0).ceil() / 100.0)]
    PartialCloseDay {
        /// The month.
        month: crate::Month,
        /// Its close day.
        close_day: chrono::NaiveDate,
        /// Counted subscriptions on the close day.
        close_subscriptions: u64,
        /// Their MRR as exported.
        close_mrr: f64,
        /// The day compared with.
        compared_day: chrono::NaiveDate,
        /// Counted subscriptions that day.
        compared_subscriptions: u64,
        /// Their MRR as exported.
        compared_mrr: f64,
        /// The drop, a fraction.
        drop: f64,
        /// The largest drop allowed.
        limit: f64,
    },

    /// A month inside the timeline with no snapshot.
    #[error("no snapshot in month {month}, which lies inside the timeline {first} to {last}. Every month needs at least one snapshot: load the missing export, or pass --as-of to end the timeline before it")]
    GapMonth {
        /// The missing month.
        month: String,
        /// First month of the timeline.
        first: String,
        /// Last month of the timeline.
        last: String,
    },

    /// The input holds no rows at all.
    #[error("the input '{path}' has no snapshot rows. Point --input at a non-empty snapshot export")]
    EmptyInput {
        /// The input as given.
        path: String,
    },

    /// A Hive partition value that should be a date is not one.
    #[error("'{path}': partition folder '{key}={value}' is not a date (expected {key}=YYYY-MM-DD)")]
    BadPartitionValue {
        /// The file.
        path: String,
        /// The partition key.
        key: String,
        /// The value found.
        value: String,
    },

    /// A command-line or config value is invalid.
    #[error("invalid {what} '{value}': {expected}")]
    InvalidArgument {
        /// Which option.
        what: String,
        /// The value given.
        value: String,
        /// What is accepted.
        expected: String,
    },

    /// The config file is unreadable or malformed.
    #[error("config file '{path}': {reason}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },

    /// An object store refused or failed a request (after retries for transient errors).
    #[error("object store '{uri}': {reason}. Check the bucket name, the credentials (AWS_* variables, AWS_PROFILE, or the instance role) and --s3-endpoint")]
    Storage {
        /// The store URI (never with credentials).
        uri: String,
        /// The store's reason.
        reason: String,
    },

    /// A file-system operation failed.
    #[error("{action} '{path}': {source}")]
    Io {
        /// What was being done ("writing", "listing", ...).
        action: &'static str,
        /// The path involved.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// A Polars operation failed.
    #[error("data engine error: {0}")]
    Polars(#[from] PolarsError),

    /// Another run is writing the same months of the output.
    #[error("another run is writing this output: month {month} is leased to host {host}, pid {pid}, since {started_at} (until {expires_at}). Wait for that run to finish; if it died on another host, delete '{lease}' (the lease also expires by itself)")]
    OutputBusy {
        /// The first month found leased.
        month: crate::Month,
        /// The holder's host.
        host: String,
        /// The holder's process id.
        pid: u32,
        /// When the holder took the lease.
        started_at: String,
        /// When the lease expires.
        expires_at: String,
        /// The lease object.
        lease: String,
    },

    /// The output and the input overlap.
    #[error("the output '{output}' and the input '{input}' overlap ({which}): the next run would read its own tables as snapshots. Write the output to a folder outside the input, and keep the input out of the output")]
    NestedOutput {
        /// The output root.
        output: String,
        /// The input.
        input: String,
        /// Which lies inside which.
        which: &'static str,
    },

    /// `nrr explain` or `nrr diff` was pointed at something that is not a
    /// complete output, or at one written by an older nrr.
    #[error("'{output}' is not a complete nrr output: {reason}. Point at the root of an output that a run has finished writing (it holds _manifest.json), or rerun `nrr run` to rewrite it")]
    NotAnOutput {
        /// The output root or file.
        output: String,
        /// What is wrong with it.
        reason: String,
    },

    /// An output's manifest is missing, incomplete or fails a check.
    #[error("manifest check failed: {0}")]
    ManifestCheck(String),

    /// An internal consistency check failed: a bug, never bad input.
    #[error("internal check failed: {0}. This is a bug in nrr: please report it with the input that triggers it")]
    Invariant(String),
}

impl Error {
    /// Classifies the error for exit codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NoInputFiles { .. }
            | Error::UnreadableFile { .. }
            | Error::MissingColumn { .. }
            | Error::MissingSegmentColumn { .. }
            | Error::WrongType { .. }
            | Error::NullValues { .. }
            | Error::NegativeMrr { .. }
            | Error::BadMrr { .. }
            | Error::DuplicateSnapshot { .. }
            | Error::DateOutOfRange { .. }
            | Error::MoneyOverflow { .. }
            | Error::Overflow { .. }
            | Error::MissingFxRate { .. }
            | Error::MissingBaseRate { .. }
            | Error::PartialCloseDay { .. }
            | Error::BadFxRates { .. }
            | Error::GapMonth { .. }
            | Error::EmptyInput { .. }
            | Error::BadPartitionValue { .. }
            | Error::NotAnOutput { .. } => ErrorKind::BadInput,
            Error::InvalidArgument { .. } | Error::Config { .. } | Error::NestedOutput { .. } => ErrorKind::Usage,
            Error::ManifestCheck(_) => ErrorKind::CheckFailed,
            Error::Io { .. }
            | Error::Storage { .. }
            | Error::Polars(_)
            | Error::Invariant(_)
            | Error::OutputBusy { .. } => ErrorKind::Internal,
        }
    }

    pub(crate) fn io(action: &'static str, path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}
