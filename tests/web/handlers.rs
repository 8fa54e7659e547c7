//! Handler tests: the router answered directly, no socket.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::Site;

#[derive(Clone)]
pub(crate) struct Client {
    app: axum::Router,
    pub(crate) cookie: Option<String>,
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) set_cookie: Option<String>,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: String,
}

impl Client {
    pub(crate) fn new(site: &Site) -> Client {
        let lib = heard::Library::open(site.root()).expect("library");
        Client {
            app: heard::web::app(heard::web::AppState::new(lib)),
            cookie: None,
        }
    }

    /// A client of an app built by the test (e.g. one with a watcher).
    pub(crate) fn of(app: axum::Router) -> Client {
        Client { app, cookie: None }
    }

    pub(crate) async fn send(&mut self, method: &str, uri: &str, form: Option<&str>) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        let body = match form {
            Some(f) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(f.to_string())
            }
            None => Body::empty(),
        };
        let mut req = req.body(body).expect("request");
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50000))));
        let res = self.app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap_or_default().to_string());
        let set_cookie = res
            .headers()
            .get(header::SET_COOKIE)
            .map(|v| v.to_str().unwrap_or_default().to_string());
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Reply {
            status,
            location,
            set_cookie,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub(crate) async fn get(&mut self, uri: &str) -> Reply {
        self.send("GET", uri, None).await
    }

    pub(crate) async fn post(&mut self, uri: &str, form: &str) -> Reply {
        self.send("POST", uri, Some(form)).await
    }

    /// Sign in with a token and keep the session cookie.
    pub(crate) async fn sign_in(&mut self, token: &str) -> Reply {
        // Opening the link shows a button; pressing it posts the token.
        let page = self.get(&format!("/signin/{token}")).await;
        let r = if page.status == StatusCode::OK {
            assert!(page.set_cookie.is_none(), "opening a link signed in");
            assert!(page.body.contains("name=\"token\""), "{}", page.body);
            self.post("/signin", &format!("token={token}")).await
        } else {
            page
        };
        if let Some(c) = &r.set_cookie {
            self.cookie = Some(c.split(';').next().unwrap_or_default().to_string());
        }
        r
    }

    /// The CSRF token in the last page's forms.
    pub(crate) async fn csrf(&mut self, page: &str) -> String {
        let body = self.get(page).await.body;
        let at = body
            .find("name=\"csrf\" value=\"")
            .expect("a form with a csrf token");
        body[at + 19..]
            .split('"')
            .next()
            .expect("csrf value")
            .to_string()
    }
}

#[tokio::test]
async fn pages_need_a_sign_in_and_a_good_link_gives_a_strict_cookie() {
    let site = Site::build();
    let mut c = Client::new(&site);
    let r = c.get("/me").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/signin"));
    assert_eq!(
        c.get("/signin/not-a-token").await.status,
        StatusCode::FORBIDDEN
    );
    let r = c.sign_in(&site.token("c-ana", "volunteer")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cookie = r.set_cookie.expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let me = c.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.body.contains("nobody rang to check I was still alive"));
}

#[tokio::test]
async fn a_volunteer_sees_only_their_own_words() {
    let site = Site::build();
    let mut c = Client::new(&site);
    c.sign_in(&site.token("c-ana", "volunteer")).await;
    let me = c.get("/me").await.body;
    assert!(me.contains(&site.ana_quote));
    assert!(
        !me.contains(&site.bo_quote),
        "Bo's quote must not be on Ana's page"
    );
    assert!(!me.contains("bin bag"));
    assert_eq!(c.get("/me/words/t-bo").await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.get("/me/words/t-ana").await.status, StatusCode::OK);
    for officer_page in [
        "/search?q=hospital",
        "/sources/t-bo",
        "/review",
        "/responses",
    ] {
        assert_eq!(
            c.get(officer_page).await.status,
            StatusCode::FORBIDDEN,
            "{officer_page}"
        );
    }
    // Deciding about someone else's quote is refused, and nothing is recorded.
    let csrf = c.csrf("/me").await;
    let r = c
        .post(
            &format!("/me/quotes/{}", site.bo_quote),
            &format!("csrf={csrf}&decision=approve&scope=external"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(site.quote(&site.bo_quote)["status"], "pending");
}

#[tokio::test]
async fn approving_records_the_same_ledger_event_as_the_command_line() {
    let site = Site::build();
    let mut c = Client::new(&site);
    c.sign_in(&site.token("c-ana", "volunteer")).await;
    let csrf = c.csrf("/me").await;
    let r = c
        .post(
            &format!("/me/quotes/{}", site.ana_quote),
            &format!("csrf={csrf}&decision=approve&scope=external&expires=&note=fine+by+me"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let q = site.quote(&site.ana_quote);
    assert_eq!(q["status"], "approved");
    assert_eq!(q["scope"], "external");
    let last = q["history"]
        .as_array()
        .expect("history")
        .last()
        .cloned()
        .expect("an event");
    assert_eq!(last["actor"], "c-ana");
    assert_eq!(last["action"], "quote.approve");
    assert_eq!(site.heard(&["verify"]).0, 0);
    // And withdrawing works the same way.
    let r = c
        .post(
            &format!("/me/quotes/{}", site.ana_quote),
            &format!("csrf={csrf}&decision=withdraw"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(site.quote(&site.ana_quote)["status"], "withdrawn");
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let site = Site::build();
    let mut c = Client::new(&site);
    c.sign_in(&site.token("c-ana", "volunteer")).await;
    let r = c
        .post(
            &format!("/me/quotes/{}", site.ana_quote),
            "decision=approve&scope=external",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .post(
            &format!("/me/quotes/{}", site.ana_quote),
            "csrf=forged&decision=approve",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(site.quote(&site.ana_quote)["status"], "pending");
}

#[tokio::test]
async fn a_volunteer_can_suggest_a_quote_from_their_own_words() {
    let site = Site::build();
    let mut c = Client::new(&site);
    c.sign_in(&site.token("c-ana", "volunteer")).await;
    let csrf = c.csrf("/me/words/t-ana").await;
    let r = c
        .post(
            "/me/words/t-ana/quote",
            &format!("csrf={csrf}&exact=the+counsellor+was+kind&tags=mental-health"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let quotes: serde_json::Value =
        serde_json::from_str(&site.heard_ok(&["quotes", "--speaker", "c-ana", "--json"]))
            .expect("json");
    let new = quotes["quotes"]
        .as_array()
        .expect("quotes")
        .iter()
        .find(|q| q["exact"] == "the counsellor was kind")
        .cloned()
        .expect("the new quote");
    assert_eq!(new["status"], "pending");
    assert_eq!(new["tags"], serde_json::json!(["mental-health"]));
    // Not from someone else's testimony.
    let r = c
        .post(
            "/me/words/t-bo/quote",
            &format!("csrf={csrf}&exact=a+bin+bag+of+clothes"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn library_text_is_always_escaped() {
    let site = Site::build();
    let mut c = Client::new(&site);
    c.sign_in(&site.token("jo", "officer")).await;
    let page = c.get("/sources/t-bo").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("<script>alert"),
        "raw script in the page"
    );
    assert!(
        page.body.contains("&lt;script&gt;alert"),
        "the text is shown, escaped"
    );
    let results = c.get("/search?q=care+plan").await.body;
    assert!(!results.contains("<script>alert"));
}

#[tokio::test]
async fn officers_search_review_and_revoked_sessions_end() {
    let site = Site::build();
    let mut c = Client::new(&site);
    c.sign_in(&site.token("jo", "officer")).await;
    let results = c.get("/search?q=counselling&kind=testimony").await;
    assert_eq!(results.status, StatusCode::OK);
    assert!(results.body.contains("Ana on waiting lists"));
    let review = c.get("/review").await.body;
    assert!(
        review.contains(&site.ana_quote) && review.contains(&site.bo_quote),
        "both pending quotes listed"
    );
    site.heard_ok(&["access", "revoke", "jo"]);
    let r = c.get("/review").await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "a revoked session is signed out"
    );
}

#[tokio::test]
async fn a_damaged_ledger_is_shown_to_officers_and_consent_shows_as_unknown() {
    let site = Site::build();
    let ledger = site.root().join("corpus/ledger.jsonl");
    let mut text = std::fs::read_to_string(&ledger).unwrap();
    text.push_str("{\"id\": \"edited by hand\"}\n");
    std::fs::write(&ledger, text).unwrap();
    let mut c = Client::new(&site);
    c.sign_in(&site.token("jo", "officer")).await;
    let review = c.get("/review").await.body;
    assert!(review.contains("The consent ledger is damaged"), "{review}");
    assert_eq!(site.quote(&site.ana_quote)["status"], "unknown");
}
