//! What happened to our recommendations: `heard recs outcome`, recorded in the ledger and
//! shown by `heard recs`.

use serde_json::Value;

use crate::util::{OFFICER, TestLibrary, hits, s};

const WARD: &str = "r-rep-discharge-2024-1";
const NIGHT: &str = "r-sub-crisis-2023-1";

fn lib() -> TestLibrary {
    TestLibrary::with_fixture("evidence")
}

#[track_caller]
fn rec(lib: &TestLibrary, id: &str) -> Value {
    let doc = lib.recs(&[]);
    hits(&doc)
        .iter()
        .find(|r| s(r, "id") == id)
        .unwrap_or_else(|| panic!("no {id} in {doc:#}"))
        .clone()
}

#[test]
fn an_outcome_is_one_ledger_event_and_shows_in_recs() {
    let lib = lib();
    assert_eq!(rec(&lib, WARD)["outcome"], "unknown");
    let run = lib.heard(&[
        "recs",
        "outcome",
        WARD,
        "adopted",
        "--note",
        "Ward admission forms ask about housing since May 2025",
        "--evidence",
        "https://example.org/kelmouth/admission-form-2025",
    ]);
    run.assert_ok();
    let events = lib.ledger_events();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["action"], "rec.outcome");
    assert_eq!(e["target"], WARD);
    assert_eq!(e["actor"], OFFICER);
    assert_eq!(e["details"]["outcome"], "adopted");
    assert_eq!(
        e["details"]["evidence"],
        "https://example.org/kelmouth/admission-form-2025"
    );

    let r = rec(&lib, WARD);
    assert_eq!(r["outcome"], "adopted");
    let d = &r["outcome_detail"];
    assert_eq!(d["outcome"], "adopted");
    assert_eq!(d["by"], OFFICER);
    assert_eq!(
        d["note"],
        "Ward admission forms ask about housing since May 2025"
    );
    assert_eq!(
        d["evidence"],
        "https://example.org/kelmouth/admission-form-2025"
    );
    assert!(d["recorded"].as_str().unwrap().starts_with("20"));
    // Others are untouched.
    assert_eq!(rec(&lib, NIGHT)["outcome"], "unknown");
    lib.verify().assert_ok();
}

#[test]
fn the_latest_outcome_counts_and_recs_filters_by_it() {
    let lib = lib();
    lib.heard(&["recs", "outcome", WARD, "pending", "--by", "officer-jo"])
        .assert_ok();
    lib.heard(&["recs", "outcome", WARD, "adopted"]).assert_ok();
    lib.heard(&[
        "recs",
        "outcome",
        NIGHT,
        "partly",
        "--note",
        "Weekends only",
    ])
    .assert_ok();
    assert_eq!(lib.ledger_lines().len(), 3);
    let adopted = lib.recs(&["--outcome", "adopted"]);
    let ids: Vec<&str> = hits(&adopted).iter().map(|r| s(r, "id")).collect();
    assert_eq!(ids, vec![WARD]);
    let partly = lib.recs(&["--outcome", "partly"]);
    let ids: Vec<&str> = hits(&partly).iter().map(|r| s(r, "id")).collect();
    assert_eq!(ids, vec![NIGHT]);
    assert!(hits(&lib.recs(&["--outcome", "not-adopted"])).is_empty());
    let unknown = lib.recs(&["--outcome", "unknown"]);
    assert_eq!(hits(&unknown).len(), 3, "{unknown:#}");
    // The human list shows the outcome and its note.
    let run = lib.heard(&["recs"]);
    run.assert_ok();
    assert!(run.stdout.contains("Weekends only"), "{}", run.stdout);
}

#[test]
fn an_unknown_recommendation_or_outcome_is_refused() {
    let lib = lib();
    let run = lib.heard(&["recs", "outcome", "r-nope-9", "adopted"]);
    run.assert_code(2);
    assert!(run.stderr.contains("r-nope-9"), "{}", run.stderr);
    lib.heard(&["recs", "outcome", WARD, "maybe"])
        .assert_code(2);
    assert!(lib.ledger_lines().is_empty());
}

/// The same event twice in the ledger, as a union merge can leave it (two clones that both
/// hold it), is one outcome, where it first appears: the repeat does not undo a later one,
/// and the history does not list it twice.
#[test]
fn an_outcome_event_repeated_by_a_merge_does_not_undo_a_later_outcome() {
    let lib = lib();
    lib.heard(&["recs", "outcome", WARD, "pending"]).assert_ok();
    lib.heard(&[
        "recs",
        "outcome",
        WARD,
        "adopted",
        "--note",
        "In the 2025 plan",
    ])
    .assert_ok();
    let mut lines = lib.ledger_lines();
    assert_eq!(lines.len(), 2);
    lines.push(lines[0].clone());
    lib.write_ledger(&lines);
    lib.verify().assert_ok();

    let r = rec(&lib, WARD);
    assert_eq!(r["outcome"], "adopted", "{r:#}");
    assert_eq!(r["outcome_detail"]["note"], "In the 2025 plan");
    let pending: Vec<String> = hits(&lib.recs(&["--outcome", "pending"]))
        .iter()
        .map(|r| s(r, "id").to_string())
        .collect();
    assert!(!pending.iter().any(|id| id == WARD), "{pending:?}");
    let run = lib.heard(&["recs"]);
    run.assert_ok();
    assert!(run.stdout.contains("In the 2025 plan"), "{}", run.stdout);
}
