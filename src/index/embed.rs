//! Meaning as well as words: a sentence embedding of every passage, quote and
//! recommendation, so that "nowhere to live after hospital" finds "discharged homeless".
//!
//! The model is `pocket-encoder`'s 3-layer MiniLM, compiled into heard: nothing is
//! downloaded, ever. Vectors are cached in `.heard/embeddings.bin`, keyed by the blake3 hash
//! of the text they embed, so a text is embedded once however often the index is rebuilt,
//! and only new texts are embedded on a refresh. The store records the model's complete
//! identity and is used only by the same model. It is only a cache: a damaged store, or one
//! made by another model, is rebuilt with a one-line notice, never an error.
//!
//! Vectors are kept as 8-bit integers with one scale per vector (388 bytes instead of
//! 1,536); EVALUATION.md records that this changes nothing measurable in the drafts.
//!
//! File layout: `HEARDEMB`, format (u32 LE), header length (u32 LE), the header as JSON
//! (model identity, index state, dimensions, count), then per vector its 32-byte key, its
//! scale (f32 LE) and its coordinates (i8), and last a blake3 hash of all that precedes it.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::{DocAddress, Index, TantivyDocument};

use super::{Fields, Progress};

const MAGIC: &[u8; 8] = b"HEARDEMB";
const FORMAT: u32 = 1;

/// Longest text given to the model, in characters: it reads at most 128 word pieces, so
/// more is never looked at.
const MAX_CHARS: usize = 2_000;

/// Texts per call to the model (each rayon task embeds one batch).
const BATCH: usize = 16;

/// The key of a text: blake3 of the text as indexed.
pub type Key = [u8; 32];

/// The key of a text, as stored in the index's `hash` field (hex).
pub fn key_hex(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

fn key_of_hex(hex: &str) -> Option<Key> {
    blake3::Hash::from_hex(hex).ok().map(|h| *h.as_bytes())
}

/// Where the store lives.
pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join("embeddings.bin")
}

/// The model's complete identity, as stored.
pub fn model() -> pocket_encoder::ModelInfo {
    pocket_encoder::model_info()
}

/// Embed texts (queries or evidence) with the bundled model; one unit vector per text.
pub fn embed(texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
    let encoder = pocket_encoder::Encoder::new().context("the meaning model cannot start")?;
    let inputs: Vec<&str> = texts.iter().map(|t| clip(t)).collect();
    encoder
        .embed(&inputs)
        .context("the meaning model failed on a text")
}

/// The start of a text that the model reads; a blank text reads as a dot.
fn clip(text: &str) -> &str {
    let t = text.trim();
    if t.is_empty() {
        return ".";
    }
    match t.char_indices().nth(MAX_CHARS) {
        Some((i, _)) => &t[..i],
        None => t,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    model: pocket_encoder::ModelInfo,
    /// The index's segments and deletions when the store was last brought up to date.
    state: String,
    dimensions: usize,
    count: usize,
}

/// Vectors by key, 8-bit with a scale each.
#[derive(Debug)]
pub struct Store {
    header: Header,
    keys: Vec<Key>,
    scales: Vec<f32>,
    codes: Vec<i8>,
    rows: HashMap<Key, usize>,
}

impl Store {
    fn empty(state: String) -> Store {
        let model = model();
        Store {
            header: Header {
                dimensions: model.dimensions,
                model,
                state,
                count: 0,
            },
            keys: Vec::new(),
            scales: Vec::new(),
            codes: Vec::new(),
            rows: HashMap::new(),
        }
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the store holds no vectors.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether `key` has a vector.
    pub fn contains(&self, key: &Key) -> bool {
        self.rows.contains_key(key)
    }

    fn push(&mut self, key: Key, v: &[f32]) {
        let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        self.rows.insert(key, self.keys.len());
        self.keys.push(key);
        self.scales.push(scale);
        self.codes.extend(
            v.iter()
                .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
        );
        self.header.count = self.keys.len();
    }

    fn row(&self, i: usize) -> &[i8] {
        let d = self.header.dimensions;
        &self.codes[i * d..(i + 1) * d]
    }

    /// Cosine similarity of a unit query vector with the text of `key`.
    pub fn cosine(&self, query: &[f32], key: &Key) -> Option<f32> {
        self.rows.get(key).map(|&i| self.dot(query, i))
    }

    fn dot(&self, query: &[f32], i: usize) -> f32 {
        let s: f32 = self
            .row(i)
            .iter()
            .zip(query)
            .map(|(c, q)| *c as f32 * q)
            .sum();
        s * self.scales[i]
    }

    /// The `limit` nearest texts to a unit query vector, with their cosine, best first.
    pub fn nearest(&self, query: &[f32], limit: usize) -> Vec<(Key, f32)> {
        if query.len() != self.header.dimensions {
            return Vec::new();
        }
        let mut all: Vec<(usize, f32)> = (0..self.keys.len())
            .into_par_iter()
            .map(|i| (i, self.dot(query, i)))
            .collect();
        let limit = limit.min(all.len());
        if limit == 0 {
            return Vec::new();
        }
        all.select_nth_unstable_by(limit - 1, |a, b| b.1.total_cmp(&a.1));
        all.truncate(limit);
        all.sort_by(|a, b| b.1.total_cmp(&a.1));
        all.into_iter().map(|(i, c)| (self.keys[i], c)).collect()
    }

    fn to_bytes(&self) -> anyhow::Result<Vec<u8>> {
        let header = serde_json::to_vec(&self.header)?;
        let d = self.header.dimensions;
        let mut out = Vec::with_capacity(16 + header.len() + self.keys.len() * (36 + d) + 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&u32::try_from(header.len())?.to_le_bytes());
        out.extend_from_slice(&header);
        for i in 0..self.keys.len() {
            out.extend_from_slice(&self.keys[i]);
            out.extend_from_slice(&self.scales[i].to_le_bytes());
            out.extend(self.row(i).iter().map(|c| *c as u8));
        }
        let sum = blake3::hash(&out);
        out.extend_from_slice(sum.as_bytes());
        Ok(out)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Store, String> {
        let (header, body_at) = parse_header(bytes)?;
        if bytes.len() < body_at + 32 {
            return Err("it is cut short".into());
        }
        let (content, sum) = bytes.split_at(bytes.len() - 32);
        if blake3::hash(content).as_bytes() != sum {
            return Err("its checksum does not match".into());
        }
        let d = header.dimensions;
        let body = &content[body_at..];
        if d == 0 || body.len() != header.count * (36 + d) {
            return Err("its size does not match its header".into());
        }
        let mut store = Store::empty(header.state.clone());
        store.header = Header {
            count: 0,
            ..header.clone()
        };
        for rec in body.chunks_exact(36 + d) {
            let key: Key = rec[..32].try_into().expect("32 bytes");
            let scale = f32::from_le_bytes(rec[32..36].try_into().expect("4 bytes"));
            if !scale.is_finite() {
                return Err("it holds a vector that is not a number".into());
            }
            store.rows.insert(key, store.keys.len());
            store.keys.push(key);
            store.scales.push(scale);
            store.codes.extend(rec[36..].iter().map(|b| *b as i8));
        }
        store.header.count = store.keys.len();
        Ok(store)
    }
}

fn parse_header(bytes: &[u8]) -> Result<(Header, usize), String> {
    if bytes.len() < 16 || &bytes[..8] != MAGIC {
        return Err("it is not a heard embeddings file".into());
    }
    let format = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if format != FORMAT {
        return Err(format!("it is in format {format}, not {FORMAT}"));
    }
    let len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
    let header: Header = bytes
        .get(16..16 + len)
        .and_then(|h| serde_json::from_slice(h).ok())
        .ok_or("its header cannot be read")?;
    Ok((header, 16 + len))
}

/// Only the header of the store on disk (cheap: the vectors are not read).
fn read_header(path: &Path) -> Option<Header> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut head = [0u8; 16];
    f.read_exact(&mut head).ok()?;
    let len = u32::from_le_bytes(head[12..16].try_into().ok()?) as usize;
    if len > 1 << 20 {
        return None;
    }
    let mut bytes = head.to_vec();
    bytes.resize(16 + len, 0);
    f.read_exact(&mut bytes[16..]).ok()?;
    parse_header(&bytes).ok().map(|(h, _)| h)
}

/// What loading the store found.
pub enum Loaded {
    /// A store of this model.
    Ready(Box<Store>),
    /// No store yet.
    Missing,
    /// A store that cannot be used, and why (damaged, or made by another model).
    Unusable(String),
}

/// Read the store on disk.
pub fn load(path: &Path) -> Loaded {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
        Err(e) => return Loaded::Unusable(format!("it cannot be read ({e})")),
    };
    match Store::from_bytes(&bytes) {
        Ok(s) if s.header.model == model() => Loaded::Ready(Box::new(s)),
        Ok(_) => Loaded::Unusable("it was made by another model".into()),
        Err(why) => Loaded::Unusable(why),
    }
}

/// The index's segments and their deletions: changes whenever documents are added or
/// removed, so the store knows whether it is up to date without reading a document.
pub fn index_state(index: &Index) -> String {
    let mut parts: Vec<String> = index
        .searchable_segment_metas()
        .unwrap_or_default()
        .iter()
        .map(|m| format!("{}:{}", m.id().uuid_string(), m.num_deleted_docs()))
        .collect();
    parts.sort();
    key_hex(&parts.join(","))
}

/// What the embedding stage of a refresh did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Texts embedded now.
    pub embedded: usize,
    /// Vectors dropped because their text is no longer in the library.
    pub dropped: usize,
    /// Vectors in the store now.
    pub vectors: usize,
    /// Why the store was rebuilt from nothing, when it was.
    pub rebuilt: Option<String>,
}

/// Bring the store up to date with the index: embed the texts it has no vector for, drop
/// the vectors of texts no longer indexed, and write it (atomically) if anything changed.
pub fn refresh(
    state_dir: &Path,
    index: &Index,
    fields: &Fields,
    progress: &dyn Progress,
) -> anyhow::Result<Report> {
    let file = path(state_dir);
    let state = index_state(index);
    if let Some(h) = read_header(&file) {
        if h.model == model() && h.state == state {
            return Ok(Report {
                vectors: h.count,
                ..Report::default()
            });
        }
    }
    let mut report = Report::default();
    let old = match load(&file) {
        Loaded::Ready(s) => *s,
        Loaded::Missing => Store::empty(state.clone()),
        Loaded::Unusable(why) => {
            eprintln!(
                "note: the meaning index `.heard/embeddings.bin` was rebuilt because {why}; nothing is lost, it is only a cache"
            );
            report.rebuilt = Some(why);
            Store::empty(state.clone())
        }
    };
    let reader = index.reader().context("failed to open the index")?;
    let searcher = reader.searcher();
    // Every text in the index (passages, quotes, recommendations), by key.
    let mut live: HashMap<Key, DocAddress> = HashMap::new();
    for (ord, seg) in searcher.segment_readers().iter().enumerate() {
        let Some(col) = seg.fast_fields().str("hash").ok().flatten() else {
            continue;
        };
        let mut s = String::new();
        for doc in seg.doc_ids_alive() {
            for t in col.term_ords(doc) {
                s.clear();
                if col.ord_to_str(t, &mut s).is_ok() {
                    if let Some(k) = key_of_hex(&s) {
                        live.entry(k).or_insert(DocAddress::new(ord as u32, doc));
                    }
                }
            }
        }
    }
    let mut missing: Vec<(Key, String)> = Vec::new();
    for (k, addr) in &live {
        if !old.contains(k) {
            let doc: TantivyDocument = searcher.doc(*addr).context("failed to read the index")?;
            use tantivy::schema::Value;
            let body = doc
                .get_first(fields.body)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            missing.push((*k, body));
        }
    }
    let mut new = Store::empty(state);
    for (i, k) in old.keys.iter().enumerate() {
        if live.contains_key(k) {
            let v: Vec<f32> = old
                .row(i)
                .iter()
                .map(|c| *c as f32 * old.scales[i])
                .collect();
            new.push(*k, &v);
        } else {
            report.dropped += 1;
        }
    }
    if !missing.is_empty() {
        progress.start(missing.len());
        let vectors: Vec<anyhow::Result<Vec<Vec<f32>>>> = missing
            .par_chunks(BATCH)
            .map(|chunk| {
                let texts: Vec<&str> = chunk.iter().map(|(_, t)| t.as_str()).collect();
                let v = embed(&texts);
                for _ in chunk {
                    progress.tick();
                }
                v
            })
            .collect();
        progress.finish();
        for (chunk, vs) in missing.chunks(BATCH).zip(vectors) {
            for ((k, _), v) in chunk.iter().zip(vs?) {
                new.push(*k, &v);
            }
        }
        report.embedded = missing.len();
    }
    report.vectors = new.len();
    crate::fsutil::write_atomic(&file, &new.to_bytes()?)?;
    Ok(report)
}

/// The store of a library, read once per process and shared (searches on the web reuse it
/// until the index changes).
pub fn shared(state_dir: &Path, state: &str) -> Option<Arc<Store>> {
    use std::sync::Mutex;
    static CACHE: Mutex<Option<(PathBuf, String, Arc<Store>)>> = Mutex::new(None);
    let file = path(state_dir);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((p, s, store)) = cache.as_ref() {
        if *p == file && s == state {
            return Some(store.clone());
        }
    }
    match load(&file) {
        Loaded::Ready(store) if store.header.state == state => {
            let store = Arc::new(*store);
            *cache = Some((file, state.to_string(), store.clone()));
            Some(store)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seed: u32) -> Vec<f32> {
        let v: Vec<f32> = (0..384)
            .map(|i| (((i as u32 * 7919 + seed * 104_729) % 1000) as f32 / 500.0) - 1.0)
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect()
    }

    #[test]
    fn a_store_round_trips_and_finds_the_nearest_vector() {
        let mut s = Store::empty("x".into());
        for i in 0..20 {
            s.push(*blake3::hash(&[i]).as_bytes(), &unit(u32::from(i)));
        }
        let back = Store::from_bytes(&s.to_bytes().unwrap()).unwrap();
        assert_eq!(back.len(), 20);
        let best = back.nearest(&unit(7), 3);
        assert_eq!(best[0].0, *blake3::hash(&[7]).as_bytes());
        assert!((best[0].1 - 1.0).abs() < 0.02, "8-bit cosine {}", best[0].1);
    }

    #[test]
    fn a_damaged_or_cut_store_is_refused_not_trusted() {
        let mut s = Store::empty("x".into());
        s.push([1; 32], &unit(1));
        let mut bytes = s.to_bytes().unwrap();
        let mid = bytes.len() - 100;
        bytes[mid] ^= 0x55;
        assert!(Store::from_bytes(&bytes).unwrap_err().contains("checksum"));
        let bytes = s.to_bytes().unwrap();
        assert!(Store::from_bytes(&bytes[..bytes.len() - 40]).is_err());
        assert!(Store::from_bytes(b"not an embeddings file at all").is_err());
    }

    #[test]
    fn a_store_of_another_model_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::empty("x".into());
        s.push([1; 32], &unit(1));
        s.header.model.revision = "sha256:another".into();
        std::fs::write(path(dir.path()), s.to_bytes().unwrap()).unwrap();
        assert!(
            matches!(load(&path(dir.path())), Loaded::Unusable(why) if why.contains("another model"))
        );
    }

    #[test]
    fn long_and_blank_texts_are_clipped_for_the_model() {
        assert_eq!(clip("  "), ".");
        assert_eq!(clip(&"a".repeat(5_000)).len(), MAX_CHARS);
    }
}
