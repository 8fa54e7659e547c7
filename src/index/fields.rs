//! The index's fields and the documents made from sources and quotes: the one place that
//! knows tantivy's schema.

use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use std::collections::HashMap;

use super::phrases::ThemePhrases;
use super::{analyzer, embed};
use crate::corpus::Source;
use crate::quotes::{Located, Quote};
use crate::taxonomy::Taxonomy;

/// The index's fields: the one place that knows tantivy's schema.
#[derive(Clone, Debug)]
pub struct Fields {
    /// Document id: source id, passage id (`<source>#L<line>`) or recommendation id.
    pub id: tantivy::schema::Field,
    /// `source`, `passage`, `quote` or `recommendation`.
    pub doc_type: tantivy::schema::Field,
    /// File path relative to the library root.
    pub path: tantivy::schema::Field,
    /// Id of the source the document belongs to.
    pub source: tantivy::schema::Field,
    /// Title of the source.
    pub title: tantivy::schema::Field,
    /// The text of a passage, quote or recommendation (searched with phrases).
    pub body: tantivy::schema::Field,
    /// A term for each time `body` holds a phrase a theme is searched with (see
    /// [`super::phrases`]).
    pub phrases: tantivy::schema::Field,
    /// The text of a whole source, stored for snippets but not indexed: its passages and
    /// recommendations hold every word of it (a source is found through them).
    pub whole: tantivy::schema::Field,
    /// Headings above a passage.
    pub section: tantivy::schema::Field,
    /// Kind of source.
    pub kind: tantivy::schema::Field,
    /// Tags (one value each).
    pub tag: tantivy::schema::Field,
    /// Date as `YYYYMMDD` (first day it covers), for filters and sorting.
    pub date: tantivy::schema::Field,
    /// Last day the date covers, `YYYYMMDD` (`2024` runs to 20241231).
    pub date_end: tantivy::schema::Field,
    /// Date as written.
    pub date_text: tantivy::schema::Field,
    /// First Markdown line.
    pub line_start: tantivy::schema::Field,
    /// Last Markdown line, inclusive.
    pub line_end: tantivy::schema::Field,
    /// Page of a paged original (imported PDF) where the passage starts.
    pub page: tantivy::schema::Field,
    /// Sensitivity of the source.
    pub sensitivity: tantivy::schema::Field,
    /// Consultation a submission answered.
    pub consultation: tantivy::schema::Field,
    /// The same, whole and exactly as written: a filter that matches only that
    /// consultation, and a column whose values are the consultations in use (the register's
    /// filter and its choices).
    pub consultation_exact: tantivy::schema::Field,
    /// Organisation of the source.
    pub organisation: tantivy::schema::Field,
    /// Authors of the source.
    pub author: tantivy::schema::Field,
    /// Heading or sentence that introduced a recommendation.
    pub lead_in: tantivy::schema::Field,
    /// Contributors of the source (pseudonymous ids).
    pub contributor: tantivy::schema::Field,
    /// Consent status of a quote.
    pub status: tantivy::schema::Field,
    /// Speaker of a quote.
    pub speaker: tantivy::schema::Field,
    /// Anchor state of a quote.
    pub anchor: tantivy::schema::Field,
    /// Key of the text's embedding (blake3 of `body`, hex) for passages, quotes and
    /// recommendations: whole in the fast field, by [`analyzer::key_term`] in the index
    /// (look it up with [`Fields::key_term`]).
    pub hash: tantivy::schema::Field,
}

impl Fields {
    pub(crate) fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let text = |stored: bool| {
            let o = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analyzer::TEXT)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            );
            if stored { o.set_stored() } else { o }
        };
        let keyword = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analyzer::KEYWORD)
                    .set_index_option(IndexRecordOption::Basic),
            )
            .set_stored();
        let fields = Fields {
            id: b.add_text_field("id", STRING | STORED),
            doc_type: b.add_text_field("type", STRING | STORED),
            path: b.add_text_field("path", STRING | STORED),
            // Fast: a search for whole sources turns the passages its words were found in
            // into their sources.
            source: b.add_text_field("source", STRING | STORED | FAST),
            title: b.add_text_field("title", text(true)),
            body: b.add_text_field("body", text(true)),
            // How often each phrase occurs counts (it is the phrase's frequency); the
            // lengths are `body`'s.
            phrases: b.add_text_field(
                "phrases",
                TextOptions::default().set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer(analyzer::PHRASES)
                        .set_index_option(IndexRecordOption::WithFreqs)
                        .set_fieldnorms(false),
                ),
            ),
            // Stored only: a source's words are indexed once, in its passages and
            // recommendations, and a search for whole sources is answered from those.
            whole: b.add_text_field("whole", STORED),
            section: b.add_text_field("section", text(true)),
            kind: b.add_text_field("kind", keyword.clone()),
            tag: b.add_text_field("tag", keyword.clone()),
            date: b.add_i64_field("date", INDEXED | FAST | STORED),
            // A column only: `--since` is a range over it, which tantivy checks in the column
            // for the texts a search finds rather than gathering every text of every date
            // in the range from the index.
            date_end: b.add_i64_field("date_end", FAST),
            date_text: b.add_text_field("date_text", STORED),
            line_start: b.add_u64_field("line_start", STORED),
            line_end: b.add_u64_field("line_end", STORED),
            page: b.add_u64_field("page", STORED),
            sensitivity: b.add_text_field("sensitivity", keyword.clone()),
            consultation: b.add_text_field("consultation", text(true)),
            consultation_exact: b.add_text_field("consultation_exact", STRING | FAST),
            organisation: b.add_text_field("organisation", text(true)),
            author: b.add_text_field("author", text(true)),
            lead_in: b.add_text_field("lead_in", STORED),
            contributor: b.add_text_field("contributor", STRING | STORED),
            status: b.add_text_field("status", keyword.clone()),
            speaker: b.add_text_field("speaker", keyword.clone()),
            anchor: b.add_text_field("anchor", STRING | STORED),
            // Indexed by a prefix of the key (a term per text, so the term dictionary is
            // kept small: see `analyzer::KEY_TERM_CHARS`); the fast field keeps it whole.
            hash: b.add_text_field(
                "hash",
                TextOptions::default()
                    .set_indexing_options(
                        TextFieldIndexing::default()
                            .set_tokenizer(analyzer::KEY)
                            .set_index_option(IndexRecordOption::Basic),
                    )
                    .set_fast("raw"),
            ),
        };
        (b.build(), fields)
    }

    /// The term a text's key (hex, as [`embed::key_hex`] makes it) is found by in `hash`.
    pub(crate) fn key_term(hex: &str) -> &str {
        analyzer::key_term(hex)
    }

    /// The tantivy documents for one source: the source, its passages and recommendations.
    pub(crate) fn documents(
        &self,
        s: &Source,
        taxonomy: &Taxonomy,
        phrases: &ThemePhrases,
    ) -> Vec<TantivyDocument> {
        let date = s.parsed_date();
        // Once per source, not once per passage: matching tags to themes is not free.
        let tags = tags_with_themes(&s.meta.tags, taxonomy);
        let base = |doc_type: &str, id: &str| {
            let mut d = TantivyDocument::default();
            d.add_text(self.id, id);
            d.add_text(self.doc_type, doc_type);
            d.add_text(self.path, &s.path);
            d.add_text(self.source, &s.id);
            d.add_text(self.title, &s.title);
            d.add_text(self.kind, s.kind.as_str());
            d.add_text(self.sensitivity, s.sensitivity.as_str());
            for t in &tags {
                d.add_text(self.tag, t);
            }
            if let Some(date) = date {
                d.add_i64(self.date, date.first_day());
                d.add_i64(self.date_end, date.last_day());
            }
            if let Some(t) = &s.date {
                d.add_text(self.date_text, t);
            }
            if let Some(c) = &s.meta.consultation {
                d.add_text(self.consultation, c);
                d.add_text(self.consultation_exact, c);
            }
            if let Some(o) = &s.meta.organisation {
                d.add_text(self.organisation, o);
            }
            for a in &s.meta.authors {
                d.add_text(self.author, a);
            }
            for c in &s.meta.contributors {
                d.add_text(self.contributor, c);
            }
            d
        };
        let mut docs = Vec::with_capacity(s.passages.len() + 1);
        let mut whole = base("source", &s.id);
        whole.add_text(self.whole, &s.text);
        whole.add_u64(
            self.line_start,
            s.passages.first().map_or(1, |p| p.line_start) as u64,
        );
        whole.add_u64(
            self.line_end,
            s.passages.last().map_or(1, |p| p.line_end) as u64,
        );
        if let Some(page) = s.passages.iter().find_map(|p| p.page) {
            whole.add_u64(self.page, page.into());
        }
        docs.push(whole);
        let mut seen: HashMap<usize, usize> = HashMap::new();
        for p in &s.passages {
            // An ask in a paragraph of prose is a recommendation of its own, and the
            // paragraph stays a passage too.
            let prose = p
                .recommendation
                .map(|r| &s.recommendations[r])
                .filter(|rec| rec.text != p.text);
            let kinds: Vec<Option<usize>> = match (p.recommendation, prose) {
                (Some(r), Some(_)) => vec![None, Some(r)],
                (r, _) => vec![r],
            };
            for kind in kinds {
                let mut d = match kind {
                    Some(r) => {
                        let rec = &s.recommendations[r];
                        let mut d = base("recommendation", &rec.id);
                        d.add_text(self.lead_in, &rec.lead_in);
                        d
                    }
                    None => {
                        let n = seen.entry(p.line_start).or_insert(0);
                        *n += 1;
                        let id = if *n == 1 {
                            format!("{}#L{}", s.id, p.line_start)
                        } else {
                            format!("{}#L{}.{}", s.id, p.line_start, n)
                        };
                        base("passage", &id)
                    }
                };
                let body = match kind {
                    Some(r) => &s.recommendations[r].text,
                    None => &p.text,
                };
                self.add_body(&mut d, body, phrases);
                if !body.trim().is_empty() {
                    d.add_text(self.hash, embed::key_hex(body));
                }
                d.add_text(self.section, &p.section);
                d.add_u64(self.line_start, p.line_start as u64);
                d.add_u64(self.line_end, p.line_end as u64);
                if let Some(page) = p.page {
                    d.add_u64(self.page, page.into());
                }
                docs.push(d);
            }
        }
        docs
    }
}

impl Fields {
    /// A text as `body`, with the terms of the theme phrases it holds.
    fn add_body(&self, d: &mut TantivyDocument, text: &str, phrases: &ThemePhrases) {
        d.add_text(self.body, text);
        let terms = phrases.terms_in(text);
        if !terms.is_empty() {
            d.add_text(self.phrases, terms);
        }
    }
}

/// A source's tags, plus the theme each belongs to when it is a synonym.
fn tags_with_themes<'a>(
    tags: impl IntoIterator<Item = &'a String>,
    taxonomy: &Taxonomy,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        for v in [t.clone(), taxonomy.canonical(t)] {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

impl Fields {
    pub(crate) fn quote_document(
        &self,
        q: &Quote,
        loc: &Located,
        s: &Source,
        taxonomy: &Taxonomy,
        phrases: &ThemePhrases,
    ) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_text(self.id, &q.id);
        d.add_text(self.doc_type, "quote");
        d.add_text(self.path, &loc.path);
        d.add_text(self.source, &s.id);
        d.add_text(self.title, &s.title);
        d.add_text(self.kind, s.kind.as_str());
        d.add_text(self.sensitivity, s.sensitivity.as_str());
        for t in tags_with_themes(&q.tags, taxonomy) {
            d.add_text(self.tag, t);
        }
        if let Some(date) = s.parsed_date() {
            d.add_i64(self.date, date.first_day());
            d.add_i64(self.date_end, date.last_day());
        }
        if let Some(t) = &s.date {
            d.add_text(self.date_text, t);
        }
        self.add_body(&mut d, &loc.text, phrases);
        if !loc.text.trim().is_empty() {
            d.add_text(self.hash, embed::key_hex(&loc.text));
        }
        let (a, b) = loc.lines.unwrap_or((0, 0));
        d.add_u64(self.line_start, a as u64);
        d.add_u64(self.line_end, b as u64);
        if let Some(page) = loc.lines.and_then(|(a, _)| s.page_at_line(a)) {
            d.add_u64(self.page, page.into());
        }
        d.add_text(self.status, q.status().as_str());
        if let Some(sp) = &q.speaker {
            d.add_text(self.speaker, sp);
        }
        d.add_text(self.anchor, loc.state.as_str());
        d
    }
}
