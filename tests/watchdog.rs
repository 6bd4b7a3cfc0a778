//! Integration tests for debug mode's stuck-task watchdog: a task waiting
//! with no wake and no timer is reported once, with its await chain; a
//! sleeping task never is.
//!
//! The watchdog writes to stderr, so each scenario runs in a child process
//! (this test binary, re-run on one `#[ignore]`d test) whose stderr the
//! parent reads.

use std::future::poll_fn;
use std::process::Command;
use std::task::Poll;
use std::time::Duration;

use corio::EventLoop;

/// A debug loop whose watchdog reports after 50 ms.
fn watched() -> EventLoop {
    EventLoop::builder()
        .debug(true)
        .stuck_task_threshold(Duration::from_millis(50))
        .build()
        .expect("a loop")
}

/// The stderr of this binary run on the ignored test `name`.
fn stderr_of(name: &str) -> String {
    let out = Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("the child runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
#[ignore = "run by watchdog_reports_a_stuck_task_once_with_its_await_chain"]
fn child_with_a_stuck_task() {
    let lp = watched();
    lp.block_on(async {
        let inner = corio::task::Builder::new()
            .name("inner")
            .spawn(poll_fn(|_| Poll::<()>::Pending));
        let _outer = corio::task::Builder::new()
            .name("outer")
            .spawn(async move { inner.await.is_ok() });
        // Long enough for many checks (every 12.5 ms) past the threshold.
        corio::time::sleep(Duration::from_millis(400)).await;
    });
}

#[test]
fn watchdog_reports_a_stuck_task_once_with_its_await_chain() {
    let stderr = stderr_of("child_with_a_stuck_task");
    let reports: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("corio: stuck task"))
        .collect();
    assert_eq!(reports.len(), 1, "{stderr}");
    assert!(
        reports[0].contains("(inner, spawned at tests/watchdog.rs:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("awaited (await) by task 3 (outer, spawned at tests/watchdog.rs:"),
        "{stderr}"
    );
}

#[test]
#[ignore = "run by watchdog_never_reports_a_sleeping_task"]
fn child_with_a_sleeping_task() {
    let lp = watched();
    lp.block_on(async {
        let sleeper = corio::task::Builder::new()
            .name("sleeper")
            .spawn(corio::time::sleep(Duration::from_millis(400)));
        sleeper.await.expect("it wakes");
    });
}

#[test]
fn watchdog_never_reports_a_sleeping_task() {
    let stderr = stderr_of("child_with_a_sleeping_task");
    assert!(!stderr.contains("stuck task"), "{stderr}");
}
