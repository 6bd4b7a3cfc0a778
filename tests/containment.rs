//! What happens when user code panics, anywhere (ARCHITECTURE.md's rule):
//! in a future's `Drop` after it returned, in an output's `Drop`, in a panic
//! payload's own `Drop`, in callbacks and their destructors, in timers left at
//! close, in a task handle's drop. Each test checks that the loop goes on,
//! that the thread-local current task is restored, and that nothing is
//! leaked — `.ci/run` runs this file under valgrind as well.
//!
//! Also here: `call_soon_threadsafe` on the loop's own thread (one FIFO with
//! `call_soon`) and awaiting a task away from its loop (a clear error).

use std::cell::{Cell, RefCell};
use std::future::{pending, Future};
use std::panic::{catch_unwind, panic_any, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use corio::{call_later, call_soon, current_task, spawn, yield_now, EventLoop, LoopHandle, Task};

/// A value whose destructor panics (with a plain string payload).
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// A panic payload whose own destructor panics: the payload escapes a naive
/// `catch_unwind` when it is dropped.
struct PayloadPanicsOnDrop;

impl Drop for PayloadPanicsOnDrop {
    fn drop(&mut self) {
        panic!("the payload's destructor panicked");
    }
}

/// A future that returns `output` at its first poll and whose own `Drop`
/// panics afterwards.
struct ReturnsThenPanicsOnDrop<T> {
    output: Option<T>,
}

impl<T: Unpin> Future for ReturnsThenPanicsOnDrop<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        Poll::Ready(self.output.take().expect("polled once"))
    }
}

impl<T> Drop for ReturnsThenPanicsOnDrop<T> {
    fn drop(&mut self) {
        panic!("the future's destructor panicked after it returned");
    }
}

/// Counts its own drop.
struct DropCounter(Rc<Cell<usize>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

#[test]
fn future_and_output_destructors_panicking_leave_no_current_task_behind() {
    let lp = EventLoop::new();
    let (outcome, sibling_ran) = lp.block_on(async {
        let task = spawn(ReturnsThenPanicsOnDrop {
            output: Some(PanicOnDrop("the output's destructor panicked")),
        });
        let sibling = spawn(async { 7 });
        let outcome = task.await;
        (outcome.map(|_| ()), sibling.await.unwrap())
    });
    let err = outcome.unwrap_err();
    assert_eq!(
        err.panic_message(),
        Some("the future's destructor panicked after it returned")
    );
    assert_eq!(sibling_ran, 7);
    assert!(current_task().is_none(), "the current task was restored");
    drop(lp);
    // Before the fix this read a freed header (valgrind: invalid read).
    assert!(current_task().is_none());
}

#[test]
fn a_detached_task_whose_output_and_payload_destructors_panic_is_contained() {
    let lp = EventLoop::new();
    let ran_after = lp.block_on(async {
        // Detached: its output is dropped by the loop, its panic payload too.
        drop(spawn(ReturnsThenPanicsOnDrop {
            output: Some(PanicOnDrop("output")),
        }));
        drop(spawn(async { panic_any(PayloadPanicsOnDrop) }));
        drop(spawn(async { PanicOnDrop("a detached output") }));
        for _ in 0..3 {
            yield_now().await;
        }
        spawn(async { "the loop goes on" }).await.unwrap()
    });
    assert_eq!(ran_after, "the loop goes on");
    assert!(current_task().is_none());
}

#[test]
fn a_poll_panic_followed_by_a_destructor_panic_reports_the_first() {
    struct PanicsTwice(#[allow(dead_code)] PanicOnDrop);
    impl Future for PanicsTwice {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
            panic!("first: the poll");
        }
    }
    let err = corio::run(async {
        spawn(PanicsTwice(PanicOnDrop("second: the destructor")))
            .await
            .unwrap_err()
    });
    assert_eq!(err.panic_message(), Some("first: the poll"));
}

#[test]
fn a_callback_panicking_with_a_payload_whose_drop_panics_is_contained() {
    let after = Rc::new(Cell::new(false));
    let a = after.clone();
    corio::run(async move {
        call_soon(|| panic_any(PayloadPanicsOnDrop));
        call_soon(move || a.set(true));
        yield_now().await;
        yield_now().await;
    });
    assert!(after.get(), "the next callback ran: the loop went on");
}

#[test]
fn a_done_callback_panicking_with_a_payload_whose_drop_panics_is_contained() {
    let value = corio::run(async {
        let task = spawn(async { 5 });
        task.add_done_callback(|_| panic_any(PayloadPanicsOnDrop));
        let v = task.await.unwrap();
        yield_now().await;
        yield_now().await;
        v
    });
    assert_eq!(value, 5);
}

#[test]
fn cancelling_a_callback_whose_closure_destructor_panics_is_contained() {
    corio::run(async {
        let guard = PanicOnDrop("the closure's captured value");
        let handle = call_soon(move || drop(guard));
        handle.cancel();
        assert!(handle.is_cancelled());
        yield_now().await;
    });
}

#[test]
fn a_timer_left_at_close_whose_callback_destructor_panics_is_contained() {
    let dropped = Rc::new(Cell::new(0));
    let d = dropped.clone();
    corio::run(async move {
        let guard = PanicOnDrop("a callback that never ran");
        let counter = DropCounter(d);
        call_later(Duration::from_secs(3600), move || drop((guard, counter)));
    });
    assert_eq!(dropped.get(), 1, "the closure was dropped at close, once");
}

#[test]
fn a_task_handle_dropped_while_its_output_destructor_panics_releases_the_task() {
    // Each leaked task header would keep its loop's shared part — and its
    // eventfd — alive: 50 loops would leave 50 more descriptors open.
    let before = open_fds();
    for _ in 0..50 {
        let lp = EventLoop::new();
        lp.block_on(async {
            let task = spawn(async { PanicOnDrop("an unread output") });
            yield_now().await;
            assert!(task.is_done());
            drop(task);
        });
        drop(lp);
    }
    let after = open_fds();
    assert!(
        after < before + 25,
        "descriptors grew from {before} to {after}: task headers leaked"
    );
}

#[test]
fn a_task_handle_dropped_unread_with_a_panicking_payload_destructor_is_contained() {
    corio::run(async {
        let task = spawn(async { panic_any(PayloadPanicsOnDrop) });
        yield_now().await;
        assert!(task.is_done());
        drop(task);
        spawn(async {}).await.unwrap();
    });
}

#[test]
fn a_foreign_waker_that_panics_when_woken_by_a_timer_is_contained() {
    struct PanickingWake;
    impl std::task::Wake for PanickingWake {
        fn wake(self: std::sync::Arc<Self>) {
            panic!("a foreign waker panicked");
        }
    }
    let done = corio::run(async {
        // A hand-written future polls a corio `Sleep` with its own waker.
        let mut sleep = Box::pin(corio::time::sleep(Duration::from_millis(5)));
        let waker = Waker::from(std::sync::Arc::new(PanickingWake));
        assert!(sleep
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        corio::time::sleep(Duration::from_millis(20)).await;
        "the loop went on"
    });
    assert_eq!(done, "the loop went on");
}

#[test]
fn call_soon_threadsafe_on_the_loops_own_thread_joins_the_call_soon_fifo() {
    let order = corio::run(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let handle = LoopHandle::current();
        let (tx, rx) = std::sync::mpsc::channel();
        let l = log.clone();
        call_soon(move || l.borrow_mut().push("call_soon 1"));
        handle
            .call_soon_threadsafe(move || tx.send("threadsafe").unwrap())
            .unwrap();
        let l = log.clone();
        call_soon(move || l.borrow_mut().push("call_soon 2"));
        let l = log.clone();
        // Runs after the three above, in the same iteration as they do.
        call_soon(move || {
            let got = rx.try_recv().unwrap_or("not yet");
            l.borrow_mut().push(got);
        });
        yield_now().await;
        let got = log.borrow().clone();
        got
    });
    assert_eq!(order, ["call_soon 1", "call_soon 2", "threadsafe"]);
}

#[test]
#[allow(clippy::async_yields_async)] // the task is handed out on purpose
fn awaiting_a_task_on_a_different_loop_fails_at_once() {
    let first = EventLoop::new();
    let task: Task<()> = first.block_on(async { spawn(pending()) });
    let second = EventLoop::new();
    let err = catch_unwind(AssertUnwindSafe(|| second.block_on(task))).unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("attached to a different loop") && msg.contains("on a different corio loop"),
        "{msg}"
    );
}

#[test]
#[allow(clippy::async_yields_async)] // the task is handed out on purpose
fn polling_a_pending_task_outside_any_loop_fails_at_once() {
    let lp = EventLoop::new();
    let mut task: Task<()> = lp.block_on(async { spawn(pending()) });
    let mut cx = Context::from_waker(Waker::noop());
    let err = catch_unwind(AssertUnwindSafe(|| Pin::new(&mut task).poll(&mut cx))).unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("outside any running corio loop"), "{msg}");
    // A finished task can still be read anywhere.
    let mut done: Task<u8> = lp.block_on(async {
        let t = spawn(async { 3 });
        yield_now().await;
        t
    });
    assert!(matches!(
        Pin::new(&mut done).poll(&mut cx),
        Poll::Ready(Ok(3))
    ));
}
