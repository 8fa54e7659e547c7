//! Property tests of the two parsers that read what people type: the front matter splitter
//! and parser (through `load_bytes`, the way every source is read) and the query parser
//! (through `LibraryIndex::search`, the way the command line, the web and drafting call it).
//! A few hundred cases each, so they run in a few seconds with `cargo test`.

use heard::corpus::{LoadOptions, Sensitivity, load_bytes, tag_slug};
use heard::index::{LibraryIndex, SearchError, SearchRequest};
use proptest::prelude::*;

const OPTS: LoadOptions = LoadOptions {
    default_sensitivity: Sensitivity::Internal,
    max_bytes: 1 << 20,
};

/// 300 cases, or `PROPTEST_CASES` for a longer hunt.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text YAML 1.1 would read as something else, and ordinary words, written without quotes.
fn plain_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "No",
            "no",
            "Yes",
            "yes",
            "on",
            "OFF",
            "y",
            "n",
            "true",
            "False",
            "0x1F",
            "0o17",
            "017",
            "1.50",
            "1e3",
            "-7",
            "+3",
            ".inf",
            "-.Inf",
            ".NaN",
            "2024-06-12",
            "12:30",
            "1_000",
            "0b101",
        ])
        .prop_map(String::from),
        "[A-Za-z0-9][A-Za-z0-9 ._]{0,14}[A-Za-z0-9]",
    ]
    .prop_filter("YAML null", |s| {
        !matches!(s.as_str(), "null" | "Null" | "NULL" | "~")
    })
}

/// Any text at all for a quoted value (but not blank, which means "not set").
fn any_text() -> impl Strategy<Value = String> {
    "[^\u{0}]{1,24}".prop_filter("blank", |s| !s.trim().is_empty())
}

/// Whether `c` may stand as itself inside a quoted YAML scalar on one line: YAML's
/// printable set, less tabs and line breaks, the byte order mark and the line separators.
fn yaml_printable(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
}

/// A YAML double-quoted scalar holding exactly `s`: anything YAML does not print as itself
/// (controls, U+FFFE and U+FFFF, the byte order mark) is written as an escape.
fn yaml_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if !yaml_printable(c) => out.push_str(&format!("\\U{:08x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML basic string holding exactly `s`.
fn toml_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\U{:08x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What may come before the opening fence, and the line ending used throughout.
fn layout() -> impl Strategy<Value = (&'static str, &'static str)> {
    (
        prop::sample::select(vec!["", "\n", "  \n\t\n", "\u{feff}", "\n\u{feff}"]),
        prop::sample::select(vec!["\n", "\r\n", "\r"]),
    )
}

/// The source's front matter as read, when it loaded with no problem.
fn read(text: &str) -> Option<heard::corpus::FrontMatter> {
    let loaded = load_bytes(text.as_bytes(), "corpus/p.md", "p", OPTS);
    assert!(
        loaded.problems.is_empty(),
        "problems {:?} in\n{text:?}",
        loaded.problems
    );
    loaded.source.map(|s| s.meta)
}

proptest! {
    #![proptest_config(config())]

    /// Whatever the bytes, reading a source returns a source or problems; it never panics.
    #[test]
    fn reading_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = load_bytes(&bytes, "corpus/p.md", "p", OPTS);
    }

    /// Text shaped like front matter (fences, keys, odd values, odd line endings) never
    /// makes the reader panic either.
    #[test]
    fn reading_front_matter_shaped_text_never_panics(
        (before, eol) in layout(),
        fence in prop::sample::select(vec!["---", "+++", "...", "--- ", "++"]),
        lines in prop::collection::vec(
            prop_oneof![
                "[a-z]{1,12}: ?[^\n\r]{0,20}",
                "[a-z]{1,12} = ?[^\n\r]{0,20}",
                "[-+.]{3}",
                "[ \t]*-? ?[\\[\\]{}\"',:#&*!|>%@`]{0,6}",
            ],
            0..8,
        ),
        body in "[^\u{0}]{0,60}",
    ) {
        let text = format!("{before}{fence}{eol}{}{eol}{fence}{eol}{body}", lines.join(eol));
        let _ = load_bytes(text.as_bytes(), "corpus/p.md", "p", OPTS);
    }

    /// YAML text fields keep the text as written: `title: No` is "No", not false.
    #[test]
    fn yaml_text_fields_keep_plain_text_as_written(
        (before, eol) in layout(),
        title in plain_scalar(),
        id in plain_scalar(),
        tags in prop::collection::vec(plain_scalar(), 1..4),
        organisation in any_text(),
    ) {
        let fields = [
            format!("title: {title}"),
            format!("id: {id}"),
            format!("tags: [{}]", tags.join(", ")),
            format!("organisation: {}", yaml_quoted(&organisation)),
            "sensitivity: restricted".to_string(),
        ];
        let text = format!("{before}---{eol}{}{eol}---{eol}{eol}Some words.{eol}", fields.join(eol));
        let fm = read(&text).expect("a source");
        prop_assert_eq!(fm.title.as_deref(), Some(title.as_str()));
        prop_assert_eq!(fm.id.as_deref(), Some(id.as_str()));
        prop_assert_eq!(fm.tags, tags.iter().map(|t| tag_slug(t)).collect::<Vec<_>>());
        prop_assert_eq!(fm.organisation.as_deref(), Some(organisation.trim()));
        prop_assert_eq!(fm.sensitivity, Some(Sensitivity::Restricted));
    }

    /// TOML text fields keep their text too, whatever characters it has.
    #[test]
    fn toml_text_fields_keep_text_as_written(
        (before, eol) in layout(),
        title in any_text(),
        authors in prop::collection::vec(any_text(), 1..3),
    ) {
        let fields = [
            format!("title = {}", toml_quoted(&title)),
            format!(
                "authors = [{}]",
                authors.iter().map(|a| toml_quoted(a)).collect::<Vec<_>>().join(", ")
            ),
            "sensitivity = \"restricted\"".to_string(),
        ];
        let text = format!("{before}+++{eol}{}{eol}+++{eol}{eol}Some words.{eol}", fields.join(eol));
        let fm = read(&text).expect("a source");
        prop_assert_eq!(fm.title.as_deref(), Some(title.trim()));
        prop_assert_eq!(fm.authors, authors.iter().map(|a| a.trim().to_string()).collect::<Vec<_>>());
        prop_assert_eq!(fm.sensitivity, Some(Sensitivity::Restricted));
    }
}

/// A small library with an index, made once for the query properties.
fn index() -> &'static LibraryIndex {
    static INDEX: std::sync::OnceLock<(tempfile::TempDir, LibraryIndex)> =
        std::sync::OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temporary folder");
            heard::library::init(dir.path()).expect("init");
            std::fs::write(
                dir.path().join("corpus/a.md"),
                "---\ntitle: Shelter\ntags: [housing]\n---\n\nThe hot breakfast at the shelter.\n\n- We call for more beds.\n",
            )
            .expect("write");
            let lib = heard::Library::open(dir.path()).expect("open");
            let (index, _) =
                LibraryIndex::refresh_and_open(&lib, &heard::index::Quiet).expect("index");
            (dir, index)
        })
        .1
}

/// Pieces of the query language, and things that are not.
fn query() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        "[a-z]{1,8}",
        prop::sample::select(vec![
            "(", ")", "\"", "NOT", "AND", "OR", "-", "+", "title:", "tag:", "nope:", "*", "^2",
            "[", "]", "{", "}", "TO", "~2", "\\", ":", "IN", "body:*", "'", "\u{1b}",
        ])
        .prop_map(String::from),
    ];
    prop_oneof![
        prop::collection::vec(token, 0..30).prop_map(|t| t.join(" ")),
        prop::collection::vec(
            prop::sample::select(vec!["(", ")", "NOT ", "\"", "a", " "]),
            0..200
        )
        .prop_map(|t| t.concat()),
        (0usize..3000).prop_map(|d| format!("{}a{}", "(".repeat(d), ")".repeat(d))),
        "[^\u{0}]{0,80}",
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Any query is answered or refused as the user's to fix; it never panics or overflows
    /// the stack (tests run on 2 MiB threads, like the web's blocking pool), and the refusal
    /// is short enough to read.
    #[test]
    fn any_query_is_answered_or_refused_as_a_query_error(q in query(), any in any::<bool>()) {
        let result = index().search(&SearchRequest {
            query: Some(q.clone()),
            limit: 5,
            any,
            ..SearchRequest::default()
        });
        match result {
            Ok(_) => {}
            Err(SearchError::Query(m)) => prop_assert!(m.chars().count() < 600, "{m}"),
            Err(e) => prop_assert!(false, "not a query error for {q:?}: {e}"),
        }
    }
}
