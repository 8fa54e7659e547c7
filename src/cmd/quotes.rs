//! `heard quotes`: every quote with its consent, scope and anchor state.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use super::{lines, paint, style};
use crate::Library;
use crate::cli::{QuotesArgs, SheetArgs};
use crate::interop::sheets::{self, SheetFormat};
use crate::quotes::{HistoryItem, Quote, QuoteBook, Sources};

#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    source: &'a str,
    path: String,
    line_start: Option<usize>,
    line_end: Option<usize>,
    exact: &'a str,
    tags: Vec<&'a String>,
    speaker: Option<&'a str>,
    status: &'static str,
    scope: Option<&'static str>,
    expires: Option<&'a str>,
    anchor: &'static str,
    /// The source's words at the quote's place now, when they differ (drifted).
    #[serde(skip_serializing_if = "Option::is_none")]
    current: Option<String>,
    history: &'a [HistoryItem],
}

/// Words in quotation marks, unless they already open with one.
fn quoted(text: &str) -> String {
    let text = super::shown(text);
    if text.starts_with(['“', '"', '‘', '\'']) {
        text.into_owned()
    } else {
        format!("“{text}”")
    }
}

/// Run `heard quotes`.
pub fn run(args: QuotesArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let (_, report) = super::open_index(lib)?;
    super::note_refresh(&report);
    let book = QuoteBook::load(lib)?;
    if let Some(d) = book.damage.first() {
        eprintln!(
            "The consent ledger is damaged ({}), so every quote's consent is unknown: run `heard verify`.",
            d.problem
        );
    }
    let mut sources = Sources::new(lib)?;
    // A theme's synonym finds the theme, as in `search --tag`.
    let taxonomy = crate::taxonomy::load(lib).unwrap_or_default();
    let tag = args.tag.as_deref().map(|t| taxonomy.canonical(t));
    let mut rows = Vec::new();
    let mut picked = Vec::new();
    let wanted: Vec<&crate::quotes::Quote> = book
        .quotes
        .values()
        .filter(|q| {
            args.status.is_none_or(|s| s == q.status())
                && tag.as_ref().is_none_or(|t| q.tags.contains(t))
                && args
                    .speaker
                    .as_ref()
                    .is_none_or(|s| q.speaker.as_ref() == Some(s))
        })
        .collect();
    // Each source read once and let go: a library's quotes may span tens of thousands.
    let located = sources.with_sources(&wanted, crate::quotes::locate_in);
    for (q, loc) in wanted.into_iter().zip(located) {
        let status = q.status();
        if args
            .anchor
            .as_ref()
            .is_some_and(|a| a != loc.state.as_str())
        {
            continue;
        }
        picked.push(q);
        rows.push(Row {
            id: &q.id,
            source: &q.source,
            path: loc.path.clone(),
            line_start: loc.lines.map(|l| l.0),
            line_end: loc.lines.map(|l| l.1),
            exact: &q.anchor.exact,
            tags: q.tags.iter().collect(),
            speaker: q.speaker.as_deref(),
            status: status.as_str(),
            scope: q.scope.map(|s| s.as_str()),
            expires: q.expires.as_deref(),
            anchor: loc.state.as_str(),
            current: (loc.state == crate::quotes::AnchorState::Drifted).then(|| loc.text.clone()),
            history: &q.history,
        });
    }
    super::recs::debug_reads();
    if let Some(format) = args.sheet.to {
        return register(lib, &picked, &mut sources, format, &args.sheet);
    }
    let mut out = anstream::stdout().lock();
    if args.json {
        // Written as it is, not copied into a JSON value first (hundreds of MB at 1M).
        #[derive(Serialize)]
        struct Listing<'a> {
            quotes: &'a [Row<'a>],
        }
        serde_json::to_writer_pretty(&mut out, &Listing { quotes: &rows })?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in &rows {
        let place = match (r.line_start, r.line_end) {
            (Some(a), Some(b)) => format!("{}:{}", r.path, lines(a as u64, b as u64)),
            _ => r.path.clone(),
        };
        let mut state = vec![r.status.to_string()];
        state.extend(r.scope.map(String::from));
        state.extend(r.expires.map(|e| format!("until {e}")));
        let anchor = if r.anchor == "drifted" || r.anchor == "orphaned" {
            paint(r.anchor, style::WARN)
        } else {
            r.anchor.to_string()
        };
        writeln!(
            out,
            "{}  {}  {}  anchor {}  {}",
            paint(r.id, style::TITLE),
            super::shown(&state.join(" ")),
            super::shown(r.speaker.unwrap_or("(no speaker)")),
            anchor,
            paint(&place, style::PATH)
        )?;
        writeln!(out, "    {}", quoted(r.exact))?;
        if let Some(c) = &r.current {
            writeln!(out, "    now reads: {}", quoted(c))?;
        }
        if !r.tags.is_empty() {
            writeln!(
                out,
                "    {}",
                paint(
                    &format!(
                        "tags: {}",
                        r.tags
                            .iter()
                            .map(|t| t.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    style::DIM
                )
            )?;
        }
    }
    out.flush()?;
    drop(out);
    eprintln!("{}", super::plural(rows.len(), "quote", "quotes"));
    Ok(ExitCode::SUCCESS)
}

/// `heard quotes --to csv|xlsx`: the consent register as a spreadsheet.
fn register(
    lib: &Library,
    quotes: &[&Quote],
    sources: &mut Sources,
    format: SheetFormat,
    args: &SheetArgs,
) -> anyhow::Result<ExitCode> {
    // Quotes whose source cannot be read stay in: their consent record still matters, and
    // their words are withheld.
    let (kept, left_out): (Vec<&Quote>, Vec<&Quote>) = quotes.iter().partition(|q| {
        sources
            .get(&q.source)
            .is_none_or(|s| sheets::admits(args.include, s.sensitivity.as_str()))
    });
    let table = sheets::consent_register(lib, &kept, sources)?;
    let out = sheets::save(&table, format, args.out.as_deref(), "consent-register")?;
    eprintln!(
        "Wrote {} ({}).",
        out.display(),
        super::plural(kept.len(), "quote", "quotes")
    );
    if !left_out.is_empty() {
        let what = super::plural(left_out.len(), "quote", "quotes");
        eprintln!("{}", sheets::left_out(&what, args.include));
    }
    Ok(ExitCode::SUCCESS)
}
