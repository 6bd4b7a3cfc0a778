//! servers: real servers driven by real clients (issue 12).
//!
//! ```sh
//! cargo run --release -p corio-benches --bin servers              # wrk -d10s
//! cargo run --release -p corio-benches --bin servers -- --quick   # wrk -d3s
//! ```
//!
//! (helper "http"'s minimal runner: the HTTP rows only.)

mod http;
mod report;
mod tools;

use std::path::PathBuf;

fn main() {
    let quick = std::env::args().skip(1).any(|arg| arg == "--quick");
    let tools = tools::Tools {
        redis_benchmark: on_path("redis-benchmark"),
        redis_server: on_path("redis-server"),
        wrk: on_path("wrk"),
        taskset: on_path("taskset").is_some(),
        server_cpu: 0,
        client_cpu: 1,
        quick,
    };
    for (name, found) in [
        ("redis-benchmark", &tools.redis_benchmark),
        ("redis-server", &tools.redis_server),
        ("wrk", &tools.wrk),
    ] {
        let found = found.as_ref().map(|path| path.display().to_string());
        eprintln!(
            "servers: {name}: {}",
            found.as_deref().unwrap_or("not found")
        );
    }
    let rows = http::run(&tools);
    println!("| group | server | test | requests/s | p99 ms |");
    println!("|---|---|---|---:|---:|");
    for row in &rows {
        let p99 = row.p99_ms.map_or("-".to_string(), |ms| format!("{ms:.2}"));
        println!(
            "| {} | {} | {} | {:.0} | {p99} |",
            row.group, row.server, row.test, row.requests_per_sec
        );
    }
    // corio ÷ tokio current-thread, per test.
    for corio in rows.iter().filter(|row| row.server == "hyper on corio") {
        let peer = rows
            .iter()
            .find(|row| row.server == "hyper on tokio-ct" && row.test == corio.test);
        if let Some(peer) = peer {
            let p99 = match (corio.p99_ms, peer.p99_ms) {
                (Some(a), Some(b)) => format!("{:.2}", a / b),
                _ => "-".to_string(),
            };
            println!(
                "{}: corio ÷ tokio-ct: requests/s {:.2}, p99 {p99}",
                corio.test,
                corio.requests_per_sec / peer.requests_per_sec
            );
        }
    }
}

/// `program` as found on `PATH`.
fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}
