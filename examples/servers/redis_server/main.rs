//! redis_server: a Redis-protocol (RESP2) server on corio streams, for the
//! real `redis-cli` and `redis-benchmark`.
//!
//! ```text
//! cargo run --release --example redis_server                  # listen on 6379
//! cargo run --release --example redis_server -- --port 7000
//! cargo run --release --example redis_server -- --port 7000 --loops 2  # two cores
//! cargo run --release --example redis_server -- --demo        # the tour's short run
//! redis-cli -p 7000 set greeting hello                        # in another terminal
//! redis-benchmark -p 7000 -q -n 200000 -c 50 -t set,get -P 16
//! ```
//!
//! It speaks `PING ECHO GET SET(EX|PX|NX|XX) DEL EXISTS INCR DECR INCRBY
//! DECRBY MGET MSET EXPIRE PEXPIRE TTL PTTL PUBLISH SUBSCRIBE UNSUBSCRIBE
//! QUIT`, plus what the Redis tools send when they start (`COMMAND`,
//! `CONFIG GET`, `CLIENT SETNAME`, `HELLO`). Read the files in order:
//!
//! - `resp.rs`: the wire protocol — parsing commands in place, writing replies;
//! - `commands.rs`: from a command to its reply, with Redis's error texts;
//! - `db.rs`: the keyspace and its deadlines;
//! - `pubsub.rs`: channels, and a bounded queue per subscriber;
//! - `server.rs`: a connection's loop — read, run every command, write once;
//! - `keyspace.rs` and `loops.rs`: the same server on several loops, one per
//!   core, sharing one keyspace and one set of channels.
//!
//! This file is the process around them: arguments, the stop on Ctrl-C or
//! SIGTERM (corio::signal), and the demo.

mod commands;
mod db;
mod keyspace;
mod loops;
mod pubsub;
mod resp;
mod server;

use std::io;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Duration;

use corio::streams::{StreamReader, StreamWriter};
use server::RedisServer;

#[path = "../../support/mod.rs"]
mod support;

const FLAGS: &str = "\
--port PORT  listen on 127.0.0.1:PORT (default 6379; 0 lets the OS choose)
             until Ctrl-C or SIGTERM
--loops N    serve on N corio loops, one thread each (default 1), each with
             its own SO_REUSEPORT listener; one keyspace for all of them
--demo       start on a free port, run a short scripted conversation, stop";

const DEFAULT_PORT: u16 = 6379;
/// How long clients get to leave after a stop signal.
const GRACE: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let mut args = support::args(include_str!("main.rs"), FLAGS);
    let run_demo = args.flag("--demo");
    let port = args.value("--port").unwrap_or(DEFAULT_PORT);
    let loops = args.value("--loops").map_or(1, NonZeroUsize::get);
    args.done();
    if run_demo {
        corio::run(support::within(Duration::from_secs(20), demo()))
    } else if loops == 1 {
        corio::run(serve_until_signal(port))
    } else {
        serve_on_loops(loops, port)
    }
}

async fn serve_until_signal(port: u16) -> ExitCode {
    // Listen for the signals before serving: one sent early is not lost.
    let stop = match support::shutdown_signal() {
        Ok(stop) => stop,
        Err(e) => {
            eprintln!("redis_server: cannot listen for signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = match RedisServer::start("127.0.0.1", port).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("redis_server: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "redis_server: ready on 127.0.0.1:{}; try: redis-cli -p {} ping",
        server.port(),
        server.port()
    );
    let why = stop.await;
    let connected = server.connections();
    let stayed = server.shut_down(GRACE).await;
    println!(
        "redis_server: stopped on {why}: closed {connected} connection(s), \
         {stayed} still open after {} s",
        GRACE.as_secs()
    );
    ExitCode::SUCCESS
}

/// `--loops N`: the server on N loops until Ctrl-C or SIGTERM (`loops.rs`).
/// The signals are awaited on loop 0; the main thread starts and stops.
fn serve_on_loops(loops: usize, port: u16) -> ExitCode {
    let rt = match corio::multi_loop::Runtime::builder().loops(loops).build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("redis_server: cannot start {loops} loops: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Listen for the signals before serving: one sent early is not lost.
    let (listening, is_listening) = std::sync::mpsc::channel();
    let stop = rt.spawn_on(0, move || async move {
        match support::shutdown_signal() {
            Ok(stop) => {
                let _ = listening.send(Ok(()));
                stop.await
            }
            Err(e) => {
                let _ = listening.send(Err(e));
                "no signals"
            }
        }
    });
    match is_listening.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            eprintln!("redis_server: cannot listen for signals: {e}");
            return ExitCode::FAILURE;
        }
        Err(_) => return ExitCode::FAILURE,
    }
    let server = match loops::OnLoops::start(&rt, port, GRACE) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("redis_server: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "redis_server: ready on 127.0.0.1:{} with {loops} loops; try: redis-cli -p {} ping",
        server.port(),
        server.port()
    );
    let why = stop.wait().unwrap_or("a failed signal task");
    let per_loop = server.connections_per_loop();
    let stayed = server.shut_down();
    println!(
        "redis_server: stopped on {why}: connections accepted per loop {per_loop:?}, \
         {stayed} still open after {} s",
        GRACE.as_secs()
    );
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------
// The demo: the server and two clients in one process, on one loop.
// ---------------------------------------------------------------------------

async fn demo() -> io::Result<()> {
    let server = RedisServer::start("127.0.0.1", 0).await?;
    println!("redis server listening (on a port the OS chose)");
    let (mut reader, writer) = corio::open_connection("127.0.0.1", server.port()).await?;
    let (r, w) = (&mut reader, &writer);
    ask(r, w, &["PING"]).await?;
    ask(r, w, &["SET", "greeting", "hello"]).await?;
    ask(r, w, &["GET", "greeting"]).await?;
    ask(r, w, &["INCR", "visits"]).await?;
    ask(r, w, &["INCRBY", "visits", "41"]).await?;
    ask(r, w, &["SET", "soon-gone", "x", "PX", "50"]).await?;
    ask(r, w, &["EXISTS", "soon-gone"]).await?;
    corio::time::sleep(Duration::from_millis(80)).await;
    println!("(80 ms later: the key's corio timer fired)");
    ask(r, w, &["EXISTS", "soon-gone"]).await?;
    ask(r, w, &["FLY", "away"]).await?;
    ask(r, w, &["GET"]).await?;

    println!("three commands in one write (a pipeline), three replies:");
    send(w, &[&["SET", "a", "1"], &["INCR", "a"], &["GET", "a"]]).await?;
    for _ in 0..3 {
        println!("  {}", read_reply(r).await?);
    }

    println!("a second client subscribes to 'news'; the first publishes:");
    let (mut sub_reader, sub_writer) = corio::open_connection("127.0.0.1", server.port()).await?;
    send(&sub_writer, &[&["SUBSCRIBE", "news"]]).await?;
    println!("  subscriber: {}", read_array(&mut sub_reader).await?);
    ask(r, w, &["PUBLISH", "news", "corio speaks RESP"]).await?;
    println!("  subscriber: {}", read_array(&mut sub_reader).await?);

    println!("both clients hang up; the server stops");
    w.close();
    sub_writer.close();
    let stayed = server.shut_down(GRACE).await;
    println!("server stopped ({stayed} client(s) still connected)");
    Ok(())
}

/// Sends one command and prints it with its reply.
async fn ask(reader: &mut StreamReader, writer: &StreamWriter, words: &[&str]) -> io::Result<()> {
    send(writer, &[words]).await?;
    let reply = read_reply(reader).await?;
    println!("> {:<28} {reply}", words.join(" "));
    Ok(())
}

/// Reads an array reply of simple replies, rendered on one line.
async fn read_array(reader: &mut StreamReader) -> io::Result<String> {
    let header = reader.readline().await?;
    let header = String::from_utf8_lossy(&header);
    let len: usize = header.trim_end()[1..].parse().map_err(io::Error::other)?;
    let mut items = Vec::new();
    for _ in 0..len {
        items.push(read_reply(reader).await?);
    }
    Ok(format!("[{}]", items.join(", ")))
}

/// Writes `commands` as RESP arrays in one write: a pipeline.
async fn send(writer: &StreamWriter, commands: &[&[&str]]) -> io::Result<()> {
    let mut out = Vec::new();
    for words in commands {
        resp::array_header(&mut out, words.len());
        for word in *words {
            resp::bulk(&mut out, word.as_bytes());
        }
    }
    writer.write(&out)?;
    writer.drain().await
}

/// Reads one reply and renders it as redis-cli would.
async fn read_reply(reader: &mut StreamReader) -> io::Result<String> {
    let line = reader.readline().await?;
    let text = String::from_utf8_lossy(&line).trim_end().to_string();
    Ok(match text.split_at(1) {
        ("+", status) => status.to_string(),
        ("-", error) => format!("(error) {error}"),
        (":", n) => format!("(integer) {n}"),
        ("$", "-1") => "(nil)".to_string(),
        ("$", len) => {
            let len: usize = len.parse().map_err(io::Error::other)?;
            let data = reader.readexactly(len + 2).await?;
            format!("{:?}", String::from_utf8_lossy(&data[..len]))
        }
        _ => format!("(unexpected) {text}"),
    })
}
