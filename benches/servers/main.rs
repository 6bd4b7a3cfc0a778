//! servers: corio's servers driven by real clients — `redis-benchmark`
//! against the Redis-protocol example, `wrk` against the HTTP one — beside
//! the programs people would pick instead.
//!
//! ```text
//! cargo run --release -p corio-benches --bin servers            # the full run
//! cargo run --release -p corio-benches --bin servers -- --quick # a short one
//! ```
//!
//! It finds (or installs with `apt-get`) `redis-benchmark`, `redis-server`
//! and `wrk`, pins every server to core 0 and every load generator to core 1
//! with `taskset`, prints one table with corio ÷ peer ratios (and, on two
//! threads, corio's two loops against tokio multi-thread with 2 workers,
//! with issue 15's target of 1.2 ×), and writes
//! `target/servers/results.md` and `target/servers/results.svg`. Every
//! server it starts is killed when its measurement ends, also on an error;
//! Ctrl-C reaches them too (they share the terminal's process group).
//! With `--publish` the report also goes into the `servers` block of
//! `docs/benchmarks.md`.

#[path = "../compare/publish.rs"]
mod publish;

mod http;
mod redis;
mod report;
mod tools;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut quick, mut publish) = (false, false);
    for arg in &args {
        match arg.as_str() {
            "--quick" => quick = true,
            "--publish" => publish = true,
            _ => {
                eprintln!("usage: servers [--quick] [--publish]");
                return ExitCode::from(2);
            }
        }
    }
    let tools = tools::Tools::find_or_install(quick);
    let load_before = load_average();
    let mut rows = redis::run(&tools);
    rows.extend(http::run(&tools));
    if rows.is_empty() {
        eprintln!("servers: nothing was measured (see the messages above)");
        return ExitCode::FAILURE;
    }
    let markdown = render(&tools, &rows, &load_before);
    println!("{markdown}");
    let dir = target_dir().join("servers");
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("results.md"), &markdown))
        .and_then(|()| report::write_svg(&rows, &dir.join("results.svg")));
    let written = written.and_then(|()| {
        if !publish {
            return Ok(());
        }
        let docs = publish::workspace_root().join("docs/benchmarks.md");
        publish::replace_block(&docs, "servers", &published(&markdown, &args))?;
        println!("written: {}", docs.display());
        Ok(())
    });
    match written {
        Ok(()) => {
            println!("written: {0}/results.md, {0}/results.svg", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("servers: cannot write {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

/// The whole report: when, where, how, then a table per group.
fn render(tools: &tools::Tools, rows: &[report::Row], load_before: &str) -> String {
    let pinning = if tools.taskset {
        format!(
            "servers pinned to core {}, load generators to core {} (taskset)",
            tools.server_cpu, tools.client_cpu
        )
    } else {
        "not pinned (no taskset or one core)".to_string()
    };
    let requests = if tools.quick { 20_000 } else { 200_000 };
    let mut out = format!(
        "# corio's servers under real clients\n\n\
         - date: {}\n- machine: {}\n- {pinning}\n- load average before / after: {load_before} / {}\n\
         - tools: {}\n\
         - redis: `redis-benchmark -q --csv -n {requests} -c 50 -t ping_inline,set,get -P 1|16`\n\n",
        shell("date -u '+%Y-%m-%d %H:%M UTC'"),
        machine(),
        load_average(),
        found_tools(tools),
    );
    for group in ["redis", "http", "redis-2t", "http-2t"] {
        let table = report::group_table(rows, group);
        if table.is_empty() {
            continue;
        }
        if group.ends_with("-2t") {
            let shared = if group == "redis-2t" {
                ", one keyspace for both"
            } else {
                ""
            };
            out.push_str(&format!(
                "Two threads ({group}): corio on 2 loops (`--loops 2`, a SO_REUSEPORT \
                 listener per loop{shared}) against the same server on tokio's \
                 multi-thread runtime with 2 workers; neither pinned (both cores, \
                 shared with the load generator on core {}):\n\n",
                tools.client_cpu
            ));
        }
        out.push_str(&table);
        out.push('\n');
    }
    for section in report::sections() {
        out.push_str(&section);
        out.push('\n');
    }
    for note in report::notes() {
        out.push_str(&format!("- note: {note}\n"));
    }
    out
}

/// The `servers` block of `docs/benchmarks.md`: the report without its
/// title and date (git says when), with the command and the compiler.
fn published(markdown: &str, args: &[String]) -> String {
    let mut command = "cargo run --release -p corio-benches --bin servers".to_string();
    if !args.is_empty() {
        command.push_str(" -- ");
        command.push_str(&args.join(" "));
    }
    let body: Vec<&str> = markdown
        .lines()
        .filter(|l| !l.starts_with("# ") && !l.starts_with("- date: "))
        .collect();
    format!(
        "Command: `{command}`\n\n- compiler: {}\n{}\n",
        shell("rustc -V"),
        body.join("\n").trim_start()
    )
}

/// Which load tools were found, and where.
fn found_tools(tools: &tools::Tools) -> String {
    let show = |name: &str, path: &Option<PathBuf>| match path {
        Some(path) => format!("{name} at {}", path.display()),
        None => format!("{name} missing"),
    };
    [
        show("redis-benchmark", &tools.redis_benchmark),
        show("redis-server", &tools.redis_server),
        show("wrk", &tools.wrk),
    ]
    .join(", ")
}

fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    format!("{model}, {cpus} CPUs, {}", shell("uname -sr"))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn shell(command: &str) -> String {
    Command::new("sh")
        .args(["-c", command])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// `target/` of this workspace: two levels above the runner binary.
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("target"))
}
