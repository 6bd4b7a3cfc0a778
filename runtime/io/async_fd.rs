//! `AsyncFd`: readiness for a file descriptor that is not a socket — a pipe
//! end, a pidfd — registered with the loop's reactor like any socket.
//!
//! mio wraps sockets in its own types, but a raw descriptor can be registered
//! through `mio::unix::SourceFd`, which borrows it for the duration of one
//! `register`/`deregister` call. `FdSource` owns the descriptor and lends it
//! to a `SourceFd` each time, so the registration can hold it inside the same
//! [`PollEvented`] every socket uses: the ready → try → `WouldBlock` → clear
//! loop, the IO budget and deregistration on drop all come for free.
//!
//! What the OS promises for these descriptors (Linux epoll, edge-triggered):
//!
//! * a pipe's read end reports readable when bytes arrive and when the last
//!   writer closes (`EPOLLHUP`, which mio reports as read-closed); its write
//!   end reports writable when buffer space frees and error when the last
//!   reader closes (a write then fails with `EPIPE`);
//! * a pidfd reports readable once the process has exited, and stays so
//!   (registering it after the exit still delivers one event: epoll checks
//!   readiness when a descriptor is added).
//!
//! The descriptor must be non-blocking: the operation passed to
//! [`AsyncFd::poll_read_with`] must return `WouldBlock` rather than sleep, or
//! the whole loop would sleep with it.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use super::registration::{PollEvented, WaitAs};
use super::scheduled_io::Direction;

/// An owned descriptor that mio can register (see the module docs).
#[derive(Debug)]
pub(crate) struct FdSource(OwnedFd);

impl Source for FdSource {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).deregister(registry)
    }
}

/// A non-blocking descriptor registered with the running loop. See the
/// module docs.
#[derive(Debug)]
pub(crate) struct AsyncFd {
    io: PollEvented<FdSource>,
}

impl AsyncFd {
    /// Registers `fd` (already non-blocking) with the loop running on this
    /// thread.
    ///
    /// # Errors
    ///
    /// The registration's OS error; an `Other` error when no corio loop runs
    /// on this thread.
    pub(crate) fn new(fd: OwnedFd) -> io::Result<AsyncFd> {
        Ok(AsyncFd {
            io: PollEvented::new(FdSource(fd))?,
        })
    }

    /// Runs `op` once the descriptor is readable, until it stops returning
    /// `WouldBlock`; `wait` says where the task waits meanwhile (a `Waiter`
    /// its future owns, or the shared entry, as for sockets). `drained(&result)` says a successful result emptied the
    /// descriptor (a short read), so the next call waits for a new event
    /// instead of trying a syscall that would only say `WouldBlock`.
    pub(crate) fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        wait: WaitAs<'_>,
        op: impl FnMut(RawFd) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        self.poll_with(cx, Direction::Read, wait, op, drained)
    }

    /// As [`poll_read_with`](Self::poll_read_with), for writing.
    pub(crate) fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        wait: WaitAs<'_>,
        op: impl FnMut(RawFd) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        self.poll_with(cx, Direction::Write, wait, op, drained)
    }

    fn poll_with<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        wait: WaitAs<'_>,
        mut op: impl FnMut(RawFd) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        self.io.poll_io_until_drained(
            cx,
            direction,
            wait,
            |source| op(source.0.as_raw_fd()),
            drained,
        )
    }
}
