//! `heard export`: the version to send (no paths, line numbers, quote ids or consent
//! records; people credited as they chose) and the team's internal copy, as plain text,
//! a standalone HTML page, or a Word document.

use std::process::Command;

use regex::Regex;

use crate::evidence::{Evidence, RESPONSE, evidence, quote_refs};

/// An evidence library with an answered draft that passes `check`.
fn ready() -> Evidence {
    let ev = evidence();
    ev.answered_draft();
    ev.check().assert_ok();
    ev
}

/// `heard export RESPONSE --to FORMAT [EXTRA...]`, which must exit 0.
#[track_caller]
fn export(ev: &Evidence, format: &str, extra: &[&str]) {
    let mut args = vec!["export", RESPONSE, "--to", format];
    args.extend_from_slice(extra);
    ev.lib.heard(&args).assert_ok();
}

/// The plain text of a Word file, by pandoc; `None` (with a note) without pandoc.
fn docx_text(path: &std::path::Path) -> Option<String> {
    match Command::new("pandoc")
        .args(["-f", "docx", "-t", "plain", "--wrap=none"])
        .arg(path)
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "pandoc cannot read {}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(_) => {
            eprintln!("note: pandoc is not on PATH; the Word file's text is not checked");
            None
        }
    }
}

/// Everything that must never be in the version sent outside.
#[track_caller]
fn no_internal_details(what: &str, text: &str) {
    let quote_id = Regex::new(r"\bq-[0-9a-f]{8}\b").unwrap();
    let lines = Regex::new(r"(?i)\blines? \d+").unwrap();
    for (name, found) in [
        ("a corpus path", text.contains("corpus/")),
        ("a source file", text.contains(".md")),
        ("a line number", lines.is_match(text)),
        ("a quote id", quote_id.is_match(text)),
        ("a consent record", text.contains("consent:")),
        (
            "a contributor id",
            text.contains("c-ash") || text.contains("c-cy"),
        ),
        (
            "a withheld name",
            text.contains("Ashleigh") || text.contains("Cyrus"),
        ),
        (
            "contact details",
            text.contains("ashleigh.k@example.org") || text.contains("Quayside hostel"),
        ),
        (
            "a heard comment",
            text.contains("<!--") || text.contains("heard:"),
        ),
    ] {
        assert!(!found, "{what} contains {name}:\n{text}");
    }
}

/// The credits a reader sees: as each speaker chose.
#[track_caller]
fn credits_as_chosen(what: &str, text: &str) {
    for credit in ["Peer researcher", "Bo", "A person with lived experience"] {
        assert!(text.contains(credit), "{what} lacks the credit `{credit}`");
    }
}

#[test]
fn a_draft_that_fails_check_is_not_exported_unless_forced() {
    let ev = evidence();
    ev.draft();
    let run = ev.lib.heard(&["export", RESPONSE, "--to", "txt"]);
    run.assert_code(1);
    assert!(run.stderr.contains("placeholder"), "{}", run.stderr);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert!(!ev.lib.path(&format!("{RESPONSE}/response.txt")).exists());
    export(&ev, "txt", &["--force"]);
    assert!(ev.lib.path(&format!("{RESPONSE}/response.txt")).is_file());

    // A quote withdrawn after drafting stops the export too.
    let ev = ready();
    let id = ev.id("bo-morning");
    ev.lib
        .heard(&["quote", "withdraw", id, "--by", "c-bo"])
        .assert_ok();
    let run = ev.lib.heard(&["export", RESPONSE, "--to", "html"]);
    run.assert_code(1);
    assert!(run.stderr.contains(id), "{}", run.stderr);
    assert!(!ev.lib.path(&format!("{RESPONSE}/response.html")).exists());
}

#[test]
fn plain_text_has_word_counts_and_numbered_sources_per_question() {
    let ev = ready();
    export(&ev, "txt", &[]);
    let txt = ev.response_file("response.txt");
    no_internal_details("response.txt", &txt);
    credits_as_chosen("response.txt", &txt);
    let words = Regex::new(r"\((\d+) words\)").unwrap();
    for heading in [
        "Q1. What happens when people leave hospital with nowhere to live?",
        "Q2. How can services support people facing multiple disadvantage?",
        "Q3. What helps people in a mental health crisis?",
    ] {
        let at = txt
            .find(heading)
            .unwrap_or_else(|| panic!("no `{heading}`:\n{txt}"));
        let answer = &txt[at..];
        let rest = &answer[heading.len()..];
        let next = [rest.find("\nQ"), rest.find("\nHow this response")]
            .into_iter()
            .flatten()
            .min()
            .map_or(answer.len(), |i| i + heading.len());
        let answer = &answer[..next];
        assert!(words.is_match(answer), "no word count:\n{answer}");
        assert!(answer.contains("Sources:\n[1] "), "no sources:\n{answer}");
        assert!(answer.contains(" [1]"), "no numbered reference:\n{answer}");
    }
    // Q1's count respects its limit of 150.
    let q1 = &txt[txt.find("Q1. ").unwrap()..txt.find("Q2. ").unwrap()];
    let n: usize = words.captures(q1).unwrap()[1].parse().unwrap();
    assert!(n > 20 && n <= 150, "{n}");
    // Plain text: no Markdown left.
    for md in ["[^", "**", "\n> ", "\\<"] {
        assert!(!txt.contains(md), "`{md}` in response.txt:\n{txt}");
    }
    // The report is cited with its public address.
    assert!(txt.contains("https://example.org/harbourside/discharged-to-nowhere"));
}

#[test]
fn html_is_a_standalone_accessible_page_and_testimony_is_escaped() {
    let ev = ready();
    // An officer also pastes raw HTML into the draft.
    let text = ev.response().replacen(
        "We agree: this has to change.",
        "We agree: this has to change. <img src=x onerror=alert(2)>",
        1,
    );
    ev.write_response(&text);
    export(&ev, "html", &["--force"]);
    let html = ev.response_file("response.html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<html lang=\"en-GB\">"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(
        html.contains(
            "<title>Response to Leaving hospital without a home: call for evidence (fictional)</title>"
        ),
        "{html}"
    );
    assert!(html.contains("<blockquote>"), "{html}");
    assert!(html.contains("<h2"), "{html}");
    assert!(html.trim_end().ends_with("</html>"));
    // The testimony's <script> is shown as text, never run.
    assert!(
        quote_refs(&text).contains(&ev.id("cy-script").to_string()),
        "the test needs the quote with <script> in the draft"
    );
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "{html}");
    assert!(!lower.contains("<img"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("&lt;img"), "{html}");
    credits_as_chosen("response.html", &html);
}

#[test]
fn the_word_document_is_real_and_has_headings_quotes_and_footnotes() {
    let ev = ready();
    export(&ev, "docx", &[]);
    let path = ev.lib.path(&format!("{RESPONSE}/response.docx"));
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"), "not a zip file");
    let Some(text) = docx_text(&path) else {
        return;
    };
    for expected in [
        "Response to Leaving hospital without a home",
        "Q1. What happens when people leave hospital with nowhere to live?",
        "Q3. What helps people in a mental health crisis?",
        "How this response was produced",
        "the morning was the problem",
        "— Bo",
        // Footnote text: the public citation of the report.
        "“Discharged to nowhere”, Harbourside Trust, 2024.",
        "in testimony shared with Harbourside Trust",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` not in the docx:\n{text}"
        );
    }
    no_internal_details("response.docx", &text);
    credits_as_chosen("response.docx", &text);
    // Headings are Word headings, not bold paragraphs.
    let md = Command::new("pandoc")
        .args(["-f", "docx", "-t", "markdown"])
        .arg(&path)
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.lines().any(|l| l.starts_with('#') && l.contains("Q2.")),
        "{md}"
    );
}

#[test]
fn the_html_submission_version_has_no_internal_details() {
    let ev = ready();
    export(&ev, "html", &[]);
    let html = ev.response_file("response.html");
    no_internal_details("response.html", &html);
    assert!(!Regex::new(r"-L\d+\b").unwrap().is_match(&html), "{html}");
}

#[test]
fn the_internal_copy_keeps_paths_lines_ids_and_consent() {
    let ev = ready();
    let md = ev.response();
    let id = quote_refs(&md)[0].clone();
    export(&ev, "txt", &["--internal"]);
    let txt = ev.response_file("response-internal.txt");
    assert!(txt.starts_with("INTERNAL COPY"), "{txt}");
    for expected in ["corpus/testimonies/", "consent: ", "line", id.as_str()] {
        assert!(txt.contains(expected), "`{expected}` not in:\n{txt}");
    }
    export(&ev, "html", &["--internal"]);
    let html = ev.response_file("response-internal.html");
    assert!(html.contains("Internal copy"));
    assert!(html.contains("corpus/testimonies/") && html.contains("consent: "));
    // Contacts never leave the library, even in the team's copy.
    for text in [&txt, &html] {
        assert!(!text.contains("ashleigh.k@example.org"));
        assert!(!text.contains("Quayside hostel key worker"));
        assert!(!text.contains("Kelmouth Thursday drop-in"));
    }
    // The submission copy is a different file and stays clean.
    export(&ev, "txt", &[]);
    no_internal_details("response.txt", &ev.response_file("response.txt"));
}

#[test]
fn out_chooses_where_the_export_goes() {
    let ev = ready();
    let out = ev.lib.path("exports/for-the-department.txt");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    export(&ev, "txt", &["--out", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("Q1. What happens"));
    assert!(!ev.lib.path(&format!("{RESPONSE}/response.txt")).exists());
}

#[test]
fn a_deleted_footnote_definition_never_leaks_a_quote_id_into_the_submission() {
    let ev = ready();
    let md = ev.response();
    let id = quote_refs(&md)[0].clone();
    let edited: String = md
        .lines()
        .filter(|l| !l.starts_with(&format!("[^{id}]:")))
        .map(|l| format!("{l}\n"))
        .collect();
    ev.write_response(&edited);
    let run = ev.lib.heard(&["export", RESPONSE, "--to", "txt"]);
    let out = ev.lib.path(&format!("{RESPONSE}/response.txt"));
    if out.exists() {
        let txt = std::fs::read_to_string(&out).unwrap();
        assert!(!txt.contains(&id), "`{id}` in the submission:\n{txt}");
    }
    run.assert_code(1);
}
