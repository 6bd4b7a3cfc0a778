//! The pieces of `hedged_requests`, in a directory of their own so that
//! tests/hedged_requests.rs can run them on a tiny configuration.

pub mod client;
pub mod peaks;
pub mod plot;
pub mod server;

use std::time::Duration;

use client::{ClientConfig, Outcome, Strategy};
use server::{Server, ServerConfig, ServerCounts};

/// One measured line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub duty: f64,
    pub strategy: Strategy,
    pub k: usize,
    pub outcome: Outcome,
    /// What the server did with the connections.
    pub server: ServerCounts,
}

/// The sizes of a run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub duties: Vec<f64>,
    pub ks: Vec<usize>,
    pub trials: usize,
    pub deadline: Duration,
    pub mean_peak: Duration,
    /// Trials at once for the task strategies, and for the thread one.
    pub in_flight_tasks: usize,
    pub in_flight_threads: usize,
    pub seed: u64,
}

/// Measures one configuration against a fresh server (same seed, same peaks).
pub fn measure(plan: &Plan, duty: f64, strategy: Strategy, k: usize) -> Row {
    let server = Server::start(ServerConfig {
        seed: plan.seed,
        duty,
        mean_peak: plan.mean_peak,
    })
    .expect("a loopback server starts");
    let in_flight = match strategy {
        Strategy::Threads => plan.in_flight_threads,
        _ => plan.in_flight_tasks,
    };
    let outcome = client::run_trials(
        server.addr(),
        ClientConfig {
            strategy,
            k,
            deadline: plan.deadline,
            trials: plan.trials,
            in_flight,
        },
    );
    Row {
        duty,
        strategy,
        k,
        outcome,
        server: server.stop(),
    }
}

/// Every configuration of `plan`, calling `progress` after each. Per duty:
/// sequential retry first, whose answered attempts give the 95th percentile
/// the staggered hedge waits before each extra request; then the concurrent,
/// staggered (k ≥ 2: at k = 1 it is sequential retry) and thread strategies
/// for each k.
pub fn measure_all(plan: &Plan, mut progress: impl FnMut(&Row)) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut record = |row: Row| {
        progress(&row);
        rows.push(row);
    };
    for &duty in &plan.duties {
        let sequential = measure(plan, duty, Strategy::Sequential, 1);
        let after = client::percentile(&sequential.outcome.attempt_latencies, 0.95)
            .unwrap_or(plan.deadline / 4);
        record(sequential);
        for &k in &plan.ks {
            record(measure(plan, duty, Strategy::Concurrent, k));
        }
        for &k in plan.ks.iter().filter(|&&k| k >= 2) {
            record(measure(plan, duty, Strategy::Staggered { after }, k));
        }
        for &k in &plan.ks {
            record(measure(plan, duty, Strategy::Threads, k));
        }
    }
    rows
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(
        || "—".into(),
        |d| format!("{:.1} ms", d.as_secs_f64() * 1e3),
    )
}

/// The table, as Markdown: one line per row.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| duty | strategy | k | success within t | p50 | p99 | requests / success |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let o = &row.outcome;
        let strategy = match row.strategy {
            Strategy::Staggered { after } => {
                format!("{} (after {})", row.strategy.name(), ms(Some(after)))
            }
            other => other.name().to_string(),
        };
        out += &format!(
            "| {:.0} % | {} | {} | {:.1} % | {} | {} | {:.2} |\n",
            row.duty * 100.0,
            strategy,
            row.k,
            o.success_rate() * 100.0,
            ms(client::percentile(&o.latencies, 0.50)),
            ms(client::percentile(&o.latencies, 0.99)),
            o.requests_per_success(),
        );
    }
    out
}
