//! `LoopStats`: counters of what the loop did, for tests and curious readers.

use std::cell::Cell;

/// A snapshot of a loop's counters, from [`EventLoop::stats`](crate::EventLoop::stats).
///
/// ```
/// let lp = corio::EventLoop::new();
/// lp.block_on(async { corio::yield_now().await });
/// let stats = lp.stats();
/// assert!(stats.iterations >= 2);
/// assert_eq!(stats.tasks_polled, 2);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoopStats {
    /// Turns of the run-once cycle.
    pub iterations: u64,
    /// Times the loop blocked in the OS poll because nothing was ready.
    pub parks: u64,
    /// Task steps run (polls, and cancellations that dropped a future).
    pub tasks_polled: u64,
    /// Callbacks run (`call_soon`, done-callbacks, thread-safe callbacks).
    pub callbacks_run: u64,
    /// Items taken from the injection queue (wakes and callbacks from other threads).
    pub remote_events: u64,
}

/// The live counters inside the loop.
#[derive(Default)]
pub(crate) struct StatCounters {
    pub(crate) iterations: Cell<u64>,
    pub(crate) parks: Cell<u64>,
    pub(crate) tasks_polled: Cell<u64>,
    pub(crate) callbacks_run: Cell<u64>,
    pub(crate) remote_events: Cell<u64>,
}

impl StatCounters {
    #[inline]
    pub(crate) fn bump(counter: &Cell<u64>) {
        counter.set(counter.get() + 1);
    }

    pub(crate) fn snapshot(&self) -> LoopStats {
        LoopStats {
            iterations: self.iterations.get(),
            parks: self.parks.get(),
            tasks_polled: self.tasks_polled.get(),
            callbacks_run: self.callbacks_run.get(),
            remote_events: self.remote_events.get(),
        }
    }
}
