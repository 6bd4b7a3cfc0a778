//! How a queue keeps its items: first-in-first-out, last-in-first-out, or
//! smallest-first. The waiting, bounding and shutdown logic of
//! [`QueueCore`](super::core::QueueCore) is the same for all three.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

/// A queue's container.
pub(crate) trait Store<T>: Default {
    fn push(&mut self, item: T);
    fn pop(&mut self) -> Option<T>;
    fn len(&self) -> usize;
}

/// `Queue`: oldest first.
pub(crate) struct Fifo<T>(VecDeque<T>);

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo(VecDeque::new())
    }
}

impl<T> Store<T> for Fifo<T> {
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// `LifoQueue`: newest first.
pub(crate) struct Lifo<T>(Vec<T>);

impl<T> Default for Lifo<T> {
    fn default() -> Self {
        Lifo(Vec::new())
    }
}

impl<T> Store<T> for Lifo<T> {
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// An item with its insertion number, so equal priorities come out in
/// insertion order (a binary heap alone is not stable).
struct Ranked<T> {
    item: T,
    seq: u64,
}

impl<T: Ord> Ord for Ranked<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.item.cmp(&other.item).then(self.seq.cmp(&other.seq))
    }
}

impl<T: Ord> PartialOrd for Ranked<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> PartialEq for Ranked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T: Ord> Eq for Ranked<T> {}

/// `PriorityQueue`: smallest first, ties in insertion order.
pub(crate) struct Smallest<T> {
    heap: BinaryHeap<Reverse<Ranked<T>>>,
    next_seq: u64,
}

impl<T: Ord> Default for Smallest<T> {
    fn default() -> Self {
        Smallest {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<T: Ord> Store<T> for Smallest<T> {
    fn push(&mut self, item: T) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Ranked { item, seq }));
    }
    fn pop(&mut self) -> Option<T> {
        self.heap.pop().map(|Reverse(r)| r.item)
    }
    fn len(&self) -> usize {
        self.heap.len()
    }
}
