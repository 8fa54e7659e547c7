//! The memory the ledger fold holds, read-only (it opens the library and reads nothing but
//! the ledger, its heads and the quote files; it writes nothing):
//!
//! ```sh
//! cargo run --release --example ledger_fold -- LIBRARY
//! ```
//!
//! Prints the process's anonymous resident memory before, after `QuoteBook::load`, and
//! after the book is dropped, with the counts of events and quotes: the difference is what
//! every command that folds the ledger (draft, export, quotes, the refresh's quote stage)
//! holds while it works.

#[path = "common/memory.rs"]
mod memory;

use std::path::Path;
use std::time::Instant;

/// RssAnon and VmHWM of this process, in MB.
fn memory() -> (f64, f64) {
    let [anon, peak] = memory::status_mb(["RssAnon:", "VmHWM:"]);
    (anon, peak)
}

fn main() -> anyhow::Result<()> {
    let Some(library) = std::env::args().nth(1) else {
        anyhow::bail!("usage: ledger_fold LIBRARY");
    };
    let lib = heard::Library::open(Path::new(&library))?;
    let (before, _) = memory();
    let ledger = heard::ledger::read(&lib)?;
    let (parsed, _) = memory();
    eprintln!(
        "the ledger's events alone (parsed, not folded): +{:.0} MB",
        parsed - before
    );
    drop(ledger);
    let (before, _) = memory();
    let t = Instant::now();
    let book = heard::quotes::QuoteBook::load(&lib)?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let (held, peak) = memory();
    let history: usize = book.quotes.values().map(|q| q.history.len()).sum();
    eprintln!(
        "events {}  quotes {}  history items {}  fold {ms:.0} ms",
        book.ledger.events.len(),
        book.quotes.len(),
        history
    );
    eprintln!(
        "anon before {before:.0} MB  holding the book {held:.0} MB (+{:.0} MB, {:.0} bytes per quote)  peak {peak:.0} MB",
        held - before,
        (held - before) * 1048576.0 / book.quotes.len().max(1) as f64
    );
    drop(book);
    Ok(())
}
