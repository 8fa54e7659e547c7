//! How text becomes search terms: words split on punctuation, lower-cased, accents folded
//! (`café` = `cafe`), British and American spellings brought to one form
//! (`organisation` = `organization`, `counselling` = `counseling`), then English stemming
//! (`evictions` = `eviction`). The same analyzer runs on the library and on queries, so the
//! canonical spelling only has to be consistent, not "correct".

use std::borrow::Cow;

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Name of the analyzer for prose fields.
pub const TEXT: &str = "heard_en";
/// Name of the analyzer for tags and other whole-value fields: case and accents only.
pub const KEYWORD: &str = "heard_keyword";

/// Register heard's analyzers on an index (they are not stored in it).
pub fn register(index: &Index) {
    index.tokenizers().register(TEXT, text_analyzer());
    index.tokenizers().register(KEYWORD, keyword_analyzer());
}

/// The analyzer for prose.
pub fn text_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(SpellingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The analyzer for whole values such as tags.
pub fn keyword_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Words whose British `-our` becomes American `-or`; a list, because a rule would also
/// turn `four`, `hour` and `your` into other words.
const OUR_STEMS: &[&str] = &[
    "behaviour",
    "colour",
    "favour",
    "honour",
    "labour",
    "neighbour",
    "humour",
    "harbour",
    "rumour",
    "vapour",
    "endeavour",
    "flavour",
    "saviour",
    "odour",
    "rigour",
    "vigour",
    "armour",
    "parlour",
    "tumour",
    "valour",
    "candour",
    "clamour",
    "splendour",
];

/// Word parts that differ between British and American medical and everyday spelling.
const INFIXES: &[(&str, &str)] = &[
    ("isation", "ization"),
    ("programme", "program"),
    ("paed", "ped"),
    ("anaes", "anes"),
    ("haem", "hem"),
    ("gynaec", "gynec"),
    ("leukaem", "leukem"),
    ("oestr", "estr"),
    ("oesoph", "esoph"),
    ("foet", "fet"),
    ("rhoea", "rhea"),
    ("manoeuv", "maneuv"),
    ("practis", "practic"),
    ("sceptic", "skeptic"),
    ("judgement", "judgment"),
    ("acknowledgement", "acknowledgment"),
    ("ageing", "aging"),
    ("fulfill", "fulfil"),
    ("enroll", "enrol"),
    ("skillful", "skilful"),
    ("installment", "instalment"),
    ("jewellery", "jewelry"),
];

/// Whole words with no rule behind them.
const WORDS: &[(&str, &str)] = &[
    ("defence", "defense"),
    ("offence", "offense"),
    ("offences", "offenses"),
    ("licence", "license"),
    ("licences", "licenses"),
    ("pretence", "pretense"),
    ("grey", "gray"),
    ("mould", "mold"),
    ("whilst", "while"),
    ("amongst", "among"),
];

/// Verbs that double their final `l` in British English (`counselling`, `travelled`).
const DOUBLE_L: &[&str] = &[
    "counsel", "travel", "model", "label", "cancel", "signal", "fuel", "channel", "level", "total",
    "marvel", "jewel", "tunnel", "dial", "equal", "quarrel", "rival", "panel", "parcel", "initial",
    "enrol", "pencil", "shovel",
];

/// Every word part the rules below look for, found in one pass: almost no word has any,
/// and this runs on every word of the library.
static TRIGGERS: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
    let parts = INFIXES
        .iter()
        .map(|(from, _)| *from)
        .chain(OUR_STEMS.iter().copied())
        .chain(DOUBLE_L.iter().copied());
    aho_corasick::AhoCorasick::new(parts).expect("spelling patterns")
});

/// One spelling for words that British and American English spell differently.
pub fn normalise_spelling(word: &str) -> Cow<'_, str> {
    if word.len() < 4 || !word.is_ascii() {
        return Cow::Borrowed(word);
    }
    if let Some((_, to)) = WORDS.iter().find(|(from, _)| *from == word) {
        return Cow::Owned((*to).to_string());
    }
    let mut w = Cow::Borrowed(word);
    if TRIGGERS.is_match(word) {
        if let Some(changed) = normalise_parts(word) {
            w = Cow::Owned(changed);
        }
    }
    // -ise/-isation and -yse: merging the two classes is harmless, as both sides of every
    // comparison pass through here.
    if w.len() >= 6 {
        for (from, to) in [
            ("isation", "ization"),
            ("isations", "izations"),
            ("ise", "ize"),
            ("ised", "ized"),
            ("ises", "izes"),
            ("ising", "izing"),
            ("iser", "izer"),
            ("isers", "izers"),
            ("yse", "yze"),
            ("ysed", "yzed"),
            ("ysing", "yzing"),
        ] {
            if let Some(base) = w.strip_suffix(from) {
                return Cow::Owned(format!("{base}{to}"));
            }
        }
    }
    // centre/center, fibre/fiber, catalogue/catalog.
    for (from, to) in [
        ("tre", "ter"),
        ("tres", "ters"),
        ("tred", "tered"),
        ("bre", "ber"),
        ("bres", "bers"),
        ("logue", "log"),
        ("logues", "logs"),
    ] {
        if let Some(base) = w.strip_suffix(from) {
            if base.len() >= 3 {
                return Cow::Owned(format!("{base}{to}"));
            }
        }
    }
    w
}

/// The rules for word parts (medical ae/oe, -our, doubled l, -isation…); `None` when the
/// word has none of them. Only called for words that contain one of [`TRIGGERS`].
fn normalise_parts(word: &str) -> Option<String> {
    let mut w = word.to_string();
    let mut changed = false;
    for (from, to) in INFIXES {
        if w.contains(from) {
            w = w.replace(from, to);
            changed = true;
        }
    }
    for stem in OUR_STEMS {
        if let Some(i) = w.find(stem) {
            w.replace_range(i + stem.len() - 2..i + stem.len() - 1, "");
            changed = true;
            break;
        }
    }
    for stem in DOUBLE_L {
        for suffix in ["led", "ling", "ler", "lers", "lor", "lors", "lous", "lery"] {
            if w.len() == stem.len() + suffix.len() && w.starts_with(stem) && w.ends_with(suffix) {
                return Some(format!("{stem}{}", &suffix[1..]));
            }
        }
    }
    changed.then_some(w)
}

/// A token filter applying [`normalise_spelling`].
#[derive(Clone, Copy, Debug)]
pub struct SpellingFilter;

impl TokenFilter for SpellingFilter {
    type Tokenizer<T: Tokenizer> = SpellingTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> SpellingTokenizer<T> {
        SpellingTokenizer(tokenizer)
    }
}

/// The tokenizer made by [`SpellingFilter`].
#[derive(Clone, Debug)]
pub struct SpellingTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for SpellingTokenizer<T> {
    type TokenStream<'a> = SpellingStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        SpellingStream(self.0.token_stream(text))
    }
}

/// The token stream made by [`SpellingTokenizer`].
pub struct SpellingStream<S>(S);

impl<S: TokenStream> TokenStream for SpellingStream<S> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        if let Cow::Owned(s) = normalise_spelling(&self.0.token().text) {
            self.0.token_mut().text = s;
        }
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        let mut a = text_analyzer();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn british_and_american_spellings_meet() {
        for (uk, us) in [
            ("organisation", "organization"),
            ("organisations", "organizations"),
            ("organisational", "organizational"),
            ("behaviour", "behavior"),
            ("behavioural", "behavioral"),
            ("neighbourhood", "neighborhood"),
            ("counselling", "counseling"),
            ("counsellor", "counselor"),
            ("centre", "center"),
            ("centres", "centers"),
            ("programme", "program"),
            ("paediatric", "pediatric"),
            ("analyse", "analyze"),
            ("recognised", "recognized"),
            ("defence", "defense"),
            ("travelled", "traveled"),
            ("fulfil", "fulfill"),
            ("catalogue", "catalog"),
            ("judgement", "judgment"),
            ("practise", "practice"),
        ] {
            assert_eq!(terms(uk), terms(us), "{uk} / {us}");
        }
    }

    #[test]
    fn case_accents_and_stems() {
        assert_eq!(terms("Café NAÏVE"), terms("cafe naive"));
        assert_eq!(terms("evictions"), terms("eviction"));
        assert_eq!(terms("housing"), terms("housed"));
    }

    #[test]
    fn ordinary_words_are_left_alone() {
        for w in [
            "four", "hour", "your", "our", "rise", "genre", "acre", "support",
        ] {
            assert_eq!(normalise_spelling(w), w, "{w}");
        }
    }
}
