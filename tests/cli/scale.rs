//! Commands that summarise the whole library (`heard recs`, its spreadsheet) read what they
//! need from the index, one document at a time, instead of reading and keeping every
//! source with recommendations: their memory must not grow with the library (issue 12).
//! Memory itself is not asserted (no test here is timed or measures RSS); the measure is how
//! many source files a command reads after the refresh (`HEARD_DEBUG_READS`).

use crate::util::{TestLibrary, hits, s};

/// A library with `n` reports of ours and `n` of another organisation's, each asking the
/// same thing in its year, and a workshop report of ours that names no organisation and
/// makes the same ask as our reports.
fn library(n: usize) -> TestLibrary {
    let lib = TestLibrary::new();
    lib.write("heard.toml", "organisation = \"Northgate Together\"\n");
    for i in 0..n {
        let year = 2010 + i;
        lib.write(
            &format!("corpus/reports/ours-{year}.md"),
            &format!(
                "---\norganisation: Northgate Together\ndate: {year}\n---\n\n# Our report {year}\n\n## Recommendations\n\n- Fund the gate meeting service on a permanent basis.\n- Publish the number of people released from prison on a Friday in {year}.\n"
            ),
        );
        lib.write(
            &format!("corpus/reports/lga-{year}.md"),
            &format!(
                "---\norganisation: Local Government Association\ndate: {year}\n---\n\n# Their report {year}\n\n## Recommendations\n\n- Councils should pool housing budgets for care leavers in {year}.\n"
            ),
        );
    }
    lib.write(
        "corpus/reports/workshop.md",
        "---\ndate: 2024\n---\n\n# Notes of a workshop\n\n## Recommendations\n\n- Fund the gate meeting service on a permanent basis.\n",
    );
    lib.index_ok();
    lib
}

/// A count a command reports on stderr when `var` is set (the line `debug: {what}: N`),
/// and what it printed.
#[track_caller]
fn debug_count(lib: &TestLibrary, args: &[&str], var: &str, what: &str) -> (usize, String) {
    let out = lib.command(args).env(var, "1").output().expect("run heard");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    let n = stderr
        .lines()
        .find_map(|l| l.strip_prefix(&format!("debug: {what}: ")))
        .unwrap_or_else(|| panic!("{args:?} did not report `{what}` with {var}: {stderr}"))
        .trim()
        .parse()
        .expect("a number");
    (n, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// How many source files a command read on demand, as `HEARD_DEBUG_READS` reports it.
#[track_caller]
fn files_read(lib: &TestLibrary, args: &[&str]) -> (usize, String) {
    debug_count(
        lib,
        args,
        "HEARD_DEBUG_READS",
        "source files read on demand",
    )
}

#[test]
fn recs_reads_only_the_sources_that_name_no_organisation() {
    let lib = library(6);
    // 13 sources have recommendations; whose 12 of them are is in the index (the
    // organisation they name), and only the workshop report's front matter must be read.
    let (read, stdout) = files_read(&lib, &["recs"]);
    assert_eq!(read, 1, "{stdout}");
    // What it found is unchanged: our ask of six years and the workshop's is one group,
    // listed once; theirs is not ours.
    assert!(
        stdout.contains("asked in 2010, 2011, 2012, 2013, 2014, 2015 and 2024"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Local Government Association, 2015"),
        "{stdout}"
    );
    let doc = lib.recs(&["--ours", "--limit", "100"]);
    let sources: std::collections::BTreeSet<&str> =
        hits(&doc).iter().map(|r| s(r, "source")).collect();
    assert!(sources.contains("reports/workshop"), "{doc:#}");
    assert!(!sources.iter().any(|s| s.contains("lga")), "{doc:#}");
}

#[test]
fn the_recommendations_spreadsheet_reads_no_source_twice() {
    let lib = library(6);
    let csv = lib.path("recs.csv");
    let (read, _) = files_read(
        &lib,
        &[
            "recs",
            "--to",
            "csv",
            "--include",
            "internal",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    assert_eq!(read, 1);
    let text = std::fs::read_to_string(&csv).unwrap();
    let org_of = |id: &str| {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("{id},")))
            .unwrap_or_else(|| panic!("no {id} in {text}"));
        row.to_string()
    };
    assert!(org_of("r-reports-ours-2012-1").contains(",Northgate Together,"));
    assert!(org_of("r-reports-lga-2012-1").contains(",Local Government Association,"));
    // A report of ours that namess no organisation is credited to ours.
    assert!(
        org_of("r-reports-workshop-1").contains(",Northgate Together,"),
        "{text}"
    );
}

#[test]
fn why_is_read_for_the_recommendations_shown_only() {
    let lib = library(6);
    let (read, stdout) = files_read(&lib, &["recs", "--explain", "--limit", "2"]);
    // The workshop report (whose) and the sources of the two shown.
    assert!(read <= 3, "{read} files read: {stdout}");
    assert_eq!(stdout.matches("why: ").count(), 2, "{stdout}");
}

/// The most recommendations a command held at once, as `HEARD_DEBUG_ROWS` reports it, and
/// what it printed.
#[track_caller]
fn rows_held(lib: &TestLibrary, args: &[&str]) -> (usize, String) {
    debug_count(
        lib,
        args,
        "HEARD_DEBUG_ROWS",
        "most recommendations held at once",
    )
}

/// Fewer than any listing below prints: a command that held every row it lists would hold
/// more than this.
const FEW_ROWS: usize = 40;

#[test]
fn recs_rows_stream_whatever_the_output() {
    // 121 sources: 60 reports of ours (two asks each), 60 of theirs (one), the workshop's.
    let lib = library(60);
    let csv = lib.path("recs.csv");
    let (held, _) = rows_held(
        &lib,
        &[
            "recs",
            "--to",
            "csv",
            "--include",
            "internal",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 1 + 181, "{text}");
    assert!(held <= FEW_ROWS, "recs --to csv held {held} rows at once");

    let (held, stdout) = rows_held(&lib, &["recs", "--ours", "--json", "--limit", "1000"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(hits(&doc).len(), 121, "{doc:#}");
    assert_eq!(doc["total"], 121);
    assert!(
        held <= FEW_ROWS,
        "recs --ours --json held {held} rows at once"
    );

    let (held, stdout) = rows_held(&lib, &["recs", "--json", "--limit", "1000"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(hits(&doc).len(), 181);
    assert!(held <= FEW_ROWS, "recs --json held {held} rows at once");

    // The plain listing, newest first: our 2069 report's asks open it.
    let (held, stdout) = rows_held(&lib, &["recs", "--limit", "1000", "--theirs"]);
    assert_eq!(
        stdout.matches("\n    corpus/reports/lga-").count(),
        60,
        "{stdout}"
    );
    assert!(
        stdout.find("lga-2069").unwrap() < stdout.find("lga-2010").unwrap(),
        "{stdout}"
    );
    assert!(held <= FEW_ROWS, "recs --theirs held {held} rows at once");

    // A search for words, to a spreadsheet: every ask that names prison.
    let (held, _) = rows_held(
        &lib,
        &[
            "recs",
            "prison",
            "--to",
            "csv",
            "--include",
            "internal",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 1 + 60, "{text}");
    assert!(
        held <= FEW_ROWS,
        "recs prison --to csv held {held} rows at once"
    );
}

/// A made-up word, different for each `i` (and stemmed to itself).
fn word(i: usize) -> String {
    const SYLLABLES: [&str; 10] = [
        "bar", "cel", "dom", "fen", "gar", "hol", "jun", "kel", "lom", "mar",
    ];
    format!(
        "{}{}{}ton",
        SYLLABLES[i % 10],
        SYLLABLES[(i / 10) % 10],
        SYLLABLES[(i / 100) % 10]
    )
}

/// How many pairs of recommendations `heard recs` compared to group the same ask, as
/// `HEARD_DEBUG_PAIRS` reports it, and what it printed.
#[track_caller]
fn pairs_compared(lib: &TestLibrary, args: &[&str]) -> (usize, String) {
    debug_count(
        lib,
        args,
        "HEARD_DEBUG_PAIRS",
        "pairs of recommendations compared",
    )
}

#[test]
fn grouping_the_same_ask_compares_only_pairs_that_share_a_rare_word() {
    // 100 reports of ours, three asks each: two asks of their own (the words every ask
    // uses, and two words no other ask uses), and every tenth report also repeats the gate
    // ask; the others ask for a third thing of their own.
    let lib = TestLibrary::new();
    lib.write("heard.toml", "organisation = \"Northgate Together\"\n");
    let reports = 100;
    for r in 0..reports {
        let year = 1900 + r;
        let own = |k: usize| {
            format!(
                "- Councils should fund {} and {} for people leaving prison.\n",
                word(3 * r + k),
                word(3 * r + k + 300)
            )
        };
        let third = if r % 10 == 0 {
            "- Fund the gate meeting service on a permanent basis.\n".to_string()
        } else {
            own(2)
        };
        lib.write(
            &format!("corpus/reports/ours-{year}.md"),
            &format!(
                "---\norganisation: Northgate Together\ndate: {year}\n---\n\n# Our report {year}\n\n## Recommendations\n\n{}{}{third}",
                own(0),
                own(1)
            ),
        );
    }
    lib.index_ok();
    let n = 3 * reports;

    let (pairs, stdout) = pairs_compared(&lib, &["recs", "--ours", "--json", "--limit", "1000"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let recs = hits(&doc);
    assert_eq!(recs.len(), n, "{doc:#}");
    // The ten gate asks are one group; no other ask is grouped.
    let grouped: Vec<&serde_json::Value> =
        recs.iter().filter(|h| h.get("group").is_some()).collect();
    assert_eq!(grouped.len(), 10, "{doc:#}");
    for h in grouped {
        assert!(s(h, "text").contains("gate meeting"), "{h:#}");
        assert_eq!(h["related"].as_array().unwrap().len(), 9, "{h:#}");
    }

    // Comparing every pair of asks from different sources would be n²/2 less the pairs of
    // one source: 44,550 here. The ten gate asks must be compared with each other: at least
    // 9 pairs join them (a pair already in one group is not scored again); the unrelated
    // asks share only common words, which alone cannot make them the same.
    let every_pair = n * (n - 1) / 2 - reports * 3;
    assert_eq!(every_pair, 44_550);
    assert!(
        pairs <= 10 * n,
        "{pairs} pairs compared, of {every_pair}: grouping compares (nearly) every pair"
    );
    assert!(pairs >= 9, "{pairs} pairs compared: the gate asks were not");
}

#[test]
fn quotes_reads_each_source_that_holds_quotes_once() {
    let lib = crate::demo::demo();
    lib.index_ok();
    let (read, stdout) = files_read(&lib, &["quotes", "--json"]);
    let listing: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let quotes = listing["quotes"].as_array().expect("quotes");
    let sources: std::collections::BTreeSet<&str> = quotes.iter().map(|q| s(q, "source")).collect();
    // The demo's testimonies hold several quotes each: one read per source, not per quote.
    assert!(sources.len() < quotes.len(), "{sources:?}");
    assert_eq!(read, sources.len(), "{} quotes", quotes.len());
    // Every quote is still found where it is.
    assert!(quotes.iter().all(|q| q["line_start"].is_u64()), "{stdout}");
}

#[test]
fn check_reads_only_the_sources_that_could_share_words_with_the_response() {
    let ev = crate::evidence::evidence();
    ev.answered_draft();
    // Sources that share no words with the response: never read by `check`.
    let unrelated = |from: usize, to: usize| {
        for i in from..to {
            ev.lib.write(
                &format!("corpus/notes/unrelated-{i:02}.md"),
                &format!(
                    "---\nid: n-unrelated-{i:02}\ntitle: Allotment rota {i}\nkind: notes\ndate: 2025\n---\n\n\
                     Rota for watering the allotment beans, week {i}; bring gloves and twine.\n"
                ),
            );
        }
    };
    unrelated(0, 20);
    let (read, before) = files_read(&ev.lib, &["check", crate::evidence::RESPONSE]);
    assert!(
        before.trim().is_empty(),
        "the answered draft passes: {before}"
    );
    unrelated(20, 60);
    let (again, after) = files_read(&ev.lib, &["check", crate::evidence::RESPONSE]);
    assert_eq!(after, before);
    // Forty more sources, none read.
    assert_eq!(
        again, read,
        "check read sources that share no words with the response"
    );
}
