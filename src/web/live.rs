//! The index `heard serve` keeps open between requests.
//!
//! With a file watcher of its own (see [`crate::watch`]), the server refreshes the index
//! once after each burst of changes, in the background, and every request in between uses
//! the same open index: a request costs no walk of the library and no reopening. A write
//! made through the app (a quote, a consent, an import) refreshes at once, so its page shows
//! it; a change to the ledger made elsewhere (`heard quote approve` at the command line) is
//! noticed from the ledger's size and time, one `stat` per request.
//!
//! Without a watcher of its own (another process watches the library, or watching failed,
//! or in tests that build the app directly), every request refreshes as the command line
//! does, which is cheap while any watcher is alive.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::Library;
use crate::index::{LibraryIndex, Quiet, RefreshReport};
use crate::watch::{Signal, StartError, Watcher};

/// The open index of one app, and what keeps it fresh.
pub(crate) struct Live {
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
}

struct Kept {
    index: Arc<LibraryIndex>,
    /// The ledger's size and time when it was refreshed.
    ledger: (u64, u64),
}

/// Every app's `Live`, so that page code, which is given the library only, finds the index
/// of the app it serves (by the address of that app's library).
static APPS: Mutex<Vec<Weak<Live>>> = Mutex::new(Vec::new());

fn ledger_stamp(lib: &Library) -> (u64, u64) {
    std::fs::metadata(crate::ledger::path(lib))
        .map_or((0, 0), |m| (m.len(), crate::corpus::mtime_ns(&m) as u64))
}

impl Live {
    /// A `Live` for an app's library, known to [`index`] from now on.
    pub(crate) fn new(lib: Arc<Library>) -> Arc<Live> {
        let live = Arc::new(Live {
            lib,
            index: Mutex::new(None),
            refreshing: Mutex::new(()),
            watched: AtomicBool::new(false),
            refreshes: AtomicUsize::new(0),
            watcher: Mutex::new(None),
            embedder: Mutex::new(None),
        });
        let mut apps = APPS.lock().unwrap_or_else(|e| e.into_inner());
        apps.retain(|w| w.strong_count() > 0);
        apps.push(Arc::downgrade(&live));
        live
    }

    fn of(lib: &Library) -> Option<Arc<Live>> {
        let apps = APPS.lock().unwrap_or_else(|e| e.into_inner());
        apps.iter()
            .rev()
            .filter_map(Weak::upgrade)
            .find(|l| std::ptr::eq(Arc::as_ptr(&l.lib), lib))
    }

    /// Refreshes of the index so far.
    pub(crate) fn refreshes(&self) -> usize {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// Whether a watcher of this app keeps the index fresh.
    pub(crate) fn watched(&self) -> bool {
        self.watched.load(Ordering::Relaxed)
    }

    /// Refresh the index now and keep it.
    pub(crate) fn refresh(&self) -> anyhow::Result<Arc<LibraryIndex>> {
        Ok(self.refresh_report()?.0)
    }

    /// [`Live::refresh`], with what the refresh found.
    pub(crate) fn refresh_report(&self) -> anyhow::Result<(Arc<LibraryIndex>, RefreshReport)> {
        let _one = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
        let ledger = ledger_stamp(&self.lib);
        let (index, report) = LibraryIndex::refresh_and_open(&self.lib, &Quiet)?;
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        let index = Arc::new(index);
        *self.index.lock().unwrap_or_else(|e| e.into_inner()) = Some(Kept {
            index: index.clone(),
            ledger,
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

    /// The index for a request: the kept one while the watcher vouches for it.
    pub(crate) fn get(&self) -> anyhow::Result<Arc<LibraryIndex>> {
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

    /// Watch the library: from now on requests use the kept index, refreshed in the
    /// background after changes. Says on stderr (and returns false) when it cannot. Then
    /// refresh (what happened before the watcher began is unknown to it).
    pub(crate) fn watch(self: &Arc<Live>) -> anyhow::Result<RefreshReport> {
        if !self.start_watching() {
            return Ok(self.refresh_report()?.1);
        }
        let report = match self.refresh_report() {
            Ok((_, r)) => r,
            Err(e) => {
                self.unwatch("the first refresh failed");
                return Err(e);
            }
        };
        self.watched.store(true, Ordering::Relaxed);
        Ok(report)
    }

    fn start_watching(self: &Arc<Live>) -> bool {
        let (tx, rx) = std::sync::mpsc::channel();
        let watcher = match crate::watch::start(&self.lib, "heard serve", move |s| {
            let _ = tx.send(s);
        }) {
            Ok(w) => w,
            Err(StartError::Running(who)) => {
                eprintln!(
                    "note: this library is already watched ({}); each page checks its journal",
                    crate::cmd::shown(&who)
                );
                return false;
            }
            Err(StartError::Failed(e)) => {
                eprintln!(
                    "warning: cannot watch the library ({}); each page checks the files instead",
                    crate::cmd::shown_lines(&format!("{e:#}"))
                );
                return false;
            }
        };
        *self.watcher.lock().unwrap_or_else(|e| e.into_inner()) = Some(watcher);
        // With a watcher of our own, the meaning of new texts is read in the background
        // after each refresh (the first refresh comes next).
        *self.embedder.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(crate::watch::Embedder::start(|line| eprintln!("{line}")));
        let weak = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("heard-serve-refresh".into())
            .spawn(move || background(&weak, &rx));
        if spawned.is_err() {
            self.unwatch("cannot start the background refresh");
            return false;
        }
        true
    }

    fn unwatch(&self, why: &str) {
        self.watched.store(false, Ordering::Relaxed);
        eprintln!(
            "warning: stopped watching the library: {}; each page checks the files instead",
            crate::cmd::shown(why)
        );
        let w = self
            .watcher
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        drop(w);
        self.embedder
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }
}

/// Refresh once after each burst of changes, until the app or its watcher goes.
fn background(live: &Weak<Live>, rx: &std::sync::mpsc::Receiver<Signal>) {
    while let Some(burst) = crate::watch::next_burst(rx) {
        let Some(live) = live.upgrade() else {
            return;
        };
        if let Err(why) = burst {
            live.unwatch(&why);
            return;
        }
        if let Err(e) = live.refresh() {
            // Pages still work on the index as it was; the next change tries again.
            eprintln!(
                "error: refreshing the index: {}",
                crate::cmd::shown_lines(&format!("{e:#}"))
            );
        }
    }
}

/// The index for page code given only the library: the app's kept index when the library
/// is an app's, else refreshed now.
pub(crate) fn index(lib: &Library) -> anyhow::Result<Arc<LibraryIndex>> {
    match Live::of(lib) {
        Some(live) => live.get(),
        None => Ok(Arc::new(LibraryIndex::refresh_and_open(lib, &Quiet)?.0)),
    }
}

/// Refresh now (around a write made by a page), and keep the result for the next pages.
pub(crate) fn refresh(lib: &Library) -> anyhow::Result<Arc<LibraryIndex>> {
    match Live::of(lib) {
        Some(live) => live.refresh(),
        None => Ok(Arc::new(LibraryIndex::refresh_and_open(lib, &Quiet)?.0)),
    }
}
