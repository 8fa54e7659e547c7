//! Where the index's files are read from: tantivy's memory-mapped directory, except for the
//! document store, which is read a block at a time with `pread`.
//!
//! A mapped page that has been read stays in the process's resident memory for as long as
//! the map lives, which for a searcher is the whole command. The postings, dictionaries and
//! fast fields gain from being mapped (a search reads a few of their pages, again and
//! again). The document store does not: it holds every source's whole text, and a command
//! that reads every recommendation (`heard recs`) or many passages (`heard draft`) touches
//! nearly all of its blocks, once each, through tantivy's own cache of decompressed blocks.
//! Mapped, the whole store came to count against the command's memory: 917 MB of `heard
//! recs`'s 1,050 MB at a million sources. Read, a block is copied into a buffer that is
//! freed once it has been decompressed; the kernel's page cache still keeps the file warm.

use std::fmt;
use std::fs::File;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::HasLen;
use tantivy::directory::error::{
    DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback,
    WatchHandle, WritePtr,
};

/// tantivy's [`MmapDirectory`], with the document store read rather than mapped.
#[derive(Clone, Debug)]
pub(crate) struct LibraryDirectory {
    mapped: MmapDirectory,
    root: PathBuf,
}

impl LibraryDirectory {
    pub(crate) fn open(root: &Path) -> Result<LibraryDirectory, OpenDirectoryError> {
        Ok(LibraryDirectory {
            mapped: MmapDirectory::open(root)?,
            root: root.to_path_buf(),
        })
    }
}

/// A file of a segment's document store (tantivy names them `<segment>.store`).
fn is_store(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "store")
}

/// An open file read with `pread`: each read is a buffer of its own, freed with it.
struct ReadFile {
    file: File,
    len: usize,
    path: PathBuf,
}

impl fmt::Debug for ReadFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReadFile({})", self.path.display())
    }
}

impl HasLen for ReadFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for ReadFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.start > range.end || range.end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "bytes {}..{} are outside `{}` ({} bytes)",
                    range.start,
                    range.end,
                    self.path.display(),
                    self.len
                ),
            ));
        }
        let mut buf = vec![0; range.len()];
        read_exact_at(&self.file, &mut buf, range.start as u64)?;
        Ok(OwnedBytes::new(buf))
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut at: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, at)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

impl Directory for LibraryDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        if !is_store(path) {
            return self.mapped.get_file_handle(path);
        }
        let full = self.root.join(path);
        let open = || -> io::Result<ReadFile> {
            let file = File::open(&full)?;
            let len = file.metadata()?.len() as usize;
            Ok(ReadFile {
                file,
                len,
                path: full.clone(),
            })
        };
        match open() {
            Ok(f) => Ok(Arc::new(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(OpenReadError::FileDoesNotExist(path.to_path_buf()))
            }
            Err(e) => Err(OpenReadError::wrap_io_error(e, path.to_path_buf())),
        }
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mapped.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mapped.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.mapped.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mapped.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.mapped.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.mapped.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.mapped.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mapped.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::TermQuery;
    use tantivy::schema::{IndexRecordOption, STORED, STRING, Schema, TEXT, Value};
    use tantivy::{Index, IndexSettings, TantivyDocument, Term, doc};

    #[test]
    fn documents_are_stored_and_read_back_through_reads_of_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Schema::builder();
        let key = b.add_text_field("key", STRING | STORED);
        let body = b.add_text_field("body", TEXT | STORED);
        let schema = b.build();
        let open = || LibraryDirectory::open(dir.path()).unwrap();
        let index = Index::create(open(), schema, IndexSettings::default()).unwrap();
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..2_000 {
            let text = format!("passage {i} of a long source, {}", "words ".repeat(i % 50));
            w.add_document(doc!(key => format!("k{i}"), body => text))
                .unwrap();
        }
        w.commit().unwrap();
        drop(w);

        // Opened again, as a later command does: every document comes back whole.
        let index = Index::open(open()).unwrap();
        let searcher = index.reader().unwrap().searcher();
        for i in [0, 1, 999, 1_999] {
            let q = TermQuery::new(
                Term::from_field_text(key, &format!("k{i}")),
                IndexRecordOption::Basic,
            );
            let top = searcher
                .search(&q, &TopDocs::with_limit(2).order_by_score())
                .unwrap();
            assert_eq!(top.len(), 1, "k{i}");
            let doc: TantivyDocument = searcher.doc(top[0].1).unwrap();
            let text = doc.get_first(body).and_then(|v| v.as_str()).unwrap();
            assert!(text.starts_with(&format!("passage {i} of")), "{text}");
            assert_eq!(text.matches("words").count(), i % 50);
        }
    }

    #[test]
    fn a_read_past_the_end_of_a_store_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.store"), b"0123456789").unwrap();
        let d = LibraryDirectory::open(dir.path()).unwrap();
        let h = d.get_file_handle(Path::new("x.store")).unwrap();
        assert!(format!("{h:?}").starts_with("ReadFile"), "{h:?}");
        assert_eq!(h.read_bytes(2..5).unwrap().as_slice(), b"234");
        let e = h.read_bytes(5..11).unwrap_err().to_string();
        assert!(e.contains("x.store"), "{e}");
        assert!(matches!(
            d.get_file_handle(Path::new("gone.store")),
            Err(OpenReadError::FileDoesNotExist(_))
        ));
    }
}
