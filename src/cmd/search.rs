//! `heard search`: find passages, recommendations, quotes or sources.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use super::{highlight, lines, paint, shown, style};
use crate::Library;
use crate::cli::{Cli, Command, SearchArgs};
use crate::index::{LibraryIndex, SearchError, SearchRequest};
use crate::watch::ask::{Answer, Reply};
use crate::watch::live::Live;

/// Exit code for a query the user has to fix.
const EXIT_USAGE: u8 = 2;

/// Run `heard search`. A search by words asks the library's watcher first, when one runs
/// (it holds the index open: see [`crate::watch::ask`]); it answers exactly as this
/// process would, or refuses and this process does the work.
pub fn run(args: SearchArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    if !args.meaning {
        let argv: Option<Vec<String>> = std::env::args_os().map(|a| a.into_string().ok()).collect();
        if let Some(answer) = argv.and_then(|argv| crate::watch::ask::ask(lib, argv)) {
            std::io::stderr().write_all(answer.note.as_bytes())?;
            let mut out = anstream::stdout().lock();
            out.write_all(answer.out.as_bytes())?;
            out.flush()?;
            drop(out);
            std::io::stderr().write_all(answer.err.as_bytes())?;
            return Ok(ExitCode::from(answer.code));
        }
    }
    let (index, report) = super::open_index(lib)?;
    super::note_refresh(&report);
    if args.meaning {
        let meaning = index.with_some_meaning(lib, &super::Bar::new())?;
        let watcher = crate::watch::running(lib);
        if let Some(note) =
            crate::index::embed::coverage_note(&meaning.coverage(), watcher.as_deref())
        {
            eprintln!("{note}");
        }
    }
    let code = render(
        &args,
        &index,
        &mut anstream::stdout().lock(),
        &mut std::io::stderr(),
    );
    // The process ends once the results are printed: the index's maps and caches go with
    // it. Dropping them unmapped a few dozen segment files one by one, a millisecond of an
    // 8 ms search at 100k (BENCHMARKS.md); nothing of the index is written on drop.
    std::mem::forget(index);
    Ok(ExitCode::from(code?))
}

/// Answer a `heard search` command line for a process that asked (see [`run`]), from the
/// index `live` keeps: the same output, rendered by the same code.
pub fn answer(live: &Live, argv: Vec<String>) -> Reply {
    use clap::Parser;
    let args = match Cli::try_parse_from(argv) {
        Ok(Cli {
            command: Command::Search(args),
            ..
        }) if !args.meaning => args,
        _ => return Reply::Refused("not a search by words".into()),
    };
    let (index, report) = match live.fresh() {
        Ok(found) => found,
        Err(e) => return Reply::Refused(format!("{e:#}")),
    };
    let (mut note, mut out, mut err) = (Vec::new(), Vec::new(), Vec::new());
    if let Err(e) = super::note_refresh_to(&report, &mut note) {
        return Reply::Refused(e.to_string());
    }
    match render(&args, &index, &mut out, &mut err) {
        Ok(code) => {
            // Always UTF-8 (it is written from strings); anything else is not passed on.
            let text = |b: Vec<u8>| String::from_utf8(b).ok();
            match (text(note), text(out), text(err)) {
                (Some(note), Some(out), Some(err)) => Reply::Answer(Answer {
                    code,
                    note,
                    out,
                    err,
                }),
                _ => Reply::Refused("the output is not UTF-8".into()),
            }
        }
        // The asking process meets the same failure itself and reports it.
        Err(e) => Reply::Refused(format!("{e:#}")),
    }
}

/// Search, and print the results on `out` and what the user should know on `err`: the
/// exit code.
fn render(
    args: &SearchArgs,
    index: &LibraryIndex,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let req = SearchRequest {
        query: (!args.query.is_empty()).then(|| args.query.join(" ")),
        types: args.types.clone(),
        kinds: args.kinds.clone(),
        tags: args.filters.tags.clone(),
        since: args.filters.since,
        until: args.filters.until,
        limit: args.limit,
        any: false,
        contributor: None,
        exact: Vec::new(),
    };
    let found = if args.meaning {
        index.search_meaning(&req)
    } else {
        index.search(&req)
    };
    let results = match found {
        Ok(r) => r,
        Err(SearchError::Query(msg)) => {
            writeln!(err, "error: {}", shown(&msg))?;
            return Ok(EXIT_USAGE);
        }
        Err(e) => return Err(e).context("search failed"),
    };
    if args.filters.json {
        serde_json::to_writer_pretty(&mut *out, &results)?;
        writeln!(out)?;
        return Ok(0);
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
    if results.hits.is_empty() {
        writeln!(
            err,
            "No results. Try fewer words, OR between alternatives, or fewer filters."
        )?;
    } else if results.total > results.hits.len() {
        // A large library's total is estimated rather than counted (see `SearchResults`).
        let about = if results.total_is_estimate {
            "about "
        } else {
            ""
        };
        writeln!(
            err,
            "Showing {} of {about}{} results; use --limit to see more.",
            results.hits.len(),
            results.total
        )?;
    } else {
        writeln!(err, "{}", super::plural(results.total, "result", "results"))?;
    }
    Ok(0)
}
