//! Several people at once, and processes killed halfway: nothing recorded is lost, the
//! ledger stays whole, and quote files are never half-written.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::util::{OFFICER, TestLibrary};

const NIGHT: &str = "They discharged me at nine at night with a carrier bag and a bus pass.";

/// A `heard -C <lib> ARGS` process, started and not waited for.
fn spawn(lib: &TestLibrary, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_heard"))
        .arg("-C")
        .arg(lib.root())
        .args(args)
        .env("NO_COLOR", "1")
        .env("HEARD_USER", OFFICER)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start heard")
}

/// Wait for every process; each must exit 0.
#[track_caller]
fn wait_all(children: Vec<(String, Child)>) {
    for (what, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "`heard {what}` failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[track_caller]
fn tags_of(lib: &TestLibrary, id: &str) -> Vec<String> {
    lib.quote(id)["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

/// Every quote file under corpus/quotes parses as TOML with a `source`.
#[track_caller]
fn quote_files_parse(lib: &TestLibrary) {
    let dir = lib.path("corpus/quotes");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&p).unwrap();
            let t: toml::Table = toml::from_str(&text)
                .unwrap_or_else(|err| panic!("{} is half-written: {err}\n{text}", p.display()));
            assert!(t.contains_key("source"), "{}", p.display());
        }
    }
}

#[test]
fn sixteen_people_tagging_one_quote_at_once_lose_nothing() {
    let lib = TestLibrary::with_fixture("evidence");
    let id = lib.quote_add("t-ash", NIGHT, &[]);
    let before = lib.ledger_lines();
    let children: Vec<(String, Child)> = (1..=16)
        .map(|n| {
            let tag = format!("t{n}");
            let by = format!("volunteer-{n}");
            (
                format!("quote tag {id} --add {tag}"),
                spawn(&lib, &["quote", "tag", &id, "--add", &tag, "--by", &by]),
            )
        })
        .collect();
    wait_all(children);
    let after = lib.ledger_lines();
    assert_eq!(after.len(), before.len() + 16, "exactly 16 new events");
    assert_eq!(&after[..before.len()], &before[..]);
    let mut tags = tags_of(&lib, &id);
    tags.sort();
    let mut expected: Vec<String> = (1..=16).map(|n| format!("t{n}")).collect();
    expected.sort();
    assert_eq!(tags, expected);
    // The quote file was written last by one of them, from the whole ledger.
    let file = lib.read("corpus/quotes/t-ash.toml");
    for t in &expected {
        assert!(file.contains(&format!("\"{t}\"")), "{t} missing:\n{file}");
    }
    lib.verify().assert_ok();
}

#[test]
fn sixteen_different_changes_at_once_all_land() {
    let lib = TestLibrary::with_fixture("evidence");
    let ash = lib.quote_add("t-ash", NIGHT, &[]);
    let bo = lib.quote_add(
        "t-bo",
        "When you have complex needs every service thinks you belong to another service.",
        &[],
    );
    let before = lib.ledger_lines().len();
    let new_quotes: [(&str, &str); 6] = [
        (
            "t-ash",
            "Nobody on the ward asked if I had a door to go back to.",
        ),
        (
            "t-ash",
            "I slept in the hospital car park for two nights after that.",
        ),
        (
            "t-bo",
            "My housing worker and my drugs worker had never spoken to each other.",
        ),
        (
            "t-cy",
            "The hostel took me straight from the ward, and that is the only reason I am still here.",
        ),
        (
            "t-cy",
            "Having one worker who knew my whole story made all the difference to my recovery.",
        ),
        (
            "rep-discharge-2024",
            "Twenty-nine of them were discharged without anyone asking where they would sleep that night.",
        ),
    ];
    let mut children = Vec::new();
    for (source, exact) in new_quotes {
        children.push((
            format!("quote add --source {source}"),
            spawn(
                &lib,
                &[
                    "quote",
                    "add",
                    "--source",
                    source,
                    "--exact",
                    exact,
                    "--speaker",
                    "c-ash",
                ],
            ),
        ));
    }
    for n in 1..=8 {
        let (id, tag) = if n % 2 == 0 {
            (&ash, format!("a{n}"))
        } else {
            (&bo, format!("b{n}"))
        };
        children.push((
            format!("quote tag {id}"),
            spawn(&lib, &["quote", "tag", id, "--add", &tag]),
        ));
    }
    children.push((
        "approve".into(),
        spawn(
            &lib,
            &[
                "quote", "approve", &ash, "--by", "c-ash", "--scope", "external",
            ],
        ),
    ));
    children.push((
        "approve".into(),
        spawn(&lib, &["quote", "approve", &bo, "--by", "c-bo"]),
    ));
    assert_eq!(children.len(), 16);
    wait_all(children);
    let events = lib.ledger_events();
    assert_eq!(events.len(), before + 16);
    let quotes = lib.quotes(&[]);
    assert_eq!(quotes.len(), 8, "every new quote is there");
    for (_, exact) in new_quotes {
        assert!(quotes.iter().any(|q| q["exact"] == exact), "lost: {exact}");
    }
    assert_eq!(tags_of(&lib, &ash), vec!["a2", "a4", "a6", "a8"]);
    assert_eq!(tags_of(&lib, &bo), vec!["b1", "b3", "b5", "b7"]);
    assert_eq!(lib.quote(&ash)["status"], "approved");
    assert_eq!(lib.quote(&bo)["status"], "approved");
    quote_files_parse(&lib);
    lib.verify().assert_ok();
}

/// A small deterministic pseudo-random sequence (no extra crate needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[test]
fn killing_heard_mid_change_never_damages_the_library() {
    let lib = TestLibrary::with_fixture("evidence");
    let id = lib.quote_add("t-ash", NIGHT, &[]);
    let mut rng = Lcg(0x5eed_1234);
    let mut ok = 0;
    for i in 0..30 {
        let tag = format!("k{i}");
        let args: Vec<&str> = match i % 4 {
            0 => vec![
                "quote", "approve", &id, "--by", "c-ash", "--scope", "external",
            ],
            1 => vec!["quote", "withdraw", &id, "--by", "c-ash"],
            _ => vec!["quote", "tag", &id, "--add", &tag],
        };
        let mut child = spawn(&lib, &args);
        std::thread::sleep(Duration::from_millis(rng.next(45)));
        // SIGKILL on unix: no chance to clean up.
        let _ = child.kill();
        let _ = child.wait();

        // Every complete line of the ledger is an event; only a last line without its
        // newline may be torn.
        let text = lib.read("corpus/ledger.jsonl");
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let last = n + 1 == lines.len();
            let parsed = serde_json::from_str::<serde_json::Value>(line);
            assert!(
                parsed.is_ok() || (last && !text.ends_with('\n')),
                "iteration {i}: ledger line {} is damaged: {line}",
                n + 1
            );
        }
        quote_files_parse(&lib);

        // The next change succeeds, and the library verifies.
        let run = lib.heard(&["quote", "tag", &id, "--add", &format!("ok{i}")]);
        run.assert_ok();
        ok += 1;
        lib.verify().assert_ok();
        lib.ledger_events();
        let tags = tags_of(&lib, &id);
        assert!(tags.contains(&format!("ok{i}")), "{tags:?}");
    }
    assert_eq!(ok, 30);
    let status = lib.quote(&id)["status"].as_str().unwrap().to_string();
    assert!(
        ["pending", "approved", "withdrawn"].contains(&status.as_str()),
        "{status}"
    );
}

/// Files under `rel` whose name starts with `.heard-tmp`.
fn leftover_temporary_files(lib: &TestLibrary, rel: &str) -> Vec<String> {
    lib.snapshot(rel)
        .into_keys()
        .filter(|k| {
            k.rsplit('/')
                .next()
                .is_some_and(|name| name.starts_with(".heard-tmp"))
        })
        .collect()
}

#[test]
fn killing_heard_leaves_no_temporary_files_in_the_corpus() {
    let lib = TestLibrary::with_fixture("evidence");
    let id = lib.quote_add("t-ash", NIGHT, &[]);
    let mut rng = Lcg(0x0bad_cafe);
    for i in 0..60 {
        let tag = format!("k{i}");
        let mut child = spawn(&lib, &["quote", "tag", &id, "--add", &tag]);
        std::thread::sleep(Duration::from_millis(rng.next(45)));
        let _ = child.kill();
        let _ = child.wait();
    }
    // Later commands succeed, and the library verifies...
    lib.heard(&["quote", "tag", &id, "--add", "after"])
        .assert_ok();
    lib.heard(&["index"]).assert_ok();
    lib.verify().assert_ok();
    // ...but the corpus, which people commit, should hold only their files.
    let left = leftover_temporary_files(&lib, "corpus");
    assert!(left.is_empty(), "left in corpus/: {left:?}");
}
