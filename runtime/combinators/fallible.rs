//! `Fallible`: when a task's output counts as a failure.
//!
//! asyncio's `wait(FIRST_EXCEPTION)` and `TaskGroup` react to a task that
//! raised. A Rust task "raises" in two ways: it panics, or it returns an
//! error value. corio counts both; this trait says which outputs are error
//! values. `Result::Err` is; the other standard types are never failures.
//! Cancellation is never a failure (as in asyncio).

use std::rc::Rc;
use std::sync::Arc;

/// Tells `wait(…, FirstException, …)` and [`TaskGroup`](crate::TaskGroup)
/// whether a task's output is a failure.
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
pub trait Fallible {
    /// `true` if this output is a failure. The default says no.
    fn is_failure(&self) -> bool {
        false
    }
}

impl<T, E> Fallible for Result<T, E> {
    fn is_failure(&self) -> bool {
        self.is_err()
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
