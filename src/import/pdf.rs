//! PDF: text with its page and position from `pdftotext -tsv` (Debian's poppler-utils),
//! rebuilt into headings, paragraphs and list items.
//!
//! Chosen by measuring: poppler reads the text of real reports in reading order and gives
//! each word's page, block and position, which is what is needed to mark pages, drop
//! running headers, footers and page numbers (lines in the top or bottom tenth of the page
//! that repeat on most pages, or are only a number), find headings by their size and join
//! words hyphenated across lines. A missing `pdftotext` is reported with how to install it.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;

use regex::Regex;

use super::Converted;
use super::documents::{Blocks, date_in, escape};

/// The program that reads PDFs (override with `HEARD_PDFTOTEXT`).
fn program(name: &str) -> String {
    let var = format!("HEARD_{}", name.to_uppercase());
    std::env::var(var).unwrap_or_else(|_| name.to_string())
}

/// What to tell a person whose machine has no poppler-utils.
pub const INSTALL_POPPLER: &str = "reading PDFs needs `pdftotext` from poppler-utils, which is not installed; install it (Debian or Ubuntu: `sudo apt-get install poppler-utils`; macOS: `brew install poppler`; Windows: the poppler binaries on your PATH) and import again";

#[derive(Debug, Clone)]
struct Line {
    page: u32,
    /// pdftotext's (flow, block) numbers on the page.
    block: (u32, u32),
    line: u32,
    top: f64,
    bottom: f64,
    height: f64,
    text: String,
}

/// Read a PDF.
pub fn read(path: &Path, bytes: &[u8]) -> Result<Converted, String> {
    if !bytes[..bytes.len().min(1024)]
        .windows(4)
        .any(|w| w == b"%PDF")
    {
        return Err(
            "is not a PDF (it does not start with %PDF); it may be damaged or have the wrong extension"
                .into(),
        );
    }
    let out = match Command::new(program("pdftotext"))
        .args(["-tsv", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(INSTALL_POPPLER.into()),
        Err(e) => return Err(format!("could not run pdftotext: {e}")),
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let lower = err.to_lowercase();
        if lower.contains("password") || lower.contains("encrypt") {
            return Err("is protected by a password; open it, save or print an unprotected copy, and import that".into());
        }
        let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!(
            "cannot be read as a PDF (pdftotext: {}); it may be damaged: open it and save or print it to a new PDF",
            first.trim()
        ));
    }
    let tsv = String::from_utf8_lossy(&out.stdout);
    let (pages, lines) = parse_tsv(&tsv);
    if lines.is_empty() {
        return Err(format!(
            "has no text layer ({} page{} of images: a scanned document?); run it through OCR first, e.g. `ocrmypdf in.pdf out.pdf`, then import the result",
            pages.len(),
            if pages.len() == 1 { "" } else { "s" }
        ));
    }
    let mut doc = layout(&pages, lines);
    info(path, &mut doc);
    Ok(doc)
}

/// Title, author and date from `pdfinfo`, when it is there.
fn info(path: &Path, doc: &mut Converted) {
    let Ok(out) = Command::new(program("pdfinfo"))
        .args(["-isodates", "-enc", "UTF-8"])
        .arg(path)
        .output()
    else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key.trim() {
            "Title" => doc.title = Some(value.to_string()),
            "Author" => doc.authors = vec![value.to_string()],
            "CreationDate" => {
                doc.date = date_in(value);
                doc.date_from_file = doc.date.is_some();
            }
            _ => {}
        }
    }
}

/// Page heights by page number, and the lines of text in reading order.
fn parse_tsv(tsv: &str) -> (HashMap<u32, f64>, Vec<Line>) {
    let mut pages = HashMap::new();
    let mut lines: Vec<Line> = Vec::new();
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 12 {
            continue;
        }
        let num = |i: usize| f[i].trim().parse::<f64>().unwrap_or(0.0);
        let int = |i: usize| f[i].trim().parse::<u32>().unwrap_or(0);
        match f[0] {
            "1" => {
                pages.insert(int(1), num(9));
            }
            "5" => {
                let text = f[11..].join("\t");
                let text = text.trim();
                if text.is_empty() {
                    continue;
                }
                let (page, block, line) = (int(1), (int(2), int(3)), int(4));
                let (top, height) = (num(7), num(9));
                match lines.last_mut() {
                    Some(l) if l.page == page && l.block == block && l.line == line => {
                        l.text.push(' ');
                        l.text.push_str(text);
                        l.top = l.top.min(top);
                        l.bottom = l.bottom.max(top + height);
                        l.height = l.height.max(height);
                    }
                    _ => lines.push(Line {
                        page,
                        block,
                        line,
                        top,
                        bottom: top + height,
                        height,
                        text: text.to_string(),
                    }),
                }
            }
            _ => {}
        }
    }
    (pages, lines)
}

static PAGE_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:page\s+)?[-–—(\[]?\s*\d{1,4}\s*[-–—)\]]?(?:\s*(?:of|/)\s*\d{1,4})?$|^[ivxlc]{1,6}$")
        .expect("page number regex")
});

const BULLETS: &[&str] = &[
    "•", "▪", "◦", "●", "○", "■", "□", "–", "-", "*", "", "§", "➢", "✓",
];

fn key(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lines in the top or bottom tenth of the page that are page numbers, and blocks that
/// reach into it and repeat on at least half the pages (and on two or more): running
/// headers and footers.
fn furniture(pages: &HashMap<u32, f64>, lines: &[Line]) -> HashSet<usize> {
    let band = |l: &Line| {
        let h = pages.get(&l.page).copied().unwrap_or(792.0).max(1.0);
        l.top < 0.1 * h || l.bottom > 0.9 * h
    };
    // Blocks by page: their text, whether they touch the band, and their lines.
    type Block = ((u32, (u32, u32)), String, bool, Vec<usize>);
    let mut blocks: Vec<Block> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        match blocks.last_mut() {
            Some((k, text, b, idx)) if *k == (l.page, l.block) => {
                text.push(' ');
                text.push_str(&l.text);
                *b |= band(l);
                idx.push(i);
            }
            _ => blocks.push(((l.page, l.block), l.text.clone(), band(l), vec![i])),
        }
    }
    let mut seen: HashMap<String, HashSet<u32>> = HashMap::new();
    for ((page, _), text, in_band, _) in &blocks {
        if *in_band {
            seen.entry(key(text)).or_default().insert(*page);
        }
    }
    let total = pages.len().max(1);
    let mut out = HashSet::new();
    for (_, text, in_band, idx) in &blocks {
        if !in_band {
            continue;
        }
        let repeated = seen
            .get(&key(text))
            .is_some_and(|p| p.len() >= 2 && p.len() * 2 >= total);
        if repeated || PAGE_NUMBER.is_match(text.trim()) {
            out.extend(idx.iter().copied());
        } else {
            out.extend(
                idx.iter()
                    .copied()
                    .filter(|&i| band(&lines[i]) && PAGE_NUMBER.is_match(lines[i].text.trim())),
            );
        }
    }
    out
}

/// Join two lines of a paragraph, mending a word hyphenated across them.
fn join(para: &mut String, next: &str) {
    if para.is_empty() {
        para.push_str(next);
        return;
    }
    let starts_lower = next.chars().next().is_some_and(char::is_lowercase);
    if let Some(stem) = para.strip_suffix('\u{ad}') {
        let n = stem.len();
        para.truncate(n);
        para.push_str(next);
    } else if starts_lower
        && para.ends_with('-')
        && !para.ends_with("--")
        && para[..para.len() - 1]
            .chars()
            .next_back()
            .is_some_and(char::is_alphabetic)
    {
        para.pop();
        para.push_str(next);
    } else {
        para.push(' ');
        para.push_str(next);
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 12.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[derive(PartialEq)]
enum Kind {
    Para,
    Item,
    Heading(usize),
}

fn layout(pages: &HashMap<u32, f64>, lines: Vec<Line>) -> Converted {
    let drop = furniture(pages, &lines);
    let mut bullets: HashSet<(u32, i64)> = HashSet::new();
    let mut kept = Vec::new();
    for (i, l) in lines.into_iter().enumerate() {
        if drop.contains(&i) {
            continue;
        }
        if BULLETS.contains(&l.text.trim()) {
            bullets.insert((l.page, l.top.round() as i64));
            continue;
        }
        kept.push(l);
    }
    let body_size = median(kept.iter().map(|l| l.height).collect());
    let near_bullet = |l: &Line| {
        let t = l.top.round() as i64;
        (t - 2..=t + 2).any(|t| bullets.contains(&(l.page, t)))
    };
    let mut blocks = Blocks::default();
    let mut title: Option<String> = None;
    let mut page = 0;
    let mut current: Option<(Kind, String, Line)> = None;
    let flush = |cur: Option<(Kind, String, Line)>, blocks: &mut Blocks| {
        if let Some((kind, text, _)) = cur {
            let text = escape(text.trim());
            match kind {
                Kind::Para => blocks.para(&text),
                Kind::Item => blocks.item(0, false, &text),
                Kind::Heading(level) => blocks.heading(level, &text),
            }
        }
    };
    for l in kept {
        let mut text = l.text.trim().to_string();
        let mut kind = Kind::Para;
        for b in ["• ", "▪ ", "◦ ", "● ", "■ ", "➢ ", "\u{f0b7} ", "- ", "– "] {
            if let Some(rest) = text.strip_prefix(b) {
                text = rest.trim().to_string();
                kind = Kind::Item;
            }
        }
        if kind == Kind::Para && near_bullet(&l) {
            kind = Kind::Item;
        }
        let ratio = l.height / body_size.max(1.0);
        if kind == Kind::Para && ratio >= 1.25 && text.chars().count() <= 150 {
            kind = Kind::Heading(if ratio >= 1.5 { 1 } else { 2 });
        }
        if l.page != page {
            flush(current.take(), &mut blocks);
            page = l.page;
            blocks.page(page);
        }
        let continues = match &current {
            Some((ck, _, prev)) => {
                let gap = l.top - prev.bottom;
                let same_size = (l.height - prev.height).abs() <= 0.15 * prev.height.max(1.0);
                // pdftotext puts each paragraph in a block of its own.
                let same_block = prev.block == l.block;
                kind != Kind::Item
                    && same_size
                    && same_block
                    && gap < 0.8 * l.height.max(body_size)
                    && match (ck, &kind) {
                        (Kind::Heading(a), Kind::Heading(b)) => a == b,
                        (Kind::Para | Kind::Item, Kind::Para) => true,
                        _ => false,
                    }
            }
            None => false,
        };
        if continues {
            if let Some((_, t, prev)) = current.as_mut() {
                join(t, &text);
                *prev = l;
            }
        } else {
            flush(current.take(), &mut blocks);
            if let (Kind::Heading(1), None) = (&kind, &title) {
                title = Some(text.clone());
            }
            current = Some((kind, text, l));
        }
    }
    flush(current.take(), &mut blocks);
    Converted {
        title,
        body: blocks.finish(),
        ..Converted::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_broken_across_lines_are_mended() {
        let mut p = String::from("the organi-");
        join(&mut p, "sation said");
        assert_eq!(p, "the organisation said");
        let mut p = String::from("co-");
        join(&mut p, "Production");
        assert_eq!(p, "co- Production");
    }

    #[test]
    fn page_numbers() {
        for t in ["3", "Page 3", "3 of 16", "- 3 -", "iv"] {
            assert!(PAGE_NUMBER.is_match(t), "{t}");
        }
        assert!(!PAGE_NUMBER.is_match("2024 was a year"));
    }
}
