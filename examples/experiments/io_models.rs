//! io_models: seed 001's five IO models, one small echo server each, for the
//! same N clients — throughput, the server's CPU time, and its threads.
//!
//! Seed 001 (001_7324ebc2c720d5cc.txt), "I/O模型" (section 6.4), lists them
//! as headings with no text: 阻塞I/O (blocking), 非阻塞I/O (non-blocking),
//! I/O多路复用 (multiplexing), 异步I/O (asynchronous), 信号驱动I/O（不常用）
//! (signal-driven, rarely used). Here is each as a server:
//!
//! * blocking — a thread per connection, each asleep in `read`;
//! * non-blocking — one thread asking every socket in turn, never sleeping;
//! * multiplexing — one thread asleep in `mio::Poll` (epoll) until a socket
//!   is ready;
//! * async — corio tasks, one per connection, on that same kind of loop;
//! * signal-driven — `O_ASYNC` sockets that send the thread `SIGIO`, taken
//!   with `sigtimedwait`, then a scan of every socket (a plain `SIGIO` does
//!   not say which one).
//!
//! Each client (a blocking thread, the same for every model) sends a 64-byte
//! message and waits for its echo, again and again. Read the CPU column with
//! the wall one: busy polling spends a whole core on asking; the blocking
//! server spends a thread per client; multiplexing and corio serve everyone
//! from one thread that sleeps when nothing is ready. ("异步I/O" in the
//! POSIX sense — aio_read, io_uring, the kernel doing the copy and telling
//! you when it is done — is not what asyncio or corio do: they multiplex
//! readiness and then read themselves.)
//!
//! Run it with `cargo run --release --example io_models` (`-- --quick` for
//! fewer messages; in the tour).

#[path = "../support/mod.rs"]
mod support;

#[path = "io/mod.rs"]
mod io;

use io::Model;

fn main() {
    let mut args = support::args(
        include_str!("io_models.rs"),
        "--quick      8 clients × 500 messages (instead of 32 × 2,000)",
    );
    let quick = args.flag("--quick");
    args.done();
    let (clients, messages) = if quick { (8, 500) } else { (32, 2_000) };
    println!(
        "{clients} clients × {messages} round trips of {} bytes, per model\n",
        io::MESSAGE
    );
    println!(
        "| model | wall | round trips / s | server CPU | server CPU ÷ wall | server threads |"
    );
    println!("|---|---|---|---|---|---|");
    for model in Model::ALL {
        match io::run(model, clients, messages) {
            Ok(m) => println!(
                "| {} | {:.0} ms | {:.0} | {:.0} ms | {:.2} | {} |",
                model.name(),
                m.wall.as_secs_f64() * 1e3,
                m.throughput,
                m.server.cpu.as_secs_f64() * 1e3,
                m.server.cpu.as_secs_f64() / m.wall.as_secs_f64(),
                m.server.threads
            ),
            Err(e) => println!("| {} | failed: {e} | | | | |", model.name()),
        }
    }
}
