//! The life of a task on its loop: run one step, cancel, complete.
//!
//! These are the functions the loop calls with a task popped from its ready
//! queue. They hold no borrow of loop state while user code runs (the future's
//! `poll` and `Drop`, output destructors, wakers): every borrow is taken and
//! released around a single queue or registry operation.

use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Context;
use std::time::Instant;

use super::cold::CompletionSink;
use super::header::{Header, PollResult, TaskRef};
use super::state::{Outcome, CANCEL_REQUESTED, COMPLETE, JOIN_INTEREST, SCHEDULED};
use super::waker::{borrowed_waker, schedule};
use crate::containment::{contain, drop_payload};
use crate::debug;
use crate::event_loop::context;
use crate::event_loop::observer::StepOutcome;
use crate::event_loop::scheduler::Scheduler;

/// Runs one step of `task`, whose ready-queue entry the loop just popped.
/// Returns how the step ended, or `None` when the entry was not a step (the
/// task completed while queued).
pub(crate) fn run_task(scheduler: &Scheduler, task: NonNull<Header>) -> Option<StepOutcome> {
    // SAFETY: an entry in the ready queue is covered by the loop's reference.
    let h = unsafe { task.as_ref() };
    h.state.transition_to_dequeued();
    if h.state.is(COMPLETE) {
        // The task completed while queued; `complete` left the loop's
        // reference for this entry to release.
        // SAFETY: that reference is ours to give up.
        unsafe { Header::release(task) };
        return None;
    }
    if h.state.is(CANCEL_REQUESTED) {
        return Some(cancel_now(scheduler, task));
    }
    h.state.transition_to_running();
    // SAFETY: the loop's reference keeps the header alive during the poll.
    let waker = unsafe { borrowed_waker(task) };
    let mut cx = Context::from_waker(&waker);
    let started = scheduler.debug.enabled.then(Instant::now);
    let current = context::enter_task(task);
    // SAFETY: on the loop thread, the stage is `Running` (not complete), and
    // nothing else borrows it during a poll.
    let result = unsafe { (h.vtable.poll)(task, &mut cx) };
    drop(current);
    h.state.transition_to_idle();
    if let Some(started) = started {
        debug::record_poll(&scheduler.debug, h, started.elapsed());
    }
    Some(match result {
        PollResult::Pending => StepOutcome::Pending,
        PollResult::Returned => {
            complete(scheduler, task, Outcome::Returned);
            StepOutcome::Ready
        }
        PollResult::Panicked(payload) => {
            h.with_cold(|c| c.panic_payload = Some(payload));
            complete(scheduler, task, Outcome::Panicked);
            StepOutcome::Panicked
        }
    })
}

/// Drops the future of a task whose cancellation was requested, and completes it.
pub(crate) fn cancel_now(scheduler: &Scheduler, task: NonNull<Header>) -> StepOutcome {
    // SAFETY: the loop's reference keeps the task alive until `complete`.
    let h = unsafe { task.as_ref() };
    // The future's destructor is the Rust counterpart of asyncio's cleanup after
    // CancelledError, so it runs as the current task.
    let current = context::enter_task(task);
    // SAFETY: on the loop thread, the task is not complete: stage `Running`.
    let panicked = unsafe { (h.vtable.drop_future)(task) };
    drop(current);
    match panicked {
        None => {
            complete(scheduler, task, Outcome::Cancelled);
            StepOutcome::Cancelled
        }
        Some(payload) => {
            h.with_cold(|c| c.panic_payload = Some(payload));
            complete(scheduler, task, Outcome::Panicked);
            StepOutcome::Panicked
        }
    }
}

/// Records the outcome, leaves the registry, wakes the awaiter, schedules the
/// done-callbacks and gives up the loop's reference.
fn complete(scheduler: &Scheduler, task: NonNull<Header>, outcome: Outcome) {
    // SAFETY: the loop's reference keeps the task alive until the end of this function.
    let h = unsafe { task.as_ref() };
    h.state.transition_to_complete(outcome);
    scheduler.unregister(task);
    let (join_waker, callbacks, listeners) = h
        .peek_cold(|c| {
            (
                c.join_waker.take(),
                std::mem::take(&mut c.done_callbacks),
                std::mem::take(&mut c.listeners),
            )
        })
        .unwrap_or_default();
    // Done-callbacks are queued first, then whoever awaits the task is woken:
    // in asyncio an awaiter resumes through a done-callback of its own,
    // registered when it started waiting, so callbacks added before the await
    // have run by the time the awaiter resumes.
    // Most tasks have neither: skipping the empty loops spares every
    // completion building and dropping two iterators.
    if !callbacks.is_empty() {
        for (_, callback) in callbacks {
            schedule_done_callback(scheduler, task, callback);
        }
    }
    // Listeners before the output is dropped: they may look at it.
    if !listeners.is_empty() {
        for (sink, tag) in listeners {
            contain("telling a combinator that a task completed", || {
                sink.completed(tag, task)
            });
        }
    }
    if !h.state.is(JOIN_INTEREST) && outcome == Outcome::Returned {
        // SAFETY: on the loop thread; the future is gone and nobody will read the output.
        contain("dropping a detached task's output", || unsafe {
            (h.vtable.drop_output)(task)
        });
    }
    if let Some(waker) = join_waker {
        contain("waking a task's awaiter", || waker.wake());
    }
    if outcome == Outcome::Panicked && !h.state.is(JOIN_INTEREST) {
        debug::report_unretrieved_panic(&scheduler.debug, h);
        // Nobody will read the payload: drop it here, on the loop thread and
        // contained, rather than wherever the last reference happens to go.
        if let Some(payload) = h.peek_cold(|c| c.panic_payload.take()).flatten() {
            drop_payload(payload);
        }
    }
    if !h.state.is(SCHEDULED) {
        // SAFETY: the loop's reference, given up now that the task is complete
        // and not in the ready queue (else the queue entry releases it).
        unsafe { Header::release(task) };
    }
}

fn schedule_done_callback(
    scheduler: &Scheduler,
    task: NonNull<Header>,
    callback: Box<dyn FnOnce(&TaskRef)>,
) {
    // SAFETY: the caller holds a reference to the task.
    let task_ref = unsafe { TaskRef::retained(task) };
    scheduler.call_soon(Box::new(move || callback(&task_ref)));
}

/// `Task::cancel` and `TaskRef::cancel`.
pub(crate) fn cancel(task: NonNull<Header>, message: Option<String>) -> bool {
    // SAFETY: the caller (a handle or TaskRef) holds a reference.
    let h = unsafe { task.as_ref() };
    if !h.state.request_cancel() {
        return false;
    }
    if let Some(message) = message {
        let old = h.with_cold(|c| c.cancel_message.replace(message));
        drop(old);
    }
    schedule(task);
    true
}

/// Registers a combinator's sink on `task`; if the task is already done the
/// sink is told at once.
pub(crate) fn add_listener(task: NonNull<Header>, sink: Rc<dyn CompletionSink>, tag: usize) {
    // SAFETY: the caller holds a reference.
    let h = unsafe { task.as_ref() };
    if h.state.is(COMPLETE) {
        sink.completed(tag, task);
    } else {
        let awaiter = context::awaiting_task(sink.kind());
        h.with_cold(|c| {
            c.listeners.push((sink, tag));
            c.awaited_by = awaiter.or(c.awaited_by);
        });
    }
}

/// Unregisters every listener of `task` that uses `sink` (a combinator
/// dropped before the task completed).
pub(crate) fn remove_listener(task: NonNull<Header>, sink: &Rc<dyn CompletionSink>) {
    // SAFETY: the caller holds a reference.
    let h = unsafe { task.as_ref() };
    let removed = h.peek_cold(|c| {
        let removed = c.listeners.remove_sink(sink);
        if !removed.is_empty() {
            // The combinator no longer awaits the task.
            c.awaited_by = None;
        }
        removed
    });
    drop(removed);
}

/// `Task::add_done_callback`; returns the callback's id, unique in the process.
pub(crate) fn add_done_callback(task: NonNull<Header>, callback: Box<dyn FnOnce(&TaskRef)>) -> u64 {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    // SAFETY: the caller holds a reference.
    let h = unsafe { task.as_ref() };
    if h.state.is(COMPLETE) {
        context::with_current_loop(|lp| schedule_done_callback(&lp.scheduler, task, callback))
            .expect(
                "add_done_callback on a finished task needs a running corio loop on this thread \
             to schedule the callback on",
            );
    } else {
        h.with_cold(|c| c.done_callbacks.push((id, callback)));
    }
    id
}
