//! thread_pool: blocking jobs on a pool of threads — submitted from plain
//! code with done-callbacks and `as_completed` (`concurrent.futures`), then
//! from tasks on a corio loop with `run_in_executor` and `to_thread`
//! (asyncio).
//!
//! Seed 003, "线程池" (thread pool):
//!
//! * "方式一" (way one): 19 jobs, `task_1` to `task_19`, each sleeping
//!   `random.randint(1, 5)` seconds, on `ThreadPoolExecutor(cpu_count + 1)`
//!   — "in theory as many threads as cores is best; in practice cores + 1,
//!   so that when one thread blocks for some unknown reason the extra one
//!   takes over" — with a done-callback printing each result, then
//!   `pool.shutdown()`. Part 1.
//! * "方式二" (way two): `as_completed` over the futures of four jobs on a
//!   pool of two. Part 2.
//!
//! Parts 3 and 4 run the same 19 jobs from tasks on a corio loop, as asyncio
//! does: `run_in_executor` sends each blocking job to a pool and gives the
//! task a future to await, so the loop stays free while the jobs sleep.
//!
//! The seed's seconds are 10 ms here, and its `random` is a small generator
//! with a fixed seed, so every run draws the same sleeps. Which job finishes
//! first depends on the number of cores and on the OS scheduler, so where
//! the completion order is not the lesson, results are printed sorted.
//!
//! Run it with `cargo run --example thread_pool`.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use corio::executor::{self, ThreadPoolExecutor};

#[path = "../support/mod.rs"]
mod support;

/// The seed's second, scaled down.
const SECOND: Duration = Duration::from_millis(10);

/// The seed's `random.randint`, made repeatable: a linear congruential
/// generator (Knuth's MMIX constants) with a fixed seed.
struct Lcg(u64);

impl Lcg {
    /// A number in `lo..=hi`, from the generator's high bits (the low bits of
    /// an LCG repeat with short periods).
    fn randint(&mut self, lo: u32, hi: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        lo + ((self.0 >> 33) % u64::from(hi - lo + 1)) as u32
    }
}

/// The seed's `tasks = [f'task_{item}' for item in range(1, 20)]`, each with
/// the seconds its `handle` will sleep.
fn plan() -> Vec<(String, u32)> {
    let mut random = Lcg(3);
    (1..20)
        .map(|item| (format!("task_{item}"), random.randint(1, 5)))
        .collect()
}

/// Counts the jobs running now, and the most that ever ran at once.
#[derive(Default)]
struct Gauge {
    running: AtomicUsize,
    peak: AtomicUsize,
}

/// The seed's `handle(task)`: sleeps, then returns its result. (The seed
/// also prints from the worker; those lines would come in a different order
/// on every run.)
fn handle(task: &str, seconds: u32, gauge: &Gauge) -> String {
    let now = gauge.running.fetch_add(1, Ordering::SeqCst) + 1;
    gauge.peak.fetch_max(now, Ordering::SeqCst);
    std::thread::sleep(SECOND * seconds);
    gauge.running.fetch_sub(1, Ordering::SeqCst);
    format!("result of {task}")
}

/// `true` on one of corio's pool threads (they are named `corio-pool-N`).
fn on_pool_thread() -> bool {
    std::thread::current()
        .name()
        .is_some_and(|name| name.starts_with("corio-pool"))
}

/// Part 1 — returns the results, sorted by task, for the later parts to
/// compare with.
fn submit_with_callbacks(plan: &[(String, u32)], workers: usize) -> Vec<String> {
    println!("== 1. 19 jobs on ThreadPoolExecutor(cpu_count + 1), with done-callbacks ==");
    let pool = ThreadPoolExecutor::new(workers);
    let gauge = Arc::new(Gauge::default());
    // What each callback saw: (task number, result, ran on a pool thread).
    let seen = Arc::new(Mutex::new(Vec::new()));
    for (i, (task, seconds)) in plan.iter().cloned().enumerate() {
        // The seed submits every task twice — `pool.submit(handle, task)`,
        // then `future = pool.submit(handle, task)` — and only the second
        // has a callback. Once is what it meant.
        let gauge = gauge.clone();
        let future = pool
            .submit(move || handle(&task, seconds, &gauge))
            .expect("the pool is open");
        let seen = seen.clone();
        // As in concurrent.futures, the callback runs on the worker thread
        // that finished the job, the moment it finishes.
        future.add_done_callback(move |f| {
            // `result` takes the value out of the future: the callback is its
            // only reader here.
            let result = f.clone().result(None).expect("handle does not panic");
            seen.lock().unwrap().push((i + 1, result, on_pool_thread()));
        });
    }
    // The seed's `pool.shutdown()`: wait=True, so every job (and callback)
    // has run when it returns.
    pool.shutdown(true, false);
    println!("  main program done (shutdown waited for the jobs)");

    let mut seen = seen.lock().unwrap().clone();
    println!(
        "  the {} callbacks ran in completion order; sorted by task:",
        seen.len()
    );
    seen.sort();
    for (i, result) in seen.iter().map(|(i, r, _)| (i, r)) {
        let seconds = plan[i - 1].1;
        let ms = (SECOND * seconds).as_millis();
        println!("    result: {result} (slept {seconds} s, here {ms} ms)");
    }
    println!(
        "  every callback ran on a pool thread: {}",
        seen.iter().all(|(_, _, on_pool)| *on_pool)
    );
    println!(
        "  never more than cpu_count + 1 jobs at once: {}",
        gauge.peak.load(Ordering::SeqCst) <= workers
    );
    seen.into_iter().map(|(_, result, _)| result).collect()
}

/// Part 2: the seed's `as_completed`, with sleeps chosen so that the order
/// of completion is the same on every run.
fn as_completed() {
    println!("\n== 2. as_completed: four jobs on ThreadPoolExecutor(2) ==");
    // The seed sleeps 1 s in each; unequal sleeps make the order visible.
    let jobs = [("admin", 14), ("root", 2), ("scott", 4), ("tiger", 4)];
    println!("  submitted in this order, with these sleeps:");
    for (name, seconds) in jobs {
        println!("    {name}: {} ms", (SECOND * seconds).as_millis());
    }
    println!("  two workers: admin and root start; scott starts when root ends at 20 ms,");
    println!("  tiger when scott ends at 60 ms; tiger ends at 100 ms, admin at 140 ms");
    let pool = ThreadPoolExecutor::new(2);
    let start = Instant::now();
    let futures: Vec<_> = jobs
        .into_iter()
        .map(|(name, seconds)| {
            pool.submit(move || {
                std::thread::sleep(SECOND * seconds);
                name
            })
            .expect("the pool is open")
        })
        .collect();
    println!("  as_completed yields them as they finish:");
    for future in executor::as_completed(futures, None) {
        let name = future
            .expect("no timeout was set")
            .result(None)
            .expect("the job does not panic");
        println!("    {name}");
    }
    let elapsed = start.elapsed();
    println!(
        "  took at least the longest job (140 ms) and less than all four in turn (240 ms): {}",
        elapsed >= SECOND * 14 && elapsed < SECOND * 24
    );
    pool.shutdown(true, false);
}

/// Part 3: each job from its own task, through `run_in_executor`.
async fn run_in_executor(plan: &[(String, u32)], workers: usize, expected: &[String]) {
    println!("\n== 3. the 19 jobs from tasks on the loop: run_in_executor, gather ==");
    let pool = ThreadPoolExecutor::new(workers);
    let gauge = Arc::new(Gauge::default());
    let loop_thread = std::thread::current().id();
    let callbacks_on_loop = Rc::new(Cell::new(0));
    let tasks: Vec<_> = plan
        .iter()
        .cloned()
        .map(|(task, seconds)| {
            let (pool, gauge) = (pool.clone(), gauge.clone());
            let job = corio::spawn(async move {
                corio::run_in_executor(Some(&pool), move || handle(&task, seconds, &gauge)).await
            });
            // A task's done-callback runs on the loop, not on the worker.
            let on_loop = callbacks_on_loop.clone();
            job.add_done_callback(move |_| {
                if std::thread::current().id() == loop_thread {
                    on_loop.set(on_loop.get() + 1);
                }
            });
            job
        })
        .collect();
    // While the jobs sleep on the pool's threads, the loop is free: this
    // task ticks every 5 ms all along.
    let ticks = Rc::new(Cell::new(0));
    let ticker = {
        let ticks = ticks.clone();
        corio::spawn(async move {
            loop {
                corio::time::sleep(Duration::from_millis(5)).await;
                ticks.set(ticks.get() + 1);
            }
        })
    };
    let results: Vec<String> = corio::gather(tasks)
        .await
        .expect("no task fails")
        .into_iter()
        .map(|r| r.expect("handle does not panic"))
        .collect();
    ticker.cancel();
    // Done-callbacks are queued with call_soon when a task finishes, behind
    // the wake-up of whoever awaits it: gather can return before the last
    // task's callback has run. One turn of the loop runs it.
    corio::yield_now().await;
    println!(
        "  gather gives the results in task order: {:?} … {:?}",
        results[0],
        results[results.len() - 1]
    );
    println!("  the same results as part 1: {}", results == expected);
    println!(
        "  all {} done-callbacks ran on the loop's thread: {}",
        results.len(),
        callbacks_on_loop.get() == results.len()
    );
    println!(
        "  meanwhile another task on the loop kept ticking: {}",
        ticks.get() > 0
    );
    println!(
        "  never more than cpu_count + 1 jobs at once: {}",
        gauge.peak.load(Ordering::SeqCst) <= workers
    );
    pool.shutdown(true, false);
}

/// Part 4: the same through `to_thread`, on the loop's default pool.
async fn to_thread(plan: &[(String, u32)], expected: &[String]) {
    println!("\n== 4. to_thread: the loop's default pool ==");
    let gauge = Arc::new(Gauge::default());
    let jobs = plan.iter().cloned().map(|(task, seconds)| {
        let gauge = gauge.clone();
        corio::to_thread(move || (handle(&task, seconds, &gauge), on_pool_thread()))
    });
    let outcomes = corio::gather_futures(jobs).await.expect("no task fails");
    let (results, on_pool): (Vec<String>, Vec<bool>) = outcomes
        .into_iter()
        .map(|r| r.expect("handle does not panic"))
        .unzip();
    println!("  the same results as part 1: {}", results == expected);
    println!(
        "  every job ran on a corio-pool thread: {}",
        on_pool.iter().all(|&b| b)
    );
    println!(
        "  never more than min(32, cpu_count + 4) jobs at once: {}",
        gauge.peak.load(Ordering::SeqCst) <= executor::default_max_workers()
    );
}

fn main() {
    support::args(include_str!("16_thread_pool.rs"), "").done();
    let cpu_count = std::thread::available_parallelism().map_or(1, usize::from);
    let workers = cpu_count + 1;
    let plan = plan();

    let expected = submit_with_callbacks(&plan, workers);
    as_completed();
    corio::run(async {
        run_in_executor(&plan, workers, &expected).await;
        to_thread(&plan, &expected).await;
    });
    // `run` shut the default pool down when it closed the loop.
    println!("\nthe loop is closed, and its default pool with it");
}
