//! Recommendations: the asks of reports and submissions, with stable ids.

use crate::util::{TestLibrary, hits, n, paths, s, set};

const REPORT: &str = "corpus/reports/2024-discharge.md";
const SUBMISSION: &str = "corpus/submissions/2025-crisis.md";

fn lib() -> TestLibrary {
    TestLibrary::with_fixture("recs")
}

/// `(id, text)` of every recommendation, in the order `recs` lists them.
#[track_caller]
fn all_recs(lib: &TestLibrary) -> Vec<(String, String)> {
    let doc = lib.recs(&[]);
    hits(&doc)
        .iter()
        .map(|r| (s(r, "id").to_string(), s(r, "text").to_string()))
        .collect()
}

#[track_caller]
fn texts_of(lib: &TestLibrary, source: &str) -> Vec<String> {
    hits(&lib.recs(&[]))
        .iter()
        .filter(|r| s(r, "source") == source)
        .map(|r| s(r, "text").to_string())
        .collect()
}

#[test]
fn lists_under_recommendation_headings_are_recommendations() {
    let lib = lib();
    let texts = texts_of(&lib, "sub-crisis");
    for expected in [
        // ## Key messages
        "Crisis support must be open at night, when most crises happen.",
        // ## We call for
        "A named worker for anyone discharged from a crisis bed.",
        // ## Our asks
        "Publish waiting times for the crisis line every month.",
    ] {
        assert!(
            texts.contains(&expected.to_string()),
            "{expected}\n{texts:#?}"
        );
    }
    let texts = texts_of(&lib, "rep-discharge");
    assert!(
        texts.iter().any(|t| t.starts_with("Every ward should ask")),
        "## Recommendations: {texts:#?}"
    );
}

#[test]
fn lists_after_a_lead_in_sentence_are_recommendations() {
    let lib = lib();
    let texts = texts_of(&lib, "sub-crisis");
    for expected in [
        "funds crisis cafés in every town with more than 20,000 people;",
        "requires crisis teams to accept people who have been drinking.",
    ] {
        assert!(
            texts.contains(&expected.to_string()),
            "after “We recommend that the Department:”: {texts:#?}"
        );
    }
    let texts = texts_of(&lib, "rep-discharge");
    assert!(
        texts.contains(
            &"A single point of contact for homeless patients at St Aldric's.".to_string()
        ),
        "after “Northgate Together calls for:”: {texts:#?}"
    );
}

#[test]
fn every_recommendation_of_the_fixture_is_found_in_order() {
    let lib = lib();
    let ids: Vec<String> = all_recs(&lib).into_iter().map(|(id, _)| id).collect();
    let mut expected: Vec<String> = (1..=3)
        .map(|i| format!("r-rep-discharge-{i}"))
        .chain((1..=5).map(|i| format!("r-sub-crisis-{i}")))
        .collect();
    let mut got = ids.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    // Within a source, in the order of the file.
    let doc = lib.recs(&[]);
    let sub: Vec<(&str, u64)> = hits(&doc)
        .iter()
        .filter(|r| s(r, "path") == SUBMISSION)
        .map(|r| (s(r, "id"), n(r, "line_start")))
        .collect();
    assert_eq!(
        sub.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        (1..=5)
            .map(|i| format!("r-sub-crisis-{i}"))
            .collect::<Vec<_>>()
    );
    assert!(sub.windows(2).all(|w| w[0].1 < w[1].1), "{sub:?}");
}

#[test]
fn actions_lists_are_not_recommendations() {
    let lib = lib();
    let texts = texts_of(&lib, "rep-discharge");
    for t in &texts {
        assert!(
            !t.contains("hospital board")
                && !t.contains("September panel")
                && !t.contains("ward manager"),
            "an action is not a recommendation: {t}"
        );
    }
    // They are still ordinary passages.
    let doc = lib.search(&["ward manager", "--type", "passage"]);
    assert_eq!(paths(&doc), set(&[REPORT]));
    assert!(
        lib.recs(&["board"])["recommendations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn lists_in_testimonies_and_notes_are_not_recommendations() {
    let lib = lib();
    let doc = lib.recs(&[]);
    let kinds: std::collections::BTreeSet<&str> = hits(&doc).iter().map(|r| s(r, "kind")).collect();
    assert_eq!(kinds, ["report", "submission"].into_iter().collect());
    assert_eq!(paths(&doc), set(&[REPORT, SUBMISSION]));
    // The words are still searchable as passages.
    let doc = lib.search(&["phone", "--type", "passage"]);
    assert_eq!(paths(&doc), set(&["corpus/testimonies/jude-two-doors.md"]));
    let doc = lib.search(&["midnight"]);
    assert!(
        hits(&doc).iter().all(|h| s(h, "type") == "passage"),
        "{doc:#}"
    );
}

#[test]
fn a_wrapped_item_keeps_its_full_text() {
    let lib = lib();
    let doc = lib.recs(&["admission"]);
    let r = &hits(&doc)[0];
    assert_eq!(s(r, "id"), "r-rep-discharge-1");
    assert_eq!(
        s(r, "text"),
        "Every ward should ask on the day of admission whether the patient has a safe place to return to, and record the answer where the discharge team can see it."
    );
    assert_eq!((n(r, "line_start"), n(r, "line_end")), (16, 17));
    // Nested points are part of their item.
    let doc = lib.recs(&["seconded"]);
    let r = &hits(&doc)[0];
    assert_eq!(s(r, "id"), "r-rep-discharge-2");
    assert_eq!(
        s(r, "text"),
        "The hospital should fund a specialist discharge team, including: a housing officer seconded from the council; a peer worker with lived experience."
    );
    assert_eq!((n(r, "line_start"), n(r, "line_end")), (18, 20));
    // The human output does not cut a short item either.
    let run = lib.heard(&["recs", "admission"]);
    run.assert_ok();
    assert!(
        run.stdout.contains("where the discharge team can see it."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("{REPORT}:16-17")),
        "{}",
        run.stdout
    );
}

#[test]
fn recs_json_has_the_documented_fields() {
    let lib = lib();
    let doc = lib.recs(&["named worker"]);
    assert!(doc.get("recommendations").is_some(), "{doc:#}");
    let r = &hits(&doc)[0];
    assert_eq!(s(r, "id"), "r-sub-crisis-4");
    assert_eq!(
        s(r, "text"),
        "A named worker for anyone discharged from a crisis bed."
    );
    assert_eq!(s(r, "source"), "sub-crisis");
    assert_eq!(s(r, "path"), SUBMISSION);
    assert_eq!(s(r, "date"), "2025-03-04");
    assert_eq!(r["tags"], serde_json::json!(["mental-health", "crisis"]));
    assert_eq!(
        s(r, "consultation"),
        "Community crisis care consultation 2025"
    );
    let line = n(r, "line_start") as usize;
    assert_eq!(n(r, "line_end") as usize, line);
    assert_eq!(
        lib.read(SUBMISSION).lines().nth(line - 1),
        Some("- A named worker for anyone discharged from a crisis bed.")
    );
    // A report has no consultation.
    let doc = lib.recs(&["seconded"]);
    assert!(hits(&doc)[0]["consultation"].is_null());
}

#[test]
fn recs_query_and_filters() {
    let lib = lib();
    let doc = lib.recs(&["\"single point of contact\""]);
    assert_eq!(hits(&doc).len(), 1);
    assert_eq!(s(&hits(&doc)[0], "id"), "r-rep-discharge-3");
    let doc = lib.recs(&["--since", "2025"]);
    assert_eq!(paths(&doc), set(&[SUBMISSION]));
    let doc = lib.recs(&["--until", "2024"]);
    assert_eq!(paths(&doc), set(&[REPORT]));
    let doc = lib.recs(&["--tag", "housing"]);
    assert_eq!(paths(&doc), set(&[REPORT]));
    let doc = lib.recs(&["--limit", "2"]);
    assert_eq!(hits(&doc).len(), 2);
    assert_eq!(doc["total"], 8);
    assert!(
        lib.recs(&["zeppelin"])["recommendations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn recommendation_ids_are_stable_across_reindexing() {
    let lib = lib();
    let before = all_recs(&lib);
    std::fs::remove_dir_all(lib.path(".heard")).unwrap();
    lib.index_ok();
    assert_eq!(all_recs(&lib), before);
}

#[test]
fn recommendation_ids_are_stable_when_a_paragraph_is_inserted_above() {
    let lib = lib();
    let before = all_recs(&lib);
    let text = lib.read(REPORT).replace(
        "## Findings\n\n",
        "## Findings\n\nWe added this paragraph after the launch, with thanks to the panel.\n\n",
    );
    let text = text.replace(
        "## Actions\n",
        "An unrelated paragraph about the ward round.\n\n## Actions\n",
    );
    lib.write(REPORT, &text);
    let sub = lib.read(SUBMISSION).replace(
        "# Response to the community crisis care consultation\n",
        "# Response to the community crisis care consultation\n\nThis response was agreed by our trustees.\n",
    );
    lib.write(SUBMISSION, &sub);
    assert_eq!(all_recs(&lib), before);
    // The lines move with the text.
    let doc = lib.recs(&["admission"]);
    assert_eq!(n(&hits(&doc)[0], "line_start"), 18);
}

#[test]
fn recommendation_ids_without_an_id_in_front_matter_use_the_path() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/reports/2023-prison.md",
        "# Release from prison\n\n## Recommendations\n\n- Release no one on a Friday.\n- Book a housing appointment before release.\n",
    );
    let ids: Vec<String> = hits(&lib.recs(&[]))
        .iter()
        .map(|r| s(r, "id").to_string())
        .collect();
    assert_eq!(
        ids,
        vec!["r-reports-2023-prison-1", "r-reports-2023-prison-2"]
    );
}

#[test]
fn recommendations_are_found_in_search_too() {
    let lib = lib();
    let doc = lib.search(&["waiting times", "--type", "recommendation"]);
    assert_eq!(hits(&doc).len(), 1);
    assert_eq!(s(&hits(&doc)[0], "id"), "r-sub-crisis-5");
    assert_eq!(s(&hits(&doc)[0], "type"), "recommendation");
}
