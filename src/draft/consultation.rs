//! The call: `responses/<slug>/consultation.toml`, with its questions and word limits, and
//! turning a question list pasted from a government web page into one.

use std::path::Path;
use std::sync::LazyLock;

use anyhow::Context;
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::quotes::Scope;

/// A consultation or call for evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consultation {
    /// Its title.
    pub title: String,
    /// Who is consulting (a department, a body).
    #[serde(default)]
    pub body: String,
    /// Closing date, YYYY-MM-DD.
    // Quoted, or a TOML date or date-time; kept as written.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_date"
    )]
    pub deadline: Option<String>,
    /// Where it is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Consent a quote needs to be used in this response (default: external).
    #[serde(default = "external", skip_serializing_if = "is_external")]
    pub scope: Scope,
    /// The questions, in order.
    #[serde(default, rename = "question")]
    pub questions: Vec<Question>,
}

impl Default for Consultation {
    fn default() -> Self {
        Consultation {
            title: String::new(),
            body: String::new(),
            deadline: None,
            url: None,
            scope: Scope::External,
            questions: Vec::new(),
        }
    }
}

/// A date written as text (`"2027-03-01"`) or as a TOML date or date-time
/// (`2027-03-01`, `2027-03-01T17:00:00Z`), kept as written.
fn text_or_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error;
    match toml::Value::deserialize(d)? {
        toml::Value::String(s) => Ok(Some(s)),
        toml::Value::Datetime(dt) => Ok(Some(dt.to_string())),
        other => Err(D::Error::custom(format!(
            "expected a date such as 2027-03-01, found {}",
            other.type_str()
        ))),
    }
}

fn external() -> Scope {
    Scope::External
}

fn is_external(s: &Scope) -> bool {
    *s == Scope::External
}

/// One question of a consultation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Short id such as `Q3`, used in headings and footnotes.
    pub id: String,
    /// The question as the consultation asks it.
    pub text: String,
    /// The chapter or section it is in, if the call has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chapter: Option<String>,
    /// Most words the answer may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub word_limit: Option<usize>,
    /// Themes from the taxonomy to look for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Extra search words, in `heard search` syntax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The answers to choose from, for a choice or profile question.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// Read a consultation.toml; errors name the file and line and say the fix.
pub fn load(path: &Path) -> anyhow::Result<Consultation> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "failed to read `{}`; make one with `heard consultation new SLUG --from questions.txt`",
            path.display()
        )
    })?;
    parse(&text).map_err(|(line, message)| anyhow::anyhow!("{}:{line}: {message}", path.display()))
}

/// Parse and check the text of a consultation.toml. An error is its line and message.
pub fn parse(text: &str) -> Result<Consultation, (usize, String)> {
    let line_at = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let c: Consultation = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_at(s.start));
        (line, e.message().trim_end_matches('.').to_string())
    })?;
    if let Some(deadline) = &c.deadline {
        let day = crate::corpus::PartialDate::parse(deadline).filter(|d| d.day.is_some());
        if day.is_none() {
            return Err((
                key_line(text, None, "deadline"),
                format!(
                    "`deadline = \"{deadline}\"` is not a date; write the closing day as YYYY-MM-DD, e.g. `deadline = 2027-03-01`"
                ),
            ));
        }
    }
    if c.questions.is_empty() {
        return Err((
            1,
            "has no [[question]] entries; add the consultation's questions".into(),
        ));
    }
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (n, q) in c.questions.iter().enumerate() {
        let id_line = key_line(text, Some(n), "id");
        if q.id.trim().is_empty() {
            return Err((
                id_line,
                format!(
                    "question {} has an empty `id`; give it a short id such as `id = \"Q{}\"`",
                    n + 1,
                    n + 1
                ),
            ));
        }
        if q.text.trim().is_empty() {
            return Err((
                key_line(text, Some(n), "text"),
                format!(
                    "question `{}` has an empty `text`; paste in the question as the consultation asks it",
                    q.id
                ),
            ));
        }
        if let Some(first) = seen.insert(q.id.trim().to_lowercase(), id_line) {
            return Err((
                id_line,
                format!(
                    "two questions have the id `{}` (the other is on line {first}); give each its own, e.g. `{}b`",
                    q.id, q.id
                ),
            ));
        }
    }
    Ok(c)
}

/// The 1-based line where `key` is set: at the top of the file (`question: None`) or in
/// the `n`th `[[question]]` table. Falls back to that table's header line (or line 1).
fn key_line(text: &str, question: Option<usize>, key: &str) -> usize {
    let mut current: Option<usize> = None;
    let mut tables = 0;
    let mut header = 1;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.starts_with('[') {
            let name: String = l.chars().filter(|c| !c.is_whitespace()).collect();
            if name.starts_with("[[question]]") {
                current = Some(tables);
                tables += 1;
                if question == current {
                    header = i + 1;
                }
            } else {
                current = None;
            }
            continue;
        }
        if current == question {
            let rest = l.strip_prefix(key).map(str::trim_start);
            if rest.is_some_and(|r| r.starts_with('=')) {
                return i + 1;
            }
        }
    }
    header
}

static QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?ix)^\s*(?:[-*]\s+)?(?:\*\*)?(?:q(?:uestion)?\s*)?(\d{1,3}[a-z]?)(?:\*\*)?\s*[.):\-–]\s*(?:\*\*)?\s*(.+)$")
        .expect("question regex")
});

static CHAPTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:#{1,6}\s+(.+)|((?:chapter|section|part)\s+\S+.*))$")
        .expect("chapter regex")
});

static WORD_LIMIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[(\[]?\s*(?:please\s+)?(?:(?:answer|respond|reply)\s+)?(?:limit\s+your\s+(?:answer|response)\s+to\s+|in\s+|max(?:imum)?\.?:?\s*|up\s+to\s+|no\s+more\s+than\s+|word\s+limit:?\s*|limit:?\s*)*(\d{2,5})\s*words?(?:\s+max(?:imum)?)?\s*[)\]]?\.?")
        .expect("word limit regex")
});

static BULLET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[-*+•▪◦●○☐□■]|\(\s?\))\s+(.+)$").expect("bullet regex"));

/// A question that asks to pick among answers: its bullet list is the options.
static CHOICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:which\b|do you agree|agree or disagree|yes or no|to what extent|how (?:likely|satisfied|important|often|much)|select|tick|choose|indicate|rate|are you\b|do you\b|is your\b)")
        .expect("choice regex")
});

/// Sub-headings that only announce the questions, not a chapter of their own.
static QUESTIONS_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:the\s+|our\s+|consultation\s+|your\s+)?(?:questions?|questions for you|how to respond)$")
        .expect("questions heading regex")
});

static DEADLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:closes?|closing\s+date|deadline|responses?\s+(?:by|before|must)|respond\s+by|ends?\s+on|open\s+until)\b")
        .expect("deadline regex")
});

static ESCAPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\\([\\`*_{}\[\]()#+\-.!<>|])").expect("escape regex"));

/// Plain text of a line of Markdown: escapes and emphasis markers removed.
fn plain(s: &str) -> String {
    let t = crate::corpus::plain_text(s);
    if t.is_empty() {
        s.trim().to_string()
    } else {
        t
    }
}

/// Turn a pasted question list (Markdown or plain text: numbered questions, often under
/// chapter headings, sometimes with word limits, closing dates and answer options) into a
/// consultation.
pub fn from_text(title: &str, text: &str) -> Consultation {
    let mut c = Consultation {
        title: title.to_string(),
        scope: Scope::External,
        ..Consultation::default()
    };
    // Headings above the questions, by level: the chapter is the outermost below the
    // title, with its sub-headings.
    let mut headings: Vec<(usize, String)> = Vec::new();
    let chapter = |h: &[(usize, String)]| {
        let names: Vec<&str> = h.iter().map(|(_, n)| n.as_str()).collect();
        (!names.is_empty()).then(|| names.join(" › "))
    };
    let mut current: Option<Question> = None;
    // Whether a list now would be the options of the last question.
    let mut options_open = false;
    let finish = |q: Option<Question>, c: &mut Consultation| {
        if let Some(mut q) = q {
            let (text, limit) = take_word_limit(&q.text);
            q.text = plain(&text);
            q.word_limit = q.word_limit.or(limit);
            c.questions.push(q);
        }
    };
    let mut in_comment = false;
    for line in text.lines() {
        let unescaped = ESCAPE.replace_all(line, "$1");
        let trimmed = unescaped.trim();
        // HTML comments (page markers of imported PDFs) are not text.
        if in_comment || trimmed.starts_with("<!--") {
            in_comment = !trimmed.contains("-->");
            continue;
        }
        if trimmed.is_empty() {
            if current.is_some() {
                options_open = true;
            }
            finish(current.take(), &mut c);
            continue;
        }
        if c.deadline.is_none() && DEADLINE.is_match(trimmed) {
            c.deadline = crate::import::documents::dates_in(trimmed)
                .into_iter()
                .next()
                .map(|(_, d)| d);
        }
        if let Some(m) = QUESTION.captures(trimmed) {
            finish(current.take(), &mut c);
            options_open = false;
            current = Some(Question {
                id: format!("Q{}", m[1].to_uppercase()),
                text: m[2].trim().trim_matches('*').trim().to_string(),
                chapter: chapter(&headings),
                ..Question::default()
            });
            continue;
        }
        if let Some(m) = BULLET.captures(trimmed) {
            let item = plain(&m[1]);
            let last_is_choice = c
                .questions
                .last()
                .is_some_and(|q| q.text.ends_with('?') || CHOICE.is_match(&q.text));
            match current.as_mut() {
                Some(q) if CHOICE.is_match(&q.text) || q.text.ends_with('?') => {
                    finish(current.take(), &mut c);
                    options_open = true;
                    if let Some(q) = c.questions.last_mut() {
                        q.options.push(item);
                    }
                }
                // Prompts under a question ("Please tell us about: - housing").
                Some(q) => {
                    q.text.push(' ');
                    q.text.push_str(&item);
                }
                None if options_open && last_is_choice => {
                    if let Some(q) = c.questions.last_mut() {
                        q.options.push(item);
                    }
                }
                None => options_open = false,
            }
            continue;
        }
        if let Some(m) = CHAPTER.captures(trimmed) {
            finish(current.take(), &mut c);
            options_open = false;
            let name = plain(m.get(1).or(m.get(2)).map_or("", |m| m.as_str()));
            let level = if m.get(1).is_some() {
                trimmed.chars().take_while(|&ch| ch == '#').count()
            } else {
                2
            };
            if c.questions.is_empty() && level == 1 && c.title.is_empty() {
                c.title = name;
            } else if name == c.title {
                // The title again (a document's own first heading).
            } else if !QUESTIONS_HEADING.is_match(&name) {
                headings.retain(|(l, _)| *l < level);
                headings.push((level, name));
            }
            continue;
        }
        options_open = false;
        if let Some(q) = current.as_mut() {
            // A wrapped question, or a note under it such as "(max 300 words)".
            q.text.push(' ');
            q.text.push_str(trimmed);
        }
    }
    finish(current.take(), &mut c);
    // Ids must be unique even if the list restarted numbering in each chapter.
    let mut seen = std::collections::HashMap::new();
    for q in &mut c.questions {
        let n = seen.entry(q.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            q.id = format!("{}-{}", q.id, n);
        }
    }
    c
}

/// Split a word limit such as "(max 300 words)" off a question's text.
fn take_word_limit(text: &str) -> (String, Option<usize>) {
    match WORD_LIMIT.captures_iter(text).last() {
        Some(m) => {
            let limit = m[1].parse().ok();
            let whole = m.get(0).expect("match");
            let mut t = format!("{}{}", &text[..whole.start()], &text[whole.end()..]);
            t = t.split_whitespace().collect::<Vec<_>>().join(" ");
            let t = t
                .trim_end_matches(['(', '[', '-', '–', ',', ' '])
                .trim()
                .to_string();
            (t, limit)
        }
        None => (text.trim().to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_pasted_question_list() {
        let text = "# Crisis care: call for evidence\n\nChapter 1: Getting help\n\n1. What works well in crisis care today?\n\n2. What stops people getting\nhelp early? (max 300 words)\n\n## Chapter 2 – Services\n\nQuestion 3: How should services work with people who use drugs? Please answer in no more than 500 words.\n";
        let c = from_text("", text);
        assert_eq!(c.title, "Crisis care: call for evidence");
        let got: Vec<(&str, &str, Option<usize>, Option<&str>)> = c
            .questions
            .iter()
            .map(|q| {
                (
                    q.id.as_str(),
                    q.text.as_str(),
                    q.word_limit,
                    q.chapter.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "Q1",
                    "What works well in crisis care today?",
                    None,
                    Some("Chapter 1: Getting help")
                ),
                (
                    "Q2",
                    "What stops people getting help early?",
                    Some(300),
                    Some("Chapter 1: Getting help")
                ),
                (
                    "Q3",
                    "How should services work with people who use drugs?",
                    Some(500),
                    Some("Chapter 2 – Services")
                ),
            ]
        );
    }
}
