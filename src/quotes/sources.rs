//! Sources by id, loaded on demand, and quotes found in their current text.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{AnchorState, Quote, anchor};
use crate::Library;
use crate::corpus::{self, LoadOptions, Source};

/// A quote found in the current text of its source.
#[derive(Debug, Clone)]
pub struct Located {
    /// How it was found.
    pub state: AnchorState,
    /// The text at its place now (the stored words when orphaned).
    pub text: String,
    /// Lines in the Markdown file, when found.
    pub lines: Option<(usize, usize)>,
    /// Path of the source now.
    pub path: String,
}

/// How many source files [`Sources`] has read in this process (not the refresh's reads):
/// `HEARD_DEBUG_READS=1` prints it after `heard recs` and `heard quotes`, so that a test can
/// see that a command reads only the files it needs.
static READ: AtomicUsize = AtomicUsize::new(0);

/// How many source files have been read on demand in this process.
pub fn sources_read() -> usize {
    READ.load(Ordering::Relaxed)
}

/// Sources by id, loaded on demand, for anchoring quotes.
pub struct Sources<'a> {
    lib: &'a Library,
    paths: corpus::SourceMap,
    loaded: HashMap<String, Option<Source>>,
}

impl<'a> Sources<'a> {
    /// Sources as the last refresh found them (refresh the index first).
    pub fn new(lib: &'a Library) -> anyhow::Result<Sources<'a>> {
        Ok(Sources::with_map(lib, corpus::SourceMap::open(lib)?))
    }

    /// Sources at known paths, by id.
    pub fn with_paths(lib: &'a Library, paths: HashMap<String, String>) -> Sources<'a> {
        Sources::with_map(lib, paths.into())
    }

    fn with_map(lib: &'a Library, paths: corpus::SourceMap) -> Sources<'a> {
        Sources {
            lib,
            paths,
            loaded: HashMap::new(),
        }
    }

    /// Path of a source, if it exists.
    pub fn path_of(&self, id: &str) -> Option<String> {
        self.paths.get(id)
    }

    /// All source ids, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.paths.entries().iter().map(|(id, _)| id)
    }

    /// Load a source by id, and keep it for the next call.
    pub fn get(&mut self, id: &str) -> Option<&Source> {
        if !self.loaded.contains_key(id) {
            let source = self.read(id);
            self.loaded.insert(id.to_string(), source);
        }
        self.loaded.get(id).and_then(Option::as_ref)
    }

    /// Read a source by id without keeping it: for a pass over many sources, which must
    /// not hold them all.
    pub fn read(&self, id: &str) -> Option<Source> {
        let rel = self.paths.get(id)?;
        READ.fetch_add(1, Ordering::Relaxed);
        let abs = self.lib.root().join(&rel);
        let under = crate::fsutil::rel_path(&self.lib.corpus_dir(), &abs);
        let id_default = under.strip_suffix(".md").unwrap_or(&under).to_string();
        let opts = LoadOptions {
            default_sensitivity: self.lib.config.default_sensitivity,
            max_bytes: self.lib.config.max_source_bytes,
        };
        corpus::load_file(&abs, &rel, &id_default, opts).source
    }

    /// Find a quote in the current text of its source.
    pub fn locate(&mut self, q: &Quote) -> Located {
        locate_in(q, self.get(&q.source))
    }

    /// `each` of `quotes` with its source as it is now, every source read once for all of
    /// its quotes and let go before the next: for a pass over every quote of a library,
    /// which must neither hold every source nor read one again for each of its quotes.
    /// The results come back in the order of `quotes`.
    pub fn with_sources<'q, T>(
        &self,
        quotes: &[&'q Quote],
        mut each: impl FnMut(&'q Quote, Option<&Source>) -> T,
    ) -> Vec<T> {
        let mut order: Vec<usize> = (0..quotes.len()).collect();
        order.sort_by(|&a, &b| quotes[a].source.cmp(&quotes[b].source));
        let mut out: Vec<Option<T>> = quotes.iter().map(|_| None).collect();
        let mut held: Option<(&str, Option<Source>)> = None;
        for i in order {
            let q = quotes[i];
            if held.as_ref().map(|(id, _)| *id) != Some(q.source.as_str()) {
                held = Some((q.source.as_str(), self.read(&q.source)));
            }
            out[i] = Some(each(q, held.as_ref().and_then(|(_, s)| s.as_ref())));
        }
        out.into_iter().flatten().collect()
    }
}

/// Find a quote in `source`, the current text of its source (`None`: the source is gone).
pub fn locate_in(q: &Quote, source: Option<&Source>) -> Located {
    let Some(source) = source else {
        return Located {
            state: AnchorState::Orphaned,
            text: q.anchor.exact.clone(),
            lines: None,
            path: q.path.clone(),
        };
    };
    let r = anchor::resolve(&q.anchor, &source.text);
    match r.range {
        Some((s, e)) => Located {
            state: r.state,
            text: source.text[s..e].to_string(),
            lines: Some((
                source.line_at(s),
                source.line_at(e.saturating_sub(1).max(s)),
            )),
            path: source.path.clone(),
        },
        None => Located {
            state: AnchorState::Orphaned,
            text: q.anchor.exact.clone(),
            lines: None,
            path: source.path.clone(),
        },
    }
}
