//! Drafting in the browser (`/calls/{slug}`): each call for evidence has a page where an
//! officer drafts (the same library function as `heard draft`), sees what `heard check`
//! finds beside the draft with each problem linked to its line, writes our position on
//! each question, and downloads the response.
//!
//! A position is saved into response.md under the library's write lock, and only if the
//! file is still the one the form was built from (its BLAKE3 hash travels with the form):
//! an edit made meanwhile, by hand or by another officer, is shown as a conflict and never
//! overwritten.

use std::path::PathBuf;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::pages::{check_in_turn, fresh_index, layout, seg};
use super::{AppState, Officer, Result, User, blocking, csrf_refusal, not_found, redirect};
use crate::Library;
use crate::draft::{CHOICE_PLACEHOLDER, Consultation, POSITION_PLACEHOLDER, relevance};
use crate::quotes::InputError;

const POSITION: &str = "**Our position:**";
const ANSWER: &str = "**Our answer:**";

/// The folder of a call for evidence: `responses/<slug>` holding a consultation.toml.
/// `None` for a name that is not one folder inside `responses/`.
fn call_dir(lib: &Library, slug: &str) -> Option<PathBuf> {
    if slug.is_empty() || slug.contains(['/', '\\', '\0']) || slug.starts_with('.') {
        return None;
    }
    let dir = lib.responses_dir().join(slug);
    dir.join("consultation.toml").is_file().then_some(dir)
}

fn hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Where a question's position is in a response: its heading's line, and the lines of the
/// "Our position" (or "Our answer") paragraph if there is one. Lines count from 0.
#[derive(Debug, PartialEq)]
pub struct Slot {
    heading: usize,
    paragraph: Option<(usize, usize)>,
    label: &'static str,
    /// The position as written, without its label.
    pub text: String,
}

/// A Markdown heading: its level and text.
fn heading(line: &str) -> Option<(usize, &str)> {
    let t = line.trim_end_matches('\r');
    let indent = t.len() - t.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let t = &t[indent..];
    let level = t.len() - t.trim_start_matches('#').len();
    let rest = &t[level..];
    ((1..=6).contains(&level) && (rest.is_empty() || rest.starts_with([' ', '\t'])))
        .then(|| (level, rest.trim()))
}

/// Find question `id`'s position in `text` (a response.md), as `check` finds its answer:
/// the heading that starts with the id.
pub fn find_slot(text: &str, id: &str) -> Option<Slot> {
    let lines: Vec<&str> = text.split('\n').collect();
    let escaped = crate::response::md_escape(id);
    let names_it = |h: &str| {
        [id, escaped.as_str()].iter().any(|id| {
            h.strip_prefix(id)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', ':', ' ', ')']))
        })
    };
    let (at, level) = lines.iter().enumerate().find_map(|(i, l)| {
        heading(l)
            .filter(|(_, h)| names_it(h))
            .map(|(level, _)| (i, level))
    })?;
    let end = (at + 1..lines.len())
        .find(|&j| heading(lines[j]).is_some_and(|(l, _)| l <= level))
        .unwrap_or(lines.len());
    for k in at + 1..end {
        let t = lines[k].trim();
        let Some(label) = [POSITION, ANSWER].into_iter().find(|l| t.starts_with(l)) else {
            continue;
        };
        let stop = (k + 1..end)
            .find(|&j| lines[j].trim().is_empty() || heading(lines[j]).is_some())
            .unwrap_or(end);
        let joined = lines[k..stop]
            .iter()
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join(" ");
        let text = joined[label.len()..].trim().replace("\\<", "<");
        return Some(Slot {
            heading: at,
            paragraph: Some((k, stop)),
            label,
            text,
        });
    }
    Some(Slot {
        heading: at,
        paragraph: None,
        label: POSITION,
        text: String::new(),
    })
}

/// `text` with question `id`'s position replaced by `position` (one paragraph: its line
/// breaks become spaces, and `<` cannot open HTML or a comment that would hide the rest of
/// the response). `None` if the question's heading is not in the text.
pub fn with_position(text: &str, id: &str, position: &str, profile: bool) -> Option<String> {
    let slot = find_slot(text, id)?;
    let crlf = text.contains("\r\n");
    let eol = if crlf { "\r" } else { "" };
    let words = position.split_whitespace().collect::<Vec<_>>().join(" ");
    let label = match slot.paragraph {
        Some(_) => slot.label,
        None if profile => ANSWER,
        None => POSITION,
    };
    let line = format!("{label} {}{eol}", words.replace('<', "\\<"));
    let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
    match slot.paragraph {
        Some((start, stop)) => {
            lines.splice(start..stop, [line]);
        }
        None => {
            let after = slot.heading + 1;
            let blank_follows = lines.get(after).is_none_or(|l| l.trim().is_empty());
            let mut add = vec![eol.to_string(), line];
            if !blank_follows {
                add.push(eol.to_string());
            }
            lines.splice(after..after, add);
        }
    }
    Some(lines.join("\n"))
}

/// What to tell the officer at the top of the page.
#[derive(Default)]
pub struct Notice {
    /// A draft was just written to this file.
    drafted: Option<String>,
    /// response.md had been edited, so the draft went beside it.
    kept: bool,
    /// A position was just saved for this question.
    saved: Option<String>,
    /// Drafting was refused, and why.
    refused: Option<String>,
    /// A position that was not saved because response.md changed: (question, their text).
    conflict: Option<(String, String)>,
}

/// Query of the page.
#[derive(Deserialize, Default)]
pub struct CallParams {
    #[serde(default)]
    drafted: Option<String>,
    #[serde(default)]
    kept: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

fn render(
    lib: &Library,
    user: &User,
    slug: &str,
    notice: &Notice,
) -> anyhow::Result<Option<Markup>> {
    let Some(dir) = call_dir(lib, slug) else {
        return Ok(None);
    };
    let consultation: std::result::Result<Consultation, String> =
        crate::draft::consultation::load(&dir.join("consultation.toml"))
            .map_err(|e| format!("{e:#}"));
    let file = dir.join("response.md");
    let rel = lib.rel(&file);
    let current = match std::fs::read(&file) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(anyhow::Error::new(e).context(format!("failed to read `{rel}`"))),
    };
    let edited = match &current {
        Some(b) => crate::draft::load_provenance(&dir.join("provenance.json"))
            .ok()
            .flatten()
            .is_none_or(|p| p.file_hash != hash(b)),
        None => false,
    };
    let mut beside: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("response-") && n.ends_with(".md"))
                .collect()
        })
        .unwrap_or_default();
    beside.sort();
    // A check that cannot run (a damaged provenance.json) is a problem to show, with the
    // form to draft again still on the page.
    let problems = current.as_ref().map(|_| {
        fresh_index(lib)
            .and_then(|index| check_in_turn(lib, &index, &dir))
            .unwrap_or_else(|e| {
                vec![crate::Problem::file(
                    rel.clone(),
                    format!("heard check cannot run: {e:#}"),
                )]
            })
    });
    let text = current
        .as_ref()
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let base = current.as_ref().map(|b| hash(b)).unwrap_or_default();
    let bad_lines: std::collections::HashSet<usize> = problems
        .iter()
        .flatten()
        .filter(|p| p.path == rel)
        .filter_map(|p| p.line)
        .collect();
    let title = consultation
        .as_ref()
        .map_or(slug.to_string(), |c| c.title.clone());
    let s = seg(slug);
    Ok(Some(layout(
        Some(user),
        &title,
        html! {
            h1 { (title) }
            @match &consultation {
                Ok(c) => {
                    p.meta {
                        @if !c.body.is_empty() { (c.body) " · " }
                        @if let Some(d) = &c.deadline { "closes " (d) " · " }
                        (crate::cmd::plural(c.questions.len(), "question", "questions")) " · quotes may be used " (c.scope.meaning())
                    }
                }
                Err(e) => {
                    div.problems role="alert" { h2 { "The call for evidence cannot be read" } p { (e) } }
                }
            }
            @if let Some(f) = &notice.drafted {
                div.done role="status" {
                    p { "Drafted: " (f) " is written, with its provenance." }
                    @if notice.kept { p { strong { "response.md had been edited since it was drafted, so it was left as it is and the new draft is beside it, in " (f) "." } " Copy what you need from it into response.md." } }
                }
            }
            @if let Some(q) = &notice.saved {
                div.done role="status" { p { "Saved: our position on question " (q) " is in " (rel) "." } }
            }
            @if let Some(r) = &notice.refused {
                div.problems role="alert" { h2 { "Not drafted" } p { (r) } }
            }
            @if let Some((q, _)) = &notice.conflict {
                div.problems role="alert" {
                    h2 { "Not saved: the response changed" }
                    p { (rel) " was changed since you opened this page (edited by hand, by a colleague, or drafted again). Your position on question " (q) " was not saved, so nothing was overwritten. "
                        a href={ "#pos-" (seg(q)) } { "Your text is in its box below" } ", beside what the file says now: save it again to put it in the file as it is now." }
                }
            }
            section aria-labelledby="draft-h" {
                h2 id="draft-h" { @if current.is_some() { "Draft again" } @else { "Draft a response" } }
                @if current.is_some() && edited {
                    p { "response.md has been edited since it was drafted. Drafting again leaves it as it is and writes the new draft beside it, as " code { "heard draft" } " does." }
                } @else if current.is_some() {
                    p { "Nobody has edited response.md since it was drafted, so drafting again replaces it." }
                } @else {
                    p { "A first draft per question from approved quotes, our reports and our past recommendations, each with a footnote to its source." }
                }
                form method="post" action={ "/calls/" (s) "/draft" } {
                    input type="hidden" name="csrf" value=(user.csrf);
                    div.buttons { button type="submit" id="draft-go" { @if current.is_some() { "Draft again" } @else { "Draft the response" } } }
                }
                @if !beside.is_empty() {
                    p.meta { "Drafts kept beside response.md: " (beside.join(", ")) }
                }
            }
            @if let (Some(text), Some(problems)) = (&text, &problems) {
                div.wide {
                    div {
                        section aria-labelledby="check-h" {
                            h2 id="check-h" { "Check" }
                            @if problems.is_empty() {
                                div.done role="status" { p { "heard check finds no problems: every quote matches its source and has consent." } }
                                p { "Download: "
                                    a href={ "/responses/" (s) "/export?to=docx" } { "Word" } ", "
                                    a href={ "/responses/" (s) "/export?to=html" } { "web page" } ", "
                                    a href={ "/responses/" (s) "/export?to=txt" } { "text for online forms" } "; the team's copy with sources and consent: "
                                    a href={ "/responses/" (s) "/export?to=docx&internal=1" } { "Word" } }
                            } @else {
                                div.problems {
                                    p { strong { (crate::cmd::plural(problems.len(), "problem", "problems")) " to fix before it can be downloaded:" } }
                                    ul { @for p in problems.iter() {
                                        li {
                                            @match p.line.filter(|_| p.path == rel) {
                                                Some(l) => { a href={ "#L" (l) } { "Line " (l) } ": " (p.message) }
                                                None => { (p.to_string()) }
                                            }
                                        }
                                    } }
                                }
                            }
                            p { a href={ "/responses/" (s) } { "Read the response with its footnotes" } }
                        }
                        @if let Ok(c) = &consultation {
                            section aria-labelledby="pos-h" {
                                h2 id="pos-h" { "Our position, question by question" }
                                p.hint { "Each answer opens with our position. It is saved into response.md; the rest of the file is left as it is." }
                                @for q in &c.questions {
                                    @let slot = find_slot(text, &q.id);
                                    @let mine = notice.conflict.as_ref().filter(|(id, _)| *id == q.id).map(|(_, t)| t.clone());
                                    @let profile = relevance::is_profile(q);
                                    div.card id={ "pos-" (seg(&q.id)) } {
                                        h3 { (q.id) ". " (q.text) }
                                        @match &slot {
                                            Some(slot) => {
                                                @let shown = if slot.text == POSITION_PLACEHOLDER || slot.text == CHOICE_PLACEHOLDER { String::new() } else { slot.text.clone() };
                                                @if mine.is_some() { p.meta { "The file now says: " @if shown.is_empty() { "(nothing yet)" } @else { "“" (shown) "”" } } }
                                                form method="post" action={ "/calls/" (s) "/position" } {
                                                    input type="hidden" name="csrf" value=(user.csrf);
                                                    input type="hidden" name="question" value=(q.id);
                                                    input type="hidden" name="base" value=(base);
                                                    label for={ "position-" (seg(&q.id)) } { @if profile { "Our answer" } @else { "Our position" } span.vh { " on question " (q.id) } }
                                                    p.hint id={ "position-hint-" (seg(&q.id)) } {
                                                        @if profile { "Pick the answer from the options in the draft." } @else { "One or two sentences." }
                                                        @if let Some(l) = q.word_limit { " The whole answer may have " (l) " words." }
                                                    }
                                                    textarea id={ "position-" (seg(&q.id)) } name="position" aria-describedby={ "position-hint-" (seg(&q.id)) } required {
                                                        (mine.as_deref().unwrap_or(&shown))
                                                    }
                                                    div.buttons { button type="submit" { "Save" span.vh { " our position on question " (q.id) } } }
                                                }
                                            }
                                            None => {
                                                p { "The heading of question " (q.id) " is not in response.md, so its position cannot be written here. Put the heading back, or draft again." }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    section aria-labelledby="file-h" {
                        h2 id="file-h" { "The draft: " (rel) }
                        p.hint { "Line by line, as in the file. Lines with a problem are marked." }
                        ol.lines {
                            @for (n, line) in text.split('\n').enumerate() {
                                li id={ "L" (n + 1) } class=[bad_lines.contains(&(n + 1)).then_some("bad")] { (line.trim_end_matches('\r')) }
                            }
                        }
                    }
                }
            }
        },
    )))
}

/// `GET /calls/{slug}`.
pub async fn page(
    State(state): State<AppState>,
    Officer(user): Officer,
    Path(slug): Path<String>,
    Query(p): Query<CallParams>,
) -> Result<Response> {
    let notice = Notice {
        drafted: p.drafted.filter(|f| !f.is_empty()),
        kept: p.kept.is_some_and(|k| k == "1"),
        saved: p.saved.filter(|q| !q.is_empty()),
        ..Notice::default()
    };
    show(state, user, slug, notice, StatusCode::OK).await
}

async fn show(
    state: AppState,
    user: User,
    slug: String,
    notice: Notice,
    status: StatusCode,
) -> Result<Response> {
    let lib = state.lib.clone();
    let u = user.clone();
    match blocking(move || render(&lib, &u, &slug, &notice)).await? {
        Some(p) => Ok((status, p).into_response()),
        None => Ok(not_found(Some(user)).await),
    }
}

#[derive(Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /calls/{slug}/draft`: `heard draft`, through the library. A refusal (a damaged
/// consent ledger, a call that cannot be read) is shown on the page with its reason.
pub async fn draft(
    State(state): State<AppState>,
    Officer(user): Officer,
    Path(slug): Path<String>,
    axum::Form(f): axum::Form<DraftForm>,
) -> Result<Response> {
    if let Some(r) = csrf_refusal(&user, &f.csrf) {
        return Ok(r);
    }
    let lib = state.lib.clone();
    let s = slug.clone();
    let outcome = blocking(move || {
        let Some(dir) = call_dir(&lib, &s) else {
            return Ok(None);
        };
        let index = fresh_index(&lib)?;
        Ok(Some(match crate::draft::draft(&lib, &index, &dir) {
            Ok(r) => Ok(r),
            Err(e) => {
                let damaged = crate::quotes::QuoteBook::load(&lib)
                    .map(|b| !b.damage.is_empty())
                    .unwrap_or(false);
                let ours = e.chain().any(|c| c.is::<std::io::Error>());
                Err((damaged, ours, format!("{e:#}")))
            }
        }))
    })
    .await?;
    match outcome {
        None => Ok(not_found(Some(user)).await),
        Some(Ok(report)) => {
            let name = report
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let kept = if report.kept_edited { "&kept=1" } else { "" };
            Ok(redirect(&format!(
                "/calls/{}?drafted={}{kept}",
                seg(&slug),
                seg(&name)
            )))
        }
        Some(Err((damaged, ours, reason))) => {
            let status = if damaged {
                StatusCode::CONFLICT
            } else if ours {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::BAD_REQUEST
            };
            let notice = Notice {
                refused: Some(reason),
                ..Notice::default()
            };
            show(state, user, slug, notice, status).await
        }
    }
}

#[derive(Deserialize)]
pub struct PositionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    base: String,
    #[serde(default)]
    position: String,
}

enum Save {
    NoCall,
    Done,
    Conflict,
}

/// `POST /calls/{slug}/position`: write our position on one question into response.md,
/// unless the file changed since the form was made.
pub async fn position(
    State(state): State<AppState>,
    Officer(user): Officer,
    Path(slug): Path<String>,
    axum::Form(f): axum::Form<PositionForm>,
) -> Result<Response> {
    if let Some(r) = csrf_refusal(&user, &f.csrf) {
        return Ok(r);
    }
    if f.position.trim().is_empty() {
        return Err(InputError(format!(
            "the position on question {} is empty; write one or two sentences, or leave the page without saving",
            f.question
        ))
        .into());
    }
    let lib = state.lib.clone();
    let s = slug.clone();
    let question = f.question.clone();
    let position = f.position.clone();
    let base = f.base.clone();
    let saved = blocking(move || {
        let Some(dir) = call_dir(&lib, &s) else {
            return Ok(Save::NoCall);
        };
        let c = crate::draft::consultation::load(&dir.join("consultation.toml"))
            .map_err(|e| InputError(format!("{e:#}")))?;
        let Some(q) = c.questions.iter().find(|q| q.id == question) else {
            return Err(InputError(format!(
                "there is no question `{question}` in this call for evidence"
            ))
            .into());
        };
        let file = dir.join("response.md");
        // The library's write lock: a draft written now waits, and so does another save.
        let _lock = crate::ledger::write_lock(&lib)?;
        let current = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(
                    InputError("there is no draft yet; draft the response first".into()).into(),
                );
            }
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("failed to read `{}`", lib.rel(&file)))
                );
            }
        };
        if hash(&current) != base {
            return Ok(Save::Conflict);
        }
        let text = String::from_utf8(current).map_err(|_| {
            InputError(format!(
                "`{}` is not UTF-8 text; fix it in an editor",
                lib.rel(&file)
            ))
        })?;
        let Some(new) = with_position(&text, &q.id, &position, relevance::is_profile(q)) else {
            return Err(InputError(format!(
                "the heading of question {} is not in `{}`; put it back, or draft again",
                q.id,
                lib.rel(&file)
            ))
            .into());
        };
        crate::fsutil::write_atomic(&file, new.as_bytes())?;
        Ok(Save::Done)
    })
    .await?;
    match saved {
        Save::NoCall => Ok(not_found(Some(user)).await),
        Save::Done => Ok(redirect(&format!(
            "/calls/{}?saved={}#pos-{}",
            seg(&slug),
            seg(&f.question),
            seg(&f.question)
        ))),
        Save::Conflict => {
            let notice = Notice {
                conflict: Some((f.question, f.position)),
                ..Notice::default()
            };
            show(state, user, slug, notice, StatusCode::CONFLICT).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRAFT: &str = "# Response\n\n## 1. Why?\n\n<!-- heard: 3 words. -->\n\n**Our position:** [Write our answer to this question in one or two sentences.]\n\nEvidence.[^q1]\n\n## 10. And?\n\nNothing.\n";

    #[test]
    fn a_position_replaces_only_its_paragraph() {
        let out = with_position(DRAFT, "1", "We agree,\n\nwith <!-- care -->.", false).unwrap();
        assert!(
            out.contains("**Our position:** We agree, with \\<!-- care -->.\n\nEvidence.[^q1]")
        );
        assert!(out.contains("## 10. And?\n\nNothing.\n"));
        assert_eq!(
            find_slot(&out, "1").unwrap().text,
            "We agree, with <!-- care -->."
        );
    }

    #[test]
    fn a_question_without_a_position_gets_one_under_its_heading() {
        let out = with_position(DRAFT, "10", "Yes.", false).unwrap();
        assert!(
            out.contains("## 10. And?\n\n**Our position:** Yes.\n\nNothing.\n"),
            "{out}"
        );
        assert!(with_position(DRAFT, "2", "x", false).is_none());
    }
}
