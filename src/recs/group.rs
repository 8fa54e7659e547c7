//! Near-duplicate recommendations: the same ask made in different sources and years.
//!
//! One similarity function, in one place: the content words of two asks, stemmed as the
//! index stems them, weighted by how rare each is among the recommendations compared (so
//! "should", "fund" and "people" count for little and "naloxone" for a lot), overlapped as a
//! weighted Dice coefficient. Two asks from different sources that score [`THRESHOLD`] or
//! more are the same ask; groups are the connected sets of such pairs. The threshold was
//! calibrated on the labelled pairs in `benches/relevance/rec-groups.toml` (see
//! EVALUATION.md); an embedding model can later replace [`Similarity::score`].

use std::collections::{HashMap, HashSet};

use crate::draft::relevance::{content_words, stems};

/// Two asks scoring this or more are the same ask (calibrated: EVALUATION.md).
pub const THRESHOLD: f64 = 0.45;

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
    stems: Vec<HashSet<String>>,
    idf: HashMap<String, f64>,
}

impl Similarity {
    /// Prepare to compare the given texts with each other.
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Similarity {
        let stems: Vec<HashSet<String>> = texts
            .into_iter()
            .map(|t| stems(&content_words(t).join(" ")))
            .collect();
        let mut df: HashMap<String, usize> = HashMap::new();
        for s in &stems {
            for w in s {
                *df.entry(w.clone()).or_default() += 1;
            }
        }
        let n = stems.len().max(1) as f64;
        let idf = df
            .into_iter()
            .map(|(w, d)| (w, (1.0 + n / d as f64).ln()))
            .collect();
        Similarity { stems, idf }
    }

    fn weight(&self, set: &HashSet<String>) -> f64 {
        set.iter()
            .map(|w| self.idf.get(w).copied().unwrap_or(0.0))
            .sum()
    }

    /// How alike texts `i` and `j` are, from 0 (nothing shared) to 1 (the same words).
    pub fn score(&self, i: usize, j: usize) -> f64 {
        let (a, b) = (&self.stems[i], &self.stems[j]);
        let total = self.weight(a) + self.weight(b);
        if total == 0.0 {
            return 0.0;
        }
        let shared: f64 = a
            .intersection(b)
            .map(|w| self.idf.get(w).copied().unwrap_or(0.0))
            .sum();
        2.0 * shared / total
    }
}

/// Groups of the same ask: indices into `members`, each group of two or more, in the
/// order of their first member; members of one source are only joined through others.
pub fn groups(members: &[Member]) -> Vec<Vec<usize>> {
    groups_at(members, THRESHOLD)
}

/// [`groups`] with another threshold (for calibration).
pub fn groups_at(members: &[Member], threshold: f64) -> Vec<Vec<usize>> {
    let sim = Similarity::new(members.iter().map(|m| m.text.as_str()));
    let mut parent: Vec<usize> = (0..members.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..members.len() {
        for j in i + 1..members.len() {
            if members[i].source != members[j].source && sim.score(i, j) >= threshold {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
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
}
