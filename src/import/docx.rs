//! Word (.docx): headings, lists, tables and footnotes to Markdown.
//!
//! Read straight from the parts of the file with quick-xml (`word/document.xml`,
//! `styles.xml`, `numbering.xml`, `footnotes.xml`, `comments.xml`, `docProps/core.xml`):
//! docx-rs's reader skips footnotes and panics on some files. Tracked changes are taken
//! as accepted (insertions kept, deletions dropped) with a warning naming how many;
//! comments are dropped with a count.

use std::collections::HashMap;
use std::io::Read;

use super::Converted;
use super::documents::{Blocks, date_in, guard_leader};
use super::xml::{self, El, Node};

/// A file part, or `None` when the file has no such part.
pub(super) fn part(
    zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    name: &str,
) -> Option<String> {
    let mut f = zip.by_name(name).ok()?;
    let mut s = String::new();
    f.read_to_string(&mut s).ok()?;
    Some(s)
}

/// Open a zip-based office file, with the messages a person can act on.
pub(super) fn open_zip<'a>(
    bytes: &'a [u8],
    what: &str,
) -> Result<zip::ZipArchive<std::io::Cursor<&'a [u8]>>, String> {
    // Encrypted Office files are not zips but OLE compound files (as are old .doc files).
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(format!(
            "is protected by a password (or is an old-style {what} file); open it, remove the password or save it as a new {what} file, and import that copy"
        ));
    }
    zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| {
        format!("is not a readable {what} file ({e}); it may be damaged: open it and save it again")
    })
}

struct Styles {
    /// Style id → heading level (0 for Title).
    headings: HashMap<String, usize>,
    /// Style ids of list paragraphs without numbering of their own (e.g. "List Bullet").
    lists: HashMap<String, bool>,
}

fn read_styles(xml: Option<&str>) -> Styles {
    let mut s = Styles {
        headings: HashMap::new(),
        lists: HashMap::new(),
    };
    let Some(root) = xml.and_then(|x| xml::parse(x).ok()) else {
        return s;
    };
    for style in root.elements().filter(|e| e.name == "style") {
        let Some(id) = style.attr("styleId") else {
            continue;
        };
        let name = style
            .child("name")
            .and_then(|n| n.attr("val"))
            .unwrap_or(id)
            .to_lowercase();
        let outline = style
            .child("pPr")
            .and_then(|p| p.child("outlineLvl"))
            .and_then(|o| o.attr("val"))
            .and_then(|v| v.parse::<usize>().ok());
        if name == "title" {
            s.headings.insert(id.to_string(), 0);
        } else if let Some(n) = name
            .strip_prefix("heading")
            .and_then(|n| n.trim().parse::<usize>().ok())
        {
            s.headings.insert(id.to_string(), n);
        } else if let Some(o) = outline.filter(|&o| o < 9) {
            s.headings.insert(id.to_string(), o + 1);
        } else if name.starts_with("list bullet") {
            s.lists.insert(id.to_string(), false);
        } else if name.starts_with("list number") {
            s.lists.insert(id.to_string(), true);
        }
    }
    s
}

/// numId → (level → ordered?).
fn read_numbering(xml: Option<&str>) -> HashMap<String, HashMap<String, bool>> {
    let mut out = HashMap::new();
    let Some(root) = xml.and_then(|x| xml::parse(x).ok()) else {
        return out;
    };
    let mut abstracts: HashMap<String, HashMap<String, bool>> = HashMap::new();
    for a in root.elements().filter(|e| e.name == "abstractNum") {
        let Some(id) = a.attr("abstractNumId") else {
            continue;
        };
        let levels = a
            .elements()
            .filter(|l| l.name == "lvl")
            .filter_map(|l| {
                let ilvl = l.attr("ilvl")?.to_string();
                let fmt = l
                    .child("numFmt")
                    .and_then(|f| f.attr("val"))
                    .unwrap_or("bullet");
                Some((ilvl, !matches!(fmt, "bullet" | "none")))
            })
            .collect();
        abstracts.insert(id.to_string(), levels);
    }
    for n in root.elements().filter(|e| e.name == "num") {
        if let (Some(id), Some(a)) = (
            n.attr("numId"),
            n.child("abstractNumId").and_then(|a| a.attr("val")),
        ) {
            out.insert(
                id.to_string(),
                abstracts.get(a).cloned().unwrap_or_default(),
            );
        }
    }
    out
}

struct Reader {
    styles: Styles,
    numbering: HashMap<String, HashMap<String, bool>>,
    footnotes: HashMap<String, El>,
    blocks: Blocks,
    insertions: usize,
    deletions: usize,
    title: Option<String>,
}

impl Reader {
    /// Markdown of a paragraph's runs.
    fn inline(&mut self, el: &El, out: &mut String) {
        for c in &el.children {
            let Node::El(e) = c else { continue };
            match e.name.as_str() {
                "t" => out.push_str(&escape_inline(&e.text())),
                "tab" | "br" | "cr" => out.push(' '),
                "noBreakHyphen" => out.push('-'),
                "del" | "moveFrom" => {
                    self.deletions += 1;
                }
                "ins" | "moveTo" => {
                    self.insertions += 1;
                    self.inline(e, out);
                }
                "footnoteReference" | "endnoteReference" => {
                    if let Some(id) = e.attr("id") {
                        let text = self
                            .footnotes
                            .get(id)
                            .cloned()
                            .map(|f| self.note_text(&f))
                            .unwrap_or_default();
                        let r = self.blocks.footnote(id, &text);
                        out.push_str(&r);
                    }
                }
                "pPr" | "rPr" | "instrText" | "delText" | "commentReference" | "fldChar" => {}
                _ => self.inline(e, out),
            }
        }
    }

    fn note_text(&mut self, note: &El) -> String {
        let mut parts = Vec::new();
        for p in note.elements().filter(|e| e.name == "p") {
            let mut s = String::new();
            self.inline(p, &mut s);
            let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
            if !s.is_empty() {
                parts.push(s);
            }
        }
        parts.join(" ")
    }

    fn paragraph(&mut self, p: &El) {
        let ppr = p.child("pPr");
        let style = ppr
            .and_then(|p| p.child("pStyle"))
            .and_then(|s| s.attr("val"))
            .unwrap_or("");
        let num = ppr.and_then(|p| p.child("numPr"));
        let mut text = String::new();
        self.inline(p, &mut text);
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return;
        }
        let text = guard_leader(&text);
        if let Some(&level) = self.styles.headings.get(style) {
            if level == 0 {
                if self.title.is_none() {
                    self.title = Some(crate::corpus::plain_text(&text));
                }
                self.blocks.heading(1, &text);
            } else {
                self.blocks.heading(level, &text);
            }
            return;
        }
        if let Some(num) = num {
            let id = num.child("numId").and_then(|n| n.attr("val")).unwrap_or("");
            let ilvl = num.child("ilvl").and_then(|n| n.attr("val")).unwrap_or("0");
            if id != "0" {
                let ordered = self
                    .numbering
                    .get(id)
                    .and_then(|l| l.get(ilvl))
                    .copied()
                    .unwrap_or(false);
                let depth = ilvl.parse().unwrap_or(0);
                self.blocks.item(depth, ordered, &text);
                return;
            }
        }
        if let Some(&ordered) = self.styles.lists.get(style) {
            self.blocks.item(0, ordered, &text);
            return;
        }
        self.blocks.para(&text);
    }

    fn table(&mut self, t: &El) {
        let mut rows = Vec::new();
        for tr in t.elements().filter(|e| e.name == "tr") {
            let mut cells = Vec::new();
            for tc in tr.elements().filter(|e| e.name == "tc") {
                let mut paras = Vec::new();
                let mut ps = Vec::new();
                tc.find_all("p", &mut ps);
                for p in ps {
                    let mut s = String::new();
                    self.inline(p, &mut s);
                    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !s.is_empty() {
                        paras.push(s);
                    }
                }
                cells.push(paras.join(" "));
            }
            rows.push(cells);
        }
        self.blocks.table(&rows);
    }

    fn body(&mut self, el: &El) {
        for e in el.elements() {
            match e.name.as_str() {
                "p" => self.paragraph(e),
                "tbl" => self.table(e),
                "sdt" | "sdtContent" | "customXml" | "ins" | "moveTo" => self.body(e),
                "del" | "moveFrom" => self.deletions += 1,
                _ => {}
            }
        }
    }
}

/// Inline text escaped (the start of the paragraph is guarded once the runs are joined).
fn escape_inline(t: &str) -> String {
    crate::response::md_escape(t)
}

/// Read a Word file.
pub fn read(bytes: &[u8]) -> Result<Converted, String> {
    let mut zip = open_zip(bytes, "Word (.docx)")?;
    let document = part(&mut zip, "word/document.xml").ok_or(
        "is not a Word document (it has no word/document.xml); open it in Word and save it as .docx",
    )?;
    let root = xml::parse(&document).map_err(|e| {
        format!("is damaged (its text cannot be read: {e}); open it in Word and save it again")
    })?;
    let body = root
        .child("body")
        .ok_or("has no body text; open it in Word and save it again")?;
    let footnotes = part(&mut zip, "word/footnotes.xml")
        .and_then(|x| xml::parse(&x).ok())
        .map(|r| {
            r.elements()
                .filter(|e| e.name == "footnote" && e.attr("type").is_none_or(|t| t == "normal"))
                .filter_map(|e| Some((e.attr("id")?.to_string(), e.clone())))
                .collect()
        })
        .unwrap_or_default();
    let comments = part(&mut zip, "word/comments.xml")
        .and_then(|x| xml::parse(&x).ok())
        .map_or(0, |r| r.elements().filter(|e| e.name == "comment").count());
    let mut r = Reader {
        styles: read_styles(part(&mut zip, "word/styles.xml").as_deref()),
        numbering: read_numbering(part(&mut zip, "word/numbering.xml").as_deref()),
        footnotes,
        blocks: Blocks::default(),
        insertions: 0,
        deletions: 0,
        title: None,
    };
    r.body(body);
    let mut doc = Converted {
        title: r.title.take(),
        ..Converted::default()
    };
    let changes = r.insertions + r.deletions;
    if changes > 0 {
        doc.warnings.push(format!(
            "{changes} tracked change{} taken as accepted ({} insertion{} kept, {} deletion{} dropped); check the text against the original",
            if changes == 1 { "" } else { "s" },
            r.insertions,
            if r.insertions == 1 { "" } else { "s" },
            r.deletions,
            if r.deletions == 1 { "" } else { "s" },
        ));
    }
    if comments > 0 {
        doc.warnings.push(format!(
            "{comments} comment{} dropped",
            if comments == 1 { "" } else { "s" }
        ));
    }
    doc.body = r.blocks.finish();
    if let Some(core) = part(&mut zip, "docProps/core.xml").and_then(|x| xml::parse(&x).ok()) {
        let field = |name: &str| {
            core.child(name)
                .map(|e| e.text().trim().to_string())
                .filter(|t| !t.is_empty())
        };
        if let Some(t) = field("title") {
            doc.title = Some(t);
        }
        if let Some(a) = field("creator") {
            doc.authors.push(a);
        }
        doc.date = field("created").and_then(|d| date_in(&d));
        doc.date_from_file = doc.date.is_some();
    }
    if let Some(app) = part(&mut zip, "docProps/app.xml").and_then(|x| xml::parse(&x).ok()) {
        doc.organisation = app
            .child("Company")
            .map(|e| e.text().trim().to_string())
            .filter(|t| !t.is_empty());
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paragraph_that_looks_like_a_list_stays_a_paragraph() {
        assert_eq!(guard_leader("1. Not a list"), "1\\. Not a list");
        assert_eq!(guard_leader("- not an item"), "\\- not an item");
        assert_eq!(guard_leader("Plain \\*text\\*"), "Plain \\*text\\*");
    }
}
