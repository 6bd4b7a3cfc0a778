//! timeouts: asyncio's time — waiting with a timeout, `wait_for`,
//! `call_later`, a periodic interval, and the 3.11 timeout scope — on corio's
//! timer wheel.
//!
//! Seed 003, "设置任务超时" (setting a task timeout): `done, pending = await
//! asyncio.wait(tasks, timeout=10)` collects what finished in time and leaves
//! the rest running. corio's `wait` arrives with the combinators; here the
//! same thing is built from `corio::time::timeout` and `Task::is_done`. The
//! seed's seconds are scaled to tens of milliseconds.
//!
//! Run it with `cargo run --example timeouts`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use corio::time::{self, MissedTickBehavior};

#[path = "../support/mod.rs"]
mod support;

const MS: Duration = Duration::from_millis(1);

/// A job that takes `ms` milliseconds.
async fn job(name: &'static str, ms: u32) -> &'static str {
    time::sleep(MS * ms).await;
    println!("  {name} finished after {ms} ms");
    name
}

/// The seed's `asyncio.wait(tasks, timeout=...)`: what is done by the
/// deadline is "done", the rest is "pending" — and keeps running.
async fn wait_with_timeout() {
    println!("== 1. wait with a timeout (the seed's asyncio.wait(tasks, timeout=10)) ==");
    let mut tasks = vec![
        corio::spawn(job("fast", 10)),
        corio::spawn(job("medium", 20)),
        corio::spawn(job("slow", 80)),
    ];
    let all = async {
        for task in tasks.iter_mut() {
            let _ = task.await;
        }
    };
    if time::timeout(MS * 40, all).await.is_err() {
        println!("  40 ms passed: timeout");
    }
    let (done, pending): (Vec<_>, Vec<_>) = tasks.into_iter().partition(|t| t.is_done());
    println!("  done: {}, pending: {}", done.len(), pending.len());
    println!("  nothing was cancelled; the slow task goes on:");
    for task in pending {
        println!("  pending task returned {:?}", task.await);
    }
}

/// Prints when dropped: shows that a timed-out future is cancelled (dropped).
struct Cleanup(&'static str);

impl Drop for Cleanup {
    fn drop(&mut self) {
        println!("  {}: dropped (cancelled)", self.0);
    }
}

/// asyncio's `wait_for(aw, timeout)`: on expiry the awaitable is cancelled.
async fn wait_for() {
    println!("\n== 2. wait_for: the inner future is cancelled at the deadline ==");
    let slow = async {
        let _cleanup = Cleanup("slow download");
        time::sleep(MS * 1_000).await;
        "downloaded"
    };
    match corio::wait_for(slow, MS * 15).await {
        Ok(v) => println!("  got {v}"),
        Err(e) => println!("  wait_for: {e}"),
    }
    let quick = corio::wait_for(async { "already there" }, Duration::ZERO).await;
    println!("  a ready future with a zero timeout still gives {quick:?}");

    // A task is cancelled too (asyncio's wait_for(task, t)), and wait_for
    // returns once the task has finished cancelling.
    let task = corio::spawn(async {
        let _cleanup = Cleanup("slow task");
        time::sleep(MS * 1_000).await;
    });
    let watch = task.task_ref();
    if let Err(e) = task.wait_for(MS * 15).await {
        println!("  task.wait_for: {e}; the task is now {}", watch.state());
    }
}

/// `loop.call_later` / `call_at`: callbacks on the timer wheel, with equal
/// deadlines in scheduling order, and a cancelled handle that never runs.
async fn call_later() {
    println!("\n== 3. call_later and call_at ==");
    let log = Rc::new(RefCell::new(Vec::new()));
    let at = time::now() + MS * 10;
    for name in ["first", "second", "third"] {
        let log = log.clone();
        corio::call_at(at, move || log.borrow_mut().push(name));
    }
    let cancelled = {
        let log = log.clone();
        corio::call_later(MS * 5, move || log.borrow_mut().push("cancelled one"))
    };
    cancelled.cancel();
    let soon = log.clone();
    corio::call_soon(move || soon.borrow_mut().push("call_soon"));
    time::sleep(MS * 20).await;
    println!("  ran in this order: {:?}", log.borrow());
}

/// A periodic job, and what happens to ticks missed while busy.
async fn periodic() {
    println!("\n== 4. a periodic interval ==");
    let mut every = time::interval(MS * 10);
    let start = every.tick().await;
    for n in 1..=3 {
        let at = every.tick().await;
        println!(
            "  tick {n}: {} ms after the first",
            (at - start).as_millis()
        );
    }
    // Busy for 35 ms: three ticks are missed. Skip drops them and keeps the
    // original schedule.
    every.set_missed_tick_behavior(MissedTickBehavior::Skip);
    std::thread::sleep(MS * 35);
    let late = every.tick().await;
    let next = every.tick().await;
    println!(
        "  after a 35 ms stall: the late tick (due at +{} ms) fires at once",
        (late - start).as_millis()
    );
    println!(
        "  then Skip resumes on the original 10 ms grid, in the future: {}",
        (next - start).as_millis() % 10 == 0 && next > late + MS * 10
    );
}

/// asyncio 3.11's `async with asyncio.timeout(delay) as cm: ... cm.reschedule(...)`.
async fn timeout_scope() {
    println!("\n== 5. the timeout scope and reschedule ==");
    let result = time::timeout_scope(MS * 10, |cm| async move {
        println!("  the body needs more time than 10 ms: reschedule to 50 ms");
        cm.reschedule(time::now() + MS * 50);
        time::sleep(MS * 30).await;
        "body finished"
    })
    .await;
    println!("  {result:?}");
    let result = time::timeout_scope(MS * 10, |_cm| async {
        time::sleep(MS * 30).await;
        "never"
    })
    .await;
    println!("  without reschedule: {result:?}");

    // Nested timeouts: attempts of at most 12 ms, each cut to the outer
    // 30 ms deadline, so the third attempt expires in the same turn as the
    // outer scope. The outer scope reports the timeout, as in asyncio: the
    // retry loop never sees the third inner timeout, and starts no fourth.
    let result = time::timeout_scope(MS * 30, |outer| async move {
        let mut attempts = 0;
        while !outer.expired() {
            attempts += 1;
            let deadline = outer.when().expect("set").min(time::now() + MS * 12);
            let attempt = time::timeout_at(deadline, std::future::pending::<()>()).await;
            println!("  attempt {attempts}: {attempt:?}, retrying");
        }
    })
    .await;
    println!("  the outer scope: {result:?}");
}

fn main() {
    support::args(include_str!("09_timeouts.rs"), "").done();
    corio::run(async {
        wait_with_timeout().await;
        wait_for().await;
        call_later().await;
        periodic().await;
        timeout_scope().await;
    });
}
