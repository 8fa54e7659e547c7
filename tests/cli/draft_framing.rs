//! Framing is not evidence: a report's introduction and its account of how the evidence
//! was gathered share the words of every question the report is about, but answer none of
//! them. A draft sets them aside and says so, except for a question that asks about method.

use serde_json::Value;

use crate::evidence::{CONSULTATION, RESPONSE, evidence};

/// A report whose introduction and method echo the call's words, and whose finding answers
/// Q3 ("What helps people in a mental health crisis?").
const REPORT: &str = "corpus/reports/2026-open-late.md";
const REPORT_TEXT: &str = "---\ntitle: \"Open late: what helps people in a mental health crisis\"\nkind: report\ndate: 2026-02-01\nsensitivity: public\n---\n\n\
# Open late\n\n\
## Introduction\n\n\
This report sets out what helps people in a mental health crisis, as people who used the crisis café told us. \
It was written with the people who use the café and its peer workers.\n\n\
## How we did this\n\n\
Between March and May 2026 we gathered evidence from 24 people who had used the crisis café in a mental health crisis, \
in interviews at the café, and from 6 of its peer workers.\n\n\
## Findings\n\n\
People said what helped most in a mental health crisis was a place open late where nobody was turned away, \
and a peer worker who stayed with them until the worst had passed.\n";

/// The lines of each part of [`REPORT_TEXT`] (1-based, as provenance gives them).
const INTRODUCTION: usize = 12;
const METHOD: usize = 16;
const FINDING: usize = 20;

/// The lines of [`REPORT`] that provenance.json cites for question `q`.
fn report_lines(prov: &Value, q: &str) -> Vec<usize> {
    prov["citations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["question"] == q && c["path"] == REPORT)
        .map(|c| c["line_start"].as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn a_reports_introduction_and_method_are_not_evidence_for_a_question_they_share_words_with() {
    let ev = evidence();
    ev.lib.write(REPORT, REPORT_TEXT);
    let lines = REPORT_TEXT.lines().collect::<Vec<_>>();
    assert!(lines[INTRODUCTION - 1].starts_with("This report sets out"));
    assert!(lines[METHOD - 1].starts_with("Between March"));
    assert!(lines[FINDING - 1].starts_with("People said"));
    let run = ev.draft();
    let prov = ev.provenance();
    let cited = report_lines(&prov, "Q3");
    assert!(
        !cited.contains(&INTRODUCTION) && !cited.contains(&METHOD),
        "Q3 cites the report's introduction or method (lines {cited:?})"
    );
    assert_eq!(cited, [FINDING], "Q3 cites the report's finding instead");
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("skipped") && l.contains("introduces or describes a report")),
        "the summary says what was set aside:\n{}",
        run.stderr
    );
}

#[test]
fn a_question_about_method_gets_the_passage_that_says_how_the_evidence_was_gathered() {
    let ev = evidence();
    ev.lib.write(REPORT, REPORT_TEXT);
    ev.lib.write(
        &format!("{RESPONSE}/consultation.toml"),
        &format!(
            "{CONSULTATION}\n[[question]]\nid = \"Q4\"\ntext = \"How did you gather evidence from people who used a crisis café?\"\n"
        ),
    );
    ev.draft();
    let prov = ev.provenance();
    assert_eq!(
        report_lines(&prov, "Q4"),
        [METHOD],
        "Q4 asks about method: the method passage answers it"
    );
    assert!(
        !report_lines(&prov, "Q3").contains(&METHOD),
        "but it is still not evidence for Q3"
    );
}
