//! Measure search by meaning over a large store without embedding a large library:
//! `cargo run --release --example embed_store_at_scale -- DIR N [write]` writes N random
//! unit vectors through the store's own writer into DIR/embeddings (with `write`), then
//! runs one nearest-neighbour query and ten at once, printing the time of each. Peak RSS:
//! run it under `/usr/bin/time -v`.

use std::path::PathBuf;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(args.get(1).map_or("/tmp/heard-embed-scale", String::as_str));
    let n: usize = args
        .get(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    if args.get(3).is_some_and(|a| a == "write") {
        let t = Instant::now();
        let stored = heard::index::embed::write_random_store(&dir, n, 42)?;
        eprintln!(
            "wrote {stored} vectors in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let (store, _) = heard::index::embed::Store::open(&dir, false);
    let queries = heard::index::embed::embed(&[
        "people discharged from hospital with nowhere to live",
        "waiting lists for mental health services",
        "benefit sanctions and food banks",
        "children in temporary accommodation",
        "debt advice for families",
        "access to GP services for homeless people",
        "domestic abuse and housing",
        "prison leavers and rough sleeping",
        "young carers at school",
        "disability benefits assessments",
    ])?;
    let t = Instant::now();
    let one = store.nearest(&queries[0], 1_024);
    eprintln!(
        "one query over {} vectors: {:.0} ms ({} found)",
        store.len(),
        t.elapsed().as_secs_f64() * 1e3,
        one.len()
    );
    let t = Instant::now();
    let qs: Vec<&[f32]> = queries.iter().map(Vec::as_slice).collect();
    let all = store.nearest_many(&qs, 1_024);
    eprintln!(
        "ten queries in one pass: {:.0} ms ({} lists)",
        t.elapsed().as_secs_f64() * 1e3,
        all.len()
    );
    Ok(())
}
