//! `nrr explain`: one number of an output with its derivation.

use std::process::ExitCode;

use nrr::explain::{self, Request};
use nrr::io::published::Published;
use nrr::io::store::StoreOptions;
use nrr::{Error, Month};

use crate::cli::{ExplainArgs, Format};

pub fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let month = |what: &str, value: &str| {
        Month::parse(value).ok_or_else(|| Error::InvalidArgument {
            what: what.into(),
            value: value.into(),
            expected: "a month as YYYY-MM".into(),
        })
    };
    let segment = args
        .segment
        .as_deref()
        .map(|s| match s.split_once('=') {
            Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
            _ => Err(Error::InvalidArgument {
                what: "--segment".into(),
                value: s.into(),
                expected: "NAME=VALUE, e.g. plan=pro".into(),
            }),
        })
        .transpose()?;
    let req = Request {
        month: month("--month", &args.month)?,
        window: args.window,
        cohort: args.cohort.as_deref().map(|c| month("--cohort", c)).transpose()?,
        segment,
        top: args.top,
    };
    let output = Published::open(
        &args.output,
        &StoreOptions {
            s3_endpoint: args.s3_endpoint,
        },
    )?;
    let ex = explain::explain(&output, &req)?;
    match args.format {
        Format::Text => print!("{}", explain::render(&ex)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&ex)?),
    }
    if !ex.matches {
        // The tables disagree with their own audit trail: never silently.
        let m = &output.manifest;
        let hint = if m.mode == "range" && ex.base_month < m.months_written_from {
            format!(
                ". This output was written by a range run from {}: months before it may come from another input; a full run rewrites them all",
                m.months_written_from
            )
        } else {
            ". This is a bug in nrr: please report it".into()
        };
        let columns: Vec<&str> = ex.mismatches.iter().map(|m| m.column.as_str()).collect();
        anyhow::bail!(
            "{} does not match its recomputation from customer_months (columns: {}){hint}",
            ex.table,
            columns.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
