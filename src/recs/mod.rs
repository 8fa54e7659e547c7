//! Recommendations across the library: whose each one is, and the asks we have made more
//! than once ("we have asked for this in 2021, 2023 and 2025").
//!
//! Finding recommendations in a source is the corpus's job (`corpus::markdown`); this
//! module looks at them together (`group.rs`), and at what became of them (`outcomes.rs`).

pub mod group;
pub mod outcomes;

pub use group::{Member, Similarity, THRESHOLD, groups, groups_at};
pub use outcomes::{Outcome, Outcomes, record_outcome};

use crate::corpus::Source;
use crate::index::{DocType, SearchRequest};

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

/// What the index does not store about recommendations, read from their sources: why each
/// was taken, whose it is, and the groups of the same ask.
pub struct About {
    /// crate::corpus::Why each recommendation was taken, by id.
    pub why: std::collections::HashMap<String, crate::corpus::Why>,
    /// Whose each source is, by source id.
    pub whose: std::collections::HashMap<String, Whose>,
    /// The groups of the same ask.
    pub groups: Vec<Group>,
    /// Each grouped recommendation's group.
    pub group_of: std::collections::HashMap<String, usize>,
}

/// The same ask, made in several of our sources.
pub struct Group {
    /// Member ids, oldest first.
    pub members: Vec<String>,
    /// The years it was asked in, in order.
    pub years: Vec<String>,
    /// How many sources ask it.
    pub sources: usize,
}

impl Group {
    /// "2021, 2023 and 2025".
    pub fn years_text(&self) -> String {
        match self.years.as_slice() {
            [] => "undated sources".to_string(),
            [one] => format!("{one} ({} sources)", self.sources),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        }
    }
}

impl About {
    /// Read what the index does not hold, from the sources with recommendations.
    pub fn load(lib: &crate::Library, index: &crate::index::LibraryIndex) -> anyhow::Result<About> {
        let all = index.search(&SearchRequest {
            types: vec![DocType::Recommendation],
            limit: usize::MAX / 4,
            ..SearchRequest::default()
        })?;
        let mut sources = crate::quotes::Sources::new(lib)?;
        let mut about = About {
            why: Default::default(),
            whose: Default::default(),
            groups: Vec::new(),
            group_of: Default::default(),
        };
        // (date, id, source, text) of our recommendations.
        let mut ours: Vec<(String, String, String, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for hit in &all.hits {
            if !seen.insert(hit.source.clone()) {
                continue;
            }
            let Some(source) = sources.get(&hit.source) else {
                continue;
            };
            let whose = whose(source, &lib.config.organisation);
            for r in &source.recommendations {
                about.why.insert(r.id.clone(), r.why.clone());
                if whose.is_ours() {
                    let date = source.date.clone().unwrap_or_default();
                    ours.push((date, r.id.clone(), source.id.clone(), r.text.clone()));
                }
            }
            about.whose.insert(hit.source.clone(), whose);
        }
        ours.sort();
        let members: Vec<Member> = ours
            .iter()
            .map(|(_, id, source, text)| Member {
                id: id.clone(),
                source: source.clone(),
                text: text.clone(),
            })
            .collect();
        for g in groups(&members) {
            let mut years: Vec<String> = g
                .iter()
                .filter_map(|&i| ours[i].0.get(..4).map(String::from))
                .collect();
            years.dedup();
            for &i in &g {
                about.group_of.insert(ours[i].1.clone(), about.groups.len());
            }
            let sources: std::collections::HashSet<&str> =
                g.iter().map(|&i| ours[i].2.as_str()).collect();
            about.groups.push(Group {
                members: g.iter().map(|&i| ours[i].1.clone()).collect(),
                years,
                sources: sources.len(),
            });
        }
        Ok(about)
    }

    /// Whose a source is.
    pub fn whose(&self, source: &str) -> Whose {
        self.whose.get(source).cloned().unwrap_or(Whose::Unknown)
    }

    /// The group a recommendation belongs to, if any.
    pub fn group_of(&self, id: &str) -> Option<&Group> {
        self.group_of.get(id).map(|&g| &self.groups[g])
    }

    /// The organisation's name as shown: ours is the library's organisation.
    pub fn organisation(&self, whose: &Whose, lib: &crate::Library) -> Option<String> {
        match whose {
            Whose::Ours if !lib.config.organisation.trim().is_empty() => {
                Some(lib.config.organisation.trim().to_string())
            }
            Whose::Ours => None,
            Whose::Theirs(o) => Some(o.clone()),
            Whose::Unknown => None,
        }
    }
}
