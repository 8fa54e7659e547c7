//! Theme phrases as terms of their own.
//!
//! A search for a theme looks for its names of several words as phrases (`"crisis team" OR
//! "safe haven" OR …`, see [`Taxonomy::expand_query`]), and tantivy matches a phrase by
//! reading the positions of every text that holds all of its words anywhere: at a million
//! sources, hundreds of thousands of texts for each search. Those phrases are few (the
//! taxonomy names them), so the index also keeps, in the field `phrases`, one term for each
//! time a text holds one of them, and a search looks such a phrase up by its term: the same
//! texts, scored with the phrase's own weight (its words' rarity, the text's length, how
//! often it occurs there), without reading a position. Any other phrase is matched as
//! before.
//!
//! The terms follow the taxonomy: a change of themes rebuilds the index (its stamp holds the
//! taxonomy's hash), so the index never holds the phrases of other themes than the
//! library's, and a phrase the taxonomy does not name is never looked up by a term.

use std::collections::HashMap;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{
    Bm25Weight, EmptyScorer, EnableScoring, Explanation, PhraseQuery, Query, Scorer, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TokenStream as _;
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

use super::analyzer;
use crate::taxonomy::Taxonomy;

/// The phrases a library's themes are searched with, as the analyzer makes their words.
#[derive(Debug, Default)]
pub(crate) struct ThemePhrases {
    phrases: Vec<Phrase>,
    /// Indices into `phrases`, by each phrase's first word.
    by_first: HashMap<String, Vec<usize>, analyzer::FxBuild>,
}

#[derive(Debug)]
struct Phrase {
    /// The name as written in the taxonomy.
    name: String,
    /// Its analyzed words, each with its position counted from the first word's (a word the
    /// analyzer drops leaves a gap, as it does in a phrase query).
    words: Vec<(usize, String)>,
    /// The term of `phrases` that stands for one occurrence.
    term: String,
}

/// What joins two words of a phrase's term, once per position between them: never part of
/// an analyzed word (the tokenizer splits on it), and not white space (which splits terms).
const JOINER: char = '+';

impl ThemePhrases {
    /// The phrases `taxonomy` is searched with ([`Taxonomy::phrases_searched`]) that make
    /// two words or more.
    pub(crate) fn of(taxonomy: &Taxonomy) -> ThemePhrases {
        let mut out = ThemePhrases::default();
        for name in taxonomy.phrases_searched() {
            let analyzed = analyse(&name);
            let Some(&(first, _)) = analyzed.first() else {
                continue;
            };
            if analyzed.len() < 2 {
                continue;
            }
            let words: Vec<(usize, String)> = analyzed
                .into_iter()
                .map(|(at, w)| (at - first, w))
                .collect();
            let mut term = String::new();
            let mut last = 0;
            for (at, w) in &words {
                for _ in last..*at {
                    term.push(JOINER);
                }
                term.push_str(w);
                last = *at;
            }
            if out.phrases.iter().any(|p| p.term == term) {
                continue;
            }
            out.by_first
                .entry(words[0].1.clone())
                .or_default()
                .push(out.phrases.len());
            out.phrases.push(Phrase { name, words, term });
        }
        out
    }

    /// Each phrase's name, its analyzed words (in order) and its term.
    pub(crate) fn phrases(&self) -> impl Iterator<Item = (&str, Vec<&str>, &str)> {
        self.phrases.iter().map(|p| {
            let words = p.words.iter().map(|(_, w)| w.as_str()).collect();
            (p.name.as_str(), words, p.term.as_str())
        })
    }

    /// The terms of the phrases `text` holds, one for each occurrence (as a phrase query
    /// counts them: every position where the phrase starts), separated by spaces, in the
    /// order of where they start.
    ///
    /// The text is analyzed once, as a stream: a word that begins a phrase opens a match,
    /// which each later word either takes a step further, waits for (a word before the one
    /// the phrase needs next, where the analyzer dropped one) or ends. Nothing is kept of a
    /// word that begins no phrase, so a first build pays for one look-up per word.
    pub(crate) fn terms_in(&self, text: &str) -> String {
        let mut out = String::new();
        if self.phrases.is_empty() {
            return out;
        }
        // Matches begun and not yet whole or failed.
        let mut open: Vec<Open> = Vec::new();
        // (the word it began at, the phrase) of every phrase found.
        let mut found: Vec<(usize, usize)> = Vec::new();
        TEXT_ANALYZER.with(|a| {
            let mut analyzer = a.borrow_mut();
            let mut stream = analyzer.token_stream(text);
            let mut n = 0;
            while stream.advance() {
                let token = stream.token();
                let (at, word) = (token.position, token.text.as_str());
                open.retain_mut(|m| {
                    let words = &self.phrases[m.phrase].words;
                    let (offset, want) = &words[m.next];
                    match at.cmp(&(m.at + offset)) {
                        std::cmp::Ordering::Less => true,
                        std::cmp::Ordering::Greater => false,
                        std::cmp::Ordering::Equal if word != want => false,
                        std::cmp::Ordering::Equal => {
                            m.next += 1;
                            if m.next < words.len() {
                                return true;
                            }
                            found.push((m.word, m.phrase));
                            false
                        }
                    }
                });
                if let Some(candidates) = self.by_first.get(word) {
                    for &phrase in candidates {
                        open.push(Open {
                            word: n,
                            at,
                            phrase,
                            next: 1,
                        });
                    }
                }
                n += 1;
            }
        });
        found.sort_unstable();
        for (_, phrase) in found {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&self.phrases[phrase].term);
        }
        out
    }
}

/// A phrase begun in a text and not yet whole (see [`ThemePhrases::terms_in`]).
struct Open {
    /// The number of the word it began at (what orders the phrases found).
    word: usize,
    /// The position of that word.
    at: usize,
    /// The phrase (in `ThemePhrases::phrases`).
    phrase: usize,
    /// The phrase's word it needs next.
    next: usize,
}

thread_local! {
    /// The analyzer [`ThemePhrases::terms_in`] reads texts with, made once per thread.
    static TEXT_ANALYZER: std::cell::RefCell<tantivy::tokenizer::TextAnalyzer> =
        std::cell::RefCell::new(analyzer::text_analyzer());
}

/// `text`'s words as the search analyzer makes them, with their positions.
fn analyse(text: &str) -> Vec<(usize, String)> {
    let mut analyzer = analyzer::text_analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push((t.position, t.text.clone()));
    }
    out
}

/// A phrase of `body` that a theme names, found by its term in `phrases`: the texts and
/// scores of the phrase query it stands for.
#[derive(Clone, Debug)]
pub(crate) struct ThemePhraseQuery {
    phrase: PhraseQuery,
    term: Term,
}

impl ThemePhraseQuery {
    /// `phrase` (as the query parser made it from a theme's name), found by `term`.
    pub(crate) fn new(phrase: PhraseQuery, term: Term) -> ThemePhraseQuery {
        ThemePhraseQuery { phrase, term }
    }
}

impl Query for ThemePhraseQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        // The phrase's own weight, as `PhraseQuery` makes it: the rarity of its words.
        let bm25 = match scoring {
            EnableScoring::Enabled {
                statistics_provider,
                ..
            } => Some(Bm25Weight::for_terms(
                statistics_provider,
                &self.phrase.phrase_terms(),
            )?),
            EnableScoring::Disabled { .. } => None,
        };
        Ok(Box::new(ThemePhraseWeight {
            term: self.term.clone(),
            body: self.phrase.field(),
            bm25,
        }))
    }

    /// The phrase's words (snippets and a search for whole sources read them), not its term.
    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.phrase.query_terms(visitor);
    }
}

struct ThemePhraseWeight {
    term: Term,
    body: Field,
    /// `None`: not scored.
    bm25: Option<Bm25Weight>,
}

impl ThemePhraseWeight {
    fn phrase_scorer(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Option<ThemePhraseScorer>> {
        let Some(postings) = reader
            .inverted_index(self.term.field())?
            .read_postings(&self.term, IndexRecordOption::WithFreqs)?
        else {
            return Ok(None);
        };
        // The lengths of `body`, as a phrase of it reads them.
        let norms = match &self.bm25 {
            Some(_) => reader
                .fieldnorms_readers()
                .get_field(self.body)?
                .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1)),
            None => FieldNormReader::constant(reader.max_doc(), 1),
        };
        Ok(Some(ThemePhraseScorer {
            postings,
            norms,
            bm25: self.bm25.as_ref().map(|w| w.boost_by(boost)),
        }))
    }
}

impl Weight for ThemePhraseWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.phrase_scorer(reader, boost)? {
            Some(s) => Box::new(s),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self
            .phrase_scorer(reader, 1.0)?
            .filter(|s| s.postings.doc() <= doc)
            .ok_or_else(|| does_not_match(doc))?;
        if scorer.seek(doc) != doc {
            return Err(does_not_match(doc));
        }
        let mut explanation = Explanation::new("Phrase a theme names", scorer.score());
        if let Some(w) = &self.bm25 {
            explanation
                .add_detail(w.explain(scorer.norms.fieldnorm_id(doc), scorer.postings.term_freq()));
        }
        Ok(explanation)
    }
}

fn does_not_match(doc: DocId) -> tantivy::TantivyError {
    tantivy::TantivyError::InvalidArgument(format!("document {doc} does not hold the phrase"))
}

struct ThemePhraseScorer {
    postings: SegmentPostings,
    norms: FieldNormReader,
    bm25: Option<Bm25Weight>,
}

impl DocSet for ThemePhraseScorer {
    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn size_hint(&self) -> u32 {
        self.postings.size_hint()
    }
}

impl Scorer for ThemePhraseScorer {
    fn score(&mut self) -> Score {
        match &self.bm25 {
            // How often the phrase occurs in the text is how many of its terms the text has.
            Some(w) => w.score(
                self.norms.fieldnorm_id(self.postings.doc()),
                self.postings.term_freq(),
            ),
            // As an unscored phrase.
            None => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The terms as the first version found them: every word analyzed into a list, then
    /// each phrase checked at each word that begins it.
    fn terms_in_by_list(p: &ThemePhrases, text: &str) -> String {
        let words = analyse(text);
        let mut out = String::new();
        for (i, (at, word)) in words.iter().enumerate() {
            for &c in p.by_first.get(word).into_iter().flatten() {
                let phrase = &p.phrases[c];
                let mut j = i;
                let holds = phrase.words.iter().all(|(offset, w)| {
                    let want = at + offset;
                    while j < words.len() && words[j].0 < want {
                        j += 1;
                    }
                    j < words.len() && words[j].0 == want && words[j].1 == *w
                });
                if holds {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(&phrase.term);
                }
            }
        }
        out
    }

    fn phrases() -> ThemePhrases {
        let taxonomy = Taxonomy::parse(
            r#"
[[tag]]
id = "acute"
synonyms = ["crisis team", "crisis care", "safe haven", "crisis team call"]
[[tag]]
id = "housing"
synonyms = ["temporary accommodation", "rough sleeping", "rough sleepers", "no fixed abode", "care leavers"]
[[tag]]
id = "discharge"
label = "Hospital discharge"
synonyms = ["discharged from hospital", "team care"]
"#,
        )
        .expect("taxonomy");
        ThemePhrases::of(&taxonomy)
    }

    const WORDS: &[&str] = &[
        "crisis",
        "Crisis",
        "crises",
        "team",
        "teams",
        "care",
        "caring",
        "call",
        "safe",
        "haven",
        "temporary",
        "accommodation",
        "rough",
        "sleeping",
        "sleepers",
        "no",
        "fixed",
        "abode",
        "leavers",
        "discharged",
        "from",
        "hospital",
        "the",
        "a",
        ",",
        ".",
        "-",
        "(",
        "x",
        "supercalifragilisticexpialidocious-and-more-than-forty-eight-letters",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
    ];

    #[test]
    fn phrases_are_found_where_they_start_in_the_text() {
        let p = phrases();
        assert_eq!(
            p.terms_in("The crisis team called; rough sleepers and a crisis team call."),
            "crisi+team crisi+team+call rough+sleeper crisi+team crisi+team+call"
        );
        assert_eq!(p.terms_in("team care crisis care"), "team+care crisi+care");
        assert_eq!(p.terms_in("nothing here"), "");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn the_stream_finds_what_the_list_found(
            words in proptest::collection::vec(proptest::sample::select(WORDS), 0..40),
            joins in proptest::collection::vec(proptest::sample::select(&[" ", "  ", "\n", "'", ";"][..]), 40),
        ) {
            let p = phrases();
            let mut text = String::new();
            for (w, j) in words.iter().zip(&joins) {
                text.push_str(w);
                text.push_str(j);
            }
            prop_assert_eq!(p.terms_in(&text), terms_in_by_list(&p, &text));
        }
    }
}
