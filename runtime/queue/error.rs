//! The queue errors: asyncio's `QueueFull`, `QueueEmpty`, `QueueShutDown` and
//! the `ValueError` of an extra `task_done`, as values.

use std::fmt;

/// `put_nowait` could not add the item; the item comes back, nothing is lost.
#[derive(PartialEq, Eq)]
pub enum QueueFull<T> {
    /// The queue is at `maxsize` (asyncio's `QueueFull`).
    Full(T),
    /// The queue was shut down (asyncio's `QueueShutDown`).
    ShutDown(T),
}

impl<T> QueueFull<T> {
    /// The item that was not added.
    ///
    /// ```
    /// let q = corio::queue::Queue::new(1);
    /// q.put_nowait('a').unwrap();
    /// assert_eq!(q.put_nowait('b').unwrap_err().into_inner(), 'b');
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            QueueFull::Full(item) | QueueFull::ShutDown(item) => item,
        }
    }
}

impl<T> fmt::Debug for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QueueFull::Full(_) => "QueueFull::Full(..)",
            QueueFull::ShutDown(_) => "QueueFull::ShutDown(..)",
        })
    }
}

impl<T> fmt::Display for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QueueFull::Full(_) => "the queue is full",
            QueueFull::ShutDown(_) => "the queue is shut down",
        })
    }
}

impl<T> std::error::Error for QueueFull<T> {}

/// `get_nowait` found nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueEmpty {
    /// The queue is empty (asyncio's `QueueEmpty`).
    Empty,
    /// The queue is empty and shut down: nothing will come (asyncio's `QueueShutDown`).
    ShutDown,
}

impl fmt::Display for QueueEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QueueEmpty::Empty => "the queue is empty",
            QueueEmpty::ShutDown => "the queue is empty and shut down",
        })
    }
}

impl std::error::Error for QueueEmpty {}

/// `put`/`get` on a shut-down queue (asyncio 3.13's `QueueShutDown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueShutDown;

impl fmt::Display for QueueShutDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is shut down")
    }
}

impl std::error::Error for QueueShutDown {}

/// `task_done` called more times than items were put (asyncio's `ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called too many times")
    }
}

impl std::error::Error for TaskDoneError {}
