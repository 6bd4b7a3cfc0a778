//! `TaskRef`: a type-erased reference to a task, for introspection —
//! what `current_task`, `all_tasks` and done-callbacks hand out.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::Location;
use std::time::Duration;

use super::harness;
use super::header::TaskRef;
use super::state::{Outcome, CANCEL_REQUESTED, COMPLETE, RUNNING, SCHEDULED};

/// A task's id: unique among the tasks of one loop (a 32-bit counter that
/// starts at 1 and wraps after 2^32 spawns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) u32);

impl TaskId {
    /// The id as a number.
    ///
    /// ```
    /// corio::run(async { assert!(corio::spawn(async {}).id().as_u32() > 0) });
    /// ```
    pub fn as_u32(self) -> u32 {
        self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Names one done-callback, for [`Task::remove_done_callback`](crate::Task::remove_done_callback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DoneCallbackId(pub(crate) u64);

/// Where a task is in its life, as introspection sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// In the ready queue, waiting for its next poll.
    Ready,
    /// Being polled right now (it is the current task).
    Running,
    /// Not ready: waiting for a waker.
    Waiting,
    /// `cancel` was called; the future is dropped at the next scheduling point.
    Cancelling,
    /// Returned a value.
    Done,
    /// Ended by cancellation.
    Cancelled,
    /// Ended by a panic.
    Panicked,
}

impl TaskState {
    /// `true` for the three finished states.
    ///
    /// ```
    /// assert!(corio::TaskState::Cancelled.is_finished());
    /// assert!(!corio::TaskState::Waiting.is_finished());
    /// ```
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            TaskState::Done | TaskState::Cancelled | TaskState::Panicked
        )
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that widths and alignment in a table work.
        f.pad(match self {
            TaskState::Ready => "Ready",
            TaskState::Running => "Running",
            TaskState::Waiting => "Waiting",
            TaskState::Cancelling => "Cancelling",
            TaskState::Done => "Done",
            TaskState::Cancelled => "Cancelled",
            TaskState::Panicked => "Panicked",
        })
    }
}

impl TaskRef {
    /// Who awaits this task, when known (for `call_graph`).
    pub(crate) fn awaited_by(&self) -> Option<super::cold::AwaitedBy> {
        self.header().peek_cold(|c| c.awaited_by).flatten()
    }

    /// The task's id.
    ///
    /// ```
    /// corio::run(async {
    ///     let t = corio::spawn(async {});
    ///     assert_eq!(t.task_ref().id(), t.id());
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        TaskId(self.header().id)
    }

    /// The task's name (`Task-<id>` unless one was given).
    ///
    /// ```
    /// corio::run(async {
    ///     let t = corio::task::Builder::new().name("io").spawn(async {});
    ///     assert_eq!(t.task_ref().name(), "io");
    /// });
    /// ```
    pub fn name(&self) -> String {
        self.header().name()
    }

    /// Where the task is in its life.
    ///
    /// ```
    /// corio::run(async {
    ///     let t = corio::spawn(async {});
    ///     assert_eq!(t.task_ref().state(), corio::TaskState::Ready);
    /// });
    /// ```
    pub fn state(&self) -> TaskState {
        let s = &self.header().state;
        match s.outcome() {
            Some(Outcome::Returned) => TaskState::Done,
            Some(Outcome::Cancelled) => TaskState::Cancelled,
            Some(Outcome::Panicked) => TaskState::Panicked,
            None if s.is(RUNNING) => TaskState::Running,
            None if s.is(CANCEL_REQUESTED) => TaskState::Cancelling,
            None if s.is(SCHEDULED) => TaskState::Ready,
            None => TaskState::Waiting,
        }
    }

    /// `true` once the task has finished in any way.
    ///
    /// ```
    /// corio::run(async {
    ///     let t = corio::spawn(async {});
    ///     let r = t.task_ref();
    ///     t.await.unwrap();
    ///     assert!(r.is_done());
    /// });
    /// ```
    pub fn is_done(&self) -> bool {
        self.header().state.is(COMPLETE)
    }

    /// `true` if the task ended by cancellation.
    ///
    /// ```
    /// corio::run(async {
    ///     let t = corio::spawn(async {});
    ///     let r = t.task_ref();
    ///     r.cancel();
    ///     let _ = t.await;
    ///     assert!(r.is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.header().state.outcome() == Some(Outcome::Cancelled)
    }

    /// The source location of the `spawn` call that created the task.
    ///
    /// ```
    /// corio::run(async {
    ///     let line = line!() + 1;
    ///     let t = corio::spawn(async {});
    ///     assert_eq!(t.task_ref().spawned_at().line(), line);
    /// });
    /// ```
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.header().spawned_at
    }

    /// How many times the task's future has been polled.
    ///
    /// ```
    /// corio::run(async {
    ///     let t = corio::spawn(async { corio::yield_now().await });
    ///     let r = t.task_ref();
    ///     t.await.unwrap();
    ///     assert_eq!(r.poll_count(), 2);
    /// });
    /// ```
    pub fn poll_count(&self) -> u32 {
        self.header().state.poll_count()
    }

    /// Total time spent inside the task's `poll`. Measured only when the loop
    /// runs in debug mode (two clock reads per poll are too dear otherwise);
    /// zero elsewhere.
    ///
    /// ```
    /// corio::run(async {
    ///     let me = corio::current_task().unwrap();
    ///     assert_eq!(me.poll_time(), std::time::Duration::ZERO);
    /// });
    /// ```
    pub fn poll_time(&self) -> Duration {
        self.header()
            .peek_cold(|c| c.poll_time)
            .unwrap_or(Duration::ZERO)
    }

    /// Requests cancellation, as [`Task::cancel`](crate::Task::cancel).
    ///
    /// ```
    /// corio::run(async {
    ///     let t = corio::spawn(std::future::pending::<()>());
    ///     assert!(t.task_ref().cancel());
    ///     assert!(t.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        harness::cancel(self.raw, None)
    }

    /// Requests cancellation with a message, as [`Task::cancel_with`](crate::Task::cancel_with).
    ///
    /// ```
    /// corio::run(async {
    ///     let t = corio::spawn(std::future::pending::<()>());
    ///     t.task_ref().cancel_with("bye");
    ///     assert_eq!(t.await.unwrap_err().to_string(), "task was cancelled: bye");
    /// });
    /// ```
    pub fn cancel_with(&self, message: impl Into<String>) -> bool {
        harness::cancel(self.raw, Some(message.into()))
    }
}

impl PartialEq for TaskRef {
    fn eq(&self, other: &TaskRef) -> bool {
        self.raw == other.raw
    }
}

impl Eq for TaskRef {}

impl Hash for TaskRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskRef")
            .field("id", &self.header().id)
            .field("name", &self.name())
            .field("state", &self.state())
            .field("polls", &self.poll_count())
            .field("spawned_at", &format_args!("{}", self.spawned_at()))
            .finish()
    }
}
