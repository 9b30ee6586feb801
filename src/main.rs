//! The `nrr` command: parses arguments, sets up logging, runs a subcommand
//! and maps errors to exit codes (0 ok, 1 internal, 2 usage, 3 bad input,
//! 4 `nrr check` found the output incomplete).

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::init_logging(&cli);
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            let code = match err.downcast_ref::<nrr::Error>().map(nrr::Error::kind) {
                Some(nrr::ErrorKind::BadInput) => 3,
                Some(nrr::ErrorKind::Usage) => 2,
                Some(nrr::ErrorKind::CheckFailed) => 4,
                _ => 1,
            };
            ExitCode::from(code)
        }
    }
}
