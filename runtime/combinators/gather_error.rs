//! `GatherError`: why a fail-fast `gather` ended early — which task, and how
//! it failed.
//!
//! asyncio's `gather` re-raises the first exception of any child. A corio
//! child fails in three ways: it panicked, it was cancelled (asyncio's
//! `CancelledError` also ends the gather), or it returned an output that
//! [`Fallible`](crate::Fallible) calls a failure — an `Err`, which is handed
//! back whole, since the gather owns it now.

use std::fmt;

use crate::task::TaskError;

/// The first failure of a fail-fast [`gather`](crate::gather), with the
/// index of the task that failed: its position among the inputs, or the
/// index it carried from [`wait`](crate::wait) (see
/// [`TaskInput`](crate::combinators::TaskInput)).
///
/// ```
/// corio::run(async {
///     let ok = corio::spawn(async { Ok::<u32, String>(1) });
///     let bad = corio::spawn(async { Err::<u32, String>("refused".into()) });
///     let err = corio::gather([ok, bad]).await.unwrap_err();
///     assert_eq!(err.index(), 1);
///     assert_eq!(err.into_output(), Some(Err("refused".to_string())));
/// });
/// ```
pub enum GatherError<T> {
    /// The task at `index` panicked or was cancelled.
    Task {
        /// Its index among the inputs.
        index: usize,
        /// What happened to it.
        error: TaskError,
    },
    /// The task at `index` returned an output that is a failure (an `Err`).
    Failed {
        /// Its index among the inputs.
        index: usize,
        /// The output, as the task returned it.
        output: T,
    },
}

impl<T> GatherError<T> {
    /// The index of the failed task among the inputs.
    ///
    /// ```
    /// let e = corio::GatherError::<()>::Task { index: 3, error: corio::TaskError::Cancelled(None) };
    /// assert_eq!(e.index(), 3);
    /// ```
    pub fn index(&self) -> usize {
        match self {
            GatherError::Task { index, .. } | GatherError::Failed { index, .. } => *index,
        }
    }

    /// The task's panic or cancellation; `None` for a failed output.
    ///
    /// ```
    /// let e = corio::GatherError::<()>::Task { index: 0, error: corio::TaskError::Cancelled(None) };
    /// assert!(e.task_error().unwrap().is_cancelled());
    /// ```
    pub fn task_error(&self) -> Option<&TaskError> {
        match self {
            GatherError::Task { error, .. } => Some(error),
            GatherError::Failed { .. } => None,
        }
    }

    /// The failed output (the task's `Err`); `None` for a panic or a
    /// cancellation.
    ///
    /// ```
    /// let e = corio::GatherError::Failed { index: 0, output: Err::<(), _>(7) };
    /// assert_eq!(e.into_output(), Some(Err(7)));
    /// ```
    pub fn into_output(self) -> Option<T> {
        match self {
            GatherError::Failed { output, .. } => Some(output),
            GatherError::Task { .. } => None,
        }
    }
}

/// Shows the index and the kind of failure, not the output, so that
/// `unwrap` works for any `T`.
impl<T> fmt::Debug for GatherError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatherError::Task { index, error } => f
                .debug_struct("Task")
                .field("index", index)
                .field("error", error)
                .finish(),
            GatherError::Failed { index, .. } => f
                .debug_struct("Failed")
                .field("index", index)
                .finish_non_exhaustive(),
        }
    }
}

impl<T> fmt::Display for GatherError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatherError::Task { index, error } => write!(f, "gathered task {index}: {error}"),
            GatherError::Failed { index, .. } => {
                write!(f, "gathered task {index} returned a failure")
            }
        }
    }
}

impl<T> std::error::Error for GatherError<T> {}
