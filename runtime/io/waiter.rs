//! `Waiter`: one wait on one direction of a registered socket, owned by what
//! waits — an operation's future, an `Incoming` stream, a split half.
//!
//! A task that finds a socket not ready leaves its waker in the socket's
//! `ScheduledIo`. If the task then stops waiting — a timeout drops the
//! `read` future, the task is cancelled — nothing else would ever take that
//! waker out until the socket's next event, and on an idle socket that event
//! may never come: every abandoned wait would keep a task allocation alive.
//! So the waker's entry is owned: the `Waiter` holds the entry's key and
//! removes the entry when it is dropped (or when its operation found the
//! socket ready after all). Removal is a slab removal, O(1), whatever the
//! number of other waiters.
//!
//! The `Waiter` keeps its own reference to the `ScheduledIo`, so it can leave
//! without help from the socket, in any drop order.

use std::fmt;
use std::rc::Rc;
use std::task::Waker;

use super::scheduled_io::{Direction, ScheduledIo, WaiterKey};

/// See the module docs. A fresh `Waiter` waits nowhere; it takes its place
/// the first time its operation finds the socket not ready.
///
/// It is `pub` only so that the sealed `corio::net::SplitStream` trait can
/// name it; it is not reachable from outside the crate.
#[derive(Default)]
pub struct Waiter {
    io: Option<Rc<ScheduledIo>>,
    key: Option<WaiterKey>,
}

impl Waiter {
    /// Waits with `waker` in `direction` on `io`, in the entry it already
    /// has if that one is still live.
    pub(crate) fn wait(&mut self, io: &Rc<ScheduledIo>, direction: Direction, waker: &Waker) {
        let same_io = self.io.as_ref().is_some_and(|held| Rc::ptr_eq(held, io));
        let same_direction = self.key.is_some_and(|key| key.direction() == direction);
        if !(same_io && same_direction) {
            self.leave();
        }
        if !same_io {
            self.io = Some(io.clone());
        }
        self.key = Some(io.add_waiter(direction, waker, self.key));
    }

    /// Stops waiting: the waker's entry (if this round still has it) goes.
    pub(crate) fn leave(&mut self) {
        if let (Some(io), Some(key)) = (&self.io, self.key.take()) {
            io.remove_waiter(key);
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.leave();
    }
}

impl fmt::Debug for Waiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter").field("key", &self.key).finish()
    }
}
