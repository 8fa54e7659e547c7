//! Markdown to plain text, passages and an offset map back to the file's lines.
//!
//! This is the one place that sets pulldown-cmark's options. The plain text is what a reader
//! sees (no `*`, no link syntax, no hard line breaks); quotes are anchored in it, while
//! search hits and provenance are reported in the Markdown file's lines. The offset map
//! (`line_map`) connects the two.

use std::sync::LazyLock;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use regex::Regex;

use super::{BlockKind, Passage, Recommendation, Source};

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
    headings: Vec<(HeadingLevel, String)>,
    heading: Option<(HeadingLevel, String)>,
    current: Option<Builder>,
    list_depth: usize,
    /// Index into `doc.lists` while inside a signalled top-level list.
    signalled: Option<usize>,
    quote_depth: usize,
    last_paragraph: Option<String>,
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
            .map(|(_, h)| h.as_str())
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
                st.heading = Some((level, String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text)) = st.heading.take() {
                    let text = text.trim().to_string();
                    st.headings.retain(|(l, _)| *l < level);
                    if st.doc.first_heading.is_none() && !text.is_empty() {
                        st.doc.first_heading = Some(text.clone());
                    }
                    st.headings.push((level, text));
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
                            st.last_paragraph = Some(st.doc.passages[i].text.clone());
                        }
                    }
                }
            }
            Event::Start(Tag::List(_)) => {
                if st.list_depth == 0 {
                    st.flush();
                    let lead_in = signal(st.last_paragraph.as_deref(), &st.headings);
                    st.signalled = lead_in.map(|lead_in| {
                        st.doc.lists.push(SignalledList {
                            lead_in,
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
                if let Some((_, h)) = st.heading.as_mut() {
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
                if let Some((_, h)) = st.heading.as_mut() {
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

/// The heading or sentence that makes a list a list of recommendations, if any.
fn signal(last_paragraph: Option<&str>, headings: &[(HeadingLevel, String)]) -> Option<String> {
    if let Some(p) = last_paragraph {
        let p = p.trim();
        if p.ends_with(':') && LEAD_IN_SIGNAL.is_match(p) {
            return Some(p.to_string());
        }
    }
    headings
        .iter()
        .rev()
        .find(|(_, h)| HEADING_SIGNAL.is_match(h.trim()))
        .map(|(_, h)| h.clone())
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
/// recommendations. Each says why it was taken (`lead_in`).
pub fn mark_recommendations(source: &mut Source, lists: &[SignalledList]) {
    let slug = id_slug(&source.id);
    let in_lists: std::collections::HashSet<usize> =
        lists.iter().flat_map(|l| l.items.iter().copied()).collect();
    let mut found: Vec<(usize, String, String)> = Vec::new(); // (passage, text, why)
    for list in lists {
        for &i in &list.items {
            found.push((i, source.passages[i].text.clone(), list.lead_in.clone()));
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
        if !asks.is_empty() {
            let cue = PROSE_ASK.find(asks[0]).map_or_else(
                || {
                    asks[0]
                        .split_whitespace()
                        .take(6)
                        .collect::<Vec<_>>()
                        .join(" ")
                        + "…"
                },
                |m| m.as_str().trim().to_string(),
            );
            found.push((i, asks.join(" "), format!("an ask in the text (“{cue}”)")));
        }
    }
    found.sort_by_key(|f| f.0);
    for (i, text, why) in found {
        let number = source.recommendations.len() + 1;
        source.passages[i].recommendation = Some(source.recommendations.len());
        source.recommendations.push(Recommendation {
            id: format!("r-{slug}-{number}"),
            number,
            text,
            lead_in: why,
        });
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
}
