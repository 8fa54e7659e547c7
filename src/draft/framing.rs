//! Framing is not evidence: a passage that describes a report or the organisation behind it
//! ("This report sets out what 42 people told us…", "Our evidence comes from our panel…",
//! "Northgate Together works in Ashworth with…", a "What we did" list) shares many words
//! with every question of a call, because it summarises them all, but it answers none. A
//! draft sets such passages aside, except for a question that asks about method or about
//! the organisation itself.
//!
//! One rule a user can check by reading the passage. It is framing when:
//! - its heading names a part of a document that describes the document (About us, Method,
//!   How we did this, Who we spoke to, Acknowledgements, Contents, Foreword, Summary of
//!   recommendations…); or
//! - at least half of its sentences are about the document or its authors rather than the
//!   issue: the document as subject ("This report sets out…", "Our response draws on…",
//!   "It was written with…"), the organisation describing itself ("Northgate Together is a
//!   charity…", "We welcome the chance to respond…"), or how the evidence was gathered
//!   ("Between May and June we interviewed…"); or
//! - it sits under an Introduction, Summary or Background ([`Framing::Opening`]) and its
//!   document goes on. An opening often says what the issue is, which is evidence, but only
//!   in brief: the document says it in full further on, and a draft cites that part
//!   instead. A document that has nothing but its summary keeps it.
//!
//! Measured on the evaluation set (EVALUATION.md): setting openings aside too raised
//! precision on the demo call and lost no recall.

use std::sync::LazyLock;

use regex::Regex;

/// What a framing passage describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// The organisation (or its panel) describing itself, or welcoming the consultation.
    About,
    /// How the evidence was gathered: who was interviewed, when, by whom.
    Method,
    /// The document's apparatus: contents, acknowledgements, foreword, glossary, a summary
    /// of recommendations given again as a passage.
    Apparatus,
    /// An introduction, summary or background, which restates what the document says in
    /// full elsewhere: the draft cites the part that says it in full (see [`restated`]).
    Opening,
}

impl Framing {
    /// How a draft names what it set aside.
    pub const SET_ASIDE: &'static str = "passage set aside as evidence: it introduces or describes a report (an introduction, summary, method or “about us”) rather than answering a question";
}

/// Whether drafts set framing aside: always, unless `HEARD_RELEVANCE_TUNE` holds `framing=0`
/// (for the evaluation only, to measure the rule against its absence).
pub fn enabled() -> bool {
    std::env::var("HEARD_RELEVANCE_TUNE").map_or(true, |t| {
        !t.split(',')
            .any(|p| p.trim().replace(' ', "") == "framing=0")
    })
}

/// Headings of a part that describes the document rather than the issue.
static HEADING: LazyLock<[(Framing, Regex); 3]> = LazyLock::new(|| {
    let re = |s: &str| Regex::new(s).expect("framing heading regex");
    [
        (
            Framing::About,
            re(
                r"(?i)^about\b(?:\s+(?:us|me|the\s+(?:authors?|organi[sz]ation|charity|panel|partnership|project|programme|report|response|submission|evaluation|study|research)|this\b|our\b))|^who\s+we\s+are\b|^our\s+(?:organi[sz]ation|charity|work)$",
            ),
        ),
        (
            Framing::Method,
            re(
                r"(?i)^(?:methods?|methodology|approach|our\s+(?:approach|methods?|methodology|evidence)|(?:data|research)\s+(?:and\s+)?methods?|how\s+we\s+(?:did|do|carried|gathered|collected|went|worked|wrote|produced|prepared|made|listened|heard)\b|what\s+we\s+did\b|who\s+(?:we\s+(?:spoke|talked|listened)\s+to|took\s+part)\b|(?:the\s+)?people\s+we\s+(?:spoke|talked)\s+to\b|(?:sources\s+of|where\s+our)\s+evidence\b|evidence\s+base\b|limitations\b)",
            ),
        ),
        (
            Framing::Apparatus,
            re(
                r"(?i)^(?:acknowledge?ments?|thanks|(?:table\s+of\s+)?contents|foreword|preface|glossary|abbreviations|terms\s+used|references|bibliography|endnotes|(?:summary|list)\s+of\s+(?:recommendations|asks))\b",
            ),
        ),
    ]
});

/// A heading without numbering such as "2." or "Chapter 3:".
fn unnumbered(heading: &str) -> &str {
    let t = heading
        .trim()
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ' ');
    match t.split_once(':') {
        Some((head, rest)) if head.split_whitespace().count() <= 2 && !rest.trim().is_empty() => {
            let h = head.to_lowercase();
            if h.starts_with("chapter") || h.starts_with("part") || h.starts_with("section") {
                rest.trim()
            } else {
                t
            }
        }
        _ => t,
    }
}

/// What the headings above a passage (`Title › Part › Sub-part`) say its part is, when one
/// of them describes the document (the innermost that does).
pub fn of_heading(section: &str) -> Option<Framing> {
    section.rsplit('›').map(unnumbered).find_map(|h| {
        HEADING
            .iter()
            .find(|(_, re)| re.is_match(h))
            .map(|(f, _)| *f)
    })
}

/// Headings of a part that opens a document by restating it.
static OPENING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:introduction|(?:executive\s+)?summary|background|overview|in\s+brief|at\s+a\s+glance)$")
        .expect("opening heading regex")
});

/// Whether a passage under these headings opens its document (Introduction, Summary,
/// Background, Overview).
pub fn is_opening(section: &str) -> bool {
    section
        .rsplit('›')
        .map(unnumbered)
        .any(|h| OPENING.is_match(h.trim_end_matches(['.', ':'])))
}

/// Whether a document whose passages sit under these sections says what its opening
/// restates somewhere else: it has a passage under neither an opening nor a framing
/// heading. A briefing that is all summary keeps its summary as evidence.
pub fn restated<'a>(sections: impl IntoIterator<Item = &'a str>) -> bool {
    sections
        .into_iter()
        .any(|s| !is_opening(s) && of_heading(s).is_none())
}

/// Sentences that describe the document as their subject, or how its evidence was gathered.
static DOCUMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        ^(?:this|our|the\s+present)\s+(?:\d{4}\s+)?(?:report|response|submission|evaluation|paper|document|review|study|briefing|evidence|research)\b
            [^.]{0,30}?\b(?:sets?\s+out|looks?\s+at|draws?|brings?\s+together|is\s+based|(?:was|were|is)\s+(?:written|prepared|produced|developed|co-produced|informed|compiled|gathered|collected)|describes?|presents?|summari[sz]es?|is\s+structured|focuses)\b
      | ^our\s+evidence\s+(?:comes|is\s+drawn|is\s+based)\b
      | ^it\s+was\s+(?:written|prepared|produced|developed|co-produced|commissioned|compiled)\b
      | ^(?:(?:between|from|in|during|over)\s[^,.]{0,50}?,?\s+)?(?:we|\w+\s+(?:peer\s+)?researchers?)\b[^.]{0,60}?\b(?:interviewed|surveyed|spoke\s+to|talked\s+to|held|ran|analy[sz]ed|consulted)\b
      | ^(?:the\s+)?(?:interviews|conversations|focus\s+groups|workshops?|sessions?)\s+(?:took\s+place|were\s+(?:held|carried\s+out|conducted|run))\b
        ",
    )
    .expect("framing sentence regex")
});

/// Sentences in which an organisation describes itself or welcomes the consultation;
/// `{org}` stands for the organisations' names.
const ABOUT: &str = r"(?ix)
    ^(?:since\s+\d{4},?\s+)?(?:we|{org})\s+
    (?:(?:is|are)\s+(?:a|an)\s
      | (?:is|are)\s+(?:pleased|delighted|grateful)\b
      | welcomes?\b
      | works?\s+(?:in|with|across)\b
      | (?:has|have)\s+(?:run|trained|worked|supported|answered|responded|been\s+running)\b
      | runs?\s
      | was\s+(?:founded|set\s+up|established)\b
      | (?:would\s+like\s+to\s+)?thanks?\b)";

/// Framing sentences of one library: the document's and the organisations'.
pub struct Classifier {
    about: Regex,
    /// "About Northgate Together": a heading naming one of the organisations.
    about_heading: Option<Regex>,
}

impl Classifier {
    /// A classifier that knows these organisations' names (ours, and a source's own).
    pub fn new<'a>(organisations: impl IntoIterator<Item = &'a str>) -> Classifier {
        let names: Vec<String> = organisations
            .into_iter()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| regex::escape(&n.replace(['’', '‘'], "'").to_lowercase()).replace(' ', r"\s+"))
            .collect();
        let org = if names.is_empty() {
            "we".to_string()
        } else {
            format!("(?:{})", names.join("|"))
        };
        Classifier {
            about: Regex::new(&ABOUT.replace("{org}", &org)).expect("framing about regex"),
            about_heading: (!names.is_empty()).then(|| {
                Regex::new(&format!(r"(?i)^about\s+(?:the\s+)?{org}\b"))
                    .expect("framing heading regex")
            }),
        }
    }

    /// Whether a passage (under the headings `section`) introduces or describes a document
    /// or its authors rather than the issue, and how.
    pub fn framing(&self, section: &str, text: &str) -> Option<Framing> {
        if let Some(f) = of_heading(section) {
            return Some(f);
        }
        if let Some(re) = &self.about_heading {
            let named = section
                .rsplit('›')
                .map(|h| h.trim().replace(['’', '‘'], "'"))
                .any(|h| re.is_match(&h));
            if named {
                return Some(Framing::About);
            }
        }
        let sentences = sentences(text);
        if sentences.is_empty() {
            return is_opening(section).then_some(Framing::Opening);
        }
        let (mut about, mut method) = (0, 0);
        for s in &sentences {
            if self.about.is_match(s) {
                about += 1;
            } else if DOCUMENT.is_match(s) {
                method += 1;
            }
        }
        if 2 * (about + method) < sentences.len() || about + method == 0 {
            return is_opening(section).then_some(Framing::Opening);
        }
        Some(if about >= method {
            Framing::About
        } else {
            Framing::Method
        })
    }
}

/// The sentences of a passage, lower case, with typographic apostrophes made plain; a list
/// item's marker and fragments of fewer than three words are dropped.
fn sentences(text: &str) -> Vec<String> {
    let text = text
        .trim_start_matches(['-', '*', '•'])
        .replace(['’', '‘'], "'")
        .to_lowercase();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        cur.push(c);
        let end = matches!(c, '.' | '!' | '?' | ':' | ';')
            && chars.peek().is_none_or(|n| n.is_whitespace());
        if end || chars.peek().is_none() {
            let s = cur
                .trim()
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .to_string();
            if s.split_whitespace().count() >= 3 {
                out.push(s);
            }
            cur.clear();
        }
    }
    out
}

static ASKS_METHOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        \bmethod(?:s|ology)?\b
      | \bhow\s+(?:did|do|will|would)\s+you\s+(?:gather|collect|find|involve|consult|reach|hear|research|listen|arrive)\b
      | \bevidence\s+(?:base|gathering)\b
      | \bwho\s+(?:did|do)\s+you\s+(?:speak|talk|consult|hear|listen|interview)\b
      | \bhow\s+(?:was|were)\s+(?:the\s+|your\s+)?(?:evidence|data|views|findings|research)\s+(?:gathered|collected|obtained)\b
      | \bwhat\s+is\s+your\s+evidence\b",
    )
    .expect("method question regex")
});

static ASKS_ABOUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        \byour\s+(?:organi[sz]ation|charity|group|work)\b
      | \babout\s+(?:you|yourselves|yourself)\b
      | \bwho\s+you\s+are\b
      | \byour\s+interest\s+in\b",
    )
    .expect("organisation question regex")
});

/// Whether a question asks for what a framing passage holds: method passages answer a
/// question about how evidence was gathered, "about us" passages one about the respondent's
/// organisation; a document's apparatus answers nothing.
pub fn asked_for(question: &str, f: Framing) -> bool {
    match f {
        Framing::Method => ASKS_METHOD.is_match(question),
        Framing::About => ASKS_ABOUT.is_match(question) || ASKS_METHOD.is_match(question),
        Framing::Apparatus | Framing::Opening => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours() -> Classifier {
        Classifier::new(["Northgate Together"])
    }

    #[test]
    fn headings_that_describe_the_document_make_framing() {
        for (section, f) in [
            ("Response › About this response", Framing::About),
            ("Report › How we did this", Framing::Method),
            ("Report › What we did", Framing::Method),
            ("Report › 2. Methodology", Framing::Method),
            ("Report › Who we spoke to", Framing::Method),
            ("Report › Acknowledgements", Framing::Apparatus),
            (
                "Report › Chapter 1: Summary of recommendations",
                Framing::Apparatus,
            ),
        ] {
            assert_eq!(of_heading(section), Some(f), "{section}");
        }
        for section in [
            "Report › Findings › What made a difference",
            "Report › Introduction",
            "Report › Summary",
            "Response › Question 6: How should the council work with partners?",
            "Report › About benefits",
            "Report › Findings › Who people met",
        ] {
            assert_eq!(of_heading(section), None, "{section}");
        }
    }

    #[test]
    fn a_heading_naming_the_organisation_is_about_us() {
        let c = ours();
        let text = "Several of our panel members have been detained under the Act.";
        assert_eq!(
            c.framing("Response to X › About Northgate Together", text),
            Some(Framing::About)
        );
        assert_eq!(c.framing("Response to X › Question 2", text), None);
    }

    #[test]
    fn a_passage_mostly_about_the_report_or_its_authors_is_framing() {
        let c = ours();
        for (text, f) in [
            (
                "Northgate Together works in Ashworth with people facing multiple disadvantage. Our evidence comes from our May 2025 report, based on interviews with 42 people.",
                Framing::About,
            ),
            (
                "This report brings together what 38 women told us between October 2021 and May 2022. It was written with the women’s circle at the Wharf Street Centre.",
                Framing::Method,
            ),
            (
                "Our response draws on the views of the Lived Experience Panel and our 2021 evaluation.",
                Framing::Method,
            ),
            (
                "Between February and May 2023, two peer researchers with experience of prison interviewed 31 people. We also spoke to 8 staff from probation.",
                Framing::Method,
            ),
            (
                "Northgate Together welcomes the chance to respond to this call for evidence. We work in Ashworth with people facing multiple disadvantage.",
                Framing::About,
            ),
        ] {
            assert_eq!(c.framing("Report › Summary", text), Some(f), "{text}");
        }
    }

    #[test]
    fn findings_that_mention_how_they_were_found_are_evidence() {
        let c = ours();
        for text in [
            "Thirty-four of the 42 people we interviewed had been told they could not be assessed because they had been drinking.",
            "Our main finding is that people with co-occurring mental ill health and substance use are routinely turned away from crisis care.",
            "People who are homeless are admitted to hospital more often, stay longer and are readmitted sooner. Too often, they leave hospital the way they came in. This report looks at discharge from St Aldric’s Hospital.",
            "Women facing multiple disadvantage are often less visible than men. They are less likely to sleep on the street and more likely to sofa-surf.",
            "Our 2024 report found that a third of people discharged while homeless were readmitted within 90 days.",
            "Our report found that people who come from care are more likely to be evicted.",
        ] {
            assert_eq!(c.framing("Report › Findings", text), None, "{text}");
        }
    }

    #[test]
    fn an_introduction_or_summary_is_an_opening_set_aside_only_when_the_document_goes_on() {
        let c = ours();
        let text = "Women facing multiple disadvantage are often less visible than men.";
        for section in [
            "Report › Introduction",
            "Report › Summary",
            "Report › 1. Executive summary",
            "Report › Background",
        ] {
            assert_eq!(
                c.framing(section, text),
                Some(Framing::Opening),
                "{section}"
            );
            assert!(!asked_for("What is the background?", Framing::Opening));
        }
        // Framing text under an opening heading is named for what it is.
        assert_eq!(
            c.framing(
                "Report › Summary",
                "This report sets out what 42 people told us."
            ),
            Some(Framing::Method)
        );
        assert!(restated([
            "Report › Summary",
            "Report › What we did",
            "Report › Findings › Relapse",
        ]));
        assert!(
            !restated([
                "Briefing › Summary",
                "Briefing › Summary",
                "Briefing › About us"
            ]),
            "a briefing that is all summary keeps its summary"
        );
    }

    #[test]
    fn another_organisation_describing_itself_is_framing_too() {
        let c = Classifier::new(["Northgate Together", "Fenmoor Women’s Project"]);
        assert_eq!(
            c.framing(
                "Report › Overview",
                "Fenmoor Women’s Project is a charity supporting women in contact with the justice system. It was founded in 2009."
            ),
            Some(Framing::About)
        );
    }

    #[test]
    fn only_a_question_about_method_or_the_organisation_asks_for_framing() {
        assert!(asked_for(
            "How did you gather the evidence in your response?",
            Framing::Method
        ));
        assert!(asked_for(
            "Please describe your methodology.",
            Framing::Method
        ));
        assert!(asked_for(
            "Please tell us about your organisation and its interest in this consultation.",
            Framing::About
        ));
        for q in [
            "How should people with lived experience shape crisis services?",
            "What works well in crisis care today, and why?",
            "What should happen on the day a woman is released from prison?",
        ] {
            assert!(!asked_for(q, Framing::Method), "{q}");
            assert!(!asked_for(q, Framing::About), "{q}");
        }
        assert!(!asked_for(
            "Please describe your methodology.",
            Framing::Apparatus
        ));
    }
}
