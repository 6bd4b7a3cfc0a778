//! The stuck-task watchdog of debug mode: a task that has waited longer than
//! a threshold (10 s by default, `Builder::stuck_task_threshold`) with no
//! wake and nothing armed to wake it is reported once, with its spawn site
//! and its await chain (who waits for it).
//!
//! "Nothing armed" is what tells a stuck task from a sleeping one: a task
//! whose waker sits in the loop's timer wheel (a `sleep`, a timeout) will be
//! woken, however long it waits. The watchdog looks only at the *leaves* of
//! the await graph — tasks that await no other live task — because a task
//! awaiting another is exactly as stuck as what it awaits, and naming the
//! leaf, with the chain above it, says where to look. What it cannot see:
//! a task waiting on a socket or on another thread (an idle server's accept
//! loop is reported once it idles past the threshold: raise the threshold
//! for such programs), a timer armed through a foreign waker (a
//! `FuturesUnordered` wrapping corio's), and cycles of tasks awaiting each
//! other (no leaf: `call_graph` reports those as deadlocks).
//!
//! The check runs at most every quarter threshold, between iterations of
//! the loop, and the loop's parks are bounded by that interval in debug mode
//! (on a real clock), so a loop with nothing left to run still checks.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::event_loop::scheduler::Scheduler;
use crate::task::header::Header;
use crate::task::state::{COMPLETE, RUNNING, SCHEDULED};
use crate::time::timers::Timers;

/// The watchdog's clock: when it last looked.
#[derive(Debug)]
pub(crate) struct Watchdog {
    threshold: Duration,
    last_check: Cell<Instant>,
}

impl Watchdog {
    pub(crate) fn new(threshold: Duration) -> Watchdog {
        Watchdog {
            threshold,
            last_check: Cell::new(Instant::now()),
        }
    }

    /// How often it looks: a quarter of the threshold (at least 1 ms), so a
    /// stuck task is reported at most a quarter-threshold late.
    pub(crate) fn interval(&self) -> Duration {
        (self.threshold / 4).max(Duration::from_millis(1))
    }

    /// Looks at the loop's tasks if an interval has passed since the last look.
    pub(crate) fn maybe_check(&self, scheduler: &Scheduler, timers: &Timers) {
        let now = Instant::now();
        if now.duration_since(self.last_check.get()) < self.interval() {
            return;
        }
        self.last_check.set(now);
        for report in self.stuck_tasks(scheduler, timers, now) {
            eprintln!("{report}");
        }
    }

    /// Finds, marks as reported and describes every stuck leaf task.
    fn stuck_tasks(&self, scheduler: &Scheduler, timers: &Timers, now: Instant) -> Vec<String> {
        let armed = timers.tasks_they_will_wake();
        let tasks = scheduler.live_tasks();
        let header = |t: &std::ptr::NonNull<Header>| {
            // SAFETY: `live_tasks` took a reference to each task, released
            // at the end of this function.
            unsafe { t.as_ref() }
        };
        let by_id: HashMap<u32, &Header> =
            tasks.iter().map(|t| (header(t).id, header(t))).collect();
        let awaiter_of = |h: &Header| {
            h.peek_cold(|c| c.awaited_by)
                .flatten()
                .and_then(|by| by_id.get(&by.task).copied().map(|a| (a, by.via)))
        };
        let awaiting_someone: HashSet<u32> = by_id
            .values()
            .filter_map(|h| awaiter_of(h).map(|(a, _)| a.id))
            .collect();
        let mut reports = Vec::new();
        for h in by_id.values() {
            let idle = !h.state.is(SCHEDULED | RUNNING | COMPLETE);
            let quiet_for = h
                .peek_cold(|c| (!c.reported_stuck).then_some(c.last_step).flatten())
                .flatten()
                .map(|at| now.saturating_duration_since(at));
            let Some(quiet_for) = quiet_for else {
                continue;
            };
            let stuck = idle
                && quiet_for >= self.threshold
                && !awaiting_someone.contains(&h.id)
                && !armed.contains(&(*h as *const Header as usize));
            if !stuck {
                continue;
            }
            h.with_cold(|c| c.reported_stuck = true);
            let mut text = format!(
                "corio: stuck task: task {} ({}, spawned at {}) has waited {:.1?} with no wake \
                 and no timer armed",
                h.id,
                h.name(),
                h.spawned_at,
                quiet_for
            );
            let mut at: &Header = h;
            let mut seen = HashSet::from([h.id]);
            while let Some((awaiter, via)) = awaiter_of(at) {
                if !seen.insert(awaiter.id) {
                    break;
                }
                text.push_str(&format!(
                    "\n  awaited ({via}) by task {} ({}, spawned at {})",
                    awaiter.id,
                    awaiter.name(),
                    awaiter.spawned_at
                ));
                at = awaiter;
            }
            reports.push(text);
        }
        drop(by_id);
        for t in tasks {
            // SAFETY: the reference `live_tasks` took.
            unsafe { Header::release(t) };
        }
        reports
    }
}
