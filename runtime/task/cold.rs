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
//!
//! Done-callbacks and listeners are not `Send`; `harness::complete` takes them
//! out on the loop thread, so a cold part freed on another thread (the last
//! waker dropped there) holds only `Send` data.

use std::any::Any;
use std::ptr::NonNull;
use std::rc::Rc;
use std::task::Waker;
use std::time::Duration;

use super::header::{Header, TaskRef};

/// A done-callback and the id that `remove_done_callback` finds it by.
pub(crate) type DoneCallback = (u64, Box<dyn FnOnce(&TaskRef)>);

/// Told, synchronously and inside the loop, that a task completed: how the
/// combinators (`gather`, `wait`, `as_completed`, `TaskGroup`) learn *which*
/// child finished without polling any child's future. Implementations only
/// record the tag and wake their own waker; they run no user code.
///
/// The sink is called inside `harness::complete`, before a detached task's
/// output is dropped, so it may look at the output (`TaskGroup` does).
pub(crate) trait CompletionSink {
    fn completed(&self, tag: usize, task: NonNull<Header>);
    /// How the listener's owner awaits the task, for the await graph
    /// (`gather`, `wait`, `as_completed`, `task_group`).
    fn kind(&self) -> &'static str;
}

/// Who awaits a task, for `call_graph`: the awaiting task's id (on the same
/// loop) and how it awaits (`await`, `gather`, `wait`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AwaitedBy {
    pub(crate) task: u32,
    pub(crate) via: &'static str,
}

/// A sink and the tag it gave this task.
pub(crate) type Listener = (Rc<dyn CompletionSink>, usize);

/// A task's listeners. Most tasks have at most one (the combinator awaiting
/// them), which is kept inline: no second allocation.
#[derive(Default)]
pub(crate) struct Listeners {
    first: Option<Listener>,
    rest: Vec<Listener>,
}

impl Listeners {
    /// No combinator listens.
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    pub(crate) fn push(&mut self, listener: Listener) {
        if self.first.is_none() {
            self.first = Some(listener);
        } else {
            self.rest.push(listener);
        }
    }

    /// Removes every listener using `sink`; returns them (to drop outside).
    pub(crate) fn remove_sink(&mut self, sink: &Rc<dyn CompletionSink>) -> Vec<Listener> {
        let all = std::mem::take(self);
        let (gone, kept): (Vec<_>, Vec<_>) =
            all.into_iter().partition(|(s, _)| Rc::ptr_eq(s, sink));
        for l in kept {
            self.push(l);
        }
        gone
    }
}

impl IntoIterator for Listeners {
    type Item = Listener;
    type IntoIter = std::iter::Chain<std::option::IntoIter<Listener>, std::vec::IntoIter<Listener>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.rest)
    }
}

/// Rarely used per-task data; see the module docs.
#[derive(Default)]
pub(crate) struct TaskCold {
    /// The task's name; `None` means the default `Task-<id>`.
    pub(crate) name: Option<String>,
    /// The waker of whoever awaits the `Task<T>` handle.
    pub(crate) join_waker: Option<Waker>,
    /// Callbacks to schedule with `call_soon` when the task completes.
    pub(crate) done_callbacks: Vec<DoneCallback>,
    /// Combinators waiting for this task, told at completion.
    pub(crate) listeners: Listeners,
    /// The message given to `cancel_with`.
    pub(crate) cancel_message: Option<String>,
    /// What the future panicked with, until the handle takes it.
    pub(crate) panic_payload: Option<Box<dyn Any + Send>>,
    /// Time spent inside `poll`, measured in debug mode only.
    pub(crate) poll_time: Duration,
    /// The last task that started awaiting this one (see `call_graph.rs`).
    pub(crate) awaited_by: Option<AwaitedBy>,
    /// When its last step ended, measured in debug mode only (the watchdog).
    pub(crate) last_step: Option<std::time::Instant>,
    /// The watchdog reported the task since its last step.
    pub(crate) reported_stuck: bool,
}

impl TaskCold {
    pub(crate) fn named(name: String) -> Box<TaskCold> {
        Box::new(TaskCold {
            name: Some(name),
            ..TaskCold::default()
        })
    }
}
