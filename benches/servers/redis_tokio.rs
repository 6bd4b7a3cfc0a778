//! redis_tokio: the peer of `examples/redis_server` — the same server on
//! tokio's current-thread runtime, for the servers benchmark.
//!
//! "The same code shape" means the comparison measures the runtimes, not
//! two programs: the protocol parser, the commands and the keyspace are the
//! very files of the corio example (included below by path), and the
//! connection loop is the same loop written with tokio's types — `fill_buf`
//! on a `BufReader` (16 KiB, the size of corio's reader buffer), every
//! complete command run in place, all replies written with one `write_all`
//! and one `flush` on a `BufWriter`. Keys expire on tokio's timers. Only
//! publish/subscribe is left out (it is runtime-specific and not measured).
//!
//! ```text
//! cargo run --release -p corio-benches --bin redis_tokio -- --port 7001
//! ```

#[path = "../../examples/redis_server/commands.rs"]
mod commands;
#[path = "../../examples/redis_server/db.rs"]
#[allow(dead_code)]
mod db;
#[path = "../../examples/redis_server/resp.rs"]
#[allow(dead_code)]
mod resp;

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use commands::{Args, Outcome};
use db::Db;
use resp::Parsed;

/// The shared state of every connection: one thread, so `Rc` and `RefCell`.
#[derive(Default)]
struct Shared {
    db: RefCell<Db>,
    earlier_deadline: Notify,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port: u16 = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => 6379,
        ["--port", port] => port.parse().expect("--port takes a port number"),
        _ => {
            eprintln!("usage: redis_tokio [--port PORT]");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, serve(port));
}

async fn serve(port: u16) {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("listen on 127.0.0.1");
    println!("redis_tokio: ready on {}", listener.local_addr().unwrap());
    let shared = Rc::new(Shared::default());
    tokio::task::spawn_local(expire_keys(shared.clone()));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::task::spawn_local(serve_client(stream, shared.clone()));
    }
}

/// Sleeps until the earliest deadline (or an earlier one is set), sweeps.
async fn expire_keys(shared: Rc<Shared>) {
    loop {
        let next = shared.db.borrow().next_deadline();
        match next {
            Some(at) => {
                let at = tokio::time::Instant::from_std(at);
                let _ = tokio::time::timeout_at(at, shared.earlier_deadline.notified()).await;
            }
            None => shared.earlier_deadline.notified().await,
        }
        shared.db.borrow_mut().remove_expired(Instant::now());
    }
}

/// The connection loop of `examples/redis_server/server.rs`, on tokio.
async fn serve_client(stream: TcpStream, shared: Rc<Shared>) {
    let (read_half, write_half) = stream.into_split();
    let mut reader = BufReader::with_capacity(16 * 1024, read_half);
    let mut writer = BufWriter::new(write_half);
    let mut partial: Vec<u8> = Vec::new();
    let mut ranges = Vec::new();
    let mut out = Vec::new();
    while let Ok(bytes) = reader.fill_buf().await {
        if bytes.is_empty() {
            break;
        }
        let arrived = bytes.len();
        let end = if partial.is_empty() {
            let end = run_batch(bytes, &mut ranges, &shared, &mut out);
            if let Some(consumed) = end {
                partial.extend_from_slice(&bytes[consumed..]);
            }
            end
        } else {
            partial.extend_from_slice(bytes);
            let end = run_batch(&partial, &mut ranges, &shared, &mut out);
            if let Some(consumed) = end {
                partial.drain(..consumed);
            }
            end
        };
        reader.consume(arrived);
        let sent = writer.write_all(&out).await.and(writer.flush().await);
        out.clear();
        if end.is_none() || sent.is_err() {
            break;
        }
    }
}

/// Runs every complete command at the front of `buf`; `Some(consumed)` to
/// go on, `None` to close (QUIT, a protocol error).
fn run_batch(
    buf: &[u8],
    ranges: &mut Vec<Range<usize>>,
    shared: &Shared,
    out: &mut Vec<u8>,
) -> Option<usize> {
    let now = Instant::now();
    let mut at = 0;
    loop {
        let len = match resp::parse_command(&buf[at..], ranges) {
            Ok(Parsed::Command { len }) => len,
            Ok(Parsed::Incomplete) => return Some(at),
            Err(e) => {
                resp::error(out, &format!("ERR Protocol error: {}", e.0));
                return None;
            }
        };
        let args = Args {
            buf: &buf[at..],
            ranges,
        };
        at += len;
        if args.len() == 0 {
            continue;
        }
        let mut db = shared.db.borrow_mut();
        let outcome = commands::execute(args, &mut db, now, out);
        if db.take_earlier_deadline() {
            shared.earlier_deadline.notify_one();
        }
        drop(db);
        match outcome {
            Outcome::Replied => {}
            Outcome::Quit => return None,
            Outcome::PubSub(_) => {
                resp::error(out, "ERR publish/subscribe is not part of the tokio peer")
            }
        }
    }
}
