//! The refresh pipeline: the one place that brings the index up to date with the library,
//! in the order corpus → quotes → index, handing each stage what it needs.
//!
//! 1. **Corpus.** Walk what the [`Scope`] says (every file, the files of changed folders,
//!    or the paths a watcher reports), compare each file with what the store remembers
//!    ([`store`], `.heard/state.redb`), read only new or changed files, and hand their
//!    sources to the index. Source ids are claimed here (one file per id), and the map of
//!    ids to paths that the rest of heard reads ([`crate::corpus::SourceMap`]) is written
//!    when it changes.
//! 2. **Quotes.** Fold the ledger when it or a source changed, and locate again only the
//!    quotes of sources that changed and the quotes whose ledger events changed (each
//!    quote's indexed state is remembered as a hash).
//! 3. **Index.** Every change above goes through one [`Update`], committed once, before
//!    the store, so a refresh killed half-way only makes the next one do its work again.
//!
//! Nothing here holds the library whole: the walk streams in chunks, the store is looked
//! up and written one entry at a time, and the only thing that grows with the library is a
//! set of 64-bit hashes of the paths seen, to notice files that disappeared.
//! Later stages (import, embeddings) slot in after the corpus stage, which knows what
//! changed.

mod store;
pub(crate) mod timing;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::Index;

use crate::corpus::{self, CorpusFile, LoadOptions, Visit, Walker};
use crate::index::{self, Fields, LibraryIndex, Progress, RefreshReport, Update};
use crate::quotes::{Quote, QuoteBook, Sources};
use crate::taxonomy::Taxonomy;
use crate::{Library, Problem};

use store::{Entry, QuoteState, Store, Tables, path_hash};
use timing::Stage;

/// What a refresh looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// Stat every file (`heard index`, and the default `refresh = "files"`).
    Everything,
    /// Trust the files of folders whose modification time is unchanged (`refresh =
    /// "folders"`): files added, removed or renamed are seen, files rewritten in place not.
    Folders,
    /// Only these library-relative paths changed (files or folders; a folder is walked
    /// again): what a watcher's journal says.
    Paths(Vec<String>),
}

/// Files read and parsed together (in parallel): bounds memory on a first build.
const BATCH: usize = 512;

/// Past this many changed sources, every quote is located again rather than keeping a set
/// of their ids.
const TOUCHED_MAX: usize = 50_000;

/// Bring the index up to date, looking where `scope` says, and open it.
pub fn run(
    lib: &Library,
    scope: Scope,
    progress: &dyn Progress,
) -> anyhow::Result<(LibraryIndex, RefreshReport)> {
    let started = Instant::now();
    let _lock = index::lock(lib)?;
    // A broken taxonomy must not stop search: it is reported, and tags work without it.
    let (taxonomy, taxonomy_problem) = match crate::taxonomy::load(lib) {
        Ok(t) => (t, None),
        Err(e) => (Taxonomy::default(), Some(e)),
    };
    // Tags are indexed with their themes, so a change of themes rebuilds the index; hash
    // what was read, not the file, so that a comment or a blank line changes nothing.
    let taxonomy_hash = blake3::hash(&serde_json::to_vec(&taxonomy).unwrap_or_default())
        .to_hex()
        .to_string();
    // Freshness: a live watcher's journal says what changed (nothing: no walk at all, only
    // the ledger's and the taxonomy's stamps); without one, look where `scope` says.
    let watched = crate::watch::changes(lib);
    let checking_files = watched.is_none() && scope == Scope::Everything;
    let scope = match &watched {
        Some(c) if c.rescan => Scope::Everything,
        Some(c) => Scope::Paths(c.paths.iter().cloned().collect()),
        None => scope,
    };
    let quick = match &watched {
        Some(c) => c.nothing(),
        None => scope == Scope::Folders,
    };
    if quick {
        if let Some((index, fields, report)) =
            open_if_unchanged(lib, &taxonomy_hash, started, watched.is_none())
        {
            if let Some(c) = &watched {
                c.consumed(lib);
            }
            return Ok((
                LibraryIndex::from_parts(index, fields, taxonomy, lib),
                report,
            ));
        }
    }
    let attempt =
        |scope: &Scope, anew: bool| refresh(lib, scope, &taxonomy, &taxonomy_hash, anew, progress);
    let (index, fields, mut report, dirs) = match attempt(&scope, false) {
        Err(e) if e.downcast_ref::<store::Damaged>().is_some() => {
            eprintln!(
                "note: the index state `.heard/state.redb` could not be read ({e}), so the index was rebuilt from the files; nothing is lost, it is only a cache"
            );
            attempt(&Scope::Everything, true)?
        }
        other => other?,
    };
    if let Some(e) = taxonomy_problem {
        report.problems.push(Problem::file(
            lib.rel(&crate::taxonomy::path(lib)),
            format!("{e:#}; tags are searched without their synonyms until it is fixed"),
        ));
    }
    report.elapsed = started.elapsed();
    Snapshot::record(lib, &taxonomy_hash, dirs, &report);
    timing::report(report.elapsed);
    match &watched {
        Some(c) => c.consumed(lib),
        None if checking_files && !report.rebuilt => crate::watch::hint_if_slow(
            report.unchanged + report.changed + report.added,
            report.elapsed,
        ),
        None => {}
    }
    Ok((
        LibraryIndex::from_parts(index, fields, taxonomy, lib),
        report,
    ))
}

/// One refresh: the stages in order, in one store transaction. `anew` starts from an empty
/// store (after damage).
fn refresh(
    lib: &Library,
    scope: &Scope,
    taxonomy: &Taxonomy,
    taxonomy_hash: &str,
    anew: bool,
    progress: &dyn Progress,
) -> anyhow::Result<(Index, Fields, RefreshReport, BTreeMap<String, u64>)> {
    let mut store = if anew {
        Store::create(lib, index::FORMAT, taxonomy_hash)?
    } else {
        Store::open(lib, index::FORMAT, taxonomy_hash)?
    };
    let (index, fields, rebuilt) = index::open_or_create(lib, store.fresh())?;
    if rebuilt && !store.fresh() {
        // The index had to be made anew: the store describes an index that is gone.
        store = Store::create(lib, index::FORMAT, taxonomy_hash)?;
    }
    let scope = if rebuilt { &Scope::Everything } else { scope };
    let mut report = RefreshReport {
        rebuilt,
        ..RefreshReport::default()
    };
    let txn = store.begin()?;
    let mut t = Tables::open(&txn, store.meta().clone())?;
    let mut up = Update::new(&index, &fields, taxonomy, rebuilt);

    let (touched, mut walk_problems) =
        corpus_stage(lib, scope, &mut t, &mut up, progress, &mut report)?;
    timing::peak("corpus");
    timing::time(Stage::Quotes, || {
        quote_stage(lib, &mut t, &mut up, &touched, rebuilt, &mut report)
    })?;
    timing::peak("quotes");
    timing::time(Stage::Commit, || up.commit())?;
    timing::peak("commit");

    if t.ids_changed || !corpus::source_map_path(lib).exists() {
        timing::time(Stage::SourceMap, || {
            corpus::write_source_map(lib, t.owners()?)
        })?;
    }
    report.sources = t.meta.sources as usize;
    report.problems = t.all_problems()?;
    walk_problems.sort_by(|a, b| a.path.cmp(&b.path));
    report.problems.append(&mut walk_problems);
    let dirs = t.all_dirs()?;
    if t.dirty {
        let started = Instant::now();
        t.save()?;
        txn.commit().map_err(store::damaged)?;
        timing::add(Stage::StoreCommit, started.elapsed().as_nanos() as u64);
        timing::peak("store");
    } else {
        drop(t);
        txn.abort().map_err(store::damaged)?;
    }
    Ok((index, fields, report, dirs))
}

/// Source ids whose files changed, appeared or went: their quotes are located again.
enum Touched {
    All,
    Ids(HashSet<String>),
}

impl Touched {
    fn contains(&self, id: &str) -> bool {
        match self {
            Touched::All => true,
            Touched::Ids(s) => s.contains(id),
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Touched::Ids(s) if s.is_empty())
    }

    fn add(&mut self, id: &str) {
        if let Touched::Ids(s) = self {
            s.insert(id.to_string());
            if s.len() > TOUCHED_MAX {
                *self = Touched::All;
            }
        }
    }
}

/// Stage 1: find what changed in the corpus and hand it to the index.
fn corpus_stage(
    lib: &Library,
    scope: &Scope,
    t: &mut Tables<'_>,
    up: &mut Update<'_>,
    progress: &dyn Progress,
    report: &mut RefreshReport,
) -> anyhow::Result<(Touched, Vec<Problem>)> {
    let stage_started = Instant::now();
    let corpus_dir = lib.corpus_dir();
    // Originals kept by `heard import` are not sources (an imported `.md` would be twice).
    let skip = vec![
        lib.responses_dir(),
        lib.state_dir(),
        crate::import::originals_dir(lib),
    ];
    let walker = Walker {
        root: lib.root(),
        corpus: &corpus_dir,
        skip: &skip,
    };
    let mut stage = CorpusStage {
        lib,
        t,
        up,
        opts: LoadOptions {
            default_sensitivity: lib.config.default_sensitivity,
            max_bytes: lib.config.max_source_bytes,
        },
        progress,
        report,
        present: HashSet::new(),
        present_dirs: HashSet::new(),
        seen: 0,
        queued: 0,
        touched: Touched::Ids(HashSet::new()),
        walk_problems: Vec::new(),
        error: None,
        handling_ns: 0,
        indexing_ns: 0,
    };
    match scope {
        Scope::Everything | Scope::Folders => {
            walker.walk(&corpus_dir, *scope == Scope::Folders, &mut stage);
            stage.check()?;
            // Every file walked has an entry: if the store knows more, some went.
            if stage.t.file_count()? != stage.seen {
                stage.remove_missing("")?;
            }
            stage.t.forget_dirs("", &stage.present_dirs)?;
        }
        Scope::Paths(paths) => {
            let mut paths: Vec<String> = paths
                .iter()
                .map(|p| p.trim_start_matches("./").trim_end_matches('/').to_string())
                .collect();
            paths.sort();
            paths.dedup();
            for rel in &paths {
                let abs = lib.root().join(rel);
                if abs != corpus_dir && !walker.admits(&abs) {
                    continue;
                }
                match std::fs::metadata(&abs) {
                    Ok(m) if m.is_dir() => {
                        walker.walk(&abs, false, &mut stage);
                        stage.check()?;
                        let prefix = if rel.is_empty() {
                            String::new()
                        } else {
                            format!("{rel}/")
                        };
                        stage.remove_missing(&prefix)?;
                        stage.t.forget_dirs(&prefix, &stage.present_dirs)?;
                    }
                    Ok(m) => {
                        if let Some(parent) = abs.parent().filter(|p| p.starts_with(&corpus_dir)) {
                            if let Ok(pm) = std::fs::metadata(parent) {
                                stage.dir(&lib.rel(parent), corpus::mtime_ns(&pm) as u64);
                            }
                        }
                        if abs.extension().is_some_and(|x| x == "md") {
                            let under = crate::fsutil::rel_path(&corpus_dir, &abs);
                            let file = CorpusFile {
                                rel: lib.rel(&abs),
                                id_default: under.strip_suffix(".md").unwrap_or(&under).to_string(),
                                size: m.len(),
                                mtime_ns: corpus::mtime_ns(&m),
                                abs,
                            };
                            stage.files(vec![file]);
                            stage.check()?;
                        }
                    }
                    Err(_) => {
                        // Gone: the file, or a folder and everything under it.
                        stage.remove_one(rel)?;
                        stage.remove_missing(&format!("{rel}/"))?;
                        let none = HashSet::new();
                        stage.t.forget_dirs(&format!("{rel}/"), &none)?;
                        if let Some(parent) = abs.parent().filter(|p| p.starts_with(&corpus_dir)) {
                            if let Ok(pm) = std::fs::metadata(parent) {
                                stage.dir(&lib.rel(parent), corpus::mtime_ns(&pm) as u64);
                            }
                        }
                    }
                }
            }
            stage.check()?;
        }
    }
    progress.finish();
    timing::add(Stage::Walk, stage_started.elapsed().as_nanos() as u64);
    timing::subtract(Stage::Walk, stage.handling_ns);
    Ok((stage.touched, stage.walk_problems))
}

/// The corpus stage as the walk sees it: each folder and chunk of files is compared with
/// the store as it arrives.
struct CorpusStage<'a, 't, 'u> {
    lib: &'a Library,
    t: &'a mut Tables<'t>,
    up: &'a mut Update<'u>,
    opts: LoadOptions,
    progress: &'a dyn Progress,
    report: &'a mut RefreshReport,
    /// Hashes of the files walked.
    present: HashSet<u64>,
    /// Hashes of the folders walked.
    present_dirs: HashSet<u64>,
    /// Files walked (each has an entry once handled).
    seen: u64,
    /// Files read so far, for the progress bar.
    queued: usize,
    touched: Touched,
    walk_problems: Vec<Problem>,
    /// The first error met while walking: the walk cannot return one, so it is kept.
    error: Option<anyhow::Error>,
    /// Time spent handling files (for [`timing`]: the rest of the stage is the walk).
    handling_ns: u64,
    /// Time spent handing sources to the index (for [`timing`]).
    indexing_ns: u64,
}

impl Visit for CorpusStage<'_, '_, '_> {
    fn dir(&mut self, rel: &str, mtime_ns: u64) -> bool {
        self.present_dirs.insert(path_hash(rel));
        if self.error.is_some() {
            return false;
        }
        match self.t.dir(rel) {
            Ok(Some(t)) if t == mtime_ns => true,
            Ok(_) => {
                if let Err(e) = self.t.put_dir(rel, mtime_ns) {
                    self.error = Some(e);
                }
                false
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    fn known_file(&mut self, rel: &str) -> Option<(u64, u64)> {
        self.t
            .file(rel)
            .ok()
            .flatten()
            .filter(|e| e.indexed && e.problems.is_empty())
            .map(|e| (e.size, e.mtime_ns))
    }

    fn files(&mut self, files: Vec<CorpusFile>) {
        if self.error.is_none() {
            let t = Instant::now();
            if let Err(e) = self.handle(files) {
                self.error = Some(e);
            }
            self.handling_ns += t.elapsed().as_nanos() as u64;
        }
    }

    fn problem(&mut self, problem: Problem) {
        self.walk_problems.push(problem);
    }
}

/// What reading a file found.
enum Read {
    /// Same bytes as last time (only the time stamp changed).
    Same { hash: String },
    /// New or changed content, and the source's index documents (made on the thread that
    /// read it).
    Loaded {
        loaded: Box<corpus::Loaded>,
        hash: String,
        docs: Vec<tantivy::TantivyDocument>,
    },
    /// The file could not be read.
    Failed(Problem),
}

fn read_one(
    file: &CorpusFile,
    old: Option<&Entry>,
    opts: LoadOptions,
    fields: &Fields,
    taxonomy: &Taxonomy,
    phrases: &index::phrases::ThemePhrases,
) -> Read {
    if file.size > opts.max_bytes {
        // Don't read a huge file just to say that it is huge.
        return Read::Failed(corpus::size_problem(&file.rel, file.size, opts.max_bytes));
    }
    let bytes = match timing::time(Stage::Read, || std::fs::read(&file.abs)) {
        Ok(b) => b,
        Err(e) => {
            return Read::Failed(Problem::file(
                &file.rel,
                format!("cannot be read: {e}; check that heard may read it"),
            ));
        }
    };
    let hash = timing::time(Stage::Hash, || blake3::hash(&bytes).to_hex().to_string());
    if let Some(old) = old {
        if old.hash == hash && old.indexed {
            return Read::Same { hash };
        }
    }
    let loaded = timing::time(Stage::Parse, || {
        corpus::load_bytes(&bytes, &file.rel, &file.id_default, opts)
    });
    drop(bytes);
    let docs = match &loaded.source {
        Some(s) => timing::time(Stage::Documents, || fields.documents(s, taxonomy, phrases)),
        None => Vec::new(),
    };
    Read::Loaded {
        loaded: Box::new(loaded),
        hash,
        docs,
    }
}

impl CorpusStage<'_, '_, '_> {
    fn check(&mut self) -> anyhow::Result<()> {
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// A chunk of walked files: those new, touched, or with problems last time are read.
    fn handle(&mut self, files: Vec<CorpusFile>) -> anyhow::Result<()> {
        let mut candidates = Vec::new();
        for f in files {
            if !self.present.insert(path_hash(&f.rel)) {
                continue; // the same file twice (a folder named twice in a journal)
            }
            self.seen += 1;
            let old = timing::time(Stage::Store, || self.t.file(&f.rel))?;
            match &old {
                Some(e) if e.size == f.size && e.mtime_ns == f.mtime_ns as u64 && e.indexed => {
                    self.report.unchanged += 1;
                }
                _ => candidates.push((f, old)),
            }
        }
        if candidates.is_empty() {
            return Ok(());
        }
        self.queued += candidates.len();
        self.progress.start(self.queued);
        for batch in candidates.chunks(BATCH) {
            let (opts, progress) = (self.opts, self.progress);
            let (fields, taxonomy, phrases) =
                (self.up.fields(), self.up.taxonomy(), self.up.phrases());
            let reads: Vec<Read> = batch
                .par_iter()
                .map(|(f, old)| {
                    let r = read_one(f, old.as_ref(), opts, fields, taxonomy, phrases);
                    progress.tick();
                    r
                })
                .collect();
            for ((file, old), read) in batch.iter().zip(reads) {
                let t = Instant::now();
                let indexing = self.indexing_ns;
                self.apply(file, old.as_ref(), read)?;
                let store =
                    (t.elapsed().as_nanos() as u64).saturating_sub(self.indexing_ns - indexing);
                timing::add(Stage::Store, store);
            }
        }
        Ok(())
    }

    fn apply(&mut self, file: &CorpusFile, old: Option<&Entry>, read: Read) -> anyhow::Result<()> {
        let rel = file.rel.as_str();
        let was_indexed = old.is_some_and(|e| e.indexed);
        let mut entry = Entry {
            size: file.size,
            mtime_ns: file.mtime_ns as u64,
            hash: String::new(),
            id: None,
            indexed: false,
            problems: Vec::new(),
        };
        match read {
            Read::Same { hash } => {
                entry.hash = hash;
                entry.id = old.and_then(|e| e.id.clone());
                // Warnings about the unchanged file (e.g. a bad date) still stand.
                entry.problems = old.map(|e| e.problems.clone()).unwrap_or_default();
                entry.indexed = true;
                if let Some(id) = &entry.id {
                    self.t.set_owner(id, rel)?;
                }
                self.report.unchanged += 1;
            }
            Read::Failed(p) => entry.problems.push(p),
            Read::Loaded { loaded, hash, docs } => {
                entry.hash = hash;
                entry.problems = loaded.problems;
                if let Some(source) = loaded.source {
                    entry.id = Some(source.id.clone());
                    match self.claim(&source.id, rel)? {
                        Some(other) => entry.problems.push(Problem::file(
                            rel,
                            format!(
                                "duplicate id `{}`: `{}` already uses it; give this source its own `id:` in its front matter",
                                source.id, other
                            ),
                        )),
                        None => {
                            let t = Instant::now();
                            self.up.put_source(&source.path, docs)?;
                            self.indexing_ns += t.elapsed().as_nanos() as u64;
                            entry.indexed = true;
                            self.touched.add(&source.id);
                            if was_indexed {
                                self.report.changed += 1;
                            } else {
                                self.report.added += 1;
                            }
                        }
                    }
                }
            }
        }
        if let Some(old_id) = old.and_then(|e| e.id.as_deref()) {
            if !entry.indexed || entry.id.as_deref() != Some(old_id) {
                self.t.release(old_id, rel)?;
            }
            if was_indexed && (!entry.indexed || entry.id.as_deref() != Some(old_id)) {
                self.touched.add(old_id);
            }
        }
        if was_indexed && !entry.indexed {
            self.up.remove_path(rel)?;
        }
        self.t.put_file(rel, &entry, old)?;
        Ok(())
    }

    /// Claim `id` for the file `rel`; the file that keeps it, if another does.
    fn claim(&mut self, id: &str, rel: &str) -> anyhow::Result<Option<String>> {
        match self.t.owner(id)? {
            Some(o) if o != rel && self.owner_stands(&o)? => Ok(Some(o)),
            _ => {
                self.t.set_owner(id, rel)?;
                Ok(None)
            }
        }
    }

    /// Whether the file that owned an id still does: it is indexed and either was looked
    /// at in this refresh or is still there as it was (else it went, or it changed and
    /// will be looked at later in the walk, when it may find its id taken).
    fn owner_stands(&self, owner: &str) -> anyhow::Result<bool> {
        let Some(e) = self.t.file(owner)? else {
            return Ok(false);
        };
        if !e.indexed {
            return Ok(false);
        }
        if self.present.contains(&path_hash(owner)) {
            return Ok(true);
        }
        Ok(std::fs::metadata(self.lib.root().join(owner))
            .is_ok_and(|m| m.len() == e.size && corpus::mtime_ns(&m) as u64 == e.mtime_ns))
    }

    /// Take files under `prefix` that were not walked out of the store and the index.
    fn remove_missing(&mut self, prefix: &str) -> anyhow::Result<()> {
        for rel in self.t.files_missing(prefix, &self.present)? {
            self.remove_one(&rel)?;
        }
        Ok(())
    }

    fn remove_one(&mut self, rel: &str) -> anyhow::Result<()> {
        if let Some(old) = self.t.remove_file(rel)? {
            if old.indexed {
                self.up.remove_path(rel)?;
                self.report.removed += 1;
                if let Some(id) = &old.id {
                    self.touched.add(id);
                }
            }
        }
        Ok(())
    }
}

/// What the ledger says of a quote that its index document shows: a change of any of it
/// (consent, tags, speaker, anchor, an approval expiring) indexes the quote again.
fn quote_hash(q: &Quote, today: &str) -> String {
    let state = (
        &q.id,
        &q.source,
        &q.path,
        &q.anchor,
        &q.speaker,
        &q.tags,
        q.status_on(today).as_str(),
    );
    blake3::hash(&serde_json::to_vec(&state).unwrap_or_default())
        .to_hex()
        .to_string()
}

/// Stage 2: locate again and index again the quotes that need it.
fn quote_stage(
    lib: &Library,
    t: &mut Tables<'_>,
    up: &mut Update<'_>,
    touched: &Touched,
    rebuilt: bool,
    report: &mut RefreshReport,
) -> anyhow::Result<()> {
    let ledger_path = crate::ledger::path(lib);
    let stamp = stamp(&ledger_path);
    let mut bytes = None;
    let ledger_changed = if stamp == t.meta.ledger_stamp && !t.meta.ledger.is_empty() {
        false
    } else {
        let b = std::fs::read(&ledger_path).unwrap_or_default();
        let hash = blake3::hash(&b).to_hex().to_string();
        let changed = hash != t.meta.ledger;
        t.meta.ledger = hash;
        t.meta.ledger_stamp = stamp;
        t.dirty = true;
        bytes = Some(b);
        changed
    };
    if !rebuilt && !ledger_changed && touched.is_empty() {
        report.quotes = t.meta.anchors.clone();
        return Ok(());
    }
    let today = crate::quotes::today();
    // Only sources changed, on the day the store last brought every quote up to date with
    // the same ledger: their quotes are read from the store, and the ledger is not read.
    if let Touched::Ids(ids) = touched
        && !rebuilt
        && !ledger_changed
        && t.meta.quotes_day == today
    {
        let mut ids: Vec<&String> = ids.iter().collect();
        ids.sort();
        let mut anchors = t.meta.anchors.clone();
        for id in ids {
            let quotes = t.quotes_of(id)?;
            let mut todo = Vec::with_capacity(quotes.len());
            for q in &quotes {
                let old = t.quote(&q.id)?;
                if let Some(o) = &old
                    && let Some(n) = anchors.get_mut(&o.anchor)
                {
                    *n = n.saturating_sub(1);
                }
                todo.push((q, quote_hash(q, &today), old));
            }
            locate_again(lib, t, up, &todo, &mut anchors, report)?;
        }
        anchors.retain(|_, n| *n > 0);
        if t.meta.anchors != anchors {
            t.meta.anchors = anchors;
            t.dirty = true;
        }
        report.quotes = t.meta.anchors.clone();
        return Ok(());
    }
    let bytes = match bytes {
        Some(b) => b,
        None => std::fs::read(&ledger_path).unwrap_or_default(),
    };
    let rel = lib.rel(&ledger_path);
    let book = timing::time(Stage::Ledger, || {
        let ledger = crate::ledger::parse(&bytes, &rel);
        // The file's bytes are not needed while the fold makes its quotes (30 MB at 1M).
        drop(bytes);
        QuoteBook::fold(ledger, &rel)
    });

    // Quotes the ledger no longer has (events lost from it) leave the index.
    if ledger_changed {
        for id in t.quotes_not_in(&|id| book.quotes.contains_key(id))? {
            if t.remove_quote(&id)?.is_some_and(|q| q.indexed) {
                up.remove_quote(&id)?;
            }
        }
    }

    let mut anchors: BTreeMap<String, usize> = BTreeMap::new();
    let mut todo: Vec<(&Quote, String, Option<QuoteState>)> = Vec::new();
    for q in book.quotes.values() {
        let hash = quote_hash(q, &today);
        let old = if rebuilt { None } else { t.quote(&q.id)? };
        match old {
            Some(o) if o.hash == hash && !touched.contains(&q.source) => {
                *anchors.entry(o.anchor).or_insert(0) += 1;
            }
            old => todo.push((q, hash, old)),
        }
    }
    // Every quote's data is kept up to date for the day: all of it on a new day (statuses
    // may expire), else what changed.
    if t.meta.quotes_day != today {
        for q in book.quotes.values() {
            t.put_quote_data(q)?;
        }
        t.meta.quotes_day = today.clone();
        t.dirty = true;
    } else {
        for (q, _, _) in &todo {
            t.put_quote_data(q)?;
        }
    }
    // One source read per source, and dropped before the next.
    todo.sort_by(|a, b| a.0.source.cmp(&b.0.source));
    for group in todo.chunk_by(|a, b| a.0.source == b.0.source) {
        locate_again(lib, t, up, group, &mut anchors, report)?;
    }
    if t.meta.anchors != anchors {
        t.meta.anchors = anchors;
        t.dirty = true;
    }
    report.quotes = t.meta.anchors.clone();
    Ok(())
}

/// Locate again, and index again, quotes of one source (with their hashes and last states),
/// counting their anchor states into `anchors`.
fn locate_again(
    lib: &Library,
    t: &mut Tables<'_>,
    up: &mut Update<'_>,
    group: &[(&Quote, String, Option<QuoteState>)],
    anchors: &mut BTreeMap<String, usize>,
    report: &mut RefreshReport,
) -> anyhow::Result<()> {
    let Some((first, _, _)) = group.first() else {
        return Ok(());
    };
    let id = &first.source;
    let paths: HashMap<String, String> = t
        .owner(id)?
        .map(|p| HashMap::from([(id.clone(), p)]))
        .unwrap_or_default();
    let mut sources = Sources::with_paths(lib, paths);
    for (q, hash, old) in group {
        let loc = sources.locate(q);
        if old.as_ref().is_some_and(|o| o.indexed) {
            up.remove_quote(&q.id)?;
        }
        let indexed = match sources.get(&q.source) {
            Some(s) => {
                up.put_quote(q, &loc, s)?;
                true
            }
            None => false,
        };
        let anchor = loc.state.as_str().to_string();
        *anchors.entry(anchor.clone()).or_insert(0) += 1;
        t.put_quote(
            &q.id,
            &QuoteState {
                hash: hash.clone(),
                anchor,
                indexed,
            },
        )?;
        report.reanchored += 1;
    }
    Ok(())
}

/// What the last refresh saw, in a few lines: the folders' times, the ledger's size and
/// time, and the outcome. A quick refresh (`refresh = "folders"`) that finds all of them
/// unchanged opens the index without opening the store or walking a single file.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Snapshot {
    format: u32,
    taxonomy: String,
    ledger: (u64, u64),
    dirs: BTreeMap<String, u64>,
    sources: usize,
    problems: Vec<Problem>,
    quotes: BTreeMap<String, usize>,
}

/// What the last refresh found, kept for the next one (`.heard/snapshot.json`).
pub(crate) fn snapshot_path(lib: &Library) -> std::path::PathBuf {
    lib.state_dir().join("snapshot.json")
}

/// Size and modification time (ns) of a file or folder; zeros when it is missing.
pub(crate) fn stamp(path: &std::path::Path) -> (u64, u64) {
    std::fs::metadata(path).map_or((0, 0), |m| (m.len(), corpus::mtime_ns(&m) as u64))
}

impl Snapshot {
    fn record(
        lib: &Library,
        taxonomy_hash: &str,
        dirs: BTreeMap<String, u64>,
        report: &RefreshReport,
    ) {
        let snap = Snapshot {
            format: index::FORMAT,
            taxonomy: taxonomy_hash.to_string(),
            ledger: stamp(&crate::ledger::path(lib)),
            dirs,
            sources: report.sources,
            problems: report.problems.clone(),
            quotes: report.quotes.clone(),
        };
        let old: Option<Snapshot> = std::fs::read(snapshot_path(lib))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if old.as_ref() != Some(&snap) {
            if let Ok(json) = serde_json::to_vec(&snap) {
                // Only an optimisation: without it the next refresh does the full work.
                let _ = crate::fsutil::write_atomic(&snapshot_path(lib), &json);
            }
        }
    }
}

/// Open the index as it is when nothing changed since the last refresh: every folder and the
/// ledger have the times recorded in the snapshot.
fn open_if_unchanged(
    lib: &Library,
    taxonomy_hash: &str,
    started: Instant,
    check_dirs: bool,
) -> Option<(Index, Fields, RefreshReport)> {
    let snap: Snapshot = serde_json::from_slice(&std::fs::read(snapshot_path(lib)).ok()?).ok()?;
    if snap.format != index::FORMAT
        || snap.taxonomy != taxonomy_hash
        || (check_dirs && snap.dirs.is_empty())
    {
        return None;
    }
    if stamp(&crate::ledger::path(lib)) != snap.ledger {
        return None;
    }
    // With a live watcher the journal already said no folder changed.
    let unchanged = !check_dirs
        || snap.dirs.iter().all(|(rel, t)| {
            std::fs::metadata(lib.root().join(rel)).is_ok_and(|m| corpus::mtime_ns(&m) as u64 == *t)
        });
    if !unchanged || !corpus::source_map_path(lib).exists() {
        return None;
    }
    let (index, fields) = index::open_existing(lib)?;
    let report = RefreshReport {
        unchanged: snap.sources,
        sources: snap.sources,
        problems: snap.problems,
        quotes: snap.quotes,
        elapsed: started.elapsed(),
        ..RefreshReport::default()
    };
    Some((index, fields, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{Quiet, SearchRequest};

    fn paths_found(index: &LibraryIndex, word: &str) -> Vec<String> {
        let req = SearchRequest {
            query: Some(word.to_string()),
            limit: 10,
            ..SearchRequest::default()
        };
        let mut found: Vec<String> = index
            .search(&req)
            .expect("search")
            .hits
            .into_iter()
            .map(|h| h.path)
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// What a watcher reports is all a refresh looks at: an in-place rewrite, a new file, a
    /// deleted file and a deleted folder, each named by path.
    #[test]
    fn a_refresh_of_named_paths_sees_exactly_their_changes() {
        let dir = tempfile::tempdir().unwrap();
        crate::library::init(dir.path()).unwrap();
        let lib = Library::open(dir.path()).unwrap();
        let write = |rel: &str, text: &str| {
            let p = lib.root().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write("corpus/notes/a.md", "# A\n\nThe allotment group met.\n");
        write("corpus/notes/b.md", "# B\n\nThe choir practised.\n");
        write("corpus/old/c.md", "# C\n\nThe pottery class moved.\n");
        let (_, first) = run(&lib, Scope::Everything, &Quiet).unwrap();
        assert_eq!((first.added, first.sources), (3, 3));

        write("corpus/notes/a.md", "# A\n\nThe beekeeping group met!\n");
        write("corpus/notes/d.md", "# D\n\nThe darts team won.\n");
        std::fs::remove_file(lib.root().join("corpus/notes/b.md")).unwrap();
        std::fs::remove_dir_all(lib.root().join("corpus/old")).unwrap();
        // Not named: not looked at.
        write("corpus/notes/e.md", "# E\n\nThe chess club.\n");
        let named = [
            "corpus/notes/a.md",
            "corpus/notes/d.md",
            "corpus/notes/b.md",
            "corpus/old",
        ];
        let scope = Scope::Paths(named.iter().map(|s| s.to_string()).collect());
        let (index, r) = run(&lib, scope, &Quiet).unwrap();
        assert_eq!((r.added, r.changed, r.removed), (1, 1, 2), "{r:?}");
        assert_eq!(paths_found(&index, "beekeeping"), ["corpus/notes/a.md"]);
        assert!(paths_found(&index, "allotment").is_empty());
        assert_eq!(paths_found(&index, "darts"), ["corpus/notes/d.md"]);
        assert!(paths_found(&index, "choir").is_empty());
        assert!(paths_found(&index, "pottery").is_empty());
        assert!(paths_found(&index, "chess").is_empty());

        // A folder named is walked again: the file nobody named is found there.
        let (index, r) = run(&lib, Scope::Paths(vec!["corpus/notes".into()]), &Quiet).unwrap();
        assert_eq!((r.added, r.changed, r.removed), (1, 0, 0), "{r:?}");
        assert_eq!(paths_found(&index, "chess"), ["corpus/notes/e.md"]);
        // And a full refresh finds nothing left to do.
        let (_, r) = run(&lib, Scope::Everything, &Quiet).unwrap();
        assert!(!r.changed_anything(), "{r:?}");
        assert_eq!(r.sources, 3);
    }
}
