//! `corio::streams`: asyncio's high-level streams — `open_connection`,
//! `start_server`, `StreamReader` and `StreamWriter`.
//!
//! The socket types of [`crate::net`] are the transport; a stream pair adds
//! what a line protocol needs: a reader with a buffer (so `readline` and
//! friends are cancel-safe and a long line is bounded by `limit`), and a
//! writer whose `write` never waits and whose `drain` is flow control.
//!
//! | asyncio                                   | corio                                   |
//! |-------------------------------------------|-----------------------------------------|
//! | `await asyncio.open_connection(h, p)`     | [`open_connection`]`(h, p).await?`      |
//! | `await asyncio.start_server(cb, h, p)`    | [`start_server`]`(cb, h, p).await?`     |
//! | `await asyncio.start_server(cb, sock=l)`  | [`start_server_on`]`(cb, l)?`           |
//! | `await reader.readline()`                 | `reader.readline().await?`              |
//! | `await reader.read(-1)`                   | `reader.read_to_eof().await?`           |
//! | `writer.write(b)`; `await writer.drain()` | `writer.write(b)?; writer.drain().await?` |
//! | `writer.close(); await writer.wait_closed()` | `writer.close(); writer.wait_closed().await?` |
//! | `async for line in reader`                | `while let Some(line) = lines.next().await` ([`StreamReader::lines`]) |
//!
//! ```
//! corio::run(async {
//!     let server = corio::start_server(
//!         |mut reader: corio::streams::StreamReader, writer: corio::streams::StreamWriter| async move {
//!             while let Ok(line) = reader.readline().await {
//!                 if line.is_empty() {
//!                     break; // EOF
//!                 }
//!                 if writer.write(&line).is_err() || writer.drain().await.is_err() {
//!                     break;
//!                 }
//!             }
//!         },
//!         "127.0.0.1",
//!         0,
//!     )
//!     .await
//!     .unwrap();
//!     let port = server.sockets()[0].port();
//!     let (mut reader, writer) = corio::open_connection("127.0.0.1", port).await.unwrap();
//!     writer.write(b"hello\n").unwrap();
//!     writer.drain().await.unwrap();
//!     assert_eq!(reader.readline().await.unwrap(), b"hello\n");
//!     writer.close();
//!     server.close();
//!     server.wait_closed().await;
//! });
//! ```

mod connection;
mod error;
mod reader;
mod server;
mod writer;

pub use connection::{open_connection, open_unix_connection};
pub use error::{IncompleteReadError, LimitOverrunError, StreamError};
pub use reader::{Lines, StreamReader};
pub use server::{start_server, start_server_on, start_unix_server, HandlerOutcome, Server};
pub use writer::StreamWriter;
