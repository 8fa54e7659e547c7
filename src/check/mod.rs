//! Checking a draft after people have edited it: every quote still matches its source word
//! for word (elisions with `…` or `[...]` and bracketed insertions allowed), its consent is
//! still valid for the response's scope, every footnote resolves, each answer is within its
//! word limit, and no personal data slipped in.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use anyhow::Context;
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use regex::Regex;

use crate::corpus::markdown_options;
use crate::draft::{self, CitationKind, Provenance, count_words};
use crate::index::LibraryIndex;
use crate::index::holding::Run;
use crate::quotes::{AnchorState, Quote, QuoteBook, Scope, Sources, anchor};
use crate::{Library, Problem};

pub mod words;

/// A footnote reference in the draft with the text of its paragraph up to it.
struct Reference {
    label: String,
    line: usize,
    before: String,
}

/// A question's answer in the draft.
struct Section {
    id: String,
    line: usize,
}

struct Parsed {
    references: Vec<Reference>,
    definitions: HashSet<String>,
    sections: Vec<Section>,
}

fn parse(text: &str, question_ids: &[String]) -> Parsed {
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let line = |b: usize| line_starts.partition_point(|&s| s <= b);
    let mut out = Parsed {
        references: Vec::new(),
        definitions: HashSet::new(),
        sections: Vec::new(),
    };
    let mut para = String::new();
    let mut in_definition = 0usize;
    let mut heading: Option<(usize, usize, String)> = None; // (level, line, text)
    let mut section_level: Option<usize> = None;
    for (event, range) in Parser::new_ext(text, markdown_options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as usize, line(range.start), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, l, h)) = heading.take() {
                    if section_level.is_some_and(|s| level <= s) {
                        section_level = None;
                    }
                    let h = h.trim();
                    if let Some(id) = question_ids.iter().find(|id| {
                        h.strip_prefix(id.as_str()).is_some_and(|rest| {
                            rest.starts_with(['.', ':', ' ', ')']) || rest.is_empty()
                        })
                    }) {
                        out.sections.push(Section {
                            id: id.clone(),
                            line: l,
                        });
                        section_level = Some(level);
                    }
                }
            }
            Event::Start(Tag::Paragraph) | Event::Start(Tag::Item) => para.clear(),
            Event::Start(Tag::FootnoteDefinition(label)) => {
                out.definitions.insert(label.to_string());
                in_definition += 1;
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                in_definition = in_definition.saturating_sub(1)
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, h)) = heading.as_mut() {
                    h.push_str(&t);
                    continue;
                }
                para.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => para.push(' '),
            Event::FootnoteReference(label) => out.references.push(Reference {
                label: label.to_string(),
                line: line(range.start),
                before: para.clone(),
            }),
            _ => {}
        }
    }
    let _ = in_definition;
    out
}

/// The words inside the last pair of quotation marks in `text`.
fn last_quoted(text: &str) -> Option<&str> {
    let close = text.rfind(['”', '"'])?;
    let closing = text[close..].chars().next()?;
    let open = if closing == '"' {
        text[..close].rfind('"')?
    } else {
        // Walk back to the matching “, allowing nested pairs.
        let mut depth = 0i32;
        let mut found = None;
        for (i, c) in text[..close].char_indices().rev() {
            match c {
                '”' => depth += 1,
                '“' if depth == 0 => {
                    found = Some(i);
                    break;
                }
                '“' => depth -= 1,
                _ => {}
            }
        }
        found?
    };
    let open_len = text[open..].chars().next()?.len_utf8();
    Some(&text[open + open_len..close])
}

static ELISION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*(?:…|\.\.\.|\[[^\]]*\])\s*").expect("elision regex"));

/// Whether `quoted` (as written in the draft) is faithful to `source` words: each part
/// between elisions and bracketed insertions appears in the source, in order. Returns the
/// first part that does not.
pub fn misquoted(quoted: &str, source: &str) -> Option<String> {
    // Marks inside a quote change with its nesting (“…‘…’…”), so any mark matches any.
    let marks = |t: String| t.replace('"', "'");
    let src = marks(anchor::normalize(source).text);
    let mut from = 0;
    for part in ELISION.split(quoted) {
        let part = marks(anchor::normalize_typed(part));
        let part = part.trim_matches(|c: char| c.is_whitespace());
        if part.is_empty() {
            continue;
        }
        match src[from..].find(part) {
            Some(i) => from += i + part.len(),
            None => return Some(part.to_string()),
        }
    }
    None
}

/// What `check` finds in a response.
#[derive(Debug, Default)]
pub struct Checked {
    /// Problems a person may choose to export despite (`--force`): word limits, missing
    /// sources, misquotes, personal data.
    pub problems: Vec<Problem>,
    /// Words that may not leave (consent, restricted material) and damage to the consent
    /// ledger: nothing is exported while there are any.
    pub refused: Vec<Problem>,
}

impl Checked {
    /// Every problem, in line order.
    pub fn all(&self) -> Vec<Problem> {
        let mut all: Vec<Problem> = self.refused.iter().chain(&self.problems).cloned().collect();
        all.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
        all
    }
}

/// Check a response (a response folder, or a response file). Problems are one per line,
/// naming the file and line.
///
/// `index` must be fresh (just refreshed, or kept fresh by a watcher): it says which
/// sources could share words with the response, and only those are read.
pub fn check(lib: &Library, index: &LibraryIndex, target: &Path) -> anyhow::Result<Vec<Problem>> {
    Ok(check_response(lib, index, target)?.all())
}

/// Check a response, keeping apart what may never be exported.
pub fn check_response(
    lib: &Library,
    index: &LibraryIndex,
    target: &Path,
) -> anyhow::Result<Checked> {
    // A check reads many sources: the pages of the index that earlier searches left in
    // memory (a server keeps its reader between requests) are let go first, not added to.
    index.let_go_of_pages();
    let (file, prov_path) = draft::response_paths(target);
    let text = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "failed to read `{}`; draft it first with `heard draft`",
            file.display()
        )
    })?;
    let rel = lib.rel(&file);
    let dir = file.parent().unwrap_or(Path::new("."));
    let consultation = draft::consultation::load(&dir.join("consultation.toml")).ok();
    let provenance: Option<Provenance> = draft::load_provenance(&prov_path)?;
    let scope = consultation
        .as_ref()
        .map(|c| c.scope)
        .or_else(|| {
            provenance
                .as_ref()
                .and_then(|p| serde_json::from_value::<Scope>(serde_json::json!(p.scope)).ok())
        })
        .unwrap_or(Scope::External);
    let question_ids: Vec<String> = consultation
        .as_ref()
        .map(|c| c.questions.iter().map(|q| q.id.clone()).collect())
        .unwrap_or_default();
    let cited: HashMap<&str, &draft::Citation> = provenance
        .iter()
        .flat_map(|p| p.citations.iter())
        .map(|c| (c.label.as_str(), c))
        .collect();
    let parsed = parse(&text, &question_ids);
    let book = QuoteBook::load(lib)?;
    let mut sources = Sources::new(lib)?;
    // Names and contact details guard privacy: a file that cannot be read stops the check.
    let people = crate::contributors::load(lib)?;
    let today = crate::quotes::today();
    // Problems of consent (and the ledger behind it) are kept apart: no --force exports them.
    let mut refused: Vec<Problem> = book.damage.iter().map(|d| d.problem.clone()).collect();
    let mut problems: Vec<Problem> = Vec::new();
    let at = |line: usize, msg: String| Problem::at(&rel, line, msg);

    // heard's own footnotes are replaced by public citations on export, so their words
    // (source titles, paths) are not read as the response's.
    let ours: HashMap<String, String> = cited
        .iter()
        .map(|(l, c)| (l.to_string(), draft::internal_footnote(c)))
        .collect();
    let reading = words::Reading::of_markdown(&text, &ours);
    // People's words, found by their content wherever they are in the response: every
    // quote, and every passage of a source that could share words with the response, is
    // weighed, one at a time, each source read and let go (a million sources do not fit in
    // memory at once).
    let mut judge = words::Judge::new(&reading);
    let quotes: Vec<&Quote> = book.quotes.values().collect();
    let weighed = sources.with_sources(&quotes, |q, source| {
        let loc = crate::quotes::locate_in(q, source);
        let mut texts = vec![q.anchor.exact.clone()];
        if loc.text != q.anchor.exact {
            texts.push(loc.text);
        }
        words::Candidate {
            what: q.id.clone(),
            texts,
            refusal: crate::consent::quote_may_leave(q, source, scope, &today).err(),
            is_quote: true,
        }
    });
    // In the order of the quotes' ids, as before: of two refused quotes with the same
    // words, the first names the finding.
    for c in &weighed {
        judge.consider(c);
    }
    drop(weighed);
    // Only the sources that could share a run of words with the response are read (see
    // `index::holding`): a passage of at least `RUN` words must hold one of the response's
    // runs of `RUN` words, a shorter one must be a run of the response itself, so it holds
    // a run of `MIN_WORDS` and has fewer than `RUN` words. The same holds for titles and
    // consultations.
    let short = u32::try_from(words::RUN - 1).unwrap_or(u32::MAX);
    let runs: Vec<Run> = reading
        .runs(words::RUN)
        .map(|words| Run {
            words,
            most_words: None,
        })
        .chain(reading.runs(words::MIN_WORDS).map(|words| Run {
            words,
            most_words: Some(short),
        }))
        .collect();
    // In the order of their ids either way, so that findings come out the same. Every id
    // of the library is listed only when the index cannot say (a million of them take
    // 120 MB).
    let holding = index.sources_holding(&runs)?;
    let to_read: Box<dyn Iterator<Item = &String>> = match &holding {
        Some(ids) => Box::new(ids.iter()),
        None => Box::new(sources.ids()),
    };
    for id in to_read {
        let Some(source) = sources.read(id) else {
            continue;
        };
        let refusal = crate::consent::passage_may_leave(&source, scope).err();
        // Words that may leave anyway (a public report, a title) cover the same words
        // wherever else they appear.
        if refusal != Some(crate::consent::Refusal::Restricted) {
            let mut names = vec![source.title.clone()];
            names.extend(source.meta.consultation.clone());
            judge.consider(&words::Candidate {
                what: source.path.clone(),
                texts: names,
                refusal: None,
                is_quote: false,
            });
        }
        for p in &source.passages {
            judge.consider(&words::Candidate {
                what: format!("{}:{}", source.path, p.line_start),
                texts: vec![p.text.clone()],
                refusal: refusal.clone(),
                is_quote: false,
            });
        }
    }
    let mut judged: HashSet<String> = HashSet::new();
    for f in judge.findings() {
        let msg = if f.is_quote {
            judged.insert(f.what.clone());
            format!(
                "the words \"{}…\" of quote {} {}",
                f.opening,
                f.what,
                f.refusal.problem()
            )
        } else {
            format!(
                "the words \"{}…\" from {} {}",
                f.opening,
                f.what,
                f.refusal.problem()
            )
        };
        refused.push(at(f.line, msg));
    }

    // A reference without a definition is plain text to a Markdown reader, so it is found
    // in the text itself: it is a claim with no source, or a quote whose credit was lost.
    let prose_for_refs = crate::response::without_comments(&text);
    for (i, line) in prose_for_refs.lines().enumerate() {
        for m in draft::FOOTNOTE_REF.captures_iter(line) {
            let whole = m.get(0).expect("match");
            let is_definition =
                line[..whole.start()].trim().is_empty() && line[whole.end()..].starts_with(':');
            if !is_definition && !parsed.definitions.contains(&m[1]) {
                problems.push(at(
                    i + 1,
                    format!(
                        "footnote [^{}] has no definition: say where this comes from, or remove it",
                        &m[1]
                    ),
                ));
            }
        }
    }
    for r in &parsed.references {
        let citation = cited.get(r.label.as_str());
        let is_quote = book.quotes.contains_key(&r.label)
            || citation.is_some_and(|c| c.kind == CitationKind::Quote)
            || r.label.starts_with("q-");
        if is_quote {
            let Some(q) = book.quotes.get(&r.label) else {
                problems.push(at(
                    r.line,
                    format!("quote {} is not in the ledger; it cannot be used", r.label),
                ));
                continue;
            };
            let loc = sources.locate(q);
            match loc.state {
                AnchorState::Drifted => problems.push(at(
                    r.line,
                    format!(
                        "quote {} no longer matches its source: \"{}\" now reads \"{}\" ({})",
                        q.id, q.anchor.exact, loc.text, loc.path
                    ),
                )),
                AnchorState::Orphaned => problems.push(at(
                    r.line,
                    format!("quote {} is no longer in its source ({})", q.id, loc.path),
                )),
                AnchorState::Ok | AnchorState::Moved => match last_quoted(&r.before) {
                    None => problems.push(at(
                        r.line,
                        format!("quote {} is cited, but no words in quotation marks come before the footnote", q.id),
                    )),
                    Some(words) => {
                        if let Some(part) = misquoted(words, &loc.text) {
                            problems.push(at(
                                r.line,
                                format!(
                                    "quote {} is misquoted: \"{part}\" is not in the source's words \"{}\"",
                                    q.id, loc.text
                                ),
                            ));
                        }
                    }
                },
            }
            // Consent is judged by the words above; a marker whose words were not found
            // (paraphrased, too short) is judged here.
            if !judged.contains(&q.id) {
                if let Err(why) =
                    crate::consent::quote_may_leave(q, sources.get(&q.source), scope, &today)
                {
                    refused.push(at(
                        r.line,
                        format!("quote {}: its words {}", q.id, why.problem()),
                    ));
                }
            }
            continue;
        }
        match citation {
            Some(c) => {
                let Some(source) = sources.get(&c.source) else {
                    problems.push(at(
                        r.line,
                        format!(
                            "[^{}] cites source `{}`, which is no longer in the library",
                            r.label, c.source
                        ),
                    ));
                    continue;
                };
                let still_there = match c.kind {
                    CitationKind::Recommendation => {
                        source.recommendations.iter().any(|x| x.text == c.text)
                    }
                    _ => source.passages.iter().any(|p| p.text == c.text),
                };
                if !still_there {
                    problems.push(at(
                        r.line,
                        format!(
                            "[^{}]: the cited words changed in {} since drafting; re-read the source and update the claim",
                            r.label, source.path
                        ),
                    ));
                }
            }
            None if r.label.starts_with("p-") || r.label.starts_with("r-") => problems.push(at(
                r.line,
                format!(
                    "[^{}] is not in {}: heard cannot trace it to a source",
                    r.label,
                    lib.rel(&prov_path)
                ),
            )),
            None => {}
        }
    }

    // Word limits.
    if let Some(c) = &consultation {
        let limits = draft::limits(c);
        let words = section_words(&text, &parsed);
        for (s, w) in parsed.sections.iter().zip(words) {
            if let Some(Some(limit)) = limits.get(&s.id) {
                if w > *limit {
                    problems.push(at(
                        s.line,
                        format!("{} has {w} words, the limit is {limit}", s.id),
                    ));
                }
            }
        }
    }

    // Placeholders a person must fill in, and personal data.
    let prose = crate::response::without_comments(&text);
    for (i, line) in prose.lines().enumerate() {
        let n = i + 1;
        if line.contains(draft::CHOICE_PLACEHOLDER) {
            problems.push(at(
                n,
                "our answer to a question about who is responding is still the placeholder: keep the option we choose".into(),
            ));
        }
        if line.contains(draft::POSITION_PLACEHOLDER) {
            problems.push(at(
                n,
                "our position is still the placeholder: write the answer in one or two sentences"
                    .into(),
            ));
        }
    }
    // Personal data, also where a line break splits it (export joins the lines).
    for (n, what) in crate::privacy::Privacy::new(&people).scan(&prose) {
        problems.push(at(n, what));
    }
    problems.sort_by_key(|p| p.line);
    refused.sort_by_key(|p| p.line);
    Ok(Checked { problems, refused })
}

/// Words of each question's answer: from its heading to the next heading of the same or a
/// higher level, without footnote definitions, markers or HTML comments.
fn section_words(text: &str, parsed: &Parsed) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    parsed
        .sections
        .iter()
        .map(|s| {
            let level = lines
                .get(s.line - 1)
                .map_or(2, |l| l.chars().take_while(|&c| c == '#').count());
            let body: Vec<&str> = lines[s.line.min(lines.len())..]
                .iter()
                .take_while(|l| {
                    let h = l.chars().take_while(|&c| c == '#').count();
                    !(h > 0 && h <= level && l[h..].starts_with(' '))
                })
                .copied()
                .collect();
            count_words(&draft::strip_for_count(&body.join("\n")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elisions_and_insertions_are_allowed_other_changes_are_not() {
        let src = "I rang three times that week and each time I had to start from the beginning.";
        assert_eq!(
            misquoted(
                "I rang three times that week … I had to start from the beginning.",
                src
            ),
            None
        );
        assert_eq!(
            misquoted("[She] rang three times [...] from the beginning.", src),
            None
        );
        assert_eq!(misquoted("I rang three times that week", src), None);
        assert_eq!(
            misquoted("I rang four times that week", src).as_deref(),
            Some("I rang four times that week")
        );
        assert!(
            misquoted("from the beginning … I rang", src).is_some(),
            "order matters"
        );
    }

    #[test]
    fn a_quote_within_a_quote_may_change_its_marks() {
        let src = "The nurse said “come back tomorrow” and shut the door.";
        let drafted = crate::draft::inner_quotes_single(src);
        assert_eq!(
            drafted,
            "The nurse said ‘come back tomorrow’ and shut the door."
        );
        assert_eq!(misquoted(&drafted, src), None);
        assert_eq!(
            misquoted("The nurse said 'come back today' and", src).as_deref(),
            Some("The nurse said 'come back today' and")
        );
    }

    #[test]
    fn the_quoted_words_are_found_before_a_footnote() {
        assert_eq!(
            last_quoted("> “I rang.”\n— Peer volunteer"),
            Some("I rang.")
        );
        assert_eq!(
            last_quoted("““Come back” isn’t a plan.”"),
            Some("“Come back” isn’t a plan.")
        );
        assert_eq!(last_quoted("As Jo said, \"it works\""), Some("it works"));
    }
}
