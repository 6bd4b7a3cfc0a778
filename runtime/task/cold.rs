//! The cold part of a task: data most tasks never need, allocated on first use.
//!
//! A task's header is on the hot path of every spawn, wake and poll, and an idle
//! server may hold hundreds of thousands of tasks, so the header keeps only what
//! every task needs (48 bytes). Names, join wakers, done-callbacks, cancellation
//! messages, panic payloads and debug timings live here instead, behind one
//! pointer that stays null for a task that never uses them.
//!
//! The cold part is reached through a `Cell<Option<Box<TaskCold>>>`: code takes
//! the box out, edits it, and puts it back, never calling user code in between
//! (user values are moved out first and dropped or called afterwards). That is
//! what makes the plain `Cell` sound without a borrow flag.

use std::any::Any;
use std::task::Waker;
use std::time::Duration;

use super::task_ref::TaskRef;

/// A done-callback and the id that `remove_done_callback` finds it by.
pub(crate) type DoneCallback = (u64, Box<dyn FnOnce(&TaskRef)>);

/// Rarely used per-task data; see the module docs.
#[derive(Default)]
pub(crate) struct TaskCold {
    /// The task's name; `None` means the default `Task-<id>`.
    pub(crate) name: Option<String>,
    /// The waker of whoever awaits the `Task<T>` handle.
    pub(crate) join_waker: Option<Waker>,
    /// Callbacks to schedule with `call_soon` when the task completes.
    pub(crate) done_callbacks: Vec<DoneCallback>,
    /// The message given to `cancel_with`.
    pub(crate) cancel_message: Option<String>,
    /// What the future panicked with, until the handle takes it.
    pub(crate) panic_payload: Option<Box<dyn Any + Send>>,
    /// Time spent inside `poll`, measured in debug mode only.
    pub(crate) poll_time: Duration,
}

impl TaskCold {
    pub(crate) fn named(name: String) -> Box<TaskCold> {
        Box::new(TaskCold {
            name: Some(name),
            ..TaskCold::default()
        })
    }
}
