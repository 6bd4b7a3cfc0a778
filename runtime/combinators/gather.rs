//! `gather` and `gather_settled`: asyncio's `gather`, without and with
//! `return_exceptions=True`.
//!
//! "Failed" means what it means for `wait(FirstException)` and `TaskGroup`:
//! a panic, or an output that [`Fallible`] calls a failure (an `Err`) — and,
//! for `gather` as in asyncio, a cancelled child, whose `CancelledError`
//! would propagate.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::completion::CompletionQueue;
use super::fallible::Fallible;
use super::gather_error::GatherError;
use super::task_input::{indexed, TaskInput};
use crate::task::{Task, TaskError};

/// Waits for every task and returns their outputs in argument order:
/// asyncio's `gather(*aws)`.
///
/// * **Fail-fast:** the first task that fails — panics, is cancelled, or
///   returns an output that [`Fallible`] calls a failure (an `Err`) — ends
///   the gather at once with a [`GatherError`] that says which task and
///   holds its error or its output; the other tasks are not cancelled and
///   keep running (as in asyncio).
/// * **Cancelling the gather** — dropping it before it finished, for example
///   because the task awaiting it was cancelled — cancels every task not done.
/// * `gather` of nothing is `Ok(vec![])`.
///
/// It waits on the tasks' completion and never polls their futures. Plain
/// futures go through [`gather_futures`], which spawns them first, as asyncio
/// wraps coroutines in tasks.
///
/// ```
/// use std::time::Duration;
/// corio::run(async {
///     let slow = corio::spawn(async { corio::time::sleep(Duration::from_millis(5)).await; "slow" });
///     let fast = corio::spawn(async { "fast" });
///     // argument order, not completion order
///     assert_eq!(corio::gather([slow, fast]).await.unwrap(), ["slow", "fast"]);
/// });
/// ```
pub fn gather<T: Fallible + 'static, I: TaskInput<T>>(
    tasks: impl IntoIterator<Item = I>,
) -> Gather<T> {
    Gather {
        core: GatherCore::new(indexed(tasks)),
    }
}

/// [`gather`] for plain futures: each is spawned as a task first (asyncio's
/// `gather(coro1, coro2)`).
///
/// ```
/// corio::run(async {
///     let squares = corio::gather_futures((1..=3).map(|i| async move { i * i })).await;
///     assert_eq!(squares.unwrap(), [1, 4, 9]);
/// });
/// ```
#[track_caller]
pub fn gather_futures<F>(futures: impl IntoIterator<Item = F>) -> Gather<F::Output>
where
    F: Future + 'static,
    F::Output: Fallible + 'static,
{
    let at = std::panic::Location::caller();
    let tasks: Vec<_> = futures
        .into_iter()
        .map(|f| crate::task::spawn_at(f, None, at))
        .collect();
    gather(tasks)
}

/// Waits for every task and returns every outcome in argument order, failures
/// included: asyncio's `gather(*aws, return_exceptions=True)`. Cancelling
/// (dropping) it cancels the tasks not done.
///
/// ```
/// corio::run(async {
///     let ok = corio::spawn(async { 1 });
///     let cancelled = corio::spawn(async { 2 });
///     cancelled.cancel();
///     let outcomes = corio::gather_settled([ok, cancelled]).await;
///     assert_eq!(outcomes[0].as_ref().unwrap(), &1);
///     assert!(outcomes[1].as_ref().unwrap_err().is_cancelled());
/// });
/// ```
pub fn gather_settled<T: 'static, I: TaskInput<T>>(
    tasks: impl IntoIterator<Item = I>,
) -> GatherSettled<T> {
    GatherSettled {
        core: GatherCore::new(indexed(tasks)),
    }
}

/// What both gathers share: the tasks, the outcomes so far, and the queue that
/// says which task finished.
struct GatherCore<T> {
    tasks: Vec<Option<Task<T>>>,
    /// Each task's index among the inputs, for [`GatherError`].
    indices: Vec<usize>,
    outcomes: Vec<Option<Result<T, TaskError>>>,
    remaining: usize,
    queue: Rc<CompletionQueue>,
    watching: bool,
    /// The gather returned; dropping it must not cancel anything.
    finished: bool,
}

impl<T> GatherCore<T> {
    fn new(inputs: Vec<(usize, Task<T>)>) -> GatherCore<T> {
        let n = inputs.len();
        let (indices, tasks) = inputs.into_iter().map(|(i, t)| (i, Some(t))).unzip();
        GatherCore {
            outcomes: (0..n).map(|_| None).collect(),
            tasks,
            indices,
            remaining: n,
            queue: CompletionQueue::new("gather"),
            watching: false,
            finished: false,
        }
    }

    /// Collects the outcomes of tasks that finished. With `fail_fast` (which
    /// says whether an output is a failure), returns the first failure at once.
    fn poll_collect(
        &mut self,
        cx: &mut Context<'_>,
        fail_fast: Option<fn(&T) -> bool>,
    ) -> Poll<Result<(), GatherError<T>>> {
        self.queue.set_waker(cx.waker());
        if !self.watching {
            self.watching = true;
            for (i, task) in self.tasks.iter().enumerate() {
                let task = task.as_ref().expect("not taken before watching");
                self.queue.watch(i, task.raw());
            }
        }
        for slot in self.queue.take_done() {
            let Some(mut task) = self.tasks[slot].take() else {
                continue;
            };
            let index = self.indices[slot];
            let outcome = task.take_outcome().expect("a reported task is done");
            self.remaining -= 1;
            if let Some(is_failure) = fail_fast {
                let failure = match outcome {
                    Err(error) => Some(GatherError::Task { index, error }),
                    Ok(output) if is_failure(&output) => {
                        Some(GatherError::Failed { index, output })
                    }
                    Ok(output) => {
                        self.outcomes[slot] = Some(Ok(output));
                        None
                    }
                };
                if let Some(failure) = failure {
                    self.finish();
                    return Poll::Ready(Err(failure));
                }
            } else {
                self.outcomes[slot] = Some(outcome);
            }
        }
        if self.remaining == 0 {
            self.finished = true;
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    /// Returned early: stop listening; the remaining tasks are detached.
    fn finish(&mut self) {
        self.finished = true;
        for task in self.tasks.iter_mut().filter_map(Option::take) {
            self.queue.unwatch(task.raw());
        }
    }
}

impl<T> Drop for GatherCore<T> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // The gather itself was cancelled: so are its unfinished children.
        for task in self.tasks.iter().flatten() {
            if self.watching {
                self.queue.unwatch(task.raw());
            }
            task.cancel();
        }
    }
}

/// The future of [`gather`] and [`gather_futures`].
#[must_use = "futures do nothing unless awaited"]
pub struct Gather<T> {
    core: GatherCore<T>,
}

impl<T> Unpin for Gather<T> {}

impl<T: Fallible> Future for Gather<T> {
    type Output = Result<Vec<T>, GatherError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let core = &mut self.core;
        match core.poll_collect(cx, Some(T::is_failure)) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => Poll::Ready(Ok(core
                .outcomes
                .iter_mut()
                .map(|o| match o.take() {
                    Some(Ok(v)) => v,
                    _ => unreachable!("fail-fast returned every error"),
                })
                .collect())),
        }
    }
}

/// The future of [`gather_settled`].
#[must_use = "futures do nothing unless awaited"]
pub struct GatherSettled<T> {
    core: GatherCore<T>,
}

impl<T> Unpin for GatherSettled<T> {}

impl<T> Future for GatherSettled<T> {
    type Output = Vec<Result<T, TaskError>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let core = &mut self.core;
        match core.poll_collect(cx, None) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(_) => Poll::Ready(
                core.outcomes
                    .iter_mut()
                    .map(|o| o.take().expect("every outcome collected"))
                    .collect(),
            ),
        }
    }
}

impl<T> fmt::Debug for Gather<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("tasks", &self.core.tasks.len())
            .field("remaining", &self.core.remaining)
            .finish()
    }
}

impl<T> fmt::Debug for GatherSettled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatherSettled")
            .field("tasks", &self.core.tasks.len())
            .field("remaining", &self.core.remaining)
            .finish()
    }
}
