//! The trace recorder: every turn, step, park and wake of one loop, kept as
//! a timeline for Perfetto or `chrome://tracing`.
//!
//! Switched on with `EventLoop::builder().trace(path)` or `CORIO_TRACE=path`.
//! The recorder is the loop's [`LoopObserver`]: the core tells it what
//! happens and it keeps compact [`Event`]s in a per-loop buffer, which
//! `trace_writer.rs` turns into Trace Event Format JSON when the buffer
//! reaches [`FLUSH_AT`] events and when the loop closes.
//!
//! What becomes what on the timeline (one track per loop thread):
//!
//! * a turn of the cycle, a task step, a callback, a park, an IO poll and a
//!   round of fired timers are *complete* slices (`"ph": "X"`), nested by
//!   time: the turn encloses everything it did;
//! * a spawn and a wake are *flows* (`"ph": "s"` → `"ph": "f"`): an arrow
//!   from the slice that caused it (the parent's step, the park whose IO
//!   readiness woke the task, the turn that took in another thread's wake)
//!   to the first step that followed.
//!
//! A flow is written only once its arrival is known (both ends together), so
//! a file never holds an arrow with one end, even when a woken task never
//! ran again before the loop closed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::trace_writer::{self, TraceFile};
use crate::event_loop::observer::{LoopObserver, ParkWake, StepReport};
use crate::task::header::Header;

/// Events kept in memory before the buffer is written out.
pub(crate) const FLUSH_AT: usize = 1 << 14;

/// What a slice on the timeline was.
#[derive(Debug)]
pub(crate) enum Slice {
    Iteration {
        batch: usize,
    },
    Step(StepReport),
    Callback,
    Park {
        timeout: Option<Duration>,
        why: ParkWake,
    },
    IoPoll {
        wakes: usize,
    },
    Timers {
        fired: usize,
    },
}

/// Why an arrow was drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlowKind {
    /// A task was spawned; the arrow ends at its first step.
    Spawn,
    /// A task was woken on the loop's thread.
    Wake,
    /// A task was woken from another thread (the arrow starts where the loop
    /// took the wake from its injection queue).
    RemoteWake,
}

/// One entry of the buffer. Times are nanoseconds since the process's trace
/// epoch (`trace_writer::now_ns`), shared by every loop writing one file.
#[derive(Debug)]
pub(crate) enum Event {
    Slice {
        start: u64,
        end: u64,
        what: Slice,
    },
    Flow {
        id: u64,
        kind: FlowKind,
        from: u64,
        to: u64,
    },
}

/// A hasher for task ids (small distinct integers): the map below is on the
/// path of every traced wake, and SipHash would dominate it.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, id: u32) {
        self.0 = u64::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Flow ids are unique within a file, which several loops may share.
static NEXT_FLOW: AtomicU64 = AtomicU64::new(1);

/// The recorder of one loop. See the module docs.
pub(crate) struct TraceRecorder {
    file: Arc<TraceFile>,
    track: u64,
    state: RefCell<Recording>,
}

#[derive(Default)]
struct Recording {
    events: Vec<Event>,
    /// Start times of the slices that began and have not ended, innermost last.
    open: Vec<u64>,
    /// For each task queued by a spawn or a wake: where and why, until its next step.
    arriving: HashMap<u32, (FlowKind, u64), BuildHasherDefault<IdHasher>>,
    /// When the last event was the end of a step: its time, which the next
    /// step of the batch starts from (one clock read per step, not two).
    step_ended: Option<u64>,
}

impl TraceRecorder {
    /// A recorder writing into `path` (shared with the other loops of this
    /// process that trace into the same path, each on its own track).
    pub(crate) fn open(path: &Path) -> io::Result<TraceRecorder> {
        let file = trace_writer::open(path)?;
        let track = file.new_track();
        Ok(TraceRecorder {
            file,
            track,
            state: RefCell::new(Recording {
                events: Vec::with_capacity(1024),
                ..Recording::default()
            }),
        })
    }

    fn begin(&self) {
        let now = trace_writer::now_ns();
        let mut state = self.state.borrow_mut();
        state.step_ended = None;
        state.open.push(now);
    }

    fn end(&self, what: Slice) {
        let end = trace_writer::now_ns();
        let full = {
            let mut state = self.state.borrow_mut();
            let start = state.open.pop().unwrap_or(end);
            state.step_ended = matches!(what, Slice::Step(_)).then_some(end);
            state.events.push(Event::Slice { start, end, what });
            state.events.len() >= FLUSH_AT
        };
        if full {
            self.flush();
        }
    }

    /// A slice that began is not worth drawing (nothing happened in it).
    fn discard(&self) {
        let mut state = self.state.borrow_mut();
        state.step_ended = None;
        state.open.pop();
    }

    /// Task `task` was queued. The arrow leaves from the start of the slice
    /// being recorded (the waking step, the park, the turn): where a reader
    /// looks for the cause, and no clock read on the path of every wake.
    fn arrive(&self, task: u32, kind: FlowKind) {
        let mut state = self.state.borrow_mut();
        state.step_ended = None;
        let from = match state.open.last() {
            Some(&start) => start,
            None => trace_writer::now_ns(),
        };
        state.arriving.entry(task).or_insert((kind, from));
    }

    /// Hands the buffer to the file's writer thread.
    fn flush(&self) {
        let events = {
            let mut state = self.state.borrow_mut();
            let capacity = state.events.len();
            std::mem::replace(&mut state.events, Vec::with_capacity(capacity))
        };
        self.file.append(self.track, events);
    }
}

impl LoopObserver for TraceRecorder {
    fn iteration_begin(&self) {
        self.begin();
    }

    fn iteration_end(&self, batch: usize) {
        self.end(Slice::Iteration { batch });
    }

    fn step_begin(&self, task: &Header) {
        let task = task.id;
        let mut state = self.state.borrow_mut();
        // Straight after another step, this one starts a nanosecond after it
        // ended: no second clock read, and the two slices do not touch (a
        // flow ending at a shared instant could bind to either).
        let now = match state.step_ended.take() {
            Some(end) => end + 1,
            None => trace_writer::now_ns(),
        };
        state.open.push(now);
        if let Some((kind, from)) = state.arriving.remove(&task) {
            let id = NEXT_FLOW.fetch_add(1, Ordering::Relaxed);
            state.events.push(Event::Flow {
                id,
                kind,
                from,
                to: now,
            });
        }
    }

    fn step_end(&self, report: StepReport) {
        self.end(Slice::Step(report));
    }

    fn callback_begin(&self) {
        self.begin();
    }

    fn callback_end(&self) {
        self.end(Slice::Callback);
    }

    fn park_begin(&self) {
        self.begin();
    }

    fn park_end(&self, why: ParkWake, timeout: Option<Duration>) {
        self.end(Slice::Park { timeout, why });
    }

    fn io_poll_begin(&self) {
        self.begin();
    }

    fn io_poll_end(&self, wakes: usize) {
        if wakes == 0 {
            self.discard();
        } else {
            self.end(Slice::IoPoll { wakes });
        }
    }

    fn timers_begin(&self) {
        self.begin();
    }

    fn timers_end(&self, fired: usize) {
        if fired == 0 {
            self.discard();
        } else {
            self.end(Slice::Timers { fired });
        }
    }

    fn spawned(&self, child: u32) {
        self.arrive(child, FlowKind::Spawn);
    }

    fn woken(&self, task: u32) {
        self.arrive(task, FlowKind::Wake);
    }

    fn woken_remotely(&self, task: u32) {
        self.arrive(task, FlowKind::RemoteWake);
    }

    fn close(&self) {
        self.flush();
        self.state.borrow_mut().arriving.clear();
        // The trace is complete in the file when the loop's close returns.
        self.file.sync();
    }
}

impl Drop for TraceRecorder {
    fn drop(&mut self) {
        if !self.state.get_mut().events.is_empty() {
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
