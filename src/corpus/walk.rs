//! Finding the sources: every `.md` file under the corpus folder.
//!
//! The walk only reads metadata (size, modification time), so it is cheap enough to run
//! before every search. Symbolic links are followed and loops are reported, hidden folders
//! (`.git`, `.obsidian`, `.heard`) are skipped, and so is the responses folder when the
//! corpus is the whole library.

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

/// List the Markdown files under `corpus`, sorted by path, with a problem for every entry
/// that could not be walked. `root` is the library root; `skip` are folders not to enter.
pub fn walk(root: &Path, corpus: &Path, skip: &[PathBuf]) -> (Vec<CorpusFile>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut found = Vec::new();
    // No sorting during the walk (it re-parses paths for every comparison); the files are
    // sorted once at the end, by their relative path.
    let walker = walkdir::WalkDir::new(corpus)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| {
            let hidden = e.file_name().as_encoded_bytes().starts_with(b".");
            let skipped = e.file_type().is_dir() && skip.iter().any(|s| s == e.path());
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
                        "symbolic link loop: it leads back to `{}`; remove the link or point it elsewhere",
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
                problems.push(Problem::file(path, message));
                continue;
            }
        };
        let path = entry.path();
        if entry.file_type().is_file() && path.extension().is_some_and(|x| x == "md") {
            found.push(entry.into_path());
        }
    }
    // Stat the files in parallel: on a large library this is most of a refresh.
    let stats: Vec<Result<CorpusFile, Problem>> = found
        .par_iter()
        .map(|path| {
            let meta = std::fs::metadata(path)
                .map_err(|e| Problem::file(rel_path(root, path), format!("cannot be read: {e}")))?;
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            let under = rel_path(corpus, path);
            let id_default = under.strip_suffix(".md").unwrap_or(&under).to_string();
            Ok(CorpusFile {
                abs: path.clone(),
                rel: rel_path(root, path),
                id_default,
                size: meta.len(),
                mtime_ns,
            })
        })
        .collect();
    for s in stats {
        match s {
            Ok(f) => files.push(f),
            Err(p) => problems.push(p),
        }
    }
    files.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    if !corpus.exists() {
        problems.push(Problem::file(
            rel_path(root, corpus),
            "the corpus folder does not exist; create it (or run `heard init`) and put Markdown sources in it",
        ));
    }
    (files, problems)
}
