//! Replaying a loop's records into slices and arrows, on the writer thread.
//!
//! The recorder (`mod.rs`) keeps the loop's side cheap by writing down
//! only what it cannot know later: marks in order, a tick count where a time
//! matters. Everything else is worked out here, one [`TrackReplay`] per loop
//! track, carried from one batch to the next:
//!
//! * times: each batch's ticks become nanoseconds between the anchor of the
//!   previous batch and its own (`clock.rs`);
//! * nesting: a begin mark pushes onto a stack, an end mark pops it and makes
//!   a *slice* (a turn encloses its park, timers and steps; a park its poll);
//!   a step that began straight after another starts 1 ns after it ended;
//! * arrows: a spawn or a wake notes *where* it happened (the start of the
//!   innermost open slice: the waking step, the IO poll whose readiness woke
//!   the task, the timer round, the turn that took in another thread's
//!   wake), and the first
//!   step of that task afterwards is where the arrow lands. The first cause
//!   wins until then. An arrow is made only once both ends are known, so a
//!   file never holds a flow with one end;
//! * a step with no begin record (it followed another step) starts 1 ns
//!   after that one ended; a step flagged as having woken itself leaves an
//!   arrow from its own start to the task's next step;
//! * the poll number (the replay counts each task's steps: a trace starts
//!   with its loop, so it sees them all) and the task's name (sent once,
//!   when new or changed).

use std::collections::HashMap;
use std::time::Duration;

use super::buffer::Batch;
use super::clock::Anchor;
use super::record::{Mark, Record, AFTER_STEP, OUTCOME_BITS, OUTSIDE_STEP, WOKE_ITSELF};
use crate::event_loop::observer::{ParkWake, StepOutcome};

/// What a slice on the timeline was.
#[derive(Debug)]
pub(crate) enum Slice {
    Iteration {
        batch: u64,
    },
    Step {
        task: u32,
        name: Option<String>,
        poll: u32,
        outcome: StepOutcome,
    },
    Callback,
    Park {
        timeout: Option<Duration>,
        why: ParkWake,
    },
    IoPoll {
        wakes: u64,
        /// Each socket the poll reported: its reactor slot and the
        /// `IoEvent` flags (readable, writable, closed).
        sockets: Vec<(u32, u8)>,
    },
    Timers {
        fired: u64,
    },
    /// A job a pool worker ran (on the worker's track).
    PoolJob,
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
    /// A step handed a job to a pool worker; the arrow ends where it ran.
    PoolJob,
}

/// One slice or one arrow, times in nanoseconds since the trace epoch.
#[derive(Debug)]
pub(crate) enum Event {
    Slice {
        start: u64,
        end: u64,
        what: Slice,
    },
    /// An arrow from `from` on track `from_track` to `to` on the track the
    /// event is written on.
    Flow {
        kind: FlowKind,
        from_track: u64,
        from: u64,
        to: u64,
    },
}

/// A begin mark waiting for its end.
struct Open {
    mark: Mark,
    start: u64,
}

/// The replay state of one loop's track. See the module docs.
pub(crate) struct TrackReplay {
    track: u64,
    /// The clocks at the end of the previous batch (or when the track opened).
    anchor: Anchor,
    open: Vec<Open>,
    /// The end of the last step, while nothing else has begun since.
    step_ended: Option<u64>,
    /// The latest time seen, for a cause noted outside any slice.
    latest: u64,
    /// For each task queued by a spawn or a wake: why and from where.
    arriving: HashMap<u32, (FlowKind, u64)>,
    names: HashMap<u32, String>,
    /// Steps run so far by each live task (its poll count).
    polls: HashMap<u32, u32>,
    /// A park that ended, waiting for its timeout record.
    park: Option<(u64, u64, ParkWake)>,
    /// The sockets reported by the OS poll being replayed.
    sockets: Vec<(u32, u8)>,
}

impl TrackReplay {
    /// The replay of `track`, whose loop read `anchor` when it opened.
    pub(crate) fn new(track: u64, anchor: Anchor) -> TrackReplay {
        TrackReplay {
            track,
            anchor,
            open: Vec::new(),
            step_ended: None,
            latest: anchor.ns,
            arriving: HashMap::new(),
            names: HashMap::new(),
            polls: HashMap::new(),
            park: None,
            sockets: Vec::new(),
        }
    }

    /// Appends the events of `batch` to `events`, in the order they ended.
    /// The batch's names are taken; its records stay, to be reused.
    pub(crate) fn replay(&mut self, batch: &mut Batch, events: &mut Vec<Event>) {
        let (from, to) = (self.anchor, batch.anchor);
        let mut names = std::mem::take(&mut batch.names)
            .into_iter()
            .map(Some)
            .collect::<Vec<_>>();
        events.reserve(batch.records.len());
        for &record in &batch.records {
            self.one(record, from, to, &mut names, events);
        }
        self.anchor = to;
    }

    /// Replays one record; a timed one's ticks map onto nanoseconds
    /// between the anchors `from` and `to`.
    fn one(
        &mut self,
        r: Record,
        from: Anchor,
        to: Anchor,
        names: &mut [Option<String>],
        events: &mut Vec<Event>,
    ) {
        let at = || from.to_ns(to, r.at).max(self.latest);
        match r.mark() {
            Mark::IoPollBegin => {
                self.sockets.clear();
                let at = at();
                self.begin(Mark::IoPollBegin, at);
            }
            Mark::IoEvent => self.sockets.push((r.small(), r.flags())),
            Mark::IterationBegin | Mark::CallbackBegin | Mark::ParkBegin | Mark::TimersBegin => {
                let at = at();
                self.begin(r.mark(), at);
            }
            Mark::StepBegin => {
                let at = at();
                self.begin(Mark::StepBegin, at);
                self.arrive(r.small(), at, events);
            }
            Mark::StepEnd => {
                let at = at();
                self.step_end(r, at, events);
            }
            Mark::IterationEnd => {
                let what = Slice::Iteration {
                    batch: u64::from(r.small()),
                };
                self.end(Mark::IterationBegin, at(), what, events);
            }
            Mark::CallbackEnd => {
                self.end(Mark::CallbackBegin, at(), Slice::Callback, events);
            }
            Mark::ParkEnd => {
                // Drawn once the timeout that follows is known.
                let at = at();
                if let Some(index) = self.open.iter().rposition(|o| o.mark == Mark::ParkBegin) {
                    self.park = Some((self.open[index].start, at, park_wake_of(r.small())));
                }
            }
            Mark::ParkTimeout => {
                if let Some((_, end, why)) = self.park.take() {
                    let what = Slice::Park {
                        timeout: (r.at != u64::MAX).then(|| Duration::from_nanos(r.at)),
                        why,
                    };
                    self.end(Mark::ParkBegin, end, what, events);
                }
            }
            Mark::IoPollEnd if r.small() == 0 && self.sockets.is_empty() => {
                self.discard(Mark::IoPollBegin);
            }
            Mark::IoPollEnd => {
                let what = Slice::IoPoll {
                    wakes: u64::from(r.small()),
                    sockets: std::mem::take(&mut self.sockets),
                };
                self.end(Mark::IoPollBegin, at(), what, events);
            }
            Mark::TimersEnd if r.small() == 0 => self.discard(Mark::TimersBegin),
            Mark::TimersEnd => {
                let what = Slice::Timers {
                    fired: u64::from(r.small()),
                };
                self.end(Mark::TimersBegin, at(), what, events);
            }
            Mark::Spawned => self.cause(r, FlowKind::Spawn),
            Mark::Woken => self.cause(r, FlowKind::Wake),
            Mark::WokenRemotely => self.cause(r, FlowKind::RemoteWake),
            Mark::Named => {
                let index = usize::try_from(r.at).unwrap_or(usize::MAX);
                if let Some(name) = names.get_mut(index).and_then(Option::take) {
                    self.names.insert(r.small(), name);
                }
            }
        }
    }

    /// A step of task `r.small()` ended at `at`.
    fn step_end(&mut self, r: Record, at: u64, events: &mut Vec<Event>) {
        let task = r.small();
        let flags = r.flags();
        if flags & AFTER_STEP != 0 {
            // No begin was recorded: it began just after the last step.
            let start = self.step_ended.map_or(at, |end| (end + 1).min(at));
            self.begin(Mark::StepBegin, start);
            self.arrive(task, start, events);
        }
        let outcome = outcome_of(flags & OUTCOME_BITS);
        let finished = outcome != StepOutcome::Pending;
        let polls = self.polls.entry(task).or_insert(0);
        if outcome != StepOutcome::Cancelled {
            *polls = polls.saturating_add(1);
        }
        let poll = *polls;
        let name = if finished {
            self.polls.remove(&task);
            self.names.remove(&task)
        } else {
            self.names.get(&task).cloned()
        };
        let what = Slice::Step {
            task,
            name,
            poll,
            outcome,
        };
        let start = self
            .open
            .iter()
            .rev()
            .find(|o| o.mark == Mark::StepBegin)
            .map(|o| o.start);
        if let Some(end) = self.end(Mark::StepBegin, at, what, events) {
            self.step_ended = Some(end);
        }
        if finished {
            // No step follows: forget a wake it made of itself on its way
            // out (its entry in the ready queue runs nothing).
            self.arriving.remove(&task);
        } else if flags & WOKE_ITSELF != 0 {
            if let Some(start) = start {
                self.arriving.entry(task).or_insert((FlowKind::Wake, start));
            }
        }
    }

    fn begin(&mut self, mark: Mark, start: u64) {
        self.step_ended = None;
        self.latest = self.latest.max(start);
        self.open.push(Open { mark, start });
    }

    /// Closes the innermost slice begun with `begin` (and any left open
    /// inside it) as `what`; returns its end.
    fn end(&mut self, begin: Mark, at: u64, what: Slice, events: &mut Vec<Event>) -> Option<u64> {
        self.step_ended = None;
        let index = self.open.iter().rposition(|o| o.mark == begin)?;
        let start = self.open[index].start;
        self.open.truncate(index);
        let end = at.max(start);
        self.latest = self.latest.max(end);
        events.push(Event::Slice { start, end, what });
        Some(end)
    }

    /// Forgets the innermost slice begun with `begin` (nothing happened in it).
    fn discard(&mut self, begin: Mark) {
        self.step_ended = None;
        if let Some(index) = self.open.iter().rposition(|o| o.mark == begin) {
            self.open.truncate(index);
        }
    }

    /// The task of `r` was queued here. The arrow leaves from the start of
    /// the step that queued it — the open one, or, straight after a step,
    /// the step that follows it (a step with no begin record) — or, for a
    /// wake from outside any step (flagged [`OUTSIDE_STEP`]), from the start
    /// of the innermost open slice (an IO poll, a timer round, the turn), or
    /// else the latest time seen.
    fn cause(&mut self, r: Record, kind: FlowKind) {
        let slice = self.open.last().map(|o| o.start);
        let from = match self.step_ended {
            Some(end) if r.flags() & OUTSIDE_STEP == 0 => end + 1,
            _ => slice.unwrap_or(self.latest),
        };
        self.arriving.entry(r.small()).or_insert((kind, from));
    }

    /// Task `task` begins a step at `at`: the arrow that queued it lands here.
    fn arrive(&mut self, task: u32, at: u64, events: &mut Vec<Event>) {
        if let Some((kind, from)) = self.arriving.remove(&task) {
            events.push(Event::Flow {
                kind,
                from_track: self.track,
                from,
                to: at,
            });
        }
    }
}

fn outcome_of(code: u8) -> StepOutcome {
    match code {
        c if c == StepOutcome::Pending as u8 => StepOutcome::Pending,
        c if c == StepOutcome::Ready as u8 => StepOutcome::Ready,
        c if c == StepOutcome::Cancelled as u8 => StepOutcome::Cancelled,
        _ => StepOutcome::Panicked,
    }
}

fn park_wake_of(code: u32) -> ParkWake {
    match code {
        c if c == ParkWake::Io as u32 => ParkWake::Io,
        c if c == ParkWake::Thread as u32 => ParkWake::Thread,
        c if c == ParkWake::Timer as u32 => ParkWake::Timer,
        _ => ParkWake::NotParked,
    }
}
