//! echo_roundtrip: a server and its clients as tasks of one loop — TCP, a
//! Unix socket pair and UDP, in one process, so the tour can run an echo
//! round trip without a second program.
//!
//! Seed 003, "事件循环" (the event loop): "when a function is waiting for IO,
//! the loop pauses it and runs the others; when its IO is ready it carries on
//! at the next turn." The server task waits in `accept`, each connection's
//! task in `read`, each client in `read_exact`: whoever's socket is ready
//! runs, on one thread.
//!
//! It also shows that corio sockets speak the `futures` ecosystem's IO
//! traits: the echo itself is `futures::io::copy` from a stream to itself,
//! one function for TCP and Unix streams alike.
//!
//! Ports and the order in which bytes travel change from run to run; the
//! output does not: clients return what they saw, and it is printed in
//! client order once they are all done. Run it with
//! `cargo run --release --example echo_roundtrip`; for a server and a client
//! in two terminals, see `echo_server` and `echo_client`.

use std::cell::Cell;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use corio::sync::Barrier;
use futures::{AsyncRead, AsyncWrite};

#[path = "../support/mod.rs"]
mod support;

const CLIENTS: usize = 3;

fn main() -> ExitCode {
    support::args(include_str!("08_echo_roundtrip.rs"), "").done();
    corio::run(support::within(Duration::from_secs(10), sections()))
}

async fn sections() -> io::Result<()> {
    tcp().await?;
    unix_pair().await?;
    udp().await
}

/// The server side of every stream here: copy what arrives back to the
/// sender until the sender closes its side, then close ours (by dropping the
/// stream). `&TcpStream` and `&UnixStream` are both `AsyncRead` and
/// `AsyncWrite`, so one reference reads while the other writes.
async fn echo<S>(stream: S) -> io::Result<u64>
where
    for<'a> &'a S: AsyncRead + AsyncWrite + Unpin,
{
    futures::io::copy(&stream, &mut &stream).await
}

/// A task that panicked or was cancelled, as an IO error for `?`. Its
/// message only: a panic payload cannot cross threads, as an `io::Error` may.
fn task_failed(e: corio::TaskError) -> io::Error {
    io::Error::other(e.to_string())
}

/// The first failure of a `gather` of IO tasks, for `?`: the `io::Error` a
/// task returned (gather fails fast on it, as asyncio's gather re-raises the
/// first exception), or its panic or cancellation.
fn gather_failed<T>(e: corio::GatherError<io::Result<T>>) -> io::Error {
    match e {
        corio::GatherError::Failed { output: Err(e), .. } => e,
        other => io::Error::other(other.to_string()),
    }
}

// ---------------------------------------------------------------------------

async fn tcp() -> io::Result<()> {
    println!("== 1. TCP: an echo server task and {CLIENTS} client tasks ==");
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    println!("  server: listening on 127.0.0.1, on a port the OS chose");

    // Connections open right now, and the most seen at once.
    let open = Rc::new(Cell::new(0));
    let most = Rc::new(Cell::new(0));
    let server = corio::spawn(serve(listener, open, most.clone()));

    // The clients meet at this barrier halfway through: all three
    // connections are then open at the same time.
    let halfway = Rc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (1..=CLIENTS)
        .map(|i| corio::spawn(client(i, addr, halfway.clone())))
        .collect();
    println!("  {CLIENTS} clients started; the loop runs them and the server together");

    // `gather` returns the results in argument order, whatever order the
    // clients finished in.
    for (i, echoes) in corio::gather(clients)
        .await
        .map_err(gather_failed)?
        .into_iter()
        .enumerate()
    {
        println!("  client {}: {}", i + 1, echoes?.join(", "));
    }
    let echoed = server.await.map_err(task_failed)??;
    println!(
        "  server: {CLIENTS} connections, {echoed} bytes echoed, {} connections open at once at most",
        most.get()
    );
    Ok(())
}

/// Accepts `CLIENTS` connections, each echoed by a task of its own; returns
/// the bytes echoed once they are all closed.
async fn serve(
    listener: TcpListener,
    open: Rc<Cell<usize>>,
    most: Rc<Cell<usize>>,
) -> io::Result<u64> {
    let mut connections = Vec::new();
    for _ in 0..CLIENTS {
        let (stream, _peer) = listener.accept().await?;
        open.set(open.get() + 1);
        most.set(most.get().max(open.get()));
        let open = open.clone();
        connections.push(corio::spawn(async move {
            let echoed = echo(stream).await;
            open.set(open.get() - 1);
            echoed
        }));
    }
    let mut total = 0;
    for echoed in corio::gather(connections).await.map_err(gather_failed)? {
        total += echoed?;
    }
    Ok(total)
}

/// Sends two messages, one before and one after the barrier, and reads each
/// echo back; then half-closes and waits for the server's EOF. Returns what
/// came back.
async fn client(i: usize, addr: SocketAddr, halfway: Rc<Barrier>) -> io::Result<Vec<String>> {
    let stream = TcpStream::connect(addr).await?;
    let mut echoes = Vec::new();
    echoes.push(round_trip(&stream, &format!("hello from {i}")).await?);
    halfway.wait().await.map_err(io::Error::other)?;
    echoes.push(round_trip(&stream, &format!("bye from {i}")).await?);
    // Only now, with every echo read, the half-close: the server's `copy`
    // reads EOF, returns, and the server task drops its stream.
    stream.shutdown(Shutdown::Write)?;
    let mut rest = [0; 16];
    match stream.read(&mut rest).await? {
        0 => echoes.push("EOF".to_string()),
        n => echoes.push(format!("{n} unexpected bytes")),
    }
    Ok(echoes)
}

async fn round_trip(stream: &TcpStream, message: &str) -> io::Result<String> {
    stream.write_all(message.as_bytes()).await?;
    let mut echo = vec![0; message.len()];
    stream.read_exact(&mut echo).await?;
    Ok(format!("{:?}", String::from_utf8_lossy(&echo)))
}

// ---------------------------------------------------------------------------

async fn unix_pair() -> io::Result<()> {
    println!("\n== 2. Unix: the same echo over a socket pair ==");
    // Two connected Unix streams, no path and no listener: asyncio's
    // `socket.socketpair()` handed to `open_connection(sock=...)`.
    let (ours, theirs) = UnixStream::pair()?;
    let server = corio::spawn(echo(theirs));
    let message = "through a socketpair";
    ours.write_all(message.as_bytes()).await?;
    let mut echo_back = vec![0; message.len()];
    ours.read_exact(&mut echo_back).await?;
    println!(
        "  sent {message:?}, got back {:?}",
        String::from_utf8_lossy(&echo_back)
    );
    ours.shutdown(Shutdown::Write)?;
    let echoed = server.await.map_err(task_failed)??;
    let mut rest = [0; 16];
    let eof = ours.read(&mut rest).await? == 0;
    println!("  half-closed: the echo task copied {echoed} bytes and closed its end (EOF: {eof})");
    Ok(())
}

// ---------------------------------------------------------------------------

async fn udp() -> io::Result<()> {
    println!("\n== 3. UDP: datagrams keep their boundaries ==");
    let server = UdpSocket::bind("127.0.0.1:0")?;
    let server_addr = server.local_addr()?;
    let words = ["one", "two", "three"];
    // A UDP server has no connections: one socket, and each datagram says
    // where it came from.
    let echo_task = corio::spawn(async move {
        let mut buf = [0; 1500];
        for _ in 0..words.len() {
            let (n, from) = server.recv_from(&mut buf).await?;
            server.send_to(&buf[..n], from).await?;
        }
        io::Result::Ok(())
    });

    let client = UdpSocket::bind("127.0.0.1:0")?;
    // `connect` on UDP only fixes the peer: `send`/`recv` need no address,
    // and datagrams from anyone else are filtered out.
    client.connect(server_addr)?;
    for word in words {
        client.send(word.as_bytes()).await?;
    }
    println!("  sent {} datagrams back to back: {words:?}", words.len());
    let mut buf = [0; 1500];
    for _ in words {
        // One `recv`, one datagram: never two glued together, never half of
        // one, unlike the TCP byte stream above.
        let n = client.recv(&mut buf).await?;
        println!(
            "  received one datagram: {:?} ({n} bytes)",
            String::from_utf8_lossy(&buf[..n])
        );
    }
    echo_task.await.map_err(task_failed)??;
    println!("  the echo task answered all {} and ended", words.len());
    Ok(())
}
