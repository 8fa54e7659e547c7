//! Quotes: excerpts of a source, anchored in its text, with tags, a speaker and consent.
//!
//! The ledger is the truth: a quote's state is the fold of its events ([`QuoteBook::load`]).
//! `corpus/quotes/<source>.toml` files are written from that state after every change, so
//! people can read and review quotes in git; a status edited there by hand is reported by
//! `heard verify` and never trusted.

pub mod anchor;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use anyhow::{Context, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use anchor::{Anchor, AnchorState, Resolved};

use crate::corpus::{self, LoadOptions, Source, tag_slug};
use crate::ledger::{self, Action, Event, Ledger};
use crate::{Library, Problem};

/// Where a quote may be used, narrowest first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Inside our organisation only.
    Internal,
    /// In responses sent outside (consultations, calls for evidence).
    External,
    /// In anything we publish.
    Publication,
}

impl Scope {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Internal => "internal",
            Scope::External => "external",
            Scope::Publication => "publication",
        }
    }

    /// What the scope means, in plain words.
    pub fn meaning(self) -> &'static str {
        match self {
            Scope::Internal => "only inside the organisation",
            Scope::External => "in responses the organisation sends to government and other bodies",
            Scope::Publication => "in anything the organisation publishes, as well as in responses",
        }
    }
}

/// Where a quote stands with its speaker's consent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not yet asked, or not yet answered.
    Pending,
    /// Agreed, for a scope, maybe until a date.
    Approved,
    /// Not agreed.
    Declined,
    /// Agreed once, then taken back.
    Withdrawn,
    /// Agreed until a date that has passed.
    Expired,
    /// Its record in the ledger was edited, so nobody can say: never used until the ledger
    /// is put right (`heard verify` shows where).
    Unknown,
}

impl Status {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Declined => "declined",
            Status::Withdrawn => "withdrawn",
            Status::Expired => "expired",
            Status::Unknown => "unknown",
        }
    }
}

/// One line of a quote's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryItem {
    /// When.
    pub time: String,
    /// Who.
    pub actor: String,
    /// What, e.g. `quote.approve`.
    pub action: String,
    /// Particulars.
    pub details: Value,
    /// The ledger event.
    pub event: String,
}

/// A quote as the ledger says it is.
#[derive(Debug, Clone)]
pub struct Quote {
    /// `q-` and 8 hex digits.
    pub id: String,
    /// Id of the source.
    pub source: String,
    /// Path of the source when the quote was made.
    pub path: String,
    /// Where it was anchored.
    pub anchor: Anchor,
    /// Contributor id of the person whose words these are.
    pub speaker: Option<String>,
    /// Themes.
    pub tags: BTreeSet<String>,
    /// Consent as last recorded (see [`Quote::status_on`] for expiry).
    pub status: Status,
    /// Scope of the approval.
    pub scope: Option<Scope>,
    /// Last day of the approval, `YYYY-MM-DD`.
    pub expires: Option<String>,
    /// When consent was last given.
    pub consented: Option<String>,
    /// When the quote was made.
    pub created: String,
    /// Every event about it, oldest first.
    pub history: Vec<HistoryItem>,
    /// The ledger is damaged (see [`QuoteBook::damage`]): nobody can vouch for this
    /// quote's consent, so it is not used until the ledger is put right.
    pub tampered: bool,
    /// Consent was given before damage to the ledger was acknowledged, so it must be
    /// asked for again.
    pub reconsent: bool,
}

impl Quote {
    /// The status on a day (`YYYY-MM-DD`): an approval past its expiry date is expired.
    pub fn status_on(&self, today: &str) -> Status {
        if self.tampered {
            return Status::Unknown;
        }
        match (&self.status, &self.expires) {
            (Status::Approved, Some(exp)) if exp.as_str() < today => Status::Expired,
            (s, _) => *s,
        }
    }

    /// The status today.
    pub fn status(&self) -> Status {
        self.status_on(&today())
    }

    /// Whether the quote may be used in something of `scope` today, anchor aside.
    pub fn consented_for(&self, scope: Scope) -> bool {
        self.status() == Status::Approved && self.scope.is_some_and(|s| s >= scope)
    }
}

/// Today's date, `YYYY-MM-DD`, in UTC.
pub fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

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

/// Every quote and recommendation outcome, folded from the ledger.
#[derive(Debug, Default)]
pub struct QuoteBook {
    /// Quotes by id.
    pub quotes: BTreeMap<String, Quote>,
    /// Latest outcome of each recommendation, by id.
    pub outcomes: BTreeMap<String, Outcome>,
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
                        q.history.push(HistoryItem {
                            time: e.time.clone(),
                            actor: e.actor.clone(),
                            action: e.action.as_str().into(),
                            details: e.details.clone(),
                            event: e.id.clone(),
                        });
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
                book.outcomes.insert(
                    e.target.clone(),
                    Outcome {
                        outcome: e.detail("outcome").unwrap_or("unknown").to_string(),
                        recorded: e.time.clone(),
                        by: e.actor.clone(),
                        note: e.detail("note").map(String::from),
                        evidence: e.detail("evidence").map(String::from),
                    },
                );
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
            q.history.push(HistoryItem {
                time: e.time.clone(),
                actor: e.actor.clone(),
                action: e.action.as_str().into(),
                details: e.details.clone(),
                event: e.id.clone(),
            });
            match e.action {
                Action::QuoteTag => {
                    for t in strings(&e.details, "add") {
                        q.tags.insert(t);
                    }
                    for t in strings(&e.details, "remove") {
                        q.tags.remove(&t);
                    }
                }
                Action::QuoteApprove => {
                    q.status = Status::Approved;
                    q.reconsent = false;
                    q.scope = e
                        .detail("scope")
                        .and_then(|s| serde_json::from_value(json!(s)).ok());
                    q.expires = e.detail("expires").map(String::from);
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
                    q.speaker = e.detail("speaker").map(String::from);
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
    Some(Quote {
        id: e.target.clone(),
        source: e.detail("source")?.to_string(),
        path: e.detail("path").unwrap_or_default().to_string(),
        anchor: anchor_of(&e.details)?,
        speaker: e.detail("speaker").map(String::from),
        tags: strings(&e.details, "tags").into_iter().collect(),
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
    let ids: HashSet<&str> = book
        .ledger
        .events
        .iter()
        .map(|(_, e)| e.id.as_str())
        .collect();
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

/// A quote found in the current text of its source.
#[derive(Debug, Clone)]
pub struct Located {
    /// How it was found.
    pub state: AnchorState,
    /// The text at its place now (the stored words when orphaned).
    pub text: String,
    /// Lines in the Markdown file, when found.
    pub lines: Option<(usize, usize)>,
    /// Path of the source now.
    pub path: String,
}

/// Sources by id, loaded on demand, for anchoring quotes.
pub struct Sources<'a> {
    lib: &'a Library,
    paths: corpus::SourceMap,
    loaded: HashMap<String, Option<Source>>,
}

impl<'a> Sources<'a> {
    /// Sources as the last refresh found them (refresh the index first).
    pub fn new(lib: &'a Library) -> anyhow::Result<Sources<'a>> {
        Ok(Sources::with_map(lib, corpus::SourceMap::open(lib)?))
    }

    /// Sources at known paths, by id.
    pub fn with_paths(lib: &'a Library, paths: HashMap<String, String>) -> Sources<'a> {
        Sources::with_map(lib, paths.into())
    }

    fn with_map(lib: &'a Library, paths: corpus::SourceMap) -> Sources<'a> {
        Sources {
            lib,
            paths,
            loaded: HashMap::new(),
        }
    }

    /// Path of a source, if it exists.
    pub fn path_of(&self, id: &str) -> Option<String> {
        self.paths.get(id)
    }

    /// All source ids, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.paths.entries().iter().map(|(id, _)| id)
    }

    /// Load a source by id.
    pub fn get(&mut self, id: &str) -> Option<&Source> {
        if !self.loaded.contains_key(id) {
            let source = self.paths.get(id).and_then(|rel| {
                let abs = self.lib.root().join(&rel);
                let under = crate::fsutil::rel_path(&self.lib.corpus_dir(), &abs);
                let id_default = under.strip_suffix(".md").unwrap_or(&under).to_string();
                let opts = LoadOptions {
                    default_sensitivity: self.lib.config.default_sensitivity,
                    max_bytes: self.lib.config.max_source_bytes,
                };
                corpus::load_file(&abs, &rel, &id_default, opts).source
            });
            self.loaded.insert(id.to_string(), source);
        }
        self.loaded.get(id).and_then(Option::as_ref)
    }

    /// Find a quote in the current text of its source.
    pub fn locate(&mut self, q: &Quote) -> Located {
        let Some(source) = self.get(&q.source) else {
            return Located {
                state: AnchorState::Orphaned,
                text: q.anchor.exact.clone(),
                lines: None,
                path: q.path.clone(),
            };
        };
        let r = anchor::resolve(&q.anchor, &source.text);
        match r.range {
            Some((s, e)) => Located {
                state: r.state,
                text: source.text[s..e].to_string(),
                lines: Some((
                    source.line_at(s),
                    source.line_at(e.saturating_sub(1).max(s)),
                )),
                path: source.path.clone(),
            },
            None => Located {
                state: AnchorState::Orphaned,
                text: q.anchor.exact.clone(),
                lines: None,
                path: source.path.clone(),
            },
        }
    }
}

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

/// Everything `verify` finds wrong: damage to the ledger, and quote files changed by hand.
/// Quote files that are merely behind the ledger (a process killed between the two
/// writes), missing, or under an old name are rewritten silently: they are derived.
/// `repair` also rewrites files changed by hand.
pub fn verify(lib: &Library, repair: bool) -> anyhow::Result<Vec<Problem>> {
    let _lock = ledger::write_lock(lib)?;
    for dir in [lib.corpus_dir(), quotes_dir(lib), lib.state_dir()] {
        crate::fsutil::remove_stale_temporaries(&dir);
    }
    let book = QuoteBook::load(lib)?;
    let mut problems: Vec<Problem> = book.damage.iter().map(|d| d.problem.clone()).collect();
    problems.extend(heal_quote_files(lib, &book, repair)?);
    Ok(problems)
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

/// Bring the quote files in line with the ledger (the caller holds the write lock).
/// Returns the changes made by hand, which are only undone when `repair` is set.
fn heal_quote_files(lib: &Library, book: &QuoteBook, repair: bool) -> anyhow::Result<Vec<Problem>> {
    let ids: HashSet<&str> = book
        .ledger
        .events
        .iter()
        .map(|(_, e)| e.id.as_str())
        .collect();
    let lost = |r: &QuoteRecord| r.last_event.as_deref().is_some_and(|e| !ids.contains(e));
    let mut problems = Vec::new();
    let mut on_file: BTreeMap<String, (String, QuoteRecord)> = BTreeMap::new();
    let mut files: Vec<(PathBuf, bool)> = Vec::new(); // (path, holds evidence)
    for (rel, parsed) in read_quote_files(lib) {
        let abs = lib.root().join(&rel);
        match parsed {
            Err(p) => problems.push(p),
            Ok(file) => {
                let evidence = file.quotes.iter().any(&lost);
                for r in file.quotes {
                    on_file.insert(r.id.clone(), (rel.clone(), r));
                }
                files.push((abs, evidence));
            }
        }
    }
    let mut rewrite = BTreeSet::new();
    let mut edited_sources = BTreeSet::new();
    for q in book.quotes.values() {
        let expected = QuoteRecord::from(q);
        let right_rel = lib.rel(&quote_file_path(lib, &q.source));
        match on_file.remove(&q.id) {
            None => {
                rewrite.insert(q.source.clone());
            }
            Some((_, r)) if lost(&r) => {} // evidence of deleted events: reported as damage
            Some((rel, r)) if r == expected => {
                if rel != right_rel {
                    rewrite.insert(q.source.clone());
                }
            }
            Some((_, r))
                if r.last_event != expected.last_event
                    && r.last_event
                        .as_ref()
                        .is_none_or(|e| q.history.iter().any(|h| &h.event == e)) =>
            {
                // Behind the ledger: written before the latest events about the quote.
                rewrite.insert(q.source.clone());
            }
            Some((rel, r)) => {
                problems.push(Problem::file(
                    rel,
                    format!(
                        "quote {}: {}; a change made by hand is not trusted (use `heard quote ...`, or `heard verify --repair` to rewrite the file from the ledger)",
                        q.id,
                        differences(&r, &expected)
                    ),
                ));
                edited_sources.insert(q.source.clone());
            }
        }
    }
    for (id, (rel, r)) in &on_file {
        if !lost(r) {
            problems.push(Problem::file(
                rel,
                format!("quote {id} is not in the ledger: it was added by hand and is never used; add it with `heard quote add`"),
            ));
            if let Some(s) = toml_source_of(lib, rel) {
                edited_sources.insert(s);
            }
        }
    }
    if repair {
        rewrite.extend(edited_sources.iter().cloned());
    } else {
        rewrite.retain(|s| !edited_sources.contains(s));
    }
    for s in &rewrite {
        write_quote_file(lib, book, s)?;
    }
    // Files left under names no source uses now (an older naming, a renamed source).
    let wanted: HashSet<PathBuf> = book
        .quotes
        .values()
        .map(|q| quote_file_path(lib, &q.source))
        .collect();
    for (path, evidence) in files {
        let rel = lib.rel(&path);
        let touched = problems.iter().any(|p| p.path == rel);
        if !wanted.contains(&path) && !evidence && (!touched || repair) {
            let _ = std::fs::remove_file(&path);
        }
    }
    Ok(problems)
}

fn toml_source_of(lib: &Library, rel: &str) -> Option<String> {
    let text = std::fs::read_to_string(lib.root().join(rel)).ok()?;
    toml::from_str::<QuoteFile>(&text).ok().map(|f| f.source)
}

/// How a quote record on file differs from the ledger's, in words.
fn differences(r: &QuoteRecord, expected: &QuoteRecord) -> String {
    let mut diffs = Vec::new();
    if r.status != expected.status {
        diffs.push(format!(
            "status = \"{}\" but the ledger says \"{}\"",
            r.status.as_str(),
            expected.status.as_str()
        ));
    }
    if r.scope != expected.scope {
        diffs.push(format!(
            "scope = {} but the ledger says {}",
            shown(r.scope.map(Scope::as_str)),
            shown(expected.scope.map(Scope::as_str))
        ));
    }
    if r.expires != expected.expires {
        diffs.push(format!(
            "expires = {} but the ledger says {}",
            shown(r.expires.as_deref()),
            shown(expected.expires.as_deref())
        ));
    }
    if r.exact != expected.exact || r.start != expected.start || r.end != expected.end {
        diffs.push("its words or anchor differ from the ledger".into());
    }
    if r.tags != expected.tags {
        diffs.push(format!(
            "tags {:?} but the ledger says {:?}",
            r.tags, expected.tags
        ));
    }
    if r.speaker != expected.speaker {
        diffs.push(format!(
            "speaker = {} but the ledger says {}",
            shown(r.speaker.as_deref()),
            shown(expected.speaker.as_deref())
        ));
    }
    if diffs.is_empty() {
        diffs.push("it differs from the ledger".into());
    }
    diffs.join("; ")
}

fn shown(v: Option<&str>) -> String {
    v.map_or_else(|| "(none)".into(), |v| format!("\"{v}\""))
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

/// Check a date given on the command line is a full date.
pub fn check_day(s: &str) -> anyhow::Result<()> {
    if corpus::PartialDate::parse(s).is_none_or(|d| d.day.is_none()) {
        bail!("`{s}` is not a date; write YYYY-MM-DD");
    }
    Ok(())
}
