//! Unix-domain sockets: `UnixListener`, `UnixStream`, `UnixDatagram`.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use super::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use super::stream_core::StreamCore;
use crate::io::registration::{require_running_loop, PollEvented, WaitAs};
use crate::io::scheduled_io::Direction;
use crate::io::waiter::Waiter;

/// A Unix-domain stream listener: asyncio's `start_unix_server` socket.
///
/// ```
/// corio::run(async {
///     let dir = std::env::temp_dir().join(format!("corio-doc-{}", std::process::id()));
///     std::fs::create_dir_all(&dir).unwrap();
///     let path = dir.join("listener.sock");
///     let _ = std::fs::remove_file(&path);
///     let listener = corio::net::UnixListener::bind(&path).unwrap();
///     let p = path.clone();
///     corio::spawn(async move { corio::net::UnixStream::connect(p).await.unwrap() });
///     let (_stream, _addr) = listener.accept().await.unwrap();
///     std::fs::remove_file(&path).unwrap();
/// });
/// ```
pub struct UnixListener {
    io: PollEvented<mio::net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` (which must not exist).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when the path exists; the OS error.
    ///
    /// ```
    /// corio::run(async {
    ///     let path = std::env::temp_dir().join(format!("corio-bind-{}.sock", std::process::id()));
    ///     let _ = std::fs::remove_file(&path);
    ///     let _l = corio::net::UnixListener::bind(&path).unwrap();
    ///     assert!(corio::net::UnixListener::bind(&path).is_err());
    ///     std::fs::remove_file(&path).unwrap();
    /// });
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: PollEvented::new(mio::net::UnixListener::bind(path)?)?,
        })
    }

    /// Waits for a connection. Errors (including `EMFILE`) are returned; the
    /// listener goes on.
    ///
    /// ```
    /// corio::run(async {
    ///     let path = std::env::temp_dir().join(format!("corio-accept-{}.sock", std::process::id()));
    ///     let _ = std::fs::remove_file(&path);
    ///     let l = corio::net::UnixListener::bind(&path).unwrap();
    ///     let p = path.clone();
    ///     corio::spawn(async move { corio::net::UnixStream::connect(p).await });
    ///     l.accept().await.unwrap();
    ///     std::fs::remove_file(&path).unwrap();
    /// });
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) = self.io.wait_for(Direction::Read, |l| l.accept()).await?;
        Ok((UnixStream::from_mio(stream)?, addr))
    }

    /// Polls for a connection.
    ///
    /// ```
    /// corio::run(async {
    ///     let path = std::env::temp_dir().join(format!("corio-poll-accept-{}.sock", std::process::id()));
    ///     let _ = std::fs::remove_file(&path);
    ///     let l = corio::net::UnixListener::bind(&path).unwrap();
    ///     let p = path.clone();
    ///     corio::spawn(async move { corio::net::UnixStream::connect(p).await });
    ///     std::future::poll_fn(|cx| l.poll_accept(cx)).await.unwrap();
    ///     std::fs::remove_file(&path).unwrap();
    /// });
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.poll_accept_as(cx, WaitAs::Shared)
    }

    fn poll_accept_as(
        &self,
        cx: &mut Context<'_>,
        wait: WaitAs<'_>,
    ) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        match self.io.poll_io(cx, Direction::Read, wait, |l| l.accept()) {
            Poll::Ready(Ok((stream, addr))) => {
                Poll::Ready(UnixStream::from_mio(stream).map(|s| (s, addr)))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Incoming connections as a `futures_core::Stream`.
    ///
    /// ```
    /// use futures::StreamExt;
    /// corio::run(async {
    ///     let path = std::env::temp_dir().join(format!("corio-incoming-{}.sock", std::process::id()));
    ///     let _ = std::fs::remove_file(&path);
    ///     let l = corio::net::UnixListener::bind(&path).unwrap();
    ///     let p = path.clone();
    ///     corio::spawn(async move { corio::net::UnixStream::connect(p).await });
    ///     l.incoming().next().await.unwrap().unwrap();
    ///     std::fs::remove_file(&path).unwrap();
    /// });
    /// ```
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming {
            listener: self,
            waiter: Waiter::default(),
        }
    }

    /// The address it listens on.
    ///
    /// ```
    /// corio::run(async {
    ///     let path = std::env::temp_dir().join(format!("corio-addr-{}.sock", std::process::id()));
    ///     let _ = std::fs::remove_file(&path);
    ///     let l = corio::net::UnixListener::bind(&path).unwrap();
    ///     assert_eq!(l.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    ///     std::fs::remove_file(&path).unwrap();
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Adopts a std listener (made non-blocking here).
    ///
    /// ```
    /// corio::run(async {
    ///     let path = std::env::temp_dir().join(format!("corio-std-{}.sock", std::process::id()));
    ///     let _ = std::fs::remove_file(&path);
    ///     let l = corio::net::UnixListener::from_std(std::os::unix::net::UnixListener::bind(&path).unwrap()).unwrap();
    ///     let _back = l.into_std().unwrap();
    ///     std::fs::remove_file(&path).unwrap();
    /// });
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: PollEvented::new(mio::net::UnixListener::from_std(listener))?,
        })
    }

    /// Gives the socket back as a std listener, deregistered and blocking.
    ///
    /// # Errors
    ///
    /// When the socket cannot be set back to blocking mode.
    ///
    /// ```
    /// corio::run(async {
    ///     let path = std::env::temp_dir().join(format!("corio-into-std-{}.sock", std::process::id()));
    ///     let _ = std::fs::remove_file(&path);
    ///     let l = corio::net::UnixListener::bind(&path).unwrap();
    ///     assert!(l.into_std().is_ok());
    ///     std::fs::remove_file(&path).unwrap();
    /// });
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        let l = std::os::unix::net::UnixListener::from(std::os::fd::OwnedFd::from(
            self.io.into_inner(),
        ));
        l.set_nonblocking(false)?;
        Ok(l)
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// The stream of [`UnixListener::incoming`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct UnixIncoming<'a> {
    listener: &'a UnixListener,
    /// The stream's own wait, so that several streams on one listener
    /// (in several tasks) are each woken.
    waiter: Waiter,
}

impl Stream for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.listener
            .poll_accept_as(cx, WaitAs::Own(&mut this.waiter))
            .map(|r| Some(r.map(|(stream, _)| stream)))
    }
}

/// A Unix-domain stream connection. Like [`TcpStream`](super::TcpStream), it
/// implements `futures_io::AsyncRead` / `AsyncWrite` and can be split.
///
/// ```
/// corio::run(async {
///     let (a, b) = corio::net::UnixStream::pair().unwrap();
///     a.write_all(b"over the socketpair").await.unwrap();
///     let mut buf = [0; 19];
///     b.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"over the socketpair");
/// });
/// ```
pub struct UnixStream {
    core: StreamCore<mio::net::UnixStream>,
}

impl UnixStream {
    fn from_mio(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            core: StreamCore::new(stream)?,
        })
    }

    /// Connects to the socket at `path`.
    ///
    /// When the listener's backlog is full, this waits until the listener
    /// has accepted enough to make room, as a blocking `connect(2)` would; it
    /// never reports `WouldBlock`. (The kernel gives a non-blocking socket no
    /// event for that moment — its own wait is on the listener's queue — so
    /// corio retries: after 1 ms, then after pauses doubling up to 50 ms.) To
    /// give up after a while, wrap it in [`corio::time::timeout`](crate::time::timeout).
    ///
    /// # Errors
    ///
    /// `NotFound` / `ConnectionRefused` and the like.
    ///
    /// ```
    /// corio::run(async {
    ///     let err = corio::net::UnixStream::connect("/nonexistent/corio.sock").await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// });
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream = UnixStream::from_mio(connect_when_room(path.as_ref()).await?)?;
        stream.core.connected(|s| s.take_error()).await?;
        Ok(stream)
    }

    /// A connected pair (`socketpair`).
    ///
    /// ```
    /// corio::run(async { let (_a, _b) = corio::net::UnixStream::pair().unwrap(); });
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a)?, UnixStream::from_mio(b)?))
    }

    /// Reads into `buf`; `Ok(0)` is EOF. An empty `buf` returns `Ok(0)` at
    /// once, without waiting for data.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair().unwrap();
    ///     drop(a);
    ///     let mut buf = [0; 4];
    ///     assert_eq!(b.read(&mut buf).await.unwrap(), 0);
    /// });
    /// ```
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.core.read(buf).await
    }

    /// Writes some of `buf`; returns how much.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     assert_eq!(a.write(b"abc").await.unwrap(), 3);
    /// });
    /// ```
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.core.write(buf).await
    }

    /// Reads exactly `buf.len()` bytes (`UnexpectedEof` if the peer closes first).
    ///
    /// # Cancellation
    ///
    /// Not cancel-safe: if the future is dropped before it completes, the
    /// bytes it read are gone from the stream (at the front of `buf`, in a
    /// number not reported), as [`TcpStream::read_exact`](super::TcpStream::read_exact)
    /// explains.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair().unwrap();
    ///     a.write_all(b"xy").await.unwrap();
    ///     let mut buf = [0; 2];
    ///     b.read_exact(&mut buf).await.unwrap();
    /// });
    /// ```
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        self.core.read_exact(buf).await
    }

    /// Writes all of `buf`.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair().unwrap();
    ///     drop(b);
    ///     let err = a.write_all(b"nobody listens").await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    /// });
    /// ```
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.core.write_all(buf).await
    }

    /// Shuts down reading, writing (a half-close) or both.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair().unwrap();
    ///     a.shutdown(std::net::Shutdown::Write).unwrap();
    ///     let mut buf = [0; 1];
    ///     assert_eq!(b.read(&mut buf).await.unwrap(), 0);
    /// });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.core.shutdown(how)
    }

    /// The remote address.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     assert!(a.peer_addr().unwrap().is_unnamed());
    /// });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.core.mio().peer_addr()
    }

    /// The local address.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     assert!(a.local_addr().unwrap().is_unnamed());
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.core.mio().local_addr()
    }

    /// Borrowed halves.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair().unwrap();
    ///     let (mut r, mut w) = a.split();
    ///     w.write_all(b"1").await.unwrap();
    ///     b.write_all(b"2").await.unwrap();
    ///     let mut buf = [0; 1];
    ///     r.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(&buf, b"2");
    /// });
    /// ```
    pub fn split(&self) -> (ReadHalf<'_, UnixStream>, WriteHalf<'_, UnixStream>) {
        split::borrowed(self)
    }

    /// Owned halves; `reunite` puts them back together.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     let (r, w) = a.into_split();
    ///     assert!(r.reunite(w).is_ok());
    /// });
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<UnixStream>, OwnedWriteHalf<UnixStream>) {
        split::owned(self)
    }

    /// Adopts a std stream (made non-blocking here).
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    ///     let a = corio::net::UnixStream::from_std(a).unwrap();
    ///     let _back = a.into_std().unwrap();
    /// });
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_mio(mio::net::UnixStream::from_std(stream))
    }

    /// Gives the socket back as a std stream, deregistered and blocking.
    ///
    /// # Errors
    ///
    /// When the socket cannot be set back to blocking mode.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     assert!(a.into_std().is_ok());
    /// });
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        let s =
            std::os::unix::net::UnixStream::from(std::os::fd::OwnedFd::from(self.core.into_mio()));
        s.set_nonblocking(false)?;
        Ok(s)
    }
}

/// The first pause before retrying a connect to a full backlog.
const FIRST_BACKLOG_RETRY: Duration = Duration::from_millis(1);
/// The longest pause between two retries.
const LAST_BACKLOG_RETRY: Duration = Duration::from_millis(50);

/// `connect(2)` to `path`, retried while the listener's backlog is full
/// (`EAGAIN`, which mio reports as `WouldBlock`); see `UnixStream::connect`.
async fn connect_when_room(path: &Path) -> io::Result<mio::net::UnixStream> {
    let mut pause = FIRST_BACKLOG_RETRY;
    loop {
        match mio::net::UnixStream::connect(path) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                require_running_loop()?;
                crate::time::sleep(pause).await;
                pause = (pause * 2).min(LAST_BACKLOG_RETRY);
            }
            result => return result,
        }
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

super::stream_impls!(UnixStream);

/// A Unix-domain datagram socket.
///
/// ```
/// corio::run(async {
///     let (a, b) = corio::net::UnixDatagram::pair().unwrap();
///     a.send(b"dgram").await.unwrap();
///     let mut buf = [0; 8];
///     assert_eq!(b.recv(&mut buf).await.unwrap(), 5);
/// });
/// ```
pub struct UnixDatagram {
    io: PollEvented<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    fn from_mio(socket: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: PollEvented::new(socket)?,
        })
    }

    /// Binds to `path`.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when the path exists; the OS error.
    ///
    /// ```
    /// corio::run(async {
    ///     let path = std::env::temp_dir().join(format!("corio-dgram-{}.sock", std::process::id()));
    ///     let _ = std::fs::remove_file(&path);
    ///     let s = corio::net::UnixDatagram::bind(&path).unwrap();
    ///     let other = corio::net::UnixDatagram::unbound().unwrap();
    ///     other.send_to(b"to a path", &path).await.unwrap();
    ///     let mut buf = [0; 9];
    ///     assert_eq!(s.recv_from(&mut buf).await.unwrap().0, 9);
    ///     std::fs::remove_file(&path).unwrap();
    /// });
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no path.
    ///
    /// ```
    /// corio::run(async { corio::net::UnixDatagram::unbound().unwrap(); });
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::unbound()?)
    }

    /// A connected pair.
    ///
    /// ```
    /// corio::run(async { let (_a, _b) = corio::net::UnixDatagram::pair().unwrap(); });
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_mio(a)?, UnixDatagram::from_mio(b)?))
    }

    /// Sets the default peer.
    ///
    /// ```
    /// corio::run(async {
    ///     let s = corio::net::UnixDatagram::unbound().unwrap();
    ///     assert!(s.connect("/nonexistent/corio.sock").is_err());
    /// });
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends one datagram to `path`.
    ///
    /// ```
    /// corio::run(async {
    ///     let s = corio::net::UnixDatagram::unbound().unwrap();
    ///     assert!(s.send_to(b"x", "/nonexistent/corio.sock").await.is_err());
    /// });
    /// ```
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io
            .wait_for(Direction::Write, |s| s.send_to(buf, path))
            .await
    }

    /// Receives one datagram and its sender's address.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixDatagram::pair().unwrap();
    ///     a.send(b"hi").await.unwrap();
    ///     let mut buf = [0; 2];
    ///     assert_eq!(b.recv_from(&mut buf).await.unwrap().0, 2);
    /// });
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .wait_for(Direction::Read, |s| s.recv_from(buf))
            .await
    }

    /// Sends one datagram to the connected peer.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixDatagram::pair().unwrap();
    ///     assert_eq!(a.send(b"one").await.unwrap(), 3);
    /// });
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.wait_for(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives one datagram from the connected peer.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixDatagram::pair().unwrap();
    ///     b.send(b"back").await.unwrap();
    ///     let mut buf = [0; 4];
    ///     assert_eq!(a.recv(&mut buf).await.unwrap(), 4);
    /// });
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.wait_for(Direction::Read, |s| s.recv(buf)).await
    }

    /// The local address.
    ///
    /// ```
    /// corio::run(async {
    ///     let s = corio::net::UnixDatagram::unbound().unwrap();
    ///     assert!(s.local_addr().unwrap().is_unnamed());
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixDatagram::pair().unwrap();
    ///     assert!(a.peer_addr().is_ok());
    /// });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
