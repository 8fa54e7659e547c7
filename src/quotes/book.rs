//! The book: every quote's state, folded from the ledger's events in file order, with the
//! damage found in the ledger and in the records outside it.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use super::{Anchor, HistoryItem, Quote, Status, read_quote_files};
use crate::ledger::{self, Action, Event, Ledger};
use crate::{Library, Problem};

/// Every quote, folded from the ledger.
#[derive(Debug, Default)]
pub struct QuoteBook {
    /// Quotes by id.
    pub quotes: BTreeMap<String, Quote>,
    /// The ledger it was folded from.
    pub ledger: Ledger,
    /// Events that name a quote the ledger never created.
    pub strays: Vec<(usize, String)>,
    /// Damage to the ledger that nobody has acknowledged: while there is any, every
    /// quote's consent is unknown, and `draft` and `export` refuse.
    pub damage: Vec<ledger::Damage>,
}

impl QuoteBook {
    /// Read the ledger and fold it, then look for events that records outside the ledger
    /// (the quote files, the heads this machine wrote) know of but the ledger has lost.
    pub fn load(lib: &Library) -> anyhow::Result<QuoteBook> {
        let rel = lib.rel(&ledger::path(lib));
        let mut book = QuoteBook::fold(ledger::read(lib)?, &rel);
        let acknowledged = book.ledger.acknowledged();
        let ids: HashSet<String> = book
            .ledger
            .events
            .iter()
            .map(|(_, e)| e.id.clone())
            .collect();
        let mut more = Vec::new();
        for head in ledger::missing_recorded_heads(lib, &book.ledger) {
            more.push(ledger::Damage {
                key: format!("head:{head}"),
                problem: Problem::file(
                    &rel,
                    format!("event {head}, the newest this machine wrote, is missing: events were deleted from the end; restore corpus/ledger.jsonl from version control or a backup, or `heard verify --acknowledge --by NAME`"),
                ),
            });
        }
        for (file_rel, parsed) in read_quote_files(lib) {
            let Ok(file) = parsed else { continue };
            for r in file.quotes {
                if let Some(e) = r.last_event.filter(|e| !ids.contains(e)) {
                    more.push(ledger::Damage {
                        key: format!("lost:{e}"),
                        problem: Problem::file(
                            &file_rel,
                            format!("quote {}: its last event {e} is not in the ledger: events were deleted; restore corpus/ledger.jsonl from version control or a backup, or `heard verify --acknowledge --by NAME`", r.id),
                        ),
                    });
                }
            }
        }
        more.retain(|d| !acknowledged.contains(&d.key));
        if !more.is_empty() {
            book.damage.extend(more);
            book.distrust();
        }
        Ok(book)
    }

    /// Fold events, in file order, into quote states. `rel` names the ledger in problems.
    pub fn fold(ledger: Ledger, rel: &str) -> QuoteBook {
        let mut book = QuoteBook::default();
        for (line, e) in &ledger.events {
            if e.content_id() != e.id {
                // An edited event is never applied; it is damage (below), and while damage
                // is unacknowledged no quote's consent is trusted.
                continue;
            }
            if e.action == Action::LedgerAcknowledge {
                // Consent given before damage was acknowledged cannot be vouched for.
                for q in book.quotes.values_mut() {
                    if matches!(q.status, Status::Approved | Status::Expired) {
                        q.status = Status::Pending;
                        q.scope = None;
                        q.expires = None;
                        q.reconsent = true;
                        q.history.push(HistoryItem::from(e));
                    }
                }
                continue;
            }
            if e.action == Action::ConsentSource {
                // Consent given at the source is about a contributor, not a quote: it
                // approves their quotes when they are made (see `add`).
                continue;
            }
            if e.action == Action::RecOutcome {
                // About recommendations, not quotes: folded by `recs::Outcomes`.
                continue;
            }
            if matches!(e.action, Action::TagSuggest | Action::TagReview) {
                // About passages, not quotes: folded by the web's review of suggestions.
                continue;
            }
            if e.action == Action::QuoteCreate {
                if let Some(q) = created(e) {
                    book.quotes.insert(q.id.clone(), q);
                }
            }
            let Some(q) = book.quotes.get_mut(&e.target) else {
                book.strays.push((*line, e.target.clone()));
                continue;
            };
            if q.history.iter().any(|h| h.event == e.id) {
                continue; // the same event twice, as a union merge can leave
            }
            q.history.push(HistoryItem::from(e));
            match e.action {
                Action::QuoteTag => {
                    let d = e.details.value();
                    for t in strings(&d, "add") {
                        q.tags.insert(t);
                    }
                    for t in strings(&d, "remove") {
                        q.tags.remove(&t);
                    }
                }
                Action::QuoteApprove => {
                    q.status = Status::Approved;
                    q.reconsent = false;
                    q.scope = e
                        .detail("scope")
                        .and_then(|s| serde_json::from_value(json!(s)).ok());
                    q.expires = e.detail("expires");
                    q.consented = Some(e.time.clone());
                }
                Action::QuoteDecline => {
                    q.status = Status::Declined;
                    q.scope = None;
                    q.expires = None;
                }
                Action::QuoteWithdraw => {
                    q.status = Status::Withdrawn;
                    q.scope = None;
                    q.expires = None;
                }
                Action::QuoteExpire => {
                    q.status = Status::Expired;
                }
                Action::QuoteSpeaker => {
                    // Consent is the speaker's: a newly named speaker has given none yet.
                    q.speaker = e.detail("speaker");
                    q.status = Status::Pending;
                    q.scope = None;
                    q.expires = None;
                    q.consented = None;
                    q.reconsent = false;
                }
                Action::QuoteCreate
                | Action::RecOutcome
                | Action::LedgerAcknowledge
                | Action::ConsentSource
                | Action::TagSuggest
                | Action::TagReview => {}
            }
        }
        let acknowledged = ledger.acknowledged();
        let mut damage = ledger.damage(rel);
        for (line, target) in &book.strays {
            let id = ledger
                .events
                .iter()
                .find(|(n, e)| n == line && &e.target == target)
                .map_or_else(String::new, |(_, e)| e.id.clone());
            damage.push(ledger::Damage {
                key: format!("stray:{id}"),
                problem: Problem::at(
                    rel,
                    *line,
                    format!("event for quote {target}, which was never created: its creation was deleted; restore corpus/ledger.jsonl from version control or a backup, or `heard verify --acknowledge --by NAME`"),
                ),
            });
        }
        damage.retain(|d| !acknowledged.contains(&d.key));
        book.damage = damage;
        book.ledger = ledger;
        if !book.damage.is_empty() {
            book.distrust();
        }
        book
    }

    /// Mark every quote's consent unknown.
    fn distrust(&mut self) {
        for q in self.quotes.values_mut() {
            q.tampered = true;
        }
    }

    /// An error that explains why nothing can be drafted or exported while the ledger is
    /// damaged, and how to put it right; `None` when it is intact.
    pub fn untrusted(&self) -> Option<anyhow::Error> {
        let first = self.damage.first()?;
        Some(anyhow::anyhow!(
            "the consent ledger is damaged ({} found, the first: {}), so nobody's consent can be vouched for. Run `heard verify` to see it all; restore corpus/ledger.jsonl from version control or a backup, or once an officer has checked it, record that with `heard verify --acknowledge --by NAME` (every approval given before then must be asked for again)",
            if self.damage.len() == 1 {
                "1 problem".to_string()
            } else {
                format!("{} problems", self.damage.len())
            },
            first.problem
        ))
    }

    /// The quote with this id, or an error that says how to find ids.
    pub fn get(&self, id: &str) -> anyhow::Result<&Quote> {
        self.quotes
            .get(id)
            .ok_or_else(|| anyhow::anyhow!("no quote with id `{id}`; `heard quotes` lists them"))
    }

    /// Quotes of one source, by id.
    pub fn of_source<'a>(&'a self, source: &'a str) -> impl Iterator<Item = &'a Quote> + 'a {
        self.quotes.values().filter(move |q| q.source == source)
    }
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn anchor_of(d: &Value) -> Option<Anchor> {
    Some(Anchor {
        exact: d.get("exact")?.as_str()?.to_string(),
        prefix: d
            .get("prefix")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        suffix: d
            .get("suffix")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        start: d.get("start").and_then(Value::as_u64).unwrap_or(0) as usize,
        end: d.get("end").and_then(Value::as_u64).unwrap_or(0) as usize,
    })
}

fn created(e: &Event) -> Option<Quote> {
    let d = e.details.value();
    let text = |key| d.get(key).and_then(Value::as_str).map(String::from);
    Some(Quote {
        id: e.target.clone(),
        source: text("source")?,
        path: text("path").unwrap_or_default(),
        anchor: anchor_of(&d)?,
        speaker: text("speaker"),
        tags: strings(&d, "tags").into_iter().collect(),
        status: Status::Pending,
        scope: None,
        expires: None,
        consented: None,
        created: e.time.clone(),
        history: Vec::new(),
        tampered: false,
        reconsent: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ledger lines as `heard` writes them: a quote made, tagged and approved.
    fn ledger_of_one_quote() -> Ledger {
        let mut lines = Vec::new();
        let mut parents: Vec<String> = Vec::new();
        let steps = [
            (
                Action::QuoteCreate,
                json!({"source": "t-1", "path": "corpus/t-1.md", "exact": "We waited a year.",
                    "prefix": "", "suffix": "", "start": 0, "end": 17, "tags": ["housing"]}),
            ),
            (Action::QuoteTag, json!({"add": ["waiting"]})),
            (Action::QuoteApprove, json!({"scope": "external"})),
        ];
        for (action, details) in steps {
            let mut e = Event {
                id: String::new(),
                parents: std::mem::take(&mut parents),
                time: "2026-01-01T00:00:00Z".into(),
                actor: "officer".into(),
                action,
                target: "q-00000001".into(),
                details: details.into(),
            };
            e.id = e.content_id();
            parents = vec![e.id.clone()];
            lines.push(serde_json::to_string(&e).unwrap());
        }
        ledger::parse(format!("{}\n", lines.join("\n")).as_bytes(), "ledger.jsonl")
    }

    #[test]
    fn a_quotes_history_shares_each_events_particulars_with_the_ledger() {
        let book = QuoteBook::fold(ledger_of_one_quote(), "ledger.jsonl");
        let q = book.get("q-00000001").unwrap();
        assert_eq!(q.status, Status::Approved);
        assert_eq!(q.history.len(), 3);
        for (h, (_, e)) in q.history.iter().zip(&book.ledger.events) {
            assert_eq!(h.event, e.id);
            // One copy of the particulars (the quote's words among them), not two: the fold
            // of a large ledger held every event twice.
            assert!(h.details.shared_with(&e.details));
        }
        // Read back as written: the history's particulars are the event's.
        assert_eq!(q.history[0].details.value()["exact"], "We waited a year.");
        assert_eq!(
            serde_json::to_value(&q.history[2]).unwrap()["details"],
            json!({"scope": "external"})
        );
    }
}
