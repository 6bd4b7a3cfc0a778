//! Looking into every loop of a runtime: each loop's task table, its tasks
//! and its counters, one loop at a time or all together.
//!
//! A loop's tasks are `!Send` and its state is touched only by its thread, so
//! a question is sent to the loop as a thread-safe *callback* (not a task, so
//! asking adds no task to the answer), which computes a `Send` answer there
//! and hands it back. Asked from the loop's own thread, the answer is
//! computed directly.

use std::fmt;
use std::sync::mpsc;

use super::RuntimeHandle;
use crate::event_loop::context;
use crate::event_loop::services::LoopServices;
use crate::task::TaskRef;
use crate::{LoopStats, TaskId, TaskState};

/// One task of one loop, as [`RuntimeHandle::all_tasks`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopTask {
    /// The loop the task lives on.
    pub loop_index: usize,
    /// Its id (unique within its loop).
    pub id: TaskId,
    /// Its name.
    pub name: String,
    /// Its state when asked.
    pub state: TaskState,
}

impl fmt::Display for LoopTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "loop {} {:?} {} {:?}",
            self.loop_index, self.id, self.name, self.state
        )
    }
}

impl RuntimeHandle {
    /// Runs `question` on loop `index` and returns its answer; `None` when the
    /// loop has closed.
    ///
    /// # Panics
    ///
    /// When called on a thread running another corio loop: waiting there
    /// would stall that loop (and two loops asking each other would deadlock).
    #[track_caller]
    fn ask<R: Send + 'static>(
        &self,
        index: usize,
        question: impl FnOnce(&LoopServices) -> R + Send + 'static,
    ) -> Option<R> {
        self.check_index(index);
        if std::thread::current().id() == self.thread_of(index) {
            return context::with_current_loop(question);
        }
        assert!(
            context::with_current_loop(|_| ()).is_none(),
            "corio: a runtime's loops cannot be inspected from the thread of another loop"
        );
        let (tx, rx) = mpsc::channel();
        self.handles()[index]
            .call_soon_threadsafe(move || {
                if let Some(answer) = context::with_current_loop(question) {
                    let _ = tx.send(answer);
                }
            })
            .ok()?;
        // If the loop closes before the callback runs, `tx` is dropped unsent.
        rx.recv().ok()
    }

    /// The table of loop `index`'s tasks that are not done (as
    /// [`EventLoop::dump`](crate::EventLoop::dump)), or a line saying the
    /// loop is closed.
    ///
    /// # Panics
    ///
    /// When `index` is out of range, or when called on the thread of a
    /// different corio loop.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// assert!(rt.handle().dump(1).contains("0 task(s) not done"));
    /// ```
    #[track_caller]
    pub fn dump(&self, index: usize) -> String {
        self.ask(index, crate::debug::dump::render)
            .unwrap_or_else(|| "(the loop is closed)\n".to_owned())
    }

    /// Every loop's table, each under a `== loop i ==` heading.
    ///
    /// # Panics
    ///
    /// When called on the thread of a corio loop other than this runtime's.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let all = rt.handle().dump_all();
    /// assert!(all.contains("== loop 0 ==") && all.contains("== loop 1 =="));
    /// ```
    #[track_caller]
    pub fn dump_all(&self) -> String {
        (0..self.loops())
            .map(|i| format!("== loop {i} ==\n{}", self.dump(i)))
            .collect()
    }

    /// The tasks of every loop that are not done (asyncio's `all_tasks`, for
    /// the whole runtime), loop by loop.
    ///
    /// # Panics
    ///
    /// As [`dump_all`](RuntimeHandle::dump_all).
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let parked = rt.spawn_on(1, || std::future::pending::<()>());
    /// while rt.handle().all_tasks().is_empty() {
    ///     std::thread::yield_now();
    /// }
    /// assert!(rt.handle().all_tasks().iter().any(|t| t.loop_index == 1));
    /// parked.cancel();
    /// ```
    #[track_caller]
    pub fn all_tasks(&self) -> Vec<LoopTask> {
        (0..self.loops()).flat_map(|i| self.loop_tasks(i)).collect()
    }

    /// The tasks of loop `index` that are not done.
    ///
    /// # Panics
    ///
    /// As [`dump`](RuntimeHandle::dump).
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// assert!(rt.handle().loop_tasks(0).is_empty());
    /// ```
    #[track_caller]
    pub fn loop_tasks(&self, index: usize) -> Vec<LoopTask> {
        self.ask(index, move |_| {
            crate::all_tasks()
                .iter()
                .map(|t: &TaskRef| LoopTask {
                    loop_index: index,
                    id: t.id(),
                    name: t.name(),
                    state: t.state(),
                })
                .collect()
        })
        .unwrap_or_default()
    }

    /// Loop `index`'s counters, `None` once it has closed.
    ///
    /// # Panics
    ///
    /// As [`dump`](RuntimeHandle::dump).
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// rt.spawn_on(1, || corio::yield_now()).wait().unwrap();
    /// assert!(rt.handle().stats(1).unwrap().tasks_polled >= 1);
    /// ```
    #[track_caller]
    pub fn stats(&self, index: usize) -> Option<LoopStats> {
        self.ask(index, |lp| lp.scheduler.stats())
    }
}
