//! In-process search and draft latency of a heard library, through heard's library API.
//!
//! ```sh
//! cargo run --release --example search_latency -- LIBRARY benches/queries.txt \
//!     [--rounds 5] [--refreshes 5] [--draft responses/national-evidence-2026] [--draft-runs 3]
//! ```
//!
//! Opens the library with `heard::Library::open`, brings its index up to date with
//! `LibraryIndex::refresh_and_open` (build it first with `heard index`: this measures
//! searching, not building), then:
//!
//! - times `--refreshes` more refreshes with nothing changed (what every `heard search`
//!   pays before searching: the stat walk of every file, reading the manifest, writing it
//!   back), and the stat walk alone (`heard::corpus::walk`);
//! - runs every query of the query file (see `benches/queries.txt`: query, heard search
//!   flags, rg pattern, tab-separated) once to warm up, then `--rounds` times, timing each
//!   `LibraryIndex::search` call (limit 10, as `heard search`), and reports p50/p99/max and
//!   the slowest queries;
//! - with `--draft DIR`, times `heard::draft::draft` of that response folder `--draft-runs`
//!   times (it writes `response.md` and `provenance.json` there, as `heard draft` does).
//!
//! Prints one JSON document on stdout.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use heard::Library;
use heard::corpus::{Kind, PartialDate};
use heard::index::{DocType, LibraryIndex, Quiet, SearchRequest};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::QueryParser;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// One line of the query file as a search request (as `heard search` builds it).
fn request(line: &str) -> anyhow::Result<(String, SearchRequest)> {
    let mut cols = line.split('\t');
    let query = cols.next().unwrap_or_default().trim().to_string();
    let flags = cols.next().unwrap_or_default();
    let mut req = SearchRequest {
        query: (!query.is_empty()).then(|| query.clone()),
        limit: 10,
        ..SearchRequest::default()
    };
    let mut it = flags.split_whitespace();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .with_context(|| format!("`{flag}` needs a value in `{line}`"))?;
        match flag {
            "--kind" => req
                .kinds
                .push(Kind::parse(value).with_context(|| format!("bad kind `{value}`"))?),
            "--tag" => req.tags.push(value.to_string()),
            "--since" => {
                req.since =
                    Some(PartialDate::parse(value).with_context(|| format!("bad date {value}"))?)
            }
            "--until" => {
                req.until =
                    Some(PartialDate::parse(value).with_context(|| format!("bad date {value}"))?)
            }
            "--type" => req.types.push(match value {
                "source" => DocType::Source,
                "passage" => DocType::Passage,
                "quote" => DocType::Quote,
                "recommendation" => DocType::Recommendation,
                other => bail!("bad type `{other}`"),
            }),
            "--limit" => req.limit = value.parse()?,
            other => bail!("unknown flag `{other}` in `{line}`"),
        }
    }
    let label = if flags.trim().is_empty() {
        query
    } else {
        format!("{query} {}", flags.trim())
    };
    Ok((label, req))
}

struct Args {
    library: PathBuf,
    queries: PathBuf,
    rounds: usize,
    refreshes: usize,
    draft: Option<PathBuf>,
    draft_runs: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut pos = Vec::new();
    let mut a = Args {
        library: PathBuf::new(),
        queries: PathBuf::new(),
        rounds: 5,
        refreshes: 5,
        draft: None,
        draft_runs: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--rounds" => a.rounds = value()?.parse()?,
            "--refreshes" => a.refreshes = value()?.parse()?,
            "--draft" => a.draft = Some(PathBuf::from(value()?)),
            "--draft-runs" => a.draft_runs = value()?.parse()?,
            _ => pos.push(arg),
        }
    }
    match pos.as_slice() {
        [lib, q] => {
            a.library = PathBuf::from(lib);
            a.queries = PathBuf::from(q);
            Ok(a)
        }
        _ => bail!(
            "usage: search_latency LIBRARY QUERIES [--rounds R] [--refreshes N] [--draft DIR] [--draft-runs N]"
        ),
    }
}

fn main() -> anyhow::Result<()> {
    let a = args()?;
    let lib = Library::open(&a.library)?;

    let t = Instant::now();
    let (mut index, first) = LibraryIndex::refresh_and_open(&lib, &Quiet)?;
    let first_ms = ms(t);
    if first.changed_anything() {
        eprintln!(
            "note: the first refresh changed the index ({} added, {} changed, {} removed); build it with `heard index` first to measure search alone",
            first.added, first.changed, first.removed
        );
    }

    // The price of fresh results: a refresh with nothing changed, and the walk alone.
    let mut refresh = Vec::new();
    for _ in 0..a.refreshes {
        let t = Instant::now();
        let (i, _) = LibraryIndex::refresh_and_open(&lib, &Quiet)?;
        refresh.push(ms(t));
        index = i;
    }
    refresh.sort_by(f64::total_cmp);
    let mut walk = Vec::new();
    let skip = vec![lib.responses_dir(), lib.state_dir()];
    let mut files = 0;
    for _ in 0..a.refreshes {
        let t = Instant::now();
        // A full walk: every file stat-ed (no earlier walk to trust).
        let w = heard::corpus::walk(lib.root(), &lib.corpus_dir(), &skip);
        walk.push(ms(t));
        files = w.files.len();
    }
    walk.sort_by(f64::total_cmp);

    // Searches.
    let text = std::fs::read_to_string(&a.queries)
        .with_context(|| format!("failed to read `{}`", a.queries.display()))?;
    let mut reqs = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        reqs.push(request(line)?);
    }
    let mut times = Vec::new();
    let mut per_query: Vec<(f64, &str)> = Vec::new();
    let mut empty = Vec::new();
    for round in 0..=a.rounds {
        for (label, req) in &reqs {
            let t = Instant::now();
            let res = index
                .search(req)
                .map_err(|e| anyhow::anyhow!("query `{label}`: {e}"))?;
            let took = ms(t);
            if round == 0 {
                if res.total == 0 {
                    empty.push(label.as_str());
                }
                continue;
            }
            times.push(took);
            per_query.push((took, label));
        }
    }
    times.sort_by(f64::total_cmp);
    per_query.sort_by(|x, y| y.0.total_cmp(&x.0));
    let mut slowest: Vec<serde_json::Value> = Vec::new();
    for (t, l) in &per_query {
        if slowest.len() == 5 {
            break;
        }
        if !slowest.iter().any(|s| s["query"] == *l) {
            slowest.push(serde_json::json!({"query": l, "ms": t}));
        }
    }

    // Where a search's time goes: a new IndexReader (heard opens one per search), and the
    // same query texts through tantivy alone on heard's index (a reader kept open, heard's
    // analyzers, top 10 by score + count, no filters, no stored documents or snippets).
    let tv = index.tantivy();
    let mut reader_ms = Vec::new();
    for _ in 0..(a.rounds * 4).max(10) {
        let t = Instant::now();
        let r = tv.reader()?;
        let _s = r.searcher();
        reader_ms.push(ms(t));
    }
    reader_ms.sort_by(f64::total_cmp);
    let reader = tv.reader()?;
    let searcher = reader.searcher();
    let mut parser = QueryParser::for_index(tv, vec![index.fields().body]);
    parser.set_conjunction_by_default();
    let parsed: Vec<_> = reqs
        .iter()
        .filter_map(|(_, r)| r.query.as_deref())
        .filter_map(|q| parser.parse_query(q).ok())
        .collect();
    let mut raw_ms = Vec::new();
    for round in 0..=a.rounds {
        for q in &parsed {
            let t = Instant::now();
            let _ = searcher.search(
                q.as_ref(),
                &(TopDocs::with_limit(10).order_by_score(), Count),
            )?;
            if round > 0 {
                raw_ms.push(ms(t));
            }
        }
    }
    raw_ms.sort_by(f64::total_cmp);
    // The same with the taxonomy's synonyms added, each phrase matched by its positions
    // (heard finds the phrases its themes name by a term of their own instead, see
    // `heard::index::phrases`, so this shows what that spares).
    let taxonomy = heard::taxonomy::load(&lib).unwrap_or_default();
    let expanded: Vec<_> = reqs
        .iter()
        .filter_map(|(_, r)| r.query.as_deref())
        .filter_map(|q| parser.parse_query(&taxonomy.expand_query(q).0).ok())
        .collect();
    let mut expanded_ms = Vec::new();
    for round in 0..=a.rounds {
        for q in &expanded {
            let t = Instant::now();
            let _ = searcher.search(
                q.as_ref(),
                &(TopDocs::with_limit(10).order_by_score(), Count),
            )?;
            if round > 0 {
                expanded_ms.push(ms(t));
            }
        }
    }
    expanded_ms.sort_by(f64::total_cmp);

    // What every change to the library also pays: re-anchoring every quote in its source
    // (the refresh does this whenever any file or the ledger changed).
    let t = Instant::now();
    let book = heard::quotes::QuoteBook::load(&lib)?;
    let ledger_ms = ms(t);
    let t = Instant::now();
    let mut sources = heard::quotes::Sources::new(&lib)?;
    let sources_ms = ms(t);
    let t = Instant::now();
    for q in book.quotes.values() {
        let _ = sources.locate(q);
    }
    let locate_ms = ms(t);
    let reanchor = serde_json::json!({
        "quotes": book.quotes.len(),
        "ledger_fold_ms": ledger_ms,
        "source_paths_ms": sources_ms,
        "locate_all_ms": locate_ms,
    });

    // Drafting.
    let mut draft_ms = Vec::new();
    let mut draft_summary = serde_json::Value::Null;
    if let Some(dir) = &a.draft {
        let dir: PathBuf = if dir.is_absolute() || dir.exists() {
            dir.clone()
        } else {
            lib.root().join(dir)
        };
        for _ in 0..a.draft_runs {
            let t = Instant::now();
            let d = heard::draft::draft(&lib, &index, Path::new(&dir))?;
            draft_ms.push(ms(t));
            draft_summary = serde_json::json!({
                "questions": d.questions.len(),
                "quotes": d.quotes,
                "contributors": d.contributors,
                "passages": d.questions.iter().map(|q| q.passages).sum::<usize>(),
                "recommendations": d.questions.iter().map(|q| q.recommendations).sum::<usize>(),
                "skipped": d.skipped,
            });
        }
    }
    let mut draft_sorted = draft_ms.clone();
    draft_sorted.sort_by(f64::total_cmp);

    let out = serde_json::json!({
        "library": a.library,
        "files": files,
        "sources": first.sources,
        "first_refresh_ms": first_ms,
        "noop_refresh_ms": {"p50": percentile(&refresh, 50.0), "max": refresh.last()},
        "walk_ms": {"p50": percentile(&walk, 50.0), "max": walk.last()},
        "search": {
            "queries": reqs.len(),
            "rounds": a.rounds,
            "p50_ms": percentile(&times, 50.0),
            "p90_ms": percentile(&times, 90.0),
            "p99_ms": percentile(&times, 99.0),
            "max_ms": times.last(),
            "slowest": slowest,
            "no_hits": empty,
        },
        "breakdown": {
            "new_reader_ms": {"p50": percentile(&reader_ms, 50.0), "p99": percentile(&reader_ms, 99.0)},
            "tantivy_only_ms": {"p50": percentile(&raw_ms, 50.0), "p99": percentile(&raw_ms, 99.0), "queries": parsed.len()},
            "tantivy_expanded_ms": {"p50": percentile(&expanded_ms, 50.0), "p99": percentile(&expanded_ms, 99.0)},
            "segments": searcher.segment_readers().len(),
            "docs_in_index": searcher.num_docs(),
        },
        "reanchor": reanchor,
        "draft": {
            "runs_ms": draft_ms,
            "median_ms": percentile(&draft_sorted, 50.0),
            "summary": draft_summary,
        },
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
