//! The future `run_in_executor` awaits: a [`PoolFuture`] that cancels its job
//! when it is dropped before the job has started.
//!
//! In asyncio, `run_in_executor` wraps the `concurrent.futures.Future` with
//! `wrap_future`, which chains cancellation: cancelling the awaiting task
//! cancels the pool job, and a job still in the queue never runs. In Rust,
//! cancelling a task drops its future, so the same chain is a `Drop`. A job
//! that has already started cannot be stopped (a thread cannot be
//! interrupted): it runs to completion, and its result is dropped with the
//! last handle, on the worker.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::future::{ExecutorError, PoolFuture};

/// Awaits `future`; dropped before it is ready, cancels the job if it has
/// not started.
pub(super) struct CancelOnDrop<T> {
    future: PoolFuture<T>,
    /// Set once the output was returned: nothing left to cancel.
    finished: bool,
}

impl<T> CancelOnDrop<T> {
    pub(super) fn new(future: PoolFuture<T>) -> CancelOnDrop<T> {
        CancelOnDrop {
            future,
            finished: false,
        }
    }
}

impl<T> Future for CancelOnDrop<T> {
    type Output = Result<T, ExecutorError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let output = Pin::new(&mut self.future).poll(cx);
        if output.is_ready() {
            self.finished = true;
        }
        output
    }
}

impl<T> Drop for CancelOnDrop<T> {
    fn drop(&mut self) {
        if !self.finished {
            // Only a job still queued is cancelled; a running one goes on.
            self.future.cancel();
        }
    }
}
