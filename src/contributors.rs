//! Contributors: the pseudonymous people whose words are in the library, in
//! `corpus/contributors.toml`, and how each wants to be credited.
//!
//! Contact details may be kept here for the team, and never leave the library: no draft,
//! export or JSON output includes them.

use std::path::PathBuf;

use anyhow::Context;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Library;

/// How a contributor wants to be credited beside their words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Credit {
    /// By a role, such as "Peer volunteer".
    Role,
    /// By first name.
    FirstName,
    /// Not named at all.
    #[default]
    Anonymous,
}

/// One contributor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contributor {
    /// Pseudonymous id, such as `c-amber`. Used in quotes and the ledger.
    pub id: String,
    /// How they want to be credited.
    #[serde(default)]
    pub credit: Credit,
    /// The role to credit, with `credit = "role"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The first name to credit, with `credit = "first-name"`. Private otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// How the team reaches them. Private: never exported or printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Private notes for the team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Credit given to someone who asked not to be named.
pub const ANONYMOUS_CREDIT: &str = "A person with lived experience";

impl Contributor {
    /// The attribution text used beside their words.
    pub fn attribution(&self) -> String {
        match self.credit {
            Credit::Role => self.role.clone().unwrap_or_else(|| ANONYMOUS_CREDIT.into()),
            Credit::FirstName => self
                .first_name
                .clone()
                .unwrap_or_else(|| ANONYMOUS_CREDIT.into()),
            Credit::Anonymous => ANONYMOUS_CREDIT.into(),
        }
    }
}

/// The file's layout.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContributorsFile {
    /// Every contributor.
    #[serde(default, rename = "contributor")]
    pub contributors: Vec<Contributor>,
}

/// Path of contributors.toml.
pub fn path(lib: &Library) -> PathBuf {
    lib.corpus_dir().join("contributors.toml")
}

/// Read contributors.toml (missing file: nobody yet).
pub fn load(lib: &Library) -> anyhow::Result<ContributorsFile> {
    let path = path(lib);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(ContributorsFile::default());
        }
        Err(e) => return Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    };
    toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(1, |s| {
            text[..s.start.min(text.len())].lines().count().max(1)
        });
        anyhow::anyhow!("{}:{line}: {}", lib.rel(&path), e.message())
    })
}

impl ContributorsFile {
    /// The contributor with this id.
    pub fn get(&self, id: &str) -> Option<&Contributor> {
        self.contributors.iter().find(|c| c.id == id)
    }
}

/// Add pseudonymous contributors, such as a survey's respondents (`r-0001`…), credited
/// anonymously, each with a private note (where they came from), keeping the file's
/// existing text and comments. Ids already listed are left as they are. Returns how many
/// were added. The caller holds the write lock.
pub fn add_pseudonymous(lib: &Library, people: &[(String, String)]) -> anyhow::Result<usize> {
    let known = load(lib)?;
    let mut seen = std::collections::HashSet::new();
    let new: Vec<&(String, String)> = people
        .iter()
        .filter(|(id, _)| known.get(id).is_none() && seen.insert(id.as_str()))
        .collect();
    if new.is_empty() {
        return Ok(0);
    }
    let path = path(lib);
    let mut text = existing_or_new(&path)?;
    for (id, note) in &new {
        text.push_str(&format!(
            "\n[[contributor]]\nid = {}\ncredit = \"anonymous\"\nnotes = {}\n",
            toml::Value::String(id.clone()),
            toml::Value::String(note.clone())
        ));
    }
    crate::fsutil::write_atomic(&path, text.as_bytes())?;
    Ok(new.len())
}

/// The text of contributors.toml, ending with a newline, or a new file's header comment.
fn existing_or_new(path: &std::path::Path) -> anyhow::Result<String> {
    let mut text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# Pseudonymous contributors and how each wants to be credited\n\
             # (credit = \"role\" | \"first-name\" | \"anonymous\").\n\
             # `contact` and `notes` stay in the library: never exported.\n"
                .to_string()
        }
        Err(e) => return Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Add a contributor credited anonymously, keeping the file's existing text and comments.
/// The caller holds the write lock.
pub fn add_anonymous(lib: &Library, id: &str) -> anyhow::Result<()> {
    let path = path(lib);
    let mut text = existing_or_new(&path)?;
    text.push_str(&format!(
        "\n[[contributor]]\nid = {}\ncredit = \"anonymous\"\n",
        toml::Value::String(id.to_string())
    ));
    crate::fsutil::write_atomic(&path, text.as_bytes())
}
