//! `Clock`: the loop's notion of now — real time, or paused time for tests.
//!
//! Timers are kept in nanoseconds since the clock's start (`u64`, about 584
//! years), so the wheel never handles an `Instant` and never overflows.
//!
//! A paused clock (`EventLoop::builder().start_paused(true)`) stands still
//! until `corio::time::advance` moves it — or until the loop would park with
//! only timers to wait for: then it jumps straight to the next deadline
//! instead of sleeping (as tokio's paused time does). Timer tests run in
//! microseconds and never flake.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// How far "never" is: `Duration::MAX` and overflowing deadlines are clamped
/// to 30 years from now, which any `Instant` can represent.
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// See the module docs.
pub(crate) struct Clock {
    start: Instant,
    /// `Some(offset from start)` while paused.
    paused: Cell<Option<Duration>>,
}

impl Clock {
    pub(crate) fn new(paused: bool) -> Clock {
        Clock {
            start: Instant::now(),
            paused: Cell::new(paused.then_some(Duration::ZERO)),
        }
    }

    pub(crate) fn now(&self) -> Instant {
        match self.paused.get() {
            Some(offset) => self.start + offset,
            None => Instant::now(),
        }
    }

    /// Nanoseconds since the clock's start.
    pub(crate) fn now_ns(&self) -> u64 {
        self.ns_of(self.now())
    }

    /// `at` as nanoseconds since the clock's start (0 for earlier instants,
    /// saturating for later ones).
    pub(crate) fn ns_of(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.start).as_nanos()).unwrap_or(u64::MAX)
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused.get().is_some()
    }

    /// Moves a paused clock forward. Returns `false` if the clock is not paused.
    pub(crate) fn advance(&self, by: Duration) -> bool {
        match self.paused.get() {
            Some(offset) => {
                self.paused
                    .set(Some(offset.saturating_add(by).min(FAR_FUTURE * 2)));
                true
            }
            None => false,
        }
    }
}

/// `now + delay`, clamped to 30 years ahead instead of overflowing.
pub(crate) fn deadline_after(now: Instant, delay: Duration) -> Instant {
    now.checked_add(delay.min(FAR_FUTURE))
        .unwrap_or_else(|| now + FAR_FUTURE)
}
