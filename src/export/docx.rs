//! A real Word document: heading styles, block quotes as an indented quote style, bulleted
//! recommendations, and Word footnotes carrying the citations.

use docx_rs::{Docx, Footnote, LineSpacing, Paragraph, Run, Style, StyleType};

use super::{Block, Doc, Inline, plain};

/// Render blocks as a .docx file.
pub fn render(doc: &Doc, title: &str, internal: bool) -> anyhow::Result<Vec<u8>> {
    let mut d = Docx::new()
        .add_style(
            Style::new("Heading1", StyleType::Paragraph)
                .name("Heading 1")
                .size(36)
                .bold(),
        )
        .add_style(
            Style::new("Heading2", StyleType::Paragraph)
                .name("Heading 2")
                .size(30)
                .bold(),
        )
        .add_style(
            Style::new("Heading3", StyleType::Paragraph)
                .name("Heading 3")
                .size(26)
                .bold(),
        )
        .add_style(
            Style::new("Heading4", StyleType::Paragraph)
                .name("Heading 4")
                .size(24)
                .bold(),
        )
        .add_style(
            Style::new("Quote", StyleType::Paragraph)
                .name("Quote")
                .italic(),
        );
    let _ = title;
    if internal {
        d = d.add_paragraph(Paragraph::new().add_run(
            Run::new()
                .add_text("Internal copy: shows file paths, line numbers, quote ids and consent records. Do not send.")
                .bold(),
        ));
    }
    let note_paragraph = |label: &str| {
        let text = doc.notes.get(label).map(|t| plain(t)).unwrap_or_default();
        Paragraph::new().add_run(Run::new().add_text(text))
    };
    let runs = |p: Paragraph, inlines: &[Inline]| {
        let mut p = p;
        for i in inlines {
            match i {
                Inline::Text { text, bold, italic } => {
                    for (n, line) in text.split('\n').enumerate() {
                        let mut r = Run::new();
                        if n > 0 {
                            r = r.add_break(docx_rs::BreakType::TextWrapping);
                        }
                        r = r.add_text(line);
                        if *bold {
                            r = r.bold();
                        }
                        if *italic {
                            r = r.italic();
                        }
                        p = p.add_run(r);
                    }
                }
                Inline::Note(label) => {
                    let note = Footnote::new().add_content(note_paragraph(label));
                    p = p.add_run(Run::new().add_footnote_reference(note));
                }
            }
        }
        p
    };
    for b in &doc.blocks {
        let p = match b {
            Block::Heading(level, t) => runs(
                Paragraph::new().style(&format!("Heading{}", level.clamp(&1, &4))),
                t,
            ),
            Block::Para(t) => runs(Paragraph::new(), t),
            Block::Quote(t) => runs(
                Paragraph::new()
                    .style("Quote")
                    .indent(Some(720), None, Some(720), None),
                t,
            ),
            Block::Item(t) => runs(
                Paragraph::new()
                    .indent(
                        Some(720),
                        Some(docx_rs::SpecialIndentType::Hanging(360)),
                        None,
                        None,
                    )
                    .add_run(Run::new().add_text("•\t")),
                t,
            ),
        };
        // Space between blocks, more above headings, as Word's own styles would.
        let spacing = match b {
            Block::Heading(..) => LineSpacing::new().before(240).after(120),
            Block::Item(_) => LineSpacing::new().after(60),
            _ => LineSpacing::new().after(160),
        };
        d = d.add_paragraph(p.line_spacing(spacing));
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    d.pack(&mut buf)
        .map_err(|e| anyhow::anyhow!("failed to write the Word document: {e}"))?;
    Ok(buf.into_inner())
}
