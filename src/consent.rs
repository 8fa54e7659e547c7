//! One answer to "may these words leave, in this scope, now?".
//!
//! Drafting picks evidence with it, `check` judges every quoted word of a response with it
//! (found by content, not by footnote markers), and export and the web's response page go
//! through `check`. Keeping the rules in one place is what stops a check from drifting from
//! what drafting guarantees.
//!
//! The rules, strictest first:
//! - nothing from a restricted source, ever;
//! - while the consent ledger is damaged, nobody's consent can be vouched for;
//! - a quote leaves only with its speaker's approval, for at least this scope, not expired;
//! - other words of testimonies and session notes are people's words: they leave only
//!   inside an approved quote;
//! - outside the organisation, passages only of sources marked public.

use crate::corpus::{Kind, Sensitivity, Source};
use crate::quotes::{Quote, Scope, Status};

/// Why words may not leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The source is restricted.
    Restricted,
    /// The consent ledger is damaged, so the quote's consent is unknown.
    Unknown,
    /// The speaker has not answered yet.
    Pending,
    /// Consent was given before damage to the ledger was acknowledged; ask again.
    AskAgain,
    /// The quote has no speaker yet, so nobody can consent.
    NoSpeaker,
    /// The speaker said no.
    Declined,
    /// The speaker took their consent back, on a day.
    Withdrawn(Option<String>),
    /// The approval ran out on a day.
    Expired(Option<String>),
    /// Approved for a narrower use than this one.
    Narrower {
        /// What was approved.
        approved: Option<Scope>,
        /// What this use needs.
        needed: Scope,
    },
    /// Words of a testimony or session notes that no approved quote covers.
    PeoplesWords,
    /// A passage of a source not marked public, in something that leaves the organisation.
    NotPublic,
}

impl Refusal {
    /// A few words for a tally ("skipped: 2 quote with consent withdrawn").
    pub fn summary(&self) -> String {
        match self {
            Refusal::Restricted => "quote or passage of a restricted source".into(),
            Refusal::Unknown => "quote whose consent is unknown (damaged ledger): run `heard verify`".into(),
            Refusal::Pending => "quote with consent not yet given".into(),
            Refusal::AskAgain => "quote whose consent must be asked for again (ledger damage acknowledged)".into(),
            Refusal::NoSpeaker => "quote with no speaker named yet".into(),
            Refusal::Declined => "quote with consent declined".into(),
            Refusal::Withdrawn(_) => "quote with consent withdrawn".into(),
            Refusal::Expired(_) => "quote with consent expired".into(),
            Refusal::Narrower { approved, .. } => format!(
                "quote approved only for {} use",
                approved.map_or("no", |s| s.as_str())
            ),
            Refusal::PeoplesWords => "people's words with no approved quote".into(),
            Refusal::NotPublic => "passage of a source not marked public (`sensitivity: public` in its front matter lets it be cited outside)".into(),
        }
    }

    /// What is wrong and what to do, to follow "quote q-… " or "these words … " in `check`.
    pub fn problem(&self) -> String {
        match self {
            Refusal::Restricted => "come from a restricted source and may never be used: remove them".into(),
            Refusal::Unknown => "have unknown consent because the consent ledger is damaged: run `heard verify`".into(),
            Refusal::Pending => "have no consent yet: ask the speaker first, or remove them".into(),
            Refusal::AskAgain => "had consent before damage to the ledger was acknowledged: ask the speaker again, or remove them".into(),
            Refusal::NoSpeaker => "have no speaker named, so nobody can consent: an officer names one with `heard quote speaker`".into(),
            Refusal::Declined => "were declined by their speaker: remove them".into(),
            Refusal::Withdrawn(on) => format!(
                "were withdrawn by their speaker{}: remove them",
                on.as_ref().map(|d| format!(" on {d}")).unwrap_or_default()
            ),
            Refusal::Expired(until) => format!(
                "had consent until {}, which has passed: ask again or remove them",
                until.as_deref().unwrap_or("?")
            ),
            Refusal::Narrower { approved, needed } => format!(
                "are approved for {} use only, and this response needs {}",
                approved.map_or("no", |s| s.as_str()),
                needed.as_str()
            ),
            Refusal::PeoplesWords => "are someone's own words with no approved quote: make a quote of them and ask for consent (`heard quote add`), or remove them".into(),
            Refusal::NotPublic => "come from a source not marked public, and this response leaves the organisation: remove them, or mark the source `sensitivity: public` if it is".into(),
        }
    }
}

/// Whether a source holds people's own words, which leave only as consented quotes.
pub fn holds_peoples_words(source: &Source) -> bool {
    matches!(source.kind, Kind::Testimony | Kind::Notes)
}

/// May the words of quote `q` (from `source`, if it can still be read) leave in `scope` on
/// `today` (`YYYY-MM-DD`)?
pub fn quote_may_leave(
    q: &Quote,
    source: Option<&Source>,
    scope: Scope,
    today: &str,
) -> Result<(), Refusal> {
    if source.is_some_and(|s| s.sensitivity == Sensitivity::Restricted) {
        return Err(Refusal::Restricted);
    }
    match q.status_on(today) {
        Status::Unknown => Err(Refusal::Unknown),
        Status::Approved if q.scope.is_some_and(|s| s >= scope) => Ok(()),
        Status::Approved => Err(Refusal::Narrower {
            approved: q.scope,
            needed: scope,
        }),
        Status::Pending if q.speaker.is_none() => Err(Refusal::NoSpeaker),
        Status::Pending if q.reconsent => Err(Refusal::AskAgain),
        Status::Pending => Err(Refusal::Pending),
        Status::Declined => Err(Refusal::Declined),
        Status::Withdrawn => Err(Refusal::Withdrawn(
            q.history
                .iter()
                .rev()
                .find(|h| h.action == "quote.withdraw")
                .map(|h| h.time.get(..10).unwrap_or(&h.time).to_string()),
        )),
        Status::Expired => Err(Refusal::Expired(q.expires.clone())),
    }
}

/// May a passage of `source` leave in `scope`, other than inside an approved quote?
pub fn passage_may_leave(source: &Source, scope: Scope) -> Result<(), Refusal> {
    if source.sensitivity == Sensitivity::Restricted {
        Err(Refusal::Restricted)
    } else if holds_peoples_words(source) {
        Err(Refusal::PeoplesWords)
    } else if scope > Scope::Internal && source.sensitivity != Sensitivity::Public {
        Err(Refusal::NotPublic)
    } else {
        Ok(())
    }
}
