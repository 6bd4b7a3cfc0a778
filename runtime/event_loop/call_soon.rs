//! `call_soon`: asyncio's `loop.call_soon`, on the loop running on this thread.
//!
//! The callback joins the running loop's ready queue (`Scheduler::call_soon`)
//! behind every task step and callback already there; the returned
//! [`CallbackHandle`] cancels it until it has run.

use super::callback::CallbackHandle;
use super::context;

/// Schedules `f` to run on the running loop at its next turn: asyncio's
/// `loop.call_soon`. Callbacks run in FIFO order; one scheduled by a callback
/// runs in the next loop iteration. A panicking callback is reported on stderr
/// and the loop goes on.
///
/// # Panics
///
/// When no corio loop is running on this thread (use
/// [`LoopHandle::call_soon_threadsafe`](crate::LoopHandle::call_soon_threadsafe)
/// from other threads).
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// let order = Rc::new(RefCell::new(Vec::new()));
/// let o = order.clone();
/// corio::run(async move {
///     for i in 0..3 {
///         let o = o.clone();
///         corio::call_soon(move || o.borrow_mut().push(i));
///     }
///     corio::yield_now().await;
/// });
/// assert_eq!(*order.borrow(), [0, 1, 2]);
/// ```
#[track_caller]
pub fn call_soon(f: impl FnOnce() + 'static) -> CallbackHandle {
    let cell =
        context::with_current_loop(|lp| lp.scheduler.call_soon(Box::new(f))).unwrap_or_else(|| {
            panic!(
                "corio::call_soon called with no corio loop running on this thread: call it from \
             inside corio::run(..), or use LoopHandle::call_soon_threadsafe from another thread"
            )
        });
    CallbackHandle::new(cell)
}
