//! `TestLibrary`: a fresh heard library in a temporary folder, with helpers to fill its
//! corpus and run the real `heard` binary against it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// The folder of fixture libraries, `tests/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Who commands that record an actor run as, unless a test says otherwise (`HEARD_USER`).
pub const OFFICER: &str = "officer-test";

/// The result of one run of `heard`.
#[derive(Debug)]
pub struct Run {
    /// What the command printed on stdout.
    pub stdout: String,
    /// What the command printed on stderr.
    pub stderr: String,
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// The arguments, for failure messages.
    pub args: Vec<String>,
}

impl Run {
    /// Panic with everything we know unless the exit code is `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            code,
            "`heard {}` exited {} (expected {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Exit code 0.
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        self.assert_code(0)
    }

    /// stdout parsed as exactly one JSON document.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`heard {}` did not print one JSON document: {e}\n--- stdout\n{}\n--- stderr\n{}",
                self.args.join(" "),
                self.stdout,
                self.stderr
            )
        })
    }

    /// The non-empty lines of stderr.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    /// stderr lines that report a problem with a file: `path: message` or
    /// `path:line: message`, as opposed to summaries and notes.
    pub fn problem_lines(&self) -> Vec<&str> {
        self.stderr_lines()
            .into_iter()
            .filter(|l| {
                l.split_once(": ").is_some_and(|(place, _)| {
                    !place.contains(char::is_whitespace)
                        && (place.contains('/') || place.contains(".md"))
                })
            })
            .collect()
    }

    /// The closing summary line of `heard index`.
    #[track_caller]
    pub fn summary(&self) -> Summary {
        let line = self
            .stderr_lines()
            .into_iter()
            .find(|l| l.starts_with("Indexed ") || l.starts_with("Built a new index"))
            .unwrap_or_else(|| panic!("no index summary on stderr:\n{}", self.stderr));
        let count = |word: &str| -> usize {
            let words: Vec<&str> = line.split([' ', ',', ':']).collect();
            let i = words
                .iter()
                .position(|w| *w == word)
                .unwrap_or_else(|| panic!("no `{word}` in the summary `{line}`"));
            words[i - 1]
                .parse()
                .unwrap_or_else(|_| panic!("no count before `{word}` in `{line}`"))
        };
        Summary {
            added: count("added"),
            changed: count("changed"),
            removed: count("removed"),
            unchanged: count("unchanged"),
            line: line.to_string(),
        }
    }
}

/// The counts of `heard index`'s summary line, as a user reads them.
#[derive(Debug)]
pub struct Summary {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
    pub line: String,
}

/// What a file in the corpus looked like: enough to tell that heard changed nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry {
    File { bytes: Option<Vec<u8>>, mode: u32 },
    Dir { mode: u32 },
    Link(PathBuf),
}

/// A fresh library in a temporary folder, removed when dropped.
pub struct TestLibrary {
    dir: TempDir,
}

impl TestLibrary {
    /// An empty temporary folder that is not a library yet (for `heard init` tests).
    pub fn bare() -> TestLibrary {
        let dir = tempfile::Builder::new()
            .prefix("heard-test-")
            .tempdir()
            .expect("temporary folder");
        TestLibrary { dir }
    }

    /// A new library made by `heard init`.
    pub fn new() -> TestLibrary {
        let lib = TestLibrary::bare();
        lib.heard(&["init"]).assert_ok();
        assert!(
            lib.root().join("heard.toml").is_file(),
            "init made no heard.toml"
        );
        lib
    }

    /// A new library whose corpus is a copy of `tests/fixtures/<case>/`.
    pub fn with_fixture(case: &str) -> TestLibrary {
        let lib = TestLibrary::new();
        lib.copy_fixture(case);
        lib
    }

    /// The library's root folder.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `root/rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Copy `tests/fixtures/<case>/` into the corpus folder.
    pub fn copy_fixture(&self, case: &str) {
        let from = fixtures_dir().join(case);
        assert!(from.is_dir(), "no fixture `{}`", from.display());
        copy_dir(&from, &self.path("corpus"));
    }

    /// Copy `tests/fixtures/<case>/` to `root/rel` (for a library whose corpus is not
    /// `corpus/`).
    pub fn copy_fixture_to(&self, case: &str, rel: &str) {
        copy_dir(&fixtures_dir().join(case), &self.path(rel));
    }

    /// Write a text file at `rel` (relative to the root), creating folders.
    pub fn write(&self, rel: &str, text: &str) {
        self.write_bytes(rel, text.as_bytes());
    }

    /// Write a file at `rel` (relative to the root), creating folders.
    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
    }

    /// Read the text file at `rel`.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Delete the file at `rel`.
    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path(rel)).unwrap();
    }

    /// Move the file's modification time `secs` seconds into the past, without touching
    /// its content.
    pub fn age(&self, rel: &str, secs: u64) {
        let f = std::fs::File::options()
            .write(true)
            .open(self.path(rel))
            .unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(secs))
            .unwrap();
    }

    /// A `heard -C <root> ...` command with `NO_COLOR=1`, for tests that need more control.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("heard").expect("the heard binary");
        cmd.arg("-C")
            .arg(self.root())
            .args(args)
            .env("NO_COLOR", "1")
            .env("HEARD_USER", OFFICER);
        cmd.env_remove("RUST_BACKTRACE");
        cmd
    }

    /// Run `heard -C <root> ...` and collect what it printed.
    pub fn heard(&self, args: &[&str]) -> Run {
        let output = self.command(args).output().expect("run heard");
        Run {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code().unwrap_or(-1),
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// `heard index`, which must exit 0.
    #[track_caller]
    pub fn index_ok(&self) -> Run {
        let run = self.heard(&["index"]);
        run.assert_ok();
        run
    }

    /// `heard index --json`, parsed (whatever the exit code).
    #[track_caller]
    pub fn index_json(&self) -> Value {
        let run = self.heard(&["index", "--json"]);
        assert!(run.code == 0 || run.code == 1, "{run:?}");
        run.json()
    }

    /// `heard search <args> --json`, which must exit 0; the parsed document.
    #[track_caller]
    pub fn search(&self, args: &[&str]) -> Value {
        let mut all = vec!["search"];
        all.extend_from_slice(args);
        all.push("--json");
        let run = self.heard(&all);
        run.assert_ok();
        run.json()
    }

    /// `heard recs <args> --json`, which must exit 0; the parsed document.
    #[track_caller]
    pub fn recs(&self, args: &[&str]) -> Value {
        let mut all = vec!["recs"];
        all.extend_from_slice(args);
        all.push("--json");
        let run = self.heard(&all);
        run.assert_ok();
        run.json()
    }

    /// Everything under `rel` (files with their bytes and permissions, folders, links),
    /// without following links: compare before and after to show nothing was modified.
    pub fn snapshot(&self, rel: &str) -> BTreeMap<String, Entry> {
        use std::os::unix::fs::PermissionsExt;
        let mut out = BTreeMap::new();
        let base = self.path(rel);
        let mut stack = vec![base.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let key = path.strip_prefix(&base).unwrap().display().to_string();
                let meta = std::fs::symlink_metadata(&path).unwrap();
                let mode = meta.permissions().mode();
                let e = if meta.file_type().is_symlink() {
                    Entry::Link(std::fs::read_link(&path).unwrap())
                } else if meta.is_dir() {
                    stack.push(path.clone());
                    Entry::Dir { mode }
                } else {
                    Entry::File {
                        bytes: std::fs::read(&path).ok(),
                        mode,
                    }
                };
                out.insert(key, e);
            }
        }
        out
    }
}

/// Quotes, consent and the ledger.
impl TestLibrary {
    /// A copy of this whole library (heard.toml, corpus/, responses/ and .heard/) in a new
    /// temporary folder: a colleague's clone.
    pub fn clone_library(&self) -> TestLibrary {
        let copy = TestLibrary::bare();
        copy_dir(self.root(), copy.root());
        copy
    }

    /// `heard quote add --source SOURCE --exact EXACT [EXTRA...] --json`, which must exit 0;
    /// the new quote's id.
    #[track_caller]
    pub fn quote_add(&self, source: &str, exact: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "quote", "add", "--source", source, "--exact", exact, "--json",
        ];
        args.extend_from_slice(extra);
        let run = self.heard(&args);
        run.assert_ok();
        let doc = run.json();
        let id = s(&doc, "id").to_string();
        assert!(
            id.starts_with("q-"),
            "`heard {}` printed the id `{id}`",
            args.join(" ")
        );
        id
    }

    /// `heard quote approve ID --by BY --scope SCOPE`, which must exit 0.
    #[track_caller]
    pub fn approve(&self, id: &str, by: &str, scope: &str) {
        self.heard(&["quote", "approve", id, "--by", by, "--scope", scope])
            .assert_ok();
    }

    /// `heard quotes ARGS --json`, which must exit 0: the listed quotes.
    #[track_caller]
    pub fn quotes(&self, args: &[&str]) -> Vec<Value> {
        let mut all = vec!["quotes"];
        all.extend_from_slice(args);
        all.push("--json");
        let run = self.heard(&all);
        run.assert_ok();
        run.json()
            .get("quotes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_else(|| panic!("no `quotes` list in {}", run.stdout))
    }

    /// The quote with this id, as `heard quotes --json` shows it.
    #[track_caller]
    pub fn quote(&self, id: &str) -> Value {
        self.quotes(&[])
            .into_iter()
            .find(|q| q["id"] == id)
            .unwrap_or_else(|| panic!("`heard quotes` does not list {id}"))
    }

    /// The lines of corpus/ledger.jsonl (empty when there is none).
    pub fn ledger_lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("corpus/ledger.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// Every line of corpus/ledger.jsonl, parsed; panics on a line that is not JSON.
    #[track_caller]
    pub fn ledger_events(&self) -> Vec<Value> {
        self.ledger_lines()
            .iter()
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("ledger line {} is not JSON ({e}): {l}", i + 1))
            })
            .collect()
    }

    /// Overwrite corpus/ledger.jsonl with these lines.
    pub fn write_ledger(&self, lines: &[String]) {
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        self.write("corpus/ledger.jsonl", &text);
    }

    /// Append an event to the ledger the way another clone of the library might have
    /// written it long ago: with the given time, a correct hash and the current last event
    /// as its parent. Used for what heard itself refuses to record now, such as an approval
    /// whose expiry date has already passed.
    pub fn append_old_event(
        &self,
        time: &str,
        actor: &str,
        action: heard::ledger::Action,
        target: &str,
        details: Value,
    ) {
        let mut lines = self.ledger_lines();
        let parents = match lines.last() {
            Some(l) => {
                let last: Value = serde_json::from_str(l).unwrap();
                vec![last["id"].as_str().unwrap().to_string()]
            }
            None => Vec::new(),
        };
        let mut e = heard::ledger::Event {
            id: String::new(),
            parents,
            time: time.into(),
            actor: actor.into(),
            action,
            target: target.into(),
            details: details.into(),
        };
        e.id = e.content_id();
        lines.push(serde_json::to_string(&e).unwrap());
        self.write_ledger(&lines);
    }

    /// An approval for external use given in January 2020 that lasted until 30 June 2020,
    /// appended as [`TestLibrary::append_old_event`] does; the quote files are then rewritten
    /// from the ledger (`heard verify --repair`), as a merge would have brought them.
    pub fn append_expired_approval(&self, quote: &str, speaker: &str) {
        self.append_old_event(
            "2020-01-15T10:00:00Z",
            speaker,
            heard::ledger::Action::QuoteApprove,
            quote,
            serde_json::json!({"scope": "external", "expires": "2020-06-30"}),
        );
        self.heard(&["verify", "--repair"]);
    }

    /// `heard verify`: the run (exit code not checked).
    pub fn verify(&self) -> Run {
        self.heard(&["verify"])
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The hits of a `search --json` document (or recommendations of `recs --json`).
#[track_caller]
pub fn hits(doc: &Value) -> &Vec<Value> {
    doc.get("hits")
        .or_else(|| doc.get("recommendations"))
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no hits in {doc:#}"))
}

/// A string field of a hit.
#[track_caller]
pub fn s<'a>(hit: &'a Value, field: &str) -> &'a str {
    hit.get(field)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string `{field}` in {hit:#}"))
}

/// A number field of a hit.
#[track_caller]
pub fn n(hit: &Value, field: &str) -> u64 {
    hit.get(field)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no number `{field}` in {hit:#}"))
}

/// The distinct files the hits come from.
pub fn paths(doc: &Value) -> BTreeSet<String> {
    hits(doc).iter().map(|h| s(h, "path").to_string()).collect()
}

/// The full texts of the hits.
pub fn texts(doc: &Value) -> Vec<String> {
    hits(doc).iter().map(|h| s(h, "text").to_string()).collect()
}

/// The `total` of a search document.
#[track_caller]
pub fn total(doc: &Value) -> u64 {
    doc.get("total")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no total in {doc:#}"))
}

/// A set of strings, for comparing paths.
pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}
