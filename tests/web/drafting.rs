//! Drafting in the browser: the call's page drafts as `heard draft` does, shows what
//! `heard check` finds beside the draft with each problem linked to its line, and saves our
//! position per question without ever overwriting an edit made meanwhile.

use axum::http::StatusCode;

use crate::Site;
use crate::handlers::Client;
use crate::register::{CALL, CALL_SEG, hidden, officer_site};

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("form")
}

fn response_md(site: &Site) -> Option<String> {
    std::fs::read_to_string(site.root().join(format!("responses/{CALL}/response.md"))).ok()
}

async fn officer(site: &Site) -> Client {
    let mut c = Client::new(site);
    c.sign_in(&site.token("jo", "officer")).await;
    c
}

/// Draft from the page; returns where it sent us.
async fn draft(jo: &mut Client) -> String {
    let page = format!("/calls/{CALL_SEG}");
    let csrf = jo.csrf(&page).await;
    let r = jo
        .post(&format!("{page}/draft"), &form(&[("csrf", &csrf)]))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location.expect("a redirect")
}

#[tokio::test]
async fn an_officer_drafts_from_the_call_page_and_sees_check_problems_linked_to_lines() {
    let site = officer_site();
    let mut jo = officer(&site).await;
    let before = jo.get(&format!("/calls/{CALL_SEG}")).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.body.contains("Night crisis care (fictional)"));
    assert!(before.body.contains("Draft the response"));
    assert!(response_md(&site).is_none());

    let to = draft(&mut jo).await;
    assert_eq!(to, format!("/calls/{CALL_SEG}?drafted=response.md"));
    let md = response_md(&site).expect("response.md written");
    assert!(
        site.root()
            .join(format!("responses/{CALL}/provenance.json"))
            .exists()
    );
    assert!(md.contains("A crisis service in Kelmouth that is open through the night"));
    // The same problems as `heard check`, each linked to the line it names.
    let (code, check, _) = site.heard(&["check", &format!("responses/{CALL}")]);
    assert_eq!(code, 1, "{check}");
    let page = jo.get(&to).await;
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    assert!(b.contains("Drafted: response.md is written"), "{b}");
    let placeholder = md
        .lines()
        .position(|l| l.contains("[Write our answer"))
        .expect("a placeholder")
        + 1;
    assert!(
        check.contains(&format!("response.md:{placeholder}:")),
        "{check}"
    );
    assert!(b.contains(&format!("<a href=\"#L{placeholder}\">Line {placeholder}</a>: our position is still the placeholder")), "{b}");
    assert!(
        b.contains(&format!("<li id=\"L{placeholder}\" class=\"bad\">")),
        "{b}"
    );
    // Problems stop downloads, as the export does.
    assert!(!b.contains("export?to=docx"), "{b}");
}

#[tokio::test]
async fn a_saved_position_goes_into_response_md_and_clears_its_problem() {
    let site = officer_site();
    let mut jo = officer(&site).await;
    draft(&mut jo).await;
    let md = response_md(&site).expect("drafted");
    let page = jo.get(&format!("/calls/{CALL_SEG}")).await.body;
    let r = jo
        .post(
            &format!("/calls/{CALL_SEG}/position"),
            &form(&[
                ("csrf", &hidden(&page, "csrf")),
                ("question", "Q1"),
                ("base", &hidden(&page, "base")),
                (
                    "position",
                    "Yes: the crisis service\r\nmust stay open all night, <every> night.",
                ),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/calls/{CALL_SEG}?saved=Q1#pos-Q1").as_str())
    );
    let after = response_md(&site).expect("still there");
    let want =
        "**Our position:** Yes: the crisis service must stay open all night, \\<every> night.";
    assert!(after.contains(want), "{after}");
    // Only that paragraph changed.
    let first = md.find("**Our position:**").expect("placeholder");
    let end = first + md[first..].find('\n').expect("line end");
    assert_eq!(after, format!("{}{want}{}", &md[..first], &md[end..]));
    let (_, check, _) = site.heard(&["check", &format!("responses/{CALL}")]);
    assert_eq!(check.matches("still the placeholder").count(), 1, "{check}");
    let page = jo.get(&format!("/calls/{CALL_SEG}?saved=Q1")).await.body;
    assert!(
        page.contains("Saved: our position on question Q1"),
        "{page}"
    );
    assert!(
        page.contains("must stay open all night, &lt;every&gt; night.</textarea>"),
        "{page}"
    );
}

#[tokio::test]
async fn a_position_over_a_response_changed_on_disk_is_a_conflict_and_overwrites_nothing() {
    let site = officer_site();
    let mut jo = officer(&site).await;
    draft(&mut jo).await;
    let page = jo.get(&format!("/calls/{CALL_SEG}")).await.body;
    // A colleague edits the file by hand after the page was opened.
    let path = site.root().join(format!("responses/{CALL}/response.md"));
    let edited = response_md(&site).expect("drafted").replacen(
        "[Write our answer to this question in one or two sentences.]",
        "We agree, says Sam.",
        1,
    );
    std::fs::write(&path, &edited).expect("edit");
    let r = jo
        .post(
            &format!("/calls/{CALL_SEG}/position"),
            &form(&[
                ("csrf", &hidden(&page, "csrf")),
                ("question", "Q1"),
                ("base", &hidden(&page, "base")),
                ("position", "Jo's careful wording."),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(response_md(&site).as_deref(), Some(edited.as_str()));
    assert!(
        r.body.contains("Not saved: the response changed"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Jo&#39;s careful wording.</textarea>")
            || r.body.contains("Jo's careful wording.</textarea>"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("The file now says: “We agree, says Sam.”"),
        "{}",
        r.body
    );
    // Saving again from the conflict page is deliberate, and keeps the colleague's other edits.
    let r = jo
        .post(
            &format!("/calls/{CALL_SEG}/position"),
            &form(&[
                ("csrf", &hidden(&r.body, "csrf")),
                ("question", "Q2"),
                ("base", &hidden(&r.body, "base")),
                ("position", "An address first."),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let now = response_md(&site).expect("there");
    assert!(
        now.contains("We agree, says Sam.") && now.contains("**Our position:** An address first."),
        "{now}"
    );
}

#[tokio::test]
async fn drafting_over_an_edited_response_keeps_it_and_says_so() {
    let site = officer_site();
    let mut jo = officer(&site).await;
    draft(&mut jo).await;
    let path = site.root().join(format!("responses/{CALL}/response.md"));
    let edited = format!(
        "{}\nA paragraph Jo wrote by hand.\n",
        response_md(&site).expect("drafted")
    );
    std::fs::write(&path, &edited).expect("edit");
    let page = jo.get(&format!("/calls/{CALL_SEG}")).await.body;
    assert!(
        page.contains("has been edited since it was drafted"),
        "{page}"
    );
    let to = draft(&mut jo).await;
    assert!(to.contains("kept=1"), "{to}");
    assert_eq!(response_md(&site).as_deref(), Some(edited.as_str()));
    let beside: Vec<String> = std::fs::read_dir(site.root().join(format!("responses/{CALL}")))
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("response-") && n.ends_with(".md"))
        .collect();
    assert_eq!(beside.len(), 1, "{beside:?}");
    let page = jo.get(&to).await.body;
    assert!(
        page.contains("was left as it is and the new draft is beside it"),
        "{page}"
    );
    assert!(page.contains(&beside[0]), "{page}");
}

#[tokio::test]
async fn a_draft_refused_for_a_damaged_ledger_shows_the_reason_not_a_500() {
    let site = officer_site();
    let ledger = site.root().join("corpus/ledger.jsonl");
    let text = std::fs::read_to_string(&ledger).expect("ledger");
    std::fs::write(&ledger, text.replacen("nobody rang", "NOBODY rang", 1)).expect("damage");
    let mut jo = officer(&site).await;
    let page = format!("/calls/{CALL_SEG}");
    let csrf = jo.csrf(&page).await;
    let r = jo
        .post(&format!("{page}/draft"), &form(&[("csrf", &csrf)]))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Not drafted"), "{}", r.body);
    assert!(r.body.contains("consent ledger is damaged"), "{}", r.body);
    assert!(response_md(&site).is_none());
}

#[tokio::test]
async fn a_call_that_cannot_be_read_is_a_400_naming_the_file_and_line() {
    let site = officer_site();
    site.write(
        &format!("responses/{CALL}/consultation.toml"),
        "title = \"Night\"\ndeadline = \"soon\"\n\n[[question]]\nid = \"Q1\"\ntext = \"Why?\"\n",
    );
    let mut jo = officer(&site).await;
    let page = jo.get(&format!("/calls/{CALL_SEG}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("consultation.toml:2"), "{}", page.body);
    let csrf = hidden(&page.body, "csrf");
    let r = jo
        .post(
            &format!("/calls/{CALL_SEG}/draft"),
            &form(&[("csrf", &csrf)]),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("is not a date"), "{}", r.body);
}

#[tokio::test]
async fn calls_are_found_by_any_folder_name_and_nothing_outside_responses() {
    let site = officer_site();
    site.write(
        "responses/été #2/consultation.toml",
        "title = \"Summer call\"\n\n[[question]]\nid = \"Q1\"\ntext = \"Why?\"\n",
    );
    let mut jo = officer(&site).await;
    let r = jo.get("/calls/%C3%A9t%C3%A9%20%232").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Summer call"));
    let list = jo.get("/responses").await.body;
    assert!(
        list.contains("href=\"/calls/%C3%A9t%C3%A9%20%232\""),
        "{list}"
    );
    assert!(
        list.contains(&format!("href=\"/calls/{CALL_SEG}\"")),
        "{list}"
    );
    for bad in [
        "/calls/..",
        "/calls/..%2Fcorpus",
        "/calls/.heard",
        "/calls/nothing-here",
    ] {
        assert_eq!(jo.get(bad).await.status, StatusCode::NOT_FOUND, "{bad}");
    }
}

#[tokio::test]
async fn a_volunteer_is_refused_each_drafting_action_by_address_and_by_form_replay() {
    let site = officer_site();
    let mut jo = officer(&site).await;
    draft(&mut jo).await;
    let officer_page = jo.get(&format!("/calls/{CALL_SEG}")).await.body;
    let before = response_md(&site).expect("drafted");
    let mut ana = Client::new(&site);
    ana.sign_in(&site.token("c-ana", "volunteer")).await;
    let r = ana.get(&format!("/calls/{CALL_SEG}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.body.contains("Kelmouth"));
    let csrf = ana.csrf("/me").await;
    let r = ana
        .post(
            &format!("/calls/{CALL_SEG}/draft"),
            &form(&[("csrf", &csrf)]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = ana
        .post(
            &format!("/calls/{CALL_SEG}/position"),
            &form(&[
                ("csrf", &csrf),
                ("question", "Q1"),
                ("base", &hidden(&officer_page, "base")),
                ("position", "Volunteers decide nothing here."),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(response_md(&site).as_deref(), Some(before.as_str()));
    let beside = std::fs::read_dir(site.root().join(format!("responses/{CALL}")))
        .expect("dir")
        .count();
    assert_eq!(
        beside, 3,
        "consultation.toml, response.md, provenance.json only"
    );
    // An officer's form replayed without the session's token is refused too.
    let r = jo
        .post(
            &format!("/calls/{CALL_SEG}/position"),
            &form(&[
                ("question", "Q1"),
                ("base", &hidden(&officer_page, "base")),
                ("position", "x"),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(response_md(&site).as_deref(), Some(before.as_str()));
}

#[tokio::test]
async fn a_damaged_provenance_file_is_shown_as_a_problem_not_a_500() {
    let site = officer_site();
    let mut jo = officer(&site).await;
    draft(&mut jo).await;
    site.write(&format!("responses/{CALL}/provenance.json"), "{ not json");
    let page = jo.get(&format!("/calls/{CALL_SEG}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("heard check cannot run"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("provenance.json` is damaged"),
        "{}",
        page.body
    );
    // Drafting still works: the damaged file cannot vouch for response.md, so the new
    // draft goes beside it and the page says so.
    let before = response_md(&site);
    let csrf = hidden(&page.body, "csrf");
    let r = jo
        .post(
            &format!("/calls/{CALL_SEG}/draft"),
            &form(&[("csrf", &csrf)]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(response_md(&site), before, "response.md is kept as it was");
    let after = jo.get(r.location.as_deref().expect("a redirect")).await;
    assert!(after.body.contains("response-"), "{}", after.body);
}
