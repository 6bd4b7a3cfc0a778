//! producer_consumer: producers and consumers that never talk to each other,
//! only to a bounded queue between them — with `task_done`/`join` to know
//! when all the work is finished.
//!
//! Seed 001, "生产者消费者模型" (the producer-consumer model): "producers and
//! consumers do not communicate directly but through a buffer, which is
//! asynchronous and concurrent; in Python the buffer is usually a message
//! queue". Here the buffer is a `corio::queue::Queue` with room for two
//! items:
//!
//! * a producer that finds it full waits in `put` until a consumer takes an
//!   item (back-pressure: fast producers are slowed to the consumers' pace);
//! * a consumer that finds it empty waits in `get`;
//! * each consumer calls `task_done` when it has finished an item, and
//!   `join` returns once every item put has been finished — not just taken;
//! * then `shutdown` sends the idle consumers home: their waiting `get`
//!   fails. (Before asyncio 3.13 added `shutdown`, the usual way was to
//!   cancel the consumer tasks.)
//!
//! Two producers make four items each (one every 5 ms and every 8 ms);
//! three consumers need 30 ms per item. The loop runs on a paused clock
//! (`start_paused`): the clock stands still while tasks run and jumps to the
//! next timer when all of them wait, so the times printed are exact and the
//! output is the same on every run.
//!
//! Run it with `cargo run --example producer_consumer`.

use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::queue::Queue;

#[path = "../support/mod.rs"]
mod support;

const MS: Duration = Duration::from_millis(1);
const ITEMS_EACH: u32 = 4;
const CONSUME_MS: u32 = 30;

/// Milliseconds since `start` on the loop's clock, for the timeline.
fn at(start: Instant) -> String {
    format!("{:>3} ms", (corio::time::now() - start).as_millis())
}

/// Makes `ITEMS_EACH` items, `make_ms` apart, named after `tag`.
async fn producer(
    name: &'static str,
    tag: char,
    make_ms: u32,
    queue: Rc<Queue<String>>,
    start: Instant,
) {
    for n in 1..=ITEMS_EACH {
        corio::time::sleep(MS * make_ms).await;
        let item = format!("{tag}{n}");
        if queue.full() {
            println!(
                "  {} {name} made {item}; the queue is full: waits",
                at(start)
            );
        }
        queue.put(item.clone()).await.expect("not shut down yet");
        println!(
            "  {} {name} put {item} (items in the queue: {})",
            at(start),
            queue.qsize()
        );
    }
}

/// Takes items until the queue is shut down; returns how many it handled.
async fn consumer(name: &'static str, queue: Rc<Queue<String>>, start: Instant) -> u32 {
    let mut handled = 0;
    while let Ok(item) = queue.get().await {
        println!("  {} {name} took {item}", at(start));
        corio::time::sleep(MS * CONSUME_MS).await;
        println!("  {} {name} finished {item}", at(start));
        handled += 1;
        queue.task_done().expect("one task_done per item taken");
    }
    println!("  {} {name}: the queue is shut down, goes home", at(start));
    handled
}

async fn main_task() {
    let queue = Rc::new(Queue::new(2));
    let start = corio::time::now();
    println!("== two producers, three consumers, a queue of two ==");
    let consumers: Vec<_> = ["consumer-1", "consumer-2", "consumer-3"]
        .into_iter()
        .map(|name| corio::spawn(consumer(name, queue.clone(), start)))
        .collect();
    let producers = [
        corio::spawn(producer("producer-A", 'A', 5, queue.clone(), start)),
        corio::spawn(producer("producer-B", 'B', 8, queue.clone(), start)),
    ];

    corio::gather(producers).await.expect("producers finish");
    println!(
        "  {} -- both producers are done; join waits for the consumers --",
        at(start)
    );
    queue.join().await;
    println!(
        "  {} -- join returned: every item put was finished --",
        at(start)
    );
    queue.shutdown(false);
    let handled = corio::gather(consumers).await.expect("consumers finish");
    println!("  items each consumer handled: {handled:?}");
    println!(
        "  total: {} of {} made",
        handled.iter().sum::<u32>(),
        2 * ITEMS_EACH
    );
}

fn main() {
    support::args(include_str!("15_producer_consumer.rs"), "").done();
    let event_loop = corio::EventLoop::builder()
        .start_paused(true)
        .build()
        .expect("a loop");
    event_loop.block_on(main_task());
}
