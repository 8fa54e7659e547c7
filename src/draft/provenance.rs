//! `provenance.json`: what a draft cites, so that `check` can verify it later and the
//! export can cite each source for its reader.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The record of one generated draft.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Provenance {
    /// When the draft was generated (UTC).
    pub generated: String,
    /// The response file this describes, relative to the response folder.
    pub file: String,
    /// BLAKE3 hash of the file as generated: a different hash means a person edited it.
    pub file_hash: String,
    /// Consent scope the quotes needed.
    pub scope: String,
    /// The organisation the response is from.
    pub organisation: String,
    /// Every citation, in order of first use.
    pub citations: Vec<Citation>,
    /// How much of the library's meaning was known when drafting: evidence among the
    /// other texts could be found by its words only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meaning: Option<crate::index::embed::Coverage>,
}

/// What kind of thing a citation points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CitationKind {
    /// A consented quote.
    Quote,
    /// A passage of a report or submission.
    Passage,
    /// One of our past recommendations.
    Recommendation,
}

/// One footnote of a draft and what it points at.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Citation {
    /// The footnote label used in the draft (`q-…`, `p-…`, `r-…`).
    pub label: String,
    /// What it cites.
    pub kind: CitationKind,
    /// Question it was drafted for.
    pub question: String,
    /// Quote or recommendation id; passage id for passages.
    pub id: String,
    /// Source id.
    pub source: String,
    /// Source title.
    pub title: String,
    /// Kind of source.
    pub source_kind: String,
    /// Source date as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Organisation of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// Public address of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Consultation a submission answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consultation: Option<String>,
    /// Sensitivity of the source.
    pub sensitivity: String,
    /// Markdown file of the source, relative to the library.
    pub path: String,
    /// First line cited.
    pub line_start: usize,
    /// Last line cited.
    pub line_end: usize,
    /// Page of the original where the cited words start, for sources imported from a
    /// paged original (a PDF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// The words cited, as they were in the source when drafted.
    pub text: String,
    /// BLAKE3 hash of `text`.
    pub text_hash: String,
    /// For quotes: the speaker's contributor id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    /// For quotes: how the speaker is credited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
    /// For quotes: the consent the draft relied on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentRecord>,
    /// For recommendations: the latest recorded outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// The consent a quote had when it was drafted.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ConsentRecord {
    /// Scope agreed.
    pub scope: String,
    /// When it was given.
    pub given: String,
    /// Last day it lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}
