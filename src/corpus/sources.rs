//! Which file holds each source: the map of source ids to paths as the last refresh left it,
//! kept in `.heard/sources.jsonl` so that quotes, drafts and checks can resolve an id
//! without reading the index or holding the whole map.
//!
//! One `["id","path"]` a line, sorted by id, written whole (atomically) only when an id
//! appears, moves or disappears; a lookup is a binary search over the file's bytes, so its
//! cost does not grow with the library. A reader keeps the file it opened, so a refresh in
//! another process never shows it half a map.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::Context;

use crate::Library;

/// Below this many bytes between the bounds, the rest of a lookup reads them in one go.
const SCAN: u64 = 16 * 1024;

/// Where the map is.
pub fn source_map_path(lib: &Library) -> PathBuf {
    lib.state_dir().join("sources.jsonl")
}

/// Source ids and their paths, looked up one at a time.
#[derive(Debug)]
pub struct SourceMap {
    inner: Inner,
    /// Every entry, read when someone asks for all ids.
    all: OnceLock<Vec<(String, String)>>,
}

#[derive(Debug)]
enum Inner {
    File { file: File, len: u64 },
    Map(HashMap<String, String>),
}

impl From<HashMap<String, String>> for SourceMap {
    fn from(map: HashMap<String, String>) -> Self {
        SourceMap {
            inner: Inner::Map(map),
            all: OnceLock::new(),
        }
    }
}

impl SourceMap {
    /// The library's map as the last refresh left it (refresh first).
    pub fn open(lib: &Library) -> anyhow::Result<SourceMap> {
        let path = source_map_path(lib);
        let file = File::open(&path).with_context(|| {
            format!(
                "failed to read `{}`, the index's list of sources; run `heard index`",
                path.display()
            )
        })?;
        let len = file
            .metadata()
            .with_context(|| format!("failed to read `{}`", path.display()))?
            .len();
        Ok(SourceMap {
            inner: Inner::File { file, len },
            all: OnceLock::new(),
        })
    }

    /// The path of the source with this id.
    pub fn get(&self, id: &str) -> Option<String> {
        if let Some(all) = self.all.get() {
            return all
                .binary_search_by(|(k, _)| k.as_str().cmp(id))
                .ok()
                .map(|i| all[i].1.clone());
        }
        match &self.inner {
            Inner::Map(m) => m.get(id).cloned(),
            // A map that cannot be read resolves nothing, like a missing source.
            Inner::File { file, len } => find(file, *len, id).ok().flatten(),
        }
    }

    /// Every id and path, sorted by id (read once, then kept).
    pub fn entries(&self) -> &[(String, String)] {
        self.all.get_or_init(|| match &self.inner {
            Inner::Map(m) => {
                let mut v: Vec<(String, String)> =
                    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                v.sort();
                v
            }
            Inner::File { file, len } => read_all(file, *len).unwrap_or_default(),
        })
    }

    /// The whole map, for the few callers that need it as one.
    pub fn to_map(&self) -> HashMap<String, String> {
        self.entries().iter().cloned().collect()
    }
}

/// Write the map from entries sorted by id, atomically replacing the old one.
pub fn write_source_map<I>(lib: &Library, entries: I) -> anyhow::Result<()>
where
    I: IntoIterator<Item = anyhow::Result<(String, String)>>,
{
    let path = source_map_path(lib);
    let dir = lib.state_dir();
    let prefix = format!("{}{}-", crate::fsutil::TEMP_PREFIX, std::process::id());
    let tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .tempfile_in(&dir)
        .with_context(|| format!("failed to create a temporary file in `{}`", dir.display()))?;
    let mut out = BufWriter::new(tmp);
    let mut last: Option<String> = None;
    for entry in entries {
        let (id, rel) = entry?;
        debug_assert!(last.as_deref().is_none_or(|l| l < id.as_str()));
        serde_json::to_writer(&mut out, &(&id, &rel))?;
        out.write_all(b"\n")?;
        last = Some(id);
    }
    let tmp = out
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    #[cfg(unix)]
    {
        // Readable like the other files of `.heard/`, not only by its owner.
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    tmp.persist(&path)
        .with_context(|| format!("failed to replace `{}`", path.display()))?;
    Ok(())
}

fn read_at(file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_at(file, buf, pos)
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::FileExt::seek_read(file, buf, pos)
    }
}

/// The line that starts at `pos` (without its newline), and where the next one starts.
fn line_at(file: &File, len: u64, pos: u64) -> std::io::Result<(Vec<u8>, u64)> {
    let mut line = Vec::new();
    let mut at = pos;
    let mut buf = [0u8; 512];
    while at < len {
        let n = read_at(file, &mut buf, at)?;
        if n == 0 {
            break;
        }
        if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&buf[..i]);
            return Ok((line, at + i as u64 + 1));
        }
        line.extend_from_slice(&buf[..n]);
        at += n as u64;
    }
    Ok((line, len))
}

/// The first line start at or after `pos`.
fn next_line_start(file: &File, len: u64, pos: u64) -> std::io::Result<u64> {
    if pos == 0 {
        return Ok(0);
    }
    // The line that holds byte `pos - 1` ends somewhere at or after it.
    let (_, next) = line_at(file, len, pos - 1)?;
    Ok(next)
}

fn parse(line: &[u8]) -> Option<(String, String)> {
    serde_json::from_slice(line).ok()
}

/// Binary search for `id`: the line holding it starts in `[lo, hi)`.
fn find(file: &File, len: u64, id: &str) -> std::io::Result<Option<String>> {
    let (mut lo, mut hi) = (0u64, len);
    while hi - lo > SCAN {
        let mid = lo + (hi - lo) / 2;
        let start = next_line_start(file, len, mid)?;
        if start >= hi {
            hi = mid;
            continue;
        }
        let (line, next) = line_at(file, len, start)?;
        let Some((key, path)) = parse(&line) else {
            return Ok(None);
        };
        match key.as_str().cmp(id) {
            std::cmp::Ordering::Equal => return Ok(Some(path)),
            std::cmp::Ordering::Less => lo = next,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    let mut pos = lo;
    while pos < hi {
        let (line, next) = line_at(file, len, pos)?;
        if let Some((key, path)) = parse(&line) {
            match key.as_str().cmp(id) {
                std::cmp::Ordering::Equal => return Ok(Some(path)),
                std::cmp::Ordering::Greater => return Ok(None),
                std::cmp::Ordering::Less => {}
            }
        }
        pos = next;
    }
    Ok(None)
}

fn read_all(file: &File, len: u64) -> std::io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut chunk = vec![0u8; 64 * 1024];
    let mut rest: Vec<u8> = Vec::new();
    while pos < len {
        let n = read_at(file, &mut chunk, pos)?;
        if n == 0 {
            break;
        }
        pos += n as u64;
        rest.extend_from_slice(&chunk[..n]);
        let mut start = 0;
        while let Some(i) = rest[start..].iter().position(|&b| b == b'\n') {
            if let Some(e) = parse(&rest[start..start + i]) {
                out.push(e);
            }
            start += i + 1;
        }
        rest.drain(..start);
    }
    if let Some(e) = parse(&rest) {
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib() -> (tempfile::TempDir, Library) {
        let dir = tempfile::tempdir().unwrap();
        crate::library::init(dir.path()).unwrap();
        let lib = Library::open(dir.path()).unwrap();
        std::fs::create_dir_all(lib.state_dir()).unwrap();
        (dir, lib)
    }

    #[test]
    fn every_id_of_a_large_map_is_found_and_no_other() {
        let (_dir, lib) = lib();
        let mut ids: Vec<String> = (0..5000)
            .map(|i| format!("notes/{i:05}-{}", "x".repeat(i % 97)))
            .collect();
        ids.sort();
        write_source_map(
            &lib,
            ids.iter()
                .map(|id| Ok((id.clone(), format!("corpus/{id}.md")))),
        )
        .unwrap();
        let map = SourceMap::open(&lib).unwrap();
        for id in ids.iter().step_by(7) {
            assert_eq!(map.get(id), Some(format!("corpus/{id}.md")), "{id}");
        }
        for missing in ["", "a", "notes/00000", "notes/99999", "zzz"] {
            assert_eq!(map.get(missing), None, "{missing}");
        }
        assert_eq!(map.entries().len(), 5000);
        assert_eq!(
            map.get(&ids[4999]),
            Some(format!("corpus/{}.md", ids[4999]))
        );
    }

    #[test]
    fn an_empty_map_finds_nothing() {
        let (_dir, lib) = lib();
        write_source_map(&lib, std::iter::empty()).unwrap();
        let map = SourceMap::open(&lib).unwrap();
        assert_eq!(map.get("x"), None);
        assert!(map.entries().is_empty());
    }
}
