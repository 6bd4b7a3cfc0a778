//! `Builder`: how many loops, their threads' names, each loop's settings.

use std::io;
use std::num::NonZeroUsize;

use super::loop_thread::{self, StartedLoop};
use super::{Runtime, RuntimeHandle};
use crate::event_loop::Builder as LoopBuilder;
use crate::EventLoop;

/// Configures and builds a multi-loop [`Runtime`].
///
/// ```
/// let rt = corio::multi_loop::Runtime::builder()
///     .loops(2)
///     .thread_name("server-loop")
///     .event_loop(corio::EventLoop::builder().event_interval(31))
///     .build()
///     .expect("two OS pollers and two threads");
/// assert_eq!(rt.loops(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    loops: usize,
    thread_name: String,
    event_loop: LoopBuilder,
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder {
            loops: std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            thread_name: "corio-loop".to_owned(),
            event_loop: EventLoop::builder(),
        }
    }

    /// The number of loops, one thread each (default: the available
    /// parallelism). Zero is refused by [`build`](Builder::build).
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(1).build().unwrap();
    /// assert_eq!(rt.loops(), 1);
    /// ```
    pub fn loops(mut self, loops: usize) -> Builder {
        self.loops = loops;
        self
    }

    /// The loop threads' names: `<prefix>-<index>` (default `corio-loop`).
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(1).thread_name("web").build().unwrap();
    /// let name = rt.block_on(async { std::thread::current().name().map(str::to_owned) });
    /// assert_eq!(name.as_deref(), Some("web-0"));
    /// ```
    pub fn thread_name(mut self, prefix: impl Into<String>) -> Builder {
        self.thread_name = prefix.into();
        self
    }

    /// The settings every loop is built with (debug mode, event interval…).
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder()
    ///     .loops(1)
    ///     .event_loop(corio::EventLoop::builder().debug(false))
    ///     .build()
    ///     .unwrap();
    /// # drop(rt);
    /// ```
    pub fn event_loop(mut self, settings: LoopBuilder) -> Builder {
        self.event_loop = settings;
        self
    }

    /// Starts the loops, each on its own thread.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for zero loops; otherwise the error of the first loop
    /// or thread that could not be created (those already started are
    /// stopped and joined).
    ///
    /// ```
    /// let err = corio::multi_loop::Runtime::builder().loops(0).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn build(self) -> io::Result<Runtime> {
        if self.loops == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a corio runtime needs at least one loop",
            ));
        }
        let mut handles = Vec::with_capacity(self.loops);
        let mut thread_ids = Vec::with_capacity(self.loops);
        let mut threads = Vec::with_capacity(self.loops);
        for i in 0..self.loops {
            let name = format!("{}-{i}", self.thread_name);
            match loop_thread::start(name, self.event_loop.clone()) {
                Ok(StartedLoop {
                    handle,
                    thread_id,
                    thread,
                }) => {
                    handles.push(handle);
                    thread_ids.push(thread_id);
                    threads.push(Some(thread));
                }
                Err(e) => {
                    loop_thread::stop_and_join(&handles, &mut threads);
                    return Err(e);
                }
            }
        }
        Ok(Runtime {
            handle: RuntimeHandle::new(handles, thread_ids),
            threads,
        })
    }
}
