//! `CompletionQueue`: how a combinator learns which of its tasks finished.
//!
//! A combinator registers one shared queue as a listener on each task it
//! waits for, tagged with the task's index. When a task completes, the loop
//! calls the listener (inside `harness::complete`), which pushes the index and
//! wakes the combinator. The combinator then handles exactly the tasks that
//! finished — O(1) per completion instead of re-checking every task on every
//! wake — and it never polls a task's future: the loop alone does that, so
//! introspection (poll counts, states) stays true.

use std::cell::RefCell;
use std::ptr::NonNull;
use std::rc::Rc;
use std::task::Waker;

use crate::task::cold::CompletionSink;
use crate::task::harness;
use crate::task::header::Header;

/// See the module docs.
pub(crate) struct CompletionQueue {
    done: RefCell<Vec<usize>>,
    waker: RefCell<Option<Waker>>,
    /// The combinator's name, shown in the await graph.
    kind: &'static str,
}

impl CompletionSink for CompletionQueue {
    fn completed(&self, tag: usize, _task: NonNull<Header>) {
        self.done.borrow_mut().push(tag);
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn kind(&self) -> &'static str {
        self.kind
    }
}

impl CompletionQueue {
    /// A queue for the combinator named `kind` (`gather`, `wait`, ...).
    pub(crate) fn new(kind: &'static str) -> Rc<CompletionQueue> {
        Rc::new(CompletionQueue {
            done: RefCell::default(),
            waker: RefCell::default(),
            kind,
        })
    }

    /// Listens to `task` under `tag`; a task already done is queued at once.
    pub(crate) fn watch(self: &Rc<Self>, tag: usize, task: NonNull<Header>) {
        harness::add_listener(task, self.clone(), tag);
    }

    /// Stops listening to `task`.
    pub(crate) fn unwatch(self: &Rc<Self>, task: NonNull<Header>) {
        let sink: Rc<dyn CompletionSink> = self.clone();
        harness::remove_listener(task, &sink);
    }

    /// Who to wake at the next completion.
    pub(crate) fn set_waker(&self, waker: &Waker) {
        let mut slot = self.waker.borrow_mut();
        match &*slot {
            Some(w) if w.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    /// The tags of the tasks that completed since the last call, in order.
    pub(crate) fn take_done(&self) -> Vec<usize> {
        std::mem::take(&mut *self.done.borrow_mut())
    }
}
