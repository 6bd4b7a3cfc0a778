//! semaphore: bounded concurrency — ten jobs, at most three running at once —
//! and the `BoundedSemaphore` that refuses a release too many.
//!
//! Seed 003, "线程池" (thread pool), the comment on `submit`: "say the pool
//! has 3 threads and there are 5 tasks: three are taken first, one per
//! thread; when a thread finishes its task it comes back for the next". Seed
//! 004's "进程池Pool" says the same of a process pool: once the maximum is
//! reached, a new request waits until one finishes. asyncio gets that limit
//! without a pool: every task holds a permit of `Semaphore(3)` while it
//! works, so a fourth waits until one of the three gives its permit back.
//!
//! corio's semaphore is FIFO: jobs get their permits in the order they asked,
//! and a released permit goes straight to the first waiter.
//!
//! The loop runs on a paused clock (`start_paused`): the clock stands still
//! while tasks run and jumps to the next timer when all of them wait, so the
//! times printed are exact and the output is the same on every run.
//!
//! Run it with `cargo run --example semaphore`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::sync::{BoundedSemaphore, Semaphore};

#[path = "../support/mod.rs"]
mod support;

const MS: Duration = Duration::from_millis(1);

/// How long each of the ten jobs works, in milliseconds.
const JOB_MS: [u32; 10] = [30, 10, 20, 40, 10, 30, 20, 10, 30, 20];

/// What the jobs share: the semaphore, how many run now and at most, and
/// the order in which they started and finished.
struct Shared {
    sem: Semaphore,
    running: Cell<usize>,
    peak: Cell<usize>,
    started: RefCell<Vec<usize>>,
    finished: RefCell<Vec<usize>>,
    start: Instant,
}

impl Shared {
    fn at(&self) -> String {
        format!("{:>3} ms", (corio::time::now() - self.start).as_millis())
    }
}

async fn job(id: usize, shared: Rc<Shared>) {
    if shared.sem.locked() {
        println!("  {} job-{id} waits for a permit", shared.at());
    }
    let permit = shared.sem.permit().await;
    shared.running.set(shared.running.get() + 1);
    shared.peak.set(shared.peak.get().max(shared.running.get()));
    shared.started.borrow_mut().push(id);
    println!(
        "  {} job-{id} starts ({} ms of work), running: {}",
        shared.at(),
        JOB_MS[id],
        shared.running.get()
    );
    corio::time::sleep(MS * JOB_MS[id]).await;
    shared.running.set(shared.running.get() - 1);
    println!("  {} job-{id} ends", shared.at());
    shared.finished.borrow_mut().push(id);
    // The permit goes back here: the first waiter, if any, starts next.
    drop(permit);
}

async fn bounded_concurrency() {
    println!("== 1. ten jobs under Semaphore(3) ==");
    let shared = Rc::new(Shared {
        sem: Semaphore::new(3),
        running: Cell::new(0),
        peak: Cell::new(0),
        started: RefCell::new(Vec::new()),
        finished: RefCell::new(Vec::new()),
        start: corio::time::now(),
    });
    let jobs: Vec<_> = (0..JOB_MS.len())
        .map(|id| corio::spawn(job(id, shared.clone())))
        .collect();
    corio::gather(jobs).await.expect("no job fails");
    let total: u32 = JOB_MS.iter().sum();
    println!(
        "  {} all done; one at a time would take {total} ms",
        shared.at()
    );
    println!("  peak concurrency: {}", shared.peak.get());
    println!(
        "  started in order: {:?} (first come, first served)",
        shared.started.borrow()
    );
    println!("  finished in order: {:?}", shared.finished.borrow());
    println!("  permits free again: {}", shared.sem.value());
}

async fn bounded_release() {
    println!("\n== 2. one release too many ==");
    let plain = Semaphore::new(2);
    plain.acquire().await;
    plain
        .release()
        .expect("a plain semaphore accepts any release");
    plain
        .release()
        .expect("a plain semaphore accepts any release");
    println!(
        "  Semaphore(2): acquire, release, release again: value {} — a third task could now enter",
        plain.value()
    );

    let bounded = BoundedSemaphore::new(2);
    bounded.acquire().await;
    bounded.release().expect("the permit it took");
    match bounded.release() {
        Ok(()) => println!("  BoundedSemaphore(2): the extra release was accepted"),
        Err(e) => println!("  BoundedSemaphore(2): the extra release fails: {e} ({e:?})"),
    }
    println!("  BoundedSemaphore(2) value stays {}", bounded.value());
}

fn main() {
    support::args(include_str!("13_semaphore.rs"), "").done();
    let event_loop = corio::EventLoop::builder()
        .start_paused(true)
        .build()
        .expect("a loop");
    event_loop.block_on(async {
        bounded_concurrency().await;
        bounded_release().await;
    });
}
