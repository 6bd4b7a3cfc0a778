//! idle_memory: resident memory per idle task, measured in a fresh process.
//!
//! The measuring process ([`child`]) spawns 200,000 tasks, each awaiting a
//! future that never completes, keeps their join handles in a `Vec`, lets
//! every task be polled once (each bumps a counter on its first poll, and
//! the root yields until the count is complete), then reports resident-memory
//! growth ÷ 200,000 in bytes per task.
//!
//! Each runtime runs in its own fresh process so that one runtime's
//! freed-but-retained memory does not count against the next: the caller
//! re-executes its own binary with a flag that makes it call [`child`]
//! ([`in_fresh_process`]).

use std::future::pending;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::runtimes::{corio, smol, tokio_ct, tokio_mt};
use super::Rt;

pub const TASKS: usize = 200_000;
/// The runtimes measured, in table order.
pub const RUNTIMES: [Rt; 4] = [Rt::Corio, Rt::TokioCt, Rt::TokioMt, Rt::Smol];

static POLLED: AtomicUsize = AtomicUsize::new(0);

/// Resident set size of this process, in bytes (Linux: /proc/self/statm).
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm (Linux)");
    let resident: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    resident * 4096
}

async fn idle() {
    POLLED.fetch_add(1, Ordering::Relaxed);
    pending::<()>().await
}

/// Spawns the idle tasks with `spawn`, yields with `yield_now` until each was
/// polled once, and returns the bytes per task (handles included), with the
/// handles (dropped after the measurement).
async fn measure<H, Y: std::future::Future<Output = ()>>(
    before: usize,
    spawn: impl Fn() -> H,
    yield_now: impl Fn() -> Y,
) -> (usize, Vec<H>) {
    let mut handles = Vec::with_capacity(TASKS);
    for _ in 0..TASKS {
        handles.push(spawn());
    }
    while POLLED.load(Ordering::Relaxed) < TASKS {
        yield_now().await;
    }
    assert_eq!(POLLED.load(Ordering::Relaxed), TASKS);
    assert_eq!(handles.len(), TASKS);
    ((rss_bytes() - before) / TASKS, handles)
}

/// The measurement, in the process that is to make it: bytes per idle task
/// on the runtime named `runtime`. Call it once per process.
pub fn child(runtime: &str) -> usize {
    match runtime {
        "corio" => {
            let lp = corio();
            let before = rss_bytes();
            lp.block_on(async {
                measure(before, || corio::spawn(idle()), corio::yield_now)
                    .await
                    .0
            })
        }
        "tokio-ct" | "tokio-mt" => {
            let rt = if runtime == "tokio-ct" {
                tokio_ct()
            } else {
                tokio_mt()
            };
            let before = rss_bytes();
            rt.block_on(async {
                measure(before, || tokio::spawn(idle()), tokio::task::yield_now)
                    .await
                    .0
            })
        }
        "smol" => {
            let rt = smol();
            let before = rss_bytes();
            rt.block_on(async {
                measure(before, || rt.0.spawn(idle()), smol::future::yield_now)
                    .await
                    .0
            })
        }
        other => panic!("idle_memory: unknown runtime {other}"),
    }
}

/// Runs `exe` with `args` (which must make it print [`child`]'s result and
/// nothing else on stdout) and returns the bytes per task it printed.
pub fn in_fresh_process(exe: &Path, args: &[&str]) -> usize {
    let out = Command::new(exe)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("idle_memory: cannot run {}: {e}", exe.display()));
    assert!(
        out.status.success(),
        "idle_memory child {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("idle_memory child {args:?} printed {text:?}"))
}
