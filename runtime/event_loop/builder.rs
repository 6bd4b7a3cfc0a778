//! `Builder`: the loop's settings, asyncio's `loop.set_debug` and friends.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::core::{LoopConfig, LoopCore};
use super::observer::LoopObserver;
use super::EventLoop;
use crate::debug::trace::TraceRecorder;
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
    trace: Option<PathBuf>,
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder {
            debug: None,
            slow_poll_threshold: DEFAULT_SLOW_POLL_THRESHOLD,
            event_interval: DEFAULT_EVENT_INTERVAL,
            start_paused: false,
            trace: None,
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

    /// Builds the loop.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for an `event_interval` of 0; the OS error when the
    /// poller cannot be created (for example, out of file descriptors), or
    /// when the file given to [`trace`](Builder::trace) cannot be created.
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
        let core = LoopCore::new(
            LoopConfig {
                event_interval: self.event_interval,
                debug: DebugConfig {
                    enabled,
                    slow_poll_threshold: self.slow_poll_threshold,
                },
                start_paused: self.start_paused,
            },
            trace_observer(self.trace)?,
        )?;
        Ok(EventLoop::from_core(core))
    }
}

/// The trace recorder asked for, by the builder or by `CORIO_TRACE`. A file
/// named by the environment that cannot be created is reported and tracing
/// is left off: a stray variable must not stop a program from running.
fn trace_observer(asked: Option<PathBuf>) -> io::Result<Option<Box<dyn LoopObserver>>> {
    if let Some(path) = asked {
        return Ok(Some(Box::new(TraceRecorder::open(&path)?)));
    }
    let Some(path) = std::env::var_os("CORIO_TRACE").filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    match TraceRecorder::open(path.as_ref()) {
        Ok(recorder) => Ok(Some(Box::new(recorder))),
        Err(e) => {
            eprintln!(
                "corio: CORIO_TRACE: cannot create {} ({e}); running without a trace",
                PathBuf::from(path).display()
            );
            Ok(None)
        }
    }
}
