//! The task's state word: eight flags and a poll counter in one `u32`.
//!
//! Every field here is touched only on the loop's own thread, so the word is a
//! plain [`Cell`], not an atomic: the local path of corio (spawn, wake, poll,
//! complete) never pays for a lock or an atomic read-modify-write on it. What
//! other threads may touch lives elsewhere: the reference count (an atomic in
//! [`Header`](super::header::Header)) and the loop's injection queue.
//!
//! | bit  | name               | set means                                                   |
//! |------|--------------------|-------------------------------------------------------------|
//! | 0    | `SCHEDULED`        | an entry for this task sits in the loop's ready queue       |
//! | 1    | `RUNNING`          | the loop is inside this task's `poll` right now             |
//! | 2    | `COMPLETE`         | the future is gone and the outcome is decided               |
//! | 3    | `CANCEL_REQUESTED` | `cancel()` was called; the next scheduling point drops it   |
//! | 4    | `JOIN_INTEREST`    | the `Task<T>` handle is alive and may read the output       |
//! | 5    | `CANCELLED`        | outcome: the future was dropped by cancellation             |
//! | 6    | `PANICKED`         | outcome: the future panicked; the payload is in the cold part |
//! | 7    | `RESULT_TAKEN`     | the handle has read the outcome (a task yields it once)     |
//! | 8–31 | poll count         | how many times the future was polled (saturating)           |

use std::cell::Cell;

pub(crate) const SCHEDULED: u32 = 1 << 0;
pub(crate) const RUNNING: u32 = 1 << 1;
pub(crate) const COMPLETE: u32 = 1 << 2;
pub(crate) const CANCEL_REQUESTED: u32 = 1 << 3;
pub(crate) const JOIN_INTEREST: u32 = 1 << 4;
pub(crate) const CANCELLED: u32 = 1 << 5;
pub(crate) const PANICKED: u32 = 1 << 6;
pub(crate) const RESULT_TAKEN: u32 = 1 << 7;

const POLL_SHIFT: u32 = 8;
const POLL_ONE: u32 = 1 << POLL_SHIFT;
const POLL_MAX: u32 = u32::MAX >> POLL_SHIFT;

/// What a wake-up should do with the task, decided by [`State::transition_to_scheduled`].
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ScheduleDecision {
    /// The task was idle: the caller must push it on the ready queue.
    Push,
    /// The task is already queued or already finished: nothing to do.
    Skip,
}

/// How a task ended; stored in the state word by [`State::transition_to_complete`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Returned,
    Cancelled,
    Panicked,
}

/// The state word of one task. See the module docs for the bit table.
pub(crate) struct State(Cell<u32>);

impl State {
    /// A freshly spawned task: queued once, with its handle alive.
    pub(crate) fn new_spawned() -> State {
        State(Cell::new(SCHEDULED | JOIN_INTEREST))
    }

    #[inline]
    pub(crate) fn is(&self, flag: u32) -> bool {
        self.0.get() & flag != 0
    }

    #[inline]
    fn set(&self, flag: u32) {
        self.0.set(self.0.get() | flag);
    }

    #[inline]
    fn clear(&self, flag: u32) {
        self.0.set(self.0.get() & !flag);
    }

    /// A wake-up: queue the task unless it is queued already or finished.
    #[inline]
    pub(crate) fn transition_to_scheduled(&self) -> ScheduleDecision {
        let s = self.0.get();
        if s & (SCHEDULED | COMPLETE) != 0 {
            ScheduleDecision::Skip
        } else {
            self.0.set(s | SCHEDULED);
            ScheduleDecision::Push
        }
    }

    /// The loop popped the task's entry from the ready queue.
    #[inline]
    pub(crate) fn transition_to_dequeued(&self) {
        self.clear(SCHEDULED);
    }

    /// The loop is about to poll the future: mark it running and count the poll.
    #[inline]
    pub(crate) fn transition_to_running(&self) {
        let s = self.0.get();
        let polls = (s >> POLL_SHIFT).min(POLL_MAX - 1) + 1;
        self.0
            .set((s & (POLL_ONE - 1)) | RUNNING | (polls << POLL_SHIFT));
    }

    /// The poll returned.
    #[inline]
    pub(crate) fn transition_to_idle(&self) {
        self.clear(RUNNING);
    }

    /// Records a cancellation request. Returns `false` when the task is already done.
    pub(crate) fn request_cancel(&self) -> bool {
        if self.is(COMPLETE) {
            return false;
        }
        self.set(CANCEL_REQUESTED);
        true
    }

    /// The future is gone; record how it ended.
    pub(crate) fn transition_to_complete(&self, outcome: Outcome) {
        let flag = match outcome {
            Outcome::Returned => 0,
            Outcome::Cancelled => CANCELLED,
            Outcome::Panicked => PANICKED,
        };
        self.set(COMPLETE | flag);
    }

    /// The handle read the outcome.
    pub(crate) fn transition_to_result_taken(&self) {
        self.set(RESULT_TAKEN);
    }

    /// The handle was dropped: nobody will read the output.
    pub(crate) fn drop_join_interest(&self) {
        self.clear(JOIN_INTEREST);
    }

    pub(crate) fn outcome(&self) -> Option<Outcome> {
        let s = self.0.get();
        if s & COMPLETE == 0 {
            None
        } else if s & CANCELLED != 0 {
            Some(Outcome::Cancelled)
        } else if s & PANICKED != 0 {
            Some(Outcome::Panicked)
        } else {
            Some(Outcome::Returned)
        }
    }

    pub(crate) fn poll_count(&self) -> u32 {
        self.0.get() >> POLL_SHIFT
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0.get();
        let names = [
            (SCHEDULED, "SCHEDULED"),
            (RUNNING, "RUNNING"),
            (COMPLETE, "COMPLETE"),
            (CANCEL_REQUESTED, "CANCEL_REQUESTED"),
            (JOIN_INTEREST, "JOIN_INTEREST"),
            (CANCELLED, "CANCELLED"),
            (PANICKED, "PANICKED"),
            (RESULT_TAKEN, "RESULT_TAKEN"),
        ];
        let mut list = f.debug_list();
        for (bit, name) in names {
            if s & bit != 0 {
                list.entry(&name);
            }
        }
        list.finish()?;
        write!(f, " polls={}", s >> POLL_SHIFT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spawned_task_is_queued_once() {
        let s = State::new_spawned();
        assert_eq!(s.transition_to_scheduled(), ScheduleDecision::Skip);
        s.transition_to_dequeued();
        assert_eq!(s.transition_to_scheduled(), ScheduleDecision::Push);
    }

    #[test]
    fn a_complete_task_is_never_queued() {
        let s = State::new_spawned();
        s.transition_to_dequeued();
        s.transition_to_complete(Outcome::Returned);
        assert_eq!(s.transition_to_scheduled(), ScheduleDecision::Skip);
        assert!(!s.request_cancel());
    }

    #[test]
    fn poll_count_saturates_without_touching_flags() {
        let s = State(Cell::new(JOIN_INTEREST | (POLL_MAX - 1) << POLL_SHIFT));
        s.transition_to_running();
        s.transition_to_running();
        assert_eq!(s.poll_count(), POLL_MAX);
        assert!(s.is(JOIN_INTEREST) && s.is(RUNNING));
    }

    #[test]
    fn outcome_is_decoded_from_flags() {
        let s = State::new_spawned();
        assert_eq!(s.outcome(), None);
        s.transition_to_complete(Outcome::Panicked);
        assert_eq!(s.outcome(), Some(Outcome::Panicked));
    }
}
