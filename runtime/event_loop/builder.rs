//! `Builder`: the loop's settings, asyncio's `loop.set_debug` and friends.

use std::io;
use std::time::Duration;

use super::core::{LoopConfig, LoopCore};
use super::EventLoop;
use crate::debug::{DebugConfig, DEFAULT_SLOW_POLL_THRESHOLD};

/// Task steps between two IO polls while tasks are always ready (tokio's default).
const DEFAULT_EVENT_INTERVAL: u32 = 61;

/// Configures and builds an [`EventLoop`].
///
/// ```
/// use std::time::Duration;
/// let lp = corio::EventLoop::builder()
///     .debug(true)
///     .slow_poll_threshold(Duration::from_millis(50))
///     .event_interval(31)
///     .build()
///     .expect("an OS poller");
/// assert_eq!(lp.block_on(async { 7 }), 7);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    debug: Option<bool>,
    slow_poll_threshold: Duration,
    event_interval: u32,
    start_paused: bool,
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder {
            debug: None,
            slow_poll_threshold: DEFAULT_SLOW_POLL_THRESHOLD,
            event_interval: DEFAULT_EVENT_INTERVAL,
            start_paused: false,
        }
    }

    /// Debug mode: warns about slow polls, lost panics and tasks pending at
    /// close, and measures time spent in polls. Without this call, debug mode
    /// follows the environment variable `CORIO_DEBUG` (`1` turns it on).
    ///
    /// ```
    /// let lp = corio::EventLoop::builder().debug(false).build().unwrap();
    /// # drop(lp);
    /// ```
    pub fn debug(mut self, on: bool) -> Builder {
        self.debug = Some(on);
        self
    }

    /// In debug mode, a task step longer than this is reported (default 100 ms,
    /// asyncio's `slow_callback_duration`).
    ///
    /// ```
    /// let b = corio::EventLoop::builder().slow_poll_threshold(std::time::Duration::from_millis(10));
    /// # drop(b);
    /// ```
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Builder {
        self.slow_poll_threshold = threshold;
        self
    }

    /// How many task steps may run between two IO polls when tasks are always
    /// ready (default 61). Must be at least 1; `build` rejects 0.
    ///
    /// ```
    /// assert!(corio::EventLoop::builder().event_interval(0).build().is_err());
    /// ```
    pub fn event_interval(mut self, steps: u32) -> Builder {
        self.event_interval = steps;
        self
    }

    /// Starts the loop's clock paused, for tests: time stands still until
    /// [`time::advance`](crate::time::advance) moves it, and when the loop has
    /// nothing to do but wait for a timer it jumps to that timer's deadline
    /// at once instead of sleeping.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let lp = corio::EventLoop::builder().start_paused(true).build().unwrap();
    /// let real = Instant::now();
    /// lp.block_on(corio::time::sleep(Duration::from_secs(3600)));
    /// assert!(real.elapsed() < Duration::from_secs(60));
    /// ```
    pub fn start_paused(mut self, paused: bool) -> Builder {
        self.start_paused = paused;
        self
    }

    /// Builds the loop.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for an `event_interval` of 0; the OS error when the
    /// poller cannot be created (for example, out of file descriptors).
    ///
    /// ```
    /// let lp = corio::EventLoop::builder().build()?;
    /// # drop(lp);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build(self) -> io::Result<EventLoop> {
        if self.event_interval == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "event_interval must be at least 1 (task steps between IO polls)",
            ));
        }
        let enabled = self
            .debug
            .unwrap_or_else(|| std::env::var("CORIO_DEBUG").is_ok_and(|v| v == "1"));
        let core = LoopCore::new(LoopConfig {
            event_interval: self.event_interval,
            debug: DebugConfig {
                enabled,
                slow_poll_threshold: self.slow_poll_threshold,
            },
            start_paused: self.start_paused,
        })?;
        Ok(EventLoop::from_core(core))
    }
}
