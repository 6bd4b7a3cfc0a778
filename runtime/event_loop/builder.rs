//! `Builder`: the loop's settings, asyncio's `loop.set_debug` and friends.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::core::{LoopConfig, LoopCore};
use super::EventLoop;
use crate::debug::{
    watchers, DebugConfig, DEFAULT_SLOW_POLL_THRESHOLD, DEFAULT_STUCK_TASK_THRESHOLD,
};

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
    stuck_task_threshold: Duration,
    event_interval: u32,
    start_paused: bool,
    trace: Option<PathBuf>,
    inspect: Option<PathBuf>,
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder {
            debug: None,
            slow_poll_threshold: DEFAULT_SLOW_POLL_THRESHOLD,
            stuck_task_threshold: DEFAULT_STUCK_TASK_THRESHOLD,
            event_interval: DEFAULT_EVENT_INTERVAL,
            start_paused: false,
            trace: None,
            inspect: None,
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

    /// In debug mode, a task that has waited this long (default 10 s) with
    /// no wake and no timer armed to wake it — and that awaits no other task
    /// — is reported once on stderr, with its spawn site and the chain of
    /// tasks awaiting it (the stuck-task watchdog). A task waiting on a socket
    /// counts as stuck too: an idle server wants a larger threshold.
    ///
    /// ```
    /// let lp = corio::EventLoop::builder()
    ///     .debug(true)
    ///     .stuck_task_threshold(std::time::Duration::from_secs(30))
    ///     .build()
    ///     .unwrap();
    /// # drop(lp);
    /// ```
    pub fn stuck_task_threshold(mut self, threshold: Duration) -> Builder {
        self.stuck_task_threshold = threshold;
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

    /// Records a trace of the loop into `path`: every turn of the cycle, task
    /// step, callback, park, IO poll and timer round, with arrows for spawns
    /// and wakes, as Trace Event Format JSON (open it in Perfetto,
    /// `chrome://tracing`, or turn it into a page with the `timeline`
    /// example). The file is written when the buffer fills and when the loop
    /// closes. Without this call, tracing follows the environment variable
    /// `CORIO_TRACE` (a path). Loops of one process tracing into the same path
    /// share the file, each on its own track.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-doc-{}.json", std::process::id()));
    /// let lp = corio::EventLoop::builder().trace(&path).build().unwrap();
    /// lp.block_on(async { corio::yield_now().await });
    /// drop(lp); // closing the loop writes the trace
    /// let json = std::fs::read_to_string(&path).unwrap();
    /// assert!(json.contains("\"outcome\":\"ready\""));
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn trace(mut self, path: impl Into<PathBuf>) -> Builder {
        self.trace = Some(path.into());
        self
    }

    /// Serves the loop's live task list on a Unix socket at `path`, as
    /// `python -m asyncio ps` does for a running asyncio program: a small
    /// thread answers each connection with the task table and the await
    /// tree, taken between two steps; if the loop is stuck inside a step, the
    /// answer names that step's task instead. Read it with
    /// `cargo run --example corio_ps -- PATH`. Without this call, the
    /// environment variable `CORIO_INSPECT` (a path) turns it on. The socket
    /// file is removed when the loop closes.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let path = std::env::temp_dir().join(format!("corio-doc-{}.sock", std::process::id()));
    /// let lp = corio::EventLoop::builder().inspect(&path).build().unwrap();
    /// let client_path = path.clone();
    /// let client = std::thread::spawn(move || {
    ///     let mut conn = std::os::unix::net::UnixStream::connect(client_path).unwrap();
    ///     conn.write_all(b"ps\n").unwrap();
    ///     let mut reply = String::new();
    ///     conn.read_to_string(&mut reply).unwrap();
    ///     reply
    /// });
    /// let reply = lp.block_on(async move {
    ///     loop {
    ///         if client.is_finished() {
    ///             return client.join().unwrap();
    ///         }
    ///         corio::time::sleep(std::time::Duration::from_millis(5)).await;
    ///     }
    /// });
    /// assert!(reply.contains("task(s) not done"));
    /// ```
    #[cfg(unix)]
    pub fn inspect(mut self, path: impl Into<PathBuf>) -> Builder {
        self.inspect = Some(path.into());
        self
    }

    /// Builds the loop.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for an `event_interval` of 0; the OS error when the
    /// poller cannot be created (for example, out of file descriptors), or
    /// when the file given to [`trace`](Builder::trace) cannot be created or
    /// the socket given to `inspect` cannot be bound.
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
        let (observer, pending) = watchers::assemble(self.trace, self.inspect)?;
        let core = LoopCore::new(
            LoopConfig {
                event_interval: self.event_interval,
                debug: DebugConfig {
                    enabled,
                    slow_poll_threshold: self.slow_poll_threshold,
                    stuck_task_threshold: self.stuck_task_threshold,
                },
                start_paused: self.start_paused,
            },
            observer,
        )?;
        #[cfg(unix)]
        if let Some(server) = pending {
            server.start(super::LoopHandle::new(
                core.services().scheduler.shared().clone(),
            ))?;
        }
        #[cfg(not(unix))]
        drop(pending);
        Ok(EventLoop::from_core(core))
    }
}
