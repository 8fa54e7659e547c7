//! The app's kept index (see [`crate::watch::live`]), found by page code that is given the
//! library only.

use std::sync::{Arc, Mutex, Weak};

use crate::Library;
use crate::index::{LibraryIndex, Quiet};
use crate::watch::live::Live;

/// Every app's `Live`, so that page code, which is given the library only, finds the index
/// of the app it serves (by the address of that app's library).
static APPS: Mutex<Vec<Weak<Live>>> = Mutex::new(Vec::new());

/// A `Live` for an app's library, known to [`index`] from now on.
pub(crate) fn new(lib: Arc<Library>) -> Arc<Live> {
    let live = Live::new(lib);
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
        .find(|l| std::ptr::eq(Arc::as_ptr(l.library()), lib))
}

/// The index for page code given only the library: the app's kept index when the library
/// is an app's, else refreshed now.
pub(crate) fn index(lib: &Library) -> anyhow::Result<Arc<LibraryIndex>> {
    match of(lib) {
        Some(live) => live.get(),
        None => Ok(Arc::new(LibraryIndex::refresh_and_open(lib, &Quiet)?.0)),
    }
}

/// Refresh now (around a write made by a page), and keep the result for the next pages.
pub(crate) fn refresh(lib: &Library) -> anyhow::Result<Arc<LibraryIndex>> {
    match of(lib) {
        Some(live) => live.refresh(),
        None => Ok(Arc::new(LibraryIndex::refresh_and_open(lib, &Quiet)?.0)),
    }
}
