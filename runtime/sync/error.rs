//! Errors of the synchronization primitives: asyncio's `RuntimeError` and
//! `ValueError`, as values.

use std::fmt;

/// Misuse of a synchronization primitive (asyncio raises `RuntimeError` or
/// `ValueError`); the primitive's state is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncError {
    /// `release` of a lock that is not locked.
    NotLocked,
    /// `release` of a `BoundedSemaphore` above its initial value.
    TooManyReleases,
    /// `Condition::notify` without holding the condition's lock.
    LockNotHeld,
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyncError::NotLocked => "release of a lock that is not locked",
            SyncError::TooManyReleases => "BoundedSemaphore released too many times",
            SyncError::LockNotHeld => "the condition's lock must be held to notify",
        })
    }
}

impl std::error::Error for SyncError {}

/// The barrier was aborted, or a party left it broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenBarrierError;

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the barrier is broken")
    }
}

impl std::error::Error for BrokenBarrierError {}
