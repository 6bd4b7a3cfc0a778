//! hyper's runtime traits over tokio, written for this benchmark peer: the
//! tokio counterpart of `servers/hyper_corio.rs` (what hyper-util's
//! `TokioIo` and `TokioTimer` do, so the peer runs hyper on tokio the way a
//! tokio program would).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{ReadBufCursor, Sleep, Timer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A tokio `TcpStream` seen through hyper's I/O traits.
pub struct TokioIo(pub TcpStream);

impl hyper::rt::Read for TokioIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // tokio reads into uninitialised memory itself (its `ReadBuf`
        // tracks what is initialised), so hyper's buffer goes in as it is.
        // SAFETY: tokio's `ReadBuf` only writes into the slice, never
        // de-initialises a byte of it.
        let unfilled = unsafe { buf.as_mut() };
        let mut tokio_buf = ReadBuf::uninit(unfilled);
        match Pin::new(&mut self.0).poll_read(cx, &mut tokio_buf) {
            Poll::Ready(Ok(())) => {
                let n = tokio_buf.filled().len();
                // SAFETY: tokio filled (so initialised) the first `n` bytes.
                unsafe { buf.advance(n) };
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl hyper::rt::Write for TokioIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// hyper's timer over `tokio::time`.
#[derive(Clone, Copy)]
pub struct TokioTimer;

impl Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(TokioSleep(tokio::time::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(TokioSleep(tokio::time::sleep_until(deadline.into())))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<TokioSleep>() {
            Some(ours) => ours.inner().reset(new_deadline.into()),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// tokio's `Sleep` (which is `!Unpin`) as a `hyper::rt::Sleep`.
struct TokioSleep(tokio::time::Sleep);

impl TokioSleep {
    fn inner(self: Pin<&mut Self>) -> Pin<&mut tokio::time::Sleep> {
        // SAFETY: structural pinning: the field is never moved out of a
        // pinned `TokioSleep` (no method takes it by value; no `Drop` impl).
        unsafe { self.map_unchecked_mut(|wrapper| &mut wrapper.0) }
    }
}

impl Future for TokioSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.inner().poll(cx)
    }
}

impl Sleep for TokioSleep {}
