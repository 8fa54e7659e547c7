//! The ledger: one appended line per change, hash-chained, so that `heard verify` finds
//! edited, deleted and reordered events and hand-edited quote files, and accepts the union
//! of two clones' ledgers (a git merge with merge=union).

use serde_json::Value;

use crate::util::{OFFICER, Run, TestLibrary};

const LEDGER: &str = "corpus/ledger.jsonl";

/// The evidence fixture with a short history: a quote made, tagged, approved and
/// withdrawn, and a second quote made and approved.
fn lib() -> (TestLibrary, String, String) {
    let lib = TestLibrary::with_fixture("evidence");
    let a = lib.quote_add(
        "t-ash",
        "They discharged me at nine at night with a carrier bag and a bus pass.",
        &[],
    );
    lib.heard(&["quote", "tag", &a, "--add", "housing"])
        .assert_ok();
    lib.approve(&a, "c-ash", "external");
    lib.heard(&[
        "quote",
        "withdraw",
        &a,
        "--by",
        "c-ash",
        "--note",
        "changed my mind",
    ])
    .assert_ok();
    let b = lib.quote_add(
        "t-bo",
        "When you have complex needs every service thinks you belong to another service.",
        &[],
    );
    lib.approve(&b, "c-bo", "internal");
    assert_eq!(lib.ledger_lines().len(), 6);
    (lib, a, b)
}

/// `heard verify` exits 1 and one of its problem lines starts with `prefix` and contains
/// every one of `words`.
#[track_caller]
fn verify_finds(lib: &TestLibrary, prefix: &str, words: &[&str]) -> Run {
    let run = lib.verify();
    run.assert_code(1);
    let all = format!("{}{}", run.stdout, run.stderr);
    let line = all
        .lines()
        .find(|l| l.starts_with(prefix) && words.iter().all(|w| l.contains(w)))
        .unwrap_or_else(|| panic!("no problem line `{prefix}…` with {words:?}:\n{all}"));
    assert!(!line.is_empty());
    run
}

/// Run a quote command that must append exactly one event, and check the event; `seen`
/// is the ledger before, and gets the new line.
#[track_caller]
fn step(
    lib: &TestLibrary,
    seen: &mut Vec<String>,
    args: &[&str],
    action: &str,
    actor: &str,
) -> Value {
    lib.heard(args).assert_ok();
    let lines = lib.ledger_lines();
    assert_eq!(lines.len(), seen.len() + 1, "`heard {}`", args.join(" "));
    assert_eq!(&lines[..seen.len()], &seen[..], "earlier lines unchanged");
    let e: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let obj = e.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "action", "actor", "details", "id", "parents", "target", "time"
        ]
    );
    assert_eq!(e["action"], action);
    assert_eq!(e["actor"], actor);
    assert!(e["id"].as_str().unwrap().starts_with("e-"));
    assert!(e["details"].is_object());
    assert!(e["time"].as_str().unwrap().starts_with("20"));
    let parents: Vec<&str> = e["parents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    match seen.last() {
        None => assert!(parents.is_empty()),
        Some(prev) => {
            let prev: Value = serde_json::from_str(prev).unwrap();
            assert_eq!(parents, vec![prev["id"].as_str().unwrap()]);
        }
    }
    seen.push(lines.last().unwrap().clone());
    e
}

#[test]
fn each_quote_command_appends_exactly_one_event() {
    let lib = TestLibrary::with_fixture("evidence");
    let mut seen: Vec<String> = Vec::new();
    let run = lib.heard(&[
        "quote",
        "add",
        "--source",
        "t-ash",
        "--exact",
        "Nobody on the ward asked if I had a door to go back to.",
        "--by",
        "officer-jo",
    ]);
    run.assert_ok();
    let id = run.stdout.trim().to_string();
    {
        let lines = lib.ledger_lines();
        assert_eq!(lines.len(), 1);
        let e: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(e["action"], "quote.create");
        assert_eq!(e["actor"], "officer-jo");
        assert_eq!(e["target"], id.as_str());
        assert_eq!(e["parents"], serde_json::json!([]));
        seen.push(lines[0].clone());
    }
    let e = step(
        &lib,
        &mut seen,
        &[
            "quote",
            "tag",
            &id,
            "--add",
            "housing",
            "--by",
            "officer-jo",
        ],
        "quote.tag",
        "officer-jo",
    );
    assert_eq!(e["target"], id.as_str());
    assert_eq!(e["details"]["add"], serde_json::json!(["housing"]));
    step(
        &lib,
        &mut seen,
        &["quote", "tag", &id, "--remove", "housing"],
        "quote.tag",
        OFFICER,
    );
    step(
        &lib,
        &mut seen,
        &[
            "quote", "approve", &id, "--by", "c-ash", "--scope", "external",
        ],
        "quote.approve",
        "c-ash",
    );
    step(
        &lib,
        &mut seen,
        &["quote", "withdraw", &id, "--by", "c-ash"],
        "quote.withdraw",
        "c-ash",
    );
    let other = lib.quote_add(
        "t-ash",
        "I slept in the hospital car park for two nights after that.",
        &[],
    );
    seen = lib.ledger_lines();
    step(
        &lib,
        &mut seen,
        &["quote", "decline", &other, "--by", "c-ash"],
        "quote.decline",
        "c-ash",
    );
    // A refused command appends nothing.
    let before = lib.ledger_lines();
    lib.heard(&["quote", "approve", &other, "--by", "c-bo"])
        .assert_code(2);
    lib.heard(&["quote", "tag", "q-00000000", "--add", "housing"])
        .assert_code(2);
    assert_eq!(lib.ledger_lines(), before);
    lib.verify().assert_ok();
}

#[test]
fn verify_passes_on_an_untouched_library() {
    let (lib, _, _) = lib();
    let run = lib.verify();
    run.assert_ok();
    assert!(run.stdout.trim().is_empty(), "{}", run.stdout);
    // A library with no ledger at all is fine too.
    TestLibrary::with_fixture("evidence").verify().assert_ok();
}

#[test]
fn an_edited_event_is_found_and_not_trusted() {
    let (lib, a, b) = lib();
    let mut lines = lib.ledger_lines();
    // Line 4 is the withdrawal; line 6 approves b for internal use only.
    assert!(lines[3].contains("changed my mind"));
    lines[3] = lines[3].replace("changed my mind", "never agreed");
    assert!(lines[5].contains("\"internal\""));
    lines[5] = lines[5].replace("\"internal\"", "\"publication\"");
    lib.write_ledger(&lines);
    verify_finds(&lib, &format!("{LEDGER}:4:"), &["edited"]);
    verify_finds(&lib, &format!("{LEDGER}:6:"), &["edited"]);
    // Consent is whatever the untouched events say: the forged wider scope is not used.
    let q = lib.quote(&b);
    assert_ne!(q["scope"], "publication", "{q:#}");
    assert_ne!(q["status"], "approved", "{q:#}");
    assert!(lib.quote(&a)["status"].is_string());
}

#[test]
fn a_deleted_event_in_the_middle_is_found() {
    let (lib, _, _) = lib();
    let mut lines = lib.ledger_lines();
    let gone: Value = serde_json::from_str(&lines.remove(2)).unwrap();
    lib.write_ledger(&lines);
    // The event that followed it is now on line 3, and names a parent that is gone.
    verify_finds(
        &lib,
        &format!("{LEDGER}:3:"),
        &[gone["id"].as_str().unwrap(), "deleted"],
    );
}

#[test]
fn swapped_events_are_found() {
    let (lib, _, _) = lib();
    let mut lines = lib.ledger_lines();
    lines.swap(1, 2);
    lib.write_ledger(&lines);
    // Line 2 now holds the child, before its parent on line 3.
    verify_finds(&lib, &format!("{LEDGER}:2:"), &["before its parent"]);
}

#[test]
fn a_deleted_last_event_is_found() {
    let (lib, _, _) = lib();
    let mut lines = lib.ledger_lines();
    let gone: Value = serde_json::from_str(&lines.pop().unwrap()).unwrap();
    lib.write_ledger(&lines);
    verify_finds(&lib, LEDGER, &[gone["id"].as_str().unwrap()]);
}

#[test]
fn a_status_edited_by_hand_in_a_quote_file_is_reported_not_trusted_and_repaired() {
    let (lib, a, b) = lib();
    let rel = "corpus/quotes/t-bo.toml";
    let before = lib.read(rel);
    assert!(before.contains("status = \"approved\""));
    assert!(before.contains("scope = \"internal\""));
    let forged = before.replace("scope = \"internal\"", "scope = \"publication\"");
    lib.write(rel, &forged);
    let ash = "corpus/quotes/t-ash.toml";
    let forged_ash = lib
        .read(ash)
        .replace("status = \"withdrawn\"", "status = \"approved\"");
    lib.write(ash, &forged_ash);

    verify_finds(&lib, rel, &[b.as_str(), "publication"]);
    verify_finds(&lib, ash, &[a.as_str(), "status"]);
    // What people see and what drafts use comes from the ledger.
    assert_eq!(lib.quote(&b)["scope"], "internal");
    assert_eq!(lib.quote(&a)["status"], "withdrawn");
    assert!(lib.quotes(&["--status", "approved"]).len() == 1);

    // --repair rewrites the files from the ledger.
    let run = lib.heard(&["verify", "--repair"]);
    run.assert_code(1);
    assert_eq!(lib.read(rel), before);
    assert!(lib.read(ash).contains("status = \"withdrawn\""));
    lib.verify().assert_ok();
}

#[test]
fn a_quote_added_to_a_quote_file_by_hand_is_reported() {
    let (lib, _, _) = lib();
    let rel = "corpus/quotes/t-bo.toml";
    let mut text = lib.read(rel);
    text.push_str(
        "\n[[quote]]\nid = \"q-0badc0de\"\nexact = \"I was the only one\"\nprefix = \"\"\nsuffix = \"\"\nstart = 0\nend = 18\nspeaker = \"c-bo\"\ntags = []\nstatus = \"approved\"\nscope = \"publication\"\ncreated = \"2026-01-01T00:00:00Z\"\n",
    );
    lib.write(rel, &text);
    verify_finds(&lib, rel, &["q-0badc0de"]);
    assert!(
        lib.quotes(&[]).iter().all(|q| q["id"] != "q-0badc0de"),
        "a quote that is not in the ledger is never listed"
    );
}

#[test]
fn a_torn_last_line_is_kept_reported_and_distrusted_never_cut_off() {
    let (lib, a, _) = lib();
    let mut text = lib.read(LEDGER);
    let torn = "{\"id\":\"e-12345\",\"parents\":[\"e-";
    text.push_str(torn);
    lib.write(LEDGER, &text);
    // Nobody can say what the half-written event was: consent is unknown until someone
    // restores the ledger or acknowledges the damage.
    assert_eq!(lib.quote(&a)["status"], "unknown");
    verify_finds(&lib, &format!("{LEDGER}:7:"), &["not a ledger event"]);
    lib.heard(&["quote", "tag", &a, "--add", "mcn"]).assert_ok();
    let after = lib.read(LEDGER);
    assert!(
        after.contains(&format!("{torn}\n")),
        "the torn line is kept, ended by a newline, not glued to the next event"
    );
    let last: serde_json::Value = serde_json::from_str(lib.ledger_lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "quote.tag");
    verify_finds(&lib, &format!("{LEDGER}:7:"), &["not a ledger event"]);
}

/// The union of the lines of two ledgers, as git's merge=union makes it: the common
/// history, then ours, then theirs.
fn union(base: &[String], ours: &[String], theirs: &[String]) -> Vec<String> {
    assert_eq!(&ours[..base.len()], base);
    assert_eq!(&theirs[..base.len()], base);
    let mut out = base.to_vec();
    out.extend_from_slice(&ours[base.len()..]);
    out.extend_from_slice(&theirs[base.len()..]);
    out
}

#[test]
fn a_merged_history_verifies_and_the_next_event_has_two_parents() {
    let (lib, a, b) = lib();
    let base = lib.ledger_lines();
    // Two colleagues work on their own clones: one on Ash's quotes, one on Bo's.
    let ours = lib.clone_library();
    let theirs = lib.clone_library();
    ours.heard(&["quote", "tag", &a, "--add", "mcn"])
        .assert_ok();
    let c = ours.quote_add(
        "t-ash",
        "Nobody on the ward asked if I had a door to go back to.",
        &[],
    );
    theirs
        .heard(&["quote", "tag", &b, "--add", "crisis-care"])
        .assert_ok();
    theirs.approve(&b, "c-bo", "external");

    // The merge: our clone, with their quote file and the union of the ledgers.
    let merged = ours.clone_library();
    merged.write(
        "corpus/quotes/t-bo.toml",
        &theirs.read("corpus/quotes/t-bo.toml"),
    );
    merged.write_ledger(&union(&base, &ours.ledger_lines(), &theirs.ledger_lines()));
    // This machine remembers only its own newest event, which is still there; a fresh
    // clone would have no record at all.
    let _ = std::fs::remove_file(merged.path(".heard/ledger-heads"));
    let run = merged.verify();
    run.assert_ok();

    // Both colleagues' changes are in effect.
    assert!(
        merged.quote(&a)["tags"]
            .as_array()
            .unwrap()
            .contains(&"mcn".into())
    );
    assert_eq!(merged.quote(&b)["scope"], "external");
    assert_eq!(merged.quote(&c)["status"], "pending");

    // The next change follows both branches.
    merged
        .heard(&["quote", "tag", &c, "--add", "housing"])
        .assert_ok();
    let events = merged.ledger_events();
    let last = events.last().unwrap();
    let mut parents: Vec<&str> = last["parents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    parents.sort();
    let ours_head: Value = serde_json::from_str(ours.ledger_lines().last().unwrap()).unwrap();
    let theirs_head: Value = serde_json::from_str(theirs.ledger_lines().last().unwrap()).unwrap();
    let mut expected = vec![
        ours_head["id"].as_str().unwrap(),
        theirs_head["id"].as_str().unwrap(),
    ];
    expected.sort();
    assert_eq!(parents, expected);
    merged.verify().assert_ok();

    // The merge in the other order (theirs first) verifies too.
    let other = theirs.clone_library();
    other.write(
        "corpus/quotes/t-ash.toml",
        &ours.read("corpus/quotes/t-ash.toml"),
    );
    other.write_ledger(&union(&base, &theirs.ledger_lines(), &ours.ledger_lines()));
    let _ = std::fs::remove_file(other.path(".heard/ledger-heads"));
    other.verify().assert_ok();

    // Tampering in a merged history is still found.
    let mut lines = merged.ledger_lines();
    let i = lines.len() - 3;
    lines.remove(i);
    merged.write_ledger(&lines);
    assert_eq!(merged.verify().code, 1);
}

#[test]
fn an_edited_withdrawal_does_not_bring_consent_back() {
    let (lib, a, _) = lib();
    assert_eq!(lib.quote(&a)["status"], "withdrawn");
    // Someone tidies the note of the withdrawal by hand (or a merge tool mangles it).
    let mut lines = lib.ledger_lines();
    assert!(lines[3].contains("quote.withdraw"));
    lines[3] = lines[3].replace("changed my mind", "Changed my mind.");
    lib.write_ledger(&lines);
    verify_finds(&lib, &format!("{LEDGER}:4:"), &["edited"]);
    // The speaker took consent back; a damaged record of that must not make the quote
    // usable again.
    let q = lib.quote(&a);
    assert_ne!(q["status"], "approved", "{q:#}");
    assert!(
        lib.quotes(&["--status", "approved"])
            .iter()
            .all(|q| q["id"] != a.as_str())
    );
}
