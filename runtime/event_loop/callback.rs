//! Callbacks: what `call_soon` queues, and the handles that cancel them.
//!
//! A callback waits in the same FIFO ready queue as tasks, so `call_soon`
//! callbacks and task steps interleave in the order they were scheduled, as
//! in asyncio. A [`CallbackHandle`] shares the callback cell with the queue;
//! cancelling it drops the closure at once and the loop skips the entry.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::containment::{contain, drop_contained};

/// One scheduled callback, shared by the ready queue and its handle.
pub(crate) struct ScheduledCallback {
    cancelled: Cell<bool>,
    f: Cell<Option<Box<dyn FnOnce()>>>,
}

impl ScheduledCallback {
    pub(crate) fn new(f: Box<dyn FnOnce()>) -> Rc<ScheduledCallback> {
        Rc::new(ScheduledCallback {
            cancelled: Cell::new(false),
            f: Cell::new(Some(f)),
        })
    }

    /// Marks the callback cancelled and drops the closure now.
    pub(crate) fn cancel(&self) {
        self.cancelled.set(true);
        drop_contained("dropping a cancelled callback", self.f.take());
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }

    /// Runs the callback unless it was cancelled. A panic is reported and
    /// contained: the loop goes on. Returns `true` if it ran.
    pub(crate) fn run(&self) -> bool {
        let Some(f) = self.f.take() else {
            return false;
        };
        contain("running a callback", f);
        true
    }
}

/// The handle `call_soon` returns: asyncio's `Handle`.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// let ran = Rc::new(Cell::new(false));
/// let r = ran.clone();
/// corio::run(async move {
///     let handle = corio::call_soon(move || r.set(true));
///     handle.cancel();
///     corio::yield_now().await;
/// });
/// assert!(!ran.get());
/// ```
pub struct CallbackHandle {
    cell: Rc<ScheduledCallback>,
}

impl CallbackHandle {
    pub(crate) fn new(cell: Rc<ScheduledCallback>) -> CallbackHandle {
        CallbackHandle { cell }
    }

    /// Stops the callback from running (a no-op once it ran or was cancelled).
    /// The closure is dropped now.
    ///
    /// ```
    /// corio::run(async { corio::call_soon(|| unreachable!()).cancel() });
    /// ```
    pub fn cancel(&self) {
        self.cell.cancel();
    }

    /// `true` after [`cancel`](CallbackHandle::cancel).
    ///
    /// ```
    /// corio::run(async {
    ///     let h = corio::call_soon(|| {});
    ///     assert!(!h.is_cancelled());
    ///     h.cancel();
    ///     assert!(h.is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.cell.is_cancelled()
    }
}

impl fmt::Debug for CallbackHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackHandle")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// The handle `call_soon_threadsafe` returns; `Send + Sync`, so any thread can
/// cancel the callback before the loop runs it.
///
/// ```
/// let lp = corio::EventLoop::new();
/// let handle = lp.handle().call_soon_threadsafe(|| unreachable!()).unwrap();
/// handle.cancel();
/// lp.block_on(corio::yield_now());
/// ```
#[derive(Clone)]
pub struct ThreadsafeHandle {
    cancelled: Arc<AtomicBool>,
}

impl ThreadsafeHandle {
    pub(crate) fn wrap(
        f: impl FnOnce() + Send + 'static,
    ) -> (ThreadsafeHandle, Box<dyn FnOnce() + Send>) {
        let cancelled = Arc::new(AtomicBool::new(false));
        let flag = cancelled.clone();
        let f = Box::new(move || {
            if !flag.load(Ordering::Acquire) {
                f();
            }
        });
        (ThreadsafeHandle { cancelled }, f)
    }

    /// Stops the callback from running, if the loop has not started it yet.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// lp.handle().call_soon_threadsafe(|| {}).unwrap().cancel();
    /// ```
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
    }

    /// `true` after [`cancel`](ThreadsafeHandle::cancel).
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let h = lp.handle().call_soon_threadsafe(|| {}).unwrap();
    /// h.cancel();
    /// assert!(h.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

impl fmt::Debug for ThreadsafeHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadsafeHandle")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}
