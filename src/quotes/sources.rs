//! Sources by id, loaded on demand, and quotes found in their current text.

use std::collections::HashMap;

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

    /// Load a source by id.
    pub fn get(&mut self, id: &str) -> Option<&Source> {
        if !self.loaded.contains_key(id) {
            let source = self.paths.get(id).and_then(|rel| {
                let abs = self.lib.root().join(&rel);
                let under = crate::fsutil::rel_path(&self.lib.corpus_dir(), &abs);
                let id_default = under.strip_suffix(".md").unwrap_or(&under).to_string();
                let opts = LoadOptions {
                    default_sensitivity: self.lib.config.default_sensitivity,
                    max_bytes: self.lib.config.max_source_bytes,
                };
                corpus::load_file(&abs, &rel, &id_default, opts).source
            });
            self.loaded.insert(id.to_string(), source);
        }
        self.loaded.get(id).and_then(Option::as_ref)
    }

    /// Find a quote in the current text of its source.
    pub fn locate(&mut self, q: &Quote) -> Located {
        let Some(source) = self.get(&q.source) else {
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
}
