//! Personal data in a source keeps its words out of a draft, in whatever format it was
//! written: phone numbers with brackets, dots or 0044, lower-case postcodes, National
//! Insurance numbers, dates of birth, street addresses, a withheld name in capitals, and
//! any of these broken across two lines (which export joins again).

use crate::evidence::evidence;

/// The report whose passage at line 14 the draft cites for Q1.
const REPORT: &str = "corpus/reports/2024-discharge-audit.md";
const LABEL: &str = "[^p-rep-discharge-2024-L14]";

/// Whether the draft still cites the report's passage once `words` are written into it.
fn cited_with(words: &str) -> bool {
    let ev = evidence();
    let text = ev.lib.read(REPORT);
    let edited = text.replacen(
        "Twenty-nine of them were discharged",
        &format!("Twenty-nine of them ({words}) were discharged"),
        1,
    );
    assert_ne!(text, edited, "the test needs the passage in the report");
    ev.lib.write(REPORT, &edited);
    ev.draft();
    ev.response().contains(LABEL)
}

#[track_caller]
fn kept_out(cases: &[&str]) {
    let cited: Vec<&&str> = cases.iter().filter(|w| cited_with(w)).collect();
    assert!(
        cited.is_empty(),
        "passages holding these were drafted: {cited:?}"
    );
}

#[test]
fn phone_numbers_postcodes_and_national_insurance_numbers_in_any_format_are_kept_out() {
    kept_out(&[
        "ring (020) 7946 0018",
        "ring 0044 7700 900123",
        "ring 07700.900.123",
        "living near sw1a 1aa",
        "NI number QQ123456C",
        "NI number QQ 12 34 56 C",
    ]);
}

#[test]
fn dates_of_birth_and_street_addresses_are_kept_out() {
    kept_out(&[
        "DOB 03/04/1987",
        "date of birth: 3 April 1987",
        "one born on 3rd April 1987",
        "d.o.b. 1987-04-03",
        "one from 14 Tanner Street",
        "one from Flat 3, 22 Canal Row",
        "one from 12a Kingsmead Lane",
    ]);
}

#[test]
fn withheld_names_in_capitals_and_personal_data_broken_across_lines_are_kept_out() {
    kept_out(&[
        // c-ash is credited by role and c-cy anonymously: their names are private.
        "ASHLEIGH among them",
        "cyrus among them",
        "ring 07700\n900123",
        "living near KM1\n4AB",
        "reached via the Quayside\nhostel key worker",
    ]);
}

#[test]
fn dates_numbers_and_place_names_that_are_not_personal_data_are_still_cited() {
    for words in [
        "all by 22 March 2022",
        "in 3 Streets",
        "see the 2024 Road Map",
        "in 12 Crown Court cases",
        "Bo among them",
        "in 2023-04-05 and 2024-01-05 audits",
    ] {
        assert!(cited_with(words), "`{words}` kept the passage out");
    }
}
