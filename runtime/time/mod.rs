//! Time: `sleep`, `interval`, `timeout`, `wait_for`, `call_later` — on one
//! `wheel::TimerWheel` per loop.
//!
//! The life of a timer: [`sleep`] makes a [`Sleep`] that costs nothing until
//! it is first polled; its first poll registers a waker in the loop's wheel
//! (`Timers::insert`, O(1)). The loop parks no longer than the nearest
//! deadline (`Timers::timeout`), and after each poll of the OS moves the
//! expired timers, in deadline order, to the ready queue (`Timers::fire`):
//! the waker is woken, the task runs, and `Sleep` sees its deadline has
//! passed. Dropping a registered `Sleep` removes its
//! timer (O(1)); dropped on another thread, it asks its loop to do so
//! through the injection queue.

pub(crate) mod call_later;
pub(crate) mod clock;
mod enclosing;
pub(crate) mod interval;
pub(crate) mod sleep;
mod task_timeout;
pub(crate) mod timeout;
mod timeout_scope;
pub(crate) mod timers;
pub(crate) mod wheel;

use std::time::{Duration, Instant};

pub use call_later::{call_at, call_later, TimerHandle};
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use task_timeout::TaskTimeout;
pub use timeout::{timeout, timeout_at, wait_for, Timeout, TimeoutError};
pub use timeout_scope::{timeout_scope, Scoped, TimeoutScope};

use crate::event_loop::context;
use crate::event_loop::shared::{LoopShared, Remote};
use std::sync::Arc;
use wheel::TimerKey;

/// The running loop's current time: asyncio's `loop.time()`. Under a paused
/// clock this is the paused time.
///
/// # Panics
///
/// When no corio loop is running on this thread.
///
/// ```
/// corio::run(async {
///     let t0 = corio::time::now();
///     corio::time::sleep(std::time::Duration::from_millis(2)).await;
///     assert!(corio::time::now() >= t0 + std::time::Duration::from_millis(2));
/// });
/// ```
#[track_caller]
pub fn now() -> Instant {
    context::with_current_loop(|lp| lp.timers.clock().now()).expect(NO_LOOP)
}

/// Moves a paused clock forward by `by`; timers due by then fire at the
/// loop's next iteration.
///
/// # Panics
///
/// When no corio loop is running on this thread, or its clock is not paused
/// (see [`Builder::start_paused`](crate::event_loop::Builder::start_paused)).
///
/// ```
/// use std::time::Duration;
/// let lp = corio::EventLoop::builder().start_paused(true).build().unwrap();
/// lp.block_on(async {
///     let t0 = corio::time::now();
///     corio::time::advance(Duration::from_secs(5));
///     assert_eq!(corio::time::now() - t0, Duration::from_secs(5));
/// });
/// ```
#[track_caller]
pub fn advance(by: Duration) {
    let advanced = context::with_current_loop(|lp| lp.timers.clock().advance(by)).expect(NO_LOOP);
    assert!(
        advanced,
        "corio::time::advance needs a paused clock: build the loop with \
         EventLoop::builder().start_paused(true)"
    );
}

/// Cancels timer `key` of the loop `shared`: at once if that loop runs on this
/// thread, else through its injection queue (the wheel belongs to its loop).
pub(crate) fn remove_timer_on(shared: &Arc<LoopShared>, key: TimerKey) {
    let removed = context::with_current_loop(|lp| {
        if std::ptr::eq(lp.scheduler.shared_ptr(), &**shared) {
            Some(lp.timers.remove(key))
        } else {
            None
        }
    })
    .flatten();
    match removed {
        // Dropped here, after the wheel's borrow ended: a waker's drop is
        // foreign code.
        Some(action) => drop(action),
        None => shared.inject(Remote::Callback(Box::new(move || {
            let action = context::with_current_loop(|lp| lp.timers.remove(key));
            drop(action);
        }))),
    }
}

pub(crate) const NO_LOOP: &str =
    "corio's timers need a running corio loop on this thread: use them inside corio::run(..)";
