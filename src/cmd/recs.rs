//! `heard recs`: what have we recommended before, where, and when?

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::{lines, paint, style};
use crate::Library;
use crate::cli::{OutcomeArgs, RecsArgs, RecsCommand};
use crate::corpus::Why;
use crate::index::{
    DocType, Hit, Row, RowOrder, SearchError, SearchRequest, search::truncate_words,
};
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

/// How many recommendations are read, explained and printed together: rows stream from the
/// index, so a listing of every recommendation holds no more than this many at once.
const CHUNK: usize = 32;

/// Run `heard recs`.
pub fn run(args: RecsArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    if let Some(RecsCommand::Outcome(o)) = args.command {
        return outcome(o, lib);
    }
    let browsing = args.query.is_empty();
    // Filters the index cannot apply (whose a source is) are applied to each row as it
    // comes: every match is looked at, and the total is what passed. The outcome is the
    // index's to apply, from the ledger's outcomes.
    let filtered = args.ours || args.theirs;
    let outcomes = Outcomes::load(lib)?;
    let req = SearchRequest {
        query: (!browsing).then(|| args.query.join(" ")),
        types: vec![DocType::Recommendation],
        kinds: Vec::new(),
        tags: args.filters.tags,
        since: args.filters.since,
        until: args.filters.until,
        limit: if filtered || args.sheet.to.is_some() {
            usize::MAX / 4
        } else {
            args.limit
        },
        any: false,
        contributor: None,
        exact: args
            .outcome
            .iter()
            .map(|o| outcomes.filter(o.as_str()))
            .collect(),
    };
    let (index, report) = super::open_index(lib)?;
    super::note_refresh(&report);
    // Newest first when browsing, and in their own order within a source.
    let mut matches = match index.matches(&req, RowOrder::Listed) {
        Ok(m) => m,
        Err(SearchError::Query(msg)) => {
            eprintln!("error: {}", super::shown(&msg));
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e).context("search failed"),
    };
    let about = About::load(lib, &index)?;
    let keep =
        |h: &Hit| !(args.ours || args.theirs) || about.whose(&h.source).is_ours() == args.ours;
    let mut listing = Listing {
        matches: &mut matches,
        keep: &keep,
        filtered,
        limit: args.limit,
        listed: 0,
        passed: 0,
    };
    if let Some(format) = args.sheet.to {
        let code = sheet(lib, &mut listing, &outcomes, &about, format, &args.sheet)?;
        debug_reads();
        return Ok(code);
    }
    let mut out = anstream::stdout().lock();
    if args.filters.json {
        let doc = StreamedRecs {
            listing: std::cell::RefCell::new(&mut listing),
            lib,
            about: &about,
            outcomes: &outcomes,
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
        debug_reads();
        return Ok(ExitCode::SUCCESS);
    }
    let mut shown_groups = std::collections::HashSet::new();
    let mut folded = 0;
    loop {
        let chunk = listing.chunk()?;
        if chunk.is_empty() {
            break;
        }
        // Why each was taken is in its source, not the index: read for those shown only.
        let why = if args.explain {
            About::whys(lib, chunk.iter().map(|r| &**r))?
        } else {
            Default::default()
        };
        for hit in &chunk {
            let group = about.group_of(&hit.id);
            if let Some(g) = group {
                if !shown_groups.insert(g.members[0].clone()) {
                    folded += 1;
                    continue;
                }
            }
            print_row(
                &mut out,
                lib,
                &about,
                &outcomes,
                hit,
                group,
                args.explain,
                &why,
            )?;
        }
    }
    let listed = listing.listed;
    let total = listing.total()?;
    debug_reads();
    out.flush()?;
    drop(out);
    if folded > 0 {
        eprintln!(
            "{} shown under the same ask made in another source (`--json` lists each).",
            super::plural(folded, "recommendation", "recommendations")
        );
    }
    if listed == 0 {
        eprintln!("No recommendations found.");
    } else if total > listed {
        eprintln!("Showing {listed} of {total} recommendations; use --limit to see more.");
    } else {
        eprintln!(
            "{}",
            super::plural(total, "recommendation", "recommendations")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One recommendation of the plain listing.
#[allow(clippy::too_many_arguments)]
fn print_row(
    out: &mut impl Write,
    lib: &Library,
    about: &About,
    outcomes: &Outcomes,
    hit: &Hit,
    group: Option<&crate::recs::Group>,
    explain: bool,
    why: &std::collections::HashMap<String, Why>,
) -> anyhow::Result<()> {
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
    if explain {
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
    Ok(())
}

/// The rows of a listing, as they come from the index: those that pass the filters the
/// index cannot apply (outcome, whose), up to the limit, a chunk at a time.
struct Listing<'m, 'i> {
    matches: &'m mut crate::index::Matches<'i>,
    keep: &'m dyn Fn(&Hit) -> bool,
    /// Whether `keep` filters: the total is then what passed, not what the index found.
    filtered: bool,
    limit: usize,
    /// Rows handed out so far.
    listed: usize,
    /// Rows that passed `keep` so far.
    passed: usize,
}

impl Listing<'_, '_> {
    /// The next row that passes.
    fn next_kept(&mut self) -> Option<anyhow::Result<Row>> {
        for row in self.matches.by_ref() {
            match row {
                Ok(r) if !(self.keep)(&r) => continue,
                Ok(r) => {
                    self.passed += 1;
                    return Some(Ok(r));
                }
                Err(e) => return Some(Err(anyhow::Error::from(e).context("search failed"))),
            }
        }
        None
    }

    /// The next rows to list, at most [`CHUNK`]; none when the listing is done.
    fn chunk(&mut self) -> anyhow::Result<Vec<Row>> {
        let mut chunk = Vec::new();
        while chunk.len() < CHUNK && self.listed < self.limit {
            match self.next_kept() {
                Some(r) => chunk.push(r?),
                None => break,
            }
            self.listed += 1;
        }
        Ok(chunk)
    }

    /// How many match in all: with a filter of ours, every row left is looked at (and
    /// dropped) to count those that pass.
    fn total(&mut self) -> anyhow::Result<usize> {
        if !self.filtered {
            return Ok(self.matches.total);
        }
        while let Some(r) = self.next_kept() {
            drop(r?);
        }
        Ok(self.passed)
    }
}

impl Iterator for Listing<'_, '_> {
    type Item = anyhow::Result<Row>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_kept()
    }
}

/// [`RecsJson`] written as its rows come (the same document, byte for byte): the list a
/// chunk at a time, then `total`, which is known once the list is written.
struct StreamedRecs<'l, 'm, 'i> {
    listing: std::cell::RefCell<&'l mut Listing<'m, 'i>>,
    lib: &'l Library,
    about: &'l About,
    outcomes: &'l Outcomes,
}

struct RowList<'d, 'l, 'm, 'i>(&'d StreamedRecs<'l, 'm, 'i>);

impl Serialize for RowList<'_, '_, '_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let doc = self.0;
        let mut seq = s.serialize_seq(None)?;
        loop {
            let chunk = doc
                .listing
                .borrow_mut()
                .chunk()
                .map_err(|e| S::Error::custom(format!("{e:#}")))?;
            if chunk.is_empty() {
                break;
            }
            let why = About::whys(doc.lib, chunk.iter().map(|r| &**r))
                .map_err(|e| S::Error::custom(format!("{e:#}")))?;
            for h in &chunk {
                let whose = doc.about.whose(&h.source);
                let group = doc.about.group_of(&h.id);
                seq.serialize_element(&Rec {
                    outcome: doc.outcomes.of(&h.id),
                    outcome_detail: doc.outcomes.latest(&h.id),
                    why: why.get(&h.id).cloned(),
                    organisation: doc.about.organisation(&whose, doc.lib),
                    ours: whose.is_ours(),
                    group: group.map(|g| g.members[0].clone()),
                    related: group.map_or_else(Vec::new, |g| {
                        g.members.iter().filter(|m| **m != h.id).cloned().collect()
                    }),
                    ..Rec::from(&**h)
                })?;
            }
        }
        seq.end()
    }
}

impl Serialize for StreamedRecs<'_, '_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeStruct};
        let mut doc = s.serialize_struct("RecsJson", 2)?;
        doc.serialize_field("recommendations", &RowList(self))?;
        let total = self
            .listing
            .borrow_mut()
            .total()
            .map_err(|e| S::Error::custom(format!("{e:#}")))?;
        doc.serialize_field("total", &total)?;
        doc.end()
    }
}

/// `heard recs --to csv|xlsx`: every matching recommendation as a spreadsheet, written a row
/// at a time.
fn sheet(
    lib: &Library,
    rows: &mut Listing,
    outcomes: &Outcomes,
    about: &About,
    format: crate::interop::sheets::SheetFormat,
    args: &crate::cli::SheetArgs,
) -> anyhow::Result<ExitCode> {
    use crate::interop::sheets;
    let made = sheets::RecommendationRows::new(lib, outcomes, about);
    let mut sheet = sheets::SheetWriter::create(
        sheets::recommendations_table(),
        format,
        args.out.as_deref(),
        "recommendations",
    )?;
    let mut left_out = 0;
    for row in rows {
        let h = row?;
        if sheets::admits(args.include, &h.sensitivity) {
            sheet.row(made.row(&h))?;
        } else {
            left_out += 1;
        }
    }
    let n = super::plural(sheet.rows(), "recommendation", "recommendations");
    let out = sheet.finish()?;
    eprintln!("Wrote {} ({n}).", out.display());
    if left_out > 0 {
        let what = super::plural(left_out, "recommendation", "recommendations");
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
    // With `HEARD_DEBUG_ROWS`, how many rows were held at once: a test's measure that a
    // listing of every recommendation does not hold them all.
    if std::env::var_os("HEARD_DEBUG_ROWS").is_some() {
        eprintln!(
            "debug: most recommendations held at once: {}",
            crate::index::search::rows_held_at_most()
        );
    }
    // With `HEARD_DEBUG_PAIRS`, how many pairs of asks were compared to group the same ask:
    // a test's measure that grouping does not compare every pair.
    if std::env::var_os("HEARD_DEBUG_PAIRS").is_some() {
        eprintln!(
            "debug: pairs of recommendations compared: {}",
            crate::recs::group::pairs_compared()
        );
    }
}
