//! Recommendations across the library: whose each one is, and the asks we have made more
//! than once ("we have asked for this in 2021, 2023 and 2025").
//!
//! Finding recommendations in a source is the corpus's job (`corpus::markdown`); this
//! module looks at them together (`group.rs`), and at what became of them (`outcomes.rs`).

pub mod group;
pub mod outcomes;

pub use group::{Member, Similarity, THRESHOLD, groups, groups_at};
pub use outcomes::{Outcome, Outcomes, record_outcome};

use std::collections::{BTreeMap, HashMap, HashSet};

use tantivy::TantivyDocument;
use tantivy::schema::Value;

use crate::corpus::{Source, Why};
use crate::index::DocType;

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
    whose_named(source.meta.organisation.as_deref(), our_organisation)
        .unwrap_or_else(|| whose_unnamed(source))
}

/// [`whose`] from the organisation a source names alone, when that decides it: `None` when
/// it depends on whether the source was imported (no organisation named, or none of ours).
fn whose_named(organisation: Option<&str>, our_organisation: &str) -> Option<Whose> {
    let ours = our_organisation.trim().to_lowercase();
    match organisation.map(str::trim) {
        Some(o) if !ours.is_empty() && o.to_lowercase() == ours => Some(Whose::Ours),
        Some(o) if !o.is_empty() && !ours.is_empty() => Some(Whose::Theirs(o.to_string())),
        _ => None,
    }
}

/// [`whose`] of a source the organisation it names does not decide.
fn whose_unnamed(source: &Source) -> Whose {
    if source.meta.extra.contains_key("original") {
        Whose::Unknown
    } else {
        Whose::Ours
    }
}

/// What the index's search hits do not say about recommendations: whose each source is, and
/// the groups of the same ask. Read from the index's stored recommendations one at a time
/// (a source file only when the organisation it names does not decide whose it is), so
/// that it holds per recommendation of ours its id, source and text, and per source whose
/// it is — never the sources themselves.
pub struct About {
    /// Whose each source with recommendations is, by source id.
    whose: HashMap<String, Whose>,
    /// The organisation a source names as written (trimmed), for those not [`Whose::Theirs`]
    /// (whose name that holds already).
    named: HashMap<String, String>,
    /// The groups of the same ask.
    groups: std::sync::Arc<Groups>,
}

/// The groups of the same ask among our recommendations.
#[derive(Default)]
pub struct Groups {
    groups: Vec<Group>,
    /// Each grouped recommendation's group.
    group_of: HashMap<String, usize>,
}

impl Groups {
    /// The group a recommendation belongs to, if any.
    pub fn of(&self, id: &str) -> Option<&Group> {
        self.group_of.get(id).map(|&g| &self.groups[g])
    }

    /// The groups as [`About::load`] works them out, kept until the index or the
    /// library's organisation changes: the register asks for them on every page, and at a
    /// million sources working them out takes about half a minute. Only the groups are kept
    /// (not whose each source is, which only a download needs), so that what a server keeps
    /// is the grouped asks' ids. Callers asking while they are worked out wait for them
    /// rather than work them out again.
    pub fn shared(
        lib: &crate::Library,
        index: &crate::index::LibraryIndex,
    ) -> anyhow::Result<std::sync::Arc<Groups>> {
        let content = index.content_key()?;
        let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = kept.as_ref().filter(|k| {
            k.root == lib.root() && k.organisation == lib.config.organisation && k.index == content
        }) {
            return Ok(k.groups.clone());
        }
        let groups = About::load(lib, index)?.groups;
        *kept = Some(Kept {
            root: lib.root().to_path_buf(),
            organisation: lib.config.organisation.clone(),
            index: content,
            groups: groups.clone(),
        });
        Ok(groups)
    }
}

/// The same ask, made in several of our sources.
pub struct Group {
    /// Member ids, oldest first.
    pub members: Vec<String>,
    /// Each member's year, as its source gives it (`None`: undated).
    pub member_years: Vec<Option<u16>>,
    /// The years it was asked in, in order.
    pub years: Vec<String>,
    /// How many sources ask it.
    pub sources: usize,
}

impl Group {
    /// The members other than `id`, with their years, oldest first.
    pub fn others<'g>(&'g self, id: &'g str) -> impl Iterator<Item = (&'g str, Option<u16>)> + 'g {
        self.members
            .iter()
            .zip(&self.member_years)
            .filter(move |(m, _)| *m != id)
            .map(|(m, y)| (m.as_str(), *y))
    }

    /// "2021, 2023 and 2025".
    pub fn years_text(&self) -> String {
        match self.years.as_slice() {
            [] => "undated sources".to_string(),
            [one] => format!("{one} ({} sources)", self.sources),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        }
    }
}

/// A recommendation as [`About::load`] reads it from the index.
struct Stored {
    date: String,
    member: Member,
}

/// What [`Groups::shared`] keeps: the last groups worked out in this process, and what they
/// were worked out from.
struct Kept {
    root: std::path::PathBuf,
    organisation: String,
    index: Vec<(tantivy::index::SegmentId, u32)>,
    groups: std::sync::Arc<Groups>,
}

static KEPT: std::sync::Mutex<Option<Kept>> = std::sync::Mutex::new(None);

impl About {
    /// Read what the search hits do not hold, from the index's recommendations.
    pub fn load(lib: &crate::Library, index: &crate::index::LibraryIndex) -> anyhow::Result<About> {
        let f = index.fields();
        let ours_name = &lib.config.organisation;
        let mut whose_of: HashMap<String, Whose> = HashMap::new();
        let mut named: HashMap<String, String> = HashMap::new();
        // Our recommendations, and those of sources whose owner the index cannot tell.
        let (mut ours, mut undecided): (Vec<Stored>, Vec<Stored>) = (Vec::new(), Vec::new());
        let text = |doc: &TantivyDocument, field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        index.for_each_stored(DocType::Recommendation, |doc| {
            let source = text(doc, f.source);
            let whose = match whose_of.get(&source) {
                Some(w) => Some(w.clone()),
                None => {
                    let organisation = doc.get_first(f.organisation).and_then(|v| v.as_str());
                    let w = whose_named(organisation, ours_name);
                    match organisation.map(str::trim) {
                        Some(o) if !o.is_empty() && !matches!(w, Some(Whose::Theirs(_))) => {
                            named.insert(source.clone(), o.to_string());
                        }
                        _ => {}
                    }
                    if let Some(w) = &w {
                        whose_of.insert(source.clone(), w.clone());
                    }
                    w
                }
            };
            if whose.as_ref().is_some_and(|w| !w.is_ours()) {
                return;
            }
            let stored = Stored {
                date: text(doc, f.date_text),
                member: Member {
                    id: text(doc, f.id),
                    source,
                    text: text(doc, f.body),
                },
            };
            match whose {
                Some(_) => ours.push(stored),
                None => undecided.push(stored),
            }
        })?;
        // Sources that name no organisation (or a library that names none): whose they are
        // depends on their front matter, read one file at a time.
        if !undecided.is_empty() {
            let sources = crate::quotes::Sources::new(lib)?;
            undecided.sort_by(|a, b| a.member.source.cmp(&b.member.source));
            for s in undecided {
                if !whose_of.contains_key(&s.member.source) {
                    let whose = match sources.read(&s.member.source) {
                        Some(source) => whose(&source, ours_name),
                        // Gone since the refresh: nobody's to present as ours.
                        None => Whose::Unknown,
                    };
                    whose_of.insert(s.member.source.clone(), whose);
                }
                if whose_of[&s.member.source].is_ours() {
                    ours.push(s);
                }
            }
        }
        ours.sort_by(|a, b| {
            (&a.date, &a.member.id, &a.member.source, &a.member.text).cmp(&(
                &b.date,
                &b.member.id,
                &b.member.source,
                &b.member.text,
            ))
        });
        let (dates, members): (Vec<String>, Vec<Member>) =
            ours.into_iter().map(|s| (s.date, s.member)).unzip();
        let mut grouped = Groups::default();
        for g in groups(&members) {
            let mut years: Vec<String> = g
                .iter()
                .filter_map(|&i| dates[i].get(..4).map(String::from))
                .collect();
            years.dedup();
            for &i in &g {
                grouped
                    .group_of
                    .insert(members[i].id.clone(), grouped.groups.len());
            }
            let sources: HashSet<&str> = g.iter().map(|&i| members[i].source.as_str()).collect();
            grouped.groups.push(Group {
                members: g.iter().map(|&i| members[i].id.clone()).collect(),
                member_years: g
                    .iter()
                    .map(|&i| dates[i].get(..4).and_then(|y| y.parse().ok()))
                    .collect(),
                years,
                sources: sources.len(),
            });
        }
        Ok(About {
            whose: whose_of,
            named,
            groups: std::sync::Arc::new(grouped),
        })
    }

    /// Why each of these recommendations was taken, read from their sources one at a time
    /// (the index does not hold it): for the recommendations shown, not every one.
    pub fn whys<'h>(
        lib: &crate::Library,
        hits: impl IntoIterator<Item = &'h crate::index::Hit>,
    ) -> anyhow::Result<HashMap<String, Why>> {
        let mut wanted: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
        for h in hits {
            wanted.entry(&h.source).or_default().insert(&h.id);
        }
        let sources = crate::quotes::Sources::new(lib)?;
        let mut out = HashMap::new();
        for (source, ids) in wanted {
            let Some(s) = sources.read(source) else {
                continue;
            };
            for r in s.recommendations {
                if ids.contains(r.id.as_str()) {
                    out.insert(r.id, r.why);
                }
            }
        }
        Ok(out)
    }

    /// Whose a source is.
    pub fn whose(&self, source: &str) -> Whose {
        self.whose.get(source).cloned().unwrap_or(Whose::Unknown)
    }

    /// The organisation a source names, as written; `None` when it names none.
    pub fn named(&self, source: &str) -> Option<&str> {
        match self.whose.get(source) {
            Some(Whose::Theirs(o)) => Some(o),
            _ => self.named.get(source).map(String::as_str),
        }
    }

    /// The group a recommendation belongs to, if any.
    pub fn group_of(&self, id: &str) -> Option<&Group> {
        self.groups.of(id)
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
