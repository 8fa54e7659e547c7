//! `heard watch`: keep the index fresh from file events until Ctrl-C. While it runs, other
//! commands read its journal instead of checking every file (see [`crate::watch`]), and
//! it refreshes the index itself soon after each change, so they find little to do.

use std::process::ExitCode;
use std::sync::mpsc;

use crate::Library;
use crate::cli::WatchArgs;
use crate::index::{LibraryIndex, Quiet};
use crate::watch::StartError;

/// Run `heard watch` until interrupted (or until the watcher fails: exit 1).
pub fn run(_args: WatchArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let (tx, rx) = mpsc::channel();
    let _watcher = match crate::watch::start(lib, "heard watch", move |s| {
        let _ = tx.send(s);
    }) {
        Ok(w) => w,
        Err(StartError::Running(who)) => {
            eprintln!(
                "heard watch: this library is already watched ({}); nothing to do",
                super::shown(&who)
            );
            return Ok(ExitCode::from(super::EXIT_PROBLEMS));
        }
        Err(StartError::Failed(e)) => return Err(e),
    };
    // What happened before the watcher started: the journal opens with a rescan.
    let (index, report) = super::open_index(lib)?;
    super::note_refresh(&report);
    // The meaning of new texts is read in the background, after each refresh.
    let embedder = crate::watch::Embedder::start(|line| eprintln!("{line}"));
    embedder.refreshed(std::sync::Arc::new(index));
    let mut problems = report.problems.len();
    eprintln!(
        "Watching “{}” for changes; the index stays fresh (Ctrl-C to stop).",
        super::shown(&lib.config.name)
    );
    loop {
        let Some(burst) = crate::watch::next_burst(&rx) else {
            return Ok(ExitCode::SUCCESS);
        };
        if let Err(why) = burst {
            eprintln!(
                "error: heard watch stopped: {}; other commands check every file until it runs again",
                super::shown(&why)
            );
            return Ok(ExitCode::from(super::EXIT_PROBLEMS));
        }
        match LibraryIndex::refresh_and_open(lib, &Quiet) {
            Ok((index, report)) => {
                embedder.refreshed(std::sync::Arc::new(index));
                if report.changed_anything() {
                    eprintln!(
                        "Index updated in {:.2} s: {} added, {} changed, {} removed",
                        report.elapsed.as_secs_f64(),
                        report.added,
                        report.changed,
                        report.removed
                    );
                }
                if report.problems.len() != problems {
                    problems = report.problems.len();
                    eprintln!(
                        "note: {} in the library now; run `heard index` to see them",
                        super::plural(problems, "problem", "problems")
                    );
                }
            }
            // The next change tries again; the next command refreshes for itself.
            Err(e) => eprintln!("error: {}", super::shown_lines(&format!("{e:#}"))),
        }
    }
}
