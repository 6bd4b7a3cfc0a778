//! `Interval`: ticks at a fixed period, with a choice of what to do about
//! ticks missed while the task was busy.

use std::future::poll_fn;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::clock::deadline_after;
use super::sleep::{sleep_until, Sleep};

/// What an [`Interval`] does when ticks were missed (the loop was busy for
/// longer than a period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks back to back until caught up, keeping the
    /// original schedule (the default).
    #[default]
    Burst,
    /// Fire once now, then one period after now: the schedule shifts.
    Delay,
    /// Fire once now, then at the next tick of the original schedule.
    Skip,
}

/// Ticks every `period`, the first tick at once.
///
/// # Panics
///
/// When `period` is zero (an interval must advance).
///
/// ```
/// use std::time::Duration;
/// corio::run(async {
///     let mut every = corio::time::interval(Duration::from_millis(2));
///     let first = every.tick().await;
///     let second = every.tick().await;
///     assert_eq!(second - first, Duration::from_millis(2));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(super::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
///
/// When `period` is zero.
///
/// ```
/// use std::time::{Duration, Instant};
/// corio::run(async {
///     let start = Instant::now() + Duration::from_millis(3);
///     let mut every = corio::time::interval_at(start, Duration::from_millis(2));
///     assert_eq!(every.tick().await, start);
/// });
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "corio::time::interval: the period must be non-zero"
    );
    Interval {
        next: start,
        sleep: sleep_until(start),
        period,
        missed: MissedTickBehavior::default(),
    }
}

/// The ticker returned by [`interval`] and [`interval_at`].
#[derive(Debug)]
pub struct Interval {
    /// The deadline of the next tick.
    next: Instant,
    sleep: Sleep,
    period: Duration,
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled instant.
    ///
    /// ```
    /// corio::run(async {
    ///     let mut i = corio::time::interval(std::time::Duration::from_millis(1));
    ///     i.tick().await;
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick (for hand-written futures).
    ///
    /// ```
    /// corio::run(async {
    ///     let mut i = corio::time::interval(std::time::Duration::from_millis(1));
    ///     std::future::poll_fn(|cx| i.poll_tick(cx)).await;
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.next;
        let now = super::now();
        let on_schedule = deadline_after(scheduled, self.period);
        self.next = match self.missed {
            MissedTickBehavior::Burst => on_schedule,
            _ if now < on_schedule => on_schedule,
            MissedTickBehavior::Delay => deadline_after(now, self.period),
            MissedTickBehavior::Skip => {
                // The first instant of the original schedule after now.
                let behind = (now - scheduled).as_nanos() / self.period.as_nanos();
                u32::try_from(behind + 1)
                    .ok()
                    .and_then(|periods| self.period.checked_mul(periods))
                    .and_then(|ahead| scheduled.checked_add(ahead))
                    .unwrap_or_else(|| deadline_after(now, self.period))
            }
        };
        Pin::new(&mut self.sleep).reset(self.next);
        Poll::Ready(scheduled)
    }

    /// Chooses what happens to missed ticks.
    ///
    /// ```
    /// use corio::time::MissedTickBehavior;
    /// corio::run(async {
    ///     let mut i = corio::time::interval(std::time::Duration::from_millis(1));
    ///     i.set_missed_tick_behavior(MissedTickBehavior::Skip);
    ///     assert_eq!(i.missed_tick_behavior(), MissedTickBehavior::Skip);
    /// });
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }

    /// The current [`MissedTickBehavior`].
    ///
    /// ```
    /// corio::run(async {
    ///     let i = corio::time::interval(std::time::Duration::from_millis(1));
    ///     assert_eq!(i.missed_tick_behavior(), corio::time::MissedTickBehavior::Burst);
    /// });
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// The period.
    ///
    /// ```
    /// use std::time::Duration;
    /// corio::run(async {
    ///     assert_eq!(corio::time::interval(Duration::from_secs(1)).period(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// ```
    /// corio::run(async {
    ///     let mut i = corio::time::interval(std::time::Duration::from_millis(1));
    ///     i.reset();
    ///     i.tick().await;
    /// });
    /// ```
    pub fn reset(&mut self) {
        self.next = deadline_after(super::now(), self.period);
        Pin::new(&mut self.sleep).reset(self.next);
    }
}
