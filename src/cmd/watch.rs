//! `heard watch`: keep the index fresh from file events until Ctrl-C. While it runs, other
//! commands read its journal instead of checking every file (see [`crate::watch`]), it
//! refreshes the index itself soon after each change, so they find little to do, and a
//! `heard search` asks it for results instead of opening the index (see
//! [`crate::watch::ask`]).

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use crate::Library;
use crate::cli::WatchArgs;
use crate::watch::StartError;
use crate::watch::live::{Event, Live};

/// Run `heard watch` until interrupted (or until the watcher fails: exit 1).
pub fn run(_args: WatchArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let live = Live::new(Arc::new(lib.clone()));
    let (on_stop, stopped) = mpsc::channel();
    // Problems in the library at the last refresh: said again only when their number moves
    // (`usize::MAX` until the first refresh, whose report says them).
    let problems = Arc::new(AtomicUsize::new(usize::MAX));
    let known = problems.clone();
    let say = Box::new(move |e: Event<'_>| match e {
        Event::Refreshed(report) => {
            if report.changed_anything() {
                eprintln!(
                    "Index updated in {:.2} s: {} added, {} changed, {} removed",
                    report.elapsed.as_secs_f64(),
                    report.added,
                    report.changed,
                    report.removed
                );
            }
            let before = known.swap(report.problems.len(), Ordering::Relaxed);
            if before != usize::MAX && before != report.problems.len() {
                eprintln!(
                    "note: {} in the library now; run `heard index` to see them",
                    super::plural(report.problems.len(), "problem", "problems")
                );
            }
        }
        // The next change tries again; the next command refreshes for itself.
        Event::RefreshFailed(e) => eprintln!("error: {}", super::shown_lines(&format!("{e:#}"))),
        Event::Stopped(why) => {
            eprintln!(
                "error: heard watch stopped: {}; other commands check every file until it runs again",
                super::shown(why)
            );
            let _ = on_stop.send(());
        }
    });
    match live.start("heard watch", say, Some(super::search::answer)) {
        Ok(()) => {}
        Err(StartError::Running(who)) => {
            eprintln!(
                "heard watch: this library is already watched ({}); nothing to do",
                super::shown(&who)
            );
            return Ok(ExitCode::from(super::EXIT_PROBLEMS));
        }
        Err(StartError::Failed(e)) => return Err(e),
    }
    // What happened before the watcher started: the journal opens with a rescan.
    let report = live.first_refresh(&super::Bar::new())?;
    super::note_refresh(&report);
    problems.store(report.problems.len(), Ordering::Relaxed);
    eprintln!(
        "Watching “{}” for changes; the index stays fresh (Ctrl-C to stop).",
        super::shown(&lib.config.name)
    );
    // Until the watcher fails; Ctrl-C ends the process.
    let _ = stopped.recv();
    Ok(ExitCode::from(super::EXIT_PROBLEMS))
}
