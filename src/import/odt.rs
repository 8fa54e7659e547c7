//! OpenDocument text (.odt): headings, lists, tables and notes to Markdown, from
//! `content.xml` and `meta.xml`. Tracked changes are taken as accepted (the deleted text
//! lives in `text:tracked-changes`, which is skipped) with a count; comments
//! (`office:annotation`) are dropped with a count.

use super::Converted;
use super::documents::{Blocks, date_in, guard_leader};
use super::docx::{open_zip, part};
use super::xml::{self, El, Node};

struct Reader {
    blocks: Blocks,
    comments: usize,
    notes: usize,
}

impl Reader {
    fn inline(&mut self, el: &El, out: &mut String) {
        for c in &el.children {
            match c {
                Node::Text(t) => out.push_str(&crate::response::md_escape(t)),
                Node::El(e) => match e.name.as_str() {
                    "s" => {
                        let n = e.attr("c").and_then(|c| c.parse().ok()).unwrap_or(1usize);
                        out.push_str(&" ".repeat(n.min(8)));
                    }
                    "tab" | "line-break" => out.push(' '),
                    "annotation" => self.comments += 1,
                    "annotation-end" | "change-start" | "change-end" | "change" => {}
                    "note" => {
                        self.notes += 1;
                        let label = e
                            .child("note-citation")
                            .map(|c| c.text())
                            .filter(|t| !t.trim().is_empty())
                            .unwrap_or_else(|| self.notes.to_string());
                        let mut text = String::new();
                        if let Some(body) = e.child("note-body") {
                            for p in body.elements() {
                                let mut s = String::new();
                                self.inline(p, &mut s);
                                text.push_str(&s);
                                text.push(' ');
                            }
                        }
                        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                        let r = self.blocks.footnote(&label, &text);
                        out.push_str(&r);
                    }
                    _ => self.inline(e, out),
                },
            }
        }
    }

    fn text_of(&mut self, el: &El) -> String {
        let mut s = String::new();
        self.inline(el, &mut s);
        guard_leader(&s.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    fn list(&mut self, list: &El, depth: usize) {
        for item in list
            .elements()
            .filter(|e| e.name == "list-item" || e.name == "list-header")
        {
            for e in item.elements() {
                match e.name.as_str() {
                    "p" | "h" => {
                        let t = self.text_of(e);
                        self.blocks.item(depth, false, &t);
                    }
                    "list" => self.list(e, depth + 1),
                    _ => {}
                }
            }
        }
    }

    fn table(&mut self, t: &El) {
        let mut rows_el = Vec::new();
        t.find_all("table-row", &mut rows_el);
        let mut rows = Vec::new();
        for r in rows_el {
            let mut cells = Vec::new();
            for c in r.elements().filter(|e| e.name == "table-cell") {
                let mut ps = Vec::new();
                c.find_all("p", &mut ps);
                let texts: Vec<String> = ps.into_iter().map(|p| self.text_of(p)).collect();
                cells.push(texts.join(" "));
            }
            rows.push(cells);
        }
        self.blocks.table(&rows);
    }

    fn body(&mut self, el: &El) {
        for e in el.elements() {
            match e.name.as_str() {
                "h" => {
                    let level = e
                        .attr("outline-level")
                        .and_then(|l| l.parse().ok())
                        .unwrap_or(1usize);
                    let t = self.text_of(e);
                    self.blocks.heading(level, &t);
                }
                "p" => {
                    let t = self.text_of(e);
                    self.blocks.para(&t);
                }
                "list" => self.list(e, 0),
                "table" => self.table(e),
                "section" => self.body(e),
                _ => {}
            }
        }
    }
}

/// Read an OpenDocument text file.
pub fn read(bytes: &[u8]) -> Result<Converted, String> {
    let mut zip = open_zip(bytes, "OpenDocument (.odt)")?;
    if part(&mut zip, "META-INF/manifest.xml").is_some_and(|m| m.contains("encryption-data")) {
        return Err("is protected by a password; open it, remove the password (File > Properties > Security), save a copy and import that".into());
    }
    let content = part(&mut zip, "content.xml")
        .ok_or("is not an OpenDocument text (it has no content.xml); open it and save it again")?;
    let root = xml::parse(&content).map_err(|e| {
        format!("is damaged (its text cannot be read: {e}); open it and save it again")
    })?;
    let text = root
        .find("text")
        .ok_or("has no text; is it a spreadsheet or presentation? Save it as a text document")?;
    let mut changes = Vec::new();
    text.find_all("changed-region", &mut changes);
    let mut r = Reader {
        blocks: Blocks::default(),
        comments: 0,
        notes: 0,
    };
    r.body(text);
    let mut doc = Converted::default();
    if !changes.is_empty() {
        doc.warnings.push(format!(
            "{} tracked change{} taken as accepted; check the text against the original",
            changes.len(),
            if changes.len() == 1 { "" } else { "s" }
        ));
    }
    if r.comments > 0 {
        doc.warnings.push(format!(
            "{} comment{} dropped",
            r.comments,
            if r.comments == 1 { "" } else { "s" }
        ));
    }
    doc.body = r.blocks.finish();
    if let Some(meta) = part(&mut zip, "meta.xml").and_then(|x| xml::parse(&x).ok()) {
        let field = |name: &str| {
            meta.find(name)
                .map(|e| e.text().trim().to_string())
                .filter(|t| !t.is_empty())
        };
        doc.title = field("title");
        if let Some(a) = field("initial-creator").or_else(|| field("creator")) {
            doc.authors.push(a);
        }
        doc.date = field("creation-date").and_then(|d| date_in(&d));
        doc.date_from_file = doc.date.is_some();
    }
    Ok(doc)
}
