//! `Fallible`: when a task's output counts as a failure.
//!
//! asyncio's `gather`, `wait(FIRST_EXCEPTION)` and `TaskGroup` react to a
//! task that raised. A Rust task "raises" in two ways: it panics, or it
//! returns an error value. corio counts both; this trait says which outputs
//! are error values. `Result::Err` is; the other standard types are never
//! failures. Cancellation is never a failure (as in asyncio).
//!
//! Only the combinators that react to failures ask for it — fail-fast
//! `gather`, `wait` with `FirstException` (or a `ReturnWhen` chosen at run
//! time), `TaskGroup`; `gather_settled`, `as_completed` and `wait` with
//! `FirstCompleted` / `AllCompleted` take any output. A type without an impl
//! gets a compiler message that says what to write.

use std::any::{type_name, Any};
use std::fmt::Debug;
use std::rc::Rc;
use std::sync::Arc;

/// Tells fail-fast [`gather`](crate::gather), `wait(…, FirstException, …)`
/// and [`TaskGroup`](crate::TaskGroup) whether a task's output is a failure.
///
/// Implemented for `Result` (an `Err` is a failure) and for common standard
/// types (never failures). For an output type of your own, implement it —
/// usually with an empty body:
///
/// ```
/// use corio::Fallible;
///
/// struct Report { lines: usize }
/// impl Fallible for Report {}
///
/// assert!(!Report { lines: 3 }.is_failure());
/// assert!(Err::<(), _>("boom").is_failure());
/// ```
///
/// Without the impl, the compiler says so and what to write:
///
/// ```compile_fail
/// struct Report;
/// corio::run(corio::gather([corio::spawn(async { Report })])); // error: `Report` does not say whether it is a failure
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not say whether it is a failure: corio needs `Fallible` for it",
    label = "this task output needs `impl corio::Fallible for {Self} {{}}`",
    note = "add `impl corio::Fallible for {Self} {{}}` (an empty impl: never a failure), \
            or implement `is_failure` to say which values are failures",
    note = "`gather_settled`, `as_completed`, and `wait` with `corio::FirstCompleted` or \
            `corio::AllCompleted` take any output type"
)]
pub trait Fallible {
    /// `true` if this output is a failure. The default says no.
    fn is_failure(&self) -> bool {
        false
    }

    /// Moves the error out of an output that [`is_failure`](Fallible::is_failure),
    /// with a text for messages: what a [`TaskGroupError`](crate::TaskGroupError)
    /// carries. For `Err(e)`, `e` and its `Debug` text; by default, the whole
    /// output and its type's name.
    ///
    /// ```
    /// use corio::Fallible;
    /// let (error, text) = Err::<(), _>("refused").into_failure();
    /// assert_eq!(error.downcast_ref::<&str>(), Some(&"refused"));
    /// assert_eq!(text, "\"refused\"");
    /// ```
    fn into_failure(self) -> (Box<dyn Any>, String)
    where
        Self: Sized + 'static,
    {
        (Box::new(self), type_name::<Self>().to_owned())
    }
}

impl<T, E: Debug> Fallible for Result<T, E> {
    fn is_failure(&self) -> bool {
        self.is_err()
    }

    fn into_failure(self) -> (Box<dyn Any>, String)
    where
        Self: Sized + 'static,
    {
        match self {
            Err(e) => {
                let text = format!("{e:?}");
                (Box::new(e), text)
            }
            Ok(v) => (Box::new(v), type_name::<T>().to_owned()),
        }
    }
}

macro_rules! never_fails {
    ($($t:ty),* $(,)?) => { $(impl Fallible for $t {})* };
}

never_fails!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    String,
    &'static str,
    std::time::Duration,
    std::time::Instant,
);

impl<T> Fallible for Option<T> {}
impl<T> Fallible for Vec<T> {}
impl<T: ?Sized> Fallible for Box<T> {}
impl<T: ?Sized> Fallible for Rc<T> {}
impl<T: ?Sized> Fallible for Arc<T> {}

macro_rules! tuples_never_fail {
    ($(($($t:ident),+)),*) => { $(impl<$($t),+> Fallible for ($($t,)+) {})* };
}

tuples_never_fail!((A), (A, B), (A, B, C), (A, B, C, D));
