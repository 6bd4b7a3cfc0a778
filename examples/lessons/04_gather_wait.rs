//! gather_wait: asyncio's `wait` and `gather` in corio — the seed's programs,
//! one by one, with done-callbacks printing results.
//!
//! Seed 003, "创建协程任务方式演进" (collecting tasks with `asyncio.wait` and
//! `asyncio.gather`) and "获取协程任务结果" (getting results: `wait`'s
//! `done, pending` and its `return_when`, `gather`'s list of results, and the
//! `print(1 / 0)` task under `FIRST_EXCEPTION`). The seed's one-second sleep
//! is 10 ms here; tasks that sleep equally long wake in the order they started,
//! so the output is the same on every run.
//!
//! Run it with `cargo run --example gather_wait`.

use std::time::Duration;

use corio::{ReturnWhen, TaskError};

#[path = "../support/mod.rs"]
mod support;

const SECOND: Duration = Duration::from_millis(10);

/// The seed's `foo(index)`.
async fn foo(index: usize) -> String {
    println!("  start-foo {index}");
    corio::time::sleep(SECOND).await;
    println!("  end-foo {index}");
    format!("foo-{index}")
}

/// The seed's `foo(index)` that prints `1 / 0` after its sleep.
async fn foo_divides_by_zero(index: usize) -> String {
    println!("  start-foo {index}");
    corio::time::sleep(SECOND * (index as u32 + 1)).await;
    println!("  end-foo {index}");
    let zero = std::hint::black_box(0);
    println!("  {}", 1 / zero);
    format!("foo-{index}")
}

/// Seed: `done, pending = await asyncio.wait(tasks)`, then `result()` of each.
async fn wait_all() {
    println!("== 1. done, pending = await asyncio.wait(tasks) ==");
    let tasks: Vec<_> = (0..5).map(|i| corio::spawn(foo(i))).collect();
    let (done, pending) = corio::wait(tasks, ReturnWhen::AllCompleted, None)
        .await
        .expect("five tasks");
    println!("  done: {}, pending: {}", done.len(), pending.len());
    // Each task comes back with its index among the inputs.
    for (index, task) in done {
        println!("  {index}: {}", task.await.expect("foo returns"));
    }
}

/// Seed: `wait(tasks, return_when=FIRST_EXCEPTION)` where every `foo` divides
/// by zero: it returns at the first failure; the function as a whole does not
/// crash, and the failed task's result is the error.
async fn wait_first_exception() {
    println!("\n== 2. wait(tasks, return_when=FIRST_EXCEPTION) with 1 / 0 ==");
    let tasks: Vec<_> = (0..5)
        .map(|i| corio::spawn(foo_divides_by_zero(i)))
        .collect();
    let (done, pending) = corio::wait(tasks, ReturnWhen::FirstException, None)
        .await
        .expect("five tasks");
    println!("  done: {}, pending: {}", done.len(), pending.len());
    for (index, task) in done {
        match task.await {
            Ok(v) => println!("  task {index} result: {v}"),
            Err(e @ TaskError::Panicked(_)) => println!("  task {index} result is an error: {e}"),
            Err(e) => println!("  task {index} result: {e}"),
        }
    }
    for (_, task) in &pending {
        task.cancel();
    }
    println!(
        "  (the {} pending tasks were cancelled by hand)",
        pending.len()
    );
}

/// Seed: `wait` with `FIRST_COMPLETED`.
async fn wait_first_completed() {
    println!("\n== 3. wait(tasks, return_when=FIRST_COMPLETED) ==");
    let tasks: Vec<_> = [3u32, 1, 2]
        .into_iter()
        .map(|n| {
            corio::spawn(async move {
                corio::time::sleep(SECOND * n).await;
                n
            })
        })
        .collect();
    let (done, pending) = corio::wait(tasks, ReturnWhen::FirstCompleted, None)
        .await
        .expect("three tasks");
    for (index, task) in done {
        println!(
            "  first done: task {index}, the {}-second task",
            task.await.unwrap()
        );
    }
    println!("  still pending: {} (they keep running)", pending.len());
    let rest = corio::gather(pending.into_iter().map(|(_, task)| task))
        .await
        .unwrap();
    println!("  then: {rest:?}");
}

/// Seed: `results = await asyncio.gather(*[foo(i) for i in range(5)])` —
/// coroutines, not tasks: gather wraps them in tasks itself. Done-callbacks
/// print each result as it comes (the seed's `add_done_callback`).
async fn gather_results() {
    println!("\n== 4. results = await asyncio.gather(*coroutines) ==");
    let results = corio::gather_futures((0..5).map(foo)).await.unwrap();
    for result in results {
        println!("  {result}");
    }

    println!("\n== 5. gather with done-callbacks, and a failing task ==");
    let tasks: Vec<_> = (0..3)
        .map(|i| {
            let task = corio::task::Builder::new()
                .name(format!("job-{i}"))
                .spawn(async move {
                    corio::time::sleep(SECOND * (3 - i)).await;
                    assert!(i != 1, "job-1 cannot finish");
                    i * 100
                });
            task.add_done_callback(|t| println!("  callback: {} ended {}", t.name(), t.state()));
            task
        })
        .collect();
    match corio::gather(tasks).await {
        Ok(v) => println!("  all results: {v:?}"),
        Err(e) => println!("  gather fails fast with the first error: {e}"),
    }
    // The slower sibling (job-0) was not cancelled: it finishes later.
    corio::time::sleep(SECOND * 3).await;
    println!("  an Err output fails the gather too, as it fails wait(FIRST_EXCEPTION):");
    let refused = corio::spawn(async { Err::<u32, String>("refused".into()) });
    let slow = corio::spawn(async {
        corio::time::sleep(SECOND * 3).await;
        Ok(3)
    });
    if let Err(corio::GatherError::Failed { index, output }) = corio::gather([refused, slow]).await
    {
        println!("  task {index} failed at once with {output:?}; the slow one keeps running");
    }
    println!("  return_exceptions=True keeps every outcome instead:");
    let outcomes =
        corio::gather_settled([corio::spawn(async { 1 }), corio::spawn(async { 2 })]).await;
    println!("  {outcomes:?}");
}

fn main() {
    support::args(include_str!("04_gather_wait.rs"), "").done();
    // The seed's 1 / 0 panics are caught by corio and shown as values; the
    // default panic hook would also print them, out of order, on stderr.
    std::panic::set_hook(Box::new(|_| {}));
    corio::run(async {
        wait_all().await;
        wait_first_exception().await;
        wait_first_completed().await;
        gather_results().await;
    });
}
