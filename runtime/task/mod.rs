//! Tasks: a future the loop owns and drives, asyncio's `Task`.
//!
//! The life of a task, file by file:
//!
//! 1. `spawn` (this file) hands the future to the running loop's
//!    `Scheduler::spawn`, which allocates one `raw::TaskCell` — header plus
//!    future — registers it (`registry`) and pushes it on the ready queue.
//!    It does not poll it: tasks start in creation order, at the loop's next turn.
//! 2. The loop pops it and calls `harness::run_task`, which polls the future
//!    with a `waker` pointing at the header.
//! 3. A wake pushes the header back on the ready queue (or the injection queue
//!    from another thread); `state` keeps it queued at most once.
//! 4. When the future returns, panics or is cancelled, `harness::complete`
//!    stores the outcome, wakes whoever awaits the `Task` handle (`join`),
//!    and schedules the done-callbacks.
//! 5. The last reference (loop, handle, wakers, `TaskRef`s) frees the memory.

pub(crate) mod call_graph;
pub(crate) mod cold;
pub(crate) mod error;
pub(crate) mod harness;
pub(crate) mod header;
pub(crate) mod introspect;
pub(crate) mod join;
pub(crate) mod raw;
pub(crate) mod refs;
pub(crate) mod registry;
pub(crate) mod state;
pub(crate) mod task_ref;
pub(crate) mod waker;
pub(crate) mod yield_now;

use std::future::Future;
use std::panic::Location;

pub use call_graph::{call_graph, CallGraph, CallNode};
pub use error::TaskError;
pub use header::TaskRef;
pub use introspect::{all_tasks, current_task, dump_tasks};
pub use join::Task;
pub use task_ref::{DoneCallbackId, TaskId, TaskState};
pub use yield_now::{yield_now, YieldNow};

use crate::event_loop::context;

/// Spawns `future` as a task on the running loop: asyncio's `create_task`.
///
/// The task starts at the loop's next turn, never inside `spawn`; tasks start
/// in the order they were spawned. The future need not be `Send`.
///
/// # Panics
///
/// When no corio loop is running on this thread. From another thread, use
/// [`LoopHandle::spawn`](crate::LoopHandle::spawn).
///
/// ```
/// let sum = corio::run(async {
///     let tasks: Vec<_> = (1..=3).map(|i| corio::spawn(async move { i * 10 })).collect();
///     let mut sum = 0;
///     for t in tasks {
///         sum += t.await.unwrap();
///     }
///     sum
/// });
/// assert_eq!(sum, 60);
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Builder::new().spawn(future)
}

/// Spawns tasks with options: asyncio's `create_task(coro, name=...)`.
///
/// ```
/// corio::run(async {
///     let task = corio::task::Builder::new().name("fetch").spawn(async { 200 });
///     assert_eq!(task.name(), "fetch");
///     assert_eq!(task.await.unwrap(), 200);
/// });
/// ```
#[derive(Debug, Default)]
pub struct Builder {
    name: Option<String>,
}

impl Builder {
    /// A builder with no options set.
    ///
    /// ```
    /// let _ = corio::task::Builder::new();
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the task (shown by `name()`, `all_tasks()` and `dump_tasks()`).
    ///
    /// ```
    /// let _ = corio::task::Builder::new().name("worker");
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Spawns the task on the running loop, as [`spawn`].
    ///
    /// # Panics
    ///
    /// When no corio loop is running on this thread.
    ///
    /// ```
    /// corio::run(async {
    ///     assert_eq!(corio::task::Builder::new().spawn(async { 1 }).await.unwrap(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_at(future, self.name, Location::caller())
    }
}

/// Spawns `future` recording `at` as its spawn site: for spawning helpers that
/// are `#[track_caller]` themselves but spawn from inside a closure, where the
/// caller's location would otherwise be lost.
pub(crate) fn spawn_at<F>(
    future: F,
    name: Option<String>,
    at: &'static Location<'static>,
) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let raw = context::with_current_loop(|lp| lp.scheduler.spawn(future, name, at)).unwrap_or_else(
        || {
            panic!(
                "corio::spawn called at {at} with no corio loop running on this thread: \
             start one with corio::run(..) or EventLoop::block_on(..), or use \
             LoopHandle::spawn from another thread"
            )
        },
    );
    // SAFETY: `Scheduler::spawn` returns a new task of output type F::Output and
    // the handle's reference.
    unsafe { Task::from_raw(raw) }
}
