//! The Redis half: `redis-benchmark` against corio's server, the same server
//! on tokio current-thread, tokio's published `mini-redis`, and
//! `redis-server` itself; then, on two threads, corio's server on two loops
//! (`--loops 2`) against the same-shape tokio server on tokio's multi-thread
//! runtime with two workers (`--multi-thread 2`).
//!
//! Each one-thread server is started pinned to the server core on a free
//! loopback port; the two-thread servers are not pinned (they get both
//! cores, which they share with the load generator on the client core).
//! Each is measured at `-P 1` and `-P 16`, and killed — also when something
//! fails half-way, because every child lives in a [`Running`] guard whose
//! `Drop` kills it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::report::{self, note, Row};
use crate::tools::{free_port, wait_for_port, which, Tools};

/// The tests, as `redis-benchmark -t` names them. Each runs in its own
/// `redis-benchmark`: a server that refuses one (mini-redis has no inline
/// commands and closes the connection, which ends the whole run) still gets
/// the others measured.
const TESTS: [&str; 3] = ["ping_inline", "set", "get"];
const CLIENTS: &str = "50";

/// Nanoseconds of CPU the process `pid` has used, all its threads summed
/// (`/proc/PID/task/*/schedstat`, first field; Linux only).
fn cpu_ns(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// A started server, killed when dropped.
pub struct Running {
    child: Child,
}

impl Running {
    /// The server's process id (taskset execs the server, so it is the
    /// server's own).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Starts `command` (stdout and stderr discarded) and waits for `port`.
    pub fn start(mut command: Command, port: u16) -> std::io::Result<Running> {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let running = Running { child };
        wait_for_port(port)?;
        Ok(running)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs every Redis measurement it can; explains on stderr what it cannot.
pub fn run(tools: &Tools) -> Vec<Row> {
    let Some(benchmark) = &tools.redis_benchmark else {
        eprintln!("servers: no redis-benchmark (Debian: redis-tools); skipping the Redis half");
        return Vec::new();
    };
    let release = release_dir();
    build(&["build", "--release", "--example", "redis_server"]);
    build(&[
        "build",
        "--release",
        "-p",
        "corio-benches",
        "--bin",
        "redis_tokio",
    ]);
    let mini_redis = which("mini-redis-server").or_else(install_mini_redis);
    let corio = Some(release.join("examples/redis_server"));
    let tokio = Some(release.join("redis_tokio"));
    let one_thread = |name, program, args| RedisPeer {
        name,
        program,
        args,
        group: "redis",
        pinned: true,
    };
    let two_threads = |name, program, args| RedisPeer {
        name,
        program,
        args,
        group: "redis-2t",
        pinned: false,
    };
    let servers = [
        one_thread("corio", corio.clone(), vec![]),
        one_thread("tokio-ct (same shape)", tokio.clone(), vec![]),
        one_thread(
            "redis-server",
            tools.redis_server.clone(),
            vec!["--save", "", "--appendonly", "no"],
        ),
        one_thread("mini-redis (beside, no bar)", mini_redis, vec![]),
        two_threads("corio (2 loops)", corio, vec!["--loops", "2"]),
        two_threads("tokio-mt (2 workers)", tokio, vec!["--multi-thread", "2"]),
    ];
    let mut rows = Vec::new();
    // Server CPU per request: on a machine shared with other work the
    // requests/s of every server sink together, while the CPU each one
    // spends per request stays its own.
    let mut cpu_table = String::from(
        "Server CPU time per request (µs; lower is better; all server threads, \
         from /proc/PID/task/*/schedstat around each run):\n\n| server |",
    );
    for pipeline in [1, 16] {
        for test in TESTS {
            cpu_table.push_str(&format!(" {} -P {pipeline} |", test.to_uppercase()));
        }
    }
    cpu_table.push('\n');
    cpu_table.push_str(&"|---".repeat(1 + 2 * TESTS.len()));
    cpu_table.push_str("|\n");
    for RedisPeer {
        name,
        program,
        args,
        group,
        pinned,
    } in servers
    {
        let Some(program) = program.filter(|p| p.is_file()) else {
            note(format!("{name}: not available, left out"));
            continue;
        };
        let port = free_port();
        let mut command = if pinned {
            tools.server_command(&program)
        } else {
            Command::new(&program)
        };
        command.arg("--port").arg(port.to_string()).args(&args);
        let server = match Running::start(command, port) {
            Ok(server) => server,
            Err(e) => {
                note(format!("{name} did not start: {e}"));
                continue;
            }
        };
        cpu_table.push_str(&format!("| {name} |"));
        for pipeline in [1, 16] {
            for test in TESTS {
                eprintln!("servers: {name}, {test} -P {pipeline} ...");
                let cpu_before = cpu_ns(server.id());
                let measured = measure(tools, benchmark, port, test, pipeline);
                let cpu = cpu_before.zip(cpu_ns(server.id())).map(|(a, b)| b - a);
                match (&measured, cpu) {
                    (Ok(_), Some(ns)) => {
                        let requests = if tools.quick { 20_000.0 } else { 200_000.0 };
                        cpu_table.push_str(&format!(" {:.2} |", ns as f64 / 1000.0 / requests));
                    }
                    _ => cpu_table.push_str(" — |"),
                }
                match measured {
                    Ok(results) => rows.extend(results.into_iter().map(|(test, rps, p99)| Row {
                        group,
                        server: name.to_string(),
                        test: format!("{test} -P {pipeline}"),
                        requests_per_sec: rps,
                        p99_ms: p99,
                    })),
                    Err(e) => note(format!("{name}: {test} -P {pipeline}: {e}")),
                }
            }
        }
        cpu_table.push('\n');
        drop(server);
    }
    report::section(cpu_table);
    rows
}

/// One Redis server to measure.
struct RedisPeer {
    /// The row's name.
    name: &'static str,
    /// `None` when it is not installed.
    program: Option<PathBuf>,
    args: Vec<&'static str>,
    /// The table it goes in: "redis" (one thread) or "redis-2t".
    group: &'static str,
    /// Pinned to the server core (one thread); otherwise free on both cores.
    pinned: bool,
}

/// One `redis-benchmark -q --csv -n N -c 50 -t test -P p` run:
/// (test, requests/s, p99 ms).
fn measure(
    tools: &Tools,
    benchmark: &Path,
    port: u16,
    test: &str,
    pipeline: u32,
) -> Result<Vec<(String, f64, Option<f64>)>, String> {
    let requests = if tools.quick { "20000" } else { "200000" };
    let output = tools
        .client_command(benchmark)
        .args([
            "-p",
            &port.to_string(),
            "-q",
            "--csv",
            "-n",
            requests,
            "-c",
            CLIENTS,
        ])
        .args(["-t", test, "-P", &pipeline.to_string()])
        .output()
        .map_err(|e| format!("redis-benchmark did not run: {e}"))?;
    let results = parse_csv(&String::from_utf8_lossy(&output.stdout));
    if results.is_empty() {
        // redis-benchmark says why on stdout or stderr ("Error: Server
        // closed the connection"); keep those lines, not the progress.
        let said = [&output.stdout[..], &output.stderr[..]].concat();
        let said = String::from_utf8_lossy(&said);
        let errors: Vec<&str> = said
            .split(['\n', '\r'])
            .map(str::trim)
            .filter(|line| line.contains("rror"))
            .collect();
        return Err(format!("failed ({}): {}", output.status, errors.join("; ")));
    }
    Ok(results)
}

/// The CSV of redis-benchmark 7: a header line, then
/// `"SET","123.45","avg","min","p50","p95","p99","max"` per test (6.x has
/// only the first two columns). Progress lines end in `\r` and are skipped.
pub fn parse_csv(text: &str) -> Vec<(String, f64, Option<f64>)> {
    text.split(['\n', '\r'])
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
            let rps: f64 = fields.get(1)?.parse().ok()?;
            let p99 = fields.get(6).and_then(|f| f.parse().ok());
            Some((fields[0].to_string(), rps, p99))
        })
        .collect()
}

/// Where cargo puts release binaries: next to this runner.
fn release_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target/release"))
}

fn build(args: &[&str]) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(cargo).args(args).status();
    if !built.is_ok_and(|s| s.success()) {
        eprintln!("servers: `cargo {}` failed", args.join(" "));
    }
}

/// `cargo install mini-redis` (it needs the network); `None` if that fails.
fn install_mini_redis() -> Option<PathBuf> {
    eprintln!("servers: installing tokio's mini-redis with `cargo install mini-redis` ...");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let installed = Command::new(cargo)
        .args(["install", "mini-redis"])
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        note("`cargo install mini-redis` failed (offline?): mini-redis left out".into());
        return None;
    }
    which("mini-redis-server")
}
