//! The JSON Schemas in schema/ describe what heard really writes: files made by the real
//! commands in a temporary library, and the files of the bundled demo library.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::evidence::{RESPONSE, evidence};
use crate::util::TestLibrary;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A validator for `schema/<name>`.
#[track_caller]
fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("schema").join(name))
        .unwrap_or_else(|e| panic!("schema/{name}: {e}"));
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema/{name}: {e}"))
}

/// The problems of `instance` against a validator, as text.
fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[track_caller]
fn assert_valid(v: &jsonschema::Validator, instance: &Value, what: &str) {
    let errs = errors(v, instance);
    assert!(
        errs.is_empty(),
        "{what} does not match its schema:\n{}\n{instance:#}",
        errs.join("\n")
    );
}

/// TOML as the JSON a schema describes (dates and times as their text).
fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => json!(s),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Datetime(d) => json!(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[track_caller]
fn toml_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let table: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{} is not TOML: {e}", path.display()));
    toml_to_json(&toml::Value::Table(table))
}

/// `.toml` files of a folder.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Every line of a ledger, validated as an event; returns how many.
#[track_caller]
fn validate_ledger(path: &Path) -> usize {
    let v = validator("ledger-event.schema.json");
    let text = std::fs::read_to_string(path).unwrap();
    let mut n = 0;
    for (i, line) in text.lines().enumerate() {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", path.display(), i + 1));
        assert_valid(&v, &event, &format!("{}:{}", path.display(), i + 1));
        n += 1;
    }
    n
}

/// Quote files of a folder, validated; returns how many quotes they hold.
#[track_caller]
fn validate_quote_files(dir: &Path) -> usize {
    let v = validator("quotes.schema.json");
    let mut n = 0;
    for path in toml_files(dir) {
        let doc = toml_file(&path);
        assert_valid(&v, &doc, &path.display().to_string());
        n += doc["quote"].as_array().map_or(0, Vec::len);
    }
    n
}

/// The front matter of a Markdown file as JSON: YAML between `---` lines or TOML between
/// `+++` lines; `None` when the file has none.
fn front_matter(text: &str) -> Option<Value> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (fence, yaml) = if text.starts_with("---\n") || text.starts_with("---\r\n") {
        ("---", true)
    } else if text.starts_with("+++\n") || text.starts_with("+++\r\n") {
        ("+++", false)
    } else {
        return None;
    };
    let body = &text[text.find('\n').unwrap() + 1..];
    let mut block = String::new();
    for line in body.lines() {
        if line.trim_end() == fence || (yaml && line.trim_end() == "...") {
            return Some(if yaml {
                serde_saphyr::from_str::<Value>(&block)
                    .unwrap_or_else(|e| panic!("front matter is not YAML: {e}\n{block}"))
            } else {
                let t: toml::Table = toml::from_str(&block)
                    .unwrap_or_else(|e| panic!("front matter is not TOML: {e}\n{block}"));
                toml_to_json(&toml::Value::Table(t))
            });
        }
        block.push_str(line);
        block.push('\n');
    }
    panic!("front matter never closed")
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            markdown_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
}

#[test]
fn what_heard_writes_matches_the_schemas() {
    let ev = evidence();
    let lib = &ev.lib;
    // More of what heard writes: a new anonymous contributor, tags, an outcome, a
    // consultation made from a question list, and a draft.
    lib.quote_add(
        "notes-panel-2024",
        "the discharge lounge is where people wait for transport",
        &["--speaker", "c-newbie", "--tag", "hospital-discharge"],
    );
    lib.heard(&["quote", "tag", ev.id("ash-night"), "--add", "not-a-theme"])
        .assert_ok();
    lib.heard(&[
        "recs",
        "outcome",
        "r-rep-discharge-2024-2",
        "partly",
        "--note",
        "Two days a week",
        "--evidence",
        "https://example.org/x",
    ])
    .assert_ok();
    lib.write(
        "questions.txt",
        "Chapter 1: Leaving hospital\n\n1. What should change? (max 200 words)\n\n2. Anything else?\n",
    );
    let from = lib.path("questions.txt");
    lib.heard(&[
        "consultation",
        "new",
        "from-list",
        "--from",
        from.to_str().unwrap(),
    ])
    .assert_ok();
    ev.draft();

    let quotes = validate_quote_files(&lib.path("corpus/quotes"));
    assert!(quotes >= 12, "{quotes} quotes validated");
    let events = validate_ledger(&lib.path("corpus/ledger.jsonl"));
    assert_eq!(events, lib.ledger_lines().len());
    assert!(events >= 25);
    let contributors = toml_file(&lib.path("corpus/contributors.toml"));
    assert!(contributors.to_string().contains("c-newbie"));
    assert_valid(
        &validator("contributors.schema.json"),
        &contributors,
        "contributors.toml",
    );
    assert_valid(
        &validator("taxonomy.schema.json"),
        &toml_file(&lib.path("corpus/taxonomy.toml")),
        "taxonomy.toml",
    );
    let consultation = validator("consultation.schema.json");
    assert_valid(
        &consultation,
        &toml_file(&lib.path("responses/from-list/consultation.toml")),
        "consultation.toml made by `heard consultation new`",
    );
    assert_valid(
        &consultation,
        &toml_file(&lib.path(&format!("{RESPONSE}/consultation.toml"))),
        "the test's consultation.toml",
    );
    assert_valid(
        &validator("provenance.schema.json"),
        &ev.provenance(),
        "provenance.json",
    );
    assert_valid(
        &validator("heard.toml.schema.json"),
        &toml_file(&lib.path("heard.toml")),
        "heard.toml made by `heard init`",
    );
    // A new library's files too.
    let fresh = TestLibrary::new();
    assert_valid(
        &validator("heard.toml.schema.json"),
        &toml_file(&fresh.path("heard.toml")),
        "heard.toml of a new library",
    );
}

#[test]
fn the_demo_library_matches_the_schemas() {
    let corpus = repo().join("corpus");
    assert_valid(
        &validator("contributors.schema.json"),
        &toml_file(&corpus.join("contributors.toml")),
        "corpus/contributors.toml",
    );
    assert_valid(
        &validator("taxonomy.schema.json"),
        &toml_file(&corpus.join("taxonomy.toml")),
        "corpus/taxonomy.toml",
    );
    let quotes = validate_quote_files(&corpus.join("quotes"));
    assert!(quotes >= 30, "{quotes} demo quotes");
    let events = validate_ledger(&corpus.join("ledger.jsonl"));
    assert!(events >= 60, "{events} demo events");
    assert_valid(
        &validator("heard.toml.schema.json"),
        &toml_file(&repo().join("heard.toml")),
        "heard.toml",
    );
    for path in toml_files(&repo().join("responses/crisis-care-2026")) {
        assert_valid(
            &validator("consultation.schema.json"),
            &toml_file(&path),
            &path.display().to_string(),
        );
    }

    let front = validator("front-matter.schema.json");
    let mut files = Vec::new();
    markdown_files(&corpus, &mut files);
    files.sort();
    let (mut yaml, mut toml) = (0, 0);
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let Some(doc) = front_matter(&text) else {
            continue;
        };
        if text.starts_with("+++") {
            toml += 1;
        } else {
            yaml += 1;
        }
        assert_valid(&front, &doc, &path.display().to_string());
    }
    assert!(
        yaml >= 10 && toml >= 3,
        "{yaml} YAML and {toml} TOML front matters"
    );
}

#[test]
fn the_schemas_reject_what_heard_would_not_write() {
    // So that the checks above can fail.
    let quotes = validator("quotes.schema.json");
    let good = json!({"source": "t-ash", "quote": [{
        "id": "q-12345678", "exact": "words", "prefix": "", "suffix": "", "start": 0, "end": 5,
        "tags": [], "status": "approved", "scope": "external", "created": "2026-01-01T00:00:00Z"
    }]});
    assert_valid(&quotes, &good, "a good quote file");
    let mut bad = good.clone();
    bad["quote"][0]["status"] = json!("maybe");
    assert!(!errors(&quotes, &bad).is_empty());
    let mut bad = good.clone();
    bad["quote"][0]["scope"] = json!("everyone");
    assert!(!errors(&quotes, &bad).is_empty());
    let mut bad = good.clone();
    bad["quote"][0]["consent_form"] = json!(true);
    assert!(!errors(&quotes, &bad).is_empty());

    let event = validator("ledger-event.schema.json");
    let good = json!({"id": "e-1", "parents": [], "time": "2026-01-01T00:00:00Z",
        "actor": "c-ash", "action": "quote.approve", "target": "q-12345678",
        "details": {"scope": "external"}});
    assert_valid(&event, &good, "a good event");
    let mut bad = good.clone();
    bad["action"] = json!("quote.delete");
    assert!(!errors(&event, &bad).is_empty());
    let mut bad = good.clone();
    bad.as_object_mut().unwrap().remove("parents");
    assert!(!errors(&event, &bad).is_empty());

    let front = validator("front-matter.schema.json");
    assert_valid(
        &front,
        &json!({"title": "T", "kind": "report", "date": "2024-06", "tags": ["housing"], "extra": 1}),
        "good front matter",
    );
    assert!(!errors(&front, &json!({"kind": "poem"})).is_empty());
    assert!(!errors(&front, &json!({"sensitivity": "secret"})).is_empty());
    assert!(!errors(&front, &json!({"date": "June 2024"})).is_empty());

    let contributors = validator("contributors.schema.json");
    assert!(
        !errors(
            &contributors,
            &json!({"contributor": [{"id": "c-x", "credit": "full-name"}]})
        )
        .is_empty()
    );
}
