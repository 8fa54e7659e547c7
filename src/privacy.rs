//! Personal data and private names: the one place that knows what must not leave the
//! library in a response. `draft` asks it about each quote and passage before using them,
//! and `check` runs it over a whole draft after people have edited it.
//!
//! It finds email addresses, UK phone numbers (`07700 900123`, `(020) 7946 0018`,
//! `+44 (0)20…`, `0044…`, with spaces, dots or hyphens), NHS numbers (with their check
//! digit), National Insurance numbers, postcodes in either case, dates of birth (a date with
//! a cue such as "DOB" or "born on"; a bare date is not personal data, reports are full of
//! them), street addresses (a house number, one to three capitalised words and a street word),
//! contributors' contact details, and the names of contributors who asked not to be named,
//! in any case and with or without their accents.
//!
//! A document is read paragraph by paragraph, its lines joined as export joins them, so a
//! phone number or a name broken across two lines is still found.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::contributors::{ContributorsFile, Credit};

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}").expect("email")
});

/// Where a phone number may start; [`phone_at`] decides whether digits follow in a UK shape.
static PHONE_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:\+44|\b0044|\(0|\b0)[\d .()\-]*\d").expect("phone"));

static NHS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{3}[\s-]?\d{3}[\s-]?\d{4}\b").expect("nhs"));

/// Two letters, six digits (in pairs, perhaps spaced) and a letter A–D; in lower case only
/// when written without spaces, so that prose such as "at 12 34 56 a" is not one.
static NI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]|(?i:[a-z]{2}\d{6}[a-d]))\b")
        .expect("national insurance")
});

/// A UK postcode: in capitals with or without its space, or in any case with it.
static POSTCODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}|(?i:(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) \d[ABD-HJLNP-UW-Z]{2}))\b",
    )
    .expect("postcode")
});

const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";

/// A date with a cue that it is someone's birth date.
static DOB: LazyLock<Regex> = LazyLock::new(|| {
    let date = format!(
        r"(?:\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:\d{{4}}|\d{{2}})|\d{{4}}[/.\-]\d{{1,2}}[/.\-]\d{{1,2}}|\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{MONTH},?\s+\d{{4}}|{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})\b"
    );
    Regex::new(&format!(
        r"(?i)\b(?P<cue>d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s?date|born)(?:\s*[:\-–]\s*|\s+)(?:(?:is|was|on)\s+)?{date}"
    ))
    .expect("date of birth")
});

/// A house number (with a letter, perhaps), one to three capitalised words, a street word.
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b\d{1,3}[A-Za-z]?,?\s+(?P<words>(?:\p{Lu}[\p{L}'’\-]*\s+){1,3})(?:Street|St|Road|Rd|Lane|Avenue|Ave|Close|Drive|Row|Way|Court|Crescent|Place|Terrace|Gardens|Grove|Hill|Walk|Square|Sq|Mews|Parade|Green|Rise|Vale|Yard|Wharf|Quay|Boulevard|Embankment|Broadway)\b",
    )
    .expect("address")
});

/// Words before "Court" that make it a court of law, not a street.
const COURTS: &[&str] = &[
    "Crown",
    "County",
    "Magistrates",
    "Magistrates'",
    "Magistrates’",
    "High",
    "Family",
    "Supreme",
    "Youth",
    "Appeal",
    "Coroner's",
    "Coroner’s",
    "Coroners",
    "Civil",
    "Criminal",
];

/// Whether ten digits are a valid NHS number (modulus 11 check digit).
pub fn is_nhs_number(digits: &str) -> bool {
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 10 {
        return false;
    }
    let sum: u32 = d[..9]
        .iter()
        .enumerate()
        .map(|(i, x)| x * (10 - i as u32))
        .sum();
    let check = 11 - sum % 11;
    let check = if check == 11 { 0 } else { check };
    check != 10 && check == d[9]
}

/// The first `n` characters of `s` and an ellipsis: enough to find it, not enough to use it.
fn truncated(s: &str, n: usize) -> String {
    let shown: String = s.chars().take(n).collect();
    format!("{}…", shown.trim_end())
}

/// The UK phone number that starts where `PHONE_START` matched, if the digits after it
/// have the shape of one: 0 and ten or eleven digits in all (not 00), or +44/0044 and nine or
/// ten more (an optional `(0)` aside), in groups split by one kind of separator. A longer run
/// of digits ends at the longest group that makes a number; digits that carry on a date or a
/// larger number before them (`2024-01-05`, `30,000`) are not one.
fn phone_at(text: &str, m: Range<usize>) -> Option<Range<usize>> {
    let mut before = text[..m.start].chars().rev();
    if before.next().is_some_and(|c| "-./,:".contains(c))
        && before.next().is_some_and(|c| c.is_ascii_digit())
    {
        return None;
    }
    let s = &text[m.clone()];
    let (intl, body_at) = if s.starts_with("+44") {
        (true, 3)
    } else if s.starts_with("0044") {
        (true, 4)
    } else {
        (false, 0)
    };
    let valid = |digits: &str| -> bool {
        if intl {
            let d = digits.strip_prefix('0').unwrap_or(digits);
            (9..=10).contains(&d.len()) && !d.starts_with('0')
        } else {
            (10..=11).contains(&digits.len())
                && digits.starts_with('0')
                && digits[1..].starts_with(['1', '2', '3', '5', '7', '8', '9'])
        }
    };
    let body = &s[body_at..];
    let mut digits = String::new();
    let mut best = None;
    let mut kind: Option<char> = None;
    let mut first_sep = true;
    let mut i = 0;
    let bytes = body.as_bytes();
    while i < bytes.len() {
        let sep_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_digit() {
            i += 1;
        }
        let sep: String = body[sep_start..i]
            .chars()
            .filter(|c| *c != '(' && *c != ')')
            .collect();
        if sep.chars().count() > 1 {
            break;
        }
        if let Some(c) = sep.chars().next() {
            // The separator just after +44 may differ from the rest ("+44 20-7946-0018").
            if !(intl && first_sep) {
                if kind.is_some_and(|k| k != c) {
                    break;
                }
                kind = Some(c);
            }
        }
        if sep_start > 0 || !body[sep_start..i].is_empty() {
            first_sep = false;
        }
        let group_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if group_start == i {
            break;
        }
        digits.push_str(&body[group_start..i]);
        if valid(&digits) {
            best = Some(i);
        }
    }
    let end = m.start + body_at + best?;
    if text[end..]
        .chars()
        .next()
        .is_some_and(char::is_alphanumeric)
    {
        return None;
    }
    Some(m.start..end)
}

/// Personal data in one paragraph (its lines joined by spaces): where each starts, and what
/// it looks like, in the order found.
fn personal_data(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for m in EMAIL.find_iter(text) {
        found.push((m.start(), format!("an email address: \"{}\"", m.as_str())));
    }
    let mut nhs_spans = Vec::new();
    for m in NHS.find_iter(text) {
        if is_nhs_number(m.as_str()) {
            found.push((
                m.start(),
                format!("an NHS number: \"{}\"", truncated(m.as_str(), 5)),
            ));
            nhs_spans.push(m.range());
        }
    }
    let mut from = 0;
    while let Some(m) = PHONE_START.find_at(text, from) {
        match phone_at(text, m.range()) {
            Some(r) => {
                if !nhs_spans
                    .iter()
                    .any(|n| n.start <= r.start && r.end <= n.end + 1)
                {
                    found.push((
                        r.start,
                        format!("a UK phone number: \"{}\"", truncated(&text[r.clone()], 7)),
                    ));
                }
                from = r.end;
            }
            None => from = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8),
        }
    }
    for m in NI.find_iter(text) {
        found.push((
            m.start(),
            format!(
                "a National Insurance number: \"{}\"",
                truncated(m.as_str(), 4)
            ),
        ));
    }
    for m in POSTCODE.find_iter(text) {
        found.push((m.start(), format!("a postcode: \"{}\"", m.as_str())));
    }
    for c in DOB.captures_iter(text) {
        let whole = c.get(0).expect("match");
        found.push((
            whole.start(),
            format!("a date of birth: \"{} …\"", &c["cue"]),
        ));
    }
    for c in ADDRESS.captures_iter(text) {
        let whole = c.get(0).expect("match");
        let last_word = c["words"].split_whitespace().next_back().unwrap_or("");
        if whole.as_str().ends_with("Court") && COURTS.contains(&last_word) {
            continue;
        }
        found.push((
            whole.start(),
            format!("a street address: \"{}\"", whole.as_str()),
        ));
    }
    found.sort_by_key(|(at, _)| *at);
    found
}

/// Letters with accents that readers take for the plain letter, by the plain letter.
const ACCENTED: &[(char, &str)] = &[
    ('a', "àáâãäåāăą"),
    ('c', "çćĉċč"),
    ('d', "ďđ"),
    ('e', "èéêëēĕėęě"),
    ('g', "ĝğġģ"),
    ('h', "ĥħ"),
    ('i', "ìíîïĩīĭįı"),
    ('j', "ĵ"),
    ('k', "ķ"),
    ('l', "ĺļľŀł"),
    ('n', "ñńņňŉ"),
    ('o', "òóôõöøōŏő"),
    ('r', "ŕŗř"),
    ('s', "śŝşšș"),
    ('t', "ţťŧț"),
    ('u', "ùúûüũūŭůűų"),
    ('w', "ŵ"),
    ('y', "ýÿŷ"),
    ('z', "źżž"),
];

/// A combining accent, as in a name typed with decomposed letters (`e` + `◌̈`).
fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// A pattern for `needle` in any case, with or without accents (composed or not), and with
/// any whitespace, a line break included, between its words.
fn loose_pattern(needle: &str) -> String {
    let mut p = String::from("(?i)");
    let mut in_space = false;
    for c in needle.trim().chars() {
        if c.is_whitespace() {
            if !in_space {
                p.push_str(r"\s+");
            }
            in_space = true;
            continue;
        }
        in_space = false;
        if is_combining(c) {
            continue;
        }
        let lower = c.to_lowercase().next().unwrap_or(c);
        let base = ACCENTED
            .iter()
            .find(|(_, accented)| accented.contains(lower))
            .map_or(lower, |(b, _)| *b);
        match ACCENTED.iter().find(|(b, _)| *b == base) {
            Some((b, accented)) => p.push_str(&format!("[{b}{accented}]\\p{{Mn}}*")),
            None => p.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    p
}

/// Something private to one contributor.
#[derive(Debug)]
struct Private {
    /// As written in contributors.toml.
    exact: String,
    /// The same in any case and accent.
    pattern: Regex,
    /// What it is, for the message.
    what: String,
}

impl Private {
    fn new(needle: &str, what: String) -> Option<Private> {
        let pattern = Regex::new(&loose_pattern(needle))
            .or_else(|_| Regex::new(&format!("(?i){}", regex::escape(needle.trim()))))
            .ok()?;
        Some(Private {
            exact: needle.trim().to_string(),
            pattern,
            what,
        })
    }

    /// Where it is in `text` as a word of its own. Written as in contributors.toml it may
    /// touch punctuation ("Amber-led"); in another case or spelling it must not be part of
    /// an id or a file name (`c-amber`, `amber-leaving-the-ward.md`), which are not names.
    fn found_in<'t>(&'t self, text: &'t str) -> impl Iterator<Item = usize> + 't {
        let joins = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || is_combining(c));
        let glue = |c: Option<char>| c.is_some_and(|c| matches!(c, '-' | '_' | '.' | '/' | '@'));
        self.pattern.find_iter(text).filter_map(move |m| {
            let mut before = text[..m.start()].chars().rev();
            let mut after = text[m.end()..].chars();
            let (b1, a1) = (before.next(), after.next());
            if joins(b1) || joins(a1) {
                return None;
            }
            let exact = m.as_str() == self.exact;
            if !exact && ((glue(b1) && joins(before.next())) || (glue(a1) && joins(after.next()))) {
                return None;
            }
            Some(m.start())
        })
    }
}

/// What must not appear in a response: personal data, contributors' contact details, and
/// the names of contributors who asked not to be named.
#[derive(Debug, Default)]
pub struct Privacy {
    private: Vec<Private>,
}

impl Privacy {
    /// The private words of the library's contributors.
    pub fn new(people: &ContributorsFile) -> Privacy {
        let mut private = Vec::new();
        for c in &people.contributors {
            if let Some(contact) = c.contact.as_ref().filter(|s| s.trim().len() >= 4) {
                private.extend(Private::new(
                    contact,
                    format!("contact details of contributor {}", c.id),
                ));
            }
            if c.credit != Credit::FirstName {
                if let Some(name) = c.first_name.as_ref().filter(|s| s.trim().len() >= 2) {
                    private.extend(Private::new(
                        name,
                        format!(
                            "the name of contributor {}, who asked not to be named",
                            c.id
                        ),
                    ));
                }
            }
        }
        Privacy { private }
    }

    /// Everything private in one text (a quote, a passage), described.
    pub fn flags(&self, text: &str) -> Vec<String> {
        self.scan(text).into_iter().map(|(_, what)| what).collect()
    }

    /// Everything private in a document: the line (from 1) where each finding starts, and
    /// what it is. Lines of a paragraph are read joined, as export joins them, so a finding
    /// broken across lines is reported at its first line. HTML comments are the caller's
    /// to blank out first.
    pub fn scan(&self, text: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for p in paragraphs(text) {
            let line = |at: usize| p.lines[p.lines.partition_point(|&(o, _)| o <= at) - 1].1;
            let mut found: Vec<(usize, String)> = personal_data(&p.text)
                .into_iter()
                .map(|(at, what)| (at, format!("looks like {what}; remove personal data")))
                .collect();
            for private in &self.private {
                for at in private.found_in(&p.text) {
                    found.push((at, format!("contains {}", private.what)));
                }
            }
            found.sort_by_key(|(at, _)| *at);
            out.extend(found.into_iter().map(|(at, what)| (line(at), what)));
        }
        out
    }
}

/// A paragraph's lines joined by spaces, and where each line starts in the joined text.
struct Paragraph {
    text: String,
    /// (byte offset in `text`, line number from 1).
    lines: Vec<(usize, usize)>,
}

static BLOCK_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:#|\||\[\^|(?:[-*+]|\d{1,9}[.)])(?:\s|$))").expect("block"));

/// The paragraphs of a Markdown document as a reader sees them: lines joined until a blank
/// line or the start of a new block (a heading or a table row, which are one line each; a
/// list item, a footnote, a block quote), with block-quote markers and indentation taken off.
fn paragraphs(doc: &str) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut cur: Option<Paragraph> = None;
    let mut prev_depth = 0;
    for (i, line) in doc.lines().enumerate() {
        let mut body = line.trim_start();
        let mut depth = 0;
        while let Some(rest) = body.strip_prefix('>') {
            body = rest.trim_start();
            depth += 1;
        }
        let body = body.trim_end();
        if body.is_empty() || depth > prev_depth || BLOCK_START.is_match(body) {
            out.extend(cur.take());
        }
        prev_depth = depth;
        if body.is_empty() {
            continue;
        }
        let p = cur.get_or_insert_with(|| Paragraph {
            text: String::new(),
            lines: Vec::new(),
        });
        if !p.text.is_empty() {
            p.text.push(' ');
        }
        p.lines.push((p.text.len(), i + 1));
        p.text.push_str(body);
        if body.starts_with(['#', '|']) {
            out.extend(cur.take());
        }
    }
    out.extend(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contributors::Contributor;

    fn kinds(text: &str) -> Vec<String> {
        personal_data(text)
            .into_iter()
            .map(|(_, what)| what)
            .collect()
    }

    #[track_caller]
    fn finds(what: &str, texts: &[&str]) {
        for t in texts {
            let found = kinds(t);
            assert!(
                found.iter().any(|f| f.contains(what)),
                "no {what} in `{t}`: {found:?}"
            );
        }
    }

    #[track_caller]
    fn finds_nothing(texts: &[&str]) {
        for t in texts {
            assert_eq!(kinds(t), Vec::<String>::new(), "in `{t}`");
        }
    }

    fn person(id: &str, credit: Credit, name: &str, contact: &str) -> Contributor {
        Contributor {
            id: id.into(),
            credit,
            role: None,
            first_name: Some(name.into()),
            contact: Some(contact.into()),
            notes: None,
        }
    }

    fn people() -> Privacy {
        Privacy::new(&ContributorsFile {
            contributors: vec![
                person("c-zoe", Credit::Anonymous, "Zoë", "via the Quayside hostel"),
                person("c-amber", Credit::Role, "Amber", "amber.k@example.org"),
                person("c-bo", Credit::FirstName, "Bo", "via the Thursday drop-in"),
            ],
        })
    }

    #[test]
    fn nhs_numbers_need_their_check_digit() {
        assert!(is_nhs_number("943 476 5919"));
        assert!(!is_nhs_number("943 476 5918"));
        finds("NHS number", &["NHS no. 943 476 5919", "943-476-5919"]);
        finds_nothing(&["The form showed 943 476 5918."]);
    }

    #[test]
    fn emails_are_found() {
        finds("email", &["write to jo.bloggs@example.org today"]);
    }

    #[test]
    fn phone_numbers_in_every_common_format_are_found() {
        finds(
            "phone",
            &[
                "call 07700 900123 now",
                "call 07700900123",
                "call (020) 7946 0018 today",
                "call 020 7946 0018",
                "call 0161 496 0000",
                "call 0044 7700 900123",
                "call +44 7700 900123",
                "call +44 (0)20 7946 0018",
                "call +447700900123",
                "call 07700.900.123",
                "call 07700-900-123",
                "call 07700 900123 2024",
            ],
        );
    }

    #[test]
    fn numbers_that_are_not_phone_numbers_are_not() {
        finds_nothing(&[
            "In 2024, 31 of the 48 people (65%) said so.",
            "Between 01.02.2023 and 03.04.2023 the line was shut.",
            "from 2023-04-05 to 2024-01-05 and 2024-02-06",
            "it cost £0.5 million, 30,000 07 people",
            "a reference 0000 000 0000",
            "order 07700900123A",
            "numbers 01234 and 05678",
        ]);
    }

    #[test]
    fn a_phone_number_message_never_shows_the_whole_number() {
        let found = kinds("ring 07700 900123 or (020) 7946 0018");
        assert_eq!(found.len(), 2, "{found:?}");
        for f in &found {
            assert!(!f.contains("900123") && !f.contains("0018"), "{f}");
        }
        assert!(found[0].contains("\"07700 9…\""), "{found:?}");
    }

    #[test]
    fn postcodes_are_found_in_either_case() {
        finds(
            "postcode",
            &[
                "lives near AB12 3DE",
                "at SW1A 1AA",
                "at SW1A1AA",
                "at sw1a 1aa",
                "at Km1 4ab",
                "GIR 0AA",
            ],
        );
        finds_nothing(&["use mp3 or h1n1 or covid19", "ids q-ab1c2dex and a1b2c3d"]);
    }

    #[test]
    fn national_insurance_numbers_are_found_and_never_shown_whole() {
        finds(
            "National Insurance",
            &[
                "NI QQ123456C",
                "NI QQ 12 34 56 C",
                "ni qq123456c",
                "AB 123456 D",
            ],
        );
        let found = kinds("NI QQ 12 34 56 C");
        assert!(!found[0].contains("34 56"), "{found:?}");
        finds_nothing(&["at 12 34 56 a time", "QQ123456E", "Q1 2024 report"]);
    }

    #[test]
    fn dates_of_birth_are_found_and_bare_dates_are_not() {
        finds(
            "date of birth",
            &[
                "DOB 03/04/1987",
                "DOB: 3/4/87",
                "date of birth: 3 April 1987",
                "Date of birth 03-04-1987",
                "born on 3rd April 1987",
                "born 3 Apr 1987",
                "born on April 3, 1987",
                "d.o.b. 1987-04-03",
                "D.O.B. 03.04.1987",
                "his date of birth is 3rd of April 1987",
            ],
        );
        finds_nothing(&[
            "On 22 March 2022 the panel met.",
            "Reported 03/04/2024.",
            "born in 1987",
            "the service was born out of 3 years of work",
            "she dobbed 3 April 1987",
        ]);
    }

    #[test]
    fn street_addresses_are_found_and_prose_is_not() {
        finds(
            "street address",
            &[
                "she lives at 14 Tanner Street now",
                "Flat 3, 22 Canal Row",
                "12a Kingsmead Lane",
                "at 7 St Mary's Road",
                "at 101 Upper New Kent Road",
                "at 5 Harbour Rd",
            ],
        );
        finds_nothing(&[
            "3 Streets were closed",
            "the 2024 Road Map",
            "in 12 Crown Court cases and 3 Magistrates Court hearings",
            "the Tanner Street drop-in",
            "in 2019 Green Lane opened",
            "14 people on Tanner Street",
        ]);
    }

    #[test]
    fn withheld_names_are_found_in_any_case_and_accent_as_whole_words() {
        let p = people();
        for text in [
            "Thanks to Zoë.",
            "ZOË said so",
            "zoë said so",
            "Zoe\u{308} said so",
            "Zoe said so",
            "AMBER led the work",
            "Amber-led work",
        ] {
            assert!(
                p.flags(text)
                    .iter()
                    .any(|f| f.contains("who asked not to be named")),
                "`{text}`: {:?}",
                p.flags(text)
            );
        }
        for text in [
            "Zoëlle and Zoey",
            "Bo and BO",
            "see c-amber and t-amber-ward in amber-leaving-the-ward.md",
            "Chamber",
        ] {
            assert!(p.flags(text).is_empty(), "`{text}`: {:?}", p.flags(text));
        }
        assert!(
            p.flags("mail amber.k@example.org")[..]
                .iter()
                .any(|f| f.contains("contact details of contributor c-amber"))
        );
    }

    #[test]
    fn findings_broken_across_lines_are_found_at_their_first_line() {
        let p = people();
        let doc = "# Title\n\
                   \n\
                   Ring 07700\n\
                   900123 or write to\n\
                   > the hostel at KM1\n\
                   > 4AB, or ask ZOË.\n\
                   \n\
                   Reach her via the Quayside\n  hostel, at 14\n\
                   Tanner Street. NI QQ 12 34\n\
                   56 C.\n\
                   - 07700\n\
                   - 900123\n";
        let found = p.scan(doc);
        let at = |what: &str| -> Vec<usize> {
            found
                .iter()
                .filter(|(_, w)| w.contains(what))
                .map(|(l, _)| *l)
                .collect()
        };
        assert_eq!(at("phone"), vec![3], "{found:?}");
        assert_eq!(at("postcode"), vec![5], "{found:?}");
        assert_eq!(
            at("contact details of contributor c-zoe"),
            vec![8],
            "{found:?}"
        );
        assert_eq!(at("street address"), vec![9], "{found:?}");
        assert_eq!(at("National Insurance"), vec![10], "{found:?}");
        assert_eq!(at("who asked not to be named"), vec![6], "{found:?}");
        assert_eq!(found.len(), 6, "{found:?}");
    }

    #[test]
    fn every_line_with_personal_data_is_named_once() {
        let p = Privacy::new(&ContributorsFile {
            contributors: vec![
                person("c-ash", Credit::Role, "Ashleigh", "ashleigh.k@example.org"),
                person("c-bo", Credit::FirstName, "Bo", "via the Kelmouth drop-in"),
                person(
                    "c-cy",
                    Credit::Anonymous,
                    "Cyrus",
                    "via the Quayside hostel key worker",
                ),
            ],
        });
        let doc = "Response from our organisation.\n\n\
                   Write to jo.bloggs@example.org for a copy.\n\
                   Or ring 07700 900123 after six.\n\
                   One patient, NHS number 943 476 5919, waited nine days.\n\
                   The form showed 943 476 5918, which is not a valid NHS number.\n\
                   The hostel is at KM1 4AB.\n\
                   Bo and the rest of the panel agreed. Thanks to Cyrus for his help.\n\
                   Ashleigh led the peer research; Cyrus helped.\n\
                   Reach our panel via the Quayside hostel key worker.\n\
                   Questions to ashleigh.k@example.org please.\n\
                   [^q-1]: Quote from corpus/testimonies/ash.md line 3; speaker c-ash.\n";
        let found: Vec<String> = p
            .scan(doc)
            .into_iter()
            .map(|(line, what)| format!("{line}: {what}"))
            .collect();
        let expected = [
            "3: looks like an email address",
            "4: looks like a UK phone number",
            "5: looks like an NHS number",
            "7: looks like a postcode",
            "8: contains the name of contributor c-cy",
            "9: contains the name of contributor c-ash",
            "9: contains the name of contributor c-cy",
            "10: contains contact details of contributor c-cy",
            "11: looks like an email address",
            "11: contains contact details of contributor c-ash",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (f, e) in found.iter().zip(expected) {
            assert!(f.starts_with(e), "{f} is not {e}: {found:#?}");
        }
    }

    #[test]
    fn a_paragraph_does_not_run_into_the_next_block() {
        let p = Privacy::default();
        assert!(p.scan("Figures for 07700\n\n900123 people").is_empty());
        assert!(p.scan("## Q1. Call 0\n1234 567890").is_empty());
        assert_eq!(
            p.scan("Line one\nCall 07700 900123 now")[0].0,
            2,
            "a finding on one line is on that line"
        );
    }
}
