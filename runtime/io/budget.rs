//! `IoBudget`: how many ready socket operations one task step may perform.
//!
//! A socket that is always ready (a fast peer, a pipelining client) would let
//! the task reading it loop forever inside one step, and every other task,
//! timer and socket of the loop would starve. So each task step gets a budget
//! of [`BUDGET`] operations on ready sockets (tokio's coop budget, in spirit):
//! `PollEvented::poll_io` spends one unit per operation that can proceed, and
//! once the budget is spent it wakes the task and returns `Pending`, which
//! sends the task to the back of the ready queue. Finding a socket not ready
//! costs nothing: the task is about to wait anyway.
//!
//! The budget lives in the loop's [`Reactor`](super::reactor::Reactor), which
//! every registration already holds (`poll_io` has checked that the socket's
//! loop is the running one before it spends), and the loop refills it before
//! it runs each task entry of its ready queue.

use std::cell::Cell;

/// Ready operations a task may perform in one step before it yields.
pub(crate) const BUDGET: u32 = 128;

/// See the module docs.
#[derive(Debug)]
pub(crate) struct IoBudget(Cell<u32>);

impl IoBudget {
    pub(crate) fn new() -> IoBudget {
        IoBudget(Cell::new(BUDGET))
    }

    /// Spends one unit; `false` once the budget is spent.
    #[inline]
    pub(crate) fn take(&self) -> bool {
        let left = self.0.get();
        if left == 0 {
            return false;
        }
        self.0.set(left - 1);
        true
    }

    /// A task step begins: a full budget.
    #[inline]
    pub(crate) fn refill(&self) {
        self.0.set(BUDGET);
    }
}
