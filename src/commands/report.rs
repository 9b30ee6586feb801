//! `nrr report`: the HTML page from an output's tables.

use std::path::Path;
use std::process::ExitCode;

use nrr::io::store::{Location, StoreOptions};

use crate::cli::ReportArgs;

/// File name of the report in an output root.
pub const REPORT_FILE: &str = "report.html";

/// Builds the page from the tables under `root` and writes it to `html`
/// (default: `report.html` in the root). Returns where it went.
pub fn write(root: &Location, html: Option<&Path>, segment: Option<&str>) -> nrr::Result<String> {
    let data = nrr::report::load(root, segment)?;
    let page = nrr::report::html(&data)?;
    match html {
        Some(path) => {
            fs_err::write(path, page).map_err(|e| nrr::Error::Io {
                action: "writing",
                path: path.display().to_string(),
                source: e,
            })?;
            Ok(path.display().to_string())
        }
        None => {
            root.put(REPORT_FILE, page.into_bytes())?;
            Ok(root.display(REPORT_FILE))
        }
    }
}

pub fn run(args: ReportArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let root = Location::parse(
        &args.output,
        &StoreOptions {
            s3_endpoint: args.s3_endpoint,
        },
    )?;
    let shown = write(&root, args.html.as_deref(), args.segment.as_deref())?;
    if !quiet {
        println!("report written to {shown}");
    }
    Ok(ExitCode::SUCCESS)
}
