//! `StreamCore`: what a TCP stream and a Unix stream have in common — a
//! registered byte stream — written once.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::task::{Context, Poll};

use mio::event::Source;

use crate::io::registration::{PollEvented, WaitAs};
use crate::io::scheduled_io::Direction;
use crate::io::waiter::Waiter;

/// A registered mio byte stream (`mio::net::TcpStream` or `UnixStream`).
#[derive(Debug)]
pub(crate) struct StreamCore<E: Source> {
    io: PollEvented<E>,
}

/// The mio stream types: readable and writable through a shared reference,
/// and able to shut a direction down.
pub(crate) trait MioStream: Source
where
    for<'a> &'a Self: Read + Write,
{
    fn shutdown_direction(&self, how: Shutdown) -> io::Result<()>;
}

impl MioStream for mio::net::TcpStream {
    fn shutdown_direction(&self, how: Shutdown) -> io::Result<()> {
        self.shutdown(how)
    }
}

impl MioStream for mio::net::UnixStream {
    fn shutdown_direction(&self, how: Shutdown) -> io::Result<()> {
        self.shutdown(how)
    }
}

impl<E: MioStream> StreamCore<E>
where
    for<'a> &'a E: Read + Write,
{
    pub(crate) fn new(stream: E) -> io::Result<StreamCore<E>> {
        Ok(StreamCore {
            io: PollEvented::new(stream)?,
        })
    }

    pub(crate) fn mio(&self) -> &E {
        self.io.get_ref()
    }

    pub(crate) fn into_mio(self) -> E {
        self.io.into_inner()
    }

    /// Reads into `buf`. An empty `buf` reads nothing and returns `Ok(0)`
    /// at once, without waiting for the socket to become readable (as
    /// `read(2)` and tokio do).
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        wait: WaitAs<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let wanted = buf.len();
        self.io.poll_io_until_drained(
            cx,
            Direction::Read,
            wait,
            |mut s| s.read(buf),
            |&n| n > 0 && n < wanted,
        )
    }

    pub(crate) fn poll_write(
        &self,
        cx: &mut Context<'_>,
        wait: WaitAs<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let offered = buf.len();
        self.io.poll_io_until_drained(
            cx,
            Direction::Write,
            wait,
            |mut s| s.write(buf),
            |&n| n < offered,
        )
    }

    /// Waits until the peer's connection attempt resolved (a connecting
    /// socket becomes writable), then reports its error, if any.
    pub(crate) async fn connected(
        &self,
        take_error: impl Fn(&E) -> io::Result<Option<io::Error>>,
    ) -> io::Result<()> {
        self.io
            .wait_for(Direction::Write, |s| match take_error(s)? {
                Some(e) => Err(e),
                None => Ok(()),
            })
            .await
    }

    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut waiter = Waiter::default();
        poll_fn(|cx| self.poll_read(cx, WaitAs::Own(&mut waiter), buf)).await
    }

    pub(crate) async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        let mut waiter = Waiter::default();
        poll_fn(|cx| self.poll_write(cx, WaitAs::Own(&mut waiter), buf)).await
    }

    /// Fills `buf`. Not cancel-safe: bytes read before the future is
    /// dropped are consumed from the stream (see `TcpStream::read_exact`).
    pub(crate) async fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()> {
        let mut waiter = Waiter::default();
        while !buf.is_empty() {
            match poll_fn(|cx| self.poll_read(cx, WaitAs::Own(&mut waiter), buf)).await? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the peer closed the stream before the buffer was filled",
                    ))
                }
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    pub(crate) async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        let mut waiter = Waiter::default();
        while !buf.is_empty() {
            match poll_fn(|cx| self.poll_write(cx, WaitAs::Own(&mut waiter), buf)).await? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the stream accepted no bytes",
                    ))
                }
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self.mio().shutdown_direction(how) {
            // Shutting down a socket the peer already reset is not an error
            // worth reporting to whoever is closing it.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        }
    }
}
