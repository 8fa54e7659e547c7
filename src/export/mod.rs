//! Export: a draft that passes `check`, as a Word document, a standalone accessible HTML
//! page, or plain text per question for pasting into online forms.
//!
//! Two audiences. The submission version (the default) cites what a reader outside the
//! organisation can follow — source title, organisation, date, public address — and credits
//! people as they chose. File paths, line numbers, quote ids and consent records appear only
//! in the internal version (`--internal`), which the team keeps on file.

mod docx;
pub(crate) mod html;
pub mod pack;
mod txt;

use std::collections::HashMap;
use std::path::Path;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::corpus::markdown_options;
use crate::draft::{Citation, CitationKind, Provenance};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A Word document (.docx).
    Docx,
    /// A standalone HTML page.
    Html,
    /// Plain text, question by question, with word counts.
    Txt,
    /// An evidence pack (.zip) a third party can check without heard: the response as
    /// sent, its provenance, each cited text, the consent events behind each quote, and
    /// VERIFY.md with SHA-256 and BLAKE3 hashes.
    Pack,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Html => "html",
            Format::Txt => "txt",
            Format::Pack => "zip",
        }
    }
}

/// How a source is cited for a reader outside the organisation.
pub fn public_citation(c: &Citation, organisation: &str) -> String {
    let org = c.organisation.as_deref().unwrap_or(organisation);
    let year = c.date.as_deref().and_then(|d| d.get(..4));
    let mut when = year.map(|y| format!(", {y}")).unwrap_or_default();
    if let Some(page) = c.page {
        when.push_str(&format!(", p. {page}"));
    }
    let link = match (&c.url, c.sensitivity.as_str()) {
        (Some(u), "public") => format!(" {u}"),
        (_, "public") => String::new(),
        _ => " (unpublished)".into(),
    };
    match c.kind {
        CitationKind::Quote => {
            let who = c
                .attribution
                .as_deref()
                .unwrap_or(crate::contributors::ANONYMOUS_CREDIT);
            let context = match c.source_kind.as_str() {
                "testimony" => format!("testimony shared with {org}"),
                "notes" => format!("{org} session notes"),
                "submission" => match &c.consultation {
                    Some(k) => format!("{org}’s response to the {k}"),
                    None => format!("“{}”, {org}", c.title),
                },
                _ => format!("“{}”, {org}", c.title),
            };
            format!("{who}, in {context}{when}.{link}")
        }
        CitationKind::Passage => format!("“{}”, {org}{when}.{link}", c.title),
        CitationKind::Recommendation => match (&c.consultation, c.source_kind.as_str()) {
            (Some(k), "submission") => format!("{org}’s response to the {k}{when}.{link}"),
            _ => format!("“{}”, {org}{when}.{link}", c.title),
        },
    }
}

/// The Markdown to export: comments removed, scaffolding labels removed, and for the
/// submission version every heard footnote replaced by its public citation.
pub fn prepare(markdown: &str, provenance: Option<&Provenance>, internal: bool) -> String {
    let text = crate::response::without_comments(markdown);
    let cited: HashMap<&str, &Citation> = provenance
        .iter()
        .flat_map(|p| p.citations.iter())
        .map(|c| (c.label.as_str(), c))
        .collect();
    let organisation = provenance.map_or("", |p| p.organisation.as_str());
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.replacen("**Our position:** ", "", 1);
        if line.trim().is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        if !internal {
            if let Some(rest) = line.strip_prefix("[^") {
                if let Some((label, _)) = rest.split_once("]:") {
                    if let Some(c) = cited.get(label) {
                        out.push_str(&format!(
                            "[^{label}]: {}\n",
                            crate::response::md_escape(&public_citation(c, organisation))
                        ));
                        continue;
                    }
                }
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    if internal {
        out
    } else {
        renumber_footnotes(&out)
    }
}

/// Number footnotes 1, 2, 3… in order of first reference, so that no internal label (a
/// quote id, a file and line) reaches the reader; a reference with no definition is dropped,
/// and so is a definition with no reference.
fn renumber_footnotes(text: &str) -> String {
    let defined: std::collections::HashSet<String> = text
        .lines()
        .filter_map(|l| {
            l.strip_prefix("[^")
                .and_then(|r| r.split_once("]:"))
                .map(|(label, _)| label.to_string())
        })
        .collect();
    let mut numbers: HashMap<String, usize> = HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with("[^")) {
        for m in crate::draft::FOOTNOTE_REF.captures_iter(line) {
            if defined.contains(&m[1]) {
                let n = numbers.len() + 1;
                numbers.entry(m[1].to_string()).or_insert(n);
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        // A note nothing refers to any more (its words were cut) is not for the reader:
        // it would show a citation of nothing and keep its internal label.
        let unreferenced = line
            .strip_prefix("[^")
            .and_then(|r| r.split_once("]:"))
            .is_some_and(|(label, _)| !numbers.contains_key(label));
        if unreferenced {
            continue;
        }
        let renamed = crate::draft::FOOTNOTE_REF.replace_all(line, |m: &regex::Captures| {
            match numbers.get(&m[1]) {
                Some(n) => format!("[^{n}]"),
                None if defined.contains(&m[1]) => m[0].to_string(),
                None => String::new(),
            }
        });
        out.push_str(&renamed);
        out.push('\n');
    }
    out
}

/// A run of text with its style.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    /// Text, bold and/or italic.
    Text {
        /// The words.
        text: String,
        /// Bold.
        bold: bool,
        /// Italic.
        italic: bool,
    },
    /// A footnote reference, by label.
    Note(String),
}

/// A block of the exported document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading of level 1–6.
    Heading(u8, Vec<Inline>),
    /// A paragraph.
    Para(Vec<Inline>),
    /// A paragraph of a block quote.
    Quote(Vec<Inline>),
    /// A list item.
    Item(Vec<Inline>),
}

/// The document as blocks, with footnote texts by label.
#[derive(Debug, Default)]
pub struct Doc {
    /// Body blocks in order.
    pub blocks: Vec<Block>,
    /// Footnote texts.
    pub notes: HashMap<String, Vec<Inline>>,
}

/// Read prepared Markdown into blocks. Raw HTML is kept as text, never passed through.
pub fn blocks(markdown: &str) -> Doc {
    let mut doc = Doc::default();
    let mut cur: Vec<Inline> = Vec::new();
    let (mut bold, mut italic) = (0, 0);
    let mut quote = 0;
    let mut items = 0;
    let mut heading: Option<u8> = None;
    let mut note: Option<String> = None;
    let push_text = |cur: &mut Vec<Inline>, t: &str, bold: bool, italic: bool| {
        if let Some(Inline::Text {
            text,
            bold: b,
            italic: i,
        }) = cur.last_mut()
        {
            if *b == bold && *i == italic {
                text.push_str(t);
                return;
            }
        }
        cur.push(Inline::Text {
            text: t.to_string(),
            bold,
            italic,
        });
    };
    for event in Parser::new_ext(markdown, markdown_options()) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                cur.clear();
                heading = Some(level as u8);
            }
            Event::End(TagEnd::Heading(_)) => {
                doc.blocks.push(Block::Heading(
                    heading.take().unwrap_or(2),
                    std::mem::take(&mut cur),
                ));
            }
            Event::Start(Tag::BlockQuote(_)) => quote += 1,
            Event::End(TagEnd::BlockQuote(_)) => quote -= 1,
            Event::Start(Tag::Item) => {
                items += 1;
                cur.clear();
            }
            Event::End(TagEnd::Item) => {
                items -= 1;
                let content = std::mem::take(&mut cur);
                if !content.is_empty() {
                    match &note {
                        Some(l) => doc.notes.entry(l.clone()).or_default().extend(content),
                        None => doc.blocks.push(Block::Item(content)),
                    }
                }
            }
            Event::Start(Tag::Paragraph) => {
                if items == 0 {
                    cur.clear();
                }
            }
            Event::End(TagEnd::Paragraph) => {
                if items > 0 {
                    continue;
                }
                let content = std::mem::take(&mut cur);
                match &note {
                    Some(l) => doc.notes.entry(l.clone()).or_default().extend(content),
                    None if quote > 0 => doc.blocks.push(Block::Quote(content)),
                    None => doc.blocks.push(Block::Para(content)),
                }
            }
            Event::Start(Tag::FootnoteDefinition(l)) => note = Some(l.to_string()),
            Event::End(TagEnd::FootnoteDefinition) => note = None,
            Event::Start(Tag::Strong) => bold += 1,
            Event::End(TagEnd::Strong) => bold -= 1,
            Event::Start(Tag::Emphasis) => italic += 1,
            Event::End(TagEnd::Emphasis) => italic -= 1,
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                push_text(&mut cur, &t, bold > 0, italic > 0)
            }
            Event::SoftBreak => {
                // Keep the line break in a quote's attribution ("— Peer volunteer").
                let sep = if quote > 0 { "\n" } else { " " };
                push_text(&mut cur, sep, bold > 0, italic > 0)
            }
            Event::HardBreak => push_text(&mut cur, "\n", bold > 0, italic > 0),
            Event::FootnoteReference(l) => cur.push(Inline::Note(l.to_string())),
            _ => {}
        }
    }
    doc
}

/// Plain text of inlines, footnote markers left out.
pub fn plain(inlines: &[Inline]) -> String {
    inlines
        .iter()
        .filter_map(|i| match i {
            Inline::Text { text, .. } => Some(text.as_str()),
            Inline::Note(_) => None,
        })
        .collect()
}

/// Text as every export format can carry it. Text pasted from PDFs brings control
/// characters that XML forbids (a Word document with one will not open) and that a reader
/// never meant: form feeds and vertical tabs become spaces, a lone carriage return a line
/// break, and the other C0 and C1 controls, DEL and the noncharacters U+FFFE and U+FFFF are
/// dropped. Tabs and line breaks stay.
pub fn sanitize(text: &str) -> std::borrow::Cow<'_, str> {
    let unwanted =
        |c: char| (c.is_control() && c != '\t' && c != '\n') || c == '\u{FFFE}' || c == '\u{FFFF}';
    if !text.contains(unwanted) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' => out.push('\n'),
            '\x0b' | '\x0c' => out.push(' '),
            c if unwanted(c) => {}
            c => out.push(c),
        }
    }
    out.into()
}

/// Render a prepared draft, its text made safe for the format first.
pub fn render(
    format: Format,
    markdown: &str,
    title: &str,
    internal: bool,
) -> anyhow::Result<Vec<u8>> {
    let (markdown, title) = (&*sanitize(markdown), &*sanitize(title));
    Ok(match format {
        Format::Html => html::render(markdown, title, internal).into_bytes(),
        Format::Txt => txt::render(&blocks(markdown), internal).into_bytes(),
        Format::Docx => docx::render(&blocks(markdown), title, internal)?,
        Format::Pack => anyhow::bail!("an evidence pack is built by `export::pack::build`"),
    })
}

/// The HTML of a prepared draft, for showing inside another page.
pub fn html_body(markdown: &str) -> String {
    html::body(&sanitize(markdown))
}

/// The default output path: beside the response, named for the format and audience.
pub fn default_out(file: &Path, format: Format, internal: bool) -> std::path::PathBuf {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("response");
    let dir = file.parent().unwrap_or(Path::new("."));
    let audience = match (format, internal) {
        (Format::Pack, _) => "-evidence-pack",
        (_, true) => "-internal",
        (_, false) => "",
    };
    dir.join(format!("{stem}{audience}.{}", format.extension()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_dropped_or_become_spaces() {
        assert_eq!(
            sanitize("page\x0cbreak\x0bhere\x1b[0m\x08 \x00ok\u{85}\u{FFFE}\tand\r\nnew\rline"),
            "page break here[0m ok\tand\nnew\nline"
        );
        assert!(matches!(
            sanitize("Zoë said “fine”.\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
