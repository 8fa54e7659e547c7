//! Reading an answer to a "may we quote you?" question: yes, no, blank, or unclear.
//! Anything that is not plainly a yes is never taken as one: "Yes, but not my name" or
//! "Maybe" is unclear, and the respondent's words stay pending until someone asks.

/// What an answer to a consent question says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A plain yes: "Yes", "Y", "yes, anonymously", "I agree", "✓".
    Yes,
    /// A plain no: "No", "no thanks", "I do not agree".
    No,
    /// Nothing was written.
    Blank,
    /// Something else: neither a yes nor a no.
    Unclear,
}

impl Answer {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::Blank => "blank",
            Answer::Unclear => "unclear",
        }
    }
}

/// Words that turn a yes into something else.
const NEGATIONS: &[&str] = &[
    "not",
    "no",
    "don't",
    "dont",
    "do not",
    "never",
    "n't",
    "but",
    "except",
    "unless",
    "only if",
    "disagree",
    "without my",
    "rather not",
    "maybe",
    "unsure",
    "not sure",
];

/// Answers that open a plain yes.
const YES: &[&str] = &[
    "yes",
    "y",
    "yeah",
    "yep",
    "ok",
    "okay",
    "sure",
    "agree",
    "agreed",
    "i agree",
    "i consent",
    "consent",
    "consent given",
    "i give consent",
    "i give my consent",
    "i give permission",
    "permission given",
    "happy to",
    "i am happy",
    "i'm happy",
    "of course",
    "true",
    "✓",
    "✔",
    "☑",
    "✅",
];

/// Answers that open a plain no.
const NO: &[&str] = &[
    "no",
    "n",
    "nope",
    "no thanks",
    "no thank you",
    "disagree",
    "i disagree",
    "i do not agree",
    "i don't agree",
    "i do not consent",
    "i don't consent",
    "do not",
    "don't",
    "not happy",
    "i am not happy",
    "i'm not happy",
    "i would rather not",
    "rather not",
    "false",
    "✗",
    "✘",
    "❌",
    "☒",
];

/// Lower case, curly apostrophes straight, spaces collapsed, closing punctuation off.
fn normal(s: &str) -> String {
    let s = s.replace(['’', '‘'], "'").to_lowercase();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    s.trim_matches(|c: char| matches!(c, '.' | '!' | ' ' | '"' | '\''))
        .to_string()
}

/// Whether `text` is `lead` alone or `lead` followed by punctuation or a space.
fn opens_with(text: &str, lead: &str) -> bool {
    text == lead
        || text.strip_prefix(lead).is_some_and(|rest| {
            rest.starts_with([',', ' ', '-', '–', '—', ';', ':', '(', '.', '!'])
        })
}

fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        // "n't" ends a word ("don't", "can't").
        (edge(before) || word == "n't") && edge(after)
    })
}

/// What an answer to a consent question says.
pub fn read(answer: &str) -> Answer {
    let a = normal(answer);
    if a.is_empty() {
        return Answer::Blank;
    }
    if NO.iter().any(|n| opens_with(&a, n)) {
        return Answer::No;
    }
    if YES.iter().any(|y| opens_with(&a, y)) {
        let rest = YES
            .iter()
            .filter(|y| opens_with(&a, y))
            .map(|y| &a[y.len()..])
            .min_by_key(|r| r.len())
            .unwrap_or_default();
        if NEGATIONS.iter().any(|n| has_word(rest, n)) {
            return Answer::Unclear;
        }
        return Answer::Yes;
    }
    Answer::Unclear
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_yeses_are_yes() {
        for a in [
            "Yes",
            "yes",
            "Y",
            " YES. ",
            "Yes, anonymously",
            "yes - happy for you to use it",
            "I agree",
            "I agree to my words being quoted",
            "✓",
            "Yes please!",
            "I consent",
            "I’m happy",
        ] {
            assert_eq!(read(a), Answer::Yes, "{a}");
        }
    }

    #[test]
    fn plain_noes_are_no() {
        for a in [
            "No",
            "no thanks",
            "N",
            "No, please don't",
            "I do not agree",
            "I don’t consent",
            "✗",
        ] {
            assert_eq!(read(a), Answer::No, "{a}");
        }
    }

    #[test]
    fn anything_else_is_never_yes() {
        assert_eq!(read(""), Answer::Blank);
        assert_eq!(read("   "), Answer::Blank);
        for a in [
            "Maybe",
            "Not sure",
            "Yes, but not my name",
            "yes but only internally",
            "Yes unless it identifies me",
            "Yesterday",
            "Ask me first",
            "Agree only if anonymous",
            "okay, but not sure",
            "N/A",
        ] {
            assert_ne!(read(a), Answer::Yes, "{a}");
        }
    }
}
