//! multi_loop: one corio loop per core — a `SO_REUSEPORT` echo server with a
//! listener on every loop, a `Send` channel back to the main thread, and a
//! look at each loop's tasks.
//!
//! asyncio has one loop per thread; so does corio. `corio::multi_loop::Runtime`
//! runs N such loops on N threads. Each loop here binds its own listener on
//! one shared port, and the kernel spreads the incoming connections over
//! them: every connection is then served, start to end, by one loop.
//!
//! Run it with `cargo run --example multi_loop` (`-- --loops 4` for four loops).

use std::io::{Read, Write};
use std::num::NonZeroUsize;

use corio::multi_loop::{channel, Runtime};
use corio::net::{bind_reuseport_std, TcpListener};

#[path = "../support/mod.rs"]
mod support;

const FLAGS: &str = "--loops N    N loops instead of 2";

const CLIENTS: usize = 8;

fn main() {
    let mut args = support::args(include_str!("19_multi_loop.rs"), FLAGS);
    let loops = args.value("--loops").map_or(2, NonZeroUsize::get);
    args.done();
    let rt = Runtime::builder().loops(loops).build().expect("the loops");
    println!("{} loops on {} threads", rt.loops(), rt.loops());

    // One listener per loop, all on one port.
    let first = bind_reuseport_std("127.0.0.1:0").expect("a free port");
    let addr = first.local_addr().unwrap();
    let mut listeners = vec![first];
    for _ in 1..loops {
        listeners.push(bind_reuseport_std(addr).expect("SO_REUSEPORT on the same port"));
    }

    // Each connection reports which loop served it, over a Send channel.
    let (served_by, served) = channel();
    for (i, std_listener) in listeners.into_iter().enumerate() {
        let served_by = served_by.clone();
        // The closure is Send; the future it builds (with its !Send
        // listener) is made on loop i and never leaves it.
        rt.spawn_on(i, move || async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let served_by = served_by.clone();
                corio::spawn(async move {
                    let mut buf = [0; 64];
                    let n = stream.read(&mut buf).await.unwrap();
                    stream.write_all(&buf[..n]).await.unwrap();
                    served_by.send(i).unwrap();
                });
            }
        });
    }
    drop(served_by);

    for c in 0..CLIENTS {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let msg = format!("hello {c}");
        s.write_all(msg.as_bytes()).unwrap();
        let mut back = vec![0; msg.len()];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, msg.as_bytes());
    }
    let per_loop = rt.block_on(async move {
        let mut per_loop = vec![0; loops];
        for _ in 0..CLIENTS {
            per_loop[served.recv().await.unwrap()] += 1;
        }
        per_loop
    });
    for (i, n) in per_loop.iter().enumerate() {
        println!("loop {i} served {n} of the {CLIENTS} connections");
    }

    println!("\nthe runtime's tasks, loop by loop (each loop's accept loop and the driver reporting it back):");
    for task in rt.handle().all_tasks() {
        println!("  {task}");
    }

    // Shutting down closes every loop on its own thread, cancelling the
    // accept loops as corio::run cancels what its main task left.
    rt.shutdown().expect("no loop thread panicked");
    println!("shut down: every loop closed");
}
