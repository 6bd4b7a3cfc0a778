//! echo_server: asyncio's `start_server(handle_echo, host, port)` — every
//! client gets its own task, reading with a `StreamReader` and answering
//! through a `StreamWriter` — and a graceful stop on Ctrl-C or SIGTERM.
//!
//! Seed 003, "事件循环" (the event loop): "when a function is waiting for IO,
//! the loop pauses it and runs the others; when its IO is ready it carries on
//! at the next turn." Every connection's task spends its life waiting in
//! `read`; the loop runs whichever connection has bytes, on one thread, and a
//! waiting connection costs no thread.
//!
//! The stop is the part most servers get wrong, in four steps: stop
//! accepting (`server.close()`), tell each connected client (a last line,
//! then EOF), give them a bounded time to leave (`wait_closed` under a
//! timeout), and exit 0 with a one-line summary. Anyone still connected after
//! the grace period is cut off when the loop ends.
//!
//! ```text
//! cargo run --release --example echo_server                  # the demo (the tour runs it)
//! cargo run --release --example echo_server -- --serve 8080  # a real server
//! nc 127.0.0.1 8080                                          # in another terminal
//! ```
//!
//! The demo serves three in-process clients on a port the OS picks, then
//! stops itself as a Ctrl-C would, while one client is still connected;
//! its output is the same on every run.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use corio::streams::{Server, StreamReader, StreamWriter};
use corio::sync::Event;
use corio::time::timeout;

#[path = "../support/mod.rs"]
mod support;

const FLAGS: &str = "\
(no flag)      a short demo: three in-process clients, then a graceful stop
--serve [PORT] echo on 127.0.0.1:PORT (8080; 0 lets the OS choose) until
               Ctrl-C or SIGTERM";

const DEFAULT_PORT: u16 = 8080;
/// How long connected clients get to leave after the shutdown notice.
const GRACE: Duration = Duration::from_secs(5);
const NOTICE: &[u8] = b"server shutting down: goodbye\n";

fn main() -> ExitCode {
    let mut args = support::args(include_str!("06_echo_server.rs"), FLAGS);
    let serve = args.optional_value("--serve", DEFAULT_PORT);
    args.done();
    match serve {
        Some(port) => corio::run(serve_until_signal(port)),
        None => corio::run(support::within(Duration::from_secs(20), demo())),
    }
}

/// What the server did, for the summary line.
#[derive(Default)]
struct Stats {
    served: Cell<u64>,
    bytes: Cell<u64>,
}

/// The connected clients' writers, by connection number: what the shutdown
/// path needs to tell each client goodbye.
#[derive(Default)]
struct Clients {
    writers: RefCell<BTreeMap<u64, Rc<StreamWriter>>>,
}

/// Starts the echo server on `127.0.0.1:port`. `log` says whether to print
/// addresses (which change from run to run).
async fn start(
    port: u16,
    stats: Rc<Stats>,
    clients: Rc<Clients>,
    log_addresses: bool,
) -> io::Result<Server> {
    corio::start_server(
        move |reader, writer| {
            let n = stats.served.get() + 1;
            stats.served.set(n);
            let writer = Rc::new(writer);
            if log_addresses {
                let peer = writer.peer_addr().map_or("?".into(), |a| a.to_string());
                println!("[{n}] connected: {peer}");
            } else {
                println!("[{n}] connected");
            }
            clients.writers.borrow_mut().insert(n, writer.clone());
            let (stats, clients) = (stats.clone(), clients.clone());
            async move {
                let echoed = echo(reader, &writer).await;
                clients.writers.borrow_mut().remove(&n);
                stats
                    .bytes
                    .set(stats.bytes.get() + echoed.as_ref().map_or(0, |&b| b));
                match echoed {
                    Ok(bytes) => println!("[{n}] disconnected after {bytes} bytes"),
                    Err(e) => println!("[{n}] dropped: {e}"),
                }
            }
        },
        "127.0.0.1",
        port,
    )
    .await
}

/// The handler: sends back every byte until the client closes its side (or
/// the server said goodbye and half-closed).
async fn echo(mut reader: StreamReader, writer: &StreamWriter) -> io::Result<u64> {
    let mut echoed = 0;
    loop {
        // `read` waits for bytes without a thread; an empty read is EOF.
        let data = reader.read(64 * 1024).await?;
        if data.is_empty() {
            return Ok(echoed);
        }
        if writer.write(&data).is_err() {
            // The shutdown path half-closed this writer: stop echoing.
            return Ok(echoed);
        }
        // Flow control: a client that does not read stops us here.
        writer.drain().await?;
        echoed += data.len() as u64;
    }
}

/// The graceful stop: steps 1–4 of the module docs. Returns the summary.
async fn shut_down(server: &Server, clients: &Clients, stats: &Stats, why: &str) -> String {
    server.close();
    let writers: Vec<Rc<StreamWriter>> = clients.writers.borrow().values().cloned().collect();
    for writer in &writers {
        // A last line, then EOF once it is out.
        let _ = writer.write(NOTICE);
        writer.write_eof();
    }
    let left_in_time = timeout(GRACE, server.wait_closed()).await.is_ok();
    let still_there = if left_in_time {
        0
    } else {
        server.active_connections()
    };
    format!(
        "echo_server: stopped on {why}: served {} connection(s), echoed {} bytes, \
         told {} client(s) goodbye, {still_there} still connected after the {} s grace period",
        stats.served.get(),
        stats.bytes.get(),
        writers.len(),
        GRACE.as_secs()
    )
}

async fn serve_until_signal(port: u16) -> ExitCode {
    let stats = Rc::new(Stats::default());
    let clients = Rc::new(Clients::default());
    // Listen before serving: a signal that comes early is not lost. (Both
    // signals become one future: lesson 18, `signals`, shows how.)
    let stop = support::shutdown_signal();
    let server = match start(port, stats.clone(), clients.clone(), true).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("echo_server: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = server.sockets()[0];
    println!("echoing on {addr}; try: nc {} {}", addr.ip(), addr.port());
    println!("stop with Ctrl-C or SIGTERM (kill {})", std::process::id());
    let why = match stop {
        Ok(stop) => stop.await,
        Err(e) => {
            eprintln!("echo_server: cannot listen for signals ({e}); serving until killed");
            server.serve_forever().await;
            "close"
        }
    };
    println!("\n{why}: shutting down");
    println!("{}", shut_down(&server, &clients, &stats, why).await);
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------
// The demo
// ---------------------------------------------------------------------------

async fn demo() -> io::Result<()> {
    let stats = Rc::new(Stats::default());
    let clients = Rc::new(Clients::default());
    let server = start(0, stats.clone(), clients.clone(), false).await?;
    let port = server.sockets()[0].port();
    println!("echo server listening (on a port the OS chose)");

    // Two clients that come and go, one after the other.
    for (name, line) in [("ann", "hello, echo"), ("ben", "is anyone there?")] {
        let (mut reader, writer) = corio::open_connection("127.0.0.1", port).await?;
        writer.write(format!("{line}\n").as_bytes())?;
        writer.drain().await?;
        let echoed = reader.readline().await?;
        println!(
            "{name} sent {line:?}, got back {:?}",
            String::from_utf8_lossy(&echoed)
        );
        writer.close();
        writer.wait_closed().await?;
        // Wait for the server's side to see the EOF, for a fixed log order.
        reader.read_to_eof().await?;
        while !clients.writers.borrow().is_empty() {
            corio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    // A third client stays connected when the stop comes.
    let (mut reader, writer) = corio::open_connection("127.0.0.1", port).await?;
    writer.write(b"I am staying\n")?;
    reader.readline().await?;
    println!("cy is connected and idle");

    // The stop: in --serve it is a signal; here an Event stands in for Ctrl-C.
    let ctrl_c = Rc::new(Event::new());
    let client = corio::spawn({
        let ctrl_c = ctrl_c.clone();
        async move {
            ctrl_c.set();
            println!("(the demo presses Ctrl-C)");
            // cy reads the goodbye and EOF, then leaves.
            let goodbye = reader.readline().await?;
            println!("cy got {:?}", String::from_utf8_lossy(&goodbye));
            reader.read_to_eof().await?;
            writer.close();
            println!("cy leaves");
            Ok::<(), io::Error>(())
        }
    });
    ctrl_c.wait().await;
    let why = "Ctrl-C";
    println!("{why}: shutting down");
    let summary = shut_down(&server, &clients, &stats, why).await;
    client
        .await
        .map_err(|e| io::Error::other(e.to_string()))??;
    println!("{summary}");
    Ok(())
}
