//! asyncio 3.11's `async with asyncio.timeout(delay) as cm`: a deadline the
//! body itself can move, and can ask about.
//!
//! The scope follows the two rules of `timeout.rs`: it never expires on its
//! first poll (a deadline already passed gives the loop one turn first), and
//! when scopes are nested the outermost expired one reports the timeout —
//! the inner ones mark themselves expired and step aside (`enclosing.rs`).

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::enclosing::EnclosingDeadline;
use super::sleep::{sleep, Sleep};
use super::timeout::TimeoutError;

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
        polled: false,
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

    /// `true` once the deadline passed and the body was cancelled — also
    /// when a scope around this one reported the timeout instead (asyncio's
    /// `expired()` is true for both).
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
    /// The first poll is over (see `Timeout::polled`).
    polled: bool,
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
        let enclosing = EnclosingDeadline::enter(state.deadline.get());
        // SAFETY: see above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(v) = future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        let first_poll = !std::mem::replace(&mut this.polled, true);
        if state.changed.replace(false) || this.sleep.deadline() != state.deadline.get() {
            let deadline = state.deadline.get().expect("set above");
            Pin::new(&mut this.sleep).reset(deadline);
        }
        if Pin::new(&mut this.sleep).poll(cx).is_pending() {
            state.waker.set(Some(cx.waker().clone()));
            return Poll::Pending;
        }
        if enclosing.defers_to_outer(cx) {
            state.expired.set(true);
            return Poll::Pending;
        }
        if first_poll {
            state.waker.set(Some(cx.waker().clone()));
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        state.expired.set(true);
        Poll::Ready(Err(TimeoutError))
    }
}
