//! UDP: `UdpSocket` on the loop's reactor.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::task::{Context, Poll};

use super::tcp::each_addr;
use crate::io::registration::{PollEvented, WaitAs};
use crate::io::scheduled_io::Direction;

/// A UDP socket: asyncio's datagram endpoint.
///
/// ```
/// corio::run(async {
///     let a = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
///     let b = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
///     a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
/// });
/// ```
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to the first address that works.
    ///
    /// # Errors
    ///
    /// The OS error of the last address tried.
    ///
    /// ```
    /// corio::run(async { corio::net::UdpSocket::bind("127.0.0.1:0").unwrap(); });
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        each_addr(addr, |a| {
            Ok(UdpSocket {
                io: PollEvented::new(mio::net::UdpSocket::bind(a)?)?,
            })
        })
    }

    /// Sets the default peer for `send` and `recv`, and filters what `recv` gets.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let b = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     a.connect(b.local_addr().unwrap()).unwrap();
    ///     b.connect(a.local_addr().unwrap()).unwrap();
    ///     a.send(b"hi").await.unwrap();
    ///     let mut buf = [0; 2];
    ///     assert_eq!(b.recv(&mut buf).await.unwrap(), 2);
    /// });
    /// ```
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        each_addr(addr, |a| self.io.get_ref().connect(a))
    }

    /// Sends one datagram to `target`.
    ///
    /// # Errors
    ///
    /// The OS error (message too long, network unreachable, …).
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     assert_eq!(a.send_to(b"x", a.local_addr().unwrap()).await.unwrap(), 1);
    /// });
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .wait_for(Direction::Write, |s| s.send_to(buf, target))
            .await
    }

    /// Polls to send one datagram to `target`. Callers of the `poll_*`
    /// methods share one wait per direction: when several tasks poll one
    /// socket this way at once, only the latest is woken (tokio's rule);
    /// the `async` methods each wait on their own.
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let to = a.local_addr().unwrap();
    ///     std::future::poll_fn(|cx| a.poll_send_to(cx, b"x", to)).await.unwrap();
    /// });
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, WaitAs::Shared, |s| {
            s.send_to(buf, target)
        })
    }

    /// Receives one datagram and its sender.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     a.send_to(b"me", a.local_addr().unwrap()).await.unwrap();
    ///     let mut buf = [0; 2];
    ///     assert_eq!(a.recv_from(&mut buf).await.unwrap().0, 2);
    /// });
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .wait_for(Direction::Read, |s| s.recv_from(buf))
            .await
    }

    /// Polls to receive one datagram and its sender (one shared wait per
    /// direction, as [`poll_send_to`](Self::poll_send_to) says).
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     a.send_to(b"me", a.local_addr().unwrap()).await.unwrap();
    ///     let mut buf = [0; 2];
    ///     std::future::poll_fn(|cx| a.poll_recv_from(cx, &mut buf)).await.unwrap();
    /// });
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io
            .poll_io(cx, Direction::Read, WaitAs::Shared, |s| s.recv_from(buf))
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` without [`connect`](UdpSocket::connect); the OS error.
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     assert!(a.send(b"x").await.is_err()); // not connected
    /// });
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.wait_for(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// The OS error (`ConnectionRefused` after sending to a closed port).
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     a.connect(a.local_addr().unwrap()).unwrap();
    ///     a.send(b"loop").await.unwrap();
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
    ///     let a = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     assert_ne!(a.local_addr().unwrap().port(), 0);
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     assert!(a.peer_addr().is_err());
    /// });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Adopts a std socket (made non-blocking here).
    ///
    /// ```
    /// corio::run(async {
    ///     let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let s = corio::net::UdpSocket::from_std(s).unwrap();
    ///     let _back: std::net::UdpSocket = s.into_std().unwrap();
    /// });
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: PollEvented::new(mio::net::UdpSocket::from_std(socket))?,
        })
    }

    /// Gives the socket back as a std socket, deregistered and blocking.
    ///
    /// # Errors
    ///
    /// When the socket cannot be set back to blocking mode.
    ///
    /// ```
    /// corio::run(async {
    ///     let s = corio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     assert!(s.into_std().unwrap().local_addr().is_ok());
    /// });
    /// ```
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        let socket = std::net::UdpSocket::from(std::os::fd::OwnedFd::from(self.io.into_inner()));
        socket.set_nonblocking(false)?;
        Ok(socket)
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
