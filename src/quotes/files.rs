//! Quote files: `corpus/quotes/<source>.toml`, written from the book after every change so
//! people can read and review quotes in git, and read back leniently.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Context;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Quote, QuoteBook, Scope, Status};
use crate::corpus;
use crate::{Library, Problem};

/// A quote as written in `corpus/quotes/<source>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRecord {
    /// Quote id.
    pub id: String,
    /// The quoted words, exactly as in the source.
    pub exact: String,
    /// Up to 32 characters before.
    pub prefix: String,
    /// Up to 32 characters after.
    pub suffix: String,
    /// Byte offset in the source's plain text where it started when anchored.
    pub start: usize,
    /// Byte offset where it ended.
    pub end: usize,
    /// Contributor id of the speaker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    /// Themes.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Consent, as recorded in the ledger.
    pub status: Status,
    /// Scope of an approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Last day of an approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// When the quote was made.
    pub created: String,
    /// The id of the last ledger event about this quote: if the ledger ever loses it,
    /// events were deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event: Option<String>,
}

/// The layout of a quote file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteFile {
    /// Id of the source the quotes are anchored in.
    pub source: String,
    /// The quotes.
    #[serde(default, rename = "quote")]
    pub quotes: Vec<QuoteRecord>,
}

impl From<&Quote> for QuoteRecord {
    fn from(q: &Quote) -> Self {
        QuoteRecord {
            id: q.id.clone(),
            exact: q.anchor.exact.clone(),
            prefix: q.anchor.prefix.clone(),
            suffix: q.anchor.suffix.clone(),
            start: q.anchor.start,
            end: q.anchor.end,
            speaker: q.speaker.clone(),
            tags: q.tags.iter().cloned().collect(),
            status: q.status,
            scope: q.scope,
            expires: q.expires.clone(),
            created: q.created.clone(),
            last_event: q.history.last().map(|h| h.event.clone()),
        }
    }
}

/// Folder of quote files.
pub fn quotes_dir(lib: &Library) -> PathBuf {
    lib.corpus_dir().join("quotes")
}

/// The quote file of a source: `<id>.toml` when the id is already a plain slug, else the
/// slug and a hash of the id (`a-b.toml`, `a-b--3f9c….toml` for `a/b`), so that two ids
/// never share a file. A plain slug never holds `--`.
pub fn quote_file_path(lib: &Library, source: &str) -> PathBuf {
    let slug = corpus::id_slug(source);
    let name = if slug == source && !slug.is_empty() {
        slug
    } else {
        let hash = blake3::hash(source.as_bytes()).to_hex();
        format!(
            "{}--{}",
            if slug.is_empty() { "source" } else { &slug },
            &hash[..12]
        )
    };
    quotes_dir(lib).join(format!("{name}.toml"))
}

/// Write the quote file of `source` from the book. The caller holds the write lock.
///
/// A record on disk whose last event the ledger has lost is kept as it is: it is the
/// evidence that events were deleted, until someone restores or acknowledges them.
pub fn write_quote_file(lib: &Library, book: &QuoteBook, source: &str) -> anyhow::Result<()> {
    let path = quote_file_path(lib, source);
    let ids = book.ledger.ids();
    let acknowledged = book.ledger.acknowledged();
    let evidence: HashMap<String, QuoteRecord> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| toml::from_str::<QuoteFile>(&t).ok())
        .map(|f| f.quotes)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            r.last_event
                .as_deref()
                .is_some_and(|e| !ids.contains(e) && !acknowledged.contains(&format!("lost:{e}")))
        })
        .map(|r| (r.id.clone(), r))
        .collect();
    let mut quotes: Vec<QuoteRecord> = book
        .of_source(source)
        .map(|q| {
            evidence
                .get(&q.id)
                .cloned()
                .unwrap_or_else(|| QuoteRecord::from(q))
        })
        .collect();
    for (id, r) in &evidence {
        if !book.quotes.contains_key(id) {
            quotes.push(r.clone());
        }
    }
    let file = QuoteFile {
        source: source.to_string(),
        quotes,
    };
    std::fs::create_dir_all(quotes_dir(lib))
        .with_context(|| format!("failed to create `{}`", quotes_dir(lib).display()))?;
    let mut text = String::from(
        "# Quotes anchored in this source, written by heard from corpus/ledger.jsonl.\n\
         # Change them with `heard quote ...`: consent edited here by hand is reported by\n\
         # `heard verify` and never trusted.\n",
    );
    text.push_str(&toml::to_string(&file).context("failed to encode a quote file")?);
    crate::fsutil::write_atomic(&path, text.as_bytes())
}

/// Every quote file, read leniently: `(path, parsed or the problem)`.
pub fn read_quote_files(lib: &Library) -> Vec<(String, Result<QuoteFile, Problem>)> {
    let dir = quotes_dir(lib);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let rel = lib.rel(&p);
            let parsed = std::fs::read_to_string(&p)
                .map_err(|e| Problem::file(&rel, format!("cannot be read: {e}")))
                .and_then(|text| {
                    toml::from_str::<QuoteFile>(&text).map_err(|e| {
                        let line = e.span().map_or(1, |s| {
                            text[..s.start.min(text.len())].lines().count().max(1)
                        });
                        Problem::at(
                            &rel,
                            line,
                            format!("not a valid quote file: {}", e.message()),
                        )
                    })
                });
            (rel, parsed)
        })
        .collect()
}
