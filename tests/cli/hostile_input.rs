//! Input written to break heard: queries nested thousands deep, consultation files with
//! holes in them, names full of terminal escape sequences, a library folder that is not
//! what it seems, and links that lead back up the tree. Each is refused or shown safely,
//! with a message that says what to fix; nothing crashes.

use crate::util::{Run, TestLibrary, paths, set};

/// `depth` opening brackets, a word, and as many closing ones.
fn nested(depth: usize, word: &str) -> String {
    format!("{}{word}{}", "(".repeat(depth), ")".repeat(depth))
}

/// The run neither crashed nor overflowed its stack.
#[track_caller]
fn did_not_crash(run: &Run) {
    assert!(
        !run.stderr.contains("overflow") && !run.stderr.contains("panicked"),
        "{}",
        run.stderr
    );
    assert!(run.code >= 0, "killed by a signal: {run:?}");
}

#[test]
fn a_query_nested_thousands_deep_is_refused_with_exit_2() {
    let lib = TestLibrary::with_fixture("small");
    lib.index_ok();
    for query in [
        nested(20_000, "breakfast"),
        nested(3_000, "breakfast"),
        format!("breakfast {}allotment", "NOT ".repeat(2_500)),
    ] {
        let run = lib.heard(&["search", &query]);
        did_not_crash(&run);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains("nested") && run.stderr.contains("brackets"),
            "says what is wrong: {}",
            run.stderr
        );
        // The message does not echo thousands of brackets back.
        assert!(run.stderr.len() < 1_000, "{}", run.stderr);
    }
    // Ordinary nesting still works.
    let doc = lib.search(&[&nested(8, "breakfast")]);
    assert_eq!(paths(&doc), set(&["corpus/reports/2023-winter-shelter.md"]));
}

#[test]
fn a_query_too_long_to_be_typed_is_refused_with_exit_2() {
    let lib = TestLibrary::with_fixture("small");
    let query = "breakfast OR ".repeat(5_000) + "breakfast";
    let run = lib.heard(&["search", &query]);
    did_not_crash(&run);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("too long"), "{}", run.stderr);
    assert!(run.stderr.len() < 1_000, "{}", run.stderr);
}

#[test]
fn recs_refuses_a_deeply_nested_query_too() {
    let lib = TestLibrary::with_fixture("small");
    let run = lib.heard(&["recs", &nested(20_000, "breakfast")]);
    did_not_crash(&run);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nested"), "{}", run.stderr);
}

#[test]
fn draft_names_the_question_whose_query_is_nested_too_deep() {
    let lib = TestLibrary::with_fixture("small");
    lib.write(
        "responses/deep/consultation.toml",
        &format!(
            "title = \"Deep\"\n\n[[question]]\nid = \"Q1\"\ntext = \"What helps?\"\n\n[[question]]\nid = \"Q2\"\ntext = \"What about breakfast?\"\nquery = \"{}\"\n",
            nested(5_000, "breakfast")
        ),
    );
    let run = lib.heard(&["draft", "responses/deep"]);
    did_not_crash(&run);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("Q2") && run.stderr.contains("nested"),
        "{}",
        run.stderr
    );
}

const CALL: &str = "responses/call/consultation.toml";

/// `heard draft responses/call` with this consultation.toml.
fn draft_with(lib: &TestLibrary, consultation: &str) -> Run {
    lib.write(CALL, consultation);
    lib.heard(&["draft", "responses/call"])
}

#[test]
fn a_consultation_deadline_may_be_a_toml_date_or_datetime() {
    let lib = TestLibrary::with_fixture("small");
    for (deadline, shown) in [
        ("2021-06-13", "2021-06-13"),
        ("2021-06-13T17:00:00Z", "2021-06-13"),
        ("\"2021-06-13\"", "2021-06-13"),
    ] {
        let run = draft_with(
            &lib,
            &format!(
                "title = \"Call\"\ndeadline = {deadline}\n\n[[question]]\nid = \"Q1\"\ntext = \"What about breakfast?\"\n"
            ),
        );
        run.assert_ok();
        let response = lib.read("responses/call/response.md");
        assert!(response.contains(shown), "{deadline}: {response}");
        std::fs::remove_dir_all(lib.path("responses/call")).unwrap();
    }
}

#[test]
fn holes_in_a_consultation_are_refused_with_the_file_line_and_fix() {
    let lib = TestLibrary::with_fixture("small");
    let q = |id: &str, text: &str| format!("[[question]]\nid = \"{id}\"\ntext = \"{text}\"\n\n");
    let head = "title = \"Call\"\n\n";
    for (consultation, line, words) in [
        (
            format!("{head}{}{}", q("Q1", "What helps?"), q("", "What else?")),
            8,
            &["`id`", "empty"][..],
        ),
        (
            format!("{head}{}{}", q("Q1", "What helps?"), q("Q2", "  ")),
            9,
            &["`text`", "Q2"][..],
        ),
        (
            format!("{head}{}{}", q("Q1", "What helps?"), q("Q1", "What else?")),
            8,
            &["Q1", "line 4", "own"][..],
        ),
        (
            format!(
                "title = \"Call\"\ndeadline = \"soon-ish\"\n\n{}",
                q("Q1", "What helps?")
            ),
            2,
            &["soon-ish", "YYYY-MM-DD"][..],
        ),
        (
            format!(
                "title = \"Call\"\ndeadline = \"2021-02-30\"\n\n{}",
                q("Q1", "What helps?")
            ),
            2,
            &["2021-02-30", "YYYY-MM-DD"][..],
        ),
    ] {
        let run = draft_with(&lib, &consultation);
        run.assert_code(2);
        let prefix = format!("error: {}:{line}: ", lib.path(CALL).display());
        let first = run
            .stderr_lines()
            .into_iter()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_default()
            .to_string();
        assert!(
            first.starts_with(&prefix),
            "expected `{prefix}…` for\n{consultation}\ngot: {}",
            run.stderr
        );
        for w in words {
            assert!(first.contains(w), "`{w}` not in `{first}`");
        }
        assert!(
            !lib.path("responses/call/response.md").exists(),
            "a draft was written from a broken consultation"
        );
    }
}
