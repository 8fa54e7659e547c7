//! No route for unconsented words to leave: the holes a hostile review found in the ledger,
//! in `check` and in the quote files, each as it was reproduced.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::evidence::{CONSULTATION, RESPONSE, evidence};
use crate::util::TestLibrary;

const LEDGER: &str = "corpus/ledger.jsonl";
const MORNING_WORDS: &str =
    "The crisis line told me to ring back in the morning, but the morning was the problem.";

/// The evidence fixture with one quote approved for external use and then withdrawn.
fn withdrawn() -> (TestLibrary, String) {
    let lib = TestLibrary::with_fixture("evidence");
    let a = lib.quote_add(
        "t-ash",
        "They discharged me at nine at night with a carrier bag and a bus pass.",
        &[],
    );
    lib.approve(&a, "c-ash", "external");
    lib.heard(&["quote", "withdraw", &a, "--by", "c-ash"])
        .assert_ok();
    (lib, a)
}

/// Rewrite the ledger's last event with `edit`, recomputing its id so its own hash holds.
fn forge_last(lib: &TestLibrary, edit: impl FnOnce(&mut heard::ledger::Event)) {
    let mut lines = lib.ledger_lines();
    let mut e: heard::ledger::Event = serde_json::from_str(lines.last().unwrap()).unwrap();
    edit(&mut e);
    e.id = e.content_id();
    *lines.last_mut().unwrap() = serde_json::to_string(&e).unwrap();
    lib.write_ledger(&lines);
}

#[test]
fn a_ledger_without_its_final_newline_keeps_the_withdrawal() {
    let (lib, a) = withdrawn();
    let text = lib.read(LEDGER);
    lib.write(LEDGER, text.strip_suffix('\n').unwrap());
    lib.heard(&["quote", "tag", &a, "--add", "housing"])
        .assert_ok();
    assert_eq!(lib.ledger_lines().len(), 4, "each event on its own line");
    assert_eq!(lib.quote(&a)["status"], "withdrawn");
    lib.verify().assert_ok();
}

#[test]
fn a_withdrawal_forged_into_an_approval_is_distrusted_everywhere() {
    let (lib, a) = withdrawn();
    forge_last(&lib, |e| {
        e.action = heard::ledger::Action::QuoteApprove;
        e.details = serde_json::json!({"scope": "external"}).into();
    });
    // A clone without .heard/: the quote file still names the real last event.
    let clone = lib.clone_library();
    std::fs::remove_dir_all(clone.path(".heard")).unwrap();
    for l in [&lib, &clone] {
        l.write(&format!("{RESPONSE_DIR}/consultation.toml"), CONSULTATION);
        assert_eq!(l.quote(&a)["status"], "unknown");
        let run = l.verify();
        run.assert_code(1);
        assert!(run.stdout.contains("not in the ledger"), "{}", run.stdout);
        let run = l.heard(&["draft", RESPONSE_DIR]);
        run.assert_code(2);
        assert!(
            run.stderr.contains("consent ledger is damaged") && run.stderr.contains("heard verify"),
            "{}",
            run.stderr
        );
    }
}

/// A folder with a consultation, for draft's refusal (the evidence fixture has none).
const RESPONSE_DIR: &str = "responses/trust";

#[test]
fn the_newest_events_deleted_in_a_clone_without_local_state_are_found() {
    let (lib, a) = withdrawn();
    let clone = lib.clone_library();
    std::fs::remove_dir_all(clone.path(".heard")).unwrap();
    let mut lines = clone.ledger_lines();
    lines.pop();
    clone.write_ledger(&lines);
    assert_eq!(clone.quote(&a)["status"], "unknown");
    let run = clone.verify();
    run.assert_code(1);
    assert!(run.stdout.contains("events were deleted"), "{}", run.stdout);
}

#[test]
fn acknowledged_damage_asks_for_consent_again() {
    let (lib, a) = withdrawn();
    let b = lib.quote_add(
        "t-bo",
        "When you have complex needs every service thinks you belong to another service.",
        &[],
    );
    lib.approve(&b, "c-bo", "external");
    let mut lines = lib.ledger_lines();
    lines.push("{\"id\": \"half-written".into());
    lib.write_ledger(&lines);
    assert_eq!(lib.quote(&b)["status"], "unknown");
    // A contributor cannot wave damage through; an officer can, and says so in the ledger.
    lib.heard(&["verify", "--acknowledge", "--by", "c-bo"])
        .assert_code(2);
    let run = lib.heard(&[
        "verify",
        "--acknowledge",
        "--by",
        "officer-test",
        "--note",
        "no backup of the lost line",
    ]);
    run.assert_ok();
    assert_eq!(lib.quote(&b)["status"], "pending", "asked again");
    assert_eq!(lib.quote(&a)["status"], "withdrawn", "a no stays a no");
    lib.approve(&b, "c-bo", "external");
    assert_eq!(lib.quote(&b)["status"], "approved");
    lib.verify().assert_ok();
}

/// Drop the footnote marker of quote `id` and its definition from a draft, so only the
/// words are left.
fn unmarked(text: &str, id: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with(&format!("[^{id}]:")))
        .map(|l| l.replace(&format!("[^{id}]"), ""))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn withdrawn_words_are_found_without_their_marker_however_they_are_dressed() {
    let ev = evidence();
    let text = ev.answered_draft();
    let id = ev.id("bo-morning").to_string();
    assert!(text.contains(MORNING_WORDS));
    ev.lib
        .heard(&["quote", "withdraw", &id, "--by", "c-bo"])
        .assert_ok();
    let bare = unmarked(&text, &id);
    let dressed = [
        // The block quote kept, the marker gone.
        bare.clone(),
        // A plain paragraph.
        bare.replace(&format!("> “{MORNING_WORDS}”"), MORNING_WORDS),
        // A heading.
        bare.replace(&format!("> “{MORNING_WORDS}”"), &format!("### {MORNING_WORDS}")),
        // Inline, retyped: other quotation marks, punctuation and spacing.
        bare.replace(
            &format!("> “{MORNING_WORDS}”"),
            "As one man put it, \"the crisis line told me to ring  back in the morning - but the morning was the problem\".",
        ),
    ];
    for (i, t) in dressed.iter().enumerate() {
        ev.write_response(t);
        let run = ev.check();
        run.assert_code(1);
        assert!(
            run.stdout
                .lines()
                .any(|l| l.contains(&id) && l.contains("withdrawn")),
            "variant {i}: check did not find the withdrawn words:\n{}",
            run.stdout
        );
        let run = ev
            .lib
            .heard(&["export", RESPONSE, "--to", "txt", "--force"]);
        run.assert_code(1);
        assert!(
            run.stderr.contains("--force does not override"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn someones_words_pasted_without_a_quote_are_found() {
    let ev = evidence();
    let text = ev.answered_draft();
    // From Bo's testimony, never made a quote; and from a restricted testimony.
    let bo = "I was the only one carrying my story between them, on the worst days of my life.";
    let dee = ev.lib.read("corpus/testimonies/dee-restricted.md");
    let dee_line = dee
        .lines()
        .rev()
        .find(|l| l.split_whitespace().count() >= 8)
        .unwrap()
        .to_string();
    ev.write_response(&text.replacen("## Q3.", &format!("{bo}\n\n{dee_line}\n\n## Q3."), 1));
    let run = ev.check();
    run.assert_code(1);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains("bo-crisis.md") && l.contains("no approved quote")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains("dee-restricted.md") && l.contains("restricted")),
        "{}",
        run.stdout
    );
}

#[test]
fn two_source_ids_that_slug_alike_keep_their_own_quote_files() {
    let lib = TestLibrary::with_fixture("evidence");
    lib.write(
        "corpus/notes/a.md",
        "---\nid: panel/a\ncontributors: [c-bo]\n---\n\nThe bus to the hospital stops running at six.\n",
    );
    lib.write(
        "corpus/notes/b.md",
        "---\nid: panel-a\ncontributors: [c-ash]\n---\n\nThe night shelter closes its doors at ten sharp.\n",
    );
    let one = lib.quote_add(
        "panel/a",
        "The bus to the hospital stops running at six.",
        &[],
    );
    let two = lib.quote_add(
        "panel-a",
        "The night shelter closes its doors at ten sharp.",
        &[],
    );
    let files: Vec<String> = std::fs::read_dir(lib.path("corpus/quotes"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(files.iter().any(|f| f.contains(&one) && !f.contains(&two)));
    assert!(files.iter().any(|f| f.contains(&two) && !f.contains(&one)));
    lib.verify().assert_ok();
}

#[test]
fn an_append_cut_short_by_a_kill_is_taken_back_but_a_cut_line_is_not() {
    let (lib, a) = withdrawn();
    let before = lib.read(LEDGER);
    let line = format!(
        "{{\"id\":\"e-00000000000000000000000000000000\",\"parents\":[],\"time\":\"2026-01-01T00:00:00Z\",\"actor\":\"x\",\"action\":\"quote.tag\",\"target\":\"{a}\",\"details\":{{}}}}\n"
    );
    // heard noted what it was about to write, then was killed halfway through writing it.
    lib.write(
        ".heard/ledger-pending",
        &format!("{}\n{line}", before.len()),
    );
    lib.write(LEDGER, &format!("{before}{}", &line[..40]));
    lib.verify().assert_ok();
    assert_eq!(lib.quote(&a)["status"], "withdrawn");
    lib.heard(&["quote", "tag", &a, "--add", "mcn"]).assert_ok();
    assert!(lib.read(LEDGER).starts_with(&before));
    assert!(!lib.read(LEDGER).contains(&line[..40]));
    // Without that note, the same half line is damage, never dropped.
    lib.write(LEDGER, &format!("{}{}", lib.read(LEDGER), &line[..40]));
    lib.verify().assert_code(1);
    assert_eq!(lib.quote(&a)["status"], "unknown");
}

#[test]
fn a_quote_file_behind_the_ledger_is_rewritten_silently() {
    // What a kill between the ledger append and the quote-file write leaves: an event the
    // quote file does not reflect yet.
    let (lib, a) = withdrawn();
    let b = lib.quote_add(
        "t-bo",
        "When you have complex needs every service thinks you belong to another service.",
        &[],
    );
    let before = lib.read("corpus/quotes/t-bo.toml");
    lib.append_old_event(
        "2026-01-01T00:00:00Z",
        "c-bo",
        heard::ledger::Action::QuoteApprove,
        &b,
        serde_json::json!({"scope": "internal"}),
    );
    let run = lib.verify();
    run.assert_ok();
    let after = lib.read("corpus/quotes/t-bo.toml");
    assert_ne!(before, after);
    assert!(after.contains("status = \"approved\""), "{after}");
    assert_eq!(lib.quote(&a)["status"], "withdrawn");
}

#[test]
fn a_writer_killed_at_any_moment_leaves_a_ledger_that_verifies() {
    let lib = TestLibrary::with_fixture("evidence");
    let a = lib.quote_add(
        "t-ash",
        "They discharged me at nine at night with a carrier bag and a bus pass.",
        &[],
    );
    lib.heard(&["index"]).assert_ok();
    let tags = ["housing", "mcn", "crisis-care"];
    for i in 0..24u64 {
        let tag = tags[i as usize % tags.len()];
        let verb = if i % 2 == 0 { "--add" } else { "--remove" };
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("heard"))
            .args(["-C"])
            .arg(lib.root())
            .args(["quote", "tag", &a, verb, tag])
            .env("HEARD_USER", "officer-test")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill somewhere between start-up and the end of the write.
        std::thread::sleep(Duration::from_millis(2 + (i * 7) % 60));
        let _ = child.kill();
        let _ = child.wait();
        let run = lib.verify();
        assert_eq!(
            run.code, 0,
            "after kill {i}: verify reports\n{}{}",
            run.stdout, run.stderr
        );
    }
    let leftovers: Vec<String> = ["corpus", "corpus/quotes", ".heard"]
        .iter()
        .flat_map(|d| std::fs::read_dir(lib.path(d)).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".heard-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let events: Vec<Value> = lib.ledger_events();
    assert!(events.len() >= 2);
}

#[test]
fn check_finds_short_passages_words_in_other_scripts_and_words_a_public_title_covers() {
    // `check` reads only the sources the index says could share words with the response;
    // each case here is one the index could miss if it were asked carelessly, so each is
    // checked alone.
    let ev = evidence();
    let text = ev.answered_draft();
    let testimony = |id: &str, title: &str, body: &str| {
        ev.lib.write(
            &format!("corpus/testimonies/{id}.md"),
            &format!(
                "---\nid: {id}\ntitle: {title}\nkind: testimony\ndate: 2025-02-01\n\
                 contributors: [c-cy]\nsensitivity: internal\n---\n\n{body}\n"
            ),
        );
    };
    testimony("t-eva", "Eva at night", "Nobody ever phoned back.");
    testimony(
        "t-ola",
        "Łóżko",
        "Źle spałam, żółta ściana, łóżko, ćma, głową, późną nocą.",
    );
    testimony(
        "t-fay",
        "Fay at the hostel",
        "The hostel door was locked by ten and the warden never answered the bell.",
    );
    // Another organisation's public report whose title is Fay's sentence: words that may
    // leave anyway, so they are not a finding wherever else they appear.
    ev.lib.write(
        "corpus/reports/locked-out.md",
        "---\nid: rep-locked-out\ntitle: The hostel door was locked by ten and the warden never answered the bell\n\
         kind: report\ndate: 2025-03-01\norganisation: Riverside Council\nsensitivity: public\n---\n\n\
         A short report about access to hostels after dark.\n",
    );
    let check_with = |added: &str| {
        ev.write_response(&text.replacen("## Q3.", &format!("{added}\n\n## Q3."), 1));
        let run = ev.check();
        run.stdout
    };
    // A passage of four words, pasted whole.
    let out = check_with("Nobody ever phoned back.");
    assert!(
        out.lines()
            .any(|l| l.contains("t-eva.md") && l.contains("\"nobody ever phoned back")),
        "{out}"
    );
    // Words none of which is of plain letters: the index cannot be asked about their
    // runs, so every source is read.
    let out = check_with("Źle spałam, żółta ściana, łóżko, ćma, głową, późną nocą.");
    assert!(
        out.lines()
            .any(|l| l.contains("t-ola.md") && l.contains("\"źle spałam")),
        "{out}"
    );
    // A word too long for the index to keep, inside the run: the other words are looked
    // up at their own places.
    let code = "Q".repeat(60);
    testimony(
        "t-gil",
        "Gil and the code",
        &format!("They gave me a reference {code} and said ring it tomorrow."),
    );
    let out = check_with(&format!(
        "They gave me a reference {code} and said ring it tomorrow."
    ));
    assert!(
        out.lines()
            .any(|l| l.contains("t-gil.md") && l.contains("\"they gave me")),
        "{out}"
    );
    // Covered by the public report's title.
    let out =
        check_with("The hostel door was locked by ten and the warden never answered the bell.");
    assert!(
        !out.contains("t-fay.md") && !out.contains("locked-out.md"),
        "words a public title holds are not a finding: {out}"
    );
}
