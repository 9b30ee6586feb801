//! One module per subcommand; [`run`] dispatches.

mod generate;
mod run;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args, cli.quiet),
        Command::Generate(args) => generate::run(args),
    }
}
