//! The officer's pages in a real headless Chromium: making a quote by selecting words,
//! granting and ending access, accepting a volunteer's themes; a volunteer refused each of
//! these by address and by replaying the form; axe-core on every new page, at phone width.

use serde_json::{Value, json};

use crate::Site;
use crate::browser::{Browser, serve};

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

fn events(site: &Site) -> usize {
    std::fs::read_to_string(site.root().join("corpus/ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .count()
}

fn sign_in(b: &Browser, site: &Site, url: &str, who: &str, role: &str) {
    b.go(&format!("{url}/signin/{}", site.token(who, role)));
    b.click("#signin-go");
    b.wait_text("Signed in as");
}

fn type_into(b: &Browser, css: &str, text: &str) {
    let id = b.find(css);
    b.cmd("POST", &format!("/element/{id}/clear"), json!({}));
    b.cmd(
        "POST",
        &format!("/element/{id}/value"),
        json!({ "text": text }),
    );
}

/// A POST from the page's own origin with the page's own CSRF token, as a replayed form.
fn replay(b: &Browser, to: &str, form: &str) -> Value {
    b.async_script(&format!(
        "const done = arguments[arguments.length - 1];\
         const csrf = document.querySelector('input[name=csrf]').value;\
         fetch({to:?}, {{method: 'POST', headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: 'csrf=' + csrf + '&' + {form:?}}})\
           .then(r => done(r.status));"
    ))
}

#[test]
fn an_officer_selects_words_in_a_source_and_makes_a_quote() {
    let Some(b) = Browser::start() else { return };
    let site = Site::build();
    let notes = site.shared_notes();
    let (_server, url) = serve(&site);
    sign_in(&b, &site, &url, "jo", "officer");
    b.go(&format!("{url}/sources/{}", enc(notes)));
    b.wait_text("Make a quote");
    let value = b.script(
        "const p = [...document.querySelectorAll('[data-line]')].find(p => p.textContent.includes('bus shelter'));\
         const text = p.firstChild; const words = 'the night discharge left him sleeping in a bus shelter';\
         const at = text.data.indexOf(words);\
         const r = document.createRange(); r.setStart(text, at); r.setEnd(text, at + words.length);\
         const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);\
         document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));\
         return [document.getElementById('make-exact').value, document.getElementById('make-line').value];",
        json!([]),
    );
    assert_eq!(
        value,
        json!([
            "the night discharge left him sleeping in a bus shelter",
            "11"
        ]),
        "/static/officer.js did not fill the form under the Content-Security-Policy"
    );
    b.script(
        "document.getElementById('make-speaker').value = 'c-bo';",
        json!([]),
    );
    b.click("#make-t-housing");
    b.click("#make-go");
    let page = b.wait_text("is made");
    assert!(page.contains("is made"), "{page}");
    let quotes: Value =
        serde_json::from_str(&site.heard_ok(&["quotes", "--speaker", "c-bo", "--json"]))
            .expect("json");
    let made = quotes["quotes"]
        .as_array()
        .expect("quotes")
        .iter()
        .find(|q| q["exact"] == "the night discharge left him sleeping in a bus shelter")
        .cloned()
        .expect("the quote");
    assert_eq!(made["status"], "pending");
    assert_eq!(made["tags"], json!(["housing"]));

    // Words that are not there: said on the page, and what was typed is still in the form.
    let before = events(&site);
    type_into(&b, "#make-exact", "the night discharge left her in a taxi");
    b.click("#make-go");
    let page = b.wait_text("The quote was not made");
    assert!(page.contains("not in"), "{page}");
    let kept = b.script(
        "return document.getElementById('make-exact').value;",
        json!([]),
    );
    assert_eq!(kept, json!("the night discharge left her in a taxi"));
    assert_eq!(events(&site), before);
}

#[test]
fn an_officer_grants_a_link_copies_it_and_ends_it() {
    let Some(b) = Browser::start() else { return };
    let site = Site::build();
    let (_server, url) = serve(&site);
    sign_in(&b, &site, &url, "jo", "officer");
    b.go(&format!("{url}/people"));
    b.wait_text("Give someone access");
    type_into(&b, "#grant-name", "c-bo");
    b.click("#role-volunteer");
    b.click("#grant-go");
    let page = b.wait_text("shown only now");
    assert!(page.contains("shown only now"), "{page}");
    let link = b.script(
        "return document.getElementById('new-link').value;",
        json!([]),
    );
    let link = link.as_str().expect("a link").to_string();
    assert!(link.starts_with(&format!("{url}/signin/")), "{link}");
    let buttons = b.script(
        "return [...document.querySelectorAll('[data-copy],[data-print]')].map(b => b.hidden);",
        json!([]),
    );
    assert_eq!(
        buttons,
        json!([false, false]),
        "copy and print buttons shown"
    );
    b.click("[data-copy]");
    assert!(b.wait_text("Copied.").contains("Copied."));
    // Printing shows only the link and its instructions.
    let printed = b.script(
        "const hidden = el => getComputedStyle(el).display === 'none';\
         const sheet = [...document.styleSheets].find(s => s.href && s.href.endsWith('style.css'));\
         return [...sheet.cssRules].some(r => r.media && r.media.mediaText === 'print' && r.cssText.includes('header'));",
        json!([]),
    );
    assert_eq!(printed, json!(true));

    b.go(&format!("{url}/people"));
    b.wait_text("unused sign-in link");
    b.click("[aria-label='End access for c-bo']");
    assert!(
        b.wait_text("Access for c-bo has ended")
            .contains("Access for c-bo has ended")
    );
    // The link no longer works.
    let token = link.rsplit('/').next().expect("token").to_string();
    b.go(&format!("{url}/signin/{token}"));
    assert!(b.wait_text("not valid").contains("not valid"));
}

#[test]
fn a_volunteer_tags_their_words_and_an_officer_accepts_the_themes() {
    let Some(b) = Browser::start() else { return };
    let site = Site::build();
    let (_server, url) = serve(&site);
    sign_in(&b, &site, &url, "c-ana", "volunteer");
    b.go(&format!("{url}/me/words/t-ana"));
    b.wait_text("Add themes to this paragraph");
    b.script(
        "document.getElementById('themes-1').closest('details').open = true;",
        json!([]),
    );
    b.click("#th-1-housing");
    b.click("#themes-1 button[type=submit]");
    assert!(
        b.wait_text("Your themes are saved")
            .contains("waiting for the team")
    );
    sign_in(&b, &site, &url, "jo", "officer");
    b.go(&format!("{url}/review"));
    b.wait_text("Themes suggested by volunteers");
    b.click("#themes ~ div.card button[value=accept]");
    // The suggestion leaves the list once the decision is recorded (the page says
    // "Review" before and after, so wait for the button to go).
    let start = std::time::Instant::now();
    while b.text().contains("Accept the themes")
        && start.elapsed() < std::time::Duration::from_secs(15)
    {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    b.go(&format!("{url}/sources/t-ana"));
    let page = b.wait_text("Themes of this paragraph");
    assert!(
        page.contains("Themes of this paragraph: housing (suggested by c-ana)"),
        "{page}"
    );
}

#[test]
fn a_volunteer_is_refused_each_officer_action_by_address_and_by_replay() {
    let Some(b) = Browser::start() else { return };
    let site = Site::build();
    let (_server, url) = serve(&site);
    sign_in(&b, &site, &url, "c-ana", "volunteer");
    for page in ["/people", "/sources/t-bo", "/import"] {
        b.go(&format!("{url}{page}"));
        assert!(
            b.wait_text("not available to you")
                .contains("not available to you"),
            "{page}"
        );
    }
    b.go(&format!("{url}/me"));
    b.wait_text("My quotes");
    let before = events(&site);
    let access = std::fs::read(site.root().join(".heard/access.json")).expect("access");
    for (to, form) in [
        (
            "/quotes",
            "source=t-ana&exact=the+counsellor+was+kind&speaker=c-ana",
        ),
        ("/people/grant", "name=mallory&role=officer"),
        ("/people/revoke", "name=jo"),
        ("/review/suggestions/s-00000000", "decision=accept"),
        ("/import", "kind=report"),
    ] {
        assert_eq!(replay(&b, to, form), json!(403), "{to}");
    }
    assert_eq!(events(&site), before, "nothing recorded");
    assert_eq!(
        std::fs::read(site.root().join(".heard/access.json")).expect("access"),
        access,
        "no access changed"
    );
}

#[test]
fn the_officer_pages_pass_axe_and_fit_a_phone() {
    let Some(b) = Browser::start() else { return };
    let Some(axe_path) = crate::axe_js() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install axe-core (see .ci/run)"
        );
        eprintln!("skipping axe test: run `npm install --prefix target/npm axe-core@4` first");
        return;
    };
    let axe = std::fs::read_to_string(axe_path).expect("axe-core");
    let site = Site::build();
    let notes = site.shared_notes();
    site.write(
        "corpus/imported/reports/evaluation 2022.md",
        "---\ntitle: Evaluation 2022\nkind: report\nsensitivity: public\n---\n\n<!-- page 1 -->\n\nThe service began in a church hall.\n\n<!-- page 7 -->\n\nWaiting times for counselling doubled over the year.\n",
    );
    let (_server, url) = serve(&site);
    b.cmd("POST", "/window/rect", json!({"width": 390, "height": 844}));
    sign_in(&b, &site, &url, "c-ana", "volunteer");
    let width = b.script("return window.innerWidth;", json!([]));
    assert!(
        width.as_u64().is_some_and(|w| w <= 390),
        "the window is not phone-sized: {width}"
    );
    let mut failures = Vec::new();
    let mut check = |b: &Browser, what: &str| {
        failures.extend(b.axe(&axe).into_iter().map(|v| format!("{what}: {v}")));
        let fits = b.script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
            json!([]),
        );
        if fits != json!(true) {
            failures.push(format!("{what}: wider than a 390 px phone"));
        }
    };
    sign_in(&b, &site, &url, "c-ana", "volunteer");
    b.go(&format!("{url}/me/words/t-ana"));
    b.wait_text("Add themes");
    check(&b, "/me/words/t-ana");
    b.script(
        "document.getElementById('themes-0').closest('details').open = true;",
        json!([]),
    );
    b.click("#th-0-housing");
    b.click("#themes-0 button[type=submit]");
    b.wait_text("Your themes are saved");
    check(&b, "/me/words/t-ana after suggesting themes");
    sign_in(&b, &site, &url, "jo", "officer");
    for page in [
        format!("/sources/{}", enc(notes)),
        format!("/sources/{}", enc("imported/reports/evaluation 2022")),
        "/review".to_string(),
        "/people".to_string(),
        "/import".to_string(),
    ] {
        b.go(&format!("{url}{page}"));
        b.wait_text("Signed in as");
        check(&b, &page);
    }
    // The quote form with an error, and the page showing a new link.
    b.go(&format!("{url}/sources/t-ana"));
    b.wait_text("Make a quote");
    type_into(&b, "#make-exact", "words that are not there at all");
    b.click("#make-go");
    b.wait_text("The quote was not made");
    check(&b, "quote form with an error");
    b.go(&format!("{url}/people"));
    b.wait_text("Give someone access");
    type_into(&b, "#grant-name", "c-bo");
    b.click("#grant-go");
    b.wait_text("shown only now");
    check(&b, "a new sign-in link");
    assert!(
        failures.is_empty(),
        "problems on the officer's pages:\n{}",
        failures.join("\n")
    );
}

#[test]
fn an_officer_uploads_a_document_to_import() {
    let Some(b) = Browser::start() else { return };
    let site = Site::build();
    let (_server, url) = serve(&site);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("drop-in evaluation.txt");
    std::fs::write(
        &file,
        "Evaluation of the drop-in\n\nPeople waited on average nine weeks for a first appointment.\n",
    )
    .expect("write");
    sign_in(&b, &site, &url, "jo", "officer");
    b.go(&format!("{url}/import"));
    b.wait_text("Import a document");
    type_into(&b, "#file", &file.display().to_string());
    b.script(
        "document.getElementById('kind').value = 'report';",
        json!([]),
    );
    b.click("#import-go");
    let page = b.wait_text("The file is imported");
    assert!(page.contains("The file is imported"), "{page}");
    let found = site.heard_ok(&["search", "nine weeks", "--json"]);
    assert!(found.contains("\"kind\": \"report\""), "{found}");
}
