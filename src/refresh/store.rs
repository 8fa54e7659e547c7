//! What the last refresh saw and did, in `.heard/state.redb`: each file's size, time,
//! content hash, source id and problems, which file owns each source id, the folders'
//! times, and each quote's indexed state.
//!
//! An embedded B-tree store (redb) rather than one JSON manifest: a refresh looks up and
//! updates one entry at a time, so neither its memory nor what it writes grows with the
//! library (a sorted file merged with a sorted walk would bound memory too, but any change
//! would rewrite the whole file). Writes are one transaction per refresh, committed after
//! the index, so a refresh killed half-way leaves the old state, which only makes the next
//! refresh do the same work again. Only the refresh opens it, under the index lock; what
//! others need (source ids to paths) is exported to [`crate::corpus::SourceMap`].

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, Table, TableDefinition,
    WriteTransaction,
};
use serde::{Deserialize, Serialize};

use crate::quotes::Quote;
use crate::{Library, Problem};

/// Bump when what is stored changes meaning: the store is then made anew (and the index
/// rebuilt).
const VERSION: u32 = 1;

/// Pages kept in memory: fixed, whatever the library's size.
const CACHE: usize = 24 * 1024 * 1024;

/// File (library-relative path) → [`Entry`] as JSON.
const FILES: TableDefinition<&str, &[u8]> = TableDefinition::new("files");
/// Files that have problems, to list them without reading every entry.
const PROBLEMS: TableDefinition<&str, ()> = TableDefinition::new("problems");
/// Source id → path of the file that owns it.
const IDS: TableDefinition<&str, &str> = TableDefinition::new("ids");
/// Folder → modification time in nanoseconds.
const DIRS: TableDefinition<&str, u64> = TableDefinition::new("dirs");
/// Quote id → [`QuoteState`] as JSON.
const QUOTES: TableDefinition<&str, &[u8]> = TableDefinition::new("quotes");
/// `meta` → [`Meta`] as JSON.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Quote id → the quote as last folded from the ledger (JSON).
const QUOTE_DATA: TableDefinition<&str, &[u8]> = TableDefinition::new("quote_data");
/// `source id` + U+001F + `quote id`: the quotes of each source, found by prefix.
const SOURCE_QUOTES: TableDefinition<&str, ()> = TableDefinition::new("source_quotes");

/// The store cannot be read or written as it should: the pipeline rebuilds it from the
/// files (it is only a cache) and says so once.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Damaged(pub String);

pub(crate) fn damaged<E: std::fmt::Display>(e: E) -> anyhow::Error {
    Damaged(e.to_string()).into()
}

/// What a file looked like when it was last indexed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub size: u64,
    pub mtime_ns: u64,
    pub hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Whether the file's documents are in the index.
    pub indexed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// A quote as last indexed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct QuoteState {
    /// Hash of what the ledger says of it (see `refresh::quote_hash`).
    pub hash: String,
    /// Its anchor state then: ok, moved, drifted or orphaned.
    pub anchor: String,
    /// Whether it has a document in the index.
    pub indexed: bool,
}

/// The store as a whole.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Meta {
    pub version: u32,
    /// The index format it describes.
    pub format: u32,
    /// Hash of the taxonomy the index was built with.
    pub taxonomy: String,
    /// Hash of the ledger when quotes were last indexed.
    pub ledger: String,
    /// The ledger's size and modification time then: unchanged, it is not read again.
    #[serde(default)]
    pub ledger_stamp: (u64, u64),
    /// Files whose documents are in the index.
    pub sources: u64,
    /// Quotes by anchor state, as last indexed.
    pub anchors: BTreeMap<String, usize>,
    /// The day (`YYYY-MM-DD`) on which every quote's data in `quote_data` was last brought
    /// up to date with the ledger; empty when it never was. On the same day, with the
    /// ledger unchanged, a changed source's quotes are read from there, not from the ledger.
    #[serde(default)]
    pub quotes_day: String,
}

pub(crate) fn path(lib: &Library) -> PathBuf {
    lib.state_dir().join("state.redb")
}

/// The open store.
pub(crate) struct Store {
    db: Database,
    meta: Meta,
    fresh: bool,
}

fn builder() -> redb::Builder {
    let mut b = Database::builder();
    b.set_cache_size(CACHE);
    b
}

impl Store {
    /// Open the store, or make a new one when it is missing, from another version, for
    /// another taxonomy, or damaged (`Err(Damaged)` for the last: the caller says so).
    pub(crate) fn open(lib: &Library, format: u32, taxonomy: &str) -> anyhow::Result<Store> {
        // The manifest of heard before the store: simply replaced.
        let _ = std::fs::remove_file(lib.state_dir().join("manifest.json"));
        let file = path(lib);
        if file.exists() {
            let db = builder().open(&file).map_err(damaged)?;
            let meta = read_meta(&db)?;
            if let Some(meta) = meta
                .filter(|m| m.version == VERSION && m.format == format && m.taxonomy == taxonomy)
            {
                return Ok(Store {
                    db,
                    meta,
                    fresh: false,
                });
            }
            drop(db);
        }
        Store::create(lib, format, taxonomy)
    }

    /// A new, empty store (the old one, if any, is removed).
    pub(crate) fn create(lib: &Library, format: u32, taxonomy: &str) -> anyhow::Result<Store> {
        let file = path(lib);
        if file.exists() {
            std::fs::remove_file(&file).map_err(|e| {
                anyhow::anyhow!(
                    "failed to remove the old index state `{}`: {e}",
                    file.display()
                )
            })?;
        }
        std::fs::create_dir_all(lib.state_dir()).ok();
        let db = builder().create(&file).map_err(|e| {
            anyhow::anyhow!("failed to create the index state `{}`: {e}", file.display())
        })?;
        Ok(Store {
            db,
            meta: Meta {
                version: VERSION,
                format,
                taxonomy: taxonomy.to_string(),
                ..Meta::default()
            },
            fresh: true,
        })
    }

    /// Whether the store is new (first run, a new heard version, another taxonomy, or
    /// after damage), so the index must be rebuilt.
    pub(crate) fn fresh(&self) -> bool {
        self.fresh
    }

    /// Start the refresh's one write transaction.
    pub(crate) fn begin(&self) -> anyhow::Result<WriteTransaction> {
        self.db.begin_write().map_err(damaged)
    }

    /// The store's summary as last committed.
    pub(crate) fn meta(&self) -> &Meta {
        &self.meta
    }
}

fn read_meta(db: &Database) -> anyhow::Result<Option<Meta>> {
    let txn = db.begin_read().map_err(damaged)?;
    let table = match txn.open_table(META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(damaged(e)),
    };
    let Some(bytes) = table.get("meta").map_err(damaged)? else {
        return Ok(None);
    };
    Ok(serde_json::from_slice(bytes.value()).ok())
}

/// The tables, open in the refresh's write transaction.
pub(crate) struct Tables<'t> {
    files: Table<'t, &'static str, &'static [u8]>,
    problems: Table<'t, &'static str, ()>,
    ids: Table<'t, &'static str, &'static str>,
    dirs: Table<'t, &'static str, u64>,
    quotes: Table<'t, &'static str, &'static [u8]>,
    quote_data: Table<'t, &'static str, &'static [u8]>,
    source_quotes: Table<'t, &'static str, ()>,
    meta_table: Table<'t, &'static str, &'static [u8]>,
    /// The summary, saved with [`Tables::save`].
    pub meta: Meta,
    /// Whether any source id changed hands (so the source map is written again).
    pub ids_changed: bool,
    /// Whether anything was written (else the transaction is dropped, not committed).
    pub dirty: bool,
}

impl<'t> Tables<'t> {
    pub(crate) fn open(txn: &'t WriteTransaction, meta: Meta) -> anyhow::Result<Tables<'t>> {
        Ok(Tables {
            files: txn.open_table(FILES).map_err(damaged)?,
            problems: txn.open_table(PROBLEMS).map_err(damaged)?,
            ids: txn.open_table(IDS).map_err(damaged)?,
            dirs: txn.open_table(DIRS).map_err(damaged)?,
            quotes: txn.open_table(QUOTES).map_err(damaged)?,
            quote_data: txn.open_table(QUOTE_DATA).map_err(damaged)?,
            source_quotes: txn.open_table(SOURCE_QUOTES).map_err(damaged)?,
            meta_table: txn.open_table(META).map_err(damaged)?,
            meta,
            ids_changed: false,
            dirty: false,
        })
    }

    /// Write the summary; the caller then commits the transaction.
    pub(crate) fn save(mut self) -> anyhow::Result<()> {
        let json = serde_json::to_vec(&self.meta)?;
        self.meta_table
            .insert("meta", json.as_slice())
            .map_err(damaged)?;
        Ok(())
    }

    pub(crate) fn file(&self, rel: &str) -> anyhow::Result<Option<Entry>> {
        let Some(v) = self.files.get(rel).map_err(damaged)? else {
            return Ok(None);
        };
        serde_json::from_slice(v.value())
            .map(Some)
            .map_err(|e| damaged(format!("entry of `{rel}`: {e}")))
    }

    /// Record a file as it is now, keeping the counts and the list of problem files.
    pub(crate) fn put_file(
        &mut self,
        rel: &str,
        entry: &Entry,
        old: Option<&Entry>,
    ) -> anyhow::Result<()> {
        let json = serde_json::to_vec(entry)?;
        self.files.insert(rel, json.as_slice()).map_err(damaged)?;
        self.dirty = true;
        let was = old.is_some_and(|e| e.indexed);
        if entry.indexed && !was {
            self.meta.sources += 1;
        } else if !entry.indexed && was {
            self.meta.sources = self.meta.sources.saturating_sub(1);
        }
        if entry.problems.is_empty() {
            if old.is_some_and(|e| !e.problems.is_empty()) {
                self.problems.remove(rel).map_err(damaged)?;
            }
        } else {
            self.problems.insert(rel, ()).map_err(damaged)?;
        }
        Ok(())
    }

    /// Forget a file; its id is released if it owned one.
    pub(crate) fn remove_file(&mut self, rel: &str) -> anyhow::Result<Option<Entry>> {
        let old = self.file(rel)?;
        let Some(old) = old else { return Ok(None) };
        self.dirty = true;
        self.files.remove(rel).map_err(damaged)?;
        self.problems.remove(rel).map_err(damaged)?;
        if old.indexed {
            self.meta.sources = self.meta.sources.saturating_sub(1);
        }
        if let Some(id) = &old.id {
            self.release(id, rel)?;
        }
        Ok(Some(old))
    }

    /// Files (under `prefix`, `""` for all) that are not in `present` (hashes of paths).
    pub(crate) fn files_missing(
        &self,
        prefix: &str,
        present: &HashSet<u64>,
    ) -> anyhow::Result<Vec<String>> {
        keys_under(&self.files, prefix, |k| !present.contains(&path_hash(k)))
    }

    /// The file that owns a source id.
    pub(crate) fn owner(&self, id: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .ids
            .get(id)
            .map_err(damaged)?
            .map(|v| v.value().to_string()))
    }

    pub(crate) fn set_owner(&mut self, id: &str, rel: &str) -> anyhow::Result<()> {
        let old = self.ids.insert(id, rel).map_err(damaged)?;
        if old.is_none_or(|o| o.value() != rel) {
            self.ids_changed = true;
            self.dirty = true;
        }
        Ok(())
    }

    /// `rel` no longer owns `id` (if it did).
    pub(crate) fn release(&mut self, id: &str, rel: &str) -> anyhow::Result<()> {
        if self.owner(id)?.as_deref() == Some(rel) {
            self.ids.remove(id).map_err(damaged)?;
            self.ids_changed = true;
            self.dirty = true;
        }
        Ok(())
    }

    /// Every id and its path, sorted by id.
    pub(crate) fn owners(
        &self,
    ) -> anyhow::Result<impl Iterator<Item = anyhow::Result<(String, String)>> + '_> {
        Ok(self.ids.iter().map_err(damaged)?.map(|item| {
            let (k, v) = item.map_err(damaged)?;
            Ok((k.value().to_string(), v.value().to_string()))
        }))
    }

    pub(crate) fn dir(&self, rel: &str) -> anyhow::Result<Option<u64>> {
        Ok(self.dirs.get(rel).map_err(damaged)?.map(|v| v.value()))
    }

    pub(crate) fn put_dir(&mut self, rel: &str, mtime_ns: u64) -> anyhow::Result<()> {
        self.dirs.insert(rel, mtime_ns).map_err(damaged)?;
        self.dirty = true;
        Ok(())
    }

    /// Forget folders (under `prefix`) that are not in `present`; whether any was.
    pub(crate) fn forget_dirs(
        &mut self,
        prefix: &str,
        present: &HashSet<u64>,
    ) -> anyhow::Result<bool> {
        let gone = keys_under(&self.dirs, prefix, |k| !present.contains(&path_hash(k)))?;
        for k in &gone {
            self.dirs.remove(k.as_str()).map_err(damaged)?;
            self.dirty = true;
        }
        Ok(!gone.is_empty())
    }

    /// Every folder and its time (folders are few next to files).
    pub(crate) fn all_dirs(&self) -> anyhow::Result<BTreeMap<String, u64>> {
        let mut out = BTreeMap::new();
        for item in self.dirs.iter().map_err(damaged)? {
            let (k, v) = item.map_err(damaged)?;
            out.insert(k.value().to_string(), v.value());
        }
        Ok(out)
    }

    /// Every problem of every file, by path.
    pub(crate) fn all_problems(&self) -> anyhow::Result<Vec<Problem>> {
        let mut out = Vec::new();
        for item in self.problems.iter().map_err(damaged)? {
            let (k, _) = item.map_err(damaged)?;
            if let Some(e) = self.file(k.value())? {
                out.extend(e.problems);
            }
        }
        Ok(out)
    }

    pub(crate) fn quote(&self, id: &str) -> anyhow::Result<Option<QuoteState>> {
        let Some(v) = self.quotes.get(id).map_err(damaged)? else {
            return Ok(None);
        };
        serde_json::from_slice(v.value())
            .map(Some)
            .map_err(|e| damaged(format!("state of quote `{id}`: {e}")))
    }

    pub(crate) fn put_quote(&mut self, id: &str, state: &QuoteState) -> anyhow::Result<()> {
        let json = serde_json::to_vec(state)?;
        self.quotes.insert(id, json.as_slice()).map_err(damaged)?;
        self.dirty = true;
        Ok(())
    }

    pub(crate) fn remove_quote(&mut self, id: &str) -> anyhow::Result<Option<QuoteState>> {
        let old = self.quote(id)?;
        if old.is_some() {
            self.quotes.remove(id).map_err(damaged)?;
            self.dirty = true;
        }
        let source = match self.quote_data.remove(id).map_err(damaged)? {
            Some(v) => serde_json::from_slice::<Quote>(v.value())
                .ok()
                .map(|q| q.source),
            None => None,
        };
        if let Some(source) = source {
            self.source_quotes
                .remove(source_quote_key(&source, id).as_str())
                .map_err(damaged)?;
            self.dirty = true;
        }
        Ok(old)
    }

    /// Keep a quote as folded from the ledger, found by its source.
    pub(crate) fn put_quote_data(&mut self, q: &Quote) -> anyhow::Result<()> {
        let json = serde_json::to_vec(q)?;
        self.quote_data
            .insert(q.id.as_str(), json.as_slice())
            .map_err(damaged)?;
        self.source_quotes
            .insert(source_quote_key(&q.source, &q.id).as_str(), ())
            .map_err(damaged)?;
        self.dirty = true;
        Ok(())
    }

    /// The quotes of a source, as last folded from the ledger.
    pub(crate) fn quotes_of(&self, source: &str) -> anyhow::Result<Vec<Quote>> {
        let prefix = source_quote_key(source, "");
        let mut out = Vec::new();
        for key in keys_under(&self.source_quotes, &prefix, |_| true)? {
            let id = &key[prefix.len()..];
            let Some(v) = self.quote_data.get(id).map_err(damaged)? else {
                return Err(damaged(format!("quote `{id}` has no data")));
            };
            out.push(
                serde_json::from_slice(v.value())
                    .map_err(|e| damaged(format!("data of quote `{id}`: {e}")))?,
            );
        }
        Ok(out)
    }

    /// Ids of quotes indexed but not in `keep`.
    pub(crate) fn quotes_not_in(&self, keep: &dyn Fn(&str) -> bool) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::new();
        for item in self.quotes.iter().map_err(damaged)? {
            let (k, _) = item.map_err(damaged)?;
            if !keep(k.value()) {
                out.push(k.value().to_string());
            }
        }
        Ok(out)
    }

    /// How many files the store knows (checked against the table itself, so a count that
    /// drifted cannot hide a removed file).
    pub(crate) fn file_count(&self) -> anyhow::Result<u64> {
        self.files.len().map_err(damaged)
    }
}

/// A 64-bit hash of a path: the walk's record of which files it saw.
/// The keys of a table that start with `prefix` and that `keep` picks, in order (redb keeps
/// keys sorted, so they are one range; only the picked ones are held).
fn keys_under<V: redb::Value + 'static>(
    table: &Table<'_, &'static str, V>,
    prefix: &str,
    keep: impl Fn(&str) -> bool,
) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for item in table.range(prefix..).map_err(damaged)? {
        let (k, _) = item.map_err(damaged)?;
        let k = k.value();
        if !k.starts_with(prefix) {
            break;
        }
        if keep(k) {
            out.push(k.to_string());
        }
    }
    Ok(out)
}

fn source_quote_key(source: &str, quote: &str) -> String {
    format!("{source}\u{1f}{quote}")
}

pub(crate) fn path_hash(rel: &str) -> u64 {
    let h = blake3::hash(rel.as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}
