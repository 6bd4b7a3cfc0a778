//! `corio::queue` from the outside: `Queue`, `LifoQueue`, `PriorityQueue` —
//! blocking, FIFO among waiters, the `nowait` errors, cancellation, join and
//! task_done, orders, and shutdown.
//!
//! ASYNCIO_SPEC.md behaviours 35–40 are the tests named `b35_…` to `b40_…`.
//! Every test runs its body under a generous deadline, so a lost wake-up
//! fails the test instead of hanging it.

use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use corio::queue::{
    LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull, QueueShutDown, TaskDoneError,
};
use corio::{spawn, yield_now, Task, TaskError};

const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `body` on a fresh loop, failing the test if it has not finished by
/// [`DEADLINE`].
fn run<T>(body: impl Future<Output = T>) -> T {
    corio::run(async move {
        corio::time::timeout(DEADLINE, body)
            .await
            .expect("the test body did not finish: a lost wake-up or a deadlock")
    })
}

/// Lets every ready task run a few loop iterations.
async fn settle() {
    for _ in 0..5 {
        yield_now().await;
    }
}

/// Polls `fut` exactly once, with the current task's waker, without yielding.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx))).await
}

fn cancelled<T>(outcome: Result<T, TaskError>) -> bool {
    matches!(outcome, Err(TaskError::Cancelled(_)))
}

fn getter<T: 'static>(q: &Rc<Queue<T>>) -> Task<Result<T, QueueShutDown>> {
    let q = q.clone();
    spawn(async move { q.get().await })
}

fn putter<T: 'static>(q: &Rc<Queue<T>>, item: T) -> Task<Result<(), QueueShutDown>> {
    let q = q.clone();
    spawn(async move { q.put(item).await })
}

/// `(getters, putters)` waiting, read from the queue's `Debug`.
fn waiting<T>(q: &Queue<T>) -> (usize, usize) {
    let text = format!("{q:?}");
    let field = |name: &str| -> usize {
        let start = text.find(name).expect(name) + name.len();
        let digits: String = text[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().expect("a count")
    };
    (field("getters: "), field("putters: "))
}

/// An item that counts its drops: proves an item was not lost or duplicated.
#[derive(Debug)]
struct Item {
    id: u32,
    drops: Rc<Cell<u32>>,
}

impl Drop for Item {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

// ----- 35: blocking, FIFO among waiters -----

#[test]
fn b35_queue_put_blocks_when_full_get_blocks_when_empty() {
    run(async {
        let q = Rc::new(Queue::new(2));
        q.put(1).await.unwrap();
        q.put(2).await.unwrap();
        assert!(q.full());
        let p = putter(&q, 3);
        settle().await;
        assert!(!p.is_done(), "put waits while the queue is full");
        assert_eq!(q.qsize(), 2);
        assert_eq!(q.get().await, Ok(1));
        settle().await;
        assert!(p.is_done(), "a get makes room for the waiting put");
        p.await.unwrap().unwrap();
        assert_eq!(q.qsize(), 2);
        assert_eq!(q.get().await, Ok(2));
        assert_eq!(q.get().await, Ok(3));
        assert!(q.empty());

        let g = getter(&q);
        settle().await;
        assert!(!g.is_done(), "get waits while the queue is empty");
        q.put_nowait(4).unwrap();
        assert_eq!(g.await.unwrap(), Ok(4));

        // Unbounded: maxsize 0 never blocks a put.
        let q = Queue::new(0);
        assert_eq!(q.maxsize(), 0);
        for i in 0..1000 {
            let mut put = pin!(q.put(i));
            assert!(poll_once(&mut put).await.is_ready());
        }
        assert!(!q.full());
        assert_eq!(q.qsize(), 1000);
    });
}

/// Issue 10: `Queue::new` took an `isize`, so a bound computed as a `usize`
/// (a length, a count) did not compile. It takes the `usize` now, 0 meaning
/// unbounded as asyncio's `maxsize <= 0` does.
#[test]
fn queue_new_takes_a_usize_bound_and_zero_is_unbounded() {
    let workers = ["a", "b", "c"];
    let bound: usize = workers.len();
    let fifo = Queue::new(bound);
    let lifo = LifoQueue::new(bound);
    let prio = PriorityQueue::new(bound);
    for i in 0..bound {
        fifo.put_nowait(i).unwrap();
        lifo.put_nowait(i).unwrap();
        prio.put_nowait(i).unwrap();
    }
    assert_eq!((fifo.maxsize(), lifo.maxsize(), prio.maxsize()), (3, 3, 3));
    assert!(fifo.full() && lifo.full() && prio.full());
    assert!(matches!(fifo.put_nowait(9), Err(QueueFull::Full(9))));
    assert!(matches!(lifo.put_nowait(9), Err(QueueFull::Full(9))));
    assert!(matches!(prio.put_nowait(9), Err(QueueFull::Full(9))));

    let unbounded: [usize; 3] = [
        Queue::<u8>::new(0).maxsize(),
        LifoQueue::<u8>::new(0).maxsize(),
        PriorityQueue::<u8>::new(0).maxsize(),
    ];
    assert_eq!(unbounded, [0, 0, 0]);
    let q = PriorityQueue::new(0);
    for i in 0..10_000u32 {
        q.put_nowait(i)
            .expect("a queue with maxsize 0 is never full");
    }
    assert!(!q.full());
}

#[test]
fn b35_queue_fifo_among_getters() {
    run(async {
        let q = Rc::new(Queue::new(0));
        let getters: Vec<_> = (0..5).map(|_| getter(&q)).collect();
        settle().await;
        assert_eq!(waiting(&q), (5, 0));
        // Items put one at a time, and in a burst: the first waiter gets the first item.
        q.put_nowait(10).unwrap();
        settle().await;
        assert!(getters[0].is_done());
        assert!(getters[1..].iter().all(|g| !g.is_done()));
        for i in 11..15 {
            q.put_nowait(i).unwrap();
        }
        let mut got = Vec::new();
        for g in getters {
            got.push(g.await.unwrap().unwrap());
        }
        assert_eq!(got, [10, 11, 12, 13, 14]);
    });
}

#[test]
fn b35_queue_fifo_among_putters() {
    run(async {
        let q = Rc::new(Queue::new(1));
        q.put_nowait(100).unwrap();
        let putters: Vec<_> = (0..5).map(|i| putter(&q, i)).collect();
        settle().await;
        assert_eq!(waiting(&q), (0, 5));
        let mut got = Vec::new();
        for _ in 0..6 {
            got.push(q.get().await.unwrap());
            settle().await; // the next putter fills the slot
        }
        assert_eq!(got, [100, 0, 1, 2, 3, 4]);
        for p in putters {
            p.await.unwrap().unwrap();
        }
        assert!(q.empty());
    });
}

// ----- 36: the nowait errors -----

#[test]
fn b36_put_nowait_on_full_is_queue_full_get_nowait_on_empty_is_queue_empty() {
    let drops = Rc::new(Cell::new(0));
    let item = |id| Item {
        id,
        drops: drops.clone(),
    };
    let q: Queue<Item> = Queue::new(1);
    assert_eq!(q.get_nowait().map(|i| i.id), Err(QueueEmpty::Empty));
    q.put_nowait(item(1)).unwrap();
    assert!(q.full());
    match q.put_nowait(item(2)) {
        Err(QueueFull::Full(back)) => assert_eq!(back.id, 2, "the item comes back"),
        other => panic!("expected QueueFull::Full, got {other:?}"),
    }
    assert_eq!(drops.get(), 1, "only the returned item was dropped (by us)");
    let back = q.put_nowait(item(3)).unwrap_err().into_inner();
    assert_eq!(back.id, 3);
    drop(back);
    assert_eq!(q.qsize(), 1);
    assert_eq!(q.get_nowait().unwrap().id, 1);
    assert_eq!(drops.get(), 3);
    assert_eq!(q.get_nowait().map(|i| i.id), Err(QueueEmpty::Empty));
    assert!(q.empty() && !q.full());
    // The same for the other two kinds.
    let lifo = LifoQueue::new(1);
    lifo.put_nowait('a').unwrap();
    assert_eq!(lifo.put_nowait('b'), Err(QueueFull::Full('b')));
    assert_eq!(lifo.get_nowait(), Ok('a'));
    assert_eq!(lifo.get_nowait(), Err(QueueEmpty::Empty));
    let prio = PriorityQueue::new(1);
    prio.put_nowait(5).unwrap();
    assert_eq!(prio.put_nowait(1), Err(QueueFull::Full(1)));
    assert_eq!(prio.get_nowait(), Ok(5));
    assert_eq!(prio.get_nowait(), Err(QueueEmpty::Empty));
}

// ----- 37: cancellation loses nothing -----

#[test]
fn b37_cancelled_get_loses_no_item_and_passes_the_wake_up_on() {
    run(async {
        let drops = Rc::new(Cell::new(0));
        let q = Rc::new(Queue::new(0));
        let g0 = getter(&q);
        let g1 = getter(&q);
        settle().await;
        q.put_nowait(Item {
            id: 7,
            drops: drops.clone(),
        })
        .unwrap(); // wakes g0...
        assert!(g0.cancel()); // ...cancelled before it ran
        settle().await;
        assert!(cancelled(g0.await));
        assert!(
            g1.is_done(),
            "the wake-up passed to g1, which must not be stranded"
        );
        let got = g1.await.unwrap().unwrap();
        assert_eq!(got.id, 7);
        assert_eq!(drops.get(), 0, "the item was never dropped on the way");
        assert!(q.empty());
        assert_eq!(waiting(&q), (0, 0));
    });
}

#[test]
fn b37_cancelled_sole_getter_leaves_the_item_in_the_queue() {
    run(async {
        let q = Rc::new(Queue::new(0));
        let g = getter(&q);
        settle().await;
        q.put_nowait("item").unwrap();
        g.cancel();
        settle().await;
        assert!(cancelled(g.await));
        assert_eq!(q.qsize(), 1, "the item is still there");
        assert_eq!(q.get_nowait(), Ok("item"));

        // A get that times out (zero or tiny) takes nothing and leaves no waiter.
        let r = corio::time::timeout(Duration::ZERO, q.get()).await;
        assert!(r.is_err());
        let r = corio::time::timeout(Duration::from_millis(1), q.get()).await;
        assert!(r.is_err());
        assert_eq!(waiting(&q), (0, 0));
        q.put_nowait("next").unwrap();
        assert_eq!(q.get().await, Ok("next"));
    });
}

#[test]
fn b37_cancelled_put_adds_nothing_and_passes_the_wake_up_on() {
    run(async {
        let q = Rc::new(Queue::new(1));
        q.put_nowait(0).unwrap();
        let p1 = putter(&q, 1);
        let p2 = putter(&q, 2);
        let p3 = putter(&q, 3);
        settle().await;
        p3.cancel(); // still queued
        settle().await;
        assert!(cancelled(p3.await));
        assert_eq!(q.get_nowait(), Ok(0)); // wakes p1...
        p1.cancel(); // ...cancelled before it ran: p2 takes the slot
        settle().await;
        assert!(cancelled(p1.await));
        p2.await.unwrap().unwrap();
        assert_eq!(q.get_nowait(), Ok(2));
        assert_eq!(
            q.get_nowait(),
            Err(QueueEmpty::Empty),
            "1 and 3 were never added"
        );
        assert_eq!(waiting(&q), (0, 0));
    });
}

// ----- 38: join and task_done -----

#[test]
fn b38_join_waits_for_task_done_of_every_item_extra_task_done_is_an_error() {
    run(async {
        let q = Rc::new(Queue::new(0));
        // Nothing put: join returns at once.
        assert!(poll_once(&mut pin!(q.join())).await.is_ready());

        for i in 0..3 {
            q.put_nowait(i).unwrap();
        }
        let joiners: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                spawn(async move { q.join().await })
            })
            .collect();
        settle().await;
        for _ in 0..3 {
            q.get().await.unwrap();
        }
        settle().await;
        assert!(
            joiners.iter().all(|j| !j.is_done()),
            "gotten is not done: join waits for task_done"
        );
        q.task_done().unwrap();
        q.task_done().unwrap();
        settle().await;
        assert!(joiners.iter().all(|j| !j.is_done()), "one item is not done");
        q.task_done().unwrap();
        settle().await;
        assert!(joiners.iter().all(|j| j.is_done()), "every joiner wakes");
        for j in joiners {
            j.await.unwrap();
        }
        assert_eq!(q.task_done(), Err(TaskDoneError));
        assert!(poll_once(&mut pin!(q.join())).await.is_ready());

        // The count starts again with the next put.
        q.put_nowait(9).unwrap();
        assert!(poll_once(&mut pin!(q.join())).await.is_pending());
        q.get_nowait().unwrap();
        q.task_done().unwrap();
        q.join().await;
        assert_eq!(q.task_done(), Err(TaskDoneError));
    });
}

// ----- 39: LIFO and priority orders -----

#[test]
fn b39_lifo_queue_order() {
    run(async {
        let q = LifoQueue::new(0);
        for i in 1..=5 {
            q.put(i).await.unwrap();
        }
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(q.get().await.unwrap());
        }
        q.put_nowait(6).unwrap();
        while let Ok(i) = q.get_nowait() {
            got.push(i);
        }
        assert_eq!(got, [5, 4, 3, 6, 2, 1]);
    });
}

/// Ordered by `priority` only: two jobs of equal priority compare equal,
/// so only the queue's insertion order can tell them apart.
#[derive(Debug, Clone, Copy)]
struct Job {
    priority: u8,
    name: u32,
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.priority == other.priority
    }
}

impl Eq for Job {}

impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Job {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority.cmp(&other.priority)
    }
}

#[test]
fn b39_priority_queue_order_equal_priorities_stable_by_insertion() {
    run(async {
        let q = PriorityQueue::new(0);
        let jobs = [(2, 0), (1, 1), (2, 2), (1, 3), (0, 4), (2, 5), (0, 6)];
        for (priority, name) in jobs {
            q.put(Job { priority, name }).await.unwrap();
        }
        let mut got = Vec::new();
        while let Ok(job) = q.get_nowait() {
            got.push(job.name);
        }
        assert_eq!(got, [4, 6, 1, 3, 0, 2, 5]);

        // Many items, with gets interleaved: always the stable sort.
        let mut x = 12_345u32;
        let mut next = || {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            x >> 16
        };
        let mut model: Vec<Job> = Vec::new();
        let mut got = Vec::new();
        let mut expected = Vec::new();
        for name in 0..2000 {
            let job = Job {
                priority: (next() % 5) as u8,
                name,
            };
            q.put_nowait(job).unwrap();
            model.push(job);
            if next() % 3 == 0 {
                // The model: the first-inserted among the smallest.
                let (at, _) = model
                    .iter()
                    .enumerate()
                    .min_by_key(|(i, j)| (j.priority, *i))
                    .unwrap();
                expected.push(model.remove(at).name);
                got.push(q.get().await.unwrap().name);
            }
        }
        model.sort_by_key(|j| j.priority); // stable
        expected.extend(model.iter().map(|j| j.name));
        while let Ok(job) = q.get_nowait() {
            got.push(job.name);
        }
        assert_eq!(got, expected);
    });
}

// ----- 40: shutdown -----

#[test]
fn b40_queue_shutdown_put_fails_get_drains_then_fails() {
    run(async {
        let q = Queue::new(0);
        q.put_nowait(1).unwrap();
        q.put_nowait(2).unwrap();
        assert!(!q.is_shut_down());
        q.shutdown(false);
        assert!(q.is_shut_down());
        assert_eq!(
            q.put_nowait(3),
            Err(QueueFull::ShutDown(3)),
            "the item comes back"
        );
        assert_eq!(q.put(4).await, Err(QueueShutDown));
        assert_eq!(q.qsize(), 2, "the items stay");
        assert_eq!(q.get().await, Ok(1));
        assert_eq!(q.get_nowait(), Ok(2));
        assert_eq!(q.get().await, Err(QueueShutDown));
        assert_eq!(q.get_nowait(), Err(QueueEmpty::ShutDown));
        // task_done still counts the items that were put before.
        q.task_done().unwrap();
        q.task_done().unwrap();
        assert_eq!(q.task_done(), Err(TaskDoneError));
        q.join().await;
    });
}

#[test]
fn b40_queue_shutdown_immediate_drains_and_counts_the_items_done() {
    run(async {
        let drops = Rc::new(Cell::new(0));
        let q = Rc::new(Queue::new(0));
        for id in 0..4 {
            q.put_nowait(Item {
                id,
                drops: drops.clone(),
            })
            .unwrap();
        }
        let taken = q.get().await.unwrap(); // gotten, not yet done
        let joiner = {
            let q = q.clone();
            spawn(async move { q.join().await })
        };
        settle().await;
        assert!(!joiner.is_done());
        q.shutdown(true);
        assert_eq!(q.qsize(), 0, "immediate drains the queue");
        assert_eq!(drops.get(), 3, "the three queued items were dropped");
        settle().await;
        assert!(
            !joiner.is_done(),
            "the gotten item still awaits its task_done"
        );
        drop(taken);
        q.task_done().unwrap();
        settle().await;
        assert!(joiner.is_done());
        joiner.await.unwrap();
        assert_eq!(
            q.task_done(),
            Err(TaskDoneError),
            "the drained ones were counted"
        );
        assert!(matches!(q.get_nowait(), Err(QueueEmpty::ShutDown)));

        // With nothing gotten, the drain alone releases join.
        let q = Rc::new(Queue::new(0));
        for i in 0..3 {
            q.put_nowait(i).unwrap();
        }
        let joiner = {
            let q = q.clone();
            spawn(async move { q.join().await })
        };
        settle().await;
        q.shutdown(true);
        settle().await;
        assert!(joiner.is_done());
        joiner.await.unwrap();
    });
}

#[test]
fn b40_queue_shutdown_wakes_blocked_getters_and_putters_with_errors() {
    run(async {
        // Getters on an empty queue.
        let q = Rc::new(Queue::<u8>::new(0));
        let getters: Vec<_> = (0..3).map(|_| getter(&q)).collect();
        settle().await;
        q.shutdown(false);
        for g in getters {
            assert_eq!(g.await.unwrap(), Err(QueueShutDown));
        }
        assert_eq!(waiting(&q), (0, 0));

        // Putters on a full queue: they fail; the queued item stays (not immediate).
        let q = Rc::new(Queue::new(1));
        q.put_nowait(0).unwrap();
        let putters: Vec<_> = (1..=3).map(|i| putter(&q, i)).collect();
        settle().await;
        q.shutdown(false);
        for p in putters {
            assert_eq!(p.await.unwrap(), Err(QueueShutDown));
        }
        assert_eq!(q.get().await, Ok(0));
        assert_eq!(q.get().await, Err(QueueShutDown));

        // Immediate, with putters waiting: they fail and nothing is left.
        let q = Rc::new(Queue::new(1));
        q.put_nowait(0).unwrap();
        let p = putter(&q, 1);
        settle().await;
        q.shutdown(true);
        assert_eq!(p.await.unwrap(), Err(QueueShutDown));
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.get_nowait(), Err(QueueEmpty::ShutDown));
    });
}

#[test]
fn queue_producer_consumer_with_join() {
    run(async {
        let q = Rc::new(Queue::new(3));
        let consumed = Rc::new(RefCell::new(Vec::new()));
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let (q, consumed) = (q.clone(), consumed.clone());
                spawn(async move {
                    while let Ok(item) = q.get().await {
                        yield_now().await;
                        consumed.borrow_mut().push(item);
                        q.task_done().unwrap();
                    }
                })
            })
            .collect();
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let q = q.clone();
                spawn(async move {
                    for i in 0..50 {
                        q.put(p * 100 + i).await.unwrap();
                        assert!(q.qsize() <= 3);
                    }
                })
            })
            .collect();
        for p in producers {
            p.await.unwrap();
        }
        q.join().await;
        assert_eq!(consumed.borrow().len(), 100);
        q.shutdown(false);
        for c in consumers {
            c.await.unwrap();
        }
        let mut all = consumed.borrow().clone();
        all.sort_unstable();
        let expected: Vec<_> = (0..50).chain(100..150).collect();
        assert_eq!(all, expected);
    });
}

#[test]
fn an_item_whose_drop_uses_the_queue_can_be_dropped_by_shutdown() {
    use std::rc::Rc;
    struct Noisy(Rc<corio::queue::Queue<Option<Noisy>>>);
    impl Drop for Noisy {
        fn drop(&mut self) {
            // Touches the queue while it is being drained.
            let _ = self.0.qsize();
        }
    }
    let q: Rc<corio::queue::Queue<Option<Noisy>>> = Rc::new(corio::queue::Queue::new(0));
    q.put_nowait(Some(Noisy(q.clone()))).unwrap();
    q.shutdown(true);
    assert_eq!(q.qsize(), 0);
}
