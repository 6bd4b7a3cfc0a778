//! Timeouts: `timeout`, `timeout_at` and `wait_for` (asyncio's `wait_for`
//! for a plain future; [`Task::wait_for`](crate::Task::wait_for) for a task).
//!
//! A timeout polls the inner future first and the timer second, so a future
//! that is already done wins even against a zero timeout (asyncio's
//! `wait_for` rule). On expiry the inner future is dropped — Rust's form of
//! cancelling it — and the caller gets [`TimeoutError`].
//!
//! Two rules keep timeouts from misbehaving in loops:
//!
//! * **One turn first.** A timeout never expires on its first poll: when the
//!   inner future is pending and the deadline has already passed (a zero
//!   delay, a deadline in the past), it wakes its task and returns `Pending`
//!   once, as asyncio's `timeout(0)` schedules the cancellation with
//!   `call_soon`. Every other ready task runs before the timeout is reported,
//!   so a retry loop built on `timeout(Duration::ZERO, f)` cannot starve them.
//! * **The outermost expired timeout reports.** When timeouts are nested and
//!   several have expired, the inner ones step aside and the outermost one
//!   returns `TimeoutError` (see `enclosing.rs`), as in asyncio, where the
//!   outer scope's cancellation unwinds through the inner ones.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::enclosing::EnclosingDeadline;
use super::sleep::{sleep_until, Sleep};

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
/// `Err(TimeoutError)`. A future that is ready at the first poll returns its
/// value even with a zero `delay`; one that is pending gets one loop turn
/// (every other ready task runs) before a zero `delay` expires.
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
        sleep: Sleep::for_timeout(delay),
        polled: false,
    }
}

/// Runs `future` until `deadline` at most, as [`timeout`]; a deadline already
/// passed gives a pending future one loop turn, as a zero delay does.
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
        polled: false,
    }
}

/// asyncio's `wait_for(aw, timeout)` for a plain future: the same as
/// [`timeout`]. On expiry the future is dropped, which is how a Rust future
/// is cancelled; its destructors have run when this returns.
///
/// **For a [`Task`](crate::Task), call [`Task::wait_for`](crate::Task::wait_for)**: it
/// cancels the task on expiry and waits until the cancellation is done, as
/// asyncio's `wait_for(task, t)` does. Given to this function, a `Task`
/// handle is dropped on expiry, which only detaches the task (it keeps
/// running) — the way to keep a task alive past a timeout, like asyncio's
/// `wait_for(shield(task), t)`. One generic function cannot tell a `Task`
/// from other futures (Rust has no specialization), hence the two spellings.
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
    /// The first poll is over: from now on an expired deadline is reported
    /// (the first poll gives the loop a turn instead).
    polled: bool,
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

    /// The inner future, mutably. Having `&mut Timeout` means it is not
    /// pinned (or is `Unpin`), so handing out `&mut F` cannot move a pinned
    /// future.
    ///
    /// ```
    /// let mut t = corio::time::timeout(std::time::Duration::ZERO, std::future::ready(1));
    /// let _inner: &mut std::future::Ready<i32> = t.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
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
        // SAFETY: `sleep` is never pinned-projected elsewhere and is `Unpin`;
        // `future` is not touched.
        let this = unsafe { self.get_unchecked_mut() };
        Pin::new(&mut this.sleep).reset(deadline);
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of
        // `self`, and `Timeout` has no `Drop` impl that could move it.
        let this = unsafe { self.get_unchecked_mut() };
        let enclosing = EnclosingDeadline::enter(this.sleep.deadline());
        // SAFETY: see above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(v) = future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        let first_poll = !std::mem::replace(&mut this.polled, true);
        if Pin::new(&mut this.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        if enclosing.defers_to_outer(cx) {
            return Poll::Pending;
        }
        if first_poll {
            // One turn for the loop before a deadline that had already
            // passed is reported (see the module docs).
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Err(TimeoutError))
    }
}
