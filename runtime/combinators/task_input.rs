//! `TaskInput`: what the combinators take — a `Task`, or an `(index, Task)`
//! pair that a combinator gave back.
//!
//! asyncio's combinators hand back the task objects themselves, and callers
//! find theirs by identity. A corio `Task` is an owned handle, so the
//! combinators speak in indices instead: `wait` returns `(index, task)`
//! pairs, `as_completed` yields `(index, outcome)`, a failed `gather` names
//! the index. A bare task's index is its position among the inputs; a pair
//! keeps its index, so `pending` from one `wait` can go to the next `wait`
//! or to `gather` and still be matched to the original inputs.

use crate::task::Task;

/// One input of [`wait`](crate::wait), [`gather`](crate::gather),
/// [`gather_settled`](crate::gather_settled) and
/// [`as_completed`](crate::as_completed): a [`Task`], whose index is its
/// position, or an `(index, Task)` pair from an earlier `wait`, which keeps
/// its index. Sealed.
///
/// ```
/// use corio::FirstCompleted;
/// corio::run(async {
///     let tasks = vec![corio::spawn(std::future::pending::<()>()), corio::spawn(async {})];
///     let (done, pending) = corio::wait(tasks, FirstCompleted, None).await.unwrap();
///     assert_eq!(done[0].0, 1);
///     let (_, still) = corio::wait(pending, FirstCompleted, Some(std::time::Duration::ZERO)).await.unwrap();
///     assert_eq!(still[0].0, 0); // the first input, wherever it went
/// });
/// ```
pub trait TaskInput<T>: sealed::Sealed {
    /// The task and the index to report: `position` for a bare task.
    #[doc(hidden)]
    fn into_indexed(self, position: usize) -> (usize, Task<T>);
}

mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for crate::task::Task<T> {}
    impl<T> Sealed for (usize, crate::task::Task<T>) {}
}

impl<T> TaskInput<T> for Task<T> {
    fn into_indexed(self, position: usize) -> (usize, Task<T>) {
        (position, self)
    }
}

impl<T> TaskInput<T> for (usize, Task<T>) {
    fn into_indexed(self, _: usize) -> (usize, Task<T>) {
        self
    }
}

/// Every input with its index.
pub(crate) fn indexed<T, I: TaskInput<T>>(
    inputs: impl IntoIterator<Item = I>,
) -> Vec<(usize, Task<T>)> {
    inputs
        .into_iter()
        .enumerate()
        .map(|(position, input)| input.into_indexed(position))
        .collect()
}
