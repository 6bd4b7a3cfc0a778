//! The deadline of the timeouts around the future being polled: how nested
//! timeouts agree on which one reports the expiry.
//!
//! asyncio cancels the task when a `timeout` scope expires, and the
//! cancellation unwinds through every scope inside it: an inner scope that
//! expired in the same turn sees a cancellation that is not its own and lets
//! it pass, so the *outermost* expired scope turns it into `TimeoutError`. A
//! retry loop between the two never sees the inner timeout, and stops.
//!
//! Rust has no unwinding cancellation: a timeout can only return a value to
//! the code around it. So corio makes the inner timeout *step aside* instead:
//! while a timeout (`Timeout`, `Scoped`, `TaskTimeout`)
//! polls its inner future, this thread-local holds the earliest deadline of
//! the timeouts around that future. A timeout whose own deadline passed
//! first checks it: if an enclosing deadline passed too, it marks itself
//! expired and returns `Pending` — the body around it is suspended, never
//! resumed — and the enclosing timeout, which checks its own timer right
//! after its inner future returned `Pending`, ends with `TimeoutError` and
//! drops the body.
//!
//! The step-aside also wakes the task, so that a body which moved the
//! enclosing deadline later in the same poll (a `reschedule`) is polled again
//! instead of being left without a waker; the inner timeout then reports its
//! own expiry.
//!
//! The slot is a `Cell<Option<Instant>>`: saving and restoring it around a
//! poll is two thread-local accesses and no allocation, and the walk up the
//! nesting is a single comparison with the clock, made only when a timer
//! fired.

use std::cell::Cell;
use std::task::Context;
use std::time::Instant;

thread_local! {
    /// The earliest deadline of the timeouts whose inner future is being
    /// polled on this thread; `None` outside any timeout.
    static ENCLOSING: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Publishes a timeout's deadline while it polls its inner future; restores
/// the previous value when dropped, also when the inner future panics.
pub(crate) struct EnclosingDeadline {
    /// The earliest deadline around *this* timeout, before it published its own.
    outer: Option<Instant>,
}

impl EnclosingDeadline {
    /// Enters the poll of a timeout whose deadline is `own` (`None` while not
    /// known yet: a delay turns into a deadline at the first poll of its timer).
    pub(crate) fn enter(own: Option<Instant>) -> EnclosingDeadline {
        let outer = ENCLOSING.get();
        ENCLOSING.set(earliest(outer, own));
        EnclosingDeadline { outer }
    }

    /// Called by a timeout whose own deadline passed: `true` if a timeout
    /// around it expired too, so it must step aside (see the module docs).
    /// Stepping aside wakes the task, so it is never left without a waker.
    pub(crate) fn defers_to_outer(&self, cx: &Context<'_>) -> bool {
        let Some(outer) = self.outer else {
            return false;
        };
        if outer > super::now() {
            return false;
        }
        cx.waker().wake_by_ref();
        true
    }
}

impl Drop for EnclosingDeadline {
    fn drop(&mut self) {
        ENCLOSING.set(self.outer);
    }
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
