//! IO readiness: the one part of corio that talks to mio and the OS.
//!
//! * [`driver`]: the loop's `mio::Poll` (the owner, which parks) and the
//!   `Unparker` other threads use to interrupt it.
//! * [`reactor`]: registered sockets by token; OS events become readiness.
//! * [`scheduled_io`]: one socket's readiness and waiting tasks.
//! * [`registration`]: `PollEvented`, a registered socket and the
//!   ready → try → `WouldBlock` → clear loop every operation runs.
//! * [`budget`]: `IoBudget`, the ready operations one task step may perform.
//! * [`waiter`]: `Waiter`, one wait owned by the future that waits, which
//!   takes its waker back out when the wait is abandoned.
//! * [`async_fd`]: `AsyncFd`, the same for a descriptor that is not a socket
//!   (a pipe end, a pidfd).
//!
//! Nothing outside `io/` (and `net/`, which wraps mio's socket types) imports
//! mio.

pub(crate) mod async_fd;
pub(crate) mod budget;
pub(crate) mod driver;
pub(crate) mod reactor;
pub(crate) mod registration;
pub(crate) mod scheduled_io;
pub(crate) mod waiter;
