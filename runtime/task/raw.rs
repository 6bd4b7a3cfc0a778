//! The typed task allocation and the vtable that erases its type.
//!
//! `TaskCell<F>` is the single allocation behind a task: the [`Header`] first
//! (`#[repr(C)]`, so a pointer to the cell is a pointer to its header), then the
//! [`Stage`]: the future while it runs, its output once it returned, nothing
//! after the output was taken or dropped. Future and output share the space.
//!
//! The functions of [`TaskVTable`] are the only code that knows `F`. They are
//! `unsafe fn`s over a header pointer; each states what its caller guarantees.

use std::any::Any;
use std::cell::UnsafeCell;
use std::future::Future;
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::task::{Context, Poll};

use super::header::{Header, PollResult, TaskVTable};
use crate::containment::{self, catch};

/// Where a task is in its life, as far as its memory goes.
pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(F::Output),
    Consumed,
}

/// One task, one allocation. See the module docs.
#[repr(C)]
pub(crate) struct TaskCell<F: Future> {
    pub(crate) header: Header,
    pub(crate) stage: UnsafeCell<Stage<F>>,
}

/// The vtable for futures of type `F`, as a constant so that `&VTABLE` is `'static`.
pub(crate) struct VTableFor<F>(std::marker::PhantomData<F>);

impl<F: Future> VTableFor<F> {
    pub(crate) const VTABLE: TaskVTable = TaskVTable {
        poll: poll::<F>,
        drop_future: drop_future::<F>,
        take_output: take_output::<F>,
        output_ptr: output_ptr::<F>,
        drop_output: drop_output::<F>,
        dealloc: dealloc::<F>,
    };
}

/// # Safety
/// `ptr` must be the header of a live `TaskCell<F>`.
unsafe fn stage<'a, F: Future>(ptr: NonNull<Header>) -> &'a mut Stage<F> {
    let cell = ptr.cast::<TaskCell<F>>();
    // SAFETY: the caller guarantees the cell is live and of type F; the vtable
    // contracts guarantee no other reference to the stage exists meanwhile.
    unsafe { &mut *(*cell.as_ptr()).stage.get() }
}

/// Drops the stage in place (never moving a pinned future) and leaves `Consumed`.
/// Returns what a panicking destructor threw.
fn drop_stage_in_place<F: Future>(stage: &mut Stage<F>) -> Option<Box<dyn Any + Send>> {
    let slot: *mut Stage<F> = stage;
    // SAFETY: `slot` is valid; after `drop_in_place` the value is dead (even if
    // a destructor panicked, unwinding drop glue finished the other fields), and
    // we overwrite it with `ptr::write`, which does not drop the old value.
    let panicked = catch(|| unsafe { ptr::drop_in_place(slot) }).err();
    // SAFETY: see above.
    unsafe { ptr::write(slot, Stage::Consumed) };
    panicked
}

/// # Safety
/// See [`TaskVTable::poll`].
unsafe fn poll<F: Future>(ptr: NonNull<Header>, cx: &mut Context<'_>) -> PollResult {
    // SAFETY: forwarded from the caller.
    let stage = unsafe { stage::<F>(ptr) };
    let Stage::Running(fut) = stage else {
        unreachable!("corio polled a task whose future is gone");
    };
    // SAFETY: the future lives inside a heap cell that never moves until it is
    // dropped in place, so it is pinned.
    let fut = unsafe { Pin::new_unchecked(fut) };
    match catch(|| fut.poll(cx)) {
        Ok(Poll::Pending) => PollResult::Pending,
        Ok(Poll::Ready(output)) => match drop_stage_in_place(stage) {
            None => {
                *stage = Stage::Finished(output);
                PollResult::Returned
            }
            Some(payload) => {
                // The future's destructor panicked after it returned: the task
                // ends `Panicked`, and the output nobody can read is dropped —
                // its destructor is user code too.
                containment::drop_contained(
                    "dropping the output of a task whose future panicked",
                    output,
                );
                PollResult::Panicked(payload)
            }
        },
        Err(payload) => {
            // The future panicked, then its destructor panicked as well: the
            // first panic is the task's outcome, the second is reported.
            if let Some(second) = drop_stage_in_place(stage) {
                containment::report("dropping a task's future after it panicked", &second);
                containment::drop_payload(second);
            }
            PollResult::Panicked(payload)
        }
    }
}

/// # Safety
/// See [`TaskVTable::drop_future`].
unsafe fn drop_future<F: Future>(ptr: NonNull<Header>) -> Option<Box<dyn Any + Send>> {
    // SAFETY: forwarded from the caller.
    let stage = unsafe { stage::<F>(ptr) };
    debug_assert!(matches!(stage, Stage::Running(_)));
    drop_stage_in_place(stage)
}

/// # Safety
/// See [`TaskVTable::take_output`].
unsafe fn take_output<F: Future>(ptr: NonNull<Header>, out: *mut ()) {
    // SAFETY: forwarded from the caller.
    let stage = unsafe { stage::<F>(ptr) };
    match std::mem::replace(stage, Stage::Consumed) {
        // SAFETY: the caller passes a pointer to an `Option<F::Output>`.
        Stage::Finished(output) => unsafe { *out.cast::<Option<F::Output>>() = Some(output) },
        _ => unreachable!("corio read the output of a task that has none"),
    }
}

/// # Safety
/// See [`TaskVTable::output_ptr`].
unsafe fn output_ptr<F: Future>(ptr: NonNull<Header>) -> *const () {
    // SAFETY: forwarded from the caller.
    match unsafe { stage::<F>(ptr) } {
        Stage::Finished(output) => (output as *const F::Output).cast(),
        _ => unreachable!("corio looked at the output of a task that has none"),
    }
}

/// # Safety
/// See [`TaskVTable::drop_output`].
unsafe fn drop_output<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: forwarded from the caller.
    let stage = unsafe { stage::<F>(ptr) };
    debug_assert!(!matches!(stage, Stage::Running(_)));
    // Moved out first so that a panicking destructor leaves a consistent stage.
    drop(std::mem::replace(stage, Stage::Consumed));
}

/// # Safety
/// See [`TaskVTable::dealloc`].
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // The cell was created by `Box::new` in `spawn` and this was its last
    // reference. By the header's invariants the stage is `Consumed` (the loop
    // dropped the future and the output on its own thread), so freeing it
    // here, on whichever thread dropped the last reference, runs no user code
    // of a `!Send` type.
    // SAFETY: the last reference to a `Box`-made cell (see above).
    let cell = unsafe { Box::from_raw(ptr.cast::<TaskCell<F>>().as_ptr()) };
    debug_assert!(matches!(
        // SAFETY: we own the cell now.
        unsafe { &*cell.stage.get() },
        Stage::Consumed
    ));
    drop(cell);
}
