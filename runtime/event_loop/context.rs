//! The thread-local context: which loop is running on this thread, and which
//! task it is polling.
//!
//! These two are the loop's own thread-locals (the others are small and
//! local to their concept: the enclosing timeout deadline in
//! `time/enclosing.rs`, the signal handlers of `signal/handler.rs`). `spawn`, `call_soon`,
//! `current_task` and the wakers find the loop through them instead of
//! through a global, so several loops can live on several threads, one per
//! thread at a time. Entering a loop while one is running on the thread is
//! refused with a message that says what to do instead (as asyncio's `run`
//! refuses to run from a running loop).

use std::cell::Cell;
use std::ptr::{self, NonNull};

use super::services::LoopServices;
use crate::task::cold::AwaitedBy;
use crate::task::header::Header;

thread_local! {
    /// The services of the loop running on this thread, or null.
    static CURRENT_LOOP: Cell<*const LoopServices> = const { Cell::new(ptr::null()) };
    /// The task whose poll is on the stack, or null.
    static CURRENT_TASK: Cell<*const Header> = const { Cell::new(ptr::null()) };
}

/// Calls `f` with the services of the loop running on this thread, if any.
#[inline]
pub(crate) fn with_current_loop<R>(f: impl FnOnce(&LoopServices) -> R) -> Option<R> {
    let services = CURRENT_LOOP.with(Cell::get);
    // SAFETY: a non-null pointer was set by an `EnterGuard`, which clears it
    // before the `LoopServices` it points to can be moved or dropped.
    (!services.is_null()).then(|| f(unsafe { &*services }))
}

/// Marks a loop as this thread's running loop until the guard drops.
pub(crate) struct EnterGuard {
    previous: *const LoopServices,
}

/// Enters the loop of `services` for `block_on` / `run_forever`.
///
/// # Panics
///
/// When a corio loop is already running on this thread.
#[track_caller]
pub(crate) fn enter(services: &LoopServices) -> EnterGuard {
    if !CURRENT_LOOP.with(Cell::get).is_null() {
        panic!(
            "cannot start a corio loop (corio::run, EventLoop::block_on or run_forever) from \
             inside a running corio loop on the same thread: `.await` the future instead, or \
             corio::spawn it as a task"
        );
    }
    CURRENT_LOOP.with(|c| c.set(services));
    EnterGuard {
        previous: ptr::null(),
    }
}

/// Enters a loop for closing it, even from inside another loop (whose
/// context is restored afterwards). Never panics: it runs from `Drop`.
pub(crate) fn enter_for_close(services: &LoopServices) -> EnterGuard {
    let previous = CURRENT_LOOP.with(|c| c.replace(services));
    EnterGuard { previous }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        CURRENT_LOOP.with(|c| c.set(self.previous));
    }
}

/// Makes `task` the current task until the returned guard drops. The
/// previous value is restored by the guard, so even a panic unwinding past it
/// cannot leave the thread-local pointing at a task that may be freed later.
#[inline]
#[must_use = "the task is current only while the guard lives"]
pub(crate) fn enter_task(task: NonNull<Header>) -> CurrentTaskGuard {
    CurrentTaskGuard(CURRENT_TASK.with(|c| c.replace(task.as_ptr())))
}

/// Puts back the current task that was set before [`enter_task`].
pub(crate) struct CurrentTaskGuard(*const Header);

impl Drop for CurrentTaskGuard {
    #[inline]
    fn drop(&mut self) {
        CURRENT_TASK.with(|c| c.set(self.0));
    }
}

/// The task being polled on this thread, if any.
pub(crate) fn current_task() -> Option<NonNull<Header>> {
    NonNull::new(CURRENT_TASK.with(Cell::get).cast_mut())
}

/// The current task as the awaiter of another, `via` an await or a
/// combinator: what the await graph records (see `task/call_graph.rs`).
pub(crate) fn awaiting_task(via: &'static str) -> Option<AwaitedBy> {
    current_task().map(|t| AwaitedBy {
        // SAFETY: the current task is being polled, so it is alive.
        task: unsafe { t.as_ref() }.id,
        via,
    })
}
