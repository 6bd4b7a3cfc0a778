//! tasks: asyncio's tasks in corio — create them, run them concurrently,
//! collect their results, attach done-callbacks, cancel them, and look at
//! them from the inside.
//!
//! Seed 003, the asyncio sections after "事件循环" (the event loop):
//!
//! 1. "创建协程任务方式演进" — `create_task` / `ensure_future`: [`create`]
//! 2. "获取协程任务结果" — running `foo(index)` tasks and collecting their
//!    results with `wait` / `gather`: [`run_concurrently`], and the seed's
//!    variant that divides by zero: [`failing_task`]
//! 3. "给任务添加回调函数" — `add_done_callback`: [`done_callbacks`]
//! 4. `task.cancel()` (asyncio's, the seed does not show it): [`cancel`]
//! 5. "自省" — `current_task` / `all_tasks`: [`introspection`], and
//!    `corio::dump_tasks()`, corio's table of live tasks
//!
//! Where the seed awaits `asyncio.sleep(1)`, `foo` awaits
//! `corio::time::sleep` for 10 ms (the seed's second, scaled down). Equal
//! sleeps started in order wake in order, so the output is the same on every
//! run. Elsewhere `corio::yield_now()` (asyncio's `sleep(0)`) suspends a task
//! for exactly one turn of the loop.
//!
//! Run it with `cargo run --example tasks`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::{TaskError, TaskRef, TaskState};

#[path = "../support/mod.rs"]
mod support;

/// The seed's one-second sleep, scaled down.
const FOO_SLEEP: Duration = Duration::from_millis(10);

/// The seed's `foo(index)`.
async fn foo(index: usize) -> String {
    println!("  start-foo {index}");
    // The seed: `await asyncio.sleep(1)`, scaled to 10 ms.
    corio::time::sleep(FOO_SLEEP).await;
    println!("  end-foo {index}");
    format!("foo-{index}")
}

/// `foo`, sleeping until a given instant instead of for a given time.
async fn foo_until(index: usize, wake_at: Instant) -> String {
    println!("  start-foo {index}");
    corio::time::sleep_until(wake_at).await;
    println!("  end-foo {index}");
    format!("foo-{index}")
}

/// Seed: `asyncio.create_task(foo())`, `asyncio.ensure_future(foo())` and
/// `loop.create_task(foo())` are three spellings of one thing; in corio all
/// three are `corio::spawn`. `task::Builder` adds the `name=` argument.
async fn create() {
    println!("== 1. create_task: corio::spawn and task::Builder ==");
    let first = corio::spawn(foo(0));
    let named = corio::task::Builder::new()
        .name("the-named-one")
        .spawn(foo(1));
    // Nothing has run yet: a spawned task starts at the loop's next turn, when
    // the current task (main) is suspended. Until then it is only queued.
    println!(
        "spawned {} (default name) and {} (given name); neither has started",
        first.name(),
        named.name()
    );
    // Awaiting a task suspends main until the task is done; the result is
    // `Ok(value)`, or a `TaskError` when it was cancelled or panicked.
    let a = first.await.expect("foo(0) returns");
    let b = named.await.expect("foo(1) returns");
    println!("results: {a}, {b}");
}

/// Seed: five `foo(index)` tasks, then `await asyncio.wait(tasks)` (or
/// `asyncio.gather`) and print each result.
///
/// corio's `gather` and `wait` are not written yet. Awaiting the handles one
/// after the other collects the results in creation order, as `gather` does,
/// and the tasks still run concurrently: they were all spawned (and so all
/// scheduled) before main awaited the first one.
async fn run_concurrently() {
    println!("== 2. five foo(index) tasks at once, results collected like gather ==");
    let tasks: Vec<_> = (0..5).map(|index| corio::spawn(foo(index))).collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("foo returns"));
    }
    // All five start before any ends: each one's sleep lets the others run.
    println!("results: {results:?}");
}

/// The seed's `foo` that ends in `print(1 / 0)`. In Python the task raises
/// `ZeroDivisionError` and `task.result()` re-raises it; in Rust dividing by
/// zero panics, corio catches the panic at the task's edge, and awaiting the
/// task gives `Err(TaskError::Panicked(..))`. The loop and the other tasks go
/// on.
async fn failing_task() {
    println!("== 2b. a task that fails: the seed's 1 / 0 ==");
    async fn foo_divides(index: usize, divisor: usize) -> String {
        println!("  start-foo {index}");
        corio::time::sleep(FOO_SLEEP).await;
        println!("  end-foo {index}, now computing {index} / {divisor}");
        format!("foo-{}", index / divisor)
    }
    // The default panic hook would also print the panic to stderr, out of
    // order with this lesson's stdout; it is silenced for this section. The
    // panic still reaches main, as a value.
    std::panic::set_hook(Box::new(|_| {}));
    let good = corio::spawn(foo_divides(1, 1));
    // `black_box` keeps the compiler from seeing the zero and refusing to build.
    let bad = corio::spawn(foo_divides(2, std::hint::black_box(0)));
    let good = good.await;
    let bad = bad.await;
    drop(std::panic::take_hook()); // back to the default hook
    println!("foo 1: {good:?}");
    match bad {
        Err(error @ TaskError::Panicked(_)) => println!("foo 2: Err({error})"),
        other => panic!("expected foo 2 to panic, got {other:?}"),
    }
}

/// Seed: `task.add_done_callback(callback)` where `callback(future)` prints
/// `future.result()`.
///
/// corio hands the callback a `&TaskRef` — the task's id, name and state, not
/// its typed result (a `TaskRef` does not know the output type). So the
/// callback captures what it needs: here, a cell the task fills with its
/// result before it returns.
async fn done_callbacks() {
    println!("== 3. add_done_callback ==");
    // One deadline for all three, so that they finish in the same turn of the
    // loop and the order below is the same on every run.
    let wake_at = corio::time::now() + FOO_SLEEP;
    let mut tasks = Vec::new();
    for index in 0..3 {
        let result: Rc<RefCell<Option<String>>> = Rc::default();
        let slot = result.clone();
        let task = corio::spawn(async move {
            let value = foo_until(index, wake_at).await;
            *slot.borrow_mut() = Some(value.clone());
            value
        });
        task.add_done_callback(move |task: &TaskRef| {
            let result = result.borrow();
            println!(
                "  callback: {} is {}, result {}",
                task.name(),
                task.state(),
                result.as_deref().unwrap_or("<none>")
            );
        });
        tasks.push(task);
    }
    // A callback can be taken back before the task finishes.
    let unwanted = tasks[0].add_done_callback(|_| unreachable!("it was removed"));
    println!(
        "removed {} callback",
        tasks[0].remove_done_callback(unwanted)
    );
    for task in tasks {
        task.await.expect("foo returns");
    }
    // The callbacks do not run inside the task: completion schedules them with
    // `call_soon`, ahead of waking whoever awaits the task (asyncio's order:
    // completion -> callbacks -> the awaiter resumes). So foo-0's callback ran
    // before main resumed from awaiting it; foo-1 and foo-2 had already
    // finished when main reached them, so main did not wait, and their
    // callbacks are still queued. This yield gives them their turn.
    println!("all three tasks are done; callbacks still queued run at the loop's next turn");
    corio::yield_now().await;
    println!("after one more turn of the loop, every callback has run");
}

/// Prints when it is dropped: the Rust counterpart of cleanup in a `finally:`
/// that runs when asyncio throws `CancelledError` into a coroutine.
struct Cleanup(&'static str);

impl Drop for Cleanup {
    fn drop(&mut self) {
        println!("  {}: dropped, cleanup runs", self.0);
    }
}

/// asyncio's `task.cancel()` and `task.cancel(msg)`. A cancelled corio task
/// does not see an exception: its future is dropped at the task's next
/// scheduling point, so its locals' destructors run, and whoever awaits it
/// gets `Err(TaskError::Cancelled(message))`.
async fn cancel() {
    println!("== 4. cancel and cancel_with ==");
    let worker = corio::task::Builder::new().name("worker").spawn(async {
        let _cleanup = Cleanup("worker");
        println!("  worker: started, now waiting for something that never comes");
        std::future::pending::<()>().await;
    });
    corio::yield_now().await; // let it start
    println!("worker is {}", worker.task_ref().state());
    println!("cancel() -> {}", worker.cancel());
    println!("worker is {}", worker.task_ref().state());
    let outcome = worker.await;
    println!("awaiting it gives {outcome:?}");

    // With a message, which reaches the awaiter (asyncio's `cancel(msg)`).
    let reader = corio::task::Builder::new().name("reader").spawn(async {
        let _cleanup = Cleanup("reader");
        std::future::pending::<()>().await;
    });
    // Cancelled before it ever ran: its body never starts, but the future (and
    // what it captured) is still dropped.
    reader.cancel_with("no longer needed");
    let error: TaskError = reader.await.expect_err("it was cancelled");
    println!(
        "awaiting it gives Err({error}); is_cancelled: {}",
        error.is_cancelled()
    );

    // Cancelling a finished task does nothing and says so.
    let quick = corio::spawn(async { 7 });
    corio::yield_now().await;
    println!("cancel() on a finished task -> {}", quick.cancel());
    println!("its result: {:?}", quick.await);
}

/// Seed "自省": `asyncio.current_task()` is the task running now (`None` in
/// a plain callback), and `asyncio.all_tasks()` is every task not yet done.
async fn introspection() {
    println!("== 5. current_task and all_tasks ==");
    let me = corio::current_task().expect("main runs as a task");
    // `corio::run` wraps the main future in a task, as `asyncio.run` does.
    println!("current_task() in main: {} ({})", me.name(), me.state());

    let waiter = corio::task::Builder::new().name("waiter").spawn(async {
        let _cleanup = Cleanup("waiter");
        let me = corio::current_task().expect("a task");
        println!("  current_task() in waiter: {}", me.name());
        std::future::pending::<()>().await;
    });
    corio::call_soon(|| {
        let current = corio::current_task().map(|t| t.name());
        println!("  current_task() in a call_soon callback: {current:?}");
    });
    corio::yield_now().await; // waiter starts, then the callback runs
    let fresh = corio::task::Builder::new().name("fresh").spawn(foo(9));

    // `all_tasks()` comes in no particular order; sorting by id makes it
    // creation order.
    let mut all = corio::all_tasks();
    all.sort_by_key(|t| t.id());
    println!("all_tasks(): {} not done", all.len());
    for task in &all {
        println!("  {:>2}  {:<8} {}", task.id(), task.name(), task.state());
    }
    let states: Vec<TaskState> = all.iter().map(|t| t.state()).collect();
    assert_eq!(
        states,
        [TaskState::Running, TaskState::Waiting, TaskState::Ready]
    );

    println!();
    println!("== 6. corio::dump_tasks() ==");
    // The same live tasks as a table, with how often each was polled and the
    // line that spawned it. (The poll time column is measured only in debug
    // mode, `CORIO_DEBUG=1`; it reads 0ns otherwise.)
    corio::dump_tasks();

    fresh.await.expect("foo returns");
    // `waiter` is left waiting on purpose: when main returns, `corio::run`
    // cancels every task still pending, as `asyncio.run` does, so its cleanup
    // runs before `run` returns.
    drop(waiter);
    println!("main returns, leaving waiter pending");
}

async fn lesson() {
    create().await;
    println!();
    run_concurrently().await;
    println!();
    failing_task().await;
    println!();
    done_callbacks().await;
    println!();
    cancel().await;
    println!();
    introspection().await;
}

fn main() {
    support::args(include_str!("02_tasks.rs"), "").done();
    corio::run(lesson());
    println!("corio::run returned");
}
