//! `PoolFuture`: the result of a job submitted to a thread pool —
//! `concurrent.futures.Future`, awaitable on a corio loop and waitable from
//! plain threads.
//!
//! One `Arc`'d cell, guarded by a `Mutex` and a `Condvar`, shared by the
//! submitter, the worker and any waiters. A job moves
//! `Pending → Running → Finished`, or `Pending → Cancelled`. When it finishes,
//! the worker wakes every async waiter (a corio task is woken through its
//! loop's injection queue — the thread-safe path), notifies blocked threads,
//! and runs the done-callbacks on its own thread, as `concurrent.futures` does.
//!
//! Wakes, done-callbacks and the drop of what the cell still holds when the
//! last handle goes (an unread result, a panic payload) are user code: each
//! runs under [`contain`], so a panicking callback is reported, the callbacks
//! after it still run, and neither the worker nor a thread calling
//! [`PoolFuture::cancel`] unwinds.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::containment::{contain, drop_contained};

/// Why a [`PoolFuture`] has no value.
pub enum ExecutorError {
    /// The job panicked; the payload is here. The worker thread lives on.
    Panicked(Box<dyn Any + Send>),
    /// The job was cancelled before it started.
    Cancelled,
    /// The executor was shut down before the job was submitted.
    ShutDown,
    /// `result(Some(timeout))` timed out; the job goes on.
    Timeout,
    /// The value was already taken by an earlier `result`.
    AlreadyTaken,
}

impl fmt::Debug for ExecutorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecutorError::Panicked(p) => f
                .debug_tuple("Panicked")
                .field(
                    &crate::task::error::payload_message(p.as_ref())
                        .unwrap_or("<non-string payload>"),
                )
                .finish(),
            ExecutorError::Cancelled => f.write_str("Cancelled"),
            ExecutorError::ShutDown => f.write_str("ShutDown"),
            ExecutorError::Timeout => f.write_str("Timeout"),
            ExecutorError::AlreadyTaken => f.write_str("AlreadyTaken"),
        }
    }
}

impl fmt::Display for ExecutorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecutorError::Panicked(p) => match crate::task::error::payload_message(p.as_ref()) {
                Some(m) => write!(f, "the job panicked: {m}"),
                None => f.write_str("the job panicked"),
            },
            ExecutorError::Cancelled => f.write_str("the job was cancelled before it started"),
            ExecutorError::ShutDown => f.write_str("the executor is shut down"),
            ExecutorError::Timeout => f.write_str("timed out waiting for the job"),
            ExecutorError::AlreadyTaken => f.write_str("the job's result was already taken"),
        }
    }
}

impl std::error::Error for ExecutorError {}

pub(crate) enum Stage<T> {
    Pending,
    Running,
    Finished(Result<T, Box<dyn Any + Send>>),
    Cancelled,
    Taken,
}

type DoneCallback<T> = Box<dyn FnOnce(&PoolFuture<T>) + Send>;

pub(crate) struct State<T> {
    pub(crate) stage: Stage<T>,
    wakers: Vec<Waker>,
    callbacks: Vec<DoneCallback<T>>,
}

pub(crate) struct Cell<T> {
    state: Mutex<State<T>>,
    done: Condvar,
}

/// The future of a job submitted to a [`ThreadPoolExecutor`](super::ThreadPoolExecutor).
///
/// Await it on a corio loop (or any executor), or block on
/// [`result`](PoolFuture::result) from a plain thread. Clones share the job.
///
/// ```
/// let pool = corio::executor::ThreadPoolExecutor::new(2);
/// let fut = pool.submit(|| 6 * 7).unwrap();
/// assert_eq!(fut.result(None).unwrap(), 42);
/// ```
pub struct PoolFuture<T> {
    cell: Arc<Cell<T>>,
}

impl<T> Clone for PoolFuture<T> {
    fn clone(&self) -> Self {
        PoolFuture {
            cell: self.cell.clone(),
        }
    }
}

impl<T> PoolFuture<T> {
    pub(crate) fn new_pending() -> PoolFuture<T> {
        PoolFuture {
            cell: Arc::new(Cell {
                state: Mutex::new(State {
                    stage: Stage::Pending,
                    wakers: Vec::new(),
                    callbacks: Vec::new(),
                }),
                done: Condvar::new(),
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State<T>> {
        // User code never runs under this lock, so it cannot be poisoned
        // half-way through an update.
        self.cell.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Worker side: `Pending → Running`; `false` if the job was cancelled.
    pub(crate) fn start(&self) -> bool {
        let mut s = self.lock();
        if matches!(s.stage, Stage::Pending) {
            s.stage = Stage::Running;
            true
        } else {
            false
        }
    }

    /// Worker side: stores the outcome, wakes everyone, runs the callbacks.
    pub(crate) fn finish(&self, outcome: Result<T, Box<dyn Any + Send>>) {
        self.settle_if(
            |stage| matches!(stage, Stage::Running),
            Stage::Finished(outcome),
        );
    }

    /// Moves to `stage` if `allowed` says so of the current stage — both under
    /// one hold of the lock, so a worker's `start` cannot slip in between —
    /// then wakes everyone and runs the callbacks outside the lock. Returns
    /// whether it moved.
    fn settle_if(&self, allowed: impl FnOnce(&Stage<T>) -> bool, stage: Stage<T>) -> bool {
        let (wakers, callbacks) = {
            let mut s = self.lock();
            if !allowed(&s.stage) {
                return false;
            }
            s.stage = stage;
            (
                std::mem::take(&mut s.wakers),
                std::mem::take(&mut s.callbacks),
            )
        };
        self.cell.done.notify_all();
        for waker in wakers {
            contain("waking a task that awaits a pool job", || waker.wake());
        }
        for callback in callbacks {
            self.run_done_callback(callback);
        }
        true
    }

    /// Runs one done-callback; a panic is reported and contained, so the
    /// callbacks after it still run and the thread that settled the job (a
    /// worker, or a caller of `cancel`) goes on.
    fn run_done_callback(&self, callback: DoneCallback<T>) {
        contain("calling a pool future's done-callback", || callback(self));
    }

    /// Cancels the job if it has not started (`concurrent.futures`' `cancel`);
    /// returns `true` if it is (now) cancelled.
    ///
    /// ```
    /// let pool = corio::executor::ThreadPoolExecutor::new(1);
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let busy = pool.submit(move || rx.recv().unwrap()).unwrap();
    /// let queued = pool.submit(|| "never").unwrap();
    /// assert!(queued.cancel());
    /// tx.send(()).unwrap();
    /// busy.result(None).unwrap();
    /// assert!(queued.cancelled());
    /// ```
    pub fn cancel(&self) -> bool {
        self.settle_if(|stage| matches!(stage, Stage::Pending), Stage::Cancelled)
            || self.cancelled()
    }

    /// `true` once finished or cancelled.
    ///
    /// ```
    /// let pool = corio::executor::ThreadPoolExecutor::new(1);
    /// let f = pool.submit(|| ()).unwrap();
    /// f.clone().result(None).unwrap();
    /// assert!(f.done());
    /// ```
    pub fn done(&self) -> bool {
        !matches!(self.lock().stage, Stage::Pending | Stage::Running)
    }

    /// `true` while a worker runs the job.
    ///
    /// ```
    /// let pool = corio::executor::ThreadPoolExecutor::new(1);
    /// let f = pool.submit(|| ()).unwrap();
    /// let _ = f.running();
    /// ```
    pub fn running(&self) -> bool {
        matches!(self.lock().stage, Stage::Running)
    }

    /// `true` if the job was cancelled.
    ///
    /// ```
    /// let pool = corio::executor::ThreadPoolExecutor::new(1);
    /// let f = pool.submit(|| ()).unwrap();
    /// f.clone().result(None).unwrap();
    /// assert!(!f.cancelled());
    /// ```
    pub fn cancelled(&self) -> bool {
        matches!(self.lock().stage, Stage::Cancelled)
    }

    /// Runs `callback` when the job is done — on the thread that finished it,
    /// or on this thread at once if it is already done.
    ///
    /// A panicking callback is reported on stderr and contained (as
    /// `concurrent.futures` logs "exception calling callback"): the other
    /// callbacks still run, and the worker goes on to its next job.
    ///
    /// ```
    /// let pool = corio::executor::ThreadPoolExecutor::new(1);
    /// let f = pool.submit(|| 1).unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// f.add_done_callback(move |f| tx.send(f.done()).unwrap());
    /// assert!(rx.recv().unwrap());
    /// ```
    pub fn add_done_callback(&self, callback: impl FnOnce(&PoolFuture<T>) + Send + 'static) {
        {
            let mut s = self.lock();
            if matches!(s.stage, Stage::Pending | Stage::Running) {
                s.callbacks.push(Box::new(callback));
                return;
            }
        }
        self.run_done_callback(Box::new(callback));
    }

    /// Blocks this thread until the job is done (or `timeout` passes) and takes
    /// its value. Do not call it on a loop's thread: await the future instead.
    ///
    /// # Errors
    ///
    /// [`ExecutorError::Panicked`], `Cancelled`, `Timeout` (the job goes on), or
    /// `AlreadyTaken` when another clone took the value.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = corio::executor::ThreadPoolExecutor::new(1);
    /// let slow = pool.submit(|| std::thread::sleep(Duration::from_millis(200))).unwrap();
    /// assert!(matches!(slow.result(Some(Duration::from_millis(1))), Err(corio::executor::ExecutorError::Timeout)));
    /// ```
    pub fn result(self, timeout: Option<Duration>) -> Result<T, ExecutorError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut s = self.lock();
        loop {
            if !matches!(s.stage, Stage::Pending | Stage::Running) {
                return take(&mut s.stage);
            }
            match deadline {
                None => s = self.cell.done.wait(s).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(ExecutorError::Timeout);
                    }
                    s = self
                        .cell
                        .done
                        .wait_timeout(s, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }
}

fn take<T>(stage: &mut Stage<T>) -> Result<T, ExecutorError> {
    match std::mem::replace(stage, Stage::Taken) {
        Stage::Finished(Ok(v)) => Ok(v),
        Stage::Finished(Err(p)) => Err(ExecutorError::Panicked(p)),
        Stage::Cancelled => {
            *stage = Stage::Cancelled;
            Err(ExecutorError::Cancelled)
        }
        Stage::Taken => Err(ExecutorError::AlreadyTaken),
        Stage::Pending | Stage::Running => unreachable!("taken only when done"),
    }
}

/// The last handle is gone (the submitter's clones and the worker's): what the
/// cell still holds — a result nobody read, a panic payload, wakers, callbacks
/// of a job that never settled — is user code to drop, so it is dropped under
/// containment, wherever that last handle happened to be dropped.
impl<T> Drop for Cell<T> {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        let stage = std::mem::replace(&mut state.stage, Stage::Taken);
        drop_contained("dropping a pool job's unread result", stage);
        let wakers = std::mem::take(&mut state.wakers);
        drop_contained("dropping the wakers of a pool future", wakers);
        let callbacks = std::mem::take(&mut state.callbacks);
        drop_contained("dropping the done-callbacks of a pool future", callbacks);
    }
}

impl<T> Future for PoolFuture<T> {
    type Output = Result<T, ExecutorError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.lock();
        if matches!(s.stage, Stage::Pending | Stage::Running) {
            if !s.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                s.wakers.push(cx.waker().clone());
            }
            return Poll::Pending;
        }
        Poll::Ready(take(&mut s.stage))
    }
}

impl<T> fmt::Debug for PoolFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.lock();
        let stage = match s.stage {
            Stage::Pending => "pending",
            Stage::Running => "running",
            Stage::Finished(Ok(_)) => "finished",
            Stage::Finished(Err(_)) => "panicked",
            Stage::Cancelled => "cancelled",
            Stage::Taken => "taken",
        };
        f.debug_struct("PoolFuture").field("stage", &stage).finish()
    }
}
