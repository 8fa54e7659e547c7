//! `heard recs`: what have we recommended before, where, and when?

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::{lines, paint, style};
use crate::Library;
use crate::cli::RecsArgs;
use crate::index::{DocType, Hit, SearchError, SearchRequest, search::truncate_words};

/// A recommendation as scripts see it.
#[derive(Debug, Serialize)]
struct Rec<'a> {
    id: &'a str,
    text: &'a str,
    source: &'a str,
    title: &'a str,
    kind: &'a str,
    path: &'a str,
    line_start: u64,
    line_end: u64,
    date: Option<&'a str>,
    tags: &'a [String],
    consultation: Option<&'a str>,
    lead_in: Option<&'a str>,
    score: f32,
}

impl<'a> From<&'a Hit> for Rec<'a> {
    fn from(h: &'a Hit) -> Self {
        Rec {
            id: &h.id,
            text: &h.text,
            source: &h.source,
            title: &h.title,
            kind: &h.kind,
            path: &h.path,
            line_start: h.line_start,
            line_end: h.line_end,
            date: h.date.as_deref(),
            tags: &h.tags,
            consultation: h.consultation.as_deref(),
            lead_in: h.lead_in.as_deref(),
            score: h.score,
        }
    }
}

/// Run `heard recs`.
pub fn run(args: RecsArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let browsing = args.query.is_empty();
    let req = SearchRequest {
        query: (!browsing).then(|| args.query.join(" ")),
        types: vec![DocType::Recommendation],
        kinds: Vec::new(),
        tags: args.filters.tags,
        since: args.filters.since,
        until: args.filters.until,
        limit: args.limit,
    };
    let (index, report) = super::open_index(lib)?;
    super::note_refresh(&report);
    let mut results = match index.search(&req) {
        Ok(r) => r,
        Err(SearchError::Query(msg)) => {
            eprintln!("error: {msg}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e).context("search failed"),
    };
    if browsing {
        // Newest first, and in their own order within a source.
        results.hits.sort_by(|a, b| {
            b.date
                .cmp(&a.date)
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.line_start.cmp(&b.line_start))
        });
    }
    let mut out = anstream::stdout().lock();
    if args.filters.json {
        #[derive(Serialize)]
        struct Out<'a> {
            recommendations: Vec<Rec<'a>>,
            total: usize,
        }
        let doc = Out {
            recommendations: results.hits.iter().map(Rec::from).collect(),
            total: results.total,
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for hit in &results.hits {
        let year = hit
            .date
            .as_deref()
            .map_or("    ", |d| d.get(..4).unwrap_or(d));
        let context = hit.consultation.as_deref().unwrap_or(&hit.title);
        writeln!(
            out,
            "{}  {}  {}",
            paint(&format!("{:<28}", hit.id), style::TITLE),
            year,
            context
        )?;
        writeln!(out, "    {}", truncate_words(&hit.text, 300))?;
        writeln!(
            out,
            "    {}",
            paint(
                &format!("{}:{}", hit.path, lines(hit.line_start, hit.line_end)),
                style::PATH
            )
        )?;
    }
    out.flush()?;
    drop(out);
    if results.hits.is_empty() {
        eprintln!("No recommendations found.");
    } else if results.total > results.hits.len() {
        eprintln!(
            "Showing {} of {} recommendations; use --limit to see more.",
            results.hits.len(),
            results.total
        );
    } else {
        eprintln!(
            "{}",
            super::plural(results.total, "recommendation", "recommendations")
        );
    }
    Ok(ExitCode::SUCCESS)
}
