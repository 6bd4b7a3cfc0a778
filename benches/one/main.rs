//! one: a single member of one workload, run a given number of times with
//! nothing else in the process — for tools that count rather than time
//! (`strace -c -f`, `perf stat`, `valgrind --tool=callgrind`), where the
//! comparison runner's other members and warm-up would blur the count.
//!
//! ```sh
//! cargo build --release -p corio-benches --bin one
//! target/release/one tcp_echo_2t "corio-loops local" 1
//! strace -c -f target/release/one tcp_echo_2t tokio-mt 1
//! target/release/one tcp_echo_2t          # lists the members
//! ```
//!
//! It builds the member's runtime, runs the workload N times (default 1; no
//! warm-up) and prints each run's wall time; every run asserts its result as
//! in `compare`.

#[path = "../workloads/mod.rs"]
mod workloads;

use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: one WORKLOAD [MEMBER [RUNS]]  (without MEMBER: list the members)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let all = workloads::all();
    let Some(workload) = all.into_iter().find(|w| w.name == name) else {
        eprintln!("one: no workload {name}");
        return ExitCode::FAILURE;
    };
    let labels: Vec<&str> = workload.members.iter().map(|m| m.label).collect();
    let Some(label) = args.get(1) else {
        println!("{}", labels.join("\n"));
        return ExitCode::SUCCESS;
    };
    let Some(member) = workload.members.iter().find(|m| m.label == label) else {
        eprintln!("one: {name} has no member {label:?}; it has {labels:?}");
        return ExitCode::FAILURE;
    };
    let runs: usize = match args.get(2).map(|r| r.parse()) {
        None => 1,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("one: RUNS must be a positive number\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let mut run = (member.make)();
    for _ in 0..runs {
        let t = Instant::now();
        run();
        let ran = t.elapsed();
        workloads::runtimes::settle();
        let settled = t.elapsed() - ran;
        print!("{name} {label}: {:.1} ms", ran.as_secs_f64() * 1e3);
        if settled.as_millis() > 0 {
            // A traced member: the writer thread finishing the trace's JSON.
            print!(
                " (then {:.0} ms writing the trace out)",
                settled.as_secs_f64() * 1e3
            );
        }
        println!();
    }
    ExitCode::SUCCESS
}
