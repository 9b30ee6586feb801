//! `nrr generate`: synthetic snapshots.

use std::process::ExitCode;

use nrr::generate::{generate, GenerateOptions};
use nrr::Month;

use crate::cli::GenerateArgs;

pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let start = Month::parse(&args.start).ok_or_else(|| nrr::Error::InvalidArgument {
        what: "--start".into(),
        value: args.start.clone(),
        expected: "use YYYY-MM".into(),
    })?;
    if args.months == 0 || args.customers == 0 {
        return Err(nrr::Error::InvalidArgument {
            what: "--months/--customers".into(),
            value: "0".into(),
            expected: "generate at least one customer and one month".into(),
        }
        .into());
    }
    let opts = GenerateOptions {
        customers: args.customers,
        months: args.months,
        daily: args.daily,
        seed: args.seed,
        start,
        output: args.output,
    };
    let generated = generate(&opts)?;
    println!(
        "wrote {} snapshot files ({} rows) and fx_rates.parquet to {}",
        generated.files,
        generated.rows,
        opts.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
