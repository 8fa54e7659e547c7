//! The consent model: where a quote may be used ([`Scope`]), where it stands with its
//! speaker ([`Status`]), and a quote as the ledger says it is ([`Quote`]).

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Anchor;

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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryItem {
    /// When.
    pub time: String,
    /// Who.
    pub actor: String,
    /// What, e.g. `quote.approve`.
    pub action: String,
    /// Particulars (the ledger event's own, shared with it: not a copy).
    pub details: crate::ledger::Details,
    /// The ledger event.
    pub event: String,
}

impl From<&crate::ledger::Event> for HistoryItem {
    fn from(e: &crate::ledger::Event) -> Self {
        HistoryItem {
            time: e.time.clone(),
            actor: e.actor.clone(),
            action: e.action.as_str().into(),
            details: e.details.clone(),
            event: e.id.clone(),
        }
    }
}

/// A quote as the ledger says it is (kept in the refresh's store, so that a changed source
/// can locate its quotes again without folding the whole ledger).
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// The ledger is damaged (see [`QuoteBook::damage`](super::QuoteBook::damage)): nobody
    /// can vouch for this quote's consent, so it is not used until the ledger is put right.
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
