//! Pool jobs on the timeline: a track per pool worker, and an arrow from
//! the step that handed a job to the pool to where a worker ran it.
//!
//! A job does not know which loop submitted it, so the loop's recorder
//! leaves a note on its own thread while it is open ([`loop_traced_on_this_thread`]):
//! the trace file and the loop's track. A submit on that thread (a step
//! calling `run_in_executor` or `to_thread`) takes a [`JobTrace`] from the
//! note, stamped with the time. The worker that runs the job records it on
//! its own track of the same file — one per worker thread, made the first
//! time that worker runs a traced job — as a "pool job" slice and the arrow
//! from the submitting step, both ends sent together, so a job cancelled
//! before it ran leaves no half arrow.
//!
//! The wake that follows a job is the loop's: it appears as a "wake from
//! another thread" arrow from the slice in which the loop took it in (the
//! turn, or the IO poll of a park; `replay.rs`).
//! One thread that opens two traced loops notes the later one.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use super::clock::now_ns;
use super::replay::{Event, FlowKind, Slice};
use super::writer::TraceFile;

thread_local! {
    /// The traced loop open on this thread: its file and track.
    static LOOP_TRACE: RefCell<Option<(Arc<TraceFile>, u64)>> = const { RefCell::new(None) };
    /// This worker's track in each file it has written jobs into.
    static WORKER_TRACKS: RefCell<Vec<(Weak<TraceFile>, u64)>> = const { RefCell::new(Vec::new()) };
}

/// A traced loop opened on this thread, recording into `track` of `file`.
pub(crate) fn loop_traced_on_this_thread(file: &Arc<TraceFile>, track: u64) {
    LOOP_TRACE.with(|t| *t.borrow_mut() = Some((file.clone(), track)));
}

/// The loop of `track` closed: jobs submitted from now on are not traced.
pub(crate) fn loop_closed_on_this_thread(file: &Arc<TraceFile>, track: u64) {
    LOOP_TRACE.with(|t| {
        let mut t = t.borrow_mut();
        if matches!(&*t, Some((f, tr)) if Arc::ptr_eq(f, file) && *tr == track) {
            *t = None;
        }
    });
}

/// Where a job was submitted from, carried by the job to its worker.
pub(crate) struct JobTrace {
    file: Arc<TraceFile>,
    from_track: u64,
    from: u64,
}

/// A job is being submitted: its trace, if a traced loop is open on this
/// thread.
pub(crate) fn job_submitted() -> Option<JobTrace> {
    LOOP_TRACE.with(|t| {
        t.borrow().as_ref().map(|(file, track)| JobTrace {
            file: file.clone(),
            from_track: *track,
            from: now_ns(),
        })
    })
}

impl JobTrace {
    /// Runs `job` on this worker thread and records it on the worker's track.
    pub(crate) fn record<R>(self, job: impl FnOnce() -> R) -> R {
        let track = worker_track(&self.file);
        let start = now_ns().max(self.from);
        let out = job();
        let end = now_ns().max(start);
        self.file.append_events(
            track,
            vec![
                Event::Slice {
                    start,
                    end,
                    what: Slice::PoolJob,
                },
                Event::Flow {
                    kind: FlowKind::PoolJob,
                    from_track: self.from_track,
                    from: self.from,
                    to: start,
                },
            ],
        );
        out
    }
}

/// This worker thread's track in `file`, made on first use.
fn worker_track(file: &Arc<TraceFile>) -> u64 {
    WORKER_TRACKS.with(|tracks| {
        let mut tracks = tracks.borrow_mut();
        tracks.retain(|(f, _)| f.strong_count() > 0);
        if let Some((_, track)) = tracks
            .iter()
            .find(|(f, _)| std::ptr::eq(f.as_ptr(), Arc::as_ptr(file)))
        {
            return *track;
        }
        let track = file.new_track("pool worker", None);
        tracks.push((Arc::downgrade(file), track));
        track
    })
}
