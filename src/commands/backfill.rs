//! `nrr backfill`: one range run per quarter, in order, or the plan only.

use std::process::ExitCode;

use anyhow::Context;
use nrr::job::{backfill_plan, run as run_job};
use nrr::Month;

use crate::cli::BackfillArgs;

pub fn run(args: BackfillArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let quarter = |what: &str, text: &str| {
        Month::parse_quarter(text).ok_or_else(|| nrr::Error::InvalidArgument {
            what: what.into(),
            value: text.into(),
            expected: "use YYYYQn, e.g. 2024Q1".into(),
        })
    };
    let (first, last) = (quarter("--from", &args.from)?, quarter("--to", &args.to)?);
    if last < first {
        return Err(nrr::Error::InvalidArgument {
            what: "--to".into(),
            value: args.to.clone(),
            expected: format!("the last quarter must not be before --from {}", args.from),
        }
        .into());
    }
    let plan = backfill_plan(first, last);
    let base = super::resolve(
        args.job,
        None,
        Some(first.to_string()),
        Some(plan[plan.len() - 1].to.to_string()),
    )?;
    let mut kept = false;
    for (i, step) in plan.iter().enumerate() {
        if args.dry_run {
            println!(
                "{}  nrr run --from {} --to {} --input {} --output {}",
                step.quarter, step.from, step.to, base.input, base.output
            );
            continue;
        }
        let mut cfg = base.clone();
        // --keep-previous keeps the output as it was before the backfill,
        // not as the previous quarter's step left it.
        cfg.keep_previous = base.keep_previous && i == 0;
        cfg.write_from = Some(step.from);
        cfg.engine.as_of = Some(step.to);
        let outcome = run_job(&cfg).with_context(|| format!("backfill of {} on '{}'", step.quarter, cfg.input))?;
        kept |= outcome.kept_previous;
        if !quiet {
            println!(
                "{}  months {} to {} written in {:.2}s",
                step.quarter, step.from, step.to, outcome.seconds
            );
        }
    }
    if kept {
        // Once, against the output as it was before the first quarter.
        nrr::job::log_restatement(&nrr::io::store::Location::parse(&base.output, &base.store)?);
    }
    Ok(ExitCode::SUCCESS)
}
