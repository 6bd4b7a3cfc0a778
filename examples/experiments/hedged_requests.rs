//! hedged_requests: seed 002's blank table, measured — sequential retry
//! against concurrent and hedged requests, to a server with random peaks.
//!
//! Seed 002 (002_91d394b32148c5e0.txt), "编程实例" (a programming example):
//!
//! * "问题" (the problem): "client请求server，请求时server可能处于流量峰值，
//!   从而中断了client的请求，流量的峰值随机出现，假设client对于请求有时间限制t
//!   … 如何提高成功的概率？" — the server may be at a traffic peak and break
//!   the request; peaks come at random; the client must have its answer
//!   within t. How to raise the chance of success?
//! * "设计思路" (the design): sequential retry gets few tries before t, so
//!   "同时干" — open several connections at once, and any one that succeeds
//!   is a success; on processes, threads or coroutines, and coroutines for
//!   efficiency.
//! * "与顺序重试的测试对比" (the test against sequential retry): "left blank".
//!   This example fills it in.
//!
//! The server (its own thread and corio loop, on loopback) is in a peak
//! for 10, 30 or 50 % of the time; peaks last 20 ms on average and come
//! from a seeded xorshift process, so every strategy meets the same peaks.
//! In a peak it drops, resets or stalls each connection it accepts; in calm
//! it answers in ~1.5 ms, 4 % of the time in 15–40 ms. The client has
//! t = 80 ms. Strategies: sequential retry; k concurrent attempt loops as
//! tasks, the first answer winning (`corio::wait` with `FirstCompleted`)
//! and the rest cancelled; a staggered hedge that adds a loop only each
//! time the 95th-percentile latency passes unanswered; and the concurrent
//! design on threads. For each: success within t, p50 and p99 latency of
//! the answered trials, and requests sent per success (the load the
//! hedging costs). 1,000 trials per configuration, k = 1, 2, 4, 8.
//!
//! It prints a Markdown table and writes target/hedged_requests.svg.
//! Run it with `cargo run --release --example hedged_requests` (about two
//! minutes), or `-- --quick` (100 trials, k ≤ 4; in the tour).

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[path = "../support/mod.rs"]
mod support;

#[path = "hedged/mod.rs"]
mod hedged;

use hedged::client::percentile;
use hedged::client::Strategy;
use hedged::Plan;

fn main() {
    let mut args = support::args(
        include_str!("hedged_requests.rs"),
        "--quick      100 trials per configuration, k = 1, 2, 4 (under a minute)",
    );
    let quick = args.flag("--quick");
    args.done();
    let plan = Plan {
        duties: vec![0.10, 0.30, 0.50],
        ks: if quick {
            vec![1, 2, 4]
        } else {
            vec![1, 2, 4, 8]
        },
        trials: if quick { 100 } else { 1_000 },
        deadline: Duration::from_millis(80),
        mean_peak: Duration::from_millis(20),
        in_flight_tasks: 4,
        in_flight_threads: 4,
        seed: 2,
    };
    println!(
        "{} trials per configuration, t = {} ms, peaks of {} ms on average",
        plan.trials,
        plan.deadline.as_millis(),
        plan.mean_peak.as_millis()
    );
    let started = Instant::now();
    let mut last_duty = None;
    let rows = hedged::measure_all(&plan, |row| {
        if last_duty != Some(row.duty) {
            last_duty = Some(row.duty);
            print!("  duty {:.0} %:", row.duty * 100.0);
        }
        print!(" .");
        if matches!(row.strategy, Strategy::Threads) && Some(&row.k) == plan.ks.last() {
            println!(" ({:.1} s so far)", started.elapsed().as_secs_f64());
        }
        let _ = std::io::stdout().flush();
    });
    println!();
    print!("{}", hedged::table(&rows));

    let seq_and_best: Vec<String> = plan
        .duties
        .iter()
        .map(|&duty| {
            let in_duty = rows.iter().filter(|r| r.duty == duty);
            let seq = in_duty.clone().next().expect("sequential runs first");
            let best = in_duty
                .max_by(|a, b| {
                    a.outcome
                        .success_rate()
                        .total_cmp(&b.outcome.success_rate())
                })
                .expect("a duty has rows");
            format!(
                "duty {:.0} %: sequential {:.1} %, best {:.1} % ({}, k = {}, p99 {:.1} ms)",
                duty * 100.0,
                seq.outcome.success_rate() * 100.0,
                best.outcome.success_rate() * 100.0,
                best.strategy.name(),
                best.k,
                percentile(&best.outcome.latencies, 0.99).map_or(0.0, |d| d.as_secs_f64() * 1e3),
            )
        })
        .collect();
    println!();
    for line in seq_and_best {
        println!("{line}");
    }
    for &duty in &plan.duties {
        let mut seen = hedged::server::ServerCounts::default();
        for row in rows.iter().filter(|r| r.duty == duty) {
            seen.served += row.server.served;
            seen.dropped += row.server.dropped;
            seen.reset += row.server.reset;
            seen.stalled += row.server.stalled;
        }
        println!(
            "the server at duty {:.0} %: served {}, dropped {}, reset {}, stalled {}",
            duty * 100.0,
            seen.served,
            seen.dropped,
            seen.reset,
            seen.stalled
        );
    }

    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/hedged_requests.svg");
    let svg = hedged::plot::svg(&rows, plan.deadline.as_secs_f64() * 1e3);
    match std::fs::write(&path, svg) {
        Ok(()) => println!("\nplot written to {}", path.display()),
        Err(e) => println!("\ncould not write {} ({e})", path.display()),
    }
}
