//! The search index: a tantivy index in `.heard/index`, derived from the corpus and kept
//! fresh incrementally.
//!
//! One document per source, per passage and per recommendation, all keyed by the file's
//! path so that a changed or deleted file is replaced in one step. A manifest beside the
//! index records each file's size, modification time and content hash: a refresh stats
//! every file, re-reads only those whose size or time changed, and re-indexes only those
//! whose content really changed. Files with problems are looked at again on every refresh,
//! so fixing a file (or removing the file it clashed with) is noticed at once.

pub mod analyzer;
pub mod embed;
mod fields;
pub mod search;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::{Index, IndexWriter, Term};

pub use analyzer::normalise_spelling;
pub use fields::Fields;
pub use search::{DocType, Fusion, Hit, SearchError, SearchRequest, SearchResults};

use crate::corpus::{self, CorpusFile, LoadOptions};
use crate::quotes::{QuoteBook, Sources};
use crate::taxonomy::Taxonomy;
use crate::{Library, Problem};

/// Bump when the schema, the analyzers or the way sources are split change: the index is
/// then rebuilt from the files. (5: front matter after blank lines, a BOM or with `\r` line
/// endings, misspelt `sensitivity`, YAML text kept as written. 6: passages know their page. 7: asks in prose are recommendations. 8: texts carry the key of their embedding. 9: a whole source's text
/// is indexed without positions in `whole`, not in `body`; `source` is a fast field.)
const FORMAT: u32 = 9;

/// Memory the index writer may use, shared by its threads. Fixed, whatever the corpus size.
const WRITER_HEAP: usize = 64 * 1024 * 1024;

/// Files parsed per batch: bounds memory on a first build of a large library.
const BATCH: usize = 512;

/// What a file looked like when it was last indexed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    size: u64,
    mtime_ns: u64,
    hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    /// Whether the file's documents are in the index.
    indexed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    problems: Vec<Problem>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    /// Hash of taxonomy.toml: tags are indexed with their themes, so a change rebuilds.
    #[serde(default)]
    taxonomy: String,
    /// Hash of the ledger when quotes were last indexed.
    #[serde(default)]
    ledger: String,
    /// Quotes by anchor state, as last indexed.
    #[serde(default)]
    anchors: BTreeMap<String, usize>,
    /// Folders of the corpus and their modification times, for quick refreshes.
    #[serde(default)]
    dirs: BTreeMap<String, u64>,
    files: BTreeMap<String, Entry>,
}

/// Source ids and their paths, as last indexed (refresh first).
pub fn source_paths(lib: &Library) -> anyhow::Result<HashMap<String, String>> {
    let path = manifest_path(lib);
    let bytes =
        std::fs::read(&path).with_context(|| format!("failed to read `{}`", path.display()))?;
    let m: Manifest = serde_json::from_slice(&bytes)
        .context("the index manifest is damaged; delete .heard/ and run `heard index`")?;
    Ok(paths_of(&m))
}

fn paths_of(m: &Manifest) -> HashMap<String, String> {
    m.files
        .iter()
        .filter(|(_, e)| e.indexed)
        .filter_map(|(p, e)| e.id.clone().map(|id| (id, p.clone())))
        .collect()
}

/// What a refresh found and did.
#[derive(Debug, Default, Serialize)]
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
    reader: std::sync::OnceLock<tantivy::IndexReader>,
}

fn index_dir(lib: &Library) -> PathBuf {
    lib.state_dir().join("index")
}

fn manifest_path(lib: &Library) -> PathBuf {
    lib.state_dir().join("manifest.json")
}

/// Hold the library's index lock while refreshing: two commands never write the index at
/// once, and a search waits for a refresh in progress instead of failing.
fn lock(lib: &Library) -> anyhow::Result<File> {
    crate::fsutil::lock_file(&lib.state_dir(), "lock")
}

impl LibraryIndex {
    /// Bring the index up to date with the corpus, then open it for searching.
    pub fn refresh_and_open(
        lib: &Library,
        progress: &dyn Progress,
    ) -> anyhow::Result<(LibraryIndex, RefreshReport)> {
        let quick = lib.config.refresh == crate::library::Refresh::Folders;
        LibraryIndex::refresh_with(lib, progress, quick)
    }

    /// Like [`LibraryIndex::refresh_and_open`], but look at every file whatever the
    /// library's `refresh` setting (what `heard index` does).
    pub fn refresh_everything(
        lib: &Library,
        progress: &dyn Progress,
    ) -> anyhow::Result<(LibraryIndex, RefreshReport)> {
        LibraryIndex::refresh_with(lib, progress, false)
    }

    fn refresh_with(
        lib: &Library,
        progress: &dyn Progress,
        quick: bool,
    ) -> anyhow::Result<(LibraryIndex, RefreshReport)> {
        let _lock = lock(lib)?;
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
        if quick {
            if let Some((index, fields, report)) = open_if_unchanged(lib, &taxonomy_hash) {
                return Ok((
                    LibraryIndex {
                        index,
                        fields,
                        taxonomy,
                        state_dir: lib.state_dir(),
                        reader: Default::default(),
                    },
                    report,
                ));
            }
        }
        let (index, fields, mut manifest, rebuilt) = open_or_create(lib, &taxonomy_hash)?;
        let mut report = refresh(
            lib,
            &index,
            &fields,
            &mut manifest,
            &taxonomy,
            (rebuilt, quick),
            progress,
        )?;
        if let Some(e) = taxonomy_problem {
            report.problems.push(Problem::file(
                lib.rel(&crate::taxonomy::path(lib)),
                format!("{e:#}; tags are searched without their synonyms until it is fixed"),
            ));
        }
        report.rebuilt = rebuilt;
        Snapshot::record(lib, &taxonomy_hash, &manifest, &report);
        Ok((
            LibraryIndex {
                index,
                fields,
                taxonomy,
                state_dir: lib.state_dir(),
                reader: Default::default(),
            },
            report,
        ))
    }

    /// Bring the meaning of every text up to date: embed what is new and drop what left
    /// the library (only the texts, never at query time). Only what needs meaning calls it
    /// (`heard index`, `heard draft`, `heard search --meaning`), so a plain search never
    /// waits for embeddings; when nothing changed it reads one header.
    pub fn with_meaning(
        &self,
        lib: &Library,
        progress: &dyn Progress,
    ) -> anyhow::Result<embed::Report> {
        let _lock = lock(lib)?;
        progress.embedding();
        embed::refresh(&self.state_dir, &self.index, &self.fields, progress)
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
        let Ok(reader) = self.index.reader() else {
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

/// What the last refresh saw, in a few lines: the folders' times, the ledger's size and
/// time, and the outcome. A quick refresh (`refresh = "folders"`) that finds all of them
/// unchanged opens the index without reading the manifest or walking a single file.
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

fn snapshot_path(lib: &Library) -> PathBuf {
    lib.state_dir().join("snapshot.json")
}

/// Size and modification time (ns) of a file or folder; zeros when it is missing.
fn stamp(path: &std::path::Path) -> (u64, u64) {
    std::fs::metadata(path).map_or((0, 0), |m| (m.len(), stamp_of(&m)))
}

impl Snapshot {
    fn record(lib: &Library, taxonomy_hash: &str, manifest: &Manifest, report: &RefreshReport) {
        let snap = Snapshot {
            format: FORMAT,
            taxonomy: taxonomy_hash.to_string(),
            ledger: stamp(&crate::ledger::path(lib)),
            dirs: manifest.dirs.clone(),
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
fn open_if_unchanged(lib: &Library, taxonomy_hash: &str) -> Option<(Index, Fields, RefreshReport)> {
    let started = Instant::now();
    let snap: Snapshot = serde_json::from_slice(&std::fs::read(snapshot_path(lib)).ok()?).ok()?;
    if snap.format != FORMAT || snap.taxonomy != taxonomy_hash || snap.dirs.is_empty() {
        return None;
    }
    if stamp(&crate::ledger::path(lib)) != snap.ledger {
        return None;
    }
    let unchanged = snap
        .dirs
        .iter()
        .all(|(rel, t)| std::fs::metadata(lib.root().join(rel)).is_ok_and(|m| stamp_of(&m) == *t));
    if !unchanged {
        return None;
    }
    let (schema, fields) = Fields::schema();
    let index = Index::open_in_dir(index_dir(lib))
        .ok()
        .filter(|i| i.schema() == schema)?;
    analyzer::register(&index);
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

fn stamp_of(m: &std::fs::Metadata) -> u64 {
    corpus::mtime_ns(m) as u64
}

fn open_or_create(
    lib: &Library,
    taxonomy_hash: &str,
) -> anyhow::Result<(Index, Fields, Manifest, bool)> {
    let dir = index_dir(lib);
    let (schema, fields) = Fields::schema();
    let manifest: Option<Manifest> = std::fs::read(manifest_path(lib))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|m: &Manifest| m.format == FORMAT && m.taxonomy == taxonomy_hash);
    if let Some(manifest) = manifest {
        if let Ok(index) = Index::open_in_dir(&dir) {
            if index.schema() == schema {
                analyzer::register(&index);
                return Ok((index, fields, manifest, false));
            }
        }
    }
    // No usable index: build a new one. It is only a cache of the files.
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("failed to remove the old index `{}`", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("failed to create `{}`", dir.display()))?;
    let index = Index::create_in_dir(&dir, schema)
        .with_context(|| format!("failed to create an index in `{}`", dir.display()))?;
    analyzer::register(&index);
    let manifest = Manifest {
        format: FORMAT,
        taxonomy: taxonomy_hash.to_string(),
        ..Manifest::default()
    };
    Ok((index, fields, manifest, true))
}

enum Read {
    /// Same bytes as last time (only the time stamp changed).
    Same { hash: String },
    /// New or changed content.
    Loaded {
        loaded: Box<corpus::Loaded>,
        hash: String,
    },
    /// The file could not be read.
    Failed(Problem),
}

fn read_one(file: &CorpusFile, old: Option<&Entry>, opts: LoadOptions) -> Read {
    if file.size > opts.max_bytes {
        // Don't read a huge file just to say that it is huge.
        return Read::Failed(corpus::size_problem(&file.rel, file.size, opts.max_bytes));
    }
    let bytes = match std::fs::read(&file.abs) {
        Ok(b) => b,
        Err(e) => {
            return Read::Failed(Problem::file(
                &file.rel,
                format!("cannot be read: {e}; check that heard may read it"),
            ));
        }
    };
    let hash = blake3::hash(&bytes).to_hex().to_string();
    if let Some(old) = old {
        if old.hash == hash && old.indexed {
            return Read::Same { hash };
        }
    }
    Read::Loaded {
        loaded: Box::new(corpus::load_bytes(
            &bytes,
            &file.rel,
            &file.id_default,
            opts,
        )),
        hash,
    }
}

fn writer<'a>(
    w: &'a mut Option<IndexWriter>,
    index: &Index,
) -> anyhow::Result<&'a mut IndexWriter> {
    if w.is_none() {
        *w = Some(
            index
                .writer(WRITER_HEAP)
                .context("failed to open the index for writing")?,
        );
    }
    Ok(w.as_mut().expect("writer was just opened"))
}

fn refresh(
    lib: &Library,
    index: &Index,
    fields: &Fields,
    manifest: &mut Manifest,
    taxonomy: &Taxonomy,
    (rebuilt, quick): (bool, bool),
    progress: &dyn Progress,
) -> anyhow::Result<RefreshReport> {
    let started = Instant::now();
    let corpus_dir = lib.corpus_dir();
    // Originals kept by `heard import` are not sources (an imported `.md` would be twice).
    let skip = vec![
        lib.responses_dir(),
        lib.state_dir(),
        crate::import::originals_dir(lib),
    ];
    let known_file = |rel: &str| {
        manifest
            .files
            .get(rel)
            .filter(|e| e.indexed && e.problems.is_empty())
            .map(|e| (e.size, e.mtime_ns))
    };
    let known = corpus::Known {
        dirs: &manifest.dirs,
        file: &known_file,
    };
    let walked = corpus::walk(lib.root(), &corpus_dir, &skip, quick.then_some(&known));
    let (files, mut walk_problems) = (walked.files, walked.problems);
    let dirs_changed = manifest.dirs != walked.dirs;
    manifest.dirs = walked.dirs;
    let opts = LoadOptions {
        default_sensitivity: lib.config.default_sensitivity,
        max_bytes: lib.config.max_source_bytes,
    };
    let mut report = RefreshReport::default();

    // Which files need a look: new, touched, or with problems last time.
    let mut candidates = Vec::new();
    for f in &files {
        match manifest.files.get(&f.rel) {
            Some(e) if e.size == f.size && e.mtime_ns == f.mtime_ns as u64 && e.indexed => {}
            _ => candidates.push(f),
        }
    }
    let present: std::collections::HashSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    let removed: Vec<String> = manifest
        .files
        .keys()
        .filter(|k| !present.contains(k.as_str()))
        .cloned()
        .collect();

    // Ids owned by files that stay as they are; candidates claim theirs in path order.
    let candidate_paths: std::collections::HashSet<&str> =
        candidates.iter().map(|f| f.rel.as_str()).collect();
    let mut owners: HashMap<String, String> = manifest
        .files
        .iter()
        .filter(|(p, e)| {
            e.indexed && present.contains(p.as_str()) && !candidate_paths.contains(p.as_str())
        })
        .filter_map(|(p, e)| e.id.clone().map(|id| (id, p.clone())))
        .collect();

    let mut w: Option<IndexWriter> = None;

    for path in &removed {
        writer(&mut w, index)?.delete_term(Term::from_field_text(fields.path, path));
        if manifest.files.remove(path).is_some_and(|e| e.indexed) {
            report.removed += 1;
        }
    }

    progress.start(candidates.len());
    for batch in candidates.chunks(BATCH) {
        let reads: Vec<Read> = batch
            .par_iter()
            .map(|f| {
                let r = read_one(f, manifest.files.get(&f.rel), opts);
                progress.tick();
                r
            })
            .collect();
        for (file, read) in batch.iter().zip(reads) {
            let old = manifest.files.get(&file.rel);
            let was_indexed = old.is_some_and(|e| e.indexed);
            let existed = was_indexed;
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
                        owners.insert(id.clone(), file.rel.clone());
                    }
                    report.unchanged += 1;
                }
                Read::Failed(p) => {
                    entry.problems.push(p);
                }
                Read::Loaded { loaded, hash } => {
                    entry.hash = hash;
                    entry.problems = loaded.problems;
                    if let Some(source) = loaded.source {
                        entry.id = Some(source.id.clone());
                        match owners.get(&source.id) {
                            Some(other) if other != &file.rel => {
                                entry.problems.push(Problem::file(
                                    &file.rel,
                                    format!(
                                        "duplicate id `{}`: `{}` already uses it; give this source its own `id:` in its front matter",
                                        source.id, other
                                    ),
                                ));
                            }
                            _ => {
                                owners.insert(source.id.clone(), file.rel.clone());
                                let wr = writer(&mut w, index)?;
                                wr.delete_term(Term::from_field_text(fields.path, &file.rel));
                                for doc in fields.documents(&source, taxonomy) {
                                    wr.add_document(doc)?;
                                }
                                entry.indexed = true;
                                if existed {
                                    report.changed += 1;
                                } else {
                                    report.added += 1;
                                }
                            }
                        }
                    }
                }
            }
            if was_indexed && !entry.indexed {
                writer(&mut w, index)?.delete_term(Term::from_field_text(fields.path, &file.rel));
            }
            manifest.files.insert(file.rel.clone(), entry);
        }
    }
    progress.finish();

    // Quotes: re-anchored and re-indexed whenever the ledger or any source changed.
    let ledger_path = crate::ledger::path(lib);
    let ledger_bytes = std::fs::read(&ledger_path).unwrap_or_default();
    let ledger_hash = blake3::hash(&ledger_bytes).to_hex().to_string();
    let quotes_stale = rebuilt
        || manifest.ledger != ledger_hash
        || report.added + report.changed + report.removed > 0;
    if quotes_stale {
        let wr = writer(&mut w, index)?;
        wr.delete_term(Term::from_field_text(fields.doc_type, "quote"));
        let rel = lib.rel(&ledger_path);
        let book = QuoteBook::fold(crate::ledger::parse(&ledger_bytes, &rel), &rel);
        let mut sources = Sources::with_paths(lib, paths_of(manifest));
        let mut anchors = BTreeMap::new();
        for q in book.quotes.values() {
            let loc = sources.locate(q);
            *anchors.entry(loc.state.as_str().to_string()).or_insert(0) += 1;
            if let Some(s) = sources.get(&q.source) {
                let doc = fields.quote_document(q, &loc, s, taxonomy);
                wr.add_document(doc)?;
            }
        }
        manifest.anchors = anchors;
        manifest.ledger = ledger_hash;
    }
    report.quotes = manifest.anchors.clone();

    if let Some(mut w) = w {
        w.commit().context("failed to save the index")?;
        w.wait_merging_threads()
            .context("failed to finish merging the index")?;
    }
    // Nothing looked at again and nothing re-indexed: the manifest on disk is still true,
    // and rewriting it is much of the cost of a search on a large library.
    if quotes_stale || dirs_changed || !candidates.is_empty() || !removed.is_empty() {
        let json = serde_json::to_vec(&manifest).context("failed to encode the index manifest")?;
        crate::fsutil::write_atomic(&manifest_path(lib), &json)?;
    }
    report.unchanged += files.len() - candidates.len();
    report.sources = manifest.files.values().filter(|e| e.indexed).count();
    report.problems = manifest
        .files
        .values()
        .flat_map(|e| e.problems.iter().cloned())
        .collect();
    report.problems.append(&mut walk_problems);
    report.elapsed = started.elapsed();
    Ok(report)
}
