//! `heard export` never writes a file a reader cannot open: text pasted from PDFs carries
//! control characters (form feed, vertical tab, escape, backspace) that are not allowed in
//! XML, and a Word document with one of them in `word/document.xml` will not open.

use std::io::Read;

use quick_xml::events::Event;

use crate::evidence::{PLACEHOLDER, RESPONSE, evidence};

/// The report and the submission whose passage and recommendation the draft cites.
const REPORT: &str = "corpus/reports/2024-discharge-audit.md";
const SUBMISSION: &str = "corpus/submissions/2023-crisis-submission.md";

/// Whether `c` may appear in an XML 1.0 document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The text of one XML part, or why it is not well-formed XML.
fn xml_text(name: &str, xml: &str) -> Result<String, String> {
    if let Some(c) = xml.chars().find(|&c| !is_xml_char(c)) {
        return Err(format!("{name} contains the character {c:?}"));
    }
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut depth = 0usize;
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Err(e) => return Err(format!("{name}: {e}")),
            Ok(Event::Eof) => break,
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Text(t)) => text.push_str(&t.decode().map_err(|e| e.to_string())?),
            Ok(Event::GeneralRef(r)) => match r.resolve_char_ref() {
                Ok(Some(c)) if is_xml_char(c) => text.push(c),
                Ok(Some(c)) => return Err(format!("{name} refers to the character {c:?}")),
                Ok(None) => {}
                Err(e) => return Err(format!("{name}: {e}")),
            },
            Ok(_) => {}
        }
    }
    if depth != 0 {
        return Err(format!("{name} has {depth} unclosed elements"));
    }
    Ok(text)
}

/// The text of `word/document.xml` (and every other part checked to be well-formed).
fn docx_document_text(path: &std::path::Path) -> String {
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).expect("the .docx is a zip file");
    let mut document = None;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        let name = part.name().to_string();
        if !(name.ends_with(".xml") || name.ends_with(".rels")) {
            continue;
        }
        let mut xml = String::new();
        part.read_to_string(&mut xml).unwrap();
        let text = xml_text(&name, &xml).unwrap_or_else(|e| panic!("not well-formed: {e}"));
        if name == "word/document.xml" {
            document = Some(text);
        }
    }
    document.expect("the .docx has a word/document.xml")
}

#[test]
fn control_characters_pasted_from_a_pdf_never_make_an_export_that_will_not_open() {
    let ev = evidence();
    // A passage and a recommendation the draft cites, as pasted from a PDF.
    let report = ev.lib.read(REPORT).replace(
        "Twenty-nine of them were discharged without",
        "Twenty-nine\x0cof them\x0bwere\x1b discharged\x08 without",
    );
    ev.lib.write(REPORT, &report);
    let submission = ev
        .lib
        .read(SUBMISSION)
        .replace("A crisis service in", "A crisis\x1b service\x0cin");
    ev.lib.write(SUBMISSION, &submission);
    ev.draft();
    let draft = ev.response();
    assert!(
        draft.contains('\x1b'),
        "the test needs the control characters in the draft:\n{draft}"
    );
    // And our position, typed with a stray escape and form feed.
    ev.write_response(&draft.replace(PLACEHOLDER, "We agree:\x1b this\x0chas to change."));
    ev.check().assert_ok();

    for format in ["docx", "html", "txt"] {
        ev.lib
            .heard(&["export", RESPONSE, "--to", format])
            .assert_ok();
    }
    let docx = docx_document_text(&ev.lib.path(&format!("{RESPONSE}/response.docx")));
    let html = ev.response_file("response.html");
    let txt = ev.response_file("response.txt");
    for (what, text) in [
        ("response.docx", &docx),
        ("response.html", &html),
        ("response.txt", &txt),
    ] {
        for words in [
            "Twenty-nine of them were discharged without",
            "A crisis service in Kelmouth",
            "We agree: this has to change.",
        ] {
            assert!(text.contains(words), "`{words}` not in {what}:\n{text}");
        }
        assert!(
            !text.contains(|c: char| c.is_control() && c != '\n' && c != '\t'),
            "{what} has control characters:\n{text:?}"
        );
    }
}
