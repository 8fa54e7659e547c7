//! Consent: only the speaker decides (or someone recording it for them), for a scope,
//! maybe until a date; `heard quotes` shows what the ledger says.

use serde_json::{Value, json};

use crate::util::{OFFICER, TestLibrary};

const NIGHT: &str = "They discharged me at nine at night with a carrier bag and a bus pass.";
const DOOR: &str = "Nobody on the ward asked if I had a door to go back to.";

/// The evidence fixture with two pending quotes of Ash's (speaker c-ash).
fn lib() -> (TestLibrary, String, String) {
    let lib = TestLibrary::with_fixture("evidence");
    let night = lib.quote_add("t-ash", NIGHT, &["--tag", "hospital-discharge"]);
    let door = lib.quote_add("t-ash", DOOR, &["--tag", "housing"]);
    (lib, night, door)
}

#[track_caller]
fn history(q: &Value) -> &Vec<Value> {
    q["history"].as_array().expect("a history list")
}

#[test]
fn a_new_quote_is_pending() {
    let (lib, night, _) = lib();
    let q = lib.quote(&night);
    assert_eq!(q["status"], "pending");
    assert_eq!(q["scope"], Value::Null);
    let h = history(&q);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["action"], "quote.create");
    assert_eq!(h[0]["actor"], OFFICER);
    assert_eq!(lib.quotes(&["--status", "pending"]).len(), 2);
    assert!(lib.quotes(&["--status", "approved"]).is_empty());
}

#[test]
fn the_speaker_approves_withdraws_and_declines() {
    let (lib, night, door) = lib();
    let run = lib.heard(&[
        "quote", "approve", &night, "--by", "c-ash", "--scope", "external",
    ]);
    run.assert_ok();
    assert!(run.stderr.contains("external"), "{}", run.stderr);
    let q = lib.quote(&night);
    assert_eq!(q["status"], "approved");
    assert_eq!(q["scope"], "external");

    lib.heard(&["quote", "withdraw", &night, "--by", "c-ash"])
        .assert_ok();
    let q = lib.quote(&night);
    assert_eq!(q["status"], "withdrawn");
    assert_eq!(q["scope"], Value::Null);

    lib.heard(&["quote", "decline", &door, "--by", "c-ash"])
        .assert_ok();
    assert_eq!(lib.quote(&door)["status"], "declined");

    let actions: Vec<String> = history(&lib.quote(&night))
        .iter()
        .map(|h| h["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        vec!["quote.create", "quote.approve", "quote.withdraw"]
    );
    // The quote file says what the ledger says.
    let file = lib.read("corpus/quotes/t-ash.toml");
    assert!(file.contains("status = \"withdrawn\""), "{file}");
    assert!(file.contains("status = \"declined\""), "{file}");
}

#[test]
fn an_officer_records_consent_on_behalf_of_the_speaker() {
    let (lib, night, _) = lib();
    lib.heard(&[
        "quote",
        "approve",
        &night,
        "--by",
        "officer-jo",
        "--on-behalf-of",
        "c-ash",
        "--scope",
        "external",
        "--note",
        "consent form signed at the drop-in",
    ])
    .assert_ok();
    let q = lib.quote(&night);
    assert_eq!(q["status"], "approved");
    let last = history(&q).last().unwrap().clone();
    assert_eq!(last["action"], "quote.approve");
    assert_eq!(last["actor"], "officer-jo");
    assert_eq!(last["details"]["on_behalf_of"], "c-ash");
    assert_eq!(
        last["details"]["note"],
        "consent form signed at the drop-in"
    );
    // Withdrawal on their behalf, too.
    lib.heard(&[
        "quote",
        "withdraw",
        &night,
        "--by",
        "officer-jo",
        "--on-behalf-of",
        "c-ash",
    ])
    .assert_ok();
    let q = lib.quote(&night);
    assert_eq!(q["status"], "withdrawn");
    assert_eq!(
        history(&q).last().unwrap()["details"]["on_behalf_of"],
        "c-ash"
    );
}

#[test]
fn nobody_else_can_decide_for_the_speaker() {
    let (lib, night, _) = lib();
    let before = lib.ledger_lines();
    for args in [
        vec!["quote", "approve", night.as_str(), "--by", "officer-jo"],
        vec!["quote", "approve", night.as_str(), "--by", "c-bo"],
        vec![
            "quote",
            "approve",
            night.as_str(),
            "--by",
            "officer-jo",
            "--on-behalf-of",
            "c-bo",
        ],
        vec!["quote", "decline", night.as_str(), "--by", "c-cy"],
    ] {
        let run = lib.heard(&args);
        run.assert_code(2);
        assert!(
            run.stderr.contains("c-ash"),
            "the message names the speaker: {}",
            run.stderr
        );
    }
    assert_eq!(lib.ledger_lines(), before, "nothing recorded");
    assert_eq!(lib.quote(&night)["status"], "pending");
}

#[test]
fn scope_expiry_and_note_are_recorded_with_an_approval() {
    let (lib, night, door) = lib();
    lib.heard(&[
        "quote",
        "approve",
        &night,
        "--by",
        "c-ash",
        "--scope",
        "publication",
        "--expires",
        "2099-12-31",
        "--note",
        "fine for the annual report",
    ])
    .assert_ok();
    let q = lib.quote(&night);
    assert_eq!(q["status"], "approved");
    assert_eq!(q["scope"], "publication");
    assert_eq!(q["expires"], "2099-12-31");
    let d = &history(&q).last().unwrap()["details"];
    assert_eq!(d["scope"], "publication");
    assert_eq!(d["expires"], "2099-12-31");
    assert_eq!(d["note"], "fine for the annual report");

    // Without --scope an approval is for internal use only: the narrowest.
    lib.heard(&["quote", "approve", &door, "--by", "c-ash"])
        .assert_ok();
    assert_eq!(lib.quote(&door)["scope"], "internal");
}

#[test]
fn an_expiry_date_in_the_past_or_not_a_date_is_refused() {
    let (lib, night, _) = lib();
    let before = lib.ledger_lines();
    for date in ["2020-01-31", "2099-13-01", "next year", "2099"] {
        let run = lib.heard(&[
            "quote",
            "approve",
            &night,
            "--by",
            "c-ash",
            "--scope",
            "external",
            "--expires",
            date,
        ]);
        run.assert_code(2);
        assert!(run.stderr.contains(date), "{date}: {}", run.stderr);
    }
    // --expires only makes sense with an approval.
    lib.heard(&[
        "quote",
        "decline",
        &night,
        "--by",
        "c-ash",
        "--expires",
        "2099-01-01",
    ])
    .assert_code(2);
    assert_eq!(lib.ledger_lines(), before);
    assert_eq!(lib.quote(&night)["status"], "pending");
}

#[test]
fn decisions_that_make_no_sense_are_refused() {
    let (lib, night, door) = lib();
    // Nothing to withdraw from a pending quote.
    lib.heard(&["quote", "withdraw", &night, "--by", "c-ash"])
        .assert_code(2);
    // An approved quote is withdrawn, not declined.
    lib.approve(&door, "c-ash", "external");
    let run = lib.heard(&["quote", "decline", &door, "--by", "c-ash"]);
    run.assert_code(2);
    assert!(run.stderr.contains("withdraw"), "{}", run.stderr);
    assert_eq!(lib.quote(&door)["status"], "approved");
    // An unknown quote.
    lib.heard(&["quote", "approve", "q-00000000", "--by", "c-ash"])
        .assert_code(2);
}

#[test]
fn quotes_lists_by_status_with_every_field() {
    let (lib, night, door) = lib();
    lib.approve(&night, "c-ash", "external");
    let bo = lib.quote_add(
        "t-bo",
        "When you have complex needs every service thinks you belong to another service.",
        &["--tag", "mcn"],
    );
    lib.approve(&bo, "c-bo", "publication");
    let approved = lib.quotes(&["--status", "approved"]);
    let ids: Vec<&str> = approved.iter().map(|q| q["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{approved:#?}");
    assert!(ids.contains(&night.as_str()) && ids.contains(&bo.as_str()));
    for q in &approved {
        for field in [
            "id", "source", "exact", "tags", "speaker", "status", "scope", "anchor", "history",
        ] {
            assert!(q.get(field).is_some(), "no `{field}` in {q:#}");
        }
        assert_eq!(q["status"], "approved");
        assert_eq!(q["anchor"], "ok");
        assert!(q["tags"].is_array());
        assert!(history(q).len() >= 2);
    }
    let q = approved.iter().find(|q| q["id"] == night.as_str()).unwrap();
    assert_eq!(q["source"], "t-ash");
    assert_eq!(q["exact"], NIGHT);
    assert_eq!(q["tags"], json!(["hospital-discharge"]));
    assert_eq!(q["speaker"], "c-ash");
    assert_eq!(q["scope"], "external");

    let pending = lib.quotes(&["--status", "pending"]);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["id"], door.as_str());
    // Other filters.
    assert_eq!(lib.quotes(&["--speaker", "c-bo"]).len(), 1);
    assert_eq!(lib.quotes(&["--tag", "housing"]).len(), 1);
    assert_eq!(lib.quotes(&["--tag", "mcn"]).len(), 1);
}

#[test]
fn quotes_tag_filter_accepts_a_synonym_of_the_theme() {
    let lib = TestLibrary::with_fixture("evidence");
    // "complex needs" is a synonym of the theme `mcn`: tagging with it stores `mcn`.
    let id = lib.quote_add(
        "t-bo",
        "When you have complex needs every service thinks you belong to another service.",
        &["--tag", "complex needs"],
    );
    assert_eq!(lib.quote(&id)["tags"], json!(["mcn"]));
    assert_eq!(lib.quotes(&["--tag", "mcn"]).len(), 1);
    // So filtering by the synonym should find it, as `heard search --tag` does.
    assert_eq!(lib.quotes(&["--tag", "complex needs"]).len(), 1);
    assert_eq!(
        lib.quotes(&["--tag", "Multiple and complex needs"]).len(),
        1
    );
}

#[test]
fn an_approval_whose_expiry_date_has_passed_is_expired() {
    let (lib, night, door) = lib();
    lib.approve(&door, "c-ash", "external");
    // heard refuses an expiry date in the past, so the approval is one given in 2020
    // until June 2020 (a genuine event: its hash and parent are right).
    lib.append_expired_approval(&night, "c-ash");
    lib.verify().assert_ok();
    let q = lib.quote(&night);
    assert_eq!(q["status"], "expired", "{q:#}");
    assert_eq!(q["expires"], "2020-06-30");
    let expired = lib.quotes(&["--status", "expired"]);
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["id"], night.as_str());
    let approved = lib.quotes(&["--status", "approved"]);
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0]["id"], door.as_str());
    // An expired approval can be taken back, and approved again with a new date.
    lib.heard(&[
        "quote",
        "approve",
        &night,
        "--by",
        "c-ash",
        "--scope",
        "external",
        "--expires",
        "2099-01-01",
    ])
    .assert_ok();
    assert_eq!(lib.quote(&night)["status"], "approved");
}
