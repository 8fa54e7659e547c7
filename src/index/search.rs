//! Search: the officer's query language (phrases, AND/OR/NOT, `title:` and `tag:`
//! prefixes) plus filters, over the index, with snippets.

use std::ops::Bound;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use super::{Fields, LibraryIndex};
use crate::corpus::{Kind, PartialDate};

/// The four things a hit can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DocType {
    /// A whole source file.
    Source,
    /// A paragraph, list item or other block of a source.
    Passage,
    /// A quote anchored in a source.
    Quote,
    /// A recommendation from a report or submission.
    Recommendation,
}

impl DocType {
    /// The name stored in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            DocType::Source => "source",
            DocType::Passage => "passage",
            DocType::Quote => "quote",
            DocType::Recommendation => "recommendation",
        }
    }
}

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// The query; `None` matches everything (newest first), for browsing with filters.
    pub query: Option<String>,
    /// Types to return; empty means passages, quotes and recommendations (the precise
    /// units), not whole sources.
    pub types: Vec<DocType>,
    /// Kinds of source to keep (any of them); empty keeps all.
    pub kinds: Vec<Kind>,
    /// Tags that must all be present.
    pub tags: Vec<String>,
    /// Keep documents dated on or after this.
    pub since: Option<PartialDate>,
    /// Keep documents dated on or before this (a year or month means its end).
    pub until: Option<PartialDate>,
    /// Most hits to return.
    pub limit: usize,
    /// Only sources with this contributor (pseudonymous id).
    pub contributor: Option<String>,
    /// Match documents with any of the words (ranked by how many and how rare), instead of
    /// all of them. Drafting uses this to search with a whole question.
    pub any: bool,
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Id of the passage, source, quote or recommendation.
    pub id: String,
    /// What the hit is.
    #[serde(rename = "type")]
    pub doc_type: String,
    /// Markdown file, relative to the library root.
    pub path: String,
    /// First line in the file, 1-based.
    pub line_start: u64,
    /// Last line in the file, inclusive.
    pub line_end: u64,
    /// Page of the original where the hit starts, for sources imported from a paged
    /// original (a PDF).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Relevance (higher is better); 0 when browsing without a query. With meaning, the
    /// fused score of the word and meaning rankings.
    pub score: f32,
    /// The word (BM25) score, when the words matched; absent for a hit found by meaning only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub words: Option<f32>,
    /// Cosine similarity of the text's meaning with the query's (−1 to 1), when meaning was
    /// used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meaning: Option<f32>,
    /// The text around the matched words.
    pub snippet: String,
    /// Byte ranges of the matched words within `snippet`.
    pub highlights: Vec<[usize; 2]>,
    /// Title of the source.
    pub title: String,
    /// Kind of the source.
    pub kind: String,
    /// Date of the source as written, if any.
    pub date: Option<String>,
    /// Tags of the source.
    pub tags: Vec<String>,
    /// Id of the source.
    pub source: String,
    /// Headings above the passage.
    pub section: String,
    /// Sensitivity of the source.
    pub sensitivity: String,
    /// Consultation a submission answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consultation: Option<String>,
    /// For recommendations: the heading or sentence that introduced them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_in: Option<String>,
    /// The full text of the passage or recommendation.
    pub text: String,
    /// For quotes: consent status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// For quotes: the speaker's contributor id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    /// For quotes: anchor state (ok, moved, drifted, orphaned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
}

/// Hits and how many documents matched in all.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// The best hits, best first.
    pub hits: Vec<Hit>,
    /// Number of matching documents (may exceed `hits.len()`).
    pub total: usize,
    /// Synonyms from the taxonomy that the search also looked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// How hits were found: `words`, or `words and meaning`.
    pub matched_by: &'static str,
}

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The query could not be understood: the user's to fix.
    #[error("{0}")]
    Query(String),
    /// The index failed.
    #[error("search failed: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The meaning model failed.
    #[error("search by meaning failed: {0}")]
    Meaning(String),
}

/// Fewest candidates each ranking offers to fusion.
const MEANING_POOL: usize = 50;

/// Least cosine similarity for a text the words did not match to be shown. Measured on the
/// test library: "homeless after leaving hospital" against "They discharged me … homeless
/// that same night" is 0.54, "foodbank locksmith" against an unrelated foodbank sentence 0.52.
pub const MEANING_ONLY_FLOOR: f32 = 0.35;

/// When the words matched, texts found by meaning alone must be this close to the best
/// word match's cosine.
pub const MEANING_NEAR_BEST: f32 = 0.9;

/// How word and meaning rankings are fused (compared in EVALUATION.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    /// Reciprocal-rank fusion: `1/(k + rank)` in each ranking, the meaning ranking weighted.
    Rrf {
        /// Damping of ranks (60 in the original paper).
        k: f32,
        /// Weight of the meaning ranking against the word ranking's 1.
        meaning: f32,
    },
    /// Scores mixed: `(1 − alpha) · words/best words + alpha · cosine`.
    Mix {
        /// Share of meaning.
        alpha: f32,
    },
}

impl Default for Fusion {
    fn default() -> Fusion {
        Fusion::Rrf {
            k: 60.0,
            meaning: 1.0,
        }
    }
}

/// Give each hit one score from its word score (`words`, absent when the words did not
/// match) and its meaning (`meaning`, cosine), and order them by it, best first.
pub fn fuse(hits: &mut [Hit], how: Fusion) {
    let rank_of = |key: &dyn Fn(&Hit) -> Option<f32>| -> Vec<Option<usize>> {
        let mut order: Vec<(usize, f32)> = hits
            .iter()
            .enumerate()
            .filter_map(|(i, h)| key(h).map(|s| (i, s)))
            .collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut ranks = vec![None; hits.len()];
        for (r, (i, _)) in order.into_iter().enumerate() {
            ranks[i] = Some(r + 1);
        }
        ranks
    };
    let scores: Vec<f32> = match how {
        Fusion::Rrf { k, meaning } => {
            let rw = rank_of(&|h: &Hit| h.words);
            let rm = rank_of(&|h: &Hit| h.meaning);
            (0..hits.len())
                .map(|i| {
                    rw[i].map_or(0.0, |r| 1.0 / (k + r as f32))
                        + rm[i].map_or(0.0, |r| meaning / (k + r as f32))
                })
                .collect()
        }
        Fusion::Mix { alpha } => {
            let best = hits
                .iter()
                .filter_map(|h| h.words)
                .fold(0f32, f32::max)
                .max(f32::EPSILON);
            hits.iter()
                .map(|h| {
                    (1.0 - alpha) * h.words.unwrap_or(0.0) / best
                        + alpha * h.meaning.unwrap_or(0.0).max(0.0)
                })
                .collect()
        }
    };
    for (h, s) in hits.iter_mut().zip(scores) {
        h.score = s;
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
}

/// Whether a query is plain words: no phrases, brackets, operators, field prefixes,
/// wildcards or boosts, which ask for exactly those words.
pub fn is_plain_words(q: &str) -> bool {
    let q = q.trim();
    !q.is_empty()
        && q != "*"
        && !q.contains(['"', '(', ')', ':', '*', '^', '~', '+', '[', ']', '{', '}'])
        && !q
            .split_whitespace()
            .any(|w| matches!(w, "AND" | "OR" | "NOT") || w.starts_with('-'))
}

static EXISTS: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\b\w+:\s*\*").expect("exists regex"));

/// Field names a query may use as `name:`.
pub const QUERY_FIELDS: &[&str] = &[
    "title",
    "speaker",
    "status",
    "body",
    "section",
    "tag",
    "kind",
    "consultation",
    "organisation",
    "author",
    "id",
    "source",
];

/// Most brackets (and `NOT`s) a query may nest: far more than a person writes, far fewer
/// than it takes to exhaust the stack of the recursive query parser.
pub const MAX_QUERY_DEPTH: usize = 32;

/// Longest query, in characters: a long consultation question with its hints fits easily.
pub const MAX_QUERY_CHARS: usize = 10_000;

/// Refuse a query that is too long or nested too deep before it reaches the query parser,
/// which recurses once per bracket and would overflow the stack (killing the process, or
/// the web server with it) on a query nested a few thousand deep.
pub fn check_query_shape(q: &str) -> Result<(), SearchError> {
    let depth = query_depth(q);
    if depth > MAX_QUERY_DEPTH {
        return Err(SearchError::Query(format!(
            "the query `{}` is nested {depth} deep in brackets or NOTs (the most is {MAX_QUERY_DEPTH}); remove brackets that are not needed",
            shorten(q)
        )));
    }
    let chars = q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(SearchError::Query(format!(
            "the query is too long ({chars} characters; the most is {MAX_QUERY_CHARS}); search with fewer words"
        )));
    }
    Ok(())
}

/// How deep the query parser would recurse: brackets outside quotes, with each `NOT`
/// counting as a level of its own (the parser handles `NOT x` by recursing into `x`).
fn query_depth(q: &str) -> usize {
    let (mut depth, mut max, mut nots) = (0usize, 0usize, 0usize);
    // How much each open bracket added, to take it off again at its `)`.
    let mut open: Vec<usize> = Vec::new();
    let mut chars = q.char_indices().peekable();
    let mut in_quote = false;
    while let Some((i, c)) = chars.next() {
        if in_quote {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_quote = false,
                _ => {}
            }
            continue;
        }
        match c {
            '\\' => {
                chars.next();
            }
            '"' => {
                in_quote = true;
                max = max.max(depth + nots);
                nots = 0;
            }
            '(' => {
                let added = 1 + nots;
                nots = 0;
                depth += added;
                open.push(added);
                max = max.max(depth);
            }
            ')' => depth -= open.pop().unwrap_or(0),
            c if c.is_whitespace() => {}
            _ => {
                let word_start =
                    i == 0 || q[..i].ends_with(|p: char| p.is_whitespace() || p == '(');
                let rest = &q[i..];
                if word_start
                    && rest.starts_with("NOT")
                    && rest[3..].starts_with(char::is_whitespace)
                {
                    nots += 1;
                    chars.next();
                    chars.next();
                } else {
                    max = max.max(depth + nots);
                    nots = 0;
                }
            }
        }
    }
    max.max(depth + nots)
}

/// The start of a long query, for messages.
fn shorten(q: &str) -> String {
    const MAX: usize = 60;
    if q.chars().count() <= MAX {
        q.to_string()
    } else {
        format!("{}…", q.chars().take(MAX).collect::<String>())
    }
}

impl LibraryIndex {
    /// Run a search by words.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        self.search_words(req, None)
    }

    /// Run a search by words and meaning: texts close in meaning to the query (sentence
    /// embeddings) are found too, and the two rankings fused. Only for plain words: a query
    /// with phrases, operators or field prefixes asks for exactly those words, and is
    /// searched by words alone (as is a library whose embeddings are not ready).
    pub fn search_meaning(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        self.search_fused(req, Fusion::default())
    }

    /// [`LibraryIndex::search_meaning`] with a chosen fusion.
    pub fn search_fused(
        &self,
        req: &SearchRequest,
        fusion: Fusion,
    ) -> Result<SearchResults, SearchError> {
        match req.query.as_deref() {
            Some(q) if is_plain_words(q) => self.fused(req, q, fusion, MEANING_ONLY_FLOOR, true),
            _ => self.search_words(req, None),
        }
    }

    /// A search for a consultation question: `req` holds its words (with query syntax),
    /// `text` what it means; texts at least `least` close in meaning join the candidates.
    pub fn search_question(
        &self,
        req: &SearchRequest,
        text: &str,
        fusion: Fusion,
        least: f32,
    ) -> Result<SearchResults, SearchError> {
        self.fused(req, text, fusion, least, false)
    }

    fn fused(
        &self,
        req: &SearchRequest,
        text: &str,
        fusion: Fusion,
        least: f32,
        near_best: bool,
    ) -> Result<SearchResults, SearchError> {
        let store = super::embed::shared(&self.state_dir, &super::embed::index_state(&self.index));
        let Some(store) = store else {
            return self.search_words(req, None);
        };
        check_query_shape(text)?;
        let qv = super::embed::embed(&[text])
            .map_err(|e| SearchError::Meaning(format!("{e:#}")))?
            .remove(0);
        // Words: more candidates than asked for, so that fusion can reorder them.
        let pool = req.limit.max(1).saturating_mul(4).max(MEANING_POOL);
        let mut words = self.search_words(
            &SearchRequest {
                limit: pool,
                ..req.clone()
            },
            None,
        )?;
        // Meaning: the nearest texts in the whole library, kept if they pass the filters.
        let near: Vec<(super::embed::Key, f32)> = store
            .nearest(&qv, pool.saturating_mul(4))
            .into_iter()
            .filter(|(_, c)| *c >= least)
            .collect();
        let cos = |h: &Hit| {
            blake3::Hash::from_hex(super::embed::key_hex(&h.text))
                .ok()
                .and_then(|k| store.cosine(&qv, k.as_bytes()))
        };
        // When the words found what was asked for, meaning adds only texts as close in
        // meaning as the best of those: a precise word search is not diluted.
        let best_words = if near_best {
            words.hits.iter().filter_map(cos).fold(f32::MIN, f32::max)
        } else {
            f32::MIN
        };
        let near: Vec<(super::embed::Key, f32)> = near
            .into_iter()
            .filter(|(_, c)| best_words == f32::MIN || *c >= best_words * MEANING_NEAR_BEST)
            .collect();
        let mut by_meaning = if near.is_empty() {
            Vec::new()
        } else {
            let keys: Vec<String> = near
                .iter()
                .map(|(k, _)| blake3::Hash::from_bytes(*k).to_hex().to_string())
                .collect();
            self.search_words(
                &SearchRequest {
                    query: None,
                    limit: pool.saturating_mul(4),
                    ..req.clone()
                },
                Some(&keys),
            )?
            .hits
        };
        for h in &mut words.hits {
            h.words = Some(h.score);
            h.meaning = cos(h);
        }
        let seen: std::collections::HashSet<String> =
            words.hits.iter().map(|h| h.id.clone()).collect();
        by_meaning.retain(|h| !seen.contains(&h.id));
        for h in &mut by_meaning {
            h.words = None;
            h.meaning = cos(h);
        }
        let total = words.total + by_meaning.len();
        let mut hits = words.hits;
        hits.extend(by_meaning);
        fuse(&mut hits, fusion);
        hits.truncate(req.limit.max(1));
        Ok(SearchResults {
            hits,
            total,
            synonyms: words.synonyms,
            matched_by: "words and meaning",
        })
    }

    fn search_words(
        &self,
        req: &SearchRequest,
        keys: Option<&[String]>,
    ) -> Result<SearchResults, SearchError> {
        let f = &self.fields;
        let reader = self.index.reader()?;
        let searcher = reader.searcher();
        let mut synonyms = Vec::new();
        let text_query = match req.query.as_deref().map(str::trim) {
            Some(q) if !q.is_empty() && q != "*" => {
                check_query_shape(q)?;
                let (expanded, used) = self.taxonomy.expand_query(q);
                synonyms = used;
                // Errors are explained in terms of what the user typed.
                self.parse_query(q, req.any)?;
                Some(self.parse_query(&expanded, req.any)?)
            }
            _ => None,
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        clauses.push((
            Occur::Must,
            match &text_query {
                Some(q) => q.box_clone(),
                None => Box::new(AllQuery),
            },
        ));
        let types: Vec<&str> = if req.types.is_empty() {
            vec!["passage", "quote", "recommendation"]
        } else {
            req.types.iter().map(|t| t.as_str()).collect()
        };
        clauses.push((Occur::Must, any_of(f.doc_type, &types)));
        if !req.kinds.is_empty() {
            let kinds: Vec<&str> = req.kinds.iter().map(|k| k.as_str()).collect();
            clauses.push((Occur::Must, any_of(f.kind, &kinds)));
        }
        if let Some(c) = &req.contributor {
            clauses.push((Occur::Must, term(f.contributor, c)));
        }
        if let Some(keys) = keys {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            clauses.push((Occur::Must, any_of(f.hash, &keys)));
        }
        for tag in &req.tags {
            clauses.push((Occur::Must, term(f.tag, &self.taxonomy.canonical(tag))));
        }
        // A source's date is a span (a year, a month or a day); keep it if the span meets
        // the range at all.
        if let Some(since) = req.since {
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(f.date_end, since.first_day())),
                    Bound::Unbounded,
                )),
            ));
        }
        if let Some(until) = req.until {
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Unbounded,
                    Bound::Included(Term::from_field_i64(f.date, until.last_day())),
                )),
            ));
        }
        let query = BooleanQuery::new(clauses);
        // Never ask for more hits than there are documents (the collector allocates for them).
        let limit = req.limit.clamp(1, (searcher.num_docs() as usize).max(1));
        let (addresses, total): (Vec<(f32, DocAddress)>, usize) = match &text_query {
            Some(_) => searcher.search(
                &query,
                &(TopDocs::with_limit(limit).order_by_score(), Count),
            )?,
            None => {
                let (docs, total) = searcher.search(
                    &query,
                    &(
                        TopDocs::with_limit(limit).order_by_fast_field::<i64>("date", Order::Desc),
                        Count,
                    ),
                )?;
                (docs.into_iter().map(|(_, a)| (0.0, a)).collect(), total)
            }
        };
        let snippets = match &text_query {
            Some(q) => {
                let mut g = SnippetGenerator::create(&searcher, q.as_ref(), f.body)?;
                g.set_max_num_chars(220);
                Some(g)
            }
            None => None,
        };
        let hits = addresses
            .into_iter()
            .map(|(score, addr)| self.hit(&searcher, addr, score, snippets.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SearchResults {
            hits,
            total,
            synonyms,
            matched_by: "words",
        })
    }

    fn parse_query(&self, q: &str, any: bool) -> Result<Box<dyn Query>, SearchError> {
        // Synonyms add one level of brackets to a query whose shape was checked; nothing
        // deeper reaches the parser.
        if query_depth(q) > MAX_QUERY_DEPTH + 1 {
            return Err(SearchError::Query(format!(
                "the query `{}` is nested too deep in brackets or NOTs; remove brackets that are not needed",
                shorten(q)
            )));
        }
        // `field:*` asks tantivy for "has a value", which only works on some fields.
        if let Some(m) = EXISTS.find(q) {
            return Err(SearchError::Query(format!(
                "`{}` is not supported; to list everything that matches filters, leave the query out (e.g. `heard search --tag housing`)",
                m.as_str()
            )));
        }
        let f = &self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![f.body]);
        if !any {
            parser.set_conjunction_by_default();
        }
        parser
            .parse_query(q)
            .map_err(|e| SearchError::Query(explain(q, e)))
    }

    fn hit(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
        score: f32,
        snippets: Option<&SnippetGenerator>,
    ) -> Result<Hit, SearchError> {
        let f: &Fields = &self.fields;
        let doc: TantivyDocument = searcher.doc(addr)?;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let num = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0);
        let body = text(f.body);
        let (mut snippet, mut highlights) = (String::new(), Vec::new());
        if let Some(g) = snippets {
            let s = g.snippet(&body);
            if !s.fragment().is_empty() {
                let range = s.fragment_range();
                let (lead, tail) = (
                    if range.start > 0 { "…" } else { "" },
                    if range.end < body.len() { "…" } else { "" },
                );
                snippet = format!("{lead}{}{tail}", s.fragment());
                highlights = s
                    .highlighted()
                    .iter()
                    .map(|r| [r.start + lead.len(), r.end + lead.len()])
                    .collect();
            }
        }
        if snippet.is_empty() {
            snippet = truncate_words(&body, 220);
            highlights.clear();
        }
        let opt = |s: String| (!s.is_empty()).then_some(s);
        Ok(Hit {
            id: text(f.id),
            doc_type: text(f.doc_type),
            path: text(f.path),
            line_start: num(f.line_start),
            line_end: num(f.line_end),
            page: doc
                .get_first(f.page)
                .and_then(|v| v.as_u64())
                .and_then(|p| u32::try_from(p).ok()),
            score,
            words: None,
            meaning: None,
            snippet,
            highlights,
            title: text(f.title),
            kind: text(f.kind),
            date: opt(text(f.date_text)),
            tags: doc
                .get_all(f.tag)
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            source: text(f.source),
            section: text(f.section),
            sensitivity: text(f.sensitivity),
            consultation: opt(text(f.consultation)),
            lead_in: opt(text(f.lead_in)),
            text: body,
            status: opt(text(f.status)),
            speaker: opt(text(f.speaker)),
            anchor: opt(text(f.anchor)),
        })
    }
}

fn term(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

fn any_of(field: tantivy::schema::Field, values: &[&str]) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        values
            .iter()
            .map(|v| (Occur::Should, term(field, v)))
            .collect(),
    ))
}

/// The first `max` bytes of `text`, cut at a word boundary, with `…` when cut.
pub fn truncate_words(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = text[..end].rfind(' ').unwrap_or(end);
    format!("{}…", text[..cut].trim_end())
}

fn explain(q: &str, e: tantivy::query::QueryParserError) -> String {
    use tantivy::query::QueryParserError as E;
    let q = &shorten(q);
    match e {
        E::FieldDoesNotExist(field) => format!(
            "the query `{q}` uses `{field}:`, which is not a field; use one of {}: (or put the words in double quotes)",
            QUERY_FIELDS.join(":, ")
        ),
        E::SyntaxError(_) => format!(
            "cannot read the query `{q}`; check that quotes and brackets are closed, and write AND, OR, NOT in capitals"
        ),
        E::AllButQueryForbidden => format!(
            "the query `{q}` only excludes words; add a word to search for, e.g. `housing NOT hospital`"
        ),
        other => format!("cannot read the query `{q}`: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, words: Option<f32>, meaning: Option<f32>) -> Hit {
        Hit {
            id: id.into(),
            doc_type: "passage".into(),
            path: String::new(),
            line_start: 1,
            line_end: 1,
            page: None,
            score: 0.0,
            words,
            meaning,
            snippet: String::new(),
            highlights: Vec::new(),
            title: String::new(),
            kind: String::new(),
            date: None,
            tags: Vec::new(),
            source: String::new(),
            section: String::new(),
            sensitivity: String::new(),
            consultation: None,
            lead_in: None,
            text: String::new(),
            status: None,
            speaker: None,
            anchor: None,
        }
    }

    fn ids(hits: &[Hit]) -> Vec<&str> {
        hits.iter().map(|h| h.id.as_str()).collect()
    }

    #[test]
    fn fusion_rewards_agreement_and_lets_meaning_alone_in() {
        let mut hits = vec![
            hit("words-only", Some(9.0), Some(0.05)),
            hit("both", Some(8.0), Some(0.7)),
            hit("meaning-only", None, Some(0.8)),
            hit("neither", Some(1.0), Some(0.1)),
        ];
        // The score mix the draft uses: agreement first, a text close in meaning that the
        // words missed above one both rankings put low.
        fuse(&mut hits, Fusion::Mix { alpha: 0.5 });
        assert_eq!(
            ids(&hits),
            ["both", "words-only", "meaning-only", "neither"]
        );
        // Rank fusion: agreement first too.
        let mut hits2 = hits.clone();
        fuse(
            &mut hits2,
            Fusion::Rrf {
                k: 60.0,
                meaning: 1.0,
            },
        );
        assert_eq!(
            ids(&hits2)[0],
            "both",
            "top in one ranking, second in the other"
        );
        assert!(ids(&hits2).contains(&"meaning-only"));
        // A pure word ranking is kept as it was when meaning adds nothing.
        let mut hits = vec![hit("b", Some(2.0), None), hit("a", Some(3.0), None)];
        fuse(&mut hits, Fusion::default());
        assert_eq!(ids(&hits), ["a", "b"]);
    }

    #[test]
    fn a_score_mix_weighs_meaning_by_alpha() {
        let make = || {
            vec![
                hit("words", Some(10.0), Some(0.1)),
                hit("meaning", Some(1.0), Some(0.9)),
            ]
        };
        let mut hits = make();
        fuse(&mut hits, Fusion::Mix { alpha: 0.1 });
        assert_eq!(ids(&hits)[0], "words");
        let mut hits = make();
        fuse(&mut hits, Fusion::Mix { alpha: 0.9 });
        assert_eq!(ids(&hits)[0], "meaning");
    }

    #[test]
    fn only_plain_words_are_searched_by_meaning() {
        for q in ["nowhere to live after hospital", "café housing"] {
            assert!(is_plain_words(q), "{q}");
        }
        for q in [
            "\"nowhere to go\"",
            "housing NOT hospital",
            "title:discharge",
            "(a b)",
            "hous*",
            "-hospital housing",
            "",
        ] {
            assert!(!is_plain_words(q), "{q}");
        }
    }

    #[test]
    fn depth_counts_brackets_and_nots_outside_quotes() {
        assert_eq!(query_depth("housing"), 0);
        assert_eq!(query_depth("(a OR b) (c OR d)"), 1);
        assert_eq!(query_depth("((a)) NOT b"), 2);
        assert_eq!(query_depth("NOT NOT NOT a"), 3);
        assert_eq!(query_depth("a NOT (NOT (b))"), 4);
        assert_eq!(query_depth("\"((((\" a"), 0);
        assert_eq!(query_depth("NOTE NOTHING"), 0);
        assert_eq!(query_depth("\\(\\(\\( a"), 0);
    }

    #[test]
    fn deep_or_long_queries_are_query_errors() {
        let deep = format!("{}a{}", "(".repeat(5_000), ")".repeat(5_000));
        assert!(
            matches!(check_query_shape(&deep), Err(SearchError::Query(m)) if m.contains("nested"))
        );
        let nots = "NOT ".repeat(100) + "a";
        assert!(matches!(
            check_query_shape(&nots),
            Err(SearchError::Query(_))
        ));
        let long = "a ".repeat(MAX_QUERY_CHARS);
        assert!(
            matches!(check_query_shape(&long), Err(SearchError::Query(m)) if m.contains("too long"))
        );
        let fine = format!(
            "{}a{}",
            "(".repeat(MAX_QUERY_DEPTH),
            ")".repeat(MAX_QUERY_DEPTH)
        );
        assert!(check_query_shape(&fine).is_ok());
    }

    /// The web runs searches on blocking threads with 2 MiB stacks: every query the shape
    /// check lets through must parse in half of that, even in a debug build.
    #[test]
    fn the_deepest_query_allowed_parses_on_a_small_stack() {
        use tantivy::schema::{Schema, TEXT};
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let index = tantivy::Index::create_in_ram(schema.build());
        let d = MAX_QUERY_DEPTH;
        let queries = [
            format!("{}a b{}", "(".repeat(d), ")".repeat(d)),
            "NOT ".repeat(d) + "a",
            format!("a {}b{}", "NOT (".repeat(d / 2), ")".repeat(d / 2)),
        ];
        for q in queries {
            check_query_shape(&q).expect("allowed");
            let index = index.clone();
            std::thread::Builder::new()
                .stack_size(1024 * 1024)
                .spawn(move || {
                    let parser = QueryParser::for_index(&index, vec![body]);
                    let _ = parser.parse_query(&q);
                })
                .expect("thread")
                .join()
                .expect("parsed without overflowing");
        }
    }
}
