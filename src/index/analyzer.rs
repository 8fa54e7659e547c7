//! How text becomes search terms: words split on punctuation, lower-cased, accents folded
//! (`café` = `cafe`), British and American spellings brought to one form
//! (`organisation` = `organization`, `counselling` = `counseling`), then English stemming
//! (`evictions` = `eviction`). The same analyzer runs on the library and on queries, so the
//! canonical spelling only has to be consistent, not "correct".

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer, WhitespaceTokenizer,
};

/// Name of the analyzer for prose fields.
pub const TEXT: &str = "heard_en";
/// Name of the analyzer for tags and other whole-value fields: case and accents only.
pub const KEYWORD: &str = "heard_keyword";
/// Name of the analyzer for the key of a text's embedding (see [`key_term`]).
pub const KEY: &str = "heard_key";
/// Name of the analyzer for the terms of theme phrases (see `super::phrases`), which are
/// made before indexing: each is taken whole, split from the next by white space.
pub const PHRASES: &str = "heard_phrases";

/// Characters of a text's key (blake3, hex) that the index's terms keep: 32 bits. A term
/// only narrows a search by meaning to the texts it names; each text found is then known by
/// its whole key (the fast field), and one whose whole key is not among those asked for is
/// left out. So two texts that share a term (at a million sources, a search by meaning for
/// 200 keys meets one such text about every third time) cost one more document read, never a
/// wrong result. Each character is a node of the term dictionary for every text: the whole
/// key (64 characters) made building that dictionary a fifth of a first build, and going
/// from 16 characters to 8 took another 9% off a first build's CPU (BENCHMARKS.md).
pub const KEY_TERM_CHARS: usize = 8;

/// The term a text's key (hex) is indexed and looked up by.
pub fn key_term(hex: &str) -> &str {
    let mut end = KEY_TERM_CHARS.min(hex.len());
    while !hex.is_char_boundary(end) {
        end -= 1;
    }
    &hex[..end]
}

/// Register heard's analyzers on an index (they are not stored in it).
pub fn register(index: &Index) {
    index.tokenizers().register(TEXT, text_analyzer());
    index.tokenizers().register(KEYWORD, keyword_analyzer());
    index.tokenizers().register(KEY, key_analyzer());
    index.tokenizers().register(
        PHRASES,
        TextAnalyzer::builder(WhitespaceTokenizer::default()).build(),
    );
}

/// The analyzer for prose: words split and long ones dropped, then each word's analyzed
/// form (see [`word_analyzer`]) taken from a per-thread memo.
pub fn text_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(MemoFilter)
        .build()
}

/// What becomes of one word: lower-cased, accents folded, one spelling, stemmed. Every step
/// looks at the word alone, so a word's analyzed form can be remembered.
fn word_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(SpellingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Most words a thread remembers before it forgets them all: a library's vocabulary is a
/// few thousand common words and a long tail of rare ones (about 5 MB at most).
const MEMO_WORDS: usize = 65_536;

/// A thread's memo of words and their analyzed forms (`None`: the word makes no term).
struct Memo {
    words: HashMap<Box<str>, Option<Box<str>>, BuildHasherDefault<FxHasher>>,
    analyzer: TextAnalyzer,
    /// Words analyzed in full (not found in the memo), for tests.
    misses: u64,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo {
        words: HashMap::default(),
        analyzer: word_analyzer(),
        misses: 0,
    });
}

impl Memo {
    /// Replace `word` by its analyzed form; false when it makes no term.
    fn analyse(&mut self, word: &mut String) -> bool {
        if let Some(form) = self.words.get(word.as_str()) {
            return match form {
                Some(f) => {
                    word.clear();
                    word.push_str(f);
                    true
                }
                None => false,
            };
        }
        self.misses += 1;
        let form: Option<Box<str>> = {
            let mut stream = self.analyzer.token_stream(word);
            stream
                .advance()
                .then(|| stream.token().text.as_str().into())
        };
        if self.words.len() >= MEMO_WORDS {
            self.words.clear();
        }
        self.words.insert(word.as_str().into(), form.clone());
        match form {
            Some(f) => {
                word.clear();
                word.push_str(&f);
                true
            }
            None => false,
        }
    }
}

/// Words analyzed in full on this thread so far (the memo's misses).
#[cfg(test)]
fn memo_misses() -> u64 {
    MEMO.with(|m| m.borrow().misses)
}

/// FxHash (as in rustc): the memo's keys are short words, and SipHash would cost more than
/// a lookup saves.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

/// Maps keyed by [`FxHasher`].
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A token filter giving each word its analyzed form, from the thread's memo.
#[derive(Clone, Copy, Debug)]
pub struct MemoFilter;

impl TokenFilter for MemoFilter {
    type Tokenizer<T: Tokenizer> = MemoTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MemoTokenizer<T> {
        MemoTokenizer(tokenizer)
    }
}

/// The tokenizer made by [`MemoFilter`].
#[derive(Clone, Debug)]
pub struct MemoTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for MemoTokenizer<T> {
    type TokenStream<'a> = MemoStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MemoStream(self.0.token_stream(text))
    }
}

/// The token stream made by [`MemoTokenizer`].
pub struct MemoStream<S>(S);

impl<S: TokenStream> TokenStream for MemoStream<S> {
    fn advance(&mut self) -> bool {
        while self.0.advance() {
            let word = &mut self.0.token_mut().text;
            if MEMO.with(|m| m.borrow_mut().analyse(word)) {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

/// The analyzer for a text's key: its first [`KEY_TERM_CHARS`] characters, as one term.
fn key_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(KeyTermFilter)
        .build()
}

/// A token filter keeping [`key_term`] of each token.
#[derive(Clone, Copy, Debug)]
struct KeyTermFilter;

impl TokenFilter for KeyTermFilter {
    type Tokenizer<T: Tokenizer> = KeyTermTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> KeyTermTokenizer<T> {
        KeyTermTokenizer(tokenizer)
    }
}

#[derive(Clone, Debug)]
struct KeyTermTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for KeyTermTokenizer<T> {
    type TokenStream<'a> = KeyTermStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        KeyTermStream(self.0.token_stream(text))
    }
}

struct KeyTermStream<S>(S);

impl<S: TokenStream> TokenStream for KeyTermStream<S> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let text = &mut self.0.token_mut().text;
        let len = key_term(text).len();
        text.truncate(len);
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

/// The analyzer for whole values such as tags.
pub fn keyword_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// A keyword (a tag, a kind) as [`keyword_analyzer`] indexes it.
pub fn keyword_term(value: &str) -> String {
    let mut analyzer = keyword_analyzer();
    let mut tokens = analyzer.token_stream(value);
    if tokens.advance() {
        tokens.token().text.clone()
    } else {
        String::new()
    }
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
    // A contiguous NFA, not the DFA the crate would choose: as fast on words this short,
    // and a tenth of the cost to build, which every `heard search` process pays.
    aho_corasick::AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
        .build(parts)
        .expect("spelling patterns")
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

    /// The analyzer as it was before the memo: every filter on every token.
    fn unmemoised() -> TextAnalyzer {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(48))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(SpellingFilter)
            .filter(Stemmer::new(Language::English))
            .build()
    }

    fn tokens(a: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
        out
    }

    #[test]
    fn memoised_and_unmemoised_analysis_give_the_same_tokens() {
        let text = "The Organisation's COUNSELLING centre (Café Naïve) re-housed 12 families; \
            evictions, Evictions and EVICTIONS! Behaviour/behavior, paediatric & pediatric, \
            travelled, judgement, defence, whilst, grey mould, programme, analysed, \
            catalogues, fibre, four hours of your time, ÆSIR straße ŁÓDŹ Ελληνικά 日本語, \
            x_y_z foo-bar don't won’t, nowhere-to-go, 2024-03-01, \
            supercalifragilisticexpialidocioussupercalifragilisticexpialidocious word";
        let want = tokens(&mut unmemoised(), text);
        assert!(want.len() > 50, "{want:?}");
        // Twice: the first pass fills the memo, the second only reads it.
        for _ in 0..2 {
            assert_eq!(tokens(&mut text_analyzer(), text), want);
        }
        // And the same again from another thread, with a memo of its own.
        let other = std::thread::spawn(move || tokens(&mut text_analyzer(), text))
            .join()
            .expect("thread");
        assert_eq!(other, want);
    }

    #[test]
    fn each_distinct_word_is_analyzed_once_per_thread() {
        std::thread::spawn(|| {
            let before = memo_misses();
            let text = "housing housing Housing HOUSING housed housing eviction housing";
            let n = tokens(&mut text_analyzer(), &vec![text; 50].join(" ")).len();
            assert_eq!(n, 400);
            // housing, Housing, HOUSING, housed, eviction.
            assert_eq!(memo_misses() - before, 5);
        })
        .join()
        .expect("thread");
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
