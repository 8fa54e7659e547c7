//! Meaning at scale: a draft never waits for the whole library's meaning (above a
//! threshold it reads only what it looks at, says how much is known, and records it in the
//! provenance); `heard index` saves its work in checkpoints, so a killed run loses little;
//! `heard watch` reads the meaning of new texts in the background.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::evidence::{RESPONSE, evidence};
use crate::util::TestLibrary;
use crate::watch::Watching;

/// Texts the model read, from the `HEARD_DEBUG_EMBED` lines.
fn embedded(stderr: &str) -> usize {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("heard-debug: embedded "))
        .filter_map(|l| l.split(' ').next()?.parse::<usize>().ok())
        .sum()
}

fn segments(lib: &TestLibrary) -> usize {
    std::fs::read_dir(lib.path(".heard/embeddings"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "vec"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_draft_above_the_threshold_reads_only_what_it_looks_at_and_says_so() {
    let ev = evidence();
    let lib = &ev.lib;
    let _ = std::fs::remove_dir_all(lib.path(".heard/embeddings"));
    let draft = || {
        let out = lib
            .command(&["draft", RESPONSE])
            .env("HEARD_EMBED_ALL_BELOW", "5")
            .env("HEARD_DEBUG_EMBED", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        stderr
    };
    let said = draft();
    let prov: Value =
        serde_json::from_str(&lib.read(&format!("{RESPONSE}/provenance.json"))).unwrap();
    let texts = prov["meaning"]["texts"]
        .as_u64()
        .expect("coverage recorded") as usize;
    let known = prov["meaning"]["known"].as_u64().unwrap() as usize;
    // Three questions, and the candidates their searches looked at: not every text.
    let read = embedded(&said);
    assert!(texts > 5 && known > 0 && known < texts, "{prov:#}");
    assert_eq!(read, known + 3, "{said}");
    let notes: Vec<&str> = said.lines().filter(|l| l.contains("is known")).collect();
    assert_eq!(notes.len(), 1, "{said}");
    assert!(
        notes[0].contains(&format!("of {texts} texts")) && notes[0].contains("`heard index`"),
        "{said}"
    );
    // The next draft reuses what the first one read: only the questions are read again.
    let again = draft();
    assert_eq!(embedded(&again), 3, "{again}");
}

#[test]
fn a_killed_index_keeps_what_it_embedded_and_the_next_run_does_not_read_it_again() {
    let lib = TestLibrary::new();
    for i in 0..400 {
        lib.write(
            &format!("corpus/notes/n{i:03}.md"),
            &format!("---\ntitle: Note {i}\n---\n\nNote number {i} says the waiting list was {i} weeks.\n"),
        );
    }
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("heard"))
        .arg("-C")
        .arg(lib.root())
        .arg("index")
        .env("HEARD_EMBED_CHECKPOINT", "16")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while segments(&lib) == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "`heard index` finished before saving a checkpoint"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no checkpoint"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "`heard index` finished before it could be killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let doc = lib.index_json();
    let all = doc["embeddings"].as_u64().unwrap();
    let now = doc["embedded"].as_u64().unwrap();
    assert_eq!(all, 400, "{doc:#}");
    assert!(
        now <= all - 16,
        "what was saved was embedded again: {doc:#}"
    );
    // And the store is whole: nothing left to do.
    assert_eq!(lib.index_json()["embedded"], 0);
}

#[test]
fn a_watcher_reads_the_meaning_of_a_new_source_in_the_background() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/people/ana.md",
        "---\ntitle: Ana\n---\n\nThe waiting list was eleven months long.\n",
    );
    lib.index_ok();
    let mut watching = Watching::start(&lib);
    // One new text is read quietly; only a run long enough to notice is announced.
    lib.write(
        "corpus/people/bo.md",
        "---\ntitle: Bo\n---\n\nDischarged at night with nowhere to go.\n",
    );
    watching.wait_for(
        "Read the meaning of 1 text in the background",
        Duration::from_secs(120),
    );
    drop(watching);
    // Nothing is left for `heard index` to read.
    let doc = lib.index_json();
    assert_eq!(doc["embedded"], 0, "{doc:#}");
    assert_eq!(doc["embeddings"], 2, "{doc:#}");
}

/// A watcher started on a library whose texts have no meaning yet says, before it spends
/// a core on them, how many it will read and about how long that takes.
#[test]
fn a_watcher_says_before_a_long_background_run_how_many_texts_and_how_long() {
    let lib = TestLibrary::new();
    for i in 0..120 {
        lib.write(
            &format!("corpus/notes/n{i:03}.md"),
            &format!("---\ntitle: Note {i}\n---\n\nNote number {i} says the wait was {i} weeks.\n"),
        );
    }
    // Words only: a search never reads meaning up front.
    lib.heard(&["search", "wait"]).assert_ok();
    let mut watching = Watching::start(&lib);
    watching.wait_for("Read the meaning of", Duration::from_secs(180));
    // Everything said before the line that says the run ended.
    let said = &watching.said[..watching.said.len() - 1];
    assert!(
        said.iter().any(|l| l.starts_with("Reading the meaning of")
            && l.contains(" texts in the background")
            && l.contains("about ")),
        "the run was not announced before it ended:\n{}",
        said.join("\n")
    );
}
