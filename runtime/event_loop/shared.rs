//! `LoopShared`: the part of a loop other threads may touch.
//!
//! Everything here is `Send + Sync`: the injection queue (a lock-free
//! `crossbeam_queue::SegQueue`) through which other threads hand the loop
//! task wake-ups and callbacks, the [`ParkState`] handshake, the OS
//! [`Unparker`], and a `closed` flag. A `LoopHandle` is an `Arc` of this; so
//! is every task header, which is how a waker on any thread finds its loop.
//!
//! # Closing without leaks
//!
//! A task header owns an `Arc<LoopShared>`, and an injection-queue entry owns
//! a reference to a header: left in the queue after the loop closed, the two
//! would keep each other alive forever. So closing sets `closed` and drains
//! the queue, and a thread that injects re-checks `closed` after its push and
//! drains too if the loop closed meanwhile (a fence on each side makes sure
//! at least one of the two sees the other's write). A wake after the close
//! only releases its reference.

use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicBool, Ordering};

use crossbeam_queue::SegQueue;

use super::park::ParkState;
use crate::io::driver::Unparker;
use crate::task::header::Header;

/// A task pointer that may cross threads inside the injection queue.
///
/// Only the reference count is touched off the loop thread (see
/// `task/header.rs`'s invariants), so sending the pointer is sound.
pub(crate) struct TaskPtr(pub(crate) NonNull<Header>);

// SAFETY: see the type's docs: the receiving side only touches the atomic
// reference count until the pointer is back on the loop's own thread.
unsafe impl Send for TaskPtr {}

/// Work another thread hands to the loop.
pub(crate) enum Remote {
    /// Wake this task; the entry owns one reference to it.
    Wake(TaskPtr),
    /// Run this callback (`call_soon_threadsafe`).
    Callback(Box<dyn FnOnce() + Send>),
}

/// See the module docs.
pub(crate) struct LoopShared {
    injector: SegQueue<Remote>,
    park: ParkState,
    unparker: Unparker,
    closed: AtomicBool,
}

impl LoopShared {
    pub(crate) fn new(unparker: Unparker) -> LoopShared {
        LoopShared {
            injector: SegQueue::new(),
            park: ParkState::new(),
            unparker,
            closed: AtomicBool::new(false),
        }
    }

    /// Hands `work` to the loop from any thread and wakes the loop if it is
    /// parked. On a closed loop the work is dropped here.
    pub(crate) fn inject(&self, work: Remote) {
        if self.closed.load(Ordering::Acquire) {
            discard(work);
            return;
        }
        self.injector.push(work);
        if self.park.notify() {
            self.unparker.unpark();
        }
        fence(Ordering::SeqCst);
        if self.closed.load(Ordering::Relaxed) {
            self.discard_all();
        }
    }

    /// The next injected item, on the loop thread.
    #[inline]
    pub(crate) fn pop(&self) -> Option<Remote> {
        self.injector.pop()
    }

    /// `true` when something waits in the injection queue.
    #[inline]
    pub(crate) fn has_injected(&self) -> bool {
        !self.injector.is_empty()
    }

    pub(crate) fn park_state(&self) -> &ParkState {
        &self.park
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Marks the loop closed and drops whatever is still queued.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        fence(Ordering::SeqCst);
        self.discard_all();
    }

    fn discard_all(&self) {
        while let Some(work) = self.injector.pop() {
            discard(work);
        }
    }
}

fn discard(work: Remote) {
    match work {
        // SAFETY: the entry owned this reference. The loop is closed, so every
        // future and output is already dropped: if this frees the task, only
        // memory goes (the header's invariants).
        Remote::Wake(task) => unsafe { Header::release(task.0) },
        Remote::Callback(f) => drop(f),
    }
}
