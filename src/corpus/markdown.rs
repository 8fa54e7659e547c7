//! Markdown to plain text, passages and an offset map back to the file's lines.
//!
//! This is the one place that sets pulldown-cmark's options. The plain text is what a reader
//! sees (no `*`, no link syntax, no hard line breaks); quotes are anchored in it, while
//! search hits and provenance are reported in the Markdown file's lines. The offset map
//! (`line_map`) connects the two.

use std::sync::LazyLock;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use regex::Regex;

use super::{BlockKind, Cue, Passage, Recommendation, Source, Why};

/// The pulldown-cmark options heard reads every Markdown file with.
pub fn markdown_options() -> Options {
    // No smart punctuation: the plain text keeps the characters the writer typed, so a
    // quote is matched against exactly what is in the file.
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH
}

/// Plain text of a Markdown fragment, whitespace collapsed, as [`parse`] would produce it.
pub fn plain_text(markdown: &str) -> String {
    let doc = parse(markdown, 0);
    let mut text = doc.text;
    if text.is_empty() {
        text = doc.first_heading.unwrap_or_default();
    }
    text
}

/// A top-level list that a heading or lead-in sentence signals as recommendations.
#[derive(Debug)]
pub struct SignalledList {
    /// The heading or sentence that signalled it.
    pub lead_in: String,
    /// Whether a heading or a lead-in sentence signalled it.
    pub cue: Cue,
    /// File line of that heading or sentence.
    pub line: usize,
    /// Indices of the passages made from its top-level items.
    pub items: Vec<usize>,
}

/// A parsed Markdown body.
#[derive(Debug, Default)]
pub struct Doc {
    /// Plain text: passages separated by blank lines.
    pub text: String,
    /// The blocks of the body.
    pub passages: Vec<Passage>,
    /// `(plain byte offset, file line)` at the start of every piece of text.
    pub line_map: Vec<(usize, usize)>,
    /// Text of the first heading, if any.
    pub first_heading: Option<String>,
    /// Lists signalled as recommendations (whatever the kind of source).
    pub lists: Vec<SignalledList>,
}

struct Builder {
    block: BlockKind,
    text: String,
    first_byte: Option<usize>,
    last_byte: usize,
    marks: Vec<(usize, usize)>,
}

impl Builder {
    fn new(block: BlockKind) -> Self {
        Builder {
            block,
            text: String::new(),
            first_byte: None,
            last_byte: 0,
            marks: Vec::new(),
        }
    }

    fn push(&mut self, s: &str, range: std::ops::Range<usize>) {
        self.first_byte.get_or_insert(range.start);
        self.last_byte = self
            .last_byte
            .max(range.end.saturating_sub(1))
            .max(range.start);
        self.marks.push((self.text.len(), range.start));
        push_collapsed(&mut self.text, s);
    }

    fn space(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with(' ') {
            self.text.push(' ');
        }
    }
}

/// Append `s` to `buf`, turning every run of whitespace into one space.
fn push_collapsed(buf: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_whitespace() {
            if !buf.is_empty() && !buf.ends_with(' ') {
                buf.push(' ');
            }
        } else {
            buf.push(c);
        }
    }
}

struct State<'a> {
    doc: Doc,
    line_starts: Vec<usize>,
    line_offset: usize,
    headings: Vec<(HeadingLevel, String, usize)>,
    heading: Option<(HeadingLevel, String, usize)>,
    current: Option<Builder>,
    list_depth: usize,
    /// Index into `doc.lists` while inside a signalled top-level list.
    signalled: Option<usize>,
    quote_depth: usize,
    /// The last top-level paragraph before a list, with its last line.
    last_paragraph: Option<(String, usize)>,
    body: &'a str,
    /// `(byte offset, page)` of every `<!-- page N -->` marker line, in order.
    pages: Vec<(usize, u32)>,
}

impl State<'_> {
    fn line(&self, byte: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= byte) + self.line_offset
    }

    /// The page of the last page marker before `byte`, if the body has markers.
    fn page(&self, byte: usize) -> Option<u32> {
        let i = self.pages.partition_point(|&(o, _)| o <= byte);
        (i > 0).then(|| self.pages[i - 1].1)
    }

    fn collecting_nested(&self) -> bool {
        self.signalled.is_some() && self.list_depth > 1
    }

    fn open(&mut self, block: BlockKind) -> &mut Builder {
        self.current.get_or_insert_with(|| Builder::new(block))
    }

    /// Finish the current block as a passage; returns its index if it had text.
    fn flush(&mut self) -> Option<usize> {
        let b = self.current.take()?;
        let text = b.text.trim_end();
        if text.is_empty() {
            return None;
        }
        let first = b.first_byte.unwrap_or(0);
        if !self.doc.text.is_empty() {
            self.doc.text.push_str("\n\n");
        }
        let start = self.doc.text.len();
        self.doc.text.push_str(text);
        for &(off, byte) in &b.marks {
            if off < text.len() || off == 0 {
                let line = self.line(byte);
                self.doc.line_map.push((start + off, line));
            }
        }
        let section = self
            .headings
            .iter()
            .map(|(_, h, _)| h.as_str())
            .collect::<Vec<_>>()
            .join(" › ");
        self.doc.passages.push(Passage {
            text: text.to_string(),
            start,
            end: start + text.len(),
            line_start: self.line(first),
            line_end: self.line(b.last_byte),
            section,
            block: b.block,
            recommendation: None,
            page: self.page(first),
        });
        Some(self.doc.passages.len() - 1)
    }
}

/// Parse a Markdown body whose first line is line `line_offset + 1` of its file.
pub fn parse(body: &str, line_offset: usize) -> Doc {
    let mut line_starts = vec![0];
    line_starts.extend(body.match_indices('\n').map(|(i, _)| i + 1));
    let mut st = State {
        doc: Doc::default(),
        line_starts,
        line_offset,
        headings: Vec::new(),
        heading: None,
        current: None,
        list_depth: 0,
        signalled: None,
        quote_depth: 0,
        last_paragraph: None,
        body,
        pages: page_markers(body),
    };
    for (event, range) in Parser::new_ext(body, markdown_options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                st.flush();
                st.last_paragraph = None;
                let line = st.line(range.start);
                st.heading = Some((level, String::new(), line));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text, line)) = st.heading.take() {
                    let text = text.trim().to_string();
                    st.headings.retain(|(l, _, _)| *l < level);
                    if st.doc.first_heading.is_none() && !text.is_empty() {
                        st.doc.first_heading = Some(text.clone());
                    }
                    st.headings.push((level, text, line));
                }
            }
            Event::Start(Tag::Paragraph) => {
                let block = if st.quote_depth > 0 {
                    BlockKind::BlockQuote
                } else {
                    BlockKind::Paragraph
                };
                match st.current.as_mut() {
                    // A second paragraph of a list item belongs to the item.
                    Some(b) => b.space(),
                    None => {
                        st.last_paragraph = None;
                        st.open(block);
                    }
                }
            }
            Event::End(TagEnd::Paragraph) => {
                if st.current.as_ref().is_some_and(|b| {
                    matches!(b.block, BlockKind::Paragraph | BlockKind::BlockQuote)
                }) {
                    let top = st.list_depth == 0 && st.quote_depth == 0;
                    if let Some(i) = st.flush() {
                        if top {
                            let p = &st.doc.passages[i];
                            st.last_paragraph = Some((p.text.clone(), p.line_end));
                        }
                    }
                }
            }
            Event::Start(Tag::List(_)) => {
                if st.list_depth == 0 {
                    st.flush();
                    let lead_in = signal(st.last_paragraph.as_ref(), &st.headings);
                    st.signalled = lead_in.map(|(lead_in, cue, line)| {
                        st.doc.lists.push(SignalledList {
                            lead_in,
                            cue,
                            line,
                            items: Vec::new(),
                        });
                        st.doc.lists.len() - 1
                    });
                } else if !st.collecting_nested_after_push() {
                    // A nested list ends the parent item's passage; its items are their own.
                    st.flush();
                }
                st.last_paragraph = None;
                st.list_depth += 1;
            }
            Event::End(TagEnd::List(_)) => {
                st.list_depth = st.list_depth.saturating_sub(1);
                if st.list_depth == 0 {
                    st.flush();
                    st.signalled = None;
                }
            }
            Event::Start(Tag::Item) => {
                if st.collecting_nested() {
                    if let Some(b) = st.current.as_mut() {
                        // Sub-points join their item: "includes: a; b; c".
                        let t = b.text.trim_end().len();
                        b.text.truncate(t);
                        if !b.text.ends_with([':', ';', ',', '.', '—', '–', '-']) {
                            b.text.push(';');
                        }
                        b.text.push(' ');
                    }
                } else {
                    st.flush();
                    st.open(BlockKind::ListItem);
                }
            }
            Event::End(TagEnd::Item) => {
                if !st.collecting_nested() {
                    let top = st.list_depth == 1;
                    if let Some(i) = st.flush() {
                        if let (true, Some(l)) = (top, st.signalled) {
                            st.doc.lists[l].items.push(i);
                        }
                    }
                }
            }
            Event::Start(Tag::BlockQuote(_)) => {
                st.flush();
                st.quote_depth += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                st.flush();
                st.quote_depth = st.quote_depth.saturating_sub(1);
            }
            Event::Start(Tag::CodeBlock(_)) => {
                st.flush();
                st.last_paragraph = None;
                st.open(BlockKind::Code);
            }
            Event::End(TagEnd::CodeBlock) => {
                st.flush();
            }
            Event::Start(Tag::Table(_)) => {
                st.flush();
                st.last_paragraph = None;
                st.open(BlockKind::Table);
            }
            Event::End(TagEnd::TableCell) => {
                if let Some(b) = st.current.as_mut() {
                    b.text.push_str(" | ");
                }
            }
            Event::End(TagEnd::TableRow) | Event::End(TagEnd::TableHead) => {
                if let Some(b) = st.current.as_mut() {
                    let t = b.text.trim_end_matches([' ', '|']).len();
                    b.text.truncate(t);
                    b.text.push_str("; ");
                }
            }
            Event::End(TagEnd::Table) => {
                if let Some(b) = st.current.as_mut() {
                    let t = b.text.trim_end_matches([' ', ';']).len();
                    b.text.truncate(t);
                }
                st.flush();
            }
            // HTML a person typed is kept as the text they typed (never interpreted), except
            // comments, which are notes to the editor.
            Event::Html(t) | Event::InlineHtml(t) if t.trim_start().starts_with("<!--") => {}
            Event::Text(t)
            | Event::Code(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t)
            | Event::InlineHtml(t)
            | Event::Html(t) => {
                if let Some((_, h, _)) = st.heading.as_mut() {
                    push_collapsed(h, &t);
                } else {
                    let block = if st.list_depth > 0 {
                        BlockKind::ListItem
                    } else {
                        BlockKind::Paragraph
                    };
                    st.open(block).push(&t, range.clone());
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, h, _)) = st.heading.as_mut() {
                    h.push(' ');
                } else if let Some(b) = st.current.as_mut() {
                    b.space();
                }
            }
            Event::Rule => {
                st.flush();
                st.last_paragraph = None;
            }
            _ => {}
        }
    }
    st.flush();
    let _ = st.body;
    st.doc
}

impl State<'_> {
    /// Whether a list that is about to start is nested inside a signalled item (and so is
    /// collected into that item's passage).
    fn collecting_nested_after_push(&self) -> bool {
        self.signalled.is_some() && self.list_depth >= 1
    }
}

/// The line that marks where a page of a paged original (an imported PDF) starts.
static PAGE_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ ]{0,3}<!--\s*page\s+(\d{1,6})\s*-->[ \t]*\r?$").expect("page marker regex")
});

/// `(byte offset, page)` of each `<!-- page N -->` line of a body.
fn page_markers(body: &str) -> Vec<(usize, u32)> {
    PAGE_MARKER
        .captures_iter(body)
        .filter_map(|c| {
            let m = c.get(0)?;
            Some((m.start(), c[1].parse().ok()?))
        })
        .collect()
}

static HEADING_SIGNAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^
        (?:(?:\d+(?:\.\d+)*|[a-z])[.):]?\s+)?          # optional numbering: 5. / 2.1 / a)
        (?:
            (?:our\s+|key\s+|main\s+|summary\s+of\s+(?:our\s+)?)?
            (?:(?:conclusions?|findings)\s+(?:and|&)\s+)?recommendations?\b
          | (?:summary\s+of\s+)?recommendations?\s+(?:and|&)\s+(?:next\s+steps|conclusions?)\b
          | (?:our\s+)?asks\b
          | key\s+messages\b
          | calls?\s+to\s+action\b
          | we\s+(?:would\s+)?(?:recommend|call\s+for|urge|ask)\b
          | what\s+we\s+(?:recommend|ask\s+for|ask|are\s+calling\s+for|want\s+to\s+see)\b
          | (?:.*\s)?calls?\s+for\s*:?\s*$
        )",
    )
    .expect("heading signal regex")
});

static LEAD_IN_SIGNAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        \b(?:we|i)\s+(?:would\s+|therefore\s+|also\s+|strongly\s+)*(?:recommend|urge|ask|call)\b
      | \bcalls?\s+(?:on\s+[^:]+?\s+)?for\b
      | \brecommends?\b
      | \brecommendations?\b
      | \bkey\s+messages?\b
      | \bour\s+asks\b
      | \b(?:should|must|needs?\s+to|ought\s+to)\s*(?:now\s*)?:\s*$
      | \basked\s+us\s+to\b",
    )
    .expect("lead-in signal regex")
});

/// A heading whose list mixes findings with asks: each item must ask to be taken.
static MESSAGES_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:(?:\d+(?:\.\d+)*|[a-z])[.):]?\s+)?(?:our\s+)?key\s+messages\b")
        .expect("messages heading regex")
});

/// Words by which a list item asks someone to do something.
static ITEM_ASK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(?:should|shouldn’t|shouldn't|must|needs?\s+to|ought\s+to|recommend\w*|urge[sd]?
        |we\s+(?:ask|want|call)|calls?\s+(?:on|for)|ask\s+(?:for|that))\b",
    )
    .expect("item ask regex")
});

/// The heading or sentence that makes a list a list of recommendations, if any, with what
/// sort of cue it is and its line.
fn signal(
    last_paragraph: Option<&(String, usize)>,
    headings: &[(HeadingLevel, String, usize)],
) -> Option<(String, Cue, usize)> {
    if let Some((p, line)) = last_paragraph {
        let p = p.trim();
        if p.ends_with(':') && LEAD_IN_SIGNAL.is_match(p) {
            return Some((p.to_string(), Cue::LeadIn, *line));
        }
    }
    headings
        .iter()
        .rev()
        .find(|(_, h, _)| HEADING_SIGNAL.is_match(h.trim()))
        .map(|(_, h, line)| (h.clone(), Cue::Heading, *line))
}

/// A sentence that asks someone to do something: "We recommend that…", "we urge…",
/// "The Government should…", "Recommendation 4: …".
static PROSE_ASK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        \b(?:we|i)\s+(?:would\s+|therefore\s+|also\s+|strongly\s+|further\s+|again\s+|\w+ly\s+)*
            (?:recommend|urge|call\s+(?:on|for|upon)|suggest|propose|would\s+like\s+(?:to\s+see|the|a|an|all|every)
              |want\s+to\s+see|ask\s+(?:that|the|all|every|for|ministers|government|councils?|commissioners))\b
      | \b(?:the\s+|all\s+|every\s+)?
            (?:government|department|secretary\s+of\s+state|ministry|ministers?|home\s+office|treasury
              |dhsc|dwp|moj|nhs(?:\s+england)?|icbs?|integrated\s+care\s+(?:boards?|systems?)
              |local\s+authorities|councils?|commissioners|the\s+council|housing\s+authorities)
            \s+(?:should|must|needs?\s+to|ought\s+to)\s+
      | ^\s*recommendation\s+\d+\s*[:.–—-]",
    )
    .expect("prose ask regex")
});

/// In a submission, a sentence that says what something should be is an ask, whoever its
/// subject ("The strategy should focus on…", "Advocacy should be offered…").
static SUBMISSION_ASK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[\p{Lu}][^“”\x22]*?\b(?:should(?:\s+not|n’t|n't)?|must(?:\s+not)?)\s+\w")
        .expect("submission ask regex")
});

/// Sentences of a paragraph (a full stop, question or exclamation mark, then a space and
/// a capital letter or a quotation mark).
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '?' | '!') {
            let next = text[i + 1..].chars().next();
            let after = text[i + 1..].trim_start().chars().next();
            if next.is_some_and(char::is_whitespace)
                && after.is_some_and(|a| a.is_uppercase() || matches!(a, '“' | '"' | '‘'))
            {
                out.push(text[start..=i].trim());
                start = i + 1;
            }
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// Turn the signalled lists of a report or submission, and the asks in its prose, into
/// recommendations, each saying why it was taken; then apply the hand edits of the front
/// matter (`recommendations: { exclude: [...], add: [...] }`). Returns the problems of
/// those edits as `(file line, message)`: a bad entry is reported and skipped, the rest
/// apply.
///
/// Ids never depend on the edits: found items are numbered before any is excluded (so
/// excluding item 3 leaves 4 as `-4`), and the `k`th `add` entry is `-a<k>` whether or not
/// the entries before it could be used.
pub fn mark_recommendations(source: &mut Source, lists: &[SignalledList]) -> Vec<(usize, String)> {
    let slug = id_slug(&source.id);
    let in_lists: std::collections::HashSet<usize> =
        lists.iter().flat_map(|l| l.items.iter().copied()).collect();
    let mut found: Vec<(usize, String, String, Why, bool)> = Vec::new(); // (passage, text, lead-in, why, an ask)
    for list in lists {
        // "Key messages" mix findings with asks: under such a heading only an item that
        // itself asks is a recommendation ("…are a small group who use a large share of
        // urgent care" is a finding; "Nobody should be turned away…" is an ask).
        // A finding left out keeps its number, so the ids of the asks after it do not
        // change with this rule (outcomes are recorded against ids).
        let mixed = list.cue == Cue::Heading && MESSAGES_HEADING.is_match(&list.lead_in);
        for &i in &list.items {
            let ask = !mixed || ITEM_ASK.is_match(&source.passages[i].text);
            let why = Why {
                cue: list.cue,
                words: list.lead_in.clone(),
                line: list.line,
            };
            found.push((
                i,
                source.passages[i].text.clone(),
                list.lead_in.clone(),
                why,
                ask,
            ));
        }
    }
    for (i, p) in source.passages.iter().enumerate() {
        if in_lists.contains(&i) || p.block != BlockKind::Paragraph {
            continue;
        }
        let submission = source.kind == crate::corpus::Kind::Submission;
        let asks: Vec<&str> = sentences(&p.text)
            .into_iter()
            .filter(|s| !s.ends_with(':') && !s.ends_with('?'))
            .filter(|s| PROSE_ASK.is_match(s) || (submission && SUBMISSION_ASK.is_match(s)))
            .collect();
        if let Some(first) = asks.first() {
            let (cue, words) = ask_cue(first);
            let offset = first.as_ptr() as usize - p.text.as_ptr() as usize;
            let why = Why {
                cue,
                words: words.clone(),
                line: source.line_at(p.start + offset),
            };
            let lead_in = format!("an ask in the text (“{words}”)");
            found.push((i, asks.join(" "), lead_in, why, true));
        }
    }
    found.sort_by_key(|f| f.0);
    let mut recs: Vec<(usize, Recommendation)> = found
        .into_iter()
        .enumerate()
        .filter(|(_, f)| f.4)
        .map(|(n, (i, text, lead_in, why, _))| {
            let number = n + 1;
            let rec = Recommendation {
                id: format!("r-{slug}-{number}"),
                number,
                text,
                lead_in,
                why,
            };
            (i, rec)
        })
        .collect();
    let mut problems = Vec::new();
    if let Some(edits) = source.meta.recommendations.clone() {
        apply_edits(source, &slug, &edits, &mut recs, &mut problems);
    }
    recs.sort_by_key(|(i, _)| *i);
    for p in &mut source.passages {
        p.recommendation = None;
    }
    source.recommendations.clear();
    for (i, rec) in recs {
        source.passages[i].recommendation = Some(source.recommendations.len());
        source.recommendations.push(rec);
    }
    problems
}

/// The cue of an ask in prose, and the words that make it one.
fn ask_cue(sentence: &str) -> (Cue, String) {
    if let Some(m) = PROSE_ASK.find(sentence) {
        let words = m.as_str().trim().to_string();
        let cue = if words.to_lowercase().starts_with("recommendation") {
            Cue::Numbered
        } else {
            Cue::Prose
        };
        return (
            cue,
            words
                .trim_end_matches([':', '.', '–', '—', '-'])
                .trim()
                .to_string(),
        );
    }
    // A submission's "X should…": the words up to and including "should" or "must".
    let words = SUBMISSION_ASK
        .find(sentence)
        .map_or(sentence, |m| m.as_str());
    let words = words
        .trim_end_matches(|c: char| c.is_alphanumeric())
        .trim_end();
    let words: Vec<&str> = words.split_whitespace().collect();
    let tail = words.len().saturating_sub(6);
    let mut text = words[tail..].join(" ");
    if tail > 0 {
        text.insert(0, '…');
    }
    (Cue::Prose, text)
}

/// Text folded for matching what a person copied: case, curly quotes, dashes and runs of
/// white space do not matter. Each char keeps the byte offset it came from.
fn folded(text: &str) -> Vec<(char, usize)> {
    let mut out: Vec<(char, usize)> = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        let c = match c {
            '‘' | '’' | '′' => '\'',
            '“' | '”' | '″' => '"',
            '–' | '—' | '‐' | '‑' => '-',
            c if c.is_whitespace() => ' ',
            c => c.to_lowercase().next().unwrap_or(c),
        };
        if c == ' ' && out.last().is_none_or(|l| l.0 == ' ') {
            continue;
        }
        out.push((c, at));
    }
    out
}

/// Byte range of `needle` in `hay`, compared loosely (see [`folded`]).
fn find_loose(hay: &str, needle: &str) -> Option<std::ops::Range<usize>> {
    let h = folded(hay);
    let n: Vec<char> = folded(needle.trim()).into_iter().map(|(c, _)| c).collect();
    let n: &[char] = match n.last() {
        Some(' ') => &n[..n.len() - 1],
        _ => &n,
    };
    if n.is_empty() || n.len() > h.len() {
        return None;
    }
    let start = (0..=h.len() - n.len())
        .find(|&s| h[s..s + n.len()].iter().map(|x| x.0).eq(n.iter().copied()))?;
    let last = h[start + n.len() - 1].1;
    let end = last + hay[last..].chars().next().map_or(1, char::len_utf8);
    Some(h[start].1..end)
}

/// Whether `text` starts with `words`, compared loosely.
fn starts_loose(text: &str, words: &str) -> bool {
    find_loose(text, words).is_some_and(|r| text[..r.start].trim().is_empty())
}

/// Shorten a text for a message.
fn clip(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() > 8 {
        format!("{}…", words[..8].join(" "))
    } else {
        words.join(" ")
    }
}

/// Apply a source's `recommendations: { exclude, add }` to what was found.
fn apply_edits(
    source: &Source,
    slug: &str,
    edits: &crate::corpus::RecommendationEdits,
    recs: &mut Vec<(usize, Recommendation)>,
    problems: &mut Vec<(usize, String)>,
) {
    use crate::corpus::RecRef;
    let found = recs.len();
    let line_of = |lines: &[usize], k: usize| lines.get(k).copied().unwrap_or(edits.lines.field);
    let mut excluded = std::collections::HashSet::new();
    for (k, entry) in edits.exclude.iter().enumerate() {
        let line = line_of(&edits.lines.exclude, k);
        let fail = |problems: &mut Vec<(usize, String)>, msg: String| {
            problems.push((line, format!("`recommendations: exclude`: {msg}")))
        };
        match entry {
            RecRef::Invalid => {}
            RecRef::Number(n) => match recs.iter().position(|(_, r)| r.number as u64 == *n) {
                Some(i) => {
                    excluded.insert(i);
                }
                None => fail(
                    problems,
                    match found {
                        0 => format!(
                            "there is no recommendation {n}: heard found none in this source; remove the entry"
                        ),
                        1 => format!(
                            "there is no recommendation {n}: heard found one in this source (number 1); `heard recs --explain` lists it"
                        ),
                        _ => format!(
                            "there is no recommendation {n}: heard found {found} in this source (numbers 1 to {found}); `heard recs --explain` lists them"
                        ),
                    },
                ),
            },
            RecRef::Text(t) => {
                let t = t.trim();
                let looks_like_id =
                    t.to_lowercase().starts_with("r-") && !t.contains(char::is_whitespace);
                if looks_like_id {
                    let id = t.to_lowercase();
                    if let Some(i) = recs.iter().position(|(_, r)| r.id == id) {
                        excluded.insert(i);
                    } else if id.starts_with(&format!("r-{slug}-a")) {
                        fail(
                            problems,
                            format!("`{t}` was added by hand; remove its entry from `add` instead"),
                        );
                    } else if id.starts_with(&format!("r-{slug}-")) {
                        fail(
                            problems,
                            format!(
                                "there is no recommendation `{t}` in this source; `heard recs --explain` lists its ids"
                            ),
                        );
                    } else {
                        fail(
                            problems,
                            format!(
                                "`{t}` is not a recommendation of this source (its ids start `r-{slug}-`); exclude it in the front matter of its own source"
                            ),
                        );
                    }
                    continue;
                }
                let matching: Vec<usize> = recs
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, r))| starts_loose(&r.text, t))
                    .map(|(i, _)| i)
                    .collect();
                match matching.as_slice() {
                    [] => fail(
                        problems,
                        format!(
                            "no recommendation of this source starts with “{}”; copy its first words from `heard recs --explain`, or give its number",
                            clip(t)
                        ),
                    ),
                    [i] => {
                        excluded.insert(*i);
                    }
                    many => {
                        let ids: Vec<&str> = many.iter().map(|&i| recs[i].1.id.as_str()).collect();
                        fail(
                            problems,
                            format!(
                                "“{}” starts {} recommendations ({}), so none was excluded; give the number or id of the one you mean",
                                clip(t),
                                many.len(),
                                ids.join(", ")
                            ),
                        );
                    }
                }
            }
        }
    }
    let mut i = 0;
    recs.retain(|_| {
        i += 1;
        !excluded.contains(&(i - 1))
    });
    let mut added_at: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for (k, text) in edits.add.iter().enumerate() {
        let line = line_of(&edits.lines.add, k);
        let id = format!("r-{slug}-a{}", k + 1);
        if text.trim().is_empty() {
            continue; // reported when the front matter was read
        }
        let fail = |problems: &mut Vec<(usize, String)>, msg: String| {
            problems.push((line, format!("`recommendations: add`: {msg}")))
        };
        let hit = source
            .passages
            .iter()
            .enumerate()
            .find_map(|(i, p)| find_loose(&p.text, text).map(|r| (i, r)));
        let Some((i, range)) = hit else {
            fail(
                problems,
                format!(
                    "“{}” is not in the text of this source; copy the sentence exactly from the file (the words must match; case, quote marks and line breaks do not matter)",
                    clip(text)
                ),
            );
            continue;
        };
        if let Some((_, r)) = recs.iter().find(|(p, _)| *p == i) {
            if find_loose(&r.text, text).is_some() {
                fail(
                    problems,
                    format!(
                        "“{}” is already recommendation `{}`; remove the entry",
                        clip(text),
                        r.id
                    ),
                );
            } else {
                fail(
                    problems,
                    format!(
                        "“{}” is in the same paragraph as recommendation `{}`, and heard takes one recommendation per paragraph; exclude `{}` and add the sentences you want as one entry",
                        clip(text),
                        r.id,
                        r.id
                    ),
                );
            }
            continue;
        }
        if let Some(line_before) = added_at.get(&i) {
            fail(
                problems,
                format!(
                    "“{}” is in the same paragraph as the entry on line {line_before}, and heard takes one recommendation per paragraph; join them into one entry",
                    clip(text)
                ),
            );
            continue;
        }
        added_at.insert(i, line);
        let p = &source.passages[i];
        recs.push((
            i,
            Recommendation {
                id,
                number: 0,
                text: p.text[range].to_string(),
                lead_in: "added by hand in the front matter".to_string(),
                why: Why {
                    cue: Cue::ByHand,
                    words: text.trim().to_string(),
                    line,
                },
            },
        ));
    }
}

/// An id made safe for use inside other ids: lower case letters, digits and `-`.
pub fn id_slug(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for c in id.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passages_carry_their_markdown_lines() {
        let md =
            "# Title\n\nFirst *para*\nwraps here.\n\n- item one\n- item [two](http://x)\n\nLast.\n";
        let doc = parse(md, 3);
        let spans: Vec<_> = doc
            .passages
            .iter()
            .map(|p| (p.text.as_str(), p.line_start, p.line_end))
            .collect();
        assert_eq!(
            spans,
            vec![
                ("First para wraps here.", 6, 7),
                ("item one", 9, 9),
                ("item two", 10, 10),
                ("Last.", 12, 12)
            ]
        );
        assert_eq!(doc.first_heading.as_deref(), Some("Title"));
        assert_eq!(doc.passages[0].section, "Title");
    }

    #[test]
    fn passages_know_the_page_marked_before_them() {
        let md = "Before any page.\n\n<!-- page 1 -->\n\nOn the first page.\n\n<!-- page 2 -->\n\n- an item on page two\n\nStill page two.\n";
        let doc = parse(md, 0);
        let pages: Vec<_> = doc
            .passages
            .iter()
            .map(|p| (p.text.as_str(), p.page))
            .collect();
        assert_eq!(
            pages,
            vec![
                ("Before any page.", None),
                ("On the first page.", Some(1)),
                ("an item on page two", Some(2)),
                ("Still page two.", Some(2)),
            ]
        );
    }

    #[test]
    fn headings_and_lead_ins_signal_recommendations() {
        let md = "## Recommendations\n\n1. A single point of contact\n   for people.\n2. Second\n   - sub a\n   - sub b\n\n## Context\n\n- not a rec\n\nWe recommend that the Department:\n\n- lead-in rec\n\nActions:\n\n- not a rec either\n";
        let doc = parse(md, 0);
        let recs: Vec<Vec<&str>> = doc
            .lists
            .iter()
            .map(|l| {
                l.items
                    .iter()
                    .map(|&i| doc.passages[i].text.as_str())
                    .collect()
            })
            .collect();
        assert_eq!(
            recs,
            vec![
                vec![
                    "A single point of contact for people.",
                    "Second; sub a; sub b"
                ],
                vec!["lead-in rec"]
            ]
        );
    }

    #[test]
    fn heading_signals() {
        for h in [
            "Recommendations",
            "5. Our recommendations",
            "We call for",
            "Key messages",
            "Our asks",
            "What we are calling for",
            "Northgate Together calls for",
        ] {
            assert!(HEADING_SIGNAL.is_match(h), "{h}");
        }
        for h in [
            "Conclusions and recommendations",
            "Summary of conclusions and recommendations",
            "Recommendations and next steps",
        ] {
            assert!(HEADING_SIGNAL.is_match(h), "{h}");
        }
        for h in [
            "Context",
            "Actions",
            "Our response and recommendations to note",
            "Background",
        ] {
            assert!(!HEADING_SIGNAL.is_match(h), "{h}");
        }
    }

    #[test]
    fn asks_in_prose_are_recommendations_and_findings_are_not() {
        for t in [
            "We recommend a radical change in UK drugs policy.",
            "We recommend that future services should be co-designed with the people who use them.",
            "The Government should fund a named worker for every person leaving prison.",
            "We therefore urge the Department to act.",
            "Recommendation 4: councils should publish their discharge protocols.",
            "Local authorities must ensure that nobody is discharged to the street.",
        ] {
            assert!(PROSE_ASK.is_match(t), "{t}");
        }
        for t in [
            "We recommended this in 2021, and the council adopted it.",
            "Twenty-nine of the 42 people were discharged without a bed.",
            "The recommendations of the review were welcomed.",
            "We asked people what would help.",
        ] {
            assert!(!PROSE_ASK.is_match(t), "{t}");
        }
    }

    #[test]
    fn lead_ins_that_say_who_should_act_signal_a_list() {
        assert!(LEAD_IN_SIGNAL.is_match("They should:"));
        assert!(LEAD_IN_SIGNAL.is_match("The Government and NHS England must now:"));
        assert!(!LEAD_IN_SIGNAL.is_match("The people we spoke to included:"));
    }

    /// A source `x` of `kind` made from `md`, its recommendations marked (with no problems).
    fn marked(md: &str, kind: crate::corpus::Kind) -> Source {
        let doc = parse(md, 2);
        let mut source = Source {
            id: "x".into(),
            path: "corpus/x.md".into(),
            title: "X".into(),
            kind,
            date: None,
            sensitivity: crate::corpus::Sensitivity::Public,
            meta: Default::default(),
            text: doc.text,
            passages: doc.passages,
            recommendations: Vec::new(),
            line_map: doc.line_map,
            hash: String::new(),
        };
        assert!(mark_recommendations(&mut source, &doc.lists).is_empty());
        source
    }

    #[test]
    fn under_key_messages_a_finding_is_not_a_recommendation_and_the_asks_keep_their_ids() {
        let md = "# S\n\n## Key messages\n\n1. People facing multiple disadvantage are a small group who use a large share of urgent care.\n2. Nobody should be turned away from a GP practice for lacking an address.\n3. We ask for named commitments and a named lead.\n\n## Recommendations\n\n- Published measures, reported every year.\n";
        let source = marked(md, crate::corpus::Kind::Submission);
        let recs: Vec<(&str, &str)> = source
            .recommendations
            .iter()
            .map(|r| (r.id.as_str(), r.text.split(' ').next().unwrap_or_default()))
            .collect();
        // Under "Recommendations" an item needs no ask of its own.
        assert_eq!(
            recs,
            vec![("r-x-2", "Nobody"), ("r-x-3", "We"), ("r-x-4", "Published")]
        );
    }

    #[test]
    fn each_recommendation_carries_its_cue_and_line() {
        let md = "# R\n\n## Our recommendations\n\n- Fund beds.\n\nThey should:\n\n- count people.\n\nWe found waits. The council should publish its protocol.\n\nRecommendation 4: end Friday releases.\n";
        let source = marked(md, crate::corpus::Kind::Report);
        let whys: Vec<(Cue, &str, usize)> = source
            .recommendations
            .iter()
            .map(|r| (r.why.cue, r.why.words.as_str(), r.why.line))
            .collect();
        assert_eq!(
            whys,
            vec![
                (Cue::Heading, "Our recommendations", 5),
                (Cue::LeadIn, "They should:", 9),
                (Cue::Prose, "The council should", 13),
                (Cue::Numbered, "Recommendation 4", 15),
            ]
        );
    }

    #[test]
    fn loose_matching_ignores_case_quotes_dashes_and_line_breaks() {
        let hay = "We said: “Don’t release people on a Friday” – ever.";
        let r = find_loose(hay, "\"don't release PEOPLE\n on a friday\" - ever").unwrap();
        assert_eq!(&hay[r], "“Don’t release people on a Friday” – ever");
        assert!(find_loose(hay, "release people on Monday").is_none());
        assert!(starts_loose("Fund beds now.", "fund  beds"));
        assert!(!starts_loose("We fund beds.", "fund beds"));
    }
}
