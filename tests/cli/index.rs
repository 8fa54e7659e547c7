//! `heard index`: an incremental index in `.heard/`, and the counts it reports.

use crate::util::{TestLibrary, hits, paths, s, set, texts};

const SHELTER: &str = "corpus/reports/2023-winter-shelter.md";
const ALLOTMENT: &str = "corpus/testimonies/bea-the-allotment.md";
const PANEL: &str = "corpus/notes/2024-panel-transport.md";

#[test]
fn first_index_reports_every_file_added() {
    let lib = TestLibrary::with_fixture("small");
    let run = lib.index_ok();
    let sum = run.summary();
    assert_eq!(
        (sum.added, sum.changed, sum.removed, sum.unchanged),
        (3, 0, 0, 0),
        "{}",
        sum.line
    );
    assert!(sum.line.contains("3 sources"), "{}", sum.line);
    assert!(sum.line.contains("0 problems"), "{}", sum.line);
    assert!(run.stdout.is_empty(), "the summary goes to stderr");
}

#[test]
fn second_index_reports_everything_unchanged() {
    let lib = TestLibrary::with_fixture("small");
    lib.index_ok();
    let sum = lib.index_ok().summary();
    assert_eq!(
        (sum.added, sum.changed, sum.removed, sum.unchanged),
        (0, 0, 0, 3),
        "{}",
        sum.line
    );
}

#[test]
fn index_json_reports_the_same_counts() {
    let lib = TestLibrary::with_fixture("small");
    let first = lib.index_json();
    assert_eq!(first["added"], 3);
    assert_eq!(first["sources"], 3);
    assert_eq!(first["problems"], serde_json::json!([]));
    let second = lib.index_json();
    assert_eq!(
        (
            &second["added"],
            &second["changed"],
            &second["removed"],
            &second["unchanged"]
        ),
        (
            &serde_json::json!(0),
            &serde_json::json!(0),
            &serde_json::json!(0),
            &serde_json::json!(3)
        )
    );
}

#[test]
fn editing_one_file_reports_one_changed() {
    let lib = TestLibrary::with_fixture("small");
    lib.index_ok();
    let text = lib.read(SHELTER).replace("hot breakfast", "bacon roll");
    lib.write(SHELTER, &text);
    let sum = lib.index_ok().summary();
    assert_eq!(
        (sum.added, sum.changed, sum.removed, sum.unchanged),
        (0, 1, 0, 2),
        "{}",
        sum.line
    );
    assert_eq!(paths(&lib.search(&["bacon"])), set(&[SHELTER]));
    assert!(
        hits(&lib.search(&["breakfast"])).is_empty(),
        "old text is gone"
    );
}

#[test]
fn editing_a_file_without_changing_its_size_is_noticed() {
    let lib = TestLibrary::with_fixture("small");
    lib.index_ok();
    let text = lib.read(ALLOTMENT).replace("Sundays", "Fridays");
    assert_eq!(text.len(), lib.read(ALLOTMENT).len());
    lib.write(ALLOTMENT, &text);
    // Make sure the time stamp differs even on a coarse clock.
    lib.age(ALLOTMENT, 3600);
    let sum = lib.index_ok().summary();
    assert_eq!(sum.changed, 1, "{}", sum.line);
    assert_eq!(paths(&lib.search(&["fridays"])), set(&[ALLOTMENT]));
}

#[test]
fn adding_a_file_reports_one_added() {
    let lib = TestLibrary::with_fixture("small");
    lib.index_ok();
    lib.write(
        "corpus/notes/new.md",
        "# New\n\nThe choir met in the chapel.\n",
    );
    let sum = lib.index_ok().summary();
    assert_eq!(
        (sum.added, sum.changed, sum.removed, sum.unchanged),
        (1, 0, 0, 3),
        "{}",
        sum.line
    );
    assert_eq!(
        paths(&lib.search(&["choir"])),
        set(&["corpus/notes/new.md"])
    );
}

#[test]
fn deleting_a_file_reports_one_removed_and_its_passages_disappear() {
    let lib = TestLibrary::with_fixture("small");
    lib.index_ok();
    assert_eq!(paths(&lib.search(&["allotment"])), set(&[ALLOTMENT]));
    lib.remove(ALLOTMENT);
    let sum = lib.index_ok().summary();
    assert_eq!(
        (sum.added, sum.changed, sum.removed, sum.unchanged),
        (0, 0, 1, 2),
        "{}",
        sum.line
    );
    assert!(hits(&lib.search(&["allotment"])).is_empty());
    assert!(hits(&lib.search(&["rain"])).is_empty());
    let all = lib.search(&["--type", "passage", "--type", "source", "--limit", "100"]);
    assert!(!paths(&all).contains(ALLOTMENT), "{all:#}");
    assert_eq!(paths(&all), set(&[SHELTER, PANEL]));
}

#[test]
fn touching_a_file_without_changing_it_is_not_a_change() {
    let lib = TestLibrary::with_fixture("small");
    lib.index_ok();
    lib.age(PANEL, 7200);
    let sum = lib.index_ok().summary();
    assert_eq!(
        (sum.added, sum.changed, sum.removed, sum.unchanged),
        (0, 0, 0, 3),
        "{}",
        sum.line
    );
    // Nor on the next run, now that the new time stamp is known.
    let sum = lib.index_ok().summary();
    assert_eq!((sum.changed, sum.unchanged), (0, 3), "{}", sum.line);
}

#[test]
fn search_refreshes_a_stale_index_by_itself() {
    let lib = TestLibrary::with_fixture("small");
    lib.index_ok();
    let text = lib.read(PANEL) + "\nOne person cycled on a borrowed tandem.\n";
    lib.write(PANEL, &text);
    // No `heard index` in between.
    let doc = lib.search(&["tandem"]);
    assert_eq!(paths(&doc), set(&[PANEL]));
    assert_eq!(texts(&doc), vec!["One person cycled on a borrowed tandem."]);
    // A deleted file disappears the same way.
    lib.remove(SHELTER);
    assert!(hits(&lib.search(&["shelter"])).is_empty());
}

#[test]
fn search_works_on_a_library_that_was_never_indexed() {
    let lib = TestLibrary::with_fixture("small");
    assert!(!lib.path(".heard").exists());
    assert_eq!(paths(&lib.search(&["jobcentre"])), set(&[PANEL]));
}

#[test]
fn the_index_is_a_tantivy_index_in_dot_heard() {
    let lib = TestLibrary::with_fixture("small");
    let corpus_before = lib.snapshot("corpus");
    lib.index_ok();
    assert!(lib.path(".heard").is_dir());
    assert!(
        lib.path(".heard/index/meta.json").is_file(),
        "a tantivy index has meta.json"
    );
    let meta: serde_json::Value =
        serde_json::from_str(&lib.read(".heard/index/meta.json")).expect("meta.json is JSON");
    assert!(meta.get("segments").is_some(), "{meta:#}");
    // Indexing writes nowhere else.
    assert_eq!(lib.snapshot("corpus"), corpus_before);
    assert!(lib.snapshot("responses").is_empty());
}

#[test]
fn deleting_dot_heard_only_costs_a_rebuild() {
    let lib = TestLibrary::with_fixture("small");
    lib.index_ok();
    std::fs::remove_dir_all(lib.path(".heard")).unwrap();
    let run = lib.index_ok();
    let sum = run.summary();
    assert_eq!(sum.added, 3, "{}", sum.line);
    assert!(sum.line.starts_with("Built a new index"), "{}", sum.line);
    assert_eq!(paths(&lib.search(&["breakfast"])), set(&[SHELTER]));
}

#[test]
fn a_corrupt_index_is_rebuilt_from_the_files() {
    let lib = TestLibrary::with_fixture("small");
    lib.index_ok();
    std::fs::write(lib.path(".heard/index/meta.json"), "not json").unwrap();
    let sum = lib.index_ok().summary();
    assert_eq!(sum.added, 3, "{}", sum.line);
    assert_eq!(paths(&lib.search(&["breakfast"])), set(&[SHELTER]));
}

#[test]
fn search_finds_the_library_from_a_subfolder_without_dash_c() {
    let lib = TestLibrary::with_fixture("small");
    let mut cmd = assert_cmd::Command::cargo_bin("heard").unwrap();
    let out = cmd
        .current_dir(lib.path("corpus/notes"))
        .env("NO_COLOR", "1")
        .args(["search", "jobcentre", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(paths(&doc), set(&[PANEL]));
}

/// `refresh = "folders"`: searches notice files added, removed or replaced (their folder
/// changes), but a file rewritten in place waits for `heard index`, which looks at every
/// file whatever the setting.
#[test]
fn folder_refresh_notices_new_and_removed_files_and_index_catches_in_place_edits() {
    let lib = TestLibrary::new();
    let settings = lib.read("heard.toml");
    assert!(
        settings.contains("refresh = \"files\""),
        "init writes the default: {settings}"
    );
    lib.write(
        "heard.toml",
        &settings.replace("refresh = \"files\"", "refresh = \"folders\""),
    );
    lib.write(
        "corpus/notes/a.md",
        "# A\n\nThe allotment group met on Tuesday.\n",
    );
    lib.write(
        "corpus/notes/b.md",
        "# B\n\nThe choir practised in the library.\n",
    );
    lib.index_ok();
    let found = |q: &str| hits(&lib.search(&[q])).len();
    assert_eq!(found("allotment"), 1);

    // A new file changes its folder: found without `heard index`.
    lib.write(
        "corpus/notes/c.md",
        "# C\n\nThe pottery class moved to Thursdays.\n",
    );
    assert_eq!(found("pottery"), 1);
    // A removed file too.
    lib.remove("corpus/notes/b.md");
    assert_eq!(found("choir"), 0);

    // Rewritten in place (same folder entries): not seen by a quick refresh...
    std::fs::write(
        lib.path("corpus/notes/a.md"),
        "# A\n\nThe beekeeping group met on Tuesday.\n",
    )
    .unwrap();
    assert_eq!(
        found("beekeeping"),
        0,
        "a quick refresh trusts unchanged folders"
    );
    // ...until `heard index`, which always looks at every file.
    let run = lib.index_ok();
    assert_eq!(run.summary().changed, 1);
    assert_eq!(found("beekeeping"), 1);
    assert_eq!(found("allotment"), 0);
}

/// The default, `refresh = "files"`, sees even an in-place rewrite at the next search.
#[test]
fn file_refresh_sees_an_in_place_rewrite_at_the_next_search() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/notes/a.md",
        "# A\n\nThe allotment group met on Tuesday.\n",
    );
    lib.index_ok();
    std::fs::write(
        lib.path("corpus/notes/a.md"),
        "# A\n\nThe beekeeping group met on Tuesday!\n",
    )
    .unwrap();
    assert_eq!(hits(&lib.search(&["beekeeping"])).len(), 1);
}

/// Issue 12: a source's words are indexed once, in its passages, and a search for whole
/// sources is answered from them. Each source that has the words anywhere in it is listed
/// once, with its title and a snippet showing the word; the one whose passage is about the
/// word comes before the one that mentions it in passing; `NOT` and phrases keep their
/// meaning over the whole source.
#[test]
fn a_search_for_whole_sources_finds_each_source_once_by_the_words_of_its_passages() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/testimonies/about.md",
        "---\ntitle: About the eviction\nkind: testimony\n---\n\nThe eviction notice came. The eviction was in March.\n\nThe eviction took our home.\n\nWe stayed with my sister after that.\n",
    );
    lib.write(
        "corpus/testimonies/passing.md",
        "---\ntitle: A long winter\nkind: testimony\n---\n\nThe winter was long and the heating broke twice and the landlord never came and we lived in two rooms with the children and the damp and, in the end, the eviction.\n\nThe hospital was kind.\n",
    );
    lib.write(
        "corpus/testimonies/none.md",
        "---\ntitle: Nothing here\nkind: testimony\n---\n\nThe garden was quiet.\n",
    );
    let doc = lib.search(&["eviction", "--type", "source"]);
    let found: Vec<&str> = hits(&doc).iter().map(|h| s(h, "id")).collect();
    assert_eq!(
        found,
        ["testimonies/about", "testimonies/passing"],
        "{doc:#}"
    );
    for h in hits(&doc) {
        assert_eq!(s(h, "type"), "source");
        assert!(s(h, "snippet").to_lowercase().contains("eviction"), "{h:#}");
        assert!(!h["highlights"].as_array().unwrap().is_empty(), "{h:#}");
    }
    assert_eq!(s(&hits(&doc)[0], "title"), "About the eviction");
    // Words in different passages of one source; NOT anywhere in it; a phrase within one.
    assert_eq!(
        paths(&lib.search(&["eviction sister", "--type", "source"])),
        set(&["corpus/testimonies/about.md"])
    );
    assert_eq!(
        paths(&lib.search(&["eviction NOT hospital", "--type", "source"])),
        set(&["corpus/testimonies/about.md"])
    );
    assert_eq!(
        paths(&lib.search(&["\"the eviction\"", "--type", "source"])),
        set(&[
            "corpus/testimonies/about.md",
            "corpus/testimonies/passing.md"
        ])
    );
    assert!(hits(&lib.search(&["\"eviction sister\"", "--type", "source"])).is_empty());
    // Passages are still found as passages, each once.
    let passages = lib.search(&["eviction", "--type", "passage"]);
    assert_eq!(hits(&passages).len(), 3, "{passages:#}");
}
