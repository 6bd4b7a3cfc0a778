//! race_and_lock: a shared counter that loses updates when tasks switch in
//! the middle of changing it, and the `Lock` that makes each change whole.
//!
//! Seed 004, "多线程-共享全局变量" (threads sharing a global variable) and
//! "互斥锁" (the mutex): threads that add to one global at the same time end
//! with a wrong total — one reads the value, is switched out, and later
//! writes back a sum that ignores what the others added meanwhile. A lock
//! lets only one of them run the read-modify-write at a time: the total is
//! right, and that stretch of code runs one task after another.
//!
//! Tasks on one corio loop switch only at an `.await`. So `count += 1` with
//! no await inside is one step that nothing can interrupt (part 1), however
//! the tasks interleave. The race appears as soon as a task awaits between
//! reading and writing (part 2), and `corio::sync::Lock` closes it (part 3).
//! The loop runs ready tasks first in, first out, so even the wrong total is
//! the same on every run.
//!
//! Run it with `cargo run --example race_and_lock`.

use std::cell::Cell;
use std::rc::Rc;

use corio::sync::Lock;

#[path = "../support/mod.rs"]
mod support;

/// Tasks sharing the counter, and how many times each adds one.
const TASKS: usize = 3;
const ROUNDS: u32 = 10_000;

/// The seed's global variable: one counter all tasks share.
type Counter = Rc<Cell<u32>>;

/// Adds one `ROUNDS` times, with nothing awaited between the read and the
/// write. It yields after each addition, so the three tasks interleave.
async fn add_whole(name: String, counter: Counter) {
    for _ in 0..ROUNDS {
        counter.set(counter.get() + 1);
        corio::yield_now().await;
    }
    println!("  {name} done");
}

/// Adds one `ROUNDS` times, awaiting between the read and the write — as a
/// real task might await a database or a socket there. Traces round 0.
async fn add_racy(name: String, counter: Counter) {
    for round in 0..ROUNDS {
        let seen = counter.get();
        if round == 0 {
            println!("  {name} reads {seen}");
        }
        // Here the other tasks run, and read the same value.
        corio::yield_now().await;
        counter.set(seen + 1);
        if round == 0 {
            println!("  {name} writes {}", seen + 1);
        }
    }
}

/// `add_racy` with the read-await-write done while holding `lock`.
async fn add_locked(name: String, counter: Counter, lock: Rc<Lock>) {
    for round in 0..ROUNDS {
        if round == 0 && lock.locked() {
            println!("  {name} finds the lock held and waits");
        }
        let guard = lock.lock().await;
        let seen = counter.get();
        if round == 0 {
            println!("  {name} has the lock, reads {seen}");
        }
        corio::yield_now().await;
        counter.set(seen + 1);
        if round == 0 {
            println!("  {name} writes {}, releases the lock", seen + 1);
        }
        // Dropping the guard releases the lock: the first waiter gets it.
        drop(guard);
    }
}

/// Spawns `TASKS` tasks made by `make(name)`, awaits them all, and reports
/// the counter against the expected total.
async fn run_tasks<F, Fut>(counter: &Counter, make: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = ()> + 'static,
{
    counter.set(0);
    let tasks: Vec<_> = (1..=TASKS)
        .map(|i| corio::spawn(make(format!("task-{i}"))))
        .collect();
    corio::gather(tasks).await.expect("no task fails");
    let expected = TASKS as u32 * ROUNDS;
    let total = counter.get();
    println!(
        "  total: {total} (expected {expected}): {} updates lost",
        expected - total
    );
}

fn main() {
    support::args(include_str!("11_race_and_lock.rs"), "").done();
    corio::run(async {
        let counter: Counter = Rc::new(Cell::new(0));

        println!(
            "== 1. {TASKS} tasks add 1, {ROUNDS} times each, awaiting only between additions =="
        );
        run_tasks(&counter, |name| add_whole(name, counter.clone())).await;

        println!("\n== 2. read, await, write: the tasks switch mid-update ==");
        run_tasks(&counter, |name| add_racy(name, counter.clone())).await;
        println!("  every task read the same value before any wrote it back:");
        println!("  in each round only one of the {TASKS} additions survives");

        println!("\n== 3. the same, holding a Lock from the read to the write ==");
        let lock = Rc::new(Lock::new());
        run_tasks(&counter, |name| {
            add_locked(name, counter.clone(), lock.clone())
        })
        .await;
        println!("  the waiters got the lock in the order they asked (FIFO)");
        println!("  lock free at the end: {}", !lock.locked());
    });
}
