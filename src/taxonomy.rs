//! The taxonomy: the library's themes (tags), each with a description and synonyms, in
//! `corpus/taxonomy.toml`. A search for a theme's name, label or any synonym finds the
//! others, and sources tagged with a synonym are found by the theme's tag.

use std::path::PathBuf;

use anyhow::Context;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Library;
use crate::corpus::{tag_slug, tag_slug_into};

/// One theme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// The tag, as a slug: `mcn`, `hospital-discharge`.
    pub id: String,
    /// A readable name.
    #[serde(default)]
    pub label: String,
    /// What the theme covers, for whoever tags.
    #[serde(default)]
    pub description: String,
    /// Other words for the same thing; each finds the others in search.
    #[serde(default)]
    pub synonyms: Vec<String>,
}

/// The file's layout.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    /// The themes.
    #[serde(default, rename = "tag")]
    pub themes: Vec<Theme>,
}

/// Path of taxonomy.toml.
pub fn path(lib: &Library) -> PathBuf {
    lib.corpus_dir().join("taxonomy.toml")
}

/// Read taxonomy.toml (missing file: no themes).
pub fn load(lib: &Library) -> anyhow::Result<Taxonomy> {
    let path = path(lib);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Taxonomy::default()),
        Err(e) => return Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    };
    Taxonomy::parse(&text)
        .map_err(|(line, msg)| anyhow::anyhow!("{}:{line}: {msg}", lib.rel(&path)))
}

impl Taxonomy {
    /// Parse the file's text; errors carry their line.
    pub fn parse(text: &str) -> Result<Taxonomy, (usize, String)> {
        let mut t: Taxonomy = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].lines().count().max(1)
            });
            (line, e.message().to_string())
        })?;
        for theme in &mut t.themes {
            theme.id = tag_slug(&theme.id);
        }
        Ok(t)
    }

    /// The theme a tag belongs to: by id, or by a synonym or label written as a tag.
    pub fn theme_of(&self, tag: &str) -> Option<&Theme> {
        let slug = tag_slug(tag);
        let mut name = String::new();
        let mut is_slug = |text: &str| {
            tag_slug_into(text, &mut name);
            name == slug
        };
        self.themes
            .iter()
            .find(|t| t.id == slug || is_slug(&t.label) || t.synonyms.iter().any(|s| is_slug(s)))
    }

    /// A tag in its canonical form: the theme's id if it belongs to one, else its slug.
    pub fn canonical(&self, tag: &str) -> String {
        self.theme_of(tag)
            .map_or_else(|| tag_slug(tag), |t| t.id.clone())
    }

    /// The names of several words that a search for a theme looks for as phrases (see
    /// [`Taxonomy::expand_query`]), each once: the index keeps where each occurs as a term
    /// of its own, so that a search need not read the positions of every text holding
    /// their words.
    pub fn phrases_searched(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for theme in &self.themes {
            for alt in searched_as(theme) {
                if let Some(p) = alt.strip_prefix('"').and_then(|a| a.strip_suffix('"'))
                    && !out.iter().any(|o| o == p)
                {
                    out.push(p.to_string());
                }
            }
        }
        out
    }

    /// Rewrite a query so that a theme's id, label or synonym finds all of them. Returns
    /// the new query and the phrases that were added.
    pub fn expand_query(&self, query: &str) -> (String, Vec<String>) {
        let tokens = tokenize(query);
        let mut out = String::new();
        let mut used = Vec::new();
        let mut i = 0;
        let mut last_end = 0;
        while i < tokens.len() {
            let mut matched = None;
            for theme in &self.themes {
                for (n, term) in theme_terms(theme) {
                    let words: Vec<&str> = term.split_whitespace().collect();
                    if let Some(len) = match_at(&tokens, i, &words) {
                        if matched.as_ref().is_none_or(|(l, _, _)| len > *l) {
                            matched = Some((len, theme, n));
                        }
                    }
                }
            }
            match matched {
                Some((len, theme, _)) => {
                    let (start, end) = (tokens[i].start, tokens[i + len - 1].end);
                    out.push_str(&query[last_end..start]);
                    // Words only: a tag would match every passage of every tagged source.
                    // The group is the same whichever name was typed, so a theme named twice
                    // in a query is searched (and weighed) once.
                    let typed = query[start..end].trim_matches('"');
                    for (_, term) in theme_terms(theme) {
                        if !term.eq_ignore_ascii_case(typed) && !used.contains(&term) {
                            used.push(term.clone());
                        }
                    }
                    let alts = searched_as(theme);
                    out.push_str(&format!("({})", alts.join(" OR ")));
                    last_end = end;
                    i += len;
                }
                None => i += 1,
            }
        }
        out.push_str(&query[last_end..]);
        (out, used)
    }
}

/// What a theme is searched as when one of its names is: each name of one word as a term
/// (ranked as usual; several of them make one union of terms) and each name of several
/// words as a quoted phrase, once each. A name of several words that holds a one-word name
/// of the same theme ("supported housing" beside "housing") is left out: it finds nothing
/// the word does not, and checking it as a phrase in every document that has its words was
/// most of a search's time in a large library.
fn searched_as(theme: &Theme) -> Vec<String> {
    let mut alts: Vec<String> = Vec::new();
    for (_, term) in theme_terms(theme) {
        let plain = term.replace('"', "");
        let alt = if is_one_word(&plain) {
            plain.to_lowercase()
        } else {
            format!("\"{plain}\"")
        };
        if !alts.contains(&alt) {
            alts.push(alt);
        }
    }
    let words: Vec<String> = alts
        .iter()
        .filter(|a| !a.starts_with('"'))
        .cloned()
        .collect();
    alts.retain(|a| {
        !a.starts_with('"')
            || !a
                .trim_matches('"')
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| words.iter().any(|x| x.eq_ignore_ascii_case(w)))
    });
    alts
}

/// Whether `name` is one word to the search analyzer (a term, not a phrase): letters and
/// digits only, that make one search term.
fn is_one_word(name: &str) -> bool {
    if name.is_empty() || !name.chars().all(char::is_alphanumeric) {
        return false;
    }
    use tantivy::tokenizer::TokenStream as _;
    let mut analyzer = crate::index::analyzer::text_analyzer();
    let mut stream = analyzer.token_stream(name);
    let mut n = 0;
    while stream.advance() {
        n += 1;
    }
    n == 1
}

/// A theme's searchable names: its id (as words), label and synonyms.
fn theme_terms(theme: &Theme) -> Vec<(usize, String)> {
    let mut terms = vec![theme.id.replace('-', " ")];
    if !theme.label.is_empty() {
        terms.push(theme.label.clone());
    }
    terms.extend(theme.synonyms.iter().cloned());
    terms.into_iter().enumerate().collect()
}

struct Token {
    start: usize,
    end: usize,
    /// Lower-case words of a bare word or a quoted phrase; empty for anything else
    /// (operators, field-prefixed terms, brackets).
    words: Vec<String>,
    quoted: bool,
}

fn tokenize(q: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let bytes = q.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if bytes[i] == b'"' {
            let end = q[i + 1..].find('"').map_or(q.len(), |e| i + 1 + e + 1);
            let inner = q[i + 1..end.min(q.len())].trim_end_matches('"');
            tokens.push(Token {
                start,
                end,
                words: inner.split_whitespace().map(str::to_lowercase).collect(),
                quoted: true,
            });
            i = end;
            continue;
        }
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let raw = &q[start..i];
        let is_word = raw
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '\'')
            && !matches!(raw, "AND" | "OR" | "NOT");
        tokens.push(Token {
            start,
            end: i,
            words: if is_word {
                vec![raw.to_lowercase()]
            } else {
                Vec::new()
            },
            quoted: false,
        });
    }
    tokens
}

/// How many tokens from `i` spell `words` (a quoted phrase must match whole).
fn match_at(tokens: &[Token], i: usize, words: &[&str]) -> Option<usize> {
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let t = &tokens[i];
    if t.quoted {
        return (t.words == lower).then_some(1);
    }
    if i + lower.len() > tokens.len() {
        return None;
    }
    for (k, w) in lower.iter().enumerate() {
        let t = &tokens[i + k];
        if t.quoted || t.words.len() != 1 || &t.words[0] != w {
            return None;
        }
    }
    Some(lower.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tax() -> Taxonomy {
        Taxonomy::parse(
            "[[tag]]\nid = \"mcn\"\nlabel = \"Multiple and complex needs\"\nsynonyms = [\"multiple disadvantage\"]\n",
        )
        .unwrap()
    }

    #[test]
    fn a_synonym_finds_the_others() {
        let (q, used) = tax().expand_query("women \"multiple disadvantage\" NOT prison");
        assert_eq!(
            q,
            "women (mcn OR \"Multiple and complex needs\" OR \"multiple disadvantage\") NOT prison"
        );
        assert_eq!(
            used,
            vec!["mcn".to_string(), "Multiple and complex needs".to_string()]
        );
        let (q, _) = tax().expand_query("MCN housing");
        assert!(q.starts_with("(mcn OR"), "{q}");
        // Whichever name is typed, the theme's group is the same.
        let (a, _) = tax().expand_query("multiple disadvantage");
        let (b, _) = tax().expand_query("mcn");
        assert_eq!(a, b);
        let (q, used) = tax().expand_query("title:mcn housing");
        assert_eq!(q, "title:mcn housing");
        assert!(used.is_empty());
    }

    #[test]
    fn a_longer_name_that_holds_a_one_word_name_is_left_to_the_word() {
        let tax = Taxonomy::parse(
            "[[tag]]\nid = \"housing\"\nlabel = \"Housing and homelessness\"\nsynonyms = [\"accommodation\", \"temporary accommodation\", \"Supported housing\", \"sofa-surfing\", \"housing-first\"]\n",
        )
        .unwrap();
        let (q, used) = tax.expand_query("hostel housing");
        // Every document with "supported housing" has "housing": the phrase finds nothing
        // more, so it is not checked. "sofa-surfing" holds no name of one word.
        assert_eq!(q, "hostel (housing OR accommodation OR \"sofa-surfing\")");
        // It is still one of the names the search looked for, as far as the user is told.
        assert!(
            used.contains(&"temporary accommodation".to_string()),
            "{used:?}"
        );
    }

    #[test]
    fn tags_map_to_their_theme() {
        assert_eq!(tax().canonical("Multiple disadvantage"), "mcn");
        assert_eq!(tax().canonical("housing"), "housing");
    }
}
