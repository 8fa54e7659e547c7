//! Where a first index build's time goes, field by field: the sources of a library are
//! read and parsed once, then indexed again and again with one part of heard's documents
//! left out each time, with the same writer heap as heard. Each line is one variant's wall
//! time (documents made on rayon threads, added, committed, merges waited for) and index size.
//!
//! ```sh
//! cargo run --release --example build_profile -- LIBRARY_DIR [VARIANT...]
//! ```
//!
//! Variants (all by default):
//! - `heard-before`: the documents heard made before slice B (a `whole` source document with
//!   its text indexed, and every passage, recommendation repeating the source's title,
//!   organisation, authors and consultation as indexed, stored text);
//! - `no-whole`: the same, with the whole text stored but not indexed;
//! - `lean`: no-whole, and parts index none of the source's prose metadata (title,
//!   organisation, authors, consultation), only its filters (kind, tags, dates, ...);
//! - `lean-store`: lean, and parts store none of the source's metadata either;
//! - `body-only`: parts hold their text, its key and their source id, nothing else;
//! - `one-doc-heard`: one document per source, its text with heard's analyzer;
//! - `one-doc-default`: one document per source, its text with tantivy's default analyzer
//!   (the bare floor, without reading files).
//!
//! A profiling aid: the schema here is a copy of `src/index/fields.rs` with switches.

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;
use tantivy::schema::{
    FAST, INDEXED, IndexRecordOption, STORED, STRING, Schema, TEXT, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, TantivyDocument};

use heard::corpus::{LoadOptions, Sensitivity, Source};

const WRITER_HEAP: usize = 64 * 1024 * 1024;
const BATCH: usize = 512;

#[derive(Clone, Copy, PartialEq)]
enum V {
    HeardBefore,
    NoWhole,
    Lean,
    LeanStore,
    BodyOnly,
    NoHash,
    HashFastOnly,
    BodyMin,
    OneDocHeard,
    OneDocDefault,
}

const ALL: [(&str, V); 10] = [
    ("heard-before", V::HeardBefore),
    ("no-whole", V::NoWhole),
    ("lean", V::Lean),
    ("lean-store", V::LeanStore),
    ("body-only", V::BodyOnly),
    ("no-hash", V::NoHash),
    ("hash-fast-only", V::HashFastOnly),
    ("body-min", V::BodyMin),
    ("one-doc-heard", V::OneDocHeard),
    ("one-doc-default", V::OneDocDefault),
];

struct F {
    id: tantivy::schema::Field,
    doc_type: tantivy::schema::Field,
    path: tantivy::schema::Field,
    source: tantivy::schema::Field,
    title: tantivy::schema::Field,
    body: tantivy::schema::Field,
    whole: tantivy::schema::Field,
    section: tantivy::schema::Field,
    kind: tantivy::schema::Field,
    tag: tantivy::schema::Field,
    date: tantivy::schema::Field,
    date_end: tantivy::schema::Field,
    date_text: tantivy::schema::Field,
    line_start: tantivy::schema::Field,
    line_end: tantivy::schema::Field,
    sensitivity: tantivy::schema::Field,
    consultation: tantivy::schema::Field,
    organisation: tantivy::schema::Field,
    author: tantivy::schema::Field,
    contributor: tantivy::schema::Field,
    hash: tantivy::schema::Field,
}

fn schema(v: V) -> (Schema, F) {
    let mut b = Schema::builder();
    let tok = if v == V::OneDocDefault {
        "default"
    } else {
        heard::index::analyzer::TEXT
    };
    let text = |stored: bool| {
        let o = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tok)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        if stored { o.set_stored() } else { o }
    };
    let keyword = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(heard::index::analyzer::KEYWORD)
                .set_index_option(IndexRecordOption::Basic),
        )
        .set_stored();
    let whole = if v == V::HeardBefore {
        TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tok)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
            .set_stored()
    } else {
        TextOptions::default().set_stored()
    };
    let f = F {
        id: b.add_text_field("id", STRING | STORED),
        doc_type: b.add_text_field("type", STRING | STORED),
        path: b.add_text_field("path", STRING | STORED),
        source: b.add_text_field("source", STRING | STORED | FAST),
        title: b.add_text_field("title", text(true)),
        body: b.add_text_field(
            "body",
            if v == V::OneDocDefault {
                TEXT
            } else {
                text(true)
            },
        ),
        whole: b.add_text_field("whole", whole),
        section: b.add_text_field("section", text(true)),
        kind: b.add_text_field("kind", keyword.clone()),
        tag: b.add_text_field("tag", keyword.clone()),
        date: b.add_i64_field("date", INDEXED | FAST | STORED),
        date_end: b.add_i64_field("date_end", INDEXED),
        date_text: b.add_text_field("date_text", STORED),
        line_start: b.add_u64_field("line_start", STORED),
        line_end: b.add_u64_field("line_end", STORED),
        sensitivity: b.add_text_field("sensitivity", keyword.clone()),
        consultation: b.add_text_field("consultation", text(true)),
        organisation: b.add_text_field("organisation", text(true)),
        author: b.add_text_field("author", text(true)),
        contributor: b.add_text_field("contributor", STRING | STORED),
        hash: b.add_text_field(
            "hash",
            if v == V::HashFastOnly {
                TextOptions::default().set_fast("raw")
            } else {
                TextOptions::default()
                    .set_indexing_options(
                        TextFieldIndexing::default()
                            .set_tokenizer(heard::index::analyzer::KEY)
                            .set_index_option(IndexRecordOption::Basic),
                    )
                    .set_fast("raw")
            },
        ),
    };
    (b.build(), f)
}

fn documents(v: V, f: &F, s: &Source) -> Vec<TantivyDocument> {
    if matches!(v, V::OneDocHeard | V::OneDocDefault) {
        let mut d = TantivyDocument::default();
        d.add_text(f.body, &s.text);
        return vec![d];
    }
    let date = s.parsed_date();
    let meta = |d: &mut TantivyDocument, part: bool| {
        d.add_text(f.path, &s.path);
        d.add_text(f.source, &s.id);
        let prose = !part || matches!(v, V::HeardBefore | V::NoWhole);
        if part && matches!(v, V::NoHash | V::HashFastOnly) {
            return;
        }
        let stored = !part || matches!(v, V::HeardBefore | V::NoWhole | V::Lean);
        let filters = !part || !matches!(v, V::BodyOnly | V::NoHash | V::HashFastOnly);
        if filters {
            d.add_text(f.kind, s.kind.as_str());
            d.add_text(f.sensitivity, s.sensitivity.as_str());
            for t in &s.meta.tags {
                d.add_text(f.tag, t);
            }
            if let Some(date) = date {
                d.add_i64(f.date, date.first_day());
                d.add_i64(f.date_end, date.last_day());
            }
            for c in &s.meta.contributors {
                d.add_text(f.contributor, c);
            }
        }
        if prose {
            d.add_text(f.title, &s.title);
            if let Some(c) = &s.meta.consultation {
                d.add_text(f.consultation, c);
            }
            if let Some(o) = &s.meta.organisation {
                d.add_text(f.organisation, o);
            }
            for a in &s.meta.authors {
                d.add_text(f.author, a);
            }
        }
        if stored {
            if let Some(t) = &s.date {
                d.add_text(f.date_text, t);
            }
        }
    };
    let mut docs = Vec::new();
    let mut whole = TantivyDocument::default();
    whole.add_text(f.id, &s.id);
    whole.add_text(f.doc_type, "source");
    meta(&mut whole, false);
    whole.add_text(f.whole, &s.text);
    docs.push(whole);
    for p in &s.passages {
        let mut d = TantivyDocument::default();
        if v == V::BodyMin {
            d.add_text(f.source, &s.id);
            d.add_text(f.body, &p.text);
            docs.push(d);
            continue;
        }
        d.add_text(f.id, format!("{}#L{}", s.id, p.line_start));
        d.add_text(f.doc_type, "passage");
        meta(&mut d, true);
        d.add_text(f.body, &p.text);
        if v != V::NoHash {
            d.add_text(f.hash, blake3::hash(p.text.as_bytes()).to_hex().as_str());
        }
        if !matches!(v, V::BodyOnly | V::NoHash | V::HashFastOnly) {
            d.add_text(f.section, &p.section);
        }
        d.add_u64(f.line_start, p.line_start as u64);
        d.add_u64(f.line_end, p.line_end as u64);
        docs.push(d);
    }
    docs
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let lib = PathBuf::from(args.next().expect("LIBRARY_DIR"));
    let wanted: Vec<String> = args.collect();
    let started = Instant::now();
    let files: Vec<PathBuf> = walkdir::WalkDir::new(lib.join("corpus"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    let opts = LoadOptions {
        default_sensitivity: Sensitivity::Internal,
        max_bytes: 1 << 24,
    };
    let sources: Vec<Source> = files
        .par_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(p).ok()?;
            let rel = p.strip_prefix(&lib).ok()?.to_string_lossy().into_owned();
            let id = rel.trim_start_matches("corpus/").trim_end_matches(".md");
            heard::corpus::load_bytes(&bytes, &rel, id, opts).source
        })
        .collect();
    let passages: usize = sources.iter().map(|s| s.passages.len()).sum();
    eprintln!(
        "{} sources, {passages} passages, read and parsed in {:.2} s",
        sources.len(),
        started.elapsed().as_secs_f64()
    );
    for (name, v) in ALL {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == name) {
            continue;
        }
        let dir = tempfile::tempdir()?;
        let (schema, f) = schema(v);
        let index = Index::create_in_dir(dir.path(), schema)?;
        heard::index::analyzer::register(&index);
        let t = Instant::now();
        let mut w = index.writer::<TantivyDocument>(WRITER_HEAP)?;
        let mut ndocs = 0usize;
        for batch in sources.chunks(BATCH) {
            let docs: Vec<Vec<TantivyDocument>> =
                batch.par_iter().map(|s| documents(v, &f, s)).collect();
            for d in docs.into_iter().flatten() {
                ndocs += 1;
                w.add_document(d)?;
            }
        }
        w.commit()?;
        w.wait_merging_threads()?;
        let secs = t.elapsed().as_secs_f64();
        let size: u64 = walkdir::WalkDir::new(dir.path())
            .into_iter()
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum();
        println!(
            "{name:<16} {secs:>7.2} s  {ndocs:>9} docs  {:>7.1} MB",
            size as f64 / 1e6
        );
    }
    Ok(())
}
