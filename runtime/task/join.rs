//! `Task<T>`: the handle `spawn` returns — await it for the output, cancel it,
//! name it, attach done-callbacks.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use super::error::TaskError;
use super::harness;
use super::header::Header;
use super::header::TaskRef;
use super::state::{Outcome, COMPLETE, RESULT_TAKEN};
use super::task_ref::{DoneCallbackId, TaskId};
use crate::containment::{contain, drop_contained, drop_payload};
use crate::event_loop::context;

/// A spawned task: asyncio's `Task`, tokio's `JoinHandle`.
///
/// Awaiting it gives `Ok(output)`, or a [`TaskError`] when the task was
/// cancelled or panicked. Dropping it *detaches* the task, which keeps running
/// (as in asyncio and tokio); its output is then dropped when it completes.
///
/// A task hands out its outcome once: awaiting by value (`task.await`) makes a
/// second await impossible; polling a `&mut Task` again after it returned
/// `Ready` panics with a message saying so.
///
/// ```
/// let (value, name) = corio::run(async {
///     let task = corio::task::Builder::new().name("answer").spawn(async { 6 * 7 });
///     let name = task.name();
///     (task.await.unwrap(), name)
/// });
/// assert_eq!((value, name.as_str()), (42, "answer"));
/// ```
pub struct Task<T> {
    raw: NonNull<Header>,
    /// `!Send` and `!Sync` (a task belongs to its loop's thread); owns a `T`.
    _marker: PhantomData<(*const (), T)>,
}

impl<T> Unpin for Task<T> {}

impl<T> Task<T> {
    /// # Safety
    /// `raw` is the header of a task whose output type is `T`, and the caller
    /// hands over the handle's reference.
    pub(crate) unsafe fn from_raw(raw: NonNull<Header>) -> Task<T> {
        Task {
            raw,
            _marker: PhantomData,
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: the handle owns a reference, so the header is alive.
        unsafe { self.raw.as_ref() }
    }

    /// The task's header, for the combinators.
    pub(crate) fn raw(&self) -> NonNull<Header> {
        self.raw
    }

    /// The outcome of a finished task, taken from it (`None` while it runs).
    pub(crate) fn take_outcome(&mut self) -> Option<Result<T, TaskError>> {
        if !self.is_done() {
            return None;
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match Pin::new(self).poll(&mut cx) {
            Poll::Ready(outcome) => Some(outcome),
            Poll::Pending => None,
        }
    }

    /// Requests cancellation (asyncio's `cancel()`): the future is dropped at the
    /// task's next scheduling point and awaiting gives `TaskError::Cancelled(None)`.
    /// Returns `false` if the task is already done, `true` otherwise.
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::spawn(async { unreachable!("never starts") });
    ///     assert!(task.cancel());
    ///     assert!(task.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        harness::cancel(self.raw, None)
    }

    /// [`cancel`](Task::cancel) with a message that reaches the waiter in
    /// `TaskError::Cancelled(Some(msg))`.
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::spawn(std::future::pending::<()>());
    ///     task.cancel_with("shutting down");
    ///     assert_eq!(task.await.unwrap_err().to_string(), "task was cancelled: shutting down");
    /// });
    /// ```
    pub fn cancel_with(&self, message: impl Into<String>) -> bool {
        harness::cancel(self.raw, Some(message.into()))
    }

    /// `true` once the task has returned, panicked or been cancelled.
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::spawn(async {});
    ///     assert!(!task.is_done());
    ///     corio::yield_now().await;
    ///     assert!(task.is_done());
    /// });
    /// ```
    pub fn is_done(&self) -> bool {
        self.header().state.is(COMPLETE)
    }

    /// `true` if the task ended by cancellation (asyncio's `cancelled()`).
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::spawn(async {});
    ///     task.cancel();
    ///     corio::yield_now().await;
    ///     assert!(task.is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.header().state.outcome() == Some(Outcome::Cancelled)
    }

    /// The task's id, unique within its loop.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, b) = (corio::spawn(async {}), corio::spawn(async {}));
    ///     assert_ne!(a.id(), b.id());
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        TaskId(self.header().id)
    }

    /// The task's name: the one given to the builder or `set_name`, else `Task-<id>`.
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::spawn(async {});
    ///     assert_eq!(task.name(), format!("Task-{}", task.id()));
    /// });
    /// ```
    pub fn name(&self) -> String {
        self.header().name()
    }

    /// Renames the task.
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::spawn(async {});
    ///     task.set_name("worker-1");
    ///     assert_eq!(task.name(), "worker-1");
    /// });
    /// ```
    pub fn set_name(&self, name: impl Into<String>) {
        let old = self.header().with_cold(|c| c.name.replace(name.into()));
        drop(old);
    }

    /// Registers `callback` to run when the task completes, via `call_soon`, in
    /// registration order; on a task that is already done it is scheduled at
    /// once (never called inline). The callback receives the task.
    ///
    /// # Panics
    ///
    /// On a finished task whose loop is not running on this thread (there is
    /// no loop to schedule the callback on).
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let seen = Rc::new(Cell::new(false));
    /// let s = seen.clone();
    /// corio::run(async move {
    ///     let task = corio::spawn(async { 1 });
    ///     task.add_done_callback(move |t| s.set(t.is_done()));
    ///     task.await.unwrap();
    ///     corio::yield_now().await;
    /// });
    /// assert!(seen.get());
    /// ```
    pub fn add_done_callback(&self, callback: impl FnOnce(&TaskRef) + 'static) -> DoneCallbackId {
        DoneCallbackId(harness::add_done_callback(self.raw, Box::new(callback)))
    }

    /// Unregisters a callback added by [`add_done_callback`](Task::add_done_callback);
    /// returns how many were removed (0 or 1), as asyncio does.
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::spawn(async {});
    ///     let id = task.add_done_callback(|_| unreachable!());
    ///     assert_eq!(task.remove_done_callback(id), 1);
    ///     assert_eq!(task.remove_done_callback(id), 0);
    ///     task.await.unwrap();
    /// });
    /// ```
    pub fn remove_done_callback(&self, id: DoneCallbackId) -> usize {
        let removed = self.header().peek_cold(|c| {
            let at = c.done_callbacks.iter().position(|(i, _)| *i == id.0)?;
            Some(c.done_callbacks.remove(at))
        });
        let removed = removed.flatten();
        let count = usize::from(removed.is_some());
        // Dropped here, outside the cold part: its destructor is user code.
        drop_contained("dropping a removed done-callback", removed);
        count
    }

    /// A type-erased reference to this task, as `current_task` and `all_tasks` give.
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::spawn(async {});
    ///     assert!(corio::all_tasks().contains(&task.task_ref()));
    /// });
    /// ```
    pub fn task_ref(&self) -> TaskRef {
        self.header().retain();
        // SAFETY: we just took the reference the TaskRef will own.
        unsafe { TaskRef::from_raw(self.raw) }
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let h = self.header();
        let Some(outcome) = h.state.outcome() else {
            check_awaited_on_own_loop(h);
            let current = h.peek_cold(|c| c.join_waker.as_ref().map(|w| w.will_wake(cx.waker())));
            if current.flatten() != Some(true) {
                // Cloned outside the cold part's take/put window: a foreign
                // waker's clone is user code.
                let waker = cx.waker().clone();
                let awaiter = context::awaiting_task("await");
                let stale = h.with_cold(|c| {
                    c.awaited_by = awaiter.or(c.awaited_by);
                    c.join_waker.replace(waker)
                });
                drop(stale);
            }
            return Poll::Pending;
        };
        if h.state.is(RESULT_TAKEN) {
            panic!(
                "`Task` {} was polled after it returned its result: a task gives its outcome once",
                h.name()
            );
        }
        h.state.transition_to_result_taken();
        Poll::Ready(match outcome {
            Outcome::Returned => {
                let mut out: Option<T> = None;
                // SAFETY: we are on the task's thread (Task is !Send), the task
                // returned and its output was not taken (RESULT_TAKEN was clear);
                // `out` is an `Option<T>` of the task's output type.
                unsafe { (h.vtable.take_output)(self.raw, (&mut out as *mut Option<T>).cast()) };
                Ok(out.expect("a returned task has an output"))
            }
            Outcome::Cancelled => Err(TaskError::Cancelled(
                h.peek_cold(|c| c.cancel_message.take()).flatten(),
            )),
            Outcome::Panicked => Err(TaskError::Panicked(
                h.peek_cold(|c| c.panic_payload.take())
                    .flatten()
                    .unwrap_or_else(|| Box::new("<payload already taken>")),
            )),
        })
    }
}

/// A pending task can only make progress while its own loop runs, and only
/// that loop's thread may poll it: awaiting it anywhere else would hang
/// silently. asyncio raises "attached to a different loop"; corio panics in
/// the awaiting task with the same message.
#[inline]
fn check_awaited_on_own_loop(h: &Header) {
    let own = context::with_current_loop(|lp| std::ptr::eq(lp.scheduler.shared_ptr(), &*h.shared));
    if own != Some(true) {
        awaited_away_from_its_loop(h, own.is_some());
    }
}

#[cold]
#[inline(never)]
fn awaited_away_from_its_loop(h: &Header, on_another_loop: bool) -> ! {
    let place = if on_another_loop {
        "on a different corio loop"
    } else {
        "outside any running corio loop"
    };
    panic!(
        "`Task` {} is attached to a different loop: it was awaited {place}, where it can \
         never finish; await a task on the loop that spawned it (use LoopHandle::spawn \
         and RemoteTask to wait across loops or threads)",
        h.name()
    );
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        let h = self.header();
        h.state.drop_join_interest();
        let waker = h.peek_cold(|c| c.join_waker.take()).flatten();
        // Every value dropped below is user code and may panic; contained, so
        // that the handle's reference is released whatever happens.
        if let Some(waker) = waker {
            drop_contained("dropping a task's join waker", waker);
        }
        if !h.state.is(RESULT_TAKEN) {
            match h.state.outcome() {
                Some(Outcome::Returned) => {
                    h.state.transition_to_result_taken();
                    contain("dropping a task's unread output", || {
                        // SAFETY: on the task's thread; the future is gone
                        // (complete), so the stage is `Finished` and nobody
                        // else reads it.
                        unsafe { (h.vtable.drop_output)(self.raw) }
                    });
                }
                Some(Outcome::Panicked) => {
                    h.state.transition_to_result_taken();
                    if let Some(payload) = h.peek_cold(|c| c.panic_payload.take()).flatten() {
                        drop_payload(payload);
                    }
                }
                Some(Outcome::Cancelled) | None => {}
            }
        }
        // SAFETY: the handle owned this reference.
        unsafe { Header::release(self.raw) };
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = self.header();
        f.debug_struct("Task")
            .field("id", &h.id)
            .field("name", &h.name())
            .field("state", &h.state)
            .finish()
    }
}
