//! Recommendations that explain themselves (`--explain`, `why` in JSON), can be corrected in
//! front matter (`recommendations: { exclude, add }`), know whose they are (`--ours`,
//! `--theirs`) and are grouped when the same ask is made again in later years.

use crate::util::{TestLibrary, hits, n, s};

const SUBMISSION: &str = "corpus/submissions/2025-crisis.md";

#[track_caller]
fn rec<'a>(doc: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    hits(doc)
        .iter()
        .find(|r| s(r, "id") == id)
        .unwrap_or_else(|| panic!("no {id} in {doc:#}"))
}

#[track_caller]
fn ids(lib: &TestLibrary) -> Vec<String> {
    let mut ids: Vec<String> = hits(&lib.recs(&[]))
        .iter()
        .map(|r| s(r, "id").to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn explain_says_which_heading_made_an_item_a_recommendation_and_where() {
    let lib = TestLibrary::with_fixture("recs");
    let heading_line = lib
        .read(SUBMISSION)
        .lines()
        .position(|l| l == "## Key messages")
        .unwrap()
        + 1;
    let doc = lib.recs(&["night"]);
    let r = &hits(&doc)[0];
    assert_eq!(r["why"]["cue"], "heading", "{r:#}");
    assert_eq!(r["why"]["words"], "Key messages");
    assert_eq!(n(&r["why"], "line") as usize, heading_line);
    let run = lib.heard(&["recs", "night", "--explain"]);
    run.assert_ok();
    assert!(
        run.stdout.contains(&format!(
            "why: a list item under the heading “Key messages” (line {heading_line})"
        )),
        "{}",
        run.stdout
    );
    // Without --explain the listing stays as it was.
    assert!(!lib.heard(&["recs", "night"]).stdout.contains("why:"));
}

#[test]
fn explain_names_lead_ins_and_asks_in_prose() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/reports/2024-x.md",
        "# A report\n\nThe council and the hospital should:\n\n- publish their discharge protocol.\n\nWe found long waits. We recommend that every ward keeps a bed free.\n\nRecommendation 4: councils should count people sleeping in cars.\n",
    );
    let doc = lib.recs(&[]);
    let by_text = |start: &str| {
        hits(&doc)
            .iter()
            .find(|r| s(r, "text").starts_with(start))
            .unwrap_or_else(|| panic!("{start}: {doc:#}"))
            .clone()
    };
    let r = by_text("publish");
    assert_eq!(r["why"]["cue"], "lead-in");
    assert_eq!(r["why"]["words"], "The council and the hospital should:");
    assert_eq!(n(&r["why"], "line"), 3);
    let r = by_text("We recommend");
    assert_eq!(r["why"]["cue"], "prose");
    assert_eq!(r["why"]["words"], "We recommend");
    assert_eq!(n(&r["why"], "line"), 7);
    let r = by_text("Recommendation 4");
    assert_eq!(r["why"]["cue"], "numbered");
    assert_eq!(n(&r["why"], "line"), 9);
}

/// A report with five recommendations under a heading, its front matter in `syntax`.
fn edited_report(syntax: &str, fields: &str) -> String {
    let fence = if syntax == "yaml" { "---" } else { "+++" };
    format!(
        "{fence}\nid: rep-x\n{fields}{fence}\n\n# Leaving hospital\n\nThe board should hear this report in May. It should then be published.\n\n## Recommendations\n\n- Every ward should ask about housing on admission.\n- The hospital should fund a discharge team.\n- Members of the panel: Ash, Bo and Cy.\n- No one should be discharged to the street.\n- The report was written by the panel.\n"
    )
    .replace("id: rep-x", if syntax == "yaml" { "id: rep-x" } else { "id = \"rep-x\"" })
}

#[test]
fn front_matter_excludes_and_adds_without_renumbering_in_yaml_and_toml() {
    for (syntax, fields, add_line) in [
        (
            "yaml",
            "recommendations:\n  exclude: [3, \"r-rep-x-5\"]\n  add:\n    - \"The board should hear this report in May.\"\n",
            6,
        ),
        (
            "toml",
            "[recommendations]\nexclude = [3, \"r-rep-x-5\"]\nadd = [\"The board should hear this report in May.\"]\n",
            5,
        ),
    ] {
        let lib = TestLibrary::new();
        lib.write("corpus/reports/x.md", &edited_report(syntax, fields));
        lib.index_ok();
        assert_eq!(
            ids(&lib),
            ["r-rep-x-1", "r-rep-x-2", "r-rep-x-4", "r-rep-x-a1"],
            "{syntax}"
        );
        let doc = lib.recs(&[]);
        assert_eq!(
            s(rec(&doc, "r-rep-x-4"), "text"),
            "No one should be discharged to the street."
        );
        let added = rec(&doc, "r-rep-x-a1");
        assert_eq!(
            s(added, "text"),
            "The board should hear this report in May."
        );
        assert_eq!(added["why"]["cue"], "by-hand", "{syntax}");
        assert_eq!(
            n(&added["why"], "line"),
            add_line,
            "{syntax}: the line of the entry"
        );
        let para = lib
            .read("corpus/reports/x.md")
            .lines()
            .position(|l| l.starts_with("The board should"))
            .unwrap()
            + 1;
        assert_eq!(n(added, "line_start") as usize, para, "{syntax}");
    }
}

#[test]
fn an_outcome_stays_with_its_recommendation_when_an_earlier_one_is_excluded() {
    let lib = TestLibrary::new();
    lib.write("corpus/reports/x.md", &edited_report("yaml", ""));
    lib.heard(&["recs", "outcome", "r-rep-x-4", "adopted", "--by", "officer"])
        .assert_ok();
    lib.write(
        "corpus/reports/x.md",
        &edited_report(
            "yaml",
            "recommendations:\n  exclude: [\"Members of the panel\"]\n",
        ),
    );
    let doc = lib.recs(&[]);
    let r = rec(&doc, "r-rep-x-4");
    assert_eq!(s(r, "text"), "No one should be discharged to the street.");
    assert_eq!(s(r, "outcome"), "adopted");
    assert!(hits(&doc).iter().all(|r| s(r, "id") != "r-rep-x-3"));
}

#[test]
fn bad_entries_name_the_file_line_and_fix_and_the_rest_still_apply() {
    for (syntax, fields, add_line) in [
        (
            "yaml",
            "recommendations:\n  exclude:\n    - 9\n    - \"Nothing starts like this\"\n    - 3\n  add:\n    - \"A sentence that is not in the text.\"\n",
            9,
        ),
        (
            "toml",
            "[recommendations]\nexclude = [\n  9,\n  \"Nothing starts like this\",\n  3,\n]\nadd = [\n  \"A sentence that is not in the text.\",\n]\n",
            10,
        ),
    ] {
        let lib = TestLibrary::new();
        lib.write("corpus/reports/x.md", &edited_report(syntax, fields));
        lib.write(
            "corpus/reports/other.md",
            "# Other\n\n## Recommendations\n\n- Publish the figures.\n",
        );
        let run = lib.heard(&["index"]);
        let problems = run.problem_lines();
        let expect = [
            (
                "corpus/reports/x.md:5:",
                "there is no recommendation 9",
                "numbers 1 to 5",
            ),
            (
                "corpus/reports/x.md:6:",
                "no recommendation of this source starts with “Nothing starts like this”",
                "give its number",
            ),
        ];
        let add_place = format!("corpus/reports/x.md:{add_line}:");
        let expect = expect.into_iter().chain([(
            add_place.as_str(),
            "is not in the text of this source",
            "copy the sentence exactly",
        )]);
        for (place, what, fix) in expect {
            assert!(
                problems
                    .iter()
                    .any(|p| p.starts_with(place) && p.contains(what) && p.contains(fix)),
                "{syntax}: {place} {what}\n{}",
                run.stderr
            );
        }
        assert_eq!(problems.len(), 3, "{syntax}: {problems:#?}");
        // The good entry applied, and the other file is untouched.
        let got = ids(&lib);
        assert!(!got.contains(&"r-rep-x-3".to_string()), "{got:?}");
        assert!(got.contains(&"r-rep-x-4".to_string()), "{got:?}");
        assert!(got.contains(&"r-reports-other-1".to_string()), "{got:?}");
    }
}

#[test]
fn a_prefix_matching_two_items_excludes_neither_and_says_which() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/reports/x.md",
        &edited_report("yaml", "recommendations:\n  exclude: [\"The\"]\n"),
    );
    let run = lib.heard(&["index"]);
    assert!(
        run.stderr.contains("r-rep-x-2, r-rep-x-5) , so none")
            || run
                .stderr
                .contains("(r-rep-x-2, r-rep-x-5), so none was excluded"),
        "{}",
        run.stderr
    );
    assert_eq!(ids(&lib).len(), 5);
}

#[test]
fn recommendations_in_notes_front_matter_are_reported_not_silently_ignored() {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/notes/n.md",
        "---\nrecommendations:\n  add: [\"Fund the café.\"]\n---\n\nFund the café.\n",
    );
    let run = lib.heard(&["index"]);
    assert!(
        run.problem_lines()
            .iter()
            .any(|p| p.starts_with("corpus/notes/n.md:2:")
                && p.contains("reports and submissions only")
                && p.contains("kind: report")),
        "{}",
        run.stderr
    );
}

fn two_organisations() -> TestLibrary {
    let lib = TestLibrary::new();
    lib.write("heard.toml", "organisation = \"Northgate Together\"\n");
    lib.write(
        "corpus/reports/lga.md",
        "---\norganisation: Local Government Association\ndate: 2022-05-01\n---\n\n# Councils and housing\n\n## Recommendations\n\n- Councils should publish allocation data every quarter.\n",
    );
    lib.write(
        "corpus/reports/ours.md",
        "---\norganisation: Northgate Together\ndate: 2023\n---\n\n# Our report\n\n## Recommendations\n\n- Fund the gate meeting service on a permanent basis.\n",
    );
    lib
}

#[test]
fn each_recommendation_says_whose_it_is_and_can_be_filtered() {
    let lib = two_organisations();
    let doc = lib.recs(&[]);
    let theirs = rec(&doc, "r-reports-lga-1");
    assert_eq!(s(theirs, "organisation"), "Local Government Association");
    assert_eq!(theirs["ours"], false);
    let ours = rec(&doc, "r-reports-ours-1");
    assert_eq!(s(ours, "organisation"), "Northgate Together");
    assert_eq!(ours["ours"], true);
    let run = lib.heard(&["recs"]);
    assert!(
        run.stdout.contains("Local Government Association, 2022"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Northgate Together, 2023"),
        "{}",
        run.stdout
    );
    let only = |flag: &str| -> Vec<String> {
        hits(&lib.recs(&[flag]))
            .iter()
            .map(|r| s(r, "id").to_string())
            .collect()
    };
    assert_eq!(only("--ours"), ["r-reports-ours-1"]);
    assert_eq!(only("--theirs"), ["r-reports-lga-1"]);
    lib.heard(&["recs", "--ours", "--theirs"]).assert_code(2);
}

#[test]
fn the_same_ask_over_three_years_is_shown_once_with_its_years() {
    let lib = TestLibrary::new();
    lib.write("heard.toml", "organisation = \"Northgate Together\"\n");
    let other = |year: &str| match year {
        "2021" => "Train reception staff in trauma-informed practice.",
        "2023" => "Count hidden homelessness alongside rough sleeping.",
        _ => "Pay panel members at a fair rate.",
    };
    for (year, text) in [
        (
            "2021",
            "No one should be released from prison on a Friday without a bed for the night.",
        ),
        (
            "2023",
            "End Friday releases from prison for anyone without a bed for the night.",
        ),
        (
            "2025",
            "Prison releases on a Friday should end for people without a bed for the night.",
        ),
    ] {
        lib.write(
            &format!("corpus/submissions/{year}.md"),
            &format!("---\norganisation: Northgate Together\ndate: {year}\n---\n\n# Response {year}\n\n## Recommendations\n\n- {text}\n- {}\n", other(year)),
        );
    }
    // Another organisation's same ask is theirs, not one of ours repeated.
    lib.write(
        "corpus/reports/lga.md",
        "---\norganisation: Local Government Association\ndate: 2024\n---\n\n# Theirs\n\n## Recommendations\n\n- End Friday releases from prison for anyone without a bed for the night.\n",
    );
    let run = lib.heard(&["recs"]);
    run.assert_ok();
    let line = "asked in 2021, 2023 and 2025: r-submissions-2021-1, r-submissions-2023-1, r-submissions-2025-1";
    assert_eq!(run.stdout.matches(line).count(), 1, "{}", run.stdout);
    // Shown once: the newest stands for the group.
    assert!(
        run.stdout.contains("r-submissions-2025-1 "),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("r-submissions-2021-1 "),
        "{}",
        run.stdout
    );
    let doc = lib.recs(&[]);
    let r = rec(&doc, "r-submissions-2023-1");
    assert_eq!(s(r, "group"), "r-submissions-2021-1");
    assert_eq!(
        r["related"],
        serde_json::json!(["r-submissions-2021-1", "r-submissions-2025-1"])
    );
    assert!(rec(&doc, "r-submissions-2021-2")["group"].is_null());
    assert!(rec(&doc, "r-reports-lga-1")["group"].is_null());
}

#[test]
fn recs_json_matches_its_schema() {
    let lib = two_organisations();
    lib.write(
        "corpus/reports/x.md",
        &edited_report("yaml", "recommendations:\n  exclude: [1]\n  add: [\"The board should hear this report in May.\"]\n"),
    );
    lib.heard(&["recs", "outcome", "r-rep-x-2", "adopted", "--by", "officer"])
        .assert_ok();
    let doc = lib.recs(&[]);
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/recs.schema.json"),
    )
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    assert!(hits(&doc).iter().all(|r| r["why"].is_object()), "{doc:#}");
}
