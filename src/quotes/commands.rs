//! Commands that write ledger events: make a quote, name its speaker, tag it, record a
//! consent decision, acknowledge damage to the ledger. Each takes the write lock, appends
//! its events and rewrites the quote files they touch.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::verify::heal_quote_files;
use super::{
    Quote, QuoteBook, Scope, Sources, Status, anchor, quotes_dir, today, write_quote_file,
};
use crate::Library;
use crate::corpus::{self, Source, tag_slug};
use crate::ledger::{self, Action};

/// Who is acting, for commands that do not ask: `HEARD_USER`, else the login name.
pub fn default_actor() -> String {
    std::env::var("HEARD_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into())
}

/// A request to make a quote.
#[derive(Debug, Clone)]
pub struct NewQuote {
    /// Source id.
    pub source: String,
    /// The words, as typed.
    pub exact: String,
    /// Themes.
    pub tags: Vec<String>,
    /// Speaker's contributor id.
    pub speaker: Option<String>,
    /// Which occurrence, by a line it is on, when the words occur more than once.
    pub line: Option<usize>,
    /// Who is making it.
    pub actor: String,
}

/// What adding a quote did.
#[derive(Debug)]
pub struct Added {
    /// The new quote's id.
    pub id: String,
    /// Lines in the source.
    pub lines: (usize, usize),
    /// Path of the source.
    pub path: String,
    /// The speaker, and whether they were new to contributors.toml.
    pub speaker: Option<(String, bool)>,
    /// Things the person should know (an unknown tag, a speaker not listed in the source).
    pub warnings: Vec<String>,
}

/// An input error: the user's to fix (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

fn input(msg: impl Into<String>) -> anyhow::Error {
    InputError(msg.into()).into()
}

/// Take the write lock and read the book, first recording any approval that has passed its
/// expiry date as a `quote.expire` event, so the ledger shows when consent lapsed.
pub fn lock_and_load(lib: &Library) -> anyhow::Result<(std::fs::File, QuoteBook)> {
    let lock = ledger::write_lock(lib)?;
    // Temporary files of writers that were killed mid-write: their targets were never
    // replaced, so they are only litter.
    for dir in [lib.corpus_dir(), quotes_dir(lib), lib.state_dir()] {
        crate::fsutil::remove_stale_temporaries(&dir);
    }
    let book = QuoteBook::load(lib)?;
    heal_quote_files(lib, &book, false)?;
    let today = today();
    let lapsed: Vec<(&Quote, String)> = book
        .quotes
        .values()
        .filter(|q| q.status == Status::Approved && q.status_on(&today) == Status::Expired)
        .map(|q| (q, q.expires.clone().unwrap_or_default()))
        .collect();
    if lapsed.is_empty() {
        return Ok((lock, book));
    }
    let sources: BTreeSet<String> = lapsed.iter().map(|(q, _)| q.source.clone()).collect();
    let events = lapsed
        .into_iter()
        .map(|(q, date)| {
            (
                "heard".to_string(),
                Action::QuoteExpire,
                q.id.clone(),
                json!({ "expired": date }),
            )
        })
        .collect();
    let book = record(lib, events, &sources)?;
    Ok((lock, book))
}

/// Append events to the ledger (the caller holds the write lock), then rewrite the quote
/// files of `sources` from the state that follows, which is returned.
fn record<'a>(
    lib: &Library,
    events: Vec<(String, Action, String, Value)>,
    sources: impl IntoIterator<Item = &'a String>,
) -> anyhow::Result<QuoteBook> {
    ledger::append(lib, events)?;
    let book = QuoteBook::load(lib)?;
    for s in sources {
        write_quote_file(lib, &book, s)?;
    }
    Ok(book)
}

/// Make a quote. The index must be fresh (so source ids resolve).
pub fn add(lib: &Library, req: NewQuote) -> anyhow::Result<Added> {
    let mut sources = Sources::new(lib)?;
    if sources.path_of(&req.source).is_none() {
        let mut near: Vec<&String> = sources
            .ids()
            .filter(|id| id.contains(&req.source) || req.source.contains(id.as_str()))
            .collect();
        near.sort();
        near.truncate(5);
        let hint = if near.is_empty() {
            "`heard search --type source` lists sources and their ids".to_string()
        } else {
            format!(
                "did you mean {}?",
                near.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(input(format!("no source with id `{}`; {hint}", req.source)));
    }
    let source = sources.get(&req.source).cloned().ok_or_else(|| {
        input(format!(
            "source `{}` cannot be read; run `heard index` to see why",
            req.source
        ))
    })?;
    if anchor::normalize_typed(&req.exact).chars().count() < 3 {
        return Err(input(
            "the quote is too short; give the words to quote with --exact",
        ));
    }
    let found = anchor::find_exact(&source.text, &req.exact);
    let line_of = |r: &(usize, usize)| {
        (
            source.line_at(r.0),
            source.line_at(r.1.saturating_sub(1).max(r.0)),
        )
    };
    let lines_of_all = || {
        found
            .iter()
            .map(|r| line_of(r).0.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let range = match (found.len(), req.line) {
        (0, _) => {
            let hint = match anchor::closest(&source.text, &req.exact) {
                Some(((s, e), sim)) if sim >= 0.5 => format!(
                    "; the closest words are on line {} ({:.0}% alike): \"{}\"",
                    source.line_at(s),
                    sim * 100.0,
                    &source.text[s..e]
                ),
                _ => String::new(),
            };
            return Err(input(format!(
                "those words are not in `{}` ({}){hint}. Copy them exactly from the source",
                source.path, source.id
            )));
        }
        (1, _) => found[0],
        (n, Some(line)) => match found.iter().find(|r| {
            let (a, b) = line_of(r);
            a <= line && line <= b
        }) {
            Some(r) => *r,
            None => {
                return Err(input(format!(
                    "those words occur {n} times in `{}` but none on line {line}; they are on lines {}",
                    source.path,
                    lines_of_all()
                )));
            }
        },
        (n, None) => {
            return Err(input(format!(
                "those words occur {n} times in `{}` (lines {}); add a few words before or after so they are unique, or pick one with --line",
                source.path,
                lines_of_all()
            )));
        }
    };
    let anchor = anchor::anchor_at(&source.text, range.0, range.1);
    check_speaker_named_by(lib, &req, &source)?;
    let speaker = req
        .speaker
        .clone()
        .or_else(|| match source.meta.contributors.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        });
    let taxonomy = crate::taxonomy::load(lib)?;
    let tags: Vec<String> = req.tags.iter().map(|t| taxonomy.canonical(t)).collect();
    let mut warnings = Vec::new();
    if !taxonomy.themes.is_empty() {
        for t in tags.iter().filter(|t| taxonomy.theme_of(t).is_none()) {
            warnings.push(format!(
                "tag `{t}` is not in corpus/taxonomy.toml; `heard tags` lists tags to tidy"
            ));
        }
    }
    if let Some(s) = &speaker {
        if !source.meta.contributors.is_empty() && !source.meta.contributors.contains(s) {
            warnings.push(format!(
                "{s} is not among the contributors of `{}` ({}); check that these are their words",
                source.id,
                source.meta.contributors.join(", ")
            ));
        }
    }
    if source.sensitivity == crate::corpus::Sensitivity::Restricted {
        warnings.push(format!(
            "`{}` is restricted: this quote will never be used in a draft or an export, whatever consent it gets",
            source.id
        ));
    }

    let (_lock, book) = lock_and_load(lib)?;
    if let Some(q) = book
        .of_source(&source.id)
        .find(|q| (q.anchor.start, q.anchor.end) == range && q.anchor.exact == anchor.exact)
    {
        return Err(input(format!("those words are already quote {} ", q.id)));
    }
    let mut new_speaker = false;
    if let Some(s) = &speaker {
        let people = crate::contributors::load(lib)?;
        if people.get(s).is_none() {
            crate::contributors::add_anonymous(lib, s)?;
            new_speaker = true;
        }
    }
    let mut n = 0u32;
    let id = loop {
        let h = blake3::hash(
            format!(
                "{}\0{}\0{}\0{}\0{n}",
                source.id,
                range.0,
                anchor.exact,
                ledger::now()
            )
            .as_bytes(),
        )
        .to_hex();
        let id = format!("q-{}", &h[..8]);
        if !book.quotes.contains_key(&id) {
            break id;
        }
        n += 1;
    };
    let details = json!({
        "source": source.id,
        "path": source.path,
        "exact": anchor.exact,
        "prefix": anchor.prefix,
        "suffix": anchor.suffix,
        "start": anchor.start,
        "end": anchor.end,
        "speaker": speaker,
        "tags": tags,
        "source_hash": blake3::hash(source.text.as_bytes()).to_hex().to_string(),
    });
    let mut events = vec![(req.actor.clone(), Action::QuoteCreate, id.clone(), details)];
    // Words of someone who said yes where they gave them (a survey's consent column) are
    // approved by that yes at once, in the same write; the history says where it came from.
    if let Some(s) = &speaker {
        if let Some(approval) = book
            .ledger
            .consent_at_source(s, &source.id)
            .and_then(ledger::approval_from_source)
        {
            events.push((s.clone(), Action::QuoteApprove, id.clone(), approval));
        }
    }
    record(lib, events, [&source.id])?;
    Ok(Added {
        lines: line_of(&range),
        path: source.path.clone(),
        speaker: speaker.map(|s| (s, new_speaker)),
        warnings,
        id,
    })
}

/// Who the speaker is, is not a contributor's to say: a contributor proposing words may
/// name no speaker (the source's only contributor is the speaker; in notes with several
/// contributors an officer names one with [`set_speaker`]), except themselves in a source
/// that is theirs alone.
fn check_speaker_named_by(lib: &Library, req: &NewQuote, source: &Source) -> anyhow::Result<()> {
    let Some(speaker) = &req.speaker else {
        return Ok(());
    };
    let own_source = *speaker == req.actor && source.meta.contributors == [speaker.clone()];
    if own_source || crate::contributors::load(lib)?.get(&req.actor).is_none() {
        return Ok(());
    }
    Err(input(format!(
        "{} is a contributor, and contributors do not say whose words a quote holds: leave out --speaker, and an officer names the speaker with `heard quote speaker ID --set C`",
        req.actor
    )))
}

/// Name whose words a quote holds, as an officer: records `quote.speaker` and returns the
/// previous speaker. The index must be fresh (so the source resolves). Refused for a
/// contributor, for someone who is not among the source's contributors, and for an approved
/// quote (its yes was the previous speaker's and cannot pass to someone else).
pub fn set_speaker(
    lib: &Library,
    id: &str,
    speaker: &str,
    actor: &str,
) -> anyhow::Result<Option<String>> {
    let people = crate::contributors::load(lib)?;
    if people.get(actor).is_some() {
        return Err(input(format!(
            "{actor} is a contributor; only an officer names whose words a quote holds"
        )));
    }
    let (_lock, book) = lock_and_load(lib)?;
    let q = book.get(id).map_err(|e| input(e.to_string()))?;
    let mut sources = Sources::new(lib)?;
    let listed = sources
        .get(&q.source)
        .map(|s| s.meta.contributors.clone())
        .unwrap_or_default();
    if !listed.is_empty() && !listed.iter().any(|c| c == speaker) {
        return Err(input(format!(
            "{speaker} is not among the contributors of `{}` ({}); name one of them, or add them to its `contributors:` first",
            q.source,
            listed.join(", ")
        )));
    }
    if people.get(speaker).is_none() {
        return Err(input(format!(
            "{speaker} is not in corpus/contributors.toml; add them there first"
        )));
    }
    if q.speaker.as_deref() == Some(speaker) {
        return Err(input(format!("quote {id} is already {speaker}'s words")));
    }
    if q.tampered {
        return Err(input(format!(
            "the ledger's record of quote {id} was edited, so its consent is unknown; `heard verify` shows where"
        )));
    }
    if q.status == Status::Approved {
        let was = q.speaker.as_deref().unwrap_or("its speaker");
        return Err(input(format!(
            "quote {id} is approved by {was}, and a yes is only ever its speaker's: it cannot pass to someone else. If these are not {was}'s words, record a withdrawal first (`heard quote withdraw {id} --by YOU --on-behalf-of {was} --note ...`), then name the speaker"
        )));
    }
    let previous = q.speaker.clone();
    let source = q.source.clone();
    record(
        lib,
        vec![(
            actor.to_string(),
            Action::QuoteSpeaker,
            id.to_string(),
            json!({"speaker": speaker, "previous": previous}),
        )],
        [&source],
    )?;
    Ok(previous)
}

/// Add and remove tags of a quote. Returns the quote's tags after.
pub fn tag(
    lib: &Library,
    id: &str,
    add: &[String],
    remove: &[String],
    actor: &str,
) -> anyhow::Result<Vec<String>> {
    let taxonomy = crate::taxonomy::load(lib)?;
    let add: Vec<String> = add.iter().map(|t| taxonomy.canonical(t)).collect();
    let remove: Vec<String> = remove.iter().map(|t| tag_slug(t)).collect();
    if add.is_empty() && remove.is_empty() {
        return Err(input("nothing to do: give --add TAG or --remove TAG"));
    }
    let (_lock, book) = lock_and_load(lib)?;
    let q = book.get(id).map_err(|e| input(e.to_string()))?;
    let source = q.source.clone();
    let book = record(
        lib,
        vec![(
            actor.to_string(),
            Action::QuoteTag,
            id.to_string(),
            json!({"add": add, "remove": remove}),
        )],
        [&source],
    )?;
    Ok(book.get(id)?.tags.iter().cloned().collect())
}

/// A consent decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Agree, for a scope.
    Approve,
    /// Do not agree.
    Decline,
    /// Take back an agreement.
    Withdraw,
}

/// A consent decision to record.
#[derive(Debug, Clone)]
pub struct Consent {
    /// The quote.
    pub id: String,
    /// What was decided.
    pub decision: Decision,
    /// Who is recording it.
    pub by: String,
    /// The speaker, when someone records it for them.
    pub on_behalf_of: Option<String>,
    /// Scope of an approval (default: internal).
    pub scope: Option<Scope>,
    /// Last day of an approval.
    pub expires: Option<String>,
    /// A note.
    pub note: Option<String>,
}

/// Record a consent decision. Only the speaker decides, or someone on their behalf.
pub fn decide(lib: &Library, c: Consent) -> anyhow::Result<Quote> {
    let (_lock, book) = lock_and_load(lib)?;
    let q = book.get(&c.id).map_err(|e| input(e.to_string()))?;
    let decider = c.on_behalf_of.as_deref().unwrap_or(&c.by);
    if c.decision != Decision::Approve && (c.scope.is_some() || c.expires.is_some()) {
        return Err(input("--scope and --expires only go with approve"));
    }
    if let Some(behalf) = &c.on_behalf_of {
        // A contributor decides about their own words only; an officer may record for them.
        let people = crate::contributors::load(lib)?;
        if c.by != *behalf && people.get(&c.by).is_some() {
            return Err(input(format!(
                "{} is a contributor, and contributors decide only about their own words; an officer records decisions on someone's behalf",
                c.by
            )));
        }
    }
    match &q.speaker {
        Some(s) if s == decider => {}
        Some(s) => {
            return Err(input(format!(
                "quote {} is {s}'s words: only {s} can decide, or someone recording it for them with `--on-behalf-of {s}`",
                q.id
            )));
        }
        None => {
            return Err(input(format!(
                "quote {} has no speaker, so nobody can consent to it; an officer names one first (heard quote speaker {} --set C)",
                q.id, q.id
            )));
        }
    }
    let status = q.status();
    let action = match c.decision {
        Decision::Approve => Action::QuoteApprove,
        Decision::Decline => {
            if status == Status::Declined {
                return Err(input(format!("quote {} is already declined", q.id)));
            }
            if matches!(status, Status::Approved) {
                return Err(input(format!(
                    "quote {} is approved; to take consent back use `heard quote withdraw`",
                    q.id
                )));
            }
            Action::QuoteDecline
        }
        Decision::Withdraw => {
            // A withdrawal is never refused while the quote might be approved: with a
            // damaged ledger (status unknown) it is recorded all the same.
            if !matches!(status, Status::Approved | Status::Expired | Status::Unknown)
                && !matches!(q.status, Status::Approved | Status::Expired)
            {
                return Err(input(format!(
                    "quote {} is {}, not approved, so there is nothing to withdraw; use `heard quote decline` to record a no",
                    q.id,
                    status.as_str()
                )));
            }
            Action::QuoteWithdraw
        }
    };
    if let Some(exp) = &c.expires {
        if c.decision != Decision::Approve {
            return Err(input("--expires only goes with approve"));
        }
        if corpus::PartialDate::parse(exp).is_none_or(|d| d.day.is_none()) {
            return Err(input(format!(
                "--expires `{exp}` is not a date; write YYYY-MM-DD"
            )));
        }
        if exp.as_str() < today().as_str() {
            return Err(input(format!("--expires {exp} is in the past")));
        }
    }
    let mut details = serde_json::Map::new();
    if c.decision == Decision::Approve {
        details.insert(
            "scope".into(),
            json!(c.scope.unwrap_or(Scope::Internal).as_str()),
        );
        if let Some(e) = &c.expires {
            details.insert("expires".into(), json!(e));
        }
    }
    if let Some(n) = &c.note {
        details.insert("note".into(), json!(n));
    }
    if let Some(s) = &c.on_behalf_of {
        details.insert("on_behalf_of".into(), json!(s));
    }
    let source = q.source.clone();
    let book = record(
        lib,
        vec![(c.by.clone(), action, c.id.clone(), Value::Object(details))],
        [&source],
    )?;
    Ok(book.get(&c.id)?.clone())
}

/// Record that an officer has checked the ledger's damage: every piece `verify` reports
/// now is named in a `ledger.acknowledge` event, after which it no longer stops drafting,
/// and every approval given before it must be asked for again. Returns how many pieces.
pub fn acknowledge(lib: &Library, by: &str, note: Option<&str>) -> anyhow::Result<usize> {
    let (_lock, book) = lock_and_load(lib)?;
    if book.damage.is_empty() {
        return Err(input(
            "the ledger has no damage to acknowledge: `heard verify` finds it intact",
        ));
    }
    if crate::contributors::load(lib)?.get(by).is_some() {
        return Err(input(format!(
            "{by} is a contributor; only an officer acknowledges damage to the ledger"
        )));
    }
    let keys: Vec<&str> = book.damage.iter().map(|d| d.key.as_str()).collect();
    let mut details = serde_json::Map::new();
    details.insert("damage".into(), json!(keys));
    if let Some(n) = note {
        details.insert("note".into(), json!(n));
    }
    let n = keys.len();
    // The event names no quote, so every quote file is written again.
    let sources: BTreeSet<String> = book.quotes.values().map(|q| q.source.clone()).collect();
    record(
        lib,
        vec![(
            by.to_string(),
            Action::LedgerAcknowledge,
            "ledger".into(),
            Value::Object(details),
        )],
        &sources,
    )?;
    Ok(n)
}

/// Responses whose drafts use a quote: `(response folder, file)` pairs.
pub fn responses_using(lib: &Library, id: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(dirs) = std::fs::read_dir(lib.responses_dir()) else {
        return found;
    };
    for d in dirs.filter_map(Result::ok) {
        for name in ["response.md", "provenance.json"] {
            let p = d.path().join(name);
            if std::fs::read_to_string(&p).is_ok_and(|t| t.contains(id)) {
                found.push(lib.rel(&p));
            }
        }
    }
    found.sort();
    found
}
