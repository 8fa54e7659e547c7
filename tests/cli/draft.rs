//! `heard draft`: a first response in which every quote is consented to for outside use,
//! several people are heard, word limits hold, people are credited as they chose, and an
//! edited draft is never overwritten. And `heard consultation new`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::evidence::{CONSULTATION, Evidence, RESPONSE, evidence, quote_refs};
use crate::util::TestLibrary;

/// Quote citations of provenance.json.
fn quote_citations(prov: &Value) -> Vec<Value> {
    prov["citations"]
        .as_array()
        .expect("citations")
        .iter()
        .filter(|c| c["kind"] == "quote")
        .cloned()
        .collect()
}

/// The lines of the answer to question `id` (from its heading to the next `## `).
fn section<'a>(markdown: &'a str, id: &str) -> Vec<&'a str> {
    let head = format!("## {id}. ");
    markdown
        .lines()
        .skip_while(|l| !l.starts_with(&head))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || !l.starts_with("## "))
        .map(|(_, l)| l)
        .collect()
}

/// Words of an answer as a reader counts them: without the heading, HTML comments,
/// footnote definitions and markers, and the "Our position:" label.
fn reader_words(section: &[&str]) -> usize {
    section
        .iter()
        .skip(1)
        .filter(|l| !l.trim_start().starts_with("<!--") && !l.starts_with("[^"))
        .map(|l| {
            let mut l = l.trim_start_matches('>').replace("**Our position:**", "");
            while let Some(i) = l.find("[^") {
                let end = l[i..].find(']').map_or(l.len(), |j| i + j + 1);
                l.replace_range(i..end, " ");
            }
            l.split_whitespace()
                .filter(|w| w.chars().any(char::is_alphanumeric))
                .count()
        })
        .sum()
}

#[test]
fn draft_writes_response_md_and_provenance_json_that_describe_each_other() {
    let ev = evidence();
    let run = ev.draft();
    assert!(run.stderr.contains("response.md"), "{}", run.stderr);
    assert!(run.stderr.contains("provenance.json"), "{}", run.stderr);
    let md = ev.response();
    let prov = ev.provenance();
    assert_eq!(prov["file"], "response.md");
    assert_eq!(prov["scope"], "external");
    assert_eq!(
        prov["file_hash"],
        blake3::hash(md.as_bytes()).to_hex().to_string(),
        "provenance.json records the hash of response.md as written"
    );
    assert!(md.starts_with("# Response to Leaving hospital without a home"));
    for q in ["## Q1. ", "## Q2. ", "## Q3. "] {
        assert!(md.contains(q), "no `{q}` heading:\n{md}");
    }
    assert!(
        md.contains("## How this response was produced"),
        "no method section:\n{md}"
    );
    // Every footnote in the draft has a citation, and every citation a footnote.
    let labels: BTreeSet<String> = prov["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap().to_string())
        .collect();
    assert!(!labels.is_empty());
    for label in &labels {
        assert!(
            md.contains(&format!("[^{label}]:")),
            "no definition of {label}"
        );
        assert!(
            md.matches(&format!("[^{label}]")).count() >= 2,
            "{label} is defined but never cited"
        );
    }
    for c in prov["citations"].as_array().unwrap() {
        let path = c["path"].as_str().unwrap();
        assert!(ev.lib.path(path).is_file(), "{path}");
        assert!(c["line_start"].as_u64().unwrap() >= 1, "{c}");
        let text = c["text"].as_str().unwrap();
        assert_eq!(
            c["text_hash"],
            blake3::hash(text.as_bytes()).to_hex().to_string()
        );
    }
    // The demo's kinds of evidence all appear.
    let kinds: BTreeSet<&str> = prov["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["passage", "quote", "recommendation"].into_iter().collect()
    );
}

#[test]
fn only_approved_quotes_for_outside_use_appear_and_never_a_restricted_source() {
    let ev = evidence();
    ev.draft();
    let md = ev.response();
    let prov_text = ev.response_file("provenance.json");
    let refs = quote_refs(&md);
    assert!(refs.len() >= 3, "{refs:?}\n{md}");
    let quotes = ev.lib.quotes(&[]);
    let by_id: BTreeMap<&str, &Value> = quotes
        .iter()
        .map(|q| (q["id"].as_str().unwrap(), q))
        .collect();
    for r in &refs {
        let q = by_id[r.as_str()];
        assert_eq!(q["status"], "approved", "{r} in the draft: {q:#}");
        assert!(
            q["scope"] == "external" || q["scope"] == "publication",
            "{r} in the draft: {q:#}"
        );
    }
    // Pending, declined, withdrawn, internal-only and restricted quotes: not their ids,
    // not their words, anywhere in the draft or its provenance.
    for name in [
        "ash-car-park",
        "ash-nurse",
        "bo-workers",
        "bo-peer",
        "dee-home",
    ] {
        let id = ev.id(name);
        let exact = by_id[id]["exact"].as_str().unwrap();
        assert!(!md.contains(id), "{name} ({id}) is in response.md");
        assert!(
            !prov_text.contains(id),
            "{name} ({id}) is in provenance.json"
        );
        assert!(
            !md.contains(exact),
            "the words of {name} are in response.md"
        );
    }
    // Nothing at all from the restricted testimony, however relevant.
    for text in [&md, &prov_text] {
        assert!(!text.contains("dee-restricted"));
        assert!(!text.contains("t-dee"));
        assert!(!text.contains("where he was waiting"));
        assert!(!text.contains("whether home was safe"));
    }
    // Passages and recommendations come from public sources only.
    for c in ev.provenance()["citations"].as_array().unwrap() {
        if c["kind"] != "quote" {
            assert_eq!(c["sensitivity"], "public", "{c}");
        }
    }
    // The summary says what was left out and why (with the meaning veto off, so that the
    // fixture's quotes far in meaning from the questions are weighed for consent too).
    let run = ev.draft_every_voice();
    for reason in ["only for internal use", "not yet given", "withdrawn"] {
        assert!(run.stderr.contains(reason), "`{reason}`: {}", run.stderr);
    }
}

#[test]
fn several_people_are_heard_rather_than_one() {
    let ev = evidence();
    ev.draft();
    let prov = ev.provenance();
    let quotes = quote_citations(&prov);
    let speakers: BTreeSet<&str> = quotes
        .iter()
        .map(|c| c["speaker"].as_str().unwrap())
        .collect();
    assert!(speakers.len() >= 3, "speakers quoted: {speakers:?}");
    // Within each answer with more than one quote, the first two are different people.
    let mut per_question: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in &quotes {
        per_question
            .entry(c["question"].as_str().unwrap())
            .or_default()
            .push(c["speaker"].as_str().unwrap());
    }
    for (q, who) in &per_question {
        if who.len() >= 2 {
            assert_ne!(who[0], who[1], "{q}: {who:?}");
        }
    }
    let run = ev.draft();
    assert!(
        run.stderr
            .contains(&format!("from {} contributors", speakers.len())),
        "{}",
        run.stderr
    );
}

#[test]
fn word_limits_are_respected_and_reported() {
    let ev = evidence();
    // More that answers Q1 than 100 words hold.
    ev.lib.write(
        "corpus/reports/2025-discharge-follow-up.md",
        "---\ntitle: Still discharged to nowhere\nkind: report\ndate: 2025-05-01\nsensitivity: public\ntags: [hospital-discharge, housing]\n---\n\n\
         When people leave hospital with nowhere to live, most of them spend their first night on the street \
         or in a night shelter, and many are back in hospital within weeks because nowhere to live means \
         nowhere to rest, keep medicines or be found by the community nurse.\n",
    );
    let run = ev.draft();
    let md = ev.response();
    for (q, limit) in [("Q1", 150), ("Q3", 250)] {
        let lines = section(&md, q);
        let note = lines
            .iter()
            .find(|l| l.starts_with("<!-- heard:"))
            .unwrap_or_else(|| panic!("no word count note in {q}:\n{md}"));
        let words: usize = note
            .trim_start_matches("<!-- heard: ")
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("{note}"));
        assert!(
            note.contains(&format!("{words} of {limit} words")),
            "{note}"
        );
        assert!(words <= limit, "{q}: {words} > {limit}");
        assert_eq!(reader_words(&lines), words, "{q} as a reader counts it");
        assert!(
            run.stderr.contains(&format!("({words}/{limit} words)")),
            "{q}: {}",
            run.stderr
        );
    }
    // The limit did bite: without it, the same question gets a longer answer.
    let unlimited = CONSULTATION.replace("word_limit = 150\n", "");
    ev.lib
        .write("responses/no-limit/consultation.toml", &unlimited);
    ev.lib.heard(&["draft", "responses/no-limit"]).assert_ok();
    let free = ev.lib.read("responses/no-limit/response.md");
    let free_words = reader_words(&section(&free, "Q1"));
    let tighter = CONSULTATION.replace("word_limit = 150\n", "word_limit = 100\n");
    ev.lib
        .write("responses/limit-100/consultation.toml", &tighter);
    ev.lib.heard(&["draft", "responses/limit-100"]).assert_ok();
    let held = reader_words(&section(
        &ev.lib.read("responses/limit-100/response.md"),
        "Q1",
    ));
    assert!(
        held <= 100 && free_words > 100,
        "Q1 has {free_words} words without a limit and {held} with a limit of 100"
    );
}

#[test]
fn a_tight_word_limit_is_never_exceeded_silently() {
    let ev = evidence();
    let tight = CONSULTATION.replace("word_limit = 150", "word_limit = 40");
    ev.lib
        .write(&format!("{RESPONSE}/consultation.toml"), &tight);
    let run = ev.draft();
    let md = ev.response();
    let lines = section(&md, "Q1");
    let words = reader_words(&lines);
    let note = lines.iter().find(|l| l.starts_with("<!-- heard:")).unwrap();
    if words > 40 {
        // Over the limit only with a warning in the draft and on the terminal.
        assert!(note.contains("over the limit"), "{note}");
        assert!(run.stderr.contains("trim"), "{}", run.stderr);
        assert!(md.contains("✂"), "{md}");
    } else {
        assert!(note.contains("of 40 words"), "{note}");
    }
}

#[test]
fn people_are_credited_as_they_chose_and_private_details_stay_out() {
    let ev = evidence();
    ev.draft();
    let md = ev.response();
    let prov = ev.provenance();
    let credit = |speaker: &str| match speaker {
        "c-ash" => "Peer researcher",
        "c-bo" => "Bo",
        "c-cy" => "A person with lived experience",
        other => panic!("unexpected speaker {other}"),
    };
    let mut seen = BTreeSet::new();
    for c in quote_citations(&prov) {
        let speaker = c["speaker"].as_str().unwrap();
        let label = c["label"].as_str().unwrap();
        let expected = credit(speaker);
        assert_eq!(c["attribution"], expected);
        let line = md
            .lines()
            .find(|l| l.contains(&format!("[^{label}]")) && !l.starts_with("[^"))
            .unwrap();
        assert!(
            line.contains(&format!("— {expected}[^{label}]")),
            "{speaker}: `{line}`"
        );
        seen.insert(speaker.to_string());
    }
    assert!(
        seen.len() >= 3,
        "all three kinds of credit are used: {seen:?}"
    );
    for private in [
        "Ashleigh",
        "Cyrus",
        "Delphine",
        "ashleigh.k@example.org",
        "via the Kelmouth Thursday drop-in",
        "via the Quayside hostel key worker",
        "Prefers not to be named",
    ] {
        assert!(!md.contains(private), "`{private}` is in response.md");
    }
}

#[test]
fn redrafting_replaces_an_unedited_draft_but_never_an_edited_one() {
    let ev = evidence();
    ev.draft();
    // Ash agrees to another quote; drafting again updates the untouched draft in place.
    ev.lib.approve(ev.id("ash-car-park"), "c-ash", "external");
    let run = ev.draft();
    assert!(!run.stderr.contains("was edited"), "{}", run.stderr);
    let md = ev.response();
    assert_eq!(
        ev.provenance()["file_hash"],
        blake3::hash(md.as_bytes()).to_hex().to_string()
    );
    let files = |ev: &Evidence| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(ev.lib.path(RESPONSE))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        files(&ev),
        vec!["consultation.toml", "provenance.json", "response.md"]
    );

    // Someone edits the draft; drafting again leaves it byte for byte as it is.
    let edited = md.replace(
        crate::evidence::PLACEHOLDER,
        "We agree, and we have said so since 2019.",
    );
    ev.write_response(&edited);
    let prov_before = ev.response_file("provenance.json");
    let run = ev.draft();
    assert!(run.stderr.contains("edited"), "{}", run.stderr);
    assert_eq!(ev.response(), edited);
    assert_eq!(ev.response_file("provenance.json"), prov_before);
    let now = files(&ev);
    let new: Vec<&String> = now
        .iter()
        .filter(|f| f.starts_with("response-") && f.ends_with(".md"))
        .collect();
    assert_eq!(new.len(), 1, "{now:?}");
    let fresh = ev.response_file(new[0]);
    assert!(fresh.contains(crate::evidence::PLACEHOLDER));
    assert!(
        now.iter()
            .any(|f| f.starts_with("response-") && f.ends_with(".provenance.json")),
        "{now:?}"
    );
    assert!(run.stderr.contains(new[0].as_str()), "{}", run.stderr);
}

#[test]
fn a_damaged_provenance_file_never_stops_a_new_draft_nor_costs_the_old_one() {
    let ev = evidence();
    ev.draft();
    let md = ev.response();
    ev.lib
        .write(&format!("{RESPONSE}/provenance.json"), "{ \"citations\": [");
    let run = ev.lib.heard(&["draft", RESPONSE]);
    run.assert_ok();
    // Nothing can vouch that response.md is untouched, so it stays as it is and the new
    // draft goes beside it.
    assert_eq!(ev.response(), md);
    assert_eq!(
        ev.response_file("provenance.json"),
        "{ \"citations\": [",
        "the damaged file is left for the person to look at"
    );
    assert!(run.stderr.contains("response-"), "{}", run.stderr);
}

#[test]
fn a_quote_file_edited_by_hand_does_not_put_a_declined_quote_in_the_draft() {
    let ev = evidence();
    let rel = "corpus/quotes/t-ash.toml";
    let nurse = ev.id("ash-nurse").to_string();
    // Mark the declined quote approved for publication, by hand.
    let text = ev.lib.read(rel);
    let start = text.find(&format!("id = \"{nurse}\"")).unwrap();
    let end = text[start..]
        .find("[[quote]]")
        .map_or(text.len(), |i| start + i);
    let forged = text[start..end].replace(
        "status = \"declined\"",
        "status = \"approved\"\nscope = \"publication\"",
    );
    ev.lib
        .write(rel, &format!("{}{forged}{}", &text[..start], &text[end..]));
    ev.draft();
    assert!(!ev.response().contains(&nurse));
    assert!(!ev.response().contains("forty other patients"));
}

#[test]
fn quotes_whose_words_changed_in_the_source_are_not_used() {
    let ev = evidence();
    ev.draft();
    let before = quote_refs(&ev.response());
    let bo = ev.id("bo-morning").to_string();
    assert!(before.contains(&bo), "{before:?}");
    let path = "corpus/testimonies/bo-crisis.md";
    let text = ev
        .lib
        .read(path)
        .replace("ring back in the morning, but", "ring back tomorrow, but");
    ev.lib.write(path, &text);
    std::fs::remove_file(ev.lib.path(&format!("{RESPONSE}/response.md"))).unwrap();
    let run = ev.draft();
    assert!(!quote_refs(&ev.response()).contains(&bo));
    assert!(run.stderr.contains("changed"), "{}", run.stderr);
}

#[test]
fn consultation_new_reads_questions_chapters_and_word_limits() {
    let lib = TestLibrary::new();
    lib.write(
        "questions.md",
        "# Homes for people leaving hospital: consultation (fictional)\n\n\
         The Department of Fictional Affairs wants to hear from you.\n\n\
         ## Chapter 1: Before discharge\n\n\
         1. How should hospitals ask about housing when someone is admitted? (max 300 words)\n\n\
         2. What gets in the way of\nplanning a safe discharge?\n\n\
         ## Chapter 2: After discharge\n\n\
         Question 3: What support helps people keep a new tenancy? Please answer in no more than 250 words.\n\n\
         Q4) Is there anything else you would like to tell us? (Word limit: 500 words)\n",
    );
    let from = lib.path("questions.md");
    let run = lib.heard(&[
        "consultation",
        "new",
        "homes-2027",
        "--from",
        from.to_str().unwrap(),
    ]);
    run.assert_ok();
    assert!(run.stderr.contains("4 questions"), "{}", run.stderr);
    let text = lib.read("responses/homes-2027/consultation.toml");
    let c: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        c["title"].as_str(),
        Some("Homes for people leaving hospital: consultation (fictional)")
    );
    let qs: Vec<Value> = c["question"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| serde_json::to_value(q).unwrap())
        .collect();
    let got: Vec<Value> = qs
        .iter()
        .map(|q| json!([q["id"], q["text"], q["chapter"], q["word_limit"]]))
        .collect();
    assert_eq!(
        got,
        vec![
            json!([
                "Q1",
                "How should hospitals ask about housing when someone is admitted?",
                "Chapter 1: Before discharge",
                300
            ]),
            json!([
                "Q2",
                "What gets in the way of planning a safe discharge?",
                "Chapter 1: Before discharge",
                null
            ]),
            json!([
                "Q3",
                "What support helps people keep a new tenancy?",
                "Chapter 2: After discharge",
                250
            ]),
            json!([
                "Q4",
                "Is there anything else you would like to tell us?",
                "Chapter 2: After discharge",
                500
            ]),
        ]
    );
    // The new consultation can be drafted straight away.
    lib.heard(&["draft", "responses/homes-2027"]).assert_ok();
    // Never overwritten.
    let before = lib.read("responses/homes-2027/consultation.toml");
    lib.heard(&[
        "consultation",
        "new",
        "homes-2027",
        "--from",
        from.to_str().unwrap(),
    ])
    .assert_code(2);
    assert_eq!(lib.read("responses/homes-2027/consultation.toml"), before);
    // A file without numbered questions.
    lib.write("empty.txt", "Tell us what you think about housing.\n");
    let empty = lib.path("empty.txt");
    lib.heard(&[
        "consultation",
        "new",
        "empty",
        "--from",
        empty.to_str().unwrap(),
    ])
    .assert_code(2);
    assert!(!lib.path("responses/empty/consultation.toml").exists());
}

#[test]
fn a_quote_whose_approval_has_expired_is_not_used() {
    let ev = evidence();
    ev.draft();
    let id = ev.id("bo-morning").to_string();
    assert!(quote_refs(&ev.response()).contains(&id));
    // Bo's approval is replaced by one that ran until June 2020 (see
    // `append_expired_approval`: heard itself refuses an expiry date in the past).
    ev.lib.append_expired_approval(&id, "c-bo");
    assert_eq!(ev.lib.quote(&id)["status"], "expired");
    std::fs::remove_file(ev.lib.path(&format!("{RESPONSE}/response.md"))).unwrap();
    let run = ev.draft();
    assert!(!quote_refs(&ev.response()).contains(&id));
    assert!(!ev.response().contains("the morning was the problem"));
    assert!(run.stderr.contains("expired"), "{}", run.stderr);
}

/// The consultation, asking for consent to publish.
fn for_publication(ev: &Evidence) {
    let c = CONSULTATION.replace(
        "deadline = \"2027-03-01\"\n",
        "deadline = \"2027-03-01\"\nscope = \"publication\"\n",
    );
    ev.lib.write(&format!("{RESPONSE}/consultation.toml"), &c);
}

#[test]
fn a_response_for_publication_uses_only_quotes_approved_for_publication() {
    let ev = evidence();
    for_publication(&ev);
    ev.draft();
    let refs = quote_refs(&ev.response());
    assert_eq!(refs, vec![ev.id("ash-door").to_string()]);
    assert_eq!(ev.provenance()["scope"], "publication");
}

#[test]
fn the_draft_summary_gives_the_true_reason_for_a_skipped_approval() {
    let ev = evidence();
    for_publication(&ev);
    let run = ev.draft();
    // Only bo-peer is approved for internal use only; the others skipped for want of
    // publication consent are approved for external use.
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("skipped"))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(
        !line.contains("skipped (approved for internal use only)")
            || line.contains("1 skipped (approved for internal use only)"),
        "{line}"
    );
}
