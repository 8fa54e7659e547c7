//! `heard watch` and freshness: with a real watcher process running, every kind of change
//! to the library is seen by the very next command (which trusts the watcher's journal
//! instead of checking every file), and without one the command checks files again.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{TestLibrary, hits, paths, set};

/// A running `heard watch`, killed (SIGKILL) when dropped.
pub(crate) struct Watching {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Everything it printed so far.
    pub(crate) said: Vec<String>,
}

impl Watching {
    /// Start `heard watch` and wait for its "ready" line.
    #[track_caller]
    pub(crate) fn start(lib: &TestLibrary) -> Watching {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("heard"))
            .arg("-C")
            .arg(lib.root())
            .arg("watch")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("heard watch");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let mut w = Watching {
            child,
            lines,
            said: Vec::new(),
        };
        w.wait_for("Watching ", Duration::from_secs(120));
        w
    }

    /// Wait until it prints a line containing `text`.
    #[track_caller]
    pub(crate) fn wait_for(&mut self, text: &str, limit: Duration) -> String {
        let started = Instant::now();
        while started.elapsed() < limit {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(l) => {
                    self.said.push(l.clone());
                    if l.contains(text) {
                        return l;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!(
            "`heard watch` did not say {text:?} within {limit:?}; it said:\n{}",
            self.said.join("\n")
        );
    }

    /// Send it a signal (`STOP`, `CONT`).
    fn signal(&self, name: &str) {
        // The shell's own `kill`: no other tool needed.
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("kill -{name} {}", self.child.id()))
            .status()
            .expect("sh");
        assert!(status.success());
    }

    /// Kill it as the system would (no chance to clean up) and wait until it is gone.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.kill();
    }
}

fn source(title: &str, words: &str) -> String {
    format!("---\ntitle: {title}\nkind: testimony\ndate: 2025-01-01\n---\n\n{words}\n")
}

/// A library with two sources, indexed, and `heard watch` running on it.
fn watched() -> (TestLibrary, Watching) {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/people/ana.md",
        &source("Ana", "The waiting list was eleven months long."),
    );
    lib.write(
        "corpus/people/bo.md",
        &source("Bo", "Discharged at night with nowhere to go."),
    );
    lib.index_ok();
    let w = Watching::start(&lib);
    (lib, w)
}

/// Paths of the sources a search finds (run right after a change: the race is the point).
#[track_caller]
fn found(lib: &TestLibrary, query: &str) -> std::collections::BTreeSet<String> {
    paths(&lib.search(&[query, "--type", "source", "--limit", "5000"]))
}

#[test]
fn an_edit_in_place_of_the_same_size_in_the_same_second_is_seen_by_the_next_search() {
    let (lib, _w) = watched();
    assert_eq!(found(&lib, "eleven"), set(&["corpus/people/ana.md"]));
    let before = std::fs::metadata(lib.path("corpus/people/ana.md")).unwrap();
    let text = lib.read("corpus/people/ana.md").replace("eleven", "twelve");
    // Written in place (same file, same inode), same length.
    std::fs::OpenOptions::new()
        .write(true)
        .open(lib.path("corpus/people/ana.md"))
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .unwrap();
    let after = std::fs::metadata(lib.path("corpus/people/ana.md")).unwrap();
    assert_eq!(before.len(), after.len(), "the edit keeps the size");
    assert_eq!(found(&lib, "twelve"), set(&["corpus/people/ana.md"]));
    assert!(found(&lib, "eleven").is_empty());
}

#[test]
fn a_new_file_and_a_deleted_file_are_seen_by_the_next_search() {
    let (lib, _w) = watched();
    lib.write(
        "corpus/people/cy.md",
        &source("Cy", "The hostel asked me to leave at dawn."),
    );
    assert_eq!(found(&lib, "hostel"), set(&["corpus/people/cy.md"]));
    lib.remove("corpus/people/bo.md");
    assert!(found(&lib, "discharged").is_empty());
    // A new folder with a file in it, made in one go.
    lib.write(
        "corpus/new/deep/dee.md",
        &source("Dee", "A hostel again, and then the street."),
    );
    assert_eq!(
        found(&lib, "hostel"),
        set(&["corpus/people/cy.md", "corpus/new/deep/dee.md"])
    );
}

#[test]
fn a_renamed_file_and_a_renamed_folder_are_seen_by_the_next_search() {
    let (lib, _w) = watched();
    std::fs::rename(
        lib.path("corpus/people/ana.md"),
        lib.path("corpus/people/ana-2025.md"),
    )
    .unwrap();
    assert_eq!(found(&lib, "eleven"), set(&["corpus/people/ana-2025.md"]));
    std::fs::rename(lib.path("corpus/people"), lib.path("corpus/voices")).unwrap();
    assert_eq!(found(&lib, "eleven"), set(&["corpus/voices/ana-2025.md"]));
    assert_eq!(found(&lib, "discharged"), set(&["corpus/voices/bo.md"]));
    // The renamed folder is still watched: an edit inside it is seen too.
    lib.write(
        "corpus/voices/bo.md",
        &source("Bo", "Discharged at noon, which was no better."),
    );
    assert_eq!(found(&lib, "noon"), set(&["corpus/voices/bo.md"]));
}

#[test]
fn a_file_replaced_by_renaming_another_over_it_is_seen_by_the_next_search() {
    let (lib, _w) = watched();
    // How editors save: write a temporary file beside it, then rename it over the old one.
    lib.write(
        "corpus/people/.ana.md.swp",
        &source("Ana", "The waiting list was nine months long."),
    );
    std::fs::rename(
        lib.path("corpus/people/.ana.md.swp"),
        lib.path("corpus/people/ana.md"),
    )
    .unwrap();
    assert_eq!(found(&lib, "nine"), set(&["corpus/people/ana.md"]));
    assert!(found(&lib, "eleven").is_empty());
    // And with a temporary name that is not hidden.
    lib.write(
        "corpus/people/bo.md~new",
        &source("Bo", "Discharged on a Sunday."),
    );
    std::fs::rename(
        lib.path("corpus/people/bo.md~new"),
        lib.path("corpus/people/bo.md"),
    )
    .unwrap();
    assert_eq!(found(&lib, "sunday"), set(&["corpus/people/bo.md"]));
}

fn git(lib: &TestLibrary, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(lib.root())
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.org"])
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_git_checkout_of_thousands_of_files_is_seen_by_the_next_search() {
    const N: usize = 2000;
    let lib = TestLibrary::new();
    git(&lib, &["init", "-q", "-b", "spring"]);
    for i in 0..N {
        lib.write(
            &format!("corpus/bulk/{:02}/s{i}.md", i % 40),
            &source(&format!("Source {i}"), "Spring notes about the crocus."),
        );
    }
    git(&lib, &["add", "-A"]);
    git(&lib, &["commit", "-q", "-m", "spring"]);
    git(&lib, &["checkout", "-q", "-b", "autumn"]);
    // Every file changed, some gone, some new, one folder renamed.
    for i in 0..N {
        let rel = format!("corpus/bulk/{:02}/s{i}.md", i % 40);
        if i % 100 == 7 {
            lib.remove(&rel);
        } else {
            lib.write(
                &rel,
                &source(&format!("Source {i}"), "Autumn notes about the maple."),
            );
        }
    }
    for i in 0..25 {
        lib.write(
            &format!("corpus/fresh/f{i}.md"),
            &source("New", "Autumn notes about the maple, new."),
        );
    }
    git(&lib, &["add", "-A"]);
    git(&lib, &["commit", "-q", "-m", "autumn"]);
    let autumn = found(&lib, "maple");
    assert_eq!(autumn.len(), N - N / 100 + 25);
    let _w = Watching::start(&lib);
    git(&lib, &["checkout", "-q", "spring"]);
    let spring = found(&lib, "crocus");
    assert_eq!(spring.len(), N, "after checking out spring");
    assert!(found(&lib, "maple").is_empty());
    git(&lib, &["checkout", "-q", "autumn"]);
    assert_eq!(
        found(&lib, "maple"),
        autumn,
        "after checking out autumn again"
    );
    assert!(found(&lib, "crocus").is_empty());
}

#[test]
fn with_the_watcher_killed_commands_check_the_files_and_still_see_changes() {
    let (lib, mut w) = watched();
    w.kill();
    lib.write(
        "corpus/people/ana.md",
        &source("Ana", "The waiting list was ninety weeks long."),
    );
    let started = Instant::now();
    let run = lib.heard(&["search", "ninety", "--json"]);
    run.assert_ok();
    assert_eq!(paths(&run.json()), set(&["corpus/people/ana.md"]));
    // A dead watcher's lock is gone: no waiting for it, nothing to say about it.
    assert!(!run.stderr.contains("watcher"), "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_second_watch_on_the_same_library_says_one_is_running_and_exits_1() {
    let (lib, _w) = watched();
    let run = lib.heard(&["watch"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("already watched") && run.stderr.contains("heard watch"),
        "{}",
        run.stderr
    );
}

#[test]
fn watch_refreshes_the_index_itself_so_the_next_command_has_nothing_to_do() {
    let (lib, mut w) = watched();
    lib.write(
        "corpus/people/cy.md",
        &source("Cy", "The hostel asked me to leave at dawn."),
    );
    let line = w.wait_for("Index updated", Duration::from_secs(60));
    assert!(line.contains("1 added"), "{line}");
    let run = lib.heard(&["search", "hostel", "--json"]);
    run.assert_ok();
    assert_eq!(paths(&run.json()), set(&["corpus/people/cy.md"]));
    assert!(!run.stderr.contains("Index updated"), "{}", run.stderr);
}

#[test]
fn while_a_watcher_runs_commands_trust_its_journal_instead_of_checking_files() {
    let (lib, mut w) = watched();
    // A write through a hard link outside the library is the one change no watcher of the
    // library's folders sees (documented): that it goes unseen shows that the command did
    // not check the files.
    let outside = tempfile::tempdir().unwrap();
    let link = outside.path().join("ana-link.md");
    std::fs::hard_link(lib.path("corpus/people/ana.md"), &link).unwrap();
    // Making the link touched the file's metadata (its link count): let that be taken in.
    assert_eq!(found(&lib, "eleven"), set(&["corpus/people/ana.md"]));
    std::fs::write(
        &link,
        source("Ana", "The waiting list was a whole year long."),
    )
    .unwrap();
    assert_eq!(found(&lib, "eleven"), set(&["corpus/people/ana.md"]));
    assert!(found(&lib, "whole").is_empty());
    // Once the watcher is gone, commands check files again and see it.
    w.kill();
    assert_eq!(found(&lib, "whole"), set(&["corpus/people/ana.md"]));
}

#[test]
fn checking_files_slowly_says_once_that_a_watcher_keeps_it_instant() {
    let lib = TestLibrary::new();
    lib.write("corpus/a.md", &source("A", "Some words."));
    lib.index_ok();
    let slow = |lib: &TestLibrary| {
        let mut cmd = lib.command(&["search", "words", "--json"]);
        let out = cmd.env("HEARD_SLOW_CHECK_MS", "0").output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let said = slow(&lib);
    assert_eq!(
        said.matches("`heard watch` (or `heard serve`) keeps this instant")
            .count(),
        1,
        "{said}"
    );
    assert!(said.contains("checked 1 file in"), "{said}");
    let _w = Watching::start(&lib);
    let said = slow(&lib);
    assert!(!said.contains("heard watch"), "{said}");
    assert_eq!(hits(&lib.search(&["words"])).len(), 1);
}

/// `heard search ARGS` with `HEARD_DEBUG_WATCH` set: whether the watcher answered it, and
/// what it printed without the debugging lines.
fn search_asking(lib: &TestLibrary, args: &[&str]) -> (bool, crate::util::Run) {
    let mut all = vec!["search"];
    all.extend_from_slice(args);
    let out = lib
        .command(&all)
        .env("HEARD_DEBUG_WATCH", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let answered = stderr.contains("watch: answered by the watcher");
    let stderr: String = stderr
        .lines()
        .filter(|l| !l.starts_with("watch: "))
        .map(|l| format!("{l}\n"))
        .collect();
    let run = crate::util::Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        code: out.status.code().unwrap_or(-1),
        args: all.iter().map(|s| s.to_string()).collect(),
    };
    (answered, run)
}

#[test]
fn a_search_beside_the_watcher_is_answered_by_it_exactly_as_it_would_be_alone() {
    let (lib, mut w) = watched();
    // A file with a problem: its note is part of what a search says.
    lib.write(
        "corpus/people/cy.md",
        "---\ntitle: [unclosed\n---\n\nWords.\n",
    );
    w.wait_for("problem", Duration::from_secs(60));
    let cases: [&[&str]; 5] = [
        &["waiting", "--limit", "5"],
        &["nowhere", "--json"],
        &["--type", "source"],
        &["zebra"],
        &["title: *"],
    ];
    let mut with_watcher = Vec::new();
    for args in cases {
        let (answered, run) = search_asking(&lib, args);
        assert!(answered, "the watcher did not answer {args:?}: {run:?}");
        with_watcher.push(run);
    }
    w.kill();
    for (args, asked) in cases.iter().zip(with_watcher) {
        let (answered, alone) = search_asking(&lib, args);
        assert!(!answered, "{args:?}");
        assert_eq!(asked.stdout, alone.stdout, "{args:?}");
        assert_eq!(asked.stderr, alone.stderr, "{args:?}");
        assert_eq!(asked.code, alone.code, "{args:?}");
    }
    // What the cases print: results, the problem note, no results, a query error.
    let (_, run) = search_asking(&lib, &["waiting"]);
    assert!(run.stdout.contains("corpus/people/ana.md"), "{run:?}");
    assert!(run.stderr.contains("1 problem in the library"), "{run:?}");
    let (_, run) = search_asking(&lib, &["title: *"]);
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn a_quote_withdrawn_while_the_watcher_runs_is_withdrawn_in_the_next_search_it_answers() {
    let lib = TestLibrary::with_fixture("evidence");
    let words = "They discharged me at nine at night with a carrier bag and a bus pass.";
    let id = lib.quote_add("t-ash", words, &[]);
    lib.approve(&id, "c-ash", "external");
    let _w = Watching::start(&lib);
    let status = |lib: &TestLibrary| {
        let (answered, run) = search_asking(lib, &["carrier bag", "--type", "quote", "--json"]);
        assert!(answered, "{run:?}");
        run.assert_ok();
        let doc = run.json();
        let hit = hits(&doc)
            .iter()
            .find(|h| h["id"] == id.as_str())
            .unwrap_or_else(|| panic!("the quote is not found: {doc}"))
            .clone();
        hit["status"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(status(&lib), "approved");
    lib.heard(&["quote", "withdraw", &id, "--by", "c-ash"])
        .assert_ok();
    // At once: no waiting for the watcher's own refresh.
    assert_eq!(status(&lib), "withdrawn");
}

#[test]
fn only_its_owner_can_reach_the_watcher_and_a_changed_heard_toml_is_not_answered_from_the_old() {
    use std::os::unix::fs::PermissionsExt;
    let (lib, mut w) = watched();
    let folder = std::fs::metadata(lib.path(".heard/ask")).unwrap();
    assert_eq!(folder.permissions().mode() & 0o777, 0o700);
    assert!(search_asking(&lib, &["waiting"]).0);
    let config = lib.read("heard.toml");
    lib.write("heard.toml", &format!("{config}\n# edited\n"));
    let (answered, run) = search_asking(&lib, &["waiting", "--json"]);
    assert!(!answered, "{run:?}");
    run.assert_ok();
    assert_eq!(paths(&run.json()), set(&["corpus/people/ana.md"]));
    // The watcher says so, and how to take the new settings.
    let line = w.wait_for("heard.toml changed", Duration::from_secs(60));
    assert!(line.contains("restarted"), "{line}");
    // A setting that changes answers, in the environment, is not answered either.
    let out = lib
        .command(&["search", "waiting"])
        .env("HEARD_DEBUG_WATCH", "1")
        .env("HEARD_EXACT_TOTAL_DOCS", "0")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("answered by the watcher"));
}

#[test]
fn a_change_another_command_took_in_first_is_in_the_next_search_the_watcher_answers() {
    let (lib, _w) = watched();
    assert!(search_asking(&lib, &["eleven"]).0);
    lib.write(
        "corpus/people/ana.md",
        &source("Ana", "The waiting list was forty weeks long."),
    );
    // `heard index` reads the journal first and commits the change; the watcher's own
    // refresh may not have come yet. Its kept index is then older than the index on disk.
    lib.index_ok();
    let (answered, run) = search_asking(&lib, &["forty", "--type", "source", "--json"]);
    assert!(answered, "{run:?}");
    assert_eq!(paths(&run.json()), set(&["corpus/people/ana.md"]));
    let (_, run) = search_asking(&lib, &["eleven", "--json"]);
    assert!(hits(&run.json()).is_empty(), "{run:?}");
}

#[test]
fn a_watcher_that_hangs_does_not_hang_a_search() {
    let (lib, w) = watched();
    assert!(search_asking(&lib, &["eleven"]).0);
    // Stopped: its socket still takes the connection, but nothing answers.
    w.signal("STOP");
    let started = Instant::now();
    let (answered, run) = search_asking(&lib, &["eleven", "--json"]);
    let took = started.elapsed();
    w.signal("CONT");
    assert!(!answered, "{run:?}");
    run.assert_ok();
    assert_eq!(paths(&run.json()), set(&["corpus/people/ana.md"]));
    assert!(run.stderr.contains("did not answer"), "{}", run.stderr);
    assert!(took < Duration::from_secs(30), "{took:?}");
    // Running again, it answers again.
    assert!(search_asking(&lib, &["eleven"]).0);
}
