//! Where a draft spends its time and memory, stage by stage, through heard's library API:
//!
//! ```sh
//! cargo run --release --example draft_stages -- LIBRARY responses/national-evidence-2026
//! ```
//!
//! Runs, in one process and in the order `heard draft` does them, the refresh
//! (`LibraryIndex::refresh_and_open`), the meaning census (`with_some_meaning`), the one
//! pass over the meaning store for the questions (`prepare_meaning`), the quote book folded
//! from the ledger, the source cache, then the whole `heard::draft::draft` (which finds the
//! work of the stages before already done, except the book and the sources, which it loads
//! again: the difference is the searches, the choice of evidence and the writing). After
//! each stage it prints its wall time and the process's resident memory then (anonymous
//! and file-backed, from `/proc/self/status`) and its peak so far (`VmHWM`). It writes
//! `response.md` and `provenance.json` in the response folder, as `heard draft` does.

#[path = "common/memory.rs"]
mod memory;

use std::path::Path;
use std::time::Instant;

use heard::Library;
use heard::index::{LibraryIndex, Quiet};

/// RssAnon, RssFile and VmHWM of this process, in MB.
fn memory() -> (f64, f64, f64) {
    let [anon, file, peak] = memory::status_mb(["RssAnon:", "RssFile:", "VmHWM:"]);
    (anon, file, peak)
}

fn stage(name: &str, t: Instant) {
    let (anon, file, peak) = memory();
    eprintln!(
        "{name:<28} {:>9.0} ms   anon {anon:>6.0} MB  file {file:>6.0} MB  peak {peak:>6.0} MB",
        t.elapsed().as_secs_f64() * 1e3
    );
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(library), Some(response)) = (args.get(1), args.get(2)) else {
        anyhow::bail!("usage: draft_stages LIBRARY RESPONSE_DIR");
    };
    let all = Instant::now();
    let lib = Library::open(Path::new(library))?;
    let dir = Path::new(library).join(response);

    let t = Instant::now();
    let (index, _) = LibraryIndex::refresh_and_open(&lib, &Quiet)?;
    stage("refresh (every file checked)", t);

    let t = Instant::now();
    let meaning = index.with_some_meaning(&lib, &Quiet)?;
    let c = meaning.coverage();
    stage(&format!("meaning census ({}/{})", c.known, c.texts), t);

    let t = Instant::now();
    let consultation = heard::draft::consultation::load(&dir.join("consultation.toml"))?;
    let texts: Vec<String> = consultation
        .questions
        .iter()
        .map(|q| q.text.clone())
        .collect();
    index.prepare_meaning(&texts)?;
    stage("meaning pass (questions)", t);

    let t = Instant::now();
    let book = heard::quotes::QuoteBook::load(&lib)?;
    stage("quote book (ledger fold)", t);
    drop(book);

    let t = Instant::now();
    let sources = heard::quotes::Sources::new(&lib)?;
    stage("source cache", t);
    drop(sources);

    let t = Instant::now();
    let d = heard::draft::draft(&lib, &index, &dir)?;
    stage(&format!("draft ({} questions)", d.questions.len()), t);
    stage("whole", all);
    Ok(())
}
