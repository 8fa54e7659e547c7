//! The `heard` command: parses arguments, runs a subcommand from the library, prints the
//! error chain and sets the exit code (0 ok, 1 problems found, 2 usage or input error).

use std::process::ExitCode;

use clap::Parser;

use heard::cli::Cli;
use heard::cmd;

/// mimalloc gives the memory a page has freed back to the system; glibc's allocator kept a
/// long-running `heard serve` at the peak of its heaviest page (BENCHMARKS.md, `heard serve`
/// at 1M).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) if cmd::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", cmd::shown_lines(&format!("{err:#}")));
            ExitCode::from(cmd::EXIT_USAGE)
        }
    }
}
