//! idle_memory (`workloads/idle_memory.rs`): resident memory per idle task.
//!
//! Each runtime runs in a fresh child process (this same binary, re-executed
//! with `--child <runtime>`), so one runtime's freed-but-retained memory does
//! not count against the next. The measurement itself lives in
//! `workloads/idle_memory.rs` (shared with the `compare` runner): 200,000
//! tasks each awaiting a future that never completes, join handles kept in a
//! `Vec`, every task polled once, resident-memory growth ÷ 200,000.
//!
//! `cargo bench -p corio-benches --bench idle_memory`

mod workloads;

use workloads::idle_memory::{child, in_fresh_process, RUNTIMES, TASKS};

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
        let bytes = in_fresh_process(&exe, &["--child", rt.name()]);
        println!("idle_memory/{:<10} {bytes:>5} bytes/task", rt.name());
        results.push((rt, bytes));
    }
    let corio = results[0].1;
    let best_peer = results
        .iter()
        .filter(|(rt, _)| rt.is_single_thread_peer())
        .map(|r| r.1)
        .min()
        .unwrap();
    println!(
        "idle_memory/corio ÷ best single-thread peer = {:.2}",
        corio as f64 / best_peer as f64
    );
}
