//! Which sources could hold given runs of words: how `heard check` reads only the sources
//! that could share words with a response, instead of every source of the library.
//!
//! A passage shares a run of words with a response only if it holds the run's words in the
//! run's order, so the sources whose indexed text holds some run's words at the run's
//! distances are all the sources that could; reading one needlessly costs only the reading.
//! That holds only for words the index is sure to have kept as the response spells them
//! (see [`sure_term`]); a run with none of those cannot be looked up, and the caller reads
//! every source.

use std::collections::{BTreeSet, HashSet};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query, TermQuery};
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

/// Lookups run together before the index's pages are let go.
const LOOKUPS_AT_ONCE: usize = 20;

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
    /// The ids of the sources (sorted) whose passages, recommendations, quotes, titles or
    /// consultations hold the words of one of `runs` in its order (in a text of at most
    /// `most_words` words, when given). `None` when a run has no word the index is sure of:
    /// the index cannot say, and every source must be read.
    pub fn sources_holding(
        &self,
        runs: &[Run<'_>],
    ) -> Result<Option<BTreeSet<String>>, SearchError> {
        let f = &self.fields;
        let mut analyzer = super::analyzer::text_analyzer();
        let fields = [f.body, f.title, f.consultation];
        // Distinct lookups only: a response repeats itself. Each is the run's sure words at
        // their places in it: the index numbers words as `heard check` splits them, so the
        // words of a run lie at the same distances in any text that holds the run (a word
        // left out of the lookup keeps its place).
        type Lookup = (Vec<(usize, String)>, Option<u32>);
        let mut seen: HashSet<Lookup> = HashSet::new();
        let mut lookups: Vec<Lookup> = Vec::new();
        for run in runs {
            let terms: Vec<(usize, String)> = run
                .words
                .iter()
                .enumerate()
                .filter_map(|(i, w)| sure_term(&mut analyzer, w).map(|t| (i, t)))
                .collect();
            let Some(first) = terms.first().map(|(i, _)| *i) else {
                return Ok(None);
            };
            let terms = terms.into_iter().map(|(i, t)| (i - first, t)).collect();
            let key = (terms, run.most_words);
            if seen.insert(key.clone()) {
                lookups.push(key);
            }
        }
        let mut found: BTreeSet<String> = BTreeSet::new();
        for field in fields {
            let mut limits: Vec<Option<u32>> = lookups.iter().map(|(_, m)| *m).collect();
            limits.sort();
            limits.dedup();
            for limit in limits {
                let wanted: Vec<&Vec<(usize, String)>> = lookups
                    .iter()
                    .filter(|(_, m)| *m == limit)
                    .map(|(terms, _)| terms)
                    .collect();
                // `LOOKUPS_AT_ONCE` lookups at a time, letting go of the index's pages
                // after each (the pages of positions they read count in the process's memory
                // while the reader that read them is held).
                for chunk in wanted.chunks(LOOKUPS_AT_ONCE) {
                    let query = BooleanQuery::new(
                        chunk
                            .iter()
                            .map(|terms| (Occur::Should, lookup(field, terms)))
                            .collect(),
                    );
                    let reader = self.reader()?;
                    let of = reader.searcher().search(
                        &query,
                        &SourcesOf {
                            field,
                            most_words: limit,
                        },
                    )?;
                    drop(reader);
                    self.let_go_of_pages();
                    found.extend(of);
                }
            }
        }
        Ok(Some(found))
    }
}

/// Documents whose `field` holds `terms` at these distances from each other.
fn lookup(field: Field, terms: &[(usize, String)]) -> Box<dyn Query> {
    match terms {
        [(_, one)] => Box::new(TermQuery::new(
            Term::from_field_text(field, one),
            IndexRecordOption::Basic,
        )),
        _ => Box::new(PhraseQuery::new_with_offset(
            terms
                .iter()
                .map(|(at, t)| (*at, Term::from_field_text(field, t)))
                .collect(),
        )),
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

    /// A segment whose sources cannot be named fails the whole lookup: a source left out
    /// silently would be a source `check` never reads.
    fn merge_fruits(
        &self,
        fruits: Vec<std::io::Result<HashSet<String>>>,
    ) -> tantivy::Result<HashSet<String>> {
        let mut out = HashSet::new();
        for found in fruits {
            out.extend(found?);
        }
        Ok(out)
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
    type Fruit = std::io::Result<HashSet<String>>;

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

    fn harvest(self) -> std::io::Result<HashSet<String>> {
        let mut out = HashSet::new();
        if let Some(c) = &self.column {
            let ords: Vec<u64> = (0..self.found.len() as u64)
                .filter(|&o| self.found[o as usize])
                .collect();
            c.dictionary().sorted_ords_to_term_cb(&ords, |id| {
                out.insert(String::from_utf8_lossy(id).into_owned());
            })?;
        }
        Ok(out)
    }
}
