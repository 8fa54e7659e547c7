//! Meaning as well as words: a sentence embedding of every passage, quote and
//! recommendation, so that "nowhere to live after hospital" finds "discharged homeless".
//!
//! The model is `pocket-encoder`'s 3-layer MiniLM, compiled into heard: nothing is
//! downloaded, ever. Vectors are cached in `.heard/embeddings/`, keyed by the blake3 hash
//! of the text they embed, so a text is embedded once however often the index is rebuilt,
//! and only new texts are embedded. The store records the model's complete identity and is
//! used only by the same model. It is only a cache: a damaged part of it, or one made by
//! another model, is rebuilt with a one-line notice, never an error.
//!
//! Vectors are kept as 8-bit integers with one scale per vector (420 bytes a text with its
//! key, instead of 1,568); EVALUATION.md records that this changes nothing measurable in
//! the drafts.
//!
//! **Scale.** Embedding costs about 13 ms of CPU a text, so a library of a million texts
//! takes hours, and its store is some 420 MB. Hence:
//! - The store is a folder of immutable *segments*, each written atomically (temporary file,
//!   then rename): `heard index` saves what it embedded every [`CHECKPOINT_TEXTS`] texts or
//!   [`CHECKPOINT_SECS`] seconds, so an interrupted run keeps its work. Small segments are
//!   merged as they accumulate (a few per size tier), texts that left the library are
//!   dropped when enough of them have built up.
//! - Nothing reads the store whole into memory: a nearest-neighbour search streams the
//!   vectors in chunks into a reused buffer and keeps a top-k heap, scoring each vector
//!   first in whole numbers (cheap) and in full only when it may enter a heap (the result
//!   is exact: see [`Store::nearest_many`]); a text's own vector is
//!   found by binary search of a segment's sorted keys on disk; which texts lack a vector is
//!   found by walking the index's sorted keys beside the store's.
//! - A draft or a search by meaning never waits for the whole library: when more than
//!   [`EMBED_ALL_BELOW`] texts lack a vector, they embed only what they look at (see
//!   [`crate::index::LibraryIndex::with_some_meaning`]), and `heard index`, `heard watch`
//!   and `heard serve` complete the store.
//!
//! Segment layout: `HEARDEMB`, format (u32 LE), header length (u32 LE), the header as JSON
//! (model identity, dimensions, count); then the keys (32 bytes each, sorted, unique), the
//! scales (f32 LE), the coordinates (i8, `dimensions` per vector); last the blake3 hashes of
//! the keys, of the scales and of the coordinates.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::{Index, SegmentReader, TantivyDocument};

use super::{Fields, Progress};

const MAGIC: &[u8; 8] = b"HEARDEMB";
/// 1: one file, `.heard/embeddings.bin`, read whole. 2: a folder of sorted segments.
const FORMAT: u32 = 2;

/// Longest text given to the model, in characters: it reads at most 128 word pieces, so
/// more is never looked at.
const MAX_CHARS: usize = 2_000;

/// Texts per call to the model (each rayon task embeds one batch).
const BATCH: usize = 16;

/// `heard index` saves what it embedded at least this often (texts)...
pub const CHECKPOINT_TEXTS: usize = 2_000;

/// ...and at least this often (seconds), so that an interrupted run loses little.
pub const CHECKPOINT_SECS: u64 = 60;

/// A draft or a search by meaning first embeds every text that lacks a vector when there
/// are at most this many (about 13 s of CPU, 7 s on two cores): a small library, or a large
/// one after a few edits, behaves exactly as if the store were complete. Above it, they
/// embed only the texts they consider and say how much of the library's meaning is known.
/// `HEARD_EMBED_ALL_BELOW` sets it (tests).
pub const EMBED_ALL_BELOW: usize = 2_000;

/// Vectors read at a time by a nearest-neighbour search (about 1.6 MB).
const SCAN_CHUNK: usize = 4_096;

/// Segments of one size tier (a power of 4) that are merged into one.
const MERGE_TIER: usize = 4;

/// Texts that left the library are dropped from the store when they are this share of it
/// (1 in `STALE_SHARE`), or whenever the store is small: dropping rewrites the whole store.
const STALE_SHARE: usize = 20;

/// A store this small (vectors) is rewritten whenever a text left the library.
const SMALL_STORE: usize = 200_000;

/// CPU time the model takes a text, measured on the benchmark machine: for estimates.
const CPU_MS_PER_TEXT: u64 = 13;

/// The key of a text: blake3 of the text as indexed.
pub type Key = [u8; 32];

/// The key of a text, as stored in the index's `hash` field (hex).
pub fn key_hex(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

fn key_of_hex(hex: &[u8]) -> Option<Key> {
    let mut k = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        k[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(k)
}

/// Where the store lives.
pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join("embeddings")
}

/// The store of format 1 (one file), imported once into the folder.
fn old_path(state_dir: &Path) -> PathBuf {
    state_dir.join("embeddings.bin")
}

/// What the store knew of the index when last brought up to date.
fn state_path(state_dir: &Path) -> PathBuf {
    path(state_dir).join("state.json")
}

/// The model's complete identity, as stored.
pub fn model() -> pocket_encoder::ModelInfo {
    pocket_encoder::model_info()
}

/// Texts given to the model by this process (for tests: `HEARD_DEBUG_EMBED` prints it).
static EMBEDDED: AtomicUsize = AtomicUsize::new(0);

/// Embed texts (queries or evidence) with the bundled model; one unit vector per text.
pub fn embed(texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
    let encoder = pocket_encoder::Encoder::new().context("the meaning model cannot start")?;
    let inputs: Vec<&str> = texts.iter().map(|t| clip(t)).collect();
    let out = encoder
        .embed(&inputs)
        .context("the meaning model failed on a text")?;
    EMBEDDED.fetch_add(texts.len(), Ordering::Relaxed);
    if std::env::var_os("HEARD_DEBUG_EMBED").is_some() {
        eprintln!("heard-debug: embedded {} texts", texts.len());
    }
    Ok(out)
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

/// A vector as stored: 8-bit coordinates and their scale.
fn quantise(v: &[f32]) -> (f32, Vec<u8>) {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    let codes = v
        .iter()
        .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8 as u8)
        .collect();
    (scale, codes)
}

/// Cosine of a unit query with a stored vector (summed in coordinate order, as always, so
/// that a draft is the same whatever the store's layout).
fn dot(codes: &[u8], scale: f32, query: &[f32]) -> f32 {
    let s: f32 = codes
        .iter()
        .zip(query)
        .map(|(c, q)| *c as i8 as f32 * q)
        .sum();
    s * scale
}

/// A query rounded to whole numbers for the first, cheap score of every vector:
/// `query ≈ scale × codes`, each coordinate off by at most `scale / 2`.
struct Rounded {
    codes: Vec<i16>,
    scale: f32,
    /// What a stored coordinate of size 1 can hide, at most: the rounding of the query
    /// (`scale / 2`) and of the float sum in [`dot`] (`d` roundings of at most one part in
    /// 2^23 of a term no larger than `max |query|`).
    per_abs: f32,
}

impl Rounded {
    fn new(query: &[f32]) -> Rounded {
        let d = query.len().max(1);
        let max = query.iter().fold(0f32, |m, x| m.max(x.abs()));
        // A sum of `d` products of a stored coordinate (at most 128 in size) and a rounded
        // one must fit in an i32.
        let top = (i32::MAX as usize / (128 * d)).min(i16::MAX as usize) as f32;
        let scale = if max > 0.0 && max.is_finite() {
            max / top
        } else {
            1.0
        };
        let codes = query
            .iter()
            .map(|x| {
                let c = (x / scale).round();
                if c.is_finite() {
                    c.clamp(-top, top) as i16
                } else {
                    0
                }
            })
            .collect();
        Rounded {
            codes,
            scale,
            per_abs: scale * 0.5 + max * d as f32 * 1.2e-7,
        }
    }

    /// A bound the cosine [`dot`] gives for a stored vector (`wide` its coordinates, from
    /// [`widen`]; `abs` the sum of their sizes; `scale` its scale) is never above.
    fn bound(&self, wide: &[i16], abs: i32, scale: f32) -> f32 {
        // Coordinates in pairs, so that the compiler multiplies and adds eight at a time.
        let pairs: i32 = wide
            .chunks_exact(2)
            .zip(self.codes.chunks_exact(2))
            .map(|(c, q)| i32::from(c[0]) * i32::from(q[0]) + i32::from(c[1]) * i32::from(q[1]))
            .sum();
        let odd: i32 = wide
            .chunks_exact(2)
            .remainder()
            .iter()
            .zip(self.codes.chunks_exact(2).remainder())
            .map(|(c, q)| i32::from(*c) * i32::from(*q))
            .sum();
        let sum = pairs + odd;
        let b = scale * (self.scale * sum as f32 + self.per_abs * abs as f32);
        // Room for the float rounding of this bound itself.
        b + b.abs() * 1e-5 + 1e-6
    }
}

/// A stored vector's coordinates as 16-bit integers (once a vector, for every query), and
/// the sum of their sizes.
fn widen(codes: &[u8], wide: &mut Vec<i16>) -> i32 {
    wide.clear();
    wide.extend(codes.iter().map(|c| i16::from(*c as i8)));
    wide.iter().map(|c| i32::from(c.unsigned_abs())).sum()
}

/// What a nearest-neighbour search did: vectors read, and cosines worked out in full
/// (one a vector and query when nothing is left out).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct ScanCount {
    vectors: usize,
    full: usize,
}

fn read_at(file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, pos)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                pos + done as u64,
            )?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    model: pocket_encoder::ModelInfo,
    dimensions: usize,
    count: usize,
}

/// One immutable, sorted part of the store.
#[derive(Debug)]
struct Segment {
    path: PathBuf,
    file: File,
    count: usize,
    d: usize,
    keys_at: u64,
    scales_at: u64,
    codes_at: u64,
    sums_at: u64,
}

impl Segment {
    /// Open a segment, checking its header and size (not its hashes: see [`Segment::verify`]).
    fn open(path: &Path) -> Result<Segment, String> {
        let file = File::open(path).map_err(|e| format!("it cannot be read ({e})"))?;
        let len = file
            .metadata()
            .map_err(|e| format!("it cannot be read ({e})"))?
            .len();
        let mut head = [0u8; 16];
        if len < 16 || read_at(&file, &mut head, 0).is_err() || &head[..8] != MAGIC {
            return Err("it is not a heard embeddings file".into());
        }
        let format = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes"));
        if format != FORMAT {
            return Err(format!("it is in format {format}, not {FORMAT}"));
        }
        let hlen = u32::from_le_bytes(head[12..16].try_into().expect("4 bytes")) as u64;
        if hlen > 1 << 20 || 16 + hlen > len {
            return Err("its header cannot be read".into());
        }
        let mut hbytes = vec![0u8; hlen as usize];
        read_at(&file, &mut hbytes, 16).map_err(|_| "its header cannot be read")?;
        let header: Header =
            serde_json::from_slice(&hbytes).map_err(|_| "its header cannot be read")?;
        if header.model != model() {
            return Err("it was made by another model".into());
        }
        let (n, d) = (header.count as u64, header.dimensions as u64);
        let keys_at = 16 + hlen;
        let scales_at = keys_at + 32 * n;
        let codes_at = scales_at + 4 * n;
        let sums_at = codes_at + d * n;
        if d == 0 || len != sums_at + 96 {
            return Err("its size does not match its header (it is cut short)".into());
        }
        Ok(Segment {
            path: path.to_path_buf(),
            file,
            count: header.count,
            d: header.dimensions,
            keys_at,
            scales_at,
            codes_at,
            sums_at,
        })
    }

    fn key(&self, i: usize) -> std::io::Result<Key> {
        let mut k = [0u8; 32];
        read_at(&self.file, &mut k, self.keys_at + 32 * i as u64)?;
        Ok(k)
    }

    /// The row of `key`, by binary search of the sorted keys on disk.
    fn find(&self, key: &Key) -> std::io::Result<Option<usize>> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.key(mid)?.cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Some(mid)),
            }
        }
        Ok(None)
    }

    fn vector(&self, i: usize) -> std::io::Result<(f32, Vec<u8>)> {
        let mut s = [0u8; 4];
        read_at(&self.file, &mut s, self.scales_at + 4 * i as u64)?;
        let mut c = vec![0u8; self.d];
        read_at(&self.file, &mut c, self.codes_at + (self.d * i) as u64)?;
        Ok((f32::from_le_bytes(s), c))
    }

    /// Check every byte against the hashes at the end (reads the segment once, in chunks).
    fn verify(&self) -> Result<(), String> {
        let mut sums = [0u8; 96];
        read_at(&self.file, &mut sums, self.sums_at)
            .map_err(|e| format!("it cannot be read ({e})"))?;
        let parts = [
            (self.keys_at, self.scales_at),
            (self.scales_at, self.codes_at),
            (self.codes_at, self.sums_at),
        ];
        let mut buf = vec![0u8; 1 << 20];
        for (n, (from, to)) in parts.into_iter().enumerate() {
            let mut h = blake3::Hasher::new();
            let mut at = from;
            while at < to {
                let len = ((to - at) as usize).min(buf.len());
                read_at(&self.file, &mut buf[..len], at)
                    .map_err(|e| format!("it cannot be read ({e})"))?;
                h.update(&buf[..len]);
                at += len as u64;
            }
            if h.finalize().as_bytes() != &sums[32 * n..32 * n + 32] {
                return Err("its checksum does not match".into());
            }
        }
        // Keys must be sorted and unique for the binary search and the merges.
        let mut prev: Option<Key> = None;
        let mut keys = Chunked::new(&self.file, self.keys_at, self.scales_at, 32);
        while let Some(k) = keys
            .next_item()
            .map_err(|e| format!("it cannot be read ({e})"))?
        {
            let k: Key = k.try_into().expect("32 bytes");
            if prev.is_some_and(|p| p >= k) {
                return Err("its keys are out of order".into());
            }
            prev = Some(k);
        }
        let mut scales = Chunked::new(&self.file, self.scales_at, self.codes_at, 4);
        while let Some(s) = scales
            .next_item()
            .map_err(|e| format!("it cannot be read ({e})"))?
        {
            if !f32::from_le_bytes(s.try_into().expect("4 bytes")).is_finite() {
                return Err("it holds a vector that is not a number".into());
            }
        }
        Ok(())
    }
}

/// Fixed-size items read in order from a part of a file, through one reused buffer.
struct Chunked<'a> {
    file: &'a File,
    at: u64,
    end: u64,
    item: usize,
    buf: Vec<u8>,
    pos: usize,
}

impl<'a> Chunked<'a> {
    fn new(file: &'a File, from: u64, to: u64, item: usize) -> Self {
        Chunked {
            file,
            at: from,
            end: to,
            item,
            buf: Vec::new(),
            pos: 0,
        }
    }

    fn next_item(&mut self) -> std::io::Result<Option<&[u8]>> {
        if self.pos >= self.buf.len() {
            if self.at >= self.end {
                return Ok(None);
            }
            let items = (((self.end - self.at) as usize) / self.item)
                .min((256 << 10) / self.item)
                .max(1);
            self.buf.resize(items * self.item, 0);
            read_at(self.file, &mut self.buf, self.at)?;
            self.at += self.buf.len() as u64;
            self.pos = 0;
        }
        let out = &self.buf[self.pos..self.pos + self.item];
        self.pos += self.item;
        Ok(Some(out))
    }
}

/// Writes one segment: the count is known first, the three parts are written side by side
/// into a temporary file that is renamed into place when complete.
struct SegmentWriter {
    tmp: tempfile::NamedTempFile,
    parts: [std::io::BufWriter<File>; 3],
    sums: [blake3::Hasher; 3],
    count: usize,
    written: usize,
    d: usize,
    sums_at: u64,
}

impl SegmentWriter {
    fn new(dir: &Path, count: usize, d: usize) -> anyhow::Result<SegmentWriter> {
        let prefix = format!("{}{}-", crate::fsutil::TEMP_PREFIX, std::process::id());
        let tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .tempfile_in(dir)
            .with_context(|| format!("failed to create a temporary file in `{}`", dir.display()))?;
        let header = serde_json::to_vec(&Header {
            model: model(),
            dimensions: d,
            count,
        })?;
        let mut head = Vec::with_capacity(16 + header.len());
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&FORMAT.to_le_bytes());
        head.extend_from_slice(&u32::try_from(header.len())?.to_le_bytes());
        head.extend_from_slice(&header);
        let keys_at = head.len() as u64;
        let scales_at = keys_at + 32 * count as u64;
        let codes_at = scales_at + 4 * count as u64;
        let sums_at = codes_at + (d * count) as u64;
        let mut first = tmp.reopen()?;
        first.write_all(&head)?;
        let at = |pos: u64| -> anyhow::Result<std::io::BufWriter<File>> {
            use std::io::Seek;
            let mut f = tmp.reopen()?;
            f.seek(std::io::SeekFrom::Start(pos))?;
            Ok(std::io::BufWriter::with_capacity(256 << 10, f))
        };
        let parts = [at(keys_at)?, at(scales_at)?, at(codes_at)?];
        Ok(SegmentWriter {
            parts,
            tmp,
            sums: Default::default(),
            count,
            written: 0,
            d,
            sums_at,
        })
    }

    fn push(&mut self, key: &Key, scale: f32, codes: &[u8]) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.written < self.count && codes.len() == self.d,
            "segment overflow"
        );
        for (n, bytes) in [&key[..], &scale.to_le_bytes()[..], codes]
            .into_iter()
            .enumerate()
        {
            self.parts[n].write_all(bytes)?;
            self.sums[n].update(bytes);
        }
        self.written += 1;
        Ok(())
    }

    /// Rename the segment into place (as `dir/<name>.vec`); returns its path.
    fn finish(self, dir: &Path) -> anyhow::Result<PathBuf> {
        use std::io::Seek;
        anyhow::ensure!(self.written == self.count, "segment short of vectors");
        for p in self.parts {
            p.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        let mut f = self.tmp.reopen()?;
        f.seek(std::io::SeekFrom::Start(self.sums_at))?;
        for s in &self.sums {
            f.write_all(s.finalize().as_bytes())?;
        }
        f.sync_all()?;
        let name = format!(
            "{}-{}-{}.vec",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
            std::process::id(),
            SEGMENT_SERIAL.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        self.tmp
            .persist(&path)
            .with_context(|| format!("failed to save `{}`", path.display()))?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(path)
    }
}

static SEGMENT_SERIAL: AtomicUsize = AtomicUsize::new(0);

/// Write vectors (any order, duplicates allowed) as one new segment.
fn write_segment(
    dir: &Path,
    mut rows: Vec<(Key, f32, Vec<u8>)>,
) -> anyhow::Result<Option<PathBuf>> {
    rows.sort_by_key(|a| a.0);
    rows.dedup_by(|a, b| a.0 == b.0);
    let Some(d) = rows.first().map(|r| r.2.len()) else {
        return Ok(None);
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("failed to create `{}`", dir.display()))?;
    let mut w = SegmentWriter::new(dir, rows.len(), d)?;
    for (k, s, c) in &rows {
        w.push(k, *s, c)?;
    }
    w.finish(dir).map(Some)
}

/// The store: its segments, opened (nothing of them is read until asked).
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    segments: Vec<Segment>,
}

/// Notice for a part of the store that cannot be used, which is then removed.
fn rebuilt_notice(state_dir: &Path, file: &Path, why: &str) {
    let shown = file
        .strip_prefix(state_dir.parent().unwrap_or(state_dir))
        .unwrap_or(file)
        .display()
        .to_string();
    eprintln!(
        "note: the meaning index `{shown}` was rebuilt because {why}; nothing is lost, it is only a cache"
    );
}

impl Store {
    /// Open the store of `.heard/`. Segments that cannot be used (damaged, cut short, made
    /// by another model; with `verify`, every byte is checked) are removed with a notice and
    /// their texts embedded again; the reasons are returned.
    pub fn open(state_dir: &Path, verify: bool) -> (Store, Vec<String>) {
        let dir = path(state_dir);
        let mut rebuilt = Vec::new();
        let old = old_path(state_dir);
        if old.exists() {
            if let Err(why) = import_format_1(&old, &dir) {
                rebuilt_notice(state_dir, &old, &why);
                rebuilt.push(why);
            }
            let _ = std::fs::remove_file(&old);
        }
        crate::fsutil::remove_stale_temporaries(&dir);
        let mut segments = Vec::new();
        for p in segment_paths(&dir) {
            let opened = Segment::open(&p).and_then(|s| {
                if verify {
                    s.verify()?;
                }
                Ok(s)
            });
            match opened {
                Ok(s) => segments.push(s),
                // Removed by a concurrent merge: its vectors are in the merged segment.
                Err(_) if !p.exists() => {}
                Err(why) => {
                    rebuilt_notice(state_dir, &p, &why);
                    let _ = std::fs::remove_file(&p);
                    rebuilt.push(why);
                }
            }
        }
        (Store { dir, segments }, rebuilt)
    }

    /// Vectors stored (a text stored twice, briefly after an interrupted merge, counts twice).
    pub fn len(&self) -> usize {
        self.segments.iter().map(|s| s.count).sum()
    }

    /// Whether the store holds no vectors.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .segments
            .iter()
            .filter_map(|s| s.path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        names.sort();
        names
    }

    /// The stored vector of `key`.
    fn vector(&self, key: &Key) -> Option<(f32, Vec<u8>)> {
        self.segments.iter().find_map(|s| {
            let i = s.find(key).ok()??;
            s.vector(i).ok()
        })
    }

    /// Cosine similarity of a unit query vector with the text of `key`, if it has a vector.
    pub fn cosine(&self, query: &[f32], key: &Key) -> Option<f32> {
        let (scale, codes) = self.vector(key)?;
        (codes.len() == query.len()).then(|| dot(&codes, scale, query))
    }

    /// The `limit` nearest texts to each unit query vector, with their cosine, best first:
    /// one pass over the store, in chunks read into one buffer, a heap per query.
    pub fn nearest_many(&self, queries: &[&[f32]], limit: usize) -> Vec<Vec<(Key, f32)>> {
        self.scan(queries, limit).0
    }

    /// [`Store::nearest_many`], and how many cosines it worked out in full.
    ///
    /// Every vector is first scored against each query in whole numbers (the query rounded
    /// to 16 bits: a few integer multiply-adds a coordinate, which the compiler runs side by
    /// side, where the cosine in full is a chain of float additions that must stay in
    /// coordinate order). That score, plus a bound on what the rounding can hide, is never
    /// below the cosine; only a vector whose bound reaches the query's current `limit`-th
    /// best has its cosine worked out in full, exactly as [`dot`] does. So the result is
    /// the same, to the last bit, as scoring every vector in full.
    fn scan(&self, queries: &[&[f32]], limit: usize) -> (Vec<Vec<(Key, f32)>>, ScanCount) {
        let nq = queries.len();
        let mut count = ScanCount::default();
        if limit == 0 || nq == 0 {
            return (vec![Vec::new(); nq], count);
        }
        let mut heaps: Vec<BinaryHeap<Reverse<Cand>>> =
            queries.iter().map(|_| BinaryHeap::new()).collect();
        let mut scales = Vec::new();
        let mut codes = Vec::new();
        let mut scores: Vec<f32> = Vec::new();
        let mut thresholds = vec![f32::NEG_INFINITY; nq];
        for (si, seg) in self.segments.iter().enumerate() {
            if queries.iter().any(|q| q.len() != seg.d) {
                continue;
            }
            let d = seg.d;
            let rounded: Vec<Rounded> = queries.iter().map(|q| Rounded::new(q)).collect();
            let mut row = 0;
            while row < seg.count {
                // Until every heap is full, nothing can be left out: read little at a time.
                let chunk = if heaps.iter().all(|h| h.len() >= limit) {
                    SCAN_CHUNK
                } else {
                    limit.clamp(64, SCAN_CHUNK)
                };
                let n = chunk.min(seg.count - row);
                scales.resize(4 * n, 0u8);
                codes.resize(d * n, 0u8);
                if read_at(&seg.file, &mut scales, seg.scales_at + 4 * row as u64).is_err()
                    || read_at(&seg.file, &mut codes, seg.codes_at + (d * row) as u64).is_err()
                {
                    break;
                }
                for (t, heap) in thresholds.iter_mut().zip(&heaps) {
                    if heap.len() >= limit {
                        *t = heap.peek().map_or(f32::NEG_INFINITY, |m| m.0.score);
                    }
                }
                scores.resize(n * nq, 0.0);
                let thresholds = &thresholds;
                let rounded = &rounded;
                let full: usize = scores
                    .par_chunks_mut(nq * 64)
                    .zip(codes.par_chunks(d * 64))
                    .zip(scales.par_chunks(4 * 64))
                    .map(|((out, c), s)| {
                        let mut full = 0;
                        let mut wide = Vec::with_capacity(d);
                        for (r, (cv, sv)) in c.chunks_exact(d).zip(s.chunks_exact(4)).enumerate() {
                            let scale = f32::from_le_bytes(sv.try_into().expect("4 bytes"));
                            let abs = widen(cv, &mut wide);
                            for (qi, q) in rounded.iter().enumerate() {
                                // NaN: the vector cannot be among this query's nearest.
                                out[r * nq + qi] = if q.bound(&wide, abs, scale) >= thresholds[qi] {
                                    full += 1;
                                    dot(cv, scale, queries[qi])
                                } else {
                                    f32::NAN
                                };
                            }
                        }
                        full
                    })
                    .sum();
                count.vectors += n;
                count.full += full;
                for r in 0..n {
                    for (qi, heap) in heaps.iter_mut().enumerate() {
                        let score = scores[r * nq + qi];
                        if score.is_nan() {
                            continue;
                        }
                        let c = Cand {
                            score,
                            seg: si,
                            row: row + r,
                        };
                        if heap.len() < limit {
                            heap.push(Reverse(c));
                        } else if heap.peek().is_some_and(|m| c > m.0) {
                            heap.pop();
                            heap.push(Reverse(c));
                        }
                    }
                }
                row += n;
            }
        }
        if std::env::var_os("HEARD_DEBUG_MEANING").is_some() {
            eprintln!(
                "heard-debug: meaning search: {} queries over {} vectors, {} cosines in full",
                nq, count.vectors, count.full
            );
        }
        let found = heaps
            .into_iter()
            .map(|h| {
                let mut best: Vec<Cand> = h.into_iter().map(|r| r.0).collect();
                best.sort_by(|a, b| b.cmp(a));
                let mut seen = std::collections::HashSet::new();
                best.into_iter()
                    .filter_map(|c| {
                        let k = self.segments[c.seg].key(c.row).ok()?;
                        seen.insert(k).then_some((k, c.score))
                    })
                    .collect()
            })
            .collect();
        (found, count)
    }

    /// The `limit` nearest texts to a unit query vector, with their cosine, best first.
    pub fn nearest(&self, query: &[f32], limit: usize) -> Vec<(Key, f32)> {
        self.nearest_many(&[query], limit).remove(0)
    }

    /// Every stored key once, in order (all segments merged).
    fn keys(&self) -> std::io::Result<Merged<'_>> {
        Merged::new(&self.segments, false)
    }
}

/// A candidate of a nearest-neighbour search.
#[derive(Debug, Clone, Copy)]
struct Cand {
    score: f32,
    seg: usize,
    row: usize,
}

impl PartialEq for Cand {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == std::cmp::Ordering::Equal
    }
}
impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Cand {
    /// By score; ties go to the earlier row, as a stable sort would.
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.score
            .total_cmp(&o.score)
            .then_with(|| (o.seg, o.row).cmp(&(self.seg, self.row)))
    }
}

fn segment_paths(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "vec"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The records of several segments merged in key order, each key once.
struct Merged<'a> {
    cursors: Vec<SegCursor<'a>>,
    heap: BinaryHeap<Reverse<(Key, usize)>>,
    last: Option<Key>,
    /// The cursor of the key last returned, advanced at the next call.
    pending: Option<usize>,
}

struct SegCursor<'a> {
    keys: Chunked<'a>,
    vectors: Option<(Chunked<'a>, Chunked<'a>)>,
    scale: f32,
    codes: Vec<u8>,
}

impl SegCursor<'_> {
    fn advance(&mut self) -> std::io::Result<Option<Key>> {
        let Some(k) = self.keys.next_item()? else {
            return Ok(None);
        };
        let k: Key = k.try_into().expect("32 bytes");
        if let Some((s, c)) = &mut self.vectors {
            let s = s.next_item()?.ok_or(std::io::ErrorKind::UnexpectedEof)?;
            self.scale = f32::from_le_bytes(s.try_into().expect("4 bytes"));
            let c = c.next_item()?.ok_or(std::io::ErrorKind::UnexpectedEof)?;
            self.codes.clear();
            self.codes.extend_from_slice(c);
        }
        Ok(Some(k))
    }
}

impl<'a> Merged<'a> {
    fn new(segments: &'a [Segment], vectors: bool) -> std::io::Result<Merged<'a>> {
        let mut m = Merged {
            cursors: Vec::new(),
            heap: BinaryHeap::new(),
            last: None,
            pending: None,
        };
        for s in segments {
            let keys = Chunked::new(&s.file, s.keys_at, s.scales_at, 32);
            let vectors = vectors.then(|| {
                (
                    Chunked::new(&s.file, s.scales_at, s.codes_at, 4),
                    Chunked::new(&s.file, s.codes_at, s.sums_at, s.d),
                )
            });
            m.cursors.push(SegCursor {
                keys,
                vectors,
                scale: 0.0,
                codes: Vec::new(),
            });
        }
        for i in 0..m.cursors.len() {
            m.refill(i)?;
        }
        Ok(m)
    }

    fn refill(&mut self, i: usize) -> std::io::Result<()> {
        if let Some(k) = self.cursors[i].advance()? {
            self.heap.push(Reverse((k, i)));
        }
        Ok(())
    }

    /// The next key (its vector is then [`Merged::current`]).
    fn next_key(&mut self) -> std::io::Result<Option<Key>> {
        if let Some(i) = self.pending.take() {
            self.refill(i)?;
        }
        while let Some(Reverse((k, i))) = self.heap.pop() {
            if self.last == Some(k) {
                self.refill(i)?;
                continue;
            }
            self.last = Some(k);
            self.pending = Some(i);
            return Ok(Some(k));
        }
        Ok(None)
    }

    /// The scale and coordinates of the key last returned (when opened with vectors).
    fn current(&self) -> (f32, &[u8]) {
        let c = &self.cursors[self.pending.expect("a key was returned")];
        (c.scale, &c.codes)
    }
}

/// The next term of a dictionary stream that some live document holds, as a key.
macro_rules! next_alive {
    ($stream:expr, $bits:expr) => {{
        let mut found = None;
        while $stream.advance() {
            let ord = $stream.term_ord();
            if bit($bits, ord) {
                if let Some(k) = key_of_hex($stream.key()) {
                    found = Some((k, ord));
                    break;
                }
            }
        }
        found
    }};
}

fn bit(bits: &[u64], i: u64) -> bool {
    bits.get((i / 64) as usize)
        .is_some_and(|w| w >> (i % 64) & 1 == 1)
}

fn set_bit(bits: &mut [u64], i: u64) {
    if let Some(w) = bits.get_mut((i / 64) as usize) {
        *w |= 1 << (i % 64);
    }
}

fn clear_bit(bits: &mut [u64], i: u64) {
    if let Some(w) = bits.get_mut((i / 64) as usize) {
        *w &= !(1 << (i % 64));
    }
}

/// Each tantivy segment's `hash` column and which of its terms a live document holds.
type Columns = [Option<(tantivy::columnar::StrColumn, Vec<u64>)>];

/// The index's segments as the embedder reads them.
///
/// tantivy maps each file of an index once per open [`Index`], and a page stays in the
/// memory of the process while any reader of that index holds the file. So the embedder,
/// which runs for hours at a million texts in `heard serve`, reads through a handle of its
/// own on the same files, and opens a segment's files only for a round of texts at a time:
/// the pages it reads are let go as it goes, and the pages a search of the server reads are
/// let go when the search lets go of them. (One shared reader held for the whole run kept
/// `heard serve` over a gigabyte at a million sources, BENCHMARKS.md.)
///
/// The segments themselves are taken from the index the caller holds: while the embedder
/// keeps them, that index's writer does not delete their files.
struct OwnHandle {
    own: Index,
    segments: Vec<tantivy::Segment>,
}

impl OwnHandle {
    fn open(state_dir: &Path, index: &Index) -> anyhow::Result<OwnHandle> {
        let dir = state_dir.join(super::INDEX_DIR);
        let own = super::directory::LibraryDirectory::open(&dir)
            .map_err(tantivy::TantivyError::from)
            .and_then(Index::open)
            .with_context(|| format!("failed to open the index in `{}`", dir.display()))?;
        let segments = index
            .searchable_segments()
            .context("failed to open the index")?;
        Ok(OwnHandle { own, segments })
    }

    /// Open one segment for reading, through the embedder's own handle.
    fn open_one(&self, i: usize) -> tantivy::Result<SegmentReader> {
        SegmentReader::open(&self.own.segment(self.segments[i].meta().clone()))
    }

    /// Open every segment (for the census of what has a vector).
    fn open_all(&self) -> tantivy::Result<Vec<SegmentReader>> {
        (0..self.segments.len()).map(|i| self.open_one(i)).collect()
    }
}

/// Which of each segment's `hash` terms a live document holds: one bit per term.
fn alive_terms(readers: &[SegmentReader]) -> Vec<Option<(tantivy::columnar::StrColumn, Vec<u64>)>> {
    readers
        .iter()
        .map(|seg| {
            let col = seg.fast_fields().str("hash").ok().flatten()?;
            let mut bits = vec![0u64; col.num_terms().div_ceil(64)];
            for doc in seg.doc_ids_alive() {
                for t in col.term_ords(doc) {
                    set_bit(&mut bits, t);
                }
            }
            Some((col, bits))
        })
        .collect()
}

/// Call `f` with every text of the index once, in key order: its key, its tantivy segment
/// and its term ordinal there. Streams the segments' sorted dictionaries side by side.
fn for_each_live(
    columns: &Columns,
    mut f: impl FnMut(Key, usize, u64) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut streams = Vec::new();
    for c in columns {
        streams.push(match c {
            Some((col, _)) => Some(col.dictionary().stream()?),
            None => None,
        });
    }
    let mut heap: BinaryHeap<Reverse<(Key, usize, u64)>> = BinaryHeap::new();
    for (i, s) in streams.iter_mut().enumerate() {
        if let (Some(s), Some((_, bits))) = (s.as_mut(), &columns[i]) {
            if let Some((k, ord)) = next_alive!(s, bits) {
                heap.push(Reverse((k, i, ord)));
            }
        }
    }
    let mut last: Option<Key> = None;
    while let Some(Reverse((k, i, ord))) = heap.pop() {
        if last != Some(k) {
            last = Some(k);
            f(k, i, ord)?;
        }
        if let (Some(s), Some((_, bits))) = (streams[i].as_mut(), &columns[i]) {
            if let Some((k, ord)) = next_alive!(s, bits) {
                heap.push(Reverse((k, i, ord)));
            }
        }
    }
    Ok(())
}

/// How a key of the index and a key of the store meet.
enum Met {
    /// A text with a vector.
    Both,
    /// A text without one (its tantivy segment and term ordinal).
    Missing(usize, u64),
    /// A vector whose text left the library.
    Stale,
}

/// Walk the index's texts and the store's vectors side by side, in key order.
fn join(
    columns: &Columns,
    store: &mut Merged<'_>,
    mut f: impl FnMut(Met, &Key, &Merged<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut cur = store.next_key()?;
    for_each_live(columns, |k, seg, ord| {
        while let Some(s) = cur.filter(|s| *s < k) {
            f(Met::Stale, &s, store)?;
            cur = store.next_key()?;
        }
        if cur == Some(k) {
            f(Met::Both, &k, store)?;
            cur = store.next_key()?;
        } else {
            f(Met::Missing(seg, ord), &k, store)?;
        }
        Ok(())
    })?;
    while let Some(s) = cur {
        f(Met::Stale, &s, store)?;
        cur = store.next_key()?;
    }
    Ok(())
}

/// What the index and the store hold, counted side by side.
struct Census {
    /// Texts in the index.
    texts: usize,
    /// Of those, texts with a vector.
    known: usize,
    /// Vectors whose text left the library.
    stale: usize,
    /// The texts without a vector: a bit per term of each tantivy segment.
    missing: Vec<Vec<u64>>,
}

fn census(columns: &Columns, store: &Store) -> anyhow::Result<Census> {
    let mut c = Census {
        texts: 0,
        known: 0,
        stale: 0,
        missing: columns
            .iter()
            .map(|x| x.as_ref().map_or(Vec::new(), |(_, b)| vec![0u64; b.len()]))
            .collect(),
    };
    let mut keys = store.keys()?;
    join(columns, &mut keys, |met, _, _| {
        match met {
            Met::Both => {
                c.texts += 1;
                c.known += 1;
            }
            Met::Missing(seg, ord) => {
                c.texts += 1;
                set_bit(&mut c.missing[seg], ord);
            }
            Met::Stale => c.stale += 1,
        }
        Ok(())
    })?;
    Ok(c)
}

/// Merge segments into one: all of them (dropping the vectors of texts no longer in the
/// index, when `columns` are given) or some of them. The merged segment is written before
/// its parts are removed, so an interruption leaves at worst a text stored twice.
fn merge(store: &mut Store, which: &[usize], columns: Option<&Columns>) -> anyhow::Result<usize> {
    let parts: Vec<Segment> = {
        let mut taken = Vec::new();
        let mut rest = Vec::new();
        for (i, s) in std::mem::take(&mut store.segments).into_iter().enumerate() {
            if which.contains(&i) {
                taken.push(s);
            } else {
                rest.push(s);
            }
        }
        store.segments = rest;
        taken
    };
    let Some(d) = parts.first().map(|s| s.d) else {
        return Ok(0);
    };
    // First count what is kept (the header says how many), then write it.
    let mut count = 0;
    let mut dropped = 0;
    match columns {
        Some(cols) => join(cols, &mut Merged::new(&parts, false)?, |met, _, _| {
            match met {
                Met::Both => count += 1,
                Met::Stale => dropped += 1,
                Met::Missing(..) => {}
            }
            Ok(())
        })?,
        None => {
            let mut m = Merged::new(&parts, false)?;
            while m.next_key()?.is_some() {
                count += 1;
            }
        }
    }
    if count > 0 {
        let mut w = SegmentWriter::new(&store.dir, count, d)?;
        let mut m = Merged::new(&parts, true)?;
        match columns {
            Some(cols) => join(cols, &mut m, |met, k, m| {
                if let Met::Both = met {
                    let (s, c) = m.current();
                    w.push(k, s, c)?;
                }
                Ok(())
            })?,
            None => {
                while let Some(k) = m.next_key()? {
                    let (s, c) = m.current();
                    w.push(&k, s, c)?;
                }
            }
        }
        let p = w.finish(&store.dir)?;
        store
            .segments
            .push(Segment::open(&p).map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    for s in &parts {
        let _ = std::fs::remove_file(&s.path);
    }
    Ok(dropped)
}

/// Keep the number of segments small: whenever [`MERGE_TIER`] segments are of one size
/// tier (a power of 4 of their count), merge them. Each vector is then rewritten about
/// log4(size) times in all, and a store has a few segments per tier.
fn merge_tiers(store: &mut Store) -> anyhow::Result<()> {
    loop {
        let tier = |n: usize| (usize::BITS - n.max(1).leading_zeros()) / 2;
        let mut by_tier: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
        for (i, s) in store.segments.iter().enumerate() {
            by_tier.entry(tier(s.count)).or_default().push(i);
        }
        let Some(group) = by_tier.into_values().find(|g| g.len() >= MERGE_TIER) else {
            return Ok(());
        };
        merge(store, &group, None)?;
    }
}

/// Import a store of format 1 (one file, vectors in any order) as segments, streaming it.
fn import_format_1(old: &Path, dir: &Path) -> Result<(), String> {
    use std::io::Read;
    let mut f =
        std::io::BufReader::new(File::open(old).map_err(|e| format!("it cannot be read ({e})"))?);
    let len = std::fs::metadata(old).map_err(|e| e.to_string())?.len();
    let mut head = [0u8; 16];
    f.read_exact(&mut head).map_err(|_| "it is cut short")?;
    if &head[..8] != MAGIC || u32::from_le_bytes(head[8..12].try_into().expect("4")) != 1 {
        return Err("it is in an older format".into());
    }
    let hlen = u32::from_le_bytes(head[12..16].try_into().expect("4")) as usize;
    let mut h = vec![0u8; hlen.min(1 << 20)];
    f.read_exact(&mut h)
        .map_err(|_| "its header cannot be read")?;
    #[derive(Deserialize)]
    struct Old {
        model: pocket_encoder::ModelInfo,
        dimensions: usize,
        count: usize,
    }
    let o: Old = serde_json::from_slice(&h).map_err(|_| "its header cannot be read")?;
    if o.model != model() {
        return Err("it was made by another model".into());
    }
    let rec = 36 + o.dimensions;
    if o.dimensions == 0 || len != (16 + hlen + o.count * rec + 32) as u64 {
        return Err("its size does not match its header".into());
    }
    // Check the whole file first, then copy it in sorted chunks.
    let mut sum = blake3::Hasher::new();
    sum.update(&head);
    sum.update(&h);
    let mut buf = vec![0u8; rec];
    let mut chunk = Vec::new();
    let mut written = Vec::new();
    let fail = |written: &[PathBuf], why: &str| {
        for p in written {
            let _ = std::fs::remove_file(p);
        }
        why.to_string()
    };
    for i in 0..o.count {
        f.read_exact(&mut buf)
            .map_err(|_| fail(&written, "it is cut short"))?;
        sum.update(&buf);
        let key: Key = buf[..32].try_into().expect("32");
        let scale = f32::from_le_bytes(buf[32..36].try_into().expect("4"));
        chunk.push((key, scale, buf[36..].to_vec()));
        if chunk.len() == 50_000 || i + 1 == o.count {
            if let Some(p) = write_segment(dir, std::mem::take(&mut chunk))
                .map_err(|e| fail(&written, &format!("it cannot be copied ({e})")))?
            {
                written.push(p);
            }
        }
    }
    let mut tail = [0u8; 32];
    f.read_exact(&mut tail)
        .map_err(|_| fail(&written, "it is cut short"))?;
    if sum.finalize().as_bytes() != &tail {
        return Err(fail(&written, "its checksum does not match"));
    }
    Ok(())
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

/// What the store knew of the index when last counted (`embeddings/state.json`): while the
/// index and the segments are the same, the coverage is known without reading either.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Counted {
    model: pocket_encoder::ModelInfo,
    state: String,
    segments: Vec<String>,
    texts: usize,
    known: usize,
}

fn read_counted(state_dir: &Path) -> Option<Counted> {
    let bytes = std::fs::read(state_path(state_dir)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Record how much of the index `store` knows (by the embedding process, at the end of a
/// refresh and at every checkpoint of one).
fn write_counted(
    state_dir: &Path,
    state: &str,
    store: &Store,
    texts: usize,
    known: usize,
) -> anyhow::Result<()> {
    let counted = Counted {
        model: model(),
        state: state.to_string(),
        segments: store.names(),
        texts,
        known,
    };
    std::fs::create_dir_all(path(state_dir))?;
    crate::fsutil::write_atomic(&state_path(state_dir), &serde_json::to_vec(&counted)?)?;
    Ok(())
}

/// How much of the library's meaning is known: recorded in a draft's provenance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Coverage {
    /// Texts (passages, quotes, recommendations) in the library.
    pub texts: usize,
    /// Of those, texts whose meaning was known (the others were found by their words only).
    pub known: usize,
}

impl Coverage {
    /// Whether every text's meaning is known.
    pub fn complete(&self) -> bool {
        self.known >= self.texts
    }

    /// About how long embedding the rest takes on this machine, in words ("about 3 minutes").
    pub fn time_to_complete(&self) -> String {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        time_in_words(self.texts.saturating_sub(self.known), threads)
    }
}

/// About how long embedding `texts` takes on `threads` threads, in words ("about 3 minutes").
pub fn time_in_words(texts: usize, threads: usize) -> String {
    let secs = (texts as u64 * CPU_MS_PER_TEXT).div_ceil(1000 * threads.max(1) as u64);
    match secs {
        0..=89 => format!("about {} seconds", secs.max(1)),
        90..=5_399 => format!("about {} minutes", secs.div_ceil(60)),
        _ => format!("about {:.1} hours", secs as f64 / 3600.0),
    }
}

/// What to say, once, when a draft or a search by meaning could not use the meaning of
/// every text: how much is known, and what completes it. `None` when everything is known.
pub fn coverage_note(c: &Coverage, watcher: Option<&str>) -> Option<String> {
    if c.complete() {
        return None;
    }
    let how = match watcher {
        Some(who) => format!(
            "{who} is completing it in the background, or `heard index` does it now ({} of work)",
            c.time_to_complete()
        ),
        None => format!(
            "`heard index` completes it ({} of work), or a running `heard watch` or `heard serve` does it in the background",
            c.time_to_complete()
        ),
    };
    Some(format!(
        "note: the meaning of {} of {} texts is known, so the rest were found by their words only (those looked at were read for their meaning now); {how}",
        c.known, c.texts
    ))
}

/// What the embedding stage of a refresh did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Texts embedded now.
    pub embedded: usize,
    /// Vectors dropped because their text is no longer in the library.
    pub dropped: usize,
    /// Texts of the library with a vector now.
    pub vectors: usize,
    /// Texts in the library.
    pub texts: usize,
    /// Why (part of) the store was rebuilt from nothing, when it was.
    pub rebuilt: Option<String>,
}

impl Report {
    /// How much of the library's meaning is known.
    pub fn coverage(&self) -> Coverage {
        Coverage {
            texts: self.texts,
            known: self.vectors.min(self.texts),
        }
    }
}

/// How far to bring the store up to date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// Embed every text without a vector, on every core (`heard index`).
    Everything,
    /// Embed every text without a vector on one thread, leaving the others to searches
    /// (`heard watch`, `heard serve`).
    Background,
    /// Embed them only if there are at most this many; else only count them (a draft, a
    /// search by meaning).
    UpTo(usize),
    /// Only count them (another process is embedding).
    Count,
}

/// The threshold of [`Mode::UpTo`]: [`EMBED_ALL_BELOW`], or `HEARD_EMBED_ALL_BELOW`.
pub fn embed_all_below() -> usize {
    std::env::var("HEARD_EMBED_ALL_BELOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(EMBED_ALL_BELOW)
}

fn checkpoint_texts() -> usize {
    std::env::var("HEARD_EMBED_CHECKPOINT")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(CHECKPOINT_TEXTS)
}

/// Bring the store up to date with the index as far as `mode` says: embed the texts it has
/// no vector for (saving every checkpoint), drop the vectors of texts no longer indexed
/// when enough have built up, and count how much is known. The caller holds the embedding
/// lock unless the mode is [`Mode::Count`].
pub fn refresh(
    state_dir: &Path,
    index: &Index,
    fields: &Fields,
    progress: &dyn Progress,
    mode: Mode,
) -> anyhow::Result<Report> {
    let dir = path(state_dir);
    let state = index_state(index);
    if let Some(k) = read_counted(state_dir) {
        let names: Vec<String> = segment_paths(&dir)
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        let missing = k.texts.saturating_sub(k.known);
        let same = k.state == state && k.segments == names;
        let usable = match mode {
            Mode::UpTo(t) => same && missing > t,
            // Another process is embedding: it saves a segment, and then its count, at every
            // checkpoint (and counts when it starts), so the store's files change under every
            // draft, and the index under a watcher's long run. Its last count stands: a
            // census of every text would cost each draft seconds at 1M. It is at most a
            // checkpoint behind, and leaves out texts a search embedded since and texts
            // added since that process started (its next run counts them).
            Mode::Count => true,
            Mode::Everything | Mode::Background => same && missing == 0,
        };
        if k.model == model() && usable {
            return Ok(Report {
                vectors: k.known,
                texts: k.texts,
                ..Report::default()
            });
        }
    }
    let mut report = Report::default();
    // Every byte is checked when the whole store is gone over anyway; a draft or a search
    // checks sizes only (a store of a million vectors is 420 MB).
    let verify = matches!(mode, Mode::Everything | Mode::Background);
    let (mut store, rebuilt) = Store::open(state_dir, verify);
    report.rebuilt = rebuilt.into_iter().next();
    let segments = OwnHandle::open(state_dir, index)?;
    let mut c = {
        let readers = segments.open_all().context("failed to open the index")?;
        census(&alive_terms(&readers), &store)?
    };
    report.texts = c.texts;
    let missing = c.texts - c.known;
    let embed_now = match mode {
        Mode::UpTo(t) => missing <= t,
        Mode::Count => false,
        Mode::Everything | Mode::Background => true,
    };
    if missing > 0 && embed_now {
        let (texts, known) = (c.texts, c.known);
        // Counted now, for the drafts that run beside this (Mode::Count) from the start.
        write_counted(state_dir, &state, &store, texts, known)?;
        let counted = |store: &Store, embedded: usize| {
            write_counted(state_dir, &state, store, texts, known + embedded)
        };
        report.embedded = embed_missing(
            &mut store, &segments, fields, &mut c, progress, mode, &counted,
        )?;
    }
    let kept = store.len();
    if embed_now && c.stale > 0 && (c.stale * STALE_SHARE >= kept || kept <= SMALL_STORE) {
        // Opened again: a segment another process has since merged away and deleted cannot
        // be, and then nothing is dropped (dropping by a partial view would drop live texts).
        if let Ok(readers) = segments.open_all() {
            let all: Vec<usize> = (0..store.segments.len()).collect();
            report.dropped = merge(&mut store, &all, Some(&alive_terms(&readers)))?;
        }
    }
    report.vectors = c.known + report.embedded;
    if mode != Mode::Count {
        write_counted(state_dir, &state, &store, report.texts, report.vectors)?;
    }
    Ok(report)
}

/// Embed every text the census found without a vector, reading them segment by segment
/// in document order, and save a segment every checkpoint, then `counted(store, embedded
/// so far)`. Returns how many were embedded.
/// A segment is open only while a round of texts is read from it, never while they are
/// embedded (see [`OwnHandle`]).
fn embed_missing(
    store: &mut Store,
    segments: &OwnHandle,
    fields: &Fields,
    c: &mut Census,
    progress: &dyn Progress,
    mode: Mode,
    counted: &dyn Fn(&Store, usize) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    use tantivy::schema::Value;
    let total = c.texts - c.known;
    let threads = if mode == Mode::Background {
        1
    } else {
        rayon::current_num_threads()
    };
    let round = BATCH * threads * 2;
    let checkpoint = checkpoint_texts();
    let mut todo: Vec<(Key, String)> = Vec::with_capacity(round);
    let mut done: Vec<(Key, f32, Vec<u8>)> = Vec::new();
    let mut saved_at = Instant::now();
    let mut embedded = 0;
    progress.start(total);
    let mut run_round = |todo: &mut Vec<(Key, String)>,
                         done: &mut Vec<(Key, f32, Vec<u8>)>,
                         last: bool|
     -> anyhow::Result<()> {
        if !todo.is_empty() {
            let texts: Vec<&str> = todo.iter().map(|(_, t)| t.as_str()).collect();
            let vectors: Vec<Vec<f32>> = if threads == 1 {
                let mut out = Vec::new();
                for chunk in texts.chunks(BATCH) {
                    out.extend(embed(chunk)?);
                    for _ in chunk {
                        progress.tick();
                    }
                }
                out
            } else {
                let parts: Vec<anyhow::Result<Vec<Vec<f32>>>> = texts
                    .par_chunks(BATCH)
                    .map(|chunk| {
                        let v = embed(chunk);
                        for _ in chunk {
                            progress.tick();
                        }
                        v
                    })
                    .collect();
                let mut out = Vec::new();
                for p in parts {
                    out.extend(p?);
                }
                out
            };
            for ((k, _), v) in todo.drain(..).zip(vectors) {
                let (s, codes) = quantise(&v);
                done.push((k, s, codes));
            }
        }
        if !done.is_empty()
            && (last
                || done.len() >= checkpoint
                || saved_at.elapsed() >= Duration::from_secs(CHECKPOINT_SECS))
        {
            embedded += done.len();
            if let Some(p) = write_segment(&store.dir, std::mem::take(done))? {
                store
                    .segments
                    .push(Segment::open(&p).map_err(|e| anyhow::anyhow!("{e}"))?);
            }
            merge_tiers(store)?;
            counted(store, embedded)?;
            saved_at = Instant::now();
        }
        Ok(())
    };
    let mut s = String::new();
    for (si, segment) in segments.segments.iter().enumerate() {
        let missing = &mut c.missing[si];
        let mut next_doc = 0;
        while missing.iter().any(|w| *w != 0) {
            // Opened for this round only. A segment another process has merged away and
            // deleted since the census cannot be opened: its texts wait for the next run.
            let Ok(seg) = segments.open_one(si) else {
                break;
            };
            let Some(col) = seg.fast_fields().str("hash").ok().flatten() else {
                break;
            };
            let docs = seg
                .get_store_reader(1)
                .context("failed to read the index")?;
            while next_doc < seg.max_doc() && todo.len() < round {
                let doc = next_doc;
                next_doc += 1;
                if seg.is_deleted(doc) {
                    continue;
                }
                for t in col.term_ords(doc) {
                    if !bit(missing, t) {
                        continue;
                    }
                    clear_bit(missing, t);
                    s.clear();
                    col.ord_to_str(t, &mut s)?;
                    let Some(k) = key_of_hex(s.as_bytes()) else {
                        continue;
                    };
                    let d: TantivyDocument = docs.get(doc).context("failed to read the index")?;
                    let body = d
                        .get_first(fields.body)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string();
                    todo.push((k, body));
                }
            }
            drop((docs, col, seg));
            if next_doc >= segment.meta().max_doc() {
                break;
            }
            run_round(&mut todo, &mut done, false)?;
        }
    }
    run_round(&mut todo, &mut done, true)?;
    progress.finish();
    Ok(embedded)
}

/// Embed texts a search is looking at that have no vector yet, and save them as a segment
/// (a failure to save only means they are embedded again next time). Returns the vectors
/// as stored (8-bit), in the order given.
pub fn embed_and_save(
    state_dir: &Path,
    texts: &[(Key, &str)],
) -> anyhow::Result<Vec<(f32, Vec<u8>)>> {
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<anyhow::Result<Vec<Vec<f32>>>> = texts
        .par_chunks(BATCH)
        .map(|chunk| embed(&chunk.iter().map(|(_, t)| *t).collect::<Vec<_>>()))
        .collect();
    let mut out = Vec::new();
    for p in parts {
        out.extend(p?.iter().map(|v| quantise(v)));
    }
    let rows = texts
        .iter()
        .zip(&out)
        .map(|((k, _), (s, c))| (*k, *s, c.clone()))
        .collect();
    let dir = path(state_dir);
    let saved = write_segment(&dir, rows);
    // Keep the segments few; skipped while another process embeds (it merges them).
    if saved.is_ok() {
        if let Ok(lock) = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(state_dir.join(LOCK))
        {
            if lock.try_lock().is_ok() {
                let (mut store, _) = Store::open(state_dir, false);
                let _ = merge_tiers(&mut store);
            }
        }
    }
    Ok(out)
}

/// The lock of whoever embeds the library, under `.heard/`.
pub const LOCK: &str = "embed.lock";

/// Cosine of a unit query with a vector as stored.
pub fn cosine_of(query: &[f32], stored: &(f32, Vec<u8>)) -> Option<f32> {
    (stored.1.len() == query.len()).then(|| dot(&stored.1, stored.0, query))
}

/// The stored vector of a text, if it has one.
pub fn stored(store: &Store, key: &Key) -> Option<(f32, Vec<u8>)> {
    store.vector(key)
}

/// The key of a text from its hex form (as in the index's `hash` field).
pub fn key_of(hex: &str) -> Option<Key> {
    key_of_hex(hex.as_bytes())
}

/// Write `n` random unit vectors (random keys) into the store of `state_dir`, through the
/// store's own writer, in checkpoint-sized segments merged as `heard index` merges them:
/// for measuring a large store without embedding a large library.
#[doc(hidden)]
pub fn write_random_store(state_dir: &Path, n: usize, seed: u64) -> anyhow::Result<usize> {
    let d = model().dimensions;
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    std::fs::create_dir_all(path(state_dir))?;
    let mut rows = Vec::new();
    for i in 0..n {
        let mut key = [0u8; 32];
        for c in key.chunks_mut(8) {
            c.copy_from_slice(&next().to_le_bytes());
        }
        let v: Vec<f32> = (0..d)
            .map(|_| (next() % 2001) as f32 / 1000.0 - 1.0)
            .collect();
        let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt().max(1e-6);
        let v: Vec<f32> = v.into_iter().map(|a| a / norm).collect();
        let (s, c) = quantise(&v);
        rows.push((key, s, c));
        if rows.len() == 100_000 || i + 1 == n {
            write_segment(&path(state_dir), std::mem::take(&mut rows))?;
            let (mut store, _) = Store::open(state_dir, false);
            merge_tiers(&mut store)?;
        }
    }
    let (store, _) = Store::open(state_dir, false);
    Ok(store.len())
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

    fn key(i: u32) -> Key {
        *blake3::hash(&i.to_le_bytes()).as_bytes()
    }

    fn rows(range: std::ops::Range<u32>) -> Vec<(Key, f32, Vec<u8>)> {
        range
            .map(|i| {
                let (s, c) = quantise(&unit(i));
                (key(i), s, c)
            })
            .collect()
    }

    #[test]
    fn a_store_round_trips_and_finds_the_nearest_vector() {
        let dir = tempfile::tempdir().unwrap();
        write_segment(&path(dir.path()), rows(0..20)).unwrap();
        write_segment(&path(dir.path()), rows(20..45)).unwrap();
        let (store, rebuilt) = Store::open(dir.path(), true);
        assert!(rebuilt.is_empty());
        assert_eq!(store.len(), 45);
        let best = store.nearest(&unit(30), 3);
        assert_eq!(best[0].0, key(30));
        assert!((best[0].1 - 1.0).abs() < 0.02, "8-bit cosine {}", best[0].1);
        assert_eq!(
            store.cosine(&unit(7), &key(7)).unwrap(),
            best_cosine(&store, 7)
        );
        assert!(store.cosine(&unit(7), &key(99)).is_none());
    }

    fn best_cosine(store: &Store, i: u32) -> f32 {
        store.nearest(&unit(i), 1)[0].1
    }

    #[test]
    fn a_streamed_search_ranks_as_a_search_of_every_vector_does() {
        let dir = tempfile::tempdir().unwrap();
        // More than one chunk, over several segments.
        for part in 0..3 {
            write_segment(&path(dir.path()), rows(part * 3_000..(part + 1) * 3_000)).unwrap();
        }
        let (store, _) = Store::open(dir.path(), false);
        let queries = [unit(5), unit(4_321), unit(8_999)];
        let qs: Vec<&[f32]> = queries.iter().map(Vec::as_slice).collect();
        let found = store.nearest_many(&qs, 25);
        for (q, got) in queries.iter().zip(found) {
            let mut all: Vec<(Key, f32)> = (0..9_000)
                .map(|i| {
                    let (s, c) = quantise(&unit(i));
                    (key(i), dot(&c, s, q))
                })
                .collect();
            all.sort_by(|a, b| b.1.total_cmp(&a.1));
            let want: Vec<f32> = all[..25].iter().map(|x| x.1).collect();
            let have: Vec<f32> = got.iter().map(|x| x.1).collect();
            assert_eq!(have, want);
        }
    }

    fn random_unit(seed: u64) -> Vec<f32> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let v: Vec<f32> = (0..384)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 2001) as f32 / 1000.0 - 1.0
            })
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect()
    }

    /// Every vector of a store, scored in full against `q`, best first (ties: earlier row).
    fn every_cosine(store: &Store, q: &[f32]) -> Vec<(Key, f32)> {
        let mut all = Vec::new();
        for (si, seg) in store.segments.iter().enumerate() {
            for i in 0..seg.count {
                let (s, c) = seg.vector(i).unwrap();
                all.push((dot(&c, s, q), (si, i), seg.key(i).unwrap()));
            }
        }
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        all.into_iter().map(|(c, _, k)| (k, c)).collect()
    }

    #[test]
    fn the_whole_number_prefilter_finds_the_exact_nearest_and_scores_few_in_full() {
        let dir = tempfile::tempdir().unwrap();
        write_random_store(dir.path(), 20_000, 7).unwrap();
        let (store, _) = Store::open(dir.path(), false);
        assert_eq!(store.len(), 20_000);
        // Five random queries, and five close to a stored vector (a clear nearest).
        let mut queries: Vec<Vec<f32>> = (0..5).map(|i| random_unit(i + 1)).collect();
        for i in 0..5 {
            let (s, c) = store.segments[0].vector(1_000 * i + 17).unwrap();
            let v: Vec<f32> = c
                .iter()
                .zip(unit(i as u32))
                .map(|(c, n)| *c as i8 as f32 * s + 0.02 * n)
                .collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            queries.push(v.into_iter().map(|x| x / norm).collect());
        }
        let qs: Vec<&[f32]> = queries.iter().map(Vec::as_slice).collect();
        let exact: Vec<Vec<(Key, f32)>> = qs.iter().map(|q| every_cosine(&store, q)).collect();
        for limit in [10, 1_024] {
            let (found, count) = store.scan(&qs, limit);
            for (got, want) in found.iter().zip(&exact) {
                assert_eq!(got.len(), limit);
                // The same texts, in the same order, with the same cosines to the last bit.
                assert_eq!(got[..], want[..limit], "limit {limit}");
            }
            assert_eq!(count.vectors, 20_000);
            if limit == 10 {
                // Nearly every vector is left out after its whole-number score: at most
                // 5% of the 200,000 cosines are worked out in full.
                assert!(count.full < 10_000, "{count:?}");
            }
        }
        assert_eq!(store.nearest(qs[7], 1)[0], exact[7][0]);
    }

    #[test]
    fn segments_of_one_tier_are_merged_and_keys_stay_unique() {
        let dir = tempfile::tempdir().unwrap();
        for part in 0..4u32 {
            // Overlapping: a text stored twice (an interrupted merge) is kept once.
            write_segment(&path(dir.path()), rows(part * 10..part * 10 + 12)).unwrap();
        }
        let (mut store, _) = Store::open(dir.path(), true);
        assert_eq!(store.segments.len(), 4);
        merge_tiers(&mut store).unwrap();
        assert_eq!(store.segments.len(), 1);
        assert_eq!(store.len(), 42);
        let (again, rebuilt) = Store::open(dir.path(), true);
        assert!(rebuilt.is_empty(), "{rebuilt:?}");
        assert_eq!(again.len(), 42);
        assert!(again.cosine(&unit(41), &key(41)).is_some());
    }

    #[test]
    fn a_damaged_or_cut_segment_is_refused_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_segment(&path(dir.path()), rows(0..3))
            .unwrap()
            .unwrap();
        let mut bytes = std::fs::read(&p).unwrap();
        let mid = bytes.len() - 200;
        bytes[mid] ^= 0x55;
        std::fs::write(&p, &bytes).unwrap();
        assert!(
            Segment::open(&p)
                .unwrap()
                .verify()
                .unwrap_err()
                .contains("checksum")
        );
        std::fs::write(&p, &bytes[..bytes.len() - 40]).unwrap();
        assert!(Segment::open(&p).unwrap_err().contains("cut short"));
        std::fs::write(&p, b"not an embeddings file at all").unwrap();
        assert!(Segment::open(&p).is_err());
        let (store, rebuilt) = Store::open(dir.path(), true);
        assert_eq!((store.len(), rebuilt.len()), (0, 1));
        assert!(!p.exists(), "the damaged part is removed");
    }

    #[test]
    fn a_store_of_another_model_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_segment(&path(dir.path()), rows(0..2))
            .unwrap()
            .unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let rev = model().revision;
        let at = text.find(&rev).unwrap();
        let mut changed = bytes.clone();
        changed[at] = if changed[at] == b'0' { b'1' } else { b'0' };
        std::fs::write(&p, &changed).unwrap();
        assert!(Segment::open(&p).unwrap_err().contains("another model"));
    }

    #[test]
    fn a_store_of_format_1_is_imported_not_embedded_again() {
        let dir = tempfile::tempdir().unwrap();
        // Format 1: header, then key, scale and coordinates per vector, then a hash.
        let header = serde_json::json!({
            "model": model(), "state": "x", "dimensions": 384, "count": 3
        });
        let header = serde_json::to_vec(&header).unwrap();
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        for (k, s, c) in rows(0..3) {
            out.extend_from_slice(&k);
            out.extend_from_slice(&s.to_le_bytes());
            out.extend_from_slice(&c);
        }
        let sum = blake3::hash(&out);
        out.extend_from_slice(sum.as_bytes());
        std::fs::write(old_path(dir.path()), out).unwrap();
        let (store, rebuilt) = Store::open(dir.path(), true);
        assert!(rebuilt.is_empty(), "{rebuilt:?}");
        assert_eq!(store.len(), 3);
        assert!(!old_path(dir.path()).exists());
    }

    #[test]
    fn long_and_blank_texts_are_clipped_for_the_model() {
        assert_eq!(clip("  "), ".");
        assert_eq!(clip(&"a".repeat(5_000)).len(), MAX_CHARS);
    }

    #[test]
    fn hex_keys_read_back() {
        let k = key(3);
        let hex = blake3::Hash::from_bytes(k).to_hex().to_string();
        assert_eq!(key_of(&hex), Some(k));
        assert_eq!(key_of("zz"), None);
    }
}
