//! The officer's pages: making a quote from a source page, people and access, and the
//! themes volunteers suggest for their own words — and a volunteer refused every officer
//! action, by address and by replaying a form.

use axum::http::StatusCode;
use serde_json::Value;

use crate::Site;
use crate::handlers::Client;

/// `x` percent-encoded for a form body or an address segment.
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

fn ledger(site: &Site) -> Vec<Value> {
    std::fs::read_to_string(site.root().join("corpus/ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("an event"))
        .collect()
}

fn access_file(site: &Site) -> String {
    std::fs::read_to_string(site.root().join(".heard/access.json")).unwrap_or_default()
}

/// The value of the hidden field `name` in the form with id `form`.
fn hidden(page: &str, form: &str, name: &str) -> String {
    let at = page
        .find(&format!("id=\"{form}\""))
        .unwrap_or_else(|| panic!("no form {form} in\n{page}"));
    let rest = &page[at..];
    let f = rest
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name} in form {form}"));
    rest[f + name.len() + 15..]
        .split('"')
        .next()
        .expect("value")
        .to_string()
}

async fn officer(site: &Site) -> Client {
    let mut c = Client::new(site);
    c.sign_in(&site.token("jo", "officer")).await;
    c
}

async fn volunteer(site: &Site, who: &str) -> Client {
    let mut c = Client::new(site);
    c.sign_in(&site.token(who, "volunteer")).await;
    c
}

#[tokio::test]
async fn an_officer_makes_a_quote_from_a_source_in_a_sub_folder_and_its_speaker_is_asked() {
    let site = Site::build();
    let notes = site.shared_notes();
    let mut c = officer(&site).await;
    let page = c.get(&format!("/sources/{}", enc(notes))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("action=\"/quotes\""), "{}", page.body);
    let csrf = c.csrf(&format!("/sources/{}", enc(notes))).await;
    let r = c
        .post(
            "/quotes",
            &format!(
                "csrf={csrf}&source={}&exact={}&speaker=c-bo&tag=housing",
                enc(notes),
                enc("the night discharge left him sleeping in a bus shelter")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location.expect("back to the source");
    assert!(
        to.starts_with("/sources/notes%2Ftuesday%20group?made=q-"),
        "{to}"
    );
    let back = c.get(&to).await;
    assert_eq!(back.status, StatusCode::OK);
    assert!(back.body.contains("is made"), "{}", back.body);
    let id = to
        .split("made=")
        .nth(1)
        .expect("id")
        .split('#')
        .next()
        .expect("id");
    let q = site.quote(id);
    assert_eq!(q["speaker"], "c-bo");
    assert_eq!(q["status"], "pending");
    assert_eq!(q["tags"], serde_json::json!(["housing"]));
    let created = ledger(&site)
        .into_iter()
        .find(|e| e["target"] == id)
        .expect("an event");
    assert_eq!(created["action"], "quote.create");
    assert_eq!(created["actor"], "jo");
    assert_eq!(created["details"]["source"], notes);
    // The speaker is asked on their own page; nobody else sees it.
    let mut bo = volunteer(&site, "c-bo").await;
    let me = bo.get("/me").await.body;
    assert!(me.contains(id) && me.contains("bus shelter"), "{me}");
    let mut ana = volunteer(&site, "c-ana").await;
    assert!(!ana.get("/me").await.body.contains(id));
}

#[tokio::test]
async fn words_not_in_the_source_are_refused_on_the_page_with_what_was_typed_kept() {
    let site = Site::build();
    let mut c = officer(&site).await;
    let csrf = c.csrf("/sources/t-ana").await;
    let before = ledger(&site).len();
    let typed = "I waited twelve months for counselling";
    let r = c
        .post(
            "/quotes",
            &format!(
                "csrf={csrf}&source=t-ana&exact={}&speaker=c-ana&tag=mental-health",
                enc(typed)
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("not in"), "{}", r.body);
    assert!(r.body.contains("closest words"), "{}", r.body);
    assert!(r.body.contains(typed), "what was typed is kept: {}", r.body);
    assert!(
        r.body.contains("value=\"mental-health\" checked"),
        "the ticked theme is kept: {}",
        r.body
    );
    assert_eq!(ledger(&site).len(), before, "nothing recorded");
    // A speaker who is not a contributor is not made up from a form.
    let r = c
        .post(
            "/quotes",
            &format!(
                "csrf={csrf}&source=t-ana&exact={}&speaker=c-nobody",
                enc("the counsellor was kind")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("contributors.toml"), "{}", r.body);
    assert_eq!(ledger(&site).len(), before, "nothing recorded");
    let r = c
        .post(
            "/quotes",
            &format!("csrf={csrf}&source=no-such-source&exact=whatever+words"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn source_pages_show_the_pages_of_an_imported_pdf() {
    let site = Site::build();
    site.write(
        "corpus/imported/reports/evaluation 2022.md",
        "---\ntitle: Evaluation 2022\nkind: report\nsensitivity: public\n---\n\n<!-- page 1 -->\n\nThe service began in a church hall.\n\n<!-- page 7 -->\n\nWaiting times for counselling doubled over the year.\n",
    );
    let mut c = officer(&site).await;
    let page = c
        .get(&format!(
            "/sources/{}",
            enc("imported/reports/evaluation 2022")
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = page.body;
    let p7 = body.find("Page 7").expect("page 7 is shown");
    let words = body.find("Waiting times for counselling").expect("text");
    assert!(body.find("Page 1").expect("page 1") < p7 && p7 < words);
    let found = c.get("/search?q=%22waiting+times%22").await.body;
    assert!(found.contains("(p. 7)"), "{found}");
    // A quote made there says its page too.
    let id = site.heard_ok(&[
        "quote",
        "add",
        "--source",
        "imported/reports/evaluation 2022",
        "--exact",
        "Waiting times for counselling doubled",
    ]);
    let page = c
        .get(&format!(
            "/sources/{}",
            enc("imported/reports/evaluation 2022")
        ))
        .await
        .body;
    assert!(
        page.contains(&format!(
            "{}: Waiting times for counselling doubled (p. 7)",
            id.trim()
        )),
        "{page}"
    );
}

#[tokio::test]
async fn the_people_page_shows_consent_by_contributor_and_never_a_contact() {
    let site = Site::build();
    site.heard_ok(&[
        "quote",
        "approve",
        &site.ana_quote,
        "--by",
        "c-ana",
        "--scope",
        "external",
    ]);
    let mut c = officer(&site).await;
    let page = c.get("/people").await;
    assert_eq!(page.status, StatusCode::OK);
    let row = |who: &str| {
        let at = page.body.find(&format!("id=\"p-{who}\"")).expect("a row");
        page.body[at..]
            .split("</tr>")
            .next()
            .expect("row")
            .to_string()
    };
    assert!(row("c-ana").contains("approved") && !row("c-ana").contains("pending"));
    assert!(row("c-bo").contains("pending"), "{}", row("c-bo"));
    assert!(row("c-ana").contains("Peer volunteer"));
    assert!(
        !page.body.contains("via the Tuesday group"),
        "a contact detail is shown"
    );
    assert!(page.body.contains("href=\"/people\""), "a nav link");
}

#[tokio::test]
async fn an_officer_grants_access_and_the_link_is_shown_once_and_signs_in() {
    let site = Site::build();
    let mut c = officer(&site).await;
    let csrf = c.csrf("/people").await;
    let r = c
        .post(
            "/people/grant",
            &format!("csrf={csrf}&name=c-bo&role=volunteer"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let at = r.body.find("/signin/").expect("a link");
    let token: String = r.body[at + 8..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64);
    assert!(r.body.contains("data-copy=\"new-link\""));
    assert!(r.body.contains("data-print"));
    assert!(r.body.contains("class=\"printable\""));
    // Not stored: no page shows it again, and the store holds only its hash.
    let people = c.get("/people").await.body;
    assert!(!people.contains(&token));
    assert!(people.contains("1 unused sign-in link"), "{people}");
    assert!(!access_file(&site).contains(&token));
    let mut bo = Client::new(&site);
    bo.sign_in(&token).await;
    let me = bo.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.body.contains(&site.bo_quote));
    // An officer's link, too.
    let r = c
        .post(
            "/people/grant",
            &format!("csrf={csrf}&name=Priya+K&role=officer"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(c.get("/people").await.body.contains("Priya K"));
}

#[tokio::test]
async fn a_volunteer_link_for_someone_not_a_contributor_is_refused_with_the_name_kept() {
    let site = Site::build();
    let mut c = officer(&site).await;
    let csrf = c.csrf("/people").await;
    let before = access_file(&site);
    let r = c
        .post(
            "/people/grant",
            &format!("csrf={csrf}&name=c-amberr&role=volunteer"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("not in corpus/contributors.toml"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"c-amberr\""), "the name is kept");
    assert!(!r.body.contains("/signin/"));
    for bad in ["name=&role=officer", "name=x&role=admin"] {
        let r = c.post("/people/grant", &format!("csrf={csrf}&{bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(access_file(&site), before, "no link was made");
}

#[tokio::test]
async fn revoking_ends_a_volunteers_session_at_once() {
    let site = Site::build();
    let mut ana = volunteer(&site, "c-ana").await;
    assert_eq!(ana.get("/me").await.status, StatusCode::OK);
    let mut c = officer(&site).await;
    let people = c.get("/people").await.body;
    assert!(people.contains("signed in on 1 device"), "{people}");
    let csrf = c.csrf("/people").await;
    let r = c
        .post("/people/revoke", &format!("csrf={csrf}&name=c-ana"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let done = c.get(&r.location.expect("back")).await.body;
    assert!(done.contains("Access for c-ana has ended"), "{done}");
    let r = ana.get("/me").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/signin"));
}

#[tokio::test]
async fn a_volunteer_suggests_themes_for_their_words_and_an_officer_accepts_or_dismisses() {
    let site = Site::build();
    let mut ana = volunteer(&site, "c-ana").await;
    let page = ana.get("/me/words/t-ana").await.body;
    let csrf = hidden(&page, "themes-1", "csrf");
    let line = hidden(&page, "themes-1", "line");
    let r = ana
        .post(
            "/me/tags",
            &format!("csrf={csrf}&source=t-ana&line={line}&tag=housing&tag=mental-health"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let back = ana.get(&r.location.expect("back")).await.body;
    assert!(back.contains("Your themes are saved"));
    assert!(back.contains("waiting for the team"), "{back}");
    let ev = ledger(&site)
        .into_iter()
        .find(|e| e["action"] == "tag.suggest")
        .expect("a tag.suggest event");
    assert_eq!(ev["actor"], "c-ana");
    assert_eq!(ev["details"]["source"], "t-ana");
    assert_eq!(
        ev["details"]["tags"],
        serde_json::json!(["housing", "mental-health"])
    );
    let first = ev["target"].as_str().expect("id").to_string();
    // Suggesting a theme already waiting for the team records nothing twice.
    let events = ledger(&site).len();
    let r = ana
        .post(
            "/me/tags",
            &format!("csrf={csrf}&source=t-ana&line={line}&tag=housing"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(ledger(&site).len(), events);
    // A second suggestion, for the first paragraph.
    let line0 = hidden(&page, "themes-0", "line");
    ana.post(
        "/me/tags",
        &format!("csrf={csrf}&source=t-ana&line={line0}&tag=housing"),
    )
    .await;
    let second = ledger(&site)
        .into_iter()
        .filter(|e| e["action"] == "tag.suggest")
        .nth(1)
        .expect("two suggestions")["target"]
        .as_str()
        .expect("id")
        .to_string();

    let mut c = officer(&site).await;
    let review = c.get("/review").await.body;
    assert!(
        review.contains(&first) && review.contains(&second),
        "{review}"
    );
    assert!(review.contains("the counsellor was kind"), "its paragraph");
    let csrf = c.csrf("/review").await;
    let r = c
        .post(
            &format!("/review/suggestions/{first}"),
            &format!("csrf={csrf}&decision=accept"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c
        .post(
            &format!("/review/suggestions/{second}"),
            &format!("csrf={csrf}&decision=dismiss"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let source = c.get("/sources/t-ana").await.body;
    let at = source.find("the counsellor was kind").expect("paragraph");
    assert!(
        source[at..]
            .contains("Themes of this paragraph: housing (suggested by c-ana), mental-health"),
        "{source}"
    );
    assert_eq!(
        source.matches("Themes of this paragraph").count(),
        1,
        "the dismissed one is not on the source"
    );
    let review = c.get("/review").await.body;
    assert!(!review.contains(&first) && !review.contains(&second));
    // Answered once only.
    let r = c
        .post(
            &format!("/review/suggestions/{first}"),
            &format!("csrf={csrf}&decision=dismiss"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let mine = ana.get("/me/words/t-ana").await.body;
    assert!(
        mine.contains("accepted") && mine.contains("not taken up"),
        "{mine}"
    );
    assert_eq!(site.heard(&["verify"]).0, 0, "the ledger stays intact");
}

#[tokio::test]
async fn a_volunteer_tags_only_their_own_paragraphs() {
    let site = Site::build();
    let notes = site.shared_notes();
    let mut ana = volunteer(&site, "c-ana").await;
    let page = ana.get(&format!("/me/words/{}", enc(notes))).await.body;
    let csrf = hidden(&page, "themes-0", "csrf");
    let before = ledger(&site).len();
    let own = hidden(&page, "themes-0", "line");
    assert_eq!(own, "9", "her paragraph of the notes");
    // Bo's testimony, and Bo's paragraph of the shared notes (line 11), are not hers.
    let r = ana
        .post(
            "/me/tags",
            &format!("csrf={csrf}&source=t-bo&line=11&tag=housing"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = ana
        .post(
            "/me/tags",
            &format!("csrf={csrf}&source={}&line=11&tag=housing", enc(notes)),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = ana
        .post(
            "/me/tags",
            &format!(
                "csrf={csrf}&source={}&line={own}&tag=not-a-theme",
                enc(notes)
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(ledger(&site).len(), before, "nothing recorded");
    let r = ana
        .post(
            "/me/tags",
            &format!(
                "csrf={csrf}&source={}&line={own}&tag=mental-health",
                enc(notes)
            ),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "her own paragraph: {}",
        r.body
    );
}

#[tokio::test]
async fn a_volunteer_is_refused_every_officer_action_by_address_and_by_form_replay() {
    let site = Site::build();
    // A suggestion waiting for an answer, so that replaying the answer has a target.
    let mut ana = volunteer(&site, "c-ana").await;
    let page = ana.get("/me/words/t-ana").await.body;
    let csrf = hidden(&page, "themes-0", "csrf");
    let line = hidden(&page, "themes-0", "line");
    ana.post(
        "/me/tags",
        &format!("csrf={csrf}&source=t-ana&line={line}&tag=housing"),
    )
    .await;
    let suggestion = ledger(&site)
        .into_iter()
        .find(|e| e["action"] == "tag.suggest")
        .expect("suggested")["target"]
        .as_str()
        .expect("id")
        .to_string();
    let events = ledger(&site).len();
    let access = access_file(&site);
    let quotes = site.heard_ok(&["quotes", "--json"]);
    assert_eq!(ana.get("/people").await.status, StatusCode::FORBIDDEN);
    // Her own, valid CSRF token: the role refuses, not the token.
    for (to, form) in [
        (
            "/quotes".to_string(),
            format!("csrf={csrf}&source=t-ana&exact=the+counsellor+was+kind&speaker=c-ana"),
        ),
        (
            "/people/grant".to_string(),
            format!("csrf={csrf}&name=c-bo&role=volunteer"),
        ),
        (
            "/people/grant".to_string(),
            format!("csrf={csrf}&name=mallory&role=officer"),
        ),
        ("/people/revoke".to_string(), format!("csrf={csrf}&name=jo")),
        (
            format!("/review/suggestions/{suggestion}"),
            format!("csrf={csrf}&decision=accept"),
        ),
    ] {
        let r = ana.post(&to, &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{to}");
        assert!(!r.body.contains("/signin/"), "{to}");
    }
    assert_eq!(ledger(&site).len(), events, "nothing recorded");
    assert_eq!(access_file(&site), access, "no access changed");
    assert_eq!(site.heard_ok(&["quotes", "--json"]), quotes);
    // And an officer's forms without their token are refused too.
    let mut c = officer(&site).await;
    let access = access_file(&site);
    for (to, form) in [
        ("/quotes", "source=t-ana&exact=the+counsellor+was+kind"),
        ("/people/grant", "csrf=forged&name=c-bo&role=volunteer"),
        ("/people/revoke", "name=c-ana"),
    ] {
        assert_eq!(c.post(to, form).await.status, StatusCode::FORBIDDEN, "{to}");
    }
    assert_eq!(ledger(&site).len(), events);
    assert_eq!(access_file(&site), access);
}

/// A file posted as a browser posts a form with a file.
async fn upload(
    site: &Site,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
    file: (&str, &[u8]),
) -> (StatusCode, String) {
    use axum::body::Body;
    use axum::http::{Request, header};
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let boundary = "----heardTestBoundary7MA4YWxk";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.1);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let lib = heard::Library::open(site.root()).expect("library");
    let app = heard::web::app(heard::web::AppState::new(lib));
    let mut req = Request::builder().method("POST").uri("/import").header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={boundary}"),
    );
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = app
        .oneshot(req.body(Body::from(body)).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn an_officer_uploads_a_document_and_it_is_imported_as_heard_import_would() {
    let site = Site::build();
    let mut c = officer(&site).await;
    assert_eq!(c.get("/import").await.status, StatusCode::OK);
    let csrf = c.csrf("/import").await;
    let cookie = c.cookie.clone();
    let text = b"Evaluation of the drop-in, 2022\n\nPeople waited on average nine weeks for a first appointment at the drop-in.\n";
    let (status, body) = upload(
        &site,
        cookie.as_deref(),
        &[
            ("csrf", &csrf),
            ("kind", "report"),
            ("sensitivity", "public"),
        ],
        ("C:\\Users\\jo\\Desktop\\drop-in evaluation.txt", text),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("imported"), "{body}");
    assert!(
        body.contains("href=\"/sources/"),
        "a link to the new source: {body}"
    );
    let found = site.heard_ok(&["search", "nine weeks", "--json"]);
    let v: Value = serde_json::from_str(&found).expect("json");
    let hit = &v["hits"][0];
    assert_eq!(hit["kind"], "report", "{found}");
    assert!(
        hit["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("corpus/imported/")),
        "{found}"
    );
    assert!(
        site.root()
            .join("corpus/originals/imported/drop-in evaluation.txt")
            .exists()
            || std::fs::read_dir(site.root().join("corpus/originals"))
                .expect("originals")
                .count()
                > 0,
        "a copy of the original is kept"
    );
    let uploads = site.root().join(".heard/uploads");
    assert_eq!(
        std::fs::read_dir(&uploads).map_or(0, |d| d.count()),
        0,
        "no upload is left behind in .heard/"
    );
    // The same file again is unchanged, as with `heard import`.
    let (status, body) = upload(
        &site,
        cookie.as_deref(),
        &[("csrf", &csrf)],
        ("drop-in evaluation.txt", text),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("unchanged"), "{body}");
}

#[tokio::test]
async fn an_upload_heard_cannot_read_or_too_large_is_refused_and_nothing_is_written() {
    let site = Site::build();
    let mut c = officer(&site).await;
    let csrf = c.csrf("/import").await;
    let cookie = c.cookie.clone();
    let corpus = || -> Vec<String> {
        walk(&site.root().join("corpus"))
            .into_iter()
            .filter(|p| p.ends_with(".md"))
            .collect()
    };
    let before = corpus();
    let (status, body) = upload(
        &site,
        cookie.as_deref(),
        &[("csrf", &csrf)],
        ("setup.exe", b"MZ\x90\x00"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("heard cannot read"), "{body}");
    let (status, body) = upload(
        &site,
        cookie.as_deref(),
        &[("csrf", &csrf)],
        ("empty.txt", b""),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("empty.txt: is empty"), "{body}");
    assert!(
        !body.contains(".heard"),
        "the upload's place is not shown: {body}"
    );
    let big = vec![b'a'; 26 * 1024 * 1024];
    let (status, body) = upload(
        &site,
        cookie.as_deref(),
        &[("csrf", &csrf)],
        ("big.txt", &big),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("larger than 25 MB"), "{body}");
    // Without the form's token, or as a volunteer: refused.
    let (status, _) = upload(
        &site,
        cookie.as_deref(),
        &[("csrf", "forged")],
        ("ok.txt", b"Some words to import here."),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let ana = volunteer(&site, "c-ana").await;
    let mut ana2 = ana.clone();
    let their = ana2.csrf("/me").await;
    let (status, _) = upload(
        &site,
        ana.cookie.as_deref(),
        &[("csrf", &their)],
        ("ok.txt", b"Some words to import here."),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(ana2.get("/import").await.status, StatusCode::FORBIDDEN);
    assert_eq!(corpus(), before, "no source was written");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_quote_made_from_a_restricted_source_says_it_will_never_leave() {
    let site = Site::build();
    site.write(
        "corpus/case notes/ana 2025.md",
        "---\ntitle: Case notes\nkind: notes\ncontributors: [c-ana]\nsensitivity: restricted\n---\n\nAna said the crisis line put her on hold for an hour.\n",
    );
    let mut c = officer(&site).await;
    let csrf = c.csrf("/review").await;
    let r = c
        .post(
            "/quotes",
            &format!(
                "csrf={csrf}&source={}&exact={}",
                enc("case notes/ana 2025"),
                enc("the crisis line put her on hold for an hour")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = c.get(&r.location.expect("back")).await.body;
    assert!(page.contains("This source is restricted"), "{page}");
    let made = ledger(&site)
        .into_iter()
        .rfind(|e| e["action"] == "quote.create")
        .expect("made");
    assert_eq!(made["details"]["speaker"], "c-ana", "its only contributor");
}

#[tokio::test]
async fn the_people_page_lists_contributors_fifty_at_a_time_and_finds_one() {
    let site = Site::build();
    let path = site.root().join("corpus/contributors.toml");
    let mut toml = std::fs::read_to_string(&path).expect("contributors");
    let before = toml
        .lines()
        .filter(|l| l.trim() == "[[contributor]]")
        .count();
    for i in 0..520 {
        toml.push_str(&format!(
            "\n[[contributor]]\nid = \"c-many-{i:03}\"\ncredit = \"role\"\nrole = \"Panel member {i:03}\"\ncontact = \"ring-me-{i:03}\"\n"
        ));
    }
    site.write("corpus/contributors.toml", &toml);
    let all = before + 520;
    let mut c = officer(&site).await;
    let rows = |body: &str| body.matches("<tr id=\"p-").count();
    let first = c.get("/people").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(rows(&first.body), 50, "{}", first.body);
    assert!(
        first
            .body
            .contains(&format!("{all} contributors, page 1 of 11: 1 to 50")),
        "{}",
        first.body
    );
    assert!(first.body.contains("rel=\"next\""), "{}", first.body);
    assert!(!first.body.contains("ring-me-"), "a contact is shown");
    // Too many to suggest in the grant form; the server still checks the name.
    assert!(!first.body.contains("<datalist"), "{}", first.body);
    let last = c.get("/people?page=11").await;
    assert_eq!(rows(&last.body), all - 500, "{}", last.body);
    assert!(last.body.contains("rel=\"prev\""), "{}", last.body);
    assert!(!last.body.contains("rel=\"next\""), "{}", last.body);
    // Found by part of the id or of the credit.
    let found = c.get("/people?find=MANY-07").await;
    assert_eq!(rows(&found.body), 10, "{}", found.body);
    assert!(
        found.body.contains("10 contributors match"),
        "{}",
        found.body
    );
    let found = c.get("/people?find=panel+member+119").await;
    assert_eq!(rows(&found.body), 1, "{}", found.body);
    assert!(found.body.contains("id=\"p-c-many-119\""), "{}", found.body);
    let none = c.get("/people?find=zzz").await;
    assert!(none.body.contains("None match"), "{}", none.body);
    for (asked, says) in [
        ("0", "not a page number"),
        ("x", "not a page number"),
        ("12", "there is no page 12"),
    ] {
        let r = c.get(&format!("/people?page={asked}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{asked}: {}", r.body);
        assert!(r.body.contains(says), "{asked}: {}", r.body);
    }
}
