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
//! **Leaving a wait.** Each waiter has its own entry in a `Slab` and holds a
//! [`WaiterKey`] to it, so a wait that ends without an event (its future
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

/// The tasks waiting in one direction, one slab entry each.
#[derive(Default)]
struct Waiters {
    wakers: Slab<Waker>,
    /// Bumped whenever every waker is taken; a 64-bit count never wraps.
    round: u64,
    /// This round's entry for the `poll_*` methods, which have no future to
    /// hold a key (see `add_shared_waiter`).
    shared: Option<usize>,
}

impl Waiters {
    /// The index `key` names, if it is this round's and still occupied.
    fn live(&self, key: WaiterKey) -> Option<usize> {
        (key.round == self.round && self.wakers.contains(key.index)).then_some(key.index)
    }

    /// Stores `waker` at `index` (giving back the waker it displaces), or in
    /// a new entry when `index` is `None`; returns where it went.
    fn store(&mut self, index: Option<usize>, waker: Waker) -> (usize, Option<Waker>) {
        match index {
            Some(index) => {
                let displaced = std::mem::replace(&mut self.wakers[index], waker);
                (index, Some(displaced))
            }
            None => (self.wakers.insert(waker), None),
        }
    }

    /// Takes every waker and starts a new round, so that no key of the
    /// old one can name an entry of the new.
    fn take_into(&mut self, wake: &mut Vec<Waker>) {
        if !self.wakers.is_empty() {
            wake.extend(self.wakers.drain());
        }
        self.shared = None;
        self.round += 1;
    }
}

/// See the module docs.
#[derive(Default)]
pub(crate) struct ScheduledIo {
    readiness: Cell<u8>,
    tick: Cell<u32>,
    readers: RefCell<Waiters>,
    writers: RefCell<Waiters>,
}

impl ScheduledIo {
    /// The driver saw an event: record it and take the wakers to wake (the
    /// caller wakes them after releasing its borrows).
    pub(crate) fn record(&self, ready: u8, wake: &mut Vec<Waker>) {
        self.readiness.set(self.readiness.get() | ready);
        self.tick.set(self.tick.get().wrapping_add(1));
        if ready & Direction::Read.mask() != 0 {
            self.readers.borrow_mut().take_into(wake);
        }
        if ready & Direction::Write.mask() != 0 {
            self.writers.borrow_mut().take_into(wake);
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
        let current = current.filter(|key| key.direction == direction);
        let (index, round) = self.put(direction, waker, |w| current.and_then(|k| w.live(k)));
        WaiterKey {
            direction,
            index,
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
        let (index, _) = self.put(direction, waker, |w| w.shared);
        self.waiters(direction).borrow_mut().shared = Some(index);
    }

    /// Stores `waker` at the entry `find` picks (or a new one); returns its
    /// index and round.
    fn put(
        &self,
        direction: Direction,
        waker: &Waker,
        find: impl Fn(&Waiters) -> Option<usize>,
    ) -> (usize, u64) {
        let waiters = self.waiters(direction);
        {
            let w = waiters.borrow();
            if let Some(index) = find(&w) {
                if w.wakers[index].will_wake(waker) {
                    return (index, w.round);
                }
            }
        }
        // Cloning a waker, and dropping the one it displaces, may run user
        // code: neither happens while `waiters` is borrowed.
        let fresh = waker.clone();
        let (index, round, displaced) = {
            let mut w = waiters.borrow_mut();
            let found = find(&w);
            let (index, displaced) = w.store(found, fresh);
            (index, w.round, displaced)
        };
        drop(displaced);
        (index, round)
    }

    /// The wait `key` names ended without an event: forget its waker. A
    /// stale key (its round already woken) removes nothing.
    pub(crate) fn remove_waiter(&self, key: WaiterKey) {
        let removed = {
            let mut waiters = self.waiters(key.direction).borrow_mut();
            waiters.live(key).map(|index| waiters.wakers.remove(index))
        };
        drop(removed);
    }

    fn waiters(&self, direction: Direction) -> &RefCell<Waiters> {
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
        self.readers.borrow_mut().take_into(wake);
        self.writers.borrow_mut().take_into(wake);
    }
}
