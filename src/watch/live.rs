//! The index a long-running process keeps open: `heard serve` for its pages, `heard watch`
//! for the commands that ask it (see [`super::ask`]).
//!
//! With a file watcher of its own (see [`crate::watch`]), the process refreshes the index
//! once after each burst of changes, in the background, and every request in between uses
//! the same open index: a request costs no walk of the library and no reopening. A write
//! made through the app (a quote, a consent, an import) refreshes at once, so its page shows
//! it; a change to the ledger made elsewhere (`heard quote approve` at the command line) is
//! noticed from the ledger's size and time, one `stat` per request. A command that asks
//! gets more: the same barrier it would make itself ([`Live::fresh`]).
//!
//! Without a watcher of its own (another process watches the library, or watching failed,
//! or in tests that build the app directly), every request refreshes as the command line
//! does, which is cheap while any watcher is alive.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::Library;
use crate::index::{LibraryIndex, Progress, Quiet, RefreshReport};
use crate::refresh::stamp;
use crate::watch::{Signal, StartError, Watcher};

/// The open index of one process, and what keeps it fresh.
pub struct Live {
    lib: Arc<Library>,
    index: Mutex<Option<Kept>>,
    /// One refresh at a time in this process.
    refreshing: Mutex<()>,
    /// Whether our own watcher runs, so that the kept index can be trusted.
    watched: AtomicBool,
    refreshes: AtomicUsize,
    watcher: Mutex<Option<Watcher>>,
    /// Reads the meaning of new texts after each refresh, while we watch.
    embedder: Mutex<Option<crate::watch::Embedder>>,
    /// Answers the commands that ask, while we watch.
    service: Mutex<Option<super::ask::Service>>,
    /// Told what the background refreshes do.
    say: Mutex<Option<Say>>,
    /// `heard.toml` as it was when this process read its settings.
    settings: Vec<u8>,
    /// Whether it was said that `heard.toml` changed since.
    said_settings: AtomicBool,
}

/// The resident memory (kB) past which a watching process lets go of the index's pages
/// after answering a command: a search at a million sources reads tens of megabytes, so
/// the process stays under the 500 MB every command of heard keeps to (BENCHMARKS.md).
const RESIDENT_MAX: u64 = 400 * 1024;

/// What happens in the background of a watching process, for its owner to say.
#[derive(Debug)]
pub enum Event<'a> {
    /// The index was refreshed after files changed.
    Refreshed(&'a RefreshReport),
    /// A refresh after a change failed (the index stays as it was; the next change tries
    /// again).
    RefreshFailed(&'a anyhow::Error),
    /// The watcher stopped (it can no longer see every change): why. From now on every
    /// request refreshes for itself.
    Stopped(&'a str),
}

/// Where a watching process says what happens in its background.
pub type Say = Box<dyn Fn(Event<'_>) + Send + Sync>;

struct Kept {
    index: Arc<LibraryIndex>,
    /// What the refresh found, for a command that takes the kept index.
    report: RefreshReport,
    /// The ledger's size and time when it was refreshed.
    ledger: (u64, u64),
    /// The index's and the refresh state's files when it was refreshed: another process
    /// that refreshed since (`heard index`, a quote approved) changed them.
    state: [(u64, u64); 2],
}

fn read_settings(lib: &Library) -> Vec<u8> {
    std::fs::read(lib.root().join(crate::library::CONFIG_FILE)).unwrap_or_default()
}

fn ledger_stamp(lib: &Library) -> (u64, u64) {
    stamp(&crate::ledger::path(lib))
}

fn state_stamps(lib: &Library) -> [(u64, u64); 2] {
    [
        stamp(&crate::index::meta_path(lib)),
        stamp(&crate::refresh::snapshot_path(lib)),
    ]
}

impl Live {
    /// A `Live` for a library; it watches nothing until [`Live::start`].
    pub fn new(lib: Arc<Library>) -> Arc<Live> {
        let settings = read_settings(&lib);
        Arc::new(Live {
            settings,
            said_settings: AtomicBool::new(false),
            lib,
            index: Mutex::new(None),
            refreshing: Mutex::new(()),
            watched: AtomicBool::new(false),
            refreshes: AtomicUsize::new(0),
            watcher: Mutex::new(None),
            embedder: Mutex::new(None),
            service: Mutex::new(None),
            say: Mutex::new(None),
        })
    }

    /// The library.
    pub fn library(&self) -> &Arc<Library> {
        &self.lib
    }

    /// Whether `heard.toml` changed since this process read its settings (it keeps
    /// working with those it read; a restart takes the new ones).
    pub fn settings_changed(&self) -> bool {
        read_settings(&self.lib) != self.settings
    }

    /// Refreshes of the index so far.
    pub fn refreshes(&self) -> usize {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// Whether a watcher of this process keeps the index fresh.
    pub fn watched(&self) -> bool {
        self.watched.load(Ordering::Relaxed)
    }

    /// Refresh the index now and keep it.
    pub fn refresh(&self) -> anyhow::Result<Arc<LibraryIndex>> {
        Ok(self.refresh_report(&Quiet)?.0)
    }

    /// [`Live::refresh`], with what the refresh found.
    pub fn refresh_report(
        &self,
        progress: &dyn Progress,
    ) -> anyhow::Result<(Arc<LibraryIndex>, RefreshReport)> {
        let _one = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
        let ledger = ledger_stamp(&self.lib);
        let (index, report) = LibraryIndex::refresh_and_open(&self.lib, progress)?;
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        let index = Arc::new(index);
        *self.index.lock().unwrap_or_else(|e| e.into_inner()) = Some(Kept {
            index: index.clone(),
            report: report.unchanged_since(),
            ledger,
            state: state_stamps(&self.lib),
        });
        if let Some(e) = self
            .embedder
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            e.refreshed(index.clone());
        }
        Ok((index, report))
    }

    /// The index for a page: the kept one while the watcher vouches for it.
    pub fn get(&self) -> anyhow::Result<Arc<LibraryIndex>> {
        if self.watched() {
            let kept = self.index.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(k) = kept.as_ref() {
                if k.ledger == ledger_stamp(&self.lib) {
                    return Ok(k.index.clone());
                }
            }
        }
        self.refresh()
    }

    /// The index for a command that asks: as fresh as the command's own refresh would make
    /// it. The same barrier is made (every change saved before the command asked is in the
    /// journal); when it shows nothing new and no other process refreshed since, the kept
    /// index is used as it is, else the index is refreshed now.
    pub fn fresh(&self) -> anyhow::Result<(Arc<LibraryIndex>, RefreshReport)> {
        if self.watched() {
            let lock = crate::index::lock(&self.lib)?;
            if crate::watch::changes(&self.lib).is_some_and(|c| c.nothing()) {
                let kept = self.index.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(k) = kept.as_ref() {
                    if k.ledger == ledger_stamp(&self.lib) && k.state == state_stamps(&self.lib) {
                        return Ok((k.index.clone(), k.report.unchanged_since()));
                    }
                }
            }
            drop(lock);
        }
        self.refresh_report(&Quiet)
    }

    /// After an answer to a command or a page: when the process's resident memory has passed
    /// [`RESIDENT_MAX`], the kept index lets go of the pages of its files that searches
    /// read (they stay in the system's cache; the next search maps what it needs again).
    /// A watcher runs for days and answers any number of searches: at a million sources
    /// the index is 3 GB, and every page a search reads would otherwise stay counted in
    /// its memory for as long as it runs.
    pub fn trim(&self) {
        self.trim_above(RESIDENT_MAX);
    }

    fn trim_above(&self, kb_max: u64) {
        let over = crate::refresh::timing::memory_kb("VmRSS").is_some_and(|kb| kb > kb_max);
        if over {
            if let Some(k) = self
                .index
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
            {
                k.index.let_go_of_pages();
            }
        }
    }

    /// Watch the library as `who`: from now on the kept index is refreshed in the
    /// background after changes, the meaning of new texts is read, `say` is told what
    /// happens, and commands that ask are answered with `handler`. The kept index is
    /// trusted only after [`Live::first_refresh`] (what happened before the watcher began
    /// is unknown to it).
    pub fn start(
        self: &Arc<Live>,
        who: &str,
        say: Say,
        handler: Option<super::ask::Handler>,
    ) -> Result<(), StartError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let watcher = crate::watch::start(&self.lib, who, move |s| {
            let _ = tx.send(s);
        })?;
        *self.watcher.lock().unwrap_or_else(|e| e.into_inner()) = Some(watcher);
        *self.say.lock().unwrap_or_else(|e| e.into_inner()) = Some(say);
        *self.embedder.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(crate::watch::Embedder::start(|line| eprintln!("{line}")));
        let weak = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("heard-refresh".into())
            .spawn(move || background(&weak, &rx));
        if let Err(e) = spawned {
            self.stop();
            return Err(anyhow::anyhow!("cannot start the background refresh: {e}").into());
        }
        if let Some(handler) = handler {
            match super::ask::serve(&self.lib, Arc::downgrade(self), handler) {
                Ok(s) => *self.service.lock().unwrap_or_else(|e| e.into_inner()) = Some(s),
                // Commands still work: each opens the index itself, as without a watcher.
                Err(e) => eprintln!(
                    "note: commands will not ask this process for results ({}); each opens the index itself",
                    crate::cmd::shown_lines(&format!("{e:#}"))
                ),
            }
        }
        Ok(())
    }

    /// The refresh that follows [`Live::start`]; from then on the kept index is trusted.
    /// When it fails, watching stops.
    pub fn first_refresh(&self, progress: &dyn Progress) -> anyhow::Result<RefreshReport> {
        match self.refresh_report(progress) {
            Ok((_, report)) => {
                self.watched.store(true, Ordering::Relaxed);
                Ok(report)
            }
            Err(e) => {
                self.stop();
                Err(e)
            }
        }
    }

    /// Stop watching: every request refreshes for itself from now on. The socket first:
    /// nothing is answered from a process that stops watching.
    fn stop(&self) {
        self.watched.store(false, Ordering::Relaxed);
        drop(taken(&self.service));
        drop(taken(&self.watcher));
        drop(taken(&self.embedder));
    }

    fn say(&self, event: Event<'_>) {
        if let Some(say) = self.say.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            say(event);
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a lock holds, taken out of it (a panic elsewhere does not stop it).
fn taken<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Refresh once after each burst of changes, until the process or its watcher goes.
fn background(live: &Weak<Live>, rx: &std::sync::mpsc::Receiver<Signal>) {
    while let Some(burst) = crate::watch::next_burst(rx) {
        let Some(live) = live.upgrade() else {
            return;
        };
        if let Err(why) = burst {
            live.stop();
            live.say(Event::Stopped(&why));
            return;
        }
        if live.settings_changed() && !live.said_settings.swap(true, Ordering::Relaxed) {
            eprintln!(
                "note: heard.toml changed; this process keeps the settings it started with until it is restarted (meanwhile `heard search` does not ask it)"
            );
        }
        match live.refresh_report(&Quiet) {
            Ok((_, report)) => live.say(Event::Refreshed(&report)),
            // Requests still use the index as it was; the next change tries again.
            Err(e) => live.say(Event::RefreshFailed(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::SearchRequest;

    fn found(index: &LibraryIndex, word: &str) -> usize {
        let req = SearchRequest {
            query: Some(word.to_string()),
            limit: 10,
            ..SearchRequest::default()
        };
        index.search(&req).expect("search").hits.len()
    }

    /// Another process that refreshed first (`heard index` beside the watcher) consumed
    /// the journal: the barrier then shows nothing new, but the kept index is older than
    /// the index on disk, and a command asking must not get it.
    #[test]
    fn a_refresh_made_by_another_process_is_not_hidden_by_the_kept_index() {
        let dir = tempfile::tempdir().unwrap();
        crate::library::init(dir.path()).unwrap();
        let lib = Arc::new(Library::open(dir.path()).unwrap());
        let source = lib.root().join("corpus/a.md");
        std::fs::write(&source, "# A\n\nThe allotment group met.\n").unwrap();
        let live = Live::new(lib.clone());
        live.start("a test", Box::new(|_| {}), None)
            .expect("watching");
        live.first_refresh(&Quiet).unwrap();
        assert_eq!(found(&live.fresh().unwrap().0, "allotment"), 1);
        let refreshes = live.refreshes();
        assert_eq!(found(&live.fresh().unwrap().0, "allotment"), 1);
        assert_eq!(
            live.refreshes(),
            refreshes,
            "nothing changed: the kept index"
        );

        std::fs::write(&source, "# A\n\nThe beekeeping group met.\n").unwrap();
        // Well within the watcher's own refresh, which waits for changes to settle.
        LibraryIndex::refresh_and_open(&lib, &Quiet).unwrap();
        let (index, _) = live.fresh().unwrap();
        assert_eq!(found(&index, "beekeeping"), 1);
        assert_eq!(found(&index, "allotment"), 0);
    }

    /// How many of the files under `dir` this process has mapped.
    fn mapped_under(dir: &std::path::Path) -> usize {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let dir = dir.to_string_lossy().into_owned();
        maps.lines().filter(|l| l.contains(dir.as_str())).count()
    }

    /// A watcher answers searches for days: past its memory budget, the kept index lets go
    /// of the pages its searches mapped, and the next search still works.
    #[test]
    fn past_its_budget_a_watcher_lets_go_of_the_pages_searches_read() {
        let dir = tempfile::tempdir().unwrap();
        crate::library::init(dir.path()).unwrap();
        let lib = Arc::new(Library::open(dir.path()).unwrap());
        std::fs::write(
            lib.root().join("corpus/a.md"),
            "# A\n\nThe allotment group met.\n",
        )
        .unwrap();
        // No watcher (its embedder would map the same files now and then): the kept
        // index is the one the last refresh made.
        let live = Live::new(lib.clone());
        let index_dir = lib.state_dir().join("index");
        let index = live.refresh().unwrap();
        assert_eq!(found(&index, "allotment"), 1);
        let mapped = mapped_under(&index_dir);
        assert!(mapped > 0, "a search maps the index's files");
        live.trim_above(u64::MAX);
        assert_eq!(mapped_under(&index_dir), mapped, "under budget: kept");
        live.trim_above(0);
        assert_eq!(mapped_under(&index_dir), 0, "past the budget: let go");
        assert_eq!(found(&index, "allotment"), 1);
    }
}
