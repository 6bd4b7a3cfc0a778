//! `Lock`: asyncio's mutex — strictly FIFO, no barging, cancellation-safe.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::SyncError;
use super::wait_queue::{HandOff, HandedOver, WaitQueue};

/// An asyncio `Lock` for the tasks of one loop.
///
/// * `lock().await` gives a [`LockGuard`] that releases when dropped (the
///   Rust way); `acquire().await` + `release()` is asyncio's way.
/// * Strictly FIFO: a release hands the lock to the first waiter, so a task
///   arriving later queues behind it even before the woken waiter has run.
/// * A free lock with no waiters is taken at once.
/// * A waiter cancelled after it was handed the lock passes it to the next
///   waiter; no acquire is ever lost.
///
/// ```
/// use std::rc::Rc;
/// corio::run(async {
///     let lock = Rc::new(corio::sync::Lock::new());
///     let counter = Rc::new(std::cell::Cell::new(0));
///     let tasks: Vec<_> = (0..10).map(|_| {
///         let (lock, counter) = (lock.clone(), counter.clone());
///         corio::spawn(async move {
///             let _guard = lock.lock().await;
///             let seen = counter.get();
///             corio::yield_now().await; // others run, but cannot enter
///             counter.set(seen + 1);
///         })
///     }).collect();
///     corio::gather(tasks).await.unwrap();
///     assert_eq!(counter.get(), 10);
/// });
/// ```
#[derive(Default)]
pub struct Lock {
    locked: Cell<bool>,
    waiters: WaitQueue,
}

impl Lock {
    /// An unlocked lock.
    ///
    /// ```
    /// assert!(!corio::sync::Lock::new().locked());
    /// ```
    pub fn new() -> Lock {
        Lock::default()
    }

    /// `true` while held.
    ///
    /// ```
    /// corio::run(async {
    ///     let lock = corio::sync::Lock::new();
    ///     let g = lock.lock().await;
    ///     assert!(lock.locked());
    ///     drop(g);
    ///     assert!(!lock.locked());
    /// });
    /// ```
    pub fn locked(&self) -> bool {
        self.locked.get()
    }

    /// Waits for the lock; the guard releases it when dropped.
    ///
    /// ```
    /// corio::run(async {
    ///     let lock = corio::sync::Lock::new();
    ///     let _guard = lock.lock().await;
    /// });
    /// ```
    pub fn lock(&self) -> Acquire<'_> {
        Acquire {
            hand_off: HandOff::new(self),
        }
    }

    /// asyncio's `await lock.acquire()`: waits for the lock and keeps it until
    /// [`release`](Lock::release).
    ///
    /// ```
    /// corio::run(async {
    ///     let lock = corio::sync::Lock::new();
    ///     lock.acquire().await;
    ///     lock.release().unwrap();
    /// });
    /// ```
    pub async fn acquire(&self) {
        self.lock().await.forget();
    }

    /// asyncio's `lock.release()`: hands the lock to the first waiter, or
    /// unlocks it.
    ///
    /// # Errors
    ///
    /// [`SyncError::NotLocked`] if the lock is not held.
    ///
    /// ```
    /// let lock = corio::sync::Lock::new();
    /// assert_eq!(lock.release(), Err(corio::sync::SyncError::NotLocked));
    /// ```
    pub fn release(&self) -> Result<(), SyncError> {
        if !self.locked.get() {
            return Err(SyncError::NotLocked);
        }
        if !self.waiters.notify_one() {
            self.locked.set(false);
        }
        Ok(())
    }
}

impl HandedOver for Lock {
    fn waiters(&self) -> &WaitQueue {
        &self.waiters
    }

    fn take_free(&self) -> bool {
        !self.locked.replace(true)
    }

    fn pass_on(&self) {
        // Errors only if someone released a lock they did not hold, which
        // leaves nothing to pass on.
        let _ = self.release();
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.locked())
            .field("waiters", &self.waiters.len())
            .finish()
    }
}

/// The future of [`Lock::lock`]: FIFO and cancel-safe, as
/// `wait_queue::HandOff` guarantees.
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    hand_off: HandOff<'a, Lock>,
}

impl<'a> Future for Acquire<'a> {
    type Output = LockGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a>> {
        let lock = self.hand_off.resource();
        self.hand_off.poll_acquire(cx).map(|()| LockGuard { lock })
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("queued", &self.hand_off.is_queued())
            .finish()
    }
}

/// Holds a [`Lock`]; releases it when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
}

impl<'a> LockGuard<'a> {
    /// Keeps the lock held without a guard (asyncio style); release it with
    /// [`Lock::release`].
    ///
    /// ```
    /// corio::run(async {
    ///     let lock = corio::sync::Lock::new();
    ///     lock.lock().await.forget();
    ///     assert!(lock.locked());
    ///     lock.release().unwrap();
    /// });
    /// ```
    pub fn forget(self) {
        std::mem::forget(self);
    }

    /// The lock this guard holds.
    pub(crate) fn lock(&self) -> &'a Lock {
        self.lock
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        let _ = self.lock.release();
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").finish_non_exhaustive()
    }
}
