//! `ParkState`: the handshake that lets another thread wake a parked loop with
//! at most one system call, and never lose a wake-up.
//!
//! The loop parks by blocking in `mio::Poll::poll`; another thread un-parks it
//! by writing to a `mio::Waker` (an eventfd on Linux) — a system call we want
//! to make only when the loop really is blocked. One atomic byte decides:
//!
//! | value      | meaning                                                      |
//! |------------|--------------------------------------------------------------|
//! | `RUNNING`  | the loop is awake and will look at the injection queue again |
//! | `PARKED`   | the loop is (about to be) blocked in the OS poll             |
//! | `NOTIFIED` | work was injected since the loop last looked                 |
//!
//! The protocol, where every step is an atomic swap (a read-modify-write):
//!
//! * **Another thread** first pushes its work on the injection queue, then
//!   calls [`ParkState::notify`]: `swap(NOTIFIED)`. Only if it read `PARKED`
//!   does it write to the OS waker. Many notifiers, one system call.
//! * **The loop** calls [`ParkState::begin_park`]: `swap(PARKED)`. If it read
//!   `NOTIFIED`, work is waiting: it swaps back to `RUNNING` and does not
//!   block. After the OS poll returns it calls [`ParkState::end_park`]:
//!   `swap(RUNNING)`; then it drains the queue.
//!
//! Why no wake-up is lost: a push is followed by a notify. If that notify comes
//! before the loop's `begin_park` swap, the loop reads `NOTIFIED` and does not
//! block; if after, the notifier reads `PARKED` and writes the OS waker, so the
//! poll returns. Because every access is a read-modify-write with acquire and
//! release ordering, the loop that reads a notifier's value also sees the work
//! that notifier pushed before it. `park.rs`'s loom model checks this.

#[cfg(corio_loom)]
use loom::sync::atomic::{AtomicU8, Ordering};
#[cfg(not(corio_loom))]
use std::sync::atomic::{AtomicU8, Ordering};

const RUNNING: u8 = 0;
const PARKED: u8 = 1;
const NOTIFIED: u8 = 2;

/// See the module docs.
#[derive(Debug)]
pub(crate) struct ParkState(AtomicU8);

impl ParkState {
    pub(crate) fn new() -> ParkState {
        ParkState(AtomicU8::new(RUNNING))
    }

    /// The loop is about to block. Returns `false` if work was injected since
    /// it last looked: then it must not block.
    pub(crate) fn begin_park(&self) -> bool {
        if self.0.swap(PARKED, Ordering::AcqRel) == NOTIFIED {
            self.0.swap(RUNNING, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// The loop woke up from the OS poll.
    pub(crate) fn end_park(&self) {
        self.0.swap(RUNNING, Ordering::AcqRel);
    }

    /// Another thread injected work. Returns `true` if the loop is parked and
    /// the caller must wake it through the OS.
    pub(crate) fn notify(&self) -> bool {
        self.0.swap(NOTIFIED, Ordering::AcqRel) == PARKED
    }
}

/// Model-checks the protocol with loom: run with
/// `RUSTFLAGS="--cfg corio_loom" cargo test --release --lib park`.
#[cfg(all(test, corio_loom))]
mod loom_model {
    use crate::event_loop::park::ParkState;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::{Arc, Condvar, Mutex};
    use loom::thread;

    /// The OS waker: a flag behind a condvar, consumed by the blocked poll.
    struct EventFd {
        ready: Mutex<bool>,
        cond: Condvar,
    }

    impl EventFd {
        fn wake(&self) {
            *self.ready.lock().unwrap() = true;
            self.cond.notify_one();
        }

        fn block_until_woken(&self) {
            let mut ready = self.ready.lock().unwrap();
            while !*ready {
                ready = self.cond.wait(ready).unwrap();
            }
            *ready = false;
        }
    }

    struct Loop {
        park: ParkState,
        queue: AtomicUsize,
        eventfd: EventFd,
    }

    fn inject(l: &Loop) {
        l.queue.fetch_add(1, Ordering::Release);
        if l.park.notify() {
            l.eventfd.wake();
        }
    }

    /// The loop parks until it has seen `expected` injected items. If a
    /// wake-up were ever lost it would block forever, and loom reports the
    /// deadlock.
    fn run_loop(l: &Loop, expected: usize) {
        let mut seen = 0;
        loop {
            seen += l.queue.swap(0, Ordering::Acquire);
            if seen == expected {
                return;
            }
            if l.park.begin_park() {
                l.eventfd.block_until_woken();
                l.park.end_park();
            }
        }
    }

    fn new_loop() -> Arc<Loop> {
        Arc::new(Loop {
            park: ParkState::new(),
            queue: AtomicUsize::new(0),
            eventfd: EventFd {
                ready: Mutex::new(false),
                cond: Condvar::new(),
            },
        })
    }

    #[test]
    fn one_remote_wake_is_never_lost() {
        loom::model(|| {
            let l = new_loop();
            let remote = {
                let l = l.clone();
                thread::spawn(move || inject(&l))
            };
            run_loop(&l, 1);
            remote.join().unwrap();
        });
    }

    #[test]
    fn two_remote_threads_two_wakes_each() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let l = new_loop();
            let remotes: Vec<_> = (0..2)
                .map(|_| {
                    let l = l.clone();
                    thread::spawn(move || {
                        inject(&l);
                        inject(&l);
                    })
                })
                .collect();
            run_loop(&l, 4);
            for r in remotes {
                r.join().unwrap();
            }
        });
    }
}
