//! The refresh pipeline: only what changed is looked at again (the quotes of a changed
//! source, the quote a consent decision is about), the result is the same as a full
//! rebuild, and damaged state in `.heard/` costs a rebuild with one notice.

use serde_json::Value;

use crate::util::{TestLibrary, hits, paths, set};

const SHELTER: &str = "corpus/reports/2023-winter-shelter.md";
const ALLOTMENT: &str = "corpus/testimonies/bea-the-allotment.md";
const PANEL: &str = "corpus/notes/2024-panel-transport.md";

/// The small library with four quotes: two on the shelter report, one on each of the others.
fn quoted() -> (TestLibrary, Vec<String>) {
    let lib = TestLibrary::with_fixture("small");
    let ids = vec![
        lib.quote_add("winter-shelter-2023", "forty-one nights", &[]),
        lib.quote_add("winter-shelter-2023", "valued the hot breakfast", &[]),
        lib.quote_add(
            "testimonies/bea-the-allotment",
            "my head went quiet",
            &["--speaker", "bea"],
        ),
        lib.quote_add("notes/2024-panel-transport", "the biggest barrier", &[]),
    ];
    (lib, ids)
}

fn n(doc: &Value, key: &str) -> u64 {
    doc[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no `{key}` count in {doc:#}"))
}

/// What a reader sees of the library: searches of every type, in full.
fn searches(lib: &TestLibrary) -> Vec<Value> {
    let mut out = Vec::new();
    for q in [
        "shelter",
        "breakfast",
        "quiet",
        "barrier",
        "nights",
        "allotment",
    ] {
        for t in ["quote", "passage", "source", "recommendation"] {
            out.push(lib.search(&[q, "--type", t, "--limit", "50"]));
        }
    }
    out.push(lib.search(&["--type", "quote", "--limit", "50"]));
    out
}

#[test]
fn changing_one_source_reanchors_only_its_quotes() {
    let (lib, _) = quoted();
    // The last quote made is indexed by the next refresh; then nothing is left to do.
    let first = lib.index_json();
    assert_eq!(n(&first["quotes"], "ok"), 4, "{first:#}");
    assert_eq!(n(&first, "reanchored"), 1, "the newest quote: {first:#}");
    let second = lib.index_json();
    assert_eq!(n(&second, "reanchored"), 0, "nothing changed: {second:#}");

    // The shelter report gains a paragraph: its two quotes are found again, no others.
    let text = lib.read(SHELTER) + "\nThe kitchen was run by volunteers.\n";
    lib.write(SHELTER, &text);
    let after = lib.index_json();
    assert_eq!((n(&after, "changed"), n(&after, "unchanged")), (1, 2));
    assert_eq!(n(&after, "reanchored"), 2, "{after:#}");
    assert_eq!(n(&after["quotes"], "ok"), 4, "{after:#}");

    // A file that disappears takes its one quote's anchor with it, and only that one.
    lib.remove(PANEL);
    let removed = lib.index_json();
    assert_eq!(n(&removed, "reanchored"), 1, "{removed:#}");
    assert_eq!(n(&removed["quotes"], "orphaned"), 1, "{removed:#}");
    assert_eq!(n(&removed["quotes"], "ok"), 3, "{removed:#}");
}

#[test]
fn a_consent_decision_reindexes_one_quote() {
    let (lib, ids) = quoted();
    lib.index_json();
    lib.approve(&ids[2], "bea", "external");
    let after = lib.index_json();
    assert_eq!(n(&after, "reanchored"), 1, "{after:#}");
    assert_eq!(
        (n(&after, "added"), n(&after, "changed")),
        (0, 0),
        "{after:#}"
    );
    // The index knows the new status.
    let doc = lib.search(&["quiet", "--type", "quote"]);
    assert_eq!(hits(&doc).len(), 1, "{doc:#}");
    assert_eq!(hits(&doc)[0]["status"], "approved", "{doc:#}");
    // And nothing more to do next time.
    assert_eq!(n(&lib.index_json(), "reanchored"), 0);
}

#[test]
fn an_incremental_index_answers_as_a_full_rebuild_does() {
    let (lib, ids) = quoted();
    lib.index_json();
    // Edits of every kind, each followed by a refresh.
    let text = lib.read(SHELTER).replace("forty-one", "forty-two");
    lib.write(SHELTER, &text);
    lib.index_json();
    lib.approve(&ids[2], "bea", "external");
    lib.search(&["quiet"]);
    lib.write(
        "corpus/notes/new.md",
        "---\ntitle: New\n---\n\nThe shelter kitchen needs a new oven.\n",
    );
    lib.remove(ALLOTMENT);
    lib.index_json();
    lib.write(
        "corpus/testimonies/bea-again.md",
        "---\nid: testimonies/bea-the-allotment\ntitle: Bea again\n---\n\nDigging at the allotment was the only time my head went quiet.\n",
    );
    let incremental = lib.index_json();
    // The retyped words drifted; the quote of the removed file is back in its new home.
    assert_eq!(n(&incremental["quotes"], "ok"), 3, "{incremental:#}");
    let seen = searches(&lib);

    std::fs::remove_dir_all(lib.path(".heard")).unwrap();
    let full = lib.index_json();
    assert_eq!(full["rebuilt"], true, "{full:#}");
    assert_eq!(full["quotes"], incremental["quotes"]);
    assert_eq!(full["sources"], incremental["sources"]);
    // The same hits, in the same order, with the same text, quotes and statuses. Their
    // scores may differ a little: tantivy's word statistics count the documents a change
    // replaced until a merge drops them, as Lucene's do, and in a library of five files a
    // replaced document weighs.
    assert_eq!(without_scores(searches(&lib)), without_scores(seen));
}

/// Search results without their scores.
fn without_scores(mut results: Vec<Value>) -> Vec<Value> {
    for r in &mut results {
        for h in r["hits"].as_array_mut().into_iter().flatten() {
            let score = h["score"].as_f64().expect("a score");
            assert!(score.is_finite() && score >= 0.0, "{h}");
            h["score"] = Value::Null;
        }
    }
    results
}

#[test]
fn a_file_renamed_with_its_id_keeps_the_id_and_its_quotes() {
    let (lib, _) = quoted();
    lib.index_json();
    let text = lib.read(SHELTER);
    lib.remove(SHELTER);
    lib.write("corpus/reports/shelter-renamed.md", &text);
    let run = lib.heard(&["index", "--json"]);
    run.assert_ok();
    let doc = run.json();
    assert_eq!(
        doc["problems"],
        serde_json::json!([]),
        "no duplicate id: {doc:#}"
    );
    assert_eq!(n(&doc["quotes"], "ok"), 4, "{doc:#}");
    assert_eq!(n(&doc, "reanchored"), 2, "{doc:#}");
    assert_eq!(
        paths(&lib.search(&["nights", "--type", "quote"])),
        set(&["corpus/reports/shelter-renamed.md"])
    );
}

#[test]
fn a_damaged_index_state_is_rebuilt_with_one_notice() {
    let (lib, _) = quoted();
    lib.index_ok();
    let state = lib.path(".heard/state.redb");
    let mut bytes = std::fs::read(&state).unwrap_or_default();
    bytes.resize(bytes.len().max(8192), 0);
    for b in bytes.iter_mut().take(4096) {
        *b ^= 0x5a;
    }
    std::fs::write(&state, &bytes).unwrap();
    let run = lib.heard(&["index"]);
    run.assert_ok();
    let notices: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("state.redb"))
        .collect();
    assert_eq!(notices.len(), 1, "{}", run.stderr);
    assert!(notices[0].contains("rebuilt"), "{}", run.stderr);
    assert_eq!(
        paths(&lib.search(&["breakfast"])),
        set(&[SHELTER]),
        "search works after the rebuild"
    );
    assert_eq!(hits(&lib.search(&["quiet", "--type", "quote"])).len(), 1);
    // Once rebuilt, nothing more is said.
    let again = lib.heard(&["index"]);
    assert!(!again.stderr.contains("state.redb"), "{}", again.stderr);
}

#[test]
fn an_old_manifest_is_replaced_without_a_fuss() {
    let lib = TestLibrary::with_fixture("small");
    lib.write(
        ".heard/manifest.json",
        r#"{"format":8,"taxonomy":"","files":{"corpus/x.md":{"size":1,"mtime_ns":1,"hash":"","indexed":true}}}"#,
    );
    let run = lib.heard(&["index"]);
    run.assert_ok();
    assert_eq!(run.summary().added, 3, "{}", run.stderr);
    assert!(!lib.path(".heard/manifest.json").exists());
    assert_eq!(paths(&lib.search(&["breakfast"])), set(&[SHELTER]));
}

/// How often `heard index` folded the whole ledger, from its per-stage timings.
fn ledger_folds(lib: &TestLibrary) -> (Value, u64) {
    let out = lib
        .command(&["index", "--json"])
        .env("HEARD_TIMINGS", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("ledger fold"))
        .unwrap_or_else(|| panic!("no ledger line in the timings:\n{stderr}"));
    let times = line
        .rsplit('(')
        .next()
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    (serde_json::from_slice(&out.stdout).unwrap(), times)
}

/// An edited source has its quotes found again from what the store keeps, without reading
/// the whole ledger (which grows with every consent decision ever made); a change to the
/// ledger is still read, and the answers are the same as a full fold's.
#[test]
fn an_edited_source_finds_its_quotes_again_without_folding_the_whole_ledger() {
    let (lib, ids) = quoted();
    let (_, folds) = ledger_folds(&lib);
    assert_eq!(folds, 1, "the new quotes are read from the ledger");

    let text = lib.read(SHELTER) + "\nThe kitchen was run by volunteers.\n";
    lib.write(SHELTER, &text);
    let (doc, folds) = ledger_folds(&lib);
    assert_eq!(folds, 0, "only a source changed: {doc:#}");
    assert_eq!(n(&doc, "reanchored"), 2, "{doc:#}");
    assert_eq!(n(&doc["quotes"], "ok"), 4, "{doc:#}");

    // The quoted words leave the report: its quote is no longer found where it was.
    let text = lib.read(SHELTER).replace("forty-one nights", "many nights");
    lib.write(SHELTER, &text);
    let (doc, folds) = ledger_folds(&lib);
    assert_eq!(folds, 0, "{doc:#}");
    assert_eq!(n(&doc, "reanchored"), 2, "{doc:#}");
    assert_eq!(n(&doc["quotes"], "drifted"), 1, "{doc:#}");

    // A consent decision changes the ledger: it is read again.
    lib.approve(&ids[2], "bea", "external");
    let (doc, folds) = ledger_folds(&lib);
    assert_eq!(folds, 1, "{doc:#}");
    let q = lib.search(&["quiet", "--type", "quote"]);
    assert_eq!(hits(&q)[0]["status"], "approved", "{q:#}");

    // And the quotes are what a full rebuild makes of them (word scores aside: those of an
    // updated index count replaced texts until tantivy merges them away).
    let browse = ["--type", "quote", "--limit", "50"];
    let incremental = lib.search(&browse);
    let quotes = lib.index_json()["quotes"].clone();
    std::fs::remove_dir_all(lib.path(".heard")).unwrap();
    let rebuilt = lib.index_json();
    assert_eq!(rebuilt["quotes"], quotes, "{rebuilt:#}");
    assert_eq!(lib.search(&browse), incremental);
}
