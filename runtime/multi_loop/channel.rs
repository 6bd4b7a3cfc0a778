//! A `Send` channel between loops: many senders, one receiver, unbounded.
//!
//! corio's [`Queue`](crate::queue::Queue) is for the tasks of one loop (it
//! is `!Send`, and waking its waiters never crosses a thread). Between loops
//! something `Send` is needed. This one is small on purpose: a mutex around
//! a `VecDeque` and the receiver's waker. A send locks, pushes and — only if
//! the receiver is waiting — wakes it (for a corio task on another loop,
//! that wake goes through the loop's injection queue). No new dependency:
//! `async-channel` would bring bounded capacity and many receivers, which a
//! hand-off between loops rarely needs; a bounded or broadcast design can
//! sit on top of this one if it does.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

struct Inner<T> {
    items: VecDeque<T>,
    receiver_waker: Option<Waker>,
    senders: usize,
    receiver_alive: bool,
}

struct Chan<T> {
    inner: Mutex<Inner<T>>,
}

impl<T> Chan<T> {
    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        // No user code runs under the lock (a waker is woken after it is
        // released), so a poisoned lock holds consistent state.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A new channel: the [`Sender`] can be cloned and sent to any loop, the
/// [`Receiver`] awaited on one.
///
/// ```
/// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
/// let (tx, rx) = corio::multi_loop::channel();
/// for i in 0..2 {
///     let tx = tx.clone();
///     rt.spawn_on(i, move || async move { tx.send(i).unwrap() });
/// }
/// drop(tx);
/// let mut got = rt.block_on(async move {
///     let mut got = Vec::new();
///     while let Some(i) = rx.recv().await {
///         got.push(i);
///     }
///     got
/// });
/// got.sort();
/// assert_eq!(got, [0, 1]);
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan {
        inner: Mutex::new(Inner {
            items: VecDeque::new(),
            receiver_waker: None,
            senders: 1,
            receiver_alive: true,
        }),
    });
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// The sending side: `Send` and `Clone`.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// The receiver was dropped; the value comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the channel's receiver was dropped")
    }
}

impl<T: fmt::Debug> std::error::Error for SendError<T> {}

impl<T> Sender<T> {
    /// Queues `value` for the receiver; never waits (the channel is unbounded).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value when the receiver has been dropped.
    ///
    /// ```
    /// let (tx, rx) = corio::multi_loop::channel();
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2), Err(corio::multi_loop::channel::SendError(2)));
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let waker = {
            let mut inner = self.chan.lock();
            if !inner.receiver_alive {
                return Err(SendError(value));
            }
            inner.items.push_back(value);
            inner.receiver_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.chan.lock().senders += 1;
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut inner = self.chan.lock();
            inner.senders -= 1;
            if inner.senders == 0 {
                inner.receiver_waker.take()
            } else {
                None
            }
        };
        // The last sender gone: a waiting receiver learns the channel ended.
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// The receiving side: `Send`, not `Clone`.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Receiver<T> {
    /// The next value; `None` once every sender is dropped and the channel
    /// is drained.
    ///
    /// ```
    /// corio::run(async {
    ///     let (tx, rx) = corio::multi_loop::channel();
    ///     std::thread::spawn(move || tx.send("from a thread").unwrap());
    ///     assert_eq!(rx.recv().await, Some("from a thread"));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub fn recv(&self) -> Recv<'_, T> {
        Recv { receiver: self }
    }

    /// The next value if one is queued, without waiting.
    ///
    /// ```
    /// let (tx, rx) = corio::multi_loop::channel();
    /// assert_eq!(rx.try_recv(), None);
    /// tx.send(7).unwrap();
    /// assert_eq!(rx.try_recv(), Some(7));
    /// ```
    pub fn try_recv(&self) -> Option<T> {
        self.chan.lock().items.pop_front()
    }

    fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut inner = self.chan.lock();
        if let Some(value) = inner.items.pop_front() {
            return Poll::Ready(Some(value));
        }
        if inner.senders == 0 {
            return Poll::Ready(None);
        }
        match &mut inner.receiver_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let items = {
            let mut inner = self.chan.lock();
            inner.receiver_alive = false;
            inner.receiver_waker = None;
            std::mem::take(&mut inner.items)
        };
        // Values left in the channel are dropped outside the lock: their
        // `Drop` is user code.
        drop(items);
    }
}

impl<T> futures_core::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.poll_recv(cx)
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv`].
#[must_use = "a future does nothing unless awaited"]
pub struct Recv<'a, T> {
    receiver: &'a Receiver<T>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.receiver.poll_recv(cx)
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}
