//! `heard import` of documents: Word, PDF, web pages and text become Markdown sources with
//! their provenance (the original kept, its hash, the page of every passage), bad files are
//! reported one line each while the rest of the batch is imported, re-imports skip, update
//! or keep a person's edits, and `heard consultation new --from` reads a call in any of
//! these formats. Every fixture is made here: a Word file written with docx-rs, a web page
//! with site furniture, and a PDF written by hand.

use std::path::Path;

use serde_json::Value;

use crate::util::{TestLibrary, hits, s};

// ---------------------------------------------------------------- fixtures

/// A PDF of `pages`, each a list of `(font size, x, y, text)` in Helvetica (ASCII text).
pub fn pdf(pages: &[Vec<(f32, f32, f32, &str)>]) -> Vec<u8> {
    let mut objects: Vec<String> = Vec::new();
    let n = pages.len();
    // 1 catalog, 2 pages, 3 font, then (page, content) pairs.
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {n} >>",
        kids.join(" ")
    ));
    objects.push(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
    );
    for (i, page) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        let mut content = String::new();
        for (size, x, y, text) in page {
            let text = text
                .replace('\\', "\\\\")
                .replace('(', "\\(")
                .replace(')', "\\)");
            content.push_str(&format!("BT /F1 {size} Tf {x} {y} Td ({text}) Tj ET\n"));
        }
        if page.is_empty() {
            // A scanned page: only a picture (here, a grey box), no text.
            content.push_str("0.5 g 72 72 468 648 re f\n");
        }
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ));
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A three-page report with a running header, page numbers, a heading and a word
/// hyphenated across two lines.
fn report_pdf() -> Vec<u8> {
    let header = (
        9.0,
        72.0,
        760.0,
        "Northgate Together - Annual review of discharge",
    );
    let number = |n: &'static str| (9.0, 300.0, 30.0, n);
    pdf(&[
        vec![
            header,
            (20.0, 72.0, 690.0, "Leaving the ward"),
            (
                11.0,
                72.0,
                650.0,
                "People told us that leaving hospital without a home was fright-",
            ),
            (
                11.0,
                72.0,
                636.0,
                "ening and that nobody asked where they would sleep that night.",
            ),
            number("1"),
        ],
        vec![
            header,
            (
                11.0,
                72.0,
                650.0,
                "The housing officer said the waiting list was eleven months long.",
            ),
            number("2"),
        ],
        vec![
            header,
            (
                11.0,
                72.0,
                650.0,
                "We thank the volunteers of the Ashworth discharge panel.",
            ),
            number("3"),
        ],
    ])
}

/// A Word report with a heading, a bulleted list, a table, a footnote, two tracked
/// changes (one insertion, one deletion) and a comment.
fn report_docx() -> Vec<u8> {
    use docx_rs::*;
    let bullet = AbstractNumbering::new(1).add_level(Level::new(
        0,
        Start::new(1),
        NumberFormat::new("bullet"),
        LevelText::new("•"),
        LevelJc::new("left"),
    ));
    let note = Footnote::new()
        .add_content(Paragraph::new().add_run(Run::new().add_text("Ward audit, March 2024.")));
    let cell =
        |t: &str| TableCell::new().add_paragraph(Paragraph::new().add_run(Run::new().add_text(t)));
    let docx = Docx::new()
        .add_style(Style::new("Heading1", StyleType::Paragraph).name("Heading 1"))
        .add_abstract_numbering(bullet)
        .add_numbering(Numbering::new(1, 1))
        .add_paragraph(
            Paragraph::new()
                .style("Heading1")
                .add_run(Run::new().add_text("What the panel heard")),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(Run::new().add_text("Discharge letters arrived after people had left"))
                .add_run(Run::new().add_footnote_reference(note))
                .add_run(Run::new().add_text(".")),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(Run::new().add_text("The panel met "))
                .add_insert(
                    Insert::new(Run::new().add_text("every month "))
                        .author("Jo")
                        .date("2024-03-01T00:00:00Z"),
                )
                .add_delete(
                    Delete::new()
                        .add_run(Run::new().add_delete_text("rarely "))
                        .author("Jo")
                        .date("2024-03-01T00:00:00Z"),
                )
                .add_run(Run::new().add_text("in the hospital foyer.")),
        )
        .add_paragraph(
            Paragraph::new()
                .add_comment_start(
                    Comment::new(1)
                        .author("Jo")
                        .date("2024-03-01T00:00:00Z")
                        .add_paragraph(Paragraph::new().add_run(Run::new().add_text("check this"))),
                )
                .add_run(Run::new().add_text("Our asks follow."))
                .add_comment_end(1),
        )
        .add_paragraph(
            Paragraph::new()
                .numbering(NumberingId::new(1), IndentLevel::new(0))
                .add_run(Run::new().add_text("A named discharge coordinator on every ward")),
        )
        .add_paragraph(
            Paragraph::new()
                .numbering(NumberingId::new(1), IndentLevel::new(0))
                .add_run(Run::new().add_text("Housing advice before the day of discharge")),
        )
        .add_table(Table::new(vec![
            TableRow::new(vec![cell("Ward"), cell("Delayed discharges")]),
            TableRow::new(vec![cell("Ward 7"), cell("41")]),
        ]));
    let mut buf = Vec::new();
    docx.build()
        .pack(std::io::Cursor::new(&mut buf))
        .expect("write the Word file");
    buf
}

/// A saved blog post with the site around it: navigation, a cookie banner, related posts,
/// a sidebar and a footer, and its metadata in meta tags and JSON-LD.
const BLOG_HTML: &str = r##"<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Beds, not corridors | Northgate Together</title>
<meta property="og:title" content="Beds, not corridors">
<meta property="og:site_name" content="Northgate Together">
<meta property="article:published_time" content="2024-05-14T08:30:00+01:00">
<link rel="canonical" href="https://northgate.example/blog/beds-not-corridors">
<script type="application/ld+json">{"@type":"BlogPosting","headline":"Beds, not corridors","author":{"@type":"Person","name":"Priya Shah"}}</script>
</head><body>
<header class="site-header"><nav><a href="/">Home</a> <a href="/about">About us</a> <a href="/donate">Donate today</a></nav></header>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve this site. <button>Accept all cookies</button></div>
<main>
<article class="post">
<h1>Beds, not corridors</h1>
<p class="byline">By Priya Shah, <time datetime="2024-05-14">14 May 2024</time></p>
<p>Last winter people waited on trolleys in the corridor for up to nineteen hours.</p>
<h2>What we saw</h2>
<ul><li>Nobody was offered a blanket</li><li>Nurses apologised to every patient</li></ul>
<div class="share-buttons"><a href="#">Share on Facebook</a></div>
</article>
<section class="related-posts"><h2>Related posts</h2><article><h3>Spring newsletter roundup</h3><p>Our spring events.</p></article></section>
</main>
<aside class="sidebar"><h2>Subscribe to our newsletter</h2></aside>
<footer class="site-footer"><p>Registered charity number 1234567</p></footer>
</body></html>
"##;

fn import_json(lib: &TestLibrary, args: &[&str]) -> (Value, i32, String) {
    let mut all = vec!["import", "--json"];
    all.extend_from_slice(args);
    let run = lib.heard(&all);
    (run.json(), run.code, run.stderr.clone())
}

fn file_outcome<'a>(doc: &'a Value, ends_with: &str) -> &'a Value {
    doc["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"].as_str().unwrap_or("").ends_with(ends_with))
        .unwrap_or_else(|| panic!("no outcome for {ends_with}: {doc:#}"))
}

fn written(doc: &Value, ends_with: &str) -> String {
    file_outcome(doc, ends_with)["written"][0]
        .as_str()
        .expect("a Markdown file written")
        .to_string()
}

/// The body of a Markdown source, without its front matter.
fn body(md: &str) -> &str {
    md.splitn(3, "---\n").nth(2).unwrap_or(md)
}

// ---------------------------------------------------------------- PDF

#[test]
fn pdf_passages_know_their_page_without_running_headers_page_numbers_or_broken_words() {
    let lib = TestLibrary::new();
    lib.write_bytes("inbox/review.pdf", &report_pdf());
    let (doc, code, stderr) = import_json(&lib, &["inbox/review.pdf", "--kind", "report"]);
    assert_eq!(code, 0, "{stderr}");
    let md = lib.read(&written(&doc, "review.pdf"));
    let text = body(&md);
    assert!(
        text.contains("without a home was frightening and that nobody asked"),
        "the word broken across lines is joined:\n{md}"
    );
    assert!(
        !text.contains("Annual review of discharge"),
        "running header kept:\n{md}"
    );
    assert!(
        !text.lines().any(|l| matches!(l.trim(), "1" | "2" | "3")),
        "page numbers kept:\n{md}"
    );
    assert!(
        text.contains("# Leaving the ward"),
        "heading by its size:\n{md}"
    );

    let found = lib.search(&["eleven months"]);
    let hit = &hits(&found)[0];
    assert_eq!(hit["page"], 2, "{hit:#}");
    let found = lib.search(&["frightening"]);
    assert_eq!(hits(&found)[0]["page"], 1);
    // Sources that are not paged have no page at all.
    lib.write(
        "corpus/plain.md",
        "# Plain\n\nNothing paged about this frightening note.\n",
    );
    let found = lib.search(&["frightening", "--kind", "other"]);
    let plain = hits(&found)
        .iter()
        .find(|h| s(h, "path").ends_with("plain.md"))
        .unwrap();
    assert!(plain.get("page").is_none(), "{plain:#}");

    let human = lib.heard(&["search", "eleven months"]);
    human.assert_ok();
    assert!(human.stdout.contains("(p. 2)"), "{}", human.stdout);
}

#[test]
fn a_scanned_pdf_says_it_has_no_text_and_suggests_ocr() {
    let lib = TestLibrary::new();
    lib.write_bytes("inbox/scan.pdf", &pdf(&[vec![], vec![]]));
    lib.write("inbox/note.txt", "A note that imports fine.\n");
    let run = lib.heard(&["import", "inbox"]);
    run.assert_code(1);
    let line = run
        .stderr_lines()
        .into_iter()
        .find(|l| l.contains("scan.pdf"))
        .expect("a line about scan.pdf")
        .to_string();
    assert!(
        line.contains("no text layer") && line.contains("OCR"),
        "{line}"
    );
    assert!(
        lib.path("corpus/imported/note.md").is_file(),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_pdftotext_is_reported_with_how_to_install_it() {
    let lib = TestLibrary::new();
    lib.write_bytes("inbox/review.pdf", &report_pdf());
    lib.write("inbox/note.txt", "A note that imports fine.\n");
    let empty = tempfile::tempdir().unwrap();
    let out = lib
        .command(&["import", "inbox"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("review.pdf")
            && stderr.contains("poppler-utils")
            && stderr.contains("apt-get install"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(lib.path("corpus/imported/note.md").is_file(), "{stderr}");
}

// ---------------------------------------------------------------- Word

#[test]
fn word_headings_lists_tables_and_footnotes_survive_and_changes_and_comments_are_counted() {
    let lib = TestLibrary::new();
    let original = report_docx();
    lib.write_bytes("inbox/panel report.docx", &original);
    let (doc, code, stderr) = import_json(&lib, &["inbox/panel report.docx", "--kind", "report"]);
    assert_eq!(code, 0, "{stderr}");
    let rel = written(&doc, "panel report.docx");
    assert_eq!(rel, "corpus/imported/panel-report.md");
    let md = lib.read(&rel);
    let text = body(&md);
    assert!(text.contains("# What the panel heard"), "{md}");
    assert!(
        text.contains("- A named discharge coordinator on every ward\n- Housing advice"),
        "{md}"
    );
    assert!(text.contains("| Ward 7 | 41 |"), "{md}");
    // The footnote is a Markdown footnote, its text at the end.
    let reference = regex_find(text, r"left\[\^([^\]]+)\]").expect("a footnote reference");
    assert!(
        text.contains(&format!("[^{reference}]: Ward audit, March 2024.")),
        "{md}"
    );
    // Tracked changes as accepted; the comment is gone.
    assert!(
        text.contains("The panel met every month in the hospital foyer."),
        "{md}"
    );
    assert!(
        !text.contains("rarely") && !text.contains("check this"),
        "{md}"
    );
    let notes = file_outcome(&doc, "panel report.docx")["notes"].to_string();
    assert!(
        notes.contains("2 tracked changes taken as accepted"),
        "{notes}"
    );
    assert!(notes.contains("1 comment dropped"), "{notes}");
    // The front matter records the original, whose copy is kept byte for byte.
    assert!(md.contains("kind: report"), "{md}");
    assert!(
        md.contains("original:\n  file: \"panel report.docx\"\n  format: docx\n  blake3: "),
        "{md}"
    );
    let hash = blake3::hash(&original).to_hex().to_string();
    let copy = lib.path("corpus/originals/imported/panel report.docx");
    assert_eq!(
        blake3::hash(&std::fs::read(copy).unwrap())
            .to_hex()
            .to_string(),
        hash
    );
    assert!(md.contains(&hash), "{md}");
    // And it is an ordinary source: searchable, its list items passages.
    let found = lib.search(&["coordinator"]);
    assert_eq!(s(&hits(&found)[0], "path"), rel);
}

fn regex_find(text: &str, re: &str) -> Option<String> {
    let re = regex::Regex::new(re).unwrap();
    re.captures(text).map(|c| c[1].to_string())
}

// ---------------------------------------------------------------- web pages

#[test]
fn a_web_page_keeps_the_article_and_its_metadata_not_the_site() {
    let lib = TestLibrary::new();
    lib.write("inbox/beds.html", BLOG_HTML);
    let (doc, code, stderr) = import_json(&lib, &["inbox/beds.html", "--tag", "a-and-e"]);
    assert_eq!(code, 0, "{stderr}");
    let md = lib.read(&written(&doc, "beds.html"));
    let text = body(&md);
    for kept in [
        "nineteen hours",
        "## What we saw",
        "- Nobody was offered a blanket",
    ] {
        assert!(text.contains(kept), "{kept} is missing:\n{md}");
    }
    for dropped in [
        "About us",
        "cookies",
        "Share on Facebook",
        "Related posts",
        "Spring newsletter",
        "Subscribe",
        "Registered charity",
    ] {
        assert!(
            !text.contains(dropped),
            "{dropped} is site furniture:\n{md}"
        );
    }
    assert!(md.contains("title: \"Beds, not corridors\""), "{md}");
    assert!(
        md.contains("date: 2024-05-14\n"),
        "a web page's own date needs no check: {md}"
    );
    assert!(md.contains("organisation: \"Northgate Together\""), "{md}");
    assert!(md.contains("authors: [\"Priya Shah\"]"), "{md}");
    assert!(
        md.contains("url: \"https://northgate.example/blog/beds-not-corridors\""),
        "{md}"
    );
    assert!(md.contains("tags: [\"a-and-e\"]"), "{md}");
}

// ---------------------------------------------------------------- bad input

#[test]
fn protected_and_corrupt_files_get_one_line_each_and_the_rest_is_imported() {
    let lib = TestLibrary::new();
    // An encrypted Office file is an OLE compound file, not a zip.
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend(std::iter::repeat_n(0u8, 600));
    lib.write_bytes("inbox/locked.docx", &ole);
    lib.write_bytes("inbox/broken.docx", b"PK\x03\x04 this is not really a zip");
    lib.write_bytes("inbox/broken.pdf", b"%PDF-1.4\n1 0 obj garbage\n");
    lib.write_bytes("inbox/broken.odt", b"not an odt");
    lib.write("inbox/good.txt", "Words from a good file.\n");
    lib.write("inbox/page.html", BLOG_HTML);
    let run = lib.heard(&["import", "inbox"]);
    run.assert_code(1);
    for bad in ["locked.docx", "broken.docx", "broken.pdf", "broken.odt"] {
        let lines: Vec<&str> = run
            .stderr_lines()
            .into_iter()
            .filter(|l| l.contains(bad))
            .collect();
        assert_eq!(lines.len(), 1, "one line for {bad}:\n{}", run.stderr);
    }
    let locked = run
        .stderr_lines()
        .into_iter()
        .find(|l| l.contains("locked.docx"))
        .unwrap();
    assert!(locked.contains("password"), "{locked}");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Imported 2, updated 0, unchanged 0, kept your edits to 0, 4 problems."),
        "{}",
        run.stderr
    );
    assert!(lib.path("corpus/imported/good.md").is_file());
    assert!(lib.path("corpus/imported/page.md").is_file());
}

// ---------------------------------------------------------------- re-import

#[test]
fn importing_again_skips_unchanged_updates_changed_and_keeps_hand_edits() {
    let lib = TestLibrary::new();
    lib.write(
        "inbox/minutes.txt",
        "The panel met in March.\n\nHousing was the first item on the agenda.\n",
    );
    lib.heard(&["import", "inbox/minutes.txt", "--kind", "notes"])
        .assert_ok();
    let rel = "corpus/imported/minutes.md";
    let first = lib.read(rel);
    let quote = lib.quote_add("imported/minutes", "Housing was the first item", &[]);

    // Unchanged: skipped, file untouched.
    let (doc, code, _) = import_json(&lib, &["inbox/minutes.txt"]);
    assert_eq!(code, 0);
    assert_eq!(doc["unchanged"], 1, "{doc:#}");
    assert_eq!(lib.read(rel), first);

    // Changed: the Markdown is rewritten and the quote found again in the new text.
    lib.write(
        "inbox/minutes.txt",
        "The panel met in April, not March.\n\nHousing was the first item on the agenda.\n",
    );
    let (doc, code, stderr) = import_json(&lib, &["inbox/minutes.txt"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["updated"], 1, "{doc:#}");
    assert!(lib.read(rel).contains("April"));
    let q = lib.quote(&quote);
    assert!(
        matches!(q["anchor"].as_str(), Some("moved") | Some("ok")),
        "{q:#}"
    );

    // Edited by hand since: never overwritten; the new version goes beside it.
    let edited = lib
        .read(rel)
        .replace("not March.", "not March (checked with Jo).");
    lib.write(rel, &edited);
    lib.write(
        "inbox/minutes.txt",
        "The panel met in May.\n\nHousing was the first item on the agenda.\n",
    );
    let (doc, code, stderr) = import_json(&lib, &["inbox/minutes.txt"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["kept_edit"], 1, "{doc:#}");
    assert_eq!(lib.read(rel), edited, "a hand edit was overwritten");
    let beside = lib.read("corpus/imported/minutes.md.new");
    assert!(beside.contains("met in May"), "{beside}");
    let notes = file_outcome(&doc, "minutes.txt")["notes"].to_string();
    assert!(notes.contains("minutes.md.new"), "{notes}");
    // The new version is not a second source.
    let found = lib.search(&["met", "--type", "source"]);
    assert_eq!(hits(&found).len(), 1, "{found:#}");
}

#[test]
fn into_must_be_inside_the_corpus() {
    let lib = TestLibrary::new();
    lib.write("inbox/a.txt", "Some words.\n");
    let run = lib.heard(&["import", "inbox/a.txt", "--into", "responses"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("not inside the corpus"),
        "{}",
        run.stderr
    );
    lib.heard(&["import", "inbox/a.txt", "--into", "corpus/reports/2024"])
        .assert_ok();
    assert!(lib.path("corpus/reports/2024/a.md").is_file());
}

// ---------------------------------------------------------------- drafts cite the page

#[test]
fn drafts_and_exports_cite_the_page_of_a_pdf() {
    let lib = TestLibrary::new();
    lib.write_bytes("inbox/review.pdf", &report_pdf());
    lib.heard(&[
        "import",
        "inbox/review.pdf",
        "--kind",
        "report",
        "--sensitivity",
        "public",
    ])
    .assert_ok();
    lib.write(
        "questions.txt",
        "# Discharge call\n\n1. How long do people wait for housing when they leave hospital, and what is the waiting list?\n",
    );
    lib.heard(&["consultation", "new", "wait", "--from", "questions.txt"])
        .assert_ok();
    lib.heard(&["draft", "responses/wait"]).assert_ok();
    let prov: Value = serde_json::from_str(&lib.read("responses/wait/provenance.json")).unwrap();
    let cited = prov["citations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["text"].as_str().unwrap_or("").contains("eleven months"))
        .unwrap_or_else(|| panic!("the page-2 passage is cited: {prov:#}"))
        .clone();
    assert_eq!(cited["page"], 2, "{cited:#}");
    let response = lib.read("responses/wait/response.md");
    assert!(response.contains("(p. 2 of the original)"), "{response}");
    let out = lib.path("out.txt");
    lib.heard(&[
        "export",
        "responses/wait",
        "--to",
        "txt",
        "--force",
        "--out",
        out.to_str().unwrap(),
    ])
    .assert_ok();
    let exported = std::fs::read_to_string(out).unwrap();
    assert!(exported.contains(", p. 2."), "{exported}");
}

// ---------------------------------------------------------------- the call itself

const CALL_HTML: &str = r##"<!DOCTYPE html><html><head>
<title>Crisis care: call for evidence - GOV.UK</title>
<meta name="govuk:organisations" content="Department of Health and Social Care">
</head><body>
<header role="banner"><nav>GOV.UK navigation Menu Search</nav></header>
<div id="global-cookie-message">Cookies on GOV.UK</div>
<main id="content">
<h1>Crisis care: call for evidence</h1>
<p>Published by the Department of Health and Social Care.</p>
<p>This consultation closes at 11:59pm on 12 March 2027.</p>
<h2>Chapter 1: Getting help</h2>
<h3>Questions</h3>
<ol>
<li>What works well in crisis care today? Please answer in no more than 250 words.</li>
<li>Which of these have you used?</li>
</ol>
<ul><li>NHS 111</li><li>A crisis line</li><li>None of these</li></ul>
<h2>Chapter 2: Services</h2>
<p>Question 3: How should services work with <em>people who use drugs</em>? (max 300 words)</p>
</main>
<footer>Help Privacy Cookies Contact</footer>
</body></html>"##;

fn call_toml(lib: &TestLibrary, slug: &str) -> toml::Table {
    toml::from_str(&lib.read(&format!("responses/{slug}/consultation.toml"))).unwrap()
}

fn check_call(c: &toml::Table) {
    let qs = c["question"].as_array().unwrap();
    let q = |i: usize, f: &str| qs[i].get(f).cloned();
    assert_eq!(
        c["title"].as_str(),
        Some("Crisis care: call for evidence"),
        "{c:#?}"
    );
    assert_eq!(c["deadline"].as_str(), Some("2027-03-12"), "{c:#?}");
    assert_eq!(qs.len(), 3, "{c:#?}");
    assert_eq!(
        q(0, "text").unwrap().as_str(),
        Some("What works well in crisis care today?"),
        "{c:#?}"
    );
    assert_eq!(q(0, "word_limit").unwrap().as_integer(), Some(250));
    assert_eq!(
        q(0, "chapter").unwrap().as_str(),
        Some("Chapter 1: Getting help")
    );
    let options: Vec<String> = q(1, "options")
        .expect("options of the choice question")
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap().to_string())
        .collect();
    assert_eq!(options, ["NHS 111", "A crisis line", "None of these"]);
    assert_eq!(
        q(2, "text").unwrap().as_str(),
        Some("How should services work with people who use drugs?"),
        "no Markdown markers: {c:#?}"
    );
    assert_eq!(q(2, "word_limit").unwrap().as_integer(), Some(300));
    assert_eq!(
        q(2, "chapter").unwrap().as_str(),
        Some("Chapter 2: Services")
    );
}

#[test]
fn a_call_for_evidence_is_read_from_a_govuk_page() {
    let lib = TestLibrary::new();
    lib.write("call.html", CALL_HTML);
    let run = lib.heard(&["consultation", "new", "crisis", "--from", "call.html"]);
    run.assert_ok();
    let c = call_toml(&lib, "crisis");
    check_call(&c);
    assert_eq!(
        c["body"].as_str(),
        Some("Department of Health and Social Care")
    );
}

#[test]
fn a_call_for_evidence_is_read_from_a_word_file_and_a_pdf() {
    use docx_rs::*;
    let lib = TestLibrary::new();
    let p = |t: &str| Paragraph::new().add_run(Run::new().add_text(t));
    let h = |t: &str, s: &str| Paragraph::new().style(s).add_run(Run::new().add_text(t));
    let docx = Docx::new()
        .add_style(Style::new("Title", StyleType::Paragraph).name("Title"))
        .add_style(Style::new("Heading1", StyleType::Paragraph).name("Heading 1"))
        .add_paragraph(h("Crisis care: call for evidence", "Title"))
        .add_paragraph(p("This consultation closes at 11:59pm on 12 March 2027."))
        .add_paragraph(h("Chapter 1: Getting help", "Heading1"))
        .add_paragraph(p(
            "1. What works well in crisis care today? Please answer in no more than 250 words.",
        ))
        .add_paragraph(p("2. Which of these have you used?"))
        .add_paragraph(p("• NHS 111"))
        .add_paragraph(p("• A crisis line"))
        .add_paragraph(p("• None of these"))
        .add_paragraph(h("Chapter 2: Services", "Heading1"))
        .add_paragraph(p(
            "Question 3: How should services work with people who use drugs? (max 300 words)",
        ));
    let mut buf = Vec::new();
    docx.build().pack(std::io::Cursor::new(&mut buf)).unwrap();
    lib.write_bytes("call.docx", &buf);
    lib.heard(&["consultation", "new", "crisis-docx", "--from", "call.docx"])
        .assert_ok();
    check_call(&call_toml(&lib, "crisis-docx"));

    let line = |y: f32, t: &'static str| (11.0, 72.0, y, t);
    let bytes = pdf(&[vec![
        (20.0, 72.0, 720.0, "Crisis care: call for evidence"),
        line(
            680.0,
            "This consultation closes at 11:59pm on 12 March 2027.",
        ),
        (16.0, 72.0, 640.0, "Chapter 1: Getting help"),
        line(
            600.0,
            "1. What works well in crisis care today? Please answer in no more",
        ),
        line(586.0, "than 250 words."),
        line(560.0, "2. Which of these have you used?"),
        line(540.0, "- NHS 111"),
        line(520.0, "- A crisis line"),
        line(500.0, "- None of these"),
        (16.0, 72.0, 460.0, "Chapter 2: Services"),
        line(
            420.0,
            "Question 3: How should services work with people who use drugs?",
        ),
        line(406.0, "(max 300 words)"),
    ]]);
    lib.write_bytes("call.pdf", &bytes);
    let run = lib.heard(&["consultation", "new", "crisis-pdf", "--from", "call.pdf"]);
    run.assert_ok();
    check_call(&call_toml(&lib, "crisis-pdf"));
}

#[test]
fn a_call_in_a_format_heard_cannot_read_is_a_clear_error() {
    let lib = TestLibrary::new();
    lib.write_bytes("call.docx", b"not a word file");
    let run = lib.heard(&["consultation", "new", "x", "--from", "call.docx"]);
    run.assert_code(2);
    assert!(run.stderr.contains("call.docx"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!Path::new(&lib.path("responses/x/consultation.toml")).exists());
}

// ---------------------------------------------------------------- OpenDocument

/// An OpenDocument text with a heading, a list, a note, a comment and a tracked deletion.
fn minutes_odt() -> Vec<u8> {
    use std::io::Write;
    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3">
<office:body><office:text>
<text:tracked-changes><text:changed-region text:id="ct1"><text:deletion><text:p>words taken out</text:p></text:deletion></text:changed-region></text:tracked-changes>
<text:h text:outline-level="2">Minutes of the March panel</text:h>
<text:p>The panel<text:change text:change-id="ct1"/> agreed two asks<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>Agreed by all seven members.</text:p></text:note-body></text:note>.<office:annotation><dc:creator>Jo</dc:creator><text:p>tidy this</text:p></office:annotation></text:p>
<text:list><text:list-item><text:p>Discharge letters on the day</text:p></text:list-item><text:list-item><text:p>A housing adviser on the ward</text:p></text:list-item></text:list>
</office:text></office:body></office:document-content>"#;
    let meta = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"><office:meta><dc:title>March panel minutes</dc:title><meta:creation-date>2024-03-18T10:00:00</meta:creation-date></office:meta></office:document-meta>"#;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default();
    for (name, text) in [
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("content.xml", content),
        ("meta.xml", meta),
    ] {
        zip.start_file(name, opts).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    buf.into_inner()
}

#[test]
fn opendocument_text_keeps_headings_lists_and_notes() {
    let lib = TestLibrary::new();
    lib.write_bytes("inbox/minutes.odt", &minutes_odt());
    let (doc, code, stderr) = import_json(&lib, &["inbox/minutes.odt", "--kind", "notes"]);
    assert_eq!(code, 0, "{stderr}");
    let md = lib.read(&written(&doc, "minutes.odt"));
    let text = body(&md);
    assert!(text.contains("## Minutes of the March panel"), "{md}");
    assert!(text.contains("The panel agreed two asks[^1]."), "{md}");
    assert!(text.contains("[^1]: Agreed by all seven members."), "{md}");
    assert!(
        text.contains("- Discharge letters on the day\n- A housing adviser on the ward"),
        "{md}"
    );
    assert!(
        !text.contains("words taken out") && !text.contains("tidy this"),
        "{md}"
    );
    assert!(
        md.contains("title: \"March panel minutes\"") && md.contains("date: 2024-03-18"),
        "{md}"
    );
    let notes = file_outcome(&doc, "minutes.odt")["notes"].to_string();
    assert!(
        notes.contains("1 tracked change taken as accepted"),
        "{notes}"
    );
    assert!(notes.contains("1 comment dropped"), "{notes}");
}

#[test]
fn importing_the_library_folder_never_takes_its_own_files() {
    let lib = TestLibrary::new();
    lib.write("corpus/notes/own.md", "# Own\n\nAlready a source.\n");
    lib.write("inbox/new.txt", "A new note.\n");
    let run = lib.heard(&["import", lib.root().to_str().unwrap()]);
    run.assert_ok();
    assert!(
        lib.path("corpus/imported/new.md").is_file(),
        "{}",
        run.stderr
    );
    assert!(
        !lib.path("corpus/imported/own.md").exists(),
        "{}",
        run.stderr
    );
    // Again: the imported Markdown is not imported a second time.
    let run = lib.heard(&["import", lib.root().to_str().unwrap()]);
    run.assert_ok();
    assert!(
        run.stderr.contains("Imported 0, updated 0, unchanged 1"),
        "{}",
        run.stderr
    );
    let missing = lib.heard(&["import", "no-such-file"]);
    missing.assert_code(1);
    assert!(
        missing.stderr.contains("no-such-file: not found"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_page_whose_story_is_not_an_article_is_not_replaced_by_a_teaser() {
    let lib = TestLibrary::new();
    lib.write(
        "inbox/story.html",
        "<html><head><title>Night shelter | Ashworth</title></head><body><main><h1>Night shelter</h1>\
         <p>The night shelter opened in January with twelve beds and a kitchen run by volunteers.</p>\
         <p>Guests stayed for an average of nine nights before moving on.</p>\
         <div class=\"more\"><article><h3>Other news</h3><p>Quiz night.</p></article></div></main></body></html>",
    );
    let (doc, code, stderr) = import_json(&lib, &["inbox/story.html"]);
    assert_eq!(code, 0, "{stderr}");
    let md = lib.read(&written(&doc, "story.html"));
    assert!(
        md.contains("twelve beds") && md.contains("nine nights"),
        "{md}"
    );
    assert!(md.contains("title: \"Night shelter\""), "{md}");
}

#[test]
fn a_date_from_the_files_metadata_is_marked_for_checking_and_a_web_pages_is_not() {
    let lib = TestLibrary::new();
    lib.write_bytes("inbox/minutes.odt", &minutes_odt());
    let (doc, code, stderr) = import_json(&lib, &["inbox/minutes.odt", "--kind", "notes"]);
    assert_eq!(code, 0, "{stderr}");
    let rel = written(&doc, "minutes.odt");
    let md = lib.read(&rel);
    assert!(
        md.contains("date: 2024-03-18  # when the file was created"),
        "the date should say where it came from: {md}"
    );
    let notes = file_outcome(&doc, "minutes.odt")["notes"].to_string();
    assert!(
        notes.contains("date 2024-03-18 is when the file was created") && notes.contains(&rel),
        "{notes}"
    );
    // The marked date is still the source's date.
    let out = lib.heard(&["search", "housing adviser", "--json"]);
    out.assert_ok();
    assert!(out.stdout.contains("2024-03-18"), "{}", out.stdout);
}

/// Paragraphs of a fictional report, different for each `topic`.
fn report_paragraphs(topic: &str) -> Vec<String> {
    (1..=12)
        .map(|i| {
            format!(
                "Finding {i} on {topic}: people we spoke to in round {i} described waiting weeks for a \
                 reply, being passed between services, and losing a room when a letter went to the \
                 wrong address number {i}."
            )
        })
        .collect()
}

#[test]
fn the_same_document_from_another_file_is_not_imported_twice_unless_asked() {
    let lib = TestLibrary::new();
    let paras = report_paragraphs("discharge from hospital");
    lib.write("inbox/a-report.txt", &paras.join("\n\n"));
    let html: String = paras.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    lib.write(
        "inbox/b-report.html",
        &format!("<html><head><title>The report</title></head><body><article><h1>The report</h1>\n{html}</article></body></html>"),
    );
    lib.write(
        "inbox/c-other.txt",
        &report_paragraphs("benefit sanctions").join("\n\n"),
    );
    let (doc, code, stderr) = import_json(&lib, &["inbox"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["imported"], 2, "{doc:#}");
    assert_eq!(doc["duplicates"], 1, "{doc:#}");
    let dup = file_outcome(&doc, "b-report.html");
    assert_eq!(dup["status"], "duplicate", "{doc:#}");
    assert!(dup["written"].as_array().unwrap().is_empty());
    let note = dup["notes"].to_string();
    assert!(
        note.contains("has the same text as `corpus/imported/a-report.md` (from a-report.txt)")
            && note.contains("--allow-duplicate"),
        "{note}"
    );
    // Nothing of the duplicate reached the corpus, its originals or the index.
    assert!(!lib.path("corpus/imported/b-report.md").exists());
    assert!(!lib.path("corpus/originals/imported/b-report.html").exists());
    let hits = lib.heard(&["search", "wrong address", "--json"]);
    hits.assert_ok();
    assert!(!hits.stdout.contains("b-report"), "{}", hits.stdout);

    // The summary says so in words, and the user can insist.
    let run = lib.heard(&["import", "inbox/b-report.html"]);
    run.assert_ok();
    assert!(
        run.stderr
            .contains("1 document was already in the library from another file"),
        "{}",
        run.stderr
    );
    let (doc, code, stderr) = import_json(&lib, &["inbox/b-report.html", "--allow-duplicate"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["imported"], 1, "{doc:#}");
    assert!(lib.path("corpus/imported/b-report.md").exists());
}
