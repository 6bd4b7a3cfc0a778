//! `TaskGroup`: asyncio 3.11's structured concurrency —
//! `async with asyncio.TaskGroup() as tg: tg.create_task(...)`.
//!
//! The group owns a completion listener on every child. The first child that
//! fails (panics, or returns a failure by [`Fallible`]) makes the group cancel
//! every other child and drop the body; leaving the scope always waits for
//! every child; all failures are reported together. A cancelled child is not
//! a failure.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::fallible::Fallible;
use crate::task::cold::CompletionSink;
use crate::task::error::payload_message;
use crate::task::harness;
use crate::task::header::Header;
use crate::task::state::Outcome;
use crate::task::{Task, TaskId, TaskRef};

/// Runs `body` with a [`TaskGroup`] handle; returns when the body and every
/// child it spawned are done: asyncio's `async with TaskGroup() as tg`.
///
/// # Errors
///
/// [`TaskGroupError`] with every child failure, when at least one child
/// failed; the body was then dropped (cancelled) and the other children
/// cancelled.
///
/// ```
/// use std::time::Duration;
/// let (a, b) = corio::run(corio::task_group(|tg| async move {
///     let a = tg.spawn(async { 1 });
///     let b = tg.spawn(async { corio::time::sleep(Duration::from_millis(2)).await; 2 });
///     (a, b)
/// }))
/// .map(|(a, b)| (a.task_ref(), b.task_ref()))
/// .unwrap();
/// assert!(a.is_done() && b.is_done()); // leaving the scope waited for both
/// ```
pub fn task_group<B, F>(body: B) -> TaskGroupScope<F>
where
    B: FnOnce(TaskGroup) -> F,
    F: Future,
{
    let group = TaskGroup(Rc::new(GroupState::default()));
    TaskGroupScope {
        body: Some(Box::pin(body(group.clone()))),
        output: None,
        group,
        finished: false,
    }
}

/// The handle a [`task_group`] body spawns children with (asyncio's `tg`).
#[derive(Clone)]
pub struct TaskGroup(Rc<GroupState>);

#[derive(Default)]
struct GroupState {
    children: RefCell<Vec<TaskRef>>,
    live: Cell<usize>,
    failures: RefCell<Vec<ChildFailure>>,
    /// A child failed: the rest are being cancelled.
    failing: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// One failed child of a [`TaskGroup`].
#[derive(Debug, Clone)]
pub struct ChildFailure {
    /// The child's id.
    pub id: TaskId,
    /// The child's name.
    pub name: String,
    /// What went wrong.
    pub kind: FailureKind,
}

/// How a child failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// It panicked; the message when the payload is a string.
    Panicked(Option<String>),
    /// It returned an output that [`Fallible`] calls a failure (an `Err`).
    /// The value stays in the child's `Task` handle.
    Failed,
}

/// Every child failure of a [`task_group`] (asyncio's `ExceptionGroup`).
#[derive(Debug, Clone)]
pub struct TaskGroupError {
    /// The failures, in the order they happened.
    pub failures: Vec<ChildFailure>,
}

impl fmt::Display for TaskGroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} task(s) in the group failed:", self.failures.len())?;
        for c in &self.failures {
            match &c.kind {
                FailureKind::Panicked(Some(m)) => write!(f, " [{} panicked: {m}]", c.name)?,
                FailureKind::Panicked(None) => write!(f, " [{} panicked]", c.name)?,
                FailureKind::Failed => write!(f, " [{} returned an error]", c.name)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for TaskGroupError {}

/// Checks a finished child's outcome; monomorphised per output type.
fn child_failure<T: Fallible>(task: NonNull<Header>) -> Option<FailureKind> {
    // SAFETY: called from the completion listener: the task is alive and on
    // this thread, and its output (if any) is still in place.
    let h = unsafe { task.as_ref() };
    match h.state.outcome()? {
        Outcome::Panicked => {
            let message = h
                .peek_cold(|c| {
                    c.panic_payload
                        .as_deref()
                        .and_then(payload_message)
                        .map(str::to_owned)
                })
                .flatten();
            Some(FailureKind::Panicked(message))
        }
        Outcome::Returned => {
            // SAFETY: a returned task's stage is `Finished` until the output is
            // taken or dropped, which happens after its listeners ran.
            let output = unsafe { &*(h.vtable.output_ptr)(task).cast::<T>() };
            output.is_failure().then_some(FailureKind::Failed)
        }
        Outcome::Cancelled => None,
    }
}

/// The listener on one child: knows how to judge its output.
struct ChildListener {
    group: Rc<GroupState>,
    judge: fn(NonNull<Header>) -> Option<FailureKind>,
}

impl CompletionSink for ChildListener {
    fn completed(&self, _tag: usize, task: NonNull<Header>) {
        let g = &self.group;
        g.live.set(g.live.get() - 1);
        if let Some(kind) = (self.judge)(task) {
            // SAFETY: the task is alive during its completion.
            let h = unsafe { task.as_ref() };
            g.failures.borrow_mut().push(ChildFailure {
                id: TaskId(h.id),
                name: h.name(),
                kind,
            });
            g.failing.set(true);
        }
        let waker = g.waker.borrow_mut().take();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl TaskGroup {
    /// Spawns a child in the group (asyncio's `tg.create_task`). A child
    /// spawned after the group started failing is cancelled at once.
    ///
    /// ```
    /// corio::run(corio::task_group(|tg| async move {
    ///     let child = tg.spawn(async { 5 });
    ///     assert_eq!(child.await.unwrap(), 5);
    /// }))
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: Fallible + 'static,
    {
        let task = crate::spawn(future);
        let g = &self.0;
        g.live.set(g.live.get() + 1);
        g.children.borrow_mut().push(task.task_ref());
        let listener = Rc::new(ChildListener {
            group: g.clone(),
            judge: child_failure::<F::Output>,
        });
        harness::add_listener(task.raw(), listener, 0);
        if g.failing.get() {
            task.cancel();
        }
        task
    }

    /// Children not done yet.
    ///
    /// ```
    /// corio::run(corio::task_group(|tg| async move {
    ///     tg.spawn(async {});
    ///     assert_eq!(tg.pending(), 1);
    /// }))
    /// .unwrap();
    /// ```
    pub fn pending(&self) -> usize {
        self.0.live.get()
    }

    fn cancel_children(&self) {
        let children = self.0.children.borrow().clone();
        for child in children {
            child.cancel();
        }
    }
}

impl fmt::Debug for TaskGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("pending", &self.pending())
            .field("failures", &self.0.failures.borrow().len())
            .finish()
    }
}

/// The future of [`task_group`].
#[must_use = "futures do nothing unless awaited"]
pub struct TaskGroupScope<F: Future> {
    body: Option<Pin<Box<F>>>,
    output: Option<F::Output>,
    group: TaskGroup,
    finished: bool,
}

impl<F: Future> Unpin for TaskGroupScope<F> {}

impl<F: Future> Future for TaskGroupScope<F> {
    type Output = Result<F::Output, TaskGroupError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        *this.group.0.waker.borrow_mut() = Some(cx.waker().clone());
        if !this.group.0.failing.get() {
            if let Some(body) = &mut this.body {
                if let Poll::Ready(out) = body.as_mut().poll(cx) {
                    this.output = Some(out);
                    this.body = None;
                }
            }
        }
        if this.group.0.failing.get() && (this.body.is_some() || this.group.pending() > 0) {
            // First failure: cancel the body (drop it) and every other child.
            this.body = None;
            this.group.cancel_children();
        }
        if this.body.is_some() || this.group.pending() > 0 {
            return Poll::Pending;
        }
        this.finished = true;
        let failures = std::mem::take(&mut *this.group.0.failures.borrow_mut());
        Poll::Ready(if failures.is_empty() {
            Ok(this.output.take().expect("the body finished"))
        } else {
            Err(TaskGroupError { failures })
        })
    }
}

impl<F: Future> Drop for TaskGroupScope<F> {
    fn drop(&mut self) {
        if !self.finished {
            // The scope itself was cancelled: so are its children.
            self.body = None;
            self.group.cancel_children();
        }
    }
}

impl<F: Future> fmt::Debug for TaskGroupScope<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupScope")
            .field("group", &self.group)
            .field("body_running", &self.body.is_some())
            .finish()
    }
}
