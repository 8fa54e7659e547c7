//! Which sources could hold given runs of words: how `heard check` reads only the sources
//! that could share words with a response, instead of every source of the library.
//!
//! A passage shares a run of words with a response only if it holds every word of the run,
//! so the sources whose indexed text holds every word of some run are all the sources that
//! could; reading one that holds the words apart costs only the reading. That holds only
//! for words the index is sure to have kept as the response spells them (see
//! [`sure_term`]); a run with none of those cannot be looked up, and the caller reads every
//! source.

use std::collections::HashSet;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocId, Score, SegmentReader, Term};

use super::{LibraryIndex, SearchError};

/// Words of a run, as `heard check` splits text (lower-cased runs of letters and digits),
/// and at most how many words a text holding them may have (`None`: any).
pub struct Run<'a> {
    /// The words.
    pub words: &'a [String],
    /// A text of more words cannot match (short passages must match whole).
    pub most_words: Option<u32>,
}

/// Longest word the index keeps, in bytes (see `analyzer::text_analyzer`).
const LONGEST_KEPT: usize = 48;

/// The index's term for a word the way `heard check` splits text, when the index is sure
/// to hold that term wherever the word is written: a word of ASCII letters and digits,
/// short enough to be kept. (A word of other letters may be written in ways that lower-case
/// to it but that the index folds otherwise; such a word is left out of the lookup, which
/// then finds more, never fewer.)
fn sure_term(analyzer: &mut TextAnalyzer, word: &str) -> Option<String> {
    if word.is_empty()
        || word.len() >= LONGEST_KEPT
        || !word.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    let mut terms = Vec::new();
    analyzer
        .token_stream(word)
        .process(&mut |t| terms.push(t.text.clone()));
    match terms.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

impl LibraryIndex {
    /// The ids of the sources whose passages, recommendations, quotes, titles or
    /// consultations hold every word of one of `runs` (in a text of at most
    /// `most_words` words, when given). `None` when a run has no word the index is sure of:
    /// the index cannot say, and every source must be read.
    pub fn sources_holding(
        &self,
        runs: &[Run<'_>],
    ) -> Result<Option<HashSet<String>>, SearchError> {
        let f = &self.fields;
        let mut analyzer = super::analyzer::text_analyzer();
        let fields = [f.body, f.title, f.consultation];
        // Distinct lookups only: a response repeats itself.
        let mut seen: HashSet<(Vec<String>, Option<u32>)> = HashSet::new();
        let mut lookups: Vec<(Vec<String>, Option<u32>)> = Vec::new();
        for run in runs {
            let mut terms: Vec<String> = run
                .words
                .iter()
                .filter_map(|w| sure_term(&mut analyzer, w))
                .collect();
            terms.sort();
            terms.dedup();
            if terms.is_empty() {
                return Ok(None);
            }
            let key = (terms, run.most_words);
            if seen.insert(key.clone()) {
                lookups.push(key);
            }
        }
        let reader = self.reader()?;
        let searcher = reader.searcher();
        let mut found: HashSet<String> = HashSet::new();
        for field in fields {
            // Runs of the same length limit are looked up together: one pass over the
            // index for each.
            let mut limits: Vec<Option<u32>> = lookups.iter().map(|(_, m)| *m).collect();
            limits.sort();
            limits.dedup();
            for limit in limits {
                let any: Vec<(Occur, Box<dyn Query>)> = lookups
                    .iter()
                    .filter(|(_, m)| *m == limit)
                    .map(|(terms, _)| {
                        let all: Vec<(Occur, Box<dyn Query>)> = terms
                            .iter()
                            .map(|t| {
                                (
                                    Occur::Must,
                                    Box::new(TermQuery::new(
                                        Term::from_field_text(field, t),
                                        IndexRecordOption::Basic,
                                    )) as Box<dyn Query>,
                                )
                            })
                            .collect();
                        (
                            Occur::Should,
                            Box::new(BooleanQuery::new(all)) as Box<dyn Query>,
                        )
                    })
                    .collect();
                let query = BooleanQuery::new(any);
                let of = searcher.search(
                    &query,
                    &SourcesOf {
                        field,
                        most_words: limit,
                    },
                )?;
                found.extend(of);
            }
        }
        Ok(Some(found))
    }
}

/// The sources of the documents found, keeping only documents whose `field` holds at most
/// `most_words` words when given.
struct SourcesOf {
    field: Field,
    most_words: Option<u32>,
}

impl Collector for SourcesOf {
    type Fruit = HashSet<String>;
    type Child = SourcesOfSegment;

    fn for_segment(&self, _: u32, seg: &SegmentReader) -> tantivy::Result<SourcesOfSegment> {
        let column = seg.fast_fields().str("source")?;
        let terms = column.as_ref().map_or(0, |c| c.num_terms());
        let norms = match self.most_words {
            Some(_) => Some(seg.get_fieldnorms_reader(self.field)?),
            None => None,
        };
        Ok(SourcesOfSegment {
            column,
            found: vec![false; terms],
            norms,
            most_words: self.most_words.unwrap_or(u32::MAX),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<HashSet<String>>) -> tantivy::Result<HashSet<String>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

struct SourcesOfSegment {
    column: Option<tantivy::columnar::StrColumn>,
    /// By the ordinal of a source's id in this segment.
    found: Vec<bool>,
    norms: Option<tantivy::fieldnorm::FieldNormReader>,
    most_words: u32,
}

impl SegmentCollector for SourcesOfSegment {
    type Fruit = HashSet<String>;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(n) = &self.norms {
            if n.fieldnorm(doc) > self.most_words {
                return;
            }
        }
        if let Some(c) = &self.column {
            for ord in c.term_ords(doc) {
                if let Some(f) = self.found.get_mut(ord as usize) {
                    *f = true;
                }
            }
        }
    }

    fn harvest(self) -> HashSet<String> {
        let mut out = HashSet::new();
        if let Some(c) = &self.column {
            let ords: Vec<u64> = (0..self.found.len() as u64)
                .filter(|&o| self.found[o as usize])
                .collect();
            let _ = c.dictionary().sorted_ords_to_term_cb(&ords, |id| {
                out.insert(String::from_utf8_lossy(id).into_owned());
            });
        }
        out
    }
}
