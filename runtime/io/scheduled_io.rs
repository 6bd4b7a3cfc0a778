//! `ScheduledIo`: the readiness of one registered socket, and the tasks
//! waiting for it.
//!
//! mio reports readiness *edge-triggered*: an event says "this socket became
//! readable", once, and the kernel will not repeat it until the socket has
//! been drained (a read returned `WouldBlock`) and new data arrived. So the
//! reactor must remember readiness between the poll that saw the edge and
//! the task that consumes it, and must forget it exactly when an operation
//! hits `WouldBlock` — never when a newer edge arrived meanwhile.
//!
//! That is what the `tick` is for. Every event recorded by the driver bumps
//! it; a task that sees readiness takes a [`ReadyEvent`] stamped with the
//! tick, and when its operation hits `WouldBlock` it clears only if the tick
//! is unchanged. On corio's single thread an event cannot be recorded in the
//! middle of an operation (events are recorded only while the loop polls the
//! OS, between task steps), so the check is a belt worn with braces: it keeps
//! the invariant local to this file instead of relying on the loop's order.
//!
//! Read and write interest are waited on separately (readers and writers),
//! so one task can read while another writes the same socket. Several tasks
//! may wait in one direction (two tasks accepting on one listener): each is
//! woken.
//!
//! **Leaving a wait.** Each waiter has its own entry (the first inline, the
//! others in a `Slab`) and holds a [`WaiterKey`] to it, so a wait that ends without an event (its future
//! dropped by a timeout, its task cancelled) removes its waker in O(1), and
//! an idle socket keeps no waker of a task that stopped waiting. An event
//! takes every waker of its direction at once and starts a new *round*; a
//! key from an older round names an entry that is gone (and whose index may
//! already hold someone else's waker), so it is recognised as stale and left
//! alone. Keys are held by `Waiter` (`registration.rs`), which removes its
//! entry when dropped.
//!
//! Wakers are cloned and dropped only while no borrow of this state is held:
//! both can run user code (a hand-written `RawWakerVTable`).

use std::cell::{Cell, RefCell};
use std::task::Waker;

use slab::Slab;

/// Readiness bits.
pub(crate) const READABLE: u8 = 1 << 0;
pub(crate) const WRITABLE: u8 = 1 << 1;
/// The peer closed its write side (EOF ahead) — readable forever.
pub(crate) const READ_CLOSED: u8 = 1 << 2;
/// Our write side is closed or the connection broke — writable forever.
pub(crate) const WRITE_CLOSED: u8 = 1 << 3;
/// An error is pending on the socket; the next operation returns it.
pub(crate) const ERROR: u8 = 1 << 4;

/// Which way an operation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The readiness bits that let an operation in this direction proceed.
    fn mask(self) -> u8 {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }
}

/// Readiness seen by an operation, stamped with the tick it was seen at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadyEvent {
    ready: u8,
    tick: u32,
}

/// Where one waiter's waker is: its direction, its slab index, and the
/// round the index belongs to (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaiterKey {
    direction: Direction,
    index: usize,
    round: u64,
}

impl WaiterKey {
    pub(crate) fn direction(self) -> Direction {
        self.direction
    }
}

/// The tasks waiting in one direction.
#[derive(Default)]
struct Waiters {
    /// Bumped whenever every waker is taken; a 64-bit count never wraps. It
    /// sits outside the `RefCell` so that a stale key costs one comparison.
    round: Cell<u64>,
    entries: RefCell<Entries>,
}

/// The wakers of one direction. Index 0 is `first`, kept inline because one
/// waiter is the common case; index `n + 1` is `more[n]`.
#[derive(Default)]
struct Entries {
    first: Option<Waker>,
    more: Slab<Waker>,
    /// This round's entry for the `poll_*` methods, which have no future to
    /// hold a key (see `add_shared_waiter`).
    shared: Option<usize>,
}

impl Entries {
    fn get_mut(&mut self, index: usize) -> Option<&mut Waker> {
        match index {
            0 => self.first.as_mut(),
            n => self.more.get_mut(n - 1),
        }
    }

    fn insert(&mut self, waker: Waker) -> usize {
        if self.first.is_none() {
            self.first = Some(waker);
            0
        } else {
            self.more.insert(waker) + 1
        }
    }

    fn remove(&mut self, index: usize) -> Option<Waker> {
        match index {
            0 => self.first.take(),
            n => self.more.try_remove(n - 1),
        }
    }

    /// Stores `waker` at `index` if that entry is occupied (giving back the
    /// waker it displaces), in a new entry otherwise; returns where it went.
    fn store(&mut self, index: Option<usize>, waker: Waker) -> (usize, Option<Waker>) {
        if let Some(index) = index {
            if let Some(held) = self.get_mut(index) {
                return (index, Some(std::mem::replace(held, waker)));
            }
        }
        (self.insert(waker), None)
    }
}

impl Waiters {
    /// Stores `waker` at the entry `current` (unless it already holds a
    /// waker of the same task), or in a new entry; returns the index.
    fn put(&self, waker: &Waker, current: Option<usize>) -> usize {
        if let Some(index) = current {
            if let Some(held) = self.entries.borrow_mut().get_mut(index) {
                if held.will_wake(waker) {
                    return index;
                }
            }
        }
        // Cloning a waker, and dropping the one it displaces, may run user
        // code: neither happens while `entries` is borrowed.
        let fresh = waker.clone();
        let (index, displaced) = self.entries.borrow_mut().store(current, fresh);
        drop(displaced);
        index
    }

    /// Takes every waker and starts a new round, so that no key of the
    /// old one can name an entry of the new.
    fn take_into(&self, wake: &mut Vec<Waker>) {
        let mut entries = self.entries.borrow_mut();
        wake.extend(entries.first.take());
        if !entries.more.is_empty() {
            wake.extend(entries.more.drain());
        }
        entries.shared = None;
        self.round.set(self.round.get() + 1);
    }
}

/// See the module docs.
#[derive(Default)]
pub(crate) struct ScheduledIo {
    readiness: Cell<u8>,
    tick: Cell<u32>,
    readers: Waiters,
    writers: Waiters,
}

impl ScheduledIo {
    /// The driver saw an event: record it and take the wakers to wake (the
    /// caller wakes them after releasing its borrows).
    pub(crate) fn record(&self, ready: u8, wake: &mut Vec<Waker>) {
        self.readiness.set(self.readiness.get() | ready);
        self.tick.set(self.tick.get().wrapping_add(1));
        if ready & Direction::Read.mask() != 0 {
            self.readers.take_into(wake);
        }
        if ready & Direction::Write.mask() != 0 {
            self.writers.take_into(wake);
        }
    }

    /// The readiness that lets an operation in `direction` proceed, if any.
    pub(crate) fn ready(&self, direction: Direction) -> Option<ReadyEvent> {
        let ready = self.readiness.get() & direction.mask();
        (ready != 0).then(|| ReadyEvent {
            ready,
            tick: self.tick.get(),
        })
    }

    /// Makes `waker` wait in `direction`, in the entry `current` names if
    /// it is still live (its waker replaced unless it wakes the same task),
    /// in a new entry otherwise. Returns the entry's key; whoever holds it
    /// gives it back with [`remove_waiter`](Self::remove_waiter).
    pub(crate) fn add_waiter(
        &self,
        direction: Direction,
        waker: &Waker,
        current: Option<WaiterKey>,
    ) -> WaiterKey {
        let waiters = self.waiters(direction);
        let round = waiters.round.get();
        let current = current
            .filter(|key| key.direction == direction && key.round == round)
            .map(|key| key.index);
        WaiterKey {
            direction,
            index: waiters.put(waker, current),
            round,
        }
    }

    /// Makes `waker` wait in `direction` in the one entry shared by every
    /// caller without a key of its own (the `poll_*` methods and the
    /// `AsyncRead`/`AsyncWrite` impls): the latest caller replaces the one
    /// before, as tokio's `poll_read_ready` does. Nothing accumulates, and a
    /// caller that stops polling leaves at most this one waker until the
    /// next event.
    pub(crate) fn add_shared_waiter(&self, direction: Direction, waker: &Waker) {
        let waiters = self.waiters(direction);
        let current = waiters.entries.borrow().shared;
        let index = waiters.put(waker, current);
        waiters.entries.borrow_mut().shared = Some(index);
    }

    /// The wait `key` names ended without an event: forget its waker. A
    /// stale key (its round already woken) removes nothing.
    pub(crate) fn remove_waiter(&self, key: WaiterKey) {
        let waiters = self.waiters(key.direction);
        if key.round != waiters.round.get() {
            return;
        }
        let removed = waiters.entries.borrow_mut().remove(key.index);
        drop(removed);
    }

    fn waiters(&self, direction: Direction) -> &Waiters {
        match direction {
            Direction::Read => &self.readers,
            Direction::Write => &self.writers,
        }
    }

    /// An operation hit `WouldBlock`: forget the readiness it saw, unless a
    /// newer event arrived since. Everything it saw is cleared, closed and
    /// error bits included: the OS just said "not ready", and keeping a bit
    /// set that the OS contradicts would make the operation spin.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        if self.tick.get() == event.tick {
            self.readiness.set(self.readiness.get() & !event.ready);
        }
    }

    /// A successful operation showed the socket drained (a short read or
    /// write): forget plain readability or writability, but keep the closed
    /// and error bits — a short read may have been followed by the peer's
    /// FIN in the same event, and that EOF must still be seen.
    pub(crate) fn clear_drained(&self, event: ReadyEvent) {
        if self.tick.get() == event.tick {
            self.readiness
                .set(self.readiness.get() & !(event.ready & (READABLE | WRITABLE)));
        }
    }

    /// The socket is going away: wake every waiter so they see the close.
    pub(crate) fn shutdown(&self, wake: &mut Vec<Waker>) {
        self.readiness
            .set(self.readiness.get() | READ_CLOSED | WRITE_CLOSED);
        self.readers.take_into(wake);
        self.writers.take_into(wake);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Counts its wakes.
    struct Counter(AtomicUsize);

    impl std::task::Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<Counter>, Waker) {
        let c = Arc::new(Counter(AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    fn event(io: &ScheduledIo) -> usize {
        let mut wake = Vec::new();
        io.record(READABLE, &mut wake);
        let n = wake.len();
        wake.into_iter().for_each(Waker::wake);
        n
    }

    #[test]
    fn a_removed_waiter_is_not_woken_and_the_others_are() {
        let io = ScheduledIo::default();
        let (a, wa) = counter();
        let (b, wb) = counter();
        let (c, wc) = counter();
        let _ka = io.add_waiter(Direction::Read, &wa, None);
        let kb = io.add_waiter(Direction::Read, &wb, None);
        let _kc = io.add_waiter(Direction::Read, &wc, None);
        io.remove_waiter(kb);
        assert_eq!(event(&io), 2);
        let woken: Vec<_> = [&a, &b, &c].map(|x| x.0.load(Ordering::SeqCst)).into();
        assert_eq!(woken, [1, 0, 1]);
    }

    #[test]
    fn a_key_of_an_older_round_removes_nothing() {
        let io = ScheduledIo::default();
        let (_, wa) = counter();
        let (b, wb) = counter();
        let stale = io.add_waiter(Direction::Read, &wa, None);
        assert_eq!(event(&io), 1);
        let fresh = io.add_waiter(Direction::Read, &wb, None);
        assert_eq!(fresh.index, stale.index, "the slot is reused");
        io.remove_waiter(stale);
        assert_eq!(event(&io), 1);
        assert_eq!(b.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn re_adding_with_a_live_key_reuses_its_entry() {
        let io = ScheduledIo::default();
        let (_, wa) = counter();
        let (b, wb) = counter();
        let key = io.add_waiter(Direction::Read, &wa, None);
        let again = io.add_waiter(Direction::Read, &wb, Some(key));
        assert_eq!(again, key);
        assert_eq!(event(&io), 1, "one entry, holding the latest waker");
        assert_eq!(b.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_shared_entry_keeps_only_the_latest_waker() {
        let io = ScheduledIo::default();
        let counters: Vec<_> = (0..100).map(|_| counter()).collect();
        for (_, waker) in &counters {
            io.add_shared_waiter(Direction::Read, waker);
        }
        assert_eq!(event(&io), 1);
        assert_eq!(counters[99].0 .0.load(Ordering::SeqCst), 1);
        assert!(
            Arc::strong_count(&counters[0].0) == 2,
            "earlier wakers were dropped"
        );
    }

    #[test]
    fn waiters_of_one_direction_are_not_woken_by_the_other() {
        let io = ScheduledIo::default();
        let (w, waker) = counter();
        let _key = io.add_waiter(Direction::Write, &waker, None);
        assert_eq!(event(&io), 0);
        assert_eq!(w.0.load(Ordering::SeqCst), 0);
    }
}
