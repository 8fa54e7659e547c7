//! Finding the sources: every `.md` file under the corpus folder.
//!
//! The walk only reads metadata (size, modification time), so it is cheap enough to run
//! before every search. Symbolic links are followed and loops are reported, hidden folders
//! (`.git`, `.obsidian`, `.heard`) are skipped, and so is the responses folder when the
//! corpus is the whole library.

use std::collections::{BTreeMap, HashSet};
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

/// What an earlier walk saw, so that a quick walk can trust the files of folders whose
/// modification time has not changed (adding, removing or renaming a file changes it;
/// rewriting a file in place does not).
pub struct Known<'a> {
    /// Folder (relative to the library root) → modification time in nanoseconds.
    pub dirs: &'a BTreeMap<String, u64>,
    /// A file's size and modification time when it was last seen.
    pub file: &'a (dyn Fn(&str) -> Option<(u64, u64)> + Sync),
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// The Markdown files, sorted by path.
    pub files: Vec<CorpusFile>,
    /// A problem for every entry that could not be walked.
    pub problems: Vec<Problem>,
    /// Every folder walked, with its modification time in nanoseconds.
    pub dirs: BTreeMap<String, u64>,
    /// Files whose metadata was taken from the earlier walk, not read again.
    pub trusted: usize,
}

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

/// List the Markdown files under `corpus`. `root` is the library root; `skip` are folders
/// not to enter. With `quick`, files in folders that have not changed since the earlier walk
/// are not stat-ed (see [`Known`]); a symbolic link anywhere makes it a full walk.
pub fn walk(root: &Path, corpus: &Path, skip: &[PathBuf], quick: Option<&Known>) -> Walk {
    let mut out = Walk::default();
    let mut found: Vec<(PathBuf, Option<(u64, u64)>)> = Vec::new();
    let mut unchanged: HashSet<PathBuf> = HashSet::new();
    // Links back to a folder at or above themselves, found as the walk meets them.
    let mut loops: Vec<Problem> = Vec::new();
    // No sorting during the walk (it re-parses paths for every comparison); the files are
    // sorted once at the end, by their relative path.
    let walker = walkdir::WalkDir::new(corpus)
        .follow_links(quick.is_none())
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
                        "broken link or vanished file: its target does not exist; fix or remove the link".to_string()
                    } else {
                        format!("cannot be read: {io}; check that heard may read it")
                    }
                } else {
                    format!("cannot be read: {e}")
                };
                out.problems.push(Problem::file(path, message));
                continue;
            }
        };
        if quick.is_some() && entry.path_is_symlink() {
            // Links can point anywhere, so their folders' times say nothing: walk it all.
            return walk(root, corpus, skip, None);
        }
        let path = entry.path();
        if entry.file_type().is_dir() {
            if let Ok(meta) = entry.metadata() {
                let rel = rel_path(root, path);
                let t = mtime_ns(&meta) as u64;
                if quick.is_some_and(|k| k.dirs.get(&rel) == Some(&t)) {
                    unchanged.insert(path.to_path_buf());
                }
                out.dirs.insert(rel, t);
            }
            continue;
        }
        if entry.file_type().is_file() && path.extension().is_some_and(|x| x == "md") {
            let trusted = match (quick, path.parent()) {
                (Some(k), Some(parent)) if unchanged.contains(parent) => {
                    (k.file)(&rel_path(root, path))
                }
                _ => None,
            };
            found.push((entry.into_path(), trusted));
        }
    }
    out.problems.append(&mut loops);
    // Stat the files in parallel: on a large library this is most of a refresh.
    let stats: Vec<Result<CorpusFile, Problem>> = found
        .par_iter()
        .map(|(path, trusted)| {
            let rel = rel_path(root, path);
            let (size, mtime) = match trusted {
                Some((size, mtime)) => (*size, *mtime as u128),
                None => {
                    let meta = std::fs::metadata(path)
                        .map_err(|e| Problem::file(&rel, format!("cannot be read: {e}")))?;
                    (meta.len(), mtime_ns(&meta))
                }
            };
            let under = rel_path(corpus, path);
            let id_default = under.strip_suffix(".md").unwrap_or(&under).to_string();
            Ok(CorpusFile {
                abs: path.clone(),
                rel,
                id_default,
                size,
                mtime_ns: mtime,
            })
        })
        .collect();
    out.trusted = found.iter().filter(|f| f.1.is_some()).count();
    for s in stats {
        match s {
            Ok(f) => out.files.push(f),
            Err(p) => out.problems.push(p),
        }
    }
    out.files.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
    out.problems.sort_by(|a, b| a.path.cmp(&b.path));
    if !corpus.exists() {
        out.problems.push(Problem::file(
            rel_path(root, corpus),
            "the corpus folder does not exist; create it (or run `heard init`) and put Markdown sources in it",
        ));
    }
    out
}
