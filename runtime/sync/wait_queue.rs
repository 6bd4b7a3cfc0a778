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
//!   permit). The primitives implement that in their futures' `Drop`.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::Waker;

/// One waiting task.
#[derive(Default)]
pub(crate) struct WaitNode {
    waker: Cell<Option<Waker>>,
    notified: Cell<bool>,
    /// Set by `notify_all_numbered`: the waiter's place among those woken.
    number: Cell<usize>,
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
#[derive(Default)]
pub(crate) struct WaitQueue {
    nodes: RefCell<VecDeque<Rc<WaitNode>>>,
}

impl WaitQueue {
    /// Queues a new waiter with `waker`.
    pub(crate) fn push(&self, waker: &Waker) -> Rc<WaitNode> {
        let node = Rc::new(WaitNode::default());
        node.register(waker);
        self.nodes.borrow_mut().push_back(node.clone());
        node
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.nodes.borrow().is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// Notifies the first waiter; `false` if there is none.
    pub(crate) fn notify_one(&self) -> bool {
        let node = self.nodes.borrow_mut().pop_front();
        match node {
            Some(node) => {
                notify(&node);
                true
            }
            None => false,
        }
    }

    /// Notifies every waiter, in order.
    pub(crate) fn notify_all(&self) {
        let nodes = std::mem::take(&mut *self.nodes.borrow_mut());
        for node in nodes {
            notify(&node);
        }
    }

    /// Notifies every waiter, numbering them 0, 1, … in queue order; returns
    /// how many there were.
    pub(crate) fn notify_all_numbered(&self) -> usize {
        let nodes = std::mem::take(&mut *self.nodes.borrow_mut());
        let n = nodes.len();
        for (i, node) in nodes.into_iter().enumerate() {
            node.number.set(i);
            notify(&node);
        }
        n
    }

    /// A waiter gave up before it was notified: it leaves the queue.
    pub(crate) fn remove(&self, node: &Rc<WaitNode>) {
        self.nodes.borrow_mut().retain(|n| !Rc::ptr_eq(n, node));
    }
}

fn notify(node: &WaitNode) {
    node.notified.set(true);
    if let Some(waker) = node.waker.take() {
        waker.wake();
    }
}
