//! Name resolution off the loop thread: asyncio's `loop.getaddrinfo`.
//!
//! The OS resolver (`getaddrinfo`) blocks — for as long as a DNS server takes
//! to answer, seconds when one is down. Called on the loop thread it would
//! freeze every task of the loop, so a host name is resolved on the loop's
//! default thread pool ([`crate::to_thread`]) while the asking task sleeps
//! like any other. A literal address (`"127.0.0.1"`, `"::1"`) needs no
//! resolver and never leaves the loop thread.
//!
//! [`ToSocketAddrs`] is what `TcpStream::connect` accepts: the same shapes
//! as `std::net::ToSocketAddrs` (`"host:port"`, `(host, port)`, a
//! `SocketAddr`, a slice of them), but a name in it is resolved this way.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// The addresses of `host` for `port`: a literal IP address at once, a name
/// through the OS resolver on the loop's default thread pool.
///
/// `host` may be bracketed (`"[::1]"`), as in a URL.
///
/// # Errors
///
/// The resolver's error (an unknown name), or `InvalidInput` when the name
/// has no address.
///
/// # Panics
///
/// For a name (not a literal), when no corio loop runs on this thread.
///
/// ```
/// corio::run(async {
///     let literal = corio::net::lookup_host("127.0.0.1", 80).await.unwrap();
///     assert_eq!(literal, ["127.0.0.1:80".parse().unwrap()]);
///     let local = corio::net::lookup_host("localhost", 80).await.unwrap();
///     assert!(local.iter().all(|a| a.ip().is_loopback() && a.port() == 80));
/// });
/// ```
pub async fn lookup_host(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let name = unbracketed.to_owned();
    let resolved = crate::to_thread(move || {
        std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), port))
            .map(Iterator::collect::<Vec<_>>)
    })
    .await
    .map_err(|e| io::Error::other(format!("resolving {host:?} on the thread pool: {e}")))??;
    if resolved.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{host:?} resolved to no address"),
        ));
    }
    Ok(resolved)
}

mod sealed {
    use std::net::SocketAddr;

    pub trait Sealed {}

    /// What an address argument needs before connecting.
    #[derive(Debug)]
    pub enum Query {
        /// Already addresses.
        Ready(Vec<SocketAddr>),
        /// A host to resolve, and the port.
        Lookup(String, u16),
        /// Not an address at all.
        Invalid(String),
    }
}

use sealed::Query;

/// An address to connect to, resolved without blocking the loop: what
/// [`TcpStream::connect`](super::TcpStream::connect) accepts.
///
/// Implemented for the shapes `std::net::ToSocketAddrs` takes: socket
/// addresses, `(ip, port)`, `(host, port)`, `"host:port"` strings and slices
/// of socket addresses. Sealed: corio resolves the names.
///
/// ```
/// corio::run(async {
///     let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
///     let port = l.local_addr().unwrap().port();
///     let s = corio::net::TcpStream::connect(("localhost", port)).await;
///     // "localhost" may name ::1 first; every address is tried in order.
///     assert!(s.is_ok());
/// });
/// ```
pub trait ToSocketAddrs: sealed::Sealed {
    #[doc(hidden)]
    fn query(&self) -> Query;
}

/// Every address `addr` stands for, in order: a name resolved by
/// [`lookup_host`].
pub(crate) async fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    match addr.query() {
        Query::Ready(addrs) => Ok(addrs),
        Query::Lookup(host, port) => lookup_host(&host, port).await,
        Query::Invalid(what) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what:?} is not host:port"),
        )),
    }
}

macro_rules! ready_addrs {
    ($($ty:ty => |$a:ident| $to:expr),* $(,)?) => {$(
        impl sealed::Sealed for $ty {}
        impl ToSocketAddrs for $ty {
            fn query(&self) -> Query {
                let $a = self;
                Query::Ready($to)
            }
        }
    )*};
}

ready_addrs!(
    SocketAddr => |a| vec![*a],
    SocketAddrV4 => |a| vec![SocketAddr::V4(*a)],
    SocketAddrV6 => |a| vec![SocketAddr::V6(*a)],
    (IpAddr, u16) => |a| vec![SocketAddr::new(a.0, a.1)],
    (Ipv4Addr, u16) => |a| vec![SocketAddr::new(a.0.into(), a.1)],
    (Ipv6Addr, u16) => |a| vec![SocketAddr::new(a.0.into(), a.1)],
    [SocketAddr] => |a| a.to_vec(),
    Vec<SocketAddr> => |a| a.clone(),
);

impl sealed::Sealed for (&str, u16) {}
impl ToSocketAddrs for (&str, u16) {
    fn query(&self) -> Query {
        Query::Lookup(self.0.to_owned(), self.1)
    }
}

impl sealed::Sealed for (String, u16) {}
impl ToSocketAddrs for (String, u16) {
    fn query(&self) -> Query {
        Query::Lookup(self.0.clone(), self.1)
    }
}

impl sealed::Sealed for str {}
impl ToSocketAddrs for str {
    fn query(&self) -> Query {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Query::Ready(vec![addr]);
        }
        match self.rsplit_once(':').map(|(h, p)| (h, p.parse::<u16>())) {
            Some((host, Ok(port))) => Query::Lookup(host.to_owned(), port),
            _ => Query::Invalid(self.to_owned()),
        }
    }
}

impl sealed::Sealed for String {}
impl ToSocketAddrs for String {
    fn query(&self) -> Query {
        self.as_str().query()
    }
}

impl<T: ToSocketAddrs + ?Sized> sealed::Sealed for &T {}
impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {
    fn query(&self) -> Query {
        (**self).query()
    }
}
