//! `corio::sync`: asyncio's synchronization primitives — `Lock`, `Event`,
//! `Condition`, `Semaphore`, `BoundedSemaphore`, `Barrier`.
//!
//! Like asyncio's, they are for the tasks of one loop (not thread-safe, and
//! so free of atomics and locks): share them with `Rc`. All are FIFO-fair and
//! cancellation-safe: a cancelled waiter takes nothing, and anything handed
//! to it just before it was cancelled passes on to the next waiter
//! (`wait_queue` explains the hand-off).

mod barrier;
mod condition;
mod error;
mod event;
mod lock;
mod semaphore;
pub(crate) mod wait_queue;

pub use barrier::Barrier;
pub use condition::Condition;
pub use error::{BrokenBarrierError, SyncError};
pub use event::Event;
pub use lock::{Acquire, Lock, LockGuard};
pub use semaphore::{BoundedSemaphore, PermitFuture, Semaphore, SemaphorePermit};
