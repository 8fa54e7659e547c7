//! `heard verify`: is the ledger intact, and do the quote files agree with it?

use std::process::ExitCode;

use super::EXIT_PROBLEMS;
use crate::Library;
use crate::cli::VerifyArgs;

/// Run `heard verify`.
pub fn run(args: VerifyArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    if args.acknowledge {
        let by = args.by.as_deref().unwrap_or_default();
        let n = crate::quotes::acknowledge(lib, by, args.note.as_deref())?;
        eprintln!(
            "Recorded that {by} checked {} in the ledger. Every approval given before now must be asked for again (`heard quotes --status pending`).",
            super::plural(n, "problem", "problems")
        );
    }
    let problems = crate::quotes::verify(lib, args.repair)?;
    let book = crate::quotes::QuoteBook::load(lib)?;
    for p in &problems {
        println!("{}", super::problem_line(p));
    }
    if problems.is_empty() {
        eprintln!(
            "Ledger intact: {} events, {} quotes; every quote file agrees with it.",
            book.ledger.events.len(),
            book.quotes.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "{}{}",
            super::plural(problems.len(), "problem", "problems"),
            if args.repair {
                " (quote files rewritten from the ledger)"
            } else {
                ""
            }
        );
        Ok(ExitCode::from(EXIT_PROBLEMS))
    }
}
