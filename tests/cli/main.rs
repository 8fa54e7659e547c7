//! Integration tests of the `heard` command line: each test makes a fresh library in a
//! temporary folder, fills its corpus from `tests/fixtures/<case>/` or from text written in
//! the test, and runs the real binary against it.

mod bad_input;
mod check;
mod concurrency;
mod consent;
mod demo;
mod draft;
mod draft_call;
mod draft_framing;
mod evidence;
mod export;
mod export_safety;
mod frontmatter;
mod hostile_input;
mod import_docs;
mod import_survey;
mod index;
mod ledger;
mod library;
mod outcomes;
mod pack;
mod passages;
mod privacy;
mod qdpx;
mod quotes;
mod recs;
mod recs_why;
mod refresh;
mod relevance;
mod scale;
mod schemas;
mod search;
mod semantic;
mod semantic_scale;
mod sheets;
mod sources;
mod speaker;
mod taxonomy;
mod trust;
mod util;
mod watch;
