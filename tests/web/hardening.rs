//! Regression tests for the holes a hostile review found in the web app: whose words a
//! volunteer may claim and see, source ids with a slash, live links in drafts, the sign-in
//! throttle and single-use links, and input that must never become a 500.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;

use crate::Site;
use crate::handlers::Client;

/// `x` with every byte that is not unreserved percent-encoded (`/` included).
fn enc(x: &str) -> String {
    x.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The `href` of the first link whose text contains `text`.
fn href_of(page: &str, text: &str) -> String {
    let at = page
        .find(text)
        .unwrap_or_else(|| panic!("no `{text}` in\n{page}"));
    let start = page[..at].rfind("href=\"").expect("a link") + 6;
    page[start..]
        .split('"')
        .next()
        .expect("href")
        .replace("&amp;", "&")
}

/// The `action` of the first form whose action contains `part`.
fn form_action(page: &str, part: &str) -> String {
    page.match_indices("action=\"")
        .map(|(i, _)| page[i + 8..].split('"').next().expect("action"))
        .find(|a| a.contains(part))
        .unwrap_or_else(|| panic!("no form posting to `{part}` in\n{page}"))
        .replace("&amp;", "&")
}

fn quotes_json(site: &Site) -> Vec<Value> {
    let out: Value = serde_json::from_str(&site.heard_ok(&["quotes", "--json"])).expect("json");
    out["quotes"].as_array().expect("quotes").clone()
}

fn quote_with_words(site: &Site, words: &str) -> Option<Value> {
    quotes_json(site)
        .into_iter()
        .find(|q| q["exact"].as_str().is_some_and(|e| e.contains(words)))
}

// --- item 4: whose words ---------------------------------------------------------------

#[tokio::test]
async fn a_volunteer_cannot_make_someone_elses_words_in_shared_notes_their_own() {
    let site = Site::build();
    let notes = site.shared_notes();
    let mut ana = Client::new(&site);
    ana.sign_in(&site.token("c-ana", "volunteer")).await;
    let page = format!("/me/words/{}", enc(notes));
    let csrf = ana.csrf(&page).await;
    let post = format!("{page}/quote");
    // Bo's sentence: Ana cannot propose it at all (she is not shown it)...
    let r = ana
        .post(
            &post,
            &format!("csrf={csrf}&exact=the+night+discharge+left+him+sleeping+in+a+bus+shelter"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        !r.body.contains("bus shelter"),
        "the refusal must not show hidden words"
    );
    if let Some(q) = quote_with_words(&site, "bus shelter") {
        assert_ne!(q["speaker"], "c-ana", "Ana made Bo's words hers: {q}");
    }
    // ...and words she may see become a suggestion with no speaker, for an officer to name.
    let r = ana
        .post(
            &post,
            &format!("csrf={csrf}&exact=the+wait+for+counselling+felt+like+being+forgotten"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let q = quote_with_words(&site, "being forgotten").expect("the suggestion");
    assert!(q["speaker"].is_null(), "speaker set by the volunteer: {q}");
    let id = q["id"].as_str().expect("id").to_string();
    let after = ana.get(r.location.as_deref().expect("a redirect")).await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(
        after.body.contains("the team") && after.body.contains("whose words"),
        "the volunteer is told an officer will confirm the speaker:\n{}",
        after.body
    );
    // Nobody can consent to it yet, not even through a hand-made form.
    let r = ana
        .post(
            &format!("/me/quotes/{id}"),
            &format!("csrf={csrf}&decision=approve&scope=external"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(site.quote(&id)["status"], "pending");
}

#[tokio::test]
async fn an_officer_names_the_speaker_on_the_review_page_and_only_that_speaker_consents() {
    let site = Site::build();
    let notes = site.shared_notes();
    let mut ana = Client::new(&site);
    ana.sign_in(&site.token("c-ana", "volunteer")).await;
    let page = format!("/me/words/{}", enc(notes));
    let csrf = ana.csrf(&page).await;
    let r = ana
        .post(
            &format!("{page}/quote"),
            &format!("csrf={csrf}&exact=felt+like+being+forgotten+by+everyone"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = quote_with_words(&site, "being forgotten").expect("suggestion")["id"]
        .as_str()
        .expect("id")
        .to_string();

    let mut jo = Client::new(&site);
    jo.sign_in(&site.token("jo", "officer")).await;
    let review = jo.get("/review").await.body;
    assert!(review.contains("Whose words"), "{review}");
    let action = form_action(&review, &id);
    let officer_csrf = jo.csrf("/review").await;
    // Without the CSRF token, nothing changes.
    let r = jo.post(&action, "speaker=c-bo").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(site.quote(&id)["speaker"].is_null());
    // Someone who is not a contributor of the notes cannot be named.
    let r = jo
        .post(&action, &format!("csrf={officer_csrf}&speaker=c-nobody"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // The officer names Bo (say, the notes were mis-attributed): Ana cannot consent.
    let r = jo
        .post(&action, &format!("csrf={officer_csrf}&speaker=c-bo"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let q = site.quote(&id);
    assert_eq!(q["speaker"], "c-bo");
    let last = q["history"].as_array().expect("history").last().cloned();
    let last = last.expect("an event");
    assert_eq!(last["action"], "quote.speaker");
    assert_eq!(last["actor"], "jo");
    assert_eq!(last["details"]["speaker"], "c-bo");
    assert!(last["details"]["previous"].is_null());
    let r = ana
        .post(
            &format!("/me/quotes/{id}"),
            &format!("csrf={csrf}&decision=approve&scope=external"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let (code, _, err) = site.heard(&["quote", "approve", &id, "--by", "c-ana"]);
    assert_eq!(code, 2, "{err}");
    // Corrected to Ana, she sees it and can say yes.
    let r = jo
        .post(&action, &format!("csrf={officer_csrf}&speaker=c-ana"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(ana.get("/me").await.body.contains(&id));
    let r = ana
        .post(
            &format!("/me/quotes/{id}"),
            &format!("csrf={csrf}&decision=approve&scope=external"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(site.quote(&id)["status"], "approved");
    // Once approved, the speaker cannot be changed.
    let r = jo
        .post(&action, &format!("csrf={officer_csrf}&speaker=c-bo"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("approved"), "{}", r.body);
    assert_eq!(site.quote(&id)["speaker"], "c-ana");
    assert_eq!(site.heard(&["verify"]).0, 0);
}

#[tokio::test]
async fn a_volunteer_sees_only_their_own_passages_of_shared_notes() {
    let site = Site::build();
    let notes = site.shared_notes();
    let mut ana = Client::new(&site);
    ana.sign_in(&site.token("c-ana", "volunteer")).await;
    let page = ana.get(&format!("/me/words/{}", enc(notes))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("wait for counselling"),
        "her first name, in capitals"
    );
    for hidden in ["bus shelter", "without an address", "waiting times"] {
        assert!(!page.body.contains(hidden), "`{hidden}` shown to Ana");
    }
    assert!(
        page.body.contains("other people") && page.body.contains("hidden"),
        "says that other people's words are hidden:\n{}",
        page.body
    );
    // Bo sees his passage (by his id), not Ana's.
    let mut bo = Client::new(&site);
    bo.sign_in(&site.token("c-bo", "volunteer")).await;
    let page = bo.get(&format!("/me/words/{}", enc(notes))).await.body;
    assert!(page.contains("bus shelter"));
    assert!(!page.contains("wait for counselling"));
    // A passage holding one of Ana's quotes is hers to see.
    site.heard_ok(&[
        "quote",
        "add",
        "--source",
        notes,
        "--exact",
        "nobody should leave hospital without an address",
        "--speaker",
        "c-ana",
    ]);
    let page = ana.get(&format!("/me/words/{}", enc(notes))).await.body;
    assert!(page.contains("without an address"));
    assert!(!page.contains("bus shelter"));
}

// --- item 5: ids with a slash ----------------------------------------------------------

#[tokio::test]
async fn sources_in_sub_folders_open_from_every_link_the_app_makes() {
    let site = Site::build();
    let notes = site.shared_notes();
    let mut ana = Client::new(&site);
    ana.sign_in(&site.token("c-ana", "volunteer")).await;
    let list = ana.get("/me/words").await.body;
    let link = href_of(&list, "Tuesday group notes");
    let page = ana.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "{link}");
    assert!(page.body.contains("Tuesday group notes"));
    // The raw path works too.
    assert_eq!(
        ana.get("/me/words/notes/tuesday%20group").await.status,
        StatusCode::OK
    );
    // The suggestion form posts to an address that works.
    let csrf = ana.csrf(&link).await;
    let action = form_action(&page.body, "/quote");
    let r = ana
        .post(
            &action,
            &format!("csrf={csrf}&exact=felt+like+being+forgotten"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.body);
    assert!(quote_with_words(&site, "felt like being forgotten").is_some());

    let mut jo = Client::new(&site);
    jo.sign_in(&site.token("jo", "officer")).await;
    for uri in [
        format!("/sources/{}", enc(notes)),
        "/sources/notes/tuesday%20group".to_string(),
    ] {
        let r = jo.get(&uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(r.body.contains("Tuesday group notes"));
    }
    let results = jo.get("/search?q=shelter").await.body;
    let link = href_of(&results, "Tuesday group notes");
    assert_eq!(jo.get(&link).await.status, StatusCode::OK, "{link}");
    let review = jo.get("/review").await.body;
    let link = href_of(&review, "felt like being forgotten");
    assert_eq!(jo.get(&link).await.status, StatusCode::OK, "{link}");
    // An officer sent to a volunteer's page is redirected to an address that works.
    let r = jo.get(&format!("/me/words/{}", enc(notes))).await;
    let to = r.location.expect("a redirect");
    assert_eq!(jo.get(&to).await.status, StatusCode::OK, "{to}");
}

// --- item 7: what a draft may make live ------------------------------------------------

const EVIL: &str = "# Evil draft\n\n## 1. Question\n\nClick [here](javascript:alert(1)) or [there](JaVaScRiPt:alert(2)) or <javascript:alert(3)> or [tab](java&#9;script:alert(4)).\n\nA tracker: ![a pixel](https://evil.example/x.png) and [a fine link](https://example.org/a) and [mail](mailto:a@example.org) and [see](#section) and [data](data:text/html,hi).\n";

fn assert_safe_html(html: &str) {
    let lower = html.to_lowercase();
    for bad in ["javascript:", "<img", "evil.example", "data:text"] {
        if bad == "javascript:" {
            assert!(
                !lower.contains("href=\"javascript") && !lower.contains("href=\"java\tscript"),
                "live script link in\n{html}"
            );
        } else if bad == "data:text" {
            assert!(!lower.contains("href=\"data:"), "data link in\n{html}");
        } else {
            assert!(!lower.contains(bad), "`{bad}` in\n{html}");
        }
    }
    assert!(!html.contains("href=\"java"), "{html}");
    assert!(html.contains("a pixel"), "the image's alt text is shown");
    assert!(html.contains("href=\"https://example.org/a\""), "{html}");
    assert!(html.contains("href=\"mailto:a@example.org\""), "{html}");
    assert!(html.contains("href=\"#section\""), "{html}");
    assert!(
        html.contains("here"),
        "the text of a refused link is kept: {html}"
    );
}

#[tokio::test]
async fn script_links_and_remote_images_in_a_draft_are_never_live() {
    let site = Site::build();
    site.write("responses/evil/response.md", EVIL);
    let mut jo = Client::new(&site);
    jo.sign_in(&site.token("jo", "officer")).await;
    let page = jo.get("/responses/evil").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_safe_html(&page.body);
    // The HTML export, written by the command line.
    site.write(
        "responses/evil/consultation.toml",
        "title = \"Evil\"\nbody = \"Nobody\"\n\n[[question]]\nid = \"1\"\ntext = \"Question\"\n",
    );
    let out = site.root().join("evil.html");
    let (code, _, err) = site.heard(&[
        "export",
        "responses/evil",
        "--to",
        "html",
        "--force",
        "--out",
        out.to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&out).expect("the export");
    assert_safe_html(&html);
    assert!(
        html.contains("http-equiv=\"Content-Security-Policy\""),
        "the file carries a CSP:\n{html}"
    );
}

#[tokio::test]
async fn a_question_id_cannot_make_a_live_link_in_the_draft() {
    let site = Site::build();
    site.write(
        "responses/qid/consultation.toml",
        "title = \"Q\"\nbody = \"Nobody\"\n\n[[question]]\nid = \"[q](javascript:alert(1))\"\ntext = \"What <img src=x onerror=alert(2)>?\"\n",
    );
    site.heard_ok(&["draft", "responses/qid"]);
    let out = site.root().join("qid.html");
    let (code, _, err) = site.heard(&[
        "export",
        "responses/qid",
        "--to",
        "html",
        "--force",
        "--out",
        out.to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&out).expect("the export");
    assert!(!html.contains("href=\"javascript"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    let mut jo = Client::new(&site);
    jo.sign_in(&site.token("jo", "officer")).await;
    let page = jo.get("/responses/qid").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("href=\"javascript"), "{}", page.body);
    assert!(!page.body.contains("<img"), "{}", page.body);
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_and_are_not_cached() {
    let site = Site::build();
    let mut jo = Client::new(&site);
    let signin = jo.get("/signin").await;
    assert!(signin.headers.get("content-security-policy").is_some());
    jo.sign_in(&site.token("jo", "officer")).await;
    for uri in ["/review", "/search?q=x", "/sources/t-ana", "/responses"] {
        let r = jo.get(uri).await;
        let h = |name: &str| {
            r.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let csp = h("content-security-policy");
        for part in [
            "default-src 'self'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{uri}: CSP `{csp}` lacks {part}");
        }
        assert!(!csp.contains("unsafe-inline"), "{uri}: {csp}");
        assert_eq!(h("x-frame-options"), "DENY", "{uri}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{uri}");
        assert_eq!(h("cache-control"), "no-store", "{uri}");
        assert!(
            !r.body.contains("<script>") && !r.body.contains(" style=\""),
            "{uri}: inline script or style would be blocked by the CSP"
        );
    }
}

// --- item 9: sign-in throttle and single-use links -------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_bad_links_never_locks_out_a_good_one() {
    let site = Site::build();
    let token = site.token("c-ana", "volunteer");
    let c = Client::new(&site);
    let mut bad = tokio::task::JoinSet::new();
    for n in 0..40 {
        let mut c = c.clone();
        bad.spawn(async move { c.get(&format!("/signin/{n:064x}")).await.status });
    }
    let statuses = tokio::time::timeout(Duration::from_secs(60), bad.join_all())
        .await
        .expect("bad guesses are answered");
    assert!(statuses.iter().all(|s| *s != StatusCode::SEE_OTHER));
    let mut good = c.clone();
    let r = tokio::time::timeout(Duration::from_secs(3), good.sign_in(&token))
        .await
        .expect("a valid link is never made to wait");
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(good.get("/me").await.status, StatusCode::OK);
    // And more bad guesses are refused, quickly.
    let mut more = c.clone();
    let r = tokio::time::timeout(
        Duration::from_secs(3),
        more.get(&format!("/signin/{:064x}", 7)),
    )
    .await
    .expect("refused without waiting");
    assert!(
        r.status == StatusCode::TOO_MANY_REQUESTS || r.status == StatusCode::FORBIDDEN,
        "{}",
        r.status
    );
}

#[tokio::test]
async fn a_sign_in_link_works_once_and_says_so_the_second_time() {
    let site = Site::build();
    let token = site.token("c-ana", "volunteer");
    let mut first = Client::new(&site);
    assert_eq!(first.sign_in(&token).await.status, StatusCode::SEE_OTHER);
    let mut second = Client::new(&site);
    let r = second.sign_in(&token).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.set_cookie.is_none());
    assert!(
        r.body.contains("already been used") && r.body.contains("new one"),
        "{}",
        r.body
    );
    // Pasted into the form, the same.
    let r = second.post("/signin", &format!("token={token}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("already been used"));
    // The first session lasts.
    assert_eq!(first.get("/me").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_uses_of_one_link_at_once_make_exactly_one_session() {
    let site = Site::build();
    for _ in 0..3 {
        let token = site.token("c-ana", "volunteer");
        let c = Client::new(&site);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..2 {
            let mut c = c.clone();
            let token = token.clone();
            set.spawn(async move { c.sign_in(&token).await.status });
        }
        let statuses = set.join_all().await;
        let signed_in = statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count();
        assert_eq!(signed_in, 1, "{statuses:?}");
    }
}

// --- item 16: input checked, never a 500 -----------------------------------------------

#[tokio::test]
async fn a_volunteer_can_only_use_the_taxonomys_tags() {
    let site = Site::build();
    let mut ana = Client::new(&site);
    ana.sign_in(&site.token("c-ana", "volunteer")).await;
    let csrf = ana.csrf("/me/words/t-ana").await;
    let r = ana
        .post(
            "/me/words/t-ana/quote",
            &format!(
                "csrf={csrf}&exact=the+counsellor+was+kind&tags=mental-health&tags=rude-words"
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("rude-words"), "{}", r.body);
    assert!(quote_with_words(&site, "counsellor was kind").is_none());
}

#[tokio::test]
async fn control_characters_in_addresses_never_give_a_500() {
    let site = Site::build();
    let mut jo = Client::new(&site);
    jo.sign_in(&site.token("jo", "officer")).await;
    for uri in [
        "/me/words/a%0Ab",
        "/me/words/a%0D%0ASet-Cookie:%20x=1",
        "/sources/a%00b",
        "/responses/a%0Ab",
    ] {
        let r = jo.get(uri).await;
        assert!(!r.status.is_server_error(), "{uri}: {}", r.status);
        if let Some(l) = &r.location {
            assert!(!l.contains('\n') && !l.contains('\r'), "{l:?}");
        }
    }
    let mut ana = Client::new(&site);
    ana.sign_in(&site.token("c-ana", "volunteer")).await;
    let csrf = ana.csrf("/me").await;
    for uri in ["/me/quotes/q-%0A", "/me/words/a%0Ab/quote"] {
        let r = ana
            .post(uri, &format!("csrf={csrf}&decision=approve&exact=abc"))
            .await;
        assert!(!r.status.is_server_error(), "{uri}: {}", r.status);
    }
}

#[test]
fn sign_in_links_must_last_between_one_day_and_a_year() {
    let site = Site::build();
    for days in ["0", "-1", "367", "100000000000000"] {
        let arg = format!("--days={days}");
        let (code, out, err) = site.heard(&["access", "grant", "c-ana", &arg]);
        assert_eq!(code, 2, "--days {days}: {out}{err}");
        assert!(!out.contains("/signin/"), "--days {days} printed a link");
        assert!(err.contains("1") && err.contains("366"), "{err}");
    }
    let (code, out, _) = site.heard(&["access", "grant", "c-ana", "--days", "366"]);
    assert_eq!(code, 0);
    assert!(out.contains("/signin/"));
}
