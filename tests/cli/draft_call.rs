//! `heard draft` on the demo library's own call for evidence: the questions of one call
//! compete for evidence, so an item goes to the question it fits best rather than to the
//! first question that found it, and every question the library can answer still gets
//! evidence.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::util::TestLibrary;

/// The demo call's folder.
const CALL: &str = "responses/crisis-care-2026";

/// A copy of the repository's demo library (heard.toml, corpus/) with its call.
fn demo_with_call() -> TestLibrary {
    let lib = TestLibrary::bare();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(repo.join("heard.toml"), lib.path("heard.toml")).unwrap();
    copy(&repo.join("corpus"), &lib.path("corpus"));
    lib.write(
        &format!("{CALL}/consultation.toml"),
        &std::fs::read_to_string(repo.join(CALL).join("consultation.toml")).unwrap(),
    );
    lib
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Question id → the ids it cites, from provenance.json.
fn cited_by_question(prov: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in prov["citations"].as_array().expect("citations") {
        out.entry(c["question"].as_str().unwrap().to_string())
            .or_default()
            .push(c["id"].as_str().unwrap().to_string());
    }
    out
}

#[test]
fn evidence_goes_to_the_question_it_fits_and_every_answerable_question_keeps_some() {
    let lib = demo_with_call();
    // The folder is given whole: a relative one would name the repository's own copy.
    let folder = lib.path(CALL);
    let run = lib.heard(&["draft", folder.to_str().unwrap()]);
    run.assert_ok();
    let prov: Value = serde_json::from_str(&lib.read(&format!("{CALL}/provenance.json"))).unwrap();
    let cited = cited_by_question(&prov);
    // The demo library can answer every question of its own call: none is left empty or
    // called a gap because its evidence went elsewhere.
    for q in ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"] {
        let ids = cited.get(q).map_or(&[][..], Vec::as_slice);
        assert!(
            ids.iter().any(|i| !i.starts_with("q-")),
            "{q} has no passage or recommendation: {ids:?}"
        );
        assert!(
            !run.stderr
                .lines()
                .any(|l| l.contains(&format!("{q} ")) && l.contains("no strong evidence")),
            "{q} called a gap:\n{}",
            run.stderr
        );
    }
    // Rowan's "Nobody should be released homeless…" is about leaving prison: it answers Q7
    // (crisis care for people leaving prison), not Q4 (leaving hospital), which came first
    // and used to take it because a person's words are quoted once in a response.
    let rowan = "q-8066da98";
    assert!(
        cited
            .get("Q7")
            .is_some_and(|ids| ids.iter().any(|i| i == rowan)),
        "Q7 does not quote Rowan on release: {cited:?}"
    );
    assert!(
        !cited["Q4"].iter().any(|i| i == rowan),
        "Q4 (leaving hospital) quotes Rowan on leaving prison: {:?}",
        cited["Q4"]
    );
}
