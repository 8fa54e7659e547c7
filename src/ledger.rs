//! The ledger: `corpus/ledger.jsonl`, the append-only, tamper-evident record of every
//! change to a quote's tags and consent, and of recommendation outcomes.
//!
//! Consent is whatever the ledger says. Each line is one JSON event. An event's id is the
//! hash of its content, and it names its parents: the events that were the latest ("heads")
//! when it was written. History is therefore a chain — or, after two colleagues' clones
//! are merged, a small graph like git's — and `verify` detects an edited event (its hash no
//! longer matches), a deleted one (a child names a parent that is gone), and reordering (a
//! child before its parent). Ids never collide, so a git merge of two appended ledgers is
//! just the union of their lines (`heard init` sets `merge=union` for the file).
//!
//! Appends are serialised by the library's write lock and written as one `write` of whole
//! lines followed by fsync, so a killed process leaves the event whole or absent. Nothing
//! is ever skipped silently: a line that is not an event (a torn write, a hand edit) is
//! damage, reported by `verify`, and while any damage is unacknowledged nobody's consent
//! can be vouched for ([`Ledger::damage`]). A last line without its newline (an editor or a
//! merge tool can leave one) is ended before the next append, never glued to it.
//!
//! Deleting the newest events leaves a shorter chain that is still consistent, which no
//! hash chain can show by itself. Two records outside the ledger catch it: the quote files
//! (committed beside the ledger) name the last event of each quote, and `.heard/` remembers
//! the heads this machine wrote.
//!
//! Damage that cannot be repaired from a copy (version control, a backup) is acknowledged
//! by an officer with a `ledger.acknowledge` event naming each piece of damage; every
//! approval recorded before it must then be given again.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::{Library, Problem};

/// One change, as stored on one line of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// `e-` and the first 32 hex digits of the BLAKE3 hash of the other fields.
    pub id: String,
    /// Ids of the events that were the latest when this one was written (empty for the
    /// first event; two or more after a merge).
    pub parents: Vec<String>,
    /// When, in UTC (RFC 3339).
    pub time: String,
    /// Who: a contributor id, or an officer's name.
    pub actor: String,
    /// What was done.
    pub action: Action,
    /// To what: a quote id or a recommendation id.
    pub target: String,
    /// The particulars of the action (see [`Action`]).
    // Shared with the quote histories the fold makes (`HistoryItem::details`), so that each
    // event's particulars are held once.
    #[schemars(with = "Value")]
    pub details: Details,
}

/// An event's particulars, a JSON object, kept as its canonical text: compact, keys in
/// order, exactly as the event's id hashes it and as the ledger's line holds it.
///
/// Kept as text, not as parsed JSON: every command that folds the ledger holds every
/// event's particulars, and parsed they cost a map and a string per key. A ledger of 77,814
/// events (30.7 MB) took 114 MB that way; the text is about a quarter of that. A detail is
/// read by parsing the text ([`Details::get`], [`Details::value`]), a few times per event.
/// A clone shares the text (the quote histories the fold makes hold their events' own).
#[derive(Clone, Debug)]
pub struct Details(Arc<RawValue>);

impl Details {
    /// The particulars as a JSON value.
    pub fn value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }

    /// One detail, if present.
    pub fn get(&self, key: &str) -> Option<Value> {
        match self.value() {
            Value::Object(mut m) => m.remove(key),
            _ => None,
        }
    }

    /// One detail as text, if present and text.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The canonical JSON text.
    pub fn json(&self) -> &str {
        self.0.get()
    }

    /// Whether two are the same text in memory, not copies.
    pub fn shared_with(&self, other: &Details) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl From<Value> for Details {
    fn from(v: Value) -> Details {
        // `Value`'s own text: compact, with the keys of objects in order.
        let text = serde_json::to_string(&v).expect("a JSON value is JSON");
        Details(
            RawValue::from_string(text)
                .expect("JSON text is JSON")
                .into(),
        )
    }
}

impl Serialize for Details {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl PartialEq for Details {
    fn eq(&self, other: &Details) -> bool {
        self.json() == other.json()
    }
}

impl<'de> Deserialize<'de> for Details {
    /// Read as a value and written again canonically, so that particulars written with
    /// other spacing or key order hash as they always have.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Details, D::Error> {
        Value::deserialize(d).map(Details::from)
    }
}

/// The kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Action {
    /// A quote was made. Details: `source`, `path`, `exact`, `prefix`, `suffix`, `start`,
    /// `end`, `speaker`, `tags`, `source_hash`.
    #[serde(rename = "quote.create")]
    QuoteCreate,
    /// Tags were added or removed. Details: `add`, `remove`.
    #[serde(rename = "quote.tag")]
    QuoteTag,
    /// The speaker agreed to the quote being used. Details: `scope`, `expires`, `note`,
    /// `on_behalf_of`.
    #[serde(rename = "quote.approve")]
    QuoteApprove,
    /// The speaker did not agree. Details: `note`, `on_behalf_of`.
    #[serde(rename = "quote.decline")]
    QuoteDecline,
    /// The speaker took back their agreement. Details: `note`, `on_behalf_of`.
    #[serde(rename = "quote.withdraw")]
    QuoteWithdraw,
    /// An approval reached its expiry date. Details: `expired` (the date).
    #[serde(rename = "quote.expire")]
    QuoteExpire,
    /// An officer named whose words the quote holds (words in notes with several
    /// contributors wait for this before anyone can consent). Details: `speaker`,
    /// `previous` (null when there was none).
    #[serde(rename = "quote.speaker")]
    QuoteSpeaker,
    /// What happened to a recommendation. Details: `outcome`, `note`, `evidence`.
    #[serde(rename = "rec.outcome")]
    RecOutcome,
    /// A respondent answered a "may we quote you?" question where their words were
    /// collected (a survey's consent column). Target: the contributor. Details: `source`
    /// (the id of the source holding their words), `file`, `row`, `column`, `answer` (as
    /// written), `said` (yes, no, blank, unclear) and `scope` (null unless yes). A quote made
    /// of their words in that source is approved by a yes at once (see
    /// [`approval_from_source`]).
    #[serde(rename = "consent.source")]
    ConsentSource,
    /// An officer checked damage to the ledger that could not be repaired from a copy.
    /// Details: `damage` (the keys of [`Damage`]), `note`. Every approval recorded before
    /// it no longer counts.
    #[serde(rename = "ledger.acknowledge")]
    LedgerAcknowledge,
    /// A volunteer suggested themes for a passage of their own words (on "My words").
    /// Target: the suggestion's id (`s-` and 8 hex digits). Details: `source`, `path`,
    /// `line_start`, `line_end` (the passage's lines), `text_hash` (BLAKE3 of its text) and
    /// `tags`.
    #[serde(rename = "tag.suggest")]
    TagSuggest,
    /// An officer accepted or dismissed a volunteer's suggested themes. Target: the
    /// suggestion's id. Details: `decision` (accept or dismiss).
    #[serde(rename = "tag.review")]
    TagReview,
}

impl Action {
    /// The name used in the file and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::QuoteCreate => "quote.create",
            Action::QuoteTag => "quote.tag",
            Action::QuoteApprove => "quote.approve",
            Action::QuoteDecline => "quote.decline",
            Action::QuoteWithdraw => "quote.withdraw",
            Action::QuoteExpire => "quote.expire",
            Action::QuoteSpeaker => "quote.speaker",
            Action::RecOutcome => "rec.outcome",
            Action::LedgerAcknowledge => "ledger.acknowledge",
            Action::ConsentSource => "consent.source",
            Action::TagSuggest => "tag.suggest",
            Action::TagReview => "tag.review",
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    parents: &'a [String],
    time: &'a str,
    actor: &'a str,
    action: Action,
    target: &'a str,
    details: &'a Details,
}

impl Event {
    /// The id this event's content hashes to.
    pub fn content_id(&self) -> String {
        let body = Body {
            parents: &self.parents,
            time: &self.time,
            actor: &self.actor,
            action: self.action,
            target: &self.target,
            details: &self.details,
        };
        let bytes = serde_json::to_vec(&body).expect("an event is JSON");
        let hash = blake3::hash(&bytes).to_hex();
        format!("e-{}", &hash[..32])
    }

    /// A detail as text, if present.
    pub fn detail(&self, key: &str) -> Option<String> {
        self.details.text(key)
    }
}

/// The ledger as read from disk.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Events in file order, with their 1-based line numbers.
    pub events: Vec<(usize, Event)>,
    /// Lines that are not events: `(line, what is wrong, BLAKE3 of the line)`. They are
    /// damage: nobody's consent is trusted until they are dealt with.
    pub bad_lines: Vec<(usize, String, String)>,
    /// Whether the last line lacks its newline (it is ended before the next append).
    pub unterminated: bool,
}

/// One piece of damage to the ledger: what `verify` reports, with a key that stays the
/// same while the damage is there, so that an acknowledgement can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Stable name of the damage, e.g. `edited:e-…` or `line:<hash>`.
    pub key: String,
    /// Where and what, with the fix.
    pub problem: Problem,
}

/// Path of the ledger in a library.
pub fn path(lib: &Library) -> PathBuf {
    lib.corpus_dir().join("ledger.jsonl")
}

/// Read the ledger (a missing file is an empty ledger).
pub fn read(lib: &Library) -> anyhow::Result<Ledger> {
    let path = path(lib);
    let mut bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ledger::default()),
        Err(e) => return Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    };
    if let Some(start) = unfinished_append(lib, &bytes) {
        // This machine's own append, cut short (killed, or still being written): it was
        // never finished, so it is not part of the ledger yet.
        bytes.truncate(start);
    }
    Ok(parse(&bytes, &lib.rel(&path)))
}

fn pending_path(lib: &Library) -> PathBuf {
    lib.state_dir().join("ledger-pending")
}

/// Where an append this machine started, and has not finished, begins in `bytes`: the
/// ledger holds the file as it was before it plus only part of what it was writing. A
/// whole line the ledger does not end with is never dropped this way, only an exact
/// unfinished prefix of heard's own write.
fn unfinished_append(lib: &Library, bytes: &[u8]) -> Option<usize> {
    let pending = std::fs::read(pending_path(lib)).ok()?;
    let nl = pending.iter().position(|&b| b == b'\n')?;
    let start: usize = std::str::from_utf8(&pending[..nl]).ok()?.parse().ok()?;
    let text = &pending[nl + 1..];
    let written = bytes.get(start..)?;
    (written.len() < text.len() && text.starts_with(written) && bytes.len() > start)
        .then_some(start)
}

/// Parse ledger bytes; `rel` names the file in problems.
pub fn parse(bytes: &[u8], rel: &str) -> Ledger {
    let _ = rel;
    let mut ledger = Ledger::default();
    let text = String::from_utf8_lossy(bytes);
    ledger.unterminated = !text.is_empty() && !text.ends_with('\n');
    for (i, line) in text.split('\n').enumerate() {
        let n = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(e) => ledger.events.push((n, e)),
            Err(err) => match glued(line) {
                // Events glued by a lost newline are still whole events, each vouched for
                // by its own hash.
                Some(events) => ledger.events.extend(events.into_iter().map(|e| (n, e))),
                None => ledger.bad_lines.push((
                    n,
                    err.to_string(),
                    blake3::hash(line.as_bytes()).to_hex()[..32].to_string(),
                )),
            },
        }
    }
    ledger
}

/// Split a line holding several events written one after another without newlines.
fn glued(line: &str) -> Option<Vec<Event>> {
    let mut out = Vec::new();
    let stream = serde_json::Deserializer::from_str(line).into_iter::<Event>();
    for e in stream {
        out.push(e.ok()?);
    }
    (out.len() > 1).then_some(out)
}

impl Ledger {
    /// The ids of every event in the ledger.
    pub fn ids(&self) -> HashSet<&str> {
        self.events.iter().map(|(_, e)| e.id.as_str()).collect()
    }

    /// Ids of the events no other event names as a parent: the latest ones.
    pub fn heads(&self) -> Vec<String> {
        let named: HashSet<&str> = self
            .events
            .iter()
            .flat_map(|(_, e)| e.parents.iter().map(String::as_str))
            .collect();
        let mut heads: Vec<String> = self
            .events
            .iter()
            .map(|(_, e)| e.id.as_str())
            .filter(|id| !named.contains(id))
            .map(String::from)
            .collect();
        heads.sort();
        heads.dedup();
        heads
    }

    /// Every sign of damage: lines that are not events, edited, deleted or reordered
    /// events, and one id with two contents. The same event twice (as a union merge of
    /// two clones can leave) is not damage.
    pub fn damage(&self, rel: &str) -> Vec<Damage> {
        let mut out = Vec::new();
        let fix = "restore corpus/ledger.jsonl from version control (`git log -p corpus/ledger.jsonl`) or a backup, or, once an officer has checked it, `heard verify --acknowledge --by NAME`";
        for (n, err, hash) in &self.bad_lines {
            out.push(Damage {
                key: format!("line:{hash}"),
                problem: Problem::at(
                    rel,
                    *n,
                    format!("not a ledger event ({err}): the ledger must only be changed by heard; until this is dealt with nobody's consent is trusted: {fix}"),
                ),
            });
        }
        let mut seen: HashMap<&str, (usize, &Event)> = HashMap::new();
        let all: HashMap<&str, usize> = self
            .events
            .iter()
            .map(|(n, e)| (e.id.as_str(), *n))
            .collect();
        for (n, e) in &self.events {
            if e.content_id() != e.id {
                out.push(Damage {
                    key: format!("edited:{}:{}", e.id, e.content_id()),
                    problem: Problem::at(
                        rel,
                        *n,
                        format!(
                            "event {} was edited: its content no longer matches its hash; {fix}",
                            e.id
                        ),
                    ),
                });
            }
            if let Some((first, earlier)) = seen.get(e.id.as_str()) {
                if *earlier != e {
                    out.push(Damage {
                        key: format!("twice:{}:{}", e.id, e.content_id()),
                        problem: Problem::at(
                            rel,
                            *n,
                            format!(
                                "event {} repeats line {first} with other content; {fix}",
                                e.id
                            ),
                        ),
                    });
                }
                continue;
            }
            for p in &e.parents {
                match (seen.get(p.as_str()), all.get(p.as_str())) {
                    (Some(_), _) => {}
                    (None, Some(later)) => out.push(Damage {
                        key: format!("order:{}:{p}", e.id),
                        problem: Problem::at(
                            rel,
                            *n,
                            format!("event {} comes before its parent {p} (line {later}): events were reordered; {fix}", e.id),
                        ),
                    }),
                    (None, None) => out.push(Damage {
                        key: format!("missing:{p}"),
                        problem: Problem::at(
                            rel,
                            *n,
                            format!("event {} follows {p}, which is not in the ledger: an event was deleted; {fix}", e.id),
                        ),
                    }),
                }
            }
            seen.insert(e.id.as_str(), (*n, e));
        }
        out
    }

    /// The latest consent `contributor` gave at the source for their words in `source`
    /// (a `consent.source` event whose hash holds), unless damage was acknowledged after
    /// it: like any approval, consent recorded before then cannot be vouched for.
    pub fn consent_at_source(&self, contributor: &str, source: &str) -> Option<&Event> {
        self.source_consents()
            .remove(&(contributor.to_string(), source.to_string()))
    }

    /// [`Ledger::consent_at_source`] for everyone at once, by `(contributor, source)`.
    pub fn source_consents(&self) -> HashMap<(String, String), &Event> {
        let mut latest = HashMap::new();
        for (_, e) in &self.events {
            if !matches!(e.action, Action::LedgerAcknowledge | Action::ConsentSource)
                || e.content_id() != e.id
            {
                continue;
            }
            if e.action == Action::LedgerAcknowledge {
                latest.clear();
            } else if let Some(source) = e.detail("source") {
                latest.insert((e.target.clone(), source), e);
            }
        }
        latest
    }

    /// The keys of damage acknowledged by `ledger.acknowledge` events whose own hashes hold.
    pub fn acknowledged(&self) -> HashSet<String> {
        self.events
            .iter()
            .filter(|(_, e)| e.action == Action::LedgerAcknowledge && e.content_id() == e.id)
            .flat_map(|(_, e)| {
                let damage = match e.details.get("damage") {
                    Some(Value::Array(keys)) => keys,
                    _ => Vec::new(),
                };
                damage
                    .into_iter()
                    .filter_map(|v| v.as_str().map(String::from))
            })
            .collect()
    }
}

/// The details of the approval that consent given at the source makes, when it was a yes:
/// its scope, and where it came from (`"from": "survey"`, the file, row, column, answer and
/// the `consent.source` event).
pub fn approval_from_source(e: &Event) -> Option<Value> {
    if e.action != Action::ConsentSource || e.detail("said").as_deref() != Some("yes") {
        return None;
    }
    let scope = e.detail("scope")?;
    let d = e.details.value();
    Some(serde_json::json!({
        "scope": scope,
        "from": "survey",
        "file": d.get("file"),
        "row": d.get("row"),
        "column": d.get("column"),
        "answer": d.get("answer"),
        "consent_event": e.id,
    }))
}

/// Hold the library's write lock: quote files, the ledger and contributors.toml are only
/// changed by one process at a time.
pub fn write_lock(lib: &Library) -> anyhow::Result<File> {
    crate::fsutil::lock_file(&lib.state_dir(), "write.lock")
}

/// The current time as the ledger writes it.
pub fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Millisecond)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_string()
}

/// Append events to the ledger. The caller must hold [`write_lock`]. Returns them with
/// their ids.
pub fn append(
    lib: &Library,
    items: Vec<(String, Action, String, Value)>,
) -> anyhow::Result<Vec<Event>> {
    let path = path(lib);
    let mut bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    };
    if let Some(start) = unfinished_append(lib, &bytes) {
        // Our own write, cut short by a kill: take it back before writing again.
        let f = File::options()
            .write(true)
            .open(&path)
            .with_context(|| format!("failed to open `{}`", path.display()))?;
        f.set_len(start as u64)
            .and_then(|()| f.sync_all())
            .with_context(|| {
                format!(
                    "failed to take back an unfinished append to `{}`",
                    path.display()
                )
            })?;
        bytes.truncate(start);
    } else {
        // A finished append whose note was left behind by a kill: it is stale.
        let _ = std::fs::remove_file(pending_path(lib));
    }
    let ledger = parse(&bytes, &lib.rel(&path));
    let mut text = String::new();
    if ledger.unterminated {
        // End the last line first: gluing the new event to it would make both unreadable.
        // A half-written line is kept (and stays reported as damage): nothing is dropped.
        text.push('\n');
    }
    let mut heads = ledger.heads();
    heads.sort();
    let time = now();
    let mut events = Vec::new();
    for (actor, action, target, details) in items {
        let mut e = Event {
            id: String::new(),
            parents: std::mem::take(&mut heads),
            time: time.clone(),
            actor,
            action,
            target,
            details: details.into(),
        };
        e.id = e.content_id();
        heads = vec![e.id.clone()];
        text.push_str(&serde_json::to_string(&e)?);
        text.push('\n');
        events.push(e);
    }
    // Say what is about to be written first, so that a write cut short can be told from
    // damage (see `unfinished_append`).
    let mut pending = format!("{}\n", bytes.len()).into_bytes();
    pending.extend_from_slice(text.as_bytes());
    crate::fsutil::write_atomic(&pending_path(lib), &pending)?;
    write_line(&path, text.as_bytes())?;
    let _ = std::fs::remove_file(pending_path(lib));
    record_heads(lib, &heads);
    Ok(events)
}

fn write_line(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut f = File::options()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("failed to open `{}`", path.display()))?;
    // One write of whole lines. A kill can still cut a write that crosses a page short;
    // `unfinished_append` recognises that.
    f.write_all(bytes)
        .and_then(|()| f.sync_data())
        .with_context(|| format!("failed to append to `{}`", path.display()))
}

fn heads_path(lib: &Library) -> PathBuf {
    lib.state_dir().join("ledger-heads")
}

/// Remember the heads this machine last wrote, so that `verify` notices if the newest
/// events are later deleted (which no hash chain can show by itself).
fn record_heads(lib: &Library, heads: &[String]) {
    let _ = crate::fsutil::write_atomic(&heads_path(lib), heads.join("\n").as_bytes());
}

/// Heads recorded by [`record_heads`] that are no longer in the ledger.
pub fn missing_recorded_heads(lib: &Library, ledger: &Ledger) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(heads_path(lib)) else {
        return Vec::new();
    };
    let ids: HashSet<&str> = ledger.events.iter().map(|(_, e)| e.id.as_str()).collect();
    text.lines()
        .map(str::trim)
        .filter(|h| !h.is_empty() && !ids.contains(h))
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(parents: Vec<String>, target: &str) -> Event {
        let mut e = Event {
            id: String::new(),
            parents,
            time: "2026-01-01T00:00:00Z".into(),
            actor: "c-a".into(),
            action: Action::QuoteApprove,
            target: target.into(),
            details: serde_json::json!({"scope": "external"}).into(),
        };
        e.id = e.content_id();
        e
    }

    fn ledger(events: &[Event]) -> Ledger {
        let text: String = events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap() + "\n")
            .collect();
        parse(text.as_bytes(), "ledger.jsonl")
    }

    #[test]
    fn particulars_are_kept_as_their_canonical_text_and_hash_as_written() {
        // Written by hand or another tool: spaces, and keys out of order.
        let body = r#"{"parents":[],"time":"2026-01-01T00:00:00Z","actor":"c-a","action":"quote.approve","target":"q-1","details":{ "scope" : "external", "note": "ok \u00e9", "expires":null }}"#;
        let canonical = r#"{"expires":null,"note":"ok é","scope":"external"}"#;
        let mut e: Event = serde_json::from_str(&format!(r#"{{"id":"",{}"#, &body[1..])).unwrap();
        assert_eq!(e.details.json(), canonical);
        // The id hashes the canonical form, as it always has: the hash of the line's
        // content with its particulars written compactly, keys in order.
        let hashed = format!(
            r#"{{"parents":[],"time":"2026-01-01T00:00:00Z","actor":"c-a","action":"quote.approve","target":"q-1","details":{canonical}}}"#
        );
        let expected = format!("e-{}", &blake3::hash(hashed.as_bytes()).to_hex()[..32]);
        assert_eq!(e.content_id(), expected);
        e.id = expected;
        let line = serde_json::to_string(&e).unwrap();
        assert!(
            line.ends_with(&format!(r#""details":{canonical}}}"#)),
            "{line}"
        );
        // Read back: the same event, its particulars readable.
        let again = &ledger(&[e.clone()]).events[0].1;
        assert_eq!(again, &e);
        assert_eq!(again.detail("scope").as_deref(), Some("external"));
        assert_eq!(again.detail("note").as_deref(), Some("ok é"));
        assert_eq!(again.detail("expires"), None);
        assert_eq!(again.details.get("expires"), Some(Value::Null));
        assert!(ledger(&[e]).damage("l").is_empty());
    }

    #[test]
    fn a_merged_history_verifies_and_tampering_does_not() {
        let a = event(vec![], "q-1");
        let b = event(vec![a.id.clone()], "q-2");
        let c = event(vec![a.id.clone()], "q-3"); // written on another clone
        let d = event(vec![b.id.clone(), c.id.clone()], "q-4");
        assert!(
            ledger(&[a.clone(), b.clone(), c.clone(), d.clone()])
                .damage("l")
                .is_empty()
        );
        assert!(
            ledger(&[a.clone(), c.clone(), b.clone(), d.clone()])
                .damage("l")
                .is_empty()
        );
        // Deleted: d names b, which is gone.
        assert_eq!(
            ledger(&[a.clone(), c.clone(), d.clone()]).damage("l").len(),
            1
        );
        // Reordered: b before its parent a.
        assert_eq!(ledger(&[b.clone(), a.clone()]).damage("l").len(), 1);
        // Edited.
        let mut b2 = b.clone();
        b2.details = serde_json::json!({"scope": "publication"}).into();
        assert_eq!(ledger(&[a.clone(), b2]).damage("l").len(), 1);
    }

    fn given(parent: &Event, said: &str, scope: Option<&str>) -> Event {
        let mut e = Event {
            id: String::new(),
            parents: vec![parent.id.clone()],
            time: "2026-01-02T00:00:00Z".into(),
            actor: "officer".into(),
            action: Action::ConsentSource,
            target: "r-0001".into(),
            details: serde_json::json!({"source": "s/r-0001", "file": "s.csv", "row": 2,
                "column": "May we quote you?", "answer": said, "said": said, "scope": scope})
            .into(),
        };
        e.id = e.content_id();
        e
    }

    #[test]
    fn the_latest_consent_at_the_source_counts_and_not_across_an_acknowledgement() {
        let a = event(vec![], "q-1");
        let yes = given(&a, "yes", Some("external"));
        let l = ledger(&[a.clone(), yes.clone()]);
        let e = l.consent_at_source("r-0001", "s/r-0001").unwrap();
        let approval = approval_from_source(e).unwrap();
        assert_eq!(approval["from"], "survey");
        assert_eq!(approval["scope"], "external");
        assert_eq!(approval["row"], 2);
        assert!(l.consent_at_source("r-0001", "other").is_none());
        assert!(l.consent_at_source("r-0002", "s/r-0001").is_none());
        // A later "no" replaces the yes: it approves nothing.
        let no = given(&yes, "no", None);
        let l = ledger(&[a.clone(), yes.clone(), no.clone()]);
        assert!(approval_from_source(l.consent_at_source("r-0001", "s/r-0001").unwrap()).is_none());
        // Consent recorded before damage was acknowledged cannot be vouched for.
        let mut ack = event(vec![yes.id.clone()], "ledger");
        ack.action = Action::LedgerAcknowledge;
        ack.id = ack.content_id();
        let l = ledger(&[a.clone(), yes.clone(), ack]);
        assert!(l.consent_at_source("r-0001", "s/r-0001").is_none());
        // An edited consent counts for nothing.
        let mut forged = given(&a, "no", None);
        let mut edited = forged.details.value();
        edited["said"] = "yes".into();
        edited["scope"] = "publication".into();
        forged.details = edited.into();
        let l = ledger(&[a, forged]);
        assert!(l.consent_at_source("r-0001", "s/r-0001").is_none());
    }

    #[test]
    fn a_torn_last_line_is_damage_not_silence() {
        let a = event(vec![], "q-1");
        let text = serde_json::to_string(&a).unwrap() + "\n{\"id\":\"e-";
        let l = parse(text.as_bytes(), "l");
        assert!(l.unterminated);
        assert_eq!(l.events.len(), 1);
        assert_eq!(l.bad_lines.len(), 1);
        assert_eq!(l.damage("l").len(), 1);
    }

    #[test]
    fn glued_events_are_read_and_a_repeated_event_is_not_damage() {
        let a = event(vec![], "q-1");
        let b = event(vec![a.id.clone()], "q-2");
        let line = serde_json::to_string(&a).unwrap() + &serde_json::to_string(&b).unwrap();
        let l = parse(line.as_bytes(), "l");
        assert_eq!(l.events.len(), 2);
        assert!(l.damage("l").is_empty());
        let twice = ledger(&[a.clone(), b.clone(), b.clone()]);
        assert!(twice.damage("l").is_empty());
        assert_eq!(twice.heads(), vec![b.id.clone()]);
    }
}
