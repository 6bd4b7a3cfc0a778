//! which_model: one CPU-bound job (hashing) and one IO-bound job (waiting on
//! a timer), each run sequentially, on a thread pool, on a process pool and
//! as corio tasks — wall time and CPU time per cell.
//!
//! The question all the seeds circle. Seed 001 (001_7324ebc2c720d5cc.txt)
//! lists the models — multiprocessing's `Pool`, `ProcessPoolExecutor`,
//! `ThreadPoolExecutor`, "gevent模块" — and under "全局解释器锁（GIL）" says
//! CPython's memory management is not thread-safe, hence the lock; seed 002
//! (002_91d394b32148c5e0.txt), "GIL锁": "用户看到的就是'伪'并行" (what you
//! see is fake parallelism: Python threads take turns); seed 004
//! (004_33ed81a21a39372b.txt), "多任务-进程" (进程池Pool) and "多任务-协程"
//! (gevent: "当一个greenlet遇到IO…就自动切换到其他的greenlet" — a greenlet
//! that meets IO switches to another by itself). Here is the comparison
//! they imply, with numbers, in Rust.
//!
//! Reading the table. CPU-bound: sequential takes the sum of the jobs; the
//! thread pool divides it by the cores — Rust threads are OS threads with
//! no interpreter lock, so two threads hash on two cores at once, where
//! CPython's GIL lets one Python thread run bytecode at a time and a thread
//! pool of pure-Python hashing is no faster than a loop (CPython's answer is
//! the process pool, which Rust does not need for this). The process pool
//! also divides by the cores, paying a process start per job. corio tasks
//! are as slow as sequential: a task runs until it awaits, on the loop's one
//! thread, so CPU work in a task blocks the loop — send it to
//! `run_in_executor` instead. IO-bound: the CPU time is near zero
//! everywhere; what differs is how many waits overlap — sequential none, the
//! pool as many as it has threads or processes, corio tasks all of them on
//! one thread, for the cost of a timer each. CPU ÷ wall is how many cores a
//! model kept busy at once: on a machine whose cores other programs are
//! using (see the load average printed first) the pools get no more than
//! what is left, and their CPU-bound rows fall toward sequential.
//!
//! gevent's green threads (seeds 001 and 004) are, in corio's terms, tasks whose
//! awaits are hidden: gevent patches the blocking calls (socket, sleep) so
//! that each switches to its hub — an event loop like corio's — and the
//! green thread resumes when its fd or timer is ready. corio makes every
//! such switch an explicit `.await`; the scheduling is the same.
//!
//! The process pool is `corio::executor::ProcessPoolExecutor`: worker
//! processes of this same binary, the jobs registered by name.
//! Run it with `cargo run --release --example which_model` (`-- --quick`
//! for smaller jobs; in the tour).

#[path = "../support/mod.rs"]
mod support;

#[path = "which/mod.rs"]
mod which;

use std::time::Duration;

use which::{Model, Work};

fn main() {
    // A process pool worker is this binary again: it serves here.
    which::registry().serve_if_worker();
    let mut args = support::args(
        include_str!("which_model.rs"),
        "--quick      smaller jobs (a few seconds)",
    );
    let quick = args.flag("--quick");
    args.done();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let workers = 4;
    let cpu = Work::Cpu {
        count: 8,
        rounds: if quick { 200_000 } else { 1_000_000 },
    };
    let io = Work::Io {
        count: if quick { 32 } else { 128 },
        wait: Duration::from_millis(20),
    };
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().next().unwrap_or("?");
    println!("{cores} cores (1-minute load average {load}); pools of {workers} workers");
    println!("CPU-bound: {cpu:?}");
    println!("IO-bound:  {io:?}\n");
    println!("| job | model | wall | CPU | CPU ÷ wall | checksum |");
    println!("|---|---|---|---|---|---|");
    for (kind, work) in [("CPU-bound", cpu), ("IO-bound", io)] {
        let mut checksums = Vec::new();
        for model in Model::ALL {
            let m = which::run(work, model, workers, &[]);
            println!(
                "| {kind} | {} | {:.1} ms | {:.1} ms | {:.2} | {:016x} |",
                model.name(),
                m.wall.as_secs_f64() * 1e3,
                m.cpu.as_secs_f64() * 1e3,
                m.cpu.as_secs_f64() / m.wall.as_secs_f64(),
                m.checksum
            );
            checksums.push(m.checksum);
        }
        assert!(
            checksums.windows(2).all(|w| w[0] == w[1]),
            "every model computes the same results"
        );
    }
    println!("\nevery model computed the same checksum for each job kind");
}
