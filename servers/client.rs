//! A hyper HTTP/1.1 client on corio, for the demo and the tests.

use std::io;
use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::rt::Executor;

use crate::hyper_corio::{CorioExecutor, CorioIo};

/// Opens a connection to `addr` and returns hyper's request sender for it.
///
/// hyper splits a client connection in two: the `SendRequest` the program
/// keeps, and a `Connection` future that does the reading and writing and
/// must be polled all the while. That future goes to [`CorioExecutor`],
/// i.e. onto a corio task of its own; it ends when the `SendRequest` is
/// dropped or the server closes.
///
/// # Errors
///
/// The connect's error, or hyper's handshake error as an `io::Error`.
///
/// ```
/// corio::run(async {
///     let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
///     // nobody listens there any more
///     assert!(corio_servers::client::connect(free).await.is_err());
/// });
/// ```
pub async fn connect(addr: SocketAddr) -> io::Result<SendRequest<Full<Bytes>>> {
    let stream = corio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(CorioIo::new(stream))
        .await
        .map_err(io::Error::other)?;
    CorioExecutor.execute(connection);
    Ok(sender)
}
