//! The pages, as maud templates: everything from the library is escaped by maud.

use std::collections::{BTreeMap, BTreeSet};

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::SearchParams;
use super::access::{Role, User};
use crate::Library;
use crate::corpus::{Kind, PartialDate, Sensitivity, Source};
use crate::index::{DocType, LibraryIndex, SearchRequest};
use crate::quotes::{self, AnchorState, Quote, QuoteBook, Sources, Status};

/// The stylesheet: readable at any width, large targets, visible focus, AA contrast.
pub const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;font-size:1.125rem;line-height:1.55;color:#0b0c0c;background:#fff}
a{color:#1d4f91;text-underline-offset:.15em}a:hover{color:#003078}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #fd0;outline-offset:0;box-shadow:0 0 0 6px #0b0c0c}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fd0;color:#0b0c0c;padding:.5rem;z-index:2}
header{background:#0b0c0c;color:#fff;padding:.75rem 1rem}
header a{color:#fff}header nav ul{list-style:none;margin:.25rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem}
header .who{float:right;font-size:1rem}header form{display:inline}
header button{background:none;border:1px solid #fff;color:#fff;padding:.2rem .6rem;font-size:1rem;cursor:pointer}
main{max-width:46rem;margin:0 auto;padding:1rem 1rem 4rem}
h1{font-size:2rem;line-height:1.2;margin:1rem 0}h2{font-size:1.5rem;margin-top:2rem}h3{font-size:1.2rem}
.card{border:2px solid #b1b4b6;border-radius:4px;padding:1rem;margin:1.5rem 0}
.card.pending{border-color:#1d70b8;border-width:3px}
.context{background:#f3f2f1;padding:.75rem 1rem;border-left:5px solid #505a5f}
mark{background:#fd0;color:#0b0c0c;padding:0 .1em}
fieldset{border:none;padding:0;margin:1rem 0}legend{font-weight:bold;font-size:1.15rem;margin-bottom:.5rem}
.choice{display:flex;gap:.6rem;align-items:flex-start;margin:.5rem 0}.choice input{width:1.5rem;height:1.5rem;margin-top:.15rem;flex:none}
label{font-weight:600}.hint{color:#505a5f;font-size:1rem;margin:.25rem 0}
input[type=text],input[type=date],input[type=search],select,textarea{font:inherit;width:100%;padding:.4rem;border:2px solid #0b0c0c;border-radius:0}
textarea{min-height:5rem}
.buttons{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1rem}
button,.button{font:inherit;font-weight:600;padding:.55rem 1rem;border:2px solid transparent;border-radius:0;cursor:pointer;background:#00703c;color:#fff;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#f3f2f1;color:#0b0c0c;border-color:#0b0c0c}
button.warning{background:#d4351c;color:#fff}
.status{display:inline-block;font-weight:700;padding:.1rem .5rem;border:2px solid currentColor}
.status.approved{color:#005a30}.status.pending{color:#1d4f91}.status.declined,.status.withdrawn,.status.expired{color:#942514}
.done{border:4px solid #00703c;padding:1rem;margin:1rem 0}
.problems{border:4px solid #d4351c;padding:1rem}
.meta{color:#505a5f;font-size:1rem}
ol.results{padding-left:1.5rem}ol.results li{margin-bottom:1.25rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;border-bottom:1px solid #b1b4b6;padding:.4rem}
.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.75rem}
@media (max-width:40rem){body{font-size:1.0625rem}h1{font-size:1.6rem}header .who{float:none;display:block}}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
main:has(.wide){max-width:80rem}
.wide{display:grid;grid-template-columns:minmax(0,1fr);gap:1rem 2rem}
@media (min-width:64rem){.wide{grid-template-columns:minmax(0,1fr) minmax(0,1.3fr)}}
ol.lines{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9rem;padding-left:3.5rem;margin:0;border:2px solid #b1b4b6}
ol.lines li{white-space:pre-wrap;overflow-wrap:anywhere;padding:0 .4rem;min-height:1.4em}
ol.lines li::marker{color:#505a5f}ol.lines li.bad{background:#fbe9e6;border-left:4px solid #d4351c}
ol.lines li:target{outline:3px solid #fd0}
.history{margin:.5rem 0;padding-left:1.25rem}.rec-text{font-size:1.15rem}
/* officer pages: people, sign-in links, pages of imported PDFs */
.page{font-weight:700;color:#505a5f;border-top:1px solid #b1b4b6;padding-top:.25rem;margin-top:1.5rem}
ul.plain{list-style:none;margin:0;padding:0}
.scroll{overflow-x:auto}
caption{text-align:left}
#new-link{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:1rem}
[hidden]{display:none!important}
@media print{header,.noprint,.skip,nav{display:none!important}.printable{border:2px solid #0b0c0c;padding:1rem}#new-link{border:none;width:100%;font-size:.9rem;word-break:break-all}}
"#;

/// Progressive enhancement for "My words": selecting words in a paragraph fills in the
/// suggestion form under it.
pub const SELECT_JS: &str = r#"
document.addEventListener('mouseup', fill); document.addEventListener('keyup', fill);
function fill(){
  var sel = window.getSelection(); if(!sel || sel.isCollapsed) return;
  var node = sel.anchorNode; while(node && !(node.dataset && node.dataset.para)) node = node.parentNode;
  if(!node) return;
  var form = document.getElementById('propose-' + node.dataset.para); if(!form) return;
  var text = sel.toString().replace(/\s+/g,' ').trim(); if(text.length < 3) return;
  form.querySelector('textarea').value = text; form.closest('details').open = true;
}
"#;

pub(super) fn layout(user: Option<&User>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – heard" }
                link rel="stylesheet" href="/static/style.css";
            }
            body {
                a.skip href="#main" { "Skip to main content" }
                header {
                    @if let Some(u) = user {
                        span.who {
                            "Signed in as " strong { (u.who) } " "
                            form method="post" action="/signout" {
                                input type="hidden" name="csrf" value=(u.csrf);
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                    strong { "heard" }
                    @if let Some(u) = user {
                        nav aria-label="Main" {
                            ul {
                                @if u.role == Role::Volunteer {
                                    li { a href="/me" { "My quotes" } }
                                    li { a href="/me/words" { "My words" } }
                                } @else {
                                    li { a href="/review" { "Review" } }
                                    li { a href="/search" { "Search" } }
                                    li { a href="/responses" { "Responses" } }
                                    li { a href="/register" { "Recommendations" } }
                                    li { a href="/people" { "People" } }
                                    li { a href="/import" { "Import" } }
                                }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" { (body) }
            }
        }
    }
}

/// A page with a title and a message.
pub fn message(user: Option<&User>, title: &str, msg: &str) -> Markup {
    layout(user, title, html! { h1 { (title) } p { (msg) } })
}

/// The sign-in page.
pub fn signin(error: Option<&str>) -> Markup {
    layout(
        None,
        "Sign in",
        html! {
            h1 { "Sign in" }
            @if let Some(e) = error { div.problems role="alert" { p { (e) } } }
            p { "Open the personal link the team sent you. If you have the link as text, paste it here." }
            form method="post" action="/signin" {
                label for="token" { "Your sign-in link" }
                input type="text" id="token" name="token" autocomplete="off" required;
                div.buttons { button type="submit" { "Sign in" } }
            }
        },
    )
}

/// The page a sign-in link opens: one button that signs in (and uses the link up).
pub fn signin_confirm(token: &str) -> Markup {
    layout(
        None,
        "Sign in",
        html! {
            h1 { "Sign in" }
            p { "Press the button to sign in. Your link works once: after that you stay signed in on this device, so keep it to yourself." }
            form method="post" action="/signin" {
                input type="hidden" name="token" value=(token);
                div.buttons { button type="submit" id="signin-go" { "Sign in" } }
            }
        },
    )
}

/// Text with byte ranges marked, escaped.
fn marked(text: &str, ranges: &[(usize, usize, String)]) -> Markup {
    let mut pieces: Vec<(bool, &str, &str)> = Vec::new();
    let mut pos = 0;
    let mut rs: Vec<&(usize, usize, String)> = ranges
        .iter()
        .filter(|(s, e, _)| {
            s < e && *e <= text.len() && text.is_char_boundary(*s) && text.is_char_boundary(*e)
        })
        .collect();
    rs.sort();
    for (s, e, label) in rs {
        if *s < pos {
            continue;
        }
        pieces.push((false, &text[pos..*s], ""));
        pieces.push((true, &text[*s..*e], label.as_str()));
        pos = *e;
    }
    pieces.push((false, &text[pos..], ""));
    html! {
        @for (m, t, label) in pieces {
            @if m { mark title=(label) { (t) } } @else { (t) }
        }
    }
}

/// A library id (a source, a quote, a response folder) as one segment of an address: all
/// but unreserved characters percent-encoded, `/` and control characters too, so that every
/// id opens its page, comes back whole, and never breaks a header.
pub fn seg(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The index, fresh: the app's kept index while its watcher vouches for it, else refreshed
/// now (see [`super::live`]).
pub(super) fn fresh_index(lib: &Library) -> anyhow::Result<std::sync::Arc<LibraryIndex>> {
    super::live::index(lib)
}

/// The page of a listing asked for (`?page=`): 1 when none is given.
pub(super) fn page_number(asked: &str) -> std::result::Result<usize, quotes::InputError> {
    let asked = asked.trim();
    if asked.is_empty() {
        return Ok(1);
    }
    match asked.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(quotes::InputError(format!(
            "`{asked}` is not a page number: pages are numbered from 1"
        ))),
    }
}

/// `heard check` for a page, one at a time in this server. A check of a large library reads
/// many sources: at a million, two at once (two officers opening response pages) peaked at
/// 956 MB and took 235 s each, where one takes about 90 s and under 500 MB (BENCHMARKS.md),
/// so the second waits its turn and is still answered sooner.
pub(super) fn check_in_turn(
    lib: &Library,
    index: &LibraryIndex,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<crate::Problem>> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    crate::check::check(lib, index, dir)
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Pending => "Waiting for your answer",
        Status::Approved => "You said yes",
        Status::Declined => "You said no",
        Status::Withdrawn => "You withdrew it",
        Status::Expired => "Your yes has expired",
        Status::Unknown => "The team needs to check this one with you",
    }
}

fn action_words(action: &str) -> &'static str {
    match action {
        "quote.create" => "suggested as a quote",
        "quote.tag" => "themes changed",
        "quote.approve" => "agreed",
        "quote.decline" => "said no",
        "quote.withdraw" => "withdrew agreement",
        "quote.expire" => "agreement expired",
        "quote.speaker" => "the team recorded whose words these are",
        _ => "changed",
    }
}

/// The passage holding a quote, and the quote's range within it.
fn context(source: &Source, range: (usize, usize)) -> Option<(String, usize, usize, usize)> {
    let p = source
        .passages
        .iter()
        .find(|p| p.start <= range.0 && range.0 < p.end.max(p.start + 1))?;
    let s = range.0 - p.start;
    let e = (range.1.min(p.end)) - p.start;
    Some((p.text.clone(), s, e, p.line_start))
}

/// "My quotes": a volunteer's own quotes, each in its paragraph, with their choices.
pub fn my_quotes(lib: &Library, user: &User, done: Option<&str>) -> anyhow::Result<Markup> {
    fresh_index(lib)?;
    let book = QuoteBook::load(lib)?;
    let mut sources = Sources::new(lib)?;
    let org = if lib.config.organisation.is_empty() {
        "the organisation".to_string()
    } else {
        lib.config.organisation.clone()
    };
    let mut mine: Vec<&Quote> = book
        .quotes
        .values()
        .filter(|q| q.speaker.as_deref() == Some(user.who.as_str()))
        .collect();
    mine.retain(|q| {
        sources
            .get(&q.source)
            .is_some_and(|s| s.sensitivity != Sensitivity::Restricted)
    });
    mine.sort_by_key(|q| (q.status() != Status::Pending, q.created.clone()));
    let mut cards = Vec::new();
    for q in mine {
        let loc = sources.locate(q);
        let source = sources.get(&q.source).cloned();
        let used = quotes::responses_using(lib, &q.id);
        cards.push((q.clone(), loc, source, used));
    }
    let waiting = cards
        .iter()
        .filter(|c| c.0.status() == Status::Pending)
        .count();
    Ok(layout(
        Some(user),
        "My quotes",
        html! {
            h1 { "My quotes" }
            @if let Some(id) = done {
                div.done role="status" { p { "Thank you. Your answer about quote " (id) " is saved." } }
            }
            p { "These are the words of yours that " (org) " would like to quote. For each one, you decide whether we may use it, and where. You can change your mind at any time." }
            p { strong { (waiting) } " waiting for your answer." }
            @if cards.is_empty() { p { "There are no quotes of your words yet." } }
            @for (q, loc, source, used) in &cards {
                @let status = q.status();
                section.card.pending[status == Status::Pending] id=(q.id) aria-labelledby={ "h-" (q.id) } {
                    h2 id={ "h-" (q.id) } {
                        "From “" (source.as_ref().map_or(q.source.as_str(), |s| s.title.as_str())) "”"
                    }
                    p { span class={ "status " (status.as_str()) } { (status_label(status)) }
                        @if let (Status::Approved, Some(scope)) = (status, q.scope) { " — " (scope.meaning()) }
                        @if let Some(e) = &q.expires { ", until " (e) }
                    }
                    @if loc.state == AnchorState::Drifted || loc.state == AnchorState::Orphaned {
                        p.hint { "The text these words came from has changed, so they will not be used until the team has checked them with you." }
                    }
                    @match (source, loc.lines) {
                        (Some(s), Some(_)) => {
                            @let range = crate::quotes::anchor::find_exact(&s.text, &loc.text).into_iter().next();
                            @if let Some((text, a, b, _)) = range.and_then(|r| context(s, r)) {
                                div.context { p { (marked(&text, &[(a, b, "The words we would quote".to_string())])) } }
                            } @else {
                                blockquote { p { (loc.text) } }
                            }
                        }
                        _ => { blockquote { p { (q.anchor.exact) } } }
                    }
                    p.hint { "The highlighted words are the quote. If you say yes, we may use them with the credit you chose, never with your contact details." }
                    form method="post" action={ "/me/quotes/" (q.id) } {
                        input type="hidden" name="csrf" value=(user.csrf);
                        fieldset {
                            legend { "Where may we use these words?" }
                            div.choice { input type="radio" id={ "ext-" (q.id) } name="scope" value="external" checked[status != Status::Approved || q.scope == Some(quotes::Scope::External)];
                                label for={ "ext-" (q.id) } { "In responses we send to the government and other organisations" } }
                            div.choice { input type="radio" id={ "pub-" (q.id) } name="scope" value="publication" checked[q.scope == Some(quotes::Scope::Publication)];
                                label for={ "pub-" (q.id) } { "Also in things we publish, such as reports" } }
                            div.choice { input type="radio" id={ "int-" (q.id) } name="scope" value="internal" checked[q.scope == Some(quotes::Scope::Internal)];
                                label for={ "int-" (q.id) } { "Only inside " (org) } }
                        }
                        label for={ "exp-" (q.id) } { "Until (optional)" }
                        p.hint id={ "exp-hint-" (q.id) } { "Leave empty for no end date." }
                        input type="date" id={ "exp-" (q.id) } name="expires" aria-describedby={ "exp-hint-" (q.id) } value=[q.expires.as_deref()];
                        label for={ "note-" (q.id) } { "A note for the team (optional)" }
                        textarea id={ "note-" (q.id) } name="note" {}
                        div.buttons {
                            button type="submit" name="decision" value="approve" { "Yes, you may use these words" }
                            @if matches!(status, Status::Approved | Status::Expired) {
                                button.warning type="submit" name="decision" value="withdraw" { "Withdraw my yes" }
                            } @else if status != Status::Declined {
                                button.secondary type="submit" name="decision" value="decline" { "No, do not use them" }
                            }
                        }
                    }
                    @if matches!(status, Status::Approved | Status::Expired) {
                        p.hint { "If you withdraw, these words will not be used again, and the team will see every draft that used them." }
                    }
                    @if !used.is_empty() {
                        h3 { "Where it has been used" }
                        ul { @for u in used { li { (u) } } }
                    }
                    details {
                        summary { "History" }
                        ol { @for h in &q.history {
                            li { (h.time.get(..10).unwrap_or(&h.time)) ": " (action_words(&h.action))
                                @if h.actor == user.who { " (you)" } @else { " (recorded by " (h.actor) ")" } }
                        } }
                    }
                }
            }
        },
    ))
}

/// A volunteer's own source, and which of its passages they may see.
pub struct OwnSource {
    /// The source.
    pub source: Source,
    /// Per passage: whether it is shown to them.
    pub visible: Vec<bool>,
    /// Whether it holds several people's words (so some passages may be hidden).
    pub shared: bool,
}

impl OwnSource {
    /// The line to anchor a suggestion at: in shared notes, the words must be in a passage
    /// the volunteer is shown (else an input error that shows nothing hidden).
    pub fn line_of(&self, exact: &str, line: Option<usize>) -> anyhow::Result<Option<usize>> {
        if !self.shared {
            return Ok(line);
        }
        let s = &self.source;
        let shown: Vec<(usize, usize)> = crate::quotes::anchor::find_exact(&s.text, exact)
            .into_iter()
            .filter(|r| {
                s.passages
                    .iter()
                    .zip(&self.visible)
                    .any(|(p, v)| *v && p.start <= r.0 && r.1 <= p.end)
            })
            .collect();
        let on_line = |r: &&(usize, usize)| {
            line.is_some_and(|l| s.line_at(r.0) <= l && l <= s.line_at(r.1.saturating_sub(1)))
        };
        match shown.iter().find(on_line).or(shown.first()) {
            Some(r) => Ok(Some(s.line_at(r.0))),
            None => Err(quotes::InputError(
                "those words are not in the paragraphs shown to you; copy them exactly from one of them".into(),
            )
            .into()),
        }
    }
}

/// Whether `text` mentions `name` as a whole word, in any case.
fn mentions(text: &str, name: &str) -> bool {
    let name = name.trim().to_lowercase();
    if name.is_empty() {
        return false;
    }
    let text = text.to_lowercase();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(&name).any(|(i, m)| {
        !word(text[..i].chars().next_back()) && !word(text[i + m.len()..].chars().next())
    })
}

/// A volunteer's own source, if it is theirs and not restricted. In notes with several
/// contributors they are shown only the passages that mention them (their id or first name)
/// or hold one of their quotes: other people's words are not theirs to read.
pub fn own_source(lib: &Library, user: &User, id: &str) -> anyhow::Result<Option<OwnSource>> {
    fresh_index(lib)?;
    let mut sources = Sources::new(lib)?;
    let Some(source) = sources
        .get(id)
        .filter(|s| {
            s.sensitivity != Sensitivity::Restricted
                && s.meta.contributors.iter().any(|c| c == &user.who)
        })
        .cloned()
    else {
        return Ok(None);
    };
    let shared = source.meta.contributors.len() > 1;
    if !shared {
        let visible = vec![true; source.passages.len()];
        return Ok(Some(OwnSource {
            source,
            visible,
            shared,
        }));
    }
    let mut names = vec![user.who.clone()];
    if let Some(first) = crate::contributors::load(lib)?
        .get(&user.who)
        .and_then(|c| c.first_name.clone())
    {
        names.push(first);
    }
    let book = QuoteBook::load(lib)?;
    let mut theirs = Vec::new();
    for q in book
        .of_source(&source.id)
        .filter(|q| q.speaker.as_deref() == Some(user.who.as_str()))
    {
        let loc = sources.locate(q);
        if loc.state.is_valid() {
            theirs.extend(
                crate::quotes::anchor::find_exact(&source.text, &loc.text)
                    .into_iter()
                    .next(),
            );
        }
    }
    let visible = source
        .passages
        .iter()
        .map(|p| {
            names.iter().any(|n| mentions(&p.text, n))
                || theirs.iter().any(|r| r.0 < p.end && p.start < r.1)
        })
        .collect();
    Ok(Some(OwnSource {
        source,
        visible,
        shared,
    }))
}

/// "My words": the volunteer's own testimonies and notes.
pub fn my_words(lib: &Library, user: &User) -> anyhow::Result<Markup> {
    let index = fresh_index(lib)?;
    let hits = index
        .search(&SearchRequest {
            types: vec![DocType::Source],
            limit: usize::MAX / 4,
            contributor: Some(user.who.clone()),
            ..SearchRequest::default()
        })?
        .hits;
    let hits: Vec<_> = hits
        .into_iter()
        .filter(|h| h.sensitivity != "restricted")
        .collect();
    Ok(layout(
        Some(user),
        "My words",
        html! {
            h1 { "My words" }
            p { "These are the testimonies and notes your words are in. Open one to read it, and to suggest words the team could quote." }
            @if hits.is_empty() { p { "There is nothing here yet." } }
            ul { @for h in &hits {
                li { a href={ "/me/words/" (seg(&h.source)) } { (h.title) } " " span.meta { "(" (h.kind) @if let Some(d) = &h.date { ", " (d) } ")" } }
            } }
        },
    ))
}

/// One of the volunteer's sources, paragraph by paragraph (only their own passages of shared
/// notes), with a form to suggest a quote. `suggested`: a suggestion just made that waits for
/// the team to say whose words it is.
pub fn my_source(
    lib: &Library,
    user: &User,
    id: &str,
    suggested: Option<&str>,
    themes_saved: bool,
) -> anyhow::Result<Option<Markup>> {
    let Some(OwnSource {
        source,
        visible,
        shared,
    }) = own_source(lib, user, id)?
    else {
        return Ok(None);
    };
    let hidden = visible.iter().filter(|v| !**v).count();
    let taxonomy = crate::taxonomy::load(lib).unwrap_or_default();
    let book = QuoteBook::load(lib)?;
    let mut sources = Sources::new(lib)?;
    let mut ranges: Vec<(usize, usize, String)> = Vec::new();
    for q in book
        .of_source(&source.id)
        .filter(|q| q.speaker.as_deref() == Some(user.who.as_str()))
    {
        let loc = sources.locate(q);
        if loc.state.is_valid() {
            if let Some(r) = crate::quotes::anchor::find_exact(&source.text, &loc.text)
                .into_iter()
                .next()
            {
                ranges.push((r.0, r.1, format!("Quote {}: {}", q.id, q.status().as_str())));
            }
        }
    }
    Ok(Some(layout(
        Some(user),
        &source.title,
        html! {
            h1 { (source.title) }
            p.meta { (source.kind.as_str()) @if let Some(d) = &source.date { ", " (d) } }
            @if let Some(q) = suggested {
                div.done role="status" { p { "Thank you. Your suggestion " (q) " is saved. These notes hold several people's words, so someone in the team will check whose words these are before anyone is asked to agree. If they are yours, they will then be under My quotes." } }
            }
            @if themes_saved {
                div.done role="status" { p { "Thank you. Your themes are saved; the team will look at them." } }
            }
            @if shared {
                p { "These notes hold several people's words. You see only the parts that mention you or hold your quotes: other people's words are hidden"
                    @if hidden > 0 { " (" (hidden) " " (if hidden == 1 { "paragraph" } else { "paragraphs" }) ")" } "." }
            }
            p { "To suggest words the team could quote, select them in a paragraph (or copy them) and use the form under it. Highlighted words are already quotes." }
            @for (n, p) in source.passages.iter().enumerate().filter(|(n, _)| visible[*n]) {
                @let local: Vec<(usize, usize, String)> = ranges.iter().filter(|r| r.0 >= p.start && r.1 <= p.end).map(|r| (r.0 - p.start, r.1 - p.start, r.2.clone())).collect();
                div data-para=(n) {
                    p { (marked(&p.text, &local)) }
                }
                details {
                    summary { "Suggest a quote from this paragraph" }
                    form id={ "propose-" (n) } method="post" action={ "/me/words/" (seg(&source.id)) "/quote" } {
                        input type="hidden" name="csrf" value=(user.csrf);
                        input type="hidden" name="line" value=(p.line_start);
                        label for={ "exact-" (n) } { "The words to quote" }
                        p.hint id={ "exact-hint-" (n) } { "Copy them exactly from the paragraph above." }
                        textarea id={ "exact-" (n) } name="exact" aria-describedby={ "exact-hint-" (n) } required {}
                        @if !taxonomy.themes.is_empty() {
                            fieldset {
                                legend { "What are they about? (optional)" }
                                @for t in &taxonomy.themes {
                                    div.choice {
                                        input type="checkbox" id={ "t-" (n) "-" (t.id) } name="tags" value=(t.id);
                                        label for={ "t-" (n) "-" (t.id) } { (if t.label.is_empty() { &t.id } else { &t.label }) }
                                    }
                                }
                            }
                        }
                        div.buttons { button type="submit" { "Suggest this quote" } }
                    }
                }
                (super::officer::tag_form(lib, user, &source, n, p))
            }
            script src="/static/select.js" {}
        },
    )))
}

fn parse_kind(s: &str) -> Vec<Kind> {
    Kind::parse(s).into_iter().collect()
}

/// Officer search, with the command line's filters.
pub fn search(lib: &Library, user: &User, p: &SearchParams) -> anyhow::Result<Markup> {
    let index = fresh_index(lib)?;
    let taxonomy = crate::taxonomy::load(lib).unwrap_or_default();
    let types: Vec<DocType> = match p.r#type.as_str() {
        "source" => vec![DocType::Source],
        "passage" => vec![DocType::Passage],
        "quote" => vec![DocType::Quote],
        "recommendation" => vec![DocType::Recommendation],
        _ => Vec::new(),
    };
    let mut error = None;
    let since = (!p.since.is_empty())
        .then(|| PartialDate::parse(&p.since))
        .flatten();
    let until = (!p.until.is_empty())
        .then(|| PartialDate::parse(&p.until))
        .flatten();
    if (!p.since.is_empty() && since.is_none()) || (!p.until.is_empty() && until.is_none()) {
        error = Some("Write dates as YYYY, YYYY-MM or YYYY-MM-DD.".to_string());
    }
    let searched = !p.q.trim().is_empty() || !p.tag.is_empty() || !p.kind.is_empty();
    let results = if searched && error.is_none() {
        match index.search(&SearchRequest {
            query: Some(p.q.clone()).filter(|q| !q.trim().is_empty()),
            types,
            kinds: parse_kind(&p.kind),
            tags: if p.tag.is_empty() {
                Vec::new()
            } else {
                vec![p.tag.clone()]
            },
            since,
            until,
            limit: 30,
            ..SearchRequest::default()
        }) {
            Ok(r) => Some(r),
            Err(crate::index::SearchError::Query(m)) => {
                error = Some(m);
                None
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let select = |name: &str, current: &str, options: &[(&str, &str)]| {
        html! {
            select id=(name) name=(name) {
                @for (v, l) in options { option value=(v) selected[*v == current] { (l) } }
            }
        }
    };
    Ok(layout(
        Some(user),
        "Search",
        html! {
            h1 { "Search the library" }
            form method="get" action="/search" role="search" {
                label for="q" { "Words to find" }
                p.hint id="q-hint" { "Use \"double quotes\" for a phrase; AND, OR, NOT in capitals; title: or tag: before a word." }
                input type="search" id="q" name="q" value=(p.q) aria-describedby="q-hint";
                div.filters {
                    div { label for="type" { "Type" }
                        (select("type", &p.r#type, &[("", "Passages, quotes, recommendations"), ("source", "Whole sources"), ("passage", "Passages"), ("quote", "Quotes"), ("recommendation", "Recommendations")])) }
                    div { label for="kind" { "Kind" }
                        (select("kind", &p.kind, &[("", "Any"), ("testimony", "Testimony"), ("report", "Report"), ("submission", "Submission"), ("notes", "Notes"), ("other", "Other")])) }
                    div { label for="tag" { "Theme" }
                        select id="tag" name="tag" {
                            option value="" { "Any" }
                            @for t in &taxonomy.themes { option value=(t.id) selected[t.id == p.tag] { (if t.label.is_empty() { &t.id } else { &t.label }) } }
                        } }
                    div { label for="since" { "From" } input type="text" id="since" name="since" inputmode="numeric" placeholder="YYYY" value=(p.since); }
                    div { label for="until" { "To" } input type="text" id="until" name="until" inputmode="numeric" placeholder="YYYY" value=(p.until); }
                }
                div.buttons { button type="submit" { "Search" } }
            }
            @if let Some(e) = &error { div.problems role="alert" { p { (e) } } }
            @if let Some(r) = &results {
                h2 { @if r.total_is_estimate { "About " } (r.total) " results" @if !r.synonyms.is_empty() { " (also searched: " (r.synonyms.join(", ")) ")" } }
                ol.results { @for h in &r.hits {
                    li {
                        a href={ "/sources/" (seg(&h.source)) "#L" (h.line_start) } { strong { (h.title) } }
                        p.meta { (h.doc_type) " · " (h.kind) @if let Some(d) = &h.date { " · " (d) } " · " (h.path) ":" (h.line_start) "–" (h.line_end)
                            @if let Some(n) = h.page { " (p. " (n) ")" }
                            @if h.sensitivity == "restricted" { " · " strong { "restricted" } }
                            @if let Some(s) = &h.status { " · consent: " (s) } }
                        p { (marked(&h.snippet, &h.highlights.iter().map(|r| (r[0], r[1], String::new())).collect::<Vec<_>>())) }
                    }
                } }
            }
        },
    ))
}

/// A source with its quotes highlighted in place.
pub fn source(
    lib: &Library,
    user: &User,
    id: &str,
    draft: Option<&super::officer::QuoteDraft>,
    made: Option<&str>,
) -> anyhow::Result<Option<Markup>> {
    fresh_index(lib)?;
    let mut sources = Sources::new(lib)?;
    let Some(source) = sources.get(id).cloned() else {
        return Ok(None);
    };
    let book = QuoteBook::load(lib)?;
    let mut ranges = Vec::new();
    let mut rows = Vec::new();
    for q in book.of_source(id) {
        let loc = sources.locate(q);
        if loc.state.is_valid() {
            if let Some(r) = crate::quotes::anchor::find_exact(&source.text, &loc.text)
                .into_iter()
                .next()
            {
                ranges.push((
                    r.0,
                    r.1,
                    format!(
                        "{} ({}, {})",
                        q.id,
                        q.status().as_str(),
                        q.speaker.as_deref().unwrap_or("no speaker")
                    ),
                ));
            }
        }
        rows.push((q.clone(), loc));
    }
    let themes = super::officer::accepted_themes(lib, &source);
    Ok(Some(layout(
        Some(user),
        &source.title,
        html! {
            h1 { (source.title) }
            p.meta { (source.kind.as_str()) @if let Some(d) = &source.date { " · " (d) } " · " (source.sensitivity.as_str()) " · " (source.path) }
            @if !source.meta.tags.is_empty() { p.meta { "Themes: " (source.meta.tags.join(", ")) } }
            @for (i, p) in source.passages.iter().enumerate() {
                @let local: Vec<(usize, usize, String)> = ranges.iter().filter(|r| r.0 >= p.start && r.1 <= p.end).map(|r| (r.0 - p.start, r.1 - p.start, r.2.clone())).collect();
                @if let Some(n) = p.page.filter(|n| i == 0 || source.passages[i - 1].page != Some(*n)) {
                    p.page id={ "page-" (n) } { "Page " (n) }
                }
                p id={ "L" (p.line_start) } data-line=(p.line_start) { (marked(&p.text, &local)) }
                @if let Some(t) = themes.get(&p.line_start) {
                    p.meta { "Themes of this paragraph: " (t.iter().map(|(t, by)| format!("{t} (suggested by {by})")).collect::<Vec<_>>().join(", ")) }
                }
            }
            (super::officer::quote_form(lib, user, &source, draft, made))
            @if !rows.is_empty() {
                h2 { "Quotes" }
                table {
                    thead { tr { th { "Quote" } th { "Speaker" } th { "Consent" } th { "Anchor" } } }
                    tbody { @for (q, loc) in &rows {
                        tr { td { (q.id) ": " (loc.text) @if let Some(n) = loc.lines.and_then(|l| source.page_at_line(l.0)) { " (p. " (n) ")" } } td { (q.speaker.as_deref().unwrap_or("—")) } td { (q.status().as_str()) @if let Some(s) = q.scope { " (" (s.as_str()) ")" } } td { (loc.state.as_str()) } }
                    } }
                }
            }
        },
    )))
}

/// Review: quotes waiting for someone to say whose words they are, quotes waiting for
/// consent, quotes to fix, tags to tidy. `named`: a quote whose speaker was just named.
pub fn review(lib: &Library, user: &User, named: Option<&str>) -> anyhow::Result<Markup> {
    let index = fresh_index(lib)?;
    let book = QuoteBook::load(lib)?;
    let sources = Sources::new(lib)?;
    let taxonomy = crate::taxonomy::load(lib).unwrap_or_default();
    let people = crate::contributors::load(lib).unwrap_or_default();
    let mut pending: BTreeMap<String, Vec<&Quote>> = BTreeMap::new();
    let mut broken = Vec::new();
    // Suggestions with no speaker, each with the people who could be its speaker.
    let mut whose: Vec<(&Quote, Vec<String>)> = Vec::new();
    // What each quote needs of its source, every source read once and let go: a library
    // of a million sources is never held.
    enum Seen {
        Listed(Vec<String>),
        Located(crate::quotes::Located),
    }
    let all: Vec<&Quote> = book.quotes.values().collect();
    let seen = sources.with_sources(&all, |q, s| {
        if q.speaker.is_none() && q.status() == Status::Pending {
            Seen::Listed(s.map(|s| s.meta.contributors.clone()).unwrap_or_default())
        } else {
            Seen::Located(crate::quotes::locate_in(q, s))
        }
    });
    for (q, seen) in all.into_iter().zip(seen) {
        match seen {
            Seen::Listed(listed) => {
                let choices = if listed.is_empty() {
                    people.contributors.iter().map(|c| c.id.clone()).collect()
                } else {
                    listed
                };
                whose.push((q, choices));
            }
            Seen::Located(loc) => {
                if q.status() == Status::Pending {
                    pending
                        .entry(q.speaker.clone().unwrap_or_else(|| "(no speaker)".into()))
                        .or_default()
                        .push(q);
                }
                if !loc.state.is_valid() {
                    broken.push((q, loc));
                }
            }
        }
    }
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    if !taxonomy.themes.is_empty() {
        // The tags in use, from the index's postings: a search for every source would hold
        // every source's whole text.
        unknown.extend(
            index
                .tag_counts(DocType::Source)?
                .into_keys()
                .filter(|t| taxonomy.theme_of(t).is_none()),
        );
        for q in book.quotes.values() {
            unknown.extend(
                q.tags
                    .iter()
                    .filter(|t| taxonomy.theme_of(t).is_none())
                    .cloned(),
            );
        }
    }
    Ok(layout(
        Some(user),
        "Review",
        html! {
            h1 { "Review" }
            @if let Some(d) = book.damage.first() {
                div.problems role="alert" {
                    h2 { "The consent ledger is damaged" }
                    p { "Nobody's consent can be vouched for until it is put right, so nothing can be drafted or exported. "
                        "Run " code { "heard verify" } " to see where; restore corpus/ledger.jsonl from version control or a backup, or have an officer record that it was checked with "
                        code { "heard verify --acknowledge --by NAME" } " (every approval given before then must be asked for again)." }
                    p.meta { (d.problem.to_string()) }
                }
            }
            @if let Some(id) = named {
                div.done role="status" { p { "Saved: quote " (id) " now waits for its speaker's answer." } }
            }
            h2 id="whose" { "Whose words?" }
            p.hint { "Suggestions from notes with several people's words. Nobody can agree to them until you say whose words they are." }
            @if whose.is_empty() { p { "None." } }
            @for (q, choices) in &whose {
                div.card {
                    p { a href={ "/sources/" (seg(&q.source)) } { (q.id) } ": “" (q.anchor.exact) "”" }
                    @if let Some(h) = q.history.first() { p.meta { "Suggested by " (h.actor) " on " (h.time.get(..10).unwrap_or(&h.time)) } }
                    form method="post" action={ "/review/quotes/" (seg(&q.id)) "/speaker" } {
                        input type="hidden" name="csrf" value=(user.csrf);
                        label for={ "speaker-" (q.id) } { "Whose words are these?" }
                        select id={ "speaker-" (q.id) } name="speaker" {
                            @for c in choices { option value=(c) { (c) } }
                        }
                        div.buttons { button type="submit" { "Name the speaker" } }
                    }
                }
            }
            h2 { "Waiting for consent" }
            @if pending.is_empty() { p { "No quote is waiting for an answer." } }
            @for (who, qs) in &pending {
                h3 { (who) " (" (qs.len()) ")" }
                ul { @for q in qs { li { a href={ "/sources/" (seg(&q.source)) } { (q.id) } ": “" (q.anchor.exact) "”" } } }
            }
            h2 { "Quotes to fix" }
            p.hint { "Their words changed (drifted) or disappeared (orphaned) in the source. They are not used until someone fixes them." }
            @if broken.is_empty() { p { "None." } }
            ul { @for (q, loc) in &broken {
                li { strong { (q.id) } " " (loc.state.as_str()) ": “" (q.anchor.exact) "”"
                    @if loc.state == AnchorState::Drifted { " now reads “" (loc.text) "”" } " (" (loc.path) ")" }
            } }
            (super::officer::review_section(lib, user))
            h2 { "Tags not in the taxonomy" }
            @if unknown.is_empty() { p { "None." } } @else { ul { @for t in &unknown { li { (t) } } } }
        },
    ))
}

fn response_dirs(lib: &Library) -> Vec<(String, Option<crate::draft::Consultation>, bool)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(lib.responses_dir()) {
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if !p.is_dir() {
                continue;
            }
            let slug = e.file_name().to_string_lossy().into_owned();
            let c = crate::draft::consultation::load(&p.join("consultation.toml")).ok();
            out.push((slug, c, p.join("response.md").exists()));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// A response folder by its name, with what `check` finds in its draft; `None` if there
/// is no such draft (or the name tries to leave the responses folder).
fn checked_response(
    lib: &Library,
    slug: &str,
) -> anyhow::Result<Option<(std::path::PathBuf, std::path::PathBuf, Vec<crate::Problem>)>> {
    if slug.contains(['/', '\\']) || slug.starts_with('.') {
        return Ok(None);
    }
    let dir = lib.responses_dir().join(slug);
    let file = dir.join("response.md");
    if !file.exists() {
        return Ok(None);
    }
    let index = fresh_index(lib)?;
    let problems = check_in_turn(lib, &index, &dir)?;
    Ok(Some((dir, file, problems)))
}

/// The list of responses.
pub fn responses(lib: &Library, user: &User) -> anyhow::Result<Markup> {
    let dirs = response_dirs(lib);
    Ok(layout(
        Some(user),
        "Responses",
        html! {
            h1 { "Responses" }
            @if dirs.is_empty() { p { "No responses yet. Start one with " code { "heard consultation new" } "." } }
            ul { @for (slug, c, drafted) in &dirs {
                li { a href={ @if *drafted || c.is_none() { "/responses/" } @else { "/calls/" } (seg(slug)) } { (c.as_ref().map_or(slug.as_str(), |c| c.title.as_str())) }
                    " " span.meta { @if *drafted { "drafted" } @else { "not drafted yet" } }
                    @if c.is_some() { " · " a href={ "/calls/" (seg(slug)) } { "Draft and edit" span.vh { ": " (slug) } } } }
            } }
        },
    ))
}

/// One response: what `check` finds, the draft with its provenance, and downloads.
pub fn response(lib: &Library, user: &User, slug: &str) -> anyhow::Result<Option<Markup>> {
    let Some((dir, file, problems)) = checked_response(lib, slug)? else {
        return Ok(None);
    };
    let markdown = std::fs::read_to_string(&file)?;
    let prov = crate::draft::load_provenance(&dir.join("provenance.json"))?;
    let prepared = crate::export::prepare(&markdown, prov.as_ref(), true);
    let body = crate::export::html_body(&prepared);
    Ok(Some(layout(
        Some(user),
        slug,
        html! {
            @if problems.is_empty() {
                div.done role="status" { p { "heard check finds no problems: every quote matches its source and has consent." } }
                p { "Download: "
                    a href={ "/responses/" (seg(slug)) "/export?to=docx" } { "Word" } ", "
                    a href={ "/responses/" (seg(slug)) "/export?to=html" } { "web page" } ", "
                    a href={ "/responses/" (seg(slug)) "/export?to=txt" } { "text for online forms" } "; the team's copy with sources and consent: "
                    a href={ "/responses/" (seg(slug)) "/export?to=docx&internal=1" } { "Word" } }
            } @else {
                div.problems role="alert" {
                    h2 { (problems.len()) " problems to fix before export" }
                    ul { @for p in &problems { li { (p.to_string()) } } }
                }
            }
            p.hint { "Each footnote shows where a quote or claim comes from: file, lines, and the consent it relies on." }
            (PreEscaped(body))
        },
    )))
}

/// An export of a response as a download, if the response exists and passes check.
pub fn export_bytes(
    lib: &Library,
    slug: &str,
    format: crate::export::Format,
    internal: bool,
) -> anyhow::Result<Option<(String, Vec<u8>)>> {
    let Some((dir, file, problems)) = checked_response(lib, slug)? else {
        return Ok(None);
    };
    if !problems.is_empty() {
        return Err(quotes::InputError(format!(
            "heard check finds {} problems in this response; fix them first",
            problems.len()
        ))
        .into());
    }
    let markdown = std::fs::read_to_string(&file)?;
    let prov = crate::draft::load_provenance(&dir.join("provenance.json"))?;
    let title = markdown
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or(slug)
        .to_string();
    let prepared = crate::export::prepare(&markdown, prov.as_ref(), internal);
    let bytes = crate::export::render(format, &prepared, &title, internal)?;
    let name = format!(
        "{slug}{}.{}",
        if internal { "-internal" } else { "" },
        format.extension()
    );
    Ok(Some((name, bytes)))
}
