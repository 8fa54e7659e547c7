//! Finding the sources: every `.md` file under the corpus folder.
//!
//! The walk only reads metadata (size, modification time), so it is cheap enough to run
//! before every search, and it streams: what it finds is handed over a chunk at a time
//! ([`Visit`]), never collected, so its memory does not grow with the library. Symbolic links are followed and loops are reported, hidden folders
//! (`.git`, `.obsidian`, `.heard`) are skipped, and so is the responses folder when the
//! corpus is the whole library.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;

use crate::Problem;
use crate::fsutil::rel_path;

/// A Markdown file found in the corpus, with the metadata used to notice changes.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    /// Absolute path.
    pub abs: PathBuf,
    /// Path relative to the library root, `/`-separated.
    pub rel: String,
    /// Path under the corpus folder without `.md`: the default source id.
    pub id_default: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch.
    pub mtime_ns: u128,
}

/// What a walk reports to, as it goes: nothing is collected, so a walk of a million files
/// holds one chunk of them at a time.
pub trait Visit {
    /// A folder (relative to the library root) and its modification time in nanoseconds.
    /// Return whether it is as it was at the last walk: a quick walk then trusts what it
    /// knew of the folder's files (adding, removing or renaming a file changes a folder's
    /// time; rewriting a file in place does not).
    fn dir(&mut self, rel: &str, mtime_ns: u64) -> bool;
    /// A file's size and modification time when it was last seen, if known; a quick walk
    /// asks only about files of unchanged folders.
    fn known_file(&mut self, rel: &str) -> Option<(u64, u64)>;
    /// Markdown files found, in walk order (sorted by name within each folder).
    fn files(&mut self, files: Vec<CorpusFile>);
    /// An entry that could not be walked.
    fn problem(&mut self, problem: Problem);
}

/// Files stat-ed together (in parallel) and handed over at once.
const CHUNK: usize = 2048;

/// A file's modification time in nanoseconds since the Unix epoch (0 when unknown).
pub fn mtime_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// Whether `entry` is a link to a folder that holds the link itself (its own folder or
/// one above it, inside the corpus or outside): following it would walk the same files
/// again, or the whole library from its root. The walker catches loops among the folders
/// it has entered; this catches links above where the walk began.
fn links_above_itself(entry: &walkdir::DirEntry) -> bool {
    if !entry.path_is_symlink() || !entry.file_type().is_dir() {
        return false;
    }
    let (Ok(target), Some(Ok(parent))) = (
        entry.path().canonicalize(),
        entry.path().parent().map(Path::canonicalize),
    ) else {
        return false;
    };
    parent.starts_with(&target)
}

/// Where a walk goes: the library root, its corpus folder, and folders not to enter.
pub struct Walker<'a> {
    /// The library root.
    pub root: &'a Path,
    /// The corpus folder.
    pub corpus: &'a Path,
    /// Folders not to enter (the responses folder, `.heard`, imported originals).
    pub skip: &'a [PathBuf],
}

impl Walker<'_> {
    /// Whether a walk of the corpus would enter `path` (a file or folder): it is under the
    /// corpus folder, not hidden, and not in a skipped folder.
    pub fn admits(&self, path: &Path) -> bool {
        let Ok(under) = path.strip_prefix(self.corpus) else {
            return false;
        };
        let hidden = under
            .components()
            .any(|c| c.as_os_str().as_encoded_bytes().starts_with(b"."));
        !hidden && !self.skip.iter().any(|s| path.starts_with(s))
    }

    /// Walk the Markdown files under `start` (the corpus folder or a folder in it),
    /// telling `v` of every folder, chunk of files and problem. With `quick`, files in
    /// folders that `v` says are unchanged are not stat-ed (their size and time are taken
    /// from [`Visit::known_file`]); links are then walked in full, as they can point
    /// anywhere and their folders' times say nothing.
    pub fn walk(&self, start: &Path, quick: bool, v: &mut dyn Visit) {
        let (root, corpus, skip) = (self.root, self.corpus, self.skip);
        let mut pending: Vec<(PathBuf, Option<(u64, u64)>)> = Vec::new();
        let mut unchanged: HashSet<PathBuf> = HashSet::new();
        let mut links: Vec<PathBuf> = Vec::new();
        // Links back to a folder at or above themselves, found as the walk meets them.
        let mut loops: Vec<Problem> = Vec::new();
        let walker = walkdir::WalkDir::new(start)
            .follow_links(!quick)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let hidden = e.file_name().as_encoded_bytes().starts_with(b".");
                let skipped = e.file_type().is_dir() && skip.iter().any(|s| s == e.path());
                if e.depth() > 0 && !hidden && !skipped && links_above_itself(e) {
                    loops.push(Problem::file(
                        rel_path(root, e.path()),
                        "a link back to a folder above it; skipped",
                    ));
                    return false;
                }
                e.depth() == 0 || !(hidden || skipped)
            });
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    v.problem(walk_problem(root, corpus, &e));
                    continue;
                }
            };
            let path = entry.path();
            if quick && entry.path_is_symlink() {
                if path.is_dir() {
                    links.push(entry.into_path());
                } else if path.extension().is_some_and(|x| x == "md") {
                    pending.push((entry.into_path(), None));
                }
                continue;
            }
            if entry.file_type().is_dir() {
                if let Ok(meta) = entry.metadata() {
                    let rel = rel_path(root, path);
                    if v.dir(&rel, mtime_ns(&meta) as u64) && quick {
                        unchanged.insert(path.to_path_buf());
                    }
                }
                continue;
            }
            if entry.file_type().is_file() && path.extension().is_some_and(|x| x == "md") {
                let trusted = match path.parent() {
                    Some(parent) if quick && unchanged.contains(parent) => {
                        v.known_file(&rel_path(root, path))
                    }
                    _ => None,
                };
                pending.push((entry.into_path(), trusted));
                if pending.len() >= CHUNK {
                    stat_chunk(root, corpus, std::mem::take(&mut pending), v);
                }
            }
        }
        stat_chunk(root, corpus, pending, v);
        for p in loops {
            v.problem(p);
        }
        for link in links {
            self.walk(&link, false, v);
        }
        if start == corpus && !corpus.exists() {
            v.problem(Problem::file(
                rel_path(root, corpus),
                "the corpus folder does not exist; create it (or run `heard init`) and put Markdown sources in it",
            ));
        }
    }
}

fn walk_problem(root: &Path, corpus: &Path, e: &walkdir::Error) -> Problem {
    let path = e
        .path()
        .map(|p| rel_path(root, p))
        .unwrap_or_else(|| rel_path(root, corpus));
    let message = if let Some(ancestor) = e.loop_ancestor() {
        format!(
            "a link back to a folder above it (`{}`); skipped",
            rel_path(root, ancestor)
        )
    } else if let Some(io) = e.io_error() {
        if io.kind() == std::io::ErrorKind::NotFound {
            "broken link or vanished file: its target does not exist; fix or remove the link"
                .to_string()
        } else {
            format!("cannot be read: {io}; check that heard may read it")
        }
    } else {
        format!("cannot be read: {e}")
    };
    Problem::file(path, message)
}

/// Stat the files of a chunk in parallel (on a large library this is most of a refresh),
/// and hand them over in walk order.
fn stat_chunk(
    root: &Path,
    corpus: &Path,
    chunk: Vec<(PathBuf, Option<(u64, u64)>)>,
    v: &mut dyn Visit,
) {
    if chunk.is_empty() {
        return;
    }
    let stats: Vec<Result<CorpusFile, Problem>> = chunk
        .into_par_iter()
        .map(|(path, trusted)| {
            let rel = rel_path(root, &path);
            let (size, mtime) = match trusted {
                Some((size, mtime)) => (size, mtime as u128),
                None => {
                    let meta = std::fs::metadata(&path)
                        .map_err(|e| Problem::file(&rel, format!("cannot be read: {e}")))?;
                    (meta.len(), mtime_ns(&meta))
                }
            };
            let under = rel_path(corpus, &path);
            let id_default = under.strip_suffix(".md").unwrap_or(&under).to_string();
            Ok(CorpusFile {
                abs: path,
                rel,
                id_default,
                size,
                mtime_ns: mtime,
            })
        })
        .collect();
    let mut files = Vec::with_capacity(stats.len());
    for s in stats {
        match s {
            Ok(f) => files.push(f),
            Err(p) => v.problem(p),
        }
    }
    v.files(files);
}

/// Every Markdown file under `corpus`, each stat-ed, collected in walk order: for tools and
/// benchmarks that want the list. The refresh never collects it (see [`Walker::walk`]).
pub fn walk(root: &Path, corpus: &Path, skip: &[PathBuf]) -> Walk {
    struct Collect(Walk);
    impl Visit for Collect {
        fn dir(&mut self, _: &str, _: u64) -> bool {
            false
        }
        fn known_file(&mut self, _: &str) -> Option<(u64, u64)> {
            None
        }
        fn files(&mut self, mut files: Vec<CorpusFile>) {
            self.0.files.append(&mut files);
        }
        fn problem(&mut self, problem: Problem) {
            self.0.problems.push(problem);
        }
    }
    let mut c = Collect(Walk::default());
    Walker { root, corpus, skip }.walk(corpus, false, &mut c);
    c.0
}

/// What [`walk`] found.
#[derive(Debug, Default)]
pub struct Walk {
    /// The Markdown files, in walk order.
    pub files: Vec<CorpusFile>,
    /// A problem for every entry that could not be walked.
    pub problems: Vec<Problem>,
}
