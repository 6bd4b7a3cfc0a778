//! `wait`: asyncio's `wait(aws, timeout, return_when)`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::completion::CompletionQueue;
use super::fallible::Fallible;
use crate::task::state::Outcome;
use crate::task::Task;
use crate::time::{sleep, Sleep};

/// When [`wait`] returns (asyncio's `FIRST_COMPLETED`, `FIRST_EXCEPTION`,
/// `ALL_COMPLETED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnWhen {
    /// As soon as at least one task is done.
    FirstCompleted,
    /// As soon as a task fails — it panicked, or its output is a failure by
    /// [`Fallible`] (an `Err`); a cancelled task does not count. With no
    /// failure, the same as `AllCompleted`.
    FirstException,
    /// When every task is done (the default).
    #[default]
    AllCompleted,
}

/// `wait` was given no tasks (asyncio raises `ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmptyWait;

impl fmt::Display for EmptyWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("wait() needs at least one task")
    }
}

impl std::error::Error for EmptyWait {}

/// Tasks split by [`wait`]: `(done, pending)`, each in argument order.
pub type DoneAndPending<T> = (Vec<Task<T>>, Vec<Task<T>>);

/// Waits until `return_when` holds or `timeout` passes, then splits the tasks
/// into `(done, pending)`: asyncio's `wait`. Nothing is cancelled, on timeout
/// either; the split is made when `wait` resumes, so a task that finished
/// meanwhile counts as done. The pending tasks come back to you, still running.
///
/// # Errors
///
/// [`EmptyWait`] for an empty set of tasks.
///
/// ```
/// use std::time::Duration;
/// use corio::ReturnWhen;
/// corio::run(async {
///     let fast = corio::spawn(async { 1 });
///     let slow = corio::spawn(corio::time::sleep(Duration::from_secs(5)));
///     let (done, pending) = corio::wait([fast], ReturnWhen::AllCompleted, None).await.unwrap();
///     assert_eq!(done.len(), 1);
///     let (done, pending2) =
///         corio::wait([slow], ReturnWhen::FirstCompleted, Some(Duration::from_millis(5))).await.unwrap();
///     assert!(done.is_empty() && pending.is_empty() && pending2.len() == 1);
/// });
/// ```
pub fn wait<T: Fallible + 'static>(
    tasks: impl IntoIterator<Item = Task<T>>,
    return_when: ReturnWhen,
    timeout: Option<Duration>,
) -> Wait<T> {
    let tasks: Vec<Task<T>> = tasks.into_iter().collect();
    Wait {
        remaining: tasks.len(),
        tasks,
        return_when,
        timer: timeout.map(sleep),
        queue: CompletionQueue::new(),
        watching: false,
    }
}

/// The future of [`wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T> {
    tasks: Vec<Task<T>>,
    remaining: usize,
    return_when: ReturnWhen,
    timer: Option<Sleep>,
    queue: Rc<CompletionQueue>,
    watching: bool,
}

impl<T> Unpin for Wait<T> {}

/// `true` if a finished task failed: it panicked, or its output is a failure.
pub(crate) fn task_failed<T: Fallible>(task: &Task<T>) -> bool {
    // SAFETY: the handle keeps the header alive; we are on its thread.
    let h = unsafe { task.raw().as_ref() };
    match h.state.outcome() {
        Some(Outcome::Panicked) => true,
        Some(Outcome::Returned) if !h.state.is(crate::task::state::RESULT_TAKEN) => {
            // SAFETY: the task returned and its output was not taken, so the
            // stage is `Finished` and holds a `T` until the handle takes it.
            let output = unsafe { &*(h.vtable.output_ptr)(task.raw()).cast::<T>() };
            output.is_failure()
        }
        _ => false,
    }
}

impl<T: Fallible> Wait<T> {
    fn split(&mut self) -> Poll<Result<DoneAndPending<T>, EmptyWait>> {
        for task in &self.tasks {
            if !task.is_done() {
                self.queue.unwatch(task.raw());
            }
        }
        let (done, pending) = std::mem::take(&mut self.tasks)
            .into_iter()
            .partition(|t| t.is_done());
        Poll::Ready(Ok((done, pending)))
    }
}

impl<T: Fallible> Future for Wait<T> {
    type Output = Result<DoneAndPending<T>, EmptyWait>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.tasks.is_empty() {
            return Poll::Ready(Err(EmptyWait));
        }
        this.queue.set_waker(cx.waker());
        if !this.watching {
            this.watching = true;
            for (i, task) in this.tasks.iter().enumerate() {
                this.queue.watch(i, task.raw());
            }
        }
        for i in this.queue.take_done() {
            this.remaining -= 1;
            let met = match this.return_when {
                ReturnWhen::FirstCompleted => true,
                ReturnWhen::FirstException => task_failed(&this.tasks[i]),
                ReturnWhen::AllCompleted => false,
            };
            if met {
                return this.split();
            }
        }
        if this.remaining == 0 {
            return this.split();
        }
        if let Some(timer) = &mut this.timer {
            if Pin::new(timer).poll(cx).is_ready() {
                return this.split();
            }
        }
        Poll::Pending
    }
}

impl<T> Drop for Wait<T> {
    fn drop(&mut self) {
        if self.watching {
            for task in &self.tasks {
                self.queue.unwatch(task.raw());
            }
        }
    }
}

impl<T> fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("tasks", &self.tasks.len())
            .field("remaining", &self.remaining)
            .field("return_when", &self.return_when)
            .finish()
    }
}
