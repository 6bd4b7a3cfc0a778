//! `BuildOnLoop`: a `Send` future that builds a `!Send` future on the loop
//! that runs it.
//!
//! corio's sockets, `Rc`s and tasks are `!Send`: they belong to one loop. To
//! start such work on another loop, the caller sends a `Send` *closure* that
//! builds the future, and the future is made there, on its first poll — the
//! shape of tokio's `spawn_pinned`. The wrapper is handed to
//! `LoopHandle::spawn` (which wants a `Send` future), so the existing
//! `RemoteTask` machinery carries the outcome and the cancellation back.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Holds the closure until the first poll, then the future it built.
pub(crate) struct BuildOnLoop<C, F> {
    stage: Stage<C, F>,
}

enum Stage<C, F> {
    /// Not polled yet: only the `Send` closure exists.
    Closure(Option<C>),
    /// Polled on its loop: the future the closure built (boxed, so the
    /// wrapper itself needs no pinning).
    Running(Pin<Box<F>>),
}

impl<C, F> BuildOnLoop<C, F>
where
    C: FnOnce() -> F,
{
    pub(crate) fn new(build: C) -> BuildOnLoop<C, F> {
        BuildOnLoop {
            stage: Stage::Closure(Some(build)),
        }
    }
}

// SAFETY: before its first poll the wrapper holds only `C`, which is `Send`.
// The `!Send` future `F` is created by the first poll, and `LoopHandle::spawn`
// runs the wrapper as a task of one loop: a corio task's future is polled
// and dropped only on the thread of the loop that owns it (the loop is
// `!Send`, and it closes — dropping what is left — on its own thread). So `F`
// never leaves the thread it was created on; only the closure travels.
unsafe impl<C: Send, F> Send for BuildOnLoop<C, F> {}

// The closure is moved out by value and the future is boxed: nothing is
// structurally pinned.
impl<C, F> Unpin for BuildOnLoop<C, F> {}

impl<C, F> Future for BuildOnLoop<C, F>
where
    C: FnOnce() -> F,
    F: Future,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if let Stage::Closure(build) = &mut self.stage {
            let build = build.take().expect("a BuildOnLoop closure runs once");
            // If `build` panics the stage stays `Closure(None)`; the task ends
            // `Panicked` and is never polled again.
            self.stage = Stage::Running(Box::pin(build()));
        }
        match &mut self.stage {
            Stage::Running(future) => future.as_mut().poll(cx),
            Stage::Closure(_) => unreachable!("the future was just built"),
        }
    }
}
