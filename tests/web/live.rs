//! `heard serve`'s long-lived index: with its watcher, pages reuse one open index and do
//! not refresh it per request; a file edited on disk shows up within seconds; a write made
//! through the app shows at once.

use std::time::{Duration, Instant};

use crate::Site;
use crate::handlers::Client;

/// An app with its own watcher, as `heard serve` runs it.
fn watching(site: &Site) -> (heard::web::AppState, Client) {
    let lib = heard::Library::open(site.root()).expect("library");
    let (state, _) = heard::web::AppState::watching(lib).expect("app");
    assert!(state.watched(), "the app watches the library");
    let c = Client::of(heard::web::app(state.clone()));
    (state, c)
}

#[tokio::test]
async fn with_a_watcher_many_requests_cause_no_refresh() {
    let site = Site::build();
    let token = site.token("jo", "officer");
    let (state, mut c) = watching(&site);
    c.sign_in(&token).await;
    // Let anything the sign-in wrote settle first.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let before = state.refreshes();
    for q in ["counselling", "discharged", "hospital", "address", "kind"] {
        for _ in 0..4 {
            let r = c.get(&format!("/search?q={q}")).await;
            assert_eq!(r.status, 200);
        }
    }
    assert!(
        c.get("/search?q=counselling")
            .await
            .body
            .contains("Ana on waiting lists")
    );
    assert_eq!(c.get("/review").await.status, 200);
    assert_eq!(state.refreshes(), before, "no request refreshed the index");

    // Without a watcher (as before), every page refreshes.
    let plain = heard::web::AppState::new(heard::Library::open(site.root()).unwrap());
    let mut p = Client::of(heard::web::app(plain.clone()));
    p.cookie = c.cookie.clone();
    for _ in 0..3 {
        p.get("/search?q=counselling").await;
    }
    assert_eq!(plain.refreshes(), 3);
}

#[tokio::test]
async fn a_file_edited_on_disk_appears_in_search_within_seconds() {
    let site = Site::build();
    let token = site.token("jo", "officer");
    let (state, mut c) = watching(&site);
    c.sign_in(&token).await;
    // A word found is marked in its passage (a hit by meaning alone would not be).
    let found = ">tangerine</mark>";
    assert!(!c.get("/search?q=tangerine").await.body.contains(found));
    let before = state.refreshes();
    let path = site.root().join("corpus/testimonies/ana.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("counselling", "tangerine")).unwrap();
    let started = Instant::now();
    loop {
        let body = c.get("/search?q=tangerine").await.body;
        if body.contains(found) {
            assert!(body.contains("Ana on waiting lists"), "{body}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the edit never showed in /search"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took = started.elapsed();
    eprintln!("the edit showed in /search after {took:?}");
    // The new text is searchable from the moment the refresh commits it, a moment before
    // that refresh is counted as done.
    while state.refreshes() == before && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = state.refreshes();
    assert!(
        (1..=3).contains(&(after - before)),
        "one background refresh (or a few), not one per request: {before} -> {after}"
    );
    for _ in 0..5 {
        assert!(c.get("/search?q=tangerine").await.body.contains(found));
    }
    assert_eq!(
        state.refreshes(),
        after,
        "and none for the requests after it"
    );
}

#[tokio::test]
async fn a_write_through_the_app_shows_at_once_with_a_watcher() {
    let site = Site::build();
    let token = site.token("jo", "officer");
    let (_state, mut c) = watching(&site);
    c.sign_in(&token).await;
    let before = c.get("/search?q=pace&type=quote").await.body;
    assert!(!before.contains("let me set the"), "{before}");
    let csrf = c.csrf("/sources/t-ana").await;
    let r = c
        .post(
            "/quotes",
            &format!("csrf={csrf}&source=t-ana&exact=let+me+set+the+pace&speaker=c-ana"),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The very next search finds the new quote: no waiting for the watcher.
    let after = c.get("/search?q=pace&type=quote").await.body;
    assert!(after.contains("let me set the"), "{after}");
}
