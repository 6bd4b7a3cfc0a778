//! `Event`: asyncio's event flag.

use std::cell::Cell;
use std::fmt;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

use super::wait_queue::{WaitNode, WaitQueue};

/// An asyncio `Event`: `set` wakes every waiter; `wait` returns at once
/// while the flag is set.
///
/// ```
/// use std::rc::Rc;
/// corio::run(async {
///     let ev = Rc::new(corio::sync::Event::new());
///     let waiter = { let ev = ev.clone(); corio::spawn(async move { ev.wait().await; "woken" }) };
///     corio::yield_now().await;
///     ev.set();
///     assert_eq!(waiter.await.unwrap(), "woken");
/// });
/// ```
#[derive(Default)]
pub struct Event {
    flag: Cell<bool>,
    waiters: WaitQueue,
}

impl Event {
    /// A cleared event.
    ///
    /// ```
    /// assert!(!corio::sync::Event::new().is_set());
    /// ```
    pub fn new() -> Event {
        Event::default()
    }

    /// Sets the flag and wakes every waiter.
    ///
    /// ```
    /// let ev = corio::sync::Event::new();
    /// ev.set();
    /// assert!(ev.is_set());
    /// ```
    pub fn set(&self) {
        self.flag.set(true);
        self.waiters.notify_all();
    }

    /// Clears the flag.
    ///
    /// ```
    /// let ev = corio::sync::Event::new();
    /// ev.set();
    /// ev.clear();
    /// assert!(!ev.is_set());
    /// ```
    pub fn clear(&self) {
        self.flag.set(false);
    }

    /// `true` while set.
    ///
    /// ```
    /// assert!(!corio::sync::Event::new().is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.flag.get()
    }

    /// Waits until the event is set (at once if it is). A waiter woken by
    /// `set` returns even if the event was cleared again before it ran.
    ///
    /// ```
    /// corio::run(async {
    ///     let ev = corio::sync::Event::new();
    ///     ev.set();
    ///     ev.wait().await; // returns at once
    /// });
    /// ```
    pub async fn wait(&self) {
        let mut node: Option<Rc<WaitNode>> = None;
        let guard = LeaveOnDrop {
            waiters: &self.waiters,
            node: &mut node,
        };
        poll_fn(|cx| match guard.node.as_ref() {
            None if self.flag.get() => Poll::Ready(()),
            None => {
                *guard.node = Some(self.waiters.push(cx.waker()));
                Poll::Pending
            }
            Some(n) if n.is_notified() => Poll::Ready(()),
            Some(n) => {
                n.register(cx.waker());
                Poll::Pending
            }
        })
        .await;
    }
}

/// Leaves the wait queue if the waiting future is dropped before it was woken.
struct LeaveOnDrop<'a> {
    waiters: &'a WaitQueue,
    node: &'a mut Option<Rc<WaitNode>>,
}

impl Drop for LeaveOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(node) = self.node.take() {
            if !node.is_notified() {
                self.waiters.remove(&node);
            }
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .field("waiters", &self.waiters.len())
            .finish()
    }
}
