//! `open_connection` / `open_unix_connection`: a connected socket as a
//! reader and a writer, asyncio's `(reader, writer) = await
//! asyncio.open_connection(host, port)`.
//!
//! The socket is split into owned halves: the reader owns the read half,
//! the writer (and its flusher task) the write half, so the two can live in
//! different tasks. The socket's descriptor closes when both are gone.

use std::io;
use std::path::Path;

use super::{StreamReader, StreamWriter};
use crate::net::{TcpStream, UnixStream};

/// Connects to `host:port` and returns the connection's reader and writer.
/// A host name is resolved on the loop's thread pool, and every address is
/// tried in order ([`crate::net::TcpStream::connect`]). `TCP_NODELAY` is set,
/// as asyncio does: a small write goes out at once.
///
/// # Errors
///
/// The resolver's error, or the connect error of the last address tried.
///
/// ```
/// corio::run(async {
///     let server = corio::start_server(
///         |mut reader: corio::streams::StreamReader, writer: corio::streams::StreamWriter| async move {
///             let line = reader.readline().await.unwrap();
///             writer.write(&line).unwrap();
///         },
///         "127.0.0.1",
///         0,
///     )
///     .await
///     .unwrap();
///     let port = server.sockets()[0].port();
///     let (mut reader, writer) = corio::open_connection("127.0.0.1", port).await.unwrap();
///     writer.write(b"echo me\n").unwrap();
///     assert_eq!(reader.readline().await.unwrap(), b"echo me\n");
/// });
/// ```
pub async fn open_connection(host: &str, port: u16) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = TcpStream::connect((host, port)).await?;
    tcp_streams(stream)
}

/// Connects to the Unix socket at `path` and returns its reader and writer.
///
/// # Errors
///
/// The connect error (`NotFound` when nothing is at `path`, …).
///
/// ```
/// corio::run(async {
///     let err = corio::open_unix_connection("/nonexistent/corio.sock").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// });
/// ```
pub async fn open_unix_connection(
    path: impl AsRef<Path>,
) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = UnixStream::connect(path).await?;
    Ok(unix_streams(stream))
}

/// A connected TCP stream as a reader and a writer (which knows its peer).
pub(crate) fn tcp_streams(stream: TcpStream) -> io::Result<(StreamReader, StreamWriter)> {
    stream.set_nodelay(true)?;
    let peer = stream.peer_addr().ok();
    let (read_half, write_half) = stream.into_split();
    Ok((
        StreamReader::new(read_half),
        StreamWriter::with_peer(write_half, peer),
    ))
}

/// A connected Unix stream as a reader and a writer.
pub(crate) fn unix_streams(stream: UnixStream) -> (StreamReader, StreamWriter) {
    let (read_half, write_half) = stream.into_split();
    (StreamReader::new(read_half), StreamWriter::new(write_half))
}
