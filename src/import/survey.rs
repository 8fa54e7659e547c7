//! Survey exports: CSV, XLSX and ODS, one respondent per row.
//!
//! Each row becomes a pseudonymous contributor (from the response id) and a source whose
//! passages are that respondent's free-text answers, each under its question (the column
//! header), with the file and row as provenance. Choice columns become tags or front
//! matter. Contact columns (email, phone, name, address) never reach the corpus or the
//! index. Consent is taken only from a column the user names (`--consent-column`): a "yes"
//! is recorded in the ledger as that respondent's consent, with where it came from.

use std::path::Path;

use super::{Converted, Format, ImportOptions};
use crate::Library;
use crate::quotes::Scope;

/// One respondent's answer to the consent question.
#[derive(Debug, Clone)]
pub struct SurveyConsent {
    /// The respondent's contributor id.
    pub respondent: String,
    /// The scope a "yes" gives; `None` for "no" or blank.
    pub scope: Option<Scope>,
    /// 1-based row in the file (the header is row 1).
    pub row: usize,
    /// The column header.
    pub column: String,
    /// The answer as written.
    pub answer: String,
}

/// A survey export, read.
#[derive(Debug, Clone, Default)]
pub struct SurveyRead {
    /// One document per respondent with at least one free-text answer.
    pub documents: Vec<Converted>,
    /// Contributor ids of every respondent, in row order.
    pub respondents: Vec<String>,
    /// What each respondent answered to the consent column, when one was named.
    pub consents: Vec<SurveyConsent>,
    /// Free-text question headers.
    pub questions: Vec<String>,
    /// Columns left out because they hold contact details.
    pub dropped_columns: Vec<String>,
    /// Lines for the summary (e.g. "Consent from the survey: 151 yes, 48 no, 15 blank",
    /// or a column that looks like a consent question when none was named).
    pub notes: Vec<String>,
}

/// Read a survey export. The error is one line naming what is wrong and the fix.
pub fn read(path: &Path, format: Format, opts: &ImportOptions) -> Result<SurveyRead, String> {
    let _ = (path, format, opts);
    Err("survey exports cannot be imported yet".into())
}

/// After the documents are written: add the respondents to contributors.toml as
/// pseudonymous contributors and record each "yes" in the ledger. `sources` are the ids of
/// the written sources, in the order of `read.documents`.
pub fn record(
    lib: &Library,
    read: &SurveyRead,
    sources: &[String],
    opts: &ImportOptions,
) -> anyhow::Result<()> {
    let _ = (lib, read, sources, opts);
    Ok(())
}
