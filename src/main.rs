//! The `heard` command: parses arguments, runs a subcommand from the library, prints the
//! error chain and sets the exit code (0 ok, 1 problems found, 2 usage or input error).

use std::process::ExitCode;

use clap::Parser;

use heard::cli::{Cli, Command};
use heard::cmd;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init(args) => cmd::init::run(args, cli.library.as_deref()),
        Command::Index(args) => {
            cmd::with_library(cli.library.as_deref(), |lib| cmd::index::run(args, lib))
        }
        Command::Search(args) => {
            cmd::with_library(cli.library.as_deref(), |lib| cmd::search::run(args, lib))
        }
        Command::Recs(args) => {
            cmd::with_library(cli.library.as_deref(), |lib| cmd::recs::run(args, lib))
        }
    };
    match result {
        Ok(code) => code,
        Err(err) if cmd::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
