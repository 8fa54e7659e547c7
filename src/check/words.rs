//! Finding quoted words by their content, wherever and however they appear in a response.
//!
//! A footnote marker can be deleted, a block quote turned into a paragraph or a heading,
//! quotation marks and punctuation retyped. So `check` does not trust markers to find
//! people's words: it reads the response as a reader would (the text of every block,
//! without Markdown syntax or HTML comments), splits it into lower-case words, and looks for
//! runs of words shared with every quote in the ledger and every passage whose words may not
//! leave by themselves (testimonies and notes, restricted sources, and — outside the
//! organisation — sources not marked public). Each run is judged by
//! [`crate::consent`]: words covered by a quote that may leave are fine; anything else is
//! a problem at the line where the run starts.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::consent::Refusal;
use crate::corpus::markdown_options;

/// Runs of at least this many shared words count as quoted (shorter quotes: all their
/// words, but never fewer than [`MIN_WORDS`]).
pub const RUN: usize = 6;
/// Quotes shorter than this many words are only found through their footnote.
pub const MIN_WORDS: usize = 3;

/// Lower-case words of `text`: maximal runs of letters and digits, so that punctuation,
/// quotation marks, emphasis and spacing do not matter.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The words a reader of a response sees, each with its 1-based line in the Markdown.
pub struct Reading {
    words: Vec<String>,
    lines: Vec<usize>,
}

impl Reading {
    /// Read a Markdown response: every text, code and HTML block (tags and comments
    /// removed), headings and footnotes included — except a footnote definition that
    /// holds exactly what heard wrote for its label (`ours`: label → heard's text), which
    /// export replaces by a citation.
    pub fn of_markdown(markdown: &str, ours: &HashMap<String, String>) -> Reading {
        let mut line_starts = vec![0];
        line_starts.extend(markdown.match_indices('\n').map(|(i, _)| i + 1));
        let line = |b: usize| line_starts.partition_point(|&s| s <= b);
        let mut r = Reading {
            words: Vec::new(),
            lines: Vec::new(),
        };
        // Words keep the line of the event; a text spanning lines (code, HTML) counts
        // lines within it.
        let push = |r: &mut Reading, text: &str, at: usize| {
            let mut offset = 0;
            for piece in text.split_inclusive('\n') {
                let l = line(at + offset.min(text.len().saturating_sub(1)));
                for w in words(piece) {
                    r.words.push(w);
                    r.lines.push(l);
                }
                offset += piece.len();
            }
        };
        // A definition of one of heard's labels is read aside, then kept unless it is
        // heard's own text.
        let mut aside: Option<(Reading, Vec<String>)> = None;
        for (event, range) in Parser::new_ext(markdown, markdown_options()).into_offset_iter() {
            let into = match aside.as_mut() {
                Some((a, _)) => a,
                None => &mut r,
            };
            match event {
                Event::Start(Tag::FootnoteDefinition(label)) => {
                    if let Some(text) = ours.get(label.as_ref()) {
                        let empty = Reading {
                            words: Vec::new(),
                            lines: Vec::new(),
                        };
                        aside = Some((empty, words(text)));
                    }
                }
                Event::End(TagEnd::FootnoteDefinition) => {
                    if let Some((a, expected)) = aside.take() {
                        if a.words != expected {
                            r.words.extend(a.words);
                            r.lines.extend(a.lines);
                        }
                    }
                }
                Event::Text(t) | Event::Code(t) => {
                    // Find where the text starts in its range (escapes make the two differ).
                    let at = markdown[range.clone()]
                        .find(t.split_whitespace().next().unwrap_or(""))
                        .map_or(range.start, |i| range.start + i);
                    push(into, &t, at);
                }
                Event::Html(t) | Event::InlineHtml(t) => {
                    push(into, &strip_html(&t), range.start);
                }
                _ => {}
            }
        }
        if let Some((a, _)) = aside {
            r.words.extend(a.words);
            r.lines.extend(a.lines);
        }
        r
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The line of the word at `i`.
    pub fn line(&self, i: usize) -> usize {
        self.lines.get(i).copied().unwrap_or(1)
    }

    /// Every run of `n` consecutive words.
    pub fn runs(&self, n: usize) -> impl Iterator<Item = &[String]> {
        self.words.windows(n.max(1))
    }

    /// Word positions where runs of `run` words start, by the run's words.
    fn shingles(&self, run: usize) -> HashMap<&[String], Vec<usize>> {
        let mut map: HashMap<&[String], Vec<usize>> = HashMap::new();
        if self.words.len() >= run {
            for i in 0..=self.words.len() - run {
                map.entry(&self.words[i..i + run]).or_default().push(i);
            }
        }
        map
    }
}

/// HTML without its tags and comments, as text.
fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    loop {
        if let Some(body) = rest.strip_prefix("<!--") {
            rest = body.find("-->").map_or("", |j| &body[j + 3..]);
            continue;
        }
        match rest.find('<') {
            Some(0) => {
                rest = rest.find('>').map_or("", |j| &rest[j + 1..]);
                out.push(' ');
            }
            Some(i) => {
                out.push_str(&rest[..i]);
                rest = &rest[i..];
            }
            None => {
                out.push_str(rest);
                break;
            }
        }
    }
    out
}

/// Words that may or may not leave: a quote, or a passage of a source.
#[derive(Clone)]
pub struct Candidate {
    /// Who or what, for messages: `quote q-…`, or `path:line`.
    pub what: String,
    /// The words as stored (several versions when a quote's source text has drifted).
    pub texts: Vec<String>,
    /// `None` when the words may leave; else why not.
    pub refusal: Option<Refusal>,
    /// Whether this is a quote (judged before passages, whose words it may share).
    pub is_quote: bool,
}

/// A candidate whose words may not leave, as kept for the findings.
struct Held {
    what: String,
    refusal: Refusal,
    is_quote: bool,
    /// How many of its words in a row make a finding.
    need: usize,
}

/// Words of a response that may not leave: `(line, what, why)`, one per run.
pub struct Finding {
    /// Line of the first word of the run.
    pub line: usize,
    /// The quote or passage the words come from.
    pub what: String,
    /// The first few words, for the message.
    pub opening: String,
    /// Why they may not leave.
    pub refusal: Refusal,
    /// Whether the words are a quote's.
    pub is_quote: bool,
}

/// Positions of the response's words that `candidate` shares, in runs long enough to count.
fn shared(
    reading: &Reading,
    shingles: &HashMap<&[String], Vec<usize>>,
    text: &str,
) -> HashSet<usize> {
    let w = words(text);
    let mut out = HashSet::new();
    if w.len() < MIN_WORDS {
        return out;
    }
    if w.len() < RUN {
        // Short: all of its words, in order.
        if reading.words.len() >= w.len() {
            for i in 0..=reading.words.len() - w.len() {
                if reading.words[i..i + w.len()] == w[..] {
                    out.extend(i..i + w.len());
                }
            }
        }
        return out;
    }
    for i in 0..=w.len() - RUN {
        if let Some(starts) = shingles.get(&w[i..i + RUN]) {
            for &s in starts {
                out.extend(s..s + RUN);
            }
        }
    }
    out
}

/// Judge every word of `reading` shared with a candidate. A quote's words are fine when a
/// quote that may leave covers them (the same words published elsewhere do not bring back
/// a withdrawn quote); a passage's words are fine when anything that may leave covers them.
/// Runs of other shared words are findings.
pub fn judge(reading: &Reading, candidates: &[Candidate]) -> Vec<Finding> {
    let mut judge = Judge::new(reading);
    for c in candidates {
        judge.consider(c);
    }
    judge.findings()
}

/// [`judge`], one candidate at a time, keeping only the candidates that share words with
/// the response: a check goes over every passage of the library, which must not be held
/// all at once (a million sources are gigabytes of text).
pub struct Judge<'r> {
    reading: &'r Reading,
    shingles: HashMap<&'r [String], Vec<usize>>,
    allowed: HashSet<usize>,
    allowed_quotes: HashSet<usize>,
    /// Candidates that may not leave and share words, with the places of the response's
    /// words they share, in the order seen.
    refused: Vec<(Held, Vec<usize>)>,
}

impl<'r> Judge<'r> {
    /// A judge of the words of `reading`.
    pub fn new(reading: &'r Reading) -> Self {
        Judge {
            reading,
            shingles: reading.shingles(RUN),
            allowed: HashSet::new(),
            allowed_quotes: HashSet::new(),
            refused: Vec::new(),
        }
    }

    /// Weigh one candidate (kept only when it shares words and may not leave).
    pub fn consider(&mut self, c: &Candidate) {
        let mut covered = HashSet::new();
        for t in &c.texts {
            covered.extend(shared(self.reading, &self.shingles, t));
        }
        if covered.is_empty() {
            return;
        }
        match c.refusal {
            None if c.is_quote => {
                self.allowed_quotes.extend(covered.iter().copied());
                self.allowed.extend(covered);
            }
            None => self.allowed.extend(covered),
            Some(ref refusal) => {
                // What a finding needs, not the words: a million-source library can hold
                // many passages sharing runs with a response.
                let need = c
                    .texts
                    .iter()
                    .map(|t| words(t).len())
                    .max()
                    .unwrap_or(RUN)
                    .clamp(MIN_WORDS, RUN);
                let held = Held {
                    what: c.what.clone(),
                    refusal: refusal.clone(),
                    is_quote: c.is_quote,
                    need,
                };
                self.refused.push((held, covered.into_iter().collect()));
            }
        }
    }

    /// Candidates held for the findings.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.refused.len()
    }

    /// The findings, by line.
    pub fn findings(self) -> Vec<Finding> {
        let Judge {
            reading,
            allowed,
            allowed_quotes,
            mut refused,
            ..
        } = self;
        // Quotes first: their findings are the more precise, and passage findings for the same
        // words would only repeat them.
        refused.sort_by_key(|(c, _)| !c.is_quote);
        let mut reported: HashSet<usize> = HashSet::new();
        let mut out = Vec::new();
        for (c, covered) in refused {
            let fine = if c.is_quote {
                &allowed_quotes
            } else {
                &allowed
            };
            let mut left: Vec<usize> = covered
                .into_iter()
                .filter(|i| !fine.contains(i) && !reported.contains(i))
                .collect();
            left.sort_unstable();
            let need = c.need;
            let mut i = 0;
            while i < left.len() {
                let mut j = i;
                while j + 1 < left.len() && left[j + 1] == left[j] + 1 {
                    j += 1;
                }
                if j + 1 - i >= need {
                    let opening: Vec<&str> = left[i..=j.min(i + 5)]
                        .iter()
                        .map(|&k| reading.words[k].as_str())
                        .collect();
                    out.push(Finding {
                        line: reading.line(left[i]),
                        what: c.what.clone(),
                        opening: opening.join(" "),
                        refusal: c.refusal.clone(),
                        is_quote: c.is_quote,
                    });
                    reported.extend(left[i..=j].iter().copied());
                }
                i = j + 1;
            }
        }
        out.sort_by_key(|f| f.line);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(md: &str) -> Reading {
        Reading::of_markdown(md, &HashMap::new())
    }

    fn cand(what: &str, text: &str, refusal: Option<Refusal>, is_quote: bool) -> Candidate {
        Candidate {
            what: what.into(),
            texts: vec![text.to_string()],
            refusal,
            is_quote,
        }
    }

    #[test]
    fn a_judge_holds_only_what_shares_words_with_the_response() {
        let reading = read("We waited eleven weeks for a bed and nobody called us back.\n");
        let mut judge = Judge::new(&reading);
        for i in 0..10_000 {
            let text = format!("Passage {i} says something else entirely about the weather.");
            judge.consider(&cand(
                &format!("p:{i}"),
                &text,
                Some(Refusal::Restricted),
                false,
            ));
        }
        assert_eq!(judge.held(), 0, "a passage that shares no words is let go");
        let leak = "we waited eleven weeks for a bed and nobody called";
        judge.consider(&cand("t:1", leak, Some(Refusal::Restricted), false));
        assert_eq!(judge.held(), 1);
        assert_eq!(judge.findings().len(), 1);
    }

    #[test]
    fn quoted_words_are_found_however_they_are_dressed() {
        let quote = "I rang three times that week and each time I had to start from the beginning.";
        let withdrawn = [cand("q-1", quote, Some(Refusal::Withdrawn(None)), true)];
        for md in [
            "> “I rang three times that week and each time I had to start from the beginning.”\n> — A volunteer[^q-1]\n",
            "As one person told us, I rang three times that week and each time I had to\nstart from the beginning.\n",
            "## I rang three times that week, and each time I had to start from the beginning\n",
            "They said \"i RANG three times that week -- and each time I had to start\"\n",
            "<p>I rang three <b>times</b> that week and each time</p>\n",
        ] {
            let found = judge(&read(md), &withdrawn);
            assert_eq!(found.len(), 1, "not found in {md:?}");
            assert_eq!(found[0].line, 1);
        }
        assert!(
            judge(
                &read("<!-- I rang three times that week and each time I had -->\n"),
                &withdrawn
            )
            .is_empty(),
            "comments never leave"
        );
    }

    #[test]
    fn words_covered_by_an_approved_quote_may_leave() {
        let passage = "We sat in the waiting room for hours. Nobody told us anything at all, and then the doors closed.";
        let cands = [
            cand("q-ok", "Nobody told us anything at all", None, true),
            cand("t/x:3", passage, Some(Refusal::PeoplesWords), false),
        ];
        let ok = read("> “Nobody told us anything at all.”[^q-ok]\n");
        assert!(judge(&ok, &cands).is_empty());
        let leak = read("Text.\n\nWe sat in the waiting room for hours, they said.\n");
        let found = judge(&leak, &cands);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 3);
        assert_eq!(found[0].refusal, Refusal::PeoplesWords);
    }

    #[test]
    fn words_slipped_into_one_of_heards_footnotes_are_read() {
        let cands = [cand(
            "q-1",
            "I rang three times that week and each time",
            Some(Refusal::Withdrawn(None)),
            true,
        )];
        let ours: HashMap<String, String> = [(
            "p-1".to_string(),
            "“Report” (report), corpus/r.md line 3.".to_string(),
        )]
        .into();
        let heards = "Text.[^p-1]\n\n[^p-1]: “Report” (report), corpus/r.md line 3.\n";
        assert!(Reading::of_markdown(heards, &ours).words.len() == 1);
        let slipped = "Text.[^p-1]\n\n[^p-1]: I rang three times that week and each time.\n";
        assert_eq!(
            judge(&Reading::of_markdown(slipped, &ours), &cands).len(),
            1
        );
    }

    #[test]
    fn a_short_quote_is_found_anywhere_but_two_words_are_not_a_quote() {
        let cands = [cand("q-1", "it was hard", Some(Refusal::Declined), true)];
        assert_eq!(judge(&read("It was hard to find data.\n"), &cands).len(), 1);
        let two = [cand("q-2", "so hard", Some(Refusal::Declined), true)];
        assert!(judge(&read("It was so hard.\n"), &two).is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Any text reads without panicking, and withdrawn words dropped into it with any
        /// punctuation between them are found.
        #[test]
        fn withdrawn_words_are_found_in_any_surroundings(
            before in "[ -~\n“”’#>*_\\[\\]()<!-]{0,80}",
            after in "[ -~\n“”’#>*_\\[\\]()<!-]{0,80}",
            seps in proptest::collection::vec("[ ,;:“”\"'*_-]{1,3}", 11),
        ) {
            let quote = ["i", "rang", "three", "times", "that", "week", "and", "each", "time", "i", "had", "to"];
            let mut inserted = String::new();
            for (w, sep) in quote.iter().zip(&seps) {
                inserted.push_str(w);
                inserted.push_str(sep);
            }
            inserted.push_str(quote[quote.len() - 1]);
            let cands = [cand("q-1", &quote.join(" "), Some(Refusal::Withdrawn(None)), true)];
            let _ = judge(&read(&before), &cands);
            // A blank line on each side keeps the words out of an HTML block or code span
            // that `before` may have opened.
            let md = format!("{before}\n\n{inserted}\n\n{after}");
            let opens_comment_or_code = before.contains("<!") || before.contains("```") || before.contains("    ");
            if !opens_comment_or_code {
                proptest::prop_assert!(!judge(&read(&md), &cands).is_empty(), "{md:?}");
            }
        }
    }
}
