//! `TaskGroup`: asyncio 3.11's structured concurrency —
//! `async with asyncio.TaskGroup() as tg: tg.create_task(...)`.
//!
//! The group owns a completion listener on every child. The first child that
//! fails (panics, or returns a failure by [`Fallible`]) makes the group cancel
//! every other child and drop the body; leaving the scope always waits for
//! every child; all failures are reported together. A cancelled child is not
//! a failure.
//!
//! Like asyncio's `ExceptionGroup`, the error carries what the children
//! failed with: the listener runs while the finished child's outcome is still
//! in place, and moves a panic payload or a failed output (through
//! [`Fallible::into_failure`], so an `Err(e)` gives `e`) into the group. An
//! exception object can sit in two places at once; a Rust value cannot, so
//! the child's own handle no longer has that outcome — which only code
//! outside the group can notice, since the body is cancelled at the first
//! failure (see [`TaskGroup::spawn`]).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
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
pub struct ChildFailure {
    /// The child's id.
    pub id: TaskId,
    /// The child's name.
    pub name: String,
    /// What it failed with.
    pub kind: FailureKind,
}

/// What a child of a [`TaskGroup`] failed with.
pub enum FailureKind {
    /// It panicked: the panic payload (also when its output's `Fallible` impl
    /// panicked while the group judged it).
    Panicked(Box<dyn Any + Send>),
    /// It returned an output that [`Fallible`] calls a failure.
    Failed {
        /// The error, moved out of the output by [`Fallible::into_failure`]:
        /// for `Err(e)`, `e` — downcast it to its type.
        error: Box<dyn Any>,
        /// Its text for messages (for `Err(e)`, `e`'s `Debug`).
        text: String,
    },
}

impl FailureKind {
    /// The panic message, when the child panicked with a string.
    ///
    /// ```
    /// let kind = corio::FailureKind::Panicked(Box::new("boom"));
    /// assert_eq!(kind.panic_message(), Some("boom"));
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            FailureKind::Panicked(payload) => payload_message(payload.as_ref()),
            FailureKind::Failed { .. } => None,
        }
    }

    /// The error a failed output carried, if it is an `E`.
    ///
    /// ```
    /// use corio::Fallible;
    /// let (error, text) = Err::<(), _>(404_u16).into_failure();
    /// let kind = corio::FailureKind::Failed { error, text };
    /// assert_eq!(kind.error::<u16>(), Some(&404));
    /// ```
    pub fn error<E: 'static>(&self) -> Option<&E> {
        match self {
            FailureKind::Failed { error, .. } => error.downcast_ref(),
            FailureKind::Panicked(_) => None,
        }
    }
}

impl fmt::Debug for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Panicked(_) => f
                .debug_tuple("Panicked")
                .field(&self.panic_message().unwrap_or("<non-string payload>"))
                .finish(),
            FailureKind::Failed { text, .. } => f.debug_tuple("Failed").field(text).finish(),
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Panicked(_) => match self.panic_message() {
                Some(m) => write!(f, "panicked: {m}"),
                None => f.write_str("panicked"),
            },
            FailureKind::Failed { text, .. } => write!(f, "failed: {text}"),
        }
    }
}

impl fmt::Debug for ChildFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildFailure")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish()
    }
}

/// Every child failure of a [`task_group`] (asyncio's `ExceptionGroup`),
/// each with what the child failed with.
///
/// ```
/// let err = corio::run(corio::task_group(|tg| async move {
///     tg.spawn_named("fetch", async { Err::<(), _>("refused") });
///     tg.spawn(async { if true { panic!("boom") } });
///     std::future::pending::<()>().await
/// }))
/// .unwrap_err();
/// assert_eq!(err.failures.len(), 2);
/// assert_eq!(err.failures[0].kind.error::<&str>(), Some(&"refused"));
/// assert_eq!(err.failures[1].kind.panic_message(), Some("boom"));
/// assert!(err.to_string().contains("[fetch failed: \"refused\"]"));
/// ```
#[derive(Debug)]
pub struct TaskGroupError {
    /// The failures, in the order they happened.
    pub failures: Vec<ChildFailure>,
}

impl fmt::Display for TaskGroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} task(s) in the group failed:", self.failures.len())?;
        for c in &self.failures {
            write!(f, " [{} {}]", c.name, c.kind)?;
        }
        Ok(())
    }
}

impl std::error::Error for TaskGroupError {}

/// Takes a finished child's failure out of it, if it failed; monomorphised
/// per output type. A panic in the output's `Fallible` impl is the child's
/// failure.
fn take_failure<T: Fallible + 'static>(task: NonNull<Header>) -> Option<FailureKind> {
    // SAFETY: called from the completion listener: the task is alive and on
    // this thread, and its output (if any) is still in place.
    let h = unsafe { task.as_ref() };
    match h.state.outcome()? {
        Outcome::Panicked => {
            let payload = h.peek_cold(|c| c.panic_payload.take()).flatten();
            Some(FailureKind::Panicked(
                payload.unwrap_or_else(|| Box::new("<payload already taken>")),
            ))
        }
        Outcome::Returned => {
            let judged = catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: a returned task's stage is `Finished` until the output is
                // taken or dropped, which happens after its listeners ran.
                let output = unsafe { &*(h.vtable.output_ptr)(task).cast::<T>() };
                if !output.is_failure() {
                    return None;
                }
                h.state.transition_to_result_taken();
                let mut taken: Option<T> = None;
                // SAFETY: on the task's thread; the task returned and its
                // output was not taken (the listener runs before any handle
                // can see the outcome); `taken` is an `Option<T>` of its type.
                unsafe { (h.vtable.take_output)(task, (&mut taken as *mut Option<T>).cast()) };
                let (error, text) = taken.expect("a returned task has an output").into_failure();
                Some(FailureKind::Failed { error, text })
            }));
            judged.unwrap_or_else(|payload| Some(FailureKind::Panicked(payload)))
        }
        Outcome::Cancelled => None,
    }
}

/// The listener on one child: knows how to take its failure.
struct ChildListener {
    group: Rc<GroupState>,
    take_failure: fn(NonNull<Header>) -> Option<FailureKind>,
}

impl CompletionSink for ChildListener {
    fn completed(&self, _tag: usize, task: NonNull<Header>) {
        let g = &self.group;
        g.live.set(g.live.get() - 1);
        if let Some(kind) = (self.take_failure)(task) {
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

    fn kind(&self) -> &'static str {
        "task_group"
    }
}

impl TaskGroup {
    /// Spawns a child in the group (asyncio's `tg.create_task`). A child
    /// spawned after the group started failing is cancelled at once.
    ///
    /// If the child fails, what it failed with — its panic payload, or its
    /// failed output — moves into the group's [`TaskGroupError`]. The body
    /// is cancelled at that moment, so it never awaits the handle; a handle
    /// moved out of the group and awaited elsewhere then finds its outcome
    /// gone (a panic payload reads `"<payload already taken>"`; awaiting a
    /// failed output panics, as for any task polled after it gave its
    /// outcome).
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
        self.spawn_at(future, None, Location::caller())
    }

    /// [`spawn`](TaskGroup::spawn) with a name: asyncio's
    /// `tg.create_task(coro, name=...)`. The name shows in `all_tasks()`,
    /// `dump_tasks()` and the group's error.
    ///
    /// ```
    /// corio::run(corio::task_group(|tg| async move {
    ///     let child = tg.spawn_named("fetch-1", async { 5 });
    ///     assert_eq!(child.name(), "fetch-1");
    /// }))
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn spawn_named<F>(&self, name: impl Into<String>, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: Fallible + 'static,
    {
        self.spawn_at(future, Some(name.into()), Location::caller())
    }

    fn spawn_at<F>(
        &self,
        future: F,
        name: Option<String>,
        at: &'static Location<'static>,
    ) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: Fallible + 'static,
    {
        let task = crate::task::spawn_at(future, name, at);
        let g = &self.0;
        g.live.set(g.live.get() + 1);
        g.children.borrow_mut().push(task.task_ref());
        let listener = Rc::new(ChildListener {
            group: g.clone(),
            take_failure: take_failure::<F::Output>,
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
