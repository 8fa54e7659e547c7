//! The corpus: Markdown sources on disk, read into [`Source`]s split into [`Passage`]s, with
//! the [`Recommendation`]s found in reports and submissions.
//!
//! Reading never modifies a file. A file that cannot be read or understood becomes a
//! [`Problem`](crate::Problem) naming the file (and line), and the rest of the library loads.

mod frontmatter;
mod markdown;
mod sources;
mod walk;

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use frontmatter::{
    EditLines, FrontMatter, RecRef, RecommendationEdits, tag_slug, tag_slug_into,
};
pub use markdown::{id_slug, markdown_options, plain_text};
pub use sources::{SourceMap, source_map_path, write_source_map};
pub use walk::{CorpusFile, Visit, Walk, Walker, mtime_ns, walk};

use crate::Problem;

/// What sort of source a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Someone's own account of their experience.
    Testimony,
    /// A report or briefing.
    Report,
    /// A response to a consultation or call for evidence.
    Submission,
    /// Notes of a workshop, session or meeting.
    Notes,
    /// Anything else.
    Other,
}

impl Kind {
    /// All kinds, in the order they are listed to users.
    pub const ALL: [Kind; 5] = [
        Kind::Testimony,
        Kind::Report,
        Kind::Submission,
        Kind::Notes,
        Kind::Other,
    ];

    /// The lower-case name used in files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Testimony => "testimony",
            Kind::Report => "report",
            Kind::Submission => "submission",
            Kind::Notes => "notes",
            Kind::Other => "other",
        }
    }

    /// Read a kind as people write it: any case, singular or plural, common synonyms.
    pub fn parse(s: &str) -> Option<Kind> {
        let s = s.trim().to_lowercase();
        Some(match s.as_str() {
            "testimony" | "testimonies" | "story" | "stories" | "lived experience" => {
                Kind::Testimony
            }
            "report" | "reports" | "briefing" | "research" => Kind::Report,
            "submission" | "submissions" | "response" | "consultation response" => Kind::Submission,
            "notes" | "note" | "workshop notes" | "minutes" | "workshop" => Kind::Notes,
            "other" => Kind::Other,
            _ => return None,
        })
    }

    /// The kind implied by the top folder of a source's path, as in the demo layout.
    fn from_folder(rel: &str) -> Kind {
        let top = rel.split('/').next().unwrap_or_default();
        if rel.contains('/') {
            Kind::parse(top).unwrap_or(Kind::Other)
        } else {
            Kind::Other
        }
    }
}

/// Who may see a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sensitivity {
    /// Published or publishable.
    Public,
    /// Inside the organisation only.
    Internal,
    /// Officers only: never in a volunteer's view, a draft or an export.
    Restricted,
}

impl Sensitivity {
    /// The lower-case name used in files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Public => "public",
            Sensitivity::Internal => "internal",
            Sensitivity::Restricted => "restricted",
        }
    }

    /// Read a sensitivity in any case.
    pub fn parse(s: &str) -> Option<Sensitivity> {
        match s.trim().to_lowercase().as_str() {
            "public" => Some(Sensitivity::Public),
            "internal" => Some(Sensitivity::Internal),
            "restricted" => Some(Sensitivity::Restricted),
            _ => None,
        }
    }
}

/// A date as precise as its writer made it: a year, a month or a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PartialDate {
    /// Year.
    pub year: i16,
    /// Month 1–12, if given.
    pub month: Option<i8>,
    /// Day of the month, if given.
    pub day: Option<i8>,
}

impl PartialDate {
    /// Parse `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (a real calendar date).
    pub fn parse(s: &str) -> Option<PartialDate> {
        let s = s.trim();
        // TOML and YAML writers sometimes add a time; the day is what matters here.
        let s = s.split(['T', ' ']).next().unwrap_or(s);
        let parts: Vec<&str> = s.split('-').collect();
        let num = |p: &str, len: usize| {
            (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<i16>().ok())
                .flatten()
        };
        let year = num(parts.first()?, 4)?;
        let month = match parts.get(1) {
            Some(m) => Some(num(m, 2)? as i8),
            None => None,
        };
        let day = match parts.get(2) {
            Some(d) => Some(num(d, 2)? as i8),
            None => None,
        };
        if parts.len() > 3 {
            return None;
        }
        jiff::civil::Date::new(year, month.unwrap_or(1), day.unwrap_or(1)).ok()?;
        Some(PartialDate { year, month, day })
    }

    /// The first day the date covers, as the number `YYYYMMDD` (what the index stores).
    pub fn first_day(self) -> i64 {
        self.year as i64 * 10_000
            + self.month.unwrap_or(1) as i64 * 100
            + self.day.unwrap_or(1) as i64
    }

    /// The last day the date covers, as `YYYYMMDD`: `2024` runs to 20241231.
    pub fn last_day(self) -> i64 {
        let month = self.month.unwrap_or(12);
        let day = match self.day {
            Some(d) => d,
            None => jiff::civil::Date::new(self.year, month, 1)
                .map(|d| d.days_in_month())
                .unwrap_or(28),
        };
        self.year as i64 * 10_000 + month as i64 * 100 + day as i64
    }
}

/// The kind of block a passage was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockKind {
    /// A paragraph.
    Paragraph,
    /// An item of a bulleted or numbered list.
    ListItem,
    /// A paragraph inside a `>` block quote.
    BlockQuote,
    /// A table, one passage per table.
    Table,
    /// A fenced or indented code block.
    Code,
}

/// A paragraph, list item or similar block of a source: the unit of search results and of
/// provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Plain text as a reader sees it: no Markdown syntax, no hard line breaks.
    pub text: String,
    /// Byte range of `text` within the source's plain text.
    pub start: usize,
    /// End of the byte range within the source's plain text.
    pub end: usize,
    /// First line in the Markdown file, 1-based.
    pub line_start: usize,
    /// Last line in the Markdown file, 1-based, inclusive.
    pub line_end: usize,
    /// The headings above the passage, outermost first, joined with ` › `.
    pub section: String,
    /// What block it came from.
    pub block: BlockKind,
    /// Index into [`Source::recommendations`] when the passage is a recommendation.
    pub recommendation: Option<usize>,
    /// Page of a paged original (an imported PDF): the `<!-- page N -->` marker before
    /// the passage. `None` for sources without page markers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

/// A recommendation: an ask in a report or submission (an item of a list signalled as
/// asks, a sentence that asks someone to act), or one added by hand in front matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Stable id: `r-<source id>-<n>`, `n` counting the recommendations heard found in the
    /// source from 1 (an excluded one keeps its number, so the others never move), or
    /// `r-<source id>-a<k>` for the `k`th entry of the front matter's `add` list.
    pub id: String,
    /// 1-based position among the recommendations heard found; `0` for one added by hand.
    pub number: usize,
    /// Full text of the item, nested points included.
    pub text: String,
    /// The heading or lead-in sentence that introduced the list, or what the ask said.
    pub lead_in: String,
    /// Why it was taken, so that a person can check it and correct it.
    pub why: Why,
}

/// What made heard take something as a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Cue {
    /// An item of a list under a heading such as "Recommendations" or "We call for".
    Heading,
    /// An item of a list after a sentence such as "They should:".
    LeadIn,
    /// A sentence that asks someone to act: "We recommend that…", "The council should…".
    Prose,
    /// A numbered ask in the text: "Recommendation 4: …".
    Numbered,
    /// Added by hand in the source's front matter (`recommendations: { add: [...] }`).
    ByHand,
}

impl Cue {
    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Cue::Heading => "heading",
            Cue::LeadIn => "lead-in",
            Cue::Prose => "prose",
            Cue::Numbered => "numbered",
            Cue::ByHand => "by-hand",
        }
    }
}

/// Why a recommendation was taken: the cue, the words that triggered it and their line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Why {
    /// What sort of cue it was.
    pub cue: Cue,
    /// The words that triggered it: the heading, the lead-in sentence, the asking words
    /// of a sentence, or the text of the front matter entry.
    pub words: String,
    /// 1-based line of the cue in the file (for `by-hand`, the front matter line).
    pub line: usize,
}

impl Why {
    /// One line for people: `under the heading “Recommendations” (line 12)`.
    pub fn explain(&self) -> String {
        let words = &self.words;
        let line = self.line;
        match self.cue {
            Cue::Heading => format!("a list item under the heading “{words}” (line {line})"),
            Cue::LeadIn => format!("a list item after “{words}” (line {line})"),
            Cue::Prose => format!("an ask in the text: “{words}” (line {line})"),
            Cue::Numbered => format!("a numbered recommendation: “{words}” (line {line})"),
            Cue::ByHand => {
                format!(
                    "added by hand in the front matter (line {line}); remove it from `add` to undo"
                )
            }
        }
    }
}

/// A source read from the corpus.
#[derive(Debug, Clone)]
pub struct Source {
    /// Stable id (front matter `id`, else the path under the corpus without `.md`).
    pub id: String,
    /// Path relative to the library root, with `/` separators.
    pub path: String,
    /// Title (front matter, else first heading, else file name).
    pub title: String,
    /// Kind (front matter, else from the folder, else `other`).
    pub kind: Kind,
    /// Date as written, if any.
    pub date: Option<String>,
    /// Sensitivity (front matter, else the library default).
    pub sensitivity: Sensitivity,
    /// Front matter as written (with unknown fields kept).
    pub meta: FrontMatter,
    /// The body as plain text: passages separated by blank lines.
    pub text: String,
    /// Paragraphs, list items and other blocks, in order.
    pub passages: Vec<Passage>,
    /// Recommendations found in the source.
    pub recommendations: Vec<Recommendation>,
    /// Offset map from plain text to Markdown: `(plain byte offset, file line)` at the start
    /// of every piece of text, sorted by offset.
    pub line_map: Vec<(usize, usize)>,
    /// BLAKE3 hash of the file's bytes, hex.
    pub hash: String,
}

impl Source {
    /// The 1-based Markdown line that holds the plain-text byte `offset`.
    pub fn line_at(&self, offset: usize) -> usize {
        let i = self.line_map.partition_point(|&(o, _)| o <= offset);
        if i == 0 {
            self.line_map.first().map_or(1, |&(_, l)| l)
        } else {
            self.line_map[i - 1].1
        }
    }

    /// The page of the passage that holds Markdown line `line` (the last passage starting
    /// at or before it), for sources imported from paged originals.
    pub fn page_at_line(&self, line: usize) -> Option<u32> {
        let i = self.passages.partition_point(|p| p.line_start <= line);
        i.checked_sub(1).and_then(|i| self.passages[i].page)
    }

    /// The date, parsed.
    pub fn parsed_date(&self) -> Option<PartialDate> {
        self.date.as_deref().and_then(PartialDate::parse)
    }

    /// Recommendations are read from reports and submissions only: elsewhere (workshop
    /// notes, testimonies) a list after "we call for" is someone's words, not our asks.
    pub fn may_recommend(&self) -> bool {
        matches!(self.kind, Kind::Report | Kind::Submission)
    }
}

/// Settings that affect how a file is read.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Sensitivity of a source whose front matter does not say.
    pub default_sensitivity: Sensitivity,
    /// Files larger than this are skipped with a problem.
    pub max_bytes: u64,
}

/// The result of reading one file: the source if it could be used at all, and every
/// problem found (a source can load with problems, e.g. a bad date).
#[derive(Debug)]
pub struct Loaded {
    /// The source, unless the file was unusable.
    pub source: Option<Source>,
    /// Problems found, each naming the file.
    pub problems: Vec<Problem>,
}

/// Read one source from its bytes. `rel` is its path relative to the library root and
/// `id_default` the id it gets when its front matter has none.
pub fn load_bytes(bytes: &[u8], rel: &str, id_default: &str, opts: LoadOptions) -> Loaded {
    let fail = |p: Problem| Loaded {
        source: None,
        problems: vec![p],
    };
    if bytes.len() as u64 > opts.max_bytes {
        return fail(size_problem(rel, bytes.len() as u64, opts.max_bytes));
    }
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return fail(Problem::file(
            rel,
            "looks like a binary file, not Markdown text (it contains NUL bytes); rename it without `.md` or replace it with the text",
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return fail(Problem::at(
                rel,
                line,
                format!(
                    "not valid UTF-8 text (byte 0x{:02X}); re-save the file as UTF-8 (in Word or Notepad: Save As, Encoding: UTF-8)",
                    bytes[e.valid_up_to()]
                ),
            ));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Old Mac files end lines with `\r` alone; read them as lines, not as one long line.
    let text = &*frontmatter::normalise_line_endings(text);
    if text.trim().is_empty() {
        return fail(Problem::file(
            rel,
            "empty file: nothing to index; write the source's text in it or delete it",
        ));
    }
    let split = match frontmatter::split(text) {
        Ok(s) => s,
        Err(e) => return fail(Problem::at(rel, e.line, e.message)),
    };
    let mut problems = Vec::new();
    let meta = match split.front {
        Some((syntax, block)) => match frontmatter::parse(syntax, block, split.front_line) {
            Ok((fm, errors)) => {
                problems.extend(
                    errors
                        .into_iter()
                        .map(|e| Problem::at(rel, e.line, e.message)),
                );
                fm
            }
            Err(e) => return fail(Problem::at(rel, e.line, e.message)),
        },
        None => FrontMatter::default(),
    };
    let doc = markdown::parse(split.body, split.body_line_offset);
    if doc.passages.is_empty() && doc.first_heading.is_none() {
        problems.push(Problem::file(
            rel,
            "has front matter but no text; write the source's text below the front matter",
        ));
        return Loaded {
            source: None,
            problems,
        };
    }
    let id = meta.id.clone().unwrap_or_else(|| id_default.to_string());
    let corpus_rel = id_default;
    let title = meta
        .title
        .clone()
        .or(doc.first_heading.clone())
        .unwrap_or_else(|| title_from_file_name(corpus_rel));
    let kind = meta.kind.unwrap_or_else(|| Kind::from_folder(corpus_rel));
    let mut source = Source {
        id,
        path: rel.to_string(),
        title,
        kind,
        date: meta.date.clone(),
        sensitivity: meta.sensitivity.unwrap_or(opts.default_sensitivity),
        meta,
        text: doc.text,
        passages: doc.passages,
        recommendations: Vec::new(),
        line_map: doc.line_map,
        hash: blake3::hash(bytes).to_hex().to_string(),
    };
    if source.may_recommend() {
        let edits = markdown::mark_recommendations(&mut source, &doc.lists);
        problems.extend(
            edits
                .into_iter()
                .map(|(line, message)| Problem::at(rel, line, message)),
        );
    } else if let Some(edits) = &source.meta.recommendations {
        problems.push(Problem::at(
            rel,
            edits.lines.field,
            format!(
                "front matter field `recommendations`: recommendations are read from reports and submissions only, and this source is a {}; set `kind: report` or `kind: submission`, or remove the field",
                source.kind.as_str()
            ),
        ));
    }
    Loaded {
        source: Some(source),
        problems,
    }
}

fn title_from_file_name(id: &str) -> String {
    let stem = id.rsplit('/').next().unwrap_or(id);
    let words = stem.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => id.to_string(),
    }
}

/// The problem of a file too large to be one source.
pub fn size_problem(rel: &str, size: u64, max: u64) -> Problem {
    Problem::file(
        rel,
        format!(
            "{} is larger than the {} limit for one source; split it into smaller files or raise `max_source_bytes` in heard.toml",
            human_bytes(size),
            human_bytes(max)
        ),
    )
}

/// Sizes as people read them: `12.3 MB`.
pub fn human_bytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

/// Read a source file from disk (see [`load_bytes`]).
pub fn load_file(path: &Path, rel: &str, id_default: &str, opts: LoadOptions) -> Loaded {
    match std::fs::read(path) {
        Ok(bytes) => load_bytes(&bytes, rel, id_default, opts),
        Err(e) => Loaded {
            source: None,
            problems: vec![Problem::file(
                rel,
                format!(
                    "cannot be read: {e}; check that the file exists and that heard may read it"
                ),
            )],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dates() {
        assert_eq!(PartialDate::parse("2024").unwrap().last_day(), 20241231);
        assert_eq!(PartialDate::parse("2024-02").unwrap().last_day(), 20240229);
        assert_eq!(
            PartialDate::parse("2024-02-10").unwrap().first_day(),
            20240210
        );
        assert!(PartialDate::parse("2024-13-01").is_none());
        assert!(PartialDate::parse("2023-02-29").is_none());
        assert!(PartialDate::parse("12/06/2024").is_none());
    }
}
