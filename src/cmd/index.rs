//! `heard index`: bring the index up to date and report every file with a problem.

use std::io::Write;
use std::process::ExitCode;

use super::{EXIT_PROBLEMS, plural};
use crate::Library;
use crate::cli::IndexArgs;

/// Run `heard index`.
pub fn run(args: IndexArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    // `heard index` always looks at every file, whatever the `refresh` setting.
    let (index, mut report) =
        crate::index::LibraryIndex::refresh_everything(lib, &super::Bar::new())?;
    // And the meaning of every text, so that drafts and `search --meaning` need not wait.
    let meaning = index.with_meaning(lib, &super::Bar::new())?;
    report.embedded = meaning.embedded;
    report.embeddings_dropped = meaning.dropped;
    report.embeddings = meaning.vectors;
    if args.json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        for p in &report.problems {
            eprintln!("{}", super::problem_line(p));
        }
        eprintln!(
            "{}{} in {:.2} s: {} added, {} changed, {} removed, {} unchanged, {}",
            if report.rebuilt {
                "Built a new index: "
            } else {
                "Indexed "
            },
            plural(report.sources, "source", "sources"),
            report.elapsed.as_secs_f64(),
            report.added,
            report.changed,
            report.removed,
            report.unchanged,
            plural(report.problems.len(), "problem", "problems"),
        );
        let q = |k: &str| report.quotes.get(k).copied().unwrap_or(0);
        let total: usize = report.quotes.values().sum();
        if total > 0 {
            eprintln!(
                "Quotes: {} ok, {} moved, {} drifted, {} orphaned",
                q("ok"),
                q("moved"),
                q("drifted"),
                q("orphaned")
            );
            if q("drifted") + q("orphaned") > 0 {
                eprintln!(
                    "  {} a person: the quoted words changed or vanished (`heard quotes --anchor drifted`, `--anchor orphaned`)",
                    plural(q("drifted") + q("orphaned"), "quote needs", "quotes need")
                );
            }
        }
    }
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    })
}
