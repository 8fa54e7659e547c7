//! Passages: every hit points at the exact Markdown lines it came from.

use crate::util::{TestLibrary, hits, n, s};

/// A report whose line 1 is the `---` of its front matter; the hard-wrapped paragraph is
/// on lines 12–14, the list items on 16, 17–18 and 19, the quote on 21–22.
const REPORT: &str = "\
---
title: Discharge audit
date: 2024-04-30
tags: [hospital-discharge]
---
# Discharge audit

## Summary

We looked at every discharge of a homeless patient in one quarter.

Nine of the twenty-three patients
were discharged to the street on a
Friday afternoon, with no follow-up booked.

- Medication was handed over in a carrier bag.
- Two patients were discharged without
  their coats, in January.
- One was given a taxi voucher.

> I asked where I was meant to go and the nurse said
> that was not her department.

Closing paragraph about the pharmacy.
";

fn lib() -> TestLibrary {
    let lib = TestLibrary::new();
    lib.write("corpus/reports/audit.md", REPORT);
    lib
}

/// The only hit for `query`, with its lines.
#[track_caller]
fn lines_of(lib: &TestLibrary, query: &str) -> (u64, u64, String) {
    let doc = lib.search(&[query, "--type", "passage"]);
    let h = hits(&doc);
    assert_eq!(h.len(), 1, "one passage for `{query}`: {doc:#}");
    assert_eq!(s(&h[0], "path"), "corpus/reports/audit.md");
    (
        n(&h[0], "line_start"),
        n(&h[0], "line_end"),
        s(&h[0], "text").to_string(),
    )
}

/// Lines `a..=b` of the file, 1-based.
fn file_lines(a: u64, b: u64) -> String {
    REPORT
        .lines()
        .skip(a as usize - 1)
        .take((b - a + 1) as usize)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_one_line_paragraph_points_at_its_line_counting_the_front_matter() {
    let lib = lib();
    let (a, b, _) = lines_of(&lib, "quarter");
    assert_eq!((a, b), (10, 10));
    assert!(file_lines(a, b).contains("one quarter"));
}

#[test]
fn a_hard_wrapped_paragraph_reports_its_first_and_last_line() {
    let lib = lib();
    let (a, b, text) = lines_of(&lib, "twenty-three");
    assert_eq!((a, b), (12, 14));
    assert!(file_lines(12, 12).starts_with("Nine of the"));
    assert!(file_lines(14, 14).starts_with("Friday afternoon"));
    // The passage text is the whole paragraph, without its line breaks.
    assert_eq!(
        text,
        "Nine of the twenty-three patients were discharged to the street on a Friday afternoon, with no follow-up booked."
    );
    // A word on the last line finds the same passage.
    assert_eq!(lines_of(&lib, "follow-up").0, 12);
}

#[test]
fn list_items_are_passages_of_their_own_lines() {
    let lib = lib();
    let (a, b, _) = lines_of(&lib, "carrier");
    assert_eq!((a, b), (16, 16));
    let (a, b, text) = lines_of(&lib, "coats");
    assert_eq!((a, b), (17, 18));
    assert_eq!(
        text,
        "Two patients were discharged without their coats, in January."
    );
    let (a, b, _) = lines_of(&lib, "taxi");
    assert_eq!((a, b), (19, 19));
}

#[test]
fn a_block_quote_points_at_its_lines() {
    let lib = lib();
    let (a, b, _) = lines_of(&lib, "department");
    assert_eq!((a, b), (21, 22));
}

#[test]
fn the_last_paragraph_points_at_its_line() {
    let lib = lib();
    let (a, b, _) = lines_of(&lib, "pharmacy");
    assert_eq!((a, b), (24, 24));
    assert!(file_lines(a, b).starts_with("Closing paragraph"));
}

#[test]
fn lines_are_right_in_a_file_without_front_matter() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/notes/n.md",
        "# Notes\n\nFirst paragraph.\n\nA paragraph that\nwraps about the minibus.\n",
    );
    let doc = lib.search(&["minibus"]);
    let h = &hits(&doc)[0];
    assert_eq!((n(h, "line_start"), n(h, "line_end")), (5, 6));
}

#[test]
fn lines_are_right_with_toml_front_matter_and_windows_line_endings() {
    let lib = TestLibrary::new();
    let text = "+++\r\ntitle = \"Notes\"\r\n+++\r\n\r\nFirst paragraph.\r\n\r\nA paragraph that\r\nwraps about the minibus.\r\n";
    lib.write("corpus/notes/n.md", text);
    let doc = lib.search(&["minibus"]);
    let h = &hits(&doc)[0];
    assert_eq!((n(h, "line_start"), n(h, "line_end")), (7, 8));
}

#[test]
fn the_same_lines_are_reported_in_the_human_output() {
    let lib = lib();
    let run = lib.heard(&["search", "twenty-three"]);
    run.assert_ok();
    assert!(
        run.stdout.contains("corpus/reports/audit.md:12-14"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains('\u{1b}'),
        "NO_COLOR output has no escapes"
    );
}
