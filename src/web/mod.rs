//! The web app: `heard serve`. Volunteers approve, decline or withdraw their own quotes and
//! propose new ones from their own words; officers search, review and read drafts.
//!
//! Server-rendered HTML (maud escapes everything from the library) that works without
//! JavaScript, sent with a Content-Security-Policy that runs no inline script and loads
//! nothing from elsewhere. Every action goes through the same library functions, ledger events and
//! write lock as the command line, so both can be used at once. Only this module is async:
//! library work runs on `spawn_blocking`.

pub mod access;
mod drafting;
mod live;
mod officer;
mod pages;
mod register;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub use access::{Role, User};

use crate::Library;
use crate::quotes::{self, Consent, Decision, InputError, NewQuote, Scope};

/// Shared state of the app.
#[derive(Clone)]
pub struct AppState {
    lib: Arc<Library>,
    throttle: Arc<access::Throttle>,
    live: Arc<crate::watch::live::Live>,
}

impl AppState {
    /// State for a library, without a watcher: every page refreshes the index first (which
    /// is cheap while another process watches the library).
    pub fn new(lib: Library) -> AppState {
        let lib = Arc::new(lib);
        AppState {
            live: live::new(lib.clone()),
            lib,
            throttle: Arc::new(access::Throttle::default()),
        }
    }

    /// State for a library with a file watcher (what `heard serve` runs): the index is
    /// refreshed once, then again only in the background after files change (and at once
    /// after a write made through the app); pages in between use the same open index.
    /// Without a watcher (another process has one, or watching failed: said on stderr) it
    /// is [`AppState::new`].
    pub fn watching(lib: Library) -> anyhow::Result<(AppState, crate::index::RefreshReport)> {
        use crate::index::Quiet;
        use crate::watch::StartError;
        use crate::watch::live::Event;
        let state = AppState::new(lib);
        let say = Box::new(|e: Event<'_>| match e {
            Event::Refreshed(_) => {}
            // Pages still work on the index as it was; the next change tries again.
            Event::RefreshFailed(e) => eprintln!(
                "error: refreshing the index: {}",
                crate::cmd::shown_lines(&format!("{e:#}"))
            ),
            Event::Stopped(why) => eprintln!(
                "warning: stopped watching the library: {}; each page checks the files instead",
                crate::cmd::shown(why)
            ),
        });
        let search: crate::watch::ask::Handler = crate::cmd::search::answer;
        match state.live.start("heard serve", say, Some(search)) {
            Ok(()) => {
                let report = state.live.first_refresh(&Quiet)?;
                return Ok((state, report));
            }
            Err(StartError::Running(who)) => eprintln!(
                "note: this library is already watched ({}); each page checks its journal",
                crate::cmd::shown(&who)
            ),
            Err(StartError::Failed(e)) => eprintln!(
                "warning: cannot watch the library ({}); each page checks the files instead",
                crate::cmd::shown_lines(&format!("{e:#}"))
            ),
        }
        let report = state.live.refresh_report(&Quiet)?.1;
        Ok((state, report))
    }

    /// The library served.
    pub fn library(&self) -> Arc<Library> {
        self.lib.clone()
    }

    /// Whether this app's own watcher keeps its index fresh.
    pub fn watched(&self) -> bool {
        self.live.watched()
    }

    /// How many times this app has refreshed the index (each refresh checks the library
    /// for changes and reopens the index).
    pub fn refreshes(&self) -> usize {
        self.live.refreshes()
    }
}

const COOKIE: &str = "heard_session";

/// The app's routes.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/static/style.css", get(style))
        .route("/static/select.js", get(script))
        .route("/signin", get(signin_page).post(signin_form))
        .route("/signin/{token}", get(signin_link))
        .route("/signout", post(signout))
        .route("/me", get(my_quotes))
        .route("/me/quotes/{id}", post(decide))
        .route("/me/words", get(my_words))
        // Source ids may hold `/` (sources in sub-folders): the rest of the path is the id.
        .route("/me/words/{*source}", get(my_source).post(propose))
        .route("/search", get(search))
        .route("/sources/{*id}", get(source_page))
        .route("/review", get(review))
        .route("/review/quotes/{id}/speaker", post(name_speaker))
        .route("/static/officer.js", get(officer_script))
        .route("/quotes", post(officer::make_quote))
        .route("/people", get(officer::people))
        .route("/people/grant", post(officer::grant))
        .route("/people/revoke", post(officer::revoke))
        .route("/me/tags", post(officer::suggest_tags))
        .route("/review/suggestions/{id}", post(officer::review_suggestion))
        .route(
            "/import",
            get(officer::import_form).post(officer::upload).layer(
                axum::extract::DefaultBodyLimit::max(officer::UPLOAD_LIMIT + 64 * 1024),
            ),
        )
        .route("/responses", get(responses))
        .route("/responses/{slug}", get(response_page))
        .route("/responses/{slug}/export", get(export))
        // The recommendations register, and drafting a call for evidence.
        .route("/register", get(register::page))
        .route("/register/outcome", post(register::record))
        .route("/register/download", get(register::download))
        .route("/calls/{slug}", get(drafting::page))
        .route("/calls/{slug}/draft", post(drafting::draft))
        .route("/calls/{slug}/position", post(drafting::position))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            trim_after,
        ))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// After each page, the kept index lets go of the pages of its files that searches mapped
/// once the server's memory is past its budget (see `Live::trim`): a server runs for days.
async fn trim_after(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    state.live.trim();
    res
}

/// What pages may load and run: scripts, styles and images from this site only (no inline
/// script), and they may not be framed.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Security headers on every answer; pages (not the stylesheet and script) are not cached,
/// so a shared computer's back button shows nobody's words after sign-out.
async fn security_headers(req: Request, next: Next) -> Response {
    let asset = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A redirect to an address made by [`pages::seg`] from ids; should one still not be a
/// valid header, the answer is a 400, never a 500.
fn redirect(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(_) => Redirect::to(to).into_response(),
        Err(_) => {
            AppError(InputError("that address cannot be followed".into()).into()).into_response()
        }
    }
}

/// Serve the app until interrupted.
pub async fn serve(state: AppState, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let router = app(state);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// An error page; input errors are the user's to fix (400), anything else is ours (500).
pub struct AppError(anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for AppError {
    fn from(e: E) -> Self {
        AppError(e.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, msg) = match self.0.downcast_ref::<InputError>() {
            Some(e) => (StatusCode::BAD_REQUEST, e.to_string()),
            None => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Something went wrong: {:#}", self.0),
            ),
        };
        (status, pages::message(None, "That did not work", &msg)).into_response()
    }
}

type Result<T> = std::result::Result<T, AppError>;

/// Run library work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| anyhow::anyhow!("a task failed: {e}"))?
        .map_err(AppError)
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Why a page was refused.
pub enum Refusal {
    /// Not signed in: go to the sign-in page.
    SignIn,
    /// Signed in, but not allowed.
    Forbidden,
    /// Something failed.
    Error(AppError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::SignIn => Redirect::to("/signin").into_response(),
            Refusal::Forbidden => (
                StatusCode::FORBIDDEN,
                pages::message(None, "Not available", "This page is not available to you."),
            )
                .into_response(),
            Refusal::Error(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for User {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Self::Rejection> {
        let Some(cookie) = session_cookie(&parts.headers) else {
            return Err(Refusal::SignIn);
        };
        let lib = state.lib.clone();
        match blocking(move || access::user(&lib, &cookie)).await {
            Ok(Some(u)) => Ok(u),
            Ok(None) => Err(Refusal::SignIn),
            Err(e) => Err(Refusal::Error(e)),
        }
    }
}

/// A signed-in officer.
pub struct Officer(pub User);

impl FromRequestParts<AppState> for Officer {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Self::Rejection> {
        let u = User::from_request_parts(parts, state).await?;
        if u.role == Role::Officer {
            Ok(Officer(u))
        } else {
            Err(Refusal::Forbidden)
        }
    }
}

/// A refusal when a form's CSRF token is not the session's.
fn csrf_refusal(user: &User, token: &str) -> Option<Response> {
    if access::same(&user.csrf, token) {
        None
    } else {
        Some((
            StatusCode::FORBIDDEN,
            pages::message(Some(user), "Please try again", "The form had expired or did not come from this site. Go back, reload the page and try again."),
        )
            .into_response())
    }
}

async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        pages::STYLE,
    )
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        pages::SELECT_JS,
    )
}

async fn officer_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        officer::OFFICER_JS,
    )
}

async fn not_found(user: Option<User>) -> Response {
    (
        StatusCode::NOT_FOUND,
        pages::message(user.as_ref(), "Not found", "There is no page here."),
    )
        .into_response()
}

impl axum::extract::OptionalFromRequestParts<AppState> for User {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Option<Self>, Self::Rejection> {
        Ok(
            <User as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

async fn home(user: User) -> Redirect {
    match user.role {
        Role::Volunteer => Redirect::to("/me"),
        Role::Officer => Redirect::to("/review"),
    }
}

async fn signin_page() -> Response {
    pages::signin(None).into_response()
}

#[derive(Deserialize)]
struct SigninForm {
    token: String,
}

async fn signin_form(
    State(state): State<AppState>,
    axum::Form(f): axum::Form<SigninForm>,
) -> Response {
    let token = f
        .token
        .trim()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    do_sign_in(state, token).await
}

/// Opening a sign-in link shows a button that signs in: a visit alone (a mail scanner, a
/// chat app's preview) does not use the link up.
async fn signin_link(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let lib = state.lib.clone();
    let t = token.clone();
    match blocking(move || access::check(&lib, &t)).await {
        Ok(access::SignIn::Unused) => pages::signin_confirm(&token).into_response(),
        Ok(other) => refused(&state, &token, &other),
        Err(e) => e.into_response(),
    }
}

/// Sign in with a link's token. The token is checked first, so a good link always works at
/// once, whatever others are trying; only bad ones count against the [`access::Throttle`].
async fn do_sign_in(state: AppState, token: String) -> Response {
    let lib = state.lib.clone();
    let t = token.clone();
    match blocking(move || access::sign_in(&lib, &t)).await {
        Ok(access::SignIn::Session { id, max_age, .. }) => {
            let cookie =
                format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}");
            let mut r = Redirect::to("/").into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Ok(other) => refused(&state, &token, &other),
        Err(e) => e.into_response(),
    }
}

/// The answer to a link that does not sign in: already used, or bad (counted, and past the
/// throttle's bounds refused with 429).
fn refused(state: &AppState, token: &str, outcome: &access::SignIn) -> Response {
    if matches!(outcome, access::SignIn::Used) {
        return (
            StatusCode::FORBIDDEN,
            pages::signin(Some("That sign-in link has already been used: each link works once. If you are not signed in, ask the team for a new one.")),
        )
            .into_response();
    }
    if !state.throttle.fail(token) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            pages::signin(Some(&format!(
                "Too many sign-in links that do not work were tried lately. Wait {} minutes and try again, or ask the team for a new link.",
                state.throttle.minutes_to_wait()
            ))),
        )
            .into_response();
    }
    (
        StatusCode::FORBIDDEN,
        pages::signin(Some(
            "That sign-in link is not valid, or it has expired. Ask the team for a new one.",
        )),
    )
        .into_response()
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn signout(
    State(state): State<AppState>,
    user: User,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&user, &f.csrf) {
        return r;
    }
    if let Some(cookie) = session_cookie(&headers) {
        let lib = state.lib.clone();
        if let Err(e) = blocking(move || access::sign_out(&lib, &cookie)).await {
            return e.into_response();
        }
    }
    let mut r = Redirect::to("/signin").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("heard_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    r
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

async fn my_quotes(
    State(state): State<AppState>,
    user: User,
    Query(done): Query<Done>,
) -> Result<Response> {
    if user.role == Role::Officer {
        return Ok(Redirect::to("/review").into_response());
    }
    let lib = state.lib.clone();
    let u = user.clone();
    let page = blocking(move || pages::my_quotes(&lib, &u, done.done.as_deref())).await?;
    Ok(page.into_response())
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    csrf: String,
    decision: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

async fn decide(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<DecideForm>,
) -> Result<Response> {
    if let Some(r) = csrf_refusal(&user, &f.csrf) {
        return Ok(r);
    }
    if user.role != Role::Volunteer {
        return Ok(Refusal::Forbidden.into_response());
    }
    let lib = state.lib.clone();
    let who = user.who.clone();
    let q = id.clone();
    // A volunteer decides about their own words only: anyone else's quote does not exist here.
    let mine = blocking(move || {
        Ok(quotes::QuoteBook::load(&lib)?
            .quotes
            .get(&q)
            .is_some_and(|x| x.speaker.as_deref() == Some(who.as_str())))
    })
    .await?;
    if !mine {
        return Ok(not_found(Some(user)).await);
    }
    let decision = match f.decision.as_str() {
        "approve" => Decision::Approve,
        "decline" => Decision::Decline,
        "withdraw" => Decision::Withdraw,
        _ => {
            return Err(AppError(
                InputError("choose approve, decline or withdraw".into()).into(),
            ));
        }
    };
    let scope = match f.scope.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some("internal") => Some(Scope::Internal),
        Some("external") => Some(Scope::External),
        Some("publication") => Some(Scope::Publication),
        Some(other) => {
            return Err(AppError(
                InputError(format!("unknown scope `{other}`")).into(),
            ));
        }
    };
    let consent = Consent {
        id: id.clone(),
        decision,
        by: user.who.clone(),
        on_behalf_of: None,
        scope: if decision == Decision::Approve {
            scope.or(Some(Scope::Internal))
        } else {
            None
        },
        expires: if decision == Decision::Approve {
            f.expires.filter(|e| !e.trim().is_empty())
        } else {
            None
        },
        note: f.note.filter(|n| !n.trim().is_empty()),
    };
    let lib = state.lib.clone();
    blocking(move || quotes::decide(&lib, consent)).await?;
    let id = pages::seg(&id);
    Ok(redirect(&format!("/me?done={id}#{id}")))
}

async fn my_words(State(state): State<AppState>, user: User) -> Result<Response> {
    if user.role == Role::Officer {
        return Ok(Redirect::to("/search").into_response());
    }
    let lib = state.lib.clone();
    let page = blocking(move || pages::my_words(&lib, &user)).await?;
    Ok(page.into_response())
}

#[derive(Deserialize, Default)]
struct Suggested {
    suggested: Option<String>,
    themes: Option<String>,
}

async fn my_source(
    State(state): State<AppState>,
    user: User,
    Path(source): Path<String>,
    Query(q): Query<Suggested>,
) -> Result<Response> {
    if user.role == Role::Officer {
        return Ok(redirect(&format!("/sources/{}", pages::seg(&source))));
    }
    let lib = state.lib.clone();
    let u = user.clone();
    match blocking(move || {
        pages::my_source(
            &lib,
            &u,
            &source,
            q.suggested.as_deref(),
            q.themes.is_some(),
        )
    })
    .await?
    {
        Some(page) => Ok(page.into_response()),
        None => Ok(not_found(Some(user)).await),
    }
}

/// A volunteer suggests a quote from their words (`POST /me/words/{source}/quote`). The
/// speaker is never theirs to choose: it is the source's only contributor, or, in notes with
/// several contributors, nobody until an officer names one. In such notes they may only
/// quote the passages they are shown.
async fn propose(
    State(state): State<AppState>,
    user: User,
    Path(rest): Path<String>,
    body: String,
) -> Result<Response> {
    let Some(source) = rest.strip_suffix("/quote").map(String::from) else {
        return Ok(not_found(Some(user)).await);
    };
    // Tags come as repeated `tags=` fields, which a plain struct cannot hold.
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(&body);
    let csrf = field(&pairs, "csrf").unwrap_or_default();
    let exact = field(&pairs, "exact").unwrap_or_default();
    let line = field(&pairs, "line").and_then(|l| l.parse().ok());
    let tags: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "tags")
        .map(|(_, v)| v.clone())
        .collect();
    if let Some(r) = csrf_refusal(&user, &csrf) {
        return Ok(r);
    }
    if user.role != Role::Volunteer {
        return Ok(Refusal::Forbidden.into_response());
    }
    let lib = state.lib.clone();
    let u = user.clone();
    let src = source.clone();
    let Some(view) = blocking(move || pages::own_source(&lib, &u, &src)).await? else {
        return Ok(not_found(Some(user)).await);
    };
    let lib = state.lib.clone();
    let who = user.who.clone();
    let added = blocking(move || {
        let taxonomy = crate::taxonomy::load(&lib)?;
        if let Some(t) = tags.iter().find(|t| taxonomy.theme_of(t).is_none()) {
            return Err(InputError(format!(
                "`{t}` is not one of the themes in corpus/taxonomy.toml; choose among the themes on the page"
            ))
            .into());
        }
        let line = view.line_of(&exact, line)?;
        live::refresh(&lib)?;
        quotes::add(
            &lib,
            NewQuote {
                source: view.source.id.clone(),
                exact,
                tags,
                speaker: None,
                line,
                actor: who,
            },
        )
    })
    .await?;
    let id = pages::seg(&added.id);
    if added.speaker.is_some() {
        Ok(redirect(&format!("/me?done={id}#{id}")))
    } else {
        Ok(redirect(&format!(
            "/me/words/{}?suggested={id}",
            pages::seg(&source)
        )))
    }
}

fn serde_urlencoded_pairs(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(body).unwrap_or_default()
}

fn field(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

#[derive(Deserialize)]
struct SpeakerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    speaker: String,
}

/// An officer names whose words a quote holds, from the review page: the same
/// `quote.speaker` event as `heard quote speaker`.
async fn name_speaker(
    State(state): State<AppState>,
    Officer(user): Officer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<SpeakerForm>,
) -> Result<Response> {
    if let Some(r) = csrf_refusal(&user, &f.csrf) {
        return Ok(r);
    }
    let lib = state.lib.clone();
    let who = user.who.clone();
    let q = id.clone();
    blocking(move || {
        live::refresh(&lib)?;
        quotes::set_speaker(&lib, &q, f.speaker.trim(), &who)
    })
    .await?;
    let id = pages::seg(&id);
    Ok(redirect(&format!("/review?named={id}#whose")))
}

/// Search form fields.
#[derive(Deserialize, Default, Clone)]
pub struct SearchParams {
    /// Query.
    #[serde(default)]
    pub q: String,
    /// Type.
    #[serde(default)]
    pub r#type: String,
    /// Kind.
    #[serde(default)]
    pub kind: String,
    /// Tag.
    #[serde(default)]
    pub tag: String,
    /// Since.
    #[serde(default)]
    pub since: String,
    /// Until.
    #[serde(default)]
    pub until: String,
}

async fn search(
    State(state): State<AppState>,
    Officer(user): Officer,
    Query(p): Query<SearchParams>,
) -> Result<Response> {
    let lib = state.lib.clone();
    Ok(blocking(move || pages::search(&lib, &user, &p))
        .await?
        .into_response())
}

#[derive(Deserialize, Default)]
struct Made {
    made: Option<String>,
}

async fn source_page(
    State(state): State<AppState>,
    Officer(user): Officer,
    Path(id): Path<String>,
    Query(m): Query<Made>,
) -> Result<Response> {
    let lib = state.lib.clone();
    let u = user.clone();
    match blocking(move || pages::source(&lib, &u, &id, None, m.made.as_deref())).await? {
        Some(p) => Ok(p.into_response()),
        None => Ok(not_found(Some(user)).await),
    }
}

#[derive(Deserialize, Default)]
struct Named {
    named: Option<String>,
}

async fn review(
    State(state): State<AppState>,
    Officer(user): Officer,
    Query(n): Query<Named>,
) -> Result<Response> {
    let lib = state.lib.clone();
    Ok(
        blocking(move || pages::review(&lib, &user, n.named.as_deref()))
            .await?
            .into_response(),
    )
}

async fn responses(State(state): State<AppState>, Officer(user): Officer) -> Result<Response> {
    let lib = state.lib.clone();
    Ok(blocking(move || pages::responses(&lib, &user))
        .await?
        .into_response())
}

async fn response_page(
    State(state): State<AppState>,
    Officer(user): Officer,
    Path(slug): Path<String>,
) -> Result<Response> {
    let lib = state.lib.clone();
    let u = user.clone();
    match blocking(move || pages::response(&lib, &u, &slug)).await? {
        Some(p) => Ok(p.into_response()),
        None => Ok(not_found(Some(user)).await),
    }
}

#[derive(Deserialize)]
struct ExportParams {
    to: String,
    #[serde(default)]
    internal: Option<String>,
}

async fn export(
    State(state): State<AppState>,
    Officer(_user): Officer,
    Path(slug): Path<String>,
    Query(p): Query<ExportParams>,
) -> Result<Response> {
    let format = match p.to.as_str() {
        "docx" => crate::export::Format::Docx,
        "html" => crate::export::Format::Html,
        "txt" => crate::export::Format::Txt,
        _ => {
            return Err(AppError(
                InputError("choose docx, html or txt".into()).into(),
            ));
        }
    };
    let internal = p
        .internal
        .is_some_and(|v| v == "1" || v == "true" || v == "on");
    let lib = state.lib.clone();
    let out = blocking(move || pages::export_bytes(&lib, &slug, format, internal)).await?;
    let Some((name, bytes)) = out else {
        return Ok((StatusCode::NOT_FOUND, "no such response").into_response());
    };
    let mime = match format {
        crate::export::Format::Docx => {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
        crate::export::Format::Html => "text/html; charset=utf-8",
        crate::export::Format::Txt => "text/plain; charset=utf-8",
        crate::export::Format::Pack => "application/zip",
    };
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response())
}
