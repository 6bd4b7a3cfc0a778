//! The recorder's buffer: a fixed run of records filled through a cursor.
//!
//! A traced step appends one or two records, so the append is the hot path
//! of tracing. `Vec::push` behind a `RefCell` costs a borrow flag, a
//! capacity check and a grow path on every record; this buffer knows its
//! room up front (at least [`FLUSH_AT`] records) and is handed over the
//! moment it is full, so an append is one 16-byte store and a count.
//! It lives on the loop's thread only (`Cell` makes it `!Sync`).

use std::cell::{Cell, UnsafeCell};

use super::clock::Anchor;
use super::record::{Record, FLUSH_AT};

/// What a loop hands to its file's writer: its records since the last
/// batch, the names they refer to, and the clocks read when it was handed
/// over (the end of its time span; the previous batch's anchor is the start).
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) records: Vec<Record>,
    pub(crate) names: Vec<String>,
    pub(crate) anchor: Anchor,
}

/// See the module docs.
pub(crate) struct RecordBuffer {
    /// `records[..len]` are written; the capacity is at least `FLUSH_AT`.
    /// The `Vec`'s own length stays 0 until the records are taken.
    records: UnsafeCell<Vec<Record>>,
    len: Cell<usize>,
}

impl RecordBuffer {
    /// A buffer writing into `records` (emptied here; grown to `FLUSH_AT`).
    pub(crate) fn new(records: Vec<Record>) -> RecordBuffer {
        RecordBuffer {
            records: UnsafeCell::new(room_for_a_batch(records)),
            len: Cell::new(0),
        }
    }

    /// Appends `record`; returns `true` when the buffer is full and must be
    /// taken before the next append.
    ///
    /// # Panics
    ///
    /// If the buffer is full (a caller that did not `take` it): the one
    /// check that keeps the write below in bounds whatever the caller does.
    #[inline]
    pub(crate) fn push(&self, record: Record) -> bool {
        let len = self.len.get();
        assert!(len < FLUSH_AT, "a full trace buffer must be taken first");
        // SAFETY: `len < FLUSH_AT <= capacity` (checked above; the capacity
        // is reserved in `room_for_a_batch`). No reference into the `Vec` is
        // alive: it is reached only here and in `take`, on this thread (the
        // type is `!Sync`), neither re-entrant.
        unsafe { (*self.records.get()).as_mut_ptr().add(len).write(record) };
        self.len.set(len + 1);
        len + 1 == FLUSH_AT
    }

    /// Whether nothing was appended since the last `take`.
    pub(crate) fn is_empty(&self) -> bool {
        self.len.get() == 0
    }

    /// The records appended so far; the buffer goes on in `replacement`.
    pub(crate) fn take(&self, replacement: Vec<Record>) -> Vec<Record> {
        let len = self.len.replace(0);
        // SAFETY: as in `push`, no other reference to the `Vec` is alive.
        let records = unsafe { &mut *self.records.get() };
        let mut full = std::mem::replace(records, room_for_a_batch(replacement));
        // SAFETY: the first `len` records were written by `push`, and `len`
        // never exceeds the capacity.
        unsafe { full.set_len(len) };
        full
    }
}

/// `records`, emptied, with room for a whole batch.
fn room_for_a_batch(mut records: Vec<Record>) -> Vec<Record> {
    records.clear();
    records.reserve(FLUSH_AT);
    records
}

#[cfg(test)]
mod tests {
    use super::RecordBuffer;
    use crate::trace::record::{Mark, Record, FLUSH_AT};

    #[test]
    fn records_come_back_in_order_and_a_full_buffer_says_so() {
        let buffer = RecordBuffer::new(Vec::new());
        assert!(buffer.is_empty());
        for i in 0..FLUSH_AT - 1 {
            assert!(!buffer.push(Record::new(Mark::Woken, 0, i as u32, i as u64)));
        }
        assert!(buffer.push(Record::new(Mark::Woken, 0, 7, 7)));
        let records = buffer.take(Vec::new());
        assert_eq!(records.len(), FLUSH_AT);
        assert_eq!(records[3].small(), 3);
        assert_eq!(records[FLUSH_AT - 1].small(), 7);
        assert!(buffer.is_empty());
        assert!(!buffer.push(Record::new(Mark::Spawned, 0, 1, 0)));
        assert_eq!(buffer.take(Vec::new()).len(), 1);
    }
}
