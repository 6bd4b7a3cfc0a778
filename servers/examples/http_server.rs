//! http_server: hyper 1.x serving HTTP/1.1 on corio.
//!
//! Shows how a protocol library written for "any runtime" runs on corio: a
//! small adapter gives hyper corio's sockets (its `rt::Read`/`rt::Write`),
//! tasks (`rt::Executor`) and timers (`rt::Timer`). Read the adapter first,
//! `servers/hyper_corio.rs`, explained line by line; then the accept loop
//! and graceful stop in `servers/server.rs`, and the routes in
//! `servers/routes.rs`. Builds on the "Real programs" lessons (streams,
//! signals): the echo server's shape, with hyper doing the protocol.
//!
//! ```sh
//! cargo run --release -p corio-servers --example http_server -- --port 8080
//! cargo run --release -p corio-servers --example http_server -- --port 8080 --loops 2
//! curl http://127.0.0.1:8080/                         # Hello from hyper!
//! curl -d 'some bytes' http://127.0.0.1:8080/echo     # some bytes
//! curl 'http://127.0.0.1:8080/sleep?ms=250'          # after 250 ms on a corio timer
//! cargo run --release -p corio-servers --example http_server -- --demo
//! ```
//!
//! The server stops on Ctrl-C or SIGTERM: it stops accepting, lets the
//! requests in flight finish (5 s at most), and exits. `--demo` (the tour
//! runs it) serves on a free port, sends a few requests with hyper's client
//! on the same corio loop, prints each exchange and stops by itself.
//!
//! `--loops N` serves on N corio loops, one thread each
//! (`corio::multi_loop::Runtime`, `servers/loops.rs`): every loop binds its
//! own `SO_REUSEPORT` listener on the port and runs the same `serve` on it,
//! so the kernel spreads the connections and each stays on the loop that
//! accepted it. The routes share nothing, so nothing else crosses between
//! loops but the stop, which follows the signals awaited on loop 0.

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use corio::signal::{signal, Signals, SIGTERM};
use corio_servers::client;
use corio_servers::loops::OnLoops;
use corio_servers::server::{serve, Settings};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;

const USAGE: &str = "\
http_server: hyper 1.x serving HTTP/1.1 on corio

usage: cargo run --release -p corio-servers --example http_server -- [options]

  --port PORT              listen on 127.0.0.1:PORT (default 8080; 0: any free port)
  --loops N                serve on N corio loops (threads), a SO_REUSEPORT listener each (default 1)
  --header-timeout SECS    cut off a client that takes longer to send a request head (default 10)
  --demo                   serve on a free port, send a few requests, print them, stop
  -h, --help               print this and exit

routes: GET /  ·  POST /echo  ·  GET /sleep?ms=N (N ≤ 60000)
Ctrl-C or SIGTERM stops it gracefully (requests in flight get up to 5 s).";

/// What the command line asked for.
struct Options {
    port: u16,
    settings: Settings,
    demo: bool,
    loops: usize,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("http_server: {message}\n\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = if options.demo {
        corio::run(demo(options.settings))
    } else if options.loops > 1 {
        serve_on_loops(options.port, options.settings, options.loops)
    } else {
        corio::run(serve_until_signalled(options.port, options.settings))
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http_server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok(None)` for `--help`.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        port: 8080,
        settings: Settings::default(),
        demo: false,
        loops: 1,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--demo" => options.demo = true,
            "--port" => {
                let value = args.next().ok_or("--port needs a number")?;
                options.port = value.parse().map_err(|_| format!("bad port {value:?}"))?;
            }
            "--loops" => {
                let value = args.next().ok_or("--loops needs a number")?;
                options.loops = match value.parse() {
                    Ok(n @ 1..) => n,
                    _ => return Err(format!("bad loop count {value:?}")),
                };
            }
            "--header-timeout" => {
                let value = args
                    .next()
                    .ok_or("--header-timeout needs a number of seconds")?;
                let secs: f64 = value
                    .parse()
                    .map_err(|_| format!("bad timeout {value:?}"))?;
                options.settings.header_read_timeout = Duration::try_from_secs_f64(secs)
                    .map_err(|_| format!("bad timeout {value:?}"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(options))
}

/// Serves on 127.0.0.1:`port` until Ctrl-C or SIGTERM.
async fn serve_until_signalled(port: u16, settings: Settings) -> std::io::Result<()> {
    // Listen for the signals before the port opens, so that a SIGTERM sent
    // as soon as the server answers is never the default "terminate now".
    let interrupted = corio::signal::ctrl_c();
    let mut terminated = signal(SIGTERM)?;
    let listener = corio::net::TcpListener::bind(("127.0.0.1", port))?;
    println!(
        "http_server: listening on http://{}",
        listener.local_addr()?
    );
    let stop = async {
        first_of(interrupted, &mut terminated).await;
        println!("http_server: stopping: no new connections, finishing the requests in flight");
    };
    let stopped = serve(listener, settings, stop).await;
    println!(
        "http_server: stopped after {} connections ({} cut off at the deadline)",
        stopped.connections, stopped.cut_off
    );
    Ok(())
}

/// Resolves at the first of Ctrl-C (`interrupted`) and SIGTERM
/// (`terminated`), both listened for before the port opened.
async fn first_of(interrupted: impl Future, terminated: &mut Signals) {
    let mut interrupted = std::pin::pin!(interrupted);
    std::future::poll_fn(|cx| {
        if interrupted.as_mut().poll(cx).is_ready() || terminated.poll_recv(cx).is_ready() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

/// Serves on 127.0.0.1:`port` from `loops` loops until Ctrl-C or SIGTERM
/// (`corio_servers::loops`); loop 0 awaits the signals.
fn serve_on_loops(port: u16, settings: Settings, loops: usize) -> std::io::Result<()> {
    let rt = corio::multi_loop::Runtime::builder().loops(loops).build()?;
    // Listen for the signals before the port opens (as on one loop).
    let (listening, is_listening) = std::sync::mpsc::channel();
    let signalled = rt.spawn_on(0, move || async move {
        let interrupted = corio::signal::ctrl_c();
        let mut terminated = match signal(SIGTERM) {
            Ok(terminated) => terminated,
            Err(e) => return drop(listening.send(Err(e))),
        };
        let _ = listening.send(Ok(()));
        first_of(interrupted, &mut terminated).await;
    });
    is_listening
        .recv()
        .map_err(|_| std::io::Error::other("the signal task failed"))??;
    let server = OnLoops::start(&rt, port, settings)?;
    println!(
        "http_server: listening on http://{} with {loops} loops",
        server.local_addr()
    );
    signalled
        .wait()
        .map_err(|e| std::io::Error::other(format!("the signal task failed: {e}")))?;
    println!("http_server: stopping: no new connections, finishing the requests in flight");
    let per_loop = server.stop();
    let connections: Vec<u64> = per_loop.iter().map(|s| s.connections).collect();
    let cut_off: usize = per_loop.iter().map(|s| s.cut_off).sum();
    println!(
        "http_server: stopped after {connections:?} connections per loop ({cut_off} cut off at the deadline)"
    );
    rt.shutdown().map_err(std::io::Error::other)
}

/// Serves on a free port, sends a few requests with hyper's client on the
/// same loop, prints each, and stops the server.
async fn demo(settings: Settings) -> std::io::Result<()> {
    let listener = corio::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    println!("server: listening on http://{addr}");
    let stop = Rc::new(corio::sync::Event::new());
    let server = {
        let stop = stop.clone();
        corio::spawn(async move { serve(listener, settings, stop.wait()).await })
    };

    // One keep-alive connection carries all four requests.
    let mut sender = client::connect(addr).await?;
    let requests = [
        get("/"),
        post("/echo", "echo me, corio"),
        get("/sleep?ms=50"),
        get("/sleep?ms=soon"),
    ];
    for request in requests {
        print!("client: {} {} ", request.method(), request.uri());
        let response = sender
            .send_request(request)
            .await
            .map_err(std::io::Error::other)?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(std::io::Error::other)?;
        println!(
            "→ {status}: {:?}",
            String::from_utf8_lossy(&body.to_bytes())
        );
    }
    malformed_request(addr).await?;

    drop(sender);
    stop.set();
    let stopped = server
        .await
        .expect("the server task neither panics nor is cancelled");
    println!("server: stopped after {} connections", stopped.connections);
    Ok(())
}

/// Not HTTP: hyper answers 400 and closes the connection.
async fn malformed_request(addr: SocketAddr) -> std::io::Result<()> {
    let stream = corio::net::TcpStream::connect(addr).await?;
    stream.write_all(b"HELLO THERE\r\n\r\n").await?;
    let mut answer = Vec::new();
    let mut chunk = [0; 512];
    loop {
        match stream.read(&mut chunk).await? {
            0 => break,
            n => answer.extend_from_slice(&chunk[..n]),
        }
    }
    let status_line = String::from_utf8_lossy(&answer);
    let status_line = status_line.lines().next().unwrap_or("(nothing)");
    println!("client: a line that is not HTTP → {status_line}, then the server closes");
    Ok(())
}

fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .body(Full::default())
        .expect("a path and an empty body make a valid request")
}

fn post(path: &str, body: &'static str) -> Request<Full<Bytes>> {
    Request::post(path)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("a path and a body make a valid request")
}
