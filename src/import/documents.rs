//! Documents: DOCX, ODT, PDF, HTML and plain text, converted to Markdown.
//!
//! Each reader turns the bytes of one file into a [`Converted`] document. A reader never
//! panics the batch: every reader runs inside `catch_unwind`, and its error is one line
//! naming what is wrong with the file and what to do.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::{Converted, Format};

/// Convert one document. `name` is the file name, for messages.
pub fn convert(path: &Path, format: Format, bytes: &[u8]) -> Result<Converted, String> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    // A reader that trips over something unusual must not end the batch, nor print a
    // panic message in the middle of the summary: the file gets one line like any other.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match format {
        Format::Docx => super::docx::read(bytes),
        Format::Odt => super::odt::read(bytes),
        Format::Pdf => super::pdf::read(path, bytes),
        Format::Html => super::html::read(bytes),
        Format::Txt => read_text(bytes, path),
        Format::Csv | Format::Xlsx | Format::Ods => {
            Err("is a survey export; it is read by the survey importer".into())
        }
        Format::Qdpx => Err("is a REFI-QDA project: import it with `heard import-project`".into()),
    }));
    std::panic::set_hook(hook);
    let mut doc = match result {
        Ok(r) => r?,
        Err(_) => {
            return Err(format!(
                "could not be read: the {} reader failed on something unusual in the file; open it and save it again (or save it as another format) and import that copy",
                format.as_str().to_uppercase()
            ));
        }
    };
    if doc.body.trim().is_empty() || plain_words(&doc.body) == 0 {
        return Err(match format {
            Format::Pdf => "has no text layer (it looks like a scanned document); run it through OCR first, e.g. `ocrmypdf in.pdf out.pdf`, then import the result".to_string(),
            _ => "has no text to import".to_string(),
        });
    }
    if doc.stem.is_empty() {
        doc.stem = slug(&stem_of(&name));
    }
    Ok(doc)
}

/// Words of Markdown text, page markers and syntax aside.
fn plain_words(markdown: &str) -> usize {
    crate::corpus::plain_text(markdown)
        .split_whitespace()
        .count()
}

/// The file name without its extension.
pub fn stem_of(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s.to_string(),
        _ => name.to_string(),
    }
}

/// A file-name-safe slug: lower-case letters, digits and single dashes.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    let out: String = out.chars().take(80).collect();
    if out.is_empty() {
        "imported".into()
    } else {
        out.trim_end_matches('-').to_string()
    }
}

/// Plain text (.txt) or Markdown (.md): taken as written, in UTF-8 (or Windows-1252).
fn read_text(bytes: &[u8], path: &Path) -> Result<Converted, String> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => bytes.iter().map(|&b| cp1252(b)).collect(),
    };
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or(&text)
        .replace("\r\n", "\n");
    let markdown = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
    let mut doc = Converted::default();
    if markdown {
        // A Markdown file with its own front matter: keep the body only; heard writes its own.
        let body = strip_front_matter(&text);
        doc.title = body
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .map(|t| t.trim().to_string());
        doc.body = body.to_string();
    } else {
        let mut blocks = Blocks::default();
        for para in text.split("\n\n") {
            let joined = para.split_whitespace().collect::<Vec<_>>().join(" ");
            if !joined.is_empty() {
                blocks.para(&joined);
            }
        }
        doc.body = blocks.finish();
    }
    Ok(doc)
}

fn strip_front_matter(text: &str) -> &str {
    for fence in ["---", "+++"] {
        if let Some(rest) = text.strip_prefix(fence) {
            if let Some(rest) = rest.strip_prefix('\n') {
                let close = format!("\n{fence}");
                if let Some(end) = rest.find(&close) {
                    let after = &rest[end + close.len()..];
                    return after.strip_prefix('\n').unwrap_or(after);
                }
            }
        }
    }
    text
}

/// A Windows-1252 byte as a character.
pub fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

/// Escape text so that Markdown shows it as written (no emphasis, links or headings made
/// by accident). The plain text heard reads back is the same words.
pub fn escape(text: &str) -> String {
    guard_leader(&crate::response::md_escape(text))
}

/// Escape the start of a paragraph whose inline syntax is already escaped, when it would
/// otherwise begin a list item (`1. `, `- `).
pub fn guard_leader(markdown: &str) -> String {
    static LEADER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\s*\d{1,9})([.)]\s)").expect("leader regex"));
    if let Some(m) = LEADER.captures(markdown) {
        let digits = m[1].len();
        format!("{}\\{}", &markdown[..digits], &markdown[digits..])
    } else if markdown.starts_with("- ") || markdown.starts_with("+ ") || markdown.starts_with("= ")
    {
        format!("\\{markdown}")
    } else {
        markdown.to_string()
    }
}

/// The blocks of a document being converted, written out as Markdown.
#[derive(Debug, Default)]
pub struct Blocks {
    out: String,
    /// Whether the last block was a list item (no blank line between items).
    in_list: bool,
    /// Footnotes referenced so far: `(label, text)`.
    footnotes: Vec<(String, String)>,
}

impl Blocks {
    fn gap(&mut self, list: bool) {
        if !self.out.is_empty() {
            if list && self.in_list {
                self.out.push('\n');
            } else {
                self.out.push_str("\n\n");
            }
        }
        self.in_list = list;
    }

    /// A heading of `level` (1–6); `text` is already Markdown.
    pub fn heading(&mut self, level: usize, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.gap(false);
        self.out.push_str(&"#".repeat(level.clamp(1, 6)));
        self.out.push(' ');
        self.out.push_str(text);
    }

    /// A paragraph; `text` is already Markdown (escaped).
    pub fn para(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.gap(false);
        self.out.push_str(text);
    }

    /// A list item at nesting `depth` (0 = top).
    pub fn item(&mut self, depth: usize, ordered: bool, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.gap(true);
        self.out.push_str(&"    ".repeat(depth.min(8)));
        self.out.push_str(if ordered { "1. " } else { "- " });
        self.out.push_str(text);
    }

    /// A table: the first row is the header. Cells are already Markdown.
    pub fn table(&mut self, rows: &[Vec<String>]) {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        if width == 0 || rows.iter().all(|r| r.iter().all(|c| c.trim().is_empty())) {
            return;
        }
        self.gap(false);
        let line = |cells: &[String]| {
            let mut l = String::from("|");
            for i in 0..width {
                let c = cells.get(i).map_or("", |c| c.trim());
                l.push(' ');
                l.push_str(&c.replace('|', "\\|"));
                l.push_str(" |");
            }
            l
        };
        self.out.push_str(&line(&rows[0]));
        self.out.push('\n');
        self.out.push('|');
        for _ in 0..width {
            self.out.push_str(" --- |");
        }
        for r in &rows[1..] {
            self.out.push('\n');
            self.out.push_str(&line(r));
        }
    }

    /// A page marker: the blocks after it are on page `n` of the original.
    pub fn page(&mut self, n: u32) {
        self.gap(false);
        self.out.push_str(&format!("<!-- page {n} -->"));
    }

    /// Record a footnote's text under `label`; returns the reference to put in the text.
    pub fn footnote(&mut self, label: &str, text: &str) -> String {
        let label = slug(label);
        if !self.footnotes.iter().any(|(l, _)| *l == label) {
            self.footnotes
                .push((label.clone(), text.trim().to_string()));
        }
        format!("[^{label}]")
    }

    /// The Markdown, footnotes last.
    pub fn finish(mut self) -> String {
        let notes = std::mem::take(&mut self.footnotes);
        for (label, text) in notes {
            self.gap(false);
            let text = if text.is_empty() { "(empty)" } else { &text };
            self.out.push_str(&format!("[^{label}]: {text}"));
        }
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        self.out
    }
}

static MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

static HUMAN_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(\d{1,2})(?:st|nd|rd|th)?\s+(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?,?\s+(\d{4})\b",
    )
    .expect("date regex")
});

static ISO_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{4})-(\d{2})-(\d{2})").expect("iso date regex"));

/// A date as `YYYY-MM-DD` from text such as `2024-06-12T09:00:00Z`, `12 June 2024` or
/// `Tuesday 28th June 2022`; `None` if there is no real date in it.
pub fn date_in(text: &str) -> Option<String> {
    let candidate = if let Some(m) = ISO_DATE.captures(text) {
        format!("{}-{}-{}", &m[1], &m[2], &m[3])
    } else {
        let m = HUMAN_DATE.captures(text)?;
        let month = m[2].to_lowercase();
        let month = MONTHS.iter().position(|p| month.starts_with(p))? + 1;
        format!("{}-{month:02}-{:02}", &m[3], m[1].parse::<u32>().ok()?)
    };
    crate::corpus::PartialDate::parse(&candidate).map(|_| candidate)
}

/// Every date in `text` with its byte position.
pub fn dates_in(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = HUMAN_DATE
        .find_iter(text)
        .chain(ISO_DATE.find_iter(text))
        .filter_map(|m| date_in(m.as_str()).map(|d| (m.start(), d)))
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_people_write_them() {
        assert_eq!(
            date_in("2024-06-12T09:00:00+01:00").as_deref(),
            Some("2024-06-12")
        );
        assert_eq!(
            date_in("Tuesday 28th June 2022").as_deref(),
            Some("2022-06-28")
        );
        assert_eq!(date_in("1 Sept 2023").as_deref(), Some("2023-09-01"));
        assert_eq!(date_in("31 February 2023"), None);
        assert_eq!(date_in("no date"), None);
    }

    #[test]
    fn escaped_text_reads_back_as_written() {
        for t in [
            "1. Not a list",
            "- not an item",
            "*stars* and [brackets]",
            "# no",
        ] {
            assert_eq!(crate::corpus::plain_text(&escape(t)), t, "{t}");
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Annual Report 2024 (final)"),
            "annual-report-2024-final"
        );
        assert_eq!(slug("***"), "imported");
    }
}
