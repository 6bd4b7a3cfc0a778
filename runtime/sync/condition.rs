//! `Condition`: asyncio's condition variable, bound to a [`Lock`].

use std::fmt;
use std::future::poll_fn;
use std::rc::Rc;

use super::error::SyncError;
use super::lock::{Acquire, Lock, LockGuard};
use super::wait_queue::{HandOff, HandedOver, WaitQueue};

/// An asyncio `Condition`: `wait` releases the lock, waits for a `notify`,
/// and re-acquires the lock; `notify(n)` wakes the first `n` waiters, FIFO.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// corio::run(async {
///     let cond = Rc::new(corio::sync::Condition::new());
///     let ready = Rc::new(Cell::new(false));
///     let waiter = {
///         let (cond, ready) = (cond.clone(), ready.clone());
///         corio::spawn(async move {
///             let guard = cond.lock().await;
///             let _guard = cond.wait_for(guard, || ready.get()).await;
///             "saw it"
///         })
///     };
///     corio::yield_now().await;
///     let guard = cond.lock().await;
///     ready.set(true);
///     cond.notify(1).unwrap();
///     drop(guard);
///     assert_eq!(waiter.await.unwrap(), "saw it");
/// });
/// ```
pub struct Condition {
    lock: Rc<Lock>,
    waiters: WaitQueue,
}

impl Condition {
    /// A condition with a lock of its own.
    ///
    /// ```
    /// let _c = corio::sync::Condition::new();
    /// ```
    pub fn new() -> Condition {
        Condition::with_lock(Rc::new(Lock::new()))
    }

    /// A condition over a shared lock.
    ///
    /// ```
    /// use std::rc::Rc;
    /// let lock = Rc::new(corio::sync::Lock::new());
    /// let _c = corio::sync::Condition::with_lock(lock.clone());
    /// ```
    pub fn with_lock(lock: Rc<Lock>) -> Condition {
        Condition {
            lock,
            waiters: WaitQueue::default(),
        }
    }

    /// Acquires the condition's lock.
    ///
    /// ```
    /// corio::run(async {
    ///     let c = corio::sync::Condition::new();
    ///     let _g = c.lock().await;
    ///     assert!(c.locked());
    /// });
    /// ```
    pub fn lock(&self) -> Acquire<'_> {
        self.lock.lock()
    }

    /// `true` while the condition's lock is held.
    ///
    /// ```
    /// assert!(!corio::sync::Condition::new().locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// Releases the lock held by `guard`, waits for a notification, then
    /// re-acquires the lock and returns its new guard.
    ///
    /// If the waiting task is cancelled after it was notified, the
    /// notification passes to the next waiter.
    ///
    /// # Panics
    ///
    /// When `guard` holds a different lock than this condition's.
    ///
    /// ```
    /// use std::rc::Rc;
    /// corio::run(async {
    ///     let c = Rc::new(corio::sync::Condition::new());
    ///     let w = { let c = c.clone(); corio::spawn(async move { let g = c.lock().await; drop(c.wait(g).await); }) };
    ///     corio::yield_now().await;
    ///     let g = c.lock().await;
    ///     c.notify_all().unwrap();
    ///     drop(g);
    ///     w.await.unwrap();
    /// });
    /// ```
    pub async fn wait<'a>(&'a self, guard: LockGuard<'a>) -> LockGuard<'a> {
        assert!(
            std::ptr::eq(guard.lock(), &*self.lock),
            "Condition::wait was given the guard of a different lock"
        );
        let mut notification = HandOff::new(self);
        let mut guard = Some(guard);
        poll_fn(|cx| {
            let notified = notification.poll_acquire(cx);
            // Queue first (the first poll always queues), then release: a
            // notify right after the release reaches us.
            drop(guard.take());
            notified
        })
        .await;
        self.lock.lock().await
    }

    /// Waits until `predicate()` is true, checking it under the lock after each
    /// notification.
    ///
    /// ```
    /// corio::run(async {
    ///     let c = corio::sync::Condition::new();
    ///     let g = c.lock().await;
    ///     let _g = c.wait_for(g, || true).await; // already true: no wait
    /// });
    /// ```
    pub async fn wait_for<'a>(
        &'a self,
        mut guard: LockGuard<'a>,
        mut predicate: impl FnMut() -> bool,
    ) -> LockGuard<'a> {
        while !predicate() {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// Wakes up to `n` waiters, in FIFO order.
    ///
    /// # Errors
    ///
    /// [`SyncError::LockNotHeld`] when the condition's lock is not held.
    ///
    /// ```
    /// let c = corio::sync::Condition::new();
    /// assert_eq!(c.notify(1), Err(corio::sync::SyncError::LockNotHeld));
    /// ```
    pub fn notify(&self, n: usize) -> Result<(), SyncError> {
        if !self.lock.locked() {
            return Err(SyncError::LockNotHeld);
        }
        for _ in 0..n {
            if !self.waiters.notify_one() {
                break;
            }
        }
        Ok(())
    }

    /// Wakes every waiter.
    ///
    /// # Errors
    ///
    /// [`SyncError::LockNotHeld`] when the condition's lock is not held.
    ///
    /// ```
    /// corio::run(async {
    ///     let c = corio::sync::Condition::new();
    ///     let _g = c.lock().await;
    ///     c.notify_all().unwrap();
    /// });
    /// ```
    pub fn notify_all(&self) -> Result<(), SyncError> {
        if !self.lock.locked() {
            return Err(SyncError::LockNotHeld);
        }
        self.waiters.notify_all();
        Ok(())
    }
}

impl Default for Condition {
    fn default() -> Condition {
        Condition::new()
    }
}

/// What a `wait` is handed is a notification: never free (a `wait` always
/// queues), and passed on to the next waiter when a notified `wait` is
/// cancelled before it used it.
impl HandedOver for Condition {
    fn waiters(&self) -> &WaitQueue {
        &self.waiters
    }

    fn take_free(&self) -> bool {
        false
    }

    fn pass_on(&self) {
        self.waiters.notify_one();
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("locked", &self.locked())
            .field("waiters", &self.waiters.len())
            .finish()
    }
}
