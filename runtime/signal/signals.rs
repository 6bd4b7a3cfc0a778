//! `Signals`: the deliveries of one signal to one listener, as a stream.
//!
//! Each listener has its own socket pair — the self-pipe. The write end goes
//! to the OS handler's action (`os_handler.rs`), which writes one byte per
//! delivery; the read end is an ordinary [`UnixStream`] registered with the
//! loop's reactor, so a task waiting for a signal waits exactly as it would
//! for a socket: no thread, no polling. Several listeners — on one loop or
//! on loops on other threads — each have their own pair and each get every
//! delivery.
//!
//! **Coalescing.** POSIX already merges a signal that arrives while the same
//! one is pending. corio merges further: one `recv` reports "at least one
//! delivery since the last `recv`" and takes every byte waiting. A burst of
//! ten `SIGHUP`s while the loop was busy is one reload, not ten.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_io::AsyncRead;

use super::number;
use super::os_handler::Registration;
use crate::net::UnixStream;

/// Bytes taken from the self-pipe per read; any number of deliveries fit.
const DRAIN_CHUNK: usize = 64;

/// Starts listening to `sig` on the running loop: the tokio / `signal-hook`
/// form of asyncio's `add_signal_handler`, as a stream of deliveries.
///
/// The listener is installed when this returns, so a signal raised after
/// that is not lost. Dropping the [`Signals`] (or closing its loop, which
/// drops the task holding it) removes it; when a signal's last listener
/// goes, the signal gets back the action it had before corio listened (for
/// `SIGINT`: the process dies).
///
/// # Errors
///
/// `InvalidInput` for `SIGKILL`, `SIGSTOP`, the fault signals (`SIGSEGV`,
/// `SIGBUS`, `SIGILL`, `SIGFPE`) and numbers that are no signal; an error
/// when no corio loop runs on this thread; the OS error if a socket pair
/// cannot be made.
///
/// ```
/// use corio::signal::{signal, SIGUSR1};
///
/// corio::run(async {
///     let mut usr1 = signal(SIGUSR1).unwrap();
///     // SAFETY: raising a signal this process listens to is harmless.
///     unsafe { libc::raise(SIGUSR1) };
///     assert_eq!(usr1.recv().await, Some(()));
/// });
/// ```
pub fn signal(sig: i32) -> io::Result<Signals> {
    number::check(sig)?;
    let (reader, writer) = std::os::unix::net::UnixStream::pair()?;
    // The handler must never block: with a full buffer the byte is dropped.
    writer.set_nonblocking(true)?;
    let reader = UnixStream::from_std(reader)?;
    let registration = Registration::new(sig, OwnedFd::from(writer))?;
    Ok(Signals {
        signal: sig,
        registration,
        reader,
    })
}

/// The deliveries of one signal to this listener: a
/// `futures_core::Stream<Item = ()>` that never ends, and
/// [`recv`](Signals::recv). Made by [`signal`]; belongs to its loop (not
/// `Send`), like a socket.
///
/// ```
/// use futures::StreamExt;
/// use corio::signal::{signal, SIGUSR2};
///
/// corio::run(async {
///     let mut usr2 = signal(SIGUSR2).unwrap();
///     // SAFETY: raising a signal this process listens to is harmless.
///     unsafe { libc::raise(SIGUSR2) };
///     assert_eq!(usr2.next().await, Some(()));
/// });
/// ```
pub struct Signals {
    signal: i32,
    // Field order is drop order: the action is unregistered (and the write
    // end closed) before the read end leaves the reactor.
    registration: Registration,
    reader: UnixStream,
}

impl Signals {
    /// Waits for the next delivery; several deliveries since the last call
    /// count as one (see the module docs). `None` only if the self-pipe
    /// failed, which does not happen in practice. Cancel-safe: a `recv`
    /// dropped before it returns loses no delivery.
    ///
    /// ```
    /// use corio::signal::{signal, SIGHUP};
    ///
    /// corio::run(async {
    ///     let mut hup = signal(SIGHUP).unwrap();
    ///     for _ in 0..3 {
    ///         // SAFETY: raising a signal this process listens to is harmless.
    ///         unsafe { libc::raise(SIGHUP) };
    ///     }
    ///     hup.recv().await; // the three, coalesced
    ///     let again = corio::time::timeout(std::time::Duration::from_millis(20), hup.recv()).await;
    ///     assert!(again.is_err(), "nothing more was delivered");
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<()> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for a delivery: `Ready(Some(()))` after at least one, `Pending`
    /// (with `cx`'s waker registered with the reactor) otherwise.
    ///
    /// ```
    /// use std::task::Poll;
    /// use corio::signal::{signal, SIGUSR1};
    ///
    /// corio::run(async {
    ///     let mut usr1 = signal(SIGUSR1).unwrap();
    ///     std::future::poll_fn(|cx| {
    ///         assert!(usr1.poll_recv(cx).is_pending());
    ///         Poll::Ready(())
    ///     })
    ///     .await;
    /// });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let mut buf = [0u8; DRAIN_CHUNK];
        let mut delivered = false;
        // Drain to `WouldBlock`: the reactor's readiness is edge-triggered,
        // and a byte left behind would not wake us again.
        let failed = loop {
            match Pin::new(&mut &self.reader).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(0)) => break true,
                Poll::Ready(Ok(_)) => delivered = true,
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(_)) => break true,
                Poll::Pending => break false,
            }
        };
        if delivered {
            Poll::Ready(Some(()))
        } else if failed {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }

    /// The signal this listens to.
    ///
    /// ```
    /// corio::run(async {
    ///     let term = corio::signal::signal(corio::signal::SIGTERM).unwrap();
    ///     assert_eq!(term.signal(), corio::signal::SIGTERM);
    /// });
    /// ```
    pub fn signal(&self) -> i32 {
        self.signal
    }
}

impl Stream for Signals {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signals")
            .field("signal", &number::describe(self.signal))
            .field("registration", &self.registration)
            .finish_non_exhaustive()
    }
}
