//! tour: runs every example, in the order they are best read, each under a
//! heading. It exits with a failure if any example fails.
//!
//! Not a seed section of its own: it walks through the lessons built from
//! the seeds — processes, threads, coroutines, pools, asyncio, queues, locks,
//! producer/consumer (see each example's opening comment).
//!
//! Run it with `cargo run --release --example tour` (`-- --help` lists the
//! examples and what each shows).
//!
//! How it finds the examples: cargo puts every example binary in one
//! directory (`target/<profile>/examples/`), the one this binary runs from.
//! `cargo run --example tour` builds only the tour, so before each example
//! the tour asks cargo to build that one with the same profile (a quick no-op
//! when it is up to date, and it keeps a stale binary from being shown), then
//! runs it. Building one example just before it runs puts the first lesson
//! on screen within seconds on a fresh clone, instead of after every example
//! has compiled; while a build takes longer than a moment the tour says so
//! every few seconds, so it is never silent for long. If cargo is
//! unavailable it runs the binaries that are there.

use std::env;
use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

/// The examples, in reading order: (file name without `.rs`, what it shows).
/// A new example is one more line here. Arguments follow the name, as on a
/// command line: `"chat --serve 0"` would run `chat` with `--serve 0`. An
/// example of another workspace member is named `member/example`.
const EXAMPLES: &[(&str, &str)] = &[
    ("hello", "asyncio.run"),
    (
        "tasks",
        "create_task, gather, done callbacks, cancel, introspection",
    ),
    ("hand_written_future", "what an async fn compiles into"),
    (
        "timeouts",
        "wait with a timeout, wait_for, call_later, interval",
    ),
    (
        "gather_wait",
        "wait (ALL / FIRST_EXCEPTION / FIRST_COMPLETED), gather, done callbacks",
    ),
    (
        "see_the_loop",
        "the loop drawn: a trace of a sleep, a socket and a gather as an ASCII timeline; LoopStats",
    ),
    (
        "corio_ps",
        "the live task list of a running loop, asyncio's `ps`, over CORIO_INSPECT's socket",
    ),
    ("task_group", "structured concurrency: TaskGroup"),
    (
        "race_and_lock",
        "lost updates on a shared counter, then Lock",
    ),
    (
        "deadlock",
        "two Locks in opposite orders, escaped with a timeout",
    ),
    ("semaphore", "bounded concurrency, BoundedSemaphore"),
    (
        "queues",
        "FIFO, LIFO and priority orders, QueueFull/QueueEmpty, shutdown",
    ),
    (
        "producer_consumer",
        "a bounded Queue between producers and consumers, task_done, join",
    ),
    (
        "thread_pool",
        "ThreadPoolExecutor, done callbacks, as_completed, run_in_executor, to_thread",
    ),
    (
        "echo_roundtrip",
        "TCP, Unix and UDP echo in one process, futures::io::copy",
    ),
    ("signals", "add_signal_handler, a Signals stream, ctrl_c"),
    (
        "multi_loop",
        "one loop per core: SO_REUSEPORT listeners, a channel between loops",
    ),
    (
        "echo_server",
        "start_server, StreamReader/StreamWriter, a graceful stop",
    ),
    (
        "chat",
        "a broadcast chat room on streams: readline, drain, dropping non-readers",
    ),
    (
        "subprocess",
        "a producer | corio | consumer pipeline, 8 children under Semaphore(2), a hung child",
    ),
    (
        "redis_server --demo",
        "a Redis-protocol server: parsing in place, pipelining, expiry on timers, pub/sub",
    ),
    (
        "corio-servers/http_server --demo",
        "hyper 1.x on corio: the runtime adapter, keep-alive, a graceful stop",
    ),
    (
        "hedged_requests --quick",
        "seed 002's blank table: sequential retry vs concurrent and hedged requests",
    ),
    (
        "which_model --quick",
        "CPU- and IO-bound jobs: sequential, thread pool, process pool, corio tasks",
    ),
    (
        "io_models --quick",
        "seed 001's five IO models as echo servers: throughput, CPU, threads",
    ),
];

/// How long a build may run before the tour says it is building.
const FIRST_NOTICE: Duration = Duration::from_secs(2);
/// How often the tour repeats that it is still building after that.
const NOTICE_EVERY: Duration = Duration::from_secs(3);
/// How often the tour checks whether cargo has finished.
const POLL_EVERY: Duration = Duration::from_millis(50);

fn main() -> ExitCode {
    if env::args()
        .skip(1)
        .any(|arg| arg == "--help" || arg == "-h")
    {
        print_help();
        return ExitCode::SUCCESS;
    }
    let examples_dir = match env::current_exe() {
        Ok(exe) => exe
            .parent()
            .expect("an executable lives in a directory")
            .to_path_buf(),
        Err(e) => {
            eprintln!("tour: cannot tell where this binary is ({e})");
            return ExitCode::FAILURE;
        }
    };
    let profile = Profile::of(&examples_dir);
    println!(
        "tour: {} examples in reading order, each built just before it runs",
        EXAMPLES.len()
    );

    let mut failed = Vec::new();
    for (name, title) in EXAMPLES {
        println!();
        println!("=== {name}: {title} ===");
        // The example writes to the same stdout: everything of ours goes first.
        let _ = io::stdout().flush();
        let mut words = name.split_whitespace();
        let first = words.next().unwrap_or_default();
        let (package, file) = match first.split_once('/') {
            Some((package, file)) => (Some(package), file),
            None => (None, first),
        };
        let args: Vec<&str> = words.collect();
        match build_example(&profile, package, file) {
            Ok(status) if status.success() => {}
            Ok(status) => {
                eprintln!("tour: building example {file} failed ({status})");
                failed.push(*name);
                continue;
            }
            Err(e) => eprintln!("tour: could not run cargo ({e}); running the binary as it is"),
        }
        let binary = examples_dir.join(format!("{file}{}", env::consts::EXE_SUFFIX));
        match Command::new(&binary).args(&args).status() {
            Ok(status) if status.success() => {}
            Ok(status) => {
                eprintln!("tour: example {name} failed ({status})");
                failed.push(*name);
            }
            Err(e) => {
                eprintln!("tour: could not start example {name} ({e})");
                failed.push(*name);
            }
        }
    }

    println!();
    if failed.is_empty() {
        println!("=== tour done: {} examples ran ===", EXAMPLES.len());
        ExitCode::SUCCESS
    } else {
        println!("=== tour failed: {} ===", failed.join(", "));
        ExitCode::FAILURE
    }
}

fn print_help() {
    println!("tour: runs every example of corio in reading order, each under a heading.");
    println!();
    println!("usage: cargo run --release --example tour [-- --help]");
    println!();
    println!("  -h, --help   print this and exit");
    println!();
    println!("Each example is built (with the tour's cargo profile) just before it runs;");
    println!("the tour exits with a failure if any example fails. The examples:");
    for (name, title) in EXAMPLES {
        println!("  {name:<20} {title}");
    }
}

/// The cargo profile this tour was built with, read from its directory:
/// `target/debug/examples` is the `dev` profile, `target/release/examples`
/// is `release`, `target/<name>/examples` a custom profile.
enum Profile {
    Dev,
    Named(OsString),
}

impl Profile {
    fn of(examples_dir: &Path) -> Profile {
        match examples_dir.parent().and_then(Path::file_name) {
            Some(dir) if dir == "debug" => Profile::Dev,
            Some(dir) => Profile::Named(dir.to_os_string()),
            // Not a cargo layout: release is what the docs tell people to run.
            None => Profile::Named("release".into()),
        }
    }

    fn cargo_args(&self) -> Vec<OsString> {
        match self {
            Profile::Dev => Vec::new(),
            Profile::Named(name) => vec!["--profile".into(), name.clone()],
        }
    }
}

/// `cargo build [-p <package>] --example <file>` with the tour's profile,
/// saying every few seconds that it is still going while it runs (on stderr,
/// beside cargo's own warnings). Every workspace member builds into the same
/// target directory, so the binary lands beside the tour's either way.
fn build_example(profile: &Profile, package: Option<&str>, file: &str) -> io::Result<ExitStatus> {
    let mut command = cargo();
    command.arg("build").args(profile.cargo_args());
    if let Some(package) = package {
        command.args(["--package", package]);
    }
    let mut build = command.args(["--quiet", "--example", file]).spawn()?;
    let started = Instant::now();
    let mut next_notice = FIRST_NOTICE;
    loop {
        match build.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) => {}
            Err(e) => {
                // Do not leave cargo running behind the tour.
                let _ = build.kill();
                let _ = build.wait();
                return Err(e);
            }
        }
        let waited = started.elapsed();
        if waited >= next_notice {
            eprintln!("tour: building {file}… ({} s)", waited.as_secs());
            next_notice += NOTICE_EVERY;
        }
        thread::sleep(POLL_EVERY);
    }
}

/// A cargo command run in this package's directory: the cargo that ran the
/// tour (cargo sets `CARGO` for the programs it runs), else the one on `PATH`.
fn cargo() -> Command {
    let program = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    command.current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    command
}
