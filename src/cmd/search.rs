//! `heard search`: find passages, recommendations, quotes or sources.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use super::{highlight, lines, paint, shown, style};
use crate::Library;
use crate::cli::SearchArgs;
use crate::index::{SearchError, SearchRequest};

/// Exit code for a query the user has to fix.
const EXIT_USAGE: u8 = 2;

/// Run `heard search`.
pub fn run(args: SearchArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let req = SearchRequest {
        query: (!args.query.is_empty()).then(|| args.query.join(" ")),
        types: args.types,
        kinds: args.kinds,
        tags: args.filters.tags,
        since: args.filters.since,
        until: args.filters.until,
        limit: args.limit,
        any: false,
        contributor: None,
        exact: Vec::new(),
    };
    let (index, report) = super::open_index(lib)?;
    super::note_refresh(&report);
    let found = if args.meaning {
        let meaning = index.with_some_meaning(lib, &super::Bar::new())?;
        let watcher = crate::watch::running(lib);
        if let Some(note) =
            crate::index::embed::coverage_note(&meaning.coverage(), watcher.as_deref())
        {
            eprintln!("{note}");
        }
        index.search_meaning(&req)
    } else {
        index.search(&req)
    };
    // The process ends once the results are printed: the index's maps and caches go with
    // it. Dropping them unmapped a few dozen segment files one by one, a millisecond of an
    // 8 ms search at 100k (BENCHMARKS.md); nothing of the index is written on drop.
    std::mem::forget(index);
    let results = match found {
        Ok(r) => r,
        Err(SearchError::Query(msg)) => {
            eprintln!("error: {}", shown(&msg));
            return Ok(ExitCode::from(EXIT_USAGE));
        }
        Err(e) => return Err(e).context("search failed"),
    };
    let mut out = anstream::stdout().lock();
    if args.filters.json {
        serde_json::to_writer_pretty(&mut out, &results)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for (i, hit) in results.hits.iter().enumerate() {
        let mut about = vec![shown(&hit.kind).into_owned()];
        about.extend(hit.date.as_deref().map(|d| shown(d).into_owned()));
        if hit.sensitivity == "restricted" {
            about.push(paint("restricted", style::WARN));
        }
        writeln!(
            out,
            "{:>2}. {}  ({})",
            i + 1,
            paint(&hit.title, style::TITLE),
            about.join(", ")
        )?;
        let mut place = format!("{}:{}", hit.path, lines(hit.line_start, hit.line_end));
        if let Some(page) = hit.page {
            place.push_str(&format!(" (p. {page})"));
        }
        place = paint(&place, style::PATH);
        let mut detail = vec![hit.doc_type.clone()];
        if hit.doc_type == "recommendation" {
            detail.push(hit.id.clone());
        }
        if !hit.section.is_empty() && hit.section != hit.title {
            detail.push(hit.section.clone());
        }
        writeln!(
            out,
            "    {place}  {}",
            paint(&detail.join(" · "), style::DIM)
        )?;
        writeln!(out, "    {}", highlight(&hit.snippet, &hit.highlights))?;
        if hit.words.is_none() && hit.meaning.is_some() {
            writeln!(
                out,
                "    {}",
                paint("found by meaning, not by all of its words", style::DIM)
            )?;
        }
        if !hit.tags.is_empty() {
            writeln!(
                out,
                "    {}",
                paint(&format!("tags: {}", hit.tags.join(", ")), style::DIM)
            )?;
        }
        writeln!(out)?;
    }
    out.flush()?;
    drop(out);
    if results.hits.is_empty() {
        eprintln!("No results. Try fewer words, OR between alternatives, or fewer filters.");
    } else if results.total > results.hits.len() {
        // A large library's total is estimated rather than counted (see `SearchResults`).
        let about = if results.total_is_estimate {
            "about "
        } else {
            ""
        };
        eprintln!(
            "Showing {} of {about}{} results; use --limit to see more.",
            results.hits.len(),
            results.total
        );
    } else {
        eprintln!("{}", super::plural(results.total, "result", "results"));
    }
    Ok(ExitCode::SUCCESS)
}
