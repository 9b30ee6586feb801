//! `nrr check`: is the output complete? For sensors, cron and people.

use std::process::ExitCode;

use nrr::io::store::StoreOptions;
use nrr::Month;

use crate::cli::CheckArgs;

pub fn run(args: CheckArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let as_of = args
        .as_of
        .as_deref()
        .map(|t| {
            Month::parse(t).ok_or_else(|| nrr::Error::InvalidArgument {
                what: "--as-of".into(),
                value: t.into(),
                expected: "use YYYY-MM".into(),
            })
        })
        .transpose()?;
    let manifest = nrr::job::check(
        &args.output,
        &StoreOptions {
            s3_endpoint: args.s3_endpoint,
        },
        as_of,
    )?;
    if !quiet {
        println!(
            "ok: {} run of nrr {} as of {}, months {} to {} written, finished {}, input fingerprint {}",
            manifest.mode,
            manifest.version,
            manifest.as_of,
            manifest.months_written_from,
            manifest.months_written_to,
            manifest.finished_at,
            manifest.input_fingerprint
        );
    }
    Ok(ExitCode::SUCCESS)
}
