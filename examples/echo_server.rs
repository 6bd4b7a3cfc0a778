//! echo_server: a TCP server with one task per connection — asyncio's
//! `start_server(handle_echo, host, port)`, where every client gets its own
//! coroutine.
//!
//! Seed 003, "事件循环" (the event loop): "when a function is waiting for IO,
//! the loop pauses it and runs the others; when its IO is ready it carries on
//! at the next turn." Here every connection's task spends its life waiting to
//! read; the loop runs whichever connection has bytes, on one thread, and a
//! waiting connection costs no thread. (Seed 001's "I/O多路复用", IO
//! multiplexing, is what the loop does underneath: one `epoll` for all of them.)
//!
//! Run it with
//!
//! ```text
//! cargo run --release --example echo_server -- [PORT] [--once | --max-connections N]
//! ```
//!
//! It listens on 127.0.0.1:PORT (8080 by default; port 0 lets the OS choose
//! one, which is printed) and runs until killed (Ctrl-C), or, with `--once` or
//! `--max-connections N`, stops accepting after N connections and exits once
//! they are all closed. Talk to it with `echo_client`, or with `nc 127.0.0.1
//! PORT`. It is not in the tour, which runs only programs that end by
//! themselves; `echo_roundtrip` is the tour's one-process version.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};

const DEFAULT_PORT: u16 = 8080;

/// What the command line asked for.
struct Options {
    port: u16,
    /// Stop accepting after this many connections (`None`: serve forever).
    max_connections: Option<usize>,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("echo_server: {message}");
            eprintln!("usage: echo_server [PORT] [--once | --max-connections N]");
            return ExitCode::from(2);
        }
    };
    corio::run(serve(options))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        port: DEFAULT_PORT,
        max_connections: None,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--once" => options.max_connections = Some(1),
            "--max-connections" => {
                let n = args.next().ok_or("--max-connections needs a number")?;
                match n.parse() {
                    Ok(n) if n > 0 => options.max_connections = Some(n),
                    _ => return Err(format!("--max-connections {n}: not a positive number")),
                }
            }
            port => {
                options.port = port
                    .parse()
                    .map_err(|_| format!("{port:?} is not a port number (0-65535)"))?;
            }
        }
    }
    Ok(options)
}

async fn serve(options: Options) -> ExitCode {
    let listener = match TcpListener::bind(("127.0.0.1", options.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "echo_server: cannot listen on 127.0.0.1:{}: {e}",
                options.port
            );
            return ExitCode::FAILURE;
        }
    };
    // With port 0 the OS chose the port: `local_addr` says which.
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    println!("listening on {addr}");
    match options.max_connections {
        Some(n) => println!("will serve {n} connection(s), then exit"),
        None => println!("serving until killed (Ctrl-C)"),
    }

    // The handles of the connections we will wait for before exiting. A
    // server that runs forever keeps none: dropping a `Task` handle detaches
    // the task, which goes on running.
    let mut to_wait_for = Vec::new();
    let mut accepted = 0;
    while options.max_connections != Some(accepted) {
        let (stream, peer) = match listener.accept().await {
            Ok(connection) => connection,
            Err(e) => {
                // Accept errors are values. Out of descriptors (`EMFILE`), the
                // pending connection is still there and accept would fail again
                // at once: pausing lets other connections close and free some,
                // instead of spinning on the error.
                eprintln!("accept failed: {e}; retrying in 100 ms");
                corio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        accepted += 1;
        println!("[{accepted}] connected: {peer}");
        // One task per connection. `spawn` returns at once: the loop goes
        // straight back to `accept` while this client is served.
        let task = corio::task::Builder::new()
            .name(format!("echo {peer}"))
            .spawn(echo(accepted, stream, peer));
        if options.max_connections.is_some() {
            to_wait_for.push(task);
        }
    }

    // Closing the listener now refuses new connections while the last ones
    // finish.
    drop(listener);
    println!("accepted {accepted} connection(s); waiting for them to close");
    for task in to_wait_for {
        // `echo` handles its own errors; a task can still be cancelled or
        // panic, which `await` reports as a `TaskError`.
        if let Err(e) = task.await {
            eprintln!("a connection task failed: {e}");
        }
    }
    println!("done");
    ExitCode::SUCCESS
}

/// Sends back every byte the client sends, until it closes its side.
async fn echo(n: usize, stream: TcpStream, peer: SocketAddr) {
    let mut buf = vec![0; 16 * 1024];
    let mut echoed = 0;
    let outcome = loop {
        // `read` suspends this task until the socket has bytes: the loop runs
        // the other connections meanwhile. `Ok(0)` is the client's EOF.
        let n = match stream.read(&mut buf).await {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(e),
        };
        if let Err(e) = stream.write_all(&buf[..n]).await {
            break Err(e);
        }
        echoed += n;
    };
    match outcome {
        Ok(()) => println!("[{n}] disconnected: {peer} ({echoed} bytes echoed)"),
        // A reset or a broken pipe ends this connection only; the others go on.
        Err(e) => println!("[{n}] dropped: {peer} after {echoed} bytes: {e}"),
    }
    // Dropping `stream` closes the socket: the client reads EOF.
}
