//! Drafting: from a call for evidence to a first draft in which every quote is consented
//! to and every claim has a footnote pointing at the exact passage it came from.
//!
//! For each question: a search built from the question's words, its hints and its tags
//! (with the taxonomy's synonyms); the most relevant approved quotes, chosen so that
//! several people and sources are heard rather than five quotes from one (a greedy maximal
//! marginal relevance pick); the strongest passages of our reports and submissions; and
//! our past recommendations that bear on it. Pending, declined, withdrawn, expired,
//! out-of-scope, drifted and orphaned quotes, and restricted sources, are never used. The
//! answer is filled in order of value up to its word limit.

pub mod consultation;
pub mod framing;
pub mod provenance;
pub mod relevance;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;

pub use consultation::{Consultation, Question};
pub use provenance::{Citation, CitationKind, ConsentRecord, Provenance};

use crate::Library;
use crate::contributors::{ANONYMOUS_CREDIT, ContributorsFile};
use crate::corpus::{Kind, id_slug};
use crate::index::{DocType, Hit, LibraryIndex, SearchRequest};
use crate::quotes::{QuoteBook, Scope, Sources};
use crate::recs::Whose;
use crate::response::md_escape;

/// How much a draft takes per question when the question has no word limit.
const MAX_QUOTES: usize = 4;
const MAX_PASSAGES: usize = 2;
const MAX_RECS: usize = 3;

/// What an item already used for an earlier question is worth, against a fresh one.
const REUSE: f32 = 0.6;

/// Hits scoring below this share of the best hit are not relevant enough to use.
const RELEVANCE_FLOOR: f32 = 0.3;

/// The line a draft puts where the officer writes our answer; `check` reports it until it
/// is replaced.
pub const POSITION_PLACEHOLDER: &str =
    "[Write our answer to this question in one or two sentences.]";

/// The line a draft puts where the officer picks the answer to a question about who is
/// responding; `check` reports it until it is replaced.
pub const CHOICE_PLACEHOLDER: &str = "[Pick our answer from the options below.]";

/// What drafting one question produced.
#[derive(Debug, Clone)]
pub struct QuestionSummary {
    /// Question id.
    pub id: String,
    /// Question text.
    pub text: String,
    /// Quotes used.
    pub quotes: usize,
    /// Passages used.
    pub passages: usize,
    /// Recommendations used.
    pub recommendations: usize,
    /// Words in the answer.
    pub words: usize,
    /// The question's word limit.
    pub limit: Option<usize>,
    /// Why the answer holds no evidence, when it holds none.
    pub note: Option<String>,
}

/// What drafting produced.
#[derive(Debug)]
pub struct DraftReport {
    /// The response file written.
    pub file: PathBuf,
    /// Its provenance file.
    pub provenance: PathBuf,
    /// Whether `response.md` had been edited, so the draft went into a new file beside it.
    pub kept_edited: bool,
    /// Per question.
    pub questions: Vec<QuestionSummary>,
    /// Distinct contributors quoted.
    pub contributors: usize,
    /// Quotes used in all.
    pub quotes: usize,
    /// Relevant quotes not used, by reason.
    pub skipped: BTreeMap<String, usize>,
}

struct Picked {
    citation: Citation,
    words: usize,
    block: String,
    /// For recommendations: another organisation's, so not "we recommended".
    theirs: bool,
}

/// Quotation marks inside a quote as British style has them inside double marks: single
/// (“He said ‘come back’”). Apostrophes stay as they are.
pub fn inner_quotes_single(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open = true;
    for c in text.chars() {
        match c {
            '“' => out.push('‘'),
            '”' => out.push('’'),
            '"' => {
                out.push(if open { '‘' } else { '’' });
                open = !open;
            }
            c => out.push(c),
        }
    }
    out
}

/// `, YYYY` of a date, or nothing.
fn year_of(date: Option<&str>) -> String {
    date.and_then(|d| d.get(..4))
        .map(|y| format!(", {y}"))
        .unwrap_or_default()
}

/// Words in a piece of Markdown prose, as a reader counts them.
pub fn count_words(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// The search for a question: its meaningful words (any may match), its hints, its tags.
pub fn question_query(q: &Question) -> String {
    question_query_in(q, &relevance::Call::default())
}

/// The search for a question of a call: words common to the whole call count for less.
pub fn question_query_in(q: &Question, call: &relevance::Call) -> String {
    let mut parts: Vec<String> = relevance::content_words(&q.text)
        .into_iter()
        .map(|w| {
            if call.common.contains(&w) {
                format!("{w}^0.2")
            } else {
                w
            }
        })
        .collect();
    if let Some(hint) = &q.query {
        parts.push(format!("({hint})"));
    }
    for t in &q.tags {
        parts.push(format!("tag:{}^2", crate::corpus::tag_slug(t)));
        parts.push(t.replace('-', " "));
    }
    let mut seen = HashSet::new();
    parts.retain(|p| seen.insert(p.clone()));
    parts.join(" ")
}

/// What a question asks, for its meaning: its text and hints.
fn question_text(q: &Question) -> String {
    match &q.query {
        Some(h) => format!("{} {h}", q.text),
        None => q.text.clone(),
    }
}

/// The response file and provenance file paths of a response folder or file.
pub fn response_paths(target: &Path) -> (PathBuf, PathBuf) {
    let file = if target.is_dir() {
        target.join("response.md")
    } else {
        target.to_path_buf()
    };
    (file.clone(), provenance_path(&file))
}

/// Where the provenance of a response file is kept.
pub fn provenance_path(file: &Path) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new("."));
    match file.file_name().and_then(|n| n.to_str()) {
        Some("response.md") | None => dir.join("provenance.json"),
        Some(name) => dir.join(format!("{}.provenance.json", name.trim_end_matches(".md"))),
    }
}

/// Read a provenance file, if there is one.
pub fn load_provenance(path: &Path) -> anyhow::Result<Option<Provenance>> {
    match std::fs::read(path) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .with_context(|| format!("`{}` is damaged; draft again to rebuild it", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    }
}

/// What the searches found for one question.
struct Found {
    /// Quotes, passages and recommendations, best first.
    hits: [Vec<Hit>; 3],
    /// Whether any of them is strong evidence for the question.
    strong: bool,
    /// The nearest weak evidence, for the note of a question with no strong evidence.
    weak: Vec<(String, String)>,
}

/// Keep of each question's candidates only those `choice` keeps: an item goes to the
/// question it fits best (and to others it fits nearly as well), and weak followers of a
/// strong first item are cut.
fn contest(found: &mut [Option<Found>], choice: relevance::Choice) {
    let keep = {
        let mut lists: Vec<Vec<(&str, f32)>> = Vec::new();
        let mut question = Vec::new();
        for (i, f) in found.iter().enumerate() {
            for hits in f.iter().flat_map(|f| &f.hits) {
                lists.push(hits.iter().map(|h| (h.id.as_str(), h.score)).collect());
                question.push(i);
            }
        }
        choice.keep(&lists, &question)
    };
    let mut keep = keep.into_iter();
    for hits in found.iter_mut().flatten().flat_map(|f| &mut f.hits) {
        let mut k = keep.next().unwrap_or_default().into_iter();
        hits.retain(|_| k.next().unwrap_or(true));
    }
}

struct Drafter<'a> {
    lib: &'a Library,
    index: &'a LibraryIndex,
    book: QuoteBook,
    /// What became of each recommendation: its citation names the latest outcome.
    outcomes: crate::recs::Outcomes,
    sources: Sources<'a>,
    people: ContributorsFile,
    scope: Scope,
    used: HashSet<String>,
    skipped: BTreeMap<String, usize>,
    skipped_seen: HashSet<String>,
    /// Which candidates fit their question in words and meaning together, by question
    /// and id: only these may follow the best passage or recommendation of a question.
    fits: HashSet<(String, String)>,
    /// Passages and recommendations passed over because they fit too loosely: counted in
    /// the summary when no question used them and nothing else kept them back.
    loose: HashSet<String>,
    privacy: crate::privacy::Privacy,
    call: relevance::Call,
    taxonomy: crate::taxonomy::Taxonomy,
    /// Candidates that matched only words common to the call or nothing distinctive: the
    /// nearest weak evidence, named when a question has no strong evidence.
    weak: Vec<(String, String)>,
    /// Whether anything found for the current question is strong evidence for it.
    strong: bool,
    /// Evidence that fits the current question but may not be used in this response (a
    /// source not marked public in a response that leaves, people's words with no approved
    /// quote…): where it is and why, so a gap is never called "nothing in the library".
    held: Vec<(String, String)>,
    /// What the current question is about (weighed once per question, not per search).
    about: relevance::About,
    /// How meaning joins words.
    meaning: relevance::Meaning,
    /// Whether passages that describe a document rather than the issue are set aside.
    set_aside_framing: bool,
    /// Who frames a document, by the source's organisation: ours and theirs.
    framers: HashMap<String, framing::Classifier>,
}

impl Drafter<'_> {
    fn search(
        &mut self,
        q: &Question,
        doc_type: DocType,
        kinds: Vec<Kind>,
        limit: usize,
    ) -> anyhow::Result<Vec<Hit>> {
        let req = SearchRequest {
            query: Some(question_query_in(q, &self.call)),
            types: vec![doc_type],
            kinds,
            limit,
            any: true,
            ..SearchRequest::default()
        };
        let res = self.index.search_question(
            &req,
            &question_text(q),
            self.meaning.fusion,
            self.meaning.support.min(self.meaning.strong),
        );
        let res = match res {
            Ok(r) => r,
            Err(crate::index::SearchError::Query(msg)) => {
                anyhow::bail!("question {}: its search hints cannot be read: {msg}", q.id)
            }
            Err(e) => return Err(e.into()),
        };
        let top = res.hits.iter().filter_map(|h| h.words).fold(0f32, f32::max);
        let m = self.meaning;
        let mut out = Vec::new();
        for h in res.hits {
            // Without embeddings (not built yet) words alone decide.
            let cos = h.meaning.unwrap_or(f32::NAN);
            let close = |floor: f32| h.meaning.is_some_and(|c| c >= floor);
            let weak_words = h.words.is_none_or(|w| w < top * RELEVANCE_FLOOR);
            // Evidence must cover enough of what is distinctive of the question, or be a quote
            // an officer tagged with one of the question's themes (people say things in their
            // own words, not the question's). A source's themes describe the whole source and
            // let in too much (measured in EVALUATION.md).
            let tagged = doc_type == DocType::Quote
                && self
                    .book
                    .quotes
                    .get(&h.id)
                    .is_some_and(|x| q.tags.iter().any(|t| x.tags.contains(t)));
            // A quote an officer tagged with the question's theme need not share its words
            // with the best hit, and is vetoed by meaning only when far from it: a 3-layer
            // model hears little of what people mean in their own words (the floor is
            // measured in EVALUATION.md).
            let least = if tagged { m.tagged_least } else { m.least };
            if (weak_words && !tagged && !close(m.support))
                || h.sensitivity == "restricted"
                || h.meaning.is_some_and(|c| c < least)
            {
                continue;
            }
            if doc_type == DocType::Passage && self.is_framing(q, &h) {
                // Counted only when it would otherwise have been a candidate.
                let cover = self.about.coverage(&h.text);
                if cover >= relevance::SUPPORT_FLOOR || close(m.support) {
                    self.skip(&h.id, framing::Framing::SET_ASIDE);
                }
                continue;
            }
            let about = &self.about;
            let cover = about.coverage(&h.text);
            let on_theme = doc_type != DocType::Quote && q.tags.iter().any(|t| h.tags.contains(t));
            if std::env::var_os("HEARD_DEBUG_RELEVANCE").is_some() {
                eprintln!(
                    "{} {:?} {} {}:{} tagged={tagged} theme={on_theme} cover={cover:.2} cos={cos:.2} score={:.2} w={:.2}",
                    q.id,
                    doc_type,
                    h.id,
                    h.path,
                    h.line_start,
                    h.score,
                    h.words.unwrap_or(0.0) / top.max(f32::EPSILON)
                );
            }
            let strong = cover >= relevance::FLOOR || close(m.strong);
            self.strong |= strong;
            // Once something strong shows the library can answer the question, weaker
            // evidence on its theme, or close to it in meaning, may support it.
            let supporting = tagged
                || cover >= relevance::SUPPORT_FLOOR
                || (on_theme && cover > 0.0)
                || close(m.support);
            if strong || supporting {
                // The best passage and recommendation need only the floors above; one
                // that follows them must also fit the question in words and meaning
                // together (the pickers ask), so that a free slot is not filled with the
                // next best of poor matches.
                if h.meaning.is_none_or(|c| cover + c >= m.fit) {
                    self.fits.insert((q.id.clone(), h.id.clone()));
                }
                out.push(h);
            } else if self.weak.len() < 3 && !self.weak.iter().any(|w| w.0 == h.id) {
                self.weak
                    .push((h.id.clone(), format!("{}:{}", h.path, h.line_start)));
            }
        }
        Ok(out)
    }

    /// Everything that may serve a question, before the call's questions compete for it:
    /// quotes, passages of reports, submissions and other documents (never people's own
    /// words, which leave only as consented quotes), and recommendations.
    fn find(&mut self, q: &Question) -> anyhow::Result<Found> {
        self.weak.clear();
        self.strong = false;
        self.about = relevance::About::of(q, &self.call, &self.taxonomy, self.index);
        let hits = [
            self.search(q, DocType::Quote, Vec::new(), 60)?,
            self.search(
                q,
                DocType::Passage,
                vec![Kind::Report, Kind::Submission, Kind::Other],
                40,
            )?,
            self.search(q, DocType::Recommendation, Vec::new(), 30)?,
        ];
        Ok(Found {
            hits,
            strong: self.strong,
            weak: std::mem::take(&mut self.weak),
        })
    }

    /// Whether a passage describes a document or its authors rather than the issue (an
    /// introduction, method, "about us") and the question does not ask for that.
    fn is_framing(&mut self, q: &Question, hit: &Hit) -> bool {
        if !self.set_aside_framing {
            return false;
        }
        let theirs = self
            .sources
            .get(&hit.source)
            .and_then(|s| s.meta.organisation.clone())
            .unwrap_or_default();
        let ours = &self.lib.config.organisation;
        let classifier = self
            .framers
            .entry(theirs.clone())
            .or_insert_with(|| framing::Classifier::new([ours.as_str(), theirs.as_str()]));
        match classifier.framing(&hit.section, &hit.text) {
            None => false,
            // An opening is set aside only when the document says it in full elsewhere.
            Some(framing::Framing::Opening) => self.sources.get(&hit.source).is_some_and(|s| {
                framing::restated(
                    s.passages
                        .iter()
                        .filter(|p| p.recommendation.is_none())
                        .map(|p| p.section.as_str()),
                )
            }),
            Some(f) => !framing::asked_for(&q.text, f),
        }
    }

    /// Hits ordered with those already used for an earlier question counting for less:
    /// one item may serve several questions, but a fresh one is preferred.
    fn fresh_first(&self, mut hits: Vec<Hit>) -> Vec<Hit> {
        let worth = |h: &Hit| {
            if self.used.contains(&h.id) {
                h.score * REUSE
            } else {
                h.score
            }
        };
        hits.sort_by(|a, b| worth(b).total_cmp(&worth(a)));
        hits
    }

    /// Whether a passage or recommendation may leave in this response: outside the
    /// organisation only what a reader outside could see, and people's own words only ever
    /// as consented quotes. A refusal is tallied; a source that cannot be read is skipped.
    fn may_leave(&mut self, hit: &Hit) -> bool {
        let refusal = match self.sources.get(&hit.source) {
            Some(source) => crate::consent::passage_may_leave(source, self.scope).err(),
            None => return false,
        };
        if let Some(r) = refusal {
            self.skip(&hit.id, &r.summary());
            let at = format!("{}:{}", hit.path, hit.line_start);
            if self.held.len() < 3 && !self.held.iter().any(|h| h.0 == at) {
                self.held.push((at, r.summary()));
            }
            return false;
        }
        true
    }

    /// Whether a passage or recommendation may follow the best one of its kind for `q`:
    /// only when it fits the question in words and meaning together. One that does not is
    /// remembered, to be counted if nothing else uses it.
    fn follows(&mut self, q: &Question, hit: &Hit) -> bool {
        let fits = self.fits.contains(&(q.id.clone(), hit.id.clone()));
        if !fits {
            self.loose.insert(hit.id.clone());
        }
        fits
    }

    fn skip(&mut self, id: &str, reason: &str) {
        if self.skipped_seen.insert(id.to_string()) {
            *self.skipped.entry(reason.to_string()).or_insert(0) += 1;
        }
    }

    /// Approved, in-scope, well-anchored quotes, most relevant first, several voices.
    fn quotes(&mut self, q: &Question, hits: Vec<Hit>) -> anyhow::Result<Vec<Picked>> {
        let mut usable = Vec::new();
        for hit in hits {
            let Some(quote) = self.book.quotes.get(&hit.id).cloned() else {
                continue;
            };
            let today = crate::quotes::today();
            let source = self.sources.get(&quote.source);
            if let Err(r) = crate::consent::quote_may_leave(&quote, source, self.scope, &today) {
                self.skip(&quote.id, &r.summary());
                continue;
            }
            let loc = self.sources.locate(&quote);
            if !self.privacy.flags(&loc.text).is_empty() {
                self.skip(&quote.id, "quote naming someone or holding personal data");
                continue;
            }
            if !loc.state.is_valid() {
                self.skip(
                    &quote.id,
                    "quote whose words changed in the source: run `heard quotes --anchor drifted`",
                );
                continue;
            }
            // A person's words are quoted once in a response; passages and recommendations
            // may serve several questions.
            if self.used.contains(&quote.id) {
                continue;
            }
            usable.push((hit.score, quote, loc));
        }
        // Greedy maximal marginal relevance: each pick is worth less for every earlier pick
        // from the same person or the same source.
        let top = usable.first().map_or(1.0, |u| u.0).max(f32::EPSILON);
        let mut picked: Vec<(crate::quotes::Quote, crate::quotes::Located)> = Vec::new();
        while picked.len() < MAX_QUOTES && !usable.is_empty() {
            let value = |u: &(f32, crate::quotes::Quote, crate::quotes::Located)| {
                let same_speaker =
                    picked.iter().filter(|p| p.0.speaker == u.1.speaker).count() as f32;
                let same_source = picked.iter().filter(|p| p.0.source == u.1.source).count() as f32;
                u.0 / top - 0.6 * same_speaker - 0.3 * same_source
            };
            let best = (0..usable.len())
                .max_by(|&a, &b| value(&usable[a]).total_cmp(&value(&usable[b])))
                .expect("not empty");
            let (_, quote, loc) = usable.remove(best);
            picked.push((quote, loc));
        }
        let mut out = Vec::new();
        for (quote, loc) in picked {
            let Some(source) = self.sources.get(&quote.source).cloned() else {
                continue;
            };
            let attribution = quote
                .speaker
                .as_deref()
                .and_then(|s| self.people.get(s))
                .map_or_else(|| ANONYMOUS_CREDIT.to_string(), |c| c.attribution());
            let (a, b) = loc.lines.unwrap_or((0, 0));
            let block = format!(
                "> “{}”\n> — {}[^{}]\n",
                md_escape(&inner_quotes_single(&loc.text)),
                md_escape(&attribution),
                quote.id
            );
            out.push(Picked {
                words: count_words(&loc.text) + count_words(&attribution),
                block,
                theirs: false,
                citation: Citation {
                    label: quote.id.clone(),
                    kind: CitationKind::Quote,
                    question: q.id.clone(),
                    id: quote.id.clone(),
                    source: source.id.clone(),
                    title: source.title.clone(),
                    source_kind: source.kind.as_str().into(),
                    date: source.date.clone(),
                    organisation: source.meta.organisation.clone(),
                    url: source.meta.url.clone(),
                    consultation: source.meta.consultation.clone(),
                    sensitivity: source.sensitivity.as_str().into(),
                    path: loc.path.clone(),
                    line_start: a,
                    line_end: b,
                    page: loc.lines.and_then(|(a, _)| source.page_at_line(a)),
                    text_hash: blake3::hash(loc.text.as_bytes()).to_hex().to_string(),
                    text: loc.text.clone(),
                    speaker: quote.speaker.clone(),
                    attribution: Some(attribution),
                    consent: Some(ConsentRecord {
                        scope: quote.scope.map_or("", |s| s.as_str()).into(),
                        given: quote.consented.clone().unwrap_or_default(),
                        expires: quote.expires.clone(),
                    }),
                    outcome: None,
                },
            });
            self.used.insert(quote.id.clone());
        }
        Ok(out)
    }

    /// Passages of reports, submissions and other documents (never people's own words,
    /// which leave only as consented quotes), one per source.
    fn passages(&mut self, q: &Question, hits: Vec<Hit>) -> anyhow::Result<Vec<Picked>> {
        let hits = self.fresh_first(hits);
        let mut out = Vec::new();
        let mut sources = HashSet::new();
        for hit in hits {
            if out.len() == MAX_PASSAGES {
                break;
            }
            if !self.may_leave(&hit) {
                continue;
            }
            if count_words(&hit.text) < 8
                || sources.contains(&hit.source)
                || !self.privacy.flags(&hit.text).is_empty()
            {
                continue;
            }
            if !out.is_empty() && !self.follows(q, &hit) {
                continue;
            }
            sources.insert(hit.source.clone());
            let label = format!("p-{}-L{}", id_slug(&hit.source), hit.line_start);
            let year = hit
                .date
                .as_deref()
                .and_then(|d| d.get(..4))
                .unwrap_or_default();
            let named = match hit.kind.as_str() {
                "submission" => hit
                    .consultation
                    .as_deref()
                    .map_or_else(|| format!("“{}”", hit.title), |c| format!("the {c}")),
                _ => format!("“{}”", hit.title),
            };
            let year = if year.is_empty() || named.contains(year) {
                String::new()
            } else {
                format!(" ({year})")
            };
            let lead = match (self.whose(&hit.source), hit.kind.as_str()) {
                (Whose::Ours, "submission") => format!("In our response to {named}{year} we said:"),
                (Whose::Ours, "report") => format!("Our report {named}{year} found:"),
                (Whose::Ours, _) => format!("Our {named}{year} says:"),
                (Whose::Theirs(org), "submission") => {
                    format!("{org}’s response to {named}{year} said:")
                }
                (Whose::Theirs(org), "report") => format!("{org}’s report {named}{year} found:"),
                (Whose::Theirs(org), _) => format!("{org}’s {named}{year} says:"),
                (Whose::Unknown, "submission") => format!("The response to {named}{year} said:"),
                (Whose::Unknown, "report") => format!("The report {named}{year} found:"),
                (Whose::Unknown, _) => format!("{named}{year} says:"),
            };
            let block = format!("{} {}[^{label}]\n", md_escape(&lead), md_escape(&hit.text));
            self.used.insert(hit.id.clone());
            out.push(Picked {
                words: count_words(&lead) + count_words(&hit.text),
                block,
                citation: self.citation_of(&hit, label, CitationKind::Passage, q),
                theirs: false,
            });
        }
        Ok(out)
    }

    /// Our past recommendations that bear on the question.
    fn recommendations(&mut self, q: &Question, hits: Vec<Hit>) -> anyhow::Result<Vec<Picked>> {
        let hits = self.fresh_first(hits);
        // Prefer recommendations from different reports and submissions; take a second from
        // the same source only when there are not enough others.
        let mut seen_sources = HashSet::new();
        let (first, rest): (Vec<Hit>, Vec<Hit>) = hits
            .into_iter()
            .partition(|h| seen_sources.insert(h.source.clone()));
        let mut out = Vec::new();
        for hit in first.into_iter().chain(rest) {
            if out.len() == MAX_RECS {
                break;
            }
            if !self.privacy.flags(&hit.text).is_empty() {
                continue;
            }
            if !self.may_leave(&hit) {
                continue;
            }
            if !out.is_empty() && !self.follows(q, &hit) {
                continue;
            }
            self.used.insert(hit.id.clone());
            let mut c = self.citation_of(&hit, hit.id.clone(), CitationKind::Recommendation, q);
            c.outcome = self.outcomes.latest(&hit.id).map(|o| o.outcome.clone());
            let whose = self.whose(&hit.source);
            let by = match &whose {
                Whose::Ours => String::new(),
                Whose::Theirs(org) => format!(" ({org}{})", year_of(hit.date.as_deref())),
                Whose::Unknown => format!(" (“{}”{})", hit.title, year_of(hit.date.as_deref())),
            };
            out.push(Picked {
                words: count_words(&hit.text) + count_words(&by),
                block: format!(
                    "- {}{}[^{}]\n",
                    md_escape(&hit.text),
                    md_escape(&by),
                    hit.id
                ),
                citation: c,
                theirs: !matches!(whose, Whose::Ours),
            });
        }
        Ok(out)
    }

    /// Whose material a source is: ours (our organisation's, or our own file with no
    /// organisation named), another organisation's, or an imported document that names
    /// nobody (never presented as ours).
    fn whose(&mut self, source: &str) -> Whose {
        match self.sources.get(source) {
            Some(s) => crate::recs::whose(s, &self.lib.config.organisation),
            None => Whose::Unknown,
        }
    }

    fn citation_of(
        &mut self,
        hit: &Hit,
        label: String,
        kind: CitationKind,
        q: &Question,
    ) -> Citation {
        let (organisation, url) = match self.sources.get(&hit.source) {
            Some(s) => (s.meta.organisation.clone(), s.meta.url.clone()),
            None => (None, None),
        };
        Citation {
            label,
            kind,
            question: q.id.clone(),
            id: hit.id.clone(),
            source: hit.source.clone(),
            title: hit.title.clone(),
            source_kind: hit.kind.clone(),
            date: hit.date.clone(),
            organisation,
            url,
            consultation: hit.consultation.clone(),
            sensitivity: hit.sensitivity.clone(),
            path: hit.path.clone(),
            line_start: hit.line_start as usize,
            line_end: hit.line_end as usize,
            page: hit.page,
            text_hash: blake3::hash(hit.text.as_bytes()).to_hex().to_string(),
            text: hit.text.clone(),
            speaker: None,
            attribution: None,
            consent: None,
            outcome: None,
        }
    }
}

/// The internal footnote of a citation: file, lines, and for quotes the consent relied on.
pub fn internal_footnote(c: &Citation) -> String {
    let mut lines = if c.line_start == c.line_end {
        format!("line {}", c.line_start)
    } else {
        format!("lines {}–{}", c.line_start, c.line_end)
    };
    if let Some(page) = c.page {
        lines.push_str(&format!(" (p. {page} of the original)"));
    }
    let about = match &c.date {
        Some(d) => format!("{}, {d}", c.source_kind),
        None => c.source_kind.clone(),
    };
    match c.kind {
        CitationKind::Quote => {
            let consent = c.consent.as_ref().map_or(String::new(), |k| {
                format!(
                    "; consent: {} use, given {}{}",
                    k.scope,
                    k.given.get(..10).unwrap_or(&k.given),
                    k.expires
                        .as_ref()
                        .map(|e| format!(", until {e}"))
                        .unwrap_or_default()
                )
            });
            format!(
                "Quote {} from “{}” ({about}), {} {lines}; speaker {}{consent}.",
                c.id,
                c.title,
                c.path,
                c.speaker.as_deref().unwrap_or("unknown")
            )
        }
        CitationKind::Passage => format!("“{}” ({about}), {} {lines}.", c.title, c.path),
        CitationKind::Recommendation => format!(
            "Recommendation {} of “{}” ({about}{}), {} {lines}. Outcome: {}.",
            c.id,
            c.title,
            c.consultation
                .as_ref()
                .map(|k| format!(", response to the {k}"))
                .unwrap_or_default(),
            c.path,
            c.outcome
                .as_deref()
                .unwrap_or("not recorded")
                .replace('-', " ")
        ),
    }
}

/// Draft a response for the consultation in `dir`.
pub fn draft(lib: &Library, index: &LibraryIndex, dir: &Path) -> anyhow::Result<DraftReport> {
    let consultation = consultation::load(&dir.join("consultation.toml"))?;
    // Evidence is chosen by meaning as well as words. A large library's meaning need not
    // all be known (`heard index` or a watcher completes it; searches read the texts they
    // look at); each question's nearest texts are found in one pass over the store.
    index.with_some_meaning(lib, &crate::index::Quiet)?;
    let texts: Vec<String> = consultation
        .questions
        .iter()
        .filter(|q| !relevance::is_profile(q))
        .map(question_text)
        .collect();
    index.prepare_meaning(&texts)?;
    let book = QuoteBook::load(lib)?;
    if let Some(e) = book.untrusted() {
        return Err(e.context("not drafted"));
    }
    let mut d = Drafter {
        lib,
        index,
        outcomes: crate::recs::Outcomes::fold(&book.ledger),
        book,
        sources: Sources::new(lib)?,
        privacy: crate::privacy::Privacy::new(&crate::contributors::load(lib)?),
        people: crate::contributors::load(lib)?,
        scope: consultation.scope,
        used: HashSet::new(),
        skipped: BTreeMap::new(),
        skipped_seen: HashSet::new(),
        fits: HashSet::new(),
        loose: HashSet::new(),
        call: relevance::Call::of(&consultation.questions),
        taxonomy: crate::taxonomy::load(lib)?,
        weak: Vec::new(),
        strong: false,
        held: Vec::new(),
        about: relevance::About::default(),
        meaning: relevance::Meaning::from_env(),
        set_aside_framing: framing::enabled(),
        framers: HashMap::new(),
    };
    let organisation = if lib.config.organisation.is_empty() {
        "our organisation".to_string()
    } else {
        lib.config.organisation.clone()
    };
    let mut md = String::new();
    let now = crate::ledger::now();
    writeln!(md, "# Response to {}\n", md_escape(&consultation.title))?;
    writeln!(
        md,
        "<!-- heard: first draft made {} from the library “{}”. This is the internal working copy: footnotes give file paths, lines and consent. Edit freely, then run `heard check`; `heard export` makes the version to send. -->\n",
        &now[..16.min(now.len())],
        d.lib.config.name
    )?;
    let mut about = Vec::new();
    if !consultation.body.is_empty() {
        about.push(format!("Consultation by {}", md_escape(&consultation.body)));
    }
    if let Some(dl) = &consultation.deadline {
        about.push(format!("closing {dl}"));
    }
    if !about.is_empty() {
        writeln!(md, "{}.\n", about.join(", "))?;
    }
    writeln!(md, "Response from {}.\n", md_escape(&organisation))?;

    // Every question is searched first, so that the call's questions can compete for
    // evidence: an item is used where it fits best, not by the first question to find it.
    let mut found = Vec::new();
    for q in &consultation.questions {
        found.push(if relevance::is_profile(q) {
            None
        } else {
            Some(d.find(q)?)
        });
        // Each question reads the index's pages for its own words; holding every
        // question's at once was most of a large library's draft's memory.
        index.let_go_of_pages();
    }
    contest(&mut found, relevance::Choice::from_env());
    let mut found = found.into_iter();
    let has_chapters = consultation.questions.iter().any(|q| q.chapter.is_some());
    let hashes = if has_chapters { "###" } else { "##" };
    let mut chapter: Option<&str> = None;
    let mut citations = Vec::new();
    let mut summaries = Vec::new();
    for q in &consultation.questions {
        let this = found.next().flatten();
        if has_chapters && q.chapter.as_deref() != chapter {
            chapter = q.chapter.as_deref();
            writeln!(
                md,
                "## {}\n",
                md_escape(chapter.unwrap_or("Other questions"))
            )?;
        }
        if relevance::is_profile(q) {
            // About the respondent: the officer picks an answer; evidence has no place.
            writeln!(
                md,
                "{hashes} {}. {}\n",
                md_escape(&q.id),
                md_escape(&q.text)
            )?;
            writeln!(
                md,
                "<!-- heard: a question about who is responding: pick the answer; no evidence is used. -->\n"
            )?;
            writeln!(md, "**Our answer:** {CHOICE_PLACEHOLDER}\n")?;
            for o in &q.options {
                writeln!(md, "- {}", md_escape(o))?;
            }
            if !q.options.is_empty() {
                md.push('\n');
            }
            summaries.push(QuestionSummary {
                id: q.id.clone(),
                text: q.text.clone(),
                quotes: 0,
                passages: 0,
                recommendations: 0,
                words: 0,
                limit: q.word_limit,
                note: Some(if q.options.is_empty() {
                    "about who is responding: no evidence".into()
                } else {
                    format!(
                        "about who is responding: {} options listed, no evidence",
                        q.options.len()
                    )
                }),
            });
            continue;
        }
        let Some(Found {
            hits: [quote_hits, passage_hits, rec_hits],
            strong,
            weak,
        }) = this
        else {
            anyhow::bail!("question {}: nothing was searched for it", q.id);
        };
        d.held.clear();
        d.strong = strong;
        d.weak = weak;
        let mut quotes = d.quotes(q, quote_hits)?;
        let mut passages = d.passages(q, passage_hits)?;
        let mut recs = d.recommendations(q, rec_hits)?;
        if !d.strong {
            // Only weak matches: an honest gap, not padding.
            for p in quotes.iter().chain(&passages).chain(&recs) {
                if d.weak.len() < 3 {
                    d.weak.push((
                        p.citation.id.clone(),
                        format!("{}:{}", p.citation.path, p.citation.line_start),
                    ));
                }
                d.used.remove(&p.citation.id);
            }
            quotes.clear();
            passages.clear();
            recs.clear();
        }
        let (nq, np, nr) = (quotes.len(), passages.len(), recs.len());
        // Order of value: a voice, our evidence, our ask, then more of each.
        let mut queue: Vec<(usize, Picked)> = Vec::new();
        let mut iters = (quotes.into_iter(), passages.into_iter(), recs.into_iter());
        loop {
            let before = queue.len();
            for i in 0..3 {
                let next = match i {
                    0 => iters.0.next(),
                    1 => iters.1.next(),
                    _ => iters.2.next(),
                };
                if let Some(p) = next {
                    queue.push((i, p));
                }
            }
            if queue.len() == before {
                break;
            }
        }
        let mut words = count_words(POSITION_PLACEHOLDER) + 2;
        let mut chosen: Vec<(usize, Picked)> = Vec::new();
        let mut over_from: Option<usize> = None;
        for (i, p) in queue {
            let extra = p.words
                + if chosen.iter().any(|c| c.0 == i) {
                    0
                } else {
                    8
                };
            match q.word_limit {
                Some(limit) if words + extra > limit => {
                    if chosen.is_empty() {
                        over_from = Some(0);
                    } else {
                        continue;
                    }
                }
                _ => {}
            }
            words += extra;
            chosen.push((i, p));
        }
        chosen.sort_by_key(|c| c.0);
        let mut body = String::new();
        writeln!(body, "**Our position:** {POSITION_PLACEHOLDER}\n")?;
        let gap = chosen.is_empty();
        let held = d.strong && !d.held.is_empty();
        if gap && held {
            writeln!(
                body,
                "<!-- heard: evidence that fits this question may not be used in this response: {}. Change what keeps it back if it may be used, or write this answer from the team's own knowledge. -->\n",
                held_back(&d.held)
            )?;
        }
        if gap && !held {
            let nearest = if d.weak.is_empty() {
                "nothing in the library comes near it".to_string()
            } else {
                format!(
                    "the nearest, weakly related: {}",
                    d.weak
                        .iter()
                        .map(|w| w.1.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            writeln!(
                body,
                "<!-- heard: no strong evidence in the library for this question ({nearest}). Write this answer from the team's own knowledge. -->\n"
            )?;
        }
        if !q.options.is_empty() {
            writeln!(body, "Options (keep the one we choose):\n")?;
            for o in &q.options {
                writeln!(body, "- {}", md_escape(o))?;
            }
            body.push('\n');
        }
        if over_from.is_some() {
            writeln!(
                body,
                "<!-- ✂ heard: over the word limit even with one piece of evidence: trim what follows. -->\n"
            )?;
        }
        let groups = [
            (0, false, "People we work with told us:"),
            (1, false, ""),
            (2, false, "We have recommended before, and recommend again:"),
            (2, true, "Others have called for this too:"),
        ];
        for (kind, theirs, lead) in groups {
            let items: Vec<&Picked> = chosen
                .iter()
                .filter(|c| c.0 == kind && (kind != 2 || c.1.theirs == theirs))
                .map(|c| &c.1)
                .collect();
            if items.is_empty() {
                continue;
            }
            if !lead.is_empty() {
                writeln!(body, "{lead}\n")?;
            }
            for (n, p) in items.iter().enumerate() {
                body.push_str(&p.block);
                if kind != 2 || n + 1 == items.len() {
                    body.push('\n');
                }
            }
        }
        let answer_words = count_words(&strip_for_count(&body));
        let limit_note = match q.word_limit {
            Some(l) if answer_words > l => {
                format!("{answer_words} words: over the limit of {l}, trim marked")
            }
            Some(l) => format!("{answer_words} of {l} words"),
            None => format!("{answer_words} words, no limit"),
        };
        writeln!(
            md,
            "{hashes} {}. {}\n",
            md_escape(&q.id),
            md_escape(&q.text)
        )?;
        writeln!(md, "<!-- heard: {limit_note}. -->\n")?;
        md.push_str(&body);
        for (_, p) in &chosen {
            writeln!(
                md,
                "[^{}]: {}",
                p.citation.label,
                md_escape(&internal_footnote(&p.citation))
            )?;
        }
        md.push('\n');
        summaries.push(QuestionSummary {
            id: q.id.clone(),
            text: q.text.clone(),
            quotes: chosen.iter().filter(|c| c.0 == 0).count().min(nq),
            passages: chosen.iter().filter(|c| c.0 == 1).count().min(np),
            recommendations: chosen.iter().filter(|c| c.0 == 2).count().min(nr),
            words: answer_words,
            limit: q.word_limit,
            note: gap.then(|| {
                if held {
                    "evidence that fits may not be used here — see the note in the draft"
                        .to_string()
                } else if d.weak.is_empty() {
                    "no strong evidence in the library".to_string()
                } else {
                    format!(
                        "no strong evidence in the library (nearest: {}, weakly related — see the note in the draft)",
                        crate::cmd::plural(d.weak.len(), "item", "items")
                    )
                }
            }),
        });
        citations.extend(chosen.into_iter().map(|(_, p)| p.citation));
    }
    let quoted: HashSet<String> = citations
        .iter()
        .filter(|c| c.kind == CitationKind::Quote)
        .filter_map(|c| c.speaker.clone())
        .collect();
    let n_quotes = citations
        .iter()
        .filter(|c| c.kind == CitationKind::Quote)
        .count();
    // Ours and others' are counted apart: another organisation's report is not ours.
    let mut ours = HashSet::new();
    let mut theirs = HashSet::new();
    let mut n_recs = 0;
    for c in citations.iter().filter(|c| c.kind != CitationKind::Quote) {
        let mine = matches!(d.whose(&c.source), Whose::Ours);
        if mine && c.kind == CitationKind::Recommendation {
            n_recs += 1;
        }
        if mine {
            ours.insert(c.source.clone());
        } else {
            theirs.insert(c.source.clone());
        }
    }
    let others = if theirs.is_empty() {
        String::new()
    } else {
        format!(
            ", {} by others (named where they are cited)",
            crate::cmd::plural(theirs.len(), "document", "documents")
        )
    };
    writeln!(md, "## How this response was produced\n")?;
    writeln!(
        md,
        "This response draws on the evidence library of {}: {} from {} with lived experience of the issues, {} of our reports and past submissions{others}, and {} of our earlier recommendations. Every quote was approved by the person who said it for use {}, and each approval is recorded in our consent log; people are credited as they asked to be, and nobody is named without their agreement. Material we hold in confidence was not used.",
        md_escape(&organisation),
        crate::cmd::plural(n_quotes, "quote", "quotes"),
        crate::cmd::plural(quoted.len(), "person", "people"),
        ours.len(),
        n_recs,
        d.scope.meaning()
    )?;

    // Never overwrite a draft a person has edited: write beside it instead. The library's
    // write lock keeps a position saved from the web from landing between check and write.
    let _lock = crate::ledger::write_lock(lib)?;
    let (mut file, mut prov_path) = response_paths(dir);
    let mut kept_edited = false;
    if file.exists() {
        let current =
            std::fs::read(&file).with_context(|| format!("failed to read `{}`", file.display()))?;
        // A damaged provenance.json cannot vouch that response.md is untouched: keep it.
        let generated = load_provenance(&prov_path)
            .ok()
            .flatten()
            .map(|p| p.file_hash);
        if generated.as_deref() != Some(blake3::hash(&current).to_hex().as_str()) {
            kept_edited = true;
            let stamp = now
                .get(..19)
                .unwrap_or(&now)
                .replace([':', '-'], "")
                .replace('T', "-");
            file = dir.join(format!("response-{stamp}.md"));
            prov_path = provenance_path(&file);
        }
    }
    let prov = Provenance {
        generated: now.clone(),
        file: file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        file_hash: blake3::hash(md.as_bytes()).to_hex().to_string(),
        scope: d.scope.as_str().into(),
        organisation,
        citations,
        meaning: index.meaning_coverage(),
    };
    crate::fsutil::write_atomic(&file, md.as_bytes())?;
    crate::fsutil::write_atomic(&prov_path, serde_json::to_string_pretty(&prov)?.as_bytes())?;
    Ok(DraftReport {
        file,
        provenance: prov_path,
        kept_edited,
        questions: summaries,
        contributors: quoted.len(),
        quotes: n_quotes,
        skipped: {
            let loose = d
                .loose
                .iter()
                .filter(|id| !d.used.contains(*id) && !d.skipped_seen.contains(*id))
                .count();
            if loose > 0 {
                d.skipped.insert(relevance::LOOSE.to_string(), loose);
            }
            d.skipped
        },
    })
}

/// A footnote reference `[^label]` (a label has no spaces); group 1 is the label.
pub static FOOTNOTE_REF: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\[\^([^\]\s]+)\]").expect("footnote regex"));

/// Any footnote-like marker, removed before counting words.
static FOOTNOTE_MARKER: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\[\^[^\]]+\]").expect("footnote regex"));

/// Markdown prose without HTML comments and footnote markers, for counting words.
pub fn strip_for_count(text: &str) -> String {
    let out = crate::response::without_comments(text);
    // Footnote definitions first (whole lines), then the markers left in the prose.
    let prose = out
        .lines()
        .filter(|l| !l.trim_start().starts_with("[^"))
        .map(|l| {
            l.trim_start_matches('>')
                .trim_start_matches("**Our position:**")
        })
        .collect::<Vec<_>>()
        .join("\n");
    FOOTNOTE_MARKER.replace_all(&prose, "").into_owned()
}

/// Questions as they appear in a response file: id → word limit.
pub fn limits(c: &Consultation) -> HashMap<String, Option<usize>> {
    c.questions
        .iter()
        .map(|q| (q.id.clone(), q.word_limit))
        .collect()
}

/// Held-back evidence for a note: each place with its reason, places with one reason
/// together ("corpus/a.md:4, corpus/b.md:9 (passage of a source not marked public …)").
fn held_back(held: &[(String, String)]) -> String {
    let mut by_reason: Vec<(&str, Vec<&str>)> = Vec::new();
    for (at, why) in held {
        match by_reason.iter_mut().find(|r| r.0 == why) {
            Some(r) => r.1.push(at),
            None => by_reason.push((why, vec![at])),
        }
    }
    by_reason
        .iter()
        .map(|(why, at)| format!("{}: {why}", at.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}
