//! `Clock`: the loop's notion of now — real time, or paused time for tests.
//!
//! Timers are kept as `u64` nanoseconds on the clock's own scale, so the
//! wheel never handles an `Instant` and never overflows: the loop's start is
//! at `EPOCH` (about 2^62 ns, 146 years), so instants up to 146 years *before* the
//! start keep their order (asyncio: a negative delay is just an earlier
//! deadline), and everything is clamped to `MAX_NS` (146 years after the
//! start), a whole number of ticks that a paused clock can reach.
//!
//! A paused clock (`EventLoop::builder().start_paused(true)`) stands still
//! until `corio::time::advance` moves it — or until the loop would park: then,
//! if a zero-timeout look at IO made nothing ready, it jumps straight to the
//! next deadline instead of sleeping (as tokio's paused time does). Timer tests run in
//! microseconds and never flake.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// How far "never" is: `Duration::MAX` and overflowing deadlines are clamped
/// to 30 years from now, which any `Instant` can represent.
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// Where the loop's start sits on the nanosecond scale: about 2^62 ns, and a
/// whole number of ticks, so whole milliseconds after the start are tick
/// boundaries (a paused clock lands exactly on them).
const EPOCH: u64 = ((1 << 62) / 1_000_000) * 1_000_000;
/// The latest representable instant, a multiple of the 1 ms tick.
pub(crate) const MAX_NS: u64 = (u64::MAX / 2 / 1_000_000) * 1_000_000;

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

    /// Now, on the nanosecond scale.
    pub(crate) fn now_ns(&self) -> u64 {
        self.ns_of(self.now())
    }

    /// `at` on the nanosecond scale (see the module docs), clamped to
    /// `0..=MAX_NS`.
    pub(crate) fn ns_of(&self, at: Instant) -> u64 {
        let since = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        if at >= self.start {
            EPOCH.saturating_add(since(at - self.start)).min(MAX_NS)
        } else {
            EPOCH.saturating_sub(since(self.start - at))
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused.get().is_some()
    }

    /// Moves a paused clock forward. Returns `false` if the clock is not paused.
    pub(crate) fn advance(&self, by: Duration) -> bool {
        match self.paused.get() {
            Some(offset) => {
                let limit = Duration::from_nanos(MAX_NS - EPOCH);
                self.paused.set(Some(offset.saturating_add(by).min(limit)));
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
