//! The HTTP half of the servers benchmark: `wrk` against hyper on corio
//! (one loop, and two loops with `--loops 2`), hyper on tokio
//! current-thread and hyper on tokio multi-thread — the same hyper settings
//! and the same service function (`corio_servers::routes::respond`) in each.
//!
//! Every server starts on a free loopback port (pinned to the server core;
//! corio's two loops and tokio's 2-worker multi-thread runtime get both
//! cores, and their rows say so). The two-thread servers also make a table
//! of their own, `http-2t`: corio's two loops against tokio-mt.
//! For each workload — `GET /`, and `POST /echo` with a 1 KiB body (a Lua
//! script in `target/servers/`) — each server gets a 1 s warm-up, then
//! `wrk -t1 -c64 -d10s --latency` pinned to the client core, three rounds
//! with the servers taking turns (the order rotates); a row is the median.
//! `--quick`: one round of 3 s. Every server is killed at the end, also when
//! a measurement fails.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::report::Row;
use crate::tools::{free_port, wait_for_port, Tools};

/// One server under test.
struct Server {
    /// The row's name.
    name: &'static str,
    program: PathBuf,
    args: &'static [&'static str],
    /// Pinned to the server core; otherwise free to use both cores.
    pinned: bool,
    /// The tables its rows go in.
    groups: &'static [&'static str],
}

/// One wrk workload.
struct Workload {
    test: &'static str,
    path: &'static str,
    /// A wrk Lua script (for the POST body), if any.
    script: Option<PathBuf>,
}

/// Runs every server under wrk and returns one row per (server, workload).
/// Without wrk it says what to install and returns no rows.
pub fn run(tools: &Tools) -> Vec<Row> {
    let Some(wrk) = &tools.wrk else {
        eprintln!("http: wrk not found; install the Debian package `wrk` (apt-get install -y wrk)");
        return Vec::new();
    };
    let binaries = match build_servers() {
        Ok(binaries) => binaries,
        Err(e) => {
            eprintln!("http: could not build the servers ({e})");
            return Vec::new();
        }
    };
    let script = match write_echo_script(&binaries.target_dir) {
        Ok(script) => script,
        Err(e) => {
            eprintln!("http: could not write the wrk script ({e})");
            return Vec::new();
        }
    };
    let servers = [
        Server {
            name: "hyper on corio",
            program: binaries.corio.clone(),
            args: &[],
            pinned: true,
            groups: &["http"],
        },
        Server {
            name: "hyper on tokio-ct",
            program: binaries.tokio.clone(),
            args: &[],
            pinned: true,
            groups: &["http"],
        },
        Server {
            name: "hyper on corio (2 loops, both cores)",
            program: binaries.corio,
            args: &["--loops", "2"],
            pinned: false,
            groups: &["http-2t"],
        },
        Server {
            name: "hyper on tokio-mt (2 workers, both cores)",
            program: binaries.tokio,
            args: &["--multi-thread", "2"],
            pinned: false,
            groups: &["http", "http-2t"],
        },
    ];
    let workloads = [
        Workload {
            test: "GET /",
            path: "/",
            script: None,
        },
        Workload {
            test: "POST /echo",
            path: "/echo",
            script: Some(script),
        },
    ];
    let (seconds, rounds) = if tools.quick { (3, 1) } else { (10, ROUNDS) };
    match measure_all(tools, wrk, &servers, &workloads, seconds, rounds) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("http: {e}");
            Vec::new()
        }
    }
}

/// How many times each (server, workload) is measured in a full run; the
/// row gives the median. This machine is shared: a burst of other work
/// during one server's turn would otherwise decide the ratio.
const ROUNDS: usize = 3;

/// Starts every server (each idles while another is measured), then for
/// each workload runs `rounds` rounds, the servers taking turns in an order
/// that rotates each round; stops every server.
fn measure_all(
    tools: &Tools,
    wrk: &Path,
    servers: &[Server],
    workloads: &[Workload],
    seconds: u32,
    rounds: usize,
) -> io::Result<Vec<Row>> {
    let mut running = Vec::new();
    for server in servers {
        let port = free_port();
        let mut command = if server.pinned {
            tools.server_command(&server.program)
        } else {
            Command::new(&server.program)
        };
        command
            .args(server.args)
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null());
        running.push((KillOnDrop(command.spawn()?), port));
        wait_for_port(port)?;
    }
    let mut rows = Vec::new();
    for workload in workloads {
        let mut samples: Vec<Vec<WrkResult>> = servers.iter().map(|_| Vec::new()).collect();
        for round in 0..rounds {
            for turn in 0..servers.len() {
                let index = (turn + round) % servers.len();
                let url = format!("http://127.0.0.1:{}{}", running[index].1, workload.path);
                let script = workload.script.as_deref();
                eprintln!(
                    "http: {} — {} (round {}/{rounds}) …",
                    servers[index].name,
                    workload.test,
                    round + 1
                );
                if round == 0 {
                    // Warm-up: connections, hyper's buffers, the allocator's caches.
                    run_wrk(tools, wrk, &url, script, 1)?;
                }
                samples[index].push(run_wrk(tools, wrk, &url, script, seconds)?);
            }
        }
        for (server, measured) in servers.iter().zip(samples) {
            for group in server.groups {
                rows.push(Row {
                    group,
                    server: server.name.to_string(),
                    test: workload.test.to_string(),
                    requests_per_sec: median(measured.iter().map(|m| m.requests_per_sec)),
                    p99_ms: measured
                        .iter()
                        .map(|m| m.p99_ms)
                        .collect::<Option<Vec<f64>>>()
                        .map(|p99s| median(p99s.into_iter())),
                });
            }
        }
    }
    Ok(rows)
}

/// The median of at least one value (the upper one of an even count).
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// What one wrk run reported.
struct WrkResult {
    requests_per_sec: f64,
    p99_ms: Option<f64>,
}

fn run_wrk(
    tools: &Tools,
    wrk: &Path,
    url: &str,
    script: Option<&Path>,
    seconds: u32,
) -> io::Result<WrkResult> {
    let mut command = tools.client_command(wrk);
    command.args(["-t1", "-c64", &format!("-d{seconds}s"), "--latency"]);
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command.arg(url).stderr(Stdio::inherit()).output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "wrk failed ({}): {text}",
            output.status
        )));
    }
    for warning in ["Non-2xx or 3xx responses", "Socket errors"] {
        if let Some(line) = text.lines().find(|line| line.contains(warning)) {
            eprintln!("http: wrk reports {}", line.trim());
        }
    }
    parse_wrk(&text).ok_or_else(|| io::Error::other(format!("could not read wrk's output: {text}")))
}

/// Requests/s from `Requests/sec: N`, p99 from the `--latency` table's
/// `99%  1.03ms` line (units us, ms or s).
fn parse_wrk(text: &str) -> Option<WrkResult> {
    let requests_per_sec = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))?
        .trim()
        .parse()
        .ok()?;
    let p99_ms = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("99%"))
        .and_then(|value| duration_ms(value.trim()));
    Some(WrkResult {
        requests_per_sec,
        p99_ms,
    })
}

/// `"366.00us"`, `"1.03ms"`, `"2.10s"` in milliseconds.
fn duration_ms(value: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

/// The server binaries, built with the runner's own cargo profile.
struct Binaries {
    corio: PathBuf,
    tokio: PathBuf,
    /// `target/`, for the runner's files.
    target_dir: PathBuf,
}

fn build_servers() -> io::Result<Binaries> {
    // This runner is target/<profile>/servers; cargo puts the others beside it.
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .ok_or_else(|| io::Error::other("no directory"))?;
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| io::Error::other("no target directory"))?;
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") => "dev",
        Some(name) => name,
        None => "release",
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for target in [
        ["corio-servers", "--example", "http_server"],
        ["corio-benches", "--bin", "http_tokio"],
    ] {
        let [package, kind, name] = target;
        let status = Command::new(&cargo)
            .current_dir(&workspace)
            .args([
                "build",
                "--quiet",
                "--profile",
                profile,
                "--package",
                package,
                kind,
                name,
            ])
            .status()?;
        if !status.success() {
            return Err(io::Error::other(format!("cargo build {name}: {status}")));
        }
    }
    Ok(Binaries {
        corio: profile_dir.join("examples").join("http_server"),
        tokio: profile_dir.join("http_tokio"),
        target_dir: target_dir.to_path_buf(),
    })
}

/// `target/servers/echo_1k.lua`: wrk POSTs a 1 KiB body.
fn write_echo_script(target_dir: &Path) -> io::Result<PathBuf> {
    let dir = target_dir.join("servers");
    fs::create_dir_all(&dir)?;
    let script = dir.join("echo_1k.lua");
    fs::write(
        &script,
        "wrk.method = \"POST\"\n\
         wrk.body = string.rep(\"x\", 1024)\n\
         wrk.headers[\"Content-Type\"] = \"application/octet-stream\"\n",
    )?;
    Ok(script)
}

/// A server process, killed (and reaped) when this goes out of scope — also
/// when a measurement fails or panics.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::{duration_ms, parse_wrk};

    #[test]
    fn parse_wrk_reads_requests_per_second_and_p99() {
        let output = "Running 3s test @ http://127.0.0.1:1/\n  1 threads and 64 connections\n  \
            Latency Distribution\n     50%  366.00us\n     99%    1.03ms\n  \
            459000 requests in 3.00s, 50.00MB read\nRequests/sec: 153000.12\n";
        let result = parse_wrk(output).unwrap();
        assert_eq!(result.requests_per_sec, 153000.12);
        assert_eq!(result.p99_ms, Some(1.03));
        assert_eq!(duration_ms("366.00us"), Some(0.366));
        assert_eq!(duration_ms("2.5s"), Some(2500.0));
        assert!(parse_wrk("no numbers").is_none());
    }
}
