//! Where a refresh spends its time, stage by stage, printed to stderr when
//! `HEARD_TIMINGS` is set (for profiling a build; off, each stage costs one relaxed load).
//!
//! Stages run on several threads at once (files are read and parsed in parallel), so each
//! figure is the time summed over the threads that did that work, next to the wall time of
//! the whole refresh; counts say how often each stage ran.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// A stage of a refresh.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stage {
    /// The walk of the corpus folders and the stat of each file (the rest of the corpus
    /// stage, measured by subtraction).
    Walk,
    /// Reading a file's bytes.
    Read,
    /// Hashing a file's bytes.
    Hash,
    /// Front matter, Markdown, passages and recommendations.
    Parse,
    /// Looking up and writing the store (`.heard/state.redb`).
    Store,
    /// Making a source's tantivy documents.
    Documents,
    /// Handing documents to the index writer (waits while its threads are busy).
    AddDocument,
    /// The quote stage: the ledger folded, quotes located and indexed.
    Quotes,
    /// The index commit, and the merges it waits for.
    Commit,
    /// Writing `.heard/sources.jsonl`.
    SourceMap,
    /// Committing the store's transaction.
    StoreCommit,
    /// Reading and folding the whole ledger (part of the quote stage; skipped when only
    /// sources changed, the ledger did not, and the day is the same).
    Ledger,
}

const STAGES: [(Stage, &str); 12] = [
    (Stage::Walk, "walk+stat"),
    (Stage::Read, "read"),
    (Stage::Hash, "hash"),
    (Stage::Parse, "parse"),
    (Stage::Store, "store (redb)"),
    (Stage::Documents, "documents"),
    (Stage::AddDocument, "add_document"),
    (Stage::Quotes, "quotes"),
    (Stage::Commit, "index commit+merge"),
    (Stage::SourceMap, "source map"),
    (Stage::StoreCommit, "store commit"),
    (Stage::Ledger, "ledger fold"),
];

static NANOS: [AtomicU64; 12] = [const { AtomicU64::new(0) }; 12];
static COUNTS: [AtomicU64; 12] = [const { AtomicU64::new(0) }; 12];

/// Whether timings are on (`HEARD_TIMINGS` set).
pub(crate) fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("HEARD_TIMINGS").is_some())
}

/// Run `f`, adding its time to `stage`.
pub(crate) fn time<T>(stage: Stage, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let t = Instant::now();
    let out = f();
    add(stage, t.elapsed().as_nanos() as u64);
    out
}

/// Add `nanos` to `stage` (once).
pub(crate) fn add(stage: Stage, nanos: u64) {
    if enabled() {
        NANOS[stage as usize].fetch_add(nanos, Ordering::Relaxed);
        COUNTS[stage as usize].fetch_add(1, Ordering::Relaxed);
    }
}

/// The process's peak memory (VmHWM) at the end of each step that runs once, in order.
static PEAKS: Mutex<Vec<(&str, String)>> = Mutex::new(Vec::new());

/// Note the peak memory so far at the end of the step `name` (one that runs once: the
/// corpus stage, the quotes, the commit), so that the report tells which step raised it.
pub(crate) fn peak(name: &'static str) {
    if enabled() {
        if let Some(kb) = vm_hwm() {
            PEAKS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((name, kb));
        }
    }
}

/// The process's peak resident memory so far, as `/proc/self/status` says it (Linux).
fn vm_hwm() -> Option<String> {
    memory_kb("VmHWM").map(|kb| format!("{kb} kB"))
}

/// A figure of the process's memory from `/proc/self/status`, in kB (`VmHWM`, `VmRSS`,
/// `RssFile`…); `None` where the system does not say.
pub(crate) fn memory_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// Take away `nanos` from `stage` (time counted twice, e.g. inside the walk's callbacks).
pub(crate) fn subtract(stage: Stage, nanos: u64) {
    if enabled() {
        NANOS[stage as usize].fetch_sub(nanos, Ordering::Relaxed);
    }
}

/// Print the breakdown to stderr and start again from zero.
pub(crate) fn report(wall: std::time::Duration) {
    if !enabled() {
        return;
    }
    eprintln!(
        "heard timings (thread time summed; wall {:.3} s):",
        wall.as_secs_f64()
    );
    for (stage, name) in STAGES {
        let ns = NANOS[stage as usize].swap(0, Ordering::Relaxed);
        let n = COUNTS[stage as usize].swap(0, Ordering::Relaxed);
        eprintln!("  {name:<20} {:>9.3} s  ({n} times)", ns as f64 / 1e9);
    }
    for (name, kb) in std::mem::take(&mut *PEAKS.lock().unwrap_or_else(|e| e.into_inner())) {
        eprintln!("  peak RSS after {name:<12} {kb}");
    }
    if let Some(rss) = vm_hwm() {
        eprintln!("  peak RSS so far      {rss}");
    }
}
