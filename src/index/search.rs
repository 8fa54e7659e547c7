//! Search: the officer's query language (phrases, AND/OR/NOT, `title:` and `tag:`
//! prefixes) plus filters, over the index, with snippets.

use std::ops::Bound;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, PhraseQuery, Query, QueryParser, RangeQuery,
    TermQuery, TermSetQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DocAddress, DocId, DocSet, IndexReader, Order, Score, Searcher, SegmentReader, TantivyDocument,
    Term,
};

use super::phrases::ThemePhraseQuery;
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
    /// Filters that hold exactly (no synonyms, no spans): the register's, so that it
    /// counts and pages its recommendations from the index without reading them.
    pub exact: Vec<Exact>,
}

/// A filter that keeps exactly what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exact {
    /// Sources that answered this consultation, as written.
    Consultation(String),
    /// Texts with this tag, as written (not its theme or synonyms).
    Tag(String),
    /// Texts with any of these ids.
    IdIn(Vec<String>),
    /// Texts with none of these ids.
    IdNotIn(Vec<String>),
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
    /// Number of matching documents (may exceed `hits.len()`); an estimate to two
    /// significant figures when `total_is_estimate`.
    pub total: usize,
    /// Whether `total` is an estimate: on a large library, matches are not all counted when
    /// that would slow the search (shown as "about N"). Left out of JSON when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub total_is_estimate: bool,
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

/// Nearest texts worked out ahead for each of a draft's questions (the most any of its
/// searches asks for is 4 × its pool).
const PREPARED_NEAREST: usize = 1_024;

/// A query's vector and its nearest texts (best first), worked out once.
#[derive(Debug)]
pub struct Prepared {
    qv: Vec<f32>,
    near: Vec<(super::embed::Key, f32)>,
    /// How many nearest texts were asked for.
    limit: usize,
}

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

/// The field of the first `field:*` (or `field : *`) in a parsed query: tantivy's "has a
/// value", which only works on some fields and names a field only when it runs. Read from
/// tantivy's own parse, so whatever it takes for a field name (`a : *`, `|:*`) is found.
fn exists_field(ast: &tantivy::query_grammar::UserInputAst) -> Option<&str> {
    use tantivy::query_grammar::{UserInputAst, UserInputLeaf};
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().find_map(|(_, a)| exists_field(a)),
        UserInputAst::Boost(a, _) => exists_field(a),
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Exists { field } => Some(field),
            _ => None,
        },
    }
}

/// A reader of the index as last committed. A `LibraryIndex` is opened after each refresh
/// (the web app opens a new one when its watcher refreshes), so nothing waits for its
/// reader to follow later commits: tantivy's default reloading would start a thread and a
/// file watch in every process for nothing.
pub(crate) fn manual_reader(index: &tantivy::Index) -> tantivy::Result<IndexReader> {
    index
        .reader_builder()
        .reload_policy(tantivy::ReloadPolicy::Manual)
        .try_into()
}

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

    /// Work out ahead, in one pass over the store, the vectors and nearest texts of texts
    /// that will be searched for by meaning (a draft's questions): a store of a million
    /// vectors is then read once for the whole draft, not once per search.
    pub fn prepare_meaning(&self, texts: &[String]) -> anyhow::Result<()> {
        let mut todo: Vec<&str> = Vec::new();
        {
            let prepared = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
            for t in texts {
                if !prepared.contains_key(t.as_str()) && !todo.contains(&t.as_str()) {
                    todo.push(t);
                }
            }
        }
        if todo.is_empty() {
            return Ok(());
        }
        let vectors = super::embed::embed(&todo)?;
        let (store, _) = super::embed::Store::open(&self.state_dir, false);
        let queries: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
        let near = store.nearest_many(&queries, PREPARED_NEAREST);
        let mut prepared = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
        for ((t, qv), near) in todo.iter().zip(vectors).zip(near) {
            prepared.insert(
                t.to_string(),
                std::sync::Arc::new(Prepared {
                    qv,
                    near,
                    limit: PREPARED_NEAREST,
                }),
            );
        }
        Ok(())
    }

    /// The vector of `text` and at least its `limit` nearest texts.
    fn prepared(&self, text: &str, limit: usize) -> Result<std::sync::Arc<Prepared>, SearchError> {
        if let Some(p) = self
            .prepared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(text)
        {
            if p.limit >= limit {
                return Ok(p.clone());
            }
        }
        let qv = super::embed::embed(&[text])
            .map_err(|e| SearchError::Meaning(format!("{e:#}")))?
            .remove(0);
        let (store, _) = super::embed::Store::open(&self.state_dir, false);
        let near = store.nearest(&qv, limit);
        Ok(std::sync::Arc::new(Prepared { qv, near, limit }))
    }

    fn fused(
        &self,
        req: &SearchRequest,
        text: &str,
        fusion: Fusion,
        least: f32,
        near_best: bool,
    ) -> Result<SearchResults, SearchError> {
        check_query_shape(text)?;
        // Words: more candidates than asked for, so that fusion can reorder them.
        let pool = req.limit.max(1).saturating_mul(4).max(MEANING_POOL);
        let prepared = self.prepared(text, pool.saturating_mul(4))?;
        let qv = &prepared.qv;
        let mut words = self.search_words(
            &SearchRequest {
                limit: pool,
                ..req.clone()
            },
            None,
        )?;
        // Meaning: the nearest texts in the whole library, kept if they pass the filters.
        let near: Vec<(super::embed::Key, f32)> = prepared
            .near
            .iter()
            .take(pool.saturating_mul(4))
            .filter(|(_, c)| *c >= least)
            .copied()
            .collect();
        // The meaning of every word candidate: stored, or embedded now (and saved) when
        // the store does not have it yet, so a search never waits for the whole library.
        let (store, _) = super::embed::Store::open(&self.state_dir, false);
        let mut cosines: std::collections::HashMap<String, f32> = Default::default();
        let mut missing: Vec<(super::embed::Key, &str)> = Vec::new();
        for h in &words.hits {
            let hex = super::embed::key_hex(&h.text);
            let Some(k) = super::embed::key_of(&hex) else {
                continue;
            };
            if cosines.contains_key(&hex) || missing.iter().any(|m| m.0 == k) {
                continue;
            }
            match super::embed::stored(&store, &k) {
                Some(v) => {
                    if let Some(c) = super::embed::cosine_of(qv, &v) {
                        cosines.insert(hex, c);
                    }
                }
                None => missing.push((k, &h.text)),
            }
        }
        if !missing.is_empty() {
            let vectors = super::embed::embed_and_save(&self.state_dir, &missing)
                .map_err(|e| SearchError::Meaning(format!("{e:#}")))?;
            self.add_known(vectors.len());
            for ((k, _), v) in missing.iter().zip(&vectors) {
                if let Some(c) = super::embed::cosine_of(qv, v) {
                    cosines.insert(blake3::Hash::from_bytes(*k).to_hex().to_string(), c);
                }
            }
        }
        for (k, c) in &near {
            cosines
                .entry(blake3::Hash::from_bytes(*k).to_hex().to_string())
                .or_insert(*c);
        }
        let cos = |h: &Hit| cosines.get(&super::embed::key_hex(&h.text)).copied();
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
        // A text found through a key's term whose whole key was not asked for shares the
        // term by chance (see `analyzer::KEY_TERM_CHARS`): it is not near in meaning.
        by_meaning.retain(|h| h.meaning.is_some());
        let total = words.total + by_meaning.len();
        let mut hits = words.hits;
        hits.extend(by_meaning);
        fuse(&mut hits, fusion);
        hits.truncate(req.limit.max(1));
        Ok(SearchResults {
            hits,
            total,
            total_is_estimate: words.total_is_estimate,
            synonyms: words.synonyms,
            matched_by: "words and meaning",
        })
    }

    /// The query of a search request (its words, synonyms and filters), as tantivy runs it.
    fn query_of(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        keys: Option<&[String]>,
    ) -> Result<Built, SearchError> {
        let f = &self.fields;
        let mut synonyms = Vec::new();
        let text_query = match req.query.as_deref().map(str::trim) {
            Some(q) if !q.is_empty() && q != "*" => {
                check_query_shape(q)?;
                let (expanded, used) = self.taxonomy.expand_query(q);
                synonyms = used;
                // Errors are explained in terms of what the user typed.
                self.parse_query(q, req.any)?;
                Some(self.theme_phrases_as_terms(self.parse_query(&expanded, req.any)?))
            }
            _ => None,
        };
        let types: Vec<&str> = if req.types.is_empty() {
            vec!["passage", "quote", "recommendation"]
        } else {
            req.types.iter().map(|t| t.as_str()).collect()
        };
        // Filters on what a source is (its kind, contributors, tags, consultation, date):
        // every document of a source carries them, so a search for whole sources applies
        // them to the passages it looks in as well.
        let mut of_source: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !req.kinds.is_empty() {
            let kinds: Vec<&str> = req.kinds.iter().map(|k| k.as_str()).collect();
            of_source.push((Occur::Must, any_of(f.kind, &kinds)));
        }
        if let Some(c) = &req.contributor {
            of_source.push((Occur::Must, term(f.contributor, c)));
        }
        for tag in &req.tags {
            of_source.push((Occur::Must, term(f.tag, &self.taxonomy.canonical(tag))));
        }
        // Filters on each document itself.
        let mut of_document: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(keys) = keys {
            let keys: Vec<&str> = keys.iter().map(|k| Fields::key_term(k)).collect();
            of_document.push((Occur::Must, any_of(f.hash, &keys)));
        }
        for e in &req.exact {
            match e {
                Exact::Consultation(c) => {
                    of_source.push((Occur::Must, term(f.consultation_exact, c)));
                }
                // Tags are indexed as the keyword analyzer makes them (lower case,
                // accents folded), as `--tag` looks them up.
                Exact::Tag(t) => {
                    of_source.push((Occur::Must, term(f.tag, &super::analyzer::keyword_term(t))))
                }
                Exact::IdIn(ids) => of_document.push((Occur::Must, ids_query(f.id, ids))),
                Exact::IdNotIn(ids) => of_document.push((Occur::MustNot, ids_query(f.id, ids))),
            }
        }
        // A source's date is a span (a year, a month or a day); keep it if the span meets
        // the range at all.
        if let Some(since) = req.since {
            of_source.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(f.date_end, since.first_day())),
                    Bound::Unbounded,
                )),
            ));
        }
        if let Some(until) = req.until {
            of_source.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Unbounded,
                    Bound::Included(Term::from_field_i64(f.date, until.last_day())),
                )),
            ));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        match &text_query {
            None => {
                clauses.push((Occur::Must, Box::new(AllQuery)));
                clauses.push((Occur::Must, filter(any_of(f.doc_type, &types))));
            }
            Some(q) => {
                let parts: Vec<&str> = types.iter().copied().filter(|t| *t != "source").collect();
                let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
                if !parts.is_empty() {
                    alternatives.push(self.among_parts(q.as_ref(), &parts));
                }
                if types.contains(&"source") {
                    alternatives.push(Box::new(BooleanQuery::new(vec![
                        (
                            Occur::Must,
                            self.for_sources(searcher, q.as_ref(), &of_source)?,
                        ),
                        (Occur::Must, filter(term(f.doc_type, "source"))),
                    ])));
                }
                clauses.push((
                    Occur::Must,
                    if alternatives.len() == 1 {
                        alternatives.remove(0)
                    } else {
                        Box::new(BooleanQuery::new(
                            alternatives
                                .into_iter()
                                .map(|q| (Occur::Should, q))
                                .collect(),
                        ))
                    },
                ));
            }
        }
        clauses.extend(
            of_source
                .into_iter()
                .chain(of_document)
                .map(|(o, q)| (o, filter(q))),
        );
        // The text query alone (no filters) is searched as it is, so that tantivy can skip
        // what cannot reach the top hits.
        let query: Box<dyn Query> = if clauses.len() == 1 {
            clauses.remove(0).1
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
        Ok(Built {
            query,
            text_query,
            synonyms,
        })
    }

    /// One snippet generator for a query's words, weighed as in the search.
    fn snippets_for(
        &self,
        searcher: &Searcher,
        text_query: Option<&dyn Query>,
    ) -> Result<Option<SnippetGenerator>, SearchError> {
        let f = &self.fields;
        let Some(q) = text_query else {
            return Ok(None);
        };
        // As `SnippetGenerator::create`, with the words weighed as in the search.
        let mut words = std::collections::BTreeMap::new();
        let mut terms = Vec::new();
        q.query_terms(&mut |t, _| {
            if t.field() == f.body {
                terms.push(t.clone());
            }
        });
        for t in terms {
            let df = searcher.doc_freq(&t)?;
            if let (Some(w), true) = (t.value().as_str(), df > 0) {
                words.insert(w.to_string(), 1.0 / (1.0 + df as Score));
            }
        }
        let analyzer = searcher.index().tokenizer_for_field(f.body)?;
        Ok(Some(SnippetGenerator::new(words, analyzer, f.body, 220)))
    }

    fn search_words(
        &self,
        req: &SearchRequest,
        keys: Option<&[String]>,
    ) -> Result<SearchResults, SearchError> {
        let searcher = self.reader()?.searcher();
        let Built {
            query,
            text_query,
            synonyms,
        } = self.query_of(&searcher, req, keys)?;
        // Never ask for more hits than there are documents (the collector allocates for them).
        let limit = req.limit.clamp(1, (searcher.num_docs() as usize).max(1));
        let (addresses, total, total_is_estimate): (Vec<(f32, DocAddress)>, usize, bool) =
            match &text_query {
                Some(_) => self.top_by_score(&searcher, query.as_ref(), limit)?,
                None => {
                    let (docs, total) = searcher.search(
                        &query,
                        &(
                            TopDocs::with_limit(limit)
                                .order_by_fast_field::<i64>("date", Order::Desc),
                            Count,
                        ),
                    )?;
                    (
                        docs.into_iter().map(|(_, a)| (0.0, a)).collect(),
                        total,
                        false,
                    )
                }
            };
        let snippets = self.snippets_for(&searcher, text_query.as_deref())?;
        let mut hits = addresses
            .into_iter()
            .map(|(score, addr)| self.hit(&searcher, addr, score, snippets.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if text_query.is_none() {
            // Browsing is newest first; texts of the same day by id, so that the order never
            // depends on how the index was built (segments, the order of updates).
            hits.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.id.cmp(&b.id)));
        }
        Ok(SearchResults {
            hits,
            total,
            total_is_estimate,
            synonyms,
            matched_by: "words",
        })
    }

    /// The best `limit` matches of a query with words, best first, and how many match in all
    /// (an estimate on a large library when counting every match would slow the search).
    fn top_by_score(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        limit: usize,
    ) -> Result<Ranked, SearchError> {
        if searcher.num_docs() > exact_total_docs() && prunable(query) {
            let top = searcher.search(query, &TopDocs::with_limit(limit).order_by_score())?;
            let (total, estimated) = if top.len() < limit {
                (top.len(), false)
            } else {
                match estimate_total(searcher, query)? {
                    Some(n) => (n.max(top.len()), true),
                    None => (searcher.search(query, &Count)?, false),
                }
            };
            return Ok((top, total, estimated));
        }
        let (top, total) =
            searcher.search(query, &(TopDocs::with_limit(limit).order_by_score(), Count))?;
        Ok((top, total, false))
    }

    /// The matches of a search, handed out one row at a time in `order` (see [`Matches`]):
    /// for commands that list every match (`heard recs --to csv`, the register's pages),
    /// whose memory must not grow with how many match.
    pub fn matches(
        &self,
        req: &SearchRequest,
        order: RowOrder,
    ) -> Result<Matches<'_>, SearchError> {
        let searcher = self.reader()?.searcher();
        let Built {
            query,
            text_query,
            synonyms,
        } = self.query_of(&searcher, req, None)?;
        let snippets = self.snippets_for(&searcher, text_query.as_deref())?;
        let limit = req.limit.clamp(1, (searcher.num_docs() as usize).max(1));
        let (ranked, dates, total, total_is_estimate) = match &text_query {
            Some(_) => {
                let (mut top, total, estimated) =
                    self.top_by_score(&searcher, query.as_ref(), limit)?;
                top.reverse();
                (top, Vec::new(), total, estimated)
            }
            None => {
                let dates = self.dates_matching(&searcher, query.as_ref())?;
                let total = dates.iter().map(|(_, n)| n).sum();
                (Vec::new(), dates, total, false)
            }
        };
        Ok(Matches {
            index: self,
            searcher,
            query,
            snippets,
            order,
            ranked,
            dates,
            run: Vec::new(),
            left: req.limit,
            total,
            total_is_estimate,
            synonyms,
        })
    }

    /// How many matches of `query` fall on each date, oldest first, then `None` (undated
    /// texts are listed last, so they are taken first from this list's end): one entry per
    /// day in use, never per document, counted from the `date` column.
    fn dates_matching(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
    ) -> Result<Vec<(Option<i64>, usize)>, SearchError> {
        let mut days = searcher.search(query, &ByDate)?;
        let undated = days.remove(&None).unwrap_or(0);
        let mut out = vec![(None, undated)];
        out.extend(days);
        Ok(out)
    }

    /// The reader searches share: opened at the first search and kept until
    /// [`LibraryIndex::let_go_of_pages`]. It sees the index as it was when it was opened
    /// (see [`manual_reader`]). A long-lived holder such as `heard serve` keeps the
    /// `LibraryIndex` and with it this reader.
    pub fn reader(&self) -> Result<IndexReader, SearchError> {
        let mut kept = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = &*kept {
            return Ok(r.clone());
        }
        let r = manual_reader(&self.index)?;
        *kept = Some(r.clone());
        Ok(r)
    }

    /// Let go of the reader, and with it the pages of the index's mapped files that
    /// searches have read (they count in the process's memory while it is held); the next
    /// search opens another. For work done in parts, each reading different words: a
    /// draft lets go after each question, so that a draft of ten questions holds the pages
    /// of one at a time, not of all ten. Searches still running keep what they hold.
    pub fn let_go_of_pages(&self) {
        self.reader.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// What the index holds, as its segments and their deletions: equal for two readers
    /// that see the same documents, so that a summary worked out from one (the groups of
    /// recommendations) can be kept until the index changes.
    pub fn content_key(&self) -> Result<Vec<(tantivy::index::SegmentId, u32)>, SearchError> {
        let searcher = self.reader()?.searcher();
        let mut key: Vec<_> = searcher
            .segment_readers()
            .iter()
            .map(|s| (s.segment_id(), s.num_deleted_docs()))
            .collect();
        key.sort();
        Ok(key)
    }

    /// Hand every stored document of one type to `each`, one at a time in index order, and
    /// return how many there were: for summaries of the whole library (the tags in use, the
    /// groups of recommendations) whose memory must not grow with the library, as a search
    /// for everything would (it holds every hit with its text).
    pub fn for_each_stored(
        &self,
        doc_type: DocType,
        mut each: impl FnMut(&TantivyDocument),
    ) -> Result<usize, SearchError> {
        let searcher = self.reader()?.searcher();
        let term = Term::from_field_text(self.fields.doc_type, doc_type.as_str());
        let mut n = 0;
        for seg in searcher.segment_readers() {
            let postings = seg
                .inverted_index(self.fields.doc_type)?
                .read_postings(&term, IndexRecordOption::Basic)
                .map_err(tantivy::TantivyError::from)?;
            let Some(mut postings) = postings else {
                continue;
            };
            // Documents come in order, so a few blocks of cache are all that is read again.
            let store = seg
                .get_store_reader(4)
                .map_err(tantivy::TantivyError::from)?;
            let mut doc = postings.doc();
            while doc != tantivy::TERMINATED {
                if !seg.is_deleted(doc) {
                    each(&store.get::<TantivyDocument>(doc)?);
                    n += 1;
                }
                doc = postings.advance();
            }
        }
        Ok(n)
    }

    /// How many documents of one type carry each tag, counted from the index's postings
    /// rather than its stored documents (a pass over those would bring the whole document
    /// store into memory, as whole sources keep their text there). A tag is spelt as the
    /// first document that carries it stores it: tags written with and without accents
    /// (`café`, `cafe`) are one tag here, as they are to `--tag`.
    pub fn tag_counts(
        &self,
        doc_type: DocType,
    ) -> Result<std::collections::BTreeMap<String, usize>, SearchError> {
        let f = &self.fields;
        let searcher = self.reader()?.searcher();
        let of_type = Term::from_field_text(f.doc_type, doc_type.as_str());
        let mut by_term: std::collections::BTreeMap<Vec<u8>, (String, usize)> = Default::default();
        for seg in searcher.segment_readers() {
            let io = tantivy::TantivyError::from;
            let mut wanted = tantivy::BitSet::with_max_value(seg.max_doc());
            if let Some(mut p) = seg
                .inverted_index(f.doc_type)?
                .read_postings(&of_type, IndexRecordOption::Basic)
                .map_err(io)?
            {
                while p.doc() != tantivy::TERMINATED {
                    if !seg.is_deleted(p.doc()) {
                        wanted.insert(p.doc());
                    }
                    p.advance();
                }
            }
            let tags = seg.inverted_index(f.tag)?;
            let mut terms = tags.terms().stream().map_err(io)?;
            while terms.advance() {
                let mut p = tags
                    .read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)
                    .map_err(io)?;
                let (mut n, mut first) = (0, None);
                while p.doc() != tantivy::TERMINATED {
                    if wanted.contains(p.doc()) {
                        n += 1;
                        first.get_or_insert(p.doc());
                    }
                    p.advance();
                }
                let Some(first) = first else {
                    continue;
                };
                let key = terms.key();
                if let Some((_, count)) = by_term.get_mut(key) {
                    *count += n;
                    continue;
                }
                let doc: TantivyDocument = seg.get_store_reader(1).map_err(io)?.get(first)?;
                let spelt = doc
                    .get_all(f.tag)
                    .filter_map(|v| v.as_str())
                    .find(|v| super::analyzer::keyword_term(v).as_bytes() == key)
                    .map_or_else(|| String::from_utf8_lossy(key).into_owned(), String::from);
                by_term.insert(key.to_vec(), (spelt, n));
            }
        }
        let mut out = std::collections::BTreeMap::new();
        for (spelt, n) in by_term.into_values() {
            *out.entry(spelt).or_default() += n;
        }
        Ok(out)
    }

    /// The consultations (as written) and the years that documents of one type hold, read
    /// from the index's columns, not its stored documents: the choices of a filter, such as
    /// the register's, in milliseconds at any size.
    pub fn consultations_and_years(
        &self,
        doc_type: DocType,
    ) -> Result<(BTreeSet<String>, BTreeSet<i32>), SearchError> {
        let f = &self.fields;
        let searcher = self.reader()?.searcher();
        let of_type = Term::from_field_text(f.doc_type, doc_type.as_str());
        let years = self
            .dates_matching(
                &searcher,
                &TermQuery::new(of_type.clone(), IndexRecordOption::Basic),
            )?
            .into_iter()
            .filter_map(|(day, _)| Some((day? / 10_000) as i32))
            .collect();
        let mut consultations = BTreeSet::new();
        for seg in searcher.segment_readers() {
            let io = tantivy::TantivyError::from;
            let (Some(mut p), Some(column)) = (
                seg.inverted_index(f.doc_type)?
                    .read_postings(&of_type, IndexRecordOption::Basic)
                    .map_err(io)?,
                seg.fast_fields().str("consultation_exact")?,
            ) else {
                continue;
            };
            let mut used = vec![false; column.num_terms()];
            while p.doc() != tantivy::TERMINATED {
                if !seg.is_deleted(p.doc()) {
                    for ord in column.term_ords(p.doc()) {
                        if let Some(u) = used.get_mut(ord as usize) {
                            *u = true;
                        }
                    }
                }
                p.advance();
            }
            let mut text = String::new();
            for (ord, _) in used.iter().enumerate().filter(|(_, u)| **u) {
                if column.ord_to_str(ord as u64, &mut text).map_err(io)? {
                    consultations.insert(std::mem::take(&mut text));
                }
            }
        }
        Ok((consultations, years))
    }

    /// `q` among passages, quotes and recommendations of the types in `parts`. Only they
    /// hold `body`, so a query on `body` alone needs no filter for all three, and nothing
    /// then stops tantivy from skipping what cannot reach the top hits.
    fn among_parts(&self, q: &dyn Query, parts: &[&str]) -> Box<dyn Query> {
        let f = &self.fields;
        if parts.len() == 3 && only_body(q, f.body) {
            return q.box_clone();
        }
        let filter = if parts.len() == 3 {
            (Occur::MustNot, term(f.doc_type, "source"))
        } else {
            (Occur::Must, filter(any_of(f.doc_type, parts)))
        };
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, q.box_clone()),
            filter,
        ]))
    }

    /// `q` for whole sources: a source matches when its whole text would (words anywhere
    /// in it, `NOT` nowhere in it). A source's words are indexed once, in its passages and
    /// recommendations (which together hold all of its text), so each word or phrase is
    /// looked for there and stands for the sources it was found in, each scored by its best
    /// passage for that word or phrase; `AND`, `OR` and `NOT` then combine those per source.
    ///
    /// `of_source` are the search's filters on what a source is, which each of its
    /// passages and recommendations carries too: only the passages of the sources they
    /// keep are looked in.
    fn for_sources(
        &self,
        searcher: &Searcher,
        q: &dyn Query,
        of_source: &[(Occur, Box<dyn Query>)],
    ) -> Result<Box<dyn Query>, SearchError> {
        let f = &self.fields;
        if let Some(b) = q.downcast_ref::<BooleanQuery>() {
            return each_clause(b, |c| self.for_sources(searcher, c, of_source));
        }
        let mut on_body = false;
        q.query_terms(&mut |t, _| on_body |= t.field() == f.body);
        if !on_body {
            return Ok(q.box_clone());
        }
        let mut in_parts = vec![
            (Occur::Must, q.box_clone()),
            (
                Occur::Must,
                filter(any_of(f.doc_type, &["passage", "recommendation"])),
            ),
        ];
        in_parts.extend(of_source.iter().map(|(o, c)| (*o, filter(c.box_clone()))));
        let in_parts = BooleanQuery::new(in_parts);
        let best = searcher.search(&in_parts, &BestOfSources)?;
        Ok(Box::new(ScoredSources::new(searcher, f, best)?))
    }

    /// `q` with each phrase a theme names looked up by its term (see [`super::phrases`]):
    /// the same matches and scores, without reading the positions of every text that holds
    /// the phrase's words.
    fn theme_phrases_as_terms(&self, q: Box<dyn Query>) -> Box<dyn Query> {
        if let Some(b) = q.downcast_ref::<BooleanQuery>() {
            let each = |c: &dyn Query| Ok(self.theme_phrases_as_terms(c.box_clone()));
            let Ok(out) = each_clause::<std::convert::Infallible>(b, each);
            return out;
        }
        if let Some(p) = q.downcast_ref::<PhraseQuery>()
            && let Some(term) = self.phrase_terms().get(&phrase_key(p))
        {
            return Box::new(ThemePhraseQuery::new(p.clone(), term.clone()));
        }
        q
    }

    /// The term of each theme phrase, by the phrase query the parser makes of its name.
    fn phrase_terms(&self) -> &HashMap<String, Term> {
        self.phrase_terms.get_or_init(|| {
            let phrases = super::phrases::ThemePhrases::of(&self.taxonomy);
            let mut out = HashMap::new();
            for (name, words, term) in phrases.phrases() {
                let parsed = self.parse_query(&format!("\"{name}\""), false);
                // Only where the parser makes of the name the words the index looked for
                // (the same analyzer): otherwise it is left a phrase query.
                if let Some(p) = parsed
                    .ok()
                    .and_then(|q| q.downcast::<PhraseQuery>().ok())
                    .filter(|p| {
                        let parsed: Vec<String> = p
                            .phrase_terms()
                            .iter()
                            .filter_map(|t| t.value().as_str().map(str::to_string))
                            .collect();
                        parsed == words
                    })
                {
                    out.insert(
                        phrase_key(&p),
                        Term::from_field_text(self.fields.phrases, term),
                    );
                }
            }
            out
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
        // Parsed once, as `QueryParser::parse_query` does, so that what it will run can be
        // looked at first.
        let ast = tantivy::query_grammar::parse_query(q).map_err(|_| {
            SearchError::Query(explain(
                q,
                tantivy::query::QueryParserError::SyntaxError(q.to_string()),
            ))
        })?;
        // `field:*` asks tantivy for "has a value", which only works on some fields.
        if let Some(field) = exists_field(&ast) {
            return Err(SearchError::Query(format!(
                "`{}:*` is not supported; to list everything that matches filters, leave the query out (e.g. `heard search --tag housing`)",
                shorten(field)
            )));
        }
        let f = &self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![f.body]);
        if !any {
            parser.set_conjunction_by_default();
        }
        parser
            .build_query_from_user_input_ast(ast)
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
        // A whole source keeps its text in `whole`.
        let mut body = text(f.body);
        if body.is_empty() {
            body = text(f.whole);
        }
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

/// Up to this many documents in the index (about 13,000 sources), every match is counted:
/// it costs little. Above, a query that tantivy can answer without looking at every match
/// is not made to, and the total shown is an estimate.
pub const EXACT_TOTAL_DOCS: u64 = 100_000;

/// [`EXACT_TOTAL_DOCS`], or `HEARD_EXACT_TOTAL_DOCS` from the environment (for tests and
/// benchmarks: `0` estimates on any library).
fn exact_total_docs() -> u64 {
    std::env::var("HEARD_EXACT_TOTAL_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(EXACT_TOTAL_DOCS)
}

/// Whether tantivy can find the top hits of `q` without scoring every match (block-max
/// WAND): one word, or words all required or all alternatives.
fn prunable(q: &dyn Query) -> bool {
    if q.is::<TermQuery>() {
        return true;
    }
    q.downcast_ref::<BooleanQuery>().is_some_and(|b| {
        let c = b.clauses();
        c.iter().all(|(_, q)| q.is::<TermQuery>())
            && (c.iter().all(|(o, _)| *o == Occur::Must)
                || (c.iter().all(|(o, _)| *o == Occur::Should)
                    && b.get_minimum_number_should_match() <= 1))
    })
}

/// `b` with each of its clauses made anew by `f`, each kept as required, optional or
/// excluded, and as many optional ones needed as before.
fn each_clause<E>(
    b: &BooleanQuery,
    mut f: impl FnMut(&dyn Query) -> Result<Box<dyn Query>, E>,
) -> Result<Box<dyn Query>, E> {
    let clauses = b
        .clauses()
        .iter()
        .map(|(o, c)| Ok((*o, f(c.as_ref())?)))
        .collect::<Result<Vec<_>, E>>()?;
    let mut out = BooleanQuery::new(clauses);
    out.set_minimum_number_should_match(b.get_minimum_number_should_match());
    Ok(Box::new(out))
}

/// What tells two phrase queries apart: their field, words, the words' positions and slop.
/// tantivy gives a phrase's positions and slop only in its `Debug` form, which shows all
/// four; two phrases with the same form match the same texts.
fn phrase_key(p: &PhraseQuery) -> String {
    format!("{p:?}")
}

/// Whether `q` only looks at `body` (words, phrases and term sets, with AND/OR/NOT).
fn only_body(q: &dyn Query, body: tantivy::schema::Field) -> bool {
    if let Some(b) = q.downcast_ref::<BooleanQuery>() {
        return b.clauses().iter().all(|(_, c)| only_body(c.as_ref(), body));
    }
    // Words, phrases and term sets: every term they look for is in `body`.
    if !(q.is::<TermQuery>()
        || q.is::<PhraseQuery>()
        || q.is::<ThemePhraseQuery>()
        || q.is::<TermSetQuery>())
    {
        return false;
    }
    let (mut any, mut all) = (false, true);
    q.query_terms(&mut |t, _| {
        any = true;
        all &= t.field() == body;
    });
    any && all
}

/// Windows of documents counted in each large segment, spread evenly over it (documents
/// are in the order of the files, so one window would see one folder).
const WINDOWS: u32 = 128;
/// Share of a large segment that is counted: 1 in `SAMPLED_ONE_IN`.
const SAMPLED_ONE_IN: u32 = 16;
/// Fewest matches the counted windows must hold for an estimate; with fewer, matches are
/// few or bunched, and they are counted one by one.
const LEAST_SAMPLED: u64 = 200;

/// About how many documents match `q`, counting them in evenly spread windows of each large
/// segment (small segments are counted whole), to two significant figures; `None` when the
/// windows hold too few matches to say.
fn estimate_total(searcher: &Searcher, q: &dyn Query) -> Result<Option<usize>, SearchError> {
    let weight = q.weight(tantivy::query::EnableScoring::disabled_from_searcher(
        searcher,
    ))?;
    let (mut estimate, mut sampled) = (0f64, 0u64);
    for seg in searcher.segment_readers() {
        let max = seg.max_doc();
        let window = max / (WINDOWS * SAMPLED_ONE_IN);
        if window < 8 {
            let n = u64::from(weight.count(seg)?);
            estimate += n as f64;
            sampled += n;
            continue;
        }
        let mut scorer = weight.scorer(seg, 1.0)?;
        let alive = seg.alive_bitset();
        let step = max / WINDOWS;
        let mut found = 0u64;
        for i in 0..WINDOWS {
            let (start, end) = (i * step, i * step + window);
            let mut d = scorer.doc();
            if d < start {
                d = scorer.seek(start);
            }
            while d < end {
                if alive.is_none_or(|a| a.is_alive(d)) {
                    found += 1;
                }
                d = scorer.advance();
            }
        }
        sampled += found;
        estimate += found as f64 * f64::from(max) / f64::from(WINDOWS * window);
    }
    if sampled < LEAST_SAMPLED {
        return Ok(None);
    }
    Ok(Some(round_2(estimate.round() as usize)))
}

/// `n` to two significant figures: 12,345 → 12,000.
fn round_2(n: usize) -> usize {
    let mut unit = 1;
    while n / unit >= 100 {
        unit *= 10;
    }
    (n + unit / 2) / unit * unit
}

/// The best matches of a query (score and address, best first), how many match in all,
/// and whether that is an estimate.
type Ranked = (Vec<(f32, DocAddress)>, usize, bool);

/// A search request made into a tantivy query.
struct Built {
    /// The words and the filters.
    query: Box<dyn Query>,
    /// The words alone, when there are any.
    text_query: Option<Box<dyn Query>>,
    /// Synonyms from the taxonomy that the search also looks for.
    synonyms: Vec<String>,
}

/// The order [`LibraryIndex::matches`] hands rows out in. With words to find, both are
/// best first; they differ in how they list everything (no query).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOrder {
    /// Newest first; texts of the same date by id (as [`LibraryIndex::search`] lists them).
    Ranked,
    /// Newest first; texts of the same date in their place: by file, then line, then id
    /// (as `heard recs` and the register list recommendations).
    Listed,
}

static ROWS_LIVE: AtomicUsize = AtomicUsize::new(0);
static ROWS_PEAK: AtomicUsize = AtomicUsize::new(0);

/// A hit handed out by [`Matches`]. Rows are counted while they live, so that a command can
/// say how many it held at once (`HEARD_DEBUG_ROWS`): a test's measure that its memory does
/// not grow with the number of matches.
#[derive(Debug)]
pub struct Row(Hit);

impl Row {
    fn new(hit: Hit) -> Row {
        let live = ROWS_LIVE.fetch_add(1, AtomicOrdering::Relaxed) + 1;
        ROWS_PEAK.fetch_max(live, AtomicOrdering::Relaxed);
        Row(hit)
    }
}

impl std::ops::Deref for Row {
    type Target = Hit;
    fn deref(&self) -> &Hit {
        &self.0
    }
}

impl Drop for Row {
    fn drop(&mut self) {
        ROWS_LIVE.fetch_sub(1, AtomicOrdering::Relaxed);
    }
}

/// The most [`Row`]s this process has held at once.
pub fn rows_held_at_most() -> usize {
    ROWS_PEAK.load(AtomicOrdering::Relaxed)
}

/// The matches of a search, read from the index one row at a time, in order. What it holds
/// while rows are handed out: with words to find, each match's score and address (12 bytes,
/// as the ranking needs them all); without, the dates in use (one per day) and the place
/// (date, file, line and id) of the texts of one date, read when that date is reached.
pub struct Matches<'i> {
    index: &'i LibraryIndex,
    searcher: Searcher,
    query: Box<dyn Query>,
    snippets: Option<SnippetGenerator>,
    order: RowOrder,
    /// Ranked matches still to hand out, the next last.
    ranked: Vec<(f32, DocAddress)>,
    /// Dates still to list, the next last (`None`: undated), with how many match on each.
    dates: Vec<(Option<i64>, usize)>,
    /// The texts of the date being listed, the next last.
    run: Vec<DocAddress>,
    /// How many rows may still be handed out (the request's limit).
    left: usize,
    /// Number of matching documents (an estimate when `total_is_estimate`).
    pub total: usize,
    /// Whether `total` is an estimate.
    pub total_is_estimate: bool,
    /// Synonyms from the taxonomy that the search also looked for.
    pub synonyms: Vec<String>,
}

impl Matches<'_> {
    /// Fill `run` with the texts of the next date that has any, in their order.
    fn next_run(&mut self) -> Result<bool, SearchError> {
        let f = &self.index.fields;
        while let Some((date, _)) = self.dates.pop() {
            let on_date: Box<dyn Query> = match date {
                Some(d) => Box::new(TermQuery::new(
                    Term::from_field_i64(f.date, d),
                    IndexRecordOption::Basic,
                )),
                None => Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                    (
                        Occur::MustNot,
                        Box::new(RangeQuery::new(
                            Bound::Included(Term::from_field_i64(f.date, i64::MIN)),
                            Bound::Included(Term::from_field_i64(f.date, i64::MAX)),
                        )),
                    ),
                ])),
            };
            let q = BooleanQuery::new(vec![
                (Occur::Must, self.query.box_clone()),
                (Occur::Must, on_date),
            ]);
            let found = self
                .searcher
                .search(&q, &tantivy::collector::DocSetCollector)?;
            if found.is_empty() {
                continue;
            }
            // The place of each, read from the store: small keys, not whole rows.
            type Key = (Option<String>, String, u64, String);
            let mut keyed: Vec<(Key, DocAddress)> = Vec::with_capacity(found.len());
            for addr in found {
                let doc: TantivyDocument = self.searcher.doc(addr)?;
                let text = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                let date_text = Some(text(f.date_text)).filter(|d| !d.is_empty());
                let (path, line) = match self.order {
                    RowOrder::Listed => (
                        text(f.path),
                        doc.get_first(f.line_start)
                            .and_then(|v| v.as_u64())
                            .unwrap_or(0),
                    ),
                    RowOrder::Ranked => (String::new(), 0),
                };
                keyed.push(((date_text, path, line, text(f.id)), addr));
            }
            // Newest first (as written), then by place; reversed, as the next is popped.
            keyed.sort_by(|(a, _), (b, _)| {
                b.0.cmp(&a.0)
                    .then_with(|| a.1.cmp(&b.1))
                    .then_with(|| a.2.cmp(&b.2))
                    .then_with(|| a.3.cmp(&b.3))
            });
            self.run = keyed.into_iter().rev().map(|(_, a)| a).collect();
            return Ok(true);
        }
        Ok(false)
    }
}

impl Matches<'_> {
    /// Pass over the next `n` matches without reading them: a later page of a listing
    /// costs what its own rows cost. Whole dates are passed by their counts; only the
    /// date a page starts in has its texts put in order.
    pub fn skip_rows(&mut self, mut n: usize) -> Result<(), SearchError> {
        let k = n.min(self.ranked.len());
        self.ranked.truncate(self.ranked.len() - k);
        n -= k;
        while n > 0 {
            let k = n.min(self.run.len());
            self.run.truncate(self.run.len() - k);
            n -= k;
            match self.dates.last() {
                _ if n == 0 => break,
                Some(&(_, on_date)) if on_date <= n => {
                    self.dates.pop();
                    n -= on_date;
                }
                Some(_) => {
                    if !self.next_run()? {
                        break;
                    }
                }
                None => break,
            }
        }
        Ok(())
    }
}

/// How many documents a search matches on each date (`None`: undated), from the `date`
/// column.
struct ByDate;

impl Collector for ByDate {
    type Fruit = std::collections::BTreeMap<Option<i64>, usize>;
    type Child = ByDateSegment;

    fn for_segment(&self, _: u32, seg: &SegmentReader) -> tantivy::Result<ByDateSegment> {
        Ok(ByDateSegment {
            column: seg.fast_fields().i64("date")?,
            counts: Default::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<std::collections::BTreeMap<Option<i64>, usize>>,
    ) -> tantivy::Result<Self::Fruit> {
        let mut all = std::collections::BTreeMap::new();
        for (day, n) in fruits.into_iter().flatten() {
            *all.entry(day).or_default() += n;
        }
        Ok(all)
    }
}

struct ByDateSegment {
    column: tantivy::columnar::Column<i64>,
    counts: std::collections::BTreeMap<Option<i64>, usize>,
}

impl SegmentCollector for ByDateSegment {
    type Fruit = std::collections::BTreeMap<Option<i64>, usize>;

    fn collect(&mut self, doc: DocId, _: Score) {
        *self.counts.entry(self.column.first(doc)).or_default() += 1;
    }

    fn harvest(self) -> Self::Fruit {
        self.counts
    }
}

impl Iterator for Matches<'_> {
    type Item = Result<Row, SearchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let (score, addr) = if let Some(next) = self.ranked.pop() {
            next
        } else {
            if self.run.is_empty() {
                match self.next_run() {
                    Ok(true) => {}
                    Ok(false) => return None,
                    Err(e) => return Some(Err(e)),
                }
            }
            (0.0, self.run.pop()?)
        };
        self.left -= 1;
        Some(
            self.index
                .hit(&self.searcher, addr, score, self.snippets.as_ref())
                .map(Row::new),
        )
    }
}

/// The sources of the documents found, each with the best score of its documents: by
/// segment (in the searcher's order), a score for each ordinal of the segment's `source`
/// column, `None` for the sources not found. A source's documents lie in one segment (see
/// `Update::put_source`), so its passages and its own document share the ordinal of its id,
/// and a source's passages are joined to it without looking its id up.
struct BestOfSources;

/// Scores by the ordinal of a source's id in one segment.
type ByOrdinal = Vec<Option<Score>>;

impl Collector for BestOfSources {
    type Fruit = Vec<(u32, ByOrdinal)>;
    type Child = BestOfSourcesSegment;

    fn for_segment(&self, at: u32, seg: &SegmentReader) -> tantivy::Result<BestOfSourcesSegment> {
        let column = seg.fast_fields().str("source")?;
        let terms = column.as_ref().map_or(0, |c| c.num_terms());
        Ok(BestOfSourcesSegment {
            at,
            column,
            best: vec![None; terms],
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<(u32, ByOrdinal)>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits)
    }
}

struct BestOfSourcesSegment {
    /// The segment's place in the searcher.
    at: u32,
    column: Option<tantivy::columnar::StrColumn>,
    best: ByOrdinal,
}

impl SegmentCollector for BestOfSourcesSegment {
    type Fruit = (u32, ByOrdinal);

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(c) = &self.column {
            for ord in c.term_ords(doc) {
                if let Some(best) = self.best.get_mut(ord as usize) {
                    *best = Some(best.map_or(score, |b| b.max(score)));
                }
            }
        }
    }

    fn harvest(self) -> (u32, ByOrdinal) {
        (self.at, self.best)
    }
}

/// The source documents of given sources, each with a given score (worked out from their
/// passages by [`BestOfSources`]): a word or phrase of a search for whole sources.
#[derive(Clone, Debug)]
struct ScoredSources {
    /// By segment: its source documents that match, in order, with their scores.
    docs: std::sync::Arc<HashMap<tantivy::index::SegmentId, Vec<(DocId, Score)>>>,
}

impl ScoredSources {
    fn new(
        searcher: &Searcher,
        f: &Fields,
        best: Vec<(u32, ByOrdinal)>,
    ) -> Result<ScoredSources, SearchError> {
        let io = tantivy::TantivyError::from;
        let of_type = Term::from_field_text(f.doc_type, DocType::Source.as_str());
        // Segment by segment, on the threads the search itself used.
        let one = |(at, by_ord): (u32, ByOrdinal)| -> tantivy::Result<_> {
            let Some(seg) = searcher.segment_readers().get(at as usize) else {
                return Ok(None);
            };
            let mut found = Vec::new();
            if by_ord.iter().any(Option::is_some) {
                let column = seg.fast_fields().str("source")?;
                let postings = seg
                    .inverted_index(f.doc_type)?
                    .read_postings(&of_type, IndexRecordOption::Basic)
                    .map_err(io)?;
                if let (Some(column), Some(mut p)) = (column, postings) {
                    while p.doc() != tantivy::TERMINATED {
                        let doc = p.doc();
                        let score = column
                            .term_ords(doc)
                            .find_map(|o| by_ord.get(o as usize).copied().flatten());
                        if let Some(score) = score {
                            if !seg.is_deleted(doc) {
                                found.push((doc, score));
                            }
                        }
                        p.advance();
                    }
                }
            }
            Ok(Some((seg.segment_id(), found)))
        };
        let docs: HashMap<_, _> = searcher
            .index()
            .search_executor()
            .map(one, best.into_iter())?
            .into_iter()
            .flatten()
            .collect();
        Ok(ScoredSources {
            docs: std::sync::Arc::new(docs),
        })
    }
}

impl Query for ScoredSources {
    fn weight(
        &self,
        _: tantivy::query::EnableScoring<'_>,
    ) -> tantivy::Result<Box<dyn tantivy::query::Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl tantivy::query::Weight for ScoredSources {
    fn scorer(
        &self,
        seg: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Box<dyn tantivy::query::Scorer>> {
        let docs = self
            .docs
            .get(&seg.segment_id())
            .cloned()
            .unwrap_or_default();
        Ok(Box::new(ListScorer { docs, at: 0, boost }))
    }

    fn explain(
        &self,
        seg: &SegmentReader,
        doc: DocId,
    ) -> tantivy::Result<tantivy::query::Explanation> {
        let found = self
            .docs
            .get(&seg.segment_id())
            .and_then(|d| d.iter().find(|(d, _)| *d == doc));
        match found {
            Some((_, score)) => Ok(tantivy::query::Explanation::new(
                "best passage of the source",
                *score,
            )),
            None => Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            ))),
        }
    }
}

/// Documents in order with their scores.
struct ListScorer {
    docs: Vec<(DocId, Score)>,
    at: usize,
    boost: Score,
}

impl DocSet for ListScorer {
    fn advance(&mut self) -> DocId {
        if self.at < self.docs.len() {
            self.at += 1;
        }
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).map_or(tantivy::TERMINATED, |d| d.0)
    }

    fn size_hint(&self) -> u32 {
        self.docs.len().saturating_sub(self.at) as u32
    }
}

impl tantivy::query::Scorer for ListScorer {
    fn score(&mut self) -> Score {
        self.docs.get(self.at).map_or(0.0, |d| d.1 * self.boost)
    }
}

/// `q` as a filter: it keeps or drops texts without weighing them, so that what it keeps
/// is in the order it would be in without it. Scored, a term would add its own rarity (a
/// recommendation would rank above a passage of the same words), and tantivy scores a range
/// 1 in part of an index and 0 where every text of a segment is in range, so the order
/// would depend on how the index happens to be laid out.
fn filter(q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, 0.0))
}

fn term(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// Texts with any of these ids (a set of terms: there may be thousands).
fn ids_query(field: tantivy::schema::Field, ids: &[String]) -> Box<dyn Query> {
    Box::new(TermSetQuery::new(
        ids.iter().map(|id| Term::from_field_text(field, id)),
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

    #[test]
    fn a_has_a_value_query_is_found_wherever_it_is_and_nothing_else_is() {
        let field = |q| {
            let ast = tantivy::query_grammar::parse_query(q).expect("a query");
            exists_field(&ast).map(str::to_string)
        };
        assert_eq!(field("tag:*").as_deref(), Some("tag"));
        assert_eq!(field("housing AND tag: *").as_deref(), Some("tag"));
        assert_eq!(field("(title:* OR x)").as_deref(), Some("title"));
        // Whatever tantivy reads as a field name, spaces before the colon and symbols
        // included (property tests found `a : *` and `|:*` reaching the index).
        assert_eq!(field("a : *").as_deref(), Some("a"));
        assert_eq!(field("|:*").as_deref(), Some("|"));
        assert_eq!(field("x AND (y OR -z:*)^2").as_deref(), Some("z"));
        for fine in ["tag:housing", "hous*", "\"a: b\" *", "x: y*", "no colon"] {
            assert_eq!(field(fine), None, "{fine}");
        }
    }

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

    /// An empty library in a temporary folder.
    fn new_library() -> (tempfile::TempDir, crate::Library) {
        let dir = tempfile::tempdir().expect("temporary folder");
        crate::library::init(dir.path()).expect("init");
        let lib = crate::Library::open(dir.path()).expect("open");
        (dir, lib)
    }

    /// Write a corpus file (path under `corpus/`) of `lib`, with its folders.
    fn write_source(lib: &crate::Library, rel: &str, text: &str) {
        let path = lib.corpus_dir().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
        std::fs::write(path, text).expect("write");
    }

    /// A library of the given corpus files (path under `corpus/`, text), indexed.
    fn indexed(files: &[(&str, &str)]) -> (tempfile::TempDir, LibraryIndex) {
        let (dir, lib) = new_library();
        for (rel, text) in files {
            write_source(&lib, rel, text);
        }
        let (index, _) = LibraryIndex::refresh_and_open(&lib, &super::super::Quiet).expect("index");
        (dir, index)
    }

    fn source(id: &str, body: &str) -> (String, String) {
        (
            format!("testimonies/{id}.md"),
            format!("---\nid: {id}\ntitle: Source {id}\nkind: testimony\n---\n\n{body}\n"),
        )
    }

    /// Submissions with a few recommendations each, several on one date, some undated.
    fn submissions() -> Vec<(String, String)> {
        (0..14)
            .map(|i| {
                let date = match i % 5 {
                    0 => String::new(),
                    1 => "date: 2023\n".to_string(),
                    n => format!("date: 202{n}-0{n}-1{}\n", i % 2),
                };
                let consultation = if i % 3 == 0 { "Crisis care 2024" } else { "Housing: a call" };
                let tags = if i % 4 == 0 { "[crisis-care, housing]" } else { "[housing]" };
                let asks: String = (0..(1 + i % 3))
                    .map(|k| format!("- Fund tenancy ask {k} of submission {i}.\n"))
                    .collect();
                (
                    format!("submissions/s{i:02}.md"),
                    format!(
                        "---\ntitle: Submission {i}\nkind: submission\n{date}consultation: \"{consultation}\"\ntags: {tags}\n---\n\n## Recommendations\n\n{asks}"
                    ),
                )
            })
            .collect()
    }

    fn submissions_indexed() -> (tempfile::TempDir, LibraryIndex) {
        let files = submissions();
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        indexed(&files)
    }

    fn recs_of<'i>(index: &'i LibraryIndex, query: Option<&str>, exact: Vec<Exact>) -> Matches<'i> {
        recs_in(index, query, exact, None)
    }

    /// As [`recs_of`], dated in `year` when given (as the register asks for a year).
    fn recs_in<'i>(
        index: &'i LibraryIndex,
        query: Option<&str>,
        exact: Vec<Exact>,
        year: Option<&str>,
    ) -> Matches<'i> {
        let year = year.map(|y| PartialDate::parse(y).expect("a year"));
        index
            .matches(
                &SearchRequest {
                    query: query.map(str::to_string),
                    types: vec![DocType::Recommendation],
                    limit: usize::MAX / 4,
                    exact,
                    since: year,
                    until: year,
                    ..SearchRequest::default()
                },
                RowOrder::Listed,
            )
            .expect("matches")
    }

    #[test]
    fn passing_over_rows_unread_hands_out_what_reading_them_would() {
        let (_dir, index) = submissions_indexed();
        for query in [None, Some("tenancy"), Some("submission AND ask")] {
            let all: Vec<String> = recs_of(&index, query, Vec::new())
                .map(|r| r.expect("row").id.clone())
                .collect();
            assert_eq!(all.len(), 27, "{query:?}");
            assert_eq!(recs_of(&index, query, Vec::new()).total, all.len());
            for n in 0..=all.len() + 2 {
                let mut m = recs_of(&index, query, Vec::new());
                m.skip_rows(n).expect("skip");
                let rest: Vec<String> = m.map(|r| r.expect("row").id.clone()).collect();
                assert_eq!(rest, all[n.min(all.len())..], "{query:?}, {n} passed over");
                // In two steps, as a page that starts inside a date's texts.
                let mut m = recs_of(&index, query, Vec::new());
                m.skip_rows(n / 2).expect("skip");
                let _ = m.next();
                m.skip_rows(n - n / 2).expect("skip");
                let rest: Vec<String> = m.map(|r| r.expect("row").id.clone()).collect();
                assert_eq!(rest, all[(n + 1).min(all.len())..], "{query:?}, {n} + 1");
            }
        }
    }

    #[test]
    fn exact_filters_keep_what_they_name_and_nothing_else() {
        let (_dir, index) = submissions_indexed();
        let every: Vec<Hit> = recs_of(&index, None, Vec::new())
            .map(|r| r.expect("row").0.clone())
            .collect();
        let by_in = |exact: Vec<Exact>, year: Option<&str>, keep: &dyn Fn(&Hit) -> bool| {
            let m = recs_in(&index, None, exact.clone(), year);
            let total = m.total;
            let got: Vec<String> = m.map(|r| r.expect("row").id.clone()).collect();
            let want: Vec<String> = every
                .iter()
                .filter(|h| keep(h))
                .map(|h| h.id.clone())
                .collect();
            assert!(
                !want.is_empty() && want.len() < every.len(),
                "{exact:?} {year:?}"
            );
            assert_eq!(got, want, "{exact:?} {year:?}");
            assert_eq!(total, want.len(), "{exact:?} {year:?}");
        };
        let by = |exact: Vec<Exact>, keep: &dyn Fn(&Hit) -> bool| by_in(exact, None, keep);
        by(vec![Exact::Consultation("Housing: a call".into())], &|h| {
            h.consultation.as_deref() == Some("Housing: a call")
        });
        // Not a word of it, nor a part of it.
        let m = recs_of(&index, None, vec![Exact::Consultation("Housing".into())]);
        assert_eq!(m.total, 0);
        // A year as the register asks for one: dated in it, whether by year, month or day.
        by_in(vec![], Some("2023"), &|h| {
            h.date.as_deref().is_some_and(|d| d.starts_with("2023"))
        });
        by(vec![Exact::Tag("crisis-care".into())], &|h| {
            h.tags.iter().any(|t| t == "crisis-care")
        });
        let some: Vec<String> = every.iter().step_by(3).map(|h| h.id.clone()).collect();
        by(vec![Exact::IdIn(some.clone())], &|h| some.contains(&h.id));
        by(vec![Exact::IdNotIn(some.clone())], &|h| {
            !some.contains(&h.id)
        });
        by_in(
            vec![Exact::Consultation("Crisis care 2024".into())],
            Some("2024"),
            &|h| {
                h.date.as_deref().is_some_and(|d| d.starts_with("2024"))
                    && h.consultation.as_deref() == Some("Crisis care 2024")
            },
        );
        // The choices are what the recommendations hold.
        let (consultations, years) = index
            .consultations_and_years(DocType::Recommendation)
            .expect("choices");
        let held: BTreeSet<String> = every
            .iter()
            .filter_map(|h| h.consultation.clone())
            .collect();
        assert_eq!(consultations, held);
        let held: BTreeSet<i32> = every
            .iter()
            .filter_map(|h| h.date.as_deref()?.get(..4)?.parse().ok())
            .collect();
        assert_eq!(years, held);
        assert_eq!(
            years.into_iter().collect::<Vec<_>>(),
            vec![2022, 2023, 2024]
        );
    }

    #[test]
    fn segments_searched_in_parallel_give_what_one_at_a_time_gives() {
        // Two refreshes: two segments.
        let (_dir, lib) = new_library();
        let words = [
            "eviction",
            "tenancy",
            "hospital",
            "discharge",
            "housing",
            "crisis team",
        ];
        for round in 0..2 {
            for i in 0..40 {
                let (rel, text) = source(
                    &format!("s{round}-{i:02}"),
                    &format!(
                        "{} and {} after {}.\n\nA second passage on {}.",
                        words[i % 6],
                        words[(i + round) % 5],
                        words[(i * 7) % 6],
                        words[(i + 3) % 6]
                    ),
                );
                write_source(&lib, &rel, &text);
            }
            LibraryIndex::refresh_and_open(&lib, &super::super::Quiet).expect("index");
        }
        let (one, _) = LibraryIndex::refresh_and_open(&lib, &super::super::Quiet).expect("index");
        let (mut many, _) =
            LibraryIndex::refresh_and_open(&lib, &super::super::Quiet).expect("index");
        assert!(many.index.searchable_segment_ids().expect("segments").len() > 1);
        many.index.set_multithread_executor(2).expect("threads");
        let run = |index: &LibraryIndex, q: &str, types: Vec<DocType>| {
            let res = index
                .search(&SearchRequest {
                    query: Some(q.into()),
                    types,
                    limit: 25,
                    ..SearchRequest::default()
                })
                .expect("search");
            let hits: Vec<(String, String)> = res
                .hits
                .into_iter()
                .map(|h| (h.id, format!("{:.4}", h.score)))
                .collect();
            (hits, res.total)
        };
        for q in [
            "eviction",
            "hospital discharge",
            "\"crisis team\"",
            "housing OR tenancy",
            "crisis NOT eviction",
        ] {
            for types in [Vec::new(), vec![DocType::Source]] {
                let (a, b) = (run(&one, q, types.clone()), run(&many, q, types.clone()));
                assert!(!a.0.is_empty(), "{q}");
                assert_eq!(a, b, "{q} {types:?}");
            }
        }
    }

    #[test]
    fn filters_keep_the_order_and_scores_of_what_they_keep() {
        // Two refreshes, two segments: every source of the first is of 2024 (so the whole
        // segment is in the range of `--since 2023`), the second mixes 2019 and 2024.
        let (_dir, lib) = new_library();
        let words = [
            "eviction",
            "tenancy",
            "eviction notice",
            "landlord",
            "hospital",
        ];
        for round in 0..2 {
            for i in 0..30 {
                let year = if round == 0 || i % 2 == 0 { 2024 } else { 2019 };
                let kind = if i % 3 == 0 { "report" } else { "testimony" };
                let tag = if i % 4 == 0 { "housing" } else { "health" };
                let text = format!(
                    "---\nid: s{round}-{i:02}\ntitle: Source {i}\nkind: {kind}\ndate: {year}-0{}\n\
                     tags: [{tag}]\n---\n\n{} and {} again.\n\n## Recommendations\n\n- \
                     The council should stop {} now.\n",
                    1 + i % 9,
                    words[i % 5],
                    words[(i * 3 + round) % 5],
                    words[(i + 2) % 5],
                );
                write_source(&lib, &format!("{kind}s/s{round}-{i:02}.md"), &text);
            }
            LibraryIndex::refresh_and_open(&lib, &super::super::Quiet).expect("index");
        }
        let (index, _) = LibraryIndex::refresh_and_open(&lib, &super::super::Quiet).expect("index");
        assert!(
            index
                .index
                .searchable_segment_ids()
                .expect("segments")
                .len()
                > 1
        );
        // Each hit: its source, id and score.
        let run = |req: SearchRequest| -> Vec<(String, String, String)> {
            index
                .search(&SearchRequest { limit: 200, ..req })
                .expect("search")
                .hits
                .into_iter()
                .map(|h| (h.source, h.id, format!("{:.4}", h.score)))
                .collect()
        };
        let query = |q: &str| SearchRequest {
            query: Some(q.into()),
            ..SearchRequest::default()
        };
        let number = |source: &str| -> usize { source[3..5].parse().expect("number") };
        // The odd sources of the second refresh are of 2019.
        let of_2019 = |source: &str| source.starts_with("s1-") && number(source) % 2 == 1;
        for q in ["eviction", "tenancy OR landlord", "\"eviction notice\""] {
            let all = run(query(q));
            assert!(all.len() > 10, "{q}");
            let kept = |pass: &dyn Fn(&str, &str) -> bool| -> Vec<(String, String, String)> {
                all.iter()
                    .filter(|(source, id, _)| pass(source, id))
                    .cloned()
                    .collect()
            };
            let since = run(SearchRequest {
                since: PartialDate::parse("2023"),
                ..query(q)
            });
            let want = kept(&|source, _| !of_2019(source));
            assert!(!want.is_empty() && want.len() < all.len(), "{q}");
            assert_eq!(since, want, "{q} since 2023");
            let until = run(SearchRequest {
                until: PartialDate::parse("2020"),
                ..query(q)
            });
            assert_eq!(until, kept(&|source, _| of_2019(source)), "{q} until 2020");
            let two_types = run(SearchRequest {
                types: vec![DocType::Passage, DocType::Recommendation],
                ..query(q)
            });
            assert_eq!(two_types, all, "{q} passages and recommendations");
            let recs = run(SearchRequest {
                types: vec![DocType::Recommendation],
                ..query(q)
            });
            assert_eq!(
                recs,
                kept(&|_, id| id.starts_with("r-")),
                "{q} recommendations"
            );
            let tagged = run(SearchRequest {
                tags: vec!["housing".into()],
                ..query(q)
            });
            assert_eq!(
                tagged,
                kept(&|source, _| number(source) % 4 == 0),
                "{q} tagged"
            );
        }
    }

    #[test]
    fn a_sources_documents_lie_in_the_segment_of_its_own_document() {
        // Many sources with several passages each, written by every writer thread, then
        // some rewritten: a search for whole sources finds a source's document in the
        // segment of its passages.
        let (_dir, lib) = new_library();
        let write = |id: &str, passages: usize| {
            let body: Vec<String> = (0..passages)
                .map(|p| format!("Passage {p} of {id} on eviction and housing."))
                .collect();
            let (rel, text) = source(id, &body.join("\n\n"));
            write_source(&lib, &rel, &text);
        };
        for i in 0..300 {
            write(&format!("s-{i:03}"), 2 + i % 7);
        }
        LibraryIndex::refresh_and_open(&lib, &super::super::Quiet).expect("index");
        for i in (0..300).step_by(3) {
            write(&format!("s-{i:03}"), 3 + i % 5);
        }
        let (index, _) = LibraryIndex::refresh_and_open(&lib, &super::super::Quiet).expect("index");
        let searcher = index.reader().expect("reader").searcher();
        let mut sources = 0;
        for seg in searcher.segment_readers() {
            let column = seg
                .fast_fields()
                .str("source")
                .expect("column")
                .expect("source column");
            let store = seg.get_store_reader(1).expect("store");
            let (mut own, mut theirs) = (
                std::collections::HashSet::new(),
                std::collections::HashSet::new(),
            );
            for doc in seg.doc_ids_alive() {
                let stored: TantivyDocument = store.get(doc).expect("stored");
                let kind = stored
                    .get_first(index.fields.doc_type)
                    .and_then(|v| v.as_str())
                    .expect("type")
                    .to_string();
                let ord = column.term_ords(doc).next().expect("a source");
                match kind.as_str() {
                    "source" => {
                        own.insert(ord);
                    }
                    "passage" | "recommendation" => {
                        theirs.insert(ord);
                    }
                    _ => {}
                }
            }
            sources += own.len();
            let strays: Vec<_> = theirs.difference(&own).collect();
            assert!(
                strays.is_empty(),
                "passages without their source: {strays:?}"
            );
        }
        assert_eq!(sources, 300);
    }

    #[test]
    fn searches_after_letting_go_of_pages_find_what_they_found_before() {
        let (a, b) = (
            source("a-1", "Eviction notice came."),
            source("b-1", "No eviction here, a tenancy."),
        );
        let (_dir, index) = indexed(&[(&a.0, &a.1), (&b.0, &b.1)]);
        let before = (found(&index, "eviction"), found(&index, "tenancy"));
        assert_eq!(before.0, ["a-1", "b-1"]);
        let held = index.reader().expect("reader");
        index.let_go_of_pages();
        // A new reader is opened for the next search; one still held keeps working.
        assert_eq!(
            held.searcher().num_docs(),
            index.reader().expect("reader").searcher().num_docs()
        );
        assert_eq!(
            (found(&index, "eviction"), found(&index, "tenancy")),
            before
        );
        index.let_go_of_pages();
        index.let_go_of_pages();
        assert_eq!(found(&index, "tenancy"), ["b-1"]);
    }

    const THEMES: &str = "[[tag]]\nid = \"housing\"\nlabel = \"Housing and homelessness\"\n\
        synonyms = [\"homelessness\", \"accommodation\", \"sofa-surfing\", \"temporary accommodation\"]\n";

    fn found(index: &LibraryIndex, q: &str) -> Vec<String> {
        let mut ids: Vec<String> = index
            .search(&SearchRequest {
                query: Some(q.into()),
                limit: 50,
                ..SearchRequest::default()
            })
            .expect("search")
            .hits
            .into_iter()
            .map(|h| h.source)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    #[test]
    fn a_theme_word_finds_single_word_synonyms_as_terms_and_longer_ones_as_phrases() {
        let files = [
            source("s-one", "Years of homelessness after the fire."),
            source(
                "s-two",
                "We were put in temporary accommodation for a year.",
            ),
            source(
                "s-split",
                "The accommodation was temporary, and so was the job.",
            ),
            source("s-sofa", "I was sofa-surfing for months."),
            source("s-none", "Nothing about it here at all."),
            ("taxonomy.toml".to_string(), THEMES.to_string()),
        ];
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (_dir, index) = indexed(&files);
        // `accommodation` alone is a synonym too, so s-split is found through it; the
        // phrase `sofa-surfing` finds s-sofa; nothing finds s-none.
        assert_eq!(
            found(&index, "housing"),
            ["s-one", "s-sofa", "s-split", "s-two"]
        );
        let expanded = index.taxonomy.expand_query("housing").0;
        assert!(expanded.starts_with("(housing OR "), "{expanded}");
        assert!(
            expanded.contains(" homelessness OR accommodation OR "),
            "{expanded}"
        );
        // A longer name that holds a one-word name finds nothing more than the word: it is
        // not checked as a phrase. One that holds none still is.
        assert!(
            !expanded.contains("\"temporary accommodation\""),
            "{expanded}"
        );
        assert!(expanded.contains("\"sofa-surfing\""), "{expanded}");
        assert!(!expanded.contains("\"homelessness\""), "{expanded}");
    }

    #[test]
    fn a_multi_word_synonym_is_matched_as_a_phrase_not_as_loose_words() {
        let themes =
            "[[tag]]\nid = \"crisis-care\"\nsynonyms = [\"crisis team\", \"safe haven\"]\n";
        let files = [
            source("s-team", "The crisis team came at midnight."),
            source("s-loose", "A team met about the crisis."),
            source("s-haven", "The safe haven was open late."),
            ("taxonomy.toml".to_string(), themes.to_string()),
        ];
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (_dir, index) = indexed(&files);
        assert_eq!(found(&index, "\"crisis care\""), ["s-haven", "s-team"]);
        // The words of a synonym typed without quotes find it as a theme, as a phrase.
        assert_eq!(found(&index, "safe haven"), ["s-haven", "s-team"]);
    }

    /// Hits (address and score, best first) and the count of `q`, searched as it is.
    fn ranked(index: &LibraryIndex, q: &dyn Query) -> (Vec<(f32, DocAddress)>, usize) {
        let searcher = index.reader().expect("reader").searcher();
        searcher
            .search(q, &(TopDocs::with_limit(100).order_by_score(), Count))
            .expect("search")
    }

    #[test]
    fn a_theme_phrase_found_by_its_term_matches_and_scores_as_the_phrase_does() {
        let themes = "[[tag]]\nid = \"crisis-care\"\nsynonyms = [\"crisis team\", \"safe haven\", \
            \"team team\", \"A&E\"]\n[[tag]]\nid = \"hospital-discharge\"\n\
            synonyms = [\"medically fit for discharge\", \"co-occurring conditions\"]\n";
        let long = "x".repeat(60);
        let texts = [
            "The crisis team came. Later the crisis team came again, and the crisis teams met.",
            "A team met about the crisis; the safe haven was shut.",
            "Crisis. Team talk ran late at the safe haven, a safe haven for all.",
            "team team team: three in a row, and A&E twice, A and E.",
            "She was medically fit for discharge, medically fit for discharge again.",
            "Medically fit, not for discharge; co-occurring conditions and co occurring conditions.",
            &format!("crisis {long} team, with a word too long to be a term between."),
            "Nothing about any of it here.",
        ];
        let mut files: Vec<(String, String)> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| source(&format!("s-{i}"), t))
            .collect();
        files.push(("taxonomy.toml".to_string(), themes.to_string()));
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (_dir, index) = indexed(&files);
        let names = [
            "crisis team",
            "safe haven",
            "team team",
            "A&E",
            "medically fit for discharge",
            "co-occurring conditions",
        ];
        for name in names {
            let phrase = index
                .parse_query(&format!("\"{name}\""), false)
                .expect("parse");
            assert!(phrase.is::<PhraseQuery>(), "{name}");
            let by_term = index.theme_phrases_as_terms(phrase.box_clone());
            assert!(
                by_term.is::<ThemePhraseQuery>(),
                "{name} is not found by its term"
            );
            let (want, want_total) = ranked(&index, phrase.as_ref());
            assert!(!want.is_empty(), "{name} matches nothing");
            assert_eq!(
                ranked(&index, by_term.as_ref()),
                (want, want_total),
                "{name}"
            );
        }
        // Whole searches: a theme typed as words, with AND and OR.
        for q in [
            "crisis team",
            "\"safe haven\" AND late",
            "discharge OR \"team team\"",
        ] {
            let with_terms = index
                .search(&SearchRequest {
                    query: Some(q.into()),
                    limit: 50,
                    ..SearchRequest::default()
                })
                .expect("search");
            let (expanded, _) = index.taxonomy.expand_query(q);
            let plain = index.parse_query(&expanded, false).expect("parse");
            let (want, total) = ranked(
                &index,
                index
                    .among_parts(plain.as_ref(), &["passage", "quote", "recommendation"])
                    .as_ref(),
            );
            let got: Vec<(String, f32)> = with_terms
                .hits
                .iter()
                .map(|h| (h.id.clone(), h.score))
                .collect();
            let searcher = index.reader().expect("reader").searcher();
            let want: Vec<(String, f32)> = want
                .iter()
                .map(|(score, addr)| {
                    let d: TantivyDocument = searcher.doc(*addr).expect("doc");
                    let id = d
                        .get_first(index.fields.id)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string();
                    (id, *score)
                })
                .collect();
            assert_eq!(got, want, "{q}");
            assert_eq!(with_terms.total, total, "{q}");
        }
        // NOT (tantivy's own phrase trips a debug assertion as the set excluded): only the
        // text whose two words are apart, a dropped word between them, holds no phrase of
        // the theme.
        assert_eq!(found(&index, "crisis NOT \"crisis team\""), ["s-6"]);
        // A phrase no theme names, or one with slop, is matched as a phrase.
        for q in ["\"team came\"", "\"crisis team\"~1"] {
            let parsed = index.parse_query(q, false).expect("parse");
            assert!(
                index.theme_phrases_as_terms(parsed).is::<PhraseQuery>(),
                "{q}"
            );
        }
    }

    #[test]
    fn whole_sources_match_words_anywhere_in_them_and_phrases_within_a_passage() {
        let files = [
            source(
                "s-both",
                "The landlord sent a letter.\n\nThen came the eviction notice.",
            ),
            source("s-one", "The landlord was kind."),
            source("s-not", "The landlord.\n\nAn eviction, and the hospital."),
        ];
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (_dir, index) = indexed(&files);
        let sources = |q: &str| {
            let r = index
                .search(&SearchRequest {
                    query: Some(q.into()),
                    types: vec![DocType::Source],
                    limit: 10,
                    ..SearchRequest::default()
                })
                .expect("search");
            assert!(r.hits.iter().all(|h| h.doc_type == "source"));
            let mut ids: Vec<String> = r.hits.into_iter().map(|h| h.id).collect();
            ids.sort();
            ids
        };
        // Words in different paragraphs of one source: found, as before.
        assert_eq!(sources("landlord eviction"), ["s-both", "s-not"]);
        assert_eq!(sources("landlord eviction NOT hospital"), ["s-both"]);
        assert_eq!(sources("\"eviction notice\""), ["s-both"]);
        assert_eq!(sources("\"landlord was\" OR hospital"), ["s-not", "s-one"]);
        assert_eq!(sources("\"landlord eviction\""), Vec::<String>::new());
    }

    #[test]
    fn round_2_keeps_two_significant_figures() {
        assert_eq!(round_2(7), 7);
        assert_eq!(round_2(99), 99);
        assert_eq!(round_2(123), 120);
        assert_eq!(round_2(12_345), 12_000);
        assert_eq!(round_2(996), 1_000);
    }

    #[test]
    fn an_estimated_total_is_near_the_count_and_bunched_matches_are_counted() {
        use tantivy::schema::{Schema, TEXT};
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let index = tantivy::Index::create_in_ram(schema.build());
        let mut w = index.writer(50_000_000).expect("writer");
        for i in 0..60_000u32 {
            let mut d = TantivyDocument::default();
            let mut text = String::from("word");
            if i % 7 == 0 {
                text.push_str(" spread");
            }
            if i < 1_000 {
                text.push_str(" bunched");
            }
            d.add_text(body, &text);
            w.add_document(d).expect("add");
        }
        w.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let q = |w: &str| TermQuery::new(Term::from_field_text(body, w), IndexRecordOption::Basic);
        let exact = searcher.search(&q("spread"), &Count).expect("count");
        let est = estimate_total(&searcher, &q("spread"))
            .expect("estimate")
            .expect("enough");
        assert!(est.abs_diff(exact) * 10 < exact, "{est} vs {exact}");
        // All in one corner of the library: too few in the windows to guess from.
        assert_eq!(
            estimate_total(&searcher, &q("bunched")).expect("estimate"),
            None
        );
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

    /// Texts are found by meaning through a short term of their key, which two texts may
    /// share by chance; the one whose whole key was not asked for is not a result.
    #[test]
    fn a_text_that_shares_a_key_term_by_chance_is_not_found_by_meaning() {
        // Found by search: the two keys share their first 8 characters (8395f14d).
        let garden = "Volunteers ran the allotment garden in week 199603.";
        let tribunal = "The tribunal dismissed the appeal in case 44634.";
        let (a, b) = (
            super::super::embed::key_hex(garden),
            super::super::embed::key_hex(tribunal),
        );
        assert_ne!(a, b);
        assert_eq!(Fields::key_term(&a), Fields::key_term(&b));
        let files = [source("garden", garden), source("tribunal", tribunal)];
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (dir, index) = indexed(&files);
        let lib = crate::Library::open(dir.path()).expect("open");
        index
            .with_some_meaning(&lib, &super::super::Quiet)
            .expect("meaning");
        // The term alone finds both.
        let by_term = index
            .search_words(
                &SearchRequest {
                    limit: 10,
                    ..SearchRequest::default()
                },
                Some(std::slice::from_ref(&a)),
            )
            .expect("search");
        let mut found: Vec<&str> = by_term.hits.iter().map(|h| h.source.as_str()).collect();
        found.sort();
        assert_eq!(found, ["garden", "tribunal"]);
        // A search by meaning that shares no word with either finds only the garden.
        let results = index
            .search_meaning(&SearchRequest {
                query: Some("people growing vegetables together".into()),
                limit: 10,
                ..SearchRequest::default()
            })
            .expect("search");
        let sources: Vec<&str> = results.hits.iter().map(|h| h.source.as_str()).collect();
        assert!(sources.contains(&"garden"), "{sources:?}");
        assert!(!sources.contains(&"tribunal"), "{sources:?}");
        assert!(results.hits.iter().all(|h| h.meaning.is_some()));
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
