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
            .env("NO_COLOR", "1");
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
