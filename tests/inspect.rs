//! Integration tests for the live task list (`builder().inspect(path)`,
//! `CORIO_INSPECT`): a client on another thread gets the task table while
//! the loop runs, and a clear answer naming the task when the loop is stuck
//! inside a step.
//!
//! Waits here are bounded by generous deadlines (a minute), never by
//! assumed timings: the machine may be loaded.

#![cfg(unix)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use corio::EventLoop;

fn socket_path(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!("corio-inspect-{}-{test}.sock", std::process::id()))
}

fn ask(socket: &Path) -> String {
    let mut conn = UnixStream::connect(socket).expect("the inspector listens");
    conn.write_all(b"ps\n").expect("a request");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("an answer");
    answer
}

const PATIENCE: Duration = Duration::from_secs(60);

#[test]
fn inspector_answers_with_the_task_table_while_the_loop_runs() {
    let socket = socket_path("runs");
    let lp = EventLoop::builder()
        .inspect(&socket)
        .build()
        .expect("a loop");
    let client_socket = socket.clone();
    let answer = lp.block_on(async move {
        let _ticker = corio::task::Builder::new().name("ticker").spawn(async {
            loop {
                corio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        let client = std::thread::spawn(move || ask(&client_socket));
        let deadline = Instant::now() + PATIENCE;
        while !client.is_finished() {
            assert!(Instant::now() < deadline, "no answer within a minute");
            corio::time::sleep(Duration::from_millis(2)).await;
        }
        client.join().expect("the client")
    });
    assert!(answer.contains("ticker"), "{answer}");
    assert!(answer.contains("task(s) not done"), "{answer}");
    drop(lp);
    assert!(!socket.exists(), "closing the loop removes the socket");
}

#[test]
fn inspector_names_the_task_whose_step_blocks_the_loop() {
    let socket = socket_path("stuck");
    let lp = EventLoop::builder()
        .inspect(&socket)
        .build()
        .expect("a loop");
    let started = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicBool::new(false));
    let (client_started, client_answered, client_socket) =
        (started.clone(), answered.clone(), socket.clone());
    let client = std::thread::spawn(move || {
        let deadline = Instant::now() + PATIENCE;
        while !client_started.load(Ordering::Acquire) {
            assert!(Instant::now() < deadline, "the blocker never started");
            std::thread::sleep(Duration::from_millis(5));
        }
        let answer = ask(&client_socket);
        client_answered.store(true, Ordering::Release);
        answer
    });
    lp.block_on(async move {
        let blocker = corio::task::Builder::new()
            .name("blocker")
            .spawn(async move {
                // A step that never yields until the client has its answer:
                // the loop cannot run the inspector's callback meanwhile.
                started.store(true, Ordering::Release);
                let deadline = Instant::now() + PATIENCE;
                while !answered.load(Ordering::Acquire) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
            });
        blocker.await.expect("the blocker returns");
    });
    let answer = client.join().expect("the client");
    assert!(answer.contains("stuck inside a step of task"), "{answer}");
    assert!(
        answer.contains("(blocker, spawned at tests/inspect.rs:"),
        "{answer}"
    );
}

#[test]
fn an_inspect_socket_that_cannot_be_bound_is_a_build_error() {
    let missing = std::env::temp_dir()
        .join("corio-no-such-directory")
        .join("app.sock");
    assert!(EventLoop::builder().inspect(missing).build().is_err());
}

#[test]
fn tracing_and_inspecting_one_loop_together_both_work() {
    let socket = socket_path("both");
    let trace =
        std::env::temp_dir().join(format!("corio-inspect-{}-both.json", std::process::id()));
    let lp = EventLoop::builder()
        .inspect(&socket)
        .trace(&trace)
        .build()
        .expect("a loop");
    let client_socket = socket.clone();
    let answer = lp.block_on(async move {
        let client = std::thread::spawn(move || ask(&client_socket));
        let deadline = Instant::now() + PATIENCE;
        while !client.is_finished() {
            assert!(Instant::now() < deadline, "no answer within a minute");
            corio::time::sleep(Duration::from_millis(2)).await;
        }
        client.join().expect("the client")
    });
    drop(lp);
    assert!(answer.contains("task(s) not done"), "{answer}");
    let text = std::fs::read_to_string(&trace).expect("the trace");
    let _ = std::fs::remove_file(&trace);
    assert!(text.contains("\"outcome\":\"ready\""));
    assert!(text.contains("\"name\":\"park\""));
}
