//! `Barrier`: asyncio 3.11's barrier — `parties` tasks meet, then all go on.

use std::cell::Cell;
use std::fmt;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

use super::error::BrokenBarrierError;
use super::wait_queue::{WaitNode, WaitQueue};

/// An asyncio `Barrier`: `wait` returns when `parties` tasks are waiting,
/// each with a distinct index in `0..parties` (the waiters in arrival order,
/// the task that completes the round last); then the barrier is ready for the
/// next round. `abort` breaks it: every waiter, and
/// every later `wait`, gets [`BrokenBarrierError`] until `reset`.
///
/// ```
/// use std::rc::Rc;
/// corio::run(async {
///     let barrier = Rc::new(corio::sync::Barrier::new(3));
///     let tasks: Vec<_> = (0..3).map(|_| {
///         let b = barrier.clone();
///         corio::spawn(async move { b.wait().await.unwrap() })
///     }).collect();
///     let mut indices = corio::gather(tasks).await.unwrap();
///     indices.sort();
///     assert_eq!(indices, [0, 1, 2]);
/// });
/// ```
pub struct Barrier {
    parties: usize,
    /// Tasks waiting in the current round.
    arrived: Cell<usize>,
    /// Rounds completed; a waiter released by a completed round sees it move.
    round: Cell<u64>,
    broken: Cell<bool>,
    waiters: WaitQueue,
}

impl Barrier {
    /// A barrier for `parties` tasks.
    ///
    /// # Panics
    ///
    /// When `parties` is 0 (asyncio's `ValueError`).
    ///
    /// ```
    /// assert_eq!(corio::sync::Barrier::new(2).parties(), 2);
    /// ```
    #[track_caller]
    pub fn new(parties: usize) -> Barrier {
        assert!(parties > 0, "a Barrier needs at least one party");
        Barrier {
            parties,
            arrived: Cell::new(0),
            round: Cell::new(0),
            broken: Cell::new(false),
            waiters: WaitQueue::default(),
        }
    }

    /// How many tasks must meet.
    ///
    /// ```
    /// assert_eq!(corio::sync::Barrier::new(4).parties(), 4);
    /// ```
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// How many tasks are waiting now.
    ///
    /// ```
    /// assert_eq!(corio::sync::Barrier::new(4).n_waiting(), 0);
    /// ```
    pub fn n_waiting(&self) -> usize {
        self.arrived.get()
    }

    /// `true` after [`abort`](Barrier::abort), until [`reset`](Barrier::reset).
    ///
    /// ```
    /// let b = corio::sync::Barrier::new(2);
    /// b.abort();
    /// assert!(b.broken());
    /// ```
    pub fn broken(&self) -> bool {
        self.broken.get()
    }

    /// Waits until `parties` tasks wait; returns this task's index. A task
    /// cancelled while waiting leaves the round.
    ///
    /// # Errors
    ///
    /// [`BrokenBarrierError`] when the barrier is or becomes broken.
    ///
    /// ```
    /// corio::run(async {
    ///     let b = corio::sync::Barrier::new(1);
    ///     assert_eq!(b.wait().await, Ok(0));
    /// });
    /// ```
    pub async fn wait(&self) -> Result<usize, BrokenBarrierError> {
        if self.broken.get() {
            return Err(BrokenBarrierError);
        }
        let arrived = self.arrived.get();
        if arrived + 1 == self.parties {
            self.arrived.set(0);
            self.round.set(self.round.get() + 1);
            // Numbered at release, not at arrival: a waiter that left the
            // round (cancelled) frees its number for a later arrival.
            let waiting = self.waiters.notify_all_numbered();
            return Ok(waiting);
        }
        self.arrived.set(arrived + 1);
        let round = self.round.get();
        let mut waiting = Waiting {
            barrier: self,
            node: None,
        };
        let index = poll_fn(|cx| match &waiting.node {
            None => {
                waiting.node = Some(self.waiters.push(cx.waker()));
                Poll::Pending
            }
            Some(node) if node.is_notified() => {
                let index = node.number();
                waiting.node = None;
                Poll::Ready(index)
            }
            Some(node) => {
                node.register(cx.waker());
                Poll::Pending
            }
        })
        .await;
        if self.round.get() != round {
            Ok(index)
        } else {
            Err(BrokenBarrierError)
        }
    }

    /// Breaks the barrier: every waiter gets [`BrokenBarrierError`].
    ///
    /// ```
    /// use std::rc::Rc;
    /// corio::run(async {
    ///     let b = Rc::new(corio::sync::Barrier::new(2));
    ///     let w = { let b = b.clone(); corio::spawn(async move { b.wait().await }) };
    ///     corio::yield_now().await;
    ///     b.abort();
    ///     assert!(w.await.unwrap().is_err());
    /// });
    /// ```
    pub fn abort(&self) {
        self.broken.set(true);
        self.arrived.set(0);
        self.waiters.notify_all();
    }

    /// Returns the barrier to its empty, unbroken state; current waiters get
    /// [`BrokenBarrierError`].
    ///
    /// ```
    /// let b = corio::sync::Barrier::new(2);
    /// b.abort();
    /// b.reset();
    /// assert!(!b.broken());
    /// ```
    pub fn reset(&self) {
        self.arrived.set(0);
        self.waiters.notify_all();
        self.broken.set(false);
    }
}

/// A queued arrival; if cancelled before the round completes, it leaves.
struct Waiting<'a> {
    barrier: &'a Barrier,
    node: Option<Rc<WaitNode>>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(node) = self.node.take() {
            if !node.is_notified() {
                self.barrier.waiters.remove(&node);
                let arrived = self.barrier.arrived.get();
                self.barrier.arrived.set(arrived.saturating_sub(1));
            }
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("waiting", &self.n_waiting())
            .field("broken", &self.broken())
            .finish()
    }
}
