//! Documents on their way to the index writer's threads, and a bound on how many wait.
//!
//! tantivy's writer queues up to 10,000 batches for its threads, and heard sends a source's
//! documents as one batch (so that they land in one segment): up to 10,000 sources, about
//! 87,000 documents and 150 MB, wait there whenever files are read faster than they are
//! indexed (a library in the page cache). That made a first build's peak memory depend on
//! how fast the disk was: 390 MB at a million sources read from disk, 530 MB read from
//! memory. Each document now carries a ticket, given back when the writer's thread has
//! indexed it and drops it, and a source is only sent once fewer than [`LIMIT`] documents
//! wait.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tantivy::TantivyDocument;
use tantivy::schema::document::Document;

/// Most documents that wait for the writer's threads (about 2 KB each, some 2,000 sources):
/// enough to keep them busy while the next files are read.
pub(crate) const LIMIT: usize = 16_384;

/// How long a sender waits without one document being indexed before it sends anyway.
const STALL: Duration = Duration::from_secs(5);

/// How many documents wait, shared by the sender and the writer's threads.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    waiting: Mutex<usize>,
    fewer: Condvar,
}

impl InFlight {
    /// Wait until `n` more documents can be sent without more than [`LIMIT`] waiting (or
    /// none wait: a source of more documents than that still goes). Each is counted when
    /// it is made a [`Queued`].
    ///
    /// If none is indexed for [`STALL`], the writer's threads may have stopped (a full
    /// disk): the documents are sent anyway, and the writer says what went wrong rather
    /// than the refresh waiting for ever.
    pub(crate) fn admit(&self, n: usize) {
        self.admit_within(n, STALL);
    }

    fn admit_within(&self, n: usize, stall: Duration) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let mut fewest = *waiting;
        let mut since = Instant::now();
        while *waiting > 0 && *waiting + n > LIMIT {
            let Some(left) = stall.checked_sub(since.elapsed()) else {
                return;
            };
            waiting = self
                .fewer
                .wait_timeout(waiting, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if *waiting < fewest {
                fewest = *waiting;
                since = Instant::now();
            }
        }
    }

    fn add(&self) {
        *self.waiting.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    }

    /// Documents counted and not yet indexed.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        *self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn done(&self) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        *waiting = waiting.saturating_sub(1);
        self.fewer.notify_one();
    }
}

/// A document with its ticket; indexed as the document it holds.
pub(crate) struct Queued {
    doc: TantivyDocument,
    _ticket: Ticket,
}

impl Queued {
    /// `doc`, counted in `in_flight` until it is dropped (see [`InFlight::admit`]).
    pub(crate) fn new(doc: TantivyDocument, in_flight: &Arc<InFlight>) -> Queued {
        in_flight.add();
        Queued {
            doc,
            _ticket: Ticket(Arc::clone(in_flight)),
        }
    }
}

struct Ticket(Arc<InFlight>);

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.done();
    }
}

impl Document for Queued {
    type Value<'a> = <TantivyDocument as Document>::Value<'a>;
    type FieldsValuesIter<'a> = <TantivyDocument as Document>::FieldsValuesIter<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        self.doc.iter_fields_and_values()
    }

    fn into_tantivy_document(self) -> TantivyDocument {
        self.doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_waits_while_too_many_documents_wait_and_goes_on_when_they_are_indexed() {
        let in_flight = Arc::new(InFlight::default());
        let mut queued: Vec<Queued> = (0..LIMIT - 1)
            .map(|_| Queued::new(TantivyDocument::default(), &in_flight))
            .collect();
        let (tx, rx) = std::sync::mpsc::channel();
        let sender = {
            let in_flight = Arc::clone(&in_flight);
            std::thread::spawn(move || {
                in_flight.admit(2);
                let two: Vec<Queued> = (0..2)
                    .map(|_| Queued::new(TantivyDocument::default(), &in_flight))
                    .collect();
                tx.send(two).unwrap();
            })
        };
        assert!(
            rx.recv_timeout(Duration::from_millis(200)).is_err(),
            "two more would make more than the limit wait"
        );
        // The writer's thread indexes one and drops it.
        queued.pop();
        let two = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("the sender goes on once one is indexed");
        sender.join().unwrap();
        assert_eq!(in_flight.waiting(), LIMIT);
        drop(queued);
        assert_eq!(in_flight.waiting(), 2);
        drop(two);
        assert_eq!(in_flight.waiting(), 0);
    }

    #[test]
    fn a_source_larger_than_the_limit_is_still_sent() {
        let in_flight = Arc::new(InFlight::default());
        in_flight.admit(LIMIT * 2);
        let many: Vec<Queued> = (0..LIMIT * 2)
            .map(|_| Queued::new(TantivyDocument::new(), &in_flight))
            .collect();
        assert_eq!(in_flight.waiting(), LIMIT * 2);
        drop(many);
        assert_eq!(in_flight.waiting(), 0);
    }

    #[test]
    fn a_sender_whose_documents_are_never_indexed_goes_on_after_a_while() {
        let in_flight = Arc::new(InFlight::default());
        let stuck: Vec<Queued> = (0..LIMIT)
            .map(|_| Queued::new(TantivyDocument::default(), &in_flight))
            .collect();
        let started = Instant::now();
        in_flight.admit_within(1, Duration::from_millis(300));
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(stuck);
    }
}
