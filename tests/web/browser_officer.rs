//! The recommendations register and drafting, end to end in headless Chromium: each
//! officer action done as a person would, a volunteer refused each of them by address and
//! by replaying the form, and every new page checked by axe-core at 390 px wide.

use serde_json::{Value, json};

use crate::Site;
use crate::browser::{Browser, serve};
use crate::register::{CALL, CALL_SEG, NIGHT, officer_site, outcome_events, rec};

fn sign_in(b: &Browser, url: &str, site: &Site, who: &str, role: &str) {
    b.go(&format!("{url}/signin/{}", site.token(who, role)));
    b.click("#signin-go");
    b.wait_text("Signed in as");
}

/// Type into a field as a person would (after clearing it).
fn type_into(b: &Browser, css: &str, text: &str) {
    let id = b.find(css);
    b.cmd("POST", &format!("/element/{id}/clear"), json!({}));
    b.cmd(
        "POST",
        &format!("/element/{id}/value"),
        json!({ "text": text }),
    );
}

/// POST a form from the page with `fetch`, as a replayed form would be; the status.
fn replay(b: &Browser, path: &str, body: &str) -> Value {
    b.async_script(&format!(
        "const done = arguments[arguments.length - 1];\
         fetch({path:?}, {{method: 'POST', headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: {body:?}, redirect: 'manual'}}).then(r => done(r.status));"
    ))
}

fn response_md(site: &Site) -> Option<String> {
    std::fs::read_to_string(site.root().join(format!("responses/{CALL}/response.md"))).ok()
}

#[test]
fn an_officer_records_an_outcome_in_the_register_and_the_command_line_sees_it() {
    let Some(b) = Browser::start() else { return };
    let site = officer_site();
    let (_server, url) = serve(&site);
    sign_in(&b, &url, &site, "jo", "officer");
    b.click("a[href='/register']");
    b.wait_text("Recommendations register");
    // Narrow to 2023 with the filters, then open the form under the recommendation.
    b.script("document.getElementById('year').value = '2023';", json!([]));
    b.click("form[role=search] button[type=submit]");
    b.wait_text("1 recommendation");
    let card = format!("section:has(input[name=id][value='{NIGHT}'])");
    b.click(&format!("{card} details:last-of-type summary"));
    b.script(
        &format!("document.querySelector(\"{card} select[name=outcome]\").value = 'adopted';"),
        json!([]),
    );
    type_into(
        &b,
        &format!("{card} textarea[name=note]"),
        "In the 2025 crisis plan",
    );
    type_into(
        &b,
        &format!("{card} input[name=evidence]"),
        "https://example.org/crisis-plan-2025",
    );
    b.click(&format!("{card} form button[type=submit]"));
    let page = b.wait_text("is recorded in the ledger");
    assert!(page.contains("is recorded in the ledger"), "{page}");
    assert!(page.contains("Outcome: Adopted"), "{page}");
    let r = rec(&site, NIGHT);
    assert_eq!(r["outcome"], "adopted");
    assert_eq!(r["outcome_detail"]["by"], "jo");
    assert_eq!(r["outcome_detail"]["note"], "In the 2025 crisis plan");
    assert_eq!(
        r["outcome_detail"]["evidence"],
        "https://example.org/crisis-plan-2025"
    );
}

#[test]
fn an_officer_drafts_writes_positions_and_downloads_from_the_call_page() {
    let Some(b) = Browser::start() else { return };
    let site = officer_site();
    let (_server, url) = serve(&site);
    sign_in(&b, &url, &site, "jo", "officer");
    b.click("a[href='/responses']");
    b.wait_text("Draft and edit");
    b.click(&format!("a[href='/calls/{CALL_SEG}']"));
    b.wait_text("Draft the response");
    b.click("#draft-go");
    let page = b.wait_text("Drafted:");
    assert!(page.contains("Drafted: response.md is written"), "{page}");
    assert!(page.contains("2 problems to fix"), "{page}");
    // A problem's link goes to its line of the draft.
    b.click("#check-h ~ div.problems a");
    let target = b.script(
        "const t = document.querySelector(':target'); return t ? [t.id, t.textContent] : null;",
        json!([]),
    );
    assert!(
        target[1]
            .as_str()
            .is_some_and(|t| t.contains("[Write our answer")),
        "{target}"
    );

    type_into(&b, "#position-Q1", "Yes: open every night, all night.");
    b.click("#pos-Q1 button[type=submit]");
    b.wait_text("Saved: our position on question Q1");
    // Meanwhile a colleague edits the file: saving Q2 from the page opened before is a
    // conflict, shown, and their edit stays.
    let edited = format!("{}\nSam's note.\n", response_md(&site).expect("drafted"));
    std::fs::write(
        site.root().join(format!("responses/{CALL}/response.md")),
        &edited,
    )
    .expect("edit");
    type_into(&b, "#position-Q2", "An address before discharge.");
    b.click("#pos-Q2 button[type=submit]");
    let page = b.wait_text("Not saved");
    assert!(page.contains("Not saved: the response changed"), "{page}");
    assert_eq!(response_md(&site).as_deref(), Some(edited.as_str()));
    // The text typed is still there; saving it again is deliberate and keeps Sam's note.
    b.click("#pos-Q2 button[type=submit]");
    b.wait_text("Saved: our position on question Q2");
    let md = response_md(&site).expect("there");
    assert!(
        md.contains("**Our position:** Yes: open every night, all night."),
        "{md}"
    );
    assert!(
        md.contains("**Our position:** An address before discharge."),
        "{md}"
    );
    assert!(md.contains("Sam's note."), "{md}");
    let page = b.text();
    assert!(page.contains("finds no problems"), "{page}");
    // Downloads through the existing export route.
    let got = b.async_script(
        "const done = arguments[arguments.length - 1];\
         const a = [...document.querySelectorAll('a')].find(a => a.textContent === 'Word');\
         fetch(a.href).then(r => done([r.status, r.headers.get('content-type')]));",
    );
    assert_eq!(
        got,
        json!([
            200,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ])
    );
}

#[test]
fn a_volunteer_is_refused_every_register_and_drafting_action_by_address_and_by_replay() {
    let Some(b) = Browser::start() else { return };
    let site = officer_site();
    let (_server, url) = serve(&site);
    sign_in(&b, &url, &site, "c-ana", "volunteer");
    for page in ["/register", &format!("/calls/{CALL_SEG}")] {
        b.go(&format!("{url}{page}"));
        let t = b.wait_text("not available to you");
        assert!(t.contains("not available to you"), "{page}: {t}");
        assert!(!t.contains("Kelmouth"), "{page}");
    }
    b.go(&format!("{url}/me"));
    b.wait_text("My quotes");
    let csrf = b.script(
        "return document.querySelector('input[name=csrf]').value;",
        json!([]),
    );
    let csrf = csrf.as_str().expect("a csrf token");
    let outcome = format!("csrf={csrf}&id={NIGHT}&outcome=adopted");
    let draft = format!("csrf={csrf}");
    let position = format!("csrf={csrf}&question=Q1&base=x&position=Mine");
    for (path, body) in [
        ("/register/outcome".to_string(), outcome),
        (format!("/calls/{CALL_SEG}/draft"), draft),
        (format!("/calls/{CALL_SEG}/position"), position),
    ] {
        assert_eq!(replay(&b, &path, &body), json!(403), "{path}");
    }
    assert!(outcome_events(&site).is_empty());
    assert!(response_md(&site).is_none());
}

#[test]
fn the_register_and_call_pages_pass_axe_at_390_px() {
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
    let site = officer_site();
    site.heard_ok(&[
        "recs",
        "outcome",
        NIGHT,
        "partly",
        "--note",
        "Open until 2am",
        "--evidence",
        "https://example.org/a-very-long-address/that/should/wrap/at/three-hundred-and-ninety-pixels",
    ]);
    let (_server, url) = serve(&site);
    b.cmd("POST", "/window/rect", json!({"width": 390, "height": 844}));
    sign_in(&b, &url, &site, "jo", "officer");
    let mut failures = Vec::new();
    let check = |failures: &mut Vec<String>, page: &str| {
        // Open every fold, so that the forms in them are checked too.
        b.script(
            "document.querySelectorAll('details').forEach(d => d.open = true);",
            json!([]),
        );
        failures.extend(b.axe(&axe).into_iter().map(|v| format!("{page}: {v}")));
        let fits = b.script(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            json!([]),
        );
        let (w, inner) = (fits[0].as_i64().unwrap_or(0), fits[1].as_i64().unwrap_or(0));
        assert!(inner <= 400, "the window is {inner} px wide, not 390");
        if w > inner {
            failures.push(format!("{page}: {w} px wide in a {inner} px window"));
        }
    };
    for page in [
        "/register".to_string(),
        "/register?outcome=partly".to_string(),
        format!("/calls/{CALL_SEG}"),
    ] {
        b.go(&format!("{url}{page}"));
        b.wait_text("heard");
        check(&mut failures, &page);
    }
    b.click("#draft-go");
    b.wait_text("Drafted:");
    check(&mut failures, "/calls/… drafted");
    b.go(&format!("{url}/responses"));
    check(&mut failures, "/responses");
    assert!(
        failures.is_empty(),
        "axe-core or the 390 px check found problems:\n{}",
        failures.join("\n")
    );
}
