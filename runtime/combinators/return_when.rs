//! When `wait` returns: asyncio's `FIRST_COMPLETED`, `FIRST_EXCEPTION` and
//! `ALL_COMPLETED`, as an enum chosen at run time or as unit types.
//!
//! Only `FIRST_EXCEPTION` asks whether a task failed, which needs the
//! [`Fallible`] trait of its output. The enum [`ReturnWhen`] can hold any of
//! the three, so `wait` with a `ReturnWhen` asks for `Fallible`; the unit
//! types [`FirstCompleted`] and [`AllCompleted`] say at compile time that no
//! failure will be judged, so they take tasks of any output type.

use super::fallible::Fallible;
use crate::task::state::{Outcome, RESULT_TAKEN};
use crate::task::Task;

/// When [`wait`](crate::wait) returns (asyncio's `FIRST_COMPLETED`,
/// `FIRST_EXCEPTION`, `ALL_COMPLETED`). With this enum the tasks' output
/// must implement [`Fallible`]; pass [`FirstCompleted`] or [`AllCompleted`]
/// to wait on tasks of any output type.
///
/// ```
/// let when = if std::env::args().count() > 99 { corio::ReturnWhen::FirstException } else { corio::ReturnWhen::default() };
/// assert_eq!(when, corio::ReturnWhen::AllCompleted);
/// ```
///
/// With an output type that has no `Fallible` impl, the enum does not
/// compile (the message says to pass `corio::FirstCompleted` instead, or to
/// add the impl):
///
/// ```compile_fail
/// struct Plain;
/// corio::run(async {
///     let tasks = [corio::spawn(async { Plain })];
///     let _ = corio::wait(tasks, corio::ReturnWhen::FirstCompleted, None).await;
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnWhen {
    /// As soon as at least one task is done.
    FirstCompleted,
    /// As soon as a task fails — it panicked, or its output is a failure by
    /// [`Fallible`] (an `Err`); a cancelled task does not count. With no
    /// failure, the same as `AllCompleted`.
    FirstException,
    /// When every task is done (the default).
    #[default]
    AllCompleted,
}

/// `ReturnWhen::FirstCompleted` for tasks of any output type (no
/// [`Fallible`] needed).
///
/// ```
/// corio::run(async {
///     struct Plain;
///     let (done, _) = corio::wait([corio::spawn(async { Plain })], corio::FirstCompleted, None).await.unwrap();
///     assert_eq!(done.len(), 1);
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FirstCompleted;

/// `ReturnWhen::AllCompleted` for tasks of any output type (no [`Fallible`]
/// needed).
///
/// ```
/// corio::run(async {
///     struct Plain;
///     let (done, _) = corio::wait([corio::spawn(async { Plain })], corio::AllCompleted, None).await.unwrap();
///     assert_eq!(done.len(), 1);
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AllCompleted;

/// `ReturnWhen::FirstException` as a type; like the enum, it needs
/// [`Fallible`] outputs.
///
/// ```
/// corio::run(async {
///     let bad = corio::spawn(async { Err::<(), _>("no") });
///     let (done, _) = corio::wait([bad], corio::FirstException, None).await.unwrap();
///     assert_eq!(done.len(), 1);
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FirstException;

/// What [`wait`](crate::wait) accepts as its `return_when`: [`ReturnWhen`],
/// [`FirstCompleted`], [`FirstException`] or [`AllCompleted`]. Sealed.
#[diagnostic::on_unimplemented(
    message = "`wait` cannot judge failures of `{T}`: `ReturnWhen` needs `{T}: corio::Fallible`",
    note = "pass `corio::FirstCompleted` or `corio::AllCompleted` (no `Fallible` needed), \
            or add `impl corio::Fallible for {T} {{}}`"
)]
pub trait ReturnCondition<T>: sealed::Sealed {
    /// The condition, and how to tell whether a finished task failed
    /// (called only for `FirstException`).
    #[doc(hidden)]
    fn into_parts(self) -> (ReturnWhen, fn(&Task<T>) -> bool);
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ReturnWhen {}
    impl Sealed for super::FirstCompleted {}
    impl Sealed for super::AllCompleted {}
    impl Sealed for super::FirstException {}
}

impl<T: Fallible> ReturnCondition<T> for ReturnWhen {
    fn into_parts(self) -> (ReturnWhen, fn(&Task<T>) -> bool) {
        (self, task_failed::<T>)
    }
}

impl<T: Fallible> ReturnCondition<T> for FirstException {
    fn into_parts(self) -> (ReturnWhen, fn(&Task<T>) -> bool) {
        (ReturnWhen::FirstException, task_failed::<T>)
    }
}

impl<T> ReturnCondition<T> for FirstCompleted {
    fn into_parts(self) -> (ReturnWhen, fn(&Task<T>) -> bool) {
        (ReturnWhen::FirstCompleted, never_judged::<T>)
    }
}

impl<T> ReturnCondition<T> for AllCompleted {
    fn into_parts(self) -> (ReturnWhen, fn(&Task<T>) -> bool) {
        (ReturnWhen::AllCompleted, never_judged::<T>)
    }
}

/// The judge of conditions that never ask.
fn never_judged<T>(_: &Task<T>) -> bool {
    false
}

/// `true` if a finished task failed: it panicked, or its output is a failure.
pub(crate) fn task_failed<T: Fallible>(task: &Task<T>) -> bool {
    // SAFETY: the handle keeps the header alive; we are on its thread.
    let h = unsafe { task.raw().as_ref() };
    match h.state.outcome() {
        Some(Outcome::Panicked) => true,
        Some(Outcome::Returned) if !h.state.is(RESULT_TAKEN) => {
            // SAFETY: the task returned and its output was not taken, so the
            // stage is `Finished` and holds a `T` until the handle takes it.
            let output = unsafe { &*(h.vtable.output_ptr)(task.raw()).cast::<T>() };
            output.is_failure()
        }
        _ => false,
    }
}
