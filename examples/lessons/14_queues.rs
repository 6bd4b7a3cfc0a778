//! queues: the three queues and their rules — FIFO, LIFO and priority
//! order, what `put_nowait` and `get_nowait` say when they cannot proceed,
//! and shutting a queue down.
//!
//! Seed 001, "queue模块" (the queue module): its `Queue`, `LifoQueue` and
//! `PriorityQueue` classes, which asyncio mirrors for tasks. Seed 004, "并发
//! 的解决" (ways to handle concurrency), lists "队列、缓冲区" (a queue is a
//! buffer: first come, first served) and "优先队列" (a priority queue).
//!
//! The three corio queues share everything but the order items come out in.
//! A `PriorityQueue` hands out its smallest item first, and equal items in
//! the order they were put.
//!
//! Run it with `cargo run --example queues`.

use std::cmp::Ordering;
use std::rc::Rc;

use corio::queue::{LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull};

#[path = "../support/mod.rs"]
mod support;

/// The items put into each queue in part 1, in this order.
const ITEMS: [u32; 6] = [3, 1, 4, 1, 5, 9];

/// Takes everything with `get_nowait` until the queue says it is empty.
macro_rules! drain {
    ($queue:expr) => {
        std::iter::from_fn(|| $queue.get_nowait().ok()).collect::<Vec<_>>()
    };
}

/// A job ordered by its priority alone, so jobs of equal priority are equal
/// to the queue, and come out in the order they were put.
#[derive(Debug)]
struct Job {
    priority: u8,
    name: &'static str,
}

impl Ord for Job {
    fn cmp(&self, other: &Job) -> Ordering {
        self.priority.cmp(&other.priority)
    }
}

impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Job) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Job {
    fn eq(&self, other: &Job) -> bool {
        self.priority == other.priority
    }
}

impl Eq for Job {}

fn orders() {
    println!("== 1. the same puts, three orders ==");
    println!("  put:           {ITEMS:?}");
    let fifo = Queue::new(0);
    let lifo = LifoQueue::new(0);
    let smallest = PriorityQueue::new(0);
    for item in ITEMS {
        fifo.put_nowait(item).expect("unbounded");
        lifo.put_nowait(item).expect("unbounded");
        smallest.put_nowait(item).expect("unbounded");
    }
    println!("  Queue:         {:?}", drain!(fifo));
    println!("  LifoQueue:     {:?}", drain!(lifo));
    println!("  PriorityQueue: {:?}", drain!(smallest));
}

fn priorities() {
    println!("\n== 2. equal priorities ==");
    let todo = [
        (2, "write report"),
        (1, "fix bug"),
        (2, "answer mail"),
        (1, "deploy"),
    ];
    println!("  put: {todo:?}");

    // asyncio's advice, (priority, data) tuples: a tie compares the data.
    let tuples = PriorityQueue::new(0);
    for entry in todo {
        tuples.put_nowait(entry).expect("unbounded");
    }
    println!("  (priority, name) tuples, ties broken by name:");
    println!("    {:?}", drain!(tuples));

    // Ordered by priority only: a tie is a tie, and insertion order decides.
    let jobs = PriorityQueue::new(0);
    for (priority, name) in todo {
        jobs.put_nowait(Job { priority, name }).expect("unbounded");
    }
    let names: Vec<_> = drain!(jobs)
        .into_iter()
        .map(|job| (job.priority, job.name))
        .collect();
    println!("  Job ordered by priority alone, ties in insertion order:");
    println!("    {names:?}");
}

fn errors() {
    println!("\n== 3. when a queue cannot proceed at once ==");
    let q = Queue::new(2);
    q.put_nowait("a").expect("room for two");
    q.put_nowait("b").expect("room for two");
    println!(
        "  Queue(maxsize=2) after two puts: qsize {}, full {}",
        q.qsize(),
        q.full()
    );
    match q.put_nowait("c") {
        Ok(()) => println!("  put_nowait(\"c\") succeeded"),
        Err(e @ QueueFull::Full(_)) => {
            println!("  put_nowait(\"c\"): {e} — {e:?}, and the item comes back:");
            println!("    {:?}", e.into_inner());
        }
        Err(e) => println!("  put_nowait(\"c\"): {e}"),
    }
    println!("  get_nowait: {:?}, {:?}", q.get_nowait(), q.get_nowait());
    match q.get_nowait() {
        Ok(item) => println!("  get_nowait: {item}"),
        Err(e @ QueueEmpty::Empty) => println!("  get_nowait on the empty queue: {e} ({e:?})"),
        Err(e) => println!("  get_nowait: {e}"),
    }
    for _ in 0..2 {
        q.task_done().expect("two items were put");
    }
    println!(
        "  task_done a third time, for two items put: {:?}",
        q.task_done()
    );
    let unbounded = Queue::new(0);
    for i in 0..1000 {
        unbounded.put_nowait(i).expect("unbounded");
    }
    println!(
        "  Queue::new(0) is unbounded: {} items, full {}",
        unbounded.qsize(),
        unbounded.full()
    );
}

async fn shutdown() {
    println!("\n== 4. shutdown ==");
    let q = Rc::new(Queue::<&str>::new(0));
    let getter = {
        let q = q.clone();
        corio::spawn(async move { q.get().await })
    };
    corio::yield_now().await;
    println!("  a getter waits on the empty queue: {q:?}");
    q.shutdown(false);
    println!("  shutdown(false) wakes it: {:?}", getter.await.unwrap());

    let q = Rc::new(Queue::new(2));
    q.put_nowait("first").expect("room");
    q.put_nowait("second").expect("room");
    let putter = {
        let q = q.clone();
        corio::spawn(async move { q.put("third").await })
    };
    corio::yield_now().await;
    println!("  a putter waits on the full queue: {q:?}");
    q.shutdown(false);
    println!("  shutdown(false) wakes it: {:?}", putter.await.unwrap());
    println!("  put_nowait now: {:?}", q.put_nowait("late"));
    println!("  what was in the queue can still be taken:");
    println!("    get: {:?}", q.get().await);
    println!("    get: {:?}", q.get().await);
    println!("    get: {:?} (empty and shut down)", q.get().await);
    println!("  get_nowait too: {:?}", q.get_nowait());

    let q = Queue::new(0);
    for item in ["x", "y", "z"] {
        q.put_nowait(item).expect("unbounded");
    }
    let waiting = q.qsize();
    q.shutdown(true);
    println!(
        "  shutdown(true) drops the {waiting} items waiting: qsize {}",
        q.qsize()
    );
    // The dropped items count as done, so join has nothing to wait for.
    q.join().await;
    println!("  and counts them done: join returned at once");
}

fn main() {
    support::args(include_str!("14_queues.rs"), "").done();
    // The `_nowait` methods never wait, so they need no loop: parts 1 to 3
    // run as plain code; only part 4 has tasks waiting, and runs on a loop.
    orders();
    priorities();
    errors();
    corio::run(shutdown());
}
