//! Debug mode: asyncio's warnings for slow steps, lost errors and tasks left
//! pending, plus the task table of `dump_tasks` and the live task list
//! (`inspect.rs`), each switched on on its own. The trace recorder has a
//! folder of its own (`trace/`); `watchers.rs` attaches it to a loop.
//!
//! Debug mode is off by default and switched on with
//! `EventLoop::builder().debug(true)` or the environment variable
//! `CORIO_DEBUG=1`. Off, it costs one predictable branch per poll.

pub(crate) mod dump;
#[cfg(unix)]
pub(crate) mod inspect;
pub(crate) mod watchdog;
pub(crate) mod watchers;

use std::time::Duration;

use crate::task::header::Header;

/// asyncio's `slow_callback_duration`.
pub(crate) const DEFAULT_SLOW_POLL_THRESHOLD: Duration = Duration::from_millis(100);

/// How long a task may wait with no wake and no timer before the watchdog
/// reports it.
pub(crate) const DEFAULT_STUCK_TASK_THRESHOLD: Duration = Duration::from_secs(10);

/// The loop's debug settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DebugConfig {
    pub(crate) enabled: bool,
    pub(crate) slow_poll_threshold: Duration,
    pub(crate) stuck_task_threshold: Duration,
}

/// After a poll in debug mode: add its time to the task and warn if it was slow.
pub(crate) fn record_poll(config: &DebugConfig, task: &Header, elapsed: Duration) {
    let now = std::time::Instant::now();
    task.with_cold(|c| {
        c.poll_time += elapsed;
        c.last_step = Some(now);
        c.reported_stuck = false;
    });
    if elapsed >= config.slow_poll_threshold {
        eprintln!(
            "corio: slow poll: task {} ({}, spawned at {}) took {:.1?} in one step (threshold {:.0?})",
            task.id,
            task.name(),
            task.spawned_at,
            elapsed,
            config.slow_poll_threshold
        );
    }
}

/// A task panicked and its handle is gone: nobody will see the panic.
pub(crate) fn report_unretrieved_panic(config: &DebugConfig, task: &Header) {
    if config.enabled {
        eprintln!(
            "corio: task panic was never retrieved: task {} ({}, spawned at {})",
            task.id,
            task.name(),
            task.spawned_at
        );
    }
}

/// The loop closes with this task still pending (it is cancelled now).
pub(crate) fn report_pending_at_close(config: &DebugConfig, task: &Header) {
    if config.enabled {
        eprintln!(
            "corio: task was destroyed but it is pending: task {} ({}, spawned at {})",
            task.id,
            task.name(),
            task.spawned_at
        );
    }
}
