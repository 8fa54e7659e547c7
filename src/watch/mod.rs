//! Freshness without stat-ing every file: a file watcher (inotify on Linux, through the
//! `notify` crate) that writes what changed to a journal under `.heard/`, and the check the
//! command line makes before it trusts that journal.
//!
//! - `heard watch` and `heard serve` run a [`Watcher`]. It holds an exclusive lock on
//!   `.heard/watch.lock` for its whole life, so "a watcher is alive" is "that lock is
//!   taken" (the system releases it when the process dies, however it dies).
//! - It appends the library-relative path of every file or folder created, modified,
//!   removed or renamed (both ends) to `.heard/watch.journal` (see [`journal`]), one write
//!   per batch of events. A folder path means everything under it. When the system drops
//!   events (its queue overflowed), when the watcher starts, or when it fails, it writes a
//!   rescan record instead: "check everything".
//! - Before trusting the journal, a command makes a *barrier* ([`changes`]): it creates a
//!   file in `.heard/watch/` and waits until the watcher has journaled it. The system
//!   delivers a watcher's events in order, so every change made before the barrier is then
//!   in the journal. If the watcher does not answer within [`BARRIER_TIMEOUT`], the command
//!   checks files instead, and says so.
//! - What a successful refresh has read is recorded in a cursor, so the next command only
//!   reads what came after it.
//!
//! Not seen by any watcher: writes through a hard link that lives outside the library, and
//! changes on network file systems made by other machines. `heard index` after stopping
//! the watcher checks every file.

pub mod ask;
pub mod journal;
pub mod live;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, CreateKind, EventKind, ModifyKind, RenameMode};
use notify::{RecursiveMode, Watcher as _};

use crate::Library;
use journal::{Cursor, Found, Reader, Writer};

/// How long a command waits for the watcher to journal its barrier before checking files.
pub const BARRIER_TIMEOUT: Duration = Duration::from_secs(2);

/// The lock a live watcher holds, under `.heard/`.
const LOCK: &str = "watch.lock";

/// The folder of barrier files, under `.heard/`: the only part of `.heard/` watched.
const BARRIERS: &str = "watch";

/// What changed since the last refresh, according to a live watcher.
#[derive(Debug)]
pub struct Changes {
    /// Files and folders (relative to the library root, `/`-separated) created, modified,
    /// removed or renamed. A folder stands for everything under it.
    pub paths: BTreeSet<String>,
    /// Whether everything must be checked (the watcher just started, missed events, or
    /// the journal was not written by it).
    pub rescan: bool,
    /// How long the barrier took to come back.
    pub waited: Duration,
    cursor: Option<Cursor>,
}

impl Changes {
    /// Whether nothing changed since the last refresh.
    pub fn nothing(&self) -> bool {
        !self.rescan && self.paths.is_empty()
    }

    /// Record that a refresh took these changes in: the next command starts after them.
    /// Only an optimisation: a cursor left behind means the same changes are looked at again.
    pub fn consumed(&self, lib: &Library) {
        if let Some(c) = &self.cursor {
            let _ = journal::write_cursor(&lib.state_dir(), c);
        }
    }
}

/// Who holds the watcher's lock (what it wrote in the lock file), if anyone does.
pub fn running(lib: &Library) -> Option<String> {
    let path = lib.state_dir().join(LOCK);
    let f = File::open(&path).ok()?;
    match f.try_lock() {
        Ok(()) => None,
        Err(std::fs::TryLockError::WouldBlock) => Some(
            std::fs::read_to_string(&path)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "a watcher".to_string()),
        ),
        Err(_) => None,
    }
}

/// What changed since the last refresh, if a watcher is alive and answers a barrier in
/// time; `None` means "check the files". Call it while holding the index lock (the
/// watcher rotates its journal only under that lock).
pub fn changes(lib: &Library) -> Option<Changes> {
    let who = running(lib)?;
    let started = Instant::now();
    let state = lib.state_dir();
    let name = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let barrier = state.join(BARRIERS).join(&name);
    if File::options()
        .write(true)
        .create_new(true)
        .open(&barrier)
        .is_err()
    {
        eprintln!(
            "note: cannot reach the file watcher ({who}) through `{}`; checking every file instead",
            lib.rel(&barrier)
        );
        return None;
    }
    let found = wait_for(&state, &name, started);
    let _ = std::fs::remove_file(&barrier);
    let waited = started.elapsed();
    if std::env::var_os("HEARD_DEBUG_WATCH").is_some() {
        eprintln!(
            "watch: barrier answered in {:.2} ms",
            waited.as_secs_f64() * 1e3
        );
    }
    match found {
        Some(f) => Some(Changes {
            paths: f.paths,
            rescan: f.rescan,
            waited,
            cursor: f.cursor,
        }),
        None => {
            eprintln!(
                "note: the file watcher ({who}) did not answer within {} s; checking every file instead",
                BARRIER_TIMEOUT.as_secs()
            );
            None
        }
    }
}

/// Follow the journal until the barrier `name` shows up, or the time is out.
fn wait_for(state: &Path, name: &str, started: Instant) -> Option<Found> {
    let cursor = journal::read_cursor(state);
    let mut reader: Option<Reader> = None;
    let mut pause = Duration::from_micros(200);
    while started.elapsed() < BARRIER_TIMEOUT {
        if reader.is_none() {
            reader = Reader::open(state, cursor.clone()).ok();
        }
        if let Some(r) = reader.as_mut() {
            match r.poll(name) {
                Ok(true) => return reader.map(Reader::found),
                Ok(false) => {}
                Err(_) => reader = None,
            }
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(1));
    }
    None
}

static HINTED: AtomicBool = AtomicBool::new(false);

/// Checking files took long: say once per process that a watcher makes it instant.
/// `HEARD_SLOW_CHECK_MS` sets what "long" is (default 1000 ms).
pub fn hint_if_slow(files: usize, took: Duration) {
    let slow = std::env::var("HEARD_SLOW_CHECK_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(1), Duration::from_millis);
    if took >= slow && !HINTED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "note: checked {files} file{} in {:.1} s; `heard watch` (or `heard serve`) keeps this instant",
            if files == 1 { "" } else { "s" },
            took.as_secs_f64()
        );
    }
}

/// What a watcher tells its owner.
#[derive(Debug)]
pub enum Signal {
    /// Something in the library changed (journaled already).
    Changed,
    /// The watcher can no longer see every change (a system limit, a read error); what it
    /// journals from now on says "check everything". Stop it and say why.
    Failed(String),
}

/// Quiet time after a change before refreshing: an editor's save or a checkout is many
/// events in a row.
const SETTLE: Duration = Duration::from_millis(200);

/// The longest a refresh waits for events to stop (a long checkout is refreshed as it goes).
const SETTLE_AT_MOST: Duration = Duration::from_secs(2);

/// Wait for the next burst of changes to settle: `None` when the watcher is gone,
/// `Some(Err(why))` when it failed, `Some(Ok(()))` when it is time to refresh.
pub fn next_burst(rx: &std::sync::mpsc::Receiver<Signal>) -> Option<Result<(), String>> {
    use std::sync::mpsc::RecvTimeoutError;
    if let Signal::Failed(why) = rx.recv().ok()? {
        return Some(Err(why));
    }
    let started = Instant::now();
    while started.elapsed() < SETTLE_AT_MOST {
        match rx.recv_timeout(SETTLE) {
            Ok(Signal::Changed) => {}
            Ok(Signal::Failed(why)) => return Some(Err(why)),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
        }
    }
    Some(Ok(()))
}

/// Why a watcher did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Another watcher holds the lock.
    #[error("a watcher is already running for this library ({0})")]
    Running(String),
    /// Something else went wrong.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// A running watcher. Dropping it stops it and releases its lock.
pub struct Watcher {
    tx: mpsc::Sender<Msg>,
    thread: Option<JoinHandle<()>>,
    _lock: File,
}

enum Msg {
    Event(notify::Result<notify::Event>),
    Stop,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What the index never reads, so changes to it need no refresh (as in the index's walk):
/// hidden files and folders below the corpus folder, responses, kept originals.
struct Filter {
    /// The corpus folder, relative to the root (empty when it is elsewhere).
    corpus: PathBuf,
    skip: Vec<PathBuf>,
}

impl Filter {
    fn of(lib: &Library) -> Filter {
        let rel = |p: PathBuf| p.strip_prefix(lib.root()).ok().map(Path::to_path_buf);
        Filter {
            corpus: rel(lib.corpus_dir()).unwrap_or_default(),
            skip: [
                lib.responses_dir(),
                crate::import::originals_dir(lib),
                lib.state_dir(),
            ]
            .into_iter()
            .filter_map(rel)
            .collect(),
        }
    }

    /// Whether a change to `rel` (relative to the root) cannot matter to the index.
    fn ignores(&self, rel: &Path) -> bool {
        let below = rel.strip_prefix(&self.corpus).unwrap_or(rel);
        below
            .components()
            .any(|c| matches!(c, Component::Normal(n) if hidden(n)))
            || self.skip.iter().any(|s| rel.starts_with(s))
    }
}

/// Start watching `lib`; `who` names the process in messages ("heard serve"). `signal` is
/// called from the watcher's thread after each batch of events is journaled.
pub fn start(
    lib: &Library,
    who: &str,
    mut signal: impl FnMut(Signal) + Send + 'static,
) -> Result<Watcher, StartError> {
    let state = lib.state_dir();
    let barriers = state.join(BARRIERS);
    std::fs::create_dir_all(&barriers)
        .map_err(|e| anyhow::anyhow!("failed to create `{}`: {e}", barriers.display()))?;
    let lock_path = state.join(LOCK);
    let mut lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| anyhow::anyhow!("failed to open `{}`: {e}", lock_path.display()))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(StartError::Running(
                running(lib).unwrap_or_else(|| "a watcher".into()),
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(anyhow::anyhow!("failed to lock `{}`: {e}", lock_path.display()).into());
        }
    }
    let _ = lock.set_len(0);
    let _ = writeln!(lock, "{who}, process {}", std::process::id());
    // Barriers of commands killed while waiting.
    if let Ok(entries) = std::fs::read_dir(&barriers) {
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }

    let (tx, rx) = mpsc::channel();
    let events = tx.clone();
    let mut notifier = notify::recommended_watcher(move |e| {
        let _ = events.send(Msg::Event(e));
    })
    .map_err(|e| anyhow::anyhow!("cannot watch files: {e}"))?;
    // Watches first, then the journal's opening rescan: a change made while the watches
    // were being set up is either in the events or found by that rescan.
    let root = lib.root().to_path_buf();
    let add = |n: &mut notify::RecommendedWatcher, p: &Path, mode| {
        n.watch(p, mode)
            .map_err(|e| anyhow::anyhow!("cannot watch `{}`: {}", lib.rel(p), explain(&e)))
    };
    add(&mut notifier, &root, RecursiveMode::NonRecursive)?;
    add(&mut notifier, &barriers, RecursiveMode::NonRecursive)?;
    let entries = std::fs::read_dir(&root)
        .map_err(|e| anyhow::anyhow!("failed to read `{}`: {e}", root.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        if !hidden(&e.file_name()) && p.is_dir() {
            add(&mut notifier, &p, RecursiveMode::Recursive)?;
        }
    }
    // A corpus set in heard.toml to a folder outside the library (or a hidden one).
    let corpus = lib.corpus_dir();
    let inside = |c: &Path| {
        let (Ok(c), Ok(r)) = (c.canonicalize(), root.canonicalize()) else {
            return false;
        };
        c.strip_prefix(&r).is_ok_and(|rel| {
            !rel.components()
                .any(|x| matches!(x, Component::Normal(n) if hidden(n)))
        })
    };
    if corpus.is_dir() && !inside(&corpus) {
        add(&mut notifier, &corpus, RecursiveMode::Recursive)?;
    }
    let writer = Writer::create(&state)?;

    let filter = Filter::of(lib);
    let thread = std::thread::Builder::new()
        .name("heard-watch".into())
        .spawn(move || {
            let mut journal = Journal {
                writer,
                notifier,
                root,
                filter,
                failed: None,
            };
            while let Ok(Msg::Event(first)) = rx.recv() {
                let mut batch = vec![first];
                let mut stop = false;
                while let Ok(m) = rx.try_recv() {
                    match m {
                        Msg::Event(e) => batch.push(e),
                        Msg::Stop => stop = true,
                    }
                }
                journal.write(batch, &mut signal);
                if stop {
                    break;
                }
            }
        })
        .map_err(|e| anyhow::anyhow!("cannot start the watcher: {e}"))?;
    Ok(Watcher {
        tx,
        thread: Some(thread),
        _lock: lock,
    })
}

/// The watcher's thread: turns batches of events into journal lines.
struct Journal {
    writer: Writer,
    notifier: notify::RecommendedWatcher,
    root: PathBuf,
    filter: Filter,
    /// Why the watcher can no longer see everything, once it cannot.
    failed: Option<String>,
}

impl Journal {
    fn write(
        &mut self,
        batch: Vec<notify::Result<notify::Event>>,
        signal: &mut impl FnMut(Signal),
    ) {
        let mut seen = Seen::default();
        for e in batch {
            seen.take(&self.root, &self.filter, e);
        }
        for dir in &seen.new_top_folders {
            // New folders at the root are not under a recursive watch.
            if let Err(e) = self.notifier.watch(dir, RecursiveMode::Recursive) {
                seen.fatal = Some(format!(
                    "cannot watch `{}`: {}",
                    crate::fsutil::rel_path(&self.root, dir),
                    explain(&e)
                ));
            }
        }
        let mut fail = |why: String, failed: &mut Option<String>| {
            if failed.is_none() {
                *failed = Some(why.clone());
                signal(Signal::Failed(why));
            }
        };
        if let Some(why) = seen.fatal.take() {
            fail(why, &mut self.failed);
        }
        let mut bytes = Vec::new();
        for p in &seen.paths {
            bytes.extend(journal::path_line(p));
        }
        // Once failed, every batch says "check everything", barriers included.
        if let Some(why) = self.failed.as_deref().or(seen.rescan.as_deref()) {
            bytes.extend(journal::rescan_line(why));
        }
        for b in &seen.barriers {
            bytes.extend(journal::barrier_line(b));
        }
        if let Err(e) = self.writer.append(&bytes) {
            fail(format!("cannot write the journal: {e}"), &mut self.failed);
        }
        if !seen.paths.is_empty() || seen.rescan.is_some() {
            signal(Signal::Changed);
        }
        let _ = self.writer.rotate_over(journal::ROTATE_OVER);
    }
}

/// What one batch of events amounts to.
#[derive(Default)]
struct Seen {
    paths: BTreeSet<String>,
    rescan: Option<String>,
    barriers: Vec<String>,
    new_top_folders: Vec<PathBuf>,
    fatal: Option<String>,
}

impl Seen {
    fn take(&mut self, root: &Path, filter: &Filter, event: notify::Result<notify::Event>) {
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                // A watch that could not be added (a system limit) or a failed read: the
                // watcher no longer sees everything.
                self.fatal = Some(explain(&e));
                return;
            }
        };
        if event.need_rescan() {
            self.rescan = Some("the system dropped file events (its queue overflowed)".into());
            return;
        }
        // Reading a file changes nothing (and the index reads every file it indexes).
        let relevant = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
            EventKind::Access(_) => false,
            _ => true,
        };
        if !relevant {
            return;
        }
        let created = matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(ModifyKind::Name(RenameMode::To))
        );
        for path in &event.paths {
            let Ok(rel) = path.strip_prefix(root) else {
                // The corpus lives outside the library folder: journaled whole.
                match path.to_str() {
                    Some(p) => {
                        self.paths.insert(p.to_string());
                    }
                    None => self.rescan = Some("a file name that is not UTF-8".into()),
                }
                continue;
            };
            let mut parts = rel.components();
            let first = parts.next();
            if let Some(Component::Normal(top)) = first {
                if top == ".heard" {
                    // Only barriers are watched in `.heard/`.
                    let rest: Vec<Component> = parts.collect();
                    if let [Component::Normal(dir), Component::Normal(name)] = rest.as_slice() {
                        if *dir == BARRIERS && matches!(event.kind, EventKind::Create(_)) {
                            self.barriers.push(name.to_string_lossy().into_owned());
                        }
                    }
                    continue;
                }
            }
            if filter.ignores(rel) {
                continue;
            }
            let Some(text) = rel.to_str() else {
                // A name that is not UTF-8 cannot be written as one: check everything.
                self.rescan = Some("a file name that is not UTF-8".into());
                continue;
            };
            if text.is_empty() {
                // The root itself (moved or deleted): nothing is known any more.
                self.rescan = Some("the library folder itself changed".into());
                continue;
            }
            if created
                && rel.components().count() == 1
                && (matches!(event.kind, EventKind::Create(CreateKind::Folder)) || path.is_dir())
            {
                self.new_top_folders.push(path.clone());
            }
            self.paths
                .insert(text.replace(std::path::MAIN_SEPARATOR, "/"));
        }
    }
}

fn hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}

/// A watch error, with the fix when there is one.
fn explain(e: &notify::Error) -> String {
    match e.kind {
        notify::ErrorKind::MaxFilesWatch => "the system's limit of watched folders was reached; raise it (e.g. `sudo sysctl fs.inotify.max_user_watches=1048576`) and start again".to_string(),
        _ => e.to_string(),
    }
}

/// Reads the meaning of new and changed texts in the background, for `heard watch` and
/// `heard serve`: after each refresh it is handed the index, and embeds on one thread what
/// has no vector yet (saving every checkpoint), so the word index stays fresh meanwhile
/// and the other cores are left to searches. A refresh during a long run is taken up when
/// it ends. Dropping it lets its thread finish the current run's checkpoint and stop.
pub struct Embedder {
    tx: Option<mpsc::Sender<std::sync::Arc<crate::index::LibraryIndex>>>,
}

/// A background run long enough to notice (about 1.3 s of one core and more) is announced
/// when it starts, with how long it will take, so a busy core is never a mystery.
const ANNOUNCE_FROM: usize = 100;

/// Says when a long background run starts.
struct Announce(fn(&str));

impl crate::index::Progress for Announce {
    fn start(&self, total: usize) {
        if total >= ANNOUNCE_FROM {
            (self.0)(&format!(
                "Reading the meaning of {} in the background on one core ({}); word search stays up to date meanwhile",
                crate::cmd::plural(total, "text", "texts"),
                crate::index::embed::time_in_words(total, 1)
            ));
        }
    }
    fn tick(&self) {}
    fn finish(&self) {}
}

/// Lower the calling thread's priority to the least (nice 19): background work then takes
/// only what searches leave, and a search beside a long run is as fast as on an idle
/// machine. Linux keeps a nice value per thread; elsewhere the value is the whole
/// process's (it would slow `heard serve`'s pages too), so it is left alone there.
fn yield_to_searches() {
    #[cfg(target_os = "linux")]
    {
        // A failure only leaves the thread at its usual priority.
        let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19);
    }
}

impl Embedder {
    /// Start the background thread; `say` tells what it did (a line on stderr).
    pub fn start(say: fn(&str)) -> Embedder {
        let (tx, rx) = mpsc::channel::<std::sync::Arc<crate::index::LibraryIndex>>();
        let spawned = std::thread::Builder::new()
            .name("heard-embed".into())
            .spawn(move || {
                yield_to_searches();
                // The model's matrix products split their work over the current thread
                // pool: this one has one thread, at the same low priority, so a run takes
                // one core and only what searches leave of it (the global pool's threads
                // were made at the usual priority, and as many as there are cores).
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .thread_name(|_| "heard-embed-cpu".into())
                    .start_handler(|_| yield_to_searches())
                    .build();
                while let Ok(mut index) = rx.recv() {
                    while let Ok(newer) = rx.try_recv() {
                        index = newer;
                    }
                    let embed = || index.embed_in_background(&Announce(say));
                    let result = match &pool {
                        Ok(pool) => pool.install(embed),
                        Err(_) => embed(),
                    };
                    match result {
                        Ok(Some(r)) if r.embedded > 0 => say(&format!(
                            "Read the meaning of {} in the background; {} of {} texts known",
                            crate::cmd::plural(r.embedded, "text", "texts"),
                            r.vectors,
                            r.texts
                        )),
                        Ok(_) => {}
                        Err(e) => say(&format!(
                            "error: reading meaning in the background: {}",
                            crate::cmd::shown_lines(&format!("{e:#}"))
                        )),
                    }
                }
            });
        Embedder {
            tx: spawned.is_ok().then_some(tx),
        }
    }

    /// The index was refreshed: embed what it holds that has no vector yet.
    pub fn refreshed(&self, index: std::sync::Arc<crate::index::LibraryIndex>) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(index);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The nice value in a thread's `stat`: after the name in brackets, state is field 3
    /// and nice field 19.
    fn nice_in(stat: &str) -> i64 {
        let after = &stat[stat.rfind(')').expect("name in brackets") + 1..];
        let nice = after.split_whitespace().nth(16).expect("nice");
        nice.parse().expect("a number")
    }

    /// The nice value of each of this process's threads named `name`.
    fn nice_of(name: &str) -> Vec<i64> {
        let mut out = Vec::new();
        for task in std::fs::read_dir("/proc/self/task")
            .expect("tasks")
            .flatten()
        {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            // A thread may end between listing and reading: it is not counted.
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            if comm.trim() == name && !stat.is_empty() {
                out.push(nice_in(&stat));
            }
        }
        out
    }

    /// This thread's nice value.
    fn own_nice() -> i64 {
        nice_in(&std::fs::read_to_string("/proc/thread-self/stat").expect("stat"))
    }

    #[test]
    fn reading_meaning_in_the_background_runs_at_the_lowest_priority() {
        let mine = own_nice();
        let embedder = Embedder::start(|_| {});
        // Both the embedder and the one thread its model's work runs on.
        let deadline = Instant::now() + Duration::from_secs(10);
        while (nice_of("heard-embed").is_empty() || nice_of("heard-embed-cpu").is_empty())
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let nice = |name| {
            let n = nice_of(name);
            assert!(!n.is_empty(), "no thread `{name}`");
            n
        };
        // A thread starts at its creator's value and lowers its own: wait for it.
        while nice("heard-embed-cpu").iter().any(|n| *n != 19) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Every such thread (another test of this process may run an embedder too).
        assert!(nice("heard-embed").iter().all(|n| *n == 19));
        assert!(nice("heard-embed-cpu").iter().all(|n| *n == 19));
        // The thread that started it is left as it was.
        assert_eq!(own_nice(), mine);
        drop(embedder);
    }
}
