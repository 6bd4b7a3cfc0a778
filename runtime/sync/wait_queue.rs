//! `WaitQueue`: the FIFO of tasks waiting on a lock, semaphore, event,
//! condition or barrier — and the rule that makes cancellation lose nothing.
//!
//! A waiter is a shared node: the waiting future holds it, the queue holds it.
//! Waking a waiter *notifies* it — sets its flag and wakes its task — and
//! removes it from the queue. Ownership of whatever was handed over (a lock,
//! a permit) moves with the notification, so a newcomer can never barge in
//! between the wake-up and the woken task's next step.
//!
//! If a waiting future is dropped (its task was cancelled):
//! * still queued — it just leaves the queue: it took nothing;
//! * already notified — it received something it will never use, so it must
//!   pass it on (`Lock` releases to the next waiter, `Semaphore` returns the
//!   permit).
//!
//! For what is handed over whole — a lock's ownership, a semaphore's permit,
//! a condition's notification — the acquire is one state machine whatever
//! the resource: [`HandOff`]. The resource says only how it is taken when
//! free and how it is passed on ([`HandedOver`]); the queueing, the
//! hand-over and the cancellation rule above are written here once. `Event`
//! and `Barrier` wake their waiters without handing them anything, so they
//! use the queue alone.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// One waiting task.
#[derive(Default)]
pub(crate) struct WaitNode {
    waker: Cell<Option<Waker>>,
    notified: Cell<bool>,
    /// Set by `notify_all_numbered`: the waiter's place among those woken.
    number: Cell<usize>,
    /// The waiter gave up before it was notified (see `WaitQueue`).
    gone: Cell<bool>,
}

impl WaitNode {
    pub(crate) fn is_notified(&self) -> bool {
        self.notified.get()
    }

    /// The number `notify_all_numbered` gave this waiter.
    pub(crate) fn number(&self) -> usize {
        self.number.get()
    }

    /// Stores the task's waker (keeping the old one if it wakes the same task).
    pub(crate) fn register(&self, waker: &Waker) {
        let old = self.waker.take();
        let keep = matches!(&old, Some(w) if w.will_wake(waker));
        self.waker.set(if keep { old } else { Some(waker.clone()) });
    }
}

/// See the module docs.
///
/// A waiter that gives up is not searched for: it is marked `gone` and
/// skipped when the queue reaches it, and `live` counts the others. So
/// leaving is O(1) even when many waiters are cancelled at once (timeouts
/// around `lock()` under contention); gone nodes are dropped from the front
/// as they surface, and the queue is compacted when they outnumber the live.
#[derive(Default)]
pub(crate) struct WaitQueue {
    nodes: RefCell<VecDeque<Rc<WaitNode>>>,
    live: Cell<usize>,
}

impl WaitQueue {
    /// Queues a new waiter with `waker`.
    pub(crate) fn push(&self, waker: &Waker) -> Rc<WaitNode> {
        let node = Rc::new(WaitNode::default());
        node.register(waker);
        self.nodes.borrow_mut().push_back(node.clone());
        self.live.set(self.live.get() + 1);
        node
    }

    /// `true` when no waiter is queued (gone ones do not count).
    pub(crate) fn is_empty(&self) -> bool {
        self.live.get() == 0
    }

    /// Waiters queued (gone ones do not count).
    pub(crate) fn len(&self) -> usize {
        self.live.get()
    }

    /// Notifies the first waiter; `false` if there is none.
    pub(crate) fn notify_one(&self) -> bool {
        let node = {
            let mut nodes = self.nodes.borrow_mut();
            loop {
                match nodes.pop_front() {
                    Some(n) if n.gone.get() => continue,
                    other => break other,
                }
            }
        };
        match node {
            Some(node) => {
                self.live.set(self.live.get() - 1);
                notify(&node);
                true
            }
            None => false,
        }
    }

    /// Notifies every waiter, in order.
    pub(crate) fn notify_all(&self) {
        self.notify_all_numbered();
    }

    /// Notifies every waiter, numbering them 0, 1, … in queue order; returns
    /// how many there were.
    pub(crate) fn notify_all_numbered(&self) -> usize {
        let nodes = std::mem::take(&mut *self.nodes.borrow_mut());
        self.live.set(0);
        let mut n = 0;
        for node in nodes.into_iter().filter(|node| !node.gone.get()) {
            node.number.set(n);
            n += 1;
            notify(&node);
        }
        n
    }

    /// A waiter gave up before it was notified: it leaves the queue.
    pub(crate) fn remove(&self, node: &Rc<WaitNode>) {
        if node.notified.get() || node.gone.replace(true) {
            return;
        }
        self.live.set(self.live.get() - 1);
        let mut nodes = self.nodes.borrow_mut();
        while nodes.front().is_some_and(|n| n.gone.get()) {
            nodes.pop_front();
        }
        if nodes.len() > 2 * self.live.get() + 16 {
            nodes.retain(|n| !n.gone.get());
        }
    }
}

fn notify(node: &WaitNode) {
    node.notified.set(true);
    if let Some(waker) = node.waker.take() {
        waker.wake();
    }
}

/// A resource a [`WaitQueue`] hands to its first waiter, whole: a lock's
/// ownership, a semaphore's permit, a condition's notification. See the
/// module docs.
pub(crate) trait HandedOver {
    /// The tasks waiting for it, first come first served.
    fn waiters(&self) -> &WaitQueue;

    /// Takes it if it is free, and says whether it did. Asked only while no
    /// task is queued, so a newcomer never overtakes a waiter.
    fn take_free(&self) -> bool;

    /// Gives back what a waiter was handed but will never use: to the next
    /// waiter if there is one, else back to the resource.
    fn pass_on(&self);
}

/// One acquire of a [`HandedOver`] resource: the state behind `Lock::lock`,
/// `Semaphore::permit` and the wait for a notification in `Condition::wait`.
///
/// It guarantees:
/// * **FIFO, no barging.** It takes a free resource at once only when no
///   task is queued; otherwise it queues behind the others, and what a
///   release frees goes to the first in line.
/// * **A cancelled waiter loses nothing and takes nothing.** Dropped while
///   queued, it leaves the queue; dropped after it was handed the resource
///   but before it took it, it passes the resource on.
pub(crate) struct HandOff<'a, R: HandedOver> {
    resource: &'a R,
    node: Option<Rc<WaitNode>>,
}

impl<'a, R: HandedOver> HandOff<'a, R> {
    /// An acquire of `resource` that has not asked for it yet.
    pub(crate) fn new(resource: &'a R) -> HandOff<'a, R> {
        HandOff {
            resource,
            node: None,
        }
    }

    /// The resource it acquires.
    pub(crate) fn resource(&self) -> &'a R {
        self.resource
    }

    /// `true` while it waits in the queue (or was handed the resource and
    /// has not been polled since).
    pub(crate) fn is_queued(&self) -> bool {
        self.node.is_some()
    }

    /// `Ready` once the resource is this acquire's; the caller then holds it
    /// and must give it back itself.
    #[inline]
    pub(crate) fn poll_acquire(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let resource = self.resource;
        match &self.node {
            None if resource.waiters().is_empty() && resource.take_free() => Poll::Ready(()),
            None => {
                self.node = Some(resource.waiters().push(cx.waker()));
                Poll::Pending
            }
            // Handed over by a release: the resource is ours.
            Some(node) if node.is_notified() => {
                self.node = None;
                Poll::Ready(())
            }
            Some(node) => {
                node.register(cx.waker());
                Poll::Pending
            }
        }
    }
}

impl<R: HandedOver> Drop for HandOff<'_, R> {
    fn drop(&mut self) {
        if let Some(node) = self.node.take() {
            if node.is_notified() {
                // Cancelled after the resource was handed to us: pass it on.
                self.resource.pass_on();
            } else {
                self.resource.waiters().remove(&node);
            }
        }
    }
}
