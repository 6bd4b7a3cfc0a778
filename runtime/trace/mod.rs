//! The trace recorder: every turn, step, park and wake of one loop, kept as
//! a timeline for Perfetto or `chrome://tracing`.
//!
//! Switched on with `EventLoop::builder().trace(path)` or `CORIO_TRACE=path`.
//! The recorder is the loop's [`LoopObserver`]: the core tells it what
//! happens, and it appends a 16-byte [`Record`] to a per-loop buffer. That is
//! all it does on the loop's thread. When the buffer holds [`FLUSH_AT`](record::FLUSH_AT)
//! records, and when the loop closes, the buffer goes to the file's writer
//! thread, which replays it into slices and arrows (`replay.rs`) and
//! writes Trace Event Format JSON (`writer.rs`): once the loop parks, or
//! someone waits for the file, or the batch has rested a moment, so that
//! the writer works while the loop has nothing to do.
//!
//! Why so little on the loop: a task that yields takes about 12 ns per step
//! (`yield_many` in the comparison runner), and the budget for tracing it
//! is one more step's worth. So
//!
//! * a record is stamped with the CPU's tick counter, not `Instant::now()`
//!   (`clock.rs`: 10 ns against 27 ns);
//! * a step that follows another step in the same batch records no begin:
//!   the replay starts it a nanosecond after the previous one ended, so a
//!   step costs one clock read and one record (its end);
//! * a task that wakes itself during its step (a yield) sets a flag on that
//!   record instead of adding one;
//! * a spawn or a wake records only the task it queued, with no clock read:
//!   the replay knows which slice was open when it happened and draws the
//!   arrow from there to that task's next step;
//! * poll numbers, flow ids, pairing wakes with the steps they caused, and
//!   the JSON are all the writer's work, on its own thread.
//!
//! A task's name reaches the buffer only when it is new or changed (the
//! recorder remembers the last name it sent for each live named task).
//!
//! The folder is laid out so that its imports point one way, from the loop's
//! side towards the file:
//!
//! * `record.rs`, the record format, and `clock.rs`, the tick counter,
//!   import nothing of tracing: every other file reads them;
//! * `buffer.rs` fills records on the loop and hands them over as a batch;
//! * `replay.rs` turns a batch back into slices and arrows;
//! * `writer.rs` owns the file and its thread, and writes what the replay
//!   made as JSON;
//! * `pool.rs` puts pool jobs on the same file;
//! * this file, the recorder, ties them to the loop and is imported by none
//!   of them.

pub(crate) mod buffer;
pub(crate) mod clock;
pub(crate) mod pool;
pub(crate) mod record;
pub(crate) mod replay;
pub(crate) mod writer;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use self::buffer::{Batch, RecordBuffer};
use self::clock::{ticks, Anchor};
use self::record::{
    Mark, Record, AFTER_STEP, CLOSED, OUTSIDE_STEP, READABLE, WOKE_ITSELF, WRITABLE,
};
use self::writer::TraceFile;
use crate::event_loop::observer::{LoopObserver, ParkWake, StepOutcome};
use crate::io::driver::Readiness;
use crate::task::header::Header;

/// The recorder of one loop. See the module docs.
pub(crate) struct TraceRecorder {
    file: Arc<TraceFile>,
    track: u64,
    records: RecordBuffer,
    /// Whether [`ticks`] reads the time-stamp counter, asked once: the
    /// step's path tests this field rather than the process-wide answer.
    tsc: bool,
    /// Whether a batch went to the writer since the loop last parked (the
    /// writer lets batches rest while the loop is busy: a park says it can
    /// write them now).
    handed_over: Cell<bool>,
    /// Whether the last record was a `StepEnd` (so a step beginning now
    /// follows it straight away).
    after_step: Cell<bool>,
    /// The task whose step is running, if one is.
    running: Cell<Option<u32>>,
    /// Flags gathered for the running step's `StepEnd`.
    step_flags: Cell<u8>,
    names: RefCell<Names>,
}

/// Task names: off the path of an unnamed task's step.
#[derive(Default)]
struct Names {
    /// Names referred to by this batch's `Named` records.
    batch: Vec<String>,
    /// The last name sent for each live named task.
    sent: HashMap<u32, String>,
}

impl TraceRecorder {
    /// A recorder writing into `path` (shared with the other loops of this
    /// process that trace into the same path, each on its own track).
    pub(crate) fn open(path: &Path) -> io::Result<TraceRecorder> {
        let file = writer::open(path)?;
        let track = file.new_track("loop", Some(Anchor::now()));
        pool::loop_traced_on_this_thread(&file, track);
        Ok(TraceRecorder {
            records: RecordBuffer::new(file.empty_buffer()),
            file,
            track,
            tsc: clock::counts_tsc(),
            handed_over: Cell::new(false),
            after_step: Cell::new(false),
            running: Cell::new(None),
            step_flags: Cell::new(0),
            names: RefCell::new(Names::default()),
        })
    }

    /// Appends a record, handing the buffer over when it is full.
    #[inline]
    fn push(&self, mark: Mark, flags: u8, small: u32, at: u64) {
        self.after_step.set(mark == Mark::StepEnd);
        if self.records.push(Record::new(mark, flags, small, at)) {
            self.flush();
        }
    }

    /// Records `mark` stamped with the time now.
    #[inline]
    fn timed(&self, mark: Mark, small: u32) {
        self.push(mark, 0, small, ticks());
    }

    /// Records `mark` with no time (a spawn, a wake, a name), `at` being
    /// its operand, flagged [`OUTSIDE_STEP`] when no step is running.
    #[inline]
    fn untimed(&self, mark: Mark, small: u32, at: u64) {
        let flags = if self.running.get().is_none() {
            OUTSIDE_STEP
        } else {
            0
        };
        self.push(mark, flags, small, at);
    }

    /// Sends the task's name if the writer does not have it yet.
    #[cold]
    fn note_name(&self, task: &Header) {
        let Some(Some(name)) = task.peek_cold(|c| c.name.clone()) else {
            return;
        };
        let index = {
            let mut names = self.names.borrow_mut();
            if names.sent.get(&task.id) == Some(&name) {
                return;
            }
            names.batch.push(name.clone());
            names.sent.insert(task.id, name);
            names.batch.len() as u64 - 1
        };
        self.untimed(Mark::Named, task.id, index);
    }

    /// Hands the buffer to the file's writer thread.
    #[cold]
    fn flush(&self) {
        let batch = Batch {
            records: self.records.take(self.file.empty_buffer()),
            names: std::mem::take(&mut self.names.borrow_mut().batch),
            anchor: Anchor::now(),
        };
        self.file.append(self.track, batch);
        self.handed_over.set(true);
    }
}

impl LoopObserver for TraceRecorder {
    fn iteration_begin(&self) {
        self.timed(Mark::IterationBegin, 0);
    }

    fn iteration_end(&self, batch: usize) {
        self.timed(Mark::IterationEnd, saturate(batch));
    }

    #[inline]
    fn step_begin(&self, task: &Header) {
        if task.has_cold() || !self.after_step.get() {
            return self.step_begin_slow(task);
        }
        self.running.set(Some(task.id));
        self.step_flags.set(AFTER_STEP);
    }

    #[inline]
    fn step_end(&self, task: u32, outcome: StepOutcome) {
        if !self.tsc || outcome != StepOutcome::Pending {
            return self.step_end_slow(task, outcome);
        }
        let at = clock::tsc_ticks();
        self.running.set(None);
        self.push(
            Mark::StepEnd,
            self.step_flags.get() | outcome as u8,
            task,
            at,
        );
    }

    fn callback_begin(&self) {
        self.timed(Mark::CallbackBegin, 0);
    }

    fn callback_end(&self) {
        self.timed(Mark::CallbackEnd, 0);
    }

    fn park_begin(&self) {
        self.timed(Mark::ParkBegin, 0);
        if self.handed_over.replace(false) {
            self.file.idle();
        }
    }

    fn park_end(&self, why: ParkWake, timeout: Option<Duration>) {
        self.timed(Mark::ParkEnd, why as u32);
        let timeout = timeout.map_or(u64::MAX, |t| {
            u64::try_from(t.as_nanos()).unwrap_or(u64::MAX - 1)
        });
        self.untimed(Mark::ParkTimeout, 0, timeout);
    }

    fn io_poll_begin(&self) {
        self.timed(Mark::IoPollBegin, 0);
    }

    fn io_event(&self, socket: usize, readiness: Readiness) {
        let flag = |on: bool, flag: u8| if on { flag } else { 0 };
        let flags = flag(readiness.readable, READABLE)
            | flag(readiness.writable, WRITABLE)
            | flag(readiness.closed, CLOSED);
        self.push(Mark::IoEvent, flags, saturate(socket), 0);
    }

    fn io_poll_end(&self, wakes: usize) {
        self.timed(Mark::IoPollEnd, saturate(wakes));
    }

    fn timers_begin(&self) {
        self.timed(Mark::TimersBegin, 0);
    }

    fn timers_end(&self, fired: usize) {
        self.timed(Mark::TimersEnd, saturate(fired));
    }

    #[inline]
    fn spawned(&self, child: u32) {
        self.untimed(Mark::Spawned, child, 0);
    }

    #[inline]
    fn woken(&self, task: u32) {
        if self.running.get() == Some(task) {
            self.step_flags.set(self.step_flags.get() | WOKE_ITSELF);
        } else {
            self.untimed(Mark::Woken, task, 0);
        }
    }

    fn woken_remotely(&self, task: u32) {
        self.untimed(Mark::WokenRemotely, task, 0);
    }

    fn write_out(&self) {
        self.flush();
        self.file.sync();
    }

    fn close(&self) {
        pool::loop_closed_on_this_thread(&self.file, self.track);
        self.flush();
        self.names.borrow_mut().sent.clear();
        // The trace is complete in the file when the loop's close returns.
        self.file.sync();
    }
}

/// A count as a record's 32-bit operand.
fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The uncommon cases of a step, out of line: the common one (a step that
/// follows another step, of an unnamed task that stays pending, stamped by
/// the time-stamp counter) is then short enough to need no stack frame.
/// Its cost is the step's share of what tracing costs a task that yields.
impl TraceRecorder {
    /// A step that begins after other work (so it records its begin), or
    /// of a task with a name.
    #[inline(never)]
    fn step_begin_slow(&self, task: &Header) {
        if task.has_cold() {
            self.note_name(task);
        }
        self.running.set(Some(task.id));
        if self.after_step.get() {
            self.step_flags.set(AFTER_STEP);
        } else {
            self.step_flags.set(0);
            self.timed(Mark::StepBegin, task.id);
        }
    }

    /// A step that finished its task, or stamped without the time-stamp
    /// counter.
    #[inline(never)]
    fn step_end_slow(&self, task: u32, outcome: StepOutcome) {
        let at = ticks();
        self.running.set(None);
        if outcome != StepOutcome::Pending {
            self.forget_name(task);
        }
        self.push(
            Mark::StepEnd,
            self.step_flags.get() | outcome as u8,
            task,
            at,
        );
    }

    /// Task `task` finished: its name is no longer needed. Out of line:
    /// a task finishes once, and the step path stays short.
    #[cold]
    #[inline(never)]
    fn forget_name(&self, task: u32) {
        let mut names = self.names.borrow_mut();
        if !names.sent.is_empty() {
            names.sent.remove(&task);
        }
    }
}

impl Drop for TraceRecorder {
    fn drop(&mut self) {
        if !self.records.is_empty() {
            self.flush();
            self.file.sync();
        }
    }
}

impl std::fmt::Debug for TraceRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceRecorder")
            .field("track", &self.track)
            .finish_non_exhaustive()
    }
}
