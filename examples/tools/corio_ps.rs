//! corio_ps: the task list of a running corio program, asyncio 3.14's
//! `python -m asyncio ps PID`.
//!
//! Start any corio program with `CORIO_INSPECT=/tmp/app.sock` (or build its
//! loop with `EventLoop::builder().inspect(path)`), then, while it runs:
//!   cargo run --example corio_ps -- /tmp/app.sock
//! prints its task table (id, name, state, polls, spawn site) and the await
//! tree (who awaits whom, deadlocks), taken between two steps of the loop
//! without stopping it. If the loop is stuck inside one step, the answer says
//! so and names that step's task instead of hanging.
//!
//! Try it on the echo server: `CORIO_INSPECT=/tmp/echo.sock cargo run
//! --example echo_server -- --serve` in one terminal, this in another.
//! Run without a socket path, it starts a small program of its own, inspects
//! it once and exits (that is what the tour shows).

#[path = "../support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args = support::args(
        include_str!("corio_ps.rs"),
        "SOCKET       the path a running program serves (its CORIO_INSPECT)",
    );
    match args.rest().as_slice() {
        [socket] => match ask(Path::new(socket)) {
            Ok(answer) => {
                print!("{answer}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("corio_ps: cannot read {socket}: {e} (is the program running with CORIO_INSPECT={socket}?)");
                ExitCode::FAILURE
            }
        },
        [] => {
            demo();
            ExitCode::SUCCESS
        }
        [_, extra, ..] => support::fail(&format!("unexpected argument {extra:?}")),
    }
}

/// One request, one answer: the server closes the connection after it.
fn ask(socket: &Path) -> std::io::Result<String> {
    let mut conn = UnixStream::connect(socket)?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    conn.write_all(b"ps\n")?;
    let mut answer = String::new();
    conn.read_to_string(&mut answer)?;
    Ok(answer)
}

/// A program with a few tasks waiting on each other, inspected from a
/// thread while it runs.
fn demo() {
    let socket = std::env::temp_dir().join(format!("corio-ps-demo-{}.sock", std::process::id()));
    let lp = corio::EventLoop::builder()
        .inspect(&socket)
        .build()
        .expect("a loop and its inspector socket");
    println!("a program serving its task list on {}", socket.display());
    let client_socket = socket.clone();
    lp.block_on(async move {
        let fetchers: Vec<_> = (1..=3)
            .map(|i| {
                corio::task::Builder::new()
                    .name(format!("fetch-{i}"))
                    .spawn(corio::time::sleep(Duration::from_millis(200 * i)))
            })
            .collect();
        let gather = corio::task::Builder::new()
            .name("gatherer")
            .spawn(async move { corio::gather(fetchers).await.map(|v| v.len()) });
        // corio_ps runs on another thread, as it would in another process.
        let asked = std::thread::spawn(move || ask(&client_socket));
        let answer = loop {
            if asked.is_finished() {
                break asked.join().expect("the client thread");
            }
            corio::time::sleep(Duration::from_millis(5)).await;
        };
        println!("$ corio_ps {}", socket.display());
        print!("{}", answer.expect("an answer"));
        gather.await.expect("gathered").expect("no failure");
    });
}
