//! `Task::wait_for`: asyncio's `wait_for(task, timeout)` — on expiry the
//! task is cancelled, and the timeout is reported once the cancellation is
//! done.
//!
//! A plain future given to [`wait_for`](crate::wait_for) is cancelled by
//! being dropped. A `Task` cannot be cancelled that way: dropping its handle
//! detaches it (as in asyncio and tokio), which is what asyncio's `shield` is for. So a task
//! gets its own timeout, which asks for the cancellation
//! ([`Task::cancel`]) and keeps awaiting the handle until the task has
//! finished: when it returns `Err(TimeoutError)`, the task is done and its
//! future dropped, with every destructor run.
//!
//! It is a `Timeout<Task<T>>` underneath, so it follows the rules of
//! `timeout.rs` (one turn first; the outermost expired timeout reports).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::timeout::{timeout, Timeout, TimeoutError};
use crate::task::{Task, TaskError};

impl<T> Task<T> {
    /// asyncio's `wait_for(task, timeout)`: awaits the task for at most
    /// `delay`; on expiry cancels it, waits until the cancellation is done,
    /// and returns `Err(TimeoutError)`.
    ///
    /// If the task finished anyway — it returned or panicked before the
    /// cancellation reached it — its outcome is returned instead, as asyncio
    /// returns the result of a task that ignored the cancellation. Dropping
    /// the returned future before it finished (its own waiter was cancelled)
    /// cancels the task too, as asyncio's `wait_for` propagates cancellation;
    /// it cannot wait in a destructor, so the task ends at its next step. To
    /// keep a task running past a timeout, give its handle to
    /// [`corio::wait_for`](crate::wait_for) or
    /// [`corio::shield`](crate::shield) instead: dropping a handle only
    /// detaches the task.
    ///
    /// ```
    /// use std::time::Duration;
    /// corio::run(async {
    ///     let slow = corio::spawn(corio::time::sleep(Duration::from_secs(60)));
    ///     let watch = slow.task_ref();
    ///     let r = slow.wait_for(Duration::from_millis(5)).await;
    ///     assert!(r.is_err());
    ///     assert!(watch.is_done() && watch.is_cancelled()); // cancelled, and finished cancelling
    /// });
    /// ```
    pub fn wait_for(self, delay: Duration) -> TaskTimeout<T> {
        TaskTimeout {
            timeout: timeout(delay, self),
            stage: Stage::Waiting,
        }
    }
}

/// The future of [`Task::wait_for`].
#[must_use = "futures do nothing unless awaited"]
pub struct TaskTimeout<T> {
    timeout: Timeout<Task<T>>,
    stage: Stage,
}

/// Where a [`TaskTimeout`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The deadline has not passed.
    Waiting,
    /// The deadline passed: the task was asked to cancel, and is awaited
    /// until it has finished.
    Cancelling,
    /// The outcome was returned.
    Finished,
}

impl<T> Unpin for TaskTimeout<T> {}

impl<T> Future for TaskTimeout<T> {
    type Output = Result<Result<T, TaskError>, TimeoutError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.stage == Stage::Waiting {
            match Pin::new(&mut this.timeout).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(outcome)) => {
                    this.stage = Stage::Finished;
                    return Poll::Ready(Ok(outcome));
                }
                Poll::Ready(Err(TimeoutError)) => {
                    this.timeout.get_mut().cancel();
                    this.stage = Stage::Cancelling;
                }
            }
        }
        let outcome = match Pin::new(this.timeout.get_mut()).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(outcome) => outcome,
        };
        this.stage = Stage::Finished;
        Poll::Ready(match outcome {
            Err(TaskError::Cancelled(_)) => Err(TimeoutError),
            finished_anyway => Ok(finished_anyway),
        })
    }
}

impl<T> Drop for TaskTimeout<T> {
    fn drop(&mut self) {
        if self.stage != Stage::Finished {
            // Our waiter was cancelled: so is the task (asyncio's `wait_for`).
            self.timeout.get_mut().cancel();
        }
    }
}

impl<T> fmt::Debug for TaskTimeout<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskTimeout")
            .field("task", self.timeout.get_ref())
            .field("stage", &self.stage)
            .finish()
    }
}
