//! idle_memory (BENCHMARKS.md): resident memory per idle task.
//!
//! Each runtime runs in a fresh child process (this same binary, re-executed
//! with `--child <runtime>`), so one runtime's freed-but-retained memory does
//! not count against the next. The child spawns 200,000 tasks, each awaiting
//! a future that never completes, keeps their join handles in a `Vec`, lets
//! every task be polled once (each bumps a counter on its first poll, and the
//! root yields until the count is complete), then reports resident-memory
//! growth ÷ 200,000 in bytes per task.
//!
//! `cargo bench --bench idle_memory`

use std::future::pending;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const TASKS: usize = 200_000;
const RUNTIMES: [&str; 4] = ["corio", "tokio-ct", "tokio-mt", "smol"];

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
/// polled once, and returns the bytes per task (handles included).
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
    ((rss_bytes() - before) / TASKS, handles)
}

fn child(runtime: &str) -> usize {
    match runtime {
        "corio" => {
            let lp = corio::EventLoop::new();
            let before = rss_bytes();
            lp.block_on(async {
                measure(before, || corio::spawn(idle()), corio::yield_now)
                    .await
                    .0
            })
        }
        "tokio-ct" | "tokio-mt" => {
            let rt = if runtime == "tokio-ct" {
                tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap()
            } else {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .build()
                    .unwrap()
            };
            let before = rss_bytes();
            rt.block_on(async {
                measure(before, || tokio::spawn(idle()), tokio::task::yield_now)
                    .await
                    .0
            })
        }
        "smol" => {
            let ex = smol::LocalExecutor::new();
            let before = rss_bytes();
            smol::block_on(ex.run(async {
                measure(before, || ex.spawn(idle()), smol::future::yield_now)
                    .await
                    .0
            }))
        }
        other => panic!("unknown runtime {other}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        println!("{}", child(&args[i + 1]));
        return;
    }
    let exe = std::env::current_exe().unwrap();
    println!("idle_memory: {TASKS} idle tasks, resident bytes per task (fresh process each)");
    let mut results = Vec::new();
    for rt in RUNTIMES {
        let out = Command::new(&exe)
            .args(["--child", rt])
            .output()
            .expect("run child");
        assert!(
            out.status.success(),
            "{rt} child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        println!("idle_memory/{rt:<10} {bytes:>5} bytes/task");
        results.push((rt, bytes));
    }
    let best_peer = results[1..]
        .iter()
        .filter(|(rt, _)| *rt != "tokio-mt")
        .map(|r| r.1)
        .min()
        .unwrap();
    println!(
        "idle_memory/corio ÷ best single-thread peer = {:.2}",
        results[0].1 as f64 / best_peer as f64
    );
}
