//! What each column of a survey export holds, judged by its header and its answers: the
//! response id, contact details (never imported), metadata such as timestamps (not
//! passages), choice questions (a few short answers, repeated: front matter and tags) and
//! free-text questions (the passages).
//!
//! The shapes of the usual exports: Google Forms opens with "Timestamp"; Microsoft Forms
//! with "ID", "Start time", "Completion time", "Email", "Name"; SmartSurvey with
//! "Response ID", "Started", "Ended", "IP Address"; Citizen Space with "Response ID",
//! "Response Type", "Start Date"/"Last modified".

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::contributors::ContributorsFile;
use crate::privacy::Privacy;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The export's id of each response.
    ResponseId,
    /// Contact details or other personal identifiers: never imported.
    Contact,
    /// When the response was started or submitted.
    Timestamp,
    /// Other bookkeeping of the survey tool (status, duration, language…).
    Metadata,
    /// The consent column the user named.
    Consent,
    /// Few short answers, each given by several respondents.
    Choice {
        /// Answers are lists of options separated by `;` (or `, `).
        multi: bool,
    },
    /// Answers in the respondent's own words.
    FreeText,
    /// Nobody answered it.
    Empty,
}

static RESPONSE_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(response|respondent|submission|record|entry|unique response)?[ _-]?(id|number|no\.?|#)$")
        .expect("response id")
});

/// Headers that name contact details or personal identifiers wherever they appear.
static CONTACT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(
        e-?mail\s+address|(phone|telephone|mobile|contact)\s+(number|no\.?)|
        (postal|home|street|ip|mailing|e-?mail|correspondence)\s+address|post\s?code|zip\s?code|
        date\s+of\s+birth|nhs\s+number|national\s+insurance(\s+number)?|
        your\s+(full\s+|first\s+|last\s+)?name|full\s+name|first\s+name|last\s+name|
        surname|forename|user\s?name)\b",
    )
    .expect("contact")
});

/// Short headers (a word or two) that name contact details.
static CONTACT_SHORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(e-?mail|phone|telephone|mobile|tel|address|name|contact(\s+details)?|dob)\b",
    )
    .expect("contact short")
});

static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\bname\b").expect("name"));

/// A name that is not a person's (an organisation's, a service's).
static NOT_A_PERSON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(organi[sz]ation|company|service|charity|group|school|business|project|area|local authority|council)\b")
        .expect("not a person")
});

static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(timestamp|time\s?stamp|start(ed)?(\s+(time|date))?|end(ed)?(\s+(time|date))?|
        completion\s+time|completed(\s+(time|date|at))?|submitted(\s+(at|on|date))?|
        (date|time)\s+(submitted|started|completed|modified)|last\s+modified(\s+time)?|
        (start|end|submission|response)\s+date|date|date\s*/\s*time|created(\s+at)?)$",
    )
    .expect("timestamp")
});

static METADATA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(status|response\s+status|response\s+type|collector(\s+(id|name))?|
        channel|source|language|duration|time\s+taken(\s+\(.*\))?|progress|
        custom\s+(variable|field)\s*\d*|page|panel|device|browser|user\s+agent|
        referr?er|url|link|invitation|tracking\s+(code|link)|ip|weight)$",
    )
    .expect("metadata")
});

static DATE_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp][Mm])?\s*(Z|[+-]\d{2}:?\d{2}|[A-Z]{2,4})?)?$")
        .expect("date value")
});

/// Headers that sound like a "may we quote you?" question.
static CONSENTISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(consent|permission|quote|quoted|quoting|agree|use\s+(your|these|my)\s+(words|answers?|responses?|comments?|story)|
        (may|can)\s+we\s+(use|share|publish)|share\s+your|happy\s+for)\b",
    )
    .expect("consentish")
});

/// Whether a header names contact details (an email address, a phone number, a person's
/// name, a postal address, a postcode, an IP address).
pub fn contact_header(h: &str) -> bool {
    let strong = CONTACT.is_match(h);
    let short_header = h.chars().count() <= 30 && CONTACT_SHORT.is_match(h);
    if !(strong || short_header) {
        return false;
    }
    // "Name of your organisation" is not a person's name.
    let only_a_name = NAME.is_match(h)
        && !CONTACT.is_match(&NAME.replace_all(h, ""))
        && !CONTACT_SHORT.is_match(&NAME.replace_all(h, ""));
    !(only_a_name && NOT_A_PERSON.is_match(h))
}

/// Whether a header sounds like a consent question.
pub fn consent_like(h: &str) -> bool {
    CONSENTISH.is_match(h)
}

/// Whether most answers are contact details (an email address, a phone number, a
/// postcode…) and little else.
fn contact_values(values: &[&str]) -> bool {
    if values.is_empty() {
        return false;
    }
    let privacy = Privacy::new(&ContributorsFile::default());
    let hits = values
        .iter()
        .filter(|v| v.chars().count() <= 80 && !privacy.flags(v).is_empty())
        .count();
    hits * 2 > values.len()
}

fn date_values(values: &[&str]) -> bool {
    !values.is_empty()
        && values
            .iter()
            .filter(|v| DATE_VALUE.is_match(v.trim()))
            .count()
            * 10
            >= values.len() * 9
}

/// The options of a multiple-choice answer: split on `;` (Microsoft Forms ends each
/// with one), else on `, ` when `comma` says the column is a list of options.
pub fn options(value: &str, comma: bool) -> Vec<String> {
    let parts: Vec<&str> = if value.contains(';') {
        value.split(';').collect()
    } else if comma {
        value.split(", ").collect()
    } else {
        vec![value]
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

fn short(v: &str) -> bool {
    v.chars().count() <= 40 && v.split_whitespace().count() <= 6
}

/// Few short answers, each given by several respondents: `Some(multi)`.
fn choice(values: &[&str]) -> Option<bool> {
    let n = values.len();
    let distinct: BTreeSet<String> = values.iter().map(|v| v.trim().to_lowercase()).collect();
    let few = |d: usize| (d <= 12 && d < n) || d * 3 <= n;
    // In a handful of answers, a few one-to-three-word answers (Yes, No, Not sure).
    let tiny = distinct.len() <= 3 && values.iter().all(|v| v.split_whitespace().count() <= 3);
    if values.iter().all(|v| short(v)) && (few(distinct.len()) || tiny) {
        let multi = values.iter().any(|v| v.contains(';'));
        return Some(multi);
    }
    // Lists of options: every answer is made of a few short options.
    for comma in [false, true] {
        if !comma && !values.iter().any(|v| v.contains(';')) {
            continue;
        }
        let mut all = BTreeSet::new();
        let mut ok = true;
        for v in values {
            for o in options(v, comma) {
                if !short(&o) {
                    ok = false;
                }
                all.insert(o.to_lowercase());
            }
        }
        if ok && n >= 2 && few(all.len()) && all.len() < values.len() * 2 {
            return Some(true);
        }
    }
    None
}

/// The role of one column: its header and every answer in it.
pub fn classify(header: &str, values: &[&str], consent_column: Option<&str>) -> Role {
    let h = header.trim();
    if consent_column.is_some_and(|c| c == h) {
        return Role::Consent;
    }
    let answered: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if RESPONSE_ID.is_match(h) {
        return Role::ResponseId;
    }
    // "May we email you?" answered yes or no asks about contact; it holds none.
    let yes_no = !answered.is_empty()
        && answered
            .iter()
            .all(|v| super::answer::read(v) != super::answer::Answer::Unclear);
    if (contact_header(h) && !yes_no) || contact_values(&answered) {
        return Role::Contact;
    }
    if answered.is_empty() {
        return Role::Empty;
    }
    if TIMESTAMP.is_match(h) || (h.len() <= 40 && date_values(&answered)) {
        return Role::Timestamp;
    }
    if METADATA.is_match(h) {
        return Role::Metadata;
    }
    match choice(&answered) {
        Some(multi) => Role::Choice { multi },
        None => Role::FreeText,
    }
}

/// Whether a choice column is a list of options separated by `, ` (Google Forms' check
/// boxes) rather than one answer each: short options, and some answer of several options
/// shares one with another answer ("Housing, Food bank" and "Housing"), which "Yes,
/// anonymously" and "No thanks" do not.
pub fn comma_lists(values: &[&str]) -> bool {
    let answered: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if answered.iter().any(|v| v.contains(';'))
        || !answered
            .iter()
            .all(|v| options(v, true).iter().all(|o| short(o)))
    {
        return false;
    }
    let sets: Vec<BTreeSet<String>> = answered
        .iter()
        .map(|v| options(v, true).iter().map(|o| o.to_lowercase()).collect())
        .collect();
    sets.iter().enumerate().any(|(i, a)| {
        a.len() > 1
            && sets
                .iter()
                .enumerate()
                .any(|(j, b)| i != j && a.intersection(b).next().is_some())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(h: &str, v: &[&str]) -> Role {
        classify(h, v, None)
    }

    #[test]
    fn contact_columns_are_found_by_header_and_by_content() {
        for h in [
            "Email",
            "Email address",
            "What is your email address?",
            "Phone",
            "Telephone number",
            "Name",
            "Your name",
            "First name",
            "Full Name (optional)",
            "Postcode",
            "Home address",
            "IP Address",
        ] {
            assert_eq!(role(h, &["x", "y"]), Role::Contact, "{h}");
        }
        assert_eq!(
            role(
                "How can we reach you?",
                &["sam@example.org", "07700 900123", ""]
            ),
            Role::Contact
        );
        assert_ne!(
            role(
                "Name of your organisation",
                &["Shelter", "Crisis", "Shelter"]
            ),
            Role::Contact
        );
        assert_ne!(
            role(
                "What would help?",
                &["More time with the same worker", "Being listened to"]
            ),
            Role::Contact
        );
    }

    #[test]
    fn ids_timestamps_and_metadata_are_not_questions() {
        assert_eq!(role("Response ID", &["101", "102"]), Role::ResponseId);
        assert_eq!(role("ID", &["1", "2"]), Role::ResponseId);
        assert_eq!(
            role("Timestamp", &["2024/03/05 10:23:45 AM GMT"]),
            Role::Timestamp
        );
        assert_eq!(
            role("Completion time", &["3/5/24 10:23:45"]),
            Role::Timestamp
        );
        assert_eq!(role("Started", &["05/03/2024 10:20"]), Role::Timestamp);
        assert_eq!(role("Status", &["Completed", "Completed"]), Role::Metadata);
    }

    #[test]
    fn choices_and_free_text_are_told_apart() {
        assert_eq!(
            role(
                "Are you a carer?",
                &["Yes", "No", "Yes", "Prefer not to say"]
            ),
            Role::Choice { multi: false }
        );
        assert_eq!(
            role(
                "Services used",
                &["Housing;Food bank;", "Housing;", "GP;Housing;"]
            ),
            Role::Choice { multi: true }
        );
        assert_eq!(
            role(
                "What has made the biggest difference?",
                &[
                    "Having one worker who knew my story and did not make me repeat it.",
                    "The drop-in on Tuesdays.",
                    "Nothing yet, to be honest, I am still waiting for a call back."
                ]
            ),
            Role::FreeText
        );
        assert!(comma_lists(&[
            "Housing, Food bank",
            "Housing",
            "GP, Housing"
        ]));
        assert!(!comma_lists(&[
            "I waited, and waited, for months before anyone called me back."
        ]));
    }
}
