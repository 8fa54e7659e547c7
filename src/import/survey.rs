//! Survey exports: CSV, XLSX and ODS, one respondent per row.
//!
//! Each row becomes a pseudonymous contributor (from the response id) and a source whose
//! passages are that respondent's free-text answers, each under its question (the column
//! header), with the file and row as provenance. Choice columns become tags or front
//! matter. Contact columns (email, phone, name, address) never reach the corpus or the
//! index. Consent is taken only from a column the user names (`--consent-column`): a "yes"
//! is recorded in the ledger as that respondent's consent, with where it came from.
//!
//! - [`table`]: the file read into a header and rows of text (encodings, separators,
//!   merged header cells, protected or damaged workbooks).
//! - [`columns`]: what each column holds, by its header and its answers.
//! - [`answer`]: yes, no, blank or unclear, for the consent column.

pub mod answer;
pub mod columns;
pub mod table;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde_json::json;

pub use answer::Answer;
use columns::Role;

use super::{Converted, Format, ImportOptions};
use crate::Library;
use crate::contributors::ContributorsFile;
use crate::corpus::{Kind, id_slug, tag_slug};
use crate::ledger::{self, Action};
use crate::privacy::Privacy;
use crate::quotes::{Scope, Status};

/// One respondent's answer to the consent question.
#[derive(Debug, Clone)]
pub struct SurveyConsent {
    /// The respondent's contributor id.
    pub respondent: String,
    /// The scope a "yes" gives; `None` for "no" or blank.
    pub scope: Option<Scope>,
    /// 1-based row in the file (the header is row 1).
    pub row: usize,
    /// The column header.
    pub column: String,
    /// The answer as written.
    pub answer: String,
    /// What the answer says: yes, no, blank or unclear (never taken as yes).
    pub said: Answer,
}

/// A survey export, read.
#[derive(Debug, Clone, Default)]
pub struct SurveyRead {
    /// One document per respondent with at least one free-text answer.
    pub documents: Vec<Converted>,
    /// Contributor ids of every respondent, in row order.
    pub respondents: Vec<String>,
    /// What each respondent answered to the consent column, when one was named.
    pub consents: Vec<SurveyConsent>,
    /// Free-text question headers.
    pub questions: Vec<String>,
    /// Columns left out because they hold contact details.
    pub dropped_columns: Vec<String>,
    /// Lines for the summary (e.g. "Consent from the survey: 151 yes, 48 no, 15 blank",
    /// or a column that looks like a consent question when none was named).
    pub notes: Vec<String>,
    /// The file name of the export, as consent records cite it.
    pub file: String,
    /// 1-based row of each respondent, in the order of `respondents`.
    pub rows: Vec<usize>,
    /// The export as UTF-8 CSV without its contact columns: the copy to keep beside the
    /// Markdown instead of the original, so contact details never reach the corpus.
    pub safe_copy: String,
}

/// Read a survey export. The error is one line naming what is wrong and the fix.
pub fn read(path: &Path, format: Format, opts: &ImportOptions) -> Result<SurveyRead, String> {
    let shown = path.display().to_string();
    let file = path
        .file_name()
        .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
    let table = table::read(path, format)?;
    let consent_column = match &opts.consent_column {
        None => None,
        Some(named) => Some(find_column(&table.headers, named).ok_or_else(|| {
            format!(
                "`{shown}` has no column \"{named}\" to take consent from; its columns are {}: give one of them, exactly, to --consent-column",
                quoted_list(&table.headers)
            )
        })?),
    };
    let roles: Vec<Role> = (0..table.headers.len())
        .map(|c| {
            let values: Vec<&str> = table.rows.iter().map(|(_, r)| r[c].as_str()).collect();
            columns::classify(
                &table.headers[c],
                &values,
                consent_column.map(|i| table.headers[i].as_str()),
            )
        })
        .collect();
    let of = |want: fn(&Role) -> bool| -> Vec<usize> {
        roles
            .iter()
            .enumerate()
            .filter(|(_, r)| want(r))
            .map(|(c, _)| c)
            .collect()
    };
    let free = of(|r| *r == Role::FreeText);
    let choices = of(|r| matches!(r, Role::Choice { .. }));
    let contacts = of(|r| *r == Role::Contact);
    let meta = of(|r| matches!(r, Role::Timestamp | Role::Metadata | Role::ResponseId));

    let mut notes = table.notes.clone();
    let (ids, id_note) = respondent_ids(&table, &roles);
    notes.extend(id_note);

    let stem = id_slug(
        Path::new(&file)
            .file_stem()
            .map_or(file.as_str(), |s| s.to_str().unwrap_or("survey")),
    );
    let stem = if stem.is_empty() {
        "survey".to_string()
    } else {
        stem
    };
    let date_col = timestamp_column(&table.headers, &roles);
    let privacy = Privacy::new(&ContributorsFile::default());
    let keys = front_matter_keys(&table.headers, &choices);

    let mut documents = Vec::new();
    let mut consents = Vec::new();
    let mut flagged = 0usize;
    for ((row, cells), id) in table.rows.iter().zip(&ids) {
        if let Some(c) = consent_column {
            let said = answer::read(&cells[c]);
            consents.push(SurveyConsent {
                respondent: id.clone(),
                scope: (said == Answer::Yes).then_some(opts.consent_scope),
                row: *row,
                column: table.headers[c].clone(),
                answer: cells[c].trim().to_string(),
                said,
            });
        }
        let answered: Vec<usize> = free
            .iter()
            .copied()
            .filter(|&c| !nothing_said(&cells[c]))
            .collect();
        if answered.is_empty() {
            continue;
        }
        let mut body = String::new();
        let mut warnings = Vec::new();
        for &c in &answered {
            body.push_str("## ");
            body.push_str(&escape_line(&one_line(&table.headers[c])));
            body.push_str("\n\n");
            body.push_str(&answer_markdown(&cells[c]));
            body.push('\n');
            let found = privacy.flags(&cells[c]);
            if !found.is_empty() {
                flagged += 1;
                warnings.push(format!(
                    "`{shown}` row {row}, \"{}\": the answer {}; check it before quoting",
                    one_line(&table.headers[c]),
                    found[0].trim_end_matches("; remove personal data")
                ));
            }
        }
        let mut tags = BTreeSet::new();
        let mut extra = vec![
            ("survey".to_string(), file.clone()),
            ("respondent".to_string(), id.clone()),
            ("row".to_string(), row.to_string()),
        ];
        for (&c, key) in choices.iter().zip(&keys) {
            let v = cells[c].trim();
            if v.is_empty() {
                continue;
            }
            if let Role::Choice { multi } = roles[c] {
                let values: Vec<&str> = table.rows.iter().map(|(_, r)| r[c].as_str()).collect();
                let comma = !multi && columns::comma_lists(&values);
                if multi || comma {
                    let opts = columns::options(v, true);
                    tags.extend(opts.iter().map(|o| tag_slug(o)).filter(|t| theme_like(t)));
                    extra.push((key.clone(), opts.join("; ")));
                    continue;
                }
            }
            extra.push((key.clone(), one_line(v)));
        }
        documents.push(Converted {
            stem: format!("{stem}/{id}"),
            title: Some(format!("{stem}: respondent {id}")),
            date: date_col.and_then(|c| date_of(&cells[c])),
            kind: Some(Kind::Testimony),
            contributors: vec![id.clone()],
            tags: tags.into_iter().collect(),
            extra,
            body,
            warnings,
            ..Converted::default()
        });
    }

    let questions: Vec<String> = free.iter().map(|&c| table.headers[c].clone()).collect();
    let n = ids.len();
    notes.push(format!(
        "{n} {} → {n} pseudonymous {} ({}); {} free-text {}",
        plural(n, "respondent", "respondents"),
        plural(n, "contributor", "contributors"),
        match (ids.first(), ids.last()) {
            (Some(a), Some(b)) if n > 1 => format!("{a} … {b}"),
            (Some(a), _) => a.clone(),
            _ => String::new(),
        },
        questions.len(),
        plural(questions.len(), "question", "questions")
    ));
    if questions.is_empty() {
        notes.push(format!(
            "`{shown}` has no free-text question (every column is a choice, a contact detail or metadata): nothing to quote, so no sources were made"
        ));
    } else if documents.len() < n {
        let k = n - documents.len();
        notes.push(format!(
            "{k} {} answered no free-text question: no source for {}",
            plural(k, "respondent", "respondents"),
            if k == 1 { "them" } else { "those" }
        ));
    }
    if !choices.is_empty() {
        notes.push(format!(
            "Choice questions kept as front matter (lists of options also as tags): {}",
            quoted_list(
                &choices
                    .iter()
                    .map(|&c| table.headers[c].clone())
                    .collect::<Vec<_>>()
            )
        ));
    }
    let dropped: Vec<String> = contacts.iter().map(|&c| table.headers[c].clone()).collect();
    if !dropped.is_empty() {
        notes.push(format!(
            "Not imported: {} (contact details)",
            quoted_list(&dropped)
        ));
    }
    if !meta.is_empty() {
        notes.push(format!(
            "Not passages: {} (response ids, times and survey metadata)",
            quoted_list(
                &meta
                    .iter()
                    .map(|&c| table.headers[c].clone())
                    .collect::<Vec<_>>()
            )
        ));
    }
    if flagged > 0 {
        notes.push(format!(
            "{flagged} {} look like {} personal data (an email address, a phone number…): the warnings say where; check before quoting",
            plural(flagged, "answer", "answers"),
            if flagged == 1 { "it holds" } else { "they hold" }
        ));
    }
    match consent_column {
        Some(_) => notes.push(consent_summary(&consents, opts.consent_scope)),
        None => {
            let like: Vec<String> = table
                .headers
                .iter()
                .enumerate()
                .filter(|(c, h)| roles[*c] != Role::Contact && columns::consent_like(h))
                .map(|(_, h)| h.clone())
                .collect();
            match like.first() {
                Some(h) => notes.push(format!(
                    "Column \"{h}\" looks like a consent question, but heard does not guess: to record each respondent's answer as their consent, import with --consent-column \"{h}\" (and --consent-scope internal|external|publication); until then every quote from this survey waits for consent"
                )),
                None => notes.push(
                    "No consent column named: every quote from this survey waits for consent"
                        .to_string(),
                ),
            }
        }
    }

    Ok(SurveyRead {
        documents,
        respondents: ids,
        consents,
        questions,
        dropped_columns: dropped,
        notes,
        file,
        rows: table.rows.iter().map(|(r, _)| *r).collect(),
        safe_copy: safe_copy(&table, &contacts),
    })
}

/// Whether an option makes a tag: not an option that says nothing of a theme ("Other",
/// "None of these", "Prefer not to say").
fn theme_like(tag: &str) -> bool {
    !tag.is_empty()
        && !matches!(
            tag,
            "other"
                | "none"
                | "none-of-these"
                | "none-of-the-above"
                | "n/a"
                | "prefer-not-to-say"
                | "don't-know"
                | "dont-know"
                | "not-sure"
        )
        && !tag.starts_with("other-")
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|h| format!("\"{}\"", one_line(h)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The column the user named: exactly, else ignoring case and spacing.
fn find_column(headers: &[String], named: &str) -> Option<usize> {
    let norm = |s: &str| one_line(s).to_lowercase();
    headers
        .iter()
        .position(|h| h == named)
        .or_else(|| headers.iter().position(|h| norm(h) == norm(named)))
}

/// An answer that says nothing ("", "-", "n/a"): not a passage.
fn nothing_said(v: &str) -> bool {
    let v = v.trim().to_lowercase();
    v.chars().all(|c| !c.is_alphanumeric()) || matches!(v.as_str(), "n/a" | "na" | "n.a.")
}

/// Contributor ids: from the response id column when every row has a distinct one, else
/// from the row. Numbers are padded to four digits (`r-0001`).
fn respondent_ids(table: &table::Table, roles: &[Role]) -> (Vec<String>, Option<String>) {
    let by_position = || -> Vec<String> {
        (1..=table.rows.len())
            .map(|n| format!("r-{n:04}"))
            .collect()
    };
    let Some(c) = roles.iter().position(|r| *r == Role::ResponseId) else {
        return (by_position(), None);
    };
    let privacy = Privacy::new(&ContributorsFile::default());
    let ids: Vec<Option<String>> = table
        .rows
        .iter()
        .map(|(_, r)| {
            let v = r[c].trim();
            if v.is_empty() || v.chars().count() > 32 || !privacy.flags(v).is_empty() {
                return None;
            }
            if let Ok(n) = v.parse::<u64>() {
                return Some(format!("r-{n:04}"));
            }
            let slug = id_slug(v);
            (!slug.is_empty()).then(|| format!("r-{slug}"))
        })
        .collect();
    let distinct: BTreeSet<&String> = ids.iter().flatten().collect();
    if ids.iter().all(Option::is_some) && distinct.len() == ids.len() {
        return (ids.into_iter().flatten().collect(), None);
    }
    (
        by_position(),
        Some(format!(
            "The column \"{}\" does not give every response its own id: respondents are numbered by row instead",
            table.headers[c]
        )),
    )
}

/// The column that says when a response was submitted.
fn timestamp_column(headers: &[String], roles: &[Role]) -> Option<usize> {
    let stamps: Vec<usize> = (0..headers.len())
        .filter(|&c| roles[c] == Role::Timestamp)
        .collect();
    stamps
        .iter()
        .copied()
        .find(|&c| {
            let h = headers[c].to_lowercase();
            ["complet", "submit", "end", "timestamp", "modified"]
                .iter()
                .any(|w| h.contains(w))
        })
        .or_else(|| stamps.first().copied())
}

/// The day of a timestamp, when it is unambiguous (`YYYY-MM-DD` or `YYYY/MM/DD`):
/// `05/03/2024` could be March or May, and a wrong date is worse than none.
fn date_of(v: &str) -> Option<String> {
    let v = v.trim();
    let head: String = v.chars().take(10).collect();
    let parts: Vec<&str> = head.split(['-', '/', '.']).collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => {
            let (y, m, d) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
            jiff::civil::Date::new(y, m, d).ok().map(|d| d.to_string())
        }
        _ => None,
    }
}

/// Front matter keys for choice questions: slugs of their headers, never one of the
/// fields heard reads, never twice.
fn front_matter_keys(headers: &[String], choices: &[usize]) -> Vec<String> {
    const RESERVED: &[&str] = &[
        "id",
        "title",
        "kind",
        "date",
        "organisation",
        "organization",
        "authors",
        "author",
        "contributors",
        "tags",
        "url",
        "sensitivity",
        "consultation",
        "survey",
        "respondent",
        "row",
        "original",
    ];
    let mut used: BTreeSet<String> = RESERVED.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    for &c in choices {
        let slug = id_slug(&headers[c]);
        let mut key = String::new();
        for word in slug.split('-') {
            if !key.is_empty() && key.len() + word.len() >= 48 {
                break;
            }
            if !key.is_empty() {
                key.push('-');
            }
            key.push_str(word);
        }
        if key.is_empty() || used.contains(&key) {
            key = format!("answer-{}", if key.is_empty() { "column" } else { &key });
        }
        let base = key.clone();
        let mut n = 2;
        while used.contains(&key) {
            key = format!("{base}-{n}");
            n += 1;
        }
        used.insert(key.clone());
        out.push(key);
    }
    out
}

/// One line of text, escaped so Markdown shows it as written: inline syntax, and a line
/// that would open a heading, list, quote, table or code block.
fn escape_line(line: &str) -> String {
    let line = line.trim();
    let mut out = String::with_capacity(line.len() + 4);
    for c in line.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '`' | '#' | '~' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    if out.starts_with(['-', '+', '=']) {
        out.insert(0, '\\');
    }
    let digits = out.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && out[digits..].starts_with(['.', ')']) {
        out.insert(digits, '\\');
    }
    out
}

/// An answer as Markdown paragraphs: its lines escaped, blank lines kept as paragraph
/// breaks.
fn answer_markdown(answer: &str) -> String {
    let text = answer.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::new();
    let mut blank = false;
    for line in text.trim().lines() {
        if line.trim().is_empty() {
            blank = true;
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        out.push_str(&escape_line(line));
        out.push('\n');
    }
    out
}

fn consent_summary(consents: &[SurveyConsent], scope: Scope) -> String {
    let count = |a: Answer| consents.iter().filter(|c| c.said == a).count();
    let mut line = format!(
        "Consent from the survey: {} yes ({} use), {} no, {} blank",
        count(Answer::Yes),
        scope.as_str(),
        count(Answer::No),
        count(Answer::Blank)
    );
    let unclear: Vec<&SurveyConsent> = consents
        .iter()
        .filter(|c| c.said == Answer::Unclear)
        .collect();
    if !unclear.is_empty() {
        let mut seen: Vec<String> = Vec::new();
        for c in &unclear {
            let a = one_line(&c.answer);
            if !seen.contains(&a) && seen.len() < 3 {
                seen.push(a);
            }
        }
        line.push_str(&format!(
            ", {} unclear ({}{}: not taken as yes)",
            unclear.len(),
            quoted_list(&seen),
            if unclear.len() > seen.len() {
                ", …"
            } else {
                ""
            }
        ));
    }
    line
}

/// The table as CSV without the contact columns.
fn safe_copy(table: &table::Table, contacts: &[usize]) -> String {
    let keep: Vec<usize> = (0..table.headers.len())
        .filter(|c| !contacts.contains(c))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(keep.iter().map(|&c| table.headers[c].as_str()));
    for (_, r) in &table.rows {
        let _ = w.write_record(keep.iter().map(|&c| r[c].as_str()));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// After the documents are written: add the respondents to contributors.toml as
/// pseudonymous contributors and record each "yes" in the ledger. `sources` are the ids of
/// the written sources, in the order of `read.documents`.
///
/// A respondent's answer is recorded as a `consent.source` event (target: the respondent;
/// details: the source, file, row, column, answer and scope) when it is a yes or a no, or
/// when it changed since the last import. Quotes already made of a "yes" respondent's
/// words and still pending are approved by it.
pub fn record(
    lib: &Library,
    read: &SurveyRead,
    sources: &[String],
    opts: &ImportOptions,
) -> anyhow::Result<()> {
    if sources.len() != read.documents.len() {
        anyhow::bail!(
            "{} sources were written for {} survey documents",
            sources.len(),
            read.documents.len()
        );
    }
    let (_lock, book) = crate::quotes::lock_and_load(lib)?;
    let people: Vec<(String, String)> = read
        .respondents
        .iter()
        .zip(&read.rows)
        .map(|(id, row)| {
            (
                id.clone(),
                format!("Survey respondent: {}, row {row}", read.file),
            )
        })
        .collect();
    crate::contributors::add_pseudonymous(lib, &people)?;

    let source_of: HashMap<&str, &str> = read
        .documents
        .iter()
        .zip(sources)
        .filter_map(|(d, s)| Some((d.contributors.first()?.as_str(), s.as_str())))
        .collect();
    let given = book.ledger.source_consents();
    let mut events = Vec::new();
    let mut approve: BTreeMap<String, &SurveyConsent> = BTreeMap::new();
    for c in &read.consents {
        let Some(source) = source_of.get(c.respondent.as_str()) else {
            continue;
        };
        let last = given
            .get(&(c.respondent.clone(), source.to_string()))
            .copied();
        let same = last.is_some_and(|e| {
            e.detail("said").as_deref() == Some(c.said.as_str())
                && e.detail("scope").as_deref() == c.scope.map(Scope::as_str)
                && e.detail("column").as_deref() == Some(c.column.as_str())
        });
        let worth = match c.said {
            Answer::Yes | Answer::No => !same,
            Answer::Blank | Answer::Unclear => last.is_some() && !same,
        };
        if worth {
            events.push((
                opts.actor.clone(),
                Action::ConsentSource,
                c.respondent.clone(),
                json!({
                    "source": source,
                    "file": read.file,
                    "row": c.row,
                    "column": c.column,
                    "answer": c.answer,
                    "said": c.said.as_str(),
                    "scope": c.scope.map(Scope::as_str),
                }),
            ));
        }
        if c.scope.is_some() {
            for q in book.of_source(source) {
                if q.speaker.as_deref() == Some(c.respondent.as_str())
                    && q.status == Status::Pending
                    && !q.tampered
                {
                    approve.insert(q.id.clone(), c);
                }
            }
        }
    }
    if !events.is_empty() {
        ledger::append(lib, events)?;
    }
    let book = crate::quotes::QuoteBook::load(lib)?;
    let given = book.ledger.source_consents();
    let mut approvals = Vec::new();
    let mut touched = BTreeSet::new();
    for (id, c) in approve {
        let Some(q) = book.quotes.get(&id) else {
            continue;
        };
        let Some(e) = given.get(&(c.respondent.clone(), q.source.clone())) else {
            continue;
        };
        if let Some(details) = ledger::approval_from_source(e) {
            approvals.push((c.respondent.clone(), Action::QuoteApprove, id, details));
            touched.insert(q.source.clone());
        }
    }
    if approvals.is_empty() {
        return Ok(());
    }
    ledger::append(lib, approvals)?;
    let book = crate::quotes::QuoteBook::load(lib)?;
    for s in &touched {
        crate::quotes::write_quote_file(lib, &book, s)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_cannot_make_markdown() {
        assert_eq!(escape_line("# not a heading"), "\\# not a heading");
        assert_eq!(escape_line("- not a list"), "\\- not a list");
        assert_eq!(escape_line("1. not a list"), "1\\. not a list");
        assert_eq!(escape_line("a | b ~~c~~"), "a \\| b \\~\\~c\\~\\~");
        assert_eq!(
            answer_markdown("First line\r\nsecond\r\n\r\n\r\nNew para"),
            "First line\nsecond\n\nNew para\n"
        );
    }

    #[test]
    fn only_unambiguous_dates_are_read() {
        assert_eq!(
            date_of("2024/03/05 10:23:45 AM GMT").as_deref(),
            Some("2024-03-05")
        );
        assert_eq!(
            date_of("2024-03-05 10:20:00").as_deref(),
            Some("2024-03-05")
        );
        assert_eq!(date_of("05/03/2024 10:20"), None);
        assert_eq!(date_of("3/5/24 10:23"), None);
    }

    #[test]
    fn front_matter_keys_avoid_heard_fields() {
        let h = vec![
            "Tags".to_string(),
            "Are you a carer?".to_string(),
            "Tags".to_string(),
        ];
        assert_eq!(
            front_matter_keys(&h, &[0, 1, 2]),
            vec!["answer-tags", "are-you-a-carer", "answer-tags-2"]
        );
    }
}
