//! The floor for heard's indexing: a minimal tantivy program over the same files.
//!
//! ```sh
//! cargo run --release --example bare_tantivy -- index LIBRARY_DIR INDEX_DIR
//! cargo run --release --example bare_tantivy -- search INDEX_DIR benches/queries.txt [ROUNDS]
//! ```
//!
//! `index` walks `LIBRARY_DIR/corpus` for `.md` files with walkdir, reads them in parallel
//! with rayon and adds one document per file with a single `TEXT` field (tantivy's default
//! tokenizer: no front matter, no Markdown, no passages, no stemming), with the same writer
//! heap as heard (`WRITER_HEAP`, 64 MB, in `src/index/mod.rs`) and tantivy's default number
//! of indexing threads, then commits and waits for merges, as heard does. It prints one
//! JSON line: files, bytes, seconds, MB/s.
//!
//! `search` opens that index and runs the text part of every query in the query file (the
//! first tab-separated column; filters are ignored, as this index has no fields for them)
//! `ROUNDS` times (default 5) after one warm-up round, and prints the p50/p99 latency of
//! one search (top 10 by score plus the count) as a JSON line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use rayon::prelude::*;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::QueryParser;
use tantivy::schema::{Schema, TEXT};
use tantivy::{Index, TantivyDocument};

/// Same as heard's `WRITER_HEAP` (src/index/mod.rs).
const WRITER_HEAP: usize = 64 * 1024 * 1024;
/// Files read per batch, as heard's `BATCH`: bounds memory.
const BATCH: usize = 512;

fn index(library: &Path, out: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let corpus = library.join("corpus");
    let files: Vec<PathBuf> = walkdir::WalkDir::new(&corpus)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    let walked = started.elapsed();
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    std::fs::create_dir_all(out)?;
    let mut b = Schema::builder();
    let body = b.add_text_field("body", TEXT);
    let index = Index::create_in_dir(out, b.build())?;
    let mut writer = index.writer::<TantivyDocument>(WRITER_HEAP)?;
    let mut bytes = 0u64;
    for batch in files.chunks(BATCH) {
        let texts: Vec<String> = batch
            .par_iter()
            .map(|p| std::fs::read_to_string(p).with_context(|| format!("{}", p.display())))
            .collect::<anyhow::Result<_>>()?;
        for t in texts {
            bytes += t.len() as u64;
            let mut d = TantivyDocument::default();
            d.add_text(body, t);
            writer.add_document(d)?;
        }
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "files": files.len(),
            "bytes": bytes,
            "walk_seconds": walked.as_secs_f64(),
            "seconds": secs,
            "mb_per_s": bytes as f64 / 1e6 / secs,
        })
    );
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn search(dir: &Path, queries: &Path, rounds: usize) -> anyhow::Result<()> {
    let index = Index::open_in_dir(dir)?;
    let schema = index.schema();
    let body = schema.get_field("body")?;
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let mut parser = QueryParser::for_index(&index, vec![body]);
    parser.set_conjunction_by_default();
    let text = std::fs::read_to_string(queries)
        .with_context(|| format!("failed to read `{}`", queries.display()))?;
    let mut parsed = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let q = line.split('\t').next().unwrap_or_default().trim();
        // `title:`/`tag:` prefixes are heard's fields; this index only has the text.
        let q = q.replace("title:", "").replace("tag:", "");
        if q.is_empty() {
            continue;
        }
        match parser.parse_query(&q) {
            Ok(p) => parsed.push(p),
            Err(e) => eprintln!("skipped `{q}`: {e}"),
        }
    }
    let mut times = Vec::new();
    let mut hits = 0usize;
    for round in 0..=rounds {
        for q in &parsed {
            let t = Instant::now();
            let (top, count) = searcher.search(
                q.as_ref(),
                &(TopDocs::with_limit(10).order_by_score(), Count),
            )?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if round > 0 {
                times.push(ms);
                hits += top.len().min(count);
            }
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "queries": parsed.len(),
            "rounds": rounds,
            "p50_ms": percentile(&times, 50.0),
            "p99_ms": percentile(&times, 99.0),
            "max_ms": times.last().copied().unwrap_or(f64::NAN),
            "mean_hits": hits as f64 / times.len().max(1) as f64,
        })
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["index", lib, out] => index(Path::new(lib), Path::new(out)),
        ["search", dir, queries] => search(Path::new(dir), Path::new(queries), 5),
        ["search", dir, queries, rounds] => {
            search(Path::new(dir), Path::new(queries), rounds.parse()?)
        }
        _ => bail!(
            "usage: bare_tantivy index LIBRARY_DIR INDEX_DIR | bare_tantivy search INDEX_DIR QUERIES [ROUNDS]"
        ),
    }
}
