//! How the index's segments are merged, so that a merge's memory is bounded whatever the
//! size of the library.
//!
//! tantivy writes a new segment each time its writer's heap fills, and merges segments of a
//! similar size once there are several (its `LogMergePolicy`). A merge reads its segments
//! through memory maps, and every page it reads counts in the process's resident memory
//! until the merged segments are dropped. A first build commits once, at the end: every
//! segment it wrote is then of one size, so the log policy merged them all in one go, and at
//! a million sources that one merge read gigabytes (peak RSS 1,590 MB, BENCHMARKS.md).
//!
//! [`BoundedMerges`] chooses merges as the log policy does, then cuts each into merges of at
//! most [`MAX_MERGE_DOCS`] documents (deleted ones included: a merge reads them too), and a
//! segment of half that or more is not merged again until half of its documents have been
//! replaced, when it is rewritten alone to drop them. The writer runs one merge at a time
//! ([`MERGE_THREADS`]). The index of a large
//! library then has more segments (about one per `MAX_MERGE_DOCS / 2`–`MAX_MERGE_DOCS`
//! documents), which a search visits in turn.

use std::collections::HashMap;

use tantivy::index::{SegmentId, SegmentMeta};
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};

/// The most documents one merge reads: about 130 MB of index at the ~420 bytes a document
/// heard's index takes.
pub(crate) const MAX_MERGE_DOCS: u32 = 300_000;

/// Merges run one at a time, so that their memory does not add up.
pub(crate) const MERGE_THREADS: usize = 1;

/// tantivy's log merge policy with a bound on what one merge reads.
#[derive(Debug)]
pub(crate) struct BoundedMerges {
    log: LogMergePolicy,
    max_docs: u32,
}

impl BoundedMerges {
    /// Merges of at most `max_docs` documents.
    pub(crate) fn new(max_docs: u32) -> Self {
        let mut log = LogMergePolicy::default();
        // Two segments of half the bound or more would pass it: they stay as they are.
        log.set_max_docs_before_merge(max_docs as usize / 2);
        // A segment half of whose documents were replaced is merged, with its level, even
        // when the level has fewer segments than a merge usually waits for.
        log.set_del_docs_ratio_before_merge(0.5);
        BoundedMerges { log, max_docs }
    }
}

impl MergePolicy for BoundedMerges {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        // A merge reads deleted documents too: the bound is on every document a segment
        // holds, while the log policy chooses by those still alive.
        let meta: HashMap<SegmentId, &SegmentMeta> = segments.iter().map(|s| (s.id(), s)).collect();
        let mut merges = Vec::new();
        let mut keep = |group: Vec<SegmentId>| {
            let worn = |id: &SegmentId| {
                meta.get(id)
                    .is_some_and(|s| s.num_deleted_docs() >= s.max_doc() / 2)
            };
            // One segment is merged alone only to drop what was deleted from it; otherwise a
            // "merge" of one would only rewrite it.
            if group.len() >= 2 || group.first().is_some_and(worn) {
                merges.push(MergeCandidate(group));
            }
        };
        for MergeCandidate(ids) in self.log.compute_merge_candidates(segments) {
            let (mut group, mut total) = (Vec::new(), 0u32);
            for id in ids {
                let n = meta.get(&id).map_or(0, |s| s.max_doc());
                if !group.is_empty() && total.saturating_add(n) > self.max_docs {
                    keep(std::mem::take(&mut group));
                    total = 0;
                }
                group.push(id);
                total = total.saturating_add(n);
            }
            keep(group);
        }
        merges
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::Index;
    use tantivy::schema::{STRING, Schema};

    fn segments(sizes: &[u32]) -> Vec<SegmentMeta> {
        let mut schema = Schema::builder();
        schema.add_text_field("id", STRING);
        let index = Index::create_in_ram(schema.build());
        sizes
            .iter()
            .map(|&n| index.new_segment_meta(SegmentId::generate_random(), n))
            .collect()
    }

    #[test]
    fn a_first_builds_segments_are_merged_in_bounded_groups_not_all_at_once() {
        // A first build of a large library: a hundred segments of one size, committed at once.
        let segs = segments(&[80_000; 100]);
        let policy = BoundedMerges::new(300_000);
        let merges = policy.compute_merge_candidates(&segs);
        let unbounded = LogMergePolicy::default().compute_merge_candidates(&segs);
        assert_eq!(
            unbounded.len(),
            1,
            "tantivy's own policy merges them all together"
        );
        assert_eq!(unbounded[0].0.len(), 100);
        assert!(merges.len() >= 25, "{} merges", merges.len());
        for m in &merges {
            assert!(m.0.len() >= 2);
            assert!(
                m.0.len() as u32 * 80_000 <= 300_000,
                "{} segments",
                m.0.len()
            );
        }
        // Every segment but possibly one left over is merged.
        let merged: usize = merges.iter().map(|m| m.0.len()).sum();
        assert!(merged >= 99, "{merged} merged");
    }

    #[test]
    fn a_large_segment_whose_documents_were_mostly_replaced_is_merged_again() {
        // Edits delete a source's old documents; a segment counts only those still alive.
        let mut segs = segments(&[290_000; 3]);
        let worn: Vec<SegmentMeta> = segs
            .drain(..)
            .map(|s| s.with_delete_meta(200_000, 0))
            .collect();
        let merges = BoundedMerges::new(300_000).compute_merge_candidates(&worn);
        // Each is read whole, deleted documents too, so each is merged alone: the bound holds
        // and what was deleted is dropped.
        assert_eq!(
            merges.len(),
            3,
            "their deleted documents are never reclaimed: {merges:?}"
        );
        assert!(merges.iter().all(|m| m.0.len() == 1));
    }

    #[test]
    fn segments_of_half_the_bound_are_not_merged_again_and_small_ones_still_are() {
        let mut sizes = vec![200_000; 10];
        sizes.extend([500; 9]);
        let segs = segments(&sizes);
        let merges = BoundedMerges::new(300_000).compute_merge_candidates(&segs);
        assert_eq!(merges.len(), 1, "{merges:?}");
        assert_eq!(merges[0].0.len(), 9, "the nine small segments, together");
    }
}
