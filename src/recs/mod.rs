//! Recommendations across the library: whose each one is, and the asks we have made more
//! than once ("we have asked for this in 2021, 2023 and 2025").
//!
//! Finding recommendations in a source is the corpus's job (`corpus::markdown`); this
//! module looks at them together.

pub mod group;

pub use group::{Member, Similarity, THRESHOLD, groups, groups_at};

use crate::corpus::Source;

/// Whose material a source is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whose {
    /// Our organisation's, or our own file that names no organisation.
    Ours,
    /// Another organisation's.
    Theirs(String),
    /// An imported document that names nobody: never presented as ours.
    Unknown,
}

impl Whose {
    /// Whether it is ours.
    pub fn is_ours(&self) -> bool {
        matches!(self, Whose::Ours)
    }
}

/// Whose a source is, given the library's organisation (`heard.toml`): the same rule the
/// draft uses to decide between "we said" and "X said".
pub fn whose(source: &Source, our_organisation: &str) -> Whose {
    let ours = our_organisation.trim().to_lowercase();
    match source.meta.organisation.as_deref().map(str::trim) {
        Some(o) if !ours.is_empty() && o.to_lowercase() == ours => Whose::Ours,
        Some(o) if !o.is_empty() && !ours.is_empty() => Whose::Theirs(o.to_string()),
        _ if source.meta.extra.contains_key("original") => Whose::Unknown,
        _ => Whose::Ours,
    }
}
