//! `std::task::Waker` for corio tasks: how a wake finds its task and its loop.
//!
//! A waker's data pointer is the task's [`Header`]; cloning it counts one more
//! reference, dropping it one less. Waking asks one question — *is the task's
//! loop the one running on this thread?* — by comparing the header's `shared`
//! pointer with the thread-local current loop:
//!
//! * **Yes (the common case):** the wake is a state-word check and a push on
//!   the loop's ready queue. No lock, no atomic read-modify-write, no syscall,
//!   no allocation.
//! * **No (another thread, or the loop is not running):** the task is pushed on
//!   the loop's lock-free injection queue (at most one entry per task, thanks to
//!   the `REMOTE_QUEUED` bit) and the loop is woken if, and only if, it is parked.
//!
//! A stale waker is harmless: it keeps the header's memory alive, and the state
//! word says `COMPLETE`, so the wake is ignored; if the loop has closed, the
//! injection queue refuses the entry (see `LoopShared::inject`).

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::header::Header;
use crate::event_loop::context;
use crate::event_loop::shared::{Remote, TaskPtr};

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_waker, wake_by_value, wake_by_ref, drop_waker);

/// A waker that borrows the caller's reference, for the duration of one poll.
///
/// # Safety
///
/// `header` must stay alive while the returned waker (not its clones) is used.
pub(crate) unsafe fn borrowed_waker(header: NonNull<Header>) -> ManuallyDrop<Waker> {
    let raw = RawWaker::new(header.as_ptr() as *const (), &WAKER_VTABLE);
    // SAFETY: the vtable functions uphold the RawWaker contract for header
    // pointers; ManuallyDrop keeps this borrowed waker from releasing a
    // reference it never took.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

/// Queues `header` on its loop: locally if that loop runs on this thread, else
/// through the injection queue. This is what every wake, and `cancel`, calls.
pub(crate) fn schedule(header: NonNull<Header>) {
    // SAFETY: callers hold a reference to the task.
    let h = unsafe { header.as_ref() };
    let local = context::with_current_loop(|lp| {
        if std::ptr::eq(lp.scheduler.shared_ptr(), &*h.shared) {
            lp.scheduler.schedule_task(header);
            true
        } else {
            false
        }
    });
    if local != Some(true) && h.retain_for_injection() {
        h.shared.inject(Remote::Wake(TaskPtr(header)));
    }
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: `data` is the header of a live task: the waker being cloned owns
    // (or borrows) a reference to it.
    unsafe { &*(data as *const Header) }.retain();
    RawWaker::new(data, &WAKER_VTABLE)
}

unsafe fn wake_by_value(data: *const ()) {
    // SAFETY: as in `clone_waker`; this waker owns the reference it releases.
    unsafe {
        wake_by_ref(data);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: a waker's data pointer is a non-null header pointer.
    schedule(unsafe { NonNull::new_unchecked(data as *mut Header) });
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: the dropped waker owned one reference to this header.
    unsafe { Header::release(NonNull::new_unchecked(data as *mut Header)) };
}
