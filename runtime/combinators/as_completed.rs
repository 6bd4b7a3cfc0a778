//! `as_completed`: asyncio's `as_completed(aws, timeout)`, as a `Stream`.

use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use super::completion::CompletionQueue;
use super::task_input::{indexed, TaskInput};
use crate::task::{Task, TaskError};
use crate::time::{sleep, Sleep, TimeoutError};

/// Yields the tasks' outcomes in the order they complete, each with the
/// index of its task among the inputs: asyncio's `as_completed`, where you
/// get the finished task itself. With a `timeout`, once it passes the stream
/// yields one `Err(TimeoutError)` and ends; the unfinished tasks are not
/// cancelled (dropping the stream detaches them).
///
/// It is a `futures_core::Stream`; [`AsCompleted::next`] saves importing a
/// `StreamExt`.
///
/// ```
/// use std::time::Duration;
/// corio::run(async {
///     let sleeper = |ms: u64| corio::spawn(async move {
///         corio::time::sleep(Duration::from_millis(ms)).await;
///         ms
///     });
///     let mut stream = corio::as_completed([sleeper(6), sleeper(2), sleeper(4)], None);
///     let mut order = Vec::new();
///     while let Some(item) = stream.next().await {
///         let (index, outcome) = item.unwrap();
///         order.push((index, outcome.unwrap()));
///     }
///     assert_eq!(order, [(1, 2), (2, 4), (0, 6)]);
/// });
/// ```
pub fn as_completed<T: 'static, I: TaskInput<T>>(
    tasks: impl IntoIterator<Item = I>,
    timeout: Option<Duration>,
) -> AsCompleted<T> {
    let tasks: Vec<Option<(usize, Task<T>)>> = indexed(tasks).into_iter().map(Some).collect();
    AsCompleted {
        remaining: tasks.len(),
        tasks,
        ready: VecDeque::new(),
        queue: CompletionQueue::new("as_completed"),
        timer: timeout.map(sleep),
        watching: false,
        timed_out: false,
    }
}

/// The stream of [`as_completed`].
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<T> {
    /// `(index among the inputs, task)`, taken when yielded.
    tasks: Vec<Option<(usize, Task<T>)>>,
    remaining: usize,
    ready: VecDeque<usize>,
    queue: Rc<CompletionQueue>,
    timer: Option<Sleep>,
    watching: bool,
    timed_out: bool,
}

impl<T> Unpin for AsCompleted<T> {}

/// One item of [`as_completed`]: the index of a finished task (its position
/// among the inputs) and its outcome, or the timeout.
pub type Completed<T> = Result<(usize, Result<T, TaskError>), TimeoutError>;

impl<T> AsCompleted<T> {
    /// The next outcome in completion order; `None` when every task has been
    /// yielded (or after the timeout was reported).
    ///
    /// ```
    /// corio::run(async {
    ///     let mut s = corio::as_completed([corio::spawn(async { 'x' })], None);
    ///     let (index, outcome) = s.next().await.unwrap().unwrap();
    ///     assert_eq!((index, outcome.unwrap()), (0, 'x'));
    ///     assert!(s.next().await.is_none());
    /// });
    /// ```
    pub async fn next(&mut self) -> Option<Completed<T>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl<T> Stream for AsCompleted<T> {
    type Item = Completed<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Completed<T>>> {
        let this = &mut *self;
        if this.timed_out || this.remaining == 0 {
            return Poll::Ready(None);
        }
        this.queue.set_waker(cx.waker());
        if !this.watching {
            this.watching = true;
            for (i, task) in this.tasks.iter().enumerate() {
                this.queue.watch(i, task.as_ref().expect("present").1.raw());
            }
        }
        this.ready.extend(this.queue.take_done());
        if let Some(slot) = this.ready.pop_front() {
            let (i, mut task) = this.tasks[slot].take().expect("each task completes once");
            this.remaining -= 1;
            let outcome = task.take_outcome().expect("a reported task is done");
            return Poll::Ready(Some(Ok((i, outcome))));
        }
        if let Some(timer) = &mut this.timer {
            if Pin::new(timer).poll(cx).is_ready() {
                this.timed_out = true;
                this.unwatch_all();
                return Poll::Ready(Some(Err(TimeoutError)));
            }
        }
        Poll::Pending
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining + usize::from(self.timer.is_some())))
    }
}

impl<T> AsCompleted<T> {
    fn unwatch_all(&mut self) {
        if !self.watching {
            return;
        }
        for (_, task) in self.tasks.iter().flatten() {
            self.queue.unwatch(task.raw());
        }
        self.watching = false;
    }
}

impl<T> Drop for AsCompleted<T> {
    fn drop(&mut self) {
        self.unwatch_all();
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .field("timed_out", &self.timed_out)
            .finish()
    }
}
