//! Plain text for online forms: each answer as it should be pasted, its sources after it,
//! and its word count.

use std::collections::HashMap;
use std::fmt::Write;

use super::{Block, Doc, Inline, plain};
use crate::draft::count_words;

static MARKER: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r" \[\d+\]").expect("marker regex"));

/// Render blocks as plain text, footnotes numbered per answer.
pub fn render(doc: &Doc, internal: bool) -> String {
    let mut out = String::new();
    if internal {
        out.push_str("INTERNAL COPY: shows file paths, line numbers, quote ids and consent records. Do not send.\n\n");
    }
    let mut answer = String::new();
    let mut notes: Vec<String> = Vec::new();
    let mut numbers: HashMap<String, usize> = HashMap::new();
    let mut preamble = true;
    let flush = |out: &mut String,
                 answer: &mut String,
                 notes: &mut Vec<String>,
                 numbers: &mut HashMap<String, usize>,
                 preamble: bool| {
        if answer.trim().is_empty() {
            answer.clear();
            return;
        }
        out.push_str(answer.trim_end());
        out.push_str("\n\n");
        if !notes.is_empty() {
            out.push_str("Sources:\n");
            for (i, n) in notes.iter().enumerate() {
                let _ = writeln!(out, "[{}] {n}", i + 1);
            }
            out.push('\n');
        }
        if !preamble {
            // Count the answer as the form will: without the [1] markers.
            let words = count_words(&MARKER.replace_all(answer, ""));
            let _ = writeln!(out, "({words} words)\n");
        }
        answer.clear();
        notes.clear();
        numbers.clear();
    };
    let text_of =
        |inlines: &[Inline], notes: &mut Vec<String>, numbers: &mut HashMap<String, usize>| {
            let mut s = String::new();
            for i in inlines {
                match i {
                    Inline::Text { text, .. } => s.push_str(text),
                    Inline::Note(label) => {
                        let n = *numbers.entry(label.clone()).or_insert_with(|| {
                            notes.push(doc.notes.get(label).map(|t| plain(t)).unwrap_or_default());
                            notes.len()
                        });
                        let _ = write!(s, " [{n}]");
                    }
                }
            }
            s
        };
    for b in &doc.blocks {
        match b {
            Block::Heading(level, t) => {
                flush(&mut out, &mut answer, &mut notes, &mut numbers, preamble);
                preamble = *level <= 1;
                let title = plain(t);
                out.push_str(&title);
                out.push('\n');
                let underline = if *level <= 1 { '=' } else { '-' };
                out.push_str(&underline.to_string().repeat(title.chars().count().min(80)));
                out.push_str("\n\n");
            }
            Block::Para(t) => {
                answer.push_str(&text_of(t, &mut notes, &mut numbers));
                answer.push_str("\n\n");
            }
            Block::Quote(t) => {
                answer.push_str(&text_of(t, &mut notes, &mut numbers));
                answer.push_str("\n\n");
            }
            Block::Item(t) => {
                answer.push_str("- ");
                answer.push_str(&text_of(t, &mut notes, &mut numbers));
                answer.push('\n');
            }
        }
    }
    flush(&mut out, &mut answer, &mut notes, &mut numbers, preamble);
    out
}
