//! Evidence that fits the question, or an honest gap: an off-topic question is flagged
//! rather than padded, a question about the respondent gets its options and no evidence,
//! and another organisation's material is never presented as ours.

use serde_json::Value;

use crate::evidence::{CONSULTATION, RESPONSE, evidence};

/// Citations of provenance.json for one question.
fn cited(prov: &Value, q: &str) -> usize {
    prov["citations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["question"] == q)
        .count()
}

#[test]
fn a_question_the_library_cannot_answer_is_flagged_not_padded() {
    let ev = evidence();
    let call = format!(
        "{CONSULTATION}\n[[question]]\nid = \"Q4\"\ntext = \"How should Access to Work fund adaptations for small employers taking on disabled apprentices?\"\n"
    );
    ev.lib
        .write(&format!("{RESPONSE}/consultation.toml"), &call);
    let run = ev.draft();
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("Q4") && l.contains("no strong evidence")),
        "{}",
        run.stderr
    );
    let prov = ev.provenance();
    assert_eq!(cited(&prov, "Q4"), 0, "nothing padded into Q4");
    assert!(
        cited(&prov, "Q1") > 0,
        "the answerable questions keep their evidence"
    );
    assert!(
        ev.response()
            .contains("no strong evidence in the library for this question")
    );
}

#[test]
fn a_question_about_the_respondent_gets_its_options_and_no_evidence() {
    let ev = evidence();
    let call = format!(
        "{CONSULTATION}\n[[question]]\nid = \"Q4\"\ntext = \"Which of the following best describes how you are responding to this call for evidence about hospital discharge and crisis care?\"\noptions = [\"As an individual\", \"On behalf of an organisation\"]\n"
    );
    ev.lib
        .write(&format!("{RESPONSE}/consultation.toml"), &call);
    let run = ev.draft();
    assert!(
        run.stderr.contains("about who is responding"),
        "{}",
        run.stderr
    );
    assert_eq!(cited(&ev.provenance(), "Q4"), 0);
    let md = ev.response();
    assert!(md.contains("- On behalf of an organisation"), "{md}");
    let check = ev.check();
    assert!(
        check
            .stdout
            .contains("who is responding is still the placeholder"),
        "{}",
        check.stdout
    );
}

#[test]
fn another_organisations_report_is_introduced_as_theirs_never_as_ours() {
    let ev = evidence();
    // Our organisation is not the one that wrote the fixture's report and submission.
    let toml = ev.lib.read("heard.toml");
    let toml = if toml.contains("organisation =") {
        toml.lines()
            .map(|l| {
                if l.trim_start().starts_with("organisation =") {
                    "organisation = \"Northgate Together\"".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    } else {
        format!("organisation = \"Northgate Together\"\n{toml}")
    };
    ev.lib.write("heard.toml", &toml);
    ev.draft();
    let md = ev.response();
    assert!(
        md.contains("Harbourside Trust’s report “Discharged to nowhere” (2024) found:"),
        "{md}"
    );
    assert!(!md.contains("Our report"), "{md}");
    assert!(!md.contains("In our response"), "{md}");
    if md.contains("[^r-") {
        assert!(md.contains("Others have called for this too:"), "{md}");
        assert!(!md.contains("We have recommended before"), "{md}");
    }
}
