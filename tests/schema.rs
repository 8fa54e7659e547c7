//! The checked-in JSON Schemas under `schema/` match the Rust types, and the files heard
//! reads are valid against them.

use std::path::Path;

#[test]
fn checked_in_schemas_match_the_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let update = std::env::var_os("HEARD_UPDATE_SCHEMA").is_some();
    for (name, generated) in heard::schema::all() {
        let path = dir.join(name);
        if update {
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "schema/{name} is out of date with the Rust types; run `HEARD_UPDATE_SCHEMA=1 cargo test --test schema` and commit the result"
        );
    }
}
