//! Import: bring in what charities already have — Word, ODT, PDF, saved web pages, plain
//! text, and survey exports (CSV, XLSX, ODS) — as Markdown sources under `corpus/`, keeping
//! a copy of each original and where every passage came from (page, respondent).
//!
//! The library stays plain text: an imported document is an ordinary Markdown source with
//! front matter filled from the document and an `original` record (file name, format,
//! BLAKE3 hash, import time). Readers of each format turn a file into [`Converted`]
//! documents; this module writes them, skips unchanged originals, and never overwrites a
//! Markdown file someone has edited since it was imported.
//!
//! - [`documents`]: DOCX, ODT, PDF, HTML, TXT.
//! - [`survey`]: CSV, XLSX, ODS survey exports: one respondent per row, contact columns
//!   dropped, consent recorded only from a column the user names.

pub mod documents;

mod docx;
mod html;
mod likeness;
mod odt;
mod pdf;
pub mod survey;
pub(crate) mod xml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::Library;
use crate::index::Progress;
use likeness::Likeness;

use crate::corpus::{Kind, Sensitivity};
use crate::quotes::Scope;

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Kind of the new sources (default: decided per file, else `other`).
    pub kind: Option<Kind>,
    /// Tags added to every new source.
    pub tags: Vec<String>,
    /// Sensitivity of the new sources (default: the library's default).
    pub sensitivity: Option<Sensitivity>,
    /// Folder under the library root for the Markdown (default: `corpus/imported/`).
    pub into: Option<PathBuf>,
    /// Header of a survey's "may we quote you?" column, when the user names one.
    pub consent_column: Option<String>,
    /// Scope that column's "yes" gives.
    pub consent_scope: Scope,
    /// Who is importing (recorded in the ledger for survey consent).
    pub actor: String,
    /// Import a document even when the library already holds one with the same text.
    pub allow_duplicate: bool,
}

/// The file formats heard reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Word (.docx).
    Docx,
    /// OpenDocument text (.odt).
    Odt,
    /// PDF.
    Pdf,
    /// A saved web page (.html, .htm).
    Html,
    /// Plain text (.txt) or Markdown (.md).
    Txt,
    /// CSV survey export.
    Csv,
    /// Excel survey export (.xlsx).
    Xlsx,
    /// OpenDocument spreadsheet survey export (.ods).
    Ods,
    /// A REFI-QDA project (.qdpx), read by `heard import-project`, not by `heard import`.
    Qdpx,
}

impl Format {
    /// The format of a file, from its extension; `None` for files heard does not read.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "docx" => Format::Docx,
            "odt" => Format::Odt,
            "pdf" => Format::Pdf,
            "html" | "htm" => Format::Html,
            "txt" | "md" | "markdown" => Format::Txt,
            "csv" => Format::Csv,
            "xlsx" => Format::Xlsx,
            "ods" => Format::Ods,
            _ => return None,
        })
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Odt => "odt",
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Txt => "txt",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Ods => "ods",
            Format::Qdpx => "qdpx",
        }
    }

    /// Whether this is a survey export (one respondent per row).
    pub fn is_survey(self) -> bool {
        matches!(self, Format::Csv | Format::Xlsx | Format::Ods)
    }
}

/// One document converted from an original, ready to be written as a Markdown source.
#[derive(Debug, Clone, Default)]
pub struct Converted {
    /// Suggested file stem (a slug), e.g. `2022-evaluation` or `spring-survey/r-0001`.
    pub stem: String,
    /// Title from the document's metadata or first heading.
    pub title: Option<String>,
    /// Date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) from the document's metadata.
    pub date: Option<String>,
    /// Whether `date` is when the file was created, from its metadata (Word, OpenDocument,
    /// PDF), rather than a date the document gives itself: often when it was converted or
    /// saved, not when it was written, so the user is asked to check it.
    pub date_from_file: bool,
    /// Author or organisation from the metadata.
    pub organisation: Option<String>,
    /// Authors.
    pub authors: Vec<String>,
    /// Address of a web page.
    pub url: Option<String>,
    /// Kind suggested by the reader (a survey's answers are testimony-like).
    pub kind: Option<Kind>,
    /// Contributors (pseudonymous ids) whose words these are.
    pub contributors: Vec<String>,
    /// Tags found in the document (a survey's choice columns).
    pub tags: Vec<String>,
    /// Extra front matter fields (e.g. `respondent`, `survey`), kept as given.
    pub extra: Vec<(String, String)>,
    /// The body, in Markdown. Page starts of paged originals are marked with a line
    /// `<!-- page N -->` before the page's first block, so passages know their page.
    pub body: String,
    /// Things the user should know (tracked changes accepted, comments dropped…).
    pub warnings: Vec<String>,
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    /// The original, as given.
    pub path: String,
    /// imported, updated, unchanged, kept-edit (written beside), or problem.
    pub status: String,
    /// Markdown files written (relative to the library root).
    pub written: Vec<String>,
    /// Warnings and notes, one line each.
    pub notes: Vec<String>,
    /// The problem, when the file could not be imported: what and how to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Where copies of imported originals and the import manifest are kept.
pub fn originals_dir(lib: &Library) -> PathBuf {
    lib.corpus_dir().join("originals")
}

fn manifest_path(lib: &Library) -> PathBuf {
    originals_dir(lib).join("manifest.json")
}

/// What heard remembers of one imported original, to skip it when unchanged and to know
/// whether its Markdown was edited since.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Imported {
    /// BLAKE3 of the original's bytes when last imported.
    hash: String,
    /// Format read.
    format: String,
    /// The copy under `corpus/originals/`, relative to the library root.
    copy: String,
    /// When it was last imported.
    imported: String,
    /// Markdown files written from it (relative to the library root) and the BLAKE3 of each
    /// as heard wrote it.
    markdown: BTreeMap<String, String>,
    /// A signature of a document's text, to notice the same document imported again from
    /// another file (a survey export has none).
    #[serde(default, skip_serializing_if = "Likeness::is_empty")]
    likeness: Likeness,
}

/// `corpus/originals/manifest.json`: imported originals by key (the folder the Markdown
/// goes to, relative to the library root, then the original's file name).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    #[serde(default)]
    originals: BTreeMap<String, Imported>,
}

impl Manifest {
    fn load(lib: &Library) -> anyhow::Result<Manifest> {
        let path = manifest_path(lib);
        match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).with_context(|| {
                format!(
                    "`{}` is damaged; restore it from git or a backup (without it every original is imported again as new)",
                    lib.rel(&path)
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(e).with_context(|| format!("failed to read `{}`", lib.rel(&path))),
        }
    }

    fn save(&self, lib: &Library) -> anyhow::Result<()> {
        // A first import whose only file is a problem has made no copy, nor the folder.
        let dir = originals_dir(lib);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("failed to create `{}`", lib.rel(&dir)))?;
        let json = serde_json::to_vec_pretty(self)?;
        crate::fsutil::write_atomic(&manifest_path(lib), &json)
    }

    /// An earlier original, other than `key`, whose document has the same text as `likeness`,
    /// with how alike the two are; only originals whose Markdown is still there count.
    fn same_text(
        &self,
        lib: &Library,
        key: &str,
        likeness: &Likeness,
    ) -> Option<(&str, &Imported, f64)> {
        self.originals
            .iter()
            .filter(|(k, _)| k.as_str() != key)
            .map(|(k, e)| (k.as_str(), e, e.likeness.similarity(likeness)))
            .filter(|(_, e, s)| {
                *s >= likeness::SAME && e.markdown.keys().any(|m| lib.root().join(m).exists())
            })
            .max_by(|a, b| a.2.total_cmp(&b.2))
    }

    /// Whether `rel` (a Markdown path) is written by another original than `key`.
    fn owner_of(&self, rel: &str) -> Option<&str> {
        self.originals
            .iter()
            .find(|(_, e)| e.markdown.contains_key(rel))
            .map(|(k, _)| k.as_str())
    }
}

/// The files to import: each path as given, and every readable file in a folder (hidden
/// files and folders skipped, and never heard's own copies of originals).
pub fn files_to_import(
    lib: &Library,
    paths: &[PathBuf],
    into: &Path,
) -> Vec<(PathBuf, Option<Format>)> {
    // A folder walk never takes the library's own files: the corpus (unless the corpus is
    // the whole library folder, then the imported Markdown and the originals), the
    // responses and heard's state.
    let mut own = vec![
        originals_dir(lib),
        into.to_path_buf(),
        lib.responses_dir(),
        lib.state_dir(),
    ];
    if lib.corpus_dir() != lib.root() {
        own.push(lib.corpus_dir());
    }
    let own: Vec<PathBuf> = own
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .follow_links(true)
                .into_iter()
                .filter_entry(|e| {
                    e.depth() == 0
                        || !(e.file_name().to_string_lossy().starts_with('.')
                            || (e.file_type().is_dir()
                                && std::fs::canonicalize(e.path()).is_ok_and(|c| own.contains(&c))))
                })
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file() && Format::of(e.path()).is_some())
                .filter(|e| !e.file_name().to_string_lossy().starts_with("~$"))
                .map(|e| e.into_path())
                .collect();
            found.sort();
            out.extend(found.into_iter().map(|f| {
                let fmt = Format::of(&f);
                (f, fmt)
            }));
        } else {
            out.push((p.clone(), Format::of(p)));
        }
    }
    out
}

/// The folder the Markdown goes to, checked to be inside the corpus.
fn target_dir(lib: &Library, opts: &ImportOptions) -> anyhow::Result<PathBuf> {
    let corpus = lib.corpus_dir();
    let dir = match &opts.into {
        None => corpus.join("imported"),
        Some(d) => {
            let d = if d.is_absolute() {
                d.clone()
            } else {
                lib.root().join(d)
            };
            let normal: PathBuf = d.components().collect();
            if normal
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
                || !normal.starts_with(&corpus)
            {
                bail!(
                    "--into `{}` is not inside the corpus folder `{}`; give a folder under it, e.g. `{}/reports`",
                    d.display(),
                    lib.rel(&corpus),
                    lib.rel(&corpus)
                );
            }
            if normal.starts_with(originals_dir(lib)) {
                bail!(
                    "--into cannot be `{}`: heard keeps the originals there",
                    lib.rel(&originals_dir(lib))
                );
            }
            normal
        }
    };
    Ok(dir)
}

/// Import `paths` (files and folders) into the library. One file's problem is recorded in
/// its outcome and the rest are imported; the error is only for the library itself (the
/// manifest, a bad `--into`).
pub fn import(
    lib: &Library,
    paths: &[PathBuf],
    opts: &ImportOptions,
    progress: &dyn Progress,
) -> anyhow::Result<Vec<FileOutcome>> {
    let into = target_dir(lib, opts)?;
    let files = files_to_import(lib, paths, &into);
    // One import at a time, so two never claim the same file name.
    let _lock = crate::fsutil::lock_file(&lib.state_dir(), "import.lock")?;
    let mut manifest = Manifest::load(lib)?;
    let now = jiff::Timestamp::now()
        .round(jiff::Unit::Second)?
        .to_string();
    progress.start(files.len());
    let mut outcomes = Vec::new();
    let mut keys = std::collections::HashMap::new();
    for (path, format) in files {
        let shown = path.display().to_string();
        let mut outcome = FileOutcome {
            path: shown.clone(),
            status: "problem".into(),
            written: Vec::new(),
            notes: Vec::new(),
            problem: None,
        };
        let result = match format {
            _ if !path.exists() => Err("not found; check the path".to_string()),
            None if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("qdpx")) =>
            {
                Err(format!(
                    "is a REFI-QDA project (NVivo, ATLAS.ti, MAXQDA, QualCoder): bring it in with `heard import-project {}`",
                    path.display()
                ))
            }
            None => Err(
                "is not a format heard imports; save it as .docx, .odt, .pdf, .html, .txt, .csv, .xlsx or .ods"
                    .to_string(),
            ),
            Some(format) => {
                let mut batch = Batch {
                    lib,
                    into: &into,
                    opts,
                    manifest: &mut manifest,
                    now: &now,
                    keys: &mut keys,
                };
                batch.import_one(&path, format, &mut outcome)
            }
        };
        if let Err(problem) = result {
            outcome.status = "problem".into();
            outcome.problem = Some(format!("{shown}: {problem}"));
        }
        outcomes.push(outcome);
        progress.tick();
    }
    progress.finish();
    manifest.save(lib)?;
    Ok(outcomes)
}

/// A reader of another module: an original's bytes to documents, or the problem.
pub type Convert<'a> = dyn FnMut(&[u8]) -> Result<Vec<Converted>, String> + 'a;

/// Import one original that another module has read into documents (the text sources of
/// a REFI-QDA project), written exactly as [`import`] writes its own: Markdown under
/// `corpus/imported/` (or `--into`), a copy of the original, the unchanged original
/// skipped, and Markdown edited since the last import never overwritten. `convert` is only
/// called when the original changed. Returns what happened and the ids of the sources
/// written, in the order of the documents (empty when unchanged).
pub fn import_converted(
    lib: &Library,
    path: &Path,
    format: Format,
    opts: &ImportOptions,
    convert: &mut Convert<'_>,
) -> anyhow::Result<(FileOutcome, Vec<String>)> {
    let into = target_dir(lib, opts)?;
    let _lock = crate::fsutil::lock_file(&lib.state_dir(), "import.lock")?;
    let mut manifest = Manifest::load(lib)?;
    let now = jiff::Timestamp::now()
        .round(jiff::Unit::Second)?
        .to_string();
    let mut outcome = FileOutcome {
        path: path.display().to_string(),
        status: "problem".into(),
        written: Vec::new(),
        notes: Vec::new(),
        problem: None,
    };
    let mut keys = std::collections::HashMap::new();
    let mut batch = Batch {
        lib,
        into: &into,
        opts,
        manifest: &mut manifest,
        now: &now,
        keys: &mut keys,
    };
    let ids = match batch.import_with(path, format, &mut outcome, convert) {
        Ok(ids) => ids,
        Err(problem) => {
            outcome.problem = Some(format!("{}: {problem}", path.display()));
            return Ok((outcome, Vec::new()));
        }
    };
    manifest.save(lib)?;
    Ok((outcome, ids))
}

/// What one import run shares between its files.
struct Batch<'a> {
    lib: &'a Library,
    into: &'a Path,
    opts: &'a ImportOptions,
    manifest: &'a mut Manifest,
    now: &'a str,
    /// Manifest keys imported in this run, and the file each came from.
    keys: &'a mut std::collections::HashMap<String, PathBuf>,
}

impl Batch<'_> {
    /// Import one file; the error is the problem to report (without the file name).
    fn import_one(
        &mut self,
        path: &Path,
        format: Format,
        outcome: &mut FileOutcome,
    ) -> Result<(), String> {
        self.import_with(path, format, outcome, &mut |_| {
            Err("is read by another importer".into())
        })
        .map(|_| ())
    }

    /// Import one file, converted by `convert` when it is not a format of this module's
    /// own; returns the ids of the sources written.
    fn import_with(
        &mut self,
        path: &Path,
        format: Format,
        outcome: &mut FileOutcome,
        convert: &mut Convert<'_>,
    ) -> Result<Vec<String>, String> {
        let (lib, into, opts, now) = (self.lib, self.into, self.opts, self.now);
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "not found; check the path".to_string(),
            std::io::ErrorKind::IsADirectory => "is a folder".to_string(),
            _ => format!("cannot be read: {e}"),
        })?;
        if bytes.is_empty() {
            return Err("is empty (0 bytes); nothing to import".into());
        }
        let file_name = path
            .file_name()
            .map_or_else(|| "original".into(), |n| n.to_string_lossy().into_owned());
        let key = format!("{}/{file_name}", lib.rel(into));
        if let Some(other) = self.keys.get(&key) {
            return Err(format!(
                "has the same file name as `{}`, imported just before into the same folder; rename one of them, or import it with another --into",
                other.display()
            ));
        }
        self.keys.insert(key.clone(), path.to_path_buf());
        let manifest = &mut *self.manifest;
        let hash = if format.is_survey() {
            // What a survey yields also depends on which column gives consent: naming it
            // later must read the export again.
            let mut h = blake3::Hasher::new();
            h.update(&bytes);
            h.update(format!("\0{:?}\0{:?}", opts.consent_column, opts.consent_scope).as_bytes());
            h.finalize().to_hex().to_string()
        } else {
            blake3::hash(&bytes).to_hex().to_string()
        };
        if let Some(e) = manifest.originals.get(&key) {
            if e.hash == hash && e.markdown.keys().all(|m| lib.root().join(m).exists()) {
                outcome.status = "unchanged".into();
                return Ok(Vec::new());
            }
        }
        let (docs, survey) = if format.is_survey() {
            let read = survey::read(path, format, opts)?;
            for c in &read.dropped_columns {
                outcome.notes.push(format!(
                    "column `{c}` holds contact details: left out of the corpus and the index"
                ));
            }
            outcome.notes.extend(read.notes.iter().cloned());
            (read.documents.clone(), Some(read))
        } else if format == Format::Qdpx {
            (convert(&bytes)?, None)
        } else {
            (vec![documents::convert(path, format, &bytes)?], None)
        };
        if docs.is_empty() {
            return Err(if format == Format::Qdpx {
                "has nothing to import (no text sources)".into()
            } else {
                "has nothing to import (no rows with free-text answers)".into()
            });
        }
        // The same document from another file (the PDF of a report already imported from
        // Word): importing it again would put every passage in the library twice.
        let likeness = match (&survey, docs.as_slice()) {
            (None, [doc]) => Likeness::of(&doc.body).unwrap_or_default(),
            _ => Likeness::default(),
        };
        if !opts.allow_duplicate && !likeness.is_empty() {
            if let Some((_, earlier, alike)) = manifest.same_text(lib, &key, &likeness) {
                let markdown = earlier.markdown.keys().next().cloned().unwrap_or_default();
                let from = Path::new(&earlier.copy)
                    .file_name()
                    .map_or_else(String::new, |n| format!(" (from {})", n.to_string_lossy()));
                outcome.status = "duplicate".into();
                outcome.notes.push(format!(
                    "has the same text as `{markdown}`{from}, about {:.0}% alike: not imported again; to keep both, import it with --allow-duplicate",
                    alike * 100.0
                ));
                return Ok(Vec::new());
            }
        }
        // Keep a copy of the original beside the Markdown, so provenance survives moves.
        let copy_dir = match into.strip_prefix(lib.corpus_dir()) {
            Ok(under) => originals_dir(lib).join(under),
            Err(_) => originals_dir(lib),
        };
        // A survey export is kept without its contact columns: they never reach the corpus.
        let (copy, kept): (PathBuf, &[u8]) = match &survey {
            Some(read) => (
                copy_dir.join(format!(
                    "{}.without-contact-details.csv",
                    Path::new(&file_name)
                        .file_stem()
                        .map_or("survey".into(), |s| s.to_string_lossy())
                )),
                read.safe_copy.as_bytes(),
            ),
            None => (copy_dir.join(&file_name), &bytes),
        };
        std::fs::create_dir_all(&copy_dir)
            .and_then(|_| std::fs::create_dir_all(into))
            .map_err(|e| format!("cannot create `{}`: {e}", lib.rel(&copy_dir)))?;
        crate::fsutil::write_atomic(&copy, kept).map_err(|e| format!("{e:#}"))?;
        let previous = manifest.originals.get(&key).cloned();
        let mut entry = Imported {
            hash: hash.clone(),
            format: format.as_str().into(),
            copy: lib.rel(&copy),
            imported: now.to_string(),
            markdown: BTreeMap::new(),
            likeness,
        };
        let mut status = if previous.is_some() {
            "updated"
        } else {
            "imported"
        };
        let mut source_ids = Vec::new();
        let mut taken: Vec<String> = Vec::new();
        for doc in &docs {
            outcome.notes.extend(doc.warnings.iter().cloned());
            let rel = markdown_path(lib, into, doc, &key, manifest, previous.as_ref(), &taken);
            if let (Some(d), true) = (&doc.date, doc.date_from_file) {
                outcome.notes.push(format!(
                    "date {d} is when the file was created (its metadata), which may be when it was \
                     converted rather than written: check `date:` in {rel}"
                ));
            }
            taken.push(rel.clone());
            let abs = lib.root().join(&rel);
            let text = render(lib, doc, opts, format, &file_name, &hash, now, &entry.copy);
            let written_hash = previous
                .as_ref()
                .and_then(|p| p.markdown.get(&rel))
                .cloned();
            let current = std::fs::read(&abs).ok();
            let edited = match (&current, &written_hash) {
                (Some(cur), Some(h)) => blake3::hash(cur).to_hex().as_str() != h,
                (Some(_), None) => true,
                _ => false,
            };
            if let Some(parent) = abs.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
            }
            if edited {
                let beside = format!("{rel}.new");
                crate::fsutil::write_atomic(&lib.root().join(&beside), text.as_bytes())
                    .map_err(|e| format!("{e:#}"))?;
                outcome.notes.push(format!(
                "`{rel}` was edited since it was imported, so it was left as it is; the new version is in `{beside}`: compare the two, copy what you want into `{rel}`, then delete `{beside}`"
            ));
                outcome.written.push(beside);
                // Still the file as heard last wrote it: a later import compares with that.
                if let Some(h) = written_hash {
                    entry.markdown.insert(rel.clone(), h);
                }
                status = "kept-edit";
            } else {
                crate::fsutil::write_atomic(&abs, text.as_bytes()).map_err(|e| format!("{e:#}"))?;
                entry.markdown.insert(
                    rel.clone(),
                    blake3::hash(text.as_bytes()).to_hex().to_string(),
                );
                outcome.written.push(rel.clone());
            }
            source_ids.push(source_id(lib, &rel));
        }
        manifest.originals.insert(key, entry);
        if let Some(read) = survey {
            survey::record(lib, &read, &source_ids, opts).map_err(|e| format!("{e:#}"))?;
        }
        outcome.status = status.into();
        Ok(source_ids)
    }
}

/// The default id of the source at `rel`: its path under the corpus without `.md`.
fn source_id(lib: &Library, rel: &str) -> String {
    let corpus = lib.rel(&lib.corpus_dir());
    let under = if corpus.is_empty() || corpus == "." {
        rel
    } else {
        rel.strip_prefix(&format!("{corpus}/")).unwrap_or(rel)
    };
    under.strip_suffix(".md").unwrap_or(under).to_string()
}

/// Where a converted document's Markdown goes: where it went last time, else a new name
/// that no other original and no file of the user's has.
fn markdown_path(
    lib: &Library,
    into: &Path,
    doc: &Converted,
    key: &str,
    manifest: &Manifest,
    previous: Option<&Imported>,
    taken: &[String],
) -> String {
    let stem: Vec<String> = doc
        .stem
        .split('/')
        .map(documents::slug)
        .filter(|s| !s.is_empty())
        .collect();
    let stem = if stem.is_empty() {
        "imported".to_string()
    } else {
        stem.join("/")
    };
    for n in 1.. {
        let name = if n == 1 {
            format!("{stem}.md")
        } else {
            format!("{stem}-{n}.md")
        };
        let rel = lib.rel(&into.join(&name));
        if taken.contains(&rel) {
            continue;
        }
        if previous.is_some_and(|p| p.markdown.contains_key(&rel)) {
            return rel;
        }
        let owner = manifest.owner_of(&rel);
        if owner.is_none_or(|o| o == key) && !lib.root().join(&rel).exists() {
            return rel;
        }
    }
    unreachable!("some name is free")
}

/// A string as a YAML double-quoted scalar (JSON strings are valid YAML).
fn yaml(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn yaml_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|i| yaml(i)).collect::<Vec<_>>().join(", ")
    )
}

/// The Markdown source: front matter from the document and the options, then the body.
#[allow(clippy::too_many_arguments)]
fn render(
    lib: &Library,
    doc: &Converted,
    opts: &ImportOptions,
    format: Format,
    file_name: &str,
    hash: &str,
    now: &str,
    copy: &str,
) -> String {
    let _ = lib;
    let mut fm = String::from("---\n");
    let title = doc
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| documents::stem_of(file_name).replace(['-', '_'], " "));
    fm.push_str(&format!("title: {}\n", yaml(title.trim())));
    let kind = opts.kind.or(doc.kind).unwrap_or(Kind::Other);
    fm.push_str(&format!("kind: {}\n", kind.as_str()));
    if let Some(d) = doc
        .date
        .as_deref()
        .filter(|d| crate::corpus::PartialDate::parse(d).is_some())
    {
        if doc.date_from_file {
            fm.push_str(&format!(
                "date: {d}  # when the file was created: change it to when the document was written\n"
            ));
        } else {
            fm.push_str(&format!("date: {d}\n"));
        }
    }
    if let Some(o) = &doc.organisation {
        fm.push_str(&format!("organisation: {}\n", yaml(o)));
    }
    if !doc.authors.is_empty() {
        fm.push_str(&format!("authors: {}\n", yaml_list(&doc.authors)));
    }
    if !doc.contributors.is_empty() {
        fm.push_str(&format!("contributors: {}\n", yaml_list(&doc.contributors)));
    }
    if let Some(u) = &doc.url {
        fm.push_str(&format!("url: {}\n", yaml(u)));
    }
    if let Some(s) = opts.sensitivity {
        fm.push_str(&format!("sensitivity: {}\n", s.as_str()));
    }
    let mut tags: Vec<String> = Vec::new();
    for t in opts.tags.iter().chain(&doc.tags) {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    if !tags.is_empty() {
        fm.push_str(&format!("tags: {}\n", yaml_list(&tags)));
    }
    for (k, v) in &doc.extra {
        if k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            fm.push_str(&format!("{k}: {}\n", yaml(v)));
        }
    }
    fm.push_str("original:\n");
    fm.push_str(&format!("  file: {}\n", yaml(file_name)));
    fm.push_str(&format!("  format: {}\n", format.as_str()));
    fm.push_str(&format!("  blake3: {hash}\n"));
    fm.push_str(&format!("  imported: {}\n", yaml(now)));
    fm.push_str(&format!("  copy: {}\n", yaml(copy)));
    fm.push_str("---\n\n");
    fm.push_str(doc.body.trim_start());
    if !fm.ends_with('\n') {
        fm.push('\n');
    }
    fm
}
