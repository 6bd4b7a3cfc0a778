//! `yield_now`: asyncio's `sleep(0)`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Gives every other ready task and callback one turn, then resumes:
/// asyncio's `await asyncio.sleep(0)`.
///
/// The task wakes itself and returns `Pending` once; the loop queues it behind
/// everything already ready, and — because one loop iteration runs only what
/// was ready when it began — runs it again in the next iteration.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let l = log.clone();
/// corio::run(async move {
///     let other = { let l = l.clone(); corio::spawn(async move { l.borrow_mut().push("other") }) };
///     l.borrow_mut().push("before");
///     corio::yield_now().await;
///     l.borrow_mut().push("after");
///     other.await.unwrap();
/// });
/// assert_eq!(*log.borrow(), ["before", "other", "after"]);
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
