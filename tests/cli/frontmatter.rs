//! Front matter as people really write it: old Mac line endings, a blank line or a byte
//! order mark before the opening fence, a misspelt key, values YAML 1.1 would turn into
//! booleans and numbers. A restricted source must never quietly become internal, and text
//! must stay the text that was written. Every case is tried in YAML and in TOML.

use crate::util::{TestLibrary, hits, s};

#[derive(Clone, Copy, Debug)]
enum Syntax {
    Yaml,
    Toml,
}

const BOTH: [Syntax; 2] = [Syntax::Yaml, Syntax::Toml];

/// A source with these front matter fields (values are text) and one paragraph holding
/// `word`, with `\n` line endings.
fn source(syntax: Syntax, fields: &[(&str, &str)], word: &str) -> String {
    let (fence, lines): (&str, Vec<String>) = match syntax {
        Syntax::Yaml => (
            "---",
            fields.iter().map(|(k, v)| format!("{k}: {v}")).collect(),
        ),
        Syntax::Toml => (
            "+++",
            fields
                .iter()
                .map(|(k, v)| format!("{k} = \"{v}\""))
                .collect(),
        ),
    };
    format!(
        "{fence}\n{}\n{fence}\n\nThe {word} was never to leave the office.\n",
        lines.join("\n")
    )
}

/// The one hit for `word`: a passage of the source that holds it.
#[track_caller]
fn hit_for(lib: &TestLibrary, word: &str) -> serde_json::Value {
    let doc = lib.search(&[word]);
    let found = hits(&doc);
    assert_eq!(found.len(), 1, "one hit for {word}: {doc:#}");
    found[0].clone()
}

/// A change to a source's text: its line endings, or what comes before the fence.
type Layout = fn(String) -> String;

#[test]
fn restricted_stays_restricted_whatever_the_line_endings_or_what_comes_before_the_fence() {
    let lib = TestLibrary::new();
    let layouts: [(&str, Layout); 7] = [
        ("cr-only", |t| t.replace('\n', "\r")),
        ("crlf", |t| t.replace('\n', "\r\n")),
        ("blank-line-first", |t| format!("\n{t}")),
        ("whitespace-lines-first", |t| format!("  \n\t\n{t}")),
        ("bom-then-blank-line", |t| format!("\u{feff}\n{t}")),
        ("blank-line-then-bom", |t| format!("\n\u{feff}{t}")),
        ("cr-only-after-blank-line", |t| {
            format!("\n{t}").replace('\n', "\r")
        }),
    ];
    let mut cases = Vec::new();
    for syntax in BOTH {
        for (i, (name, layout)) in layouts.iter().enumerate() {
            let word = format!("secretword{i}{}", format!("{syntax:?}").to_lowercase());
            let title = format!("Case {name} {syntax:?}");
            let text = source(
                syntax,
                &[("title", &title), ("sensitivity", "restricted")],
                &word,
            );
            lib.write(
                &format!("corpus/{syntax:?}/{name}.md").to_lowercase(),
                &layout(text),
            );
            cases.push((word, title));
        }
    }
    let run = lib.heard(&["index"]);
    run.assert_ok();
    assert!(run.problem_lines().is_empty(), "{}", run.stderr);
    for (word, title) in cases {
        let hit = hit_for(&lib, &word);
        assert_eq!(s(&hit, "title"), title, "front matter read for {word}");
        assert_eq!(s(&hit, "sensitivity"), "restricted", "{title}: {hit:#}");
    }
}

#[test]
fn a_misspelt_sensitivity_key_is_reported_and_the_source_treated_as_restricted() {
    for syntax in BOTH {
        let lib = TestLibrary::new();
        let misspellings = [
            "sensitivty",
            "sensitvity",
            "senstivity",
            "snesitivity",
            "sensitiviity",
            "sensativity",
        ];
        for (i, key) in misspellings.iter().enumerate() {
            // Even a misspelt `public` must not make the source any more visible.
            let value = if i % 2 == 0 { "restricted" } else { "public" };
            lib.write(
                &format!("corpus/{key}.md"),
                &source(
                    syntax,
                    &[("title", key), (key, value)],
                    &format!("word{i}x"),
                ),
            );
        }
        let run = lib.heard(&["index"]);
        run.assert_code(1);
        let problems = run.problem_lines();
        assert_eq!(problems.len(), misspellings.len(), "{}", run.stderr);
        for (i, key) in misspellings.iter().enumerate() {
            let line = problems
                .iter()
                .find(|p| p.starts_with(&format!("corpus/{key}.md:3: ")))
                .unwrap_or_else(|| panic!("no problem on line 3 of {key}.md: {}", run.stderr));
            for w in [&format!("`{key}`"), "`sensitivity`", "restricted"] {
                assert!(line.contains(w), "{syntax:?}: `{w}` not in `{line}`");
            }
            let hit = hit_for(&lib, &format!("word{i}x"));
            assert_eq!(s(&hit, "sensitivity"), "restricted", "{syntax:?} {key}");
        }
        // Fixed: the key is spelt right, and its value counts.
        lib.write(
            "corpus/sensitvity.md",
            &source(
                syntax,
                &[("title", "fixed"), ("sensitivity", "public")],
                "word1x",
            ),
        );
        let run = lib.heard(&["index"]);
        assert!(
            !run.stderr.contains("corpus/sensitvity.md"),
            "{}",
            run.stderr
        );
        assert_eq!(s(&hit_for(&lib, "word1x"), "sensitivity"), "public");
    }
}

#[test]
fn keys_in_capitals_are_the_keys_heard_knows() {
    for syntax in BOTH {
        let lib = TestLibrary::new();
        lib.write(
            "corpus/caps.md",
            &source(
                syntax,
                &[("Title", "Capitals"), ("Sensitivity", "restricted")],
                "capitalword",
            ),
        );
        let run = lib.heard(&["index"]);
        run.assert_ok();
        let hit = hit_for(&lib, "capitalword");
        assert_eq!(s(&hit, "title"), "Capitals", "{syntax:?}");
        assert_eq!(s(&hit, "sensitivity"), "restricted", "{syntax:?}");
    }
}

#[test]
fn a_key_close_to_a_known_one_is_reported_naming_the_known_key() {
    for syntax in BOTH {
        let lib = TestLibrary::new();
        lib.write(
            "corpus/typos.md",
            &source(
                syntax,
                &[
                    ("titel", "Typo"),
                    ("summary", "a field heard does not know, and no typo"),
                    ("contibutors", "p-1"),
                ],
                "typoword",
            ),
        );
        let run = lib.heard(&["index"]);
        run.assert_code(1);
        let problems = run.problem_lines();
        assert_eq!(problems.len(), 2, "{}", run.stderr);
        assert!(
            problems[0].starts_with("corpus/typos.md:2: ")
                && problems[0].contains("`titel`")
                && problems[0].contains("`title`"),
            "{syntax:?}: {}",
            problems[0]
        );
        assert!(
            problems[1].starts_with("corpus/typos.md:4: ")
                && problems[1].contains("`contributors`"),
            "{syntax:?}: {}",
            problems[1]
        );
        // The source itself still loads.
        hit_for(&lib, "typoword");
    }
}

#[test]
fn yaml_1_1_booleans_and_numbers_in_text_fields_stay_as_written() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/submissions/odd.md",
        "---\nid: 0x1F\ntitle: No\ntags: [yes, no, on, off, 1.50]\nconsultation: 0o17\nkind: submission\n---\n\nThe yamlword answer.\n",
    );
    lib.write(
        "corpus/submissions/odd-block.md",
        "---\ntitle: 1.50\ntags:\n  - Yes\n  - NULL thing\n  - 007\n---\n\nThe blockword answer.\n",
    );
    let run = lib.heard(&["index"]);
    run.assert_ok();
    let hit = hit_for(&lib, "yamlword");
    assert_eq!(s(&hit, "title"), "No");
    assert_eq!(s(&hit, "source"), "0x1F");
    assert_eq!(s(&hit, "consultation"), "0o17");
    assert_eq!(
        hit["tags"],
        serde_json::json!(["yes", "no", "on", "off", "1.50"])
    );
    let hit = hit_for(&lib, "blockword");
    assert_eq!(s(&hit, "title"), "1.50");
    assert_eq!(hit["tags"], serde_json::json!(["yes", "null-thing", "007"]));
}

#[test]
fn toml_dates_and_datetimes_in_front_matter_are_dates() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/a.md",
        "+++\ntitle = \"A\"\ndate = 2024-06-12\n+++\n\nThe tomlday report.\n",
    );
    lib.write(
        "corpus/b.md",
        "+++\ntitle = \"B\"\ndate = 2023-01-02T10:00:00Z\n+++\n\nThe tomltime report.\n",
    );
    lib.index_ok();
    assert_eq!(s(&hit_for(&lib, "tomlday"), "date"), "2024-06-12");
    let doc = lib.search(&["--since", "2023-01-02", "--until", "2023-01-02"]);
    assert_eq!(hits(&doc).len(), 1, "{doc:#}");
    assert_eq!(s(&hits(&doc)[0], "title"), "B");
}
