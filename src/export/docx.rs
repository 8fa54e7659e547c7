//! A real Word document: heading styles, block quotes as an indented quote style, bulleted
//! recommendations, and Word footnotes carrying the citations.

use std::io::Read;

use anyhow::Context;
use docx_rs::{Docx, Footnote, LineSpacing, Paragraph, Run, Style, StyleType};
use quick_xml::events::Event;

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
    let bytes = buf.into_inner();
    check_parts(&bytes).context(
        "the Word document would not open, so it was not written; this is a bug in heard, please report it",
    )?;
    Ok(bytes)
}

/// Whether `c` may appear in an XML 1.0 document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Check that every XML part of a Word file is well-formed: one root element, tags that
/// close in order, attributes and references that parse, and only characters XML allows
/// (written or referred to as `&#…;`).
pub(super) fn check_parts(bytes: &[u8]) -> anyhow::Result<()> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .context("the Word document is not a zip file")?;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i)?;
        let name = part.name().to_string();
        if !(name.ends_with(".xml") || name.ends_with(".rels")) {
            continue;
        }
        let mut xml = String::new();
        part.read_to_string(&mut xml)
            .with_context(|| format!("{name} is not UTF-8 text"))?;
        well_formed(&xml).with_context(|| format!("{name} is not well-formed XML"))?;
    }
    Ok(())
}

/// Why one XML document is not well-formed, if it is not.
fn well_formed(xml: &str) -> anyhow::Result<()> {
    if let Some((at, c)) = xml.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        anyhow::bail!("byte {at} is the character {c:?}, which XML does not allow");
    }
    let mut reader = quick_xml::Reader::from_str(xml);
    let decoder = reader.decoder();
    let (mut depth, mut roots) = (0usize, 0usize);
    let check_attributes = |e: &quick_xml::events::BytesStart| -> anyhow::Result<()> {
        for a in e.attributes().with_checks(true) {
            let value =
                a?.decoded_and_normalized_value(quick_xml::XmlVersion::Implicit1_0, decoder)?;
            if let Some(c) = value.chars().find(|&c| !is_xml_char(c)) {
                anyhow::bail!(
                    "an attribute refers to the character {c:?}, which XML does not allow"
                );
            }
        }
        Ok(())
    };
    loop {
        let at = reader.buffer_position();
        match reader
            .read_event()
            .with_context(|| format!("at byte {at}"))?
        {
            Event::Eof => break,
            Event::Start(e) => {
                roots += usize::from(depth == 0);
                depth += 1;
                check_attributes(&e)?;
            }
            Event::Empty(e) => {
                roots += usize::from(depth == 0);
                check_attributes(&e)?;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(t) if depth == 0 && !t.decode()?.trim().is_empty() => {
                anyhow::bail!("at byte {at}: text outside the root element")
            }
            Event::GeneralRef(r) => match r.resolve_char_ref()? {
                Some(c) if !is_xml_char(c) => {
                    anyhow::bail!(
                        "at byte {at}: a reference to the character {c:?}, which XML does not allow"
                    )
                }
                Some(_) => {}
                None => {
                    let name = r.decode()?;
                    if !matches!(&*name, "amp" | "lt" | "gt" | "apos" | "quot") {
                        anyhow::bail!("at byte {at}: the entity `&{name};` is not defined");
                    }
                }
            },
            _ => {}
        }
    }
    if depth != 0 {
        anyhow::bail!("{depth} elements are not closed");
    }
    if roots != 1 {
        anyhow::bail!("it has {roots} root elements, not one");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, text) in parts {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_part_that_is_not_well_formed_is_an_error_naming_it() {
        let good = r#"<?xml version="1.0" encoding="UTF-8"?><w:document a="x &amp; y"><w:t>Fine &#233; &lt;</w:t><br/></w:document>"#;
        assert!(
            check_parts(&zip_of(&[
                ("word/document.xml", good),
                ("media/x.png", "\x1b")
            ]))
            .is_ok()
        );
        for bad in [
            "<w:document><w:t>form\x0cfeed</w:t></w:document>",
            "<w:document><w:t>escape &#27; by reference</w:t></w:document>",
            "<w:document><w:t>unclosed</w:document>",
            "<w:document><w:t>open",
            "<w:document a=\"&#x8;\"/>",
            "<a/><b/>",
            "<a>&nbsp;</a>",
        ] {
            let err = check_parts(&zip_of(&[
                ("word/document.xml", good),
                ("word/footnotes.xml", bad),
            ]))
            .expect_err(bad);
            assert!(format!("{err:#}").contains("word/footnotes.xml"), "{err:#}");
        }
    }

    #[test]
    fn control_characters_never_reach_the_word_document() {
        let doc = super::super::blocks(&super::super::sanitize(
            "# Title\x0b here\n\nWords\x0cfrom a\x1b PDF\x08 page\x00.\n",
        ));
        let bytes = render(&doc, "Title", false).expect("a valid document");
        assert!(check_parts(&bytes).is_ok());
    }
}
