//! heard keeps an organisation's evidence library — lived-experience testimonies, reports,
//! workshop notes and past consultation submissions — and makes it searchable to the
//! paragraph, so that responses to consultations can quote people with their consent and
//! cite every claim back to the exact passage it came from.
//!
//! The modules follow the flow of the data:
//!
//! - [`library`]: where a library lives on disk and its settings (`heard.toml`);
//! - [`corpus`]: reading Markdown sources into [`corpus::Source`]s, passages and
//!   recommendations, and reporting bad files without stopping;
//! - [`index`]: the tantivy index in `.heard/`, kept fresh incrementally, and search;
//! - [`schema`]: JSON Schemas of the file formats, generated from the Rust types.

pub mod check;
pub mod cli;
pub mod cmd;
pub mod consent;
pub mod contributors;
pub mod corpus;
pub mod draft;
pub mod export;
pub mod fsutil;
pub mod import;
pub mod index;
pub mod interop;
pub mod ledger;
pub mod library;
pub mod privacy;
pub mod problem;
pub mod quotes;
pub mod recs;
pub mod refresh;
pub mod response;
pub mod schema;
pub mod taxonomy;
pub mod watch;
pub mod web;

pub use library::Library;
pub use problem::Problem;
