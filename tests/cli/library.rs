//! `heard init`: making a library, and never disturbing what is already there.

use crate::util::{TestLibrary, hits, paths, set};

#[test]
fn init_creates_config_corpus_responses_and_gitignore() {
    let lib = TestLibrary::bare();
    lib.heard(&["init"]).assert_ok();
    assert!(lib.path("heard.toml").is_file());
    assert!(lib.path("corpus").is_dir());
    assert!(lib.path("responses").is_dir());
    let gitignore = lib.read(".gitignore");
    assert!(
        gitignore.lines().any(|l| l.trim() == ".heard/"),
        "{gitignore}"
    );
    let config = lib.read("heard.toml");
    assert!(config.contains("corpus = \"corpus\""), "{config}");
    // The new library works straight away.
    lib.write(
        "corpus/notes/first.md",
        "# First\n\nThe kettle is broken again.\n",
    );
    assert_eq!(
        paths(&lib.search(&["kettle"])),
        set(&["corpus/notes/first.md"])
    );
}

#[test]
fn init_makes_the_folder_given_as_argument() {
    let lib = TestLibrary::bare();
    let out = assert_cmd::Command::cargo_bin("heard")
        .unwrap()
        .current_dir(lib.root())
        .args(["init", "my-library"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(lib.path("my-library/heard.toml").is_file());
    assert!(lib.path("my-library/corpus").is_dir());
    assert!(lib.path("my-library/responses").is_dir());
}

#[test]
fn init_appends_to_an_existing_gitignore_and_keeps_its_lines() {
    let lib = TestLibrary::bare();
    let old = "# our own rules\n*.docx~\n/exports\nThumbs.db";
    lib.write(".gitignore", old);
    lib.heard(&["init"]).assert_ok();
    let new = lib.read(".gitignore");
    assert!(
        new.starts_with(old),
        "the old lines must come first, unchanged:\n{new}"
    );
    let lines: Vec<&str> = new.lines().collect();
    for l in [
        "# our own rules",
        "*.docx~",
        "/exports",
        "Thumbs.db",
        ".heard/",
    ] {
        assert!(lines.contains(&l), "missing `{l}` in:\n{new}");
    }
}

#[test]
fn init_leaves_a_gitignore_that_already_ignores_heard_alone() {
    let lib = TestLibrary::bare();
    let old = "/.heard\n*.tmp\n";
    lib.write(".gitignore", old);
    lib.heard(&["init"]).assert_ok();
    // Kept as it was; only the pattern for half-written temporary files is added.
    let new = lib.read(".gitignore");
    assert!(new.starts_with(old), "{new}");
    assert_eq!(
        new.matches(".heard").count(),
        2,
        "no second .heard/ line: {new}"
    );
    assert!(new.lines().any(|l| l == ".heard-tmp-*"), "{new}");
}

#[test]
fn init_twice_changes_nothing() {
    let lib = TestLibrary::new();
    let before = lib.snapshot(".");
    let run = lib.heard(&["init"]);
    run.assert_ok();
    assert_eq!(lib.snapshot("."), before);
    assert!(run.stderr.contains("nothing to add"), "{}", run.stderr);
}

#[test]
fn init_never_overwrites_an_existing_heard_toml() {
    let lib = TestLibrary::bare();
    let config = "name = \"Ours\"\norganisation = \"Northgate Together\"\ncorpus = \"evidence\"\n";
    lib.write("heard.toml", config);
    lib.heard(&["init"]).assert_ok();
    assert_eq!(lib.read("heard.toml"), config);
    // And the library still uses its own settings.
    lib.write("evidence/a.md", "# A\n\nThe minibus broke down twice.\n");
    assert_eq!(paths(&lib.search(&["minibus"])), set(&["evidence/a.md"]));
}

#[test]
fn init_in_a_folder_of_notes_never_moves_or_modifies_them() {
    let lib = TestLibrary::bare();
    lib.copy_fixture_to("notes-folder", ".");
    let before = lib.snapshot(".");
    lib.heard(&["init"]).assert_ok();
    let after = lib.snapshot(".");
    for (path, entry) in &before {
        assert_eq!(
            after.get(path),
            Some(entry),
            "`{path}` was moved or modified"
        );
    }
    assert!(
        !lib.path("corpus").exists(),
        "no corpus/ folder is needed when the notes stay where they are"
    );
    let config = lib.read("heard.toml");
    assert!(config.contains("corpus = \".\""), "{config}");
}

#[test]
fn init_in_a_folder_of_notes_makes_them_searchable_in_place() {
    let lib = TestLibrary::bare();
    lib.copy_fixture_to("notes-folder", ".");
    lib.heard(&["init"]).assert_ok();
    let doc = lib.search(&["warm spaces"]);
    assert_eq!(paths(&doc), set(&["meetings/2024-05-drop-in.md"]));
    let doc = lib.search(&["newsletter"]);
    assert_eq!(paths(&doc), set(&["drafts/ideas.md"]));
    // The README of the notes folder is a source like any other note.
    assert_eq!(paths(&lib.search(&["outreach"])), set(&["README.md"]));
    assert_eq!(hits(&lib.search(&["allotment"])).len(), 1);
}

#[test]
fn init_twice_in_a_folder_of_notes_changes_nothing() {
    let lib = TestLibrary::bare();
    lib.copy_fixture_to("notes-folder", ".");
    lib.heard(&["init"]).assert_ok();
    let before = lib.snapshot(".");
    let run = lib.heard(&["init"]);
    run.assert_ok();
    assert!(
        !lib.path("corpus").exists(),
        "second init created corpus/ although heard.toml says corpus = \".\"\n{}",
        run.stderr
    );
    assert_eq!(lib.snapshot("."), before);
}

#[test]
fn a_library_of_notes_does_not_index_its_responses_or_hidden_folders() {
    let lib = TestLibrary::bare();
    lib.copy_fixture_to("notes-folder", ".");
    lib.heard(&["init"]).assert_ok();
    lib.write(
        "responses/draft/response.md",
        "# Draft\n\nOur response mentions the warm spaces scheme.\n",
    );
    lib.write(".obsidian/cache.md", "The warm spaces scheme, cached.\n");
    let doc = lib.search(&["warm spaces"]);
    assert_eq!(paths(&doc), set(&["meetings/2024-05-drop-in.md"]));
}

/// `heard -C other draft responses/x`, run where this folder has its own `responses/x`
/// (tests run in the repository, whose demo has `responses/crisis-care-2026`): the path
/// names two places, and heard refuses to guess rather than drafting into the wrong
/// library's folder. A full path, or a name only the library has, works.
#[test]
fn a_response_folder_that_exists_here_and_in_the_library_is_refused_not_guessed() {
    assert!(
        std::path::Path::new("responses/crisis-care-2026/consultation.toml").is_file(),
        "the test runs in the repository root"
    );
    // The repository's demo draft (absent in a fresh checkout) must not be touched.
    let demo = std::path::Path::new("responses/crisis-care-2026/response.md");
    let demo_before = std::fs::read(demo).ok();
    let lib = TestLibrary::new();
    lib.write(
        "corpus/notes/ward.md",
        "# Ward notes\n\nPeople leave hospital with nowhere to live and come back within weeks.\n",
    );
    lib.write(
        "responses/crisis-care-2026/consultation.toml",
        crate::evidence::CONSULTATION,
    );
    let run = lib.heard(&["draft", "responses/crisis-care-2026"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("names two places") && run.stderr.contains("full path"),
        "{}",
        run.stderr
    );
    assert!(!lib.path("responses/crisis-care-2026/response.md").exists());
    assert_eq!(
        std::fs::read(demo).ok(),
        demo_before,
        "the repository's demo draft was touched"
    );
    // The full path is unambiguous.
    let full = lib.path("responses/crisis-care-2026");
    lib.heard(&["draft", full.to_str().unwrap()]).assert_ok();
    assert!(lib.path("responses/crisis-care-2026/response.md").is_file());
    // A name only the library has is the library's.
    lib.write(
        "responses/only-here/consultation.toml",
        crate::evidence::CONSULTATION,
    );
    lib.heard(&["draft", "responses/only-here"]).assert_ok();
    assert!(lib.path("responses/only-here/response.md").is_file());
}
