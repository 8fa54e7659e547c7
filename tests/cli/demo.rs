//! The bundled demo library indexes cleanly and shows what heard is for.

use std::path::Path;

use crate::util::{TestLibrary, hits, n, paths, s};

/// A copy of the repository's heard.toml and corpus/ in a temporary folder.
pub(crate) fn demo() -> TestLibrary {
    let lib = TestLibrary::bare();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(repo.join("heard.toml"), lib.path("heard.toml")).unwrap();
    copy(&repo.join("corpus"), &lib.path("corpus"));
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

#[test]
fn the_demo_library_indexes_cleanly() {
    let lib = demo();
    let before = lib.snapshot("corpus");
    let run = lib.heard(&["index", "--json"]);
    run.assert_ok();
    let report = run.json();
    assert!(report["sources"].as_u64().unwrap() >= 25, "{report:#}");
    assert_eq!(report["problems"], serde_json::json!([]), "{report:#}");
    assert_eq!(lib.snapshot("corpus"), before);
    let run = lib.heard(&["index"]);
    run.assert_ok();
    assert!(run.problem_lines().is_empty(), "{}", run.stderr);
    assert!(run.summary().line.contains("0 problems"));
}

#[test]
fn every_demo_submission_has_recommendations() {
    let lib = demo();
    let doc = lib.recs(&["--limit", "10000"]);
    let with_recs = paths(&doc);
    let mut submissions = Vec::new();
    for e in std::fs::read_dir(lib.path("corpus/submissions")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            submissions.push(format!("corpus/submissions/{name}"));
        }
    }
    assert!(submissions.len() >= 5, "{submissions:?}");
    for sub in &submissions {
        assert!(with_recs.contains(sub), "no recommendations found in {sub}");
    }
    // Recommendations come from reports and submissions only.
    for r in hits(&doc) {
        assert!(matches!(s(r, "kind"), "report" | "submission"), "{r:#}");
    }
}

#[test]
fn the_readme_search_finds_reports() {
    let lib = demo();
    let doc = lib.search(&["\"nowhere to go\"", "--kind", "report", "--limit", "100"]);
    assert!(!hits(&doc).is_empty());
    assert!(hits(&doc).iter().all(|h| s(h, "kind") == "report"));
    assert!(
        hits(&doc)
            .iter()
            .any(|h| s(h, "text").to_lowercase().contains("nowhere to go")),
        "{doc:#}"
    );
}

#[test]
fn the_readme_search_shows_passages_with_the_phrase() {
    let lib = demo();
    let doc = lib.search(&["\"nowhere to go\"", "--kind", "report"]);
    for h in hits(&doc) {
        assert!(
            s(h, "text").to_lowercase().contains("nowhere to go"),
            "{}:{} does not contain the phrase: {}",
            s(h, "path"),
            n(h, "line_start"),
            s(h, "text")
        );
    }
}
