//! Whether two imported documents hold the same text: the Word file and the PDF of one
//! report, or a web page saved twice. Each document keeps a MinHash signature of its
//! five-word shingles (Broder, 1997), so a new document is compared with every earlier one
//! without reading them again; the share of equal slots estimates the Jaccard similarity of
//! the two shingle sets.

use serde::{Deserialize, Serialize};

/// Slots in a signature: the estimate's standard error is about 1/√64 ≈ 0.06.
const SLOTS: usize = 64;
/// Words in a shingle.
const SHINGLE: usize = 5;
/// Fewer shingles than this and the estimate means little: such documents are not compared.
const MIN_SHINGLES: usize = 40;
/// Documents at least this alike are the same document (two conversions of one report
/// share well over 90% of their shingles; two reports of one organisation, a few percent).
pub const SAME: f64 = 0.8;

/// A document's MinHash signature.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Likeness(Vec<u64>);

impl Likeness {
    /// The signature of a Markdown body, or `None` when it is too short to compare.
    pub fn of(markdown: &str) -> Option<Likeness> {
        let words: Vec<String> = markdown
            .lines()
            // Page marks of paged originals are heard's, not the document's.
            .filter(|l| !l.trim_start().starts_with("<!--"))
            .flat_map(|l| l.split(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        if words.len() < SHINGLE + MIN_SHINGLES {
            return None;
        }
        let mut slots = [u64::MAX; SLOTS];
        for shingle in words.windows(SHINGLE) {
            let h = blake3::hash(shingle.join(" ").as_bytes());
            let base = u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"));
            for (i, slot) in slots.iter_mut().enumerate() {
                let v = mix(base ^ SEEDS[i % SEEDS.len()].wrapping_mul(i as u64 + 1));
                if v < *slot {
                    *slot = v;
                }
            }
        }
        Some(Likeness(slots.to_vec()))
    }

    /// Estimated share of shingles the two documents have in common (0 to 1); 0 when either
    /// signature is not a full one (an old or damaged manifest entry).
    pub fn similarity(&self, other: &Likeness) -> f64 {
        if self.0.len() != SLOTS || other.0.len() != SLOTS {
            return 0.0;
        }
        let same = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        same as f64 / SLOTS as f64
    }

    /// Whether this signature is empty (nothing recorded).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

const SEEDS: [u64; 4] = [
    0x9E37_79B9_7F4A_7C15,
    0xC2B2_AE3D_27D4_EB4F,
    0x1656_67B1_9E37_79F9,
    0x85EB_CA77_C2B2_AE63,
];

/// SplitMix64's finaliser: a fixed, well-mixed permutation of 64-bit values.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` sentences of made-up words, different for each seed and sentence.
    fn text(seed: &str, n: usize) -> String {
        (0..n)
            .map(|i| {
                let h = blake3::hash(format!("{seed}{i}").as_bytes());
                let words: Vec<String> = h.as_bytes()[..10]
                    .iter()
                    .map(|b| format!("w{b}{}", b % 7))
                    .collect();
                format!("Item {i}: {}.", words.join(" "))
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    #[test]
    fn two_conversions_of_one_document_are_the_same_and_two_documents_are_not() {
        let report = text("housing", 60);
        // The PDF's conversion: other line breaks, curly quotes, a page mark, a heading.
        let converted = format!(
            "# The report\n\n<!-- page 2 -->\n{}",
            report.replace(": ", ":\n").replace("Item", "ITEM")
        );
        let a = Likeness::of(&report).unwrap();
        let b = Likeness::of(&converted).unwrap();
        assert!(a.similarity(&b) >= SAME, "{}", a.similarity(&b));
        let other = Likeness::of(&text("health", 60)).unwrap();
        assert!(a.similarity(&other) < 0.3, "{}", a.similarity(&other));
    }

    #[test]
    fn a_document_that_grew_by_a_tenth_is_still_the_same_but_half_of_one_is_not() {
        let base = text("justice", 100);
        let grown = format!("{base}\n\n{}", text("appendix", 10));
        let half = text("justice", 50);
        let a = Likeness::of(&base).unwrap();
        assert!(a.similarity(&Likeness::of(&grown).unwrap()) >= SAME);
        assert!(a.similarity(&Likeness::of(&half).unwrap()) < SAME);
    }

    #[test]
    fn short_texts_are_not_compared() {
        assert!(Likeness::of("A short note of a few words.").is_none());
        assert_eq!(Likeness::default().similarity(&Likeness::default()), 0.0);
    }
}
