//! redis_tokio: the peer of `examples/servers/redis_server` — the same
//! server on tokio's current-thread runtime, for the servers benchmark.
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
//! With `--multi-thread N` it runs on tokio's multi-thread runtime with N
//! workers, the peer of `redis_server --loops N`: the keyspace is then a
//! `Mutex<Db>` shared by every worker, taken once per batch of commands as
//! corio's server takes its own
//! (`examples/servers/redis_server/keyspace.rs`); on one thread it is a
//! `RefCell<Db>`, borrowed once per batch.
//!
//! ```text
//! cargo run --release -p corio-benches --bin redis_tokio -- --port 7001
//! cargo run --release -p corio-benches --bin redis_tokio -- --port 7002 --multi-thread 2
//! ```

#[path = "../../examples/servers/redis_server/commands.rs"]
mod commands;
#[path = "../../examples/servers/redis_server/db.rs"]
#[allow(dead_code)]
mod db;
#[path = "../../examples/servers/redis_server/resp.rs"]
#[allow(dead_code)]
mod resp;

use std::cell::RefCell;
use std::ops::{Deref, Range};
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use commands::{Args, Outcome};
use db::Db;
use resp::Parsed;

/// Exclusive use of the keyspace for the length of `f`.
trait Keyspace {
    fn with_db<R>(&self, f: impl FnOnce(&mut Db) -> R) -> R;
}

/// One thread: a borrow.
impl Keyspace for RefCell<Db> {
    fn with_db<R>(&self, f: impl FnOnce(&mut Db) -> R) -> R {
        f(&mut self.borrow_mut())
    }
}

/// Several workers: a lock.
impl Keyspace for Mutex<Db> {
    fn with_db<R>(&self, f: impl FnOnce(&mut Db) -> R) -> R {
        f(&mut self.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The shared state of every connection.
#[derive(Default)]
struct Shared<K> {
    db: K,
    earlier_deadline: Notify,
}

const USAGE: &str = "usage: redis_tokio [--port PORT] [--multi-thread WORKERS]";

fn main() {
    let mut port = 6379;
    let mut workers = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u16>().ok());
        match (arg.as_str(), value) {
            ("--port", Some(p)) => port = p,
            ("--multi-thread", Some(n @ 1..)) => workers = Some(usize::from(n)),
            _ => {
                eprintln!("{USAGE}");
                std::process::exit(2);
            }
        }
    }
    match workers {
        None => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, serve_current_thread(port));
        }
        Some(workers) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(serve_multi_thread(port));
        }
    }
}

async fn listen(port: u16) -> TcpListener {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("listen on 127.0.0.1");
    println!("redis_tokio: ready on {}", listener.local_addr().unwrap());
    listener
}

/// One thread: `Rc`, `RefCell` and local tasks.
async fn serve_current_thread(port: u16) {
    let listener = listen(port).await;
    let shared = Rc::new(Shared::<RefCell<Db>>::default());
    tokio::task::spawn_local(expire_keys(shared.clone()));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::task::spawn_local(serve_client(stream, shared.clone()));
    }
}

/// Several workers: `Arc`, `Mutex` and tasks any worker may run (or steal).
async fn serve_multi_thread(port: u16) {
    let listener = listen(port).await;
    let shared = Arc::new(Shared::<Mutex<Db>>::default());
    tokio::spawn(expire_keys(shared.clone()));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_client(stream, shared.clone()));
    }
}

/// Sleeps until the earliest deadline (or an earlier one is set), sweeps.
async fn expire_keys<K: Keyspace, S: Deref<Target = Shared<K>>>(shared: S) {
    loop {
        let next = shared.db.with_db(|db| db.next_deadline());
        match next {
            Some(at) => {
                let at = tokio::time::Instant::from_std(at);
                let _ = tokio::time::timeout_at(at, shared.earlier_deadline.notified()).await;
            }
            None => shared.earlier_deadline.notified().await,
        }
        shared.db.with_db(|db| db.remove_expired(Instant::now()));
    }
}

/// The connection loop of `examples/servers/redis_server/server.rs`, on tokio.
async fn serve_client<K: Keyspace, S: Deref<Target = Shared<K>>>(stream: TcpStream, shared: S) {
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

/// Runs every complete command at the front of `buf` with the keyspace
/// taken once for all of them; `Some(consumed)` to go on, `None` to close
/// (QUIT, a protocol error).
fn run_batch<K: Keyspace>(
    buf: &[u8],
    ranges: &mut Vec<Range<usize>>,
    shared: &Shared<K>,
    out: &mut Vec<u8>,
) -> Option<usize> {
    let now = Instant::now();
    let mut at = 0;
    shared.db.with_db(|db| loop {
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
        let outcome = commands::execute(args, db, now, out);
        if db.take_earlier_deadline() {
            shared.earlier_deadline.notify_one();
        }
        match outcome {
            Outcome::Replied => {}
            Outcome::Quit => return None,
            Outcome::PubSub(_) => {
                resp::error(out, "ERR publish/subscribe is not part of the tokio peer")
            }
        }
    })
}
