//! `Sleep`: a future that completes at a deadline — asyncio's `sleep`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::clock::deadline_after;
use super::timers::TimerAction;
use super::wheel::TimerKey;
use super::NO_LOOP;
use crate::event_loop::context;
use crate::event_loop::shared::LoopShared;

/// Waits for `delay`: asyncio's `await asyncio.sleep(delay)`.
///
/// `sleep(Duration::ZERO)` is a yield (asyncio's `sleep(0)`): every other
/// ready task runs once, then this one resumes. A delay too large to
/// represent (up to `Duration::MAX`) is clamped to 30 years, never a panic.
/// Nothing is registered until the future is first polled.
///
/// ```
/// use std::time::{Duration, Instant};
/// corio::run(async {
///     let start = Instant::now();
///     corio::time::sleep(Duration::from_millis(20)).await;
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
pub fn sleep(delay: Duration) -> Sleep {
    Sleep::new(Target::After(delay))
}

/// Waits until `deadline`; a deadline in the past completes at the next poll.
///
/// ```
/// use std::time::{Duration, Instant};
/// corio::run(async {
///     let at = Instant::now() + Duration::from_millis(5);
///     corio::time::sleep_until(at).await;
///     assert!(Instant::now() >= at);
/// });
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(Target::At(deadline))
}

/// When the sleep ends. A delay is turned into a deadline on the first poll,
/// from the loop's clock (so a paused clock is honoured).
#[derive(Debug, Clone, Copy)]
enum Target {
    After(Duration),
    At(Instant),
    /// `sleep(ZERO)`: yield once.
    Yield {
        yielded: bool,
    },
}

/// A registered timer: its key in the wheel and the loop that owns the wheel.
struct Registration {
    key: TimerKey,
    shared: Arc<LoopShared>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("key", &self.key)
            .finish()
    }
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    target: Target,
    timer: Option<Registration>,
}

impl Sleep {
    /// A timer for a timeout: like [`sleep`], except that a zero delay is a
    /// deadline of "now" (due at the first poll) rather than a yield, so that
    /// the timeout has a deadline that nested timeouts can compare with (see
    /// `enclosing.rs`). A timeout gives the loop its one turn itself.
    pub(crate) fn for_timeout(delay: Duration) -> Sleep {
        Sleep {
            target: Target::After(delay),
            timer: None,
        }
    }

    fn new(target: Target) -> Sleep {
        let target = match target {
            Target::After(d) if d.is_zero() => Target::Yield { yielded: false },
            t => t,
        };
        Sleep {
            target,
            timer: None,
        }
    }

    /// The deadline, once known (after the first poll for a delay; `None` for
    /// a zero-length sleep).
    ///
    /// ```
    /// let at = std::time::Instant::now();
    /// assert_eq!(corio::time::sleep_until(at).deadline(), Some(at));
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        match self.target {
            Target::At(at) => Some(at),
            _ => None,
        }
    }

    /// `true` once the deadline has passed (by the running loop's clock).
    ///
    /// ```
    /// corio::run(async {
    ///     let s = corio::time::sleep_until(std::time::Instant::now());
    ///     assert!(s.is_elapsed());
    /// });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        match self.target {
            Target::At(at) => {
                context::with_current_loop(|lp| lp.timers.clock().now() >= at).unwrap_or(false)
            }
            Target::Yield { yielded } => yielded,
            Target::After(d) => d.is_zero(),
        }
    }

    /// Moves the deadline (tokio's `reset`); the timer is re-registered at
    /// the next poll.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// corio::run(async {
    ///     let mut s = Box::pin(corio::time::sleep(Duration::from_secs(3600)));
    ///     s.as_mut().reset(Instant::now() + Duration::from_millis(1));
    ///     s.await;
    /// });
    /// ```
    pub fn reset(mut self: Pin<&mut Self>, deadline: Instant) {
        self.unregister();
        self.target = Target::At(deadline);
    }

    /// Removes the registered timer, if any: locally when its loop runs on
    /// this thread, else through that loop's injection queue.
    fn unregister(&mut self) {
        let Some(reg) = self.timer.take() else {
            return;
        };
        super::remove_timer_on(&reg.shared, reg.key);
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if let Target::Yield { yielded } = &mut this.target {
            if *yielded {
                return Poll::Ready(());
            }
            *yielded = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let ready = context::with_current_loop(|lp| {
            if let (Target::At(at), Some(reg)) = (this.target, &this.timer) {
                if std::ptr::eq(lp.scheduler.shared_ptr(), &*reg.shared) && lp.timers.has_fired(at)
                {
                    // The wheel has passed our tick, so the deadline is behind
                    // us: no clock read, and no look-up of the (gone) entry.
                    this.timer = None;
                    return true;
                }
            }
            let now = lp.timers.clock().now();
            let deadline = match this.target {
                Target::At(at) => at,
                Target::After(delay) => {
                    let at = deadline_after(now, delay);
                    this.target = Target::At(at);
                    at
                }
                Target::Yield { .. } => unreachable!(),
            };
            if now >= deadline {
                return true;
            }
            if let Some(reg) = &this.timer {
                let on_this_loop = std::ptr::eq(lp.scheduler.shared_ptr(), &*reg.shared);
                if !on_this_loop {
                    // Moved to another loop: drop the old timer, register here.
                    this.unregister();
                } else if !lp.timers.update_waker(reg.key, cx.waker()) {
                    // Fired, yet the deadline is ahead: the clock went back
                    // (a paused clock cannot); register again.
                    this.timer = None;
                }
            }
            if this.timer.is_none() {
                let key = lp
                    .timers
                    .insert(deadline, TimerAction::Wake(cx.waker().clone()));
                this.timer = Some(Registration {
                    key,
                    shared: lp.scheduler.shared().clone(),
                });
            }
            false
        })
        .expect(NO_LOOP);
        if ready {
            this.unregister();
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}
