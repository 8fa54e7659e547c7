//! JSON Schemas of heard's file formats, generated from the Rust types so that they cannot
//! drift from what heard reads and writes. They are checked in under `schema/`; a test
//! fails when the checked-in copies differ from what the types generate, and another checks
//! the demo library's files against them.

use schemars::schema_for;

use crate::contributors::ContributorsFile;
use crate::corpus::FrontMatter;
use crate::draft::{Consultation, Provenance};
use crate::ledger::Event;
use crate::library::Config;
use crate::quotes::QuoteFile;
use crate::taxonomy::Taxonomy;

/// Every schema as `(file name, pretty JSON)`.
pub fn all() -> Vec<(&'static str, String)> {
    let pretty = |s: schemars::Schema| {
        let mut text = serde_json::to_string_pretty(&s).expect("a schema is JSON");
        text.push('\n');
        text
    };
    vec![
        ("heard.toml.schema.json", pretty(schema_for!(Config))),
        ("front-matter.schema.json", pretty(schema_for!(FrontMatter))),
        ("quotes.schema.json", pretty(schema_for!(QuoteFile))),
        (
            "contributors.schema.json",
            pretty(schema_for!(ContributorsFile)),
        ),
        ("taxonomy.schema.json", pretty(schema_for!(Taxonomy))),
        ("ledger-event.schema.json", pretty(schema_for!(Event))),
        (
            "consultation.schema.json",
            pretty(schema_for!(Consultation)),
        ),
        ("provenance.schema.json", pretty(schema_for!(Provenance))),
        (
            "recs.schema.json",
            pretty(schema_for!(crate::cmd::recs::RecsJson<'static>)),
        ),
    ]
}
