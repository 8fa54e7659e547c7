//! `heard verify`: damage to the ledger, and quote files out of line with it: rewritten
//! silently when merely behind, reported when changed by hand.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

use super::{
    QuoteBook, QuoteFile, QuoteRecord, Scope, quote_file_path, quotes_dir, read_quote_files,
    write_quote_file,
};
use crate::ledger;
use crate::{Library, Problem};

/// Everything `verify` finds wrong: damage to the ledger, and quote files changed by hand.
/// Quote files that are merely behind the ledger (a process killed between the two
/// writes), missing, or under an old name are rewritten silently: they are derived.
/// `repair` also rewrites files changed by hand.
pub fn verify(lib: &Library, repair: bool) -> anyhow::Result<Vec<Problem>> {
    let _lock = ledger::write_lock(lib)?;
    for dir in [lib.corpus_dir(), quotes_dir(lib), lib.state_dir()] {
        crate::fsutil::remove_stale_temporaries(&dir);
    }
    let book = QuoteBook::load(lib)?;
    let mut problems: Vec<Problem> = book.damage.iter().map(|d| d.problem.clone()).collect();
    problems.extend(heal_quote_files(lib, &book, repair)?);
    Ok(problems)
}

/// Bring the quote files in line with the ledger (the caller holds the write lock).
/// Returns the changes made by hand, which are only undone when `repair` is set.
pub(super) fn heal_quote_files(
    lib: &Library,
    book: &QuoteBook,
    repair: bool,
) -> anyhow::Result<Vec<Problem>> {
    let ids = book.ledger.ids();
    let lost = |r: &QuoteRecord| r.last_event.as_deref().is_some_and(|e| !ids.contains(e));
    let mut problems = Vec::new();
    let mut on_file: BTreeMap<String, (String, QuoteRecord)> = BTreeMap::new();
    let mut files: Vec<(PathBuf, bool)> = Vec::new(); // (path, holds evidence)
    for (rel, parsed) in read_quote_files(lib) {
        let abs = lib.root().join(&rel);
        match parsed {
            Err(p) => problems.push(p),
            Ok(file) => {
                let evidence = file.quotes.iter().any(&lost);
                for r in file.quotes {
                    on_file.insert(r.id.clone(), (rel.clone(), r));
                }
                files.push((abs, evidence));
            }
        }
    }
    let mut rewrite = BTreeSet::new();
    let mut edited_sources = BTreeSet::new();
    for q in book.quotes.values() {
        let expected = QuoteRecord::from(q);
        let right_rel = lib.rel(&quote_file_path(lib, &q.source));
        match on_file.remove(&q.id) {
            None => {
                rewrite.insert(q.source.clone());
            }
            Some((_, r)) if lost(&r) => {} // evidence of deleted events: reported as damage
            Some((rel, r)) if r == expected => {
                if rel != right_rel {
                    rewrite.insert(q.source.clone());
                }
            }
            Some((_, r))
                if r.last_event != expected.last_event
                    && r.last_event
                        .as_ref()
                        .is_none_or(|e| q.history.iter().any(|h| &h.event == e)) =>
            {
                // Behind the ledger: written before the latest events about the quote.
                rewrite.insert(q.source.clone());
            }
            Some((rel, r)) => {
                problems.push(Problem::file(
                    rel,
                    format!(
                        "quote {}: {}; a change made by hand is not trusted (use `heard quote ...`, or `heard verify --repair` to rewrite the file from the ledger)",
                        q.id,
                        differences(&r, &expected)
                    ),
                ));
                edited_sources.insert(q.source.clone());
            }
        }
    }
    for (id, (rel, r)) in &on_file {
        if !lost(r) {
            problems.push(Problem::file(
                rel,
                format!("quote {id} is not in the ledger: it was added by hand and is never used; add it with `heard quote add`"),
            ));
            if let Some(s) = toml_source_of(lib, rel) {
                edited_sources.insert(s);
            }
        }
    }
    if repair {
        rewrite.extend(edited_sources.iter().cloned());
    } else {
        rewrite.retain(|s| !edited_sources.contains(s));
    }
    for s in &rewrite {
        write_quote_file(lib, book, s)?;
    }
    // Files left under names no source uses now (an older naming, a renamed source).
    let wanted: HashSet<PathBuf> = book
        .quotes
        .values()
        .map(|q| quote_file_path(lib, &q.source))
        .collect();
    for (path, evidence) in files {
        let rel = lib.rel(&path);
        let touched = problems.iter().any(|p| p.path == rel);
        if !wanted.contains(&path) && !evidence && (!touched || repair) {
            let _ = std::fs::remove_file(&path);
        }
    }
    Ok(problems)
}

fn toml_source_of(lib: &Library, rel: &str) -> Option<String> {
    let text = std::fs::read_to_string(lib.root().join(rel)).ok()?;
    toml::from_str::<QuoteFile>(&text).ok().map(|f| f.source)
}

/// How a quote record on file differs from the ledger's, in words.
fn differences(r: &QuoteRecord, expected: &QuoteRecord) -> String {
    let mut diffs = Vec::new();
    if r.status != expected.status {
        diffs.push(format!(
            "status = \"{}\" but the ledger says \"{}\"",
            r.status.as_str(),
            expected.status.as_str()
        ));
    }
    if r.scope != expected.scope {
        diffs.push(format!(
            "scope = {} but the ledger says {}",
            shown(r.scope.map(Scope::as_str)),
            shown(expected.scope.map(Scope::as_str))
        ));
    }
    if r.expires != expected.expires {
        diffs.push(format!(
            "expires = {} but the ledger says {}",
            shown(r.expires.as_deref()),
            shown(expected.expires.as_deref())
        ));
    }
    if r.exact != expected.exact || r.start != expected.start || r.end != expected.end {
        diffs.push("its words or anchor differ from the ledger".into());
    }
    if r.tags != expected.tags {
        diffs.push(format!(
            "tags {:?} but the ledger says {:?}",
            r.tags, expected.tags
        ));
    }
    if r.speaker != expected.speaker {
        diffs.push(format!(
            "speaker = {} but the ledger says {}",
            shown(r.speaker.as_deref()),
            shown(expected.speaker.as_deref())
        ));
    }
    if diffs.is_empty() {
        diffs.push("it differs from the ledger".into());
    }
    diffs.join("; ")
}

fn shown(v: Option<&str>) -> String {
    v.map_or_else(|| "(none)".into(), |v| format!("\"{v}\""))
}
