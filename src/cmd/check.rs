//! `heard check RESPONSE_DIR|FILE`: is the edited draft still true to its sources?

use std::process::ExitCode;

use super::{EXIT_PROBLEMS, plural};
use crate::Library;
use crate::cli::CheckArgs;

/// Run `heard check`.
pub fn run(args: CheckArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let target = super::resolve(lib, &args.target)?;
    let (index, report) = super::open_index(lib)?;
    super::note_refresh(&report);
    let problems = crate::check::check(lib, &index, &target)?;
    super::recs::debug_reads();
    for p in &problems {
        println!("{}", super::problem_line(p));
    }
    if problems.is_empty() {
        eprintln!(
            "No problems: every quote matches its source and has consent, every footnote resolves."
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{}", plural(problems.len(), "problem", "problems"));
        Ok(ExitCode::from(EXIT_PROBLEMS))
    }
}
