//! The event loop: asyncio's loop, owned by one thread.
//!
//! * `EventLoop` owns a `core::LoopCore` (ready queue, task registry, OS
//!   poller) and runs the cycle of `core.rs`.
//! * [`LoopHandle`] is the `Send + Sync` side other threads hold
//!   (`shared::LoopShared`).
//! * `context` is how `spawn` and wakers find the running loop.
//! * `park` is the handshake that lets another thread wake a parked loop.

pub(crate) mod builder;
pub(crate) mod callback;
pub(crate) mod context;
pub(crate) mod core;
pub(crate) mod handle;
pub(crate) mod park;
pub(crate) mod ready_queue;
pub(crate) mod shared;
pub(crate) mod stats;

use std::fmt;
use std::future::Future;
use std::panic::{resume_unwind, Location};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

pub use builder::Builder;
pub use handle::{LoopClosed, LoopHandle, RemoteTask};
pub use stats::LoopStats;

use self::core::LoopCore;
use crate::task::harness;
use crate::task::header::Header;
use crate::task::state::COMPLETE;
use crate::task::{Task, TaskError};

/// An event loop: asyncio's `loop`. It belongs to the thread that created it.
///
/// Most programs use [`run`] instead, which makes a loop, runs one future on
/// it and closes it. Dropping an `EventLoop` closes it the same way: every
/// task still pending is cancelled and dropped.
///
/// ```
/// let lp = corio::EventLoop::new();
/// let four = lp.block_on(async { 2 + 2 });
/// let five = lp.block_on(async { four + 1 });
/// assert_eq!(five, 5);
/// ```
pub struct EventLoop {
    core: LoopCore,
}

impl EventLoop {
    /// A loop with default settings.
    ///
    /// # Panics
    ///
    /// When the OS poller cannot be created (for example, out of file
    /// descriptors); [`Builder::build`] returns that error instead.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// # drop(lp);
    /// ```
    pub fn new() -> EventLoop {
        EventLoop::builder()
            .build()
            .unwrap_or_else(|e| panic!("corio: could not create the event loop's OS poller: {e}"))
    }

    /// A [`Builder`] to configure the loop.
    ///
    /// ```
    /// let lp = corio::EventLoop::builder().debug(true).build().unwrap();
    /// # drop(lp);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_core(core: LoopCore) -> EventLoop {
        EventLoop { core }
    }

    /// Runs the loop until `future` completes and returns its output: asyncio's
    /// `run_until_complete`. The future runs as a task (so `current_task()`
    /// inside it is `Some`); it may borrow from the caller. Tasks it spawned and
    /// did not finish stay on the loop for the next `block_on`.
    ///
    /// # Panics
    ///
    /// * When a corio loop is already running on this thread (await the
    ///   future, or spawn it, instead).
    /// * When `stop()` is called before the future completes (asyncio raises
    ///   "Event loop stopped before Future completed").
    /// * With the future's own panic, re-raised here after it was contained.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let words = vec!["borrowed", "is", "fine"];
    /// let n = lp.block_on(async { words.len() });
    /// assert_eq!(n, 3);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = context::enter(&self.core);
        let mut output: Option<F::Output> = None;
        let slot: *mut Option<F::Output> = &mut output;
        let main = async move {
            let value = future.await;
            // SAFETY: `output` outlives this future: `block_on` does not return
            // or unwind past `output` before the future is dropped (`MainGuard`).
            unsafe { *slot = Some(value) };
        };
        let main: Pin<Box<dyn Future<Output = ()> + '_>> = Box::pin(main);
        // Only the lifetime is erased. The future (and what it borrows) is
        // dropped before `block_on` returns or unwinds: on completion by the
        // loop, or by `MainGuard` otherwise; after that only its `Consumed`
        // stage remains, which holds no borrowed data.
        let main: Pin<Box<dyn Future<Output = ()> + 'static>> =
            // SAFETY: the erased lifetime is never outlived (see above).
            unsafe { std::mem::transmute(main) };
        let raw = self.core.spawn(main, None, Location::caller());
        let guard = MainGuard {
            core: &self.core,
            task: raw,
        };
        // SAFETY: `spawn` returned the handle's reference for a `()` task.
        let mut task: Task<()> = unsafe { Task::from_raw(raw) };
        // As asyncio's run_until_complete: a stop (even one requested before
        // the call) lets the current iteration finish; if the future is not
        // done by then, that is an error.
        loop {
            self.core.run_once();
            if task.is_done() {
                break;
            }
            if self.core.take_stop_request() {
                panic!("corio: the event loop was stopped before the block_on future completed");
            }
        }
        drop(guard);
        let mut cx = Context::from_waker(Waker::noop());
        match Pin::new(&mut task).poll(&mut cx) {
            Poll::Ready(Ok(())) => output.expect("the main future stored its output"),
            Poll::Ready(Err(TaskError::Panicked(payload))) => resume_unwind(payload),
            Poll::Ready(Err(TaskError::Cancelled(msg))) => panic!(
                "corio: the block_on future was cancelled{}",
                msg.map(|m| format!(": {m}")).unwrap_or_default()
            ),
            Poll::Pending => unreachable!("a done task is ready"),
        }
    }

    /// Runs the loop until [`stop`](EventLoop::stop) (or
    /// [`LoopHandle::stop`]) is called: asyncio's `run_forever`. A stop
    /// requested before the call gives exactly one iteration.
    ///
    /// # Panics
    ///
    /// When a corio loop is already running on this thread.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let handle = lp.handle();
    /// let job = handle.spawn(async { 6 * 7 });
    /// let waiter = std::thread::spawn(move || {
    ///     let answer = job.wait().unwrap(); // blocks this thread, not the loop
    ///     handle.stop().unwrap();
    ///     answer
    /// });
    /// lp.run_forever(); // returns once the other thread calls stop
    /// assert_eq!(waiter.join().unwrap(), 42);
    /// ```
    #[track_caller]
    pub fn run_forever(&self) {
        let _enter = context::enter(&self.core);
        loop {
            self.core.run_once();
            if self.core.take_stop_request() {
                return;
            }
        }
    }

    /// Asks the loop to stop after the current iteration (asyncio's `stop`).
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// lp.stop();
    /// lp.run_forever(); // one iteration, then returns
    /// assert_eq!(lp.stats().iterations, 1);
    /// ```
    pub fn stop(&self) {
        self.core.request_stop();
    }

    /// The thread-safe handle: spawn and schedule callbacks from any thread.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let handle = lp.handle();
    /// let task = std::thread::spawn(move || handle.spawn(async { 40 + 2 })).join().unwrap();
    /// assert_eq!(lp.block_on(task).unwrap(), 42);
    /// ```
    pub fn handle(&self) -> LoopHandle {
        LoopHandle::new(self.core.shared().clone())
    }

    /// The loop's counters (iterations, parks, task steps, callbacks).
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// assert_eq!(lp.stats().iterations, 0);
    /// ```
    pub fn stats(&self) -> LoopStats {
        self.core.stats()
    }

    /// A table of the loop's tasks that are not done (see [`dump_tasks`](crate::dump_tasks)).
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// assert!(lp.dump().contains("0 task(s) not done"));
    /// ```
    pub fn dump(&self) -> String {
        crate::debug::dump::render(&self.core)
    }
}

impl Default for EventLoop {
    fn default() -> EventLoop {
        EventLoop::new()
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        let _enter = context::enter_for_close(&self.core);
        self.core.close();
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("stats", &self.core.stats())
            .finish_non_exhaustive()
    }
}

/// Drops the `block_on` future if `block_on` unwinds before it completed, so
/// that nothing it borrows is used after `block_on` returns.
struct MainGuard<'a> {
    core: &'a LoopCore,
    task: NonNull<Header>,
}

impl Drop for MainGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: the `Task` handle in `block_on` still holds a reference.
        if !unsafe { self.task.as_ref() }.state.is(COMPLETE) {
            harness::cancel_now(self.core, self.task);
        }
    }
}

/// Runs `future` on a new event loop and closes the loop: asyncio's `run`.
///
/// When `future` completes, every task still pending is cancelled (its future
/// dropped), the callbacks that produced run, and the loop closes. A panic in
/// `future` is re-raised here after the loop closed.
///
/// # Panics
///
/// When called from inside a running corio loop on the same thread: `.await`
/// the future instead, or `corio::spawn` it.
///
/// ```
/// let answer = corio::run(async {
///     let task = corio::spawn(async { 21 * 2 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run<F: Future>(future: F) -> F::Output {
    let event_loop = EventLoop::new();
    let output = event_loop.block_on(future);
    drop(event_loop);
    output
}
