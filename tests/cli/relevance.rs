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
    ours_is_northgate(&ev);
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

/// The library's organisation is Northgate Together.
fn ours_is_northgate(ev: &crate::evidence::Evidence) {
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
}

/// A fourth question, on something only the sources written by the test itself cover.
const TENANCY_Q4: &str = "[[question]]\nid = \"Q4\"\ntext = \"How can peer navigators help people keep a tenancy after leaving prison?\"\n";

#[test]
fn evidence_held_back_from_a_response_is_named_not_called_missing() {
    let ev = evidence();
    ev.lib.write(
        "corpus/reports/2025-tenancy-briefing.md",
        "---\ntitle: Keeping a tenancy after prison\nkind: report\ndate: 2025-06-01\nsensitivity: internal\n---\n\n\
         Peer navigators who had themselves left prison helped people keep a tenancy after leaving prison: \
         they met people at the gate, sorted the first rent payment and went with them to the housing office.\n",
    );
    ev.lib.write(
        &format!("{RESPONSE}/consultation.toml"),
        &format!("{CONSULTATION}\n{TENANCY_Q4}"),
    );
    let run = ev.draft();
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("Q4") && l.contains("evidence that fits may not be used here")),
        "{}",
        run.stderr
    );
    assert_eq!(
        cited(&ev.provenance(), "Q4"),
        0,
        "an internal report never leaves"
    );
    let md = ev.response();
    assert!(
        md.contains("evidence that fits this question may not be used in this response: corpus/reports/2025-tenancy-briefing.md:")
            && md.contains("not marked public"),
        "{md}"
    );
    assert!(
        !md.contains("nothing in the library comes near it"),
        "the library has the evidence; it is held back: {md}"
    );
}

/// Another organisation's public guide that answers [`TENANCY_Q4`].
const PEER_GUIDE: &str = "---\ntitle: Peer navigation after prison\nkind: other\ndate: 2025-02-01\norganisation: Kelmouth Peer Network\nsensitivity: public\n---\n\n\
     Peer navigators who had themselves left prison helped people keep a tenancy after leaving prison: \
     they met people at the gate, sorted the first rent payment and went with them to the housing office.\n";

#[test]
fn another_organisations_other_document_is_cited_as_theirs_and_counted_apart() {
    let ev = evidence();
    ev.lib
        .write("corpus/other/peer-navigation-guide.md", PEER_GUIDE);
    ev.lib.write(
        &format!("{RESPONSE}/consultation.toml"),
        &format!("{CONSULTATION}\n{TENANCY_Q4}"),
    );
    ours_is_northgate(&ev);
    ev.draft();
    assert!(
        cited(&ev.provenance(), "Q4") > 0,
        "a document of kind `other` is evidence too"
    );
    let md = ev.response();
    assert!(
        md.contains("Kelmouth Peer Network’s “Peer navigation after prison” (2025) says:"),
        "{md}"
    );
    assert!(
        md.contains("0 of our reports and past submissions, 3 documents by others (named where they are cited), and 0 of our earlier recommendations"),
        "{md}"
    );
}

#[test]
fn a_passage_that_fits_loosely_is_left_out_even_with_a_slot_free() {
    let ev = evidence();
    ev.lib
        .write("corpus/other/peer-navigation-guide.md", PEER_GUIDE);
    // Shares the question's words "prison", "keep" and "leaving", and is about something
    // else: it ranks second, and a draft has room for two passages.
    ev.lib.write(
        "corpus/other/prison-library.md",
        "---\ntitle: Reading groups in prison\nkind: other\ndate: 2025-03-01\norganisation: Kelmouth Peer Network\nsensitivity: public\n---\n\n\
         The prison library's reading group meets on Thursday evenings; volunteers who had themselves been \
         in prison choose the books, and members can keep a copy when they are leaving.\n",
    );
    ev.lib.write(
        &format!("{RESPONSE}/consultation.toml"),
        &format!("{CONSULTATION}\n{TENANCY_Q4}"),
    );
    let run = ev.draft();
    let prov = ev.provenance();
    let q4: Vec<&Value> = prov["citations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["question"] == "Q4")
        .collect();
    assert!(
        q4.iter()
            .any(|c| c["path"] == "corpus/other/peer-navigation-guide.md"),
        "the passage that answers Q4 is cited: {q4:?}"
    );
    assert!(
        !q4.iter()
            .any(|c| c["path"] == "corpus/other/prison-library.md"),
        "the reading group does not answer Q4: {q4:?}"
    );
    assert!(
        run.stderr
            .contains("fits the question too loosely in words and meaning together"),
        "the summary says what was left out: {}",
        run.stderr
    );
}
