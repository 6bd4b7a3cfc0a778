//! Containment: what happens when user code panics, anywhere.
//!
//! A runtime runs other people's code at many points: a future's `poll` and
//! its `Drop`, a task's output and its `Drop`, callbacks, done-callbacks,
//! wakers, a combinator's `Fallible` test, pool jobs — and even the `Drop` of
//! a panic payload, which is itself a user value. Any of them may panic. If
//! that panic unwound through the loop, it would leave the loop half-way
//! through a step: a task marked running forever, a thread-local still
//! pointing at a task that is later freed, a reference never released.
//!
//! So the rule is: **every call into user code that the loop makes on its own
//! behalf runs under [`contain`]** (or, for a task's poll, under a
//! `catch_unwind` whose payload becomes the task's outcome). A contained panic
//! is reported on stderr and its payload dropped with [`drop_payload`], which
//! contains a panicking payload destructor in turn. The bookkeeping around the
//! call — completing, unregistering and releasing a task, restoring the
//! current-task thread-local — always runs.
//!
//! The thread pool follows the same rule on its worker threads and on the
//! threads that call `cancel()` or `shutdown(cancel_futures)`: done-callbacks,
//! the wakers of tasks awaiting a `PoolFuture`, a cancelled job's closure and
//! an unread result run or drop contained — as `concurrent.futures` logs
//! "exception calling callback" and goes on — so no user code kills a worker
//! or unwinds into a caller that did nothing wrong.
//!
//! The one panic that deliberately leaves the loop is the `block_on` future's
//! own: like an exception escaping `asyncio.run(main())`, it is re-raised in
//! the caller after the loop's state is consistent again.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What `catch_unwind` hands back: the value a panic was raised with.
pub(crate) type Payload = Box<dyn Any + Send>;

/// How many nested panicking payload destructors [`drop_payload`] follows
/// before it gives up and leaks the last payload (each step means a payload
/// whose `Drop` panicked with another payload whose `Drop` panicked).
const MAX_NESTED_PAYLOADS: usize = 8;

/// Runs `f`, returning the payload if it panicked.
#[inline]
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Payload> {
    catch_unwind(AssertUnwindSafe(f))
}

/// Runs user code `f` for the loop. A panic is reported on stderr (naming
/// `what` the loop was doing) and its payload dropped safely; returns `false`
/// if `f` panicked.
#[inline]
pub(crate) fn contain(what: &str, f: impl FnOnce()) -> bool {
    match catch(f) {
        Ok(()) => true,
        Err(payload) => {
            report_and_drop(what, payload);
            false
        }
    }
}

/// The cold half of [`contain`], kept out of line so the happy path inlines.
#[cold]
#[inline(never)]
fn report_and_drop(what: &str, payload: Payload) {
    report(what, &payload);
    drop_payload(payload);
}

/// Drops `value`, whose destructor is user code, under [`contain`].
#[inline]
pub(crate) fn drop_contained<T>(what: &str, value: T) {
    contain(what, move || drop(value));
}

/// Drops a panic payload. The payload's own `Drop` may panic; the payload of
/// that panic is dropped the same way, and so on, up to a bound after which
/// the last one is leaked with a message rather than looping forever.
pub(crate) fn drop_payload(payload: Payload) {
    let mut payload = payload;
    for _ in 0..MAX_NESTED_PAYLOADS {
        match catch(move || drop(payload)) {
            Ok(()) => return,
            Err(next) => {
                report("dropping a panic payload", &next);
                payload = next;
            }
        }
    }
    eprintln!("corio: panic payloads kept panicking in their destructors; the last one is leaked");
    std::mem::forget(payload);
}

/// Reports a contained panic.
pub(crate) fn report(what: &str, payload: &Payload) {
    let msg =
        crate::task::error::payload_message(payload.as_ref()).unwrap_or("<non-string payload>");
    eprintln!("corio: a panic while {what} ({msg}); contained, corio goes on");
}
