//! The event loop: asyncio's loop, owned by one thread.
//!
//! An [`EventLoop`] belongs to the thread that made it (it is not `Send`).
//! Everything on that thread is single-threaded — `Cell`s and `RefCell`s, no
//! locks, no atomic read-modify-writes on the local path. Only three things
//! cross threads: a task's reference count, the injection queue, and the park
//! handshake. [`run`] is `asyncio.run`: a fresh loop, one main future, then
//! the loop's close.
//!
//! # Bird's-eye view
//!
//! ```text
//!             spawn / call_soon                      LoopHandle (any thread)
//!                   │                                        │
//!                   ▼                                        ▼
//!    ┌──────────── ReadyQueue ◄──── drain ──── injection queue (SegQueue) ◄── wakes from
//!    │        (tasks + callbacks,                 + ParkState + Unparker        other threads
//!    │         one FIFO, one word each)                      ▲
//!    │                  │                                    │ eventfd write, only if PARKED
//!    │      run_once: run the batch                          │
//!    │                  │                          ┌─────────┴──────────┐
//!    │     harness::run_task ── poll(future, waker)│ Driver (mio::Poll) │ ◄── parks here when
//!    │                  │                          └────────────────────┘     nothing is ready
//!    └──── wake (same thread): push ◄──────────────────┘
//! ```
//!
//! A wake on the loop's own thread pushes the task at the back of the ready
//! queue: a `Cell` read, a `Cell` write and a `VecDeque` push. A wake from
//! another thread — a [`LoopHandle`], a waker that travelled, a thread-pool
//! job finishing — goes through the injection queue, and writes the loop's
//! eventfd only if the loop is parked.
//!
//! # The run-once cycle
//!
//! `LoopCore::run_once` (`core.rs`) follows asyncio's `BaseEventLoop._run_once`:
//!
//! 1. Drain the injection queue. The time the loop may block is zero if
//!    anything is ready (or a stop is pending), else until the nearest timer,
//!    else unbounded.
//! 2. If nothing is ready, park: the park handshake, then `Driver::poll`
//!    (`epoll_wait`, blocking for that long), then drain the injection queue
//!    again. Sockets that became ready wake their tasks here (signals too:
//!    each listener reads from a socket pair the OS handler writes to).
//! 3. Fire the expired timers, in deadline order; their tasks join the ready
//!    queue behind what is already there (`call_later(0, t)` followed by
//!    `call_soon(s)` runs `s` first, as in asyncio).
//! 4. Run exactly the entries that were ready when the batch began; anything
//!    they schedule waits for the next iteration, so [`yield_now`] is a fair
//!    turn. Every `event_interval` steps (61 by default, see
//!    [`Builder::event_interval`]) the loop polls IO with a zero timeout and
//!    drains the injection queue, so a flood of always-ready tasks cannot
//!    starve sockets or other threads.
//!
//! [`EventLoop::block_on`] and [`EventLoop::run_forever`] repeat this cycle
//! until their future completes or [`EventLoop::stop`] is called; dropping
//! the loop closes it as `asyncio.run` does (every task left is cancelled and
//! runs its cleanup).
//!
//! # The parts, and which way the imports point
//!
//! * `core.rs`: `LoopCore`, the cycle itself (run-once, park, close). It owns
//!   the loop's services and the IO driver, and nothing imports it but this
//!   module and the builder.
//! * `services.rs`: `LoopServices`, what code running on the loop reaches —
//!   the `Scheduler` (`scheduler.rs`: ready queue, task registry, the wakers'
//!   side), the `Timers` (`time/timers.rs`), the socket table
//!   (`io/reactor.rs`) and the per-loop `Resources` (`resources.rs`: the
//!   default pool).
//! * `context.rs`: the thread-locals through which `spawn`, `sleep` and the
//!   wakers find the running loop's services, and the task being polled.
//! * [`LoopHandle`] is the `Send + Sync` side other threads hold
//!   (`shared.rs`: the injection queue, and `park.rs`: the handshake that lets
//!   another thread wake a parked loop).
//! * `observer.rs` is the seam through which the cycle reports to a watcher
//!   (the trace recorder, the live task list); it imports nothing of the loop.
//!
//! `ARCHITECTURE.md` at the repository's root walks a task, a timer, a socket
//! event and a cross-thread wake through these files.
//!
//! [`yield_now`]: crate::yield_now

pub(crate) mod builder;
pub(crate) mod call_soon;
pub(crate) mod callback;
pub(crate) mod context;
pub(crate) mod core;
pub(crate) mod handle;
pub(crate) mod observer;
pub(crate) mod park;
pub(crate) mod ready_queue;
pub(crate) mod resources;
pub(crate) mod scheduler;
pub(crate) mod services;
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
use self::scheduler::Scheduler;
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
        let _enter = context::enter(self.core.services());
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
        let scheduler = &self.core.services().scheduler;
        let raw = scheduler.spawn(main, None, Location::caller());
        let guard = MainGuard {
            scheduler,
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
        let _enter = context::enter(self.core.services());
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
        self.core.services().request_stop();
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
        LoopHandle::new(self.core.services().scheduler.shared().clone())
    }

    /// The loop's counters (iterations, parks, task steps, callbacks).
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// assert_eq!(lp.stats().iterations, 0);
    /// ```
    pub fn stats(&self) -> LoopStats {
        self.core.services().scheduler.stats()
    }

    /// A table of the loop's tasks that are not done (see [`dump_tasks`](crate::dump_tasks)).
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// assert!(lp.dump().contains("0 task(s) not done"));
    /// ```
    pub fn dump(&self) -> String {
        crate::debug::dump::render(self.core.services())
    }

    /// Writes out the trace recorded so far and returns once it is in the
    /// file, with the loop still open (closing the loop does this too). A
    /// loop that is not traced has nothing to write.
    ///
    /// The recorder keeps a buffer and the file is written by a thread of
    /// its own, so a long-running traced program (a server) can call this
    /// to get a file that holds everything up to now. It blocks the loop's
    /// thread until the writer has worked through its backlog (up to 256
    /// batches of 16,384 records: seconds for a loop that ran flat out).
    /// Called from inside a task, the slices still open (that step, its
    /// turn) reach the file later, when they end.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("flush-doc-{}.json", std::process::id()));
    /// let lp = corio::EventLoop::builder().trace(&path).build().unwrap();
    /// lp.block_on(corio::yield_now());
    /// lp.flush_trace();
    /// assert!(std::fs::read_to_string(&path).unwrap().contains("\"cat\":\"step\""));
    /// drop(lp);
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn flush_trace(&self) {
        if let Some(observer) = self.core.services().scheduler.observer() {
            observer.write_out();
        }
    }
}

impl Default for EventLoop {
    fn default() -> EventLoop {
        EventLoop::new()
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        let _enter = context::enter_for_close(self.core.services());
        self.core.close();
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Drops the `block_on` future if `block_on` unwinds before it completed, so
/// that nothing it borrows is used after `block_on` returns.
struct MainGuard<'a> {
    scheduler: &'a Scheduler,
    task: NonNull<Header>,
}

impl Drop for MainGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: the `Task` handle in `block_on` still holds a reference.
        if !unsafe { self.task.as_ref() }.state.is(COMPLETE) {
            harness::cancel_now(self.scheduler, self.task);
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
