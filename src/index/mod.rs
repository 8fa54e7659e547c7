//! The search index: a tantivy index in `.heard/index`, derived from the corpus and kept
//! fresh incrementally by the refresh pipeline ([`crate::refresh`]).
//!
//! One document per source, per passage, per recommendation and per quote, all keyed by the
//! file's path so that a changed or deleted file is replaced in one step. This module knows
//! how to open the index and how to put documents in and take them out ([`Update`]); what
//! changed, and the order corpus → quotes → index, is the pipeline's business: the index
//! never reads the ledger or the corpus state.

pub mod analyzer;
mod directory;
pub mod embed;
mod fields;
pub mod holding;
mod merges;
pub(crate) mod phrases;
mod queued;
pub mod search;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, IndexWriter, Term};

pub use analyzer::normalise_spelling;
pub use fields::Fields;
pub use search::{
    DocType, Exact, Fusion, Hit, Matches, Row, RowOrder, SearchError, SearchRequest, SearchResults,
};

use crate::corpus::Source;
use crate::quotes::{Located, Quote};
pub use crate::refresh::Scope;
use crate::taxonomy::Taxonomy;
use crate::{Library, Problem};

/// Bump when the schema, the analyzers or the way sources are split change: the index is
/// then rebuilt from the files. (5: front matter after blank lines, a BOM or with `\r` line
/// endings, misspelt `sensitivity`, YAML text kept as written. 6: passages know their page. 7: asks in prose are recommendations. 8: texts carry the key of their embedding.)
/// 9: the corpus state moved from `.heard/manifest.json` to `.heard/state.redb`.
/// 10: a whole source's text is indexed without positions in `whole`, not in `body`;
/// `source` is a fast field.
/// 11: `hash` is indexed by the first 16 characters of a text's key (the fast field keeps
/// it whole).
/// 12: a whole source's text is stored, not indexed: its words are indexed once, in its
/// passages and recommendations.
/// 13: a source's documents are written in one batch, so they lie in one segment (a search
/// for whole sources joins a source's passages to it within each segment).
/// 14: `consultation_exact` holds a source's consultation whole, indexed and as a column.
/// 15: `phrases` holds a term for each theme phrase a text holds (see [`phrases`]).
/// 16: `date_end` is a column, not indexed.
/// 17: `hash` is indexed by the first 8 characters of a text's key.
pub(crate) const FORMAT: u32 = 17;

/// Memory the index writer may use, shared by its threads. Fixed, whatever the corpus size.
const WRITER_HEAP: usize = 64 * 1024 * 1024;

/// What a refresh found and did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct RefreshReport {
    /// Files indexed for the first time.
    pub added: usize,
    /// Files whose content changed and were indexed again.
    pub changed: usize,
    /// Files that disappeared and were taken out of the index.
    pub removed: usize,
    /// Files already indexed and unchanged.
    pub unchanged: usize,
    /// Sources now in the index.
    pub sources: usize,
    /// Every problem in the library, one per file and line (including unchanged bad files).
    pub problems: Vec<Problem>,
    /// Whether the index was rebuilt from scratch (first run, or a new heard version).
    pub rebuilt: bool,
    /// Quotes by anchor state: ok, moved, drifted, orphaned.
    pub quotes: BTreeMap<String, usize>,
    /// Quotes found again in their source's text and indexed again in this refresh: those
    /// of sources that changed, appeared or went, and those whose ledger events changed.
    pub reanchored: usize,
    /// Texts embedded for search by meaning in this refresh.
    pub embedded: usize,
    /// Vectors dropped because their text left the library.
    pub embeddings_dropped: usize,
    /// Texts with an embedding, in all.
    pub embeddings: usize,
    /// Time taken.
    #[serde(skip)]
    pub elapsed: Duration,
}

impl RefreshReport {
    /// Whether anything in the index changed.
    pub fn changed_anything(&self) -> bool {
        self.added + self.changed + self.removed > 0
    }

    /// What a refresh that finds nothing new reports after this one: the same library,
    /// problems and quotes, with nothing added, changed or removed.
    pub fn unchanged_since(&self) -> RefreshReport {
        RefreshReport {
            unchanged: self.sources,
            sources: self.sources,
            problems: self.problems.clone(),
            quotes: self.quotes.clone(),
            ..RefreshReport::default()
        }
    }
}

/// Something to tell about progress while indexing (a progress bar on a terminal).
pub trait Progress: Sync {
    /// `total` files are to be read.
    fn start(&self, total: usize);
    /// One more file was read.
    fn tick(&self);
    /// Reading is done.
    fn finish(&self);
    /// The next `start` counts texts being read for their meaning, not files.
    fn embedding(&self) {}
}

/// No progress reporting.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: usize) {}
    fn tick(&self) {}
    fn finish(&self) {}
}

/// An open index of a library.
pub struct LibraryIndex {
    index: Index,
    fields: Fields,
    taxonomy: Taxonomy,
    /// `.heard/`, where the embeddings are.
    state_dir: PathBuf,
    /// The reader searches share, opened at the first (see [`LibraryIndex::reader`]).
    reader: std::sync::Mutex<Option<tantivy::IndexReader>>,
    /// How much of the library's meaning is known, once asked (texts embedded by searches
    /// since are added).
    meaning: std::sync::Mutex<Option<embed::Coverage>>,
    /// Query vectors and their nearest texts, worked out ahead for a draft's questions.
    prepared: std::sync::Mutex<HashMap<String, std::sync::Arc<search::Prepared>>>,
    /// The terms of the theme phrases (see [`phrases`]), by the phrase query each stands
    /// for; worked out at the first search.
    phrase_terms: std::sync::OnceLock<HashMap<String, tantivy::Term>>,
}

fn index_dir(lib: &Library) -> PathBuf {
    lib.state_dir().join(INDEX_DIR)
}

/// The index's folder under `.heard/`.
const INDEX_DIR: &str = "index";

/// The file tantivy rewrites at every commit: a change to it is a change to the index.
pub(crate) fn meta_path(lib: &Library) -> PathBuf {
    index_dir(lib).join("meta.json")
}

/// Hold the library's index lock while refreshing: two commands never write the index at
/// once, and a search waits for a refresh in progress instead of failing.
pub(crate) fn lock(lib: &Library) -> anyhow::Result<File> {
    crate::fsutil::lock_file(&lib.state_dir(), "lock")
}

impl LibraryIndex {
    /// Bring the index up to date with the corpus, then open it for searching.
    pub fn refresh_and_open(
        lib: &Library,
        progress: &dyn Progress,
    ) -> anyhow::Result<(LibraryIndex, RefreshReport)> {
        let scope = match lib.config.refresh {
            crate::library::Refresh::Folders => Scope::Folders,
            _ => Scope::Everything,
        };
        LibraryIndex::refresh_with(lib, progress, scope)
    }

    /// Like [`LibraryIndex::refresh_and_open`], but look at every file whatever the
    /// library's `refresh` setting (what `heard index` does).
    pub fn refresh_everything(
        lib: &Library,
        progress: &dyn Progress,
    ) -> anyhow::Result<(LibraryIndex, RefreshReport)> {
        LibraryIndex::refresh_with(lib, progress, Scope::Everything)
    }

    /// Bring the index up to date, looking only where `scope` says (a watcher that knows
    /// which paths changed passes [`Scope::Paths`]).
    pub fn refresh_with(
        lib: &Library,
        progress: &dyn Progress,
        scope: Scope,
    ) -> anyhow::Result<(LibraryIndex, RefreshReport)> {
        crate::refresh::run(lib, scope, progress)
    }

    pub(crate) fn from_parts(
        index: Index,
        fields: Fields,
        taxonomy: Taxonomy,
        lib: &Library,
    ) -> Self {
        LibraryIndex {
            index,
            fields,
            taxonomy,
            state_dir: lib.state_dir(),
            reader: Default::default(),
            meaning: Default::default(),
            prepared: Default::default(),
            phrase_terms: Default::default(),
        }
    }

    /// Bring the meaning of every text up to date: embed what is new (saving every
    /// checkpoint, so an interrupted run keeps its work) and drop what left the library
    /// (`heard index`). Waits for another process that is embedding. When nothing changed
    /// it reads one small file.
    pub fn with_meaning(
        &self,
        lib: &Library,
        progress: &dyn Progress,
    ) -> anyhow::Result<embed::Report> {
        let lock = crate::fsutil::lock_file(&self.state_dir, embed::LOCK)?;
        progress.embedding();
        let report = embed::refresh(
            &self.state_dir,
            &self.index,
            &self.fields,
            progress,
            embed::Mode::Everything,
        )?;
        drop(lock);
        let _ = lib;
        self.set_coverage(report.coverage());
        Ok(report)
    }

    /// The meaning a draft or a search by meaning needs, without waiting for the whole
    /// library: when at most [`embed::embed_all_below`] texts lack a vector they are
    /// embedded now (so a small library behaves as if the store were complete); otherwise
    /// nothing is embedded here, searches embed the texts they look at, and the report's
    /// coverage says how much is known (say so: [`embed::Coverage`]).
    pub fn with_some_meaning(
        &self,
        lib: &Library,
        progress: &dyn Progress,
    ) -> anyhow::Result<embed::Report> {
        let _ = lib;
        std::fs::create_dir_all(&self.state_dir)?;
        let lock = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.state_dir.join(embed::LOCK))?;
        // Another process embedding (a watcher, `heard index`): count, do not wait.
        let mode = if lock.try_lock().is_ok() {
            embed::Mode::UpTo(embed::embed_all_below())
        } else {
            embed::Mode::Count
        };
        progress.embedding();
        let report = embed::refresh(&self.state_dir, &self.index, &self.fields, progress, mode)?;
        drop(lock);
        self.set_coverage(report.coverage());
        Ok(report)
    }

    /// Embed texts with the index's own state (for the background embedder of `heard watch`
    /// and `heard serve`): on one thread, skipped when another process is embedding.
    /// `None` when it was skipped.
    pub fn embed_in_background(
        &self,
        progress: &dyn Progress,
    ) -> anyhow::Result<Option<embed::Report>> {
        std::fs::create_dir_all(&self.state_dir)?;
        let lock = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.state_dir.join(embed::LOCK))?;
        if lock.try_lock().is_err() {
            return Ok(None);
        }
        let report = embed::refresh(
            &self.state_dir,
            &self.index,
            &self.fields,
            progress,
            embed::Mode::Background,
        )?;
        Ok(Some(report))
    }

    /// How much of the library's meaning was known to this index's searches, once
    /// [`LibraryIndex::with_meaning`] or [`LibraryIndex::with_some_meaning`] ran.
    pub fn meaning_coverage(&self) -> Option<embed::Coverage> {
        *self.meaning.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_coverage(&self, c: embed::Coverage) {
        *self.meaning.lock().unwrap_or_else(|e| e.into_inner()) = Some(c);
    }

    /// Texts a search embedded (and saved) because they had no vector yet.
    pub(crate) fn add_known(&self, n: usize) {
        if let Some(c) = self
            .meaning
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            c.known = (c.known + n).min(c.texts);
        }
    }

    /// The index's fields.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The tantivy index.
    pub fn tantivy(&self) -> &Index {
        &self.index
    }

    /// How rare each stem is in the library's text: inverse document frequency,
    /// `ln(1 + N / (1 + df))` over every indexed document.
    pub fn idf(&self, stems: &std::collections::HashSet<String>) -> HashMap<String, f32> {
        let Ok(reader) = self.reader() else {
            return HashMap::new();
        };
        let searcher = reader.searcher();
        let n = searcher.num_docs() as f32;
        stems
            .iter()
            .map(|s| {
                let df = searcher
                    .doc_freq(&Term::from_field_text(self.fields.body, s))
                    .unwrap_or(0) as f32;
                (s.clone(), (1.0 + n / (1.0 + df)).ln())
            })
            .collect()
    }
}

/// The index as it is on disk, if it opens and has today's schema.
pub(crate) fn open_existing(lib: &Library) -> Option<(Index, Fields)> {
    let (schema, fields) = Fields::schema();
    let mut index = directory::LibraryDirectory::open(&index_dir(lib))
        .ok()
        .and_then(|d| Index::open(d).ok())
        .filter(|i| i.schema() == schema)?;
    analyzer::register(&index);
    search_in_parallel(&mut index);
    Some((index, fields))
}

/// From this many documents (about 300,000 sources) an index's segments are searched in
/// parallel; below it a search takes a few milliseconds, and starting the threads would
/// cost more than they save (measured at 100k sources: +0.2–0.8 ms a search).
const PARALLEL_FROM_DOCS: u64 = 2_000_000;

/// Search a large index's segments on every core at once, not one after another: a first
/// build at a million sources leaves some 35 segments, and a search of common words
/// spends most of its time in each in turn. tantivy merges what each segment found.
/// `HEARD_SEARCH_THREADS` sets how many threads whatever the size (1: one segment at a
/// time), e.g. on a machine shared with other work.
fn search_in_parallel(index: &mut Index) {
    let set = std::env::var("HEARD_SEARCH_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok());
    let metas = index.searchable_segment_metas().unwrap_or_default();
    let docs: u64 = metas.iter().map(|m| u64::from(m.num_docs())).sum();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = search_threads(set, docs, cores).min(metas.len());
    if threads > 1 {
        // Without the threads, searches still work, one segment at a time.
        let _ = index.set_multithread_executor(threads);
    }
}

/// How many threads search an index of `docs` documents on a machine of `cores`.
fn search_threads(set: Option<usize>, docs: u64, cores: usize) -> usize {
    match set {
        Some(n) => n.max(1),
        None if docs < PARALLEL_FROM_DOCS => 1,
        None => cores.clamp(1, 8),
    }
}

/// Open the index, or make a new empty one when `fresh` (the pipeline's memory of what is
/// in it is gone) or when it cannot be opened. Returns whether it is new.
pub(crate) fn open_or_create(lib: &Library, fresh: bool) -> anyhow::Result<(Index, Fields, bool)> {
    if !fresh {
        if let Some((index, fields)) = open_existing(lib) {
            return Ok((index, fields, false));
        }
    }
    // No usable index: build a new one. It is only a cache of the files.
    let dir = index_dir(lib);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("failed to remove the old index `{}`", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("failed to create `{}`", dir.display()))?;
    let (schema, fields) = Fields::schema();
    // Empty: nothing to search in parallel yet (see `search_in_parallel`).
    let index = directory::LibraryDirectory::open(&dir)
        .map_err(tantivy::TantivyError::from)
        .and_then(|d| Index::create(d, schema, tantivy::IndexSettings::default()))
        .with_context(|| format!("failed to create an index in `{}`", dir.display()))?;
    analyzer::register(&index);
    Ok((index, fields, true))
}

/// Changes to the index, handed over by the refresh pipeline: a writer is opened only when
/// something is to change, and nothing is seen by searches until [`Update::commit`].
pub(crate) struct Update<'a> {
    index: &'a Index,
    fields: &'a Fields,
    taxonomy: &'a Taxonomy,
    /// The phrases of `taxonomy`, each kept as a term where a text holds it.
    phrases: phrases::ThemePhrases,
    writer: Option<IndexWriter<queued::Queued>>,
    /// Documents sent to the writer's threads and not yet indexed.
    in_flight: std::sync::Arc<queued::InFlight>,
    /// The index was empty when this update began (a first build): nothing is in it to
    /// replace, so no deletes are queued (tantivy would look each one up in every segment
    /// written before the commit, a cost that grows with the square of the library).
    empty: bool,
    /// Deletes queued, for tests.
    deletes: u64,
}

impl<'a> Update<'a> {
    /// Changes to `index`; `empty` when it was just made (nothing to replace in it).
    pub(crate) fn new(
        index: &'a Index,
        fields: &'a Fields,
        taxonomy: &'a Taxonomy,
        empty: bool,
    ) -> Self {
        Update {
            index,
            fields,
            taxonomy,
            phrases: phrases::ThemePhrases::of(taxonomy),
            writer: None,
            in_flight: Default::default(),
            empty,
            deletes: 0,
        }
    }

    /// The index's fields.
    pub(crate) fn fields(&self) -> &'a Fields {
        self.fields
    }

    /// The themes tags are indexed with.
    pub(crate) fn taxonomy(&self) -> &'a Taxonomy {
        self.taxonomy
    }

    /// The phrases of the themes, kept as terms where a text holds them.
    pub(crate) fn phrases(&self) -> &phrases::ThemePhrases {
        &self.phrases
    }

    fn writer(&mut self) -> anyhow::Result<&mut IndexWriter<queued::Queued>> {
        if self.writer.is_none() {
            // The heap is shared as `Index::writer` shares it (each thread needs at least 15
            // MB), and merges are bounded (see `merges`).
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, WRITER_HEAP / (15 * 1024 * 1024));
            let options = tantivy::indexer::IndexWriterOptions::builder()
                .num_worker_threads(threads)
                .memory_budget_per_thread(WRITER_HEAP / threads)
                .num_merge_threads(merges::MERGE_THREADS)
                .build();
            let writer = self
                .index
                .writer_with_options(options)
                .context("failed to open the index for writing")?;
            writer.set_merge_policy(Box::new(merges::BoundedMerges::new(merges::MAX_MERGE_DOCS)));
            self.writer = Some(writer);
        }
        Ok(self.writer.as_mut().expect("writer was just opened"))
    }

    fn delete(&mut self, term: Term) -> anyhow::Result<()> {
        self.deletes += 1;
        self.writer()?.delete_term(term);
        Ok(())
    }

    /// Take out every document of the file at `path` (its source, passages,
    /// recommendations, and the quotes anchored in it).
    pub(crate) fn remove_path(&mut self, path: &str) -> anyhow::Result<()> {
        if self.empty {
            return Ok(());
        }
        self.delete(Term::from_field_text(self.fields.path, path))
    }

    /// Put in (or replace) the documents of the source at `path`, made by
    /// [`Fields::documents`] (on the thread that read it).
    ///
    /// They go in as one batch, which tantivy writes into one segment (and merges keep
    /// together): a search for whole sources relies on finding a source's document in the
    /// segment of its passages (see `search::ScoredSources`).
    pub(crate) fn put_source(
        &mut self,
        path: &str,
        docs: Vec<tantivy::TantivyDocument>,
    ) -> anyhow::Result<()> {
        use crate::refresh::timing::{Stage, time};
        use tantivy::indexer::UserOperation;
        self.remove_path(path)?;
        let in_flight = std::sync::Arc::clone(&self.in_flight);
        let w = self.writer()?;
        time(Stage::AddDocument, || -> anyhow::Result<()> {
            // One batch, so that a source's documents land in one segment.
            in_flight.admit(docs.len());
            w.run(
                docs.into_iter()
                    .map(|d| UserOperation::Add(queued::Queued::new(d, &in_flight))),
            )?;
            Ok(())
        })
    }

    /// Deletes queued so far.
    #[cfg(test)]
    pub(crate) fn deletes(&self) -> u64 {
        self.deletes
    }

    /// Take out one quote's document.
    pub(crate) fn remove_quote(&mut self, id: &str) -> anyhow::Result<()> {
        if self.empty {
            return Ok(());
        }
        self.deletes += 1;
        let query = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.doc_type, "quote"),
                    IndexRecordOption::Basic,
                )) as Box<dyn Query>,
            ),
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.id, id),
                    IndexRecordOption::Basic,
                )),
            ),
        ]);
        self.writer()?
            .delete_query(Box::new(query))
            .context("failed to take a quote out of the index")?;
        Ok(())
    }

    /// Put in one quote's document, as found in its source's text now.
    pub(crate) fn put_quote(&mut self, q: &Quote, loc: &Located, s: &Source) -> anyhow::Result<()> {
        let doc = self
            .fields
            .quote_document(q, loc, s, self.taxonomy, &self.phrases);
        self.in_flight.admit(1);
        let doc = queued::Queued::new(doc, &self.in_flight);
        self.writer()?.add_document(doc)?;
        Ok(())
    }

    /// Make the changes visible to searches, if there were any.
    pub(crate) fn commit(self) -> anyhow::Result<()> {
        if let Some(mut w) = self.writer {
            w.commit().context("failed to save the index")?;
            w.wait_merging_threads()
                .context("failed to finish merging the index")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{LoadOptions, Sensitivity};
    use tantivy::collector::Count;
    use tantivy::columnar::StrColumn;

    fn source(rel: &str, text: &str) -> Source {
        let opts = LoadOptions {
            default_sensitivity: Sensitivity::Internal,
            max_bytes: 1 << 20,
        };
        let id = rel.trim_start_matches("corpus/").trim_end_matches(".md");
        crate::corpus::load_bytes(text.as_bytes(), rel, id, opts)
            .source
            .expect("source")
    }

    fn put(up: &mut Update<'_>, s: &Source, taxonomy: &Taxonomy) {
        let docs = up.fields().documents(s, taxonomy, up.phrases());
        up.put_source(&s.path, docs).unwrap();
    }

    /// An empty index on disk, with heard's schema and analyzers.
    fn empty_index() -> (tempfile::TempDir, Index, Fields) {
        let dir = tempfile::tempdir().unwrap();
        let (schema, fields) = Fields::schema();
        let index = Index::create_in_dir(dir.path(), schema).unwrap();
        analyzer::register(&index);
        (dir, index, fields)
    }

    fn count(index: &Index, q: &dyn Query) -> usize {
        let reader = index.reader().unwrap();
        reader.searcher().search(q, &Count).unwrap()
    }

    /// A first build puts every source into an empty index: nothing there to replace, so
    /// no delete is queued (each one would be looked up in every segment at the commit);
    /// a later update still replaces what it puts again.
    #[test]
    fn large_indexes_are_searched_on_every_core_and_small_ones_on_one() {
        assert_eq!(search_threads(None, 6_500_000, 2), 2);
        assert_eq!(search_threads(None, 6_500_000, 64), 8);
        assert_eq!(search_threads(None, 670_000, 2), 1);
        assert_eq!(search_threads(Some(1), 6_500_000, 2), 1);
        assert_eq!(search_threads(Some(3), 10, 2), 3);
        assert_eq!(search_threads(Some(0), 10, 2), 1);
    }

    #[test]
    fn a_first_build_queues_no_deletes_and_a_later_update_replaces() {
        let (_dir, index, fields) = empty_index();
        let taxonomy = Taxonomy::default();
        let a = source("corpus/a.md", "# A\n\nThe allotment group met.\n");
        let b = source("corpus/b.md", "# B\n\nThe choir practised.\n");

        let mut up = Update::new(&index, &fields, &taxonomy, true);
        put(&mut up, &a, &taxonomy);
        put(&mut up, &b, &taxonomy);
        up.remove_path("corpus/c.md").unwrap();
        assert_eq!(up.deletes(), 0);
        up.commit().unwrap();
        let allotment = TermQuery::new(
            Term::from_field_text(fields.body, "allot"),
            IndexRecordOption::Basic,
        );
        assert_eq!(count(&index, &allotment), 1);

        // The index now holds `a`: putting it again replaces it, never doubles it.
        let mut up = Update::new(&index, &fields, &taxonomy, false);
        put(&mut up, &a, &taxonomy);
        assert_eq!(up.deletes(), 1);
        up.commit().unwrap();
        assert_eq!(count(&index, &allotment), 1);
        let path_a = TermQuery::new(
            Term::from_field_text(fields.path, "corpus/a.md"),
            IndexRecordOption::Basic,
        );
        let docs_of_a = a.passages.len() + 1;
        assert_eq!(count(&index, &path_a), docs_of_a);
    }

    /// Tokens indexed in `field`, over every segment.
    fn tokens(index: &Index, field: tantivy::schema::Field) -> u64 {
        let reader = index.reader().unwrap();
        reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|seg| seg.inverted_index(field).unwrap().total_num_tokens())
            .sum()
    }

    /// Issue 12: a source's text is indexed once. Its passages (and recommendations) hold
    /// every word of it; the whole source keeps its text for snippets but adds no tokens of
    /// its own (it was indexed a second time, in `whole`, which doubled the tokenizing).
    #[test]
    fn a_sources_text_is_indexed_once() {
        let (_dir, index, fields) = empty_index();
        let taxonomy = Taxonomy::default();
        let s = source(
            "corpus/a.md",
            "# A\n\nThe allotment group met on Tuesday.\n\n## Recommendations\n\n1. Fund the allotment group.\n",
        );
        let mut up = Update::new(&index, &fields, &taxonomy, true);
        put(&mut up, &s, &taxonomy);
        up.commit().unwrap();
        // Six words, then four: each once.
        assert_eq!(tokens(&index, fields.body), 10);
        assert_eq!(tokens(&index, fields.whole), 0);
        // The whole source still keeps its text.
        let reader = index.reader().unwrap();
        let searcher = reader.searcher();
        let of_source = TermQuery::new(
            Term::from_field_text(fields.doc_type, "source"),
            IndexRecordOption::Basic,
        );
        let top = searcher
            .search(
                &of_source,
                &tantivy::collector::TopDocs::with_limit(2).order_by_score(),
            )
            .unwrap();
        assert_eq!(top.len(), 1);
        let doc: tantivy::TantivyDocument = searcher.doc(top[0].1).unwrap();
        use tantivy::schema::Value;
        assert_eq!(
            doc.get_first(fields.whole).and_then(|v| v.as_str()),
            Some(s.text.as_str())
        );
    }

    /// A text's key is found in the index by its term (a prefix, which keeps the term
    /// dictionary small), and read whole from the fast field, as search by meaning does.
    #[test]
    fn a_texts_key_is_found_by_its_term_and_read_whole() {
        let (_dir, index, fields) = empty_index();
        let taxonomy = Taxonomy::default();
        let s = source("corpus/a.md", "# A\n\nThe allotment group met.\n");
        let mut up = Update::new(&index, &fields, &taxonomy, true);
        put(&mut up, &s, &taxonomy);
        up.commit().unwrap();

        let key = embed::key_hex("The allotment group met.");
        assert_eq!(key.len(), 64);
        let term = Fields::key_term(&key);
        assert_eq!(term.len(), analyzer::KEY_TERM_CHARS);
        let by_term = TermQuery::new(
            Term::from_field_text(fields.hash, term),
            IndexRecordOption::Basic,
        );
        assert_eq!(count(&index, &by_term), 1);
        // The whole key is no term: only its prefix is.
        let whole = TermQuery::new(
            Term::from_field_text(fields.hash, &key),
            IndexRecordOption::Basic,
        );
        assert_eq!(count(&index, &whole), 0);

        let reader = index.reader().unwrap();
        let searcher = reader.searcher();
        let mut keys = Vec::new();
        for seg in searcher.segment_readers() {
            let col: StrColumn = seg.fast_fields().str("hash").unwrap().unwrap();
            for doc in seg.doc_ids_alive() {
                for ord in col.term_ords(doc) {
                    let mut s = String::new();
                    col.ord_to_str(ord, &mut s).unwrap();
                    keys.push(s);
                }
            }
        }
        assert_eq!(keys, [key]);
    }

    /// Counts the texts embedded, and whether any file of the index was mapped into the
    /// process while they were (read from `/proc/self/maps` at every text).
    #[cfg(target_os = "linux")]
    struct Watching {
        index_dir: PathBuf,
        ticks: std::sync::atomic::AtomicUsize,
        mapped_while_embedding: std::sync::Mutex<Vec<String>>,
    }

    #[cfg(target_os = "linux")]
    impl Progress for Watching {
        fn start(&self, _: usize) {}
        fn tick(&self) {
            self.ticks
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
            let dir = self.index_dir.to_string_lossy();
            let mut seen = self.mapped_while_embedding.lock().unwrap();
            for line in maps.lines().filter(|l| l.contains(dir.as_ref())) {
                if !seen.iter().any(|s| s == line) {
                    seen.push(line.to_string());
                }
            }
        }
        fn finish(&self) {}
    }

    /// An empty index where a library keeps it, under its state folder (the folder, the
    /// index's own folder, the index and its fields).
    fn index_in_state_folder() -> (tempfile::TempDir, PathBuf, Index, Fields) {
        let state = tempfile::tempdir().unwrap();
        let index_dir = state.path().join(INDEX_DIR);
        std::fs::create_dir_all(&index_dir).unwrap();
        let (schema, fields) = Fields::schema();
        let index = directory::LibraryDirectory::open(&index_dir)
            .map_err(tantivy::TantivyError::from)
            .and_then(|d| Index::create(d, schema, tantivy::IndexSettings::default()))
            .unwrap();
        analyzer::register(&index);
        (state, index_dir, index, fields)
    }

    /// While another process embeds (a watcher for hours at a million sources), it saves a
    /// segment of the store at every checkpoint, so the store's files change under every
    /// draft, and the index changes under it. A draft then takes that process's last count
    /// of the meaning known rather than counting every text again (seconds at 1M, per
    /// draft); without another process embedding, a draft counts what changed.
    #[test]
    fn while_another_process_embeds_a_draft_takes_its_last_count_not_a_census() {
        let (state, _, index, fields) = index_in_state_folder();
        let taxonomy = Taxonomy::default();
        let add = |name: &str, text: &str| {
            let mut up = Update::new(&index, &fields, &taxonomy, false);
            put(
                &mut up,
                &source(name, &format!("# {name}\n\n{text}\n")),
                &taxonomy,
            );
            up.commit().unwrap();
        };
        add("corpus/a.md", "The allotment group met on Tuesdays.");
        let refresh = |mode| embed::refresh(state.path(), &index, &fields, &Quiet, mode).unwrap();

        // Counted once, nothing embedded (more missing than the draft embeds itself).
        let first = refresh(embed::Mode::UpTo(0));
        assert!(first.texts > 0 && first.vectors == 0, "{first:?}");
        // The embedding process saves the meaning of one text in a new segment of the store.
        let text = "The allotment group met on Tuesdays.";
        let key: embed::Key = *blake3::hash(text.as_bytes()).as_bytes();
        embed::embed_and_save(state.path(), &[(key, text)]).unwrap();

        // A draft beside that process takes its last count, not a census of every text.
        let counted = refresh(embed::Mode::Count);
        assert_eq!((counted.texts, counted.vectors), (first.texts, 0));
        // Without another process embedding, the store's change is counted.
        let own = refresh(embed::Mode::UpTo(0));
        assert_eq!((own.texts, own.vectors), (first.texts, 1));
        // The index changed: beside the embedding process its count still stands; without
        // one, the new text is counted.
        add("corpus/b.md", "The choir sang at the day centre.");
        let beside = refresh(embed::Mode::Count);
        assert_eq!((beside.texts, beside.vectors), (first.texts, 1));
        let after = refresh(embed::Mode::UpTo(0));
        assert!(after.texts > first.texts, "{after:?}");
        assert_eq!(after.vectors, 1);
    }

    /// Issue 12: `heard serve` embeds a large library in the background for hours. While it
    /// embeds, it must not hold the index's files open: tantivy maps each file once per
    /// process, so every page a search of the server touched would stay in its memory
    /// (`heard serve` at a million sources stayed over a gigabyte). The index is opened
    /// only while a round of texts is read from it, and every text is still embedded.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_background_embedder_holds_no_file_of_the_index_while_it_embeds() {
        let (state, index_dir, index, fields) = index_in_state_folder();
        let taxonomy = Taxonomy::default();
        // Two commits, so two segments; enough texts for several rounds of each.
        for (batch, words) in [("a", "allotment"), ("b", "choir")] {
            let mut up = Update::new(&index, &fields, &taxonomy, batch == "a");
            for i in 0..12 {
                let text: String = (0..4)
                    .map(|p| format!("The {words} group met on day {i}, part {p}.\n\n"))
                    .collect();
                let s = source(
                    &format!("corpus/{batch}{i}.md"),
                    &format!("# {batch}{i}\n\n{text}"),
                );
                put(&mut up, &s, &taxonomy);
            }
            up.commit().unwrap();
        }
        assert!(index.searchable_segments().unwrap().len() >= 2);

        let watching = Watching {
            index_dir: index_dir.clone(),
            ticks: Default::default(),
            mapped_while_embedding: Default::default(),
        };
        let report = embed::refresh(
            state.path(),
            &index,
            &fields,
            &watching,
            embed::Mode::Background,
        )
        .unwrap();
        // 24 sources of 4 passages (and the sources' own texts): every text embedded.
        assert!(report.embedded >= 96, "{report:?}");
        assert_eq!(report.vectors, report.texts);
        assert_eq!(
            watching.ticks.load(std::sync::atomic::Ordering::Relaxed),
            report.embedded
        );
        let mapped = watching.mapped_while_embedding.lock().unwrap();
        assert!(
            mapped.is_empty(),
            "files of the index mapped while texts were embedded:\n{}",
            mapped.join("\n")
        );
    }
}
