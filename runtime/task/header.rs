//! The task header: the first, type-erased part of every task allocation.
//!
//! A task is one heap allocation, a [`TaskCell`](super::raw::TaskCell): this
//! header followed by the future (later its output). Everything that handles
//! tasks without knowing their type — the ready queue, wakers, the registry,
//! `TaskRef` — holds a `NonNull<Header>` and reaches the typed parts through
//! the `vtable`.
//!
//! # Layout (48 bytes on 64-bit targets)
//!
//! | field        | bytes | why it is in the hot header                          |
//! |--------------|-------|------------------------------------------------------|
//! | `vtable`     | 8     | poll, cancel, read output, free                      |
//! | `shared`     | 8     | lets a waker on any thread find the task's loop      |
//! | `cold`       | 8     | pointer to [`TaskCold`], null until needed           |
//! | `spawned_at` | 8     | introspection must name every task's spawn site      |
//! | `refs`       | 4     | atomic reference count (+ one `REMOTE_QUEUED` bit, `refs.rs`) |
//! | `state`      | 4     | flags and poll count, loop thread only               |
//! | `id`         | 4     | the task id, unique within its loop                  |
//! | `slot`       | 4     | index in the loop's registry, for O(1) removal       |
//!
//! # Invariants
//!
//! * Every field except `refs` is read or written only on the thread of the
//!   loop that owns the task (the thread that spawned it: loops are `!Send`).
//!   Other threads hold wakers, and a waker touches only `refs`, `shared`
//!   and `vtable` (which are atomic or immutable).
//! * The future and the output are only ever created, polled and dropped on
//!   the loop's thread. A reference count reaching zero on another thread
//!   therefore frees only memory (see [`Header::release`]).
//! * `refs` counts: the loop's own reference (held from spawn until the task is
//!   complete and out of the ready queue), the `Task<T>` handle, every `Waker`,
//!   every `TaskRef`, and one for an entry in the loop's injection queue.
//!
//! # What else lives here, and why
//!
//! The [`TaskVTable`] (the typed operations `raw.rs` fills in for each future
//! type) and the [`TaskRef`] type (a counted reference to a header) are
//! defined beside the header because everything about a task names them: the
//! cold part stores done-callbacks that receive a `TaskRef`, the harness hands
//! one to each done-callback, `all_tasks` and the dump hand them out. Defined
//! here, they tie no other file of `task/` into a circle; `task_ref.rs` adds
//! what a `TaskRef` tells (id, name, state, …).

use std::any::Any;
use std::cell::Cell;
use std::marker::PhantomData;
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::Context;

use super::cold::TaskCold;
use super::refs::TaskRefs;
use super::state::State;
use crate::event_loop::shared::LoopShared;

/// What the loop learns from one poll of a task.
pub(crate) enum PollResult {
    /// The future is not done; it holds a waker.
    Pending,
    /// The future returned; it is dropped and the output is stored.
    Returned,
    /// The future panicked; it is dropped and here is the payload.
    Panicked(Box<dyn Any + Send>),
}

/// The type-specific operations on a task.
pub(crate) struct TaskVTable {
    /// Polls the future; on completion drops it and stores the output.
    /// Caller: on the loop thread, stage is `Running`, no other borrow of the stage.
    pub(crate) poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> PollResult,
    /// Drops the future (cancellation). Returns a panic raised by its `Drop`.
    /// Caller: on the loop thread, stage is `Running`.
    pub(crate) drop_future: unsafe fn(NonNull<Header>) -> Option<Box<dyn Any + Send>>,
    /// Moves the output into `*out`, which is an `Option<F::Output>`.
    /// Caller: on the loop thread, stage is `Finished`, `out` has the right type.
    pub(crate) take_output: unsafe fn(NonNull<Header>, *mut ()),
    /// A pointer to the output, which stays in place (for `wait`'s failure test).
    /// Caller: on the loop thread, stage is `Finished`; the pointer is an
    /// `*const F::Output`, valid until the output is taken or dropped.
    pub(crate) output_ptr: unsafe fn(NonNull<Header>) -> *const (),
    /// Drops the output if it is still there.
    /// Caller: on the loop thread, stage is not `Running`.
    pub(crate) drop_output: unsafe fn(NonNull<Header>),
    /// Frees the allocation. Caller: the last reference is gone.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
}

/// The type-erased head of a task allocation. See the module docs.
pub(crate) struct Header {
    pub(crate) vtable: &'static TaskVTable,
    pub(crate) shared: Arc<LoopShared>,
    pub(crate) cold: Cell<Option<Box<TaskCold>>>,
    pub(crate) spawned_at: &'static Location<'static>,
    refs: TaskRefs,
    pub(crate) state: State,
    pub(crate) id: u32,
    pub(crate) slot: Cell<u32>,
}

impl Header {
    /// A header for a new task: one reference for the loop, one for the handle.
    pub(crate) fn new(
        vtable: &'static TaskVTable,
        shared: Arc<LoopShared>,
        id: u32,
        name: Option<String>,
        spawned_at: &'static Location<'static>,
    ) -> Header {
        Header {
            vtable,
            shared,
            cold: Cell::new(name.map(TaskCold::named)),
            spawned_at,
            refs: TaskRefs::new(2),
            state: State::new_spawned(),
            id,
            slot: Cell::new(0),
        }
    }

    /// Adds a reference (a cloned waker, a `TaskRef`).
    #[inline]
    pub(crate) fn retain(&self) {
        self.refs.retain();
    }

    /// Drops one reference; frees the allocation when it was the last.
    ///
    /// # Safety
    ///
    /// `this` must point to a live header and the caller must own one of its
    /// references, which it gives up here.
    #[inline]
    pub(crate) unsafe fn release(this: NonNull<Header>) {
        // SAFETY: the caller owns a reference, so the header is alive.
        let header = unsafe { this.as_ref() };
        if header.refs.release() {
            // SAFETY: that was the last reference; nobody else can reach the task.
            unsafe { (header.vtable.dealloc)(this) };
        }
    }

    /// For a wake from another thread: takes a reference for an injection-queue
    /// entry and returns `true`, or returns `false` when an entry is already
    /// queued (see `refs.rs` for why that answer still costs a write).
    pub(crate) fn retain_for_injection(&self) -> bool {
        self.refs.retain_for_injection()
    }

    /// The loop took this task's entry out of the injection queue: the next wake
    /// from another thread must queue it again.
    pub(crate) fn clear_injected(&self) {
        self.refs.clear_injected();
    }

    /// Runs `f` on the cold part, creating it if absent. `f` must not call user
    /// code (see [`TaskCold`]'s module docs).
    pub(crate) fn with_cold<R>(&self, f: impl FnOnce(&mut TaskCold) -> R) -> R {
        let mut cold = self.cold.take().unwrap_or_default();
        let out = f(&mut cold);
        self.cold.set(Some(cold));
        out
    }

    /// Whether the cold part exists (a name, a callback, debug data...).
    #[inline]
    pub(crate) fn has_cold(&self) -> bool {
        // SAFETY: `cold` is touched only on the loop's thread, and no
        // reference into the cell outlives a call (`with_cold` and
        // `peek_cold` move the box out and back), so this read aliases
        // no `&mut`.
        unsafe { (*self.cold.as_ptr()).is_some() }
    }

    /// Runs `f` on the cold part if it exists, without creating it.
    pub(crate) fn peek_cold<R>(&self, f: impl FnOnce(&mut TaskCold) -> R) -> Option<R> {
        let mut cold = self.cold.take()?;
        let out = f(&mut cold);
        self.cold.set(Some(cold));
        Some(out)
    }

    /// The task's name: the one given, or `Task-<id>` as asyncio names them.
    pub(crate) fn name(&self) -> String {
        self.peek_cold(|c| c.name.clone())
            .flatten()
            .unwrap_or_else(|| format!("Task-{}", self.id))
    }
}

/// A reference to a task of unknown output type: asyncio's view of a task in
/// `current_task()`, `all_tasks()` and done-callbacks.
///
/// It can tell the task's id, name, state, spawn site, poll count and time
/// spent in polls, and it can cancel the task. Holding one keeps the task's
/// small header alive, never its future. Two `TaskRef`s are equal when they
/// refer to the same task.
///
/// ```
/// corio::run(async {
///     let me = corio::current_task().expect("main runs as a task");
///     assert_eq!(me.state(), corio::TaskState::Running);
///     assert!(me.spawned_at().file().ends_with(".rs"));
/// });
/// ```
pub struct TaskRef {
    pub(crate) raw: NonNull<Header>,
    _not_send: PhantomData<*const ()>,
}

impl TaskRef {
    /// # Safety
    /// `raw` is a live header and the caller hands over one reference.
    pub(crate) unsafe fn from_raw(raw: NonNull<Header>) -> TaskRef {
        TaskRef {
            raw,
            _not_send: PhantomData,
        }
    }

    /// A new `TaskRef` that takes its own reference.
    ///
    /// # Safety
    /// `raw` is a live header.
    pub(crate) unsafe fn retained(raw: NonNull<Header>) -> TaskRef {
        // SAFETY: the caller guarantees the header is alive.
        unsafe { raw.as_ref() }.retain();
        // SAFETY: we just took the reference.
        unsafe { TaskRef::from_raw(raw) }
    }

    /// The header this reference keeps alive.
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a TaskRef owns a reference, so the header is alive.
        unsafe { self.raw.as_ref() }
    }
}

impl Clone for TaskRef {
    fn clone(&self) -> TaskRef {
        // SAFETY: self holds a reference, so the header is alive.
        unsafe { TaskRef::retained(self.raw) }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        // SAFETY: the TaskRef owned this reference.
        unsafe { Header::release(self.raw) };
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn the_header_stays_48_bytes() {
        assert_eq!(std::mem::size_of::<super::Header>(), 48);
    }
}
