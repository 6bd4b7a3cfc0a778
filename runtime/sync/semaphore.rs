//! `Semaphore` and `BoundedSemaphore`: asyncio's counting semaphores —
//! strictly FIFO, cancellation-safe.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::SyncError;
use super::wait_queue::{HandOff, HandedOver, WaitQueue};

/// An asyncio `Semaphore` for the tasks of one loop: at most `value` holders.
///
/// * `permit().await` gives a [`SemaphorePermit`] that releases when dropped;
///   `acquire().await` + `release()` is asyncio's way.
/// * Strictly FIFO: while tasks wait, a newcomer queues behind them even if
///   a permit is free; a release hands its permit to the first waiter.
/// * A waiter cancelled before or after it was handed a permit consumes none.
/// * A negative initial value (asyncio's `ValueError`) cannot be written: the
///   count is a `usize`.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// corio::run(async {
///     let sem = Rc::new(corio::sync::Semaphore::new(2));
///     let (running, peak) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
///     let tasks: Vec<_> = (0..6).map(|_| {
///         let (sem, running, peak) = (sem.clone(), running.clone(), peak.clone());
///         corio::spawn(async move {
///             let _permit = sem.permit().await;
///             running.set(running.get() + 1);
///             peak.set(peak.get().max(running.get()));
///             corio::yield_now().await;
///             running.set(running.get() - 1);
///         })
///     }).collect();
///     corio::gather(tasks).await.unwrap();
///     assert_eq!(peak.get(), 2);
/// });
/// ```
pub struct Semaphore {
    value: Cell<usize>,
    waiters: WaitQueue,
    /// `Some(initial)` for a `BoundedSemaphore`.
    bound: Option<usize>,
}

impl Semaphore {
    /// A semaphore with `value` permits.
    ///
    /// ```
    /// assert_eq!(corio::sync::Semaphore::new(3).value(), 3);
    /// ```
    pub fn new(value: usize) -> Semaphore {
        Semaphore {
            value: Cell::new(value),
            waiters: WaitQueue::default(),
            bound: None,
        }
    }

    /// Free permits now.
    ///
    /// ```
    /// corio::run(async {
    ///     let s = corio::sync::Semaphore::new(1);
    ///     let p = s.permit().await;
    ///     assert_eq!(s.value(), 0);
    ///     drop(p);
    ///     assert_eq!(s.value(), 1);
    /// });
    /// ```
    pub fn value(&self) -> usize {
        self.value.get()
    }

    /// `true` when an `acquire` would wait (asyncio's `locked()`).
    ///
    /// ```
    /// assert!(corio::sync::Semaphore::new(0).locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.value.get() == 0 || !self.waiters.is_empty()
    }

    /// Waits for a permit; it is returned when the guard drops.
    ///
    /// ```
    /// corio::run(async {
    ///     let s = corio::sync::Semaphore::new(1);
    ///     let _p = s.permit().await;
    /// });
    /// ```
    pub fn permit(&self) -> PermitFuture<'_> {
        PermitFuture {
            hand_off: HandOff::new(self),
        }
    }

    /// asyncio's `await sem.acquire()`: takes a permit until [`release`](Semaphore::release).
    ///
    /// ```
    /// corio::run(async {
    ///     let s = corio::sync::Semaphore::new(1);
    ///     s.acquire().await;
    ///     s.release().unwrap();
    /// });
    /// ```
    pub async fn acquire(&self) {
        self.permit().await.forget();
    }

    /// asyncio's `sem.release()`: hands a permit to the first waiter, or
    /// returns it.
    ///
    /// # Errors
    ///
    /// For a [`BoundedSemaphore`], [`SyncError::TooManyReleases`] when the
    /// value would exceed its initial value; nothing changes.
    ///
    /// ```
    /// let s = corio::sync::Semaphore::new(0);
    /// s.release().unwrap(); // a plain semaphore may grow
    /// assert_eq!(s.value(), 1);
    /// ```
    pub fn release(&self) -> Result<(), SyncError> {
        if self.waiters.notify_one() {
            return Ok(());
        }
        let value = self.value.get();
        if self.bound.is_some_and(|bound| value >= bound) {
            return Err(SyncError::TooManyReleases);
        }
        self.value.set(value + 1);
        Ok(())
    }
}

impl HandedOver for Semaphore {
    fn waiters(&self) -> &WaitQueue {
        &self.waiters
    }

    fn take_free(&self) -> bool {
        let value = self.value.get();
        if value == 0 {
            return false;
        }
        self.value.set(value - 1);
        true
    }

    fn pass_on(&self) {
        // Errors only for a bounded semaphore already back at its bound,
        // which is owed no permit.
        let _ = self.release();
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("value", &self.value())
            .field("waiters", &self.waiters.len())
            .field("bound", &self.bound)
            .finish()
    }
}

/// The future of [`Semaphore::permit`]: FIFO and cancel-safe, as
/// `wait_queue::HandOff` guarantees.
#[must_use = "futures do nothing unless awaited"]
pub struct PermitFuture<'a> {
    hand_off: HandOff<'a, Semaphore>,
}

impl<'a> Future for PermitFuture<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let sem = self.hand_off.resource();
        self.hand_off
            .poll_acquire(cx)
            .map(|()| SemaphorePermit { sem })
    }
}

impl fmt::Debug for PermitFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitFuture")
            .field("queued", &self.hand_off.is_queued())
            .finish()
    }
}

/// One permit of a [`Semaphore`]; returned when dropped.
#[must_use = "the permit is returned as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit without a guard (asyncio style); give it back with
    /// [`Semaphore::release`].
    ///
    /// ```
    /// corio::run(async {
    ///     let s = corio::sync::Semaphore::new(1);
    ///     s.permit().await.forget();
    ///     assert_eq!(s.value(), 0);
    /// });
    /// ```
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        let _ = self.sem.release();
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").finish_non_exhaustive()
    }
}

/// asyncio's `BoundedSemaphore`: a [`Semaphore`] whose `release` refuses to
/// go above the initial value. It dereferences to the `Semaphore`.
///
/// ```
/// corio::run(async {
///     let s = corio::sync::BoundedSemaphore::new(1);
///     s.acquire().await;
///     s.release().unwrap();
///     assert_eq!(s.release(), Err(corio::sync::SyncError::TooManyReleases));
/// });
/// ```
pub struct BoundedSemaphore(Semaphore);

impl BoundedSemaphore {
    /// A bounded semaphore with `value` permits, never more.
    ///
    /// ```
    /// assert_eq!(corio::sync::BoundedSemaphore::new(2).value(), 2);
    /// ```
    pub fn new(value: usize) -> BoundedSemaphore {
        BoundedSemaphore(Semaphore {
            value: Cell::new(value),
            waiters: WaitQueue::default(),
            bound: Some(value),
        })
    }
}

impl std::ops::Deref for BoundedSemaphore {
    type Target = Semaphore;

    fn deref(&self) -> &Semaphore {
        &self.0
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BoundedSemaphore").field(&self.0).finish()
    }
}
