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

use std::cell::{Cell, RefCell};
use std::task::{Context, Poll, Waker};

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

/// The tasks waiting in one direction: almost always one, kept inline.
#[derive(Default)]
struct Waiters {
    first: Option<Waker>,
    more: Vec<Waker>,
}

impl Waiters {
    fn add(&mut self, waker: &Waker) {
        match &self.first {
            None => self.first = Some(waker.clone()),
            Some(w) if w.will_wake(waker) => {}
            Some(_) if self.more.iter().any(|w| w.will_wake(waker)) => {}
            Some(_) => self.more.push(waker.clone()),
        }
    }

    fn take_into(&mut self, wake: &mut Vec<Waker>) {
        wake.extend(self.first.take());
        wake.append(&mut self.more);
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

    /// Ready to go in `direction`? If not, remember the task's waker.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<ReadyEvent> {
        let ready = self.readiness.get() & direction.mask();
        if ready != 0 {
            return Poll::Ready(ReadyEvent {
                ready,
                tick: self.tick.get(),
            });
        }
        let waiters = match direction {
            Direction::Read => &self.readers,
            Direction::Write => &self.writers,
        };
        waiters.borrow_mut().add(cx.waker());
        Poll::Pending
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

    /// The socket is going away: wake both waiters so they see the close.
    pub(crate) fn shutdown(&self, wake: &mut Vec<Waker>) {
        self.readiness
            .set(self.readiness.get() | READ_CLOSED | WRITE_CLOSED);
        self.readers.borrow_mut().take_into(wake);
        self.writers.borrow_mut().take_into(wake);
    }
}
