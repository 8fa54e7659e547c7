//! Whose words a quote holds: an officer names the speaker of words in shared notes
//! (`heard quote speaker`), a contributor never names someone else, and only the named
//! speaker consents.

use crate::util::{OFFICER, TestLibrary};

/// A library with group notes holding two contributors' words.
fn shared() -> TestLibrary {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/contributors.toml",
        "[[contributor]]\nid = \"c-ana\"\ncredit = \"anonymous\"\n\n[[contributor]]\nid = \"c-bo\"\ncredit = \"anonymous\"\n\n[[contributor]]\nid = \"c-cy\"\ncredit = \"anonymous\"\n",
    );
    lib.write(
        "corpus/notes/group.md",
        "---\nid: n-group\ntitle: Group notes\nkind: notes\ncontributors: [c-ana, c-bo]\n---\n\nAna said the wait for counselling felt like being forgotten.\n\nBo said the night discharge left him sleeping in a bus shelter.\n",
    );
    lib
}

#[test]
fn a_contributor_cannot_name_someone_else_as_the_speaker() {
    let lib = shared();
    let run = lib
        .command(&[
            "quote",
            "add",
            "--source",
            "n-group",
            "--exact",
            "the night discharge left him sleeping in a bus shelter",
            "--speaker",
            "c-bo",
        ])
        .env("HEARD_USER", "c-ana")
        .output()
        .expect("run heard");
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("c-ana") && err.contains("officer"), "{err}");
    assert!(lib.quotes(&[]).is_empty(), "nothing was recorded");
    // Naming themselves as the speaker of words in shared notes is not theirs to decide either.
    let run = lib
        .command(&[
            "quote",
            "add",
            "--source",
            "n-group",
            "--exact",
            "the night discharge left him sleeping in a bus shelter",
            "--speaker",
            "c-ana",
        ])
        .env("HEARD_USER", "c-ana")
        .output()
        .expect("run heard");
    assert_eq!(run.status.code(), Some(2));
    assert!(lib.quotes(&[]).is_empty());
    // An officer may.
    lib.quote_add(
        "n-group",
        "the night discharge left him sleeping in a bus shelter",
        &["--speaker", "c-bo"],
    );
}

#[test]
fn an_officer_names_the_speaker_and_only_that_speaker_consents() {
    let lib = shared();
    let id = lib.quote_add("n-group", "felt like being forgotten", &[]);
    assert!(lib.quote(&id)["speaker"].is_null(), "several contributors");
    let run = lib.heard(&["quote", "approve", &id, "--by", "c-ana"]);
    run.assert_code(2);
    lib.heard(&["quote", "speaker", &id, "--set", "c-bo"])
        .assert_ok();
    let events = lib.ledger_events();
    let last = events.last().expect("an event");
    assert_eq!(last["action"], "quote.speaker");
    assert_eq!(last["actor"], OFFICER);
    assert_eq!(last["target"], id.as_str());
    assert_eq!(last["details"]["speaker"], "c-bo");
    assert!(last["details"]["previous"].is_null());
    assert_eq!(lib.quote(&id)["speaker"], "c-bo");
    assert!(
        lib.read("corpus/quotes/n-group.toml")
            .contains("speaker = \"c-bo\"")
    );
    // Only the named speaker consents.
    let run = lib.heard(&["quote", "approve", &id, "--by", "c-ana"]);
    run.assert_code(2);
    assert!(run.stderr.contains("c-bo"), "{}", run.stderr);
    // Corrected: the previous speaker is recorded.
    lib.heard(&["quote", "speaker", &id, "--set", "c-ana"])
        .assert_ok();
    let last = lib.ledger_events().last().cloned().expect("an event");
    assert_eq!(last["details"]["previous"], "c-bo");
    lib.approve(&id, "c-ana", "external");
    // An approved quote's speaker cannot change: the yes was theirs.
    let run = lib.heard(&["quote", "speaker", &id, "--set", "c-bo"]);
    run.assert_code(2);
    assert!(run.stderr.contains("approved"), "{}", run.stderr);
    assert_eq!(lib.quote(&id)["speaker"], "c-ana");
    lib.verify().assert_ok();
}

#[test]
fn naming_a_speaker_is_checked() {
    let lib = shared();
    let id = lib.quote_add("n-group", "felt like being forgotten", &[]);
    // Not a contributor of these notes (or not known at all).
    for who in ["c-cy", "c-nobody"] {
        let run = lib.heard(&["quote", "speaker", &id, "--set", who]);
        run.assert_code(2);
        assert!(run.stderr.contains("c-ana, c-bo"), "{}", run.stderr);
    }
    // A contributor cannot name the speaker, not even themselves.
    let run = lib
        .command(&["quote", "speaker", &id, "--set", "c-ana"])
        .env("HEARD_USER", "c-ana")
        .output()
        .expect("run heard");
    assert_eq!(run.status.code(), Some(2));
    // An unknown quote.
    lib.heard(&["quote", "speaker", "q-00000000", "--set", "c-ana"])
        .assert_code(2);
    assert!(lib.quote(&id)["speaker"].is_null());
}
