//! http_tokio: the benchmark's peers — the same hyper server and the same
//! service function as `corio-servers`' `http_server` example, on tokio.
//!
//! ```sh
//! cargo run --release -p corio-benches --bin http_tokio -- --port 8081                      # current-thread
//! cargo run --release -p corio-benches --bin http_tokio -- --port 8082 --multi-thread 2     # 2 workers
//! ```
//!
//! Same shape as the corio server: an accept loop, a task per connection,
//! hyper's HTTP/1.1 connection with a timer and a 10 s header-read timeout,
//! `TCP_NODELAY`, `corio_servers::routes::respond` with tokio's sleep. It
//! has no graceful stop: the benchmark ends it with a signal.

mod tokio_io;

use std::process::ExitCode;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;

use tokio_io::{TokioIo, TokioTimer};

const USAGE: &str = "\
usage: http_tokio --port PORT [--multi-thread WORKERS]

Serves GET /, POST /echo and GET /sleep?ms=N with hyper on tokio: a
current-thread runtime, or a multi-thread one with WORKERS workers.";

fn main() -> ExitCode {
    let mut port = None;
    let mut workers = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let number = |value: Option<String>| value.and_then(|v| v.parse::<usize>().ok());
        match arg.as_str() {
            "--port" => port = number(args.next()).and_then(|p| u16::try_from(p).ok()),
            "--multi-thread" => workers = Some(number(args.next()).unwrap_or(0)),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => port = None,
        }
    }
    let (Some(port), Some(1..) | None) = (port, workers) else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let runtime = match workers {
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    };
    match runtime.expect("a tokio runtime").block_on(serve(port)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http_tokio: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(port: u16) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("http_tokio: listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("http_tokio: accept failed ({e})");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer)
                .header_read_timeout(Duration::from_secs(10));
            let service =
                service_fn(|request| corio_servers::routes::respond(request, tokio::time::sleep));
            let _ = builder.serve_connection(TokioIo(stream), service).await;
        });
    }
}
