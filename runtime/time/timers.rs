//! `Timers`: a loop's clock and timer wheel, and what a timer does when it fires.
//!
//! asyncio keeps a heap `_scheduled` of `TimerHandle`s on the loop; each
//! `_run_once` computes its select timeout from the heap's top and then moves
//! the due handles to `_ready`. corio keeps the same bookkeeping here, beside
//! the wheel it uses, so that the loop's core only asks two questions — *how
//! long may I wait?* ([`Timers::timeout`]) and *what is due?*
//! ([`Timers::fire`]) — and `sleep`, `call_later` and the timeouts reach the
//! wheel through this type instead of through the core.
//!
//! One borrow rule: the wheel's `RefCell` is never held while user code runs.
//! A waker's `clone`, `wake` and `drop` may be anyone's code, so wakers are
//! cloned, woken and dropped outside the borrow.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::task::Waker;
use std::time::{Duration, Instant};

use super::clock::Clock;
use super::wheel::{Fired, TimerKey, TimerWheel, TICK_NS};
use crate::event_loop::callback::ScheduledCallback;

/// What a timer does when it fires.
pub(crate) enum TimerAction {
    /// Wake a sleeping future.
    Wake(Waker),
    /// Queue a `call_later` / `call_at` callback.
    Callback(Rc<ScheduledCallback>),
}

/// See the module docs.
pub(crate) struct Timers {
    clock: Clock,
    wheel: RefCell<TimerWheel<TimerAction>>,
    /// Reused buffer for the timers one `advance` fires.
    fired: RefCell<Vec<Fired<TimerAction>>>,
}

impl Timers {
    pub(crate) fn new(start_paused: bool) -> Timers {
        let clock = Clock::new(start_paused);
        Timers {
            wheel: RefCell::new(TimerWheel::new(clock.now_ns())),
            clock,
            fired: RefCell::default(),
        }
    }

    /// The loop's clock (asyncio's `loop.time()`).
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Registers a timer for `deadline`.
    pub(crate) fn insert(&self, deadline: Instant, action: TimerAction) -> TimerKey {
        let at = self.clock.ns_of(deadline);
        self.wheel.borrow_mut().insert(at, action)
    }

    /// Cancels a timer; returns its action (for the caller to drop outside
    /// the borrow), or `None` if it already fired or was cancelled.
    pub(crate) fn remove(&self, key: TimerKey) -> Option<TimerAction> {
        self.wheel.borrow_mut().remove(key)
    }

    /// `true` if a timer registered for `deadline` (while it was ahead) has
    /// fired; see `TimerWheel::has_fired`.
    pub(crate) fn has_fired(&self, deadline: Instant) -> bool {
        self.wheel.borrow().has_fired(self.clock.ns_of(deadline))
    }

    /// Points a registered timer at a new waker. Returns `false` if the timer
    /// is no longer registered.
    pub(crate) fn update_waker(&self, key: TimerKey, waker: &Waker) -> bool {
        let same = {
            let mut wheel = self.wheel.borrow_mut();
            match wheel.get_mut(key) {
                Some(TimerAction::Wake(w)) => w.will_wake(waker),
                Some(TimerAction::Callback(_)) => true,
                None => return false,
            }
        };
        if !same {
            // Cloned outside the borrow: a foreign waker's clone is user code.
            let new = waker.clone();
            let old = match self.wheel.borrow_mut().get_mut(key) {
                Some(TimerAction::Wake(w)) => Some(std::mem::replace(w, new)),
                _ => None,
            };
            drop(old);
        }
        true
    }

    /// The tasks whose wakers wait in the wheel (by header address): a timer
    /// will wake them, so debug mode's watchdog leaves them alone.
    pub(crate) fn tasks_they_will_wake(&self) -> HashSet<usize> {
        self.wheel
            .borrow()
            .values()
            .filter_map(|action| match action {
                TimerAction::Wake(waker) => Some(waker.data() as usize),
                TimerAction::Callback(_) => None,
            })
            .collect()
    }

    /// How long the loop may wait: until the nearest timer, or forever
    /// (`None`) when no timer is armed.
    pub(crate) fn timeout(&self) -> Option<Duration> {
        let tick = self.wheel.borrow().next_expiration_tick()?;
        let due = tick.saturating_mul(TICK_NS);
        Some(Duration::from_nanos(
            due.saturating_sub(self.clock.now_ns()),
        ))
    }

    /// No timer is armed.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.wheel.borrow().len() == 0
    }

    /// Takes every timer due by now, in deadline order, and hands each to
    /// `due` (outside the wheel's borrow); returns how many fired.
    pub(crate) fn fire(&self, mut due: impl FnMut(TimerAction)) -> usize {
        let now = self.clock.now_ns();
        let mut fired = self.fired.take();
        self.wheel.borrow_mut().advance(now, &mut fired);
        let count = fired.len();
        for timer in fired.drain(..) {
            due(timer.value);
        }
        self.fired.replace(fired);
        count
    }

    /// Every timer still armed, taken out of the wheel (the loop is closing).
    pub(crate) fn take_all(&self) -> Vec<TimerAction> {
        self.wheel.borrow_mut().take_all()
    }
}
