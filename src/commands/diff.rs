//! `nrr diff`: what changed between two outputs. Exit 0 when identical, 1
//! when they differ (like `diff`), 2 for bad usage, 3 when an output cannot
//! be read.

use std::process::ExitCode;

use nrr::diff::{self, unreadable, Options};
use nrr::io::published::Published;
use nrr::io::store::StoreOptions;

use crate::cli::{DiffArgs, Format};

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let store = StoreOptions {
        s3_endpoint: args.s3_endpoint,
    };
    if args.allow_missing_old {
        let root = nrr::io::store::Location::parse(&args.old, &store)?;
        if !root
            .exists(nrr::io::manifest::MANIFEST)
            .map_err(unreadable(args.old.clone()))?
        {
            println!("nothing to compare: {} holds no complete output", root.display(""));
            return Ok(ExitCode::SUCCESS);
        }
    }
    let old = Published::open(&args.old, &store).map_err(unreadable(args.old.clone()))?;
    let new = Published::open(&args.new, &store).map_err(unreadable(args.new.clone()))?;
    let opts = Options {
        max_customers: args.max_customers,
        customers: true,
    };
    let d = diff::compare(&old, &new, &opts).map_err(unreadable(args.new.clone()))?;
    match args.format {
        Format::Text => print!("{}", diff::render(&d)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&d)?),
    }
    Ok(if d.identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
