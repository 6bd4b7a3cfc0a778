//! The event loop from the outside: the run-once cycle (`call_soon` order and
//! iteration boundaries), `stop` / `run_forever`, `block_on`, `corio::run` and
//! what closing a loop does to the tasks still on it.
//!
//! ASYNCIO_SPEC.md behaviours 2 and 44 are the tests named `b02_…` and `b44_…`.
//! Lifecycle claims ("the future was dropped") are checked with drop counters
//! moved into the futures, never by timing.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::time::Duration;

use corio::{call_soon, spawn, yield_now, EventLoop};

/// Counts its own drop: moved into a future, it proves the future was dropped.
struct DropCounter(Rc<Cell<usize>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A log the callbacks and tasks of one test append to.
type Log<T> = Rc<RefCell<Vec<T>>>;

fn new_log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

/// The text of a caught panic.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string payload>".to_string())
}

/// Runs `f` on a fresh thread and fails, instead of hanging the test run, if it
/// has not finished after a generous minute (a loop that blocks forever).
fn finishes<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(value) => {
            worker.join().expect("the worker thread finished");
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => unreachable!("the worker sends before it returns"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the event loop did not return within 60 s"),
    }
}

// ----- behaviour 2: call_soon order and iteration boundaries -----

#[test]
fn b02_call_soon_callbacks_run_fifo() {
    let log = new_log();
    let l = log.clone();
    corio::run(async move {
        for i in 0..100 {
            let l = l.clone();
            call_soon(move || l.borrow_mut().push(i));
        }
        assert!(
            l.borrow().is_empty(),
            "call_soon never runs the callback inline"
        );
        yield_now().await;
    });
    assert_eq!(*log.borrow(), (0..100).collect::<Vec<_>>());
}

#[test]
fn b02_call_soon_callbacks_and_task_steps_share_one_fifo() {
    let log = new_log();
    let l = log.clone();
    corio::run(async move {
        let (l1, l2, l3) = (l.clone(), l.clone(), l.clone());
        call_soon(move || l1.borrow_mut().push("callback 1"));
        let task = spawn(async move { l2.borrow_mut().push("task") });
        call_soon(move || l3.borrow_mut().push("callback 2"));
        task.await.unwrap();
    });
    assert_eq!(*log.borrow(), ["callback 1", "task", "callback 2"]);
}

#[test]
fn b02_a_callback_scheduled_by_a_callback_runs_in_the_next_iteration() {
    // Each callback stamps the loop's iteration counter when it runs.
    let lp = Rc::new(EventLoop::new());
    let stamps: Log<(&'static str, u64)> = new_log();
    lp.block_on(async {
        let (lp_a, s_a) = (lp.clone(), stamps.clone());
        call_soon(move || {
            s_a.borrow_mut().push(("a", lp_a.stats().iterations));
            let (lp_c, s_c) = (lp_a.clone(), s_a.clone());
            call_soon(move || s_c.borrow_mut().push(("c", lp_c.stats().iterations)));
        });
        let (lp_b, s_b) = (lp.clone(), stamps.clone());
        call_soon(move || s_b.borrow_mut().push(("b", lp_b.stats().iterations)));
        for _ in 0..3 {
            yield_now().await;
        }
    });
    let stamps = stamps.borrow();
    let names: Vec<_> = stamps.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["a", "b", "c"]);
    let (a, b, c) = (stamps[0].1, stamps[1].1, stamps[2].1);
    assert_eq!(
        a, b,
        "a and b were ready together, so they share an iteration"
    );
    assert_eq!(
        c,
        a + 1,
        "c was scheduled while a ran, so it waits one iteration"
    );
}

#[test]
fn b02_stop_proves_a_callback_scheduled_by_a_callback_waits_for_the_next_iteration() {
    let lp = EventLoop::new();
    let log = new_log();
    // The main future schedules `a` and returns; `a` is left in the ready queue.
    lp.block_on(async {
        let l = log.clone();
        call_soon(move || {
            l.borrow_mut().push("a");
            let l = l.clone();
            call_soon(move || l.borrow_mut().push("c"));
        });
    });
    assert!(log.borrow().is_empty());

    let before = lp.stats().iterations;
    lp.stop();
    lp.run_forever(); // exactly one iteration: `a` runs, `c` is only queued
    assert_eq!(lp.stats().iterations, before + 1);
    assert_eq!(*log.borrow(), ["a"]);

    lp.stop();
    lp.run_forever();
    assert_eq!(lp.stats().iterations, before + 2);
    assert_eq!(*log.borrow(), ["a", "c"]);
}

// ----- stop / run_forever -----

#[test]
fn stop_before_run_forever_gives_exactly_one_iteration_without_parking() {
    // Nothing is ready: if the stop did not force a zero timeout, the loop
    // would block in the OS poll forever and `finishes` would fail.
    let stats = finishes(|| {
        let lp = EventLoop::new();
        lp.stop();
        lp.run_forever();
        lp.stats()
    });
    assert_eq!(stats.iterations, 1);
    assert_eq!(stats.parks, 0);
}

#[test]
fn stop_lets_the_current_iteration_finish() {
    let lp = Rc::new(EventLoop::new());
    let log = new_log();
    lp.block_on(async {
        let (lp2, l1, l2) = (lp.clone(), log.clone(), log.clone());
        call_soon(move || {
            l1.borrow_mut().push("stopper");
            lp2.stop();
        });
        call_soon(move || l2.borrow_mut().push("same batch"));
    });
    let before = lp.stats().iterations;
    lp.run_forever(); // returns after the iteration in which stop() was called
    assert_eq!(lp.stats().iterations, before + 1);
    assert_eq!(*log.borrow(), ["stopper", "same batch"]);
}

#[test]
fn a_stop_is_consumed_by_the_run_forever_it_stopped() {
    let lp = Rc::new(EventLoop::new());
    let runs = Rc::new(Cell::new(0));
    lp.stop();
    lp.run_forever();
    // A second stop/run_forever pair again gives exactly one iteration; a
    // callback that stops the loop from inside works as well.
    let (lp2, r) = (lp.clone(), runs.clone());
    lp.block_on(async move {
        call_soon(move || {
            r.set(r.get() + 1);
            lp2.stop();
        });
    });
    lp.run_forever();
    assert_eq!(runs.get(), 1);
    assert_eq!(lp.stats().iterations, 3);
}

// ----- block_on -----

#[test]
fn block_on_of_a_running_loop_panics_with_a_message() {
    let lp = EventLoop::new();
    let inner_ran = Cell::new(false);
    let msg = lp.block_on(async {
        let nested = catch_unwind(AssertUnwindSafe(|| {
            lp.block_on(async { inner_ran.set(true) })
        }));
        panic_message(&*nested.expect_err("a nested block_on must panic"))
    });
    assert!(!inner_ran.get(), "the nested future must never run");
    assert!(msg.contains("inside a running corio loop"), "{msg}");
    assert!(msg.contains(".await") && msg.contains("spawn"), "{msg}");
    // The loop is still usable afterwards.
    assert_eq!(lp.block_on(async { spawn(async { 5 }).await.unwrap() }), 5);
}

#[test]
fn starting_any_other_loop_inside_a_running_loop_panics() {
    let outer = EventLoop::new();
    let other = EventLoop::new();
    outer.block_on(async {
        let block_on = catch_unwind(AssertUnwindSafe(|| other.block_on(async {})));
        assert!(
            block_on.is_err(),
            "block_on of another loop on the same thread"
        );
        let forever = catch_unwind(AssertUnwindSafe(|| other.run_forever()));
        assert!(
            forever.is_err(),
            "run_forever of another loop on the same thread"
        );
        let own = catch_unwind(AssertUnwindSafe(|| outer.run_forever()));
        assert!(own.is_err(), "run_forever of the running loop itself");
    });
    // Neither loop was left marked as running.
    assert_eq!(other.block_on(async { 1 }), 1);
    assert_eq!(outer.block_on(async { 2 }), 2);
}

#[test]
fn block_on_accepts_a_future_borrowing_a_local() {
    let lp = EventLoop::new();
    let mut words = vec!["borrowed".to_string()];
    let count = lp.block_on(async {
        yield_now().await;
        words.push("mutably".to_string());
        words.len()
    });
    assert_eq!(count, 2);
    assert_eq!(words, ["borrowed", "mutably"]);
}

#[test]
fn tasks_left_after_block_on_stay_and_continue_on_the_next_block_on() {
    let lp = EventLoop::new();
    let steps = Rc::new(Cell::new(0));
    let s = steps.clone();
    let mut left = None;
    lp.block_on(async {
        left = Some(spawn(async move {
            for _ in 0..5 {
                s.set(s.get() + 1);
                yield_now().await;
            }
            "finished"
        }));
    });
    let task = left.expect("the main future ran");
    assert!(!task.is_done());
    let before = steps.get();
    assert!(
        before < 5,
        "block_on returned as soon as its own future was done"
    );
    assert_eq!(lp.dump().matches("1 task(s) not done").count(), 1);
    assert_eq!(lp.block_on(task).unwrap(), "finished");
    assert_eq!(steps.get(), 5);
}

#[test]
fn block_on_reraises_the_future_panic_and_the_loop_stays_usable() {
    let lp = EventLoop::new();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        lp.block_on(async {
            yield_now().await;
            panic!("main future failed");
        })
    }));
    let msg = panic_message(&*caught.expect_err("the panic is re-raised"));
    assert_eq!(msg, "main future failed");
    assert_eq!(lp.block_on(async { spawn(async { 3 }).await.unwrap() }), 3);
}

#[test]
fn block_on_with_a_stop_pending_panics_and_drops_its_future() {
    let lp = EventLoop::new();
    let drops = Rc::new(Cell::new(0));
    let guard = DropCounter(drops.clone());
    lp.stop();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        lp.block_on(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        })
    }));
    let msg = panic_message(&*caught.expect_err("stopped before the future completed"));
    assert!(msg.contains("stopped"), "{msg}");
    assert_eq!(
        drops.get(),
        1,
        "block_on drops its future before it unwinds"
    );
    assert_eq!(lp.block_on(async { 4 }), 4);
}

// ----- callbacks that panic -----

#[test]
fn a_panicking_callback_is_contained_and_the_next_callbacks_run() {
    let lp = EventLoop::new();
    let log = new_log();
    lp.block_on(async {
        let (l1, l3) = (log.clone(), log.clone());
        call_soon(move || l1.borrow_mut().push(1));
        call_soon(|| panic!("callback failure"));
        call_soon(move || l3.borrow_mut().push(3));
        yield_now().await;
        let after = spawn(async { "tasks still run" });
        assert_eq!(after.await.unwrap(), "tasks still run");
    });
    assert_eq!(*log.borrow(), [1, 3]);
    assert_eq!(lp.stats().callbacks_run, 3);
}

// ----- the builder -----

#[test]
fn builder_rejects_an_event_interval_of_zero() {
    let err = EventLoop::builder().event_interval(0).build().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn builder_with_an_event_interval_of_one_runs_tasks() {
    let lp = EventLoop::builder()
        .event_interval(1)
        .debug(false)
        .build()
        .unwrap();
    let sum = lp.block_on(async {
        let tasks: Vec<_> = (1..=10).map(|i| spawn(async move { i })).collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 55);
}

// ----- closing: EventLoop drop and corio::run (behaviour 44) -----

#[test]
fn dropping_an_event_loop_cancels_and_drops_its_pending_tasks() {
    let lp = EventLoop::new();
    let drops = Rc::new(Cell::new(0));
    let resumed = Rc::new(Cell::new(false));
    let (waiting, never_polled) = lp.block_on(async {
        let (g, r) = (DropCounter(drops.clone()), resumed.clone());
        let waiting = spawn(async move {
            let _guard = g;
            std::future::pending::<()>().await;
            r.set(true);
        });
        yield_now().await; // `waiting` starts and blocks
        let g = DropCounter(drops.clone());
        let never_polled = spawn(async move {
            let _guard = g;
        });
        (waiting, never_polled)
    });
    assert_eq!(drops.get(), 0, "block_on leaves pending tasks alive");
    let handle = lp.handle();
    drop(lp);
    assert_eq!(
        drops.get(),
        2,
        "both futures were dropped when the loop closed"
    );
    assert!(!resumed.get());
    assert!(handle.is_closed());
    // The handles outlive the loop and report the cancellation.
    for mut task in [waiting, never_polled] {
        assert!(task.is_done() && task.is_cancelled());
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let outcome = Pin::new(&mut task).poll(&mut cx);
        assert!(matches!(outcome, Poll::Ready(Err(ref e)) if e.is_cancelled()));
    }
}

#[test]
fn b44_run_cancels_and_drops_leftover_tasks() {
    let drops = Rc::new(Cell::new(0));
    let resumed = Rc::new(Cell::new(false));
    let started_late = Rc::new(Cell::new(false));
    let done_callback_saw: Rc<Cell<Option<bool>>> = Rc::new(Cell::new(None));
    let value = corio::run(async {
        let (g, r) = (DropCounter(drops.clone()), resumed.clone());
        let waiting = spawn(async move {
            let _guard = g;
            std::future::pending::<()>().await;
            r.set(true);
        });
        let g = DropCounter(drops.clone());
        let busy = spawn(async move {
            let _guard = g;
            loop {
                yield_now().await;
            }
        });
        yield_now().await; // both are running now
        let (g, s) = (DropCounter(drops.clone()), started_late.clone());
        spawn(async move {
            let _guard = g;
            s.set(true);
        });
        let saw = done_callback_saw.clone();
        waiting.add_done_callback(move |t| saw.set(Some(t.is_cancelled())));
        assert_eq!(corio::all_tasks().len(), 4);
        drop(busy);
        42
    });
    assert_eq!(value, 42);
    assert_eq!(drops.get(), 3, "every leftover future was dropped");
    assert!(!resumed.get(), "a cancelled task never resumes");
    assert!(
        !started_late.get(),
        "a task that never started never starts"
    );
    assert_eq!(
        done_callback_saw.get(),
        Some(true),
        "run() lets the done-callbacks of cancelled tasks run before closing"
    );
}

#[test]
fn b44_run_reraises_the_main_panic_after_dropping_leftover_tasks() {
    let drops = Rc::new(Cell::new(0));
    let d = drops.clone();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        corio::run(async move {
            let g = DropCounter(d);
            spawn(async move {
                let _guard = g;
                std::future::pending::<()>().await;
            });
            yield_now().await;
            panic!("main failed");
        })
    }));
    assert_eq!(panic_message(&*caught.unwrap_err()), "main failed");
    assert_eq!(drops.get(), 1);
}

#[test]
fn b44_nested_run_is_refused_with_a_message_saying_what_to_do() {
    let inner_ran = Rc::new(Cell::new(false));
    let flag = inner_ran.clone();
    let msg = corio::run(async move {
        let nested = catch_unwind(AssertUnwindSafe(|| {
            corio::run(async move { flag.set(true) })
        }));
        let msg = panic_message(&*nested.expect_err("a nested corio::run must panic"));
        // The outer loop is unharmed: it still spawns and runs tasks.
        assert_eq!(spawn(async { 2 }).await.unwrap(), 2);
        assert!(corio::current_task().is_some());
        msg
    });
    assert!(!inner_ran.get(), "the nested future must never run");
    assert!(
        msg.contains(".await"),
        "the message says to await instead: {msg}"
    );
    assert!(
        msg.contains("spawn"),
        "the message says to spawn instead: {msg}"
    );
}

#[test]
fn a_task_spawned_by_a_destructor_while_the_loop_closes_never_runs() {
    struct SpawnOnDrop(Rc<Cell<bool>>, Rc<Cell<usize>>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let (ran, g) = (self.0.clone(), DropCounter(self.1.clone()));
            spawn(async move {
                let _guard = g;
                ran.set(true);
            });
        }
    }
    let ran = Rc::new(Cell::new(false));
    let drops = Rc::new(Cell::new(0));
    let guard = SpawnOnDrop(ran.clone(), drops.clone());
    corio::run(async move {
        spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        yield_now().await;
    });
    assert!(
        !ran.get(),
        "a task born while closing is cancelled before it starts"
    );
    assert_eq!(drops.get(), 1, "and its future is dropped");
}

#[test]
fn call_soon_and_loop_handle_current_outside_a_loop_panic() {
    let caught = catch_unwind(|| {
        call_soon(|| {});
    });
    let msg = panic_message(&*caught.unwrap_err());
    assert!(msg.contains("call_soon_threadsafe"), "{msg}");
    assert!(catch_unwind(corio::LoopHandle::current).is_err());
}
