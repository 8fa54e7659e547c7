//! Meaning as well as words: `heard search` finds a passage close in meaning that shares no
//! word with the query; the embeddings behind it are cached in `.heard/`, computed only for
//! new texts, and rebuilt (never fatal) when the cache is damaged.

use serde_json::Value;

use crate::util::{TestLibrary, hits, s};

const DISCHARGED: &str = "corpus/testimonies/sam-friday.md";
const DISCHARGED_TEXT: &str = "When the ward discharged me I became homeless.";

fn lib() -> TestLibrary {
    let lib = TestLibrary::with_fixture("search");
    lib.write(
        DISCHARGED,
        &format!("---\ntitle: A Friday\ndate: 2024-03-01\n---\n\n{DISCHARGED_TEXT}\n"),
    );
    lib
}

/// The segments of the embeddings store.
fn segments(lib: &TestLibrary) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(lib.path(".heard/embeddings"))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    out.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|x| x == "vec"));
    out.sort();
    out
}

fn found(doc: &Value, path: &str) -> bool {
    hits(doc).iter().any(|h| s(h, "path") == path)
}

#[test]
fn a_search_finds_a_passage_close_in_meaning_that_shares_no_word() {
    let lib = lib();
    let query = "nowhere to live after hospital";
    // Not one word (or stem) in common.
    let words = |t: &str| -> Vec<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let passage = words(DISCHARGED_TEXT);
    assert!(words(query).iter().all(|w| !passage.contains(w)));

    // A plain search matches words and never waits for meaning.
    let doc = lib.search(&[query]);
    assert_eq!(doc["matched_by"], "words");
    assert!(!found(&doc, DISCHARGED), "{doc:#}");
    assert!(
        !lib.path(".heard/embeddings").exists(),
        "a plain search embedded the library"
    );

    let doc = lib.search(&[query, "--meaning"]);
    assert_eq!(doc["matched_by"], "words and meaning");
    let hit = hits(&doc)
        .iter()
        .find(|h| s(h, "path") == DISCHARGED)
        .unwrap_or_else(|| panic!("not found by meaning: {doc:#}"));
    assert!(
        hit.get("words").is_none(),
        "found by meaning alone: {hit:#}"
    );
    // Measured 0.36 (the floor for a text the words did not match is 0.35).
    assert!(hit["meaning"].as_f64().unwrap() >= 0.35, "{hit:#}");
}

#[test]
fn phrases_and_operators_ask_for_exactly_those_words() {
    let lib = lib();
    for q in ["\"nowhere to go\"", "nowhere AND hospital", "title:friday"] {
        let doc = lib.search(&[q, "--meaning"]);
        assert_eq!(doc["matched_by"], "words", "{q}");
    }
    let doc = lib.search(&["\"nowhere to go\"", "--meaning"]);
    assert!(!found(&doc, DISCHARGED), "{doc:#}");
}

#[test]
fn unrelated_words_do_not_bring_in_passages_by_meaning() {
    let lib = lib();
    // A query about something the library does not hold finds nothing, by words or meaning.
    let doc = lib.search(&["quarterly VAT return deadline", "--meaning"]);
    assert!(hits(&doc).is_empty(), "{doc:#}");
}

#[test]
fn embeddings_are_cached_and_only_new_texts_are_embedded() {
    let lib = lib();
    let first = lib.index_json();
    let n = first["embeddings"].as_u64().unwrap();
    assert!(n > 5, "{first:#}");
    assert!(!segments(&lib).is_empty());

    // A new file: only its text is embedded.
    lib.write(
        "corpus/notes/touch.md",
        "---\ntitle: Touch\n---\n\nA new note about the café.\n",
    );
    let added = lib.index_json();
    assert_eq!(added["embedded"], 1, "only the new passage: {added:#}");
    assert_eq!(added["embeddings"].as_u64().unwrap(), n + 1);

    // A text that leaves the library takes its vector with it.
    lib.remove(DISCHARGED);
    let removed = lib.index_json();
    assert_eq!(removed["embedded"], 0, "{removed:#}");
    assert_eq!(removed["embeddings_dropped"], 1, "{removed:#}");
    assert_eq!(removed["embeddings"].as_u64().unwrap(), n);

    // A rebuilt index (e.g. after `rm -r .heard/index`) re-embeds nothing: vectors are
    // keyed by the text, not by the index.
    std::fs::remove_dir_all(lib.path(".heard/index")).unwrap();
    std::fs::remove_file(lib.path(".heard/state.redb")).unwrap();
    let rebuilt = lib.index_json();
    assert_eq!(rebuilt["embedded"], 0, "{rebuilt:#}");
    assert_eq!(rebuilt["embeddings"].as_u64().unwrap(), n);
}

#[test]
fn a_damaged_embeddings_cache_is_rebuilt_with_a_notice() {
    let lib = lib();
    lib.index_ok();
    let file = segments(&lib).pop().expect("a segment");
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    // A change, so the refresh looks at the store.
    lib.write(
        "corpus/notes/new.md",
        "---\ntitle: New\n---\n\nAnother note.\n",
    );
    let run = lib.heard(&["index"]);
    run.assert_ok();
    let notices: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains(".heard/embeddings/"))
        .collect();
    assert_eq!(notices.len(), 1, "{}", run.stderr);
    assert!(notices[0].contains("rebuilt"), "{}", run.stderr);
    let doc = lib.search(&["nowhere to live after hospital", "--meaning"]);
    assert!(found(&doc, DISCHARGED), "{doc:#}");
}
