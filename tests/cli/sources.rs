//! Sources: front matter in YAML or TOML, and what a file without it gets by default.

use crate::util::{TestLibrary, hits, paths, s, set};

const SHELTER: &str = "corpus/reports/night-shelter.md";
const MENTORS: &str = "corpus/other/job-centre-mentors.md";

/// The same searches give the same answers whether the fixture's front matter is YAML or
/// TOML.
fn front_matter_fields_are_searchable(case: &str) {
    let lib = TestLibrary::with_fixture(case);
    let run = lib.heard(&["index"]);
    run.assert_ok();
    assert!(
        run.problem_lines().is_empty(),
        "unknown fields are no problem: {}",
        run.stderr
    );

    // title:
    assert_eq!(paths(&lib.search(&["title:shelter"])), set(&[SHELTER]));
    assert_eq!(paths(&lib.search(&["title:mentors"])), set(&[MENTORS]));
    // tag: and --tag, with tags compared as slugs.
    assert_eq!(paths(&lib.search(&["tag:rough-sleeping"])), set(&[SHELTER]));
    assert_eq!(
        paths(&lib.search(&["tag:winter-pressures"])),
        set(&[SHELTER])
    );
    assert_eq!(
        paths(&lib.search(&["--tag", "Winter Pressures"])),
        set(&[SHELTER])
    );
    assert_eq!(
        paths(&lib.search(&["--tag", "employment"])),
        set(&[MENTORS])
    );
    // kind: from the front matter, even where the folder says otherwise.
    assert_eq!(paths(&lib.search(&["--kind", "notes"])), set(&[SHELTER]));
    assert_eq!(paths(&lib.search(&["--kind", "report"])), set(&[MENTORS]));
    // date: a day and a month.
    assert_eq!(paths(&lib.search(&["--until", "2023"])), set(&[SHELTER]));
    assert_eq!(paths(&lib.search(&["--since", "2024"])), set(&[MENTORS]));
    assert_eq!(
        paths(&lib.search(&["--since", "2023-12-05", "--until", "2023-12-05"])),
        set(&[SHELTER])
    );
    assert_eq!(
        paths(&lib.search(&["--since", "2024-02", "--until", "2024-02"])),
        set(&[MENTORS])
    );
    // What a hit says about its source.
    let doc = lib.search(&["turned away"]);
    let hit = &hits(&doc)[0];
    assert_eq!(s(hit, "path"), SHELTER);
    assert_eq!(s(hit, "title"), "Winter pressures in the night shelter");
    assert_eq!(s(hit, "kind"), "notes");
    assert_eq!(s(hit, "date"), "2023-12-05");
    assert_eq!(
        hit["tags"],
        serde_json::json!(["rough-sleeping", "winter-pressures"])
    );
    let doc = lib.search(&["sanctions"]);
    let hit = &hits(&doc)[0];
    assert_eq!(s(hit, "date"), "2024-02");
    assert_eq!(s(hit, "kind"), "report");
    assert_eq!(s(hit, "title"), "Peer mentors at the jobcentre");
}

#[test]
fn yaml_front_matter_fields_are_searchable() {
    front_matter_fields_are_searchable("frontmatter-yaml");
}

#[test]
fn toml_front_matter_fields_are_searchable() {
    front_matter_fields_are_searchable("frontmatter-toml");
}

#[test]
fn yaml_and_toml_front_matter_give_identical_results() {
    let yaml = TestLibrary::with_fixture("frontmatter-yaml");
    let toml = TestLibrary::with_fixture("frontmatter-toml");
    for args in [
        &["title:winter"][..],
        &["--tag", "rough-sleeping", "--type", "source"],
        &["--kind", "report", "--type", "passage"],
        &["--since", "2023-12", "--until", "2024-01"],
        &["waiting"],
    ] {
        // Scores may differ in the last digits, and ties in any order.
        let strip = |mut doc: serde_json::Value| {
            let hits = doc["hits"].as_array_mut().unwrap();
            for h in hits.iter_mut() {
                h.as_object_mut().unwrap().remove("score");
            }
            hits.sort_by_key(|h| h["id"].as_str().unwrap().to_string());
            doc
        };
        assert_eq!(
            strip(yaml.search(args)),
            strip(toml.search(args)),
            "search {args:?}"
        );
    }
}

#[test]
fn title_comes_from_the_first_heading_without_front_matter() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/notes/drop-in.md",
        "Some words before the heading about the kettle.\n\n# The *kettle* question\n\n## Later heading\n\nMore about the kettle.\n",
    );
    let doc = lib.search(&["kettle"]);
    assert!(!hits(&doc).is_empty());
    for h in hits(&doc) {
        assert_eq!(s(h, "title"), "The kettle question");
    }
    assert_eq!(
        paths(&lib.search(&["title:question"])),
        set(&["corpus/notes/drop-in.md"])
    );
}

#[test]
fn title_comes_from_the_file_name_without_heading_or_front_matter() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/notes/kitchen-table_talk.md",
        "We talked about the rota over tea.\n",
    );
    let doc = lib.search(&["rota"]);
    assert_eq!(s(&hits(&doc)[0], "title"), "Kitchen table talk");
}

#[test]
fn title_in_front_matter_wins_over_the_heading() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/notes/a.md",
        "---\ntitle: Front matter title\n---\n\n# Heading title\n\nThe lift was out of order.\n",
    );
    let doc = lib.search(&["lift"]);
    assert_eq!(s(&hits(&doc)[0], "title"), "Front matter title");
}

#[test]
fn front_matter_without_a_title_takes_the_heading() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/notes/a.md",
        "---\ndate: 2024-01-09\n---\n\n# Heading title\n\nThe lift was out of order.\n",
    );
    let doc = lib.search(&["lift"]);
    assert_eq!(s(&hits(&doc)[0], "title"), "Heading title");
    assert_eq!(s(&hits(&doc)[0], "date"), "2024-01-09");
}

#[test]
fn unknown_front_matter_fields_cause_no_problem() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/reports/a.md",
        "---\ntitle: Funding review\nfunder: Ashworth Community Trust\nbudget: 12000.50\nreviewers:\n  - name: Sam\n    role: chair\nnested: {a: [1, 2, {b: null}]}\npublished: false\nTitle_Alt: x\n---\n\nThe grant paid for two outreach workers.\n",
    );
    lib.write(
        "corpus/reports/b.md",
        "+++\ntitle = \"Second review\"\nfunder = \"Trust\"\nscores = [1, 2.5, true]\n[panel]\nchair = \"Sam\"\n[[panel.members]]\nname = \"Kez\"\n+++\n\nThe grant also paid for a minibus.\n",
    );
    let run = lib.heard(&["index"]);
    run.assert_ok();
    assert!(run.problem_lines().is_empty(), "{}", run.stderr);
    assert_eq!(
        paths(&lib.search(&["outreach"])),
        set(&["corpus/reports/a.md"])
    );
    assert_eq!(
        paths(&lib.search(&["minibus"])),
        set(&["corpus/reports/b.md"])
    );
    assert_eq!(
        s(&hits(&lib.search(&["minibus"]))[0], "title"),
        "Second review"
    );
}

#[test]
fn kind_defaults_from_the_folder_name() {
    let lib = TestLibrary::new();
    for (rel, _) in CASES {
        lib.write(rel, "The heating failed in the hostel.\n");
    }
    for (rel, kind) in CASES {
        let doc = lib.search(&["heating", "--kind", kind]);
        assert!(
            paths(&doc).contains(*rel),
            "`{rel}` should be a {kind}: {doc:#}"
        );
    }
    assert_eq!(
        paths(&lib.search(&["heating", "--kind", "report"])),
        set(&["corpus/reports/x.md", "corpus/reports/2024/y.md"])
    );
}

const CASES: &[(&str, &str)] = &[
    ("corpus/reports/x.md", "report"),
    ("corpus/reports/2024/y.md", "report"),
    ("corpus/testimonies/x.md", "testimony"),
    ("corpus/submissions/x.md", "submission"),
    ("corpus/notes/x.md", "notes"),
    ("corpus/misc/x.md", "other"),
    ("corpus/x.md", "other"),
];

#[test]
fn kind_from_the_folder_shows_in_hits() {
    let lib = TestLibrary::new();
    lib.write("corpus/reports/x.md", "The heating failed in the hostel.\n");
    let doc = lib.search(&["heating"]);
    assert_eq!(s(&hits(&doc)[0], "kind"), "report");
}
