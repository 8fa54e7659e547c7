//! `heard tags`: the tags in use, how often, and which are not in the taxonomy.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use crate::Library;
use crate::cli::TagsArgs;
use crate::index::DocType;
use crate::quotes::QuoteBook;

#[derive(Default, Serialize)]
struct Count {
    tag: String,
    sources: usize,
    quotes: usize,
    in_taxonomy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
}

/// Run `heard tags`.
pub fn run(args: TagsArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let (index, report) = super::open_index(lib)?;
    super::note_refresh(&report);
    let taxonomy = crate::taxonomy::load(lib)?;
    let mut counts: BTreeMap<String, Count> = BTreeMap::new();
    for theme in &taxonomy.themes {
        counts.entry(theme.id.clone()).or_default();
    }
    // Every source's tags as the index holds them, counted from its postings: a search for
    // every source would hold each with its whole text.
    for (tag, n) in index.tag_counts(DocType::Source)? {
        counts.entry(tag).or_default().sources += n;
    }
    let book = QuoteBook::load(lib)?;
    for q in book.quotes.values() {
        for t in &q.tags {
            counts.entry(t.clone()).or_default().quotes += 1;
        }
    }
    for (tag, c) in counts.iter_mut() {
        c.tag = tag.clone();
        // A synonym written as a tag belongs to its theme: it is known, not to be tidied.
        let theme = taxonomy.theme_of(tag);
        c.in_taxonomy = theme.is_some();
        c.label = theme.map(|t| {
            let label = if t.label.is_empty() {
                t.id.clone()
            } else {
                t.label.clone()
            };
            if &t.id == tag {
                label
            } else {
                format!("{label} (synonym of {})", t.id)
            }
        });
    }
    let rows: Vec<&Count> = counts.values().collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "tags": rows }))?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for c in &rows {
        writeln!(
            out,
            "{:<24} {:>4} sources {:>4} quotes  {}",
            super::shown(&c.tag),
            c.sources,
            c.quotes,
            if c.in_taxonomy {
                super::shown(c.label.as_deref().unwrap_or_default()).into_owned()
            } else {
                "NOT IN TAXONOMY".into()
            }
        )?;
    }
    out.flush()?;
    drop(out);
    let unknown = rows.iter().filter(|c| !c.in_taxonomy).count();
    if unknown > 0 {
        eprintln!(
            "{} not in corpus/taxonomy.toml: add them there (or as synonyms of a theme), or retag",
            super::plural(unknown, "tag is", "tags are")
        );
    }
    Ok(ExitCode::SUCCESS)
}
