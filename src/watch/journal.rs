//! The watcher's journal on disk: `.heard/watch.journal`, one JSON record a line, written
//! only by the watcher, and `.heard/watch.cursor`, how far the last refresh read it.
//!
//! The first line names the journal (`{"journal":"<generation>"}`); every later line is a
//! changed path (`{"path":"corpus/a.md"}`, a file or a whole folder), a call to check
//! everything (`{"rescan":"why"}`) or a barrier answered (`{"barrier":"<name>"}`). A new
//! watcher starts a new journal with a new name and a rescan (it did not see what happened
//! before it), so a cursor that names another journal means "check everything".
//!
//! Rotation: when the journal passes [`ROTATE_OVER`] bytes, the watcher rewrites it — but
//! only while it holds the index lock, so no refresh is reading it or moving the cursor. The
//! part not yet read (after the cursor) is copied into a journal with a new name and the
//! cursor moved to its start; when that part is itself large, or the cursor names an older
//! journal, the new journal holds a rescan instead. The new journal replaces the old one by
//! an atomic rename and the cursor is written after it, so a crash between the two leaves a
//! cursor naming the old journal: a rescan, never a lost change.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Journals are rewritten when they grow past this many bytes.
pub const ROTATE_OVER: u64 = 1024 * 1024;

/// Past this many changed paths, a refresh checks everything rather than a list of paths
/// (the list would cost more memory than a walk).
pub const MAX_PATHS: usize = 10_000;

/// The journal's file name under `.heard/`.
pub const JOURNAL: &str = "watch.journal";
/// The cursor's file name under `.heard/`.
pub const CURSOR: &str = "watch.cursor";

/// One line of the journal.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    journal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rescan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    barrier: Option<String>,
}

fn line(r: &Record) -> Vec<u8> {
    let mut l = serde_json::to_vec(r).expect("a journal record is plain JSON");
    l.push(b'\n');
    l
}

/// A changed path, as a journal line.
pub fn path_line(rel: &str) -> Vec<u8> {
    line(&Record {
        path: Some(rel.to_string()),
        ..Record::default()
    })
}

/// "Check everything", as a journal line.
pub fn rescan_line(why: &str) -> Vec<u8> {
    line(&Record {
        rescan: Some(why.to_string()),
        ..Record::default()
    })
}

/// A barrier seen, as a journal line.
pub fn barrier_line(name: &str) -> Vec<u8> {
    line(&Record {
        barrier: Some(name.to_string()),
        ..Record::default()
    })
}

fn header_line(generation: &str) -> Vec<u8> {
    line(&Record {
        journal: Some(generation.to_string()),
        ..Record::default()
    })
}

/// A name no other journal has: the process and the time.
fn new_generation() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// How far the last successful refresh read the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The journal's name (its first line).
    pub journal: String,
    /// Bytes read, from the start of the file.
    pub offset: u64,
}

/// The cursor in `state_dir`, if there is a readable one.
pub fn read_cursor(state_dir: &Path) -> Option<Cursor> {
    serde_json::from_slice(&std::fs::read(state_dir.join(CURSOR)).ok()?).ok()
}

/// Record that everything up to `cursor` has been taken into the index. Not synced to the
/// disk: a cursor lost in a crash, or unreadable after one, only means the journal is read
/// again from an older cursor or from its start (a rescan), never a change missed.
pub fn write_cursor(state_dir: &Path, cursor: &Cursor) -> anyhow::Result<()> {
    let json = serde_json::to_vec(cursor)?;
    crate::fsutil::write_atomic_unsynced(&state_dir.join(CURSOR), &json)
}

/// The watcher's end: appends records, rotates the file.
pub struct Writer {
    state_dir: PathBuf,
    file: File,
    generation: String,
    len: u64,
}

impl Writer {
    /// Start a new journal in `state_dir` that opens with a rescan: whatever happened before
    /// this watcher began is unknown to it.
    pub fn create(state_dir: &Path) -> anyhow::Result<Writer> {
        let generation = new_generation();
        let mut bytes = header_line(&generation);
        bytes.extend(rescan_line("the watcher started"));
        Writer::replace(state_dir, generation, &bytes)
    }

    fn replace(state_dir: &Path, generation: String, bytes: &[u8]) -> anyhow::Result<Writer> {
        let path = state_dir.join(JOURNAL);
        crate::fsutil::write_atomic(&path, bytes)?;
        let file = File::options()
            .append(true)
            .open(&path)
            .map_err(|e| anyhow::anyhow!("failed to open `{}`: {e}", path.display()))?;
        Ok(Writer {
            state_dir: state_dir.to_path_buf(),
            file,
            generation,
            len: bytes.len() as u64,
        })
    }

    /// Append lines (one `write`, so a reader sees whole batches or nothing of them).
    pub fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.file.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Rewrite the journal when it is longer than `limit`, if no refresh is running (see the
    /// module's notes). Returns whether it was rewritten.
    pub fn rotate_over(&mut self, limit: u64) -> anyhow::Result<bool> {
        if self.len <= limit {
            return Ok(false);
        }
        // The index lock: while we hold it, nobody reads the journal or moves the cursor.
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.state_dir.join("lock"))?;
        if lock.try_lock().is_err() {
            return Ok(false);
        }
        let generation = new_generation();
        let mut bytes = header_line(&generation);
        let cursor = read_cursor(&self.state_dir).filter(|c| c.journal == self.generation);
        let unread = cursor
            .as_ref()
            .filter(|c| c.offset <= self.len && self.len - c.offset <= limit / 2);
        match unread {
            Some(c) => {
                let mut f = File::open(self.state_dir.join(JOURNAL))?;
                f.seek(SeekFrom::Start(c.offset))?;
                f.take(self.len - c.offset).read_to_end(&mut bytes)?;
            }
            None => bytes.extend(rescan_line("the journal was rotated before it was read")),
        }
        let header = header_line(&generation).len() as u64;
        let keep_cursor = unread.is_some();
        *self = Writer::replace(&self.state_dir, generation.clone(), &bytes)?;
        if keep_cursor {
            write_cursor(
                &self.state_dir,
                &Cursor {
                    journal: generation,
                    offset: header,
                },
            )?;
        }
        drop(lock);
        Ok(true)
    }

    /// The journal's current length in bytes.
    pub fn bytes(&self) -> u64 {
        self.len
    }
}

/// What a reader found after the cursor.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Found {
    /// Changed paths, relative to the library root (files or folders).
    pub paths: BTreeSet<String>,
    /// Whether everything must be checked.
    pub rescan: bool,
    /// Where reading stopped: the next cursor.
    pub cursor: Option<Cursor>,
}

/// The reader's end: follows the journal as it grows, until a barrier shows up.
pub struct Reader {
    file: File,
    start: Option<Cursor>,
    generation: Option<String>,
    pos: u64,
    partial: Vec<u8>,
    found: Found,
}

impl Reader {
    /// Open the journal in `state_dir` to read what came after `start` (the cursor).
    pub fn open(state_dir: &Path, start: Option<Cursor>) -> std::io::Result<Reader> {
        Ok(Reader {
            file: File::open(state_dir.join(JOURNAL))?,
            start,
            generation: None,
            pos: 0,
            partial: Vec::new(),
            found: Found::default(),
        })
    }

    /// Read what was appended since the last call; true once `barrier` has been read.
    pub fn poll(&mut self, barrier: &str) -> std::io::Result<bool> {
        let mut fresh = Vec::new();
        self.file.read_to_end(&mut fresh)?;
        self.partial.extend_from_slice(&fresh);
        let mut seen = false;
        while let Some(nl) = self.partial.iter().position(|b| *b == b'\n') {
            let rest = self.partial.split_off(nl + 1);
            let l = std::mem::replace(&mut self.partial, rest);
            let at = self.pos;
            self.pos += l.len() as u64;
            let r: Record = match serde_json::from_slice(&l) {
                Ok(r) => r,
                Err(_) => {
                    // Not written by a watcher: trust nothing.
                    self.found.rescan = true;
                    continue;
                }
            };
            if at == 0 {
                let generation = r.journal.unwrap_or_default();
                match &self.start {
                    Some(c)
                        if c.journal == generation
                            && c.offset >= self.pos
                            && c.offset <= self.file.metadata()?.len() =>
                    {
                        // Skip what the last refresh read.
                        self.file.seek(SeekFrom::Start(c.offset))?;
                        self.partial.clear();
                        self.pos = c.offset;
                        self.generation = Some(generation);
                        // Lines past the cursor may already be in `fresh`: read them again.
                        let mut again = Vec::new();
                        self.file.read_to_end(&mut again)?;
                        self.partial = again;
                    }
                    // A journal the last refresh never saw: what came before it is unknown.
                    _ => {
                        self.found.rescan = true;
                        self.generation = Some(generation);
                    }
                }
                continue;
            }
            if r.rescan.is_some() {
                self.found.rescan = true;
            }
            if let Some(p) = r.path {
                if self.found.paths.len() < MAX_PATHS {
                    self.found.paths.insert(p);
                } else {
                    self.found.rescan = true;
                }
            }
            if r.barrier.as_deref() == Some(barrier) {
                seen = true;
            }
        }
        Ok(seen)
    }

    /// What was read so far, and the cursor that marks it read.
    pub fn found(mut self) -> Found {
        if self.found.rescan {
            // A rescan covers every path: no need to carry them.
            self.found.paths.clear();
        }
        self.found.cursor = self.generation.map(|journal| Cursor {
            journal,
            offset: self.pos,
        });
        self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_until(dir: &Path, barrier: &str) -> Found {
        let mut r = Reader::open(dir, read_cursor(dir)).unwrap();
        assert!(r.poll(barrier).unwrap(), "barrier {barrier} not found");
        r.found()
    }

    #[test]
    fn a_reader_sees_what_came_after_the_cursor_and_a_new_journal_means_rescan() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::create(dir.path()).unwrap();
        w.append(&path_line("corpus/a.md")).unwrap();
        w.append(&barrier_line("b1")).unwrap();
        // No cursor yet: the watcher's first rescan must be honoured.
        let f = read_until(dir.path(), "b1");
        assert!(f.rescan);
        write_cursor(dir.path(), f.cursor.as_ref().unwrap()).unwrap();

        w.append(&path_line("corpus/b.md")).unwrap();
        w.append(&path_line("corpus/b.md")).unwrap();
        w.append(&barrier_line("b2")).unwrap();
        let f = read_until(dir.path(), "b2");
        assert!(!f.rescan);
        assert_eq!(f.paths, BTreeSet::from(["corpus/b.md".to_string()]));
        write_cursor(dir.path(), f.cursor.as_ref().unwrap()).unwrap();

        w.append(&barrier_line("b3")).unwrap();
        let f = read_until(dir.path(), "b3");
        assert!(!f.rescan && f.paths.is_empty(), "{f:?}");

        // Another watcher's journal: the cursor names the old one.
        let mut w2 = Writer::create(dir.path()).unwrap();
        w2.append(&barrier_line("b4")).unwrap();
        assert!(read_until(dir.path(), "b4").rescan);
    }

    /// The cursor is not synced to the disk (`write_cursor`): after a crash it may be the
    /// one before, or empty. Either way what came after it is read again; nothing is missed.
    #[test]
    fn a_cursor_lost_in_a_crash_means_reading_again_never_a_missed_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::create(dir.path()).unwrap();
        w.append(&barrier_line("b1")).unwrap();
        let old = read_until(dir.path(), "b1").cursor.unwrap();
        write_cursor(dir.path(), &old).unwrap();
        w.append(&path_line("corpus/a.md")).unwrap();
        w.append(&barrier_line("b2")).unwrap();
        let f = read_until(dir.path(), "b2");
        assert_eq!(f.paths, BTreeSet::from(["corpus/a.md".to_string()]));
        write_cursor(dir.path(), f.cursor.as_ref().unwrap()).unwrap();
        w.append(&barrier_line("b3")).unwrap();

        // The write of the newer cursor was lost: the change after the older one is seen again.
        write_cursor(dir.path(), &old).unwrap();
        let f = read_until(dir.path(), "b3");
        assert_eq!(f.paths, BTreeSet::from(["corpus/a.md".to_string()]));
        // The cursor came back empty or torn: everything is checked.
        for torn in ["", "{\"journal\":"] {
            std::fs::write(dir.path().join(CURSOR), torn).unwrap();
            assert!(read_until(dir.path(), "b3").rescan, "{torn:?}");
        }
    }

    #[test]
    fn rotation_keeps_what_was_not_read_and_waits_for_a_running_refresh() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::create(dir.path()).unwrap();
        for i in 0..50 {
            w.append(&barrier_line(&format!("x{i}"))).unwrap();
        }
        w.append(&barrier_line("b0")).unwrap();
        let f = read_until(dir.path(), "b0");
        write_cursor(dir.path(), f.cursor.as_ref().unwrap()).unwrap();
        w.append(&path_line("corpus/unread.md")).unwrap();
        let before = w.bytes();

        // A refresh holds the index lock: no rotation.
        let held = crate::fsutil::lock_file(dir.path(), "lock").unwrap();
        assert!(!w.rotate_over(100).unwrap());
        drop(held);

        assert!(w.rotate_over(before).is_ok_and(|r| !r), "under the limit");
        assert!(w.rotate_over(500).unwrap());
        assert!(w.bytes() < before, "{} !< {before}", w.bytes());
        w.append(&barrier_line("b1")).unwrap();
        let f = read_until(dir.path(), "b1");
        assert!(!f.rescan, "the unread part was kept, so no rescan");
        assert_eq!(f.paths, BTreeSet::from(["corpus/unread.md".to_string()]));

        // Too much unread: the rotated journal says rescan instead.
        for i in 0..200 {
            w.append(&path_line(&format!("corpus/{i}.md"))).unwrap();
        }
        assert!(w.rotate_over(1_000).unwrap());
        w.append(&barrier_line("b2")).unwrap();
        let f = read_until(dir.path(), "b2");
        assert!(f.rescan && f.paths.is_empty(), "{f:?}");
    }

    #[test]
    fn a_half_written_line_waits_for_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::create(dir.path()).unwrap();
        let mut r = Reader::open(dir.path(), None).unwrap();
        let l = barrier_line("b1");
        w.append(&l[..5]).unwrap();
        assert!(!r.poll("b1").unwrap());
        w.append(&l[5..]).unwrap();
        assert!(r.poll("b1").unwrap());
    }
}
