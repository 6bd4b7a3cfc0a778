//! `QueueCore`: asyncio's `Queue` logic, over any [`Store`].
//!
//! Unlike a lock, a queue allows barging (as asyncio's does): a woken getter
//! or putter re-checks the queue when it runs, and a synchronous
//! `get_nowait`/`put_nowait` in between may take what woke it; the waiter then
//! queues again. So a wake-up is a hint, and no item is ever handed to a
//! waiter that might be cancelled: a cancelled `get` loses no item, and a
//! cancelled `put` adds none. A waiter cancelled right after a wake-up passes
//! the wake-up on, so the next waiter is not stranded.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

use super::error::{QueueEmpty, QueueFull, QueueShutDown, TaskDoneError};
use super::store::Store;
use crate::sync::wait_queue::{WaitNode, WaitQueue};

pub(crate) struct QueueCore<T, S> {
    items: RefCell<S>,
    /// 0: unbounded.
    maxsize: usize,
    getters: WaitQueue,
    putters: WaitQueue,
    /// Items put and not yet marked done.
    unfinished: Cell<usize>,
    joiners: WaitQueue,
    shut_down: Cell<bool>,
    _item: std::marker::PhantomData<T>,
}

impl<T, S: Store<T>> QueueCore<T, S> {
    pub(crate) fn new(maxsize: usize) -> QueueCore<T, S> {
        QueueCore {
            items: RefCell::default(),
            maxsize,
            getters: WaitQueue::default(),
            putters: WaitQueue::default(),
            unfinished: Cell::new(0),
            joiners: WaitQueue::default(),
            shut_down: Cell::new(false),
            _item: std::marker::PhantomData,
        }
    }

    pub(crate) fn qsize(&self) -> usize {
        self.items.borrow().len()
    }

    pub(crate) fn maxsize(&self) -> usize {
        self.maxsize
    }

    pub(crate) fn full(&self) -> bool {
        self.maxsize > 0 && self.qsize() >= self.maxsize
    }

    pub(crate) fn put_nowait(&self, item: T) -> Result<(), QueueFull<T>> {
        if self.shut_down.get() {
            return Err(QueueFull::ShutDown(item));
        }
        if self.full() {
            return Err(QueueFull::Full(item));
        }
        self.items.borrow_mut().push(item);
        self.unfinished.set(self.unfinished.get() + 1);
        self.getters.notify_one();
        Ok(())
    }

    pub(crate) fn get_nowait(&self) -> Result<T, QueueEmpty> {
        let item = self.items.borrow_mut().pop();
        match item {
            Some(item) => {
                self.putters.notify_one();
                Ok(item)
            }
            None if self.shut_down.get() => Err(QueueEmpty::ShutDown),
            None => Err(QueueEmpty::Empty),
        }
    }

    pub(crate) async fn put(&self, item: T) -> Result<(), QueueShutDown> {
        let mut item = Some(item);
        let mut waiting = Waiting::new(&self.putters);
        poll_fn(|cx| loop {
            if waiting.wait_pending(cx) {
                return Poll::Pending;
            }
            match self.put_nowait(item.take().expect("put once")) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(QueueFull::ShutDown(_)) => return Poll::Ready(Err(QueueShutDown)),
                Err(QueueFull::Full(back)) => {
                    item = Some(back);
                    waiting.queue(cx);
                }
            }
        })
        .await
    }

    pub(crate) async fn get(&self) -> Result<T, QueueShutDown> {
        let mut waiting = Waiting::new(&self.getters);
        poll_fn(|cx| loop {
            if waiting.wait_pending(cx) {
                return Poll::Pending;
            }
            match self.get_nowait() {
                Ok(item) => return Poll::Ready(Ok(item)),
                Err(QueueEmpty::ShutDown) => return Poll::Ready(Err(QueueShutDown)),
                Err(QueueEmpty::Empty) => waiting.queue(cx),
            }
        })
        .await
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        let n = self.unfinished.get();
        if n == 0 {
            return Err(TaskDoneError);
        }
        self.unfinished.set(n - 1);
        if n == 1 {
            self.joiners.notify_all();
        }
        Ok(())
    }

    pub(crate) async fn join(&self) {
        let mut waiting = Waiting::new(&self.joiners);
        poll_fn(|cx| loop {
            if waiting.wait_pending(cx) {
                return Poll::Pending;
            }
            if self.unfinished.get() == 0 {
                return Poll::Ready(());
            }
            waiting.queue(cx);
        })
        .await
    }

    pub(crate) fn shutdown(&self, immediate: bool) {
        self.shut_down.set(true);
        if immediate {
            // Moved out under the borrow, dropped after it: an item's `Drop`
            // may use the queue.
            let drained = std::mem::take(&mut *self.items.borrow_mut());
            let n = drained.len();
            drop(drained);
            self.unfinished.set(self.unfinished.get().saturating_sub(n));
            if self.unfinished.get() == 0 {
                self.joiners.notify_all();
            }
        }
        self.getters.notify_all();
        self.putters.notify_all();
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.get()
    }

    pub(crate) fn waiting(&self) -> (usize, usize) {
        (self.getters.len(), self.putters.len())
    }
}

/// One getter's, putter's or joiner's place in its wait queue. Dropped while
/// notified (cancelled right after a wake-up), it passes the wake-up on.
struct Waiting<'a> {
    queue: &'a WaitQueue,
    node: Option<Rc<WaitNode>>,
}

impl<'a> Waiting<'a> {
    fn new(queue: &'a WaitQueue) -> Waiting<'a> {
        Waiting { queue, node: None }
    }

    /// `true` while queued and not yet woken (the waker is refreshed);
    /// `false` when the caller should (re)check the queue.
    fn wait_pending(&mut self, cx: &mut std::task::Context<'_>) -> bool {
        match &self.node {
            Some(node) if !node.is_notified() => {
                node.register(cx.waker());
                true
            }
            Some(_) => {
                self.node = None;
                false
            }
            None => false,
        }
    }

    /// Queues (at the back, as asyncio does).
    fn queue(&mut self, cx: &mut std::task::Context<'_>) {
        self.node = Some(self.queue.push(cx.waker()));
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(node) = self.node.take() {
            if node.is_notified() {
                self.queue.notify_one();
            } else {
                self.queue.remove(&node);
            }
        }
    }
}
