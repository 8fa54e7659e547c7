//! Near-duplicate recommendations: the same ask made in different sources and years.
//!
//! One similarity function, in one place: the content words of two asks, stemmed as the
//! index stems them, weighted by how rare each is among the recommendations compared (so
//! "should", "fund" and "people" count for little and "naloxone" for a lot), overlapped as a
//! weighted Dice coefficient. Two asks from different sources that score [`THRESHOLD`] or
//! more are the same ask; groups are the connected sets of such pairs. The threshold was
//! calibrated on the labelled pairs in `benches/relevance/rec-groups.toml` (see
//! EVALUATION.md); an embedding model can later replace [`Similarity::score`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::draft::relevance::{content_words, stems};

/// Two asks scoring this or more are the same ask (calibrated: EVALUATION.md).
pub const THRESHOLD: f64 = 0.45;

/// Pairs of asks scored by this process (`HEARD_DEBUG_PAIRS` prints it after `heard recs`):
/// a test's measure that grouping does not compare every pair.
static PAIRS_COMPARED: AtomicU64 = AtomicU64::new(0);

/// How many pairs of asks this process has scored to group them.
pub fn pairs_compared() -> u64 {
    PAIRS_COMPARED.load(Ordering::Relaxed)
}

/// A recommendation to be grouped.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its id.
    pub id: String,
    /// The id of its source (asks of one source are never grouped with each other).
    pub source: String,
    /// Its text.
    pub text: String,
}

/// Similarity between the asks of one collection.
#[derive(Debug)]
pub struct Similarity {
    /// Each text's stems, as numbers into `idf`, in ascending order: rarest first, since
    /// stems are numbered by how few texts use them (then alphabetically).
    stems: Vec<Vec<u32>>,
    /// Each stem's weight, by number.
    idf: Vec<f64>,
    /// Each text's weight: the sum of its stems'.
    weights: Vec<f64>,
}

impl Similarity {
    /// Prepare to compare the given texts with each other.
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Similarity {
        let words: Vec<Vec<String>> = texts
            .into_iter()
            .map(|t| stems(&content_words(t).join(" ")).into_iter().collect())
            .collect();
        let mut df: HashMap<&str, usize> = HashMap::new();
        for s in &words {
            for w in s {
                *df.entry(w.as_str()).or_default() += 1;
            }
        }
        // Rarest first, so that a text's rare stems come first in its list.
        let mut vocabulary: Vec<(&str, usize)> = df.into_iter().collect();
        vocabulary.sort_unstable_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)));
        let number: HashMap<&str, u32> = vocabulary
            .iter()
            .enumerate()
            .map(|(k, (w, _))| (*w, k as u32))
            .collect();
        let n = words.len().max(1) as f64;
        let idf: Vec<f64> = vocabulary
            .iter()
            .map(|&(_, d)| (1.0 + n / d as f64).ln())
            .collect();
        let stems: Vec<Vec<u32>> = words
            .iter()
            .map(|s| {
                let mut ids: Vec<u32> = s.iter().map(|w| number[w.as_str()]).collect();
                ids.sort_unstable();
                ids
            })
            .collect();
        let weights = stems
            .iter()
            .map(|s| s.iter().map(|&w| idf[w as usize]).sum())
            .collect();
        Similarity {
            stems,
            idf,
            weights,
        }
    }

    /// How alike texts `i` and `j` are, from 0 (nothing shared) to 1 (the same words).
    pub fn score(&self, i: usize, j: usize) -> f64 {
        let total = self.weights[i] + self.weights[j];
        if total == 0.0 {
            return 0.0;
        }
        let (a, b) = (&self.stems[i], &self.stems[j]);
        let (mut x, mut y, mut shared) = (0, 0, 0.0);
        while x < a.len() && y < b.len() {
            match a[x].cmp(&b[y]) {
                std::cmp::Ordering::Less => x += 1,
                std::cmp::Ordering::Greater => y += 1,
                std::cmp::Ordering::Equal => {
                    shared += self.idf[a[x] as usize];
                    x += 1;
                    y += 1;
                }
            }
        }
        2.0 * shared / total
    }

    /// How many of text `i`'s stems (rarest first) any text scoring `threshold` or more
    /// with it must share one of: the shortest head of its list whose tail weighs less
    /// than the least it must share.
    ///
    /// Why: a score of `t` needs shared ≥ t/2·(wᵢ + wⱼ), and shared ≤ wⱼ, so shared ≥
    /// t/(2−t)·wᵢ. If the first stem (in the global order) that two texts share lay in
    /// the tail of either, everything they share would, and weigh less than that: so it
    /// lies in the head of both. Comparing only texts whose heads meet finds every pair
    /// that scores `t` or more (each is then scored exactly). The bound is lowered by a
    /// millionth so that rounding can only make a head longer.
    fn head(&self, i: usize, threshold: f64) -> usize {
        let least = threshold / (2.0 - threshold) * self.weights[i] * (1.0 - 1e-6);
        let s = &self.stems[i];
        let (mut head, mut tail) = (s.len(), 0.0);
        while head > 0 && tail + self.idf[s[head - 1] as usize] < least {
            tail += self.idf[s[head - 1] as usize];
            head -= 1;
        }
        head
    }
}

/// Groups of the same ask: indices into `members`, each group of two or more, in the
/// order of their first member; members of one source are only joined through others.
pub fn groups(members: &[Member]) -> Vec<Vec<usize>> {
    groups_at(members, THRESHOLD)
}

/// [`groups`] with another threshold (for calibration).
///
/// Only the pairs that can score `threshold` are compared (see `Similarity::head`): those
/// sharing a stem among the rarest of both, found from a list of the texts whose heads
/// hold each stem. Unrelated asks share none, so the pairs compared grow with the pairs of
/// the same or nearly the same ask, not with the square of the asks. The groups are the
/// same as comparing every pair would make: every pair scoring `threshold` is compared.
pub fn groups_at(members: &[Member], threshold: f64) -> Vec<Vec<usize>> {
    let sim = Similarity::new(members.iter().map(|m| m.text.as_str()));
    // Sources by number: a pair's sources are compared for every pair looked at.
    let mut numbers: HashMap<&str, u32> = HashMap::new();
    let source: Vec<u32> = members
        .iter()
        .map(|m| {
            let next = numbers.len() as u32;
            *numbers.entry(m.source.as_str()).or_insert(next)
        })
        .collect();
    let mut parent: Vec<usize> = (0..members.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut join = |i: usize, j: usize| {
        if source[i] == source[j] {
            return;
        }
        // Two asks already in one group stay in it whatever their score: not scored.
        let (a, b) = (root(&mut parent, i), root(&mut parent, j));
        if a == b {
            return;
        }
        PAIRS_COMPARED.fetch_add(1, Ordering::Relaxed);
        if sim.score(i, j) >= threshold {
            parent[a.max(b)] = a.min(b);
        }
    };
    if threshold > 0.0 && threshold < 2.0 {
        // The texts whose heads hold each stem, and the last text each was a candidate for.
        let mut holding: Vec<Vec<u32>> = vec![Vec::new(); sim.idf.len()];
        let mut seen_by = vec![usize::MAX; members.len()];
        let mut candidates = Vec::new();
        for j in 0..members.len() {
            for &w in &sim.stems[j][..sim.head(j, threshold)] {
                for &i in &holding[w as usize] {
                    if seen_by[i as usize] != j {
                        seen_by[i as usize] = j;
                        candidates.push(i as usize);
                    }
                }
                holding[w as usize].push(j as u32);
            }
            candidates.sort_unstable();
            for i in candidates.drain(..) {
                join(i, j);
            }
        }
    } else {
        // No bound to use (a threshold of 0 or less joins texts that share nothing).
        for i in 0..members.len() {
            for j in i + 1..members.len() {
                join(i, j);
            }
        }
    }
    let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..members.len() {
        let r = root(&mut parent, i);
        by_root.entry(r).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = by_root.into_values().filter(|g| g.len() > 1).collect();
    out.sort_by_key(|g| g[0]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, source: &str, text: &str) -> Member {
        Member {
            id: id.into(),
            source: source.into(),
            text: text.into(),
        }
    }

    #[test]
    fn the_same_ask_in_other_words_groups_and_a_different_setting_does_not() {
        let members = [
            m("a", "s1", "Releases from prison on Fridays should end."),
            m(
                "b",
                "s2",
                "End Friday releases from prison, unless the person asks for one.",
            ),
            m(
                "c",
                "s3",
                "Hospital discharges on Friday afternoons should end for homeless patients.",
            ),
            m(
                "d",
                "s3",
                "Offer naloxone to everyone released after a period of abstinence.",
            ),
            m("e", "s4", "Publish quarterly data on outcomes."),
        ];
        assert_eq!(groups(&members), vec![vec![0, 1]]);
    }

    #[test]
    fn asks_of_one_source_are_not_grouped_with_each_other() {
        let members = [
            m("a", "s1", "Fund the gate meeting service permanently."),
            m("b", "s1", "Fund the gate meeting service permanently."),
        ];
        assert!(groups(&members).is_empty());
    }

    /// Groups made by comparing every pair of asks from different sources.
    fn every_pair(members: &[Member], threshold: f64) -> Vec<Vec<usize>> {
        let sim = Similarity::new(members.iter().map(|m| m.text.as_str()));
        let mut group: Vec<usize> = (0..members.len()).collect();
        for i in 0..members.len() {
            for j in i + 1..members.len() {
                if members[i].source != members[j].source && sim.score(i, j) >= threshold {
                    let (a, b) = (group[i], group[j]);
                    for g in group.iter_mut().filter(|g| **g == a || **g == b) {
                        *g = a.min(b);
                    }
                }
            }
        }
        let mut out: Vec<Vec<usize>> = Vec::new();
        for g in 0..members.len() {
            let members: Vec<usize> = (0..members.len()).filter(|&i| group[i] == g).collect();
            if members.len() > 1 {
                out.push(members);
            }
        }
        out.sort_by_key(|g| g[0]);
        out
    }

    #[test]
    fn comparing_only_pairs_that_share_a_rare_stem_makes_the_groups_every_pair_makes() {
        // Asks of a few made-up words each, some words far commoner than others, so that
        // pairs score all along the scale.
        const SYLLABLES: [&str; 10] = [
            "bar", "cel", "dom", "fen", "gar", "hol", "jun", "kel", "lom", "mar",
        ];
        let words: Vec<String> = (0..200)
            .map(|i| format!("{}{}ton", SYLLABLES[i % 10], SYLLABLES[i / 10 % 10]))
            .collect();
        let mut state: u64 = 42;
        let mut next = |below: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % below
        };
        let members: Vec<Member> = (0..400)
            .map(|k| {
                let len = 3 + next(6);
                let text: Vec<&str> = (0..len)
                    .map(|_| {
                        let below = next(words.len()) + 1;
                        words[next(below)].as_str()
                    })
                    .collect();
                m(
                    &format!("r{k}"),
                    &format!("s{}", next(150)),
                    &text.join(" "),
                )
            })
            .collect();
        for t in [0.0, 0.2, 0.3, 0.45, 0.5, 0.7, 0.9, 1.0, 1.5] {
            assert_eq!(
                groups_at(&members, t),
                every_pair(&members, t),
                "threshold {t}"
            );
        }
        // Not a trivial case: many groups at the threshold, none of every ask.
        let g = groups(&members);
        assert!(g.len() > 10 && g.iter().all(|g| g.len() < 100), "{g:?}");
    }
}
