//! Tasks from the outside: spawn order, cancellation, done-callbacks,
//! introspection (`current_task`, `all_tasks`, `TaskRef`, the dump), panics,
//! detaching, and a large burst of tasks.
//!
//! ASYNCIO_SPEC.md behaviours 1 and 4–10 are the tests named `b01_…` to `b10_…`.
//! Assertions that matter are made in the main future (whose panic `corio::run`
//! re-raises) or on values a task returns, never inside a detached task or a
//! callback, where a failed assertion would be contained by the loop.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::{pending, poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use corio::task::Builder;
use corio::{
    all_tasks, call_soon, current_task, spawn, yield_now, EventLoop, Task, TaskError, TaskId,
    TaskState,
};

/// Counts its own drop: moved into a future, it proves the future was dropped.
struct DropCounter(Rc<Cell<usize>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

fn counter() -> Rc<Cell<usize>> {
    Rc::new(Cell::new(0))
}

/// A log the callbacks and tasks of one test append to.
type Log<T> = Rc<RefCell<Vec<T>>>;

fn new_log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

/// A one-shot gate: tasks wait on it until the test opens it.
#[derive(Clone, Default)]
struct Gate {
    open: Rc<Cell<bool>>,
    waiters: Rc<RefCell<Vec<Waker>>>,
}

impl Gate {
    fn open(&self) {
        self.open.set(true);
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for w in waiters {
            w.wake();
        }
    }

    fn wait(&self) -> impl Future<Output = ()> + '_ {
        poll_fn(move |cx| {
            if self.open.get() {
                Poll::Ready(())
            } else {
                self.waiters.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

/// The text of a caught panic.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string payload>".to_string())
}

// ----- behaviour 1 -----

#[test]
fn b01_tasks_start_in_creation_order_none_runs_inside_spawn() {
    let log = new_log();
    corio::run(async {
        let mut tasks = Vec::new();
        for i in 0..5 {
            let l = log.clone();
            tasks.push(spawn(async move { l.borrow_mut().push(i) }));
            assert!(log.borrow().is_empty(), "task {i} ran inside spawn");
        }
        yield_now().await;
        assert_eq!(
            *log.borrow(),
            [0, 1, 2, 3, 4],
            "all started, in creation order"
        );
        for t in tasks {
            t.await.unwrap();
        }
    });
}

#[test]
fn b01_a_task_spawned_by_a_task_starts_behind_those_already_queued() {
    let log = new_log();
    corio::run(async {
        let (la, lb, lc) = (log.clone(), log.clone(), log.clone());
        let a = spawn(async move {
            la.borrow_mut().push("a");
            let c = spawn(async move { lc.borrow_mut().push("c") });
            la.borrow_mut().push("a spawned c");
            c.await.unwrap();
        });
        let b = spawn(async move { lb.borrow_mut().push("b") });
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(*log.borrow(), ["a", "a spawned c", "b", "c"]);
}

// ----- behaviour 4 -----

#[test]
fn b04_cancel_before_first_poll_body_never_runs_result_is_cancelled() {
    let ran = Rc::new(Cell::new(false));
    let drops = counter();
    corio::run(async {
        let (r, g) = (ran.clone(), DropCounter(drops.clone()));
        let task = spawn(async move {
            let _guard = g;
            r.set(true);
            1
        });
        let task_ref = task.task_ref();
        assert!(task.cancel(), "cancelling a pending task returns true");
        assert_eq!(task_ref.state(), TaskState::Cancelling);
        let err = task.await.unwrap_err();
        assert!(matches!(err, TaskError::Cancelled(None)), "{err:?}");
        assert_eq!(task_ref.poll_count(), 0);
        assert_eq!(task_ref.state(), TaskState::Cancelled);
        assert!(task_ref.is_cancelled());
    });
    assert!(
        !ran.get(),
        "the body of a task cancelled before its first poll never runs"
    );
    assert_eq!(drops.get(), 1, "its future was dropped");
}

// ----- behaviour 5 -----

#[test]
fn b05_cancel_of_a_done_task_returns_false_and_keeps_its_result() {
    corio::run(async {
        let task = spawn(async { 7 });
        yield_now().await;
        assert!(task.is_done());
        assert!(!task.cancel());
        assert!(!task.cancel_with("too late"));
        assert!(!task.task_ref().cancel());
        assert!(!task.is_cancelled());
        assert_eq!(task.task_ref().state(), TaskState::Done);
        assert_eq!(task.await.unwrap(), 7);
    });
}

#[test]
fn cancel_of_a_cancelled_or_panicked_task_returns_false_and_keeps_its_outcome() {
    corio::run(async {
        let cancelled = spawn(pending::<()>());
        cancelled.cancel_with("first");
        let panicked = spawn(async { panic!("kept") });
        yield_now().await;
        assert!(cancelled.is_done() && panicked.is_done());
        assert!(!cancelled.cancel_with("second"));
        assert!(!panicked.cancel_with("not a cancellation"));
        let err = cancelled.await.unwrap_err();
        assert!(
            matches!(err, TaskError::Cancelled(Some(ref m)) if m == "first"),
            "{err:?}"
        );
        let err = panicked.await.unwrap_err();
        assert_eq!(err.panic_message(), Some("kept"));
    });
}

// ----- behaviour 6 -----

#[test]
fn b06_cancel_with_a_message_the_message_reaches_the_waiter() {
    corio::run(async {
        let target = spawn(pending::<u32>());
        let target_ref = target.task_ref();
        let waiter = spawn(target); // a second task awaits the first
        yield_now().await; // both are waiting now
        assert_eq!(target_ref.state(), TaskState::Waiting);
        assert!(target_ref.cancel_with("shutting down"));
        let err = waiter.await.unwrap().unwrap_err();
        assert!(
            matches!(err, TaskError::Cancelled(Some(ref m)) if m == "shutting down"),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "task was cancelled: shutting down");

        let direct = spawn(pending::<()>());
        assert!(direct.cancel_with("direct"));
        let err = direct.await.unwrap_err();
        assert!(matches!(err, TaskError::Cancelled(Some(ref m)) if m == "direct"));
    });
}

// ----- cancellation of running tasks -----

#[test]
fn cancel_while_pending_drops_the_future_and_the_waiter_gets_cancelled() {
    let drops = counter();
    let resumed = Rc::new(Cell::new(false));
    corio::run(async {
        let (g, r) = (DropCounter(drops.clone()), resumed.clone());
        let target = spawn(async move {
            let _guard = g;
            pending::<()>().await;
            r.set(true);
        });
        let target_ref = target.task_ref();
        let waiter = spawn(target); // a second task awaits the first
        yield_now().await;
        assert_eq!(target_ref.state(), TaskState::Waiting);
        assert_eq!(drops.get(), 0);
        assert!(target_ref.cancel());
        assert_eq!(target_ref.state(), TaskState::Cancelling);
        let err = waiter.await.unwrap().unwrap_err();
        assert!(matches!(err, TaskError::Cancelled(None)), "{err:?}");
        assert_eq!(drops.get(), 1, "the future was dropped");
        assert!(target_ref.is_cancelled());
        assert_eq!(target_ref.poll_count(), 1);
    });
    assert!(!resumed.get());
}

#[test]
fn a_task_cancelling_itself_ends_at_its_next_await() {
    let drops = counter();
    let after = Rc::new(Cell::new(false));
    corio::run(async {
        let (g, a) = (DropCounter(drops.clone()), after.clone());
        let task = spawn(async move {
            let _guard = g;
            let me = current_task().expect("inside a task");
            assert!(me.cancel_with("my own choice"));
            yield_now().await;
            a.set(true);
        });
        let task_ref = task.task_ref();
        let err = task.await.unwrap_err();
        assert!(
            matches!(err, TaskError::Cancelled(Some(ref m)) if m == "my own choice"),
            "{err:?}"
        );
        assert_eq!(task_ref.poll_count(), 1);
    });
    assert!(!after.get(), "nothing after the await ran");
    assert_eq!(drops.get(), 1);
}

// ----- behaviour 7 -----

#[test]
fn b07_a_done_callback_added_after_completion_runs_via_call_soon_not_inline() {
    let log = new_log();
    corio::run(async {
        let task = spawn(async { 1 });
        yield_now().await;
        assert!(task.is_done());
        let l = log.clone();
        call_soon(move || l.borrow_mut().push("scheduled earlier".to_string()));
        let (l, id) = (log.clone(), task.id());
        task.add_done_callback(move |t| {
            let me = current_task().map(|c| c.id());
            l.borrow_mut()
                .push(format!("done {} {}", t.id() == id, me.is_none()));
        });
        assert!(log.borrow().is_empty(), "the callback was called inline");
        yield_now().await;
        assert_eq!(*log.borrow(), ["scheduled earlier", "done true true"]);
        assert_eq!(task.await.unwrap(), 1);
    });
}

// ----- behaviour 8 -----

#[test]
fn b08_done_callbacks_run_in_registration_order_remove_done_callback_prevents_one() {
    let log = new_log();
    corio::run(async {
        let task = spawn(async { yield_now().await });
        let mut ids = Vec::new();
        for i in 1..=4 {
            let l = log.clone();
            ids.push(task.add_done_callback(move |_| l.borrow_mut().push(i)));
        }
        assert_eq!(task.remove_done_callback(ids[1]), 1);
        assert_eq!(task.remove_done_callback(ids[1]), 0, "removed once only");
        let task_ref = task.task_ref();
        task.await.unwrap();
        for _ in 0..2 {
            yield_now().await;
        }
        assert!(task_ref.is_done());
    });
    assert_eq!(*log.borrow(), [1, 3, 4]);
}

#[test]
fn done_callbacks_are_scheduled_at_completion_behind_what_the_body_scheduled() {
    let log = new_log();
    corio::run(async {
        let l = log.clone();
        let task = spawn(async move {
            let l2 = l.clone();
            call_soon(move || l2.borrow_mut().push("body's callback".to_string()));
        });
        let l = log.clone();
        task.add_done_callback(move |t| l.borrow_mut().push(format!("done: {}", t.state())));
        let cancelled = spawn(pending::<()>());
        let l = log.clone();
        cancelled.add_done_callback(move |t| l.borrow_mut().push(format!("done: {}", t.state())));
        let panicked = spawn(async { panic!("for the callback") });
        let l = log.clone();
        panicked.add_done_callback(move |t| l.borrow_mut().push(format!("done: {}", t.state())));
        cancelled.cancel();
        for _ in 0..3 {
            yield_now().await;
        }
        assert!(panicked.await.is_err());
    });
    assert_eq!(
        *log.borrow(),
        [
            "body's callback",
            "done: Done",
            "done: Cancelled",
            "done: Panicked"
        ]
    );
}

#[test]
fn remove_done_callback_after_completion_removes_nothing() {
    let ran = Rc::new(Cell::new(false));
    corio::run(async {
        let task = spawn(async {});
        let r = ran.clone();
        let id = task.add_done_callback(move |_| r.set(true));
        yield_now().await; // completes: the callback is now scheduled
        assert!(task.is_done());
        assert_eq!(task.remove_done_callback(id), 0);
        yield_now().await;
    });
    assert!(ran.get());
}

// ----- behaviour 9 -----

#[test]
fn b09_current_task_is_none_outside_tasks_and_in_plain_callbacks() {
    assert!(current_task().is_none(), "outside any loop");
    let seen: Log<(&'static str, Option<TaskId>)> = new_log();
    let lp = EventLoop::new();
    let (tx, rx) = std::sync::mpsc::channel();
    lp.handle()
        .call_soon_threadsafe(move || tx.send(current_task().is_none()).unwrap())
        .unwrap();
    let (main_id, child_id) = lp.block_on(async {
        let main_id = current_task()
            .expect("block_on runs its future as a task")
            .id();
        let s = seen.clone();
        call_soon(move || {
            s.borrow_mut()
                .push(("call_soon", current_task().map(|t| t.id())))
        });
        let child = spawn(async { current_task().map(|t| t.id()) });
        let s = seen.clone();
        child.add_done_callback(move |_| {
            s.borrow_mut()
                .push(("done callback", current_task().map(|t| t.id())))
        });
        let child_id = child.id();
        assert_eq!(child.await.unwrap(), Some(child_id));
        assert_eq!(current_task().map(|t| t.id()), Some(main_id));
        yield_now().await;
        (main_id, child_id)
    });
    assert_ne!(main_id, child_id);
    assert_eq!(
        *seen.borrow(),
        [("call_soon", None), ("done callback", None)]
    );
    assert!(
        rx.recv().unwrap(),
        "a call_soon_threadsafe callback has no current task"
    );
    assert!(current_task().is_none(), "after the loop returned");
}

// ----- behaviour 10 -----

#[test]
fn b10_all_tasks_excludes_finished_tasks() {
    assert!(all_tasks().is_empty(), "outside a loop");
    corio::run(async {
        let returned = spawn(async {});
        let cancelled = spawn(pending::<()>());
        cancelled.cancel();
        let panicked = spawn(async { panic!("b10") });
        let alive = spawn(pending::<()>());
        let refs = [
            returned.task_ref(),
            cancelled.task_ref(),
            panicked.task_ref(),
        ];
        assert_eq!(all_tasks().len(), 5, "main and four pending tasks");
        yield_now().await;
        let all = all_tasks();
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all.contains(&alive.task_ref()));
        assert!(all.contains(&current_task().unwrap()));
        for finished in &refs {
            assert!(finished.is_done());
            assert!(!all.contains(finished), "{finished:?}");
        }
        alive.cancel();
        yield_now().await;
        assert_eq!(all_tasks(), [current_task().unwrap()]);
    });
}

// ----- panics -----

#[test]
fn a_panicking_task_is_isolated_the_waiter_gets_the_message_and_siblings_go_on() {
    corio::run(async {
        let sibling = spawn(async {
            for _ in 0..3 {
                yield_now().await;
            }
            "sibling done"
        });
        let failing = spawn(async {
            yield_now().await;
            panic!("boom {}", 42);
        });
        let failing_ref = failing.task_ref();
        let waiter = spawn(failing); // a task that awaits the failing one
        let err = waiter.await.unwrap().unwrap_err();
        assert!(err.is_panic() && !err.is_cancelled());
        assert_eq!(err.panic_message(), Some("boom 42"));
        assert_eq!(err.to_string(), "task panicked: boom 42");
        assert!(matches!(err, TaskError::Panicked(_)));
        assert_eq!(failing_ref.state(), TaskState::Panicked);
        assert_eq!(sibling.await.unwrap(), "sibling done");
        assert_eq!(spawn(async { 1 }).await.unwrap(), 1, "the loop goes on");
    });
}

#[test]
fn a_future_whose_destructor_panics_while_cancelled_ends_panicked() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("destructor failed");
        }
    }
    corio::run(async {
        let task = spawn(async {
            let _bomb = PanicOnDrop;
            pending::<()>().await;
        });
        yield_now().await;
        assert!(task.cancel());
        let err = task.await.unwrap_err();
        assert_eq!(err.panic_message(), Some("destructor failed"));
        assert_eq!(spawn(async { 2 }).await.unwrap(), 2);
    });
}

// ----- the handle -----

/// Polls a `&mut Task` to completion, then polls it once more under
/// `catch_unwind`, and returns both results.
struct PollTwice<T> {
    task: Task<T>,
}

impl<T> Future for PollTwice<T> {
    type Output = (Result<T, TaskError>, Result<(), String>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let first = match Pin::new(&mut this.task).poll(cx) {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => return Poll::Pending,
        };
        let second = catch_unwind(AssertUnwindSafe(|| {
            let _ = Pin::new(&mut this.task).poll(cx);
        }))
        .map_err(|payload| panic_message(&*payload));
        Poll::Ready((first, second))
    }
}

#[test]
fn polling_a_task_again_after_it_returned_panics_with_a_clear_message() {
    let (first, second) = corio::run(async {
        let task = Builder::new().name("once").spawn(async { 5 });
        PollTwice { task }.await
    });
    assert_eq!(first.unwrap(), 5);
    let msg = second.expect_err("the second poll must panic");
    assert!(msg.contains("polled after it returned its result"), "{msg}");
    assert!(msg.contains("once"), "the message names the task: {msg}");
}

#[test]
fn dropping_a_task_handle_detaches_it_and_it_runs_to_completion() {
    let finished = Rc::new(Cell::new(false));
    let output_drops = counter();
    corio::run(async {
        let (f, output) = (finished.clone(), DropCounter(output_drops.clone()));
        let task = spawn(async move {
            for _ in 0..3 {
                yield_now().await;
            }
            f.set(true);
            output
        });
        let task_ref = task.task_ref();
        drop(task);
        while !task_ref.is_done() {
            yield_now().await;
        }
        assert_eq!(task_ref.state(), TaskState::Done);
    });
    assert!(finished.get(), "the detached task ran to completion");
    assert_eq!(output_drops.get(), 1, "its unread output was dropped");
}

#[test]
fn task_names_default_builder_and_set_name() {
    corio::run(async {
        let main = current_task().unwrap();
        assert_eq!(main.name(), format!("Task-{}", main.id()));
        let plain = spawn(async {});
        assert_eq!(plain.name(), format!("Task-{}", plain.id()));
        assert_eq!(plain.task_ref().name(), plain.name());
        assert!(plain.id() > main.id(), "ids count up within a loop");
        assert_eq!(plain.id().to_string(), plain.id().as_u32().to_string());

        let named = Builder::new()
            .name("fetcher")
            .spawn(async { current_task().unwrap().name() });
        assert_eq!(named.name(), "fetcher");
        named.set_name("renamed");
        assert_eq!(named.name(), "renamed");
        assert_eq!(named.task_ref().name(), "renamed");
        let plain_ref = plain.task_ref();
        plain.set_name("given later");
        assert_eq!(plain_ref.name(), "given later");
        assert_eq!(
            named.await.unwrap(),
            "renamed",
            "the task sees its new name"
        );
        plain.await.unwrap();
        assert_eq!(
            plain_ref.name(),
            "given later",
            "a finished task keeps its name"
        );
    });
}

// ----- introspection -----

#[test]
fn task_ref_state_transitions_and_poll_count() {
    corio::run(async {
        let gate = Gate::default();
        let g = gate.clone();
        let task = spawn(async move {
            let seen = current_task().unwrap().state();
            g.wait().await;
            seen
        });
        let r = task.task_ref();
        assert_eq!((r.state(), r.poll_count()), (TaskState::Ready, 0));
        yield_now().await;
        assert_eq!((r.state(), r.poll_count()), (TaskState::Waiting, 1));
        gate.open();
        assert_eq!(r.state(), TaskState::Ready, "woken: queued again");
        assert_eq!(
            task.await.unwrap(),
            TaskState::Running,
            "as seen from inside"
        );
        assert_eq!((r.state(), r.poll_count()), (TaskState::Done, 2));
        assert!(r.is_done() && !r.is_cancelled() && r.state().is_finished());

        let cancelled = spawn(pending::<()>());
        let r = cancelled.task_ref();
        yield_now().await;
        cancelled.cancel();
        assert_eq!(r.state(), TaskState::Cancelling);
        assert!(!r.state().is_finished());
        yield_now().await;
        assert_eq!(r.state(), TaskState::Cancelled);
        assert!(r.is_cancelled() && r.is_done());

        let panicked = spawn(async { panic!("state") });
        let r = panicked.task_ref();
        yield_now().await;
        assert_eq!(r.state(), TaskState::Panicked);
        assert!(r.is_done() && !r.is_cancelled());
        assert_eq!(r.state().to_string(), "Panicked");
    });
}

#[test]
fn spawned_at_names_the_line_of_the_spawn_call() {
    let main_line = line!() + 1;
    let (main_at, spawn_line, spawn_at, builder_line, builder_at) = corio::run(async {
        let main_at = current_task().unwrap().spawned_at();
        let spawn_line = line!() + 1;
        let plain = spawn(async {});
        let builder_line = line!() + 1;
        let named = Builder::new().name("n").spawn(async {});
        let (plain_at, named_at) = (plain.task_ref().spawned_at(), named.task_ref().spawned_at());
        (main_at, spawn_line, plain_at, builder_line, named_at)
    });
    for at in [main_at, spawn_at, builder_at] {
        assert!(at.file().ends_with("tasks.rs"), "{at}");
    }
    assert_eq!(
        main_at.line(),
        main_line,
        "the main task: the corio::run call"
    );
    assert_eq!(spawn_at.line(), spawn_line);
    assert_eq!(builder_at.line(), builder_line);
}

#[test]
fn dump_lists_the_names_of_tasks_not_done() {
    let lp = EventLoop::new();
    let mut sleeper = None;
    lp.block_on(async {
        sleeper = Some(Builder::new().name("sleepy-worker").spawn(pending::<()>()));
    });
    let sleeper = sleeper.expect("the main future ran");
    let dump = lp.dump();
    assert!(dump.contains("sleepy-worker"), "{dump}");
    assert!(dump.contains("1 task(s) not done"), "{dump}");
    assert!(
        dump.contains("tasks.rs"),
        "the spawn site is listed: {dump}"
    );

    lp.block_on(async {
        let other = Builder::new().name("busy-bee").spawn(async {
            yield_now().await;
        });
        yield_now().await;
        let dump = lp.dump();
        assert!(dump.contains("sleepy-worker"), "{dump}");
        assert!(dump.contains("busy-bee"), "{dump}");
        let main_name = current_task().unwrap().name();
        assert!(dump.contains(&main_name), "{dump}");
        assert!(dump.contains("3 task(s) not done"), "{dump}");
        corio::dump_tasks(); // prints the same table; must not block or panic
        other.await.unwrap();
    });
    sleeper.cancel();
    lp.block_on(yield_now());
    let dump = lp.dump();
    assert!(!dump.contains("sleepy-worker"), "{dump}");
    assert!(dump.contains("0 task(s) not done"), "{dump}");
}

/// Issue 10: with debug mode off the dump printed `poll time 0.0ns`, a zero
/// that reads as a measurement. It now says the time is not measured, and in
/// debug mode shows the time measured.
#[test]
fn dump_says_poll_time_is_not_measured_when_debug_mode_is_off() {
    for debug in [false, true] {
        let lp = EventLoop::builder().debug(debug).build().unwrap();
        let mut worker = None;
        lp.block_on(async {
            let task = Builder::new().name("counted").spawn(async {
                yield_now().await;
                pending::<()>().await
            });
            yield_now().await;
            yield_now().await;
            worker = Some(task);
        });
        let dump = lp.dump();
        let row = dump
            .lines()
            .find(|line| line.contains("counted"))
            .unwrap_or_else(|| panic!("the task is listed: {dump}"));
        if debug {
            assert!(!row.contains("not measured"), "{dump}");
            assert!(!dump.contains("debug mode off"), "{dump}");
            assert!(
                row.contains("µs") || row.contains("ns") || row.contains("ms"),
                "debug mode shows the time measured: {dump}"
            );
        } else {
            assert!(row.contains("not measured"), "{dump}");
            assert!(!row.contains("0.0ns"), "{dump}");
            assert!(
                dump.contains("poll time: not measured (debug mode off"),
                "{dump}"
            );
        }
        worker.expect("the main future ran").cancel();
        lp.block_on(yield_now());
    }
}

#[test]
fn spawn_outside_a_loop_panics_with_a_message() {
    let caught = catch_unwind(|| {
        drop(spawn(async {}));
    });
    let msg = panic_message(&*caught.unwrap_err());
    assert!(msg.contains("no corio loop running"), "{msg}");
    assert!(msg.contains("corio::run"), "{msg}");
}

// ----- scale -----

#[test]
fn one_hundred_thousand_tasks_spawned_and_awaited_give_the_right_sum() {
    const N: u64 = 100_000;
    let lp = EventLoop::new();
    let sum = lp.block_on(async {
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                spawn(async move {
                    yield_now().await;
                    i
                })
            })
            .collect();
        assert_eq!(all_tasks().len() as u64, N + 1);
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, N * (N - 1) / 2);
    assert!(lp.dump().contains("0 task(s) not done"));
    assert!(lp.stats().tasks_polled >= 2 * N);
}

#[test]
fn a_panic_dropping_a_detached_tasks_output_is_contained() {
    struct Boom;
    impl Drop for Boom {
        fn drop(&mut self) {
            panic!("boom in output drop");
        }
    }
    let out = corio::run(async {
        let other = corio::spawn(async {
            corio::yield_now().await;
            7
        });
        drop(corio::spawn(async { Boom }));
        let seven = other.await.unwrap();
        assert!(
            corio::all_tasks().len() == 1,
            "the Boom task completed and left"
        );
        seven
    });
    assert_eq!(out, 7);
}
