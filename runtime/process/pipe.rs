//! The parent's ends of a child's pipes: [`ChildStdin`] (write),
//! [`ChildStdout`] and [`ChildStderr`] (read).
//!
//! Each is a non-blocking pipe end registered with the loop through
//! `AsyncFd`, and implements the ecosystem's `futures_io::AsyncWrite` /
//! `AsyncRead`, so `futures::io` helpers (and corio's streams) work on them.
//! A pipe holds 64 KiB on Linux: a child that writes more than that blocks
//! until the parent reads, which is why [`Process::communicate`] reads both
//! outputs while it writes the input.
//!
//! Closing [`ChildStdin`] (dropping it, or `close`) is how the child sees
//! end-of-file on its input; a child that exits without reading makes the
//! next write fail with `BrokenPipe` (Rust programs ignore `SIGPIPE`).
//!
//! [`Process::communicate`]: super::Process::communicate

use std::future::poll_fn;
use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::sys;
use crate::io::async_fd::AsyncFd;
use crate::io::registration::WaitAs;
use crate::io::waiter::Waiter;

/// Registers a pipe end taken from a just-spawned child.
fn register(fd: OwnedFd) -> io::Result<AsyncFd> {
    use std::os::fd::AsRawFd;
    sys::set_nonblocking(fd.as_raw_fd())?;
    AsyncFd::new(fd)
}

/// Reads from a registered pipe end.
fn poll_read_fd(
    fd: &AsyncFd,
    cx: &mut Context<'_>,
    wait: WaitAs<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let wanted = buf.len();
    fd.poll_read_with(
        cx,
        wait,
        |raw| sys::read(raw, buf),
        |&n| n > 0 && n < wanted,
    )
}

/// Appends everything until end-of-file to `out`; `Ready(Ok)` at EOF. Safe
/// to poll again after `Pending`: what was read stays in `out`.
fn poll_read_to_end(
    fd: &AsyncFd,
    cx: &mut Context<'_>,
    waiter: &mut Waiter,
    out: &mut Vec<u8>,
) -> Poll<io::Result<()>> {
    const CHUNK: usize = 64 * 1024;
    loop {
        let start = out.len();
        out.resize(start + CHUNK, 0);
        let read = poll_read_fd(fd, cx, WaitAs::Own(waiter), &mut out[start..]);
        let n = match read {
            Poll::Ready(Ok(n)) => n,
            other => {
                out.truncate(start);
                return other.map(|r| r.map(|_| ()));
            }
        };
        out.truncate(start + n);
        if n == 0 {
            return Poll::Ready(Ok(()));
        }
    }
}

/// The child's standard input, written by the parent. Dropping it (or
/// [`close`](ChildStdin::close)) sends the child end-of-file.
///
/// ```
/// use corio::process::{Command, Stdio};
///
/// corio::run(async {
///     let mut child = Command::new("cat").stdin(Stdio::Pipe).stdout(Stdio::Pipe).spawn()?;
///     let mut stdin = child.stdin.take().expect("piped");
///     stdin.write_all(b"hello").await?;
///     stdin.close();
///     let out = child.stdout.take().expect("piped").read_to_end().await?;
///     assert_eq!(out, b"hello");
///     assert_eq!(child.wait().await?, 0);
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct ChildStdin {
    fd: Option<AsyncFd>,
}

impl ChildStdin {
    pub(crate) fn new(fd: OwnedFd) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            fd: Some(register(fd)?),
        })
    }

    fn poll_write_bytes(
        &self,
        cx: &mut Context<'_>,
        wait: WaitAs<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let Some(fd) = &self.fd else {
            return Poll::Ready(Err(closed_error()));
        };
        let offered = buf.len();
        fd.poll_write_with(cx, wait, |raw| sys::write(raw, buf), |&n| n < offered)
    }

    /// Writes some of `data`; returns how many bytes the pipe took.
    ///
    /// # Errors
    ///
    /// `BrokenPipe` once the child closed its input; an error after
    /// [`close`](Self::close).
    ///
    /// ```
    /// # use corio::process::{Command, Stdio};
    /// # corio::run(async {
    /// let mut child = Command::new("cat").stdin(Stdio::Pipe).stdout(Stdio::DevNull).spawn()?;
    /// let stdin = child.stdin.as_ref().expect("piped");
    /// assert_eq!(stdin.write(b"abc").await?, 3);
    /// drop(child.stdin.take());
    /// assert_eq!(child.wait().await?, 0);
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn write(&self, data: &[u8]) -> io::Result<usize> {
        let mut waiter = Waiter::default();
        poll_fn(|cx| self.poll_write_bytes(cx, WaitAs::Own(&mut waiter), data)).await
    }

    /// Writes all of `data`, waiting while the pipe is full.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    ///
    /// ```
    /// # use corio::process::{Command, Stdio};
    /// # corio::run(async {
    /// let mut child = Command::new("wc").arg("-c").stdin(Stdio::Pipe).stdout(Stdio::Pipe).spawn()?;
    /// child.stdin.as_ref().expect("piped").write_all(&[b'x'; 200_000]).await?;
    /// child.stdin.take(); // EOF for wc
    /// let out = child.stdout.take().expect("piped").read_to_end().await?;
    /// assert_eq!(String::from_utf8_lossy(&out).trim(), "200000");
    /// # child.wait().await?;
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub async fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            match self.write(data).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => data = &data[n..],
            }
        }
        Ok(())
    }

    /// Closes the pipe: the child reads end-of-file. Later writes fail.
    ///
    /// ```
    /// # use corio::process::{Command, Stdio};
    /// # corio::run(async {
    /// let mut child = Command::new("cat").stdin(Stdio::Pipe).spawn()?;
    /// child.stdin.as_mut().expect("piped").close();
    /// assert_eq!(child.wait().await?, 0); // cat saw EOF and exited
    /// # Ok::<_, std::io::Error>(()) }).unwrap();
    /// ```
    pub fn close(&mut self) {
        self.fd = None;
    }
}

fn closed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "the child's stdin pipe was closed",
    )
}

impl futures_io::AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_bytes(cx, WaitAs::Shared, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A pipe has no user-space buffer: every accepted byte is the kernel's.
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.close();
        Poll::Ready(Ok(()))
    }
}

/// Defines a read end: [`ChildStdout`] and [`ChildStderr`] are the same type
/// under two names, so a signature says which stream it takes.
macro_rules! read_end {
    ($(#[$doc:meta])* $name:ident, $which:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            fd: AsyncFd,
        }

        impl $name {
            pub(crate) fn new(fd: OwnedFd) -> io::Result<$name> {
                Ok($name { fd: register(fd)? })
            }

            #[doc = concat!("Reads some bytes of the child's ", $which, " into `buf`; 0 at end-of-file.")]
            ///
            /// # Errors
            ///
            /// The OS error of the read.
            pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
                let mut waiter = Waiter::default();
                poll_fn(|cx| poll_read_fd(&self.fd, cx, WaitAs::Own(&mut waiter), buf)).await
            }

            #[doc = concat!("Reads the child's ", $which, " until end-of-file (the child closed it, usually by exiting).")]
            ///
            /// # Errors
            ///
            /// The OS error of a read; the bytes read so far are lost then.
            pub async fn read_to_end(&self) -> io::Result<Vec<u8>> {
                let mut out = Vec::new();
                let mut waiter = Waiter::default();
                poll_fn(|cx| poll_read_to_end(&self.fd, cx, &mut waiter, &mut out)).await?;
                Ok(out)
            }
        }

        impl futures_io::AsyncRead for $name {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                poll_read_fd(&self.fd, cx, WaitAs::Shared, buf)
            }
        }
    };
}

read_end!(
    /// The child's standard output, read by the parent.
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    ///
    /// corio::run(async {
    ///     let mut child = Command::new("echo").arg("hi").stdout(Stdio::Pipe).spawn()?;
    ///     let stdout = child.stdout.take().expect("piped");
    ///     let mut buf = [0u8; 16];
    ///     let n = stdout.read(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hi\n");
    ///     assert_eq!(stdout.read(&mut buf).await?, 0); // EOF
    ///     child.wait().await?;
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    ChildStdout,
    "standard output"
);

read_end!(
    /// The child's standard error, read by the parent.
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    ///
    /// corio::run(async {
    ///     let mut child = Command::new("sh")
    ///         .args(["-c", "echo oops >&2"])
    ///         .stderr(Stdio::Pipe)
    ///         .spawn()?;
    ///     let err = child.stderr.take().expect("piped").read_to_end().await?;
    ///     assert_eq!(err, b"oops\n");
    ///     child.wait().await?;
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    ChildStderr,
    "standard error"
);
