//! `heard export-project --to qdpx`: the library as a REFI-QDA project.
//!
//! What goes in, and what never does:
//! - sources marked public (and internal ones with `--include internal`); restricted
//!   sources never. Each as UTF-8 plain text (LF, no byte-order mark): the text heard
//!   anchors quotes in, so a selection's positions are the quote's own;
//! - the source's front matter as variables (id, title, kind, date, organisation, authors,
//!   url, sensitivity, consultation) and its tags as codings of the whole source;
//! - the taxonomy as the codebook: each theme a code, the tags written as its synonyms its
//!   children, tags outside the taxonomy codes of their own;
//! - each quote whose consent covers the project's use (external, or internal with
//!   `--include internal`) as a coded selection, with its consent and history as a note;
//!   quotes not yet consented to are not selections (their words stay in the source, as
//!   the source's sensitivity allows); the words of quotes withdrawn, declined or approved
//!   only for a narrower use are cut out of the source's text, leaving a marker and a
//!   note that says only that a quote was left out;
//! - contributors as cases, by their pseudonymous id and the credit they chose; never a
//!   contact detail or the team's notes about them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use anyhow::{Context, bail};

use super::{NAMESPACE, ORIGIN, guid};
use crate::Library;
use crate::consent::{Refusal, quote_may_leave};
use crate::corpus::{Sensitivity, Source};
use crate::quotes::{AnchorState, Quote, QuoteBook, Scope, Sources, anchor};

/// What the person asked for.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Include sources marked internal: the project stays inside the organisation, so
    /// quotes are judged for internal use.
    pub include_internal: bool,
    /// Include testimonies and notes in full; without it a source of people's own words
    /// holds only the quotes its speakers consented to, one paragraph each.
    pub include_peoples_words: bool,
    /// Today, `YYYY-MM-DD`, for consent that expires.
    pub today: String,
}

/// The marker left in a source's text where the words of a quote that may not leave were.
pub const LEFT_OUT: &str = "[words left out: no consent to share them]";

/// A written project and what it holds.
#[derive(Debug)]
pub struct Exported {
    /// The `.qdpx` file's bytes.
    pub bytes: Vec<u8>,
    /// Sources in the project.
    pub sources: usize,
    /// Quotes in it as coded selections.
    pub quotes: usize,
    /// Codes in the codebook.
    pub codes: usize,
    /// Contributors as cases.
    pub cases: usize,
    /// What was left out and why, one line each (counts, never words).
    pub left_out: Vec<String>,
}

/// One source as it goes into the project.
struct OutSource {
    source: Source,
    /// The text written to `sources/`, with the words of refused quotes cut out.
    text: String,
    /// Selections: quote, start and end in code points.
    selections: Vec<(Quote, usize, usize)>,
    /// Notes about quotes left out of this source.
    notes: Vec<String>,
}

/// Build the project. The index must be fresh (source ids resolve through it).
pub fn export(lib: &Library, opts: &ExportOptions) -> anyhow::Result<Exported> {
    let book = QuoteBook::load(lib)?;
    if let Some(e) = book.untrusted() {
        return Err(e.context(
            "nothing is exported while the consent ledger is damaged, because nobody's consent can be vouched for",
        ));
    }
    let taxonomy = crate::taxonomy::load(lib)?;
    let people = crate::contributors::load(lib)?;
    let scope = if opts.include_internal {
        Scope::Internal
    } else {
        Scope::External
    };
    let mut sources = Sources::new(lib)?;
    let mut ids: Vec<String> = sources.ids().cloned().collect();
    ids.sort();
    let mut left = Tally::default();
    let mut out: Vec<OutSource> = Vec::new();
    for id in &ids {
        let Some(source) = sources.get(id).cloned() else {
            left.unreadable += 1;
            continue;
        };
        match source.sensitivity {
            Sensitivity::Restricted => {
                left.restricted += 1;
                continue;
            }
            Sensitivity::Internal if !opts.include_internal => {
                left.internal += 1;
                continue;
            }
            _ => {}
        }
        let whole = opts.include_peoples_words || !crate::consent::holds_peoples_words(&source);
        let prepared = prepare(source, &book, scope, &opts.today, whole, &mut left);
        // An account with no quote its speaker let go has nothing to share.
        if whole || !prepared.selections.is_empty() {
            out.push(prepared);
        }
    }
    let xml = project_xml(lib, &out, &taxonomy, &people);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("project.qde", options)?;
    zip.write_all(xml.text.as_bytes())?;
    for s in &out {
        zip.start_file(
            format!("sources/{}.txt", guid(&format!("source:{}", s.source.id))),
            options,
        )?;
        zip.write_all(s.text.as_bytes())?;
    }
    let bytes = zip
        .finish()
        .context("failed to write the project's zip")?
        .into_inner();
    Ok(Exported {
        bytes,
        sources: out.len(),
        quotes: out.iter().map(|s| s.selections.len()).sum(),
        codes: xml.codes,
        cases: xml.cases,
        left_out: left.lines(opts.include_internal),
    })
}

/// What was left out, counted.
#[derive(Default)]
struct Tally {
    restricted: usize,
    internal: usize,
    unreadable: usize,
    /// Quotes whose words were cut out of their source.
    cut: usize,
    /// Quotes not yet consented to (not selections; their words stay in the source).
    waiting: usize,
    /// Quotes no longer found word for word in their source.
    unanchored: usize,
    /// Consented quotes overlapping words that were cut out.
    overlapping: usize,
    /// Testimonies and notes exported as their consented quotes only.
    accounts: usize,
}

impl Tally {
    fn lines(&self, internal: bool) -> Vec<String> {
        let mut v = Vec::new();
        let n =
            |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
        if self.restricted > 0 {
            v.push(format!(
                "{}: restricted sources never leave heard",
                n(self.restricted, "restricted source", "restricted sources")
            ));
        }
        if self.internal > 0 && !internal {
            v.push(format!(
                "{}: add `--include internal` if the project stays inside the organisation",
                n(self.internal, "internal source", "internal sources")
            ));
        }
        if self.accounts > 0 {
            v.push(format!(
                "{} of people's own words: only their consented quotes go in (add `--include peoples-words` if the partner's agreement covers whole accounts)",
                n(self.accounts, "testimony or notes source", "testimonies and notes sources")
            ));
        }
        if self.unreadable > 0 {
            v.push(format!(
                "{} that cannot be read: `heard index` says why",
                n(self.unreadable, "source", "sources")
            ));
        }
        if self.cut > 0 {
            v.push(format!(
                "{} withdrawn, declined or approved only for a narrower use: their words are cut out of the sources' text",
                n(self.cut, "quote", "quotes")
            ));
        }
        if self.waiting > 0 {
            v.push(format!(
                "{} without consent for this use yet (pending, expired or no speaker): not exported as selections",
                n(self.waiting, "quote", "quotes")
            ));
        }
        if self.unanchored > 0 {
            v.push(format!(
                "{} whose words changed in the source (`heard quotes --anchor drifted`, `--anchor orphaned`)",
                n(self.unanchored, "quote", "quotes")
            ));
        }
        if self.overlapping > 0 {
            v.push(format!(
                "{} overlapping words that were cut out",
                n(self.overlapping, "consented quote", "consented quotes")
            ));
        }
        v
    }
}

/// Decide each quote of `source`: a selection, words cut out, or neither.
fn prepare(
    source: Source,
    book: &QuoteBook,
    scope: Scope,
    today: &str,
    whole: bool,
    left: &mut Tally,
) -> OutSource {
    let mut keep: Vec<(Quote, usize, usize)> = Vec::new();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut notes = Vec::new();
    let mut quotes: Vec<&Quote> = book.of_source(&source.id).collect();
    quotes.sort_by(|a, b| (a.anchor.start, &a.id).cmp(&(b.anchor.start, &b.id)));
    for q in quotes {
        let resolved = anchor::resolve(&q.anchor, &source.text);
        let range = resolved.range.filter(|_| resolved.state.is_valid());
        match quote_may_leave(q, Some(&source), scope, today) {
            Ok(()) => match range {
                Some((s, e)) => keep.push((q.clone(), s, e)),
                None => left.unanchored += 1,
            },
            Err(
                r @ (Refusal::Withdrawn(_)
                | Refusal::Declined
                | Refusal::Unknown
                | Refusal::Narrower { .. }
                | Refusal::Restricted),
            ) => {
                // Words someone said no to leave nowhere, even inside the source's text. A
                // quote no longer found cannot be cut; its old words are gone from the text.
                if let Some((s, e)) = resolved
                    .range
                    .filter(|_| resolved.state != AnchorState::Orphaned)
                {
                    cuts.push((s, e));
                }
                left.cut += 1;
                notes.push(match r {
                    Refusal::Withdrawn(Some(day)) => format!(
                        "A quote of this source was withdrawn by its speaker on {day}; its words are left out of this project."
                    ),
                    Refusal::Withdrawn(None) => "A quote of this source was withdrawn by its speaker; its words are left out of this project.".to_string(),
                    Refusal::Declined => "A quote of this source was declined by its speaker; its words are left out of this project.".to_string(),
                    Refusal::Narrower { .. } => "A quote of this source is approved only for use inside the organisation; its words are left out of this project.".to_string(),
                    _ => "A quote of this source may not be shared; its words are left out of this project.".to_string(),
                });
            }
            Err(_) => left.waiting += 1,
        }
    }
    // Merge overlapping cuts, then drop consented quotes that overlap one.
    cuts.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in cuts {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let before = keep.len();
    keep.retain(|(_, s, e)| !merged.iter().any(|&(cs, ce)| *s < ce && cs < *e));
    left.overlapping += before - keep.len();
    if !whole {
        // People's own words leave only as the quotes they consented to: the source's text
        // in the project is those quotes, one paragraph each, and nothing around them.
        left.accounts += 1;
        let mut text = String::new();
        let mut selections = Vec::new();
        for (q, s, e) in keep {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            let start = text.chars().count();
            text.push_str(&source.text[s..e]);
            selections.push((q, start, text.chars().count()));
        }
        text.push('\n');
        return OutSource {
            source,
            text,
            selections,
            notes,
        };
    }
    let mut text = String::with_capacity(source.text.len());
    let mut at = 0;
    for &(s, e) in &merged {
        text.push_str(&source.text[at..s]);
        text.push_str(LEFT_OUT);
        at = e;
    }
    text.push_str(&source.text[at..]);
    // A byte offset of the source's text, in the cut text.
    let moved = |old: usize| -> usize {
        let mut new = old;
        for &(s, e) in &merged {
            if e <= old {
                new = new - (e - s) + LEFT_OUT.len();
            }
        }
        new
    };
    let selections = keep
        .into_iter()
        .map(|(q, s, e)| {
            let (s, e) = (moved(s), moved(e));
            let start = text[..s].chars().count();
            let end = start + text[s..e].chars().count();
            (q, start, end)
        })
        .collect();
    OutSource {
        source,
        text,
        selections,
        notes,
    }
}

/// Text for XML: without the control characters XML 1.0 cannot hold, then escaped as for
/// HTML (the same five characters; `&#39;` is an apostrophe in XML too).
fn esc(s: &str) -> String {
    let allowed: String = s
        .chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r')
                || !((c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}')
        })
        .collect();
    crate::export::html::escape_html(&allowed)
}

/// The XML and what it counted.
struct Xml {
    text: String,
    codes: usize,
    cases: usize,
}

/// The source variables, in order: name in the project, and how to read it from a source.
const VARIABLES: [&str; 9] = [
    "id",
    "title",
    "kind",
    "date",
    "organisation",
    "authors",
    "url",
    "sensitivity",
    "consultation",
];

fn variable_value(s: &Source, name: &str) -> Option<String> {
    let m = &s.meta;
    match name {
        "id" => Some(s.id.clone()),
        "title" => Some(s.title.clone()),
        "kind" => Some(s.kind.as_str().to_string()),
        "date" => s.date.clone(),
        "organisation" => m.organisation.clone(),
        "authors" => (!m.authors.is_empty()).then(|| m.authors.join("; ")),
        "url" => m.url.clone(),
        "sensitivity" => Some(s.sensitivity.as_str().to_string()),
        "consultation" => m.consultation.clone(),
        _ => None,
    }
}

fn code_guid(tag: &str) -> String {
    guid(&format!("code:{tag}"))
}

fn project_xml(
    lib: &Library,
    out: &[OutSource],
    taxonomy: &crate::taxonomy::Taxonomy,
    people: &crate::contributors::ContributorsFile,
) -> Xml {
    let mut x = String::new();
    let now = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let name = if lib.config.name.trim().is_empty() {
        "heard library".to_string()
    } else {
        lib.config.name.clone()
    };
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str(&format!(
        "<Project xmlns=\"{NAMESPACE}\" name=\"{}\" origin=\"{ORIGIN} {}\" creationDateTime=\"{now}\">\n",
        esc(&name),
        env!("CARGO_PKG_VERSION")
    ));

    // Codebook: themes, the tags written as their synonyms under them, other tags alone.
    let mut used: BTreeSet<String> = BTreeSet::new();
    for s in out {
        used.extend(
            s.source
                .meta
                .tags
                .iter()
                .map(|t| crate::corpus::tag_slug(t)),
        );
        for (q, _, _) in &s.selections {
            used.extend(q.tags.iter().cloned());
        }
    }
    used.retain(|t| !t.is_empty());
    let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut loose = Vec::new();
    for t in &used {
        match taxonomy.theme_of(t) {
            Some(theme) if theme.id == *t => {}
            Some(theme) => children
                .entry(theme.id.clone())
                .or_default()
                .push(t.clone()),
            None => loose.push(t.clone()),
        }
    }
    let mut codes = 0;
    let mut book = String::new();
    for theme in &taxonomy.themes {
        codes += 1;
        let label = if theme.label.trim().is_empty() {
            &theme.id
        } else {
            &theme.label
        };
        let mut desc = String::new();
        if !theme.description.trim().is_empty() {
            desc.push_str(theme.description.trim());
            desc.push_str("\n\n");
        }
        if !theme.synonyms.is_empty() {
            desc.push_str(&format!("Synonyms: {}\n", theme.synonyms.join("; ")));
        }
        desc.push_str(&format!("heard tag: {}", theme.id));
        book.push_str(&format!(
            "      <Code guid=\"{}\" name=\"{}\" isCodable=\"true\">\n        <Description>{}</Description>\n",
            code_guid(&theme.id),
            esc(label),
            esc(&desc)
        ));
        for child in children.get(&theme.id).into_iter().flatten() {
            codes += 1;
            book.push_str(&format!(
                "        <Code guid=\"{}\" name=\"{}\" isCodable=\"true\">\n          <Description>heard tag: {}</Description>\n        </Code>\n",
                code_guid(child),
                esc(child),
                esc(child)
            ));
        }
        book.push_str("      </Code>\n");
    }
    for t in &loose {
        codes += 1;
        book.push_str(&format!(
            "      <Code guid=\"{}\" name=\"{}\" isCodable=\"true\">\n        <Description>heard tag: {}</Description>\n      </Code>\n",
            code_guid(t),
            esc(t),
            esc(t)
        ));
    }
    if codes > 0 {
        x.push_str("  <CodeBook>\n    <Codes>\n");
        x.push_str(&book);
        x.push_str("    </Codes>\n  </CodeBook>\n");
    }

    x.push_str("  <Variables>\n");
    for v in VARIABLES {
        x.push_str(&format!(
            "    <Variable guid=\"{}\" name=\"{v}\" typeOfVariable=\"Text\"/>\n",
            guid(&format!("variable:{v}"))
        ));
    }
    x.push_str("  </Variables>\n");

    // Cases: contributors by pseudonymous id and chosen credit, with their sources and
    // exported quotes. Contact details and the team's notes stay in the library.
    let mut cases: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for s in out {
        for c in &s.source.meta.contributors {
            cases
                .entry(c.clone())
                .or_default()
                .0
                .push(guid(&format!("source:{}", s.source.id)));
        }
        for (q, _, _) in &s.selections {
            if let Some(sp) = &q.speaker {
                cases
                    .entry(sp.clone())
                    .or_default()
                    .1
                    .push(guid(&format!("quote:{}", q.id)));
            }
        }
    }
    if !cases.is_empty() {
        x.push_str("  <Cases>\n");
        for (id, (srcs, sels)) in &cases {
            let credit = people.get(id).map_or_else(
                || crate::contributors::ANONYMOUS_CREDIT.to_string(),
                |c| c.attribution(),
            );
            x.push_str(&format!(
                "    <Case guid=\"{}\" name=\"{}\">\n      <Description>Contributor {}, credited as: {}</Description>\n",
                guid(&format!("case:{id}")),
                esc(id),
                esc(id),
                esc(&credit)
            ));
            for g in srcs {
                x.push_str(&format!("      <SourceRef targetGUID=\"{g}\"/>\n"));
            }
            for g in sels {
                x.push_str(&format!("      <SelectionRef targetGUID=\"{g}\"/>\n"));
            }
            x.push_str("    </Case>\n");
        }
        x.push_str("  </Cases>\n");
    }

    let mut notes = String::new();
    if !out.is_empty() {
        x.push_str("  <Sources>\n");
    }
    for s in out {
        let src = &s.source;
        let sg = guid(&format!("source:{}", src.id));
        x.push_str(&format!(
            "    <TextSource guid=\"{sg}\" name=\"{}\" plainTextPath=\"internal://{sg}.txt\">\n",
            esc(&src.title)
        ));
        for (q, start, end) in &s.selections {
            let qg = guid(&format!("quote:{}", q.id));
            let ng = guid(&format!("note:{}", q.id));
            x.push_str(&format!(
                "      <PlainTextSelection guid=\"{qg}\" name=\"{}\" startPosition=\"{start}\" endPosition=\"{end}\">\n",
                esc(&q.id)
            ));
            for t in &q.tags {
                x.push_str(&format!(
                    "        <Coding guid=\"{}\">\n          <CodeRef targetGUID=\"{}\"/>\n        </Coding>\n",
                    guid(&format!("coding:{}:{t}", q.id)),
                    code_guid(t)
                ));
            }
            x.push_str(&format!("        <NoteRef targetGUID=\"{ng}\"/>\n"));
            x.push_str("      </PlainTextSelection>\n");
            notes.push_str(&format!(
                "    <Note guid=\"{ng}\" name=\"Consent of {}\">\n      <PlainTextContent>{}</PlainTextContent>\n    </Note>\n",
                esc(&q.id),
                esc(&consent_note(q))
            ));
        }
        let mut tags: Vec<String> = src
            .meta
            .tags
            .iter()
            .map(|t| crate::corpus::tag_slug(t))
            .filter(|t| !t.is_empty())
            .collect();
        tags.dedup();
        for t in &tags {
            x.push_str(&format!(
                "      <Coding guid=\"{}\">\n        <CodeRef targetGUID=\"{}\"/>\n      </Coding>\n",
                guid(&format!("coding:{}:{t}", src.id)),
                code_guid(t)
            ));
        }
        if !s.notes.is_empty() {
            let ng = guid(&format!("note:left-out:{}", src.id));
            x.push_str(&format!("      <NoteRef targetGUID=\"{ng}\"/>\n"));
            notes.push_str(&format!(
                "    <Note guid=\"{ng}\" name=\"Quotes left out of {}\">\n      <PlainTextContent>{}</PlainTextContent>\n    </Note>\n",
                esc(&src.id),
                esc(&s.notes.join("\n"))
            ));
        }
        for v in VARIABLES {
            if let Some(value) = variable_value(src, v) {
                x.push_str(&format!(
                    "      <VariableValue>\n        <VariableRef targetGUID=\"{}\"/>\n        <TextValue>{}</TextValue>\n      </VariableValue>\n",
                    guid(&format!("variable:{v}")),
                    esc(&value)
                ));
            }
        }
        x.push_str("    </TextSource>\n");
    }
    if !out.is_empty() {
        x.push_str("  </Sources>\n");
    }
    if !notes.is_empty() {
        x.push_str("  <Notes>\n");
        x.push_str(&notes);
        x.push_str("  </Notes>\n");
    }
    x.push_str(
        "  <Description>Exported by heard. Quotes appear as selections only with their speaker's consent for this use; consent does not travel with the words: ask the speaker before quoting them anywhere else.</Description>\n",
    );
    x.push_str("</Project>\n");
    Xml {
        text: x,
        codes,
        cases: cases.len(),
    }
}

/// A quote's consent and history, without anyone's free-text notes.
fn consent_note(q: &Quote) -> String {
    let mut s = format!("Quote {} — consent: {}", q.id, q.status().as_str());
    if let Some(scope) = q.scope {
        s.push_str(&format!(
            " for {} use ({})",
            scope.as_str(),
            scope.meaning()
        ));
    }
    if let Some(exp) = &q.expires {
        s.push_str(&format!(", until {exp}"));
    }
    if let Some(sp) = &q.speaker {
        s.push_str(&format!(". Speaker: {sp}"));
    }
    s.push_str(".\nHistory:");
    for h in &q.history {
        let day = h.time.get(..10).unwrap_or(&h.time);
        let scope = h
            .details
            .text("scope")
            .map(|sc| format!(" ({sc})"))
            .unwrap_or_default();
        s.push_str(&format!("\n{day} {} by {}{scope}", h.action, h.actor));
    }
    s
}

/// Write the project to `path` atomically; refuse a path that is not a `.qdpx`.
pub fn write(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path
        .extension()
        .is_none_or(|e| !e.eq_ignore_ascii_case("qdpx"))
    {
        bail!(
            "--out `{}` does not end in .qdpx; QDA tools open projects by that extension",
            path.display()
        );
    }
    crate::fsutil::write_atomic(path, bytes)
}
