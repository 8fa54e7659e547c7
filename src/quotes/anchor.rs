//! Anchoring a quote in the plain text of its source, the way the W3C Web Annotation model
//! and the Hypothesis client do it: the exact text, 32 characters of context either side,
//! and offsets as a hint.
//!
//! When the source changes, [`resolve`] finds the quote again: the stored position if the
//! text there is unchanged; else the exact text elsewhere (scored by its context, so a
//! repeated phrase is not mis-anchored); else an approximate match allowing up to
//! min(256, length / 2) edits, which marks the quote `drifted` for a person to look at;
//! else it is `orphaned`.
//!
//! Matching ignores the differences a person cannot see or type reliably: curly versus
//! straight quotes, dashes, the ellipsis character, and runs of whitespace.

use serde::{Deserialize, Serialize};

/// Characters of context kept either side of a quote.
pub const CONTEXT_CHARS: usize = 32;

/// Where a quote sits in its source's plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Anchor {
    /// The quoted words, exactly as they are in the source.
    pub exact: String,
    /// Up to 32 characters before the quote.
    pub prefix: String,
    /// Up to 32 characters after the quote.
    pub suffix: String,
    /// Byte offset of the start in the source's plain text (a hint).
    pub start: usize,
    /// Byte offset of the end in the source's plain text (a hint).
    pub end: usize,
}

/// How well a quote still fits its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnchorState {
    /// Found where it was.
    Ok,
    /// Found word for word, elsewhere in the source.
    Moved,
    /// Only an approximate match: the quoted words changed. A person must look.
    Drifted,
    /// Not found at all.
    Orphaned,
}

impl AnchorState {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AnchorState::Ok => "ok",
            AnchorState::Moved => "moved",
            AnchorState::Drifted => "drifted",
            AnchorState::Orphaned => "orphaned",
        }
    }

    /// Whether the quoted words are still in the source word for word.
    pub fn is_valid(self) -> bool {
        matches!(self, AnchorState::Ok | AnchorState::Moved)
    }
}

/// A quote found again in its source.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// How it was found.
    pub state: AnchorState,
    /// Where it is now (byte range of the source's plain text); `None` when orphaned.
    pub range: Option<(usize, usize)>,
    /// The best match's similarity to the quote, 0–1.
    pub similarity: f64,
}

/// Text normalised for matching, with the byte offset in the original of each of its bytes.
pub struct Normalized {
    /// The normalised text.
    pub text: String,
    /// `map[i]` is the original byte offset of normalised byte `i`; one extra entry at the
    /// end maps the end of the text.
    pub map: Vec<usize>,
}

/// Normalise typographic variants and whitespace, keeping a map back to the original.
pub fn normalize(original: &str) -> Normalized {
    let mut text = String::with_capacity(original.len());
    let mut map = Vec::with_capacity(original.len() + 1);
    let mut push = |text: &mut String, s: &str, at: usize| {
        for _ in 0..s.len() {
            map.push(at);
        }
        text.push_str(s);
    };
    for (at, c) in original.char_indices() {
        let mut buf = [0u8; 4];
        let s: &str = match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' => "'",
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '«' | '»' => "\"",
            '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
            '\u{2026}' => "...",
            '\u{00AD}' | '\u{200B}' => "",
            c if c.is_whitespace() => {
                if text.is_empty() || text.ends_with(' ') {
                    ""
                } else {
                    " "
                }
            }
            c => c.encode_utf8(&mut buf),
        };
        push(&mut text, s, at);
    }
    map.push(original.len());
    Normalized { text, map }
}

/// Normalise a quote typed by a person: as [`normalize`], trimmed, without quotation marks
/// around the whole of it.
pub fn normalize_typed(quote: &str) -> String {
    let n = normalize(quote.trim()).text;
    let t = n.trim();
    let t = t
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(t);
    t.trim().to_string()
}

/// Make an anchor for the byte range `start..end` of `text`.
pub fn anchor_at(text: &str, start: usize, end: usize) -> Anchor {
    let before = &text[..start];
    let after = &text[end..];
    let prefix_start = before
        .char_indices()
        .rev()
        .nth(CONTEXT_CHARS - 1)
        .map_or(0, |(i, _)| i);
    let suffix_end = after
        .char_indices()
        .nth(CONTEXT_CHARS)
        .map_or(after.len(), |(i, _)| i);
    Anchor {
        exact: text[start..end].to_string(),
        prefix: before[prefix_start..].to_string(),
        suffix: after[..suffix_end].to_string(),
        start,
        end,
    }
}

/// Every place where `quote` (as typed) occurs word for word in `text`, as byte ranges of
/// `text`.
pub fn find_exact(text: &str, quote: &str) -> Vec<(usize, usize)> {
    let nt = normalize(text);
    let nq = normalize_typed(quote);
    if nq.is_empty() {
        return Vec::new();
    }
    nt.text
        .match_indices(nq.as_str())
        .map(|(i, m)| (nt.map[i], end_offset(&nt, i + m.len())))
        .collect()
}

/// The original offset just after normalised byte `j - 1`.
fn end_offset(nt: &Normalized, j: usize) -> usize {
    if j == 0 {
        return nt.map[0];
    }
    // The original character that produced normalised byte j-1 ends where the next
    // original character starts.
    let last = nt.map[j - 1];
    nt.map[j..]
        .iter()
        .copied()
        .find(|&o| o > last)
        .unwrap_or(*nt.map.last().unwrap_or(&0))
}

/// The closest approximate match of `quote` in `text`, if any is within
/// min(256, length / 2) edits: its byte range and similarity.
pub fn closest(text: &str, quote: &str) -> Option<((usize, usize), f64)> {
    let nt = normalize(text);
    let nq: Vec<char> = normalize_typed(quote).chars().collect();
    let candidates = approximate(&nt, &nq, None);
    candidates.into_iter().max_by(|a, b| a.1.total_cmp(&b.1))
}

/// Find an anchor again in (possibly edited) `text`.
pub fn resolve(anchor: &Anchor, text: &str) -> Resolved {
    if text.get(anchor.start..anchor.end) == Some(anchor.exact.as_str()) {
        return Resolved {
            state: AnchorState::Ok,
            range: Some((anchor.start, anchor.end)),
            similarity: 1.0,
        };
    }
    let score = |(s, e): (usize, usize), similarity: f64| {
        let prefix_sim = similarity_of(&context_before(text, s), &anchor.prefix);
        let suffix_sim = similarity_of(&context_after(text, e), &anchor.suffix);
        let distance = (s as f64 - anchor.start as f64).abs();
        let closeness = 1.0 - (distance / text.len().max(1) as f64).min(1.0);
        50.0 * similarity + 20.0 * prefix_sim + 20.0 * suffix_sim + 2.0 * closeness
    };
    let exact = find_exact(text, &anchor.exact);
    if let Some(&best) = exact
        .iter()
        .max_by(|&&a, &&b| score(a, 1.0).total_cmp(&score(b, 1.0)))
    {
        let state = if best == (anchor.start, anchor.end) {
            AnchorState::Ok
        } else {
            AnchorState::Moved
        };
        return Resolved {
            state,
            range: Some(best),
            similarity: 1.0,
        };
    }
    let nt = normalize(text);
    let nq: Vec<char> = normalize_typed(&anchor.exact).chars().collect();
    let candidates = approximate(&nt, &nq, Some(anchor.start));
    match candidates
        .into_iter()
        .max_by(|a, b| score(a.0, a.1).total_cmp(&score(b.0, b.1)))
    {
        Some((range, similarity)) => Resolved {
            state: AnchorState::Drifted,
            range: Some(whole_words(text, range)),
            similarity,
        },
        None => Resolved {
            state: AnchorState::Orphaned,
            range: None,
            similarity: 0.0,
        },
    }
}

/// Widen a byte range of `text` to whole words, so a changed word shows whole.
fn whole_words(text: &str, (mut s, mut e): (usize, usize)) -> (usize, usize) {
    while let Some(c) = text[..s]
        .chars()
        .next_back()
        .filter(|c| c.is_alphanumeric())
    {
        s -= c.len_utf8();
    }
    while let Some(c) = text[e..].chars().next().filter(|c| c.is_alphanumeric()) {
        e += c.len_utf8();
    }
    (s, e)
}

fn context_before(text: &str, start: usize) -> String {
    let before = &text[..start];
    let chars: Vec<char> = before.chars().rev().take(CONTEXT_CHARS).collect();
    chars.into_iter().rev().collect()
}

fn context_after(text: &str, end: usize) -> String {
    text[end..].chars().take(CONTEXT_CHARS).collect()
}

/// 1 − edit distance / length, on normalised text.
pub fn similarity_of(a: &str, b: &str) -> f64 {
    let a: Vec<char> = normalize(a).text.chars().collect();
    let b: Vec<char> = normalize(b).text.chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    1.0 - levenshtein(&a, &b) as f64 / longest as f64
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Largest text × quote size searched in one go (cells of the edit-distance table).
const MAX_CELLS: usize = 60_000_000;

/// Approximate matches of `q` in `nt` within min(256, |q| / 2) edits, as original byte
/// ranges with their similarity. Searches near `hint` first on long texts.
fn approximate(nt: &Normalized, q: &[char], hint: Option<usize>) -> Vec<((usize, usize), f64)> {
    let m = q.len();
    if m == 0 {
        return Vec::new();
    }
    let k = (m / 2).min(256);
    let chars: Vec<(usize, char)> = nt.text.char_indices().collect();
    let n = chars.len();
    // On a long text, look in a window around the old position before giving up.
    let windows: Vec<(usize, usize)> = if n * m <= MAX_CELLS {
        vec![(0, n)]
    } else {
        let Some(hint) = hint else { return Vec::new() };
        let at = chars.partition_point(|&(b, _)| nt.map[b] < hint);
        let reach = (MAX_CELLS / m / 2).max(m + k);
        vec![(at.saturating_sub(reach), (at + reach).min(n))]
    };
    let mut out = Vec::new();
    for (lo, hi) in windows {
        let t: Vec<char> = chars[lo..hi].iter().map(|&(_, c)| c).collect();
        let ends = sellers(q, &t);
        // Local minima within the error budget, best first.
        let mut minima: Vec<(usize, usize)> = (1..=t.len())
            .filter(|&j| {
                ends[j] <= k && ends[j] <= ends[j - 1] && (j == t.len() || ends[j] <= ends[j + 1])
            })
            .map(|j| (ends[j], j))
            .collect();
        minima.sort();
        // One candidate per place: drop ends within half a quote of a better one.
        let mut kept: Vec<(usize, usize)> = Vec::new();
        for (d, j) in minima {
            if kept.iter().all(|&(_, kj)| kj.abs_diff(j) > m / 2) {
                kept.push((d, j));
            }
            if kept.len() == 8 {
                break;
            }
        }
        let minima = kept;
        for (dist, j) in minima {
            // Find where the best match ending at j starts: match the reversed quote
            // against the reversed text before j.
            let from = j.saturating_sub(m + k);
            let rt: Vec<char> = t[from..j].iter().rev().copied().collect();
            let rq: Vec<char> = q.iter().rev().copied().collect();
            let rends = sellers(&rq, &rt);
            let best_len = (1..=rt.len())
                .filter(|&l| rends[l] == dist)
                .min_by_key(|&l| l.abs_diff(m))
                .unwrap_or(m.min(rt.len()));
            let s = lo + j - best_len;
            let e = lo + j;
            let start = nt.map[chars[s].0];
            let end = if e >= n {
                *nt.map.last().unwrap_or(&0)
            } else {
                nt.map[chars[e].0]
            };
            // Do not count a trailing space of the match.
            let similarity = 1.0 - dist as f64 / m as f64;
            out.push(((start, end), similarity));
        }
    }
    out
}

/// Sellers' algorithm: for each end position j of `t`, the least edit distance between
/// `q` and any substring of `t` ending at j.
fn sellers(q: &[char], t: &[char]) -> Vec<usize> {
    let m = q.len();
    let mut col: Vec<usize> = (0..=m).collect();
    let mut ends = Vec::with_capacity(t.len() + 1);
    ends.push(m);
    for &tc in t {
        let mut diag = col[0];
        col[0] = 0;
        for i in 1..=m {
            let up = col[i];
            let v = (diag + usize::from(q[i - 1] != tc))
                .min(up + 1)
                .min(col[i - 1] + 1);
            diag = up;
            col[i] = v;
        }
        ends.push(col[m]);
    }
    ends
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TEXT: &str = "I rang three times that week. Each time I had to start from the beginning. \
                        The worker at the drop-in listened. I rang three times that week, again.";

    #[test]
    fn typographic_differences_do_not_matter() {
        let text = "She said: “I’m not going back” – and she didn’t.";
        assert_eq!(find_exact(text, "\"I'm not going back\" - and").len(), 1);
        let (s, e) = find_exact(text, "I'm not going back")[0];
        assert_eq!(&text[s..e], "I’m not going back");
    }

    #[test]
    fn a_repeated_phrase_is_anchored_by_its_context() {
        let second = TEXT.rfind("I rang three times").unwrap();
        let a = anchor_at(TEXT, second, second + "I rang three times".len());
        let edited = format!("Preface. {TEXT}");
        let r = resolve(&a, &edited);
        assert_eq!(r.state, AnchorState::Moved);
        assert_eq!(r.range.unwrap().0, second + "Preface. ".len());
    }

    #[test]
    fn changed_words_drift_and_vanished_words_orphan() {
        let s = TEXT.find("The worker").unwrap();
        let a = anchor_at(TEXT, s, s + "The worker at the drop-in listened.".len());
        let drifted = TEXT.replace("drop-in listened", "drop-in really listened");
        assert_eq!(resolve(&a, &drifted).state, AnchorState::Drifted);
        let gone = TEXT.replace("The worker at the drop-in listened.", "");
        assert_eq!(resolve(&a, &gone).state, AnchorState::Orphaned);
    }

    fn words() -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec("[a-z]{2,8}", 40..120)
    }

    proptest! {
        /// Edits outside a quote never lose it or change its words.
        #[test]
        fn edits_elsewhere_keep_the_quote(
            ws in words(),
            qs in 0usize..30, ql in 3usize..8,
            edits in prop::collection::vec((0usize..200, "[a-z ]{0,12}", 0usize..10), 1..6),
        ) {
            let text = ws.join(" ");
            let qs = qs.min(ws.len() - ql);
            let start: usize = ws[..qs].iter().map(|w| w.len() + 1).sum();
            let end = start + ws[qs..qs + ql].join(" ").len();
            let a = anchor_at(&text, start, end);
            // Apply edits outside the quote, tracking where it moves.
            let mut edited = text.clone();
            let (mut s, mut e) = (start, end);
            for (pos, insert, delete) in edits {
                let pos = pos % (edited.len() + 1);
                if pos >= s && pos <= e { continue; }
                let del_end = (pos + delete).min(edited.len());
                if pos < s && del_end > s { continue; }
                edited.replace_range(pos..del_end, &insert);
                if pos < s {
                    let shift = insert.len() as isize - (del_end - pos) as isize;
                    s = (s as isize + shift) as usize;
                    e = (e as isize + shift) as usize;
                }
            }
            prop_assert_eq!(&edited[s..e], a.exact.as_str());
            let r = resolve(&a, &edited);
            prop_assert!(r.state.is_valid(), "{:?}", r);
            let (rs, re) = r.range.unwrap();
            prop_assert_eq!(&edited[rs..re], a.exact.as_str());
        }

        /// Changing one word inside a quote of several words makes it drift, never pass as valid.
        #[test]
        fn a_changed_word_inside_drifts(ws in words(), qs in 0usize..30, ql in 4usize..8, wi in 0usize..8) {
            let text = ws.join(" ");
            let qs = qs.min(ws.len() - ql);
            let start: usize = ws[..qs].iter().map(|w| w.len() + 1).sum();
            let end = start + ws[qs..qs + ql].join(" ").len();
            let a = anchor_at(&text, start, end);
            let mut ws2 = ws.clone();
            ws2[qs + wi % ql] = "zzzzq".into();
            let edited = ws2.join(" ");
            let r = resolve(&a, &edited);
            if edited.contains(&a.exact) {
                prop_assert!(r.state.is_valid());
            } else {
                prop_assert_eq!(r.state, AnchorState::Drifted);
            }
        }
    }
}
