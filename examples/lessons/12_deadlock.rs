//! deadlock: two tasks take two locks in opposite orders and wait for each
//! other forever; a timeout on the second lock gets them out.
//!
//! Seed 004, "死锁" (deadlock): "when threads share several resources, and
//! two threads each hold a part and wait for the other's, they deadlock" —
//! and, under "避免死锁" (avoiding deadlock), "添加超时时间" (add a timeout).
//! Seed 001, "死锁", lists the four conditions that must all hold: mutual
//! exclusion, hold-and-wait, no preemption, and a circular wait. Break any
//! one and there is no deadlock.
//!
//! 1. task-1 takes A then B, task-2 takes B then A: each holds one lock and
//!    waits for the other. `wait_for` around the gather sees that neither
//!    finishes within 50 ms, and cancelling them frees both locks.
//! 2. The seed's way out: wait for the second lock with a timeout; on expiry
//!    release the first (no more hold-and-wait), back off, and retry.
//! 3. The way in: take the locks in one global order, A before B, and no
//!    cycle can form.
//!
//! The loop runs on a paused clock (`start_paused`): the clock stands still
//! while tasks run and jumps to the next timer when all of them wait, so the
//! times printed are exact and the output is the same on every run.
//!
//! Run it with `cargo run --example deadlock`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::sync::Lock;

#[path = "../support/mod.rs"]
mod support;

const MS: Duration = Duration::from_millis(1);

/// A lock with the name the output uses.
#[derive(Clone)]
struct Named {
    name: &'static str,
    lock: Rc<Lock>,
}

fn named(name: &'static str) -> Named {
    Named {
        name,
        lock: Rc::new(Lock::new()),
    }
}

/// Milliseconds since `start` on the loop's clock, for the timeline.
fn at(start: Instant) -> String {
    format!("{:>3} ms", (corio::time::now() - start).as_millis())
}

/// Takes `first`, then `second`, does its work, releases both. Pausing
/// between the two locks gives the other task time to take its first lock.
async fn take_both(
    name: &str,
    first: Named,
    second: Named,
    work_done: Rc<Cell<u32>>,
    start: Instant,
) {
    let _first = first.lock.lock().await;
    println!(
        "  {} {name} holds {}, wants {}",
        at(start),
        first.name,
        second.name
    );
    corio::time::sleep(MS).await;
    let _second = second.lock.lock().await;
    println!("  {} {name} holds both: working", at(start));
    work_done.set(work_done.get() + 1);
}

/// The seed's fix: wait for `second` at most `patience`; on expiry release
/// `first`, back off, and try again. Returns how many attempts it took.
async fn take_both_with_timeout(
    name: &str,
    first: Named,
    second: Named,
    patience: Duration,
    backoff: Duration,
    start: Instant,
) -> u32 {
    for attempt in 1.. {
        let held = first.lock.lock().await;
        println!(
            "  {} {name} holds {}, wants {} (attempt {attempt}, waits at most {} ms)",
            at(start),
            first.name,
            second.name,
            patience.as_millis()
        );
        corio::time::sleep(MS).await;
        match corio::time::timeout(patience, second.lock.lock()).await {
            Ok(_second) => {
                println!("  {} {name} holds both: working 5 ms", at(start));
                corio::time::sleep(MS * 5).await;
                println!("  {} {name} done, releases both", at(start));
                return attempt;
            }
            Err(_) => {
                // Giving back what we hold is what breaks the cycle.
                drop(held);
                println!(
                    "  {} {name} gave up on {}, released {}, backs off {} ms",
                    at(start),
                    second.name,
                    first.name,
                    backoff.as_millis()
                );
                corio::time::sleep(backoff).await;
            }
        }
    }
    unreachable!("the loop returns on success")
}

async fn stuck() {
    println!("== 1. opposite orders: a deadlock ==");
    let (a, b) = (named("A"), named("B"));
    let work_done = Rc::new(Cell::new(0));
    let start = corio::time::now();
    let tasks = [
        corio::spawn(take_both(
            "task-1",
            a.clone(),
            b.clone(),
            work_done.clone(),
            start,
        )),
        corio::spawn(take_both(
            "task-2",
            b.clone(),
            a.clone(),
            work_done.clone(),
            start,
        )),
    ];
    match corio::wait_for(corio::gather(tasks), MS * 50).await {
        Ok(_) => println!("  {} both finished (no deadlock this time)", at(start)),
        Err(_) => {
            println!(
                "  {} wait_for gave up: neither task finished, work done: {}",
                at(start),
                work_done.get()
            );
            println!("         A: {:?}", a.lock);
            println!("         B: {:?}", b.lock);
        }
    }
    // wait_for dropped the gather, and a dropped gather cancels its tasks;
    // a cancelled task drops its future, and with it the guard it held.
    corio::time::sleep(MS).await;
    println!(
        "  {} wait_for dropped the gather, which cancelled both tasks; A locked: {}, B locked: {}",
        at(start),
        a.lock.locked(),
        b.lock.locked()
    );
}

async fn escaped() {
    println!("\n== 2. a timeout on the second lock: release, back off, retry ==");
    let (a, b) = (named("A"), named("B"));
    let start = corio::time::now();
    // Different patience breaks the symmetry: with equal timeouts and equal
    // back-offs both could give up together and collide again, forever (a
    // livelock). Random back-offs are the other common cure.
    let task_1 = corio::spawn(take_both_with_timeout(
        "task-1",
        a.clone(),
        b.clone(),
        MS * 10,
        MS * 5,
        start,
    ));
    let task_2 = corio::spawn(take_both_with_timeout(
        "task-2",
        b.clone(),
        a.clone(),
        MS * 20,
        MS * 5,
        start,
    ));
    let attempts = corio::gather([task_1, task_2]).await.expect("both finish");
    println!(
        "  {} both finished: task-1 in {} attempts, task-2 in {}; A locked: {}, B locked: {}",
        at(start),
        attempts[0],
        attempts[1],
        a.lock.locked(),
        b.lock.locked()
    );
}

async fn ordered() {
    println!("\n== 3. one lock order for everyone: A, then B ==");
    let (a, b) = (named("A"), named("B"));
    let work_done = Rc::new(Cell::new(0));
    let start = corio::time::now();
    let tasks = [
        corio::spawn(take_both(
            "task-1",
            a.clone(),
            b.clone(),
            work_done.clone(),
            start,
        )),
        corio::spawn(take_both(
            "task-2",
            a.clone(),
            b.clone(),
            work_done.clone(),
            start,
        )),
    ];
    corio::gather(tasks).await.expect("both finish");
    println!(
        "  {} work done: {} (task-2 waited for A, holding nothing)",
        at(start),
        work_done.get()
    );
}

fn main() {
    support::args(include_str!("12_deadlock.rs"), "").done();
    let event_loop = corio::EventLoop::builder()
        .start_paused(true)
        .build()
        .expect("a loop");
    event_loop.block_on(async {
        stuck().await;
        escaped().await;
        ordered().await;
    });
}
