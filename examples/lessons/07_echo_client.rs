//! echo_client: connect, send, wait for the echo, time the round trip —
//! asyncio's `open_connection` followed by `writer.write`, `await
//! reader.readexactly(n)`, all bounded by `wait_for`.
//!
//! Seed 003, "阻塞与非阻塞" (blocking and non-blocking) and "设置任务超时"
//! (setting a timeout): the client's `await` on the socket suspends only its
//! own coroutine, never the thread, and a timeout turns "the server never
//! answered" into an error value instead of a hang.
//!
//! Run it against `echo_server` with
//!
//! ```text
//! cargo run --release --example echo_server -- 8080 &
//! cargo run --release --example echo_client -- [PORT] [MESSAGE...]
//! ```
//!
//! The port defaults to 8080 and the messages to two greetings. It sends each
//! message (with a newline), reads the echo, prints the round-trip time, then
//! half-closes the connection and waits for the server to close its side.
//! When nothing listens on the port it says so and exits with status 1.

use std::io;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use corio::net::TcpStream;
use corio::time::timeout;

#[path = "../support/mod.rs"]
mod support;

const FLAGS: &str = "\
PORT         the echo server's port on 127.0.0.1 (default 8080)
MESSAGE...   the lines to send (default: two greetings)";

const DEFAULT_PORT: u16 = 8080;
/// How long to wait for the server at each step before giving up.
const PATIENCE: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let mut args = support::args(include_str!("07_echo_client.rs"), FLAGS).rest();
    // The first argument is the port when it reads as one; every other
    // argument is a message.
    let port = match args.first().map(|a| a.parse::<u16>()) {
        Some(Ok(port)) => {
            args.remove(0);
            port
        }
        _ => DEFAULT_PORT,
    };
    if args.is_empty() {
        args = vec![
            "hello, echo".to_string(),
            "are you still there?".to_string(),
        ];
    }
    corio::run(async move {
        match talk(port, &args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("echo_client: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn talk(port: u16, messages: &[String]) -> io::Result<()> {
    let addr = ("127.0.0.1", port);
    let stream = match timeout(PATIENCE, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
            return Err(io::Error::new(
                e.kind(),
                format!(
                    "nothing listens on 127.0.0.1:{port} ({e}); start the server first:\n  \
                     cargo run --release --example echo_server -- {port}"
                ),
            ));
        }
        Ok(Err(e)) => return Err(annotate(e, format!("cannot connect to 127.0.0.1:{port}"))),
        Err(_) => return Err(timed_out(format!("connecting to 127.0.0.1:{port}"))),
    };
    // Small messages, one at a time: without this the kernel may hold a write
    // back (Nagle's algorithm) and the round trip would measure that delay.
    stream.set_nodelay(true)?;
    println!("connected to {}", stream.peer_addr()?);

    for message in messages {
        let line = format!("{message}\n");
        let mut echo = vec![0; line.len()];
        let started = Instant::now();
        stream.write_all(line.as_bytes()).await?;
        // The echo may arrive in pieces: `read_exact` waits for all of it.
        match timeout(PATIENCE, stream.read_exact(&mut echo)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(annotate(e, "reading the echo".to_string())),
            Err(_) => return Err(timed_out(format!("waiting for the echo of {message:?}"))),
        }
        let rtt = started.elapsed();
        if echo != line.as_bytes() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "sent {message:?}, got back {:?}",
                    String::from_utf8_lossy(&echo)
                ),
            ));
        }
        println!(
            "sent {message:?} ({} bytes), echo back in {} µs",
            line.len(),
            rtt.as_micros()
        );
    }

    // A half-close: the server reads EOF, finishes, and closes its side, which
    // we read as `Ok(0)`. Bytes after that would be a protocol error.
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut rest = [0; 64];
    match timeout(PATIENCE, stream.read(&mut rest)).await {
        Ok(Ok(0)) => println!("the server closed the connection; bye"),
        Ok(Ok(n)) => println!("the server sent {n} unexpected bytes after the echoes"),
        Ok(Err(e)) => return Err(annotate(e, "waiting for the server to close".to_string())),
        Err(_) => return Err(timed_out("waiting for the server to close".to_string())),
    }
    Ok(())
}

/// The same error, with what we were doing in front of it.
fn annotate(e: io::Error, doing: String) -> io::Error {
    io::Error::new(e.kind(), format!("{doing}: {e}"))
}

fn timed_out(doing: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("{doing}: no answer within {} s", PATIENCE.as_secs()),
    )
}
