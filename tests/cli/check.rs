//! `heard check`: after people edit a draft, every quote is still word for word (elisions
//! and bracketed insertions allowed), still consented to, every footnote resolves, word
//! limits hold, and no personal data slipped in. One `file:line: message` per problem.

use crate::evidence::{Evidence, PLACEHOLDER, RESPONSE, evidence};
use crate::util::Run;

const FILE: &str = "responses/discharge-2027/response.md";
const MORNING: &str =
    "The crisis line told me to ring back in the morning, but the morning was the problem.";

/// The 1-based line of the draft that contains `needle` (and is not a footnote
/// definition).
#[track_caller]
fn line_with(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle) && !l.starts_with("[^"))
        .unwrap_or_else(|| panic!("`{needle}` is not in the draft:\n{text}"))
        + 1
}

/// The problem lines `check` printed.
fn problems(run: &Run) -> Vec<String> {
    run.stdout
        .lines()
        .filter(|l| l.starts_with(FILE))
        .map(String::from)
        .collect()
}

/// `heard check` exits 1 with a problem on `line` mentioning every one of `words`.
#[track_caller]
fn finds(ev: &Evidence, line: usize, words: &[&str]) -> Vec<String> {
    let run = ev.check();
    run.assert_code(1);
    let all = problems(&run);
    let prefix = format!("{FILE}:{line}: ");
    assert!(
        all.iter()
            .any(|p| p.starts_with(&prefix) && words.iter().all(|w| p.contains(w))),
        "no problem `{prefix}…` with {words:?}:\n{}",
        all.join("\n")
    );
    all
}

/// A draft with positions written, edited by `edit`.
fn edited(edit: impl FnOnce(&str) -> String) -> (Evidence, String) {
    let ev = evidence();
    let text = edit(&ev.answered_draft());
    ev.write_response(&text);
    (ev, text)
}

#[test]
fn a_fresh_draft_passes_once_its_positions_are_written() {
    let ev = evidence();
    ev.draft();
    let fresh = ev.response();
    // Until then, each placeholder is a problem on its own line.
    let run = ev.check();
    run.assert_code(1);
    let expected: Vec<usize> = fresh
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(PLACEHOLDER))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(expected.len(), 3);
    let lines: Vec<usize> = problems(&run)
        .iter()
        .map(|p| {
            p[FILE.len() + 1..]
                .split(':')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(lines, expected, "{}", run.stdout);
    ev.answered_draft();
    let run = ev.check();
    run.assert_ok();
    assert!(run.stdout.trim().is_empty(), "{}", run.stdout);
    // The file itself can be given too.
    ev.lib.heard(&["check", FILE]).assert_ok();
}

#[test]
fn a_changed_word_inside_a_quote_is_a_misquote() {
    let (ev, text) =
        edited(|t| t.replace("ring back in the morning, but", "ring back at lunch, but"));
    let id = ev.id("bo-morning");
    let line = line_with(&text, &format!("[^{id}]"));
    finds(&ev, line, &[id, "misquoted", "at lunch"]);
}

#[test]
fn elisions_and_bracketed_insertions_are_faithful() {
    let (ev, _) = edited(|t| {
        t.replace(
            &format!("“{MORNING}”"),
            "“[The] crisis line told me to ring back in the morning … the morning was the problem.”",
        )
        .replace(
            "“When you have complex needs every service thinks you belong to another service.”",
            "“When you have complex needs [...] you belong to another service.”",
        )
        .replace(
            "“Nobody on the ward asked if I had a door to go back to.”",
            "“Nobody on the ward asked if I had a door [a home] to go back to.”",
        )
    });
    let text = ev.response();
    assert!(text.contains("[The] crisis line") && text.contains("[...]"));
    let run = ev.check();
    run.assert_ok();
}

#[test]
fn a_quote_withdrawn_after_drafting_is_named() {
    let ev = evidence();
    let text = ev.answered_draft();
    ev.check().assert_ok();
    let id = ev.id("bo-morning");
    let run = ev.lib.heard(&["quote", "withdraw", id, "--by", "c-bo"]);
    run.assert_ok();
    assert!(
        run.stderr.contains("response.md"),
        "withdrawing lists the drafts that use it: {}",
        run.stderr
    );
    // Found by the words themselves, on the line where they start.
    finds(&ev, line_with(&text, MORNING), &[id, "withdrawn"]);
}

#[test]
fn quotes_without_consent_for_outside_use_are_named() {
    let ev = evidence();
    let mut text = ev.answered_draft();
    // Someone pastes in quotes heard would not use: internal only, pending, declined.
    for name in ["bo-peer", "ash-car-park", "ash-nurse"] {
        let id = ev.id(name);
        let q = ev.lib.quote(id);
        let exact = q["exact"].as_str().unwrap();
        text = text.replacen(
            "## Q3.",
            &format!("> “{exact}”\n> — Someone[^{id}]\n\n[^{id}]: A quote.\n\n## Q3."),
            1,
        );
    }
    ev.write_response(&text);
    let words = |name: &str| {
        let q = ev.lib.quote(ev.id(name));
        format!("> “{}", q["exact"].as_str().unwrap())
    };
    let peer = ev.id("bo-peer");
    finds(
        &ev,
        line_with(&text, &words("bo-peer")),
        &[peer, "internal"],
    );
    let car = ev.id("ash-car-park");
    finds(
        &ev,
        line_with(&text, &words("ash-car-park")),
        &[car, "no consent"],
    );
    let nurse = ev.id("ash-nurse");
    finds(
        &ev,
        line_with(&text, &words("ash-nurse")),
        &[nurse, "declined"],
    );
}

#[test]
fn a_quote_from_a_restricted_source_is_named() {
    let ev = evidence();
    let mut text = ev.answered_draft();
    let id = ev.id("dee-home");
    let exact = ev.lib.quote(id)["exact"].as_str().unwrap().to_string();
    text = text.replacen(
        "## Q3.",
        &format!("> “{exact}”\n> — Survivor[^{id}]\n\n[^{id}]: A quote.\n\n## Q3."),
        1,
    );
    ev.write_response(&text);
    finds(
        &ev,
        line_with(&text, &format!("> “{exact}")),
        &[id, "restricted"],
    );
}

#[test]
fn a_quote_whose_source_changed_after_drafting_is_named() {
    let ev = evidence();
    let text = ev.answered_draft();
    let path = "corpus/testimonies/bo-crisis.md";
    let source = ev
        .lib
        .read(path)
        .replace("ring back in the morning, but", "ring back tomorrow, but");
    ev.lib.write(path, &source);
    let id = ev.id("bo-morning");
    finds(
        &ev,
        line_with(&text, &format!("[^{id}]")),
        &[id, "no longer matches", "tomorrow"],
    );
}

#[test]
fn a_footnote_without_a_definition_is_named() {
    let ev = evidence();
    let text = ev.answered_draft();
    let id = ev.id("bo-morning");
    let edited: String = text
        .lines()
        .filter(|l| !l.starts_with(&format!("[^{id}]:")))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace(
            "Response from our organisation.",
            "Response from our organisation, as we said last year.[^p-last-year]",
        );
    ev.write_response(&edited);
    finds(
        &ev,
        line_with(&edited, &format!("[^{id}]")),
        &[id, "no definition"],
    );
    finds(&ev, line_with(&edited, "[^p-last-year]"), &["p-last-year"]);
}

#[test]
fn an_answer_over_its_word_limit_is_named_at_its_heading() {
    let (ev, text) = edited(|t| {
        t.replacen(
            "We agree: this has to change.",
            &format!(
                "We agree: this has to change. {}",
                // 180 words: over Q1's limit of 150 whatever the draft chose.
                "It really does. ".repeat(60)
            ),
            1,
        )
    });
    let heading = line_with(&text, "## Q1. ");
    let all = finds(&ev, heading, &["Q1", "150"]);
    assert_eq!(all.len(), 1, "{all:?}");
}

#[test]
fn personal_data_is_named_line_by_line() {
    let (ev, text) = edited(|t| {
        t.replace(
            "Response from our organisation.\n",
            "Response from our organisation.\n\n\
             Write to jo.bloggs@example.org for a copy.\n\
             Or ring 07700 900123 after six.\n\
             One patient, NHS number 943 476 5919, waited nine days.\n\
             The form showed 943 476 5918, which is not a valid NHS number.\n\
             The hostel is at KM1 4AB.\n\
             Bo and the rest of the panel agreed.\n",
        )
    });
    let run = ev.check();
    run.assert_code(1);
    let all = problems(&run);
    for (needle, what) in [
        ("jo.bloggs@example.org", "email"),
        ("07700 900123", "phone"),
        ("943 476 5919", "NHS"),
        ("KM1 4AB", "postcode"),
    ] {
        let prefix = format!("{FILE}:{}: ", line_with(&text, needle));
        assert!(
            all.iter()
                .any(|p| p.starts_with(&prefix) && p.contains(what)),
            "{what} on `{prefix}`:\n{}",
            all.join("\n")
        );
    }
    // Ten digits that fail the NHS check digit are not an NHS number; and Bo asked to be
    // credited by first name.
    for needle in ["943 476 5918", "Bo and the rest"] {
        let prefix = format!("{FILE}:{}: ", line_with(&text, needle));
        assert!(
            !all.iter().any(|p| p.starts_with(&prefix)),
            "`{needle}` is not a problem:\n{}",
            all.join("\n")
        );
    }
    assert_eq!(all.len(), 4, "{}", all.join("\n"));
}

#[test]
fn contributors_contact_details_and_withheld_names_are_named() {
    let (ev, text) = edited(|t| {
        t.replace(
            "Response from our organisation.\n",
            "Response from our organisation.\n\n\
             Thanks to Cyrus for his help.\n\
             Ashleigh led the peer research.\n\
             Reach our panel via the Quayside hostel key worker.\n\
             Questions to ashleigh.k@example.org please.\n",
        )
    });
    finds(&ev, line_with(&text, "Thanks to Cyrus"), &["c-cy"]);
    finds(&ev, line_with(&text, "Ashleigh led"), &["c-ash"]);
    finds(
        &ev,
        line_with(&text, "via the Quayside hostel"),
        &["contact", "c-cy"],
    );
    finds(
        &ev,
        line_with(&text, "ashleigh.k@example.org"),
        &["contact", "c-ash"],
    );
}

#[test]
fn check_of_a_folder_without_a_draft_is_a_usage_error() {
    let ev = evidence();
    let run = ev.lib.heard(&["check", RESPONSE]);
    run.assert_code(2);
    assert!(run.stderr.contains("draft"), "{}", run.stderr);
}

#[test]
fn a_quote_whose_approval_expired_after_drafting_is_named() {
    let ev = evidence();
    let text = ev.answered_draft();
    let id = ev.id("bo-morning");
    // An approval until June 2020 arrives from a colleague's clone (heard itself refuses
    // an expiry date in the past).
    ev.lib.append_expired_approval(id, "c-bo");
    finds(&ev, line_with(&text, MORNING), &[id, "2020-06-30"]);
}
