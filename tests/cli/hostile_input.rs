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
fn a_field_exists_query_with_a_space_is_a_query_error_not_an_index_failure() {
    let lib = TestLibrary::with_fixture("small");
    // Anything tantivy reads as "has a value", a made-up field or a symbol included.
    for (q, field) in [("title: *", "title:*"), ("a : *", "a:*"), ("|:*", "|:*")] {
        let run = lib.heard(&["search", q]);
        did_not_crash(&run);
        run.assert_code(2);
        assert!(run.stderr.contains("not supported"), "{q}: {}", run.stderr);
        assert!(run.stderr.contains(field), "{q}: {}", run.stderr);
    }
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

/// Characters that change what a terminal shows: ESC, other C0 and C1 controls, and bidi
/// overrides. Line breaks and tabs are ordinary output.
fn is_terminal_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[track_caller]
fn shows_no_terminal_controls(run: &Run, what: &str) {
    for (name, out) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let bad: Vec<char> = out.chars().filter(|&c| is_terminal_control(c)).collect();
        assert!(
            bad.is_empty(),
            "`{what}` printed {bad:?} raw on {name}:\n{out}"
        );
    }
}

#[test]
fn terminal_escapes_in_titles_tags_ids_and_file_names_are_shown_escaped() {
    let lib = TestLibrary::new();
    // A report whose title, id, tags and consultation carry escape sequences, in a file
    // whose name has one too, with a recommendation and a bad date (so `heard index` names
    // the file).
    let evil = "corpus/reports/evil\u{1b}[2J\u{7}.md";
    lib.write(
        evil,
        "---\nid: \"evil\\e]0;pwned\\a-id\"\ntitle: \"Clear \\e[2J\\e[1;1H screen \\u202Egnp.exe\"\ntags: [\"red\\e[31mtag\", \"back\\bspace\"]\nkind: report\ndate: 2024-99-99\n---\n\n## Recommendations\n\n1. Serve a hot breakfast every morning \u{9b}31m now.\n",
    );
    let run = lib.heard(&["index"]);
    run.assert_code(1);
    shows_no_terminal_controls(&run, "heard index");
    assert!(
        run.stderr.contains("evil\\u{1b}[2J\\u{7}.md"),
        "the file name is shown escaped: {}",
        run.stderr
    );
    for args in [
        &["search", "breakfast"][..],
        &["search", "breakfast", "--type", "source"],
        &["recs"],
        &["recs", "breakfast"],
        &["tags"],
    ] {
        let run = lib.heard(args);
        run.assert_ok();
        shows_no_terminal_controls(&run, &args.join(" "));
    }
    let run = lib.heard(&["search", "breakfast"]);
    assert!(run.stdout.contains("\\u{1b}[2J"), "{}", run.stdout);
    assert!(run.stdout.contains("\\u{202e}"), "{}", run.stdout);
    let run = lib.heard(&["tags"]);
    assert!(run.stdout.contains("red\\u{1b}[31mtag"), "{}", run.stdout);
    // Quotes of the source, listed.
    let id = lib.quote_add("evil\u{1b}]0;pwned\u{7}-id", "Serve a hot breakfast", &[]);
    let run = lib.heard(&["quotes"]);
    run.assert_ok();
    shows_no_terminal_controls(&run, "heard quotes");
    assert!(run.stdout.contains(&id), "{}", run.stdout);
    // JSON keeps the text exactly (JSON escapes control characters itself).
    let doc = lib.search(&["breakfast", "--type", "source"]);
    assert_eq!(
        crate::util::s(&crate::util::hits(&doc)[0], "title"),
        "Clear \u{1b}[2J\u{1b}[1;1H screen \u{202e}gnp.exe"
    );
}

#[test]
fn draft_prints_no_colour_when_piped_or_with_no_color() {
    let lib = TestLibrary::with_fixture("small");
    lib.write(
        CALL,
        "title = \"Call\"\n\n[[question]]\nid = \"Q1\"\ntext = \"What about breakfast?\"\nword_limit = 1\n",
    );
    // Piped, with and without NO_COLOR.
    for no_color in [true, false] {
        let mut cmd = lib.command(&["draft", "responses/call"]);
        if !no_color {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        // The painted part of the summary: a trimmed answer, or a question with no evidence
        // (none at all, or none that may be used here).
        assert!(
            stderr.contains("trim marked")
                || stderr.contains("no strong evidence")
                || stderr.contains("may not be used here"),
            "{stderr}"
        );
        assert!(
            !stderr.contains('\u{1b}'),
            "colour codes with NO_COLOR={no_color}: {stderr:?}"
        );
    }
}

#[test]
fn init_refuses_an_invalid_heard_toml_and_changes_nothing() {
    let lib = TestLibrary::bare();
    lib.write("heard.toml", "name = \"x\"\ncorpus = [\n");
    let before = lib.snapshot(".");
    let run = lib.heard(&["init"]);
    run.assert_code(2);
    assert!(
        !run.stderr.contains("Made a heard library"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("heard.toml:2"), "{}", run.stderr);
    assert_eq!(lib.snapshot("."), before, "init changed the folder");

    let lib = TestLibrary::bare();
    lib.write("heard.toml", "corpus = \"../elsewhere\"\n");
    let before = lib.snapshot(".");
    let run = lib.heard(&["init"]);
    run.assert_code(2);
    assert!(run.stderr.contains("inside the library"), "{}", run.stderr);
    assert_eq!(lib.snapshot("."), before, "init changed the folder");
}

#[test]
fn init_refuses_a_corpus_or_responses_that_is_a_file_and_changes_nothing() {
    for name in ["corpus", "responses"] {
        let lib = TestLibrary::bare();
        lib.write(name, "not a folder\n");
        let before = lib.snapshot(".");
        let run = lib.heard(&["init"]);
        run.assert_code(2);
        assert!(
            !run.stderr.contains("Made a heard library"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("`{name}`")) && run.stderr.contains("not a folder"),
            "{}",
            run.stderr
        );
        assert_eq!(lib.snapshot("."), before, "init changed the folder");
    }
}

#[test]
fn a_link_back_to_a_folder_above_the_corpus_is_skipped_and_everything_indexed_once() {
    let lib = TestLibrary::with_fixture("small");
    std::os::unix::fs::symlink("..", lib.path("corpus/loop")).unwrap();
    std::os::unix::fs::symlink("../..", lib.path("corpus/notes/way-up")).unwrap();
    let run = lib.heard(&["index"]);
    run.assert_code(1);
    let problems = run.problem_lines();
    assert_eq!(
        problems,
        vec![
            "corpus/loop: a link back to a folder above it; skipped",
            "corpus/notes/way-up: a link back to a folder above it; skipped",
        ],
        "{}",
        run.stderr
    );
    assert_eq!(run.summary().added, 3, "{}", run.stderr);
    let doc = lib.search(&["breakfast"]);
    assert_eq!(paths(&doc), set(&["corpus/reports/2023-winter-shelter.md"]));
}
