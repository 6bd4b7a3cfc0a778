//! The parent's ends of a child's pipes, as transports: [`ChildStdin`]
//! (`futures_io::AsyncWrite`) and [`ChildOutput`], the read end of its
//! stdout or stderr (`futures_io::AsyncRead`).
//!
//! Each is a non-blocking pipe end registered with the loop through
//! `AsyncFd`, read and written like a socket. `Command::spawn` wraps them in
//! asyncio's stream types — `StreamWriter::new(ChildStdin)`,
//! `StreamReader::new(ChildOutput)` — which add the buffering, `readline`
//! and `drain`; these types only move bytes.
//!
//! A pipe holds 64 KiB on Linux: a child that writes more than that blocks
//! until the parent reads, which is why `Process::communicate` reads both
//! outputs while it writes the input. Closing [`ChildStdin`] (`poll_close`,
//! or dropping it) is how the child sees end-of-file; a child that exits
//! without reading makes the next write fail with `BrokenPipe` (Rust
//! programs ignore `SIGPIPE`, so no signal kills the parent).

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::sys;
use crate::io::async_fd::AsyncFd;
use crate::io::registration::WaitAs;

/// Registers a pipe end taken from a just-spawned child.
fn register(fd: OwnedFd) -> io::Result<AsyncFd> {
    sys::set_nonblocking(fd.as_raw_fd())?;
    AsyncFd::new(fd)
}

/// The write end of the child's standard input.
#[derive(Debug)]
pub(crate) struct ChildStdin {
    /// `None` once closed.
    fd: Option<AsyncFd>,
}

impl ChildStdin {
    pub(crate) fn new(fd: OwnedFd) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            fd: Some(register(fd)?),
        })
    }
}

impl futures_io::AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let Some(fd) = &self.fd else {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the child's stdin pipe was closed",
            )));
        };
        let offered = buf.len();
        fd.poll_write_with(
            cx,
            WaitAs::Shared,
            |raw| sys::write(raw, buf),
            |&n| n < offered,
        )
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A pipe has no user-space buffer: every accepted byte is the kernel's.
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Deregisters and closes the write end: the child reads EOF.
        self.fd = None;
        Poll::Ready(Ok(()))
    }
}

/// A read end: the child's standard output or standard error.
#[derive(Debug)]
pub(crate) struct ChildOutput {
    fd: AsyncFd,
}

impl ChildOutput {
    pub(crate) fn new(fd: OwnedFd) -> io::Result<ChildOutput> {
        Ok(ChildOutput { fd: register(fd)? })
    }
}

impl futures_io::AsyncRead for ChildOutput {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let wanted = buf.len();
        self.fd.poll_read_with(
            cx,
            WaitAs::Shared,
            |raw| sys::read(raw, buf),
            |&n| n > 0 && n < wanted,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::pin::Pin;

    use futures_io::{AsyncRead, AsyncWrite};

    use super::{ChildOutput, ChildStdin};
    use crate::process::sys;

    /// Writes `data` to `w` until all is taken, then closes it.
    async fn write_all_and_close(w: &mut ChildStdin, mut data: &[u8]) {
        while !data.is_empty() {
            let n = poll_fn(|cx| Pin::new(&mut *w).poll_write(cx, data))
                .await
                .unwrap();
            data = &data[n..];
        }
        poll_fn(|cx| Pin::new(&mut *w).poll_close(cx))
            .await
            .unwrap();
    }

    async fn read_to_end(r: &mut ChildOutput) -> Vec<u8> {
        let mut out = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = poll_fn(|cx| Pin::new(&mut *r).poll_read(cx, &mut chunk))
                .await
                .unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&chunk[..n]);
        }
    }

    #[test]
    fn a_pipe_carries_more_than_its_capacity_between_two_tasks() {
        crate::run(async {
            let (read_end, write_end) = sys::pipe().unwrap();
            let mut writer = ChildStdin::new(write_end).unwrap();
            let mut reader = ChildOutput::new(read_end).unwrap();
            let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
            let expected = data.clone();
            // The writer fills the 64 KiB pipe and waits for the reader,
            // which runs in another task: neither blocks the loop.
            let writing =
                crate::spawn(async move { write_all_and_close(&mut writer, &data).await });
            assert_eq!(read_to_end(&mut reader).await, expected);
            writing.await.unwrap();
        });
    }

    #[test]
    fn writing_after_the_reader_closed_is_a_broken_pipe() {
        crate::run(async {
            let (read_end, write_end) = sys::pipe().unwrap();
            drop(read_end);
            let mut writer = ChildStdin::new(write_end).unwrap();
            let err = poll_fn(|cx| Pin::new(&mut writer).poll_write(cx, b"x"))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
        });
    }
}
