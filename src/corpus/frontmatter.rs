//! Front matter: the metadata block at the top of a source, in YAML (between `---` lines)
//! or TOML (between `+++` lines).
//!
//! Parsing is lenient the way a person expects: `tags: housing` and `tags: [housing]` both
//! work, `organization` is read as `organisation`, and fields heard does not know are kept.
//! A syntax error makes the block unusable and is reported with its line in the file; a
//! bad value in one field is reported with that field's line and the field is ignored, so
//! the source still loads.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Kind, Sensitivity};

/// The metadata of a source, as written in its front matter. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct FrontMatter {
    /// Stable identifier of the source. Default: its path under the corpus folder without
    /// the `.md` extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Title. Default: the first heading, else the file name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What sort of source this is. Default: from the top folder (`testimonies/`,
    /// `reports/`, `submissions/`, `notes/`), else `other`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// Date of the source: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\d{4}(-\d{2}(-\d{2})?)?$"))]
    pub date: Option<String>,
    /// The organisation that wrote or holds it.
    #[serde(skip_serializing_if = "Option::is_none", alias = "organization")]
    pub organisation: Option<String>,
    /// Authors (staff, not lived-experience contributors).
    #[serde(skip_serializing_if = "Vec::is_empty", alias = "author")]
    pub authors: Vec<String>,
    /// Pseudonymous ids of the people whose words appear in it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contributors: Vec<String>,
    /// Themes, as tag slugs such as `housing` or `mental-health`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Public address of the source, if it is published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Who may see it. `restricted` sources are searchable by officers but never appear in
    /// a volunteer's view, a draft or an export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<Sensitivity>,
    /// For a submission: the consultation it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consultation: Option<String>,
    /// Corrections to the recommendations heard finds in a report or submission:
    /// `{ exclude: [3, "r-sub-x-4", "First words of an item"], add: ["An exact sentence"] }`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommendations: Option<RecommendationEdits>,
    /// Any other fields: kept as they are, never rejected.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Corrections by hand to a source's recommendations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct RecommendationEdits {
    /// Items heard took as recommendations that are not: each by its number (`3`), its id
    /// (`"r-sub-x-4"`) or the words it starts with. Excluding one never changes the ids of
    /// the others.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<RecRef>,
    /// Asks heard missed: a sentence or list item copied from the text. The `k`th entry
    /// gets the id `r-<source>-a<k>`, so add new entries at the end.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
    /// Where each entry is in the file, for messages.
    #[serde(skip)]
    #[schemars(skip)]
    pub lines: EditLines,
}

/// File lines of the `recommendations` field and of its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditLines {
    /// The line of the field.
    pub field: usize,
    /// The line of each `exclude` entry.
    pub exclude: Vec<usize>,
    /// The line of each `add` entry.
    pub add: Vec<usize>,
}

/// A recommendation named in `exclude`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RecRef {
    /// Its number among the source's recommendations, from 1.
    Number(u64),
    /// Its id, or the words it starts with.
    Text(String),
    /// An entry that could not be read (already reported).
    #[serde(skip)]
    Invalid,
}

/// Read `recommendations: { exclude: [...], add: [...] }`. Every entry that cannot be
/// used is reported with its line and left out; the others apply.
fn rec_edits(
    value: &Value,
    block: &str,
    first_line: usize,
    field_line: usize,
    errors: &mut Vec<FieldError>,
) -> Option<RecommendationEdits> {
    let err = |errors: &mut Vec<FieldError>, line: usize, message: String| {
        errors.push(FieldError {
            line,
            message: format!("front matter field `recommendations`: {message}"),
        })
    };
    let map = match value {
        Value::Null => return None,
        Value::Object(map) => map,
        other => {
            err(
                errors,
                field_line,
                format!(
                    "expected `exclude` and `add` lists, found {}; write it as `recommendations: {{ exclude: [3], add: [\"An exact sentence from the text\"] }}` (YAML) or `recommendations = {{ exclude = [3], add = [\"…\"] }}` (TOML)",
                    describe(other)
                ),
            );
            return None;
        }
    };
    let mut edits = RecommendationEdits {
        lines: EditLines {
            field: field_line,
            ..EditLines::default()
        },
        ..RecommendationEdits::default()
    };
    // Entries are looked for in the lines from the field onwards, in order.
    let lines: Vec<&str> = block.lines().collect();
    let from = field_line.saturating_sub(first_line);
    let find = |cursor: &mut usize, needle: &str, number: bool| -> usize {
        let hit = (*cursor..lines.len()).find(|&l| {
            let text = lines[l];
            if number {
                text.match_indices(needle).any(|(at, _)| {
                    let before = text[..at].chars().next_back();
                    let after = text[at + needle.len()..].chars().next();
                    !before.is_some_and(|c| c.is_alphanumeric() || c == '-')
                        && !after.is_some_and(|c| c.is_alphanumeric() || c == '-')
                })
            } else {
                text.contains(needle)
            }
        });
        match hit {
            Some(l) => {
                *cursor = l;
                first_line + l
            }
            None => field_line,
        }
    };
    let as_list = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    for (key, v) in map {
        match key.trim().to_lowercase().as_str() {
            "exclude" | "remove" | "not" => {
                let mut cursor = from;
                for item in as_list(v) {
                    let (entry, line) = match &item {
                        Value::Number(n) => match n.as_u64().filter(|&n| n > 0) {
                            Some(n) => (RecRef::Number(n), find(&mut cursor, &n.to_string(), true)),
                            None => {
                                let line = find(&mut cursor, &n.to_string(), true);
                                err(
                                    errors,
                                    line,
                                    format!(
                                        "`exclude: {n}` is not a recommendation number; numbers count from 1 (see `heard recs --explain`)"
                                    ),
                                );
                                (RecRef::Invalid, line)
                            }
                        },
                        Value::String(s)
                            if s.trim().chars().all(|c| c.is_ascii_digit())
                                && !s.trim().is_empty() =>
                        {
                            let n: u64 = s.trim().parse().unwrap_or(0);
                            (RecRef::Number(n), find(&mut cursor, s.trim(), true))
                        }
                        Value::String(s) if !s.trim().is_empty() => {
                            let needle: String = s.trim().chars().take(24).collect();
                            (
                                RecRef::Text(s.trim().to_string()),
                                find(&mut cursor, &needle, false),
                            )
                        }
                        other => {
                            err(
                                errors,
                                field_line,
                                format!(
                                    "an `exclude` entry is {}; give a number, an id or the first words of the item",
                                    describe(other)
                                ),
                            );
                            (RecRef::Invalid, field_line)
                        }
                    };
                    edits.exclude.push(entry);
                    edits.lines.exclude.push(line);
                }
            }
            "add" | "include" => {
                let mut cursor = from;
                for item in as_list(v) {
                    let (text, line) = match &item {
                        Value::String(s) if !s.trim().is_empty() => {
                            let needle: String = s.trim().chars().take(24).collect();
                            (s.trim().to_string(), find(&mut cursor, &needle, false))
                        }
                        other => {
                            err(
                                errors,
                                field_line,
                                format!(
                                    "an `add` entry is {}; copy the sentence from the text, in quotes",
                                    describe(other)
                                ),
                            );
                            (String::new(), field_line)
                        }
                    };
                    edits.add.push(text);
                    edits.lines.add.push(line);
                }
            }
            _ => err(
                errors,
                field_line,
                format!("`{key}` is not one of `exclude` and `add`; rename it to one of them"),
            ),
        }
    }
    Some(edits)
}

/// The syntax of a front matter block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Between `---` lines.
    Yaml,
    /// Between `+++` lines.
    Toml,
}

/// A front matter block split from the body of a file.
#[derive(Debug)]
pub struct Split<'a> {
    /// The front matter, if the file has one.
    pub front: Option<(Syntax, &'a str)>,
    /// 1-based line of the first line inside the block.
    pub front_line: usize,
    /// The Markdown body.
    pub body: &'a str,
    /// Number of lines before the body starts (to turn body lines into file lines).
    pub body_line_offset: usize,
}

/// An error that makes the front matter unusable, with its line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line in the file.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Split a file into front matter and body. Lines end with `\n` (a `\r` before it is
/// ignored; [`normalise_line_endings`] turns old Mac `\r` endings into `\n` first). Blank
/// lines, and byte order marks left by editors, may come before the opening fence: a
/// restricted source must not lose its front matter to an invisible character.
pub fn split(text: &str) -> Result<Split<'_>, SyntaxError> {
    let no_front = Split {
        front: None,
        front_line: 0,
        body: text,
        body_line_offset: 0,
    };
    fn fence_text(l: &str) -> &str {
        l.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
    }
    let line_end = |pos: usize| text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
    let (mut pos, mut line) = (0, 1);
    let (syntax, fence, fence_line) = loop {
        if pos >= text.len() {
            return Ok(no_front);
        }
        let end = line_end(pos);
        match fence_text(&text[pos..end]) {
            "---" => break (Syntax::Yaml, "---", line),
            "+++" => break (Syntax::Toml, "+++", line),
            "" => {
                pos = end;
                line += 1;
            }
            _ => return Ok(no_front),
        }
    };
    let first_end = line_end(pos);
    let mut pos = first_end;
    let mut line = fence_line + 1;
    while pos < text.len() {
        let end = line_end(pos);
        let l = fence_text(&text[pos..end]);
        if l == fence || (syntax == Syntax::Yaml && l == "...") {
            return Ok(Split {
                front: Some((syntax, &text[first_end..pos])),
                front_line: fence_line + 1,
                body: &text[end..],
                body_line_offset: line,
            });
        }
        pos = end;
        line += 1;
    }
    Err(SyntaxError {
        line: fence_line,
        message: format!(
            "front matter opened with `{fence}` on line {fence_line} is never closed; add a line with `{fence}` after the last field"
        ),
    })
}

/// Text with old Mac line endings (a lone `\r`) given `\n` endings instead, so that
/// lines are counted the way an editor shows them. Each `\r` becomes one `\n`, so byte
/// offsets do not move.
pub fn normalise_line_endings(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    if !(0..bytes.len()).any(lone_cr) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A field whose value could not be used; the rest of the front matter still applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// 1-based line in the file.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// The fields heard reads, with the other spellings it accepts for them.
const KNOWN_FIELDS: &[(&str, &str)] = &[
    ("id", "id"),
    ("title", "title"),
    ("kind", "kind"),
    ("date", "date"),
    ("organisation", "organisation"),
    ("organization", "organisation"),
    ("authors", "authors"),
    ("author", "authors"),
    ("contributors", "contributors"),
    ("tags", "tags"),
    ("url", "url"),
    ("sensitivity", "sensitivity"),
    ("consultation", "consultation"),
    ("recommendations", "recommendations"),
];

/// The field a key names: known names in any case, with their other spellings.
fn known_field(key: &str) -> Option<&'static str> {
    let lower = key.trim().to_lowercase();
    KNOWN_FIELDS
        .iter()
        .find(|(name, _)| *name == lower)
        .map(|(_, field)| *field)
}

/// The known field an unknown key was probably meant to be: at most two letters added,
/// dropped, changed or swapped (fewer than the known name's length), or the same letters
/// in another order.
pub fn near_miss(key: &str) -> Option<&'static str> {
    let lower: Vec<char> = key.trim().to_lowercase().chars().collect();
    if lower.len() > 40 {
        return None;
    }
    let mut sorted = lower.clone();
    sorted.sort_unstable();
    KNOWN_FIELDS
        .iter()
        .filter(|(name, _)| {
            let name: Vec<char> = name.chars().collect();
            let mut letters = name.clone();
            letters.sort_unstable();
            let d = edit_distance(&lower, &name);
            letters == sorted || (d <= 2 && d < name.len())
        })
        .min_by_key(|(name, _)| edit_distance(&lower, &name.chars().collect::<Vec<_>>()))
        .map(|(name, _)| *name)
}

/// Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// Parse a front matter block. `first_line` is the file line of the block's first line.
pub fn parse(
    syntax: Syntax,
    block: &str,
    first_line: usize,
) -> Result<(FrontMatter, Vec<FieldError>), SyntaxError> {
    parse_reading(syntax, block, first_line, true)
}

/// [`parse`]; `as_written_when_whole`: false to parse a YAML block for its types even when
/// no field needs them (to test that it makes no difference).
fn parse_reading(
    syntax: Syntax,
    block: &str,
    first_line: usize,
    as_written_when_whole: bool,
) -> Result<(FrontMatter, Vec<FieldError>), SyntaxError> {
    // `written`: every value is already as written (see below).
    let (value, raw, written) = match syntax {
        Syntax::Yaml => {
            let (raw, whole) = raw_yaml(block);
            // When every field is one heard reads as written, YAML's types would not be
            // used: the block is not parsed a second time for them.
            match as_written(&raw, whole && as_written_when_whole) {
                Some(map) => (Value::Object(map), raw, true),
                None => (parse_yaml(block, first_line)?, raw, false),
            }
        }
        Syntax::Toml => (parse_toml(block, first_line)?, BTreeMap::new(), false),
    };
    let map = match value {
        Value::Object(map) => map,
        Value::Null => serde_json::Map::new(),
        other => {
            return Err(SyntaxError {
                line: first_line,
                message: format!(
                    "front matter must be a set of `key: value` fields, not {}",
                    describe(&other)
                ),
            });
        }
    };
    let mut fm = FrontMatter::default();
    let mut errors = Vec::new();
    let mut sensitivity_misspelt = false;
    let line_of = |key: &str| field_line(block, key).map_or(first_line, |l| first_line + l);
    for (key, value) in map {
        let Some(field) = known_field(&key) else {
            if let Some(meant) = near_miss(&key) {
                let mut message = format!(
                    "front matter field `{key}` is not one heard knows; did you mean `{meant}`?"
                );
                if meant == "sensitivity" {
                    // A misspelt sensitivity must never make a source more visible.
                    sensitivity_misspelt = true;
                    message.push_str(
                        " Until it is spelt `sensitivity`, the source is treated as restricted",
                    );
                } else {
                    message.push_str(&format!(" Rename it to `{meant}` (or to a name further from it, if it is a field of your own)"));
                }
                errors.push(FieldError {
                    line: line_of(&key),
                    message,
                });
            }
            fm.extra.insert(key, value);
            continue;
        };
        if field == "recommendations" {
            let line = field_line(block, &key)
                .or_else(|| table_line(block, &key))
                .map_or(first_line, |l| first_line + l);
            fm.recommendations = rec_edits(&value, block, first_line, line, &mut errors);
            continue;
        }
        // Text fields are read as written: YAML would make `title: No` false and `0x1F` 31.
        let value = if written {
            value
        } else {
            raw.get(&key).and_then(Raw::as_text).unwrap_or(value)
        };
        let result: Result<(), String> = match field {
            "id" => scalar(&value).map(|v| fm.id = v),
            "title" => scalar(&value).map(|v| fm.title = v),
            "organisation" => scalar(&value).map(|v| fm.organisation = v),
            "url" => scalar(&value).map(|v| fm.url = v),
            "consultation" => scalar(&value).map(|v| fm.consultation = v),
            "authors" => list(&value).map(|v| fm.authors = v),
            "contributors" => list(&value).map(|v| fm.contributors = v),
            "tags" => list(&value).map(|v| fm.tags = v.iter().map(|t| tag_slug(t)).collect()),
            "date" => date(&value).map(|v| fm.date = v),
            "kind" => match scalar(&value) {
                Ok(Some(s)) => Kind::parse(&s).map(|k| fm.kind = Some(k)).ok_or_else(|| {
                    format!("`kind: {s}` is not one of testimony, report, submission, notes, other")
                }),
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            },
            "sensitivity" => match scalar(&value) {
                Ok(Some(s)) => Sensitivity::parse(&s)
                    .map(|v| fm.sensitivity = Some(v))
                    .ok_or_else(|| {
                        // Unknown sensitivity must never make a source more visible.
                        fm.sensitivity = Some(Sensitivity::Restricted);
                        format!(
                            "`sensitivity: {s}` is not one of public, internal, restricted; treating the source as restricted"
                        )
                    }),
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            },
            _ => unreachable!("every known field is handled"),
        };
        if let Err(message) = result {
            errors.push(FieldError {
                line: line_of(&key),
                message: format!("front matter field `{key}`: {message}"),
            });
        }
    }
    if sensitivity_misspelt {
        fm.sensitivity = Some(Sensitivity::Restricted);
    }
    errors.sort_by_key(|e| e.line);
    Ok((fm, errors))
}

/// Tags are compared as slugs: lower case, words joined by `-`, no leading `#`.
pub fn tag_slug(tag: &str) -> String {
    let mut out = String::new();
    tag_slug_into(tag, &mut out);
    out
}

/// [`tag_slug`] written into `out` (cleared first), so that a caller comparing many names
/// with one tag reuses one buffer.
pub fn tag_slug_into(tag: &str, out: &mut String) {
    out.clear();
    let t = tag.trim().trim_start_matches('#');
    let lower;
    let t = if t.is_ascii() {
        t
    } else {
        // `str::to_lowercase`, not char by char: a final sigma is lowered as one.
        lower = t.to_lowercase();
        lower.as_str()
    };
    for c in t.chars() {
        if c.is_whitespace() || c == '_' {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    let end = out.trim_end_matches('-').len();
    out.truncate(end);
    let start = out.len() - out.trim_start_matches('-').len();
    out.drain(..start);
}

fn parse_yaml(block: &str, first_line: usize) -> Result<Value, SyntaxError> {
    if block.trim().is_empty() {
        return Ok(Value::Null);
    }
    // YAML 1.1's `yes`/`no`/`on`/`off` are text, as in YAML 1.2; `.inf` and `.nan` are
    // not a reason to refuse the whole block.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
    };
    serde_saphyr::from_str_with_options::<Value>(block, options).map_err(|e| {
        let line = e.location().map_or(first_line, |l| first_line + l.line() as usize - 1);
        let text = e.to_string();
        let text = text.lines().next().unwrap_or_default();
        // The parser counts lines inside the block; the file's line is given separately.
        let text = YAML_PREFIX.replace(text, "").into_owned();
        SyntaxError {
            line,
            message: format!("front matter is not valid YAML: {text}. Check the quotes and `key: value` layout on this line"),
        }
    })
}

static YAML_PREFIX: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)^(?:error:\s*)?(?:at\s+)?line \d+,? column \d+:?\s*")
        .expect("yaml prefix regex")
});

fn parse_toml(block: &str, first_line: usize) -> Result<Value, SyntaxError> {
    match block.parse::<toml::Table>() {
        Ok(table) => Ok(toml_to_json(toml::Value::Table(table))),
        Err(e) => {
            let line = e.span().map_or(first_line, |s| {
                first_line + block[..s.start.min(block.len())].matches('\n').count()
            });
            Err(SyntaxError {
                line,
                message: format!(
                    "front matter is not valid TOML: {}. Strings need quotes: `title = \"…\"`",
                    e.message().trim_end_matches('.')
                ),
            })
        }
    }
}

/// A YAML value as written: scalars keep their text, whatever type YAML would give them.
#[derive(Debug)]
enum Raw {
    /// A scalar's text.
    Text(String),
    /// An empty plain scalar, `~` or `null`.
    Null,
    /// A list of scalars (or of other things).
    List(Vec<Raw>),
    /// A mapping, an alias or a deeper structure: read as YAML types it.
    Other,
}

impl Raw {
    fn scalar(text: &str, style: serde_saphyr::granit_parser::ScalarStyle) -> Raw {
        let plain = style == serde_saphyr::granit_parser::ScalarStyle::Plain;
        if plain && matches!(text, "" | "~" | "null" | "Null" | "NULL") {
            Raw::Null
        } else {
            Raw::Text(text.to_string())
        }
    }

    /// The value with its text as written, when it is text or a list of text.
    fn as_text(&self) -> Option<Value> {
        match self {
            Raw::Text(s) => Some(Value::String(s.clone())),
            Raw::Null => Some(Value::Null),
            Raw::List(items) => items
                .iter()
                .map(Raw::as_text)
                .collect::<Option<Vec<_>>>()
                .map(Value::Array),
            Raw::Other => None,
        }
    }
}

/// The fields of a block read whole by [`raw_yaml`], as written, when each is a field heard
/// knows and reads as text (not `recommendations`), and no two name the same field: then
/// the typed parse would give the same fields, read the same way.
fn as_written(raw: &BTreeMap<String, Raw>, whole: bool) -> Option<serde_json::Map<String, Value>> {
    if !whole {
        return None;
    }
    let mut fields = Vec::with_capacity(raw.len());
    let mut map = serde_json::Map::new();
    for (key, node) in raw {
        let field = known_field(key).filter(|f| *f != "recommendations")?;
        if fields.contains(&field) {
            return None;
        }
        fields.push(field);
        map.insert(key.clone(), node.as_text()?);
    }
    Some(map)
}

/// The top-level fields of a YAML block with their values as written. Anything it cannot
/// read is left out (the typed parse reports syntax errors); it never recurses, so no
/// nesting can exhaust the stack. The flag says the block was read whole: one mapping,
/// each key once and a scalar, each value a scalar or a list of scalars, no aliases.
fn raw_yaml(block: &str) -> (BTreeMap<String, Raw>, bool) {
    use serde_saphyr::granit_parser::{Event, Parser};
    let mut out = BTreeMap::new();
    let mut events = Vec::new();
    for e in Parser::new_from_str(block) {
        match e {
            Ok((event, _)) => events.push(event),
            Err(_) => return (out, false),
        }
    }
    // No aliases, anchors, tags or directives: what the typed parse might read otherwise.
    let mut whole = events.iter().all(|e| {
        matches!(
            e,
            Event::StreamStart
                | Event::StreamEnd
                | Event::DocumentStart(_, None)
                | Event::DocumentEnd
                | Event::MappingStart(_, 0, None)
                | Event::SequenceStart(_, 0, None)
                | Event::Scalar(_, _, 0, None)
                | Event::MappingEnd
                | Event::SequenceEnd
        )
    });
    // Step over one node (a scalar, or a whole list or mapping) starting at `i`.
    let skip = |i: &mut usize| {
        let mut depth = 0usize;
        while let Some(e) = events.get(*i) {
            *i += 1;
            match e {
                Event::SequenceStart(..) | Event::MappingStart(..) => depth += 1,
                Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth == 0 {
                return;
            }
        }
    };
    let Some(start) = events
        .iter()
        .position(|e| matches!(e, Event::MappingStart(..)))
    else {
        return (out, false);
    };
    if events[..start]
        .iter()
        .any(|e| matches!(e, Event::Scalar(..) | Event::SequenceStart(..)))
    {
        return (out, false);
    }
    let mut i = start + 1;
    loop {
        let key = match events.get(i) {
            Some(Event::Scalar(k, ..)) => {
                i += 1;
                k.to_string()
            }
            Some(Event::MappingEnd) => {
                // Nothing after the mapping but the ends of the document and the stream.
                whole &= events[i + 1..]
                    .iter()
                    .all(|e| matches!(e, Event::DocumentEnd | Event::StreamEnd));
                return (out, whole);
            }
            None => return (out, false),
            Some(_) => {
                // A key that is a list or a mapping: step over it and its value.
                whole = false;
                skip(&mut i);
                skip(&mut i);
                continue;
            }
        };
        let node = match events.get(i) {
            Some(Event::Scalar(v, style, ..)) => {
                i += 1;
                Raw::scalar(v, *style)
            }
            Some(Event::SequenceStart(..)) => {
                i += 1;
                let mut items = Vec::new();
                loop {
                    match events.get(i) {
                        Some(Event::SequenceEnd) => {
                            i += 1;
                            break;
                        }
                        Some(Event::Scalar(v, style, ..)) => {
                            items.push(Raw::scalar(v, *style));
                            i += 1;
                        }
                        Some(_) => {
                            whole = false;
                            items.push(Raw::Other);
                            skip(&mut i);
                        }
                        None => return (out, false),
                    }
                }
                Raw::List(items)
            }
            Some(_) => {
                whole = false;
                skip(&mut i);
                Raw::Other
            }
            None => return (out, false),
        };
        if out.insert(key, node).is_some() {
            whole = false;
        }
    }
}

fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        // Dates stay in the form they were written in, like every other date heard reads.
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// The 0-based line within `block` where `key` is set, if it can be found.
fn field_line(block: &str, key: &str) -> Option<usize> {
    block.lines().position(|l| {
        let l = l.trim_start().trim_start_matches(['"', '\'']);
        l.strip_prefix(key).is_some_and(|rest| {
            let rest = rest.trim_start_matches(['"', '\'']).trim_start();
            rest.starts_with(':') || rest.starts_with('=')
        })
    })
}

/// The 0-based line within a TOML `block` of the table header `[key]`, if any.
fn table_line(block: &str, key: &str) -> Option<usize> {
    block.lines().position(|l| {
        l.trim()
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .is_some_and(|k| k.trim().trim_matches(['"', '\'']) == key)
    })
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a set of fields",
    }
}

fn scalar(v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_string())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(format!("expected text, found {}", describe(other))),
    }
}

fn list(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        // `tags: housing, health` is a common way of writing a short list.
        Value::String(s) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()),
        Value::Array(items) => items
            .iter()
            .filter_map(|i| match scalar(i) {
                Ok(Some(s)) => Some(Ok(s)),
                Ok(None) => None,
                Err(_) => Some(Err(format!(
                    "expected a list of text items, but one item is {}",
                    describe(i)
                ))),
            })
            .collect(),
        other => Err(format!(
            "expected a list such as [a, b], found {}",
            describe(other)
        )),
    }
}

fn date(v: &Value) -> Result<Option<String>, String> {
    let Some(s) = scalar(v)? else {
        return Ok(None);
    };
    match crate::corpus::PartialDate::parse(&s) {
        Some(_) => Ok(Some(s)),
        None => Err(format!(
            "`{s}` is not a date; write it as YYYY-MM-DD (or YYYY-MM, or YYYY)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(yaml: &str, toml: &str) -> [(FrontMatter, Vec<FieldError>); 2] {
        let y = parse(Syntax::Yaml, yaml, 2).expect("yaml");
        let t = parse(Syntax::Toml, toml, 2).expect("toml");
        [y, t]
    }

    #[test]
    fn yaml_and_toml_read_the_same_fields() {
        for (fm, errors) in both(
            "title: A report\nkind: Report\ndate: 2024-06-12\ntags: [Housing, mental health]\nextra_field: 3\n",
            "title = \"A report\"\nkind = \"Report\"\ndate = 2024-06-12\ntags = [\"Housing\", \"mental health\"]\nextra_field = 3\n",
        ) {
            assert!(errors.is_empty(), "{errors:?}");
            assert_eq!(fm.title.as_deref(), Some("A report"));
            assert_eq!(fm.kind, Some(Kind::Report));
            assert_eq!(fm.date.as_deref(), Some("2024-06-12"));
            assert_eq!(fm.tags, vec!["housing", "mental-health"]);
            assert_eq!(fm.extra.get("extra_field"), Some(&Value::from(3)));
        }
    }

    #[test]
    fn a_bad_field_names_its_line_and_keeps_the_rest() {
        for (fm, errors) in both(
            "title: T\ndate: 12/06/2024\n",
            "title = \"T\"\ndate = \"12/06/2024\"\n",
        ) {
            assert_eq!(fm.title.as_deref(), Some("T"));
            assert_eq!(fm.date, None);
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].line, 3);
            assert!(
                errors[0].message.contains("YYYY-MM-DD"),
                "{}",
                errors[0].message
            );
        }
    }

    #[test]
    fn unclosed_front_matter_is_a_syntax_error_on_line_1() {
        let err = split("---\ntitle: x\n\nbody\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("never closed"));
    }

    #[test]
    fn syntax_errors_point_into_the_file() {
        let err = parse(Syntax::Yaml, "title: ok\ntags: [a, b\n", 2).unwrap_err();
        assert!(err.line >= 3, "{err:?}");
        let err = parse(Syntax::Toml, "title = \"ok\"\ntags = [a]\n", 2).unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
    }

    #[test]
    fn yaml_infinity_and_nan_are_text_not_a_broken_block() {
        let (fm, errors) = parse(Syntax::Yaml, "title: .inf\nid: .NaN\n", 2).expect("parses");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(fm.title.as_deref(), Some(".inf"));
        assert_eq!(fm.id.as_deref(), Some(".NaN"));
    }

    #[test]
    fn near_misses_of_known_fields_and_what_is_left_alone() {
        for (key, meant) in [
            ("sensitivty", "sensitivity"),
            ("Sensitvity", "sensitivity"),
            ("titel", "title"),
            ("tag", "tags"),
            ("contibutors", "contributors"),
            ("dtae", "date"),
            ("kidn", "kind"),
        ] {
            assert_eq!(near_miss(key), Some(meant), "{key}");
        }
        for key in [
            "summary", "xy", "status", "location", "layout", "slug", "year",
        ] {
            assert_eq!(near_miss(key), None, "{key}");
        }
    }

    #[test]
    fn the_fence_may_follow_blank_lines_and_a_byte_order_mark() {
        let s = split("\n \n\u{feff}---\ntitle: x\n---\nbody\n").unwrap();
        assert_eq!(s.front, Some((Syntax::Yaml, "title: x\n")));
        assert_eq!(s.front_line, 4);
        assert_eq!(s.body, "body\n");
        assert_eq!(s.body_line_offset, 5);
        let text = "+++\rtitle = \"x\"\r+++\rbody\r\n";
        let normal = normalise_line_endings(text);
        assert_eq!(normal, "+++\ntitle = \"x\"\n+++\nbody\r\n");
        assert_eq!(normal.len(), text.len());
        let s = split(&normal).unwrap();
        assert_eq!(s.front, Some((Syntax::Toml, "title = \"x\"\n")));
    }

    #[test]
    fn recommendation_edits_read_the_same_in_yaml_and_toml_with_each_entry_s_line() {
        for (fm, errors) in both(
            "title: T\nrecommendations:\n  exclude:\n    - 3\n    - \"r-x-4\"\n  add:\n    - \"We urge the council.\"\n",
            "title = \"T\"\n[recommendations]\nexclude = [\n  3,\n  \"r-x-4\",\n]\nadd = [\"We urge the council.\"]\n",
        ) {
            assert!(errors.is_empty(), "{errors:?}");
            let e = fm.recommendations.expect("edits");
            assert_eq!(
                e.exclude,
                vec![RecRef::Number(3), RecRef::Text("r-x-4".into())]
            );
            assert_eq!(e.add, vec!["We urge the council."]);
            assert_eq!(e.lines.field, 3);
            assert_eq!(e.lines.exclude, vec![5, 6]);
        }
    }

    #[test]
    fn a_plain_list_of_recommendations_is_an_error_that_shows_the_form() {
        for (fm, errors) in both(
            "title: T\nrecommendations: [\"Fund beds.\"]\n",
            "title = \"T\"\nrecommendations = [\"Fund beds.\"]\n",
        ) {
            assert_eq!(fm.title.as_deref(), Some("T"));
            assert!(fm.recommendations.is_none());
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].line, 3);
            assert!(
                errors[0].message.contains("exclude: [3]"),
                "{}",
                errors[0].message
            );
        }
    }

    /// `tag_slug` as it was written first: lower-cased as a whole, then joined and trimmed.
    fn tag_slug_as_first_written(tag: &str) -> String {
        let t = tag.trim().trim_start_matches('#').to_lowercase();
        let mut out = String::new();
        for c in t.chars() {
            if c.is_whitespace() || c == '_' {
                if !out.ends_with('-') {
                    out.push('-');
                }
            } else {
                out.push(c);
            }
        }
        out.trim_matches('-').to_string()
    }

    #[test]
    fn tags_become_slugs() {
        for (tag, slug) in [
            ("  #Hospital Discharge ", "hospital-discharge"),
            ("rough__sleeping", "rough-sleeping"),
            ("- a - b -", "a--b"),
            ("ΟΔΟΣ", "οδος"),
            ("", ""),
        ] {
            assert_eq!(tag_slug(tag), slug, "{tag:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn a_slug_is_the_same_written_into_a_buffer(tag in "[ #_\\-aZ1ΣσΟé\t]{0,12}") {
            let mut buf = String::from("left over");
            tag_slug_into(&tag, &mut buf);
            proptest::prop_assert_eq!(&buf, &tag_slug_as_first_written(&tag));
            proptest::prop_assert_eq!(tag_slug(&tag), tag_slug_as_first_written(&tag));
        }
    }

    const KEYS: &[&str] = &[
        "title",
        "Title",
        "id",
        "date",
        "tags",
        "authors",
        "contributors",
        "kind",
        "sensitivity",
        "organisation",
        "url",
        "consultation",
        "recommendations",
        "colour",
        "sensitivty",
        "\"title\"",
    ];
    const VALUES: &[&str] = &[
        "No",
        "yes",
        "0x1F",
        "'quoted'",
        "\"dq\"",
        "[a, b]",
        "\n  - x\n  - 3",
        "~",
        "",
        ".inf",
        "2024-03-01",
        "&a v",
        "*a",
        "!!int 3",
        "!!str 4",
        "{a: 1}",
        "housing, health",
        "testimony",
        "restricted",
        "publc",
        "[1, [2]]",
        "|\n  two\n  lines",
        "\n  - {a: b}",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]
        /// A block read as written gives what the typed parse gives: the same fields, the
        /// same errors on the same lines, the same syntax error.
        #[test]
        fn a_block_read_as_written_reads_as_the_typed_parse_does(
            fields in proptest::collection::vec(
                (proptest::sample::select(KEYS), proptest::sample::select(VALUES)),
                0..6,
            ),
            tail in proptest::sample::select(&["", "\n", "\n# a comment\n", "\n---\nid: x\n"][..]),
        ) {
            let mut block = String::new();
            for (k, v) in &fields {
                block.push_str(&format!("{k}: {v}\n"));
            }
            block.push_str(tail);
            let fast = parse_reading(Syntax::Yaml, &block, 2, true);
            let typed = parse_reading(Syntax::Yaml, &block, 2, false);
            proptest::prop_assert_eq!(format!("{fast:?}"), format!("{typed:?}"), "{}", block);
        }
    }

    #[test]
    fn a_plain_block_is_read_as_written_and_others_are_parsed_for_their_types() {
        let whole = |b: &str| as_written(&raw_yaml(b).0, raw_yaml(b).1).is_some();
        assert!(whole("title: No\ntags: [a, b]\ndate: 2024-03\n"));
        assert!(
            !whole("title: x\ncolour: red\n"),
            "a field heard does not know"
        );
        assert!(!whole("title: x\nrecommendations:\n  - id: r1\n"));
        assert!(!whole("title: x\nTitle: y\n"), "two keys for one field");
        assert!(!whole("title: &a x\nid: *a\n"));
        assert!(!whole("title: !!int 3\n"));
        assert!(!whole("title: x\n---\nid: y\n"));
    }
}
