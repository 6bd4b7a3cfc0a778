//! `TaskRefs`: a task's atomic reference count, and the `REMOTE_QUEUED` bit
//! that keeps a flood of wakes from other threads down to one queue entry.
//!
//! The word is the only part of a task that other threads write. Its bits:
//!
//! | bits  | name            | meaning                                             |
//! |-------|-----------------|-----------------------------------------------------|
//! | 0–30  | count           | references: the loop, the handle, wakers, `TaskRef`s, an injection entry |
//! | 31    | `REMOTE_QUEUED` | an entry for this task sits in the loop's injection queue |
//!
//! # Why a wake that finds `REMOTE_QUEUED` set still writes
//!
//! A wake from another thread usually follows a write the task must see (a
//! pool job stores its result, then wakes). If the bit is already set, the
//! waker pushes nothing: it relies on the loop, which will pop the queued
//! entry, clear the bit and poll the task, to see that write. A plain load of
//! the bit gives no such promise. The waker's "write result; load bit" and the
//! loop's "clear bit; read result" form the store-buffering pattern: each
//! side may miss the other's write, the waker reading the stale bit and the
//! loop reading the stale result — and then nobody wakes the task again. (On
//! x86 the waker's store can sit in its store buffer while its load runs.)
//!
//! So the waker confirms the set bit with a read-modify-write that changes
//! nothing. Read-modify-writes on one word are totally ordered and always
//! read the latest value: either the waker's comes after the loop's clear —
//! it sees the bit clear and queues a new entry — or before it, and then the
//! loop's acquiring clear reads the waker's releasing write, so everything
//! the waker wrote before waking is visible to the poll that follows. The
//! loom model below finds the lost wake-up when the confirmation is a plain
//! load.

#[cfg(corio_loom)]
use loom::sync::atomic::{fence, AtomicU32, Ordering};
#[cfg(not(corio_loom))]
use std::sync::atomic::{fence, AtomicU32, Ordering};

/// The low 31 bits: the reference count.
const COUNT_MASK: u32 = u32::MAX >> 1;
/// The top bit: an entry for this task sits in the injection queue.
const REMOTE_QUEUED: u32 = 1 << 31;

/// See the module docs.
pub(crate) struct TaskRefs(AtomicU32);

impl TaskRefs {
    /// A count of `n` references, not queued.
    pub(crate) fn new(n: u32) -> TaskRefs {
        TaskRefs(AtomicU32::new(n))
    }

    /// Adds a reference; the caller already holds one.
    #[inline]
    pub(crate) fn retain(&self) {
        // Relaxed is enough to count up: the caller already holds a reference,
        // so the count cannot reach zero concurrently (as in `Arc::clone`).
        let prev = self.0.fetch_add(1, Ordering::Relaxed);
        if prev & COUNT_MASK == COUNT_MASK {
            std::process::abort();
        }
    }

    /// Drops a reference; returns `true` if it was the last (the caller then
    /// frees the task).
    #[inline]
    pub(crate) fn release(&self) -> bool {
        let prev = self.0.fetch_sub(1, Ordering::Release);
        if prev & COUNT_MASK != 1 {
            return false;
        }
        // Pairs with the Release above in every other owner, so that their
        // last uses of the task happen before the memory is freed.
        fence(Ordering::Acquire);
        true
    }

    /// For a wake from another thread: takes a reference for an injection
    /// entry and returns `true`, or returns `false` when an entry is already
    /// queued — after a confirming read-modify-write (see the module docs).
    pub(crate) fn retain_for_injection(&self) -> bool {
        let mut cur = self.0.load(Ordering::Relaxed);
        loop {
            let queued = cur & REMOTE_QUEUED != 0;
            if !queued && cur & COUNT_MASK == COUNT_MASK {
                std::process::abort();
            }
            let new = if queued {
                cur
            } else {
                (cur + 1) | REMOTE_QUEUED
            };
            match self
                .0
                .compare_exchange_weak(cur, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return !queued,
                Err(seen) => cur = seen,
            }
        }
    }

    /// The loop took this task's entry out of the injection queue: the next
    /// wake from another thread must queue it again.
    pub(crate) fn clear_injected(&self) {
        // Acquire: whatever a waking thread wrote before its wake — including
        // one that only confirmed the bit — is visible to the poll after this.
        self.0.fetch_and(!REMOTE_QUEUED, Ordering::AcqRel);
    }
}

/// Model-checks the remote wake with loom: run with
/// `RUSTFLAGS="--cfg corio_loom" cargo test --release --lib loom_model`.
#[cfg(all(test, corio_loom))]
mod loom_model {
    use crate::task::refs::TaskRefs;
    use loom::sync::atomic::{AtomicBool, Ordering};
    use loom::sync::{Arc, Condvar, Mutex};
    use loom::thread;

    /// The injection queue: a count of entries behind a condvar, so that a
    /// loop waiting for an entry that never comes is a deadlock loom reports.
    #[derive(Default)]
    struct Injector {
        entries: Mutex<usize>,
        cond: Condvar,
    }

    impl Injector {
        fn push(&self) {
            *self.entries.lock().unwrap() += 1;
            self.cond.notify_one();
        }

        fn pop_blocking(&self) {
            let mut entries = self.entries.lock().unwrap();
            while *entries == 0 {
                entries = self.cond.wait(entries).unwrap();
            }
            *entries -= 1;
        }
    }

    /// `waker::schedule` from another thread.
    fn wake(refs: &TaskRefs, injector: &Injector) {
        if refs.retain_for_injection() {
            injector.push();
        }
    }

    /// The task is already queued by an earlier wake when a second thread
    /// publishes a result and wakes it again. The loop drains (clear the bit,
    /// release the entry's reference) and polls (reads the result) until it
    /// sees the result; a lost wake-up leaves it blocked on an empty queue.
    #[test]
    fn a_wake_that_finds_the_task_queued_is_never_lost() {
        loom::model(|| {
            let refs = Arc::new(TaskRefs::new(2));
            let injector = Arc::new(Injector::default());
            let result = Arc::new(AtomicBool::new(false));
            wake(&refs, &injector);
            let worker = {
                let (refs, injector, result) = (refs.clone(), injector.clone(), result.clone());
                thread::spawn(move || {
                    result.store(true, Ordering::Release);
                    wake(&refs, &injector);
                })
            };
            loop {
                injector.pop_blocking();
                refs.clear_injected();
                assert!(
                    !refs.release(),
                    "the loop and the handle still hold references"
                );
                if result.load(Ordering::Acquire) {
                    break;
                }
            }
            worker.join().unwrap();
        });
    }

    /// Two threads wake the same task; each wake after the last drain must
    /// be seen, and the count ends where it began.
    #[test]
    fn two_waking_threads_leave_the_count_balanced() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let refs = Arc::new(TaskRefs::new(2));
            let injector = Arc::new(Injector::default());
            let results: Vec<_> = (0..2).map(|_| Arc::new(AtomicBool::new(false))).collect();
            let workers: Vec<_> = results
                .iter()
                .map(|result| {
                    let (refs, injector, result) = (refs.clone(), injector.clone(), result.clone());
                    thread::spawn(move || {
                        result.store(true, Ordering::Release);
                        wake(&refs, &injector);
                    })
                })
                .collect();
            loop {
                injector.pop_blocking();
                refs.clear_injected();
                assert!(!refs.release());
                if results.iter().all(|r| r.load(Ordering::Acquire)) {
                    break;
                }
            }
            for w in workers {
                w.join().unwrap();
            }
            // A wake that came after the last drain left an entry: drain it.
            let left = std::mem::take(&mut *injector.entries.lock().unwrap());
            for _ in 0..left {
                refs.clear_injected();
                assert!(!refs.release());
            }
            assert!(!refs.release());
            assert!(refs.release(), "the last of the two starting references");
        });
    }
}
