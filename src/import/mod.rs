//! Import: bring in what charities already have — Word, ODT, PDF, saved web pages, plain
//! text, and survey exports (CSV, XLSX, ODS) — as Markdown sources under `corpus/`, keeping
//! a copy of each original and where every passage came from (page, respondent).
//!
//! The library stays plain text: an imported document is an ordinary Markdown source with
//! front matter filled from the document and an `original` record (file name, format,
//! BLAKE3 hash, import time). Readers of each format turn a file into [`Converted`]
//! documents; this module writes them, skips unchanged originals, and never overwrites a
//! Markdown file someone has edited since it was imported.
//!
//! - [`documents`]: DOCX, ODT, PDF, HTML, TXT.
//! - [`survey`]: CSV, XLSX, ODS survey exports: one respondent per row, contact columns
//!   dropped, consent recorded only from a column the user names.

pub mod documents;
pub mod survey;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::corpus::{Kind, Sensitivity};
use crate::quotes::Scope;

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Kind of the new sources (default: decided per file, else `other`).
    pub kind: Option<Kind>,
    /// Tags added to every new source.
    pub tags: Vec<String>,
    /// Sensitivity of the new sources (default: the library's default).
    pub sensitivity: Option<Sensitivity>,
    /// Folder under the library root for the Markdown (default: `corpus/imported/`).
    pub into: Option<PathBuf>,
    /// Header of a survey's "may we quote you?" column, when the user names one.
    pub consent_column: Option<String>,
    /// Scope that column's "yes" gives.
    pub consent_scope: Scope,
    /// Who is importing (recorded in the ledger for survey consent).
    pub actor: String,
}

/// The file formats heard reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Word (.docx).
    Docx,
    /// OpenDocument text (.odt).
    Odt,
    /// PDF.
    Pdf,
    /// A saved web page (.html, .htm).
    Html,
    /// Plain text (.txt) or Markdown (.md).
    Txt,
    /// CSV survey export.
    Csv,
    /// Excel survey export (.xlsx).
    Xlsx,
    /// OpenDocument spreadsheet survey export (.ods).
    Ods,
}

impl Format {
    /// The format of a file, from its extension; `None` for files heard does not read.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "docx" => Format::Docx,
            "odt" => Format::Odt,
            "pdf" => Format::Pdf,
            "html" | "htm" => Format::Html,
            "txt" | "md" | "markdown" => Format::Txt,
            "csv" => Format::Csv,
            "xlsx" => Format::Xlsx,
            "ods" => Format::Ods,
            _ => return None,
        })
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Odt => "odt",
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Txt => "txt",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Ods => "ods",
        }
    }

    /// Whether this is a survey export (one respondent per row).
    pub fn is_survey(self) -> bool {
        matches!(self, Format::Csv | Format::Xlsx | Format::Ods)
    }
}

/// One document converted from an original, ready to be written as a Markdown source.
#[derive(Debug, Clone, Default)]
pub struct Converted {
    /// Suggested file stem (a slug), e.g. `2022-evaluation` or `spring-survey/r-0001`.
    pub stem: String,
    /// Title from the document's metadata or first heading.
    pub title: Option<String>,
    /// Date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) from the document's metadata.
    pub date: Option<String>,
    /// Author or organisation from the metadata.
    pub organisation: Option<String>,
    /// Authors.
    pub authors: Vec<String>,
    /// Address of a web page.
    pub url: Option<String>,
    /// Kind suggested by the reader (a survey's answers are testimony-like).
    pub kind: Option<Kind>,
    /// Contributors (pseudonymous ids) whose words these are.
    pub contributors: Vec<String>,
    /// Tags found in the document (a survey's choice columns).
    pub tags: Vec<String>,
    /// Extra front matter fields (e.g. `respondent`, `survey`), kept as given.
    pub extra: Vec<(String, String)>,
    /// The body, in Markdown. Page starts of paged originals are marked with a line
    /// `<!-- page N -->` before the page's first block, so passages know their page.
    pub body: String,
    /// Things the user should know (tracked changes accepted, comments dropped…).
    pub warnings: Vec<String>,
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    /// The original, as given.
    pub path: String,
    /// imported, updated, unchanged, kept-edit (written beside), or problem.
    pub status: String,
    /// Markdown files written (relative to the library root).
    pub written: Vec<String>,
    /// Warnings and notes, one line each.
    pub notes: Vec<String>,
    /// The problem, when the file could not be imported: what and how to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}
