//! `wait`: asyncio's `wait(aws, timeout, return_when)`.
//!
//! asyncio hands back two sets of the same task objects, and a caller finds
//! its tasks in them by identity. A corio `Task` is an owned handle, so
//! `wait` takes the handles and gives each back paired with its index — its
//! position among the inputs — so that the caller matches them to what it
//! asked for without comparing ids. Pairs can be passed to `wait` (the usual
//! loop over `pending`) or `gather` again, and keep their indices
//! ([`TaskInput`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::completion::CompletionQueue;
use super::return_when::{ReturnCondition, ReturnWhen};
use super::task_input::TaskInput;
use crate::task::Task;
use crate::time::{sleep, Sleep};

/// `wait` was given no tasks (asyncio raises `ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmptyWait;

impl fmt::Display for EmptyWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("wait() needs at least one task")
    }
}

impl std::error::Error for EmptyWait {}

/// Tasks split by [`wait`]: `(done, pending)`, each an `(index, task)` list
/// in index order, where the index is the task's position among the inputs.
pub type DoneAndPending<T> = (Vec<(usize, Task<T>)>, Vec<(usize, Task<T>)>);

/// Waits until `return_when` holds or `timeout` passes, then splits the tasks
/// into `(done, pending)`: asyncio's `wait`. Nothing is cancelled, on timeout
/// either; the split is made when `wait` resumes, so a task that finished
/// meanwhile counts as done. The pending tasks come back to you, still
/// running, each with its index.
///
/// `return_when` is a [`ReturnWhen`] (the tasks' output must implement
/// [`Fallible`](crate::Fallible), since it may be `FirstException`), or one
/// of the unit types [`FirstCompleted`](crate::FirstCompleted),
/// [`AllCompleted`](crate::AllCompleted) (any output) and
/// [`FirstException`](crate::FirstException).
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
pub fn wait<T: 'static, I: TaskInput<T>>(
    tasks: impl IntoIterator<Item = I>,
    return_when: impl ReturnCondition<T>,
    timeout: Option<Duration>,
) -> Wait<T> {
    let tasks = super::task_input::indexed(tasks);
    let (return_when, failed) = return_when.into_parts();
    Wait {
        remaining: tasks.len(),
        tasks,
        return_when,
        failed,
        timer: timeout.map(sleep),
        queue: CompletionQueue::new("wait"),
        watching: false,
    }
}

/// The future of [`wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T> {
    tasks: Vec<(usize, Task<T>)>,
    remaining: usize,
    return_when: ReturnWhen,
    /// Whether a finished task failed (asked only for `FirstException`).
    failed: fn(&Task<T>) -> bool,
    timer: Option<Sleep>,
    queue: Rc<CompletionQueue>,
    watching: bool,
}

impl<T> Unpin for Wait<T> {}

impl<T> Wait<T> {
    fn split(&mut self) -> Poll<Result<DoneAndPending<T>, EmptyWait>> {
        for (_, task) in &self.tasks {
            if !task.is_done() {
                self.queue.unwatch(task.raw());
            }
        }
        self.watching = false;
        let (mut done, mut pending): DoneAndPending<T> = std::mem::take(&mut self.tasks)
            .into_iter()
            .partition(|(_, t)| t.is_done());
        done.sort_by_key(|(index, _)| *index);
        pending.sort_by_key(|(index, _)| *index);
        Poll::Ready(Ok((done, pending)))
    }
}

impl<T> Future for Wait<T> {
    type Output = Result<DoneAndPending<T>, EmptyWait>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.tasks.is_empty() {
            return Poll::Ready(Err(EmptyWait));
        }
        this.queue.set_waker(cx.waker());
        if !this.watching {
            this.watching = true;
            for (slot, (_, task)) in this.tasks.iter().enumerate() {
                this.queue.watch(slot, task.raw());
            }
        }
        for slot in this.queue.take_done() {
            this.remaining -= 1;
            let met = match this.return_when {
                ReturnWhen::FirstCompleted => true,
                ReturnWhen::FirstException => (this.failed)(&this.tasks[slot].1),
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
            for (_, task) in &self.tasks {
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
