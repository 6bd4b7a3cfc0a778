//! The loop's observer seam: what the run-once cycle tells a watcher.
//!
//! The cycle (`core.rs`) reports each turn, each task step, each callback,
//! each park and each IO poll, and the scheduler (`scheduler.rs`) each spawn
//! and each wake, to an optional [`LoopObserver`]. The trace
//! recorder (`trace/mod.rs`) is one; the core knows only this trait, so a
//! new watcher does not make the core import it (the design: the core owns the
//! services it drives through a small seam of its own).
//!
//! With no observer the core pays one predictable branch (`Option::is_some`)
//! per batch of steps, and one per wake, spawn, callback, park, timer round
//! and IO poll; with one, a virtual call per event. Built without the
//! `observe` feature, not even that. Observers run
//! no user code and never call back into the loop: the core may call them
//! while it holds its own state borrowed.

use std::time::Duration;

use crate::io::driver::Readiness;
use crate::task::header::Header;

/// How a task step ended (the trace stores it as its discriminant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepOutcome {
    /// The future returned `Poll::Pending`: it waits for a wake.
    Pending,
    /// The future returned its output.
    Ready,
    /// The step dropped the future because the task was cancelled.
    Cancelled,
    /// The future (or its destructor) panicked.
    Panicked,
}

/// What a park returned for, as far as the loop can tell afterwards (the
/// trace stores it as its discriminant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParkWake {
    /// Sockets became ready.
    Io,
    /// Another thread injected a wake or a callback.
    Thread,
    /// The timeout asked for ran out (the nearest timer).
    Timer,
    /// The loop did not sleep: work arrived before it could park.
    NotParked,
}

/// A watcher of the run-once cycle. Every method has a default that ignores
/// the event, so an observer implements only what it draws.
///
/// Begin/end pairs nest: an iteration encloses its park, its timers and its
/// steps; a park encloses its IO poll.
pub(crate) trait LoopObserver {
    /// A turn of the cycle begins.
    fn iteration_begin(&self) {}
    /// The turn ended after running `batch` ready entries.
    fn iteration_end(&self, _batch: usize) {}
    /// Task `task` is about to run a step.
    fn step_begin(&self, _task: &Header) {}
    /// The step of `task` that began last ended with `outcome`.
    fn step_end(&self, _task: u32, _outcome: StepOutcome) {}
    /// A callback is about to run.
    fn callback_begin(&self) {}
    /// The callback ended.
    fn callback_end(&self) {}
    /// The loop is about to block.
    fn park_begin(&self) {}
    /// The park, asked to last at most `timeout` (`None`: no bound), ended for `why`.
    fn park_end(&self, _why: ParkWake, _timeout: Option<Duration>) {}
    /// The OS poll is about to run (inside a park, or mid-batch for fairness).
    fn io_poll_begin(&self) {}
    /// The OS poll reported `readiness` for the socket in reactor slot
    /// `socket` (called between `io_poll_begin` and `io_poll_end`).
    fn io_event(&self, _socket: usize, _readiness: Readiness) {}
    /// The OS poll returned `wakes` socket waiters to wake.
    fn io_poll_end(&self, _wakes: usize) {}
    /// Expired timers are about to be collected.
    fn timers_begin(&self) {}
    /// `fired` timers fired.
    fn timers_end(&self, _fired: usize) {}
    /// Task `child` was spawned (by the current step, if any).
    fn spawned(&self, _child: u32) {}
    /// Task `task` was queued by a wake on the loop's thread.
    fn woken(&self, _task: u32) {}
    /// Task `task` was queued by a wake another thread sent (instead of
    /// `woken`: one report per queued wake).
    fn woken_remotely(&self, _task: u32) {}
    /// Write out whatever is buffered, and return once it is written (the
    /// loop stays open).
    fn write_out(&self) {}
    /// The loop closed: write out whatever is buffered.
    fn close(&self) {}
}

impl ParkWake {
    /// Tells what ended a park from what the loop found afterwards: `io`
    /// sockets woken, work `injected` by another thread, whether it `parked`
    /// at all, and the `timeout` it asked for.
    pub(crate) fn after(
        io: usize,
        injected: bool,
        parked: bool,
        timeout: Option<Duration>,
    ) -> ParkWake {
        if io > 0 {
            ParkWake::Io
        } else if injected {
            ParkWake::Thread
        } else if !parked {
            ParkWake::NotParked
        } else if timeout.is_some() {
            ParkWake::Timer
        } else {
            // Unparked with nothing injected: a `stop()` from another thread.
            ParkWake::Thread
        }
    }
}

/// Two observers as one (the trace recorder and the inspector), each told
/// every event in turn.
pub(crate) struct Both(
    pub(crate) Box<dyn LoopObserver>,
    pub(crate) Box<dyn LoopObserver>,
);

impl LoopObserver for Both {
    fn iteration_begin(&self) {
        self.0.iteration_begin();
        self.1.iteration_begin();
    }
    fn iteration_end(&self, batch: usize) {
        self.0.iteration_end(batch);
        self.1.iteration_end(batch);
    }
    fn step_begin(&self, task: &Header) {
        self.0.step_begin(task);
        self.1.step_begin(task);
    }
    fn step_end(&self, task: u32, outcome: StepOutcome) {
        self.0.step_end(task, outcome);
        self.1.step_end(task, outcome);
    }
    fn callback_begin(&self) {
        self.0.callback_begin();
        self.1.callback_begin();
    }
    fn callback_end(&self) {
        self.0.callback_end();
        self.1.callback_end();
    }
    fn park_begin(&self) {
        self.0.park_begin();
        self.1.park_begin();
    }
    fn park_end(&self, why: ParkWake, timeout: Option<Duration>) {
        self.0.park_end(why, timeout);
        self.1.park_end(why, timeout);
    }
    fn io_event(&self, socket: usize, readiness: Readiness) {
        self.0.io_event(socket, readiness);
        self.1.io_event(socket, readiness);
    }
    fn io_poll_begin(&self) {
        self.0.io_poll_begin();
        self.1.io_poll_begin();
    }
    fn io_poll_end(&self, wakes: usize) {
        self.0.io_poll_end(wakes);
        self.1.io_poll_end(wakes);
    }
    fn timers_begin(&self) {
        self.0.timers_begin();
        self.1.timers_begin();
    }
    fn timers_end(&self, fired: usize) {
        self.0.timers_end(fired);
        self.1.timers_end(fired);
    }
    fn spawned(&self, child: u32) {
        self.0.spawned(child);
        self.1.spawned(child);
    }
    fn woken(&self, task: u32) {
        self.0.woken(task);
        self.1.woken(task);
    }
    fn woken_remotely(&self, task: u32) {
        self.0.woken_remotely(task);
        self.1.woken_remotely(task);
    }
    fn write_out(&self) {
        self.0.write_out();
        self.1.write_out();
    }
    fn close(&self) {
        self.0.close();
        self.1.close();
    }
}
