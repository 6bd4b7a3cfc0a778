//! asyncio's combinators: `gather`, `wait`, `as_completed`, `shield`,
//! `TaskGroup` — with asyncio's semantics, edge cases included.
//!
//! Every combinator works on [`Task`](crate::Task)s, including tasks it did not
//! spawn, and never polls a task's future: it registers a
//! `completion::CompletionQueue` (or a `TaskGroup` listener) on each task and
//! is told, by the loop, which task completed. So a task's poll count and state
//! in `all_tasks()` stay exactly what the loop did.
//!
//! When is a task *failed*? One meaning for every combinator that asks —
//! fail-fast `gather`, `wait(FirstException)`, `TaskGroup`: when it
//! panicked, or when its output is a failure by the [`Fallible`] trait — an
//! `Err` of a `Result`. A cancelled task is not a failure for `wait` and
//! `TaskGroup`; it does end a fail-fast `gather`, whose awaiter asyncio
//! would hand the child's `CancelledError`.

pub(crate) mod as_completed;
pub(crate) mod completion;
pub(crate) mod fallible;
pub(crate) mod gather;
pub(crate) mod gather_error;
pub(crate) mod return_when;
pub(crate) mod shield;
pub(crate) mod task_group;
pub(crate) mod task_input;
pub(crate) mod wait;

pub use as_completed::{as_completed, AsCompleted, Completed};
pub use fallible::Fallible;
pub use gather::{gather, gather_futures, gather_settled, Gather, GatherSettled};
pub use gather_error::GatherError;
pub use return_when::{AllCompleted, FirstCompleted, FirstException, ReturnCondition, ReturnWhen};
pub use shield::{shield, Shield};
pub use task_group::{
    task_group, ChildFailure, FailureKind, TaskGroup, TaskGroupError, TaskGroupScope,
};
pub use task_input::TaskInput;
pub use wait::{wait, DoneAndPending, EmptyWait, Wait};
