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

use std::cell::Cell;
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::Arc;

use super::cold::TaskCold;
use super::raw::TaskVTable;
use super::refs::TaskRefs;
use super::state::State;
use crate::event_loop::shared::LoopShared;

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

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    #[test]
    fn the_header_stays_48_bytes() {
        assert_eq!(std::mem::size_of::<super::Header>(), 48);
    }
}
