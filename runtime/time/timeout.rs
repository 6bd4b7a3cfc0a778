//! Timeouts: `timeout`, `timeout_at`, `wait_for`, and asyncio 3.11's
//! `timeout` scope with `reschedule`.
//!
//! A timeout polls the inner future first and the timer second, so a future
//! that is already done wins even against a zero timeout (asyncio's
//! `wait_for` rule). On expiry the inner future is dropped — Rust's form of
//! cancelling it — and the caller gets [`TimeoutError`].

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::sleep::{sleep, sleep_until, Sleep};

/// The deadline passed before the future completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutError;

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline elapsed before the future completed")
    }
}

impl std::error::Error for TimeoutError {}

/// Runs `future` for at most `delay`; on expiry drops it and returns
/// `Err(TimeoutError)`. A `delay` of zero still lets an already-ready future
/// return its value.
///
/// ```
/// use std::time::Duration;
/// corio::run(async {
///     let slow = corio::time::sleep(Duration::from_secs(10));
///     assert!(corio::time::timeout(Duration::from_millis(5), slow).await.is_err());
///     assert_eq!(corio::time::timeout(Duration::ZERO, async { 1 }).await, Ok(1));
/// });
/// ```
pub fn timeout<F: Future>(delay: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(delay),
        zero: delay.is_zero(),
    }
}

/// Runs `future` until `deadline` at most, as [`timeout`].
///
/// ```
/// use std::time::{Duration, Instant};
/// corio::run(async {
///     let at = Instant::now() + Duration::from_millis(5);
///     let r = corio::time::timeout_at(at, std::future::pending::<()>()).await;
///     assert_eq!(r, Err(corio::time::TimeoutError));
/// });
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep_until(deadline),
        zero: false,
    }
}

/// asyncio's `wait_for(aw, timeout)`: the same as [`timeout`]. The future is
/// dropped on expiry; to cancel a [`Task`](crate::Task) on expiry, call its
/// `cancel()` when this returns `Err` (dropping a `Task` handle only detaches it).
///
/// ```
/// use std::time::Duration;
/// corio::run(async {
///     let r = corio::wait_for(corio::time::sleep(Duration::from_secs(5)), Duration::from_millis(1)).await;
///     assert!(r.is_err());
/// });
/// ```
pub fn wait_for<F: Future>(future: F, delay: Duration) -> Timeout<F> {
    timeout(delay, future)
}

/// The future of [`timeout`], [`timeout_at`] and [`wait_for`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Timeout<F> {
    future: F,
    sleep: Sleep,
    /// A zero timeout expires at the first poll, without a timer or a yield.
    zero: bool,
}

impl<F> Timeout<F> {
    /// The inner future.
    ///
    /// ```
    /// let t = corio::time::timeout(std::time::Duration::ZERO, async { 1 });
    /// let _inner = t.get_ref();
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// Moves the deadline (asyncio's `reschedule`, for a timeout you hold).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// corio::run(async {
    ///     let mut t = Box::pin(corio::time::timeout(Duration::ZERO, corio::time::sleep(Duration::from_millis(2))));
    ///     t.as_mut().reschedule(Instant::now() + Duration::from_secs(5));
    ///     assert!(t.await.is_ok());
    /// });
    /// ```
    pub fn reschedule(self: Pin<&mut Self>, deadline: Instant) {
        // SAFETY: `sleep` and `zero` are never pinned-projected elsewhere and
        // are `Unpin`; `future` is not touched.
        let this = unsafe { self.get_unchecked_mut() };
        this.zero = false;
        Pin::new(&mut this.sleep).reset(deadline);
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of
        // `self`, and `Timeout` has no `Drop` impl that could move it.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(v) = future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        if this.zero {
            return Poll::Ready(Err(TimeoutError));
        }
        match Pin::new(&mut this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(TimeoutError)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// asyncio 3.11's `async with asyncio.timeout(delay) as cm`: runs the body
/// made by `body(cm)` with a deadline that the body itself can move with
/// [`TimeoutScope::reschedule`].
///
/// ```
/// use std::time::{Duration, Instant};
/// corio::run(async {
///     let r = corio::time::timeout_scope(Duration::from_millis(5), |cm| async move {
///         cm.reschedule(Instant::now() + Duration::from_secs(5)); // more time
///         corio::time::sleep(Duration::from_millis(20)).await;
///         "finished"
///     })
///     .await;
///     assert_eq!(r, Ok("finished"));
/// });
/// ```
pub fn timeout_scope<F, B>(delay: Duration, body: B) -> Scoped<F>
where
    B: FnOnce(TimeoutScope) -> F,
    F: Future,
{
    let scope = TimeoutScope(Rc::new(ScopeState {
        deadline: Cell::new(None),
        delay,
        changed: Cell::new(false),
        waker: Cell::new(None),
        expired: Cell::new(false),
    }));
    Scoped {
        future: body(scope.clone()),
        sleep: sleep(delay),
        scope,
    }
}

struct ScopeState {
    /// `None` until the scope is first polled (then `now + delay`), or set by `reschedule`.
    deadline: Cell<Option<Instant>>,
    delay: Duration,
    /// `reschedule` was called since the timer was last armed.
    changed: Cell<bool>,
    /// The scope's waker, so `reschedule` from elsewhere re-arms it.
    waker: Cell<Option<Waker>>,
    expired: Cell<bool>,
}

/// The handle a [`timeout_scope`] body receives (asyncio's `cm`).
#[derive(Clone)]
pub struct TimeoutScope(Rc<ScopeState>);

impl TimeoutScope {
    /// The current deadline (`None` before the scope's first poll).
    ///
    /// ```
    /// use std::time::Duration;
    /// corio::run(async {
    ///     corio::time::timeout_scope(Duration::from_secs(1), |cm| async move {
    ///         assert!(cm.when().is_some());
    ///     }).await.unwrap();
    /// });
    /// ```
    pub fn when(&self) -> Option<Instant> {
        self.0.deadline.get()
    }

    /// Moves the deadline, earlier or later.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// corio::run(async {
    ///     let r = corio::time::timeout_scope(Duration::from_secs(60), |cm| async move {
    ///         cm.reschedule(Instant::now());
    ///         std::future::pending::<()>().await
    ///     }).await;
    ///     assert!(r.is_err());
    /// });
    /// ```
    pub fn reschedule(&self, deadline: Instant) {
        self.0.deadline.set(Some(deadline));
        self.0.changed.set(true);
        if let Some(w) = self.0.waker.take() {
            w.wake();
        }
    }

    /// `true` once the deadline passed and the body was cancelled.
    ///
    /// ```
    /// use std::time::Duration;
    /// corio::run(async {
    ///     corio::time::timeout_scope(Duration::from_secs(1), |cm| async move {
    ///         assert!(!cm.expired());
    ///     }).await.unwrap();
    /// });
    /// ```
    pub fn expired(&self) -> bool {
        self.0.expired.get()
    }
}

impl fmt::Debug for TimeoutScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutScope")
            .field("when", &self.when())
            .field("expired", &self.expired())
            .finish()
    }
}

/// The future of [`timeout_scope`].
#[must_use = "futures do nothing unless awaited"]
pub struct Scoped<F> {
    future: F,
    sleep: Sleep,
    scope: TimeoutScope,
}

impl<F> fmt::Debug for Scoped<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scoped")
            .field("scope", &self.scope)
            .finish()
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned (never moved out; no Drop
        // impl on `Scoped`); the other fields are `Unpin`.
        let this = unsafe { self.get_unchecked_mut() };
        let state = &this.scope.0;
        if state.deadline.get().is_none() {
            state.deadline.set(Some(super::clock::deadline_after(
                super::now(),
                state.delay,
            )));
        }
        // SAFETY: see above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(v) = future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        if state.changed.replace(false) || this.sleep.deadline() != state.deadline.get() {
            let deadline = state.deadline.get().expect("set above");
            Pin::new(&mut this.sleep).reset(deadline);
        }
        match Pin::new(&mut this.sleep).poll(cx) {
            Poll::Ready(()) => {
                state.expired.set(true);
                Poll::Ready(Err(TimeoutError))
            }
            Poll::Pending => {
                state.waker.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}
