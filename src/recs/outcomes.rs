//! What became of our recommendations: outcomes recorded as `rec.outcome` ledger events (by
//! `heard recs outcome` and the register's form), and every recorded outcome of each
//! recommendation, folded from the ledger.
//!
//! The fold needs only the ledger's events, not the quote book: `heard recs` and the
//! register read outcomes with [`Outcomes::load`].

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::{Value, json};

use crate::Library;
use crate::ledger::{self, Action, Ledger};

/// What was recorded about a recommendation's fate.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// pending, adopted, partly, not-adopted or unknown.
    pub outcome: String,
    /// When it was recorded.
    pub recorded: String,
    /// Who recorded it.
    pub by: String,
    /// A note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Where the evidence is (a URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// Every outcome recorded for each recommendation, oldest first.
#[derive(Debug, Default)]
pub struct Outcomes {
    by_rec: BTreeMap<String, Vec<Outcome>>,
}

impl Outcomes {
    /// Read the ledger and fold its outcomes.
    pub fn load(lib: &Library) -> anyhow::Result<Outcomes> {
        Ok(Outcomes::fold(&ledger::read(lib)?))
    }

    /// Fold the `rec.outcome` events, in file order. An edited event is not trusted (as in
    /// the quote book), and an event that appears twice (as a union merge can leave)
    /// counts once, where it first appears.
    pub fn fold(ledger: &Ledger) -> Outcomes {
        let mut by_rec: BTreeMap<String, Vec<Outcome>> = BTreeMap::new();
        let mut seen = HashSet::new();
        for (_, e) in &ledger.events {
            if e.action != Action::RecOutcome || e.content_id() != e.id || !seen.insert(&e.id) {
                continue;
            }
            by_rec.entry(e.target.clone()).or_default().push(Outcome {
                outcome: e.detail("outcome").unwrap_or_else(|| "unknown".into()),
                recorded: e.time.clone(),
                by: e.actor.clone(),
                note: e.detail("note"),
                evidence: e.detail("evidence"),
            });
        }
        Outcomes { by_rec }
    }

    /// The latest outcome recorded for a recommendation.
    pub fn latest(&self, id: &str) -> Option<&Outcome> {
        self.history(id).last()
    }

    /// The latest outcome in one word: `unknown` when none was recorded.
    pub fn of(&self, id: &str) -> &str {
        self.latest(id).map_or("unknown", |o| o.outcome.as_str())
    }

    /// The recommendations whose latest outcome is `outcome`, as a filter the index
    /// applies (so that it counts and pages them without reading every one): the ids
    /// recorded with it, or for `unknown` (what nobody recorded, or what was last recorded
    /// as unknown) every id but those recorded otherwise.
    pub fn filter(&self, outcome: &str) -> crate::index::Exact {
        let unknown = outcome == "unknown";
        let ids: Vec<String> = self
            .by_rec
            .iter()
            .filter_map(|(id, list)| Some((id, list.last()?.outcome.as_str())))
            .filter(|(_, o)| (*o == outcome) != unknown)
            .map(|(id, _)| id.clone())
            .collect();
        if unknown {
            crate::index::Exact::IdNotIn(ids)
        } else {
            crate::index::Exact::IdIn(ids)
        }
    }

    /// Every outcome recorded for a recommendation, oldest first.
    pub fn history(&self, id: &str) -> &[Outcome] {
        self.by_rec.get(id).map_or(&[], Vec::as_slice)
    }
}

/// Record what happened to a recommendation.
pub fn record_outcome(
    lib: &Library,
    id: &str,
    outcome: &str,
    note: Option<&str>,
    evidence: Option<&str>,
    actor: &str,
) -> anyhow::Result<()> {
    let _lock = ledger::write_lock(lib)?;
    let mut details = serde_json::Map::new();
    details.insert("outcome".into(), json!(outcome));
    if let Some(n) = note {
        details.insert("note".into(), json!(n));
    }
    if let Some(e) = evidence {
        details.insert("evidence".into(), json!(e));
    }
    ledger::append(
        lib,
        vec![(
            actor.to_string(),
            Action::RecOutcome,
            id.to_string(),
            Value::Object(details),
        )],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Event;

    fn outcome(target: &str, outcome: &str, time: &str) -> Event {
        let mut e = Event {
            id: String::new(),
            parents: Vec::new(),
            time: time.into(),
            actor: "jo".into(),
            action: Action::RecOutcome,
            target: target.into(),
            details: json!({ "outcome": outcome }).into(),
        };
        e.id = e.content_id();
        e
    }

    fn ledger(events: Vec<Event>) -> Ledger {
        Ledger {
            events: events
                .into_iter()
                .enumerate()
                .map(|(i, e)| (i + 1, e))
                .collect(),
            ..Ledger::default()
        }
    }

    #[test]
    fn the_latest_outcome_counts_and_the_history_keeps_every_one_oldest_first() {
        let a = outcome("r-1", "pending", "2025-01-01T00:00:00Z");
        let b = outcome("r-2", "partly", "2025-02-01T00:00:00Z");
        let c = outcome("r-1", "adopted", "2025-03-01T00:00:00Z");
        let o = Outcomes::fold(&ledger(vec![a, b, c]));
        assert_eq!(o.of("r-1"), "adopted");
        let seen: Vec<&str> = o
            .history("r-1")
            .iter()
            .map(|h| h.outcome.as_str())
            .collect();
        assert_eq!(seen, ["pending", "adopted"]);
        assert_eq!(o.latest("r-2").map(|h| h.by.as_str()), Some("jo"));
        assert_eq!(o.of("r-3"), "unknown");
        assert!(o.history("r-3").is_empty());
    }

    #[test]
    fn an_edited_event_is_not_trusted_and_a_repeated_one_counts_where_it_first_appears() {
        let a = outcome("r-1", "pending", "2025-01-01T00:00:00Z");
        let b = outcome("r-1", "adopted", "2025-03-01T00:00:00Z");
        let mut edited = outcome("r-1", "not-adopted", "2025-04-01T00:00:00Z");
        edited.details = json!({ "outcome": "partly" }).into();
        let o = Outcomes::fold(&ledger(vec![a.clone(), b, a, edited]));
        assert_eq!(o.of("r-1"), "adopted");
        assert_eq!(o.history("r-1").len(), 2);
    }
}
