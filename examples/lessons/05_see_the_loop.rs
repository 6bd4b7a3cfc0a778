//! see_the_loop: the event loop drawn as it ran — the trace of a three-task
//! program printed as an ASCII timeline, then the loop's counters
//! (`LoopStats`).
//!
//! The seeds' first lesson is the loop itself (seed 001, "事件循环": the loop
//! picks a ready task, runs it until it waits, and sleeps when nothing is
//! ready). Here three tasks wait on three different things: `sleeper` on a
//! 20 ms timer, `reader` on a socket that the main task writes to after
//! 10 ms, and `gatherer` on `gather` of two short sleeps. The loop records a
//! trace (`EventLoop::builder().trace(path)`); this example reads it back and
//! prints one column per turn of the loop: `#` where a task ran a step, and
//! on the `loop` row where the loop parked and what woke it.
//!
//! The same run as a picture you can hover:
//!   CORIO_TRACE=trace.json cargo run --example see_the_loop
//!   cargo run --example timeline -- trace.json > timeline.html
//! (any example works with CORIO_TRACE; open timeline.html in a browser).

#[path = "../support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use serde_json::Value;

fn main() {
    support::args(include_str!("05_see_the_loop.rs"), "").done();
    // Record into CORIO_TRACE when it is set, else into a temporary file.
    let (path, keep) = match std::env::var_os("CORIO_TRACE") {
        Some(path) => (PathBuf::from(path), true),
        None => (
            std::env::temp_dir().join(format!("corio-see-the-loop-{}.json", std::process::id())),
            false,
        ),
    };
    let lp = corio::EventLoop::builder()
        .trace(&path)
        .build()
        .expect("a loop and a trace file");
    lp.block_on(three_tasks());
    let stats = lp.stats();
    drop(lp); // closing the loop writes the rest of the trace

    let text = std::fs::read_to_string(&path).expect("the trace the loop wrote");
    let events: Vec<Value> = serde_json::from_str(&text).expect("valid trace JSON");
    println!();
    print!("{}", ascii_timeline(&events));
    println!();
    println!("LoopStats: {stats:?}");
    if keep {
        println!("\nthe trace is in {}; draw it with", path.display());
        println!(
            "  cargo run --example timeline -- {} > timeline.html",
            path.display()
        );
    } else {
        let _ = std::fs::remove_file(&path);
        println!(
            "\nto draw this run as a page: CORIO_TRACE=trace.json cargo run --example see_the_loop"
        );
        println!("then: cargo run --example timeline -- trace.json > timeline.html");
    }
}

/// A sleep, a socket and a gather, each in its own task.
async fn three_tasks() {
    let sleeper = corio::task::Builder::new()
        .name("sleeper")
        .spawn(corio::time::sleep(Duration::from_millis(20)));

    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    let reader = corio::task::Builder::new()
        .name("reader")
        .spawn(async move {
            let (conn, _) = listener.accept().await.expect("a connection");
            let mut buf = [0u8; 5];
            conn.read_exact(&mut buf).await.expect("five bytes");
            String::from_utf8_lossy(&buf).into_owned()
        });

    let gatherer = corio::task::Builder::new().name("gatherer").spawn(async {
        let naps = [5, 15].map(|ms| {
            corio::task::Builder::new()
                .name(format!("nap-{ms}ms"))
                .spawn(corio::time::sleep(Duration::from_millis(ms)))
        });
        corio::gather(naps).await.expect("two naps").len()
    });

    let client = TcpStream::connect(addr).await.expect("connect");
    corio::time::sleep(Duration::from_millis(10)).await;
    client.write_all(b"hello").await.expect("write");

    println!("reader read {:?}", reader.await.expect("the reader"));
    println!(
        "gatherer gathered {} naps",
        gatherer.await.expect("the gatherer")
    );
    sleeper.await.expect("the sleeper");
    println!("sleeper woke");
}

/// One row per task, one column per turn of the loop.
fn ascii_timeline(events: &[Value]) -> String {
    let ns = |v: &Value| (v.as_f64().unwrap_or(0.0) * 1000.0).round() as u64;
    let span = |e: &Value| (ns(&e["ts"]), ns(&e["ts"]) + ns(&e["dur"]));
    let mut turns: Vec<(u64, u64)> = events
        .iter()
        .filter(|e| e["name"] == "iteration")
        .map(span)
        .collect();
    turns.sort_unstable();
    let turn_of = |t: u64| turns.iter().position(|&(a, b)| a <= t && t <= b);

    // Rows in order of first step: (name, columns).
    let mut rows: Vec<(String, Vec<char>)> = Vec::new();
    let mut loop_row = vec!['.'; turns.len()];
    for e in events.iter().filter(|e| e["ph"] == "X") {
        let Some(turn) = turn_of(span(e).0) else {
            continue;
        };
        if e["cat"] == "step" {
            let name = e["name"].as_str().unwrap_or("?").to_string();
            let at = match rows.iter().position(|(n, _)| *n == name) {
                Some(at) => at,
                None => {
                    rows.push((name, vec!['.'; turns.len()]));
                    rows.len() - 1
                }
            };
            rows[at].1[turn] = '#';
        } else if e["name"] == "park" {
            loop_row[turn] = match e["args"]["woken_by"].as_str() {
                Some("timer") => 't',
                Some("io") => 'i',
                Some("another thread") => 'x',
                _ => '-',
            };
        }
    }
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(4).max(5);
    let mut out = String::new();
    let numbers: String = (1..=turns.len())
        .map(|t| char::from(b'0' + (t % 10) as u8))
        .collect();
    out.push_str(&format!("{:<width$}  {numbers}\n", "turn"));
    for (name, cols) in &rows {
        out.push_str(&format!(
            "{name:<width$}  {}\n",
            cols.iter().collect::<String>()
        ));
    }
    out.push_str(&format!(
        "{:<width$}  {}\n",
        "loop",
        loop_row.iter().collect::<String>()
    ));
    out.push_str(
        "\n# a step of that task in that turn; on the loop row, the turn parked and was\n\
         woken by t a timer, i a socket, x another thread (- it did not sleep).\n",
    );
    out
}
