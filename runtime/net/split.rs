//! Splitting a stream into a read half and a write half — borrowed
//! (`split`) or owned (`into_split`) — for TCP and Unix streams alike.
//!
//! Reads and writes wait on separate wakers (see `io/scheduled_io.rs`), so
//! the two halves can be used by two tasks at the same time. Each half owns
//! a `Waiter` for its `AsyncRead`/`AsyncWrite` polls (so two halves never
//! displace each other's waker), and each of its `async` methods waits
//! through one of its own.
//!
//! Dropping an [`OwnedWriteHalf`] shuts the write direction down, so the
//! peer reads EOF even while the read half lives on (tokio's behaviour;
//! without it a peer that reads until EOF would wait for a close that never
//! comes). [`OwnedWriteHalf::forget`] opts out, and `reunite` does not shut
//! anything down.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::io::registration::WaitAs;
use crate::io::waiter::Waiter;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::super::TcpStream {}
    impl Sealed for super::super::UnixStream {}
}

/// A stream that can be split: [`TcpStream`](super::TcpStream) and
/// [`UnixStream`](super::UnixStream). Sealed: its methods are corio's own
/// plumbing.
pub trait SplitStream: sealed::Sealed {
    #[doc(hidden)]
    fn core_poll_read(
        &self,
        cx: &mut Context<'_>,
        wait: WaitAs<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>;
    #[doc(hidden)]
    fn core_poll_write(
        &self,
        cx: &mut Context<'_>,
        wait: WaitAs<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>;
    #[doc(hidden)]
    fn core_shutdown(&self, how: Shutdown) -> io::Result<()>;
}

/// The read half of [`TcpStream::split`](super::TcpStream::split) /
/// [`UnixStream::split`](super::UnixStream::split).
pub struct ReadHalf<'a, S> {
    stream: &'a S,
    waiter: Waiter,
}

/// The write half of a borrowed split. Closing it (`AsyncWrite::poll_close`)
/// shuts the write side down; dropping it does not (the stream is still
/// there, and its owner decides).
pub struct WriteHalf<'a, S> {
    stream: &'a S,
    waiter: Waiter,
}

/// The read half of an owned split.
pub struct OwnedReadHalf<S> {
    stream: Rc<S>,
    waiter: Waiter,
}

/// The write half of an owned split. Dropping it shuts the write side down
/// (the peer reads EOF) unless it is [`forget`](OwnedWriteHalf::forget)-ed
/// or given to [`OwnedReadHalf::reunite`].
///
/// ```
/// corio::run(async {
///     let (a, b) = corio::net::UnixStream::pair().unwrap();
///     let (mut read, write) = a.into_split();
///     drop(write);
///     let mut buf = [0; 1];
///     assert_eq!(b.read(&mut buf).await.unwrap(), 0); // EOF, though `read` lives
///     b.write_all(b"!").await.unwrap(); // the other direction still works
///     read.read_exact(&mut buf).await.unwrap();
/// });
/// ```
pub struct OwnedWriteHalf<S: SplitStream> {
    stream: Rc<S>,
    waiter: Waiter,
    shut_down_on_drop: bool,
}

/// The halves of [`OwnedReadHalf::reunite`] did not come from the same stream.
#[derive(Debug)]
pub struct ReuniteError<S: SplitStream>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

impl<S: SplitStream> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the two halves come from different streams")
    }
}

impl<S: SplitStream + fmt::Debug> std::error::Error for ReuniteError<S> {}

pub(crate) fn borrowed<S>(stream: &S) -> (ReadHalf<'_, S>, WriteHalf<'_, S>) {
    (
        ReadHalf {
            stream,
            waiter: Waiter::default(),
        },
        WriteHalf {
            stream,
            waiter: Waiter::default(),
        },
    )
}

pub(crate) fn owned<S: SplitStream>(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let stream = Rc::new(stream);
    (
        OwnedReadHalf {
            stream: stream.clone(),
            waiter: Waiter::default(),
        },
        OwnedWriteHalf {
            stream,
            waiter: Waiter::default(),
            shut_down_on_drop: true,
        },
    )
}

/// Reads into `buf`, waiting through a `Waiter` of the read's own.
async fn read_from<S: SplitStream>(stream: &S, buf: &mut [u8]) -> io::Result<usize> {
    let mut waiter = Waiter::default();
    poll_fn(|cx| stream.core_poll_read(cx, WaitAs::Own(&mut waiter), buf)).await
}

/// Reads exactly `buf.len()` bytes.
async fn read_exact_from<S: SplitStream>(stream: &S, mut buf: &mut [u8]) -> io::Result<()> {
    let mut waiter = Waiter::default();
    while !buf.is_empty() {
        match poll_fn(|cx| stream.core_poll_read(cx, WaitAs::Own(&mut waiter), buf)).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => buf = &mut buf[n..],
        }
    }
    Ok(())
}

/// Writes some of `buf`, waiting through a `Waiter` of the write's own.
async fn write_to<S: SplitStream>(stream: &S, buf: &[u8]) -> io::Result<usize> {
    let mut waiter = Waiter::default();
    poll_fn(|cx| stream.core_poll_write(cx, WaitAs::Own(&mut waiter), buf)).await
}

/// Writes all of `buf`.
async fn write_all_to<S: SplitStream>(stream: &S, mut buf: &[u8]) -> io::Result<()> {
    let mut waiter = Waiter::default();
    while !buf.is_empty() {
        match poll_fn(|cx| stream.core_poll_write(cx, WaitAs::Own(&mut waiter), buf)).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}

macro_rules! read_half_methods {
    () => {
        /// Reads into `buf`; `Ok(0)` is EOF (or an empty `buf`, which
        /// returns at once).
        ///
        /// # Errors
        ///
        /// The socket's error (reset, …).
        pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            read_from(&*self.stream, buf).await
        }

        /// Reads exactly `buf.len()` bytes.
        ///
        /// # Errors
        ///
        /// `UnexpectedEof` if the peer closes first.
        ///
        /// # Cancellation
        ///
        /// Not cancel-safe, as [`TcpStream::read_exact`](super::TcpStream::read_exact)
        /// explains: if the future is dropped before it completes, the bytes
        /// it read are gone from the stream.
        pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
            read_exact_from(&*self.stream, buf).await
        }
    };
}

macro_rules! write_half_methods {
    () => {
        /// Writes some of `buf`; returns how much.
        ///
        /// # Errors
        ///
        /// The socket's error (broken pipe, …).
        pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            write_to(&*self.stream, buf).await
        }

        /// Writes all of `buf`.
        ///
        /// # Errors
        ///
        /// The socket's error (broken pipe, …).
        pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
            write_all_to(&*self.stream, buf).await
        }

        /// Shuts the write side down: the peer reads EOF.
        ///
        /// # Errors
        ///
        /// The OS error, if the socket is gone.
        pub fn shutdown(&self) -> io::Result<()> {
            self.stream.core_shutdown(Shutdown::Write)
        }
    };
}

impl<S: SplitStream> ReadHalf<'_, S> {
    read_half_methods!();
}

impl<S: SplitStream> WriteHalf<'_, S> {
    write_half_methods!();
}

impl<S: SplitStream> OwnedReadHalf<S> {
    read_half_methods!();

    /// Puts the two halves back together (nothing is shut down).
    ///
    /// # Errors
    ///
    /// [`ReuniteError`] (holding both halves) if they come from different streams.
    pub fn reunite(self, mut write: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Rc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        write.shut_down_on_drop = false;
        drop(write);
        Ok(Rc::try_unwrap(self.stream)
            .unwrap_or_else(|_| unreachable!("only the two halves share it")))
    }
}

impl<S: SplitStream> OwnedWriteHalf<S> {
    write_half_methods!();

    /// Drops this half *without* shutting the write side down: the peer
    /// sees EOF only when the read half is dropped too (and the stream
    /// closes). For a protocol whose peer must not read EOF while replies
    /// are still coming the other way.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair().unwrap();
    ///     let (read, write) = a.into_split();
    ///     write.forget();
    ///     let mut buf = [0; 1];
    ///     let waited = corio::time::timeout(std::time::Duration::from_millis(20), b.read(&mut buf)).await;
    ///     assert!(waited.is_err()); // no EOF yet
    ///     drop(read);
    ///     assert_eq!(b.read(&mut buf).await.unwrap(), 0); // now the stream is closed
    /// });
    /// ```
    pub fn forget(mut self) {
        self.shut_down_on_drop = false;
    }
}

impl<S: SplitStream> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.shut_down_on_drop {
            // A `Drop` cannot report an error; the likely ones (the peer
            // reset the connection, the write side is already shut) leave
            // nothing to do anyway.
            let _ = self.stream.core_shutdown(Shutdown::Write);
        }
    }
}

macro_rules! debug_half {
    ($($half:ident $(<$lt:lifetime>)?),*) => {$(
        impl<S: SplitStream + fmt::Debug> fmt::Debug for $half<$($lt,)? S> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($half)).field("stream", &self.stream).finish()
            }
        }
    )*};
}

debug_half!(ReadHalf<'_>, WriteHalf<'_>, OwnedReadHalf, OwnedWriteHalf);

macro_rules! async_read_half {
    ($($half:ident $(<$lt:lifetime>)?),*) => {$(
        impl<S: SplitStream> futures_io::AsyncRead for $half<$($lt,)? S> {
            fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
                let this = self.get_mut();
                this.stream.core_poll_read(cx, WaitAs::Own(&mut this.waiter), buf)
            }
        }
    )*};
}

macro_rules! async_write_half {
    ($($half:ident $(<$lt:lifetime>)?),*) => {$(
        impl<S: SplitStream> futures_io::AsyncWrite for $half<$($lt,)? S> {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                let this = self.get_mut();
                this.stream.core_poll_write(cx, WaitAs::Own(&mut this.waiter), buf)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.stream.core_shutdown(Shutdown::Write))
            }
        }
    )*};
}

async_read_half!(ReadHalf<'_>, OwnedReadHalf);
async_write_half!(WriteHalf<'_>, OwnedWriteHalf);
