//! Splitting a stream into a read half and a write half — borrowed
//! (`split`) or owned (`into_split`) — for TCP and Unix streams alike.
//!
//! Reads and writes wait on separate wakers (see `io/scheduled_io.rs`), so
//! the two halves can be used by two tasks at the same time.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

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
    fn core_poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    #[doc(hidden)]
    fn core_poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    #[doc(hidden)]
    fn core_shutdown(&self, how: Shutdown) -> io::Result<()>;
}

/// The read half of [`TcpStream::split`](super::TcpStream::split) /
/// [`UnixStream::split`](super::UnixStream::split).
pub struct ReadHalf<'a, S> {
    stream: &'a S,
}

/// The write half of a borrowed split. Closing it (`AsyncWrite::poll_close`)
/// shuts the write side down.
pub struct WriteHalf<'a, S> {
    stream: &'a S,
}

/// The read half of an owned split.
pub struct OwnedReadHalf<S> {
    stream: Rc<S>,
}

/// The write half of an owned split.
pub struct OwnedWriteHalf<S> {
    stream: Rc<S>,
}

/// The halves of [`OwnedReadHalf::reunite`] did not come from the same stream.
#[derive(Debug)]
pub struct ReuniteError<S>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

impl<S> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the two halves come from different streams")
    }
}

impl<S: fmt::Debug> std::error::Error for ReuniteError<S> {}

pub(crate) fn borrowed<S>(stream: &S) -> (ReadHalf<'_, S>, WriteHalf<'_, S>) {
    (ReadHalf { stream }, WriteHalf { stream })
}

pub(crate) fn owned<S>(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let stream = Rc::new(stream);
    (
        OwnedReadHalf {
            stream: stream.clone(),
        },
        OwnedWriteHalf { stream },
    )
}

/// Reads exactly `buf.len()` bytes through `poll_read`.
async fn read_exact_with(
    mut poll_read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
    mut buf: &mut [u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        match poll_fn(|cx| poll_read(cx, buf)).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => buf = &mut buf[n..],
        }
    }
    Ok(())
}

/// Writes all of `buf` through `poll_write`.
async fn write_all_with(
    mut poll_write: impl FnMut(&mut Context<'_>, &[u8]) -> Poll<io::Result<usize>>,
    mut buf: &[u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        match poll_fn(|cx| poll_write(cx, buf)).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}

macro_rules! read_half_methods {
    () => {
        /// Reads into `buf`; `Ok(0)` is EOF.
        ///
        /// # Errors
        ///
        /// The socket's error (reset, …).
        pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            poll_fn(|cx| self.stream.core_poll_read(cx, buf)).await
        }

        /// Reads exactly `buf.len()` bytes.
        ///
        /// # Errors
        ///
        /// `UnexpectedEof` if the peer closes first.
        pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
            let stream = &self.stream;
            read_exact_with(|cx, b| stream.core_poll_read(cx, b), buf).await
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
            poll_fn(|cx| self.stream.core_poll_write(cx, buf)).await
        }

        /// Writes all of `buf`.
        ///
        /// # Errors
        ///
        /// The socket's error (broken pipe, …).
        pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
            let stream = &self.stream;
            write_all_with(|cx, b| stream.core_poll_write(cx, b), buf).await
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

    /// Puts the two halves back together.
    ///
    /// # Errors
    ///
    /// [`ReuniteError`] (holding both halves) if they come from different streams.
    pub fn reunite(self, write: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Rc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        drop(write);
        Ok(Rc::try_unwrap(self.stream)
            .unwrap_or_else(|_| unreachable!("only the two halves share it")))
    }
}

impl<S: SplitStream> OwnedWriteHalf<S> {
    write_half_methods!();
}

macro_rules! debug_half {
    ($($half:ident $(<$lt:lifetime>)?),*) => {$(
        impl<S: fmt::Debug> fmt::Debug for $half<$($lt,)? S> {
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
                self.stream.core_poll_read(cx, buf)
            }
        }
    )*};
}

macro_rules! async_write_half {
    ($($half:ident $(<$lt:lifetime>)?),*) => {$(
        impl<S: SplitStream> futures_io::AsyncWrite for $half<$($lt,)? S> {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                self.stream.core_poll_write(cx, buf)
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
