//! Tags and the taxonomy: `heard quote tag`, themes and their synonyms in
//! corpus/taxonomy.toml, `heard tags`, and tag filters.

use serde_json::{Value, json};

use crate::util::{TestLibrary, hits, paths, set, texts};

const MORNING: &str =
    "The crisis line told me to ring back in the morning, but the morning was the problem.";

fn lib() -> TestLibrary {
    TestLibrary::with_fixture("evidence")
}

#[track_caller]
fn tags_of(lib: &TestLibrary, id: &str) -> Value {
    lib.quote(id)["tags"].clone()
}

#[test]
fn quote_tag_adds_and_removes_tags_in_one_command() {
    let lib = lib();
    let id = lib.quote_add("t-bo", MORNING, &["--tag", "crisis-care"]);
    let run = lib.heard(&[
        "quote",
        "tag",
        &id,
        "--add",
        "mcn",
        "--add",
        "housing",
        "--remove",
        "crisis-care",
    ]);
    run.assert_ok();
    assert!(run.stderr.contains("housing, mcn"), "{}", run.stderr);
    assert_eq!(tags_of(&lib, &id), json!(["housing", "mcn"]));
    let file = lib.read("corpus/quotes/t-bo.toml");
    assert!(file.contains("tags = [\"housing\", \"mcn\"]"), "{file}");
    lib.heard(&["quote", "tag", &id, "--remove", "housing"])
        .assert_ok();
    assert_eq!(tags_of(&lib, &id), json!(["mcn"]));
    // Nothing to do, or no such quote: a usage error, nothing recorded.
    let before = lib.ledger_lines();
    lib.heard(&["quote", "tag", &id]).assert_code(2);
    lib.heard(&["quote", "tag", "q-12345678", "--add", "mcn"])
        .assert_code(2);
    assert_eq!(lib.ledger_lines(), before);
}

#[test]
fn a_synonym_or_label_given_as_a_tag_is_stored_as_its_theme() {
    let lib = lib();
    let id = lib.quote_add("t-bo", MORNING, &["--tag", "Crisis support"]);
    assert_eq!(tags_of(&lib, &id), json!(["crisis-care"]));
    lib.heard(&[
        "quote",
        "tag",
        &id,
        "--add",
        "complex needs",
        "--add",
        "Leaving hospital",
        "--add",
        "sofa-surfing",
    ])
    .assert_ok();
    assert_eq!(
        tags_of(&lib, &id),
        json!(["crisis-care", "hospital-discharge", "housing", "mcn"])
    );
    // A tag that is no theme is kept as a slug, and the command says it is not in the
    // taxonomy.
    let run = lib.heard(&["quote", "tag", &id, "--add", "Rough Sleepers"]);
    run.assert_ok();
    assert!(run.stderr.contains("rough-sleepers"), "{}", run.stderr);
    assert!(run.stderr.contains("taxonomy"), "{}", run.stderr);
    assert!(
        tags_of(&lib, &id)
            .as_array()
            .unwrap()
            .contains(&json!("rough-sleepers"))
    );
}

#[test]
fn a_search_for_one_synonym_finds_passages_with_another() {
    let lib = lib();
    // Bo's testimony says "complex needs"; the submission says "multiple disadvantage".
    let doc = lib.search(&["\"multiple disadvantage\"", "--type", "passage"]);
    let found = texts(&doc);
    assert!(
        found
            .iter()
            .any(|t| t.contains("When you have complex needs")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|t| t.contains("multiple disadvantage")),
        "{found:#?}"
    );
    let synonyms = doc["synonyms"].to_string();
    assert!(synonyms.contains("complex needs"), "{doc:#}");

    let doc = lib.search(&["complex needs", "--type", "passage"]);
    assert!(
        texts(&doc)
            .iter()
            .any(|t| t.contains("People facing multiple disadvantage")),
        "{doc:#}"
    );
    // The theme's id finds them all.
    let doc = lib.search(&["mcn", "--type", "passage"]);
    assert!(
        paths(&doc).contains("corpus/testimonies/bo-crisis.md")
            && paths(&doc).contains("corpus/submissions/2023-crisis-submission.md"),
        "{doc:#}"
    );
}

#[test]
fn a_tag_filter_with_a_synonym_finds_sources_tagged_with_the_theme() {
    let lib = lib();
    let mcn = set(&[
        "corpus/testimonies/bo-crisis.md",
        "corpus/testimonies/cy-hostel.md",
        "corpus/testimonies/dee-restricted.md",
        "corpus/submissions/2023-crisis-submission.md",
    ]);
    assert_eq!(
        paths(&lib.search(&["--tag", "mcn", "--type", "source"])),
        mcn
    );
    assert_eq!(
        paths(&lib.search(&["--tag", "complex needs", "--type", "source"])),
        mcn
    );
    assert_eq!(
        paths(&lib.search(&["--tag", "Multiple disadvantage", "--type", "source"])),
        mcn
    );
    // A source tagged with a synonym is found under its theme.
    lib.write(
        "corpus/notes/2025-sofa.md",
        "---\ntitle: Sofa nights\ntags: [sofa-surfing]\n---\n\nThree young people told us about sofa nights.\n",
    );
    let housing = paths(&lib.search(&["--tag", "housing", "--type", "source"]));
    assert!(housing.contains("corpus/notes/2025-sofa.md"), "{housing:?}");
    assert!(housing.contains("corpus/testimonies/ash-discharge.md"));
}

#[test]
fn tags_lists_every_tag_with_counts_and_flags_those_not_in_the_taxonomy() {
    let lib = lib();
    let a = lib.quote_add("t-bo", MORNING, &["--tag", "crisis-care"]);
    lib.heard(&["quote", "tag", &a, "--add", "rough-sleepers"])
        .assert_ok();
    let b = lib.quote_add(
        "t-bo",
        "When you have complex needs every service thinks you belong to another service.",
        &["--tag", "mcn", "--tag", "crisis-care"],
    );
    assert!(b.starts_with("q-"));
    let run = lib.heard(&["tags", "--json"]);
    run.assert_ok();
    let doc = run.json();
    let rows = doc["tags"].as_array().expect("a tags list");
    let row = |tag: &str| -> &Value {
        rows.iter()
            .find(|r| r["tag"] == tag)
            .unwrap_or_else(|| panic!("no `{tag}` in {doc:#}"))
    };
    for (tag, sources, quotes) in [
        ("housing", 4, 0),
        ("hospital-discharge", 5, 0),
        ("mcn", 4, 1),
        ("crisis-care", 3, 2),
    ] {
        let r = row(tag);
        assert_eq!(r["sources"], sources, "{tag}: {r}");
        assert_eq!(r["quotes"], quotes, "{tag}: {r}");
        assert_eq!(r["in_taxonomy"], true, "{tag}: {r}");
    }
    assert_eq!(row("mcn")["label"], "Multiple and complex needs");
    let unknown = row("rough-sleepers");
    assert_eq!(unknown["in_taxonomy"], false);
    assert_eq!(unknown["quotes"], 1);
    // The human list says so too.
    let run = lib.heard(&["tags"]);
    run.assert_ok();
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("rough-sleepers"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(line.contains("NOT IN TAXONOMY"), "{line}");
    assert!(run.stderr.contains("taxonomy.toml"), "{}", run.stderr);
}

#[test]
fn tags_does_not_flag_a_synonym_used_as_a_source_tag() {
    let lib = lib();
    lib.write(
        "corpus/notes/2025-sofa.md",
        "---\ntitle: Sofa nights\ntags: [sofa-surfing]\n---\n\nThree young people told us about sofa nights.\n",
    );
    let doc = lib.heard(&["tags", "--json"]).json();
    let rows = doc["tags"].as_array().unwrap();
    // Either counted under its theme, or listed as known.
    if let Some(r) = rows.iter().find(|r| r["tag"] == "sofa-surfing") {
        assert_eq!(r["in_taxonomy"], true, "{r}");
    }
    let run = lib.heard(&["tags"]);
    assert!(!run.stdout.contains("NOT IN TAXONOMY"), "{}", run.stdout);
    assert!(hits(&lib.search(&["--tag", "housing", "--type", "source"])).len() >= 5);
}

/// A comment in taxonomy.toml changes no theme, so it does not rebuild the index; a new
/// synonym does (tags are indexed with their themes).
#[test]
fn only_a_change_of_themes_rebuilds_the_index() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/taxonomy.toml",
        "[[tag]]\nid = \"housing\"\nsynonyms = [\"homelessness\"]\n",
    );
    lib.write(
        "corpus/notes/a.md",
        "---\ntags: [sofa-surfing]\n---\n\nWe met at the hub.\n",
    );
    lib.index_ok();
    let old = lib.read("corpus/taxonomy.toml");
    lib.write(
        "corpus/taxonomy.toml",
        &format!("# Themes, reviewed in March\n{old}\n"),
    );
    let run = lib.index_ok();
    assert!(!run.stderr.contains("Built a new index"), "{}", run.stderr);
    assert_eq!(hits(&lib.search(&["--tag", "housing"])).len(), 0);
    lib.write(
        "corpus/taxonomy.toml",
        &old.replace("\"homelessness\"", "\"homelessness\", \"sofa-surfing\""),
    );
    let run = lib.index_ok();
    assert!(run.stderr.contains("Built a new index"), "{}", run.stderr);
    assert_eq!(
        hits(&lib.search(&["--tag", "housing"])).len(),
        1,
        "the synonym tag now finds its theme"
    );
}
