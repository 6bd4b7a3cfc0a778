//! Containment: how the pool runs and drops user code that is not the job
//! itself.
//!
//! A job runs under `catch_unwind` and its panic becomes its future's error.
//! But the pool touches user code in other places too: done-callbacks, the
//! wakers of tasks awaiting a [`PoolFuture`](super::PoolFuture), the closure
//! of a job that was cancelled before it ran, a result nobody read, and the
//! panic payloads themselves — a payload is a user value whose own `Drop` may
//! panic. These run on a worker thread, or on the thread that called
//! `cancel()` or `shutdown(cancel_futures)`. A panic escaping there would kill
//! the worker (its later callbacks skipped, the next job never run) or unwind
//! out of `cancel()` into a caller that did nothing wrong.
//!
//! So each such step runs under [`contain`]: a panic is reported on stderr —
//! as `concurrent.futures` logs "exception calling callback" — and its
//! payload is dropped under containment as well; then the pool goes on with
//! its next step.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `step` (user code reached while `what`); a panic is reported and
/// contained, and its payload dropped under containment.
pub(super) fn contain(what: &str, step: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(step)) {
        let message =
            crate::task::error::payload_message(payload.as_ref()).unwrap_or("<non-string payload>");
        eprintln!("corio: a panic while {what} ({message}); the pool goes on");
        drop_payload(payload);
    }
}

/// Drops `value` (whose `Drop` is user code) under [`contain`].
pub(super) fn drop_contained<V>(what: &str, value: V) {
    contain(what, move || drop(value));
}

/// Drops a panic payload whose own `Drop` may panic. That panic's payload is
/// dropped the same way, until one drops quietly: each payload is freed
/// exactly once and no panic escapes.
fn drop_payload(mut payload: Box<dyn Any + Send>) {
    while let Err(next) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        eprintln!("corio: a panic payload panicked while being dropped; the pool goes on");
        payload = next;
    }
}
