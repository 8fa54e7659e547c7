//! The officer's work in the browser: making a quote from a source page, the people page
//! (contributors, their quotes' consent, and who may sign in), and the themes volunteers
//! suggest for passages of their own words.
//!
//! Every action is the same library call and ledger event as on the command line
//! (`quotes::add` is `heard quote add`; `access::grant`/`revoke` are `heard access`), under
//! the same session, role and CSRF checks as the other forms. A volunteer's suggested
//! themes are something a person entered, so they are kept as `tag.suggest` events in the
//! ledger (like their suggested quotes, which are `quote.create` events), and an officer's
//! answer as a `tag.review` event: nothing is lost, and the history says who did what.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;

use super::access::{self, Role, User};
use super::pages::{layout, seg};
use super::{
    AppError, AppState, Officer, Refusal, Result, blocking, csrf_refusal, field, not_found,
    redirect, serde_urlencoded_pairs,
};
use crate::Library;
use crate::corpus::{Passage, Source};
use crate::ledger::{self, Action, Ledger};
use crate::quotes::{self, InputError, NewQuote, QuoteBook, Sources, Status};

/// Progressive enhancement for the officer's pages: selecting words in a source fills the
/// quote form; the copy and print buttons of a new sign-in link.
pub const OFFICER_JS: &str = r#"
document.addEventListener('mouseup', pick); document.addEventListener('keyup', pick);
function pick(){
  var form = document.getElementById('make-quote'); if(!form) return;
  var sel = window.getSelection(); if(!sel || sel.isCollapsed) return;
  var node = sel.anchorNode; while(node && !(node.dataset && node.dataset.line)) node = node.parentNode;
  if(!node) return;
  var text = sel.toString().replace(/\s+/g,' ').trim(); if(text.length < 3) return;
  document.getElementById('make-exact').value = text;
  document.getElementById('make-line').value = node.dataset.line;
}
document.addEventListener('click', function(ev){
  var b = ev.target.closest ? ev.target.closest('[data-copy],[data-print]') : null; if(!b) return;
  if(b.dataset.print !== undefined){ window.print(); return; }
  var input = document.getElementById(b.dataset.copy); if(!input) return;
  input.select();
  var done = function(){ var s = document.getElementById('copied'); if(s) s.textContent = 'Copied.'; };
  if(navigator.clipboard){ navigator.clipboard.writeText(input.value).then(done, function(){ document.execCommand('copy'); done(); }); }
  else { document.execCommand('copy'); done(); }
});
for (var b of document.querySelectorAll('[data-copy],[data-print]')) b.hidden = false;
"#;

/// What an officer typed into the quote form, kept when it cannot be saved.
#[derive(Debug, Clone, Default)]
pub struct QuoteDraft {
    /// The words.
    pub exact: String,
    /// The speaker chosen (empty: not decided yet).
    pub speaker: String,
    /// Themes ticked.
    pub tags: Vec<String>,
    /// Line of the passage the words were selected in.
    pub line: Option<usize>,
    /// Why it was not saved.
    pub error: Option<String>,
}

fn theme_label(t: &crate::taxonomy::Theme) -> &str {
    if t.label.is_empty() { &t.id } else { &t.label }
}

/// The form under a source that makes a quote: the words, whose words they are, themes.
pub fn quote_form(
    lib: &Library,
    user: &User,
    source: &Source,
    draft: Option<&QuoteDraft>,
    made: Option<&str>,
) -> Markup {
    let empty = QuoteDraft::default();
    let d = draft.unwrap_or(&empty);
    let taxonomy = crate::taxonomy::load(lib).unwrap_or_default();
    let people = crate::contributors::load(lib).unwrap_or_default();
    let listed = &source.meta.contributors;
    let others: Vec<&String> = people
        .contributors
        .iter()
        .map(|c| &c.id)
        .filter(|c| !listed.contains(c))
        .collect();
    let one = listed.len() == 1;
    html! {
        h2 id="make" { "Make a quote" }
        @if let Some(id) = made {
            div.done role="status" {
                p { "Quote " (id) " is made. It is pending: it is not used until its speaker says yes on their own page (My quotes)." }
                @if source.sensitivity == crate::corpus::Sensitivity::Restricted {
                    p { strong { "This source is restricted:" } " the quote will never be used in a draft or an export, whatever consent it gets." }
                }
            }
        }
        @if let Some(e) = &d.error {
            div.problems role="alert" id="make-problem" { h3 { "The quote was not made" } p { (e) } }
        }
        p.hint { "Select words in the text above (or type them), choose whose words they are, and make the quote. Its speaker is then asked for consent on their own page." }
        form id="make-quote" method="post" action="/quotes" {
            input type="hidden" name="csrf" value=(user.csrf);
            input type="hidden" name="source" value=(source.id);
            input type="hidden" id="make-line" name="line" value=[d.line];
            label for="make-exact" { "The words to quote" }
            p.hint id="make-exact-hint" { "Exactly as in the source; curly or straight quotes and spacing may differ." }
            textarea id="make-exact" name="exact" aria-describedby="make-exact-hint" required { (d.exact) }
            label for="make-speaker" { "Whose words are these?" }
            select id="make-speaker" name="speaker" {
                @if !one { option value="" selected[d.speaker.is_empty()] { "Not decided yet (name them later in Review)" } }
                @for c in listed { option value=(c) selected[*c == d.speaker || (one && d.speaker.is_empty())] { (c) } }
                @for c in &others { option value=(c) selected[**c == d.speaker] { (c) " (not listed in this source)" } }
            }
            @if !taxonomy.themes.is_empty() {
                fieldset {
                    legend { "Themes (optional)" }
                    @for t in &taxonomy.themes {
                        div.choice {
                            input type="checkbox" id={ "make-t-" (t.id) } name="tag" value=(t.id) checked[d.tags.contains(&t.id)];
                            label for={ "make-t-" (t.id) } { (theme_label(t)) }
                        }
                    }
                }
            }
            div.buttons { button type="submit" id="make-go" { "Make the quote" } }
        }
        script src="/static/officer.js" {}
    }
}

/// Make a quote from a source page (`POST /quotes`): fields `source`, `exact`, optional
/// `speaker`, `tag` (repeated) and `line`. The same `quote.create` event as `heard quote
/// add`. Words that are not in the source are an error on the page, with what was typed kept.
pub async fn make_quote(
    State(state): State<AppState>,
    Officer(user): Officer,
    body: String,
) -> Result<Response> {
    let pairs = serde_urlencoded_pairs(&body);
    let csrf = field(&pairs, "csrf").unwrap_or_default();
    if let Some(r) = csrf_refusal(&user, &csrf) {
        return Ok(r);
    }
    let source = field(&pairs, "source").unwrap_or_default();
    let draft = QuoteDraft {
        exact: field(&pairs, "exact").unwrap_or_default(),
        speaker: field(&pairs, "speaker")
            .unwrap_or_default()
            .trim()
            .to_string(),
        tags: pairs
            .iter()
            .filter(|(k, _)| k == "tag")
            .map(|(_, v)| v.clone())
            .collect(),
        line: field(&pairs, "line").and_then(|l| l.trim().parse().ok()),
        error: None,
    };
    let lib = state.lib.clone();
    let who = user.who.clone();
    let d = draft.clone();
    let src = source.clone();
    let added = blocking(move || {
        super::live::refresh(&lib)?;
        let mut sources = Sources::new(&lib)?;
        let Some(s) = sources.get(&src).cloned() else {
            return Ok(None);
        };
        let taxonomy = crate::taxonomy::load(&lib)?;
        if let Some(t) = d.tags.iter().find(|t| taxonomy.theme_of(t).is_none()) {
            return Ok(Some(Err(format!(
                "`{t}` is not one of the themes in corpus/taxonomy.toml; tick themes from the list"
            ))));
        }
        if !d.speaker.is_empty()
            && crate::contributors::load(&lib)?.get(&d.speaker).is_none()
        {
            return Ok(Some(Err(format!(
                "`{}` is not in corpus/contributors.toml; choose a speaker from the list, or add them there first",
                d.speaker
            ))));
        }
        // The line only picks among repeated words; words found once need none.
        let once = crate::quotes::anchor::find_exact(&s.text, &d.exact).len() == 1;
        let made = quotes::add(
            &lib,
            NewQuote {
                source: s.id.clone(),
                exact: d.exact.clone(),
                tags: d.tags.clone(),
                speaker: Some(d.speaker.clone()).filter(|s| !s.is_empty()),
                line: if once { None } else { d.line },
                actor: who,
            },
        );
        match made {
            Ok(a) => Ok(Some(Ok(a.id))),
            Err(e) => match e.downcast::<InputError>() {
                Ok(InputError(m)) => Ok(Some(Err(m))),
                Err(e) => Err(e),
            },
        }
    })
    .await?;
    match added {
        None => Ok(not_found(Some(user)).await),
        Some(Ok(id)) => Ok(redirect(&format!(
            "/sources/{}?made={}#make",
            seg(&source),
            seg(&id)
        ))),
        Some(Err(msg)) => {
            let lib = state.lib.clone();
            let u = user.clone();
            let draft = QuoteDraft {
                error: Some(msg),
                ..draft
            };
            let page =
                blocking(move || super::pages::source(&lib, &u, &source, Some(&draft), None))
                    .await?;
            match page {
                Some(p) => Ok((StatusCode::BAD_REQUEST, p).into_response()),
                None => Ok(not_found(Some(user)).await),
            }
        }
    }
}

/// How many of someone's quotes are in each consent state.
fn consent_counts(book: &QuoteBook) -> BTreeMap<String, BTreeMap<&'static str, usize>> {
    let mut out: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for q in book.quotes.values() {
        if let Some(s) = &q.speaker {
            *out.entry(s.clone())
                .or_default()
                .entry(q.status().as_str())
                .or_default() += 1;
        }
    }
    out
}

const STATES: [Status; 6] = [
    Status::Pending,
    Status::Approved,
    Status::Declined,
    Status::Withdrawn,
    Status::Expired,
    Status::Unknown,
];

/// What the people page shows after an action.
#[derive(Default)]
pub struct PeopleNote {
    revoked: Option<(String, usize)>,
    error: Option<String>,
    name: String,
    role: Option<Role>,
    /// The page of contributors shown, from 1 (0: the first).
    page: usize,
    /// Words a contributor's id or credit must hold to be listed.
    find: String,
}

/// How many contributors the people page lists at a time.
const PEOPLE_PER_PAGE: usize = 50;

/// Up to how many contributors the grant form suggests ids from (a longer list would make
/// the page itself long: at a million sources, 5 MB).
const IDS_SUGGESTED: usize = 500;

/// The people page: contributors with their quotes' consent, who may sign in, and forms to
/// grant and end access. Contact details are never shown.
fn people_page(lib: &Library, user: &User, note: &PeopleNote) -> anyhow::Result<Markup> {
    let people = crate::contributors::load(lib)?;
    let find = note.find.trim().to_lowercase();
    let listed: Vec<&crate::contributors::Contributor> = people
        .contributors
        .iter()
        .filter(|c| {
            find.is_empty()
                || c.id.to_lowercase().contains(&find)
                || c.attribution().to_lowercase().contains(&find)
        })
        .collect();
    let pages = listed.len().div_ceil(PEOPLE_PER_PAGE).max(1);
    let page = note.page.max(1);
    if page > pages {
        return Err(InputError(format!(
            "there is no page {page}: these contributors fill {}",
            crate::cmd::plural(pages, "page", "pages")
        ))
        .into());
    }
    let shown = &listed[((page - 1) * PEOPLE_PER_PAGE).min(listed.len())
        ..(page * PEOPLE_PER_PAGE).min(listed.len())];
    let page_link = |n: usize| {
        let q =
            serde_urlencoded::to_string([("find", note.find.as_str()), ("page", &n.to_string())])
                .unwrap_or_default();
        format!("/people?{q}#contributors")
    };
    let book = QuoteBook::load(lib)?;
    let counts = consent_counts(&book);
    let holders = access::holders(lib)?;
    let access_of = |who: &str, role: Role| holders.iter().find(|h| h.who == who && h.role == role);
    let officers: Vec<&access::Holder> =
        holders.iter().filter(|h| h.role == Role::Officer).collect();
    let describe = |h: Option<&access::Holder>| -> String {
        match h {
            None => "No access".into(),
            Some(h) => {
                let mut parts = Vec::new();
                if h.sessions > 0 {
                    parts.push(format!(
                        "signed in on {} {}",
                        h.sessions,
                        if h.sessions == 1 { "device" } else { "devices" }
                    ));
                }
                if h.unused_links > 0 {
                    parts.push(format!(
                        "{} unused sign-in {}",
                        h.unused_links,
                        if h.unused_links == 1 { "link" } else { "links" }
                    ));
                }
                parts.join(", ")
            }
        }
    };
    let revoke_form = |who: &str| {
        html! {
            form method="post" action="/people/revoke" {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="name" value=(who);
                button.warning type="submit" aria-label={ "End access for " (who) } { "End access" }
            }
        }
    };
    Ok(layout(
        Some(user),
        "People",
        html! {
            h1 { "People" }
            @if let Some((who, n)) = &note.revoked {
                div.done role="status" { p { "Access for " (who) " has ended: " (n) " sign-in links and sessions." } }
            }
            p { "The people whose words are in the library, how they want to be credited, where their quotes stand, and who may sign in. Contact details are kept in corpus/contributors.toml and never shown here." }
            h2 id="contributors" { "Contributors" }
            @if people.contributors.is_empty() { p { "No contributors yet: they are listed in corpus/contributors.toml." } }
            @if people.contributors.len() > PEOPLE_PER_PAGE || !note.find.is_empty() {
                form method="get" action="/people#contributors" role="search" {
                    label for="find" { "Find a contributor" }
                    p.hint id="find-hint" { "Part of their id or of how they are credited." }
                    input type="search" id="find" name="find" value=(note.find) aria-describedby="find-hint";
                    div.buttons { button type="submit" { "Find" } @if !note.find.is_empty() { a.button.secondary href="/people#contributors" { "Show all" } } }
                }
                p.meta { (crate::cmd::plural(listed.len(), "contributor", "contributors"))
                    @if !note.find.is_empty() { " match" }
                    @if pages > 1 { ", page " (page) " of " (pages) ": " ((page - 1) * PEOPLE_PER_PAGE + 1) " to " ((page - 1) * PEOPLE_PER_PAGE + shown.len()) } }
            }
            @if !people.contributors.is_empty() && listed.is_empty() { p { "None match. Try fewer letters." } }
            @if !shown.is_empty() {
                div.scroll {
                    table {
                        caption.meta { "Quotes by consent state, and sign-in access" }
                        thead { tr { th scope="col" { "Contributor" } th scope="col" { "Credited as" } th scope="col" { "Quotes" } th scope="col" { "Access" } } }
                        tbody { @for c in shown {
                            @let h = access_of(&c.id, Role::Volunteer);
                            tr id={ "p-" (c.id) } {
                                th scope="row" { (c.id) }
                                td { (c.attribution()) }
                                td { @match counts.get(&c.id) {
                                    None => { "none" }
                                    Some(m) => { ul.plain { @for s in STATES { @if let Some(n) = m.get(s.as_str()) {
                                        li { span class={ "status " (s.as_str()) } { (s.as_str()) } " " (n) }
                                    } } } }
                                } }
                                td { (describe(h)) @if h.is_some() { (revoke_form(&c.id)) } }
                            }
                        } }
                    }
                }
                @if pages > 1 {
                    nav aria-label="Pages of contributors" { p {
                        @if page > 1 { a href=(page_link(page - 1)) rel="prev" { "Previous page" } " " }
                        @if page < pages { a href=(page_link(page + 1)) rel="next" { "Next page" } }
                    } }
                }
            }
            h2 id="officers" { "Officers" }
            @if officers.is_empty() { p { "No officer has a current link or session." } }
            ul { @for h in &officers { li { strong { (h.who) } " — " (describe(Some(h))) (revoke_form(&h.who)) } } }
            h2 id="grant" { "Give someone access" }
            @if let Some(e) = &note.error { div.problems role="alert" { p { (e) } } }
            p.hint { "This makes a personal sign-in link. It is shown once, on the next page: copy it or print it and give it to them privately." }
            form method="post" action="/people/grant" {
                input type="hidden" name="csrf" value=(user.csrf);
                label for="grant-name" { "Name" }
                p.hint id="grant-name-hint" { "A volunteer signs in as their contributor id (such as c-amber); an officer by their name." }
                input type="text" id="grant-name" name="name" list="contributor-ids" autocomplete="off" required aria-describedby="grant-name-hint" value=(note.name);
                @if people.contributors.len() <= IDS_SUGGESTED {
                    datalist id="contributor-ids" { @for c in &people.contributors { option value=(c.id) {} } }
                }
                fieldset {
                    legend { "Role" }
                    div.choice { input type="radio" id="role-volunteer" name="role" value="volunteer" checked[note.role != Some(Role::Officer)];
                        label for="role-volunteer" { "Volunteer: sees and decides about their own words only" } }
                    div.choice { input type="radio" id="role-officer" name="role" value="officer" checked[note.role == Some(Role::Officer)];
                        label for="role-officer" { "Officer: sees the whole library" } }
                }
                div.buttons { button type="submit" id="grant-go" { "Make a sign-in link" } }
            }
        },
    ))
}

/// The page that shows a new sign-in link, once.
fn granted_page(user: &User, who: &str, role: Role, link: &str) -> Markup {
    let role_words = match role {
        Role::Volunteer => "volunteer",
        Role::Officer => "officer",
    };
    layout(
        Some(user),
        "Sign-in link",
        html! {
            h1.noprint { "A sign-in link for " (who) }
            div.done.noprint role="status" { p { "Access is granted. This link is shown only now: it is not stored and cannot be shown again. If it is lost, make a new one." } }
            section.printable aria-labelledby="print-title" {
                h2 id="print-title" { "Your personal sign-in link for heard" }
                p { "For " strong { (who) } " (" (role_words) "). Open it on your own device and press Sign in. It works once and lasts " (ACCESS_DAYS) " days; keep it to yourself." }
                label for="new-link" { "Sign-in link" }
                input type="text" id="new-link" readonly value=(link) autocomplete="off" spellcheck="false";
            }
            div.buttons.noprint {
                button type="button" data-copy="new-link" hidden { "Copy the link" }
                button.secondary type="button" data-print hidden { "Print" }
                a.button.secondary href="/people" { "Back to People" }
            }
            p.noprint id="copied" role="status" aria-live="polite" {}
            p.hint.noprint { "To print it without the rest of this page, use Print: only the link and its instructions are printed." }
            script src="/static/officer.js" {}
        },
    )
}

/// Days a link made on the people page lasts (as `heard access grant`'s default).
const ACCESS_DAYS: i64 = 30;

/// `GET /people`.
pub async fn people(
    State(state): State<AppState>,
    Officer(user): Officer,
    Query(q): Query<RevokedQuery>,
) -> Result<Response> {
    let lib = state.lib.clone();
    let page = super::pages::page_number(&q.page)?;
    let note = PeopleNote {
        revoked: q.ended.zip(q.n),
        page,
        find: q.find,
        ..PeopleNote::default()
    };
    Ok(blocking(move || people_page(&lib, &user, &note))
        .await?
        .into_response())
}

/// After ending someone's access; the page of contributors and what to find among them.
#[derive(Deserialize, Default)]
pub struct RevokedQuery {
    ended: Option<String>,
    n: Option<usize>,
    #[serde(default)]
    page: String,
    #[serde(default)]
    find: String,
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// The address sign-in links start with: where this page was asked from.
fn base_url(headers: &HeaderMap) -> String {
    let get = |h| headers.get(h).and_then(|v| v.to_str().ok());
    if let Some(o) = get(header::ORIGIN).filter(|o| o.starts_with("http")) {
        return o.trim_end_matches('/').to_string();
    }
    match get(header::HOST) {
        Some(h) => format!("http://{h}"),
        None => "http://127.0.0.1:7878".into(),
    }
}

/// `POST /people/grant`: fields `name` and `role`. Answers with the link itself (never a
/// redirect, so it is in no address, history or log).
pub async fn grant(
    State(state): State<AppState>,
    Officer(user): Officer,
    headers: HeaderMap,
    axum::Form(f): axum::Form<GrantForm>,
) -> Result<Response> {
    if let Some(r) = csrf_refusal(&user, &f.csrf) {
        return Ok(r);
    }
    let name = f.name.trim().to_string();
    let role = match f.role.as_str() {
        "officer" => Some(Role::Officer),
        "volunteer" | "" => Some(Role::Volunteer),
        _ => None,
    };
    let lib = state.lib.clone();
    let u = user.clone();
    let base = base_url(&headers);
    let out = blocking(move || {
        let problem = if name.is_empty() {
            Some("Write the name of the person to give access to.".to_string())
        } else if name.chars().count() > 80 || name.chars().any(char::is_control) {
            Some("A name is at most 80 characters, on one line.".to_string())
        } else if role.is_none() {
            Some("Choose volunteer or officer.".to_string())
        } else if role == Some(Role::Volunteer)
            && crate::contributors::load(&lib)?.get(&name).is_none()
        {
            Some(format!(
                "`{name}` is not in corpus/contributors.toml: a volunteer signs in as a contributor. Choose one from the list, add them there first, or choose Officer."
            ))
        } else {
            None
        };
        let role_v = role.unwrap_or(Role::Volunteer);
        if let Some(e) = problem {
            let note = PeopleNote {
                error: Some(e),
                name,
                role,
                ..PeopleNote::default()
            };
            return Ok((StatusCode::BAD_REQUEST, people_page(&lib, &u, &note)?));
        }
        let token = access::grant(&lib, &name, role_v, ACCESS_DAYS)?;
        let link = format!("{base}/signin/{token}");
        Ok((StatusCode::OK, granted_page(&u, &name, role_v, &link)))
    })
    .await?;
    Ok(out.into_response())
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// `POST /people/revoke`: field `name`. Ends every link and session of theirs.
pub async fn revoke(
    State(state): State<AppState>,
    Officer(user): Officer,
    axum::Form(f): axum::Form<RevokeForm>,
) -> Result<Response> {
    if let Some(r) = csrf_refusal(&user, &f.csrf) {
        return Ok(r);
    }
    let name = f.name.trim().to_string();
    if name.is_empty() {
        return Err(AppError(
            InputError("say whose access to end".into()).into(),
        ));
    }
    let lib = state.lib.clone();
    let who = name.clone();
    let n = blocking(move || access::revoke(&lib, &who)).await?;
    Ok(redirect(&format!("/people?ended={}&n={n}", seg(&name))))
}

/// A volunteer's suggested themes for a passage, and what became of them.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// `s-` and 8 hex digits.
    pub id: String,
    /// The volunteer.
    pub by: String,
    /// When.
    pub time: String,
    /// Source id.
    pub source: String,
    /// First line of the passage when suggested.
    pub line_start: usize,
    /// BLAKE3 of the passage's text when suggested.
    pub text_hash: String,
    /// Themes suggested.
    pub tags: Vec<String>,
    /// `None` while waiting; else (accepted?, by, when).
    pub review: Option<(bool, String, String)>,
}

/// Every suggestion in the ledger (events whose hashes hold), oldest first.
pub fn suggestions(ledger: &Ledger) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = Vec::new();
    for (_, e) in &ledger.events {
        if e.content_id() != e.id {
            continue;
        }
        match e.action {
            Action::TagSuggest => {
                if out.iter().any(|s| s.id == e.target) {
                    continue;
                }
                let d = e.details.value();
                let text = |key| d.get(key).and_then(|v| v.as_str()).unwrap_or_default();
                out.push(Suggestion {
                    id: e.target.clone(),
                    by: e.actor.clone(),
                    time: e.time.clone(),
                    source: text("source").to_string(),
                    line_start: d
                        .get("line_start")
                        .and_then(serde_json::Value::as_u64)
                        .unwrap_or(0) as usize,
                    text_hash: text("text_hash").to_string(),
                    tags: d
                        .get("tags")
                        .and_then(serde_json::Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|t| t.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default(),
                    review: None,
                });
            }
            Action::TagReview => {
                if let Some(s) = out.iter_mut().find(|s| s.id == e.target) {
                    s.review = Some((
                        e.detail("decision").as_deref() == Some("accept"),
                        e.actor.clone(),
                        e.time.clone(),
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

fn text_hash(p: &Passage) -> String {
    blake3::hash(p.text.as_bytes()).to_hex().to_string()
}

/// The passage a suggestion is about, as the source is now: the one with the same text,
/// else the one starting on the same line.
pub fn passage_of<'a>(source: &'a Source, s: &Suggestion) -> Option<&'a Passage> {
    source
        .passages
        .iter()
        .find(|p| text_hash(p) == s.text_hash)
        .or_else(|| {
            source
                .passages
                .iter()
                .find(|p| p.line_start == s.line_start)
        })
}

/// Accepted themes of a source's passages, by the passage's first line, with who suggested
/// them.
pub fn accepted_themes(lib: &Library, source: &Source) -> BTreeMap<usize, Vec<(String, String)>> {
    let mut out: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    let Ok(ledger) = ledger::read(lib) else {
        return out;
    };
    for s in suggestions(&ledger)
        .into_iter()
        .filter(|s| s.source == source.id && matches!(s.review, Some((true, _, _))))
    {
        if let Some(p) = passage_of(source, &s) {
            let v = out.entry(p.line_start).or_default();
            for t in &s.tags {
                if !v.iter().any(|(x, _)| x == t) {
                    v.push((t.clone(), s.by.clone()));
                }
            }
        }
    }
    out
}

/// The volunteer's own suggestions for a source, by the passage's first line.
fn my_suggestions(lib: &Library, user: &User, source: &Source) -> BTreeMap<usize, Vec<Suggestion>> {
    let mut out: BTreeMap<usize, Vec<Suggestion>> = BTreeMap::new();
    let Ok(ledger) = ledger::read(lib) else {
        return out;
    };
    for s in suggestions(&ledger)
        .into_iter()
        .filter(|s| s.source == source.id && s.by == user.who)
    {
        if let Some(p) = passage_of(source, &s) {
            out.entry(p.line_start).or_default().push(s);
        }
    }
    out
}

/// Under a paragraph of "My words": the themes the volunteer suggested for it, and a form
/// to suggest more.
pub fn tag_form(lib: &Library, user: &User, source: &Source, n: usize, p: &Passage) -> Markup {
    let taxonomy = crate::taxonomy::load(lib).unwrap_or_default();
    if taxonomy.themes.is_empty() {
        return html! {};
    }
    let mine = my_suggestions(lib, user, source);
    let label = |t: &str| {
        taxonomy
            .theme_of(t)
            .map_or(t.to_string(), |th| theme_label(th).to_string())
    };
    let mine = mine.get(&p.line_start);
    html! {
        @if let Some(ss) = mine {
            ul.meta { @for s in ss { li {
                "Themes you suggested: " (s.tags.iter().map(|t| label(t)).collect::<Vec<_>>().join(", ")) " — "
                @match &s.review { None => { "waiting for the team" } Some((true, _, _)) => { "accepted" } Some((false, _, _)) => { "not taken up" } }
            } } }
        }
        details {
            summary { "Add themes to this paragraph" }
            form id={ "themes-" (n) } method="post" action="/me/tags" {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="source" value=(source.id);
                input type="hidden" name="line" value=(p.line_start);
                fieldset {
                    legend { "What is this paragraph about?" }
                    @for t in &taxonomy.themes {
                        div.choice {
                            input type="checkbox" id={ "th-" (n) "-" (t.id) } name="tag" value=(t.id);
                            label for={ "th-" (n) "-" (t.id) } { (theme_label(t)) }
                        }
                    }
                }
                div.buttons { button.secondary type="submit" { "Suggest these themes" } }
            }
        }
    }
}

/// A volunteer suggests themes for a passage of their own words (`POST /me/tags`): fields
/// `source`, `line` (the passage's first line) and `tag` (repeated). Recorded as a
/// `tag.suggest` event for an officer to accept or dismiss.
pub async fn suggest_tags(
    State(state): State<AppState>,
    user: User,
    body: String,
) -> Result<Response> {
    let pairs = serde_urlencoded_pairs(&body);
    let csrf = field(&pairs, "csrf").unwrap_or_default();
    if let Some(r) = csrf_refusal(&user, &csrf) {
        return Ok(r);
    }
    if user.role != Role::Volunteer {
        return Ok(Refusal::Forbidden.into_response());
    }
    let source = field(&pairs, "source").unwrap_or_default();
    let line: Option<usize> = field(&pairs, "line").and_then(|l| l.trim().parse().ok());
    let tags: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "tag")
        .map(|(_, v)| v.clone())
        .collect();
    let lib = state.lib.clone();
    let u = user.clone();
    let src = source.clone();
    let Some(view) = blocking(move || super::pages::own_source(&lib, &u, &src)).await? else {
        return Ok(not_found(Some(user)).await);
    };
    // Only a paragraph shown to them: others' words in shared notes are not theirs to tag.
    let Some(p) = view
        .source
        .passages
        .iter()
        .zip(&view.visible)
        .find(|(p, v)| **v && Some(p.line_start) == line)
        .map(|(p, _)| p.clone())
    else {
        return Ok(not_found(Some(user)).await);
    };
    let lib = state.lib.clone();
    let who = user.who.clone();
    let s = view.source;
    blocking(move || {
        let taxonomy = crate::taxonomy::load(&lib)?;
        if tags.is_empty() {
            return Err(InputError("tick at least one theme".into()).into());
        }
        if let Some(t) = tags.iter().find(|t| taxonomy.theme_of(t).is_none()) {
            return Err(InputError(format!(
                "`{t}` is not one of the themes in corpus/taxonomy.toml; choose among the themes on the page"
            ))
            .into());
        }
        let mut tags: BTreeSet<String> = tags.iter().map(|t| taxonomy.canonical(t)).collect();
        let _lock = ledger::write_lock(&lib)?;
        // Themes already suggested for this paragraph (and not dismissed) are kept once.
        let hash = text_hash(&p);
        for earlier in suggestions(&ledger::read(&lib)?) {
            if earlier.source == s.id
                && earlier.text_hash == hash
                && !matches!(earlier.review, Some((false, _, _)))
            {
                for t in &earlier.tags {
                    tags.remove(t);
                }
            }
        }
        if tags.is_empty() {
            return Ok(());
        }
        let time = ledger::now();
        let id = format!(
            "s-{}",
            &blake3::hash(format!("{}\0{}\0{who}\0{time}", s.id, p.line_start).as_bytes())
                .to_hex()[..8]
        );
        ledger::append(
            &lib,
            vec![(
                who,
                Action::TagSuggest,
                id,
                json!({
                    "source": s.id,
                    "path": s.path,
                    "line_start": p.line_start,
                    "line_end": p.line_end,
                    "text_hash": hash,
                    "tags": tags,
                }),
            )],
        )?;
        Ok(())
    })
    .await?;
    Ok(redirect(&format!("/me/words/{}?themes=1", seg(&source))))
}

/// In Review: themes volunteers suggested, each with its paragraph and buttons to accept or
/// dismiss.
pub fn review_section(lib: &Library, user: &User) -> Markup {
    let waiting: Vec<Suggestion> = ledger::read(lib)
        .map(|l| suggestions(&l))
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.review.is_none())
        .collect();
    let taxonomy = crate::taxonomy::load(lib).unwrap_or_default();
    let mut sources = Sources::new(lib).ok();
    html! {
        h2 id="themes" { "Themes suggested by volunteers" }
        p.hint { "Volunteers tag paragraphs of their own words. Accept to record the themes on the paragraph (they show on the source page), or dismiss." }
        @if waiting.is_empty() { p { "None." } }
        @for s in &waiting {
            @let src = sources.as_mut().and_then(|x| x.get(&s.source).cloned());
            @let para = src.as_ref().and_then(|x| passage_of(x, s).cloned());
            div.card id=(s.id) {
                p { a href={ "/sources/" (seg(&s.source)) "#L" (para.as_ref().map_or(s.line_start, |p| p.line_start)) } { (src.as_ref().map_or(s.source.as_str(), |x| x.title.as_str())) } }
                @match &para { Some(p) => { div.context { p { (p.text) } } } None => { p.hint { "That paragraph has changed since; open the source to see it." } } }
                p { "Suggested by " strong { (s.by) } " on " (s.time.get(..10).unwrap_or(&s.time)) ": "
                    (s.tags.iter().map(|t| taxonomy.theme_of(t).map_or(t.clone(), |th| theme_label(th).to_string())).collect::<Vec<_>>().join(", ")) }
                form method="post" action={ "/review/suggestions/" (seg(&s.id)) } {
                    input type="hidden" name="csrf" value=(user.csrf);
                    div.buttons {
                        button type="submit" name="decision" value="accept" { "Accept the themes" }
                        button.secondary type="submit" name="decision" value="dismiss" { "Dismiss" }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

/// `POST /review/suggestions/{id}`: `decision` accept or dismiss; a `tag.review` event.
pub async fn review_suggestion(
    State(state): State<AppState>,
    Officer(user): Officer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ReviewForm>,
) -> Result<Response> {
    if let Some(r) = csrf_refusal(&user, &f.csrf) {
        return Ok(r);
    }
    let decision = match f.decision.as_str() {
        "accept" | "dismiss" => f.decision.clone(),
        _ => {
            return Err(AppError(
                InputError("choose accept or dismiss".into()).into(),
            ));
        }
    };
    let lib = state.lib.clone();
    let who = user.who.clone();
    let target = id.clone();
    let found = blocking(move || {
        let _lock = ledger::write_lock(&lib)?;
        let all = suggestions(&ledger::read(&lib)?);
        let Some(s) = all.iter().find(|s| s.id == target) else {
            return Ok(false);
        };
        if s.review.is_some() {
            return Err(InputError(format!(
                "suggestion {target} was already answered; reload the Review page"
            ))
            .into());
        }
        ledger::append(
            &lib,
            vec![(
                who,
                Action::TagReview,
                target,
                json!({ "decision": decision }),
            )],
        )?;
        Ok(true)
    })
    .await?;
    if !found {
        return Ok(not_found(Some(user)).await);
    }
    Ok(redirect("/review#themes"))
}

/// The largest file an officer may upload to import (the request may be a little larger:
/// the form's other fields travel with it).
pub const UPLOAD_LIMIT: usize = 25 * 1024 * 1024;

/// One part of a `multipart/form-data` body.
struct Part {
    name: String,
    filename: Option<String>,
    data: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The value of `key="..."` in a Content-Disposition header.
fn disposition_param(header: &str, key: &str) -> Option<String> {
    header.split(';').map(str::trim).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The parts of a `multipart/form-data` body (what a browser sends for a form with a
/// file); `None` if it is not one.
fn multipart(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let boundary = params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("boundary")).then(|| v.trim().trim_matches('"').to_string())
    })?;
    if boundary.is_empty() || boundary.len() > 200 {
        return None;
    }
    let delimiter = format!("--{boundary}").into_bytes();
    let next = format!("\r\n--{boundary}").into_bytes();
    let mut at = find(body, &delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Some(parts);
        }
        at = find(body, b"\r\n", at)? + 2;
        let head_end = find(body, b"\r\n\r\n", at)?;
        let head = String::from_utf8_lossy(&body[at..head_end]).into_owned();
        let data_start = head_end + 4;
        let data_end = find(body, &next, data_start)?;
        let disposition = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then(|| v.to_string())
            })
            .unwrap_or_default();
        parts.push(Part {
            name: disposition_param(&disposition, "name").unwrap_or_default(),
            filename: disposition_param(&disposition, "filename"),
            data: body[data_start..data_end].to_vec(),
        });
        at = data_end + next.len();
    }
}

/// A file name from a browser as a plain name: no folders, no control characters, not
/// hidden.
fn upload_name(given: &str) -> Option<String> {
    let base = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base.chars().filter(|c| !c.is_control()).collect();
    let name = name.trim().to_string();
    (!name.is_empty() && !name.starts_with('.') && name.chars().count() <= 200).then_some(name)
}

fn import_page(
    user: &User,
    outcomes: &[(crate::import::FileOutcome, Vec<(String, String)>)],
    error: Option<&str>,
) -> Markup {
    let select = |name: &str, options: &[(&str, &str)]| {
        html! {
            select id=(name) name=(name) {
                @for (v, l) in options { option value=(v) { (l) } }
            }
        }
    };
    layout(
        Some(user),
        "Import",
        html! {
            h1 { "Import a document" }
            @if let Some(e) = error { div.problems role="alert" { h2 { "Nothing was imported" } p { (e) } } }
            @for (o, sources) in outcomes {
                @if let Some(p) = &o.problem {
                    div.problems role="alert" { h2 { "The file could not be imported" } p { (p) } }
                } @else {
                    div.done role="status" {
                        p { "The file is " (o.status.replace('-', " ")) "." }
                        @if !sources.is_empty() {
                            ul { @for (id, title) in sources { li { a href={ "/sources/" (seg(id)) } { (title) } } } }
                        }
                    }
                }
                @if !o.notes.is_empty() { ul.meta { @for n in &o.notes { li { (n) } } } }
            }
            p { "The same as " code { "heard import" } ": Word (.docx), OpenDocument (.odt), PDF, saved web pages (.html), text (.txt, .md) and survey exports (.csv, .xlsx, .ods). Each document becomes a Markdown source under corpus/imported/, and a copy of the original is kept. At most " (UPLOAD_LIMIT / (1024 * 1024)) " MB." }
            form method="post" action="/import" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(user.csrf);
                label for="file" { "The file" }
                input type="file" id="file" name="file" required accept=".docx,.odt,.pdf,.html,.htm,.txt,.md,.csv,.xlsx,.ods";
                div.filters {
                    div { label for="kind" { "Kind" }
                        (select("kind", &[("", "Decide from the file"), ("report", "Report"), ("testimony", "Testimony"), ("submission", "Submission"), ("notes", "Notes"), ("other", "Other")])) }
                    div { label for="sensitivity" { "Sensitivity" }
                        (select("sensitivity", &[("", "The library's default"), ("public", "Public"), ("internal", "Internal"), ("restricted", "Restricted")])) }
                }
                div.buttons { button type="submit" id="import-go" { "Import" } }
            }
        },
    )
}

/// `GET /import`.
pub async fn import_form(Officer(user): Officer) -> Response {
    import_page(&user, &[], None).into_response()
}

/// `POST /import`: a file (`file`, with optional `kind` and `sensitivity`) imported with the
/// same code and checks as `heard import`, then indexed.
pub async fn upload(
    State(state): State<AppState>,
    Officer(user): Officer,
    headers: HeaderMap,
    body: std::result::Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response> {
    let refuse = |status: StatusCode, msg: String| -> Result<Response> {
        Ok((status, import_page(&user, &[], Some(&msg))).into_response())
    };
    let Ok(body) = body else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The file is larger than {} MB. Import it with `heard import` on the command line, or split it.",
                UPLOAD_LIMIT / (1024 * 1024)
            ),
        );
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(parts) = multipart(content_type, &body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "The upload could not be read. Choose the file again and press Import.".into(),
        );
    };
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .map(|p| String::from_utf8_lossy(&p.data).into_owned())
            .unwrap_or_default()
    };
    if let Some(r) = csrf_refusal(&user, &text("csrf")) {
        return Ok(r);
    }
    let Some(file) = parts.iter().find(|p| p.name == "file") else {
        return refuse(StatusCode::BAD_REQUEST, "Choose a file to import.".into());
    };
    let Some(name) = file.filename.as_deref().and_then(upload_name) else {
        return refuse(StatusCode::BAD_REQUEST, "Choose a file to import.".into());
    };
    if file.data.len() > UPLOAD_LIMIT {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The file is larger than {} MB. Import it with `heard import` on the command line, or split it.",
                UPLOAD_LIMIT / (1024 * 1024)
            ),
        );
    }
    if crate::import::Format::of(std::path::Path::new(&name)).is_none() {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "heard cannot read “{name}”: it reads .docx, .odt, .pdf, .html, .txt, .md, .csv, .xlsx and .ods files. Save it in one of those formats first."
            ),
        );
    }
    let kind = match text("kind").as_str() {
        "" => None,
        k => match crate::corpus::Kind::parse(k) {
            Some(k) => Some(k),
            None => return refuse(StatusCode::BAD_REQUEST, format!("unknown kind `{k}`")),
        },
    };
    let sensitivity = match text("sensitivity").as_str() {
        "" => None,
        s => match crate::corpus::Sensitivity::parse(s) {
            Some(s) => Some(s),
            None => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    format!("unknown sensitivity `{s}`"),
                );
            }
        },
    };
    let data = file.data.clone();
    let lib = state.lib.clone();
    let who = user.who.clone();
    let outcomes = blocking(move || {
        // The upload waits in `.heard/` under a name of its own, and goes when imported
        // (a copy of the original is kept in corpus/originals/ by the import itself).
        let dir = lib
            .state_dir()
            .join("uploads")
            .join(access::random_token()?);
        std::fs::create_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("failed to create `{}`: {e}", dir.display()))?;
        let path = dir.join(&name);
        let done = std::fs::write(&path, &data)
            .map_err(|e| anyhow::anyhow!("failed to save the upload: {e}"))
            .and_then(|()| {
                crate::import::import(
                    &lib,
                    std::slice::from_ref(&path),
                    &crate::import::ImportOptions {
                        kind,
                        tags: Vec::new(),
                        sensitivity,
                        into: None,
                        consent_column: None,
                        consent_scope: quotes::Scope::External,
                        actor: who,
                        allow_duplicate: false,
                    },
                    &crate::index::Quiet,
                )
            });
        let _ = std::fs::remove_dir_all(&dir);
        let mut outcomes = done?;
        // Said by the name the officer knows, not the upload's place in `.heard/`.
        let shown = path.display().to_string();
        for o in &mut outcomes {
            o.path = name.clone();
            o.problem = o.problem.as_ref().map(|p| p.replace(&shown, &name));
            for n in &mut o.notes {
                *n = n.replace(&shown, &name);
            }
        }
        let written = outcomes.iter().any(|o| !o.written.is_empty());
        if written {
            super::live::refresh(&lib)?;
        }
        let mut sources = Sources::new(&lib)?;
        let ids: Vec<(String, String)> = sources
            .ids()
            .filter_map(|id| sources.path_of(id).map(|p| (id.clone(), p.to_string())))
            .collect();
        Ok(outcomes
            .into_iter()
            .map(|o| {
                let found: Vec<(String, String)> = ids
                    .iter()
                    .filter(|(_, p)| o.written.contains(p))
                    .map(|(id, _)| {
                        let title = sources.get(id).map_or(id.clone(), |s| s.title.clone());
                        (id.clone(), title)
                    })
                    .collect();
                (o, found)
            })
            .collect::<Vec<_>>())
    })
    .await?;
    let problem = outcomes.iter().any(|(o, _)| o.problem.is_some());
    let status = if problem {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((status, import_page(&user, &outcomes, None)).into_response())
}
