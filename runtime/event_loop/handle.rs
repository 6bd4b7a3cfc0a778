//! `LoopHandle`: reaching a loop from other threads — asyncio's
//! `call_soon_threadsafe` and `run_coroutine_threadsafe`.
//!
//! Everything a handle does goes through the loop's injection queue
//! ([`LoopShared::inject`]), which wakes the loop if it is parked. Work handed
//! to a closed loop is refused with [`LoopClosed`] (callbacks) or ends as a
//! cancelled [`RemoteTask`] (spawns).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::callback::ThreadsafeHandle;
use super::context;
use super::services::LoopServices;
use super::shared::{LoopShared, Remote};
use crate::task::{Task, TaskError};

/// A `Send + Sync + Clone` handle to an event loop.
///
/// ```
/// let lp = corio::EventLoop::new();
/// let handle = lp.handle();
/// std::thread::spawn(move || {
///     handle.call_soon_threadsafe(|| println!("hello from the loop")).unwrap();
/// })
/// .join()
/// .unwrap();
/// lp.block_on(corio::yield_now());
/// ```
#[derive(Clone)]
pub struct LoopHandle {
    shared: Arc<LoopShared>,
}

/// The loop was closed; the work was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopClosed;

impl fmt::Display for LoopClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the event loop is closed")
    }
}

impl std::error::Error for LoopClosed {}

impl LoopHandle {
    pub(crate) fn new(shared: Arc<LoopShared>) -> LoopHandle {
        LoopHandle { shared }
    }

    /// The handle of the loop running on this thread: asyncio's `get_running_loop`.
    ///
    /// # Panics
    ///
    /// When no corio loop is running on this thread.
    ///
    /// ```
    /// corio::run(async {
    ///     let handle = corio::LoopHandle::current();
    ///     assert!(!handle.is_closed());
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> LoopHandle {
        context::with_current_loop(|lp| LoopHandle::new(lp.scheduler.shared().clone()))
            .expect("LoopHandle::current called with no corio loop running on this thread")
    }

    /// Schedules `f` on the loop from any thread; wakes the loop if it is
    /// parked. Thread-safe callbacks run in the order they arrive. Called on
    /// the loop's own thread (from a task or callback), it joins the same
    /// FIFO as [`call_soon`](crate::call_soon), behind whatever other threads
    /// sent before it — as asyncio, where both append to one deque.
    ///
    /// # Errors
    ///
    /// [`LoopClosed`] when the loop has closed (the callback is dropped).
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let h = lp.handle();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// h.call_soon_threadsafe(move || tx.send(corio::current_task().is_none()).unwrap()).unwrap();
    /// lp.block_on(corio::yield_now());
    /// assert!(rx.recv().unwrap());
    /// ```
    pub fn call_soon_threadsafe(
        &self,
        f: impl FnOnce() + Send + 'static,
    ) -> Result<ThreadsafeHandle, LoopClosed> {
        if self.shared.is_closed() {
            return Err(LoopClosed);
        }
        let (handle, f) = ThreadsafeHandle::wrap(f);
        let own = Arc::as_ptr(&self.shared);
        let on_own_thread =
            context::with_current_loop(|lp| std::ptr::eq(lp.scheduler.shared_ptr(), own))
                == Some(true);
        if on_own_thread {
            context::with_current_loop(|lp| lp.scheduler.call_soon_after_injected(f));
        } else {
            self.shared.inject(Remote::Callback(f));
        }
        Ok(handle)
    }

    /// Spawns a `Send` future on the loop from any thread. The returned
    /// [`RemoteTask`] can be awaited on any executor (or blocked on with
    /// [`RemoteTask::wait`]); if the loop closes first it ends `Cancelled`.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let task = lp.handle().spawn(async { "done" });
    /// assert_eq!(lp.block_on(task).unwrap(), "done");
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> RemoteTask<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let slot = Arc::new(RemoteSlot::default());
        let sender = SlotSender(slot.clone());
        let at = std::panic::Location::caller();
        let accepted = self.call_soon_threadsafe(move || {
            if sender.0.lock().cancel_requested {
                // Cancelled before the loop got to it: the body never runs.
                drop(future);
                sender.0.complete(Err(TaskError::Cancelled(None)));
                return;
            }
            let task = crate::task::spawn_at(future, None, at);
            crate::spawn(RemoteDriver {
                task,
                sender,
                cancel_sent: false,
            });
        });
        if accepted.is_err() {
            slot.complete(Err(TaskError::Cancelled(Some(LoopClosed.to_string()))));
        }
        RemoteTask { slot }
    }

    /// Asks the loop to stop after its current iteration, from any thread.
    ///
    /// # Errors
    ///
    /// [`LoopClosed`] when the loop has closed.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// lp.handle().stop().unwrap();
    /// lp.run_forever();
    /// ```
    pub fn stop(&self) -> Result<(), LoopClosed> {
        self.call_soon_threadsafe(|| {
            context::with_current_loop(LoopServices::request_stop);
        })
        .map(drop)
    }

    /// `true` once the loop has closed.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let h = lp.handle();
    /// drop(lp);
    /// assert!(h.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }
}

impl fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopHandle")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Where a remote task's outcome meets its awaiter on another thread.
struct RemoteSlot<T> {
    inner: Mutex<SlotState<T>>,
}

struct SlotState<T> {
    outcome: Option<Result<T, TaskError>>,
    done: bool,
    /// Who awaits the `RemoteTask`.
    awaiter: Option<Waker>,
    /// `RemoteTask::cancel` was called.
    cancel_requested: bool,
    /// The loop-side driver, to wake when a cancel is requested.
    driver: Option<Waker>,
    /// For `wait`: threads blocked until done.
    blocked: Vec<std::thread::Thread>,
}

impl<T> Default for RemoteSlot<T> {
    fn default() -> Self {
        RemoteSlot {
            inner: Mutex::new(SlotState {
                outcome: None,
                done: false,
                awaiter: None,
                cancel_requested: false,
                driver: None,
                blocked: Vec::new(),
            }),
        }
    }
}

impl<T> RemoteSlot<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState<T>> {
        // The lock is never held across user code, so poisoning cannot leave
        // the state half-written.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn complete(&self, outcome: Result<T, TaskError>) {
        let (awaiter, blocked) = {
            let mut s = self.lock();
            if s.done {
                return;
            }
            s.done = true;
            s.outcome = Some(outcome);
            (s.awaiter.take(), std::mem::take(&mut s.blocked))
        };
        if let Some(w) = awaiter {
            w.wake();
        }
        for t in blocked {
            t.unpark();
        }
    }
}

/// The loop side's end of a slot; dropping it unfinished (the loop closed
/// with the task pending) completes the slot as cancelled.
struct SlotSender<T>(Arc<RemoteSlot<T>>);

impl<T> Drop for SlotSender<T> {
    fn drop(&mut self) {
        self.0.complete(Err(TaskError::Cancelled(Some(
            "the event loop closed before the task finished".into(),
        ))));
    }
}

/// Awaits the real task on the loop and forwards its outcome and cancellation.
struct RemoteDriver<T> {
    task: Task<T>,
    sender: SlotSender<T>,
    cancel_sent: bool,
}

impl<T> Future for RemoteDriver<T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let cancel = {
            let mut s = self.sender.0.lock();
            s.driver = Some(cx.waker().clone());
            s.cancel_requested
        };
        if cancel && !self.cancel_sent {
            self.cancel_sent = true;
            self.task.cancel();
        }
        match Pin::new(&mut self.task).poll(cx) {
            Poll::Ready(outcome) => {
                self.sender.0.complete(outcome);
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A task spawned through a [`LoopHandle`]: `Send`, awaitable on any executor
/// or thread, like asyncio's `run_coroutine_threadsafe` future.
///
/// ```
/// let lp = corio::EventLoop::new();
/// let task = lp.handle().spawn(std::future::pending::<()>());
/// task.cancel();
/// assert!(lp.block_on(task).unwrap_err().is_cancelled());
/// ```
pub struct RemoteTask<T> {
    slot: Arc<RemoteSlot<T>>,
}

impl<T> RemoteTask<T> {
    /// Requests cancellation of the task on its loop.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// lp.handle().spawn(async {}).cancel();
    /// ```
    pub fn cancel(&self) {
        let driver = {
            let mut s = self.slot.lock();
            s.cancel_requested = true;
            s.driver.take()
        };
        if let Some(w) = driver {
            w.wake();
        }
    }

    /// `true` once the outcome is known.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let t = lp.handle().spawn(async {});
    /// assert!(!t.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.slot.lock().done
    }

    /// Blocks this (non-loop) thread until the task finishes and returns its
    /// outcome. Do not call it on the loop's own thread: the loop could not run.
    ///
    /// ```
    /// let lp = corio::EventLoop::new();
    /// let task = lp.handle().spawn(async { 5 });
    /// let waiter = std::thread::spawn(move || task.wait().unwrap());
    /// lp.block_on(async {
    ///     for _ in 0..3 {
    ///         corio::yield_now().await;
    ///     }
    /// });
    /// assert_eq!(waiter.join().unwrap(), 5);
    /// ```
    pub fn wait(self) -> Result<T, TaskError> {
        let mut registered = false;
        loop {
            {
                let mut s = self.slot.lock();
                if s.done {
                    return s
                        .outcome
                        .take()
                        .expect("a RemoteTask gives its outcome once");
                }
                if !registered {
                    s.blocked.push(std::thread::current());
                    registered = true;
                }
            }
            // A spurious unpark just loops back to the check.
            std::thread::park();
        }
    }
}

impl<T> Future for RemoteTask<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.slot.lock();
        if s.done {
            return Poll::Ready(
                s.outcome
                    .take()
                    .expect("a RemoteTask gives its outcome once"),
            );
        }
        s.awaiter = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<T> fmt::Debug for RemoteTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteTask")
            .field("done", &self.is_done())
            .finish()
    }
}
