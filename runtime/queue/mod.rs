//! `corio::queue`: asyncio's `Queue`, `LifoQueue` and `PriorityQueue` — for
//! producers and consumers among the tasks of one loop.
//!
//! The three share one implementation (`core::QueueCore`) and differ only in
//! how items are kept (`store`). `maxsize` is a `usize` and 0 means unbounded
//! (asyncio's `maxsize ≤ 0`: a count cannot be negative in Rust); `put` waits
//! while the queue is full and `get` while it is empty, FIFO among waiters;
//! `task_done`/`join` count work; `shutdown` (3.13) ends it.

mod core;
mod error;
mod store;

use std::fmt;

pub use error::{QueueEmpty, QueueFull, QueueShutDown, TaskDoneError};

use self::core::QueueCore;
use store::{Fifo, Lifo, Smallest};

macro_rules! queue_type {
    ($(#[$doc:meta])* $name:ident, $store:ident, $item:ident $(: $bound:path)?, $a:literal, $b:literal, $c:literal, $first:literal) => {
        $(#[$doc])*
        pub struct $name<$item $(: $bound)?> {
            core: QueueCore<$item, $store<$item>>,
        }

        impl<$item $(: $bound)?> $name<$item> {
            #[doc = concat!("A queue holding at most `maxsize` items; `maxsize` 0 means unbounded (asyncio's `maxsize <= 0`).\n\n```\nlet bound: usize = 2;\nlet q = corio::queue::", stringify!($name), "::<u8>::new(bound);\nassert_eq!(q.maxsize(), 2);\nlet unbounded = corio::queue::", stringify!($name), "::<u8>::new(0);\nassert!(!unbounded.full());\n```")]
            pub fn new(maxsize: usize) -> $name<$item> {
                $name { core: QueueCore::new(maxsize) }
            }

            #[doc = concat!("Adds an item at once.\n\n# Errors\n\n`QueueFull::Full(item)` at `maxsize`, `QueueFull::ShutDown(item)` after `shutdown`; the item comes back.\n\n```\nlet q = corio::queue::", stringify!($name), "::new(1);\nq.put_nowait(", $a, ").unwrap();\nassert!(matches!(q.put_nowait(", $b, "), Err(corio::queue::QueueFull::Full(_))));\n```")]
            pub fn put_nowait(&self, item: $item) -> Result<(), QueueFull<$item>> {
                self.core.put_nowait(item)
            }

            #[doc = concat!("Takes an item at once.\n\n# Errors\n\n`QueueEmpty::Empty`, or `QueueEmpty::ShutDown` once shut down and drained.\n\n```\nlet q = corio::queue::", stringify!($name), "::<u8>::new(0);\nassert_eq!(q.get_nowait(), Err(corio::queue::QueueEmpty::Empty));\n```")]
            pub fn get_nowait(&self) -> Result<$item, QueueEmpty> {
                self.core.get_nowait()
            }

            #[doc = concat!("Adds an item, waiting while the queue is full. A cancelled `put` adds nothing.\n\n# Errors\n\n[`QueueShutDown`] after `shutdown` (the item is dropped).\n\n```\ncorio::run(async {\n    let q = corio::queue::", stringify!($name), "::new(0);\n    q.put(", $a, ").await.unwrap();\n    assert_eq!(q.qsize(), 1);\n});\n```")]
            pub async fn put(&self, item: $item) -> Result<(), QueueShutDown> {
                self.core.put(item).await
            }

            #[doc = concat!("Takes an item, waiting while the queue is empty. A cancelled `get` takes no item.\n\n# Errors\n\n[`QueueShutDown`] once shut down and drained.\n\n```\ncorio::run(async {\n    let q = corio::queue::", stringify!($name), "::new(0);\n    for x in [", $a, ", ", $b, ", ", $c, "] { q.put_nowait(x).unwrap(); }\n    assert_eq!(q.get().await.unwrap(), ", $first, ");\n});\n```")]
            pub async fn get(&self) -> Result<$item, QueueShutDown> {
                self.core.get().await
            }

            #[doc = concat!("Items in the queue.\n\n```\nlet q = corio::queue::", stringify!($name), "::<u8>::new(0);\nassert_eq!(q.qsize(), 0);\n```")]
            pub fn qsize(&self) -> usize {
                self.core.qsize()
            }

            #[doc = concat!("`true` when there are no items.\n\n```\nassert!(corio::queue::", stringify!($name), "::<u8>::new(0).empty());\n```")]
            pub fn empty(&self) -> bool {
                self.core.qsize() == 0
            }

            #[doc = concat!("`true` at `maxsize` (never for an unbounded queue).\n\n```\nlet q = corio::queue::", stringify!($name), "::new(1);\nq.put_nowait(", $a, ").unwrap();\nassert!(q.full());\n```")]
            pub fn full(&self) -> bool {
                self.core.full()
            }

            #[doc = concat!("The bound (0: unbounded).\n\n```\nassert_eq!(corio::queue::", stringify!($name), "::<u8>::new(0).maxsize(), 0);\n```")]
            pub fn maxsize(&self) -> usize {
                self.core.maxsize()
            }

            #[doc = concat!("Marks one item taken with `get` as processed.\n\n# Errors\n\n[`TaskDoneError`] when called more times than items were put.\n\n```\nlet q = corio::queue::", stringify!($name), "::<u8>::new(0);\nassert_eq!(q.task_done(), Err(corio::queue::TaskDoneError));\n```")]
            pub fn task_done(&self) -> Result<(), TaskDoneError> {
                self.core.task_done()
            }

            #[doc = concat!("Waits until every item put has been marked done with `task_done`.\n\n```\ncorio::run(async {\n    let q = corio::queue::", stringify!($name), "::new(0);\n    q.put_nowait(", $a, ").unwrap();\n    q.get().await.unwrap();\n    q.task_done().unwrap();\n    q.join().await;\n});\n```")]
            pub async fn join(&self) {
                self.core.join().await
            }

            #[doc = concat!("Shuts the queue down (asyncio 3.13): `put` fails from now on, `get` fails once the queue is empty; `immediate` also drops the items and counts them done. Every waiting task wakes.\n\n```\ncorio::run(async {\n    let q = corio::queue::", stringify!($name), "::new(0);\n    q.put_nowait(", $a, ").unwrap();\n    q.shutdown(false);\n    assert!(q.put(", $b, ").await.is_err());\n    assert!(q.get().await.is_ok());\n    assert!(q.get().await.is_err());\n});\n```")]
            pub fn shutdown(&self, immediate: bool) {
                self.core.shutdown(immediate)
            }

            #[doc = concat!("`true` after `shutdown`.\n\n```\nlet q = corio::queue::", stringify!($name), "::<u8>::new(0);\nq.shutdown(true);\nassert!(q.is_shut_down());\n```")]
            pub fn is_shut_down(&self) -> bool {
                self.core.is_shut_down()
            }
        }

        impl<$item $(: $bound)?> fmt::Debug for $name<$item> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let (getters, putters) = self.core.waiting();
                f.debug_struct(stringify!($name))
                    .field("qsize", &self.qsize())
                    .field("maxsize", &self.maxsize())
                    .field("getters", &getters)
                    .field("putters", &putters)
                    .field("shut_down", &self.is_shut_down())
                    .finish()
            }
        }
    };
}

queue_type!(
    /// asyncio's `Queue`: first in, first out.
    ///
    /// ```
    /// use std::rc::Rc;
    /// corio::run(async {
    ///     let q = Rc::new(corio::queue::Queue::new(2));
    ///     let producer = { let q = q.clone(); corio::spawn(async move {
    ///         for i in 0..5 { q.put(i).await.unwrap(); } // waits while full
    ///     }) };
    ///     let mut got = Vec::new();
    ///     for _ in 0..5 { got.push(q.get().await.unwrap()); }
    ///     producer.await.unwrap();
    ///     assert_eq!(got, [0, 1, 2, 3, 4]);
    /// });
    /// ```
    Queue, Fifo, T, "1", "2", "3", "1"
);

queue_type!(
    /// asyncio's `LifoQueue`: last in, first out.
    ///
    /// ```
    /// let q = corio::queue::LifoQueue::new(0);
    /// for x in [1, 2, 3] { q.put_nowait(x).unwrap(); }
    /// assert_eq!(q.get_nowait(), Ok(3));
    /// ```
    LifoQueue, Lifo, T, "1", "2", "3", "3"
);

queue_type!(
    /// asyncio's `PriorityQueue`: smallest first; equal items come out in the
    /// order they were put (use `(priority, payload)` tuples as asyncio does).
    ///
    /// ```
    /// let q = corio::queue::PriorityQueue::new(0);
    /// for x in [(2, "b"), (1, "x"), (2, "a"), (1, "y")] { q.put_nowait(x).unwrap(); }
    /// let order: Vec<_> = std::iter::from_fn(|| q.get_nowait().ok()).collect();
    /// assert_eq!(order, [(1, "x"), (1, "y"), (2, "a"), (2, "b")]);
    /// ```
    PriorityQueue, Smallest, T: Ord, "3", "2", "1", "1"
);
