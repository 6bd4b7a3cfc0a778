//! `SO_REUSEPORT` listeners: one listening socket per loop on one port.
//!
//! With `SO_REUSEPORT` set on every socket before `bind`, several sockets
//! may listen on the same address, and the kernel (Linux) spreads incoming
//! connections over them by a hash of the connection's addresses. Each loop
//! of a [`multi_loop::Runtime`](crate::multi_loop::Runtime) can then accept
//! its own connections, with no hand-off between threads.
//!
//! std cannot set socket options before `bind`, so the socket is made with
//! `socket(2)`, `setsockopt(2)`, `bind(2)` and `listen(2)` from `libc`.

use std::io;
use std::mem;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::tcp::each_addr;
use super::TcpListener;

/// The backlog of pending connections (std's `TcpListener::bind` uses 128;
/// a server spread over loops gets more connections at once).
const BACKLOG: libc::c_int = 1024;

/// A blocking std listener on `addr` with `SO_REUSEADDR` and `SO_REUSEPORT`
/// set: bind one per loop to the same address. Port 0 picks a free port for
/// the first; bind the others to the first one's `local_addr()`.
///
/// # Errors
///
/// When the socket cannot be created, configured, bound (for example, the
/// port is held by a socket without `SO_REUSEPORT`) or set listening.
///
/// ```
/// let first = corio::net::bind_reuseport_std("127.0.0.1:0").unwrap();
/// let addr = first.local_addr().unwrap();
/// let second = corio::net::bind_reuseport_std(addr).unwrap();
/// assert_eq!(second.local_addr().unwrap(), addr);
/// ```
pub fn bind_reuseport_std(addr: impl ToSocketAddrs) -> io::Result<std::net::TcpListener> {
    each_addr(addr, listen_reuseport)
}

impl TcpListener {
    /// A listener on the running loop bound with `SO_REUSEPORT` (see
    /// [`bind_reuseport_std`]): each loop of a multi-loop runtime binds its
    /// own on one address and accepts its share of the connections.
    ///
    /// # Errors
    ///
    /// As [`bind_reuseport_std`], or when it cannot be registered with the loop.
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::net::TcpListener::bind_reuseport("127.0.0.1:0").unwrap();
    ///     let addr = a.local_addr().unwrap();
    ///     let b = corio::net::TcpListener::bind_reuseport(addr).unwrap();
    ///     assert_eq!(b.local_addr().unwrap(), addr);
    /// });
    /// ```
    pub fn bind_reuseport(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::from_std(bind_reuseport_std(addr)?)
    }
}

fn listen_reuseport(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let family = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    let socket = new_socket(family)?;
    set_flag(&socket, libc::SO_REUSEADDR)?;
    set_flag(&socket, libc::SO_REUSEPORT)?;
    bind(&socket, addr)?;
    // SAFETY: `socket` is an open socket we own; listen(2) reads no memory.
    check(unsafe { libc::listen(socket.as_raw_fd(), BACKLOG) })?;
    Ok(std::net::TcpListener::from(socket))
}

/// A new close-on-exec stream socket.
fn new_socket(family: libc::c_int) -> io::Result<OwnedFd> {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    let kind = libc::SOCK_STREAM | libc::SOCK_CLOEXEC;
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    let kind = libc::SOCK_STREAM;
    // SAFETY: socket(2) takes plain integers and reads no memory.
    let fd = check(unsafe { libc::socket(family, kind, 0) })?;
    // SAFETY: `fd` was just returned by socket(2) and nothing else owns it.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    // SAFETY: fcntl(2) on our own open descriptor, with an integer argument.
    check(unsafe { libc::fcntl(socket.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) })?;
    Ok(socket)
}

fn set_flag(socket: &OwnedFd, option: libc::c_int) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: `on` is a live c_int and the length passed is its size.
    check(unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            option,
            (&on as *const libc::c_int).cast(),
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}

fn bind(socket: &OwnedFd, addr: SocketAddr) -> io::Result<()> {
    match addr {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_in is plain old data; all-zero is a valid value.
            let mut raw: libc::sockaddr_in = unsafe { mem::zeroed() };
            raw.sin_family = libc::AF_INET as libc::sa_family_t;
            raw.sin_port = a.port().to_be();
            raw.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
            // SAFETY: `raw` is a live sockaddr_in and the length is its size.
            check(unsafe {
                libc::bind(
                    socket.as_raw_fd(),
                    (&raw as *const libc::sockaddr_in).cast(),
                    mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            })
        }
        SocketAddr::V6(a) => {
            // SAFETY: sockaddr_in6 is plain old data; all-zero is a valid value.
            let mut raw: libc::sockaddr_in6 = unsafe { mem::zeroed() };
            raw.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            raw.sin6_port = a.port().to_be();
            raw.sin6_flowinfo = a.flowinfo();
            raw.sin6_addr.s6_addr = a.ip().octets();
            raw.sin6_scope_id = a.scope_id();
            // SAFETY: `raw` is a live sockaddr_in6 and the length is its size.
            check(unsafe {
                libc::bind(
                    socket.as_raw_fd(),
                    (&raw as *const libc::sockaddr_in6).cast(),
                    mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                )
            })
        }
    }
    .map(drop)
}

/// A libc return value: `-1` is the error in `errno`.
fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}
