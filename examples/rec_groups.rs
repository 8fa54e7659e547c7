//! Grouping of near-duplicate recommendations, measured against the hand-labelled pairs
//! in `benches/relevance/rec-groups.toml` (see EVALUATION.md). Run it with
//! `benches/relevance/groups.sh` or `cargo run --example rec_groups`.
//!
//! Every recommendation of the demo library's reports and submissions, and every sample
//! item a label names, is compared with every other, as `heard recs` does; a labelled
//! pair is predicted "same" when `heard::recs::groups` puts both in one group. A sweep of
//! the threshold over the raw pair scores shows how the choice of [`THRESHOLD`] was made.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use heard::corpus::{LoadOptions, Sensitivity, load_bytes};
use heard::recs::{Member, Similarity, THRESHOLD, groups, groups_at};

#[derive(serde::Deserialize)]
struct Labels {
    pairs: Vec<Pair>,
}

#[derive(serde::Deserialize)]
struct Pair {
    a: String,
    b: String,
    #[serde(default)]
    a_words: Option<String>,
    #[serde(default)]
    b_words: Option<String>,
    label: String,
}

const OPTS: LoadOptions = LoadOptions {
    default_sensitivity: Sensitivity::Internal,
    max_bytes: 50 * 1024 * 1024,
};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
}

/// The text of the sample item at `file:line`: the recommendation heard finds there when
/// the file is read as a report, else the passage.
fn sample_item(samples: &Path, key: &str, words: Option<&str>) -> anyhow::Result<String> {
    let (file, line) = key
        .rsplit_once(':')
        .ok_or_else(|| anyhow::anyhow!("{key}: expected file:line"))?;
    let line: usize = line.parse()?;
    let name = file.trim_start_matches("samples/");
    let text = std::fs::read_to_string(samples.join(name))?;
    if let Some(w) = words {
        let got = text.lines().nth(line - 1).unwrap_or_default();
        anyhow::ensure!(
            got.trim_start().starts_with(w.trim()),
            "{key}: line does not start with “{w}”"
        );
    }
    // Read as a report: three front matter lines go before the text.
    let doc = format!("---\nkind: report\n---\n{text}");
    let loaded = load_bytes(doc.as_bytes(), file, name, OPTS);
    let source = loaded
        .source
        .ok_or_else(|| anyhow::anyhow!("{key}: unreadable"))?;
    let p = source
        .passages
        .iter()
        .find(|p| p.line_start <= line + 3 && line + 3 <= p.line_end)
        .ok_or_else(|| anyhow::anyhow!("{key}: no passage at that line"))?;
    Ok(match p.recommendation {
        Some(r) => source.recommendations[r].text.clone(),
        None => p.text.clone(),
    })
}

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let samples = std::env::var_os("HEARD_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/samples"));
    let labels: Labels = toml::from_str(&std::fs::read_to_string(
        root.join("benches/relevance/rec-groups.toml"),
    )?)?;
    let mut members: Vec<Member> = Vec::new();
    let mut paths = Vec::new();
    files(&root.join("corpus"), &mut paths);
    paths.sort();
    for p in paths {
        let rel = p.strip_prefix(root)?.to_string_lossy().replace('\\', "/");
        let under = rel
            .trim_start_matches("corpus/")
            .trim_end_matches(".md")
            .to_string();
        if let Some(s) = load_bytes(&std::fs::read(&p)?, &rel, &under, OPTS).source {
            for r in &s.recommendations {
                members.push(Member {
                    id: r.id.clone(),
                    source: s.id.clone(),
                    text: r.text.clone(),
                });
            }
        }
    }
    let mut missing_samples = 0;
    for pair in &labels.pairs {
        for (key, words) in [(&pair.a, &pair.a_words), (&pair.b, &pair.b_words)] {
            if key.starts_with("samples/") && !members.iter().any(|m| &m.id == key) {
                match sample_item(&samples, key, words.as_deref()) {
                    Ok(text) => members.push(Member {
                        id: key.clone(),
                        source: key.clone(),
                        text,
                    }),
                    Err(e) => {
                        missing_samples += 1;
                        eprintln!("skipped: {e}");
                    }
                }
            }
        }
    }
    let index: HashMap<&str, usize> = members
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.as_str(), i))
        .collect();
    let sim = Similarity::new(members.iter().map(|m| m.text.as_str()));
    let grouped = groups(&members);
    let mut group_of = vec![usize::MAX; members.len()];
    for (g, ids) in grouped.iter().enumerate() {
        for &i in ids {
            group_of[i] = g;
        }
    }
    let mut scored = Vec::new(); // (score, same?, predicted same by groups)
    for pair in &labels.pairs {
        let (Some(&a), Some(&b)) = (index.get(pair.a.as_str()), index.get(pair.b.as_str())) else {
            if !(pair.a.starts_with("samples/") || pair.b.starts_with("samples/")) {
                anyhow::bail!(
                    "no recommendation {} or {} in the demo library",
                    pair.a,
                    pair.b
                );
            }
            continue;
        };
        let same = pair.label == "same";
        let predicted = group_of[a] != usize::MAX && group_of[a] == group_of[b];
        let s = sim.score(a, b);
        if same != predicted || std::env::args().any(|a| a == "--verbose") {
            eprintln!(
                "{} {:.2} {} ~ {} (labelled {})",
                if same == predicted { "  " } else { "✗" },
                s,
                pair.a,
                pair.b,
                pair.label
            );
        }
        scored.push((s, same, predicted));
    }
    let pr = |pred: &dyn Fn(&(f64, bool, bool)) -> bool| {
        let tp = scored.iter().filter(|x| x.1 && pred(x)).count();
        let fp = scored.iter().filter(|x| !x.1 && pred(x)).count();
        let fn_ = scored.iter().filter(|x| x.1 && !pred(x)).count();
        let p = tp as f64 / (tp + fp).max(1) as f64;
        let r = tp as f64 / (tp + fn_).max(1) as f64;
        (
            p,
            r,
            if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            },
        )
    };
    let positives = scored.iter().filter(|x| x.1).count();
    println!(
        "Labelled pairs: {} ({} same, {} not){}; recommendations compared: {}",
        scored.len(),
        positives,
        scored.len() - positives,
        if missing_samples > 0 {
            format!(", {missing_samples} sample items not found")
        } else {
            String::new()
        },
        members.len()
    );
    println!("\nPair score threshold sweep (a pair alone, no grouping):");
    println!("| threshold | precision | recall | F1 |\n|---|---|---|---|");
    for t in (20..=70).step_by(5) {
        let t = t as f64 / 100.0;
        let (p, r, f) = pr(&|x| x.0 >= t);
        println!("| {t:.2} | {p:.2} | {r:.2} | {f:.2} |");
    }
    println!("\nGrouping (pairs joined through shared members) at each threshold:");
    println!("| threshold | precision | recall | F1 | groups |\n|---|---|---|---|---|");
    for t in (20..=50).step_by(5) {
        let t = t as f64 / 100.0;
        let g = groups_at(&members, t);
        let mut of = vec![usize::MAX; members.len()];
        for (k, ids) in g.iter().enumerate() {
            for &i in ids {
                of[i] = k;
            }
        }
        let same_group = |a: &str, b: &str| {
            let (a, b) = (index[a], index[b]);
            of[a] != usize::MAX && of[a] == of[b]
        };
        let preds: Vec<bool> = labels
            .pairs
            .iter()
            .filter(|p| index.contains_key(p.a.as_str()) && index.contains_key(p.b.as_str()))
            .map(|p| same_group(&p.a, &p.b))
            .collect();
        let tp = scored
            .iter()
            .zip(&preds)
            .filter(|(x, p)| x.1 && **p)
            .count();
        let fp = scored
            .iter()
            .zip(&preds)
            .filter(|(x, p)| !x.1 && **p)
            .count();
        let fn_ = scored
            .iter()
            .zip(&preds)
            .filter(|(x, p)| x.1 && !**p)
            .count();
        let p = tp as f64 / (tp + fp).max(1) as f64;
        let r = tp as f64 / (tp + fn_).max(1) as f64;
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        println!("| {t:.2} | {p:.2} | {r:.2} | {f:.2} | {} |", g.len());
    }
    let (p, r, f) = pr(&|x| x.2);
    println!(
        "\nGrouping as `heard recs` does it (threshold {THRESHOLD}, groups joined through shared members): precision {p:.2}, recall {r:.2}, F1 {f:.2}; {} groups over {} recommendations",
        grouped.len(),
        members.len()
    );
    Ok(())
}
