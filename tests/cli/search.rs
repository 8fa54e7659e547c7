//! `heard search`: the query language, filters, spelling folding and the JSON output.

use crate::util::{TestLibrary, hits, n, paths, s, set, texts, total};

const R24: &str = "corpus/reports/2024-hospital-discharge.md";
const R22: &str = "corpus/reports/2022-thursday-group.md";
const T23: &str = "corpus/testimonies/ash-two-evictions.md";
const N23: &str = "corpus/notes/2023-cafe-session.md";
const N21: &str = "corpus/notes/2021-partner-visit.md";
const S25: &str = "corpus/submissions/2025-crisis-care.md";

fn lib() -> TestLibrary {
    TestLibrary::with_fixture("search")
}

/// Sources listed by a filter-only search, newest first.
#[track_caller]
fn sources(lib: &TestLibrary, filters: &[&str]) -> Vec<String> {
    let mut args = vec!["--type", "source", "--limit", "100"];
    args.extend_from_slice(filters);
    hits(&lib.search(&args))
        .iter()
        .map(|h| s(h, "path").to_string())
        .collect()
}

#[track_caller]
fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn a_phrase_matches_only_the_exact_phrase() {
    let lib = lib();
    let doc = lib.search(&["\"nowhere to go\""]);
    assert_eq!(paths(&doc), set(&[R24]));
    for t in texts(&doc) {
        assert!(t.contains("nowhere to go"), "{t}");
    }
    // The same words apart match without the quotes.
    let doc = lib.search(&["nowhere to go"]);
    assert_eq!(paths(&doc), set(&[R24, T23]));
}

#[test]
fn a_phrase_in_a_field_prefix_is_a_phrase_too() {
    let lib = lib();
    assert_eq!(
        paths(&lib.search(&["title:\"two evictions\""])),
        set(&[T23])
    );
    assert!(hits(&lib.search(&["title:\"evictions two\""])).is_empty());
}

#[test]
fn words_without_operators_must_all_match() {
    let lib = lib();
    assert_eq!(paths(&lib.search(&["foodbank locksmith"])), set(&[R24]));
    // Several arguments are one query.
    assert_eq!(paths(&lib.search(&["foodbank", "locksmith"])), set(&[R24]));
}

#[test]
fn and_or_not_and_brackets() {
    let lib = lib();
    assert_eq!(paths(&lib.search(&["foodbank AND locksmith"])), set(&[R24]));
    assert_eq!(
        paths(&lib.search(&["foodbank OR pharmacy"])),
        set(&[R24, T23, N23])
    );
    assert_eq!(paths(&lib.search(&["foodbank NOT locksmith"])), set(&[T23]));
    assert_eq!(
        paths(&lib.search(&["locksmith AND (foodbank OR pharmacy)"])),
        set(&[R24, N23])
    );
    assert_eq!(
        paths(&lib.search(&["(foodbank OR locksmith) NOT pharmacy"])),
        set(&[R24, T23])
    );
}

#[test]
fn title_prefix_searches_titles_only() {
    let lib = lib();
    // Plain words match a passage's own text, not its source's title.
    assert_eq!(paths(&lib.search(&["thursday"])), set(&[T23]));
    assert_eq!(paths(&lib.search(&["title:thursday"])), set(&[R22]));
    assert_eq!(
        paths(&lib.search(&["title:evictions foodbank"])),
        set(&[T23])
    );
}

#[test]
fn tag_prefix_searches_tags() {
    let lib = lib();
    assert_eq!(paths(&lib.search(&["tag:young-people"])), set(&[T23]));
    assert_eq!(paths(&lib.search(&["tag:housing"])), set(&[R24, T23, S25]));
    assert_eq!(
        paths(&lib.search(&["tag:housing foodbank"])),
        set(&[R24, T23])
    );
    assert!(hits(&lib.search(&["tag:homelessness"])).is_empty());
}

#[test]
fn type_option_chooses_sources_passages_or_recommendations() {
    let lib = lib();
    // By default: passages and recommendations, never whole files.
    let doc = lib.search(&["crisis"]);
    let types: std::collections::BTreeSet<&str> = hits(&doc).iter().map(|h| s(h, "type")).collect();
    assert_eq!(types, ["passage", "recommendation"].into_iter().collect());

    let doc = lib.search(&["foodbank", "--type", "source"]);
    assert!(
        hits(&doc).iter().all(|h| s(h, "type") == "source"),
        "{doc:#}"
    );
    assert_eq!(paths(&doc), set(&[R24, T23]));
    assert_eq!(hits(&doc).len(), 2, "one hit per file");

    let doc = lib.search(&["crisis", "--type", "passage"]);
    assert!(!hits(&doc).is_empty());
    assert!(
        hits(&doc).iter().all(|h| s(h, "type") == "passage"),
        "{doc:#}"
    );

    let doc = lib.search(&["--type", "recommendation"]);
    assert!(hits(&doc).iter().all(|h| s(h, "type") == "recommendation"));
    assert_eq!(hits(&doc).len(), 4, "{doc:#}");
    assert_eq!(paths(&doc), set(&[R24, S25]));

    let doc = lib.search(&["foodbank", "--type", "source", "--type", "passage"]);
    let types: std::collections::BTreeSet<&str> = hits(&doc).iter().map(|h| s(h, "type")).collect();
    assert_eq!(types, ["passage", "source"].into_iter().collect());
}

#[test]
fn kind_option_filters_by_kind_of_source() {
    let lib = lib();
    assert_eq!(sorted(sources(&lib, &["--kind", "report"])), vec![R22, R24]);
    assert_eq!(
        sorted(sources(&lib, &["--kind", "report", "--kind", "notes"])),
        vec![N21, N23, R22, R24]
    );
    assert_eq!(
        paths(&lib.search(&["foodbank", "--kind", "testimony"])),
        set(&[T23])
    );
    // Plurals are accepted as people write them.
    assert_eq!(sources(&lib, &["--kind", "submissions"]), vec![S25]);
}

#[test]
fn tag_option_repeated_requires_every_tag() {
    let lib = lib();
    assert_eq!(
        sorted(sources(&lib, &["--tag", "housing"])),
        vec![R24, S25, T23]
    );
    assert_eq!(
        sources(&lib, &["--tag", "housing", "--tag", "mental-health"]),
        vec![S25]
    );
    assert!(sources(&lib, &["--tag", "housing", "--tag", "women"]).is_empty());
    assert_eq!(
        paths(&lib.search(&["foodbank", "--tag", "young-people"])),
        set(&[T23])
    );
}

#[test]
fn since_and_until_filter_by_date() {
    let lib = lib();
    assert_eq!(sources(&lib, &["--since", "2024-06-12"]), vec![S25, R24]);
    assert_eq!(sources(&lib, &["--since", "2024-06-13"]), vec![S25]);
    assert_eq!(
        sources(&lib, &["--since", "2023", "--until", "2023"]),
        vec![T23, N23]
    );
    assert_eq!(sources(&lib, &["--until", "2023-02"]), vec![N23, R22, N21]);
    assert_eq!(sources(&lib, &["--until", "2023-02-13"]), vec![R22, N21]);
    assert_eq!(
        paths(&lib.search(&["foodbank", "--since", "2024"])),
        set(&[R24])
    );
}

#[test]
fn until_a_year_means_through_the_end_of_that_year() {
    let lib = lib();
    // The testimony is dated 2023-11-20: `--until 2023` includes it, 2024 does not.
    assert_eq!(
        sources(&lib, &["--until", "2023"]),
        vec![T23, N23, R22, N21]
    );
    assert_eq!(sources(&lib, &["--until", "2022"]), vec![R22, N21]);
}

#[test]
fn without_a_query_results_are_newest_first() {
    let lib = lib();
    assert_eq!(sources(&lib, &[]), vec![S25, R24, T23, N23, R22, N21]);
    let doc = lib.search(&["--tag", "mental-health"]);
    let dates: Vec<&str> = hits(&doc).iter().map(|h| s(h, "date")).collect();
    let mut sorted_dates = dates.clone();
    sorted_dates.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted_dates);
}

#[test]
fn limit_cuts_the_hits_but_total_counts_them_all() {
    let lib = lib();
    let all = lib.search(&["--tag", "housing", "--limit", "1000"]);
    let count = hits(&all).len() as u64;
    assert!(count > 3, "{all:#}");
    assert_eq!(total(&all), count);
    let some = lib.search(&["--tag", "housing", "--limit", "2"]);
    assert_eq!(hits(&some).len(), 2);
    assert_eq!(total(&some), count);
    let q = lib.search(&["nowhere to go", "--limit", "1"]);
    assert_eq!(hits(&q).len(), 1);
    assert_eq!(total(&q), 2);
    // The human output says there is more.
    let run = lib.heard(&["search", "--tag", "housing", "--limit", "2"]);
    run.assert_ok();
    assert!(
        run.stderr.contains(&format!("Showing 2 of {count}")),
        "{}",
        run.stderr
    );
}

#[test]
fn stemming_matches_other_forms_of_a_word() {
    let lib = lib();
    for q in ["eviction", "evictions", "Evictions"] {
        let doc = lib.search(&[q]);
        assert_eq!(paths(&doc), set(&[T23]), "{q}");
        assert!(
            texts(&doc).iter().any(|t| t.contains("two evictions")),
            "{q}: {doc:#}"
        );
    }
}

#[test]
fn case_and_accents_are_folded() {
    let lib = lib();
    for q in ["café", "cafe", "CAFE", "Café", "CAFÉ"] {
        let doc = lib.search(&[q]);
        assert_eq!(paths(&doc), set(&[N23]), "{q}");
        assert!(texts(&doc)[0].contains("café"), "{q}");
    }
}

#[test]
fn british_and_american_spellings_find_each_other() {
    let lib = lib();
    for (uk, us, uk_path) in [
        ("organisation", "organization", R24),
        ("behaviour", "behavior", R22),
        ("counselling", "counseling", R22),
        ("centre", "center", R22),
    ] {
        for q in [uk, us] {
            let doc = lib.search(&[q]);
            assert_eq!(paths(&doc), set(&[uk_path, N21]), "{q}: {doc:#}");
        }
    }
}

#[test]
fn british_and_american_adjectives_find_each_other() {
    let lib = TestLibrary::new();
    lib.write("corpus/notes/uk.md", "We need organisational change.\n");
    lib.write("corpus/notes/us.md", "They need organizational change.\n");
    for q in ["organisational", "organizational"] {
        assert_eq!(
            paths(&lib.search(&[q])),
            set(&["corpus/notes/uk.md", "corpus/notes/us.md"]),
            "{q}"
        );
    }
}

#[test]
fn json_is_one_document_with_hits_and_total() {
    let lib = lib();
    let run = lib.heard(&["search", "locksmith", "--json"]);
    run.assert_ok();
    let doc = run.json();
    let obj = doc.as_object().unwrap();
    assert!(
        obj.contains_key("hits") && obj.contains_key("total"),
        "{doc:#}"
    );
    assert_eq!(total(&doc), 2);
    let hit = hits(&doc)
        .iter()
        .find(|h| s(h, "path") == R24)
        .expect("a hit in the hospital report");
    assert_eq!(s(hit, "type"), "passage");
    assert_eq!(s(hit, "id"), "discharge-2024#L16");
    assert_eq!((n(hit, "line_start"), n(hit, "line_end")), (16, 17));
    assert!(hit["score"].as_f64().unwrap() > 0.0);
    assert!(s(hit, "snippet").contains("locksmith"), "{hit:#}");
    assert_eq!(s(hit, "title"), "Out of the ward");
    assert_eq!(s(hit, "kind"), "report");
    assert_eq!(s(hit, "date"), "2024-06-12");
    assert_eq!(
        hit["tags"],
        serde_json::json!(["hospital-discharge", "housing"])
    );
    // The same, from the TOML source.
    let doc = lib.search(&["counselling"]);
    let hit = hits(&doc).iter().find(|h| s(h, "path") == R22).unwrap();
    assert_eq!(s(hit, "date"), "2022-03-01");
    assert_eq!(hit["tags"], serde_json::json!(["women", "mental-health"]));
    // Paths are relative to the library, whatever -C said.
    for h in hits(&doc) {
        assert!(s(h, "path").starts_with("corpus/"), "{h:#}");
    }
    // No summary or colour in stdout.
    assert!(!run.stdout.contains('\u{1b}'));
}

#[test]
fn json_without_results_is_still_a_document() {
    let lib = lib();
    let doc = lib.search(&["zeppelin"]);
    assert_eq!(
        doc,
        serde_json::json!({"hits": [], "total": 0, "matched_by": "words"})
    );
}

#[test]
fn human_output_shows_title_kind_date_and_lines() {
    let lib = lib();
    let run = lib.heard(&["search", "locksmith", "--kind", "report"]);
    run.assert_ok();
    assert!(run.stdout.contains("Out of the ward"), "{}", run.stdout);
    assert!(
        run.stdout.contains("(report, 2024-06-12)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("{R24}:16-17")),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("1 result"), "{}", run.stderr);
}

#[test]
fn query_syntax_errors_exit_2_with_one_line() {
    let lib = lib();
    lib.index_ok();
    for q in [
        "title:(unclosed",
        "foo:bar",
        "\"unclosed phrase",
        "NOT housing",
        "(",
        "x AND",
    ] {
        let run = lib.heard(&["search", q]);
        run.assert_code(2);
        assert!(!run.stderr.contains("panicked"), "{q}: {}", run.stderr);
        assert_eq!(run.stderr_lines().len(), 1, "{q}: {}", run.stderr);
        assert!(run.stderr.starts_with("error: "), "{q}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{q}: {}", run.stdout);
        // Same with --json, and recs reads queries the same way.
        let run = lib.heard(&["search", q, "--json"]);
        run.assert_code(2);
        assert!(run.stdout.is_empty());
        let run = lib.heard(&["recs", q]);
        run.assert_code(2);
        assert_eq!(run.stderr_lines().len(), 1, "{q}: {}", run.stderr);
    }
    let run = lib.heard(&["search", "foo:bar"]);
    assert!(run.stderr.contains("`foo:`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("title:"),
        "names the fields: {}",
        run.stderr
    );
}

#[test]
fn a_field_wildcard_gives_a_clear_message() {
    let lib = lib();
    lib.index_ok();
    let run = lib.heard(&["search", "body:*"]);
    run.assert_code(2);
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
    assert!(
        !run.stderr.contains("search failed: search failed") && !run.stderr.contains("fast field"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_option_values_are_usage_errors() {
    let lib = lib();
    for args in [
        &["search", "x", "--since", "12/06/2024"][..],
        &["search", "x", "--until", "2023-13"],
        &["search", "x", "--kind", "leaflet"],
        &["search", "x", "--type", "paragraph"],
        &["search", "x", "--limit", "many"],
    ] {
        let run = lib.heard(args);
        run.assert_code(2);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn search_outside_a_library_is_a_usage_error() {
    let dir = TestLibrary::bare();
    let run = dir.heard(&["search", "x"]);
    run.assert_code(2);
    assert!(run.stderr.contains("heard init"), "{}", run.stderr);
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
}

/// `heard search ... | head`: a reader that stops early is not an error.
fn closed_pipe(args: &[&str]) -> (i32, String) {
    let lib = lib();
    lib.index_ok();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_heard"))
        .arg("-C")
        .arg(lib.root())
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn writing_to_a_closed_pipe_is_not_an_error() {
    let (code, stderr) = closed_pipe(&["search", "--limit", "100"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("error"),
        "{stderr}"
    );
}

#[test]
fn writing_json_to_a_closed_pipe_is_not_an_error() {
    for args in [
        &["search", "--limit", "100", "--json"][..],
        &["recs", "--json"],
        &["index", "--json"],
    ] {
        let (code, stderr) = closed_pipe(args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
}

#[test]
fn passage_hits_match_in_the_passage_not_just_the_title() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/reports/r.md",
        "---\ntitle: Leaving hospital with nowhere to go\n---\n\nWe interviewed 48 people over six months.\n\nMost were discharged on a Friday.\n",
    );
    lib.write(
        "corpus/testimonies/t.md",
        "---\ntitle: My story\n---\n\nThey let me out with nowhere to go.\n\nI slept in the bus station.\n",
    );
    let doc = lib.search(&["\"nowhere to go\""]);
    assert_eq!(
        texts(&doc),
        vec!["They let me out with nowhere to go."],
        "{doc:#}"
    );
}

/// A library of `n` testimonies with six paragraphs about an eviction each.
fn evictions(n: usize) -> TestLibrary {
    let lib = TestLibrary::new();
    for i in 0..n {
        let paras: Vec<String> = (0..6)
            .map(|p| format!("Paragraph {p} of {i}: the eviction came in week {p}."))
            .collect();
        lib.write(
            &format!("corpus/testimonies/t{i:03}.md"),
            &format!(
                "---\nid: t{i:03}\ntitle: Testimony {i}\nkind: testimony\n---\n\n{}\n",
                paras.join("\n\n")
            ),
        );
    }
    lib
}

#[test]
fn totals_are_exact_on_a_small_library_and_shown_as_about_n_when_estimated() {
    let lib = evictions(47);
    // A small library: every match counted.
    let run = lib.heard(&["search", "eviction"]);
    run.assert_ok();
    assert!(
        run.stderr.contains("Showing 10 of 282 results;"),
        "{}",
        run.stderr
    );
    let doc = lib.search(&["eviction"]);
    assert_eq!(total(&doc), 282);
    assert!(doc.get("total_is_estimate").is_none(), "{doc:#}");

    // As on a large library (estimates from the first document): "about", to two figures.
    let large = |args: &[&str]| {
        let out = lib
            .command(args)
            .env("HEARD_EXACT_TOTAL_DOCS", "0")
            .output()
            .expect("run heard");
        assert!(out.status.success(), "{out:?}");
        out
    };
    let out = large(&["search", "eviction"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Showing 10 of about 280 results;"),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("eviction")
            .count(),
        10
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&large(&["search", "eviction", "--json"]).stdout).unwrap();
    assert_eq!(total(&doc), 280);
    assert_eq!(doc["total_is_estimate"], true);
    assert_eq!(hits(&doc).len(), 10);
    // A filtered search is counted exactly whatever the size.
    let doc: serde_json::Value = serde_json::from_slice(
        &large(&["search", "eviction", "--kind", "testimony", "--json"]).stdout,
    )
    .unwrap();
    assert_eq!(total(&doc), 282);
    assert!(doc.get("total_is_estimate").is_none(), "{doc:#}");
    // Fewer matches than asked for: they are all there, so the total is exact.
    let doc: serde_json::Value =
        serde_json::from_slice(&large(&["search", "t046", "--json"]).stdout).unwrap();
    assert!(doc.get("total_is_estimate").is_none(), "{doc:#}");
}

#[test]
fn whole_sources_are_found_by_words_anywhere_in_them_with_their_text_and_a_snippet() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/testimonies/both.md",
        "---\nid: both\ntitle: Both\nkind: testimony\n---\n\nThe landlord sent a letter.\n\nThen the eviction notice came.\n",
    );
    lib.write(
        "corpus/testimonies/one.md",
        "---\nid: one\ntitle: One\nkind: testimony\n---\n\nThe landlord was kind to us.\n",
    );
    let doc = lib.search(&["landlord", "eviction", "--type", "source"]);
    let found = hits(&doc);
    assert_eq!(found.len(), 1, "{doc:#}");
    let h = &found[0];
    assert_eq!((s(h, "type"), s(h, "id")), ("source", "both"));
    assert!(
        s(h, "text").contains("The landlord sent a letter."),
        "{h:#}"
    );
    assert!(s(h, "text").contains("eviction notice"), "{h:#}");
    let snippet = s(h, "snippet");
    let marked: Vec<&str> = h["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &snippet[r[0].as_u64().unwrap() as usize..r[1].as_u64().unwrap() as usize])
        .collect();
    assert!(marked.contains(&"landlord"), "{h:#}");
    assert_eq!(total(&doc), 1);
    // A phrase is found within a passage; both sources have "the landlord".
    let doc = lib.search(&["\"the landlord\"", "--type", "source"]);
    assert_eq!(hits(&doc).len(), 2, "{doc:#}");
    let doc = lib.search(&["\"letter then\"", "--type", "source"]);
    assert_eq!(hits(&doc).len(), 0, "{doc:#}");
    // Passages are found as before, sources never by default.
    let doc = lib.search(&["landlord"]);
    assert!(
        hits(&doc).iter().all(|h| s(h, "type") == "passage"),
        "{doc:#}"
    );
    assert_eq!(total(&doc), 2);
}
