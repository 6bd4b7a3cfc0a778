//! compare: every benchmark workload on corio, tokio (current-thread and
//! 2-worker multi-thread), smol and — for the echo workloads — hand-written
//! mio loops, in one process run; a markdown table of medians with corio's
//! ratio to the best single-thread peer, and a chart.
//!
//! ```sh
//! cargo run --release -p corio-benches --bin compare              # 5 repetitions
//! cargo run --release -p corio-benches --bin compare -- --quick   # 1 repetition (CI)
//! cargo run --release -p corio-benches --bin compare -- --reps 9 --only spawn_many,tcp_echo
//! cargo run --release -p corio-benches --bin compare -- --reps 3 --publish  # docs/benchmarks.md
//! ```
//!
//! The workloads are the ones the criterion benches run: this binary
//! includes `benches/workloads/` as a module, so there is one copy of each.
//! It lives in the `corio-benches` workspace member (`benches/Cargo.toml`)
//! with the peers it runs, so that corio's own examples never build them.
//! For each workload it builds every runtime (untimed), runs each member once
//! to warm up, then N timed repetitions, the members taking turns within a
//! repetition (the order rotates each time) so that a burst of noise from the
//! rest of the machine spreads over all of them. Every run asserts its result.
//!
//! idle_memory needs a fresh process per measurement: this binary re-executes
//! itself with `--idle-memory-child <runtime>`, N times per runtime.
//!
//! When `python3` is on the PATH, `benches/asyncio_reference.py` runs the
//! same spawn_many, yield_many, sleep_many and tcp_echo in asyncio, and its
//! medians fill an extra column.
//!
//! Output: progress lines, then the table on stdout; the table and the
//! details (every member, min–max) in `target/compare/results.md`; the chart
//! in `target/compare/results.svg`. With `--publish` it also writes the
//! table, its command and its machine into `docs/benchmarks.md`, and a
//! summary into README.md (`publish.rs`): the committed numbers are always
//! a run's own output.

#[path = "../workloads/mod.rs"]
mod workloads;

mod chart;
mod publish;
mod report;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use report::{Measured, Row, Unit};
use workloads::{idle_memory, runtimes, Rt};

const CHILD_FLAG: &str = "--idle-memory-child";
const USAGE: &str = "\
usage: compare [--reps N | --quick] [--only NAME,NAME...] [--no-python] [--publish]
  --reps N      timed repetitions per workload and runtime (default 5)
  --quick       one repetition (for CI); the sizes stay the same
  --only LIST   run only these workloads (comma-separated names)
  --no-python   skip the asyncio reference even if python3 is present
  --publish     also write the table into docs/benchmarks.md and the summary
                into README.md (their `compare` and `results` blocks)";

struct Options {
    reps: usize,
    only: Option<Vec<String>>,
    python: bool,
    publish: bool,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        reps: 5,
        only: None,
        python: true,
        publish: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => o.reps = 1,
            "--reps" => {
                let n = it.next().ok_or("--reps needs a number")?;
                o.reps = n
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(format!("--reps: not a positive number: {n}"))?;
            }
            "--only" => {
                let list = it.next().ok_or("--only needs a list of workloads")?;
                o.only = Some(list.split(',').map(str::to_owned).collect());
            }
            "--no-python" => o.python = false,
            "--publish" => o.publish = true,
            // `cargo bench` passes this to every bench-like target; harmless.
            "--bench" => {}
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(CHILD_FLAG) {
        println!("{}", idle_memory::child(&args[1]));
        return ExitCode::SUCCESS;
    }
    let opts = match parse_args(&args) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("compare: {e}");
            }
            eprintln!("{USAGE}");
            return if e.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };
    if let Some(list) = &opts.only {
        let known: Vec<&str> = workloads::all()
            .iter()
            .map(|w| w.name)
            .chain(["idle_memory"])
            .collect();
        if let Some(bad) = list.iter().find(|n| !known.contains(&n.as_str())) {
            eprintln!("compare: no workload {bad}; there are {}", known.join(", "));
            return ExitCode::FAILURE;
        }
    }
    let wanted = |name: &str| {
        opts.only
            .as_ref()
            .is_none_or(|list| list.iter().any(|n| n == name))
    };

    let started = Instant::now();
    let machine = report::Machine::probe();
    if cfg!(debug_assertions) {
        println!("warning: a debug build — run with --release for numbers that mean anything");
    }
    let timed: Vec<_> = workloads::all()
        .into_iter()
        .filter(|w| wanted(w.name))
        .collect();
    let with_idle = wanted("idle_memory");
    let python = if opts.python && wanted_python(&wanted) {
        python3()
    } else {
        None
    };
    let steps = timed.len() + with_idle as usize + python.is_some() as usize;
    println!(
        "compare: {} repetition{} (after one warm-up) on corio, tokio-ct, tokio-mt (2 workers), smol{}{}; {}",
        opts.reps,
        if opts.reps == 1 { "" } else { "s" },
        if timed
            .iter()
            .any(|w| w.members.iter().any(|m| m.rt == Rt::MioRaw))
        {
            ", mio-raw (the echo workloads)"
        } else {
            ""
        },
        if timed.iter().any(|w| w.name.ends_with("_2t")) {
            ", corio-loops (2 loops) and smol-mt (2 threads) for the _2t workloads"
        } else {
            ""
        },
        machine.summary(),
    );

    let mut rows = Vec::new();
    let mut step = 0;
    for w in timed {
        step += 1;
        progress_start(step, steps, w.name);
        let t = Instant::now();
        let row = run_timed(w, opts.reps);
        progress_end(&row, t);
        rows.push(row);
    }
    if with_idle {
        step += 1;
        progress_start(step, steps, "idle_memory");
        let t = Instant::now();
        let row = run_idle_memory(opts.reps);
        progress_end(&row, t);
        rows.push(row);
    }
    let mut python_failed = false;
    if let Some(py) = python {
        step += 1;
        progress_start(step, steps, "asyncio reference");
        let t = Instant::now();
        let names: Vec<&str> = PYTHON_WORKLOADS.into_iter().filter(|w| wanted(w)).collect();
        match run_python(&py, opts.reps, &names) {
            Ok(results) => {
                for (name, ms) in results {
                    if let Some(row) = rows.iter_mut().find(|r| r.name == name) {
                        row.python = Some(ms);
                    }
                }
                println!("  ({:.1} s)", t.elapsed().as_secs_f64());
            }
            Err(e) => {
                println!("failed, no asyncio column: {e}");
                python_failed = true;
            }
        }
    }

    let total = started.elapsed();
    let run = report::Run {
        machine,
        reps: opts.reps,
        total_secs: total.as_secs_f64(),
        command: command_line(&args),
    };
    let table = report::table(&rows);
    println!("\n{table}");
    for line in report::target_notes(&rows) {
        println!("{line}");
    }

    let dir = target_dir().join("compare");
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("results.md"), report::markdown(&rows, &run)))
        .and_then(|()| std::fs::write(dir.join("results.svg"), chart::svg(&rows, &run)));
    match written {
        Ok(()) => println!("\nwrote {0}/results.md and {0}/results.svg", dir.display()),
        Err(e) => {
            eprintln!("compare: cannot write to {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    if opts.publish {
        let root = publish::workspace_root();
        let docs = root.join("docs/benchmarks.md");
        let readme = root.join("README.md");
        let published = publish::replace_block(&docs, "compare", &report::published(&rows, &run))
            .and_then(|()| {
                publish::replace_block(&readme, "results", &report::summary(&rows, &run))
            });
        match published {
            Ok(()) => println!("wrote {} and {}", docs.display(), readme.display()),
            Err(e) => {
                eprintln!("compare: cannot publish: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("total: {:.1} s", total.as_secs_f64());
    if python_failed {
        // The reference is optional, but a broken one is a bug in the suite.
        eprintln!("compare: the asyncio reference failed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn progress_start(step: usize, steps: usize, name: &str) {
    print!("[{step:>2}/{steps}] {name:<24} ");
    let _ = std::io::stdout().flush();
}

/// A mark on the progress line: `w` after the warm-up, `.` after each
/// repetition (of every member).
fn tick(mark: char) {
    print!("{mark}");
    let _ = std::io::stdout().flush();
}

fn progress_end(row: &Row, t: Instant) {
    let cells: Vec<String> = Rt::ALL
        .iter()
        .filter_map(|&rt| Some(format!("{} {}", rt.name(), row.unit.format(row.value(rt)?))))
        .collect();
    println!(
        "{}  ({:.1} s)",
        cells.join(" | "),
        t.elapsed().as_secs_f64()
    );
}

/// Builds every member's runtime, warms each up with one run, then times
/// `reps` runs of each, the members taking turns.
fn run_timed(w: workloads::Workload, reps: usize) -> Row {
    let mut runs: Vec<_> = w.members.iter().map(|m| (m.make)()).collect();
    for run in &mut runs {
        run();
        runtimes::settle();
    }
    tick('w');
    let mut samples = vec![Vec::with_capacity(reps); runs.len()];
    for rep in 0..reps {
        for k in 0..runs.len() {
            let i = (k + rep) % runs.len();
            let t = Instant::now();
            runs[i]();
            samples[i].push(t.elapsed().as_secs_f64() * 1e3);
            runtimes::settle();
        }
        tick('.');
    }
    print!(" ");
    drop(runs);
    Row {
        name: w.name,
        about: w.about,
        unit: Unit::Millis,
        members: w
            .members
            .iter()
            .zip(samples)
            .map(|(m, samples)| Measured {
                rt: m.rt,
                label: m.label,
                samples,
            })
            .collect(),
        python: None,
    }
}

/// `reps` fresh child processes per runtime, taking turns.
fn run_idle_memory(reps: usize) -> Row {
    let exe = std::env::current_exe().expect("the path of this binary");
    let mut members: Vec<Measured> = idle_memory::RUNTIMES
        .iter()
        .map(|&rt| Measured {
            rt,
            label: rt.name(),
            samples: Vec::with_capacity(reps),
        })
        .collect();
    for _ in 0..reps {
        for m in &mut members {
            let bytes = idle_memory::in_fresh_process(&exe, &[CHILD_FLAG, m.rt.name()]);
            m.samples.push(bytes as f64);
        }
        tick('.');
    }
    print!(" ");
    Row {
        name: "idle_memory",
        about: "in a fresh process, 200,000 tasks each awaiting a future that never completes, polled once; resident-memory growth ÷ 200,000 (join handles included)",
        unit: Unit::BytesPerTask,
        members,
        python: None,
    }
}

/// The workloads the asyncio script has.
const PYTHON_WORKLOADS: [&str; 4] = ["spawn_many", "yield_many", "sleep_many", "tcp_echo"];

fn wanted_python(wanted: &dyn Fn(&str) -> bool) -> bool {
    PYTHON_WORKLOADS.iter().any(|w| wanted(w))
}

/// `python3`, if it runs here.
fn python3() -> Option<String> {
    let ok = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| "python3".to_owned())
}

/// Runs the asyncio reference on `names`; (workload, median ms) for each it
/// reports, each also shown on the progress line as it comes.
fn run_python(python: &str, reps: usize, names: &[&str]) -> Result<Vec<(String, f64)>, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/asyncio_reference.py");
    let mut child = Command::new(python)
        .args([
            script,
            "--reps",
            &reps.to_string(),
            "--only",
            &names.join(","),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {python} {script}: {e}"))?;
    let mut results = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.map_err(|e| e.to_string())?;
        // "RESULT <workload> <median ms>"; anything else is ignored.
        let mut f = line.split_whitespace();
        if f.next() == Some("RESULT") {
            let (Some(name), Some(ms)) = (f.next(), f.next().and_then(|m| m.parse().ok())) else {
                return Err(format!("unreadable line {line:?}"));
            };
            if !results.is_empty() {
                print!(" |");
            }
            print!(" {name} {}", Unit::Millis.format(ms));
            let _ = std::io::stdout().flush();
            results.push((name.to_owned(), ms));
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("{script} exited with {status}"));
    }
    Ok(results)
}

/// The target directory this binary was built into (`<target>/<profile>/compare`,
/// a profile directory being one with cargo's `.fingerprint` in it), else the
/// workspace's `target/`.
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            let profile = exe.parent()?;
            let target = profile.parent()?;
            profile
                .join(".fingerprint")
                .is_dir()
                .then(|| target.to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")))
}

/// The command that reproduces this run.
fn command_line(args: &[String]) -> String {
    let mut c = "cargo run --release -p corio-benches --bin compare".to_owned();
    if !args.is_empty() {
        c.push_str(" -- ");
        c.push_str(&args.join(" "));
    }
    c
}
