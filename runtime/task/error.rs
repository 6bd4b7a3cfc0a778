//! `TaskError`: why a task produced no value.

use std::any::Any;
use std::fmt;

/// Why awaiting a [`Task`](crate::Task) gave no value: it was cancelled, or it panicked.
///
/// asyncio raises `CancelledError` or re-raises the task's exception; corio
/// returns them as values.
///
/// ```
/// let err = corio::run(async {
///     let task = corio::spawn(async { 1 });
///     task.cancel_with("not needed");
///     task.await.unwrap_err()
/// });
/// assert!(matches!(err, corio::TaskError::Cancelled(Some(ref m)) if m == "not needed"));
/// ```
pub enum TaskError {
    /// The task was cancelled; its future was dropped. Holds the message given
    /// to [`Task::cancel_with`](crate::Task::cancel_with), if any.
    Cancelled(Option<String>),
    /// The task's future panicked; holds the panic payload.
    Panicked(Box<dyn Any + Send>),
}

impl TaskError {
    /// `true` for [`TaskError::Cancelled`].
    ///
    /// ```
    /// assert!(corio::TaskError::Cancelled(None).is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskError::Cancelled(_))
    }

    /// `true` for [`TaskError::Panicked`].
    ///
    /// ```
    /// assert!(!corio::TaskError::Cancelled(None).is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, TaskError::Panicked(_))
    }

    /// The panic message, when the payload is a string (as `panic!` makes it).
    ///
    /// ```
    /// let err = corio::TaskError::Panicked(Box::new("division by zero"));
    /// assert_eq!(err.panic_message(), Some("division by zero"));
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            TaskError::Panicked(p) => payload_message(p.as_ref()),
            TaskError::Cancelled(_) => None,
        }
    }
}

/// The text of a panic payload, when it is a `&str` or a `String`.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled(msg) => f.debug_tuple("Cancelled").field(msg).finish(),
            TaskError::Panicked(_) => f
                .debug_tuple("Panicked")
                .field(&self.panic_message().unwrap_or("<non-string payload>"))
                .finish(),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled(None) => write!(f, "task was cancelled"),
            TaskError::Cancelled(Some(msg)) => write!(f, "task was cancelled: {msg}"),
            TaskError::Panicked(_) => match self.panic_message() {
                Some(msg) => write!(f, "task panicked: {msg}"),
                None => write!(f, "task panicked"),
            },
        }
    }
}

impl std::error::Error for TaskError {}
