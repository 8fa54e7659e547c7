//! REFI-QDA projects (`.qdpx`): a zip holding `project.qde` (XML in the namespace
//! `urn:QDA-XML:project:1.0`, schema in `schema/refi-qda/Project.xsd`) and the sources'
//! plain text under `sources/`.
//!
//! - [`export`]: the library as a project for a research partner or a QDA tool: sources as
//!   plain text with their metadata as variables, the taxonomy as a codebook, consented
//!   quotes as coded selections, contributors as cases, consent as notes.
//! - [`import`]: a project made by NVivo, ATLAS.ti, MAXQDA or QualCoder as Markdown
//!   sources, taxonomy tags and pending quotes.
//!
//! Positions of selections count Unicode code points of the plain text from 0, end
//! exclusive (a CRLF line ending counts as one character).

pub mod export;
pub mod import;

/// The project namespace.
pub const NAMESPACE: &str = "urn:QDA-XML:project:1.0";

/// The `origin` attribute heard writes, so that an import knows a project is heard's own.
pub const ORIGIN: &str = "heard";

/// A GUID in the REFI-QDA form (8-4-4-4-12 hex digits), derived from `key` so that the same
/// source, code or quote has the same GUID in every export (RFC 9562 version 8 layout).
pub fn guid(key: &str) -> String {
    let h = blake3::hash(key.as_bytes());
    let b = h.as_bytes();
    let hex: String = b[..16].iter().map(|x| format!("{x:02x}")).collect();
    let mut chars: Vec<char> = hex.chars().collect();
    chars[12] = '8';
    chars[16] = ['8', '9', 'a', 'b'][(b[8] & 3) as usize];
    let s: String = chars.into_iter().collect();
    format!(
        "{}-{}-{}-{}-{}",
        &s[..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn guids_are_stable_and_well_formed() {
        let g = super::guid("source:t-ash");
        assert_eq!(g, super::guid("source:t-ash"));
        assert_ne!(g, super::guid("source:t-bea"));
        let parts: Vec<usize> = g.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert!(g.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
    }
}
