//! `PollEvented`: a mio socket registered with the running loop, and the
//! one loop every socket operation goes through.
//!
//! [`PollEvented::poll_io`] is the heart of `corio::net`:
//!
//! 1. wait until the socket is ready in the operation's direction
//!    ([`ScheduledIo::ready`]) — or register the task's waker and return
//!    `Pending`;
//! 2. try the non-blocking syscall;
//! 3. on `WouldBlock`, clear the readiness that was seen and go back to 1;
//!    anything else (data, EOF, an error) is the result.
//!
//! **Fairness.** A socket that is always ready would let one task loop on it
//! forever, so each operation that can proceed spends a unit of the task
//! step's IO budget (`budget.rs`); when it is spent, `poll_io` wakes the task
//! and returns `Pending`, so the task goes to the back of the ready queue and
//! everyone else runs first.
//!
//! **Who waits.** An operation that returns a future (`read`, `accept`, …)
//! waits through a [`Waiter`] the future owns ([`WaitAs::Own`]), so dropping
//! the future takes its waker back out. The `poll_*` methods and the
//! `AsyncRead`/`AsyncWrite` impls have no future of their own; they wait in
//! the socket's one shared entry per direction ([`WaitAs::Shared`]), where
//! the latest caller replaces the one before (tokio's rule for its `poll_*`
//! methods).
//!
//! Dropping a `PollEvented` deregisters the socket and frees its token, then
//! closes the descriptor.

use std::io;
use std::rc::Rc;
use std::task::{Context, Poll};

use mio::event::Source;
use mio::Token;

use super::reactor::Reactor;
use super::scheduled_io::{Direction, ScheduledIo};
use super::waiter::Waiter;
use crate::event_loop::context;

/// Where an operation's task waits when the socket is not ready. (`pub`
/// only so that the sealed `corio::net::SplitStream` trait can name it; not
/// reachable from outside the crate.)
#[derive(Debug)]
pub enum WaitAs<'w> {
    /// In the entry of a `Waiter` owned by the operation's future.
    Own(&'w mut Waiter),
    /// In the socket's shared entry for callers without a future.
    Shared,
}

/// A registered mio socket. See the module docs.
pub(crate) struct PollEvented<E: Source> {
    source: Option<E>,
    token: Token,
    io: Rc<ScheduledIo>,
    reactor: Rc<Reactor>,
}

impl<E: Source> PollEvented<E> {
    /// Registers `source` with the loop running on this thread.
    ///
    /// # Errors
    ///
    /// The registration's OS error; an `Other` error when no corio loop runs
    /// on this thread.
    pub(crate) fn new(mut source: E) -> io::Result<PollEvented<E>> {
        let reactor = running_reactor()?;
        let (token, io) = reactor.register(&mut source)?;
        Ok(PollEvented {
            source: Some(source),
            token,
            io,
            reactor,
        })
    }

    /// The mio socket.
    pub(crate) fn get_ref(&self) -> &E {
        self.source
            .as_ref()
            .expect("present until drop or into_inner")
    }

    /// Runs `op` until it does not return `WouldBlock`; see the module docs.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        wait: WaitAs<'_>,
        op: impl FnMut(&E) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_until_drained(cx, direction, wait, op, |_| false)
    }

    /// Runs `op` until it does not return `WouldBlock`, as a future with a
    /// wait of its own ([`WaitAs::Own`]): the one way an `async fn` of any
    /// socket type (`UdpSocket::send_to`, `UnixDatagram::recv`,
    /// `TcpListener::accept`, …) waits for its operation.
    ///
    /// It guarantees:
    /// * every task waiting this way on one socket is woken by the next
    ///   event in its direction (each has its own [`Waiter`], unlike the
    ///   shared entry of the `poll_*` methods);
    /// * `op` runs only when the socket was seen ready, and its first result
    ///   other than `WouldBlock` is the output of the very poll that got it:
    ///   dropping the future never loses a result `op` produced, so the
    ///   future is cancel-safe when one call of `op` is all or nothing (a
    ///   datagram sent or received, a connection accepted);
    /// * dropping the future takes its waker out of the socket at once;
    /// * each ready operation spends the task's IO budget, as every
    ///   [`poll_io`](Self::poll_io) does.
    ///
    /// # Errors
    ///
    /// `op`'s error; an `Other` error when polled on a thread whose running
    /// loop is not the socket's.
    pub(crate) async fn wait_for<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&E) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut waiter = Waiter::default();
        std::future::poll_fn(|cx| self.poll_io(cx, direction, WaitAs::Own(&mut waiter), &mut op))
            .await
    }

    /// [`poll_io`](Self::poll_io), where `drained(&result)` can tell from a
    /// successful result that the socket has nothing more right now — a
    /// stream read that returned fewer bytes than asked emptied the receive
    /// buffer; a short write filled the send buffer. Readiness is cleared
    /// then, saving the next operation a syscall that would only say
    /// `WouldBlock`. (Edge-triggered epoll reports every later arrival as a
    /// new event, and the tick keeps one recorded meanwhile.)
    pub(crate) fn poll_io_until_drained<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut wait: WaitAs<'_>,
        mut op: impl FnMut(&E) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        if !self.on_running_loop() {
            return Poll::Ready(Err(io::Error::other(
                "this corio socket belongs to another event loop; sockets cannot move between loops",
            )));
        }
        loop {
            let Some(event) = self.io.ready(direction) else {
                match &mut wait {
                    WaitAs::Own(waiter) => waiter.wait(&self.io, direction, cx.waker()),
                    WaitAs::Shared => self.io.add_shared_waiter(direction, cx.waker()),
                }
                return Poll::Pending;
            };
            // Ready: a wait this future registered earlier is over.
            if let WaitAs::Own(waiter) = &mut wait {
                waiter.leave();
            }
            // Only an operation that can proceed spends budget: a task that
            // checks many idle sockets in one step is not made to yield.
            if !self.reactor.budget.take() {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            match op(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.io.clear_readiness(event),
                Ok(r) => {
                    if drained(&r) {
                        self.io.clear_drained(event);
                    }
                    return Poll::Ready(Ok(r));
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// `true` when the loop running on this thread is the one this socket is
    /// registered with (its events arrive nowhere else).
    fn on_running_loop(&self) -> bool {
        let mine = Rc::as_ptr(&self.reactor);
        context::with_current_loop(|lp| Rc::as_ptr(&lp.reactor) == mine).unwrap_or(false)
    }

    /// Deregisters and gives the mio socket back.
    pub(crate) fn into_inner(mut self) -> E {
        let mut source = self
            .source
            .take()
            .expect("present until drop or into_inner");
        self.reactor.deregister(self.token, &mut source);
        source
    }
}

/// The reactor of the loop running on this thread.
fn running_reactor() -> io::Result<Rc<Reactor>> {
    context::with_current_loop(|lp| lp.reactor.clone()).ok_or_else(|| {
        io::Error::other(
            "corio sockets need a running corio loop on this thread (use them inside corio::run)",
        )
    })
}

/// `Ok` when a corio loop runs on this thread; otherwise the error a socket
/// created here would report.
pub(crate) fn require_running_loop() -> io::Result<()> {
    running_reactor().map(drop)
}

impl<E: Source> Drop for PollEvented<E> {
    fn drop(&mut self) {
        if let Some(mut source) = self.source.take() {
            self.reactor.deregister(self.token, &mut source);
        }
    }
}

impl<E: Source + std::fmt::Debug> std::fmt::Debug for PollEvented<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollEvented")
            .field("source", &self.source)
            .field("token", &self.token)
            .finish()
    }
}
