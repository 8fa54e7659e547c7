//! The register lists a page of recommendations at a time, with links to the pages before
//! and after and the number in all; it never reads every recommendation into memory to
//! show one page (issue 12). A page number that is not one is a 400 with a plain message.

use axum::http::StatusCode;

use crate::handlers::Client;
use crate::register::officer_site;

/// The officer site with `n` more submissions, one recommendation each, one a year from 1990.
fn site_with(n: usize) -> crate::Site {
    let site = officer_site();
    for i in 0..n {
        let year = 1990 + i;
        site.write(
            &format!("corpus/submissions/old-{year}.md"),
            &format!(
                "---\ntitle: Submission of {year}\nkind: submission\ndate: {year}-03-01\nsensitivity: public\n---\n\n# {year}\n\n## Recommendations\n\n- Count the people sleeping rough in the winter of {year}.\n"
            ),
        );
    }
    site
}

#[tokio::test]
async fn the_register_pages_through_recommendations_newest_first() {
    // 30 old submissions and the officer site's three asks: 33 recommendations, two pages.
    let site = site_with(30);
    let mut jo = Client::new(&site);
    jo.sign_in(&site.token("jo", "officer")).await;
    let first = jo.get("/register").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let b = &first.body;
    assert!(b.contains("33 recommendations (page 1 of 2)"), "{b}");
    assert!(b.contains("Showing 1 to 25"), "{b}");
    // Newest first: 2025, 2023's two, then 2019 back to 1998.
    assert!(
        b.contains("Nobody should leave hospital without an address"),
        "{b}"
    );
    assert!(b.contains("in the winter of 1998."), "{b}");
    assert!(!b.contains("in the winter of 1997."), "{b}");
    assert!(b.contains("page=2\" rel=\"next\">Next page"), "{b}");
    assert!(!b.contains("Previous page"), "{b}");

    let second = jo.get("/register?page=2").await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let b = &second.body;
    assert!(b.contains("33 recommendations (page 2 of 2)"), "{b}");
    assert!(b.contains("Showing 26 to 33"), "{b}");
    for year in 1990..=1997 {
        assert!(
            b.contains(&format!("in the winter of {year}.")),
            "{year}: {b}"
        );
    }
    assert!(!b.contains("in the winter of 1998."), "{b}");
    assert!(!b.contains("Nobody should leave hospital"), "{b}");
    assert!(b.contains("page=1\" rel=\"prev\">Previous page"), "{b}");
    assert!(!b.contains("Next page"), "{b}");

    // A filter pages its own matches.
    let page = jo.get("/register?year=1991").await;
    assert!(page.body.contains("1 recommendation"), "{}", page.body);
    assert!(!page.body.contains("Next page"), "{}", page.body);
}

#[tokio::test]
async fn a_page_number_that_is_not_one_is_a_plain_400() {
    let site = site_with(30);
    let mut jo = Client::new(&site);
    jo.sign_in(&site.token("jo", "officer")).await;
    for (asked, says) in [
        ("abc", "`abc` is not a page number"),
        ("0", "`0` is not a page number"),
        ("-1", "`-1` is not a page number"),
        (
            "3",
            "there is no page 3: these recommendations fill 2 pages",
        ),
    ] {
        let r = jo.get(&format!("/register?page={asked}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{asked}: {}", r.body);
        assert!(r.body.contains(says), "{asked}: {}", r.body);
        assert!(!r.body.contains("panicked"), "{}", r.body);
    }
}
