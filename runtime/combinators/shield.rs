//! `shield`: asyncio's `shield(aw)` — cancelling the waiter does not cancel
//! the task.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::task::{Task, TaskError};

/// Awaits `task` without letting the waiter's cancellation reach it:
/// asyncio's `shield`.
///
/// In corio a waiter is cancelled by dropping its future, and dropping a
/// [`Task`] handle only detaches the task — so awaiting a task is already
/// shielded from the waiter's cancellation. `shield` makes that intent
/// explicit, and it is what to hand to code that *does* cancel what it holds
/// (a [`gather`](crate::gather) that is dropped cancels its children; a
/// shielded task passed by `TaskRef` stays out of its reach).
///
/// ```
/// use std::time::Duration;
/// corio::run(async {
///     let important = corio::spawn(async {
///         corio::time::sleep(Duration::from_millis(5)).await;
///         "saved"
///     });
///     let probe = important.task_ref();
///     let waiter = corio::spawn(corio::shield(important));
///     corio::yield_now().await;
///     waiter.cancel(); // the waiter goes...
///     let _ = waiter.await;
///     corio::time::sleep(Duration::from_millis(10)).await;
///     assert!(probe.is_done() && !probe.is_cancelled()); // ...the task finished
/// });
/// ```
pub fn shield<T>(task: Task<T>) -> Shield<T> {
    Shield { task }
}

/// The future of [`shield`].
#[must_use = "futures do nothing unless awaited"]
pub struct Shield<T> {
    task: Task<T>,
}

impl<T> Future for Shield<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task).poll(cx)
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Shield").field(&self.task).finish()
    }
}
