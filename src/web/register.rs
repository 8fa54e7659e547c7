//! The recommendations register (`/register`): what we have recommended, where it came
//! from, which responses used it, and what became of it. Officers record an outcome with
//! the same `rec.outcome` ledger event as `heard recs outcome`.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::pages::{fresh_index, layout, page_number, seg};
use super::{AppState, Officer, Result, User, blocking, csrf_refusal, redirect};
use crate::Library;
use crate::index::{DocType, Exact, LibraryIndex, Row, RowOrder, SearchError, SearchRequest};
use crate::quotes::{self, InputError};
use crate::recs::Outcomes;

/// The outcomes an officer may record, with what the page calls them.
pub const OUTCOMES: [(&str, &str); 5] = [
    ("adopted", "Adopted"),
    ("partly", "Partly adopted"),
    ("not-adopted", "Not adopted"),
    ("pending", "Pending"),
    ("unknown", "Unknown"),
];

/// How many recommendations a page shows.
const PER_PAGE: usize = 25;

/// How many other asks of a group a recommendation links to (the oldest); the rest are
/// counted.
const OTHERS_SHOWN: usize = 10;

fn outcome_label(o: &str) -> &str {
    OUTCOMES
        .iter()
        .find(|(v, _)| *v == o)
        .map_or(o, |(_, l)| *l)
}

/// Search and filters of the register.
#[derive(Deserialize, Default, Clone)]
pub struct RegisterParams {
    /// Words to find.
    #[serde(default)]
    pub q: String,
    /// The consultation a recommendation was made to.
    #[serde(default)]
    pub consultation: String,
    /// The year it was made.
    #[serde(default)]
    pub year: String,
    /// A tag it carries.
    #[serde(default)]
    pub tag: String,
    /// Its latest outcome.
    #[serde(default)]
    pub outcome: String,
    /// One recommendation by id (after recording its outcome).
    #[serde(default)]
    pub rec: String,
    /// Page number, from 1.
    #[serde(default)]
    pub page: String,
    /// Set after an outcome was recorded for `rec`.
    #[serde(default)]
    pub recorded: String,
    /// Download format: `csv` or `xlsx`.
    #[serde(default)]
    pub format: String,
    /// `1` to let recommendations of internal sources into a download.
    #[serde(default)]
    pub internal: String,
}

/// Where a recommendation was used: a response folder and the question.
struct Use {
    slug: String,
    title: String,
    question: String,
}

/// The responses whose provenance cites each recommendation.
fn uses(lib: &Library) -> BTreeMap<String, Vec<Use>> {
    let mut out: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    let Ok(dirs) = std::fs::read_dir(lib.responses_dir()) else {
        return out;
    };
    let mut dirs: Vec<_> = dirs.filter_map(|d| d.ok()).map(|d| d.path()).collect();
    dirs.sort();
    for dir in dirs {
        let Ok(Some(prov)) = crate::draft::load_provenance(&dir.join("provenance.json")) else {
            continue;
        };
        let slug = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let title = crate::draft::consultation::load(&dir.join("consultation.toml"))
            .map(|c| c.title)
            .unwrap_or_else(|_| slug.clone());
        for c in prov
            .citations
            .iter()
            .filter(|c| c.kind == crate::draft::CitationKind::Recommendation)
        {
            let list = out.entry(c.id.clone()).or_default();
            if !list
                .iter()
                .any(|u| u.slug == slug && u.question == c.question)
            {
                list.push(Use {
                    slug: slug.clone(),
                    title: title.clone(),
                    question: c.question.clone(),
                });
            }
        }
    }
    out
}

/// The register's search and filters as one request, which the index applies, so that it
/// counts and pages the recommendations without reading them. A year is a date range (a
/// source's date never spans two years); one that is not a year matches nothing.
fn request(p: &RegisterParams, outcomes: &Outcomes) -> SearchRequest {
    let mut req = SearchRequest {
        query: Some(p.q.trim().to_string()).filter(|q| !q.is_empty()),
        types: vec![DocType::Recommendation],
        limit: usize::MAX / 4,
        ..SearchRequest::default()
    };
    if !p.rec.trim().is_empty() {
        req.exact.push(Exact::IdIn(vec![p.rec.trim().to_string()]));
    }
    if !p.consultation.is_empty() {
        req.exact.push(Exact::Consultation(p.consultation.clone()));
    }
    if !p.year.is_empty() {
        let year = p.year.trim().parse::<u16>().ok();
        match year.and_then(|y| crate::corpus::PartialDate::parse(&format!("{y:04}"))) {
            Some(y) => (req.since, req.until) = (Some(y), Some(y)),
            None => req.exact.push(Exact::IdIn(Vec::new())),
        }
    }
    if !p.tag.is_empty() {
        req.exact.push(Exact::Tag(p.tag.clone()));
    }
    if !p.outcome.is_empty() {
        req.exact.push(outcomes.filter(&p.outcome));
    }
    req
}

/// Every recommendation matching the register's words and filters, a row at a time:
/// newest first and in their place when browsing, best first for words. `Err(message)`
/// when the words cannot be read.
fn recommendations<'i>(
    index: &'i LibraryIndex,
    p: &RegisterParams,
    outcomes: &Outcomes,
) -> anyhow::Result<std::result::Result<crate::index::Matches<'i>, String>> {
    match index.matches(&request(p, outcomes), RowOrder::Listed) {
        Ok(m) => Ok(Ok(m)),
        Err(SearchError::Query(m)) => Ok(Err(m)),
        Err(e) => Err(e.into()),
    }
}

/// Whether a recommendation with this id is in the index.
fn known(index: &LibraryIndex, id: &str) -> anyhow::Result<bool> {
    let found = index.search(&SearchRequest {
        query: Some(format!("id:\"{}\"", id.replace('"', ""))),
        types: vec![DocType::Recommendation],
        limit: 1,
        ..SearchRequest::default()
    })?;
    Ok(found.hits.iter().any(|h| h.id == id))
}

/// The choices of the register's filters: what the recommendations hold, read from the
/// index's columns and postings (not from every stored recommendation).
#[derive(Default)]
struct Choices {
    consultations: BTreeSet<String>,
    years: BTreeSet<i32>,
    tags: BTreeSet<String>,
}

fn choices(index: &LibraryIndex) -> anyhow::Result<Choices> {
    let (consultations, years) = index.consultations_and_years(DocType::Recommendation)?;
    let tags = index
        .tag_counts(DocType::Recommendation)?
        .into_keys()
        .collect();
    Ok(Choices {
        consultations,
        years,
        tags,
    })
}

/// A recommendation's place on the page: an HTML id made from its id, safe whatever the id
/// holds.
fn anchor(id: &str) -> String {
    format!("rec-{}", &blake3::hash(id.as_bytes()).to_hex()[..12])
}

/// One page of the recommendations matching the register's search and filters, in the
/// order shown, and how many match in all. The index counts them and passes over the
/// earlier pages; only the page's rows are read.
struct Matching {
    shown: Vec<Row>,
    total: usize,
    /// The search could not be read (a 400).
    error: Option<String>,
    outcomes: Outcomes,
}

fn matching(
    lib: &Library,
    index: &LibraryIndex,
    p: &RegisterParams,
    page: usize,
) -> anyhow::Result<Matching> {
    let outcomes = Outcomes::load(lib)?;
    let mut matches = match recommendations(index, p, &outcomes)? {
        Ok(m) => m,
        Err(m) => {
            return Ok(Matching {
                shown: Vec::new(),
                total: 0,
                error: Some(m),
                outcomes,
            });
        }
    };
    let total = matches.total;
    matches.skip_rows((page - 1).saturating_mul(PER_PAGE))?;
    let shown = matches
        .take(PER_PAGE)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Matching {
        shown,
        total,
        error: None,
        outcomes,
    })
}

/// The register page, and whether the search could not be read (a 400).
pub fn register(
    lib: &Library,
    user: &User,
    p: &RegisterParams,
    recorded: Option<&str>,
) -> anyhow::Result<(StatusCode, Markup)> {
    let page = page_number(&p.page)?;
    // One refresh for the whole page: the listing, the filters and the groups.
    let index = fresh_index(lib)?;
    let Matching {
        shown,
        total,
        error,
        outcomes,
    } = matching(lib, &index, p, page)?;
    // The choices of each filter are what the recommendations hold.
    let Choices {
        consultations,
        years,
        tags,
    } = choices(&index)?;
    let pages = total.div_ceil(PER_PAGE).max(1);
    if page > pages {
        return Err(InputError(format!(
            "there is no page {page}: these recommendations fill {}",
            crate::cmd::plural(pages, "page", "pages")
        ))
        .into());
    }
    let first = (page - 1) * PER_PAGE + 1;
    let used = uses(lib);
    // The same ask in other sources and years, as `heard recs` groups them.
    let groups = crate::recs::Groups::shared(lib, &index)?;
    let mut sources = quotes::Sources::new(lib)?;
    // The passage each recommendation sits in, when it says more than the item itself.
    let passages: Vec<Option<String>> = shown
        .iter()
        .map(|h| {
            let s = sources.get(&h.source)?;
            let line = usize::try_from(h.line_start).ok()?;
            let passage = s
                .passages
                .iter()
                .find(|x| x.line_start <= line && line <= x.line_end)?;
            (passage.text.trim() != h.text.trim()).then(|| passage.text.clone())
        })
        .collect();
    let page_link = |n: usize| {
        let q = serde_urlencoded::to_string([
            ("q", p.q.as_str()),
            ("consultation", p.consultation.as_str()),
            ("year", p.year.as_str()),
            ("tag", p.tag.as_str()),
            ("outcome", p.outcome.as_str()),
            ("page", &n.to_string()),
        ])
        .unwrap_or_default();
        format!("/register?{q}")
    };
    let select = |name: &str, label: &str, current: &str, options: Vec<(String, String)>| {
        html! {
            div { label for=(name) { (label) }
                select id=(name) name=(name) {
                    option value="" { "Any" }
                    @for (v, l) in &options { option value=(v) selected[v == current] { (l) } }
                }
            }
        }
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let markup = layout(
        Some(user),
        "Recommendations",
        html! {
            h1 { "Recommendations register" }
            p { "What we have recommended, where it came from, the responses that used it, and what became of it." }
            @if let Some(id) = recorded {
                div.done role="status" { p { "Saved: the outcome of " (id) " is recorded in the ledger." } }
            }
            form method="get" action="/register" role="search" {
                label for="q" { "Words to find" }
                p.hint id="q-hint" { "Use \"double quotes\" for a phrase; AND, OR, NOT in capitals." }
                input type="search" id="q" name="q" value=(p.q) aria-describedby="q-hint";
                div.filters {
                    (select("consultation", "Consultation", &p.consultation, consultations.iter().map(|c| (c.to_string(), c.to_string())).collect()))
                    (select("year", "Year", &p.year, years.iter().rev().map(|y| (y.to_string(), y.to_string())).collect()))
                    (select("tag", "Tag", &p.tag, tags.iter().map(|t| (t.to_string(), t.to_string())).collect()))
                    (select("outcome", "Outcome", &p.outcome, OUTCOMES.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect()))
                }
                div.buttons { button type="submit" { "Search" } a.button.secondary href="/register" { "Show all" } }
            }
            @if let Some(e) = &error { div.problems role="alert" { p { "The search could not be read: " (e) } } }
            h2 { (crate::cmd::plural(total, "recommendation", "recommendations"))
                @if pages > 1 { " (page " (page) " of " (pages) ")" } }
            @if pages > 1 { p.meta { "Showing " (first) " to " (first + shown.len() - 1) " of " (total) ", newest first unless you search for words." } }
            @if total == 0 && error.is_none() { p { "None match. Try fewer words or filters." } }
            @if total > 0 {
                form.download method="get" action="/register/download" {
                    @for (name, value) in [("q", &p.q), ("consultation", &p.consultation), ("year", &p.year), ("tag", &p.tag), ("outcome", &p.outcome)] {
                        @if !value.is_empty() { input type="hidden" name=(name) value=(value); }
                    }
                    fieldset {
                        legend { "Download these as a spreadsheet" }
                        p.hint { "Recommendations of public sources only, unless you tick the box; restricted sources never." }
                        div.radios {
                            label { input type="radio" name="format" value="xlsx" checked; " Excel (.xlsx)" }
                            label { input type="radio" name="format" value="csv"; " CSV" }
                        }
                        label { input type="checkbox" name="internal" value="1"; " Include recommendations of internal sources" }
                        div.buttons { button type="submit" { "Download" } }
                    }
                }
            }
            @for (n, h) in shown.iter().enumerate() {
                @let current = outcomes.latest(&h.id);
                @let history = outcomes.history(&h.id);
                @let anchor = anchor(&h.id);
                section.card id=(anchor) aria-labelledby={ (anchor) "-h" } {
                    h3 id={ (anchor) "-h" } { (h.id) }
                    p.meta {
                        (h.consultation.as_deref().unwrap_or(&h.title))
                        @if let Some(d) = &h.date { " · " (d) }
                        @if !h.tags.is_empty() { " · " (h.tags.join(", ")) }
                        @if h.sensitivity == "restricted" { " · " strong { "restricted" } }
                    }
                    @if let Some(l) = &h.lead_in { p.meta { (l) } }
                    p.rec-text { (h.text) }
                    p.meta { "From " a href={ "/sources/" (seg(&h.source)) "#L" (h.line_start) } { (h.title) } " (" (h.path) ":" (h.line_start)
                        @if h.line_end != h.line_start { "–" (h.line_end) } ")" }
                    @if let Some(Some(text)) = passages.get(n) {
                        details { summary { "The passage it is in" } div.context { p { (text) } } }
                    }
                    p { "Outcome: " strong { (outcome_label(current.map_or("unknown", |o| o.outcome.as_str()))) }
                        @if let Some(o) = current { span.meta { " (recorded " (o.recorded.get(..10).unwrap_or(&o.recorded)) " by " (o.by) ")" } } }
                    @if let Some(g) = groups.of(&h.id).filter(|g| g.members.len() > 1) {
                        @let others = g.members.len() - 1;
                        p { "The same ask, made in " (g.years_text()) ": "
                            @for (i, (other, year)) in g.others(&h.id).take(OTHERS_SHOWN).enumerate() {
                                @if i > 0 { ", " }
                                a href={ "/register?rec=" (seg(other)) } { (other) }
                                @if let Some(y) = year { " (" (y) ")" }
                            }
                            @if others > OTHERS_SHOWN { " and " (others - OTHERS_SHOWN) " more" }
                        }
                    }
                    @match used.get(&h.id) {
                        Some(list) => {
                            p { "Used in:" }
                            ul { @for u in list { li { a href={ "/calls/" (seg(&u.slug)) } { (u.title) } ", question " (u.question) } } }
                        }
                        None => { p.meta { "Not used in any response yet." } }
                    }
                    @if !history.is_empty() {
                        details {
                            summary { "Outcome history (" (history.len()) ")" }
                            ol.history { @for r in history {
                                li { (r.recorded.get(..10).unwrap_or(&r.recorded)) ": " strong { (outcome_label(&r.outcome)) } " — recorded by " (r.by)
                                    @if let Some(note) = &r.note { ". " (note) }
                                    @if let Some(e) = &r.evidence {
                                        " Evidence: "
                                        @if e.starts_with("https://") || e.starts_with("http://") { a href=(e) { (e) } } @else { (e) }
                                    } }
                            } }
                        }
                    }
                    details {
                        summary { "Record an outcome" span.vh { " for " (h.id) } }
                        form method="post" action="/register/outcome" {
                            input type="hidden" name="csrf" value=(user.csrf);
                            input type="hidden" name="id" value=(h.id);
                            label for={ "outcome-" (anchor) } { "What happened" span.vh { " to " (h.id) } }
                            select id={ "outcome-" (anchor) } name="outcome" {
                                @for (v, l) in OUTCOMES {
                                    option value=(v) selected[current.map_or(v == "unknown", |o| o.outcome == v)] { (l) }
                                }
                            }
                            label for={ "note-" (anchor) } { "Note (optional)" }
                            p.hint id={ "note-hint-" (anchor) } { "For example where and when it was adopted." }
                            textarea id={ "note-" (anchor) } name="note" aria-describedby={ "note-hint-" (anchor) } {}
                            label for={ "evidence-" (anchor) } { "Link to the evidence (optional)" }
                            p.hint id={ "evidence-hint-" (anchor) } { "An address starting https://, such as the government's response." }
                            input type="url" id={ "evidence-" (anchor) } name="evidence" aria-describedby={ "evidence-hint-" (anchor) };
                            div.buttons { button type="submit" { "Record outcome" } }
                        }
                    }
                }
            }
            @if pages > 1 {
                nav aria-label="Pages" { p {
                    @if page > 1 { a href=(page_link(page - 1)) rel="prev" { "Previous page" } " " }
                    @if page < pages { a href=(page_link(page + 1)) rel="next" { "Next page" } }
                } }
            }
        },
    );
    Ok((status, markup))
}

/// `GET /register`.
pub async fn page(
    State(state): State<AppState>,
    Officer(user): Officer,
    Query(p): Query<RegisterParams>,
) -> Result<Response> {
    let lib = state.lib.clone();
    let recorded = (!p.rec.is_empty() && !p.recorded.is_empty()).then(|| p.rec.clone());
    let (status, markup) = blocking(move || register(&lib, &user, &p, recorded.as_deref())).await?;
    Ok((status, markup).into_response())
}

/// `GET /register/download`: the recommendations the register shows for the same search
/// and filters, as CSV or XLSX: the same table as `heard recs --to csv|xlsx`. Public
/// sources only unless `internal=1`; restricted sources never leave from the browser.
pub async fn download(
    State(state): State<AppState>,
    Officer(_user): Officer,
    Query(p): Query<RegisterParams>,
) -> Result<Response> {
    use crate::interop::sheets::{self, Include, SheetFormat};
    let format = match p.format.as_str() {
        "csv" => SheetFormat::Csv,
        "xlsx" | "" => SheetFormat::Xlsx,
        other => {
            return Err(InputError(format!(
                "`{other}` is not a spreadsheet format heard writes; choose csv or xlsx"
            ))
            .into());
        }
    };
    let include = (p.internal == "1").then_some(Include::Internal);
    let lib = state.lib.clone();
    let (file, ext) = blocking(move || {
        let index = fresh_index(&lib)?;
        let outcomes = Outcomes::load(&lib)?;
        let matches = match recommendations(&index, &p, &outcomes)? {
            Ok(m) => m,
            Err(e) => {
                return Err(InputError(format!("the search could not be read: {e}")).into());
            }
        };
        let about = crate::recs::About::load(&lib, &index)?;
        // A row at a time, into a temporary file that is then sent a block at a time:
        // neither the hits, nor the spreadsheet's cells, nor the file are held.
        let made = sheets::RecommendationRows::new(&lib, &outcomes, &about);
        let dir = tempfile::tempdir().context("failed to make a temporary folder")?;
        let out = dir
            .path()
            .join(format!("recommendations.{}", format.extension()));
        let mut sheet = sheets::SheetWriter::create(
            sheets::recommendations_table(),
            format,
            Some(&out),
            "recommendations",
        )?;
        for row in matches {
            let h = row?;
            // `include` is at most Internal here, so restricted sources never pass.
            if sheets::admits(include, &h.sensitivity) {
                sheet.row(made.row(&h))?;
            }
        }
        let out = sheet.finish()?;
        // Open, then let the folder go: the open file stays readable until it is sent.
        let file = std::fs::File::open(&out)
            .with_context(|| format!("failed to read `{}`", out.display()))?;
        drop(dir);
        Ok((file, format.extension()))
    })
    .await?;
    let kind = if ext == "csv" {
        "text/csv; charset=utf-8"
    } else {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    };
    let name = format!("recommendations-{}.{ext}", crate::quotes::today());
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, kind.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        // A block at a time; a read that fails ends the body with its error (the client
        // sees the download cut short, never a file that looks whole).
        axum::body::Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
            tokio::fs::File::from_std(file),
            64 * 1024,
        )),
    )
        .into_response())
}

/// The outcome form.
#[derive(Deserialize)]
pub struct OutcomeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    evidence: String,
}

/// `POST /register/outcome`: the same `rec.outcome` event as `heard recs outcome`.
pub async fn record(
    State(state): State<AppState>,
    Officer(user): Officer,
    axum::Form(f): axum::Form<OutcomeForm>,
) -> Result<Response> {
    if let Some(r) = csrf_refusal(&user, &f.csrf) {
        return Ok(r);
    }
    if !OUTCOMES.iter().any(|(v, _)| *v == f.outcome) {
        return Err(InputError(
            "choose what happened: adopted, partly, not adopted, pending or unknown".into(),
        )
        .into());
    }
    let evidence = f.evidence.trim().to_string();
    if !(evidence.is_empty() || evidence.starts_with("https://") || evidence.starts_with("http://"))
    {
        return Err(InputError(format!(
            "the evidence link `{evidence}` is not a web address; give one starting https://, or leave it empty"
        ))
        .into());
    }
    let note = f.note.trim().to_string();
    let lib = state.lib.clone();
    let who = user.who.clone();
    let id = f.id.clone();
    let found = blocking(move || {
        let known = known(&*fresh_index(&lib)?, &id)?;
        if known {
            crate::recs::record_outcome(
                &lib,
                &id,
                &f.outcome,
                Some(note.as_str()).filter(|n| !n.is_empty()),
                Some(evidence.as_str()).filter(|e| !e.is_empty()),
                &who,
            )?;
        }
        Ok(known)
    })
    .await?;
    if !found {
        return Err(InputError(format!(
            "there is no recommendation with id `{}`; the register lists them",
            f.id
        ))
        .into());
    }
    Ok(redirect(&format!(
        "/register?rec={}&recorded=1#{}",
        seg(&f.id),
        anchor(&f.id)
    )))
}
