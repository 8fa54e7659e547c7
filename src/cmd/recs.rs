//! `heard recs`: what have we recommended before, where, and when?

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::{lines, paint, style};
use crate::Library;
use crate::cli::{OutcomeArgs, RecsArgs, RecsCommand};
use crate::corpus::Why;
use crate::index::{DocType, Hit, SearchError, SearchRequest, search::truncate_words};
use crate::recs::{About, Outcome, Outcomes};

/// What `heard recs --json` prints (its schema is `schema/recs.schema.json`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RecsJson<'a> {
    /// The recommendations found, best first (newest first when browsing).
    pub recommendations: Vec<Rec<'a>>,
    /// How many matched in all (may exceed the number listed).
    pub total: usize,
}

/// A recommendation as scripts see it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Rec<'a> {
    /// Stable id: `r-<source>-<n>`, or `r-<source>-a<k>` when added by hand.
    id: &'a str,
    /// Full text.
    text: &'a str,
    /// Id of its source.
    source: &'a str,
    /// Title of its source.
    title: &'a str,
    /// Kind of its source (report or submission).
    kind: &'a str,
    /// Markdown file, relative to the library root.
    path: &'a str,
    /// First line in the file.
    line_start: u64,
    /// Last line in the file, inclusive.
    line_end: u64,
    /// Date of its source as written.
    date: Option<&'a str>,
    /// Tags of its source.
    tags: &'a [String],
    /// The consultation a submission answered.
    consultation: Option<&'a str>,
    /// The heading or lead-in sentence that introduced it, in words (see `why`).
    lead_in: Option<&'a str>,
    /// Why it was taken: the cue, the words that triggered it and their line.
    why: Option<Why>,
    /// The organisation whose recommendation it is, when known.
    organisation: Option<String>,
    /// Whether it is our own organisation's.
    ours: bool,
    /// The group of the same ask made in other sources: the id of its first member.
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    /// The other members of its group.
    related: Vec<String>,
    /// Relevance to the query; 0 when browsing.
    score: f32,
    /// Latest recorded outcome; `unknown` when none was recorded.
    outcome: &'a str,
    /// When, by whom, with what note and evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    outcome_detail: Option<&'a Outcome>,
}

fn outcome(o: OutcomeArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let (index, report) = super::open_index(lib)?;
    super::note_refresh(&report);
    let found = index.search(&SearchRequest {
        query: Some(format!("id:\"{}\"", o.id.replace('"', ""))),
        types: vec![DocType::Recommendation],
        limit: 1,
        ..SearchRequest::default()
    })?;
    let Some(hit) = found.hits.first() else {
        eprintln!(
            "error: no recommendation with id `{}`; `heard recs` lists them",
            super::shown(&o.id)
        );
        return Ok(ExitCode::from(super::EXIT_USAGE));
    };
    let by = o.by.unwrap_or_else(crate::quotes::default_actor);
    crate::recs::record_outcome(
        lib,
        &hit.id,
        &o.outcome,
        o.note.as_deref(),
        o.evidence.as_deref(),
        &by,
    )?;
    eprintln!(
        "Recorded: {} is {}.",
        super::shown(&hit.id),
        o.outcome.replace('-', " ")
    );
    Ok(ExitCode::SUCCESS)
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
            why: None,
            organisation: None,
            ours: false,
            group: None,
            related: Vec::new(),
            score: h.score,
            outcome: "unknown",
            outcome_detail: None,
        }
    }
}

/// Run `heard recs`.
pub fn run(args: RecsArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    if let Some(RecsCommand::Outcome(o)) = args.command {
        return outcome(o, lib);
    }
    let browsing = args.query.is_empty();
    let req = SearchRequest {
        query: (!browsing).then(|| args.query.join(" ")),
        types: vec![DocType::Recommendation],
        kinds: Vec::new(),
        tags: args.filters.tags,
        since: args.filters.since,
        until: args.filters.until,
        limit: if args.outcome.is_some() || args.sheet.to.is_some() || args.ours || args.theirs {
            usize::MAX / 4
        } else {
            args.limit
        },
        any: false,
        contributor: None,
    };
    let (index, report) = super::open_index(lib)?;
    super::note_refresh(&report);
    let mut results = match index.search(&req) {
        Ok(r) => r,
        Err(SearchError::Query(msg)) => {
            eprintln!("error: {}", super::shown(&msg));
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e).context("search failed"),
    };
    let outcomes = Outcomes::load(lib)?;
    if let Some(want) = &args.outcome {
        results.hits.retain(|h| outcomes.of(&h.id) == want.as_str());
        results.total = results.hits.len();
        if args.sheet.to.is_none() {
            results.hits.truncate(args.limit);
        }
    }
    let about = About::load(lib, &index)?;
    if args.ours || args.theirs {
        results
            .hits
            .retain(|h| about.whose(&h.source).is_ours() == args.ours);
        results.total = results.hits.len();
        results.hits.truncate(args.limit);
    }
    if browsing {
        // Newest first, and in their own order within a source.
        results.hits.sort_by(|a, b| {
            b.date
                .cmp(&a.date)
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.line_start.cmp(&b.line_start))
        });
    }
    if let Some(format) = args.sheet.to {
        return sheet(lib, &results.hits, &outcomes, &about, format, &args.sheet);
    }
    // Why each was taken is in its source, not the index: read for those shown only.
    let why = if args.filters.json || args.explain {
        About::whys(lib, &results.hits)?
    } else {
        Default::default()
    };
    debug_reads();
    let mut out = anstream::stdout().lock();
    if args.filters.json {
        let doc = RecsJson {
            recommendations: results
                .hits
                .iter()
                .map(|h| {
                    let whose = about.whose(&h.source);
                    let group = about.group_of(&h.id);
                    Rec {
                        outcome: outcomes.of(&h.id),
                        outcome_detail: outcomes.latest(&h.id),
                        why: why.get(&h.id).cloned(),
                        organisation: about.organisation(&whose, lib),
                        ours: whose.is_ours(),
                        group: group.map(|g| g.members[0].clone()),
                        related: group.map_or_else(Vec::new, |g| {
                            g.members.iter().filter(|m| **m != h.id).cloned().collect()
                        }),
                        ..Rec::from(h)
                    }
                })
                .collect(),
            total: results.total,
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut shown_groups = std::collections::HashSet::new();
    let mut folded = 0;
    for hit in &results.hits {
        let group = about.group_of(&hit.id);
        if let Some(g) = group {
            if !shown_groups.insert(g.members[0].clone()) {
                folded += 1;
                continue;
            }
        }
        let year = hit.date.as_deref().map(|d| d.get(..4).unwrap_or(d));
        let whose = about.whose(&hit.source);
        let who = about.organisation(&whose, lib).unwrap_or_else(|| {
            if whose.is_ours() {
                "ours"
            } else {
                "organisation not recorded"
            }
            .into()
        });
        let who = match year {
            Some(y) => format!("{who}, {y}"),
            None => who,
        };
        let context = hit.consultation.as_deref().unwrap_or(&hit.title);
        let outcome = match outcomes.latest(&hit.id) {
            Some(o) => format!(
                "{} ({}{})",
                o.outcome.replace('-', " "),
                o.recorded.get(..10).unwrap_or(&o.recorded),
                o.note
                    .as_ref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            ),
            None => "outcome unknown".into(),
        };
        writeln!(
            out,
            "{}  {}  {}  {}",
            paint(&format!("{:<28}", hit.id), style::TITLE),
            super::shown(&who),
            super::shown(context),
            paint(&outcome, style::DIM)
        )?;
        writeln!(out, "    {}", super::shown(&truncate_words(&hit.text, 300)))?;
        if let Some(g) = group {
            writeln!(
                out,
                "    {}",
                paint(
                    &format!("asked in {}: {}", g.years_text(), g.members.join(", ")),
                    style::DIM
                )
            )?;
        }
        if args.explain {
            let why = why
                .get(&hit.id)
                .map_or_else(|| "not recorded".to_string(), Why::explain);
            writeln!(out, "    why: {}", super::shown(&why))?;
        }
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
    if folded > 0 {
        eprintln!(
            "{} shown under the same ask made in another source (`--json` lists each).",
            super::plural(folded, "recommendation", "recommendations")
        );
    }
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

/// `heard recs --to csv|xlsx`: every matching recommendation as a spreadsheet.
fn sheet(
    lib: &Library,
    hits: &[Hit],
    outcomes: &Outcomes,
    about: &About,
    format: crate::interop::sheets::SheetFormat,
    args: &crate::cli::SheetArgs,
) -> anyhow::Result<ExitCode> {
    use crate::interop::sheets;
    // By reference: a copy of every hit would double what the spreadsheet holds.
    let (kept, left_out): (Vec<&Hit>, Vec<&Hit>) = hits
        .iter()
        .partition(|h| sheets::admits(args.include, &h.sensitivity));
    let table = sheets::recommendations(lib, &kept, outcomes, about)?;
    let out = sheets::save(&table, format, args.out.as_deref(), "recommendations")?;
    debug_reads();
    let n = super::plural(kept.len(), "recommendation", "recommendations");
    eprintln!("Wrote {} ({n}).", out.display());
    if !left_out.is_empty() {
        let what = super::plural(left_out.len(), "recommendation", "recommendations");
        eprintln!("{}", sheets::left_out(&what, args.include));
    }
    Ok(ExitCode::SUCCESS)
}

/// With `HEARD_DEBUG_READS` set, say on stderr how many source files were read on demand
/// (after the refresh): a test's measure that `heard recs` does not read every source.
pub(super) fn debug_reads() {
    if std::env::var_os("HEARD_DEBUG_READS").is_some() {
        eprintln!(
            "debug: source files read on demand: {}",
            crate::quotes::sources_read()
        );
    }
}
