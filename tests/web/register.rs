//! The recommendations register: search and filters, where each recommendation came from
//! and was used, its outcome history, and recording an outcome from the browser with the
//! same ledger event as `heard recs outcome`.

use axum::http::StatusCode;
use serde_json::Value;

use crate::Site;
use crate::handlers::Client;

/// The night-care recommendation: in a source in a sub-folder whose name has spaces, `&`
/// and `#`.
pub(crate) const NIGHT: &str = "r-submissions-2023-odd-co-night-1-1";
pub(crate) const HOUSING: &str = "r-sub-housing-2025-1";
/// A call for evidence in a folder whose name has spaces and `&`.
pub(crate) const CALL: &str = "night shift & co";
pub(crate) const CALL_SEG: &str = "night%20shift%20%26%20co";

/// The web test library, with two past submissions holding recommendations and a call for
/// evidence (not drafted yet).
pub(crate) fn officer_site() -> Site {
    let site = Site::build();
    site.write(
        "corpus/submissions/2023 odd & co/night #1.md",
        "---\ntitle: Our response to the crisis care review\nkind: submission\ndate: 2023-07-30\nconsultation: Crisis care review 2023\ntags: [crisis-care]\nsensitivity: public\n---\n\n# Our response to the crisis care review\n\nPeople told us the crisis line is often the only service open at night.\n\n## We call for\n\n- A crisis service in Kelmouth that is open through the night, every night.\n- One named worker for anyone with complex needs who is in contact with three services or more.\n",
    );
    site.write(
        "corpus/submissions/housing-2025.md",
        "---\nid: sub-housing-2025\ntitle: Housing first submission\nkind: submission\ndate: 2025-05-01\nconsultation: Housing strategy 2025\ntags: [housing]\nsensitivity: public\n---\n\n# Housing\n\n## Recommendations\n\n1. Nobody should leave hospital without an address to go to.\n",
    );
    site.write(
        &format!("responses/{CALL}/consultation.toml"),
        "title = \"Night crisis care (fictional)\"\nbody = \"A department (fictional)\"\n\n[[question]]\nid = \"Q1\"\ntext = \"Should a crisis service be open through the night in Kelmouth?\"\ntags = [\"crisis-care\"]\n\n[[question]]\nid = \"Q2\"\ntext = \"What should happen when people leave hospital without an address?\"\n",
    );
    site
}

/// The value of the first hidden field `name` in a page.
pub(crate) fn hidden(body: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let at = body
        .find(&needle)
        .unwrap_or_else(|| panic!("no field {name} in {body}"));
    body[at + needle.len()..]
        .split('"')
        .next()
        .expect("value")
        .to_string()
}

/// The `rec.outcome` events in the ledger.
pub(crate) fn outcome_events(site: &Site) -> Vec<Value> {
    std::fs::read_to_string(site.root().join("corpus/ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["action"] == "rec.outcome")
        .collect()
}

/// A recommendation as `heard recs --json` shows it.
pub(crate) fn rec(site: &Site, id: &str) -> Value {
    let doc: Value = serde_json::from_str(&site.heard_ok(&["recs", "--json"])).expect("json");
    doc["recommendations"]
        .as_array()
        .expect("recommendations")
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no {id} in {doc:#}"))
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("form")
}

async fn officer(site: &Site) -> Client {
    let mut c = Client::new(site);
    c.sign_in(&site.token("jo", "officer")).await;
    c
}

#[tokio::test]
async fn the_register_shows_each_recommendation_with_its_source_use_and_outcome_history() {
    let site = officer_site();
    site.heard_ok(&["draft", &format!("responses/{CALL}")]);
    site.heard_ok(&[
        "recs",
        "outcome",
        NIGHT,
        "pending",
        "--note",
        "Review under way",
    ]);
    let mut jo = officer(&site).await;
    let csrf = jo.csrf("/register").await;
    let r = jo
        .post(
            "/register/outcome",
            &form(&[
                ("csrf", &csrf),
                ("id", NIGHT),
                ("outcome", "partly"),
                ("note", "Open until 2am in Kelmouth"),
                ("evidence", "https://example.org/kelmouth/night-service"),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = jo.get(r.location.as_deref().expect("a redirect")).await;
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    assert!(
        b.contains("the outcome of r-submissions-2023-odd-co-night-1-1 is recorded"),
        "{b}"
    );
    assert!(
        b.contains("A crisis service in Kelmouth that is open through the night"),
        "{b}"
    );
    // Its source passage, in a sub-folder with odd characters, opens at its line.
    assert!(
        b.contains("href=\"/sources/submissions%2F2023%20odd%20%26%20co%2Fnight%20%231#L16\""),
        "{b}"
    );
    assert!(
        b.contains("corpus/submissions/2023 odd &amp; co/night #1.md:16"),
        "{b}"
    );
    // The response that used it, from its provenance.
    assert!(b.contains(&format!("href=\"/calls/{CALL_SEG}\"")), "{b}");
    assert!(b.contains("Night crisis care (fictional)"), "{b}");
    // Both outcomes, oldest first, with note, who and evidence.
    let pending = b.find("Review under way").expect("the first outcome");
    let partly = b
        .find("Open until 2am in Kelmouth")
        .expect("the second outcome");
    assert!(pending < partly, "history is oldest first");
    assert!(b.contains("recorded by officer-test"), "{b}");
    assert!(b.contains("recorded by jo"), "{b}");
    assert!(
        b.contains("<a href=\"https://example.org/kelmouth/night-service\">"),
        "{b}"
    );
    // Only the one recorded is shown after recording; the register lists both.
    assert!(!b.contains("Nobody should leave hospital"), "{b}");
    let all = jo.get("/register").await.body;
    assert!(
        all.contains("Nobody should leave hospital without an address"),
        "{all}"
    );
    assert!(all.contains("Not used in any response yet.") || all.contains(HOUSING));
}

#[tokio::test]
async fn an_outcome_from_the_form_is_the_same_ledger_event_as_heard_recs_outcome() {
    let site = officer_site();
    let mut jo = officer(&site).await;
    let csrf = jo.csrf("/register").await;
    let r = jo
        .post(
            "/register/outcome",
            &form(&[
                ("csrf", &csrf),
                ("id", NIGHT),
                ("outcome", "not-adopted"),
                ("note", "  Turned down in the 2024 plan "),
                ("evidence", ""),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let events = outcome_events(&site);
    assert_eq!(events.len(), 1, "{events:#?}");
    let e = &events[0];
    assert_eq!(e["target"], NIGHT);
    assert_eq!(e["actor"], "jo");
    assert_eq!(e["details"]["outcome"], "not-adopted");
    assert_eq!(e["details"]["note"], "Turned down in the 2024 plan");
    assert!(e["details"].get("evidence").is_none(), "{e}");
    let shown = rec(&site, NIGHT);
    assert_eq!(shown["outcome"], "not-adopted");
    assert_eq!(shown["outcome_detail"]["by"], "jo");
    site.heard_ok(&["verify"]);
}

#[tokio::test]
async fn search_and_filters_narrow_the_register() {
    let site = officer_site();
    site.heard_ok(&["recs", "outcome", HOUSING, "adopted"]);
    let mut jo = officer(&site).await;
    let has = |b: &str, id: &str| b.contains(&format!(">{id}</h3>"));
    let b = jo.get("/register").await.body;
    assert!(has(&b, NIGHT) && has(&b, HOUSING), "{b}");
    for (query, shown, hidden) in [
        ("year=2023", NIGHT, HOUSING),
        ("year=2025", HOUSING, NIGHT),
        ("consultation=Housing+strategy+2025", HOUSING, NIGHT),
        ("tag=crisis-care", NIGHT, HOUSING),
        ("outcome=adopted", HOUSING, NIGHT),
        ("outcome=unknown", NIGHT, HOUSING),
        ("q=hospital+address", HOUSING, NIGHT),
    ] {
        let r = jo.get(&format!("/register?{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{query}");
        assert!(has(&r.body, shown), "{query}: {shown} missing");
        assert!(!has(&r.body, hidden), "{query}: {hidden} shown");
    }
    // The filters offer what the recommendations hold.
    assert!(
        b.contains("<option value=\"Crisis care review 2023\">"),
        "{b}"
    );
    assert!(b.contains("<option value=\"2025\">"), "{b}");
    // A search that cannot be read is the user's to fix.
    let r = jo.get("/register?q=%22unclosed").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("could not be read"), "{}", r.body);
}

#[tokio::test]
async fn a_bad_outcome_form_is_a_400_and_records_nothing() {
    let site = officer_site();
    let mut jo = officer(&site).await;
    let csrf = jo.csrf("/register").await;
    for (fields, says) in [
        (
            vec![("id", NIGHT), ("outcome", "maybe")],
            "choose what happened",
        ),
        (
            vec![
                ("id", NIGHT),
                ("outcome", "adopted"),
                ("evidence", "javascript:alert(1)"),
            ],
            "not a web address",
        ),
        (
            vec![("id", "r-nothing-9"), ("outcome", "adopted")],
            "no recommendation with id",
        ),
    ] {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend(fields);
        let r = jo.post("/register/outcome", &form(&all)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(r.body.contains(says), "{}", r.body);
    }
    // Without the session's CSRF token: refused.
    let r = jo
        .post(
            "/register/outcome",
            &form(&[("id", NIGHT), ("outcome", "adopted")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(outcome_events(&site).is_empty());
}

#[tokio::test]
async fn a_volunteer_is_refused_the_register_by_address_and_by_form_replay() {
    let site = officer_site();
    let mut ana = Client::new(&site);
    ana.sign_in(&site.token("c-ana", "volunteer")).await;
    let r = ana.get("/register").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.body.contains("Kelmouth"));
    // Her own session's CSRF token, on an officer's form.
    let csrf = ana.csrf("/me").await;
    let r = ana
        .post(
            "/register/outcome",
            &form(&[("csrf", &csrf), ("id", NIGHT), ("outcome", "adopted")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(outcome_events(&site).is_empty());
    assert_eq!(rec(&site, NIGHT)["outcome"], "unknown");
}

#[tokio::test]
async fn the_register_downloads_what_it_shows_as_csv_or_xlsx_and_public_sources_only_unless_asked()
{
    let site = officer_site();
    site.write(
        "corpus/submissions/housing-2024-internal.md",
        "---\nid: sub-housing-internal\ntitle: Draft housing asks\nkind: submission\ndate: 2024-02-01\nconsultation: Housing strategy 2025\ntags: [housing]\nsensitivity: internal\n---\n\n# Draft\n\n## Recommendations\n\n1. Every ward should have a housing adviser two days a week.\n",
    );
    let mut jo = officer(&site).await;
    // The page offers the download for what it shows.
    let page = jo.get("/register?tag=housing").await;
    assert!(
        page.body.contains("action=\"/register/download\"")
            && page.body.contains("name=\"tag\" value=\"housing\""),
        "{}",
        page.body
    );
    let csv = jo.get("/register/download?tag=housing&format=csv").await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment; filename=\"recommendations-")
    );
    assert!(
        csv.body.starts_with('\u{feff}'),
        "a byte order mark for Excel"
    );
    assert!(csv.body.contains(HOUSING), "{}", csv.body);
    assert!(
        !csv.body.contains(NIGHT),
        "a crisis-care recommendation is not tagged housing"
    );
    assert!(
        !csv.body.contains("housing adviser two days a week"),
        "an internal source's recommendation left without being asked for: {}",
        csv.body
    );
    let with_internal = jo
        .get("/register/download?tag=housing&format=csv&internal=1")
        .await;
    assert!(
        with_internal
            .body
            .contains("housing adviser two days a week")
    );
    let xlsx = jo.get("/register/download?format=xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(
        xlsx.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(xlsx.body.starts_with("PK"), "an XLSX file is a zip");
    let bad = jo.get("/register/download?format=pdf").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // A volunteer gets nothing.
    let mut ana = Client::new(&site);
    ana.sign_in(&site.token("c-ana", "volunteer")).await;
    let refused = ana.get("/register/download?format=csv").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.body.contains(HOUSING));
}

#[tokio::test]
async fn the_register_links_the_same_ask_made_in_other_years() {
    let site = officer_site();
    site.write(
        "corpus/submissions/2025-night.md",
        "---\nid: sub-night-2025\ntitle: Night services again\nkind: submission\ndate: 2025-09-01\nconsultation: Urgent care plan 2025\ntags: [crisis-care]\nsensitivity: public\n---\n\n# Night services\n\n## Recommendations\n\n1. A crisis service in Kelmouth that is open through the night, every night of the week.\n",
    );
    let mut jo = officer(&site).await;
    let page = jo.get("/register?tag=crisis-care").await;
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    assert!(b.contains("The same ask, made in 2023 and 2025"), "{b}");
    assert!(
        b.contains("href=\"/register?rec=r-sub-night-2025-1\""),
        "a link to the 2025 ask: {b}"
    );
    // A different ask is not linked to it.
    let housing = jo.get(&format!("/register?rec={HOUSING}")).await;
    assert!(!housing.body.contains("The same ask"), "{}", housing.body);
}

#[tokio::test]
async fn the_same_ask_added_or_removed_after_a_page_was_shown_is_linked_or_unlinked_on_the_next() {
    // The groups are worked out once and kept while the index is unchanged: a change to the
    // library must be seen by the next page, not the groups of the first.
    let site = officer_site();
    let mut jo = officer(&site).await;
    let page = jo.get("/register?tag=crisis-care").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("The same ask"), "{}", page.body);
    let again = "corpus/submissions/2025-night.md";
    site.write(
        again,
        "---\nid: sub-night-2025\ntitle: Night services again\nkind: submission\ndate: 2025-09-01\nconsultation: Urgent care plan 2025\ntags: [crisis-care]\nsensitivity: public\n---\n\n# Night services\n\n## Recommendations\n\n1. A crisis service in Kelmouth that is open through the night, every night of the week.\n",
    );
    let page = jo.get("/register?tag=crisis-care").await;
    assert!(
        page.body.contains("The same ask, made in 2023 and 2025"),
        "{}",
        page.body
    );
    std::fs::remove_file(site.root().join(again)).expect("remove");
    let page = jo.get("/register?tag=crisis-care").await;
    assert!(!page.body.contains("The same ask"), "{}", page.body);
}

#[tokio::test]
async fn a_large_group_links_its_ten_oldest_other_asks_and_counts_the_rest() {
    let site = officer_site();
    for year in 2010..2023 {
        site.write(
            &format!("corpus/submissions/beds-{year}.md"),
            &format!(
                "---\nid: beds-{year}\ntitle: Beds {year}\nkind: submission\ndate: {year}-02-01\nsensitivity: public\n---\n\n# Beds\n\n## Recommendations\n\n1. Open step-down beds for people leaving hospital with nowhere to live.\n"
            ),
        );
    }
    let mut jo = officer(&site).await;
    let page = jo.get("/register?rec=r-beds-2022-1").await;
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    let said = b
        .split("The same ask, made in ")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or_else(|| panic!("no group in {b}"));
    let links: Vec<&str> = said
        .split("href=\"/register?rec=")
        .skip(1)
        .map(|l| l.split('"').next().unwrap_or_default())
        .collect();
    let oldest: Vec<String> = (2010..2020).map(|y| format!("r-beds-{y}-1")).collect();
    assert_eq!(links, oldest, "{said}");
    assert!(said.contains("r-beds-2010-1</a> (2010)"), "{said}");
    assert!(said.ends_with(" and 2 more"), "{said}");
}
