//! `call_later` and `call_at`: callbacks on the timer wheel, asyncio's
//! `loop.call_later` / `loop.call_at` and their `TimerHandle`.

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::clock::deadline_after;
use super::timers::TimerAction;
use super::wheel::TimerKey;
use super::NO_LOOP;
use crate::event_loop::callback::ScheduledCallback;
use crate::event_loop::context;
use crate::event_loop::shared::LoopShared;

/// Runs `f` on the loop after `delay`: asyncio's `loop.call_later`.
///
/// Callbacks with equal deadlines run in the order they were scheduled; when
/// they expire they join the ready queue behind what is already there (so
/// `call_later(ZERO, t)` then `call_soon(s)` runs `s` first).
///
/// # Panics
///
/// When no corio loop is running on this thread.
///
/// ```
/// use std::{cell::RefCell, rc::Rc, time::Duration};
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let l = log.clone();
/// corio::run(async move {
///     let (a, b) = (l.clone(), l.clone());
///     corio::call_later(Duration::from_millis(2), move || a.borrow_mut().push("later"));
///     corio::call_soon(move || b.borrow_mut().push("soon"));
///     corio::time::sleep(Duration::from_millis(5)).await;
/// });
/// assert_eq!(*log.borrow(), ["soon", "later"]);
/// ```
#[track_caller]
pub fn call_later(delay: Duration, f: impl FnOnce() + 'static) -> TimerHandle {
    let now = context::with_current_loop(|lp| lp.timers.clock().now()).expect(NO_LOOP);
    call_at(deadline_after(now, delay), f)
}

/// Runs `f` on the loop at `when`: asyncio's `loop.call_at`. A past instant
/// runs at the next iteration.
///
/// # Panics
///
/// When no corio loop is running on this thread.
///
/// ```
/// use std::{cell::Cell, rc::Rc, time::{Duration, Instant}};
/// let ran = Rc::new(Cell::new(false));
/// let r = ran.clone();
/// corio::run(async move {
///     corio::call_at(Instant::now() + Duration::from_millis(1), move || r.set(true));
///     corio::time::sleep(Duration::from_millis(3)).await;
/// });
/// assert!(ran.get());
/// ```
#[track_caller]
pub fn call_at(when: Instant, f: impl FnOnce() + 'static) -> TimerHandle {
    let cell = ScheduledCallback::new(Box::new(f));
    let (key, shared) = context::with_current_loop(|lp| {
        let key = lp.timers.insert(when, TimerAction::Callback(cell.clone()));
        (key, lp.scheduler.shared().clone())
    })
    .expect(NO_LOOP);
    TimerHandle {
        cell,
        key,
        when,
        shared,
    }
}

/// The handle of a `call_later` / `call_at` callback: asyncio's `TimerHandle`.
pub struct TimerHandle {
    cell: Rc<ScheduledCallback>,
    key: TimerKey,
    when: Instant,
    /// The loop whose wheel holds the timer.
    shared: Arc<LoopShared>,
}

impl TimerHandle {
    /// Stops the callback. Cancelling one that already ran or was cancelled
    /// does nothing; one that expired but has not run yet never runs.
    ///
    /// ```
    /// use std::time::Duration;
    /// corio::run(async {
    ///     let h = corio::call_later(Duration::from_millis(1), || unreachable!());
    ///     h.cancel();
    ///     h.cancel();
    ///     corio::time::sleep(Duration::from_millis(3)).await;
    /// });
    /// ```
    pub fn cancel(&self) {
        if self.cell.is_cancelled() {
            return;
        }
        self.cell.cancel();
        super::remove_timer_on(&self.shared, self.key);
    }

    /// `true` after [`cancel`](TimerHandle::cancel).
    ///
    /// ```
    /// corio::run(async {
    ///     let h = corio::call_later(std::time::Duration::from_secs(1), || {});
    ///     h.cancel();
    ///     assert!(h.is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.cell.is_cancelled()
    }

    /// When the callback is scheduled to run.
    ///
    /// ```
    /// let at = std::time::Instant::now();
    /// corio::run(async move { assert_eq!(corio::call_at(at, || {}).when(), at) });
    /// ```
    pub fn when(&self) -> Instant {
        self.when
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.when)
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}
