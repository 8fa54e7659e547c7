//! JSON Schemas of heard's file formats, generated from the Rust types so that they cannot
//! drift from what heard reads. They are checked in under `schema/`; a test fails when the
//! checked-in copies differ from what the types generate.

use schemars::schema_for;

use crate::corpus::FrontMatter;
use crate::library::Config;

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
    ]
}
