//! Bad files: each is reported on one line naming the file (and line), the rest of the
//! library is still indexed, nothing in the corpus is touched, and fixing the file clears
//! the problem.

use crate::util::{TestLibrary, hits, paths, set};

const BAD: &str = "corpus/notes/bad.md";

/// A good version of the bad file, with a word no fixture file has.
const FIXED: &str = "---\ntitle: Fixed\ndate: 2024-01-01\n---\n\nThe trampoline arrived at last.\n";

/// A library made of the `small` fixture plus whatever `setup` does.
fn library(setup: impl FnOnce(&TestLibrary)) -> TestLibrary {
    let lib = TestLibrary::with_fixture("small");
    setup(&lib);
    lib
}

/// `heard index` reports exactly one problem, on `path` (at `line` if given), with a
/// message containing `words`; exits 1; the rest of the library is indexed and searchable;
/// nothing under corpus/ changes. Returns the problem line.
#[track_caller]
fn reports_one_problem(
    lib: &TestLibrary,
    path: &str,
    line: Option<usize>,
    words: &[&str],
) -> String {
    let before = lib.snapshot("corpus");
    let run = lib.heard(&["index"]);
    run.assert_code(1);
    let problems = run.problem_lines();
    assert_eq!(problems.len(), 1, "one line per problem:\n{}", run.stderr);
    let p = problems[0].to_string();
    let prefix = match line {
        Some(l) => format!("{path}:{l}: "),
        None => format!("{path}: "),
    };
    assert!(p.starts_with(&prefix), "expected `{prefix}…`, got `{p}`");
    for w in words {
        assert!(
            p.to_lowercase().contains(&w.to_lowercase()),
            "`{w}` not in `{p}`"
        );
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let sum = run.summary();
    assert!(sum.line.contains("1 problem"), "{}", sum.line);
    // The rest of the library: all three fixture files.
    for (word, file) in [
        ("breakfast", "corpus/reports/2023-winter-shelter.md"),
        ("allotment", "corpus/testimonies/bea-the-allotment.md"),
        ("jobcentre", "corpus/notes/2024-panel-transport.md"),
    ] {
        assert_eq!(paths(&lib.search(&[word])), set(&[file]), "{word}");
    }
    // The same problem is reported again while the file is bad.
    let again = lib.heard(&["index"]);
    again.assert_code(1);
    assert_eq!(again.problem_lines(), vec![p.as_str()]);
    // A search says there is a problem, without failing.
    let search = lib.heard(&["search", "breakfast"]);
    search.assert_ok();
    assert!(search.stderr.contains("1 problem"), "{}", search.stderr);
    assert_eq!(lib.snapshot("corpus"), before, "heard modified the corpus");
    p
}

/// Replace the bad file with a good one: `heard index` is clean and the file searchable.
#[track_caller]
fn fixing_clears_the_problem(lib: &TestLibrary, rel: &str) {
    lib.write(rel, FIXED);
    let run = lib.heard(&["index"]);
    run.assert_ok();
    assert!(run.problem_lines().is_empty(), "{}", run.stderr);
    assert_eq!(paths(&lib.search(&["trampoline"])), set(&[rel]));
}

#[test]
fn malformed_yaml_front_matter_names_the_line_in_the_file() {
    let lib = library(|lib| {
        lib.write(
            BAD,
            "---\nid: bad-yaml\ndate: 2024-01-01\ntitle: Discharge: what went wrong\ntags: [housing]\n---\n\nThe trampoline was late.\n",
        );
    });
    reports_one_problem(&lib, BAD, Some(4), &["YAML"]);
    assert!(hits(&lib.search(&["trampoline"])).is_empty());
    fixing_clears_the_problem(&lib, BAD);
}

#[test]
fn malformed_yaml_message_does_not_contradict_its_line() {
    let lib = library(|lib| {
        lib.write(
            BAD,
            "---\nid: bad-yaml\ndate: 2024-01-01\ntitle: Discharge: what went wrong\n---\n\nThe trampoline was late.\n",
        );
    });
    let run = lib.heard(&["index"]);
    run.assert_code(1);
    let p = run.problem_lines()[0];
    assert!(p.starts_with("corpus/notes/bad.md:4: "), "{p}");
    assert!(!p.contains("line 3"), "two different line numbers: {p}");
}

#[test]
fn malformed_toml_front_matter_names_the_line_in_the_file() {
    let lib = library(|lib| {
        lib.write(
            BAD,
            "+++\nid = \"bad-toml\"\ntitle = Leaving hospital\ndate = 2024-01-01\n+++\n\nThe trampoline was late.\n",
        );
    });
    reports_one_problem(&lib, BAD, Some(3), &["TOML", "quote"]);
    fixing_clears_the_problem(&lib, BAD);
}

#[test]
fn unclosed_front_matter_is_reported_on_line_1() {
    let lib = library(|lib| {
        lib.write(
            BAD,
            "---\ntitle: Never closed\ndate: 2024-01-01\n\nThe trampoline was late.\n",
        );
    });
    reports_one_problem(&lib, BAD, Some(1), &["never closed", "---"]);
    fixing_clears_the_problem(&lib, BAD);
}

#[test]
fn a_bad_date_is_reported_but_the_source_still_loads() {
    let lib = library(|lib| {
        lib.write(
            BAD,
            "---\ntitle: Bad date\ntags: [housing]\ndate: 12/06/2024\n---\n\nThe trampoline was late.\n",
        );
    });
    reports_one_problem(&lib, BAD, Some(4), &["date", "12/06/2024", "YYYY-MM-DD"]);
    // Searchable, with its other fields, but no date.
    let doc = lib.search(&["trampoline"]);
    assert_eq!(paths(&doc), set(&[BAD]));
    assert_eq!(hits(&doc)[0]["title"], "Bad date");
    assert!(hits(&doc)[0]["date"].is_null());
    assert_eq!(
        paths(&lib.search(&["trampoline", "--tag", "housing"])),
        set(&[BAD])
    );
    fixing_clears_the_problem(&lib, BAD);
}

#[test]
fn a_source_with_a_bad_date_is_not_counted_as_changed_when_untouched() {
    let lib = library(|lib| {
        lib.write(
            BAD,
            "---\ndate: 12/06/2024\n---\n\nThe trampoline was late.\n",
        );
    });
    lib.heard(&["index"]).assert_code(1);
    let run = lib.heard(&["index"]);
    run.assert_code(1);
    let sum = run.summary();
    assert_eq!(
        (sum.added, sum.changed, sum.removed, sum.unchanged),
        (0, 0, 0, 4),
        "{}",
        sum.line
    );
    // A search does not claim to have updated the index either.
    let search = lib.heard(&["search", "trampoline"]);
    assert!(
        !search.stderr.contains("Index updated"),
        "{}",
        search.stderr
    );
}

#[test]
fn invalid_utf8_names_the_line() {
    let lib = library(|lib| {
        lib.write_bytes(
            BAD,
            b"# Notes\n\nThe first line is fine.\nThis one was saved as Latin-1: caf\xe9.\n",
        );
    });
    reports_one_problem(&lib, BAD, Some(4), &["UTF-8"]);
    fixing_clears_the_problem(&lib, BAD);
}

#[test]
fn a_binary_file_named_md_is_reported() {
    let lib = library(|lib| {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bytes.extend((0..=255u8).cycle().take(2000));
        lib.write_bytes(BAD, &bytes);
    });
    reports_one_problem(&lib, BAD, None, &["binary"]);
    fixing_clears_the_problem(&lib, BAD);
}

#[test]
fn an_empty_file_is_reported() {
    let lib = library(|lib| lib.write(BAD, ""));
    reports_one_problem(&lib, BAD, None, &["empty"]);
    fixing_clears_the_problem(&lib, BAD);
}

#[test]
fn a_file_of_only_blank_lines_is_reported_as_empty() {
    let lib = library(|lib| lib.write(BAD, "\n\n   \n"));
    reports_one_problem(&lib, BAD, None, &["empty"]);
    fixing_clears_the_problem(&lib, BAD);
}

#[test]
fn a_file_larger_than_max_source_bytes_is_reported() {
    let lib = library(|lib| {
        let config = lib.read("heard.toml") + "max_source_bytes = 1000\n";
        lib.write("heard.toml", &config);
        let mut text = String::from("# Long\n\n");
        while text.len() < 5 * 1024 {
            text.push_str("The trampoline report goes on and on about the trampoline.\n");
        }
        lib.write(BAD, &text);
    });
    reports_one_problem(&lib, BAD, None, &["max_source_bytes", "KB"]);
    assert!(hits(&lib.search(&["trampoline"])).is_empty());
    fixing_clears_the_problem(&lib, BAD);
}

#[test]
fn a_duplicate_id_is_reported_on_the_second_file_naming_the_first() {
    let first = "corpus/notes/a-first.md";
    let second = "corpus/notes/b-second.md";
    let lib = library(|lib| {
        lib.write(
            first,
            "---\nid: panel-2024\n---\n\nThe harmonica workshop was full.\n",
        );
        lib.write(
            second,
            "---\nid: panel-2024\n---\n\nThe trampoline workshop was cancelled.\n",
        );
    });
    let p = reports_one_problem(&lib, second, None, &["duplicate", "panel-2024"]);
    assert!(p.contains(first), "names the first file: {p}");
    assert_eq!(paths(&lib.search(&["harmonica"])), set(&[first]));
    assert!(hits(&lib.search(&["trampoline"])).is_empty());
    // Fixed: the second file gets its own id.
    lib.write(
        second,
        "---\nid: panel-2024-b\n---\n\nThe trampoline workshop was cancelled.\n",
    );
    let run = lib.heard(&["index"]);
    run.assert_ok();
    assert!(run.problem_lines().is_empty(), "{}", run.stderr);
    assert_eq!(paths(&lib.search(&["trampoline"])), set(&[second]));
    assert_eq!(paths(&lib.search(&["harmonica"])), set(&[first]));
}

#[test]
fn an_unreadable_file_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let lib = library(|lib| lib.write(BAD, FIXED));
    std::fs::set_permissions(lib.path(BAD), std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(lib.path(BAD)).is_ok() {
        // Running as root: the file is readable anyway, so there is nothing to report.
        eprintln!("skipped: this user can read a file with mode 000");
        std::fs::set_permissions(lib.path(BAD), std::fs::Permissions::from_mode(0o644)).unwrap();
        return;
    }
    reports_one_problem(&lib, BAD, None, &["cannot be read"]);
    std::fs::set_permissions(lib.path(BAD), std::fs::Permissions::from_mode(0o644)).unwrap();
    fixing_clears_the_problem(&lib, BAD);
}

#[test]
fn a_broken_symlink_is_reported() {
    let link = "corpus/notes/gone.md";
    let lib = library(|lib| {
        std::os::unix::fs::symlink("../../elsewhere/gone.md", lib.path(link)).unwrap();
    });
    reports_one_problem(&lib, link, None, &["broken link"]);
    // Fixed: the link's target appears.
    lib.write("elsewhere/gone.md", FIXED);
    let run = lib.heard(&["index"]);
    run.assert_ok();
    assert!(run.problem_lines().is_empty(), "{}", run.stderr);
    assert_eq!(paths(&lib.search(&["trampoline"])), set(&[link]));
}

#[test]
fn a_symlink_loop_is_reported() {
    let link = "corpus/notes/loop";
    let lib = library(|lib| {
        // A folder link pointing at the folder it is in.
        std::os::unix::fs::symlink(lib.path("corpus/notes"), lib.path(link)).unwrap();
    });
    reports_one_problem(&lib, link, None, &["loop", "corpus/notes"]);
    // Fixed: the link is removed.
    std::fs::remove_file(lib.path(link)).unwrap();
    let run = lib.heard(&["index"]);
    run.assert_ok();
    assert!(run.problem_lines().is_empty(), "{}", run.stderr);
}

#[test]
fn a_symlink_to_a_folder_outside_is_followed() {
    let lib = library(|lib| {
        lib.write(
            "shared/minutes.md",
            "# Minutes\n\nThe trampoline budget was agreed.\n",
        );
        std::os::unix::fs::symlink(lib.path("shared"), lib.path("corpus/shared")).unwrap();
    });
    let run = lib.heard(&["index"]);
    run.assert_ok();
    assert_eq!(
        paths(&lib.search(&["trampoline"])),
        set(&["corpus/shared/minutes.md"])
    );
}

#[test]
fn several_bad_files_are_each_reported_once() {
    let lib = library(|lib| {
        lib.write("corpus/notes/empty.md", "");
        lib.write("corpus/notes/unclosed.md", "+++\ntitle = \"x\"\n\nText.\n");
        lib.write_bytes("corpus/notes/latin1.md", b"caf\xe9\n");
    });
    let run = lib.heard(&["index"]);
    run.assert_code(1);
    let problems = run.problem_lines();
    assert_eq!(problems.len(), 3, "{}", run.stderr);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("corpus/notes/empty.md: "))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("corpus/notes/unclosed.md:1: "))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("corpus/notes/latin1.md:1: "))
    );
    assert!(run.summary().line.contains("3 problems"));
    assert_eq!(
        paths(&lib.search(&["allotment"])),
        set(&["corpus/testimonies/bea-the-allotment.md"])
    );
}

#[test]
fn a_broken_heard_toml_is_a_usage_error_naming_the_line() {
    let lib = TestLibrary::with_fixture("small");
    lib.write("heard.toml", "name = \"x\"\ncorpus = corpus\n");
    let run = lib.heard(&["index"]);
    run.assert_code(2);
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("heard.toml:2:"), "{}", run.stderr);
    // An unknown setting is named too.
    lib.write("heard.toml", "name = \"x\"\ncorpse = \"corpus\"\n");
    let run = lib.heard(&["index"]);
    run.assert_code(2);
    assert!(run.stderr.contains("corpse"), "{}", run.stderr);
}
