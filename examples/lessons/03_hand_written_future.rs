//! hand_written_future: what the compiler builds from an `async fn` — the
//! same coroutine written twice, once as an `async fn` and once by hand as a
//! state machine implementing `std::future::Future`, both run on corio.
//!
//! Seed 003, "协程asyncio" and "事件循环": a coroutine "carries its own
//! context" and the event loop "pauses it while it waits and resumes it
//! later". In Rust that context is a value: the future. Each `.await` is a
//! point where `poll` returns `Pending` and the future keeps, inside itself,
//! everything it needs to continue from there.
//!
//! The coroutine: wait for a go signal, then count down from 3, yielding to
//! the loop after each number, then return the log of what it did.
//!
//! Run it with `cargo run --example hand_written_future`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::iter::Rev;
use std::mem;
use std::ops::RangeInclusive;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll, Waker};

use corio::task::YieldNow;

#[path = "../support/mod.rs"]
mod support;

// ---------------------------------------------------------------------------
// A leaf future: the go signal.
//
// An `async fn` can only await other futures; at the bottom of every chain is
// a future written by hand, and that is where the `Waker` is used. A leaf that
// returns `Pending` must make sure something will call `wake` later — else the
// loop never polls it again and the task sleeps forever.
// ---------------------------------------------------------------------------

/// A one-shot flag one task sets and another waits for.
#[derive(Clone, Default)]
struct Signal(Rc<SignalState>);

#[derive(Default)]
struct SignalState {
    set: Cell<bool>,
    /// The waker of the task waiting for the signal, stored by `poll`.
    waiter: RefCell<Option<Waker>>,
}

impl Signal {
    /// Sets the flag and wakes the waiter, if there is one.
    fn set(&self) {
        self.0.set.set(true);
        // Take the waker out first and wake it after the `RefCell` borrow has
        // ended: waking runs corio's code, which must not find our state
        // borrowed.
        let waiter = self.0.waiter.take();
        if let Some(waker) = waiter {
            waker.wake();
        }
    }

    /// The future that waits for the flag; it takes this handle along.
    fn wait(self) -> WaitForSignal {
        WaitForSignal(self)
    }
}

/// The future `Signal::wait` returns.
struct WaitForSignal(Signal);

impl Future for WaitForSignal {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let state = &self.0 .0;
        if state.set.get() {
            return Poll::Ready(());
        }
        // Not set yet: store the waker so `set` can wake us. Store it on every
        // `Pending`, replacing an old one unless it wakes the same task:
        // the waker of the latest poll is the one that counts.
        let mut waiter = state.waiter.borrow_mut();
        match &*waiter {
            Some(old) if old.will_wake(cx.waker()) => {}
            _ => *waiter = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

// ---------------------------------------------------------------------------
// The coroutine as an `async fn`.
// ---------------------------------------------------------------------------

/// Waits for `go`, counts down from `from`, returns a log.
async fn launch(from: u32, go: Signal) -> String {
    println!("  launch: waiting for go");
    go.wait().await; // await point 1
    let mut log = String::new();
    for n in (1..=from).rev() {
        println!("  launch: {n}");
        log.push_str(&format!("{n} "));
        // The seed would `await asyncio.sleep(1)`; corio has no timers yet, so
        // this gives the loop one turn (asyncio's `sleep(0)`). `YieldNow` is a
        // leaf too: it wakes its own task with `cx.waker().wake_by_ref()` and
        // returns `Pending` once.
        corio::yield_now().await; // await point 2
    }
    println!("  launch: liftoff");
    log.push_str("liftoff");
    log
}

// ---------------------------------------------------------------------------
// The same coroutine by hand: roughly what the compiler generates for
// `launch`.
//
// * One state per place the coroutine can be: not started, suspended at each
//   await point, returned. Calling `launch(3, go)` only builds the `Start`
//   state — no line of the body runs until the first poll.
// * Every local that is alive across an await lives in that await's state:
//   `from` at await point 1 (`go` has moved into the future awaited there);
//   the `for` loop's iterator (`numbers`) and `log` at await point 2. A local
//   not used after an await (`n`) need not be kept.
// * Each state also holds the future being awaited there. `.await` is: poll
//   that future; on `Pending` return `Pending` from our own poll (the
//   `Context`, and so the task's `Waker`, is passed down to it); on
//   `Ready(v)` continue with `v`.
// * `Pin`: the compiler's states may hold references to other fields of the
//   same state (`let r = &local; x.await; use(r)`), so the future must not move
//   once polled, and its `poll` takes `Pin<&mut Self>`. This state machine
//   holds no such references, every field is `Unpin`, so `Launch` is `Unpin`
//   and `poll` may take a plain `&mut` with `get_mut()` and move states in and
//   out — no `unsafe` needed. A compiler-built future is `!Unpin` and works
//   on its states in place instead.
// ---------------------------------------------------------------------------

enum Launch {
    /// Built, never polled.
    Start { from: u32, go: Signal },
    /// Suspended at await point 1.
    AwaitingGo { from: u32, wait: WaitForSignal },
    /// Suspended at await point 2, in the loop.
    AwaitingYield {
        numbers: Rev<RangeInclusive<u32>>,
        log: String,
        yielding: YieldNow,
    },
    /// Returned; a future must not be polled after it returned `Ready`.
    Done,
}

impl Launch {
    /// What calling `launch(from, go)` does: capture the arguments, run nothing.
    fn new(from: u32, go: Signal) -> Launch {
        Launch::Start { from, go }
    }
}

impl Future for Launch {
    type Output = String;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        let this = self.get_mut();
        // Each turn of this loop runs the code between two await points. Taking
        // the state out leaves `Done` behind, so a panic half-way leaves a
        // finished future rather than a half-updated one.
        loop {
            match mem::replace(this, Launch::Done) {
                Launch::Start { from, go } => {
                    println!("  Launch: waiting for go");
                    // `go.wait().await`: build the awaited future, then poll
                    // it at once, in this same poll (the next turn of `loop`).
                    *this = Launch::AwaitingGo {
                        from,
                        wait: go.wait(),
                    };
                }
                Launch::AwaitingGo { from, mut wait } => {
                    if Pin::new(&mut wait).poll(cx).is_pending() {
                        // Suspend: put the state back. `wait` stored the waker.
                        *this = Launch::AwaitingGo { from, wait };
                        return Poll::Pending;
                    }
                    // Past the await, `wait` (and the `go` inside it) is
                    // dropped; `from` turns into the loop's iterator.
                    if let Some(log) = this.loop_head((1..=from).rev(), String::new()) {
                        return Poll::Ready(log);
                    }
                }
                Launch::AwaitingYield {
                    numbers,
                    log,
                    mut yielding,
                } => {
                    if Pin::new(&mut yielding).poll(cx).is_pending() {
                        *this = Launch::AwaitingYield {
                            numbers,
                            log,
                            yielding,
                        };
                        return Poll::Pending;
                    }
                    if let Some(log) = this.loop_head(numbers, log) {
                        return Poll::Ready(log);
                    }
                }
                Launch::Done => panic!("`Launch` polled after it returned"),
            }
        }
    }
}

impl Launch {
    /// The `for` loop's head and body up to the await: take the next number,
    /// print it, and suspend at await point 2 — or leave the loop and return
    /// (`Some(log)`, with `self` left `Done`).
    fn loop_head(
        &mut self,
        mut numbers: Rev<RangeInclusive<u32>>,
        mut log: String,
    ) -> Option<String> {
        match numbers.next() {
            Some(n) => {
                println!("  Launch: {n}");
                log.push_str(&format!("{n} "));
                *self = Launch::AwaitingYield {
                    numbers,
                    log,
                    yielding: corio::yield_now(),
                };
                None
            }
            None => {
                println!("  Launch: liftoff");
                log.push_str("liftoff");
                Some(log)
            }
        }
    }
}

/// A combinator: await `F`, then transform its output — what `.map(..)` from
/// the `futures` crate builds. `ready!` is the `?` of polling: on `Pending` it
/// returns `Pending` at once. A future with one await point needs no enum.
struct Uppercase<F>(F);

impl<F: Future<Output = String> + Unpin> Future for Uppercase<F> {
    type Output = String;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        let output = ready!(Pin::new(&mut self.0).poll(cx));
        Poll::Ready(output.to_uppercase())
    }
}

/// Runs one version of the coroutine as a task and gives it the go signal
/// once it waits for it. Returns its result and how many polls it took.
async fn run_one<F>(make: impl FnOnce(Signal) -> F) -> (String, u32)
where
    F: Future<Output = String> + 'static,
{
    let go = Signal::default();
    let task = corio::spawn(make(go.clone()));
    let task_ref = task.task_ref();
    corio::yield_now().await; // the task runs up to `go.wait().await`
    println!("main: the task is {}; setting go", task_ref.state());
    go.set();
    let log = task.await.expect("the countdown returns");
    (log, task_ref.poll_count())
}

async fn lesson() {
    println!("== the async fn ==");
    let (by_compiler, polls_a) = run_one(|go| launch(3, go)).await;
    println!("result: {by_compiler:?}, in {polls_a} polls");

    println!();
    println!("== the hand-written state machine ==");
    let (by_hand, polls_b) = run_one(|go| Launch::new(3, go)).await;
    println!("result: {by_hand:?}, in {polls_b} polls");

    // Same result, and the same number of polls: one to reach `go`, one per
    // number, one to finish.
    assert_eq!(by_compiler, by_hand);
    assert_eq!(polls_a, polls_b);
    println!();
    println!("same result, same number of polls");

    println!();
    println!("== a hand-written future awaiting another one ==");
    let go = Signal::default();
    go.set(); // already set: the wait is ready at its first poll
    let loud = Uppercase(Launch::new(1, go)).await;
    println!("result: {loud:?}");
}

fn main() {
    support::args(include_str!("03_hand_written_future.rs"), "").done();
    corio::run(lesson());
}
