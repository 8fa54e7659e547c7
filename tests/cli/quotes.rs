//! `heard quote add` and `heard quotes`: quoting the words of a source, and finding them
//! again after the source is edited.

use serde_json::Value;

use crate::util::{TestLibrary, hits, s};

const ASH: &str = "corpus/testimonies/ash-discharge.md";

fn lib() -> TestLibrary {
    TestLibrary::with_fixture("evidence")
}

/// The line (1-based) of `path` that contains `needle`.
#[track_caller]
fn line_of(lib: &TestLibrary, path: &str, needle: &str) -> u64 {
    lib.read(path)
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` is not in {path}")) as u64
        + 1
}

#[track_caller]
fn quote_file(lib: &TestLibrary, rel: &str) -> toml::Table {
    let text = lib.read(rel);
    toml::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not TOML: {e}\n{text}"))
}

#[track_caller]
fn records(file: &toml::Table) -> Vec<toml::Table> {
    file.get("quote")
        .and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .map(|q| q.as_table().expect("a [[quote]] table").clone())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn quote_add_writes_the_quote_file_of_its_source_and_prints_the_id_as_json() {
    let lib = lib();
    let run = lib.heard(&[
        "quote",
        "add",
        "--source",
        "t-ash",
        "--exact",
        "They discharged me at nine at night with a carrier bag and a bus pass.",
        "--tag",
        "housing",
        "--json",
    ]);
    run.assert_ok();
    let doc = run.json();
    let obj = doc.as_object().expect("a JSON object");
    assert_eq!(obj.len(), 1, "only the id: {doc}");
    let id = s(&doc, "id").to_string();
    assert!(
        id.len() == 10 && id.starts_with("q-") && id[2..].chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    let file = quote_file(&lib, "corpus/quotes/t-ash.toml");
    assert_eq!(file["source"].as_str(), Some("t-ash"));
    let recs = records(&file);
    assert_eq!(recs.len(), 1, "{file:#?}");
    let q = &recs[0];
    assert_eq!(q["id"].as_str(), Some(id.as_str()));
    assert_eq!(
        q["exact"].as_str(),
        Some("They discharged me at nine at night with a carrier bag and a bus pass.")
    );
    assert_eq!(q["status"].as_str(), Some("pending"));
    assert_eq!(q["speaker"].as_str(), Some("c-ash"));
    let tags: Vec<&str> = q["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(toml::Value::as_str)
        .collect();
    assert_eq!(tags, vec!["housing"]);

    // Without --json, stdout is the bare id (for scripts: Q=$(heard quote add ...)).
    let run = lib.heard(&[
        "quote",
        "add",
        "--source",
        "t-ash",
        "--exact",
        "Nobody on the ward asked if I had a door to go back to.",
    ]);
    run.assert_ok();
    let id2 = run.stdout.trim();
    assert!(id2.starts_with("q-") && id2 != id, "{}", run.stdout);
    assert_eq!(
        records(&quote_file(&lib, "corpus/quotes/t-ash.toml")).len(),
        2
    );
}

#[test]
fn the_quote_file_is_named_after_the_slug_of_the_source_id() {
    let lib = lib();
    lib.write(
        "corpus/notes/odd-id.md",
        "---\nid: Panel Notes/2024 Oct\ncontributors: [c-bo]\n---\n\nThe bus to the hospital stops running at six.\n",
    );
    lib.quote_add(
        "Panel Notes/2024 Oct",
        "The bus to the hospital stops running at six.",
        &[],
    );
    // Not a plain slug: the slug and a hash of the id, so no other id shares the file.
    let name = std::fs::read_dir(lib.path("corpus/quotes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("panel-notes-2024-oct--") && n.ends_with(".toml"))
        .expect("a quote file named after the slug");
    let file = quote_file(&lib, &format!("corpus/quotes/{name}"));
    assert_eq!(file["source"].as_str(), Some("Panel Notes/2024 Oct"));
    assert_eq!(records(&file).len(), 1);
}

#[test]
fn words_not_in_the_source_are_refused_naming_the_closest_line() {
    let lib = lib();
    let run = lib.heard(&[
        "quote",
        "add",
        "--source",
        "t-ash",
        "--exact",
        "They discharged me at ten at night with a carrier bag and a bus pass.",
    ]);
    run.assert_code(2);
    let line = line_of(&lib, ASH, "They discharged me at nine");
    assert!(
        run.stderr.contains(&format!("line {line}")),
        "the closest match is on line {line}:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("nine at night"), "{}", run.stderr);
    assert!(run.stdout.trim().is_empty(), "no id: {}", run.stdout);
    assert!(lib.ledger_lines().is_empty());
    assert!(!lib.path("corpus/quotes/t-ash.toml").exists());
}

#[test]
fn words_that_occur_twice_are_refused_naming_both_lines_and_line_picks_one() {
    let lib = lib();
    let path = "corpus/testimonies/bo-crisis.md";
    let first = line_of(&lib, path, "The crisis line told me");
    let second = line_of(&lib, path, "I said it again");
    let run = lib.heard(&[
        "quote",
        "add",
        "--source",
        "t-bo",
        "--exact",
        "the morning was the problem",
    ]);
    run.assert_code(2);
    for l in [first, second] {
        assert!(
            run.stderr.contains(&l.to_string()),
            "line {l} not named:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("--line"), "{}", run.stderr);
    assert!(lib.ledger_lines().is_empty());

    // A line with neither occurrence is refused too.
    let run = lib.heard(&[
        "quote",
        "add",
        "--source",
        "t-bo",
        "--exact",
        "the morning was the problem",
        "--line",
        &(first + 2).to_string(),
    ]);
    run.assert_code(2);

    let line = second.to_string();
    let id = lib.quote_add(
        "t-bo",
        "the morning was the problem",
        &["--line", line.as_str()],
    );
    let q = lib.quote(&id);
    assert_eq!(q["line_start"].as_u64(), Some(second), "{q:#}");
    assert_eq!(q["anchor"], "ok");
}

#[test]
fn typographic_differences_still_find_the_words_and_the_source_characters_are_kept() {
    let lib = lib();
    // The source has curly quotes, a curly apostrophe and an en dash; the officer types
    // straight ones, a hyphen and extra spaces.
    let id = lib.quote_add(
        "t-ash",
        "  The doctor said \"you're  fit to go\" -   and that was that. ",
        &[],
    );
    let source_words = "The doctor said “you’re fit to go” – and that was that.";
    let q = lib.quote(&id);
    assert_eq!(q["exact"], source_words);
    assert_eq!(q["anchor"], "ok");
    assert_eq!(
        q["line_start"].as_u64(),
        Some(line_of(&lib, ASH, "The doctor said"))
    );
    let recs = records(&quote_file(&lib, "corpus/quotes/t-ash.toml"));
    assert_eq!(recs[0]["exact"].as_str(), Some(source_words));
    let events = lib.ledger_events();
    assert_eq!(events[0]["details"]["exact"], source_words);
}

#[test]
fn an_unknown_source_is_refused() {
    let lib = lib();
    let run = lib.heard(&[
        "quote",
        "add",
        "--source",
        "t-as",
        "--exact",
        "They discharged me at nine at night",
    ]);
    run.assert_code(2);
    assert!(run.stderr.contains("t-as"), "{}", run.stderr);
    assert!(
        run.stderr.contains("t-ash"),
        "a near id is suggested: {}",
        run.stderr
    );
    let run = lib.heard(&[
        "quote",
        "add",
        "--source",
        "no-such-source",
        "--exact",
        "They discharged me at nine at night",
    ]);
    run.assert_code(2);
    assert!(run.stderr.contains("no-such-source"), "{}", run.stderr);
    assert!(lib.ledger_lines().is_empty());
    assert!(!lib.path("corpus/quotes").exists() || lib.snapshot("corpus/quotes").is_empty());
}

#[test]
fn a_new_speaker_is_added_to_contributors_credited_anonymously_and_the_command_says_so() {
    let lib = lib();
    let before = lib.read("corpus/contributors.toml");
    let run = lib.heard(&[
        "quote",
        "add",
        "--source",
        "notes-panel-2024",
        "--exact",
        "the discharge lounge is where people wait for transport",
        "--speaker",
        "c-newbie",
        "--json",
    ]);
    run.assert_ok();
    assert!(
        run.stderr.contains("c-newbie") && run.stderr.contains("contributors.toml"),
        "the command says it added the speaker:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("anonymous"), "{}", run.stderr);
    let after = lib.read("corpus/contributors.toml");
    assert!(
        after.starts_with(before.trim_end()),
        "existing entries and comments are kept:\n{after}"
    );
    let file: toml::Table = toml::from_str(&after).unwrap();
    let people = file["contributor"].as_array().unwrap();
    assert_eq!(people.len(), 5, "{after}");
    let new = people
        .iter()
        .find(|c| c["id"].as_str() == Some("c-newbie"))
        .expect("c-newbie added");
    assert_eq!(new["credit"].as_str(), Some("anonymous"));
    let id = s(&run.json(), "id").to_string();
    assert_eq!(lib.quote(&id)["speaker"], "c-newbie");

    // A second quote by the same person does not add them again.
    let run = lib.heard(&[
        "quote",
        "add",
        "--source",
        "notes-panel-2024",
        "--exact",
        "not for a home",
        "--speaker",
        "c-newbie",
    ]);
    run.assert_ok();
    assert_eq!(
        lib.read("corpus/contributors.toml")
            .matches("c-newbie")
            .count(),
        1
    );
}

#[test]
fn the_speaker_defaults_to_the_only_contributor_of_the_source() {
    let lib = lib();
    let id = lib.quote_add(
        "t-bo",
        "When you have complex needs every service thinks you belong to another service.",
        &[],
    );
    assert_eq!(lib.quote(&id)["speaker"], "c-bo");
    // A source with two contributors has no default: the quote has no speaker, and nobody
    // can consent to it until one is set.
    let id = lib.quote_add("notes-panel-2024", "not for a home", &[]);
    assert_eq!(lib.quote(&id)["speaker"], Value::Null);
    let run = lib.heard(&["quote", "approve", &id, "--by", "c-ash"]);
    run.assert_code(2);
    assert_eq!(lib.quote(&id)["status"], "pending");
}

/// Quote a sentence of Ash's testimony; returns the id and the line it is on.
fn quote_door(lib: &TestLibrary) -> (String, u64) {
    let id = lib.quote_add(
        "t-ash",
        "I slept in the hospital car park for two nights after that.",
        &["--tag", "housing"],
    );
    let line = line_of(lib, ASH, "I slept in the hospital car park");
    assert_eq!(lib.quote(&id)["line_start"].as_u64(), Some(line));
    (id, line)
}

#[test]
fn text_inserted_before_a_quote_moves_it_to_its_new_lines() {
    let lib = lib();
    let (id, line) = quote_door(&lib);
    let text = lib.read(ASH).replacen(
        "# A carrier bag and a bus pass\n",
        "# A carrier bag and a bus pass\n\nWritten with the peer research team.\n\nEdited in 2025.\n",
        1,
    );
    lib.write(ASH, &text);
    let q = lib.quote(&id);
    let anchor = q["anchor"].as_str().unwrap();
    assert!(anchor == "moved" || anchor == "ok", "{q:#}");
    assert_eq!(q["line_start"].as_u64(), Some(line + 4), "{q:#}");
    assert_eq!(q["line_end"].as_u64(), Some(line + 4), "{q:#}");
    assert_eq!(
        q["exact"],
        "I slept in the hospital car park for two nights after that."
    );
    // Editing a source around a quote is not tampering.
    lib.verify().assert_ok();
}

#[test]
fn a_word_changed_inside_a_quote_makes_it_drift() {
    let lib = lib();
    let (id, line) = quote_door(&lib);
    let text = lib
        .read(ASH)
        .replace("car park for two nights", "car park for three nights");
    lib.write(ASH, &text);
    let q = lib.quote(&id);
    assert_eq!(q["anchor"], "drifted", "{q:#}");
    assert_eq!(q["line_start"].as_u64(), Some(line));
    // The stored words stay as they were quoted; the source's new words are shown too.
    assert_eq!(
        q["exact"],
        "I slept in the hospital car park for two nights after that."
    );
    assert!(
        q.to_string().contains("three nights"),
        "the changed words are shown: {q:#}"
    );
    let drifted = lib.quotes(&["--anchor", "drifted"]);
    assert_eq!(drifted.len(), 1);
    assert_eq!(drifted[0]["id"], id.as_str());
    assert!(lib.quotes(&["--anchor", "ok"]).is_empty());
}

#[test]
fn deleting_the_quoted_sentence_orphans_the_quote() {
    let lib = lib();
    let (id, _) = quote_door(&lib);
    let text = lib.read(ASH).replace(
        "I slept in the hospital car park for two nights after that. ",
        "",
    );
    assert!(!text.contains("car park"));
    lib.write(ASH, &text);
    let q = lib.quote(&id);
    assert_eq!(q["anchor"], "orphaned", "{q:#}");
    assert_eq!(q["line_start"], Value::Null, "{q:#}");
    let orphaned = lib.quotes(&["--anchor", "orphaned"]);
    assert_eq!(orphaned.len(), 1);
}

#[test]
fn the_index_summary_counts_drifted_and_orphaned_quotes() {
    let lib = lib();
    let (_, _) = quote_door(&lib);
    lib.quote_add(
        "t-bo",
        "My housing worker and my drugs worker had never spoken to each other.",
        &[],
    );
    lib.quote_add(
        "t-cy",
        "The hostel took me straight from the ward, and that is the only reason I am still here.",
        &[],
    );
    let run = lib.index_ok();
    assert!(run.stderr.contains("3 ok"), "{}", run.stderr);
    // Drift one quote and orphan another.
    let ash = lib.read(ASH).replace("two nights", "three nights");
    lib.write(ASH, &ash);
    let bo = "corpus/testimonies/bo-crisis.md";
    let text = lib.read(bo).replace(
        "My housing worker and my drugs worker had never spoken to each other.",
        "",
    );
    lib.write(bo, &text);
    let run = lib.index_ok();
    let line = run
        .stderr_lines()
        .into_iter()
        .find(|l| l.contains("drifted"))
        .unwrap_or_else(|| panic!("no quote summary:\n{}", run.stderr))
        .to_string();
    for part in ["1 ok", "1 drifted", "1 orphaned"] {
        assert!(line.contains(part), "`{part}` not in `{line}`");
    }
    assert!(
        run.stderr.contains("need a person") || run.stderr.contains("needs a person"),
        "{}",
        run.stderr
    );
}

#[test]
fn search_type_quote_finds_quotes() {
    let lib = lib();
    let id = lib.quote_add(
        "t-ash",
        "They discharged me at nine at night with a carrier bag and a bus pass.",
        &["--tag", "hospital-discharge"],
    );
    let doc = lib.search(&["carrier bag", "--type", "quote"]);
    let found = hits(&doc);
    assert_eq!(found.len(), 1, "{doc:#}");
    let h = &found[0];
    assert_eq!(s(h, "id"), id);
    assert_eq!(s(h, "path"), ASH);
    assert_eq!(s(h, "speaker"), "c-ash");
    assert_eq!(s(h, "status"), "pending");
    assert!(s(h, "text").contains("carrier bag"));
    // Passages are not quotes.
    assert!(found.iter().all(|h| h["type"] == "quote"), "{doc:#}");
    // A word that is only in the source, not in the quote, finds no quote.
    assert!(hits(&lib.search(&["forty", "--type", "quote"])).is_empty());
    // Consent shows in search results as soon as it is recorded.
    lib.approve(&id, "c-ash", "external");
    let doc = lib.search(&["carrier bag", "--type", "quote"]);
    assert_eq!(s(&hits(&doc)[0], "status"), "approved");
    lib.heard(&["quote", "withdraw", &id, "--by", "c-ash"])
        .assert_ok();
    let doc = lib.search(&["carrier bag", "--type", "quote"]);
    assert_eq!(s(&hits(&doc)[0], "status"), "withdrawn");
}
