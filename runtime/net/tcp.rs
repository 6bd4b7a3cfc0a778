//! TCP: `TcpListener` and `TcpStream` on the loop's reactor.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use super::stream_core::StreamCore;
use crate::io::registration::{PollEvented, WaitAs};
use crate::io::scheduled_io::Direction;
use crate::io::waiter::Waiter;

/// A TCP socket listening for connections: asyncio's `start_server` socket.
///
/// ```
/// corio::run(async {
///     let listener = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = corio::spawn(async move { corio::net::TcpStream::connect(addr).await.unwrap() });
///     let (server_side, peer) = listener.accept().await.unwrap();
///     let client = client.await.unwrap();
///     assert_eq!(peer, client.local_addr().unwrap());
///     assert_eq!(server_side.peer_addr().unwrap(), client.local_addr().unwrap());
/// });
/// ```
pub struct TcpListener {
    io: PollEvented<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to the first address that works (port 0 picks a free port).
    /// Host names are resolved with the OS resolver, which blocks; pass an
    /// IP address to avoid that.
    ///
    /// # Errors
    ///
    /// The OS error of the last address tried (address in use, permission
    /// denied, …), or `InvalidInput` when `addr` resolves to nothing.
    ///
    /// ```
    /// corio::run(async {
    ///     let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     assert!(corio::net::TcpListener::bind(l.local_addr().unwrap()).is_err()); // in use
    /// });
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        each_addr(addr, |a| {
            let listener = mio::net::TcpListener::bind(a)?;
            Ok(TcpListener {
                io: PollEvented::new(listener)?,
            })
        })
    }

    /// Waits for a connection. Errors are returned, never panicked: running
    /// out of descriptors (`EMFILE`, `ENFILE`) fails this call only, and the
    /// listener goes on accepting once descriptors are free again.
    ///
    /// ```
    /// corio::run(async {
    ///     let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = l.local_addr().unwrap();
    ///     corio::spawn(async move { corio::net::TcpStream::connect(addr).await });
    ///     let (_stream, _peer) = l.accept().await.unwrap();
    /// });
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = self.io.wait_for(Direction::Read, |l| l.accept()).await?;
        Ok((TcpStream::from_mio(stream)?, peer))
    }

    /// Polls for a connection (for hand-written futures). It has no future
    /// of its own to hold its place, so callers share one wait: when several
    /// tasks poll one listener this way at once, only the latest is woken
    /// (tokio's rule). [`accept`](Self::accept) and `incoming` streams each
    /// wait on their own.
    ///
    /// ```
    /// corio::run(async {
    ///     let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = l.local_addr().unwrap();
    ///     corio::spawn(async move { corio::net::TcpStream::connect(addr).await });
    ///     std::future::poll_fn(|cx| l.poll_accept(cx)).await.unwrap();
    /// });
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.poll_accept_as(cx, WaitAs::Shared)
    }

    fn poll_accept_as(
        &self,
        cx: &mut Context<'_>,
        wait: WaitAs<'_>,
    ) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self.io.poll_io(cx, Direction::Read, wait, |l| l.accept()) {
            Poll::Ready(Ok((stream, peer))) => {
                Poll::Ready(TcpStream::from_mio(stream).map(|s| (s, peer)))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Incoming connections as a `futures_core::Stream` (it never ends; an
    /// accept error is an item, and the stream goes on).
    ///
    /// ```
    /// use futures::StreamExt;
    /// corio::run(async {
    ///     let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = l.local_addr().unwrap();
    ///     corio::spawn(async move { corio::net::TcpStream::connect(addr).await });
    ///     let first = l.incoming().next().await.unwrap().unwrap();
    ///     assert_eq!(first.local_addr().unwrap(), addr);
    /// });
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming {
            listener: self,
            waiter: Waiter::default(),
        }
    }

    /// The address it listens on.
    ///
    /// ```
    /// corio::run(async {
    ///     let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     assert_ne!(l.local_addr().unwrap().port(), 0);
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Adopts a std listener (made non-blocking here).
    ///
    /// ```
    /// corio::run(async {
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let l = corio::net::TcpListener::from_std(std_listener).unwrap();
    ///     let back: std::net::TcpListener = l.into_std().unwrap();
    ///     assert!(back.local_addr().is_ok());
    /// });
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: PollEvented::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// Gives the socket back as a std listener, deregistered and set to
    /// blocking mode.
    ///
    /// # Errors
    ///
    /// When the socket cannot be set back to blocking mode.
    ///
    /// ```
    /// corio::run(async {
    ///     let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let std_listener = l.into_std().unwrap();
    ///     assert!(std_listener.local_addr().is_ok());
    /// });
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        let listener =
            std::net::TcpListener::from(std::os::fd::OwnedFd::from(self.io.into_inner()));
        listener.set_nonblocking(false)?;
        Ok(listener)
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// The stream of [`TcpListener::incoming`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
    /// The stream's own wait, so that several streams on one listener
    /// (in several tasks) are each woken.
    waiter: Waiter,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.listener
            .poll_accept_as(cx, WaitAs::Own(&mut this.waiter))
            .map(|r| Some(r.map(|(stream, _)| stream)))
    }
}

/// A TCP connection: asyncio's stream pair, in one value.
///
/// It implements `futures_io::AsyncRead` and `AsyncWrite` (also through a
/// shared reference), so `futures::io::copy` and `futures::AsyncReadExt` work
/// on it; the inherent `read`, `write`, `read_exact` and `write_all` need no
/// import.
///
/// ```
/// corio::run(async {
///     let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = l.local_addr().unwrap();
///     let echo = corio::spawn(async move {
///         let (s, _) = l.accept().await.unwrap();
///         let mut buf = [0; 5];
///         s.read_exact(&mut buf).await.unwrap();
///         s.write_all(&buf).await.unwrap();
///     });
///     let c = corio::net::TcpStream::connect(addr).await.unwrap();
///     c.write_all(b"hello").await.unwrap();
///     let mut buf = [0; 5];
///     c.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hello");
///     echo.await.unwrap();
/// });
/// ```
pub struct TcpStream {
    core: StreamCore<mio::net::TcpStream>,
}

impl TcpStream {
    fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            core: StreamCore::new(stream)?,
        })
    }

    /// Connects to the first address that accepts, trying each in order.
    /// A host name is resolved on the loop's thread pool
    /// ([`lookup_host`](super::lookup_host)), never on the loop thread.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` and the like, as `io::Error`s (of the last address
    /// tried); the resolver's error; `InvalidInput` when `addr` resolves to
    /// nothing.
    ///
    /// ```
    /// corio::run(async {
    ///     let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    ///     // nobody listens there any more
    ///     let err = corio::net::TcpStream::connect(free).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// });
    /// ```
    pub async fn connect(addr: impl super::lookup::ToSocketAddrs) -> io::Result<TcpStream> {
        let addrs = super::lookup::resolve(addr).await?;
        let mut last = None;
        for a in addrs {
            match TcpStream::connect_one(a).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(no_address))
    }

    async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        stream.core.connected(|s| s.take_error()).await?;
        // Writable with no error: connected (a `NotConnected` here would be a
        // spurious wake-up, reported as the error it is).
        stream.core.mio().peer_addr()?;
        Ok(stream)
    }

    /// Reads into `buf`; `Ok(0)` means the peer closed its side (EOF). An
    /// empty `buf` returns `Ok(0)` at once, without waiting for data.
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let a = l.local_addr().unwrap();
    /// # corio::spawn(async move { let (s, _) = l.accept().await.unwrap(); s.write_all(b"hi").await.unwrap(); });
    /// let s = corio::net::TcpStream::connect(a).await.unwrap();
    /// let mut buf = [0; 8];
    /// let n = s.read(&mut buf).await.unwrap();
    /// assert_eq!(&buf[..n], b"hi");
    /// # });
    /// ```
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.core.read(buf).await
    }

    /// Writes some of `buf`; returns how much.
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let a = l.local_addr().unwrap();
    /// # let _keep = corio::spawn(async move { l.accept().await });
    /// let s = corio::net::TcpStream::connect(a).await.unwrap();
    /// assert_eq!(s.write(b"ping").await.unwrap(), 4);
    /// # });
    /// ```
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.core.write(buf).await
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the peer closes first.
    ///
    /// # Cancellation
    ///
    /// Not cancel-safe. The bytes arrive in several reads; if the future is
    /// dropped before it completes (a timeout, a cancelled task), the bytes
    /// read so far are gone from the stream: they sit at the front of `buf`,
    /// but how many is not reported, and the next read returns what follows
    /// them. (A raw socket has no reader buffer; asyncio's `readexactly`
    /// keeps them in its `StreamReader` buffer, and so does corio's
    /// [`StreamReader::readexactly`](crate::streams::StreamReader::readexactly),
    /// which is cancel-safe.) To wait for a message with a timeout and keep
    /// the stream usable, wrap the stream in a `StreamReader`, or treat the
    /// timeout as the end of the connection.
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let a = l.local_addr().unwrap();
    /// # corio::spawn(async move { let (s, _) = l.accept().await.unwrap(); s.write_all(b"ab").await.unwrap(); });
    /// let s = corio::net::TcpStream::connect(a).await.unwrap();
    /// let mut buf = [0; 4];
    /// let err = s.read_exact(&mut buf).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    /// # });
    /// ```
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        self.core.read_exact(buf).await
    }

    /// Writes all of `buf`.
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let a = l.local_addr().unwrap();
    /// # let _keep = corio::spawn(async move { l.accept().await });
    /// let s = corio::net::TcpStream::connect(a).await.unwrap();
    /// s.write_all(&[7; 1_000]).await.unwrap();
    /// # });
    /// ```
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.core.write_all(buf).await
    }

    /// Shuts down the read side, the write side (a half-close: the peer reads
    /// EOF), or both.
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let a = l.local_addr().unwrap();
    /// # let server = corio::spawn(async move { let (s, _) = l.accept().await.unwrap(); let mut b = [0; 1]; s.read(&mut b).await.unwrap() });
    /// let s = corio::net::TcpStream::connect(a).await.unwrap();
    /// s.shutdown(std::net::Shutdown::Write).unwrap();
    /// assert_eq!(server.await.unwrap(), 0); // the server read EOF
    /// # });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.core.shutdown(how)
    }

    /// The remote address.
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let a = l.local_addr().unwrap();
    /// # let _keep = corio::spawn(async move { l.accept().await });
    /// let s = corio::net::TcpStream::connect(a).await.unwrap();
    /// assert_eq!(s.peer_addr().unwrap(), a);
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.core.mio().peer_addr()
    }

    /// The local address.
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let a = l.local_addr().unwrap();
    /// # let _keep = corio::spawn(async move { l.accept().await });
    /// let s = corio::net::TcpStream::connect(a).await.unwrap();
    /// assert!(s.local_addr().unwrap().ip().is_loopback());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.core.mio().local_addr()
    }

    /// Sets `TCP_NODELAY` (no Nagle delay for small writes).
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let a = l.local_addr().unwrap();
    /// # let _keep = corio::spawn(async move { l.accept().await });
    /// let s = corio::net::TcpStream::connect(a).await.unwrap();
    /// s.set_nodelay(true).unwrap();
    /// assert!(s.nodelay().unwrap());
    /// # });
    /// ```
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.core.mio().set_nodelay(on)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let a = l.local_addr().unwrap();
    /// # let _keep = corio::spawn(async move { l.accept().await });
    /// let s = corio::net::TcpStream::connect(a).await.unwrap();
    /// let _ = s.nodelay().unwrap();
    /// # });
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.core.mio().nodelay()
    }

    /// Borrowed halves: read on one, write on the other, at the same time.
    /// (With `futures::AsyncReadExt` in scope, `stream.split()` on a
    /// `TcpStream` value picks futures' consuming `split`; write
    /// `TcpStream::split(&stream)` to get these.)
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let a = l.local_addr().unwrap();
    /// # corio::spawn(async move { let (s, _) = l.accept().await.unwrap(); let mut b = [0; 2]; s.read_exact(&mut b).await.unwrap(); s.write_all(&b).await.unwrap(); });
    /// let s = corio::net::TcpStream::connect(a).await.unwrap();
    /// let (mut r, mut w) = s.split();
    /// w.write_all(b"ok").await.unwrap();
    /// let mut buf = [0; 2];
    /// r.read_exact(&mut buf).await.unwrap();
    /// assert_eq!(&buf, b"ok");
    /// # });
    /// ```
    pub fn split(&self) -> (ReadHalf<'_, TcpStream>, WriteHalf<'_, TcpStream>) {
        split::borrowed(self)
    }

    /// Owned halves, which can move into different tasks; `reunite` puts them
    /// back together.
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let a = l.local_addr().unwrap();
    /// # let _keep = corio::spawn(async move { l.accept().await });
    /// let s = corio::net::TcpStream::connect(a).await.unwrap();
    /// let (r, w) = s.into_split();
    /// let s = r.reunite(w).unwrap();
    /// # drop(s);
    /// # });
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<TcpStream>, OwnedWriteHalf<TcpStream>) {
        split::owned(self)
    }

    /// Adopts a connected std stream (made non-blocking here).
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let std_stream = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    /// let s = corio::net::TcpStream::from_std(std_stream).unwrap();
    /// let back: std::net::TcpStream = s.into_std().unwrap();
    /// # drop(back);
    /// # });
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// Gives the socket back as a std stream, deregistered and blocking.
    ///
    /// # Errors
    ///
    /// When the socket cannot be set back to blocking mode.
    ///
    /// ```
    /// # corio::run(async {
    /// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let a = l.local_addr().unwrap();
    /// # let _keep = corio::spawn(async move { l.accept().await });
    /// let s = corio::net::TcpStream::connect(a).await.unwrap();
    /// let std_stream = s.into_std().unwrap();
    /// assert_eq!(std_stream.peer_addr().unwrap(), a);
    /// # });
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        let stream = std::net::TcpStream::from(std::os::fd::OwnedFd::from(self.core.into_mio()));
        stream.set_nonblocking(false)?;
        Ok(stream)
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

super::stream_impls!(TcpStream);

/// Tries `f` on each address `addr` resolves to; returns the first success
/// or the last error.
pub(crate) fn each_addr<T>(
    addr: impl ToSocketAddrs,
    mut f: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for a in addr.to_socket_addrs()? {
        match f(a) {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(no_address))
}

fn no_address() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "the address resolved to no socket address",
    )
}
