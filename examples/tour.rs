//! tour: runs every example, in the order they are best read, each under a
//! heading. It exits with a failure if any example fails.
//!
//! Not a seed section of its own: it walks through the lessons built from
//! the seeds — processes, threads, coroutines, pools, asyncio, queues, locks,
//! producer/consumer (see each example's opening comment).
//!
//! Run it with `cargo run --release --example tour`.
//!
//! How it finds the examples: cargo puts every example binary in one
//! directory (`target/<profile>/examples/`), the one this binary runs from.
//! `cargo run --example tour` builds only the tour, so the tour first asks
//! cargo to build all examples with the same profile (a quick no-op when they
//! are up to date, and it keeps a stale binary from being shown), then runs
//! each binary. If cargo is unavailable it runs the binaries that are there;
//! an example whose binary is missing is run with `cargo run --example`.

use std::env;
use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};

/// The examples, in reading order: (file name without `.rs`, what it shows).
/// A new example is one more line here. Arguments follow the name, as on a
/// command line: `"chat --demo"` runs `chat` with `--demo`.
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
        "chat --demo",
        "a broadcast chat room: a task per client, an outbox Queue each",
    ),
];

fn main() -> ExitCode {
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

    match build_examples(&profile) {
        Ok(status) if status.success() => {}
        Ok(status) => {
            eprintln!("tour: building the examples failed ({status})");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("tour: could not run cargo ({e}); running the example binaries as they are")
        }
    }

    let mut failed = Vec::new();
    for (i, (name, title)) in EXAMPLES.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!("=== {name}: {title} ===");
        // The example writes to the same stdout: everything of ours goes first.
        let _ = io::stdout().flush();
        let mut words = name.split_whitespace();
        let file = words.next().unwrap_or_default();
        let args: Vec<&str> = words.collect();
        let binary = examples_dir.join(format!("{file}{}", env::consts::EXE_SUFFIX));
        let status = if binary.is_file() {
            Command::new(&binary).args(&args).status()
        } else {
            cargo()
                .arg("run")
                .args(profile.cargo_args())
                .args(["--quiet", "--example", file, "--"])
                .args(&args)
                .status()
        };
        match status {
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

/// `cargo build --examples` with the tour's profile.
fn build_examples(profile: &Profile) -> io::Result<ExitStatus> {
    cargo()
        .arg("build")
        .args(profile.cargo_args())
        .args(["--quiet", "--examples"])
        .status()
}

/// A cargo command run in this package's directory: the cargo that ran the
/// tour (cargo sets `CARGO` for the programs it runs), else the one on `PATH`.
fn cargo() -> Command {
    let program = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    command.current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    command
}
