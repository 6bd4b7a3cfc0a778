//! tour: runs every example, in the order they are best read, each under a
//! heading. It exits with a failure if any example fails.
//!
//! The list and its order are the tables of `examples/README.md`, read when
//! the tour is compiled: a row whose "run it" is one `cargo run` command is
//! run with that command's arguments; a row that needs more than that (a
//! server to talk to, a trace to draw) is shown with what it needs.
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

/// The tour's list: the tables of `README.md` beside this file, read when
/// the tour is compiled, so the README's order is the tour's order.
const README: &str = include_str!("README.md");

/// One row of the README's tables: `| … | [`name`](path) | what it
/// teaches | run it |`.
struct Entry {
    name: &'static str,
    title: &'static str,
    /// How the tour runs the example, when "run it" is one `cargo run`
    /// command of this example; otherwise the cell itself, which says what
    /// else the example needs (a server running, a trace file).
    run: Result<Run, &'static str>,
}

/// The parts of `cargo run [--release] [-p PACKAGE] --example NAME [-- ARGS]`
/// the tour uses (it builds with its own profile).
struct Run {
    package: Option<&'static str>,
    args: Vec<&'static str>,
}

/// The README's rows, in order; every other line of it is prose.
fn entries() -> Vec<Entry> {
    README.lines().filter_map(entry).collect()
}

fn entry(line: &'static str) -> Option<Entry> {
    let cells: Vec<&str> = line
        .strip_prefix('|')?
        .strip_suffix('|')?
        .split('|')
        .map(str::trim)
        .collect();
    let [.., example, title, how] = cells.as_slice() else {
        return None;
    };
    let (name, _path) = example.strip_prefix("[`")?.split_once("`](")?;
    Some(Entry {
        name,
        title,
        run: command(how, name).ok_or(*how),
    })
}

/// The cell's command, if it is exactly one code span running `name`.
fn command(cell: &'static str, name: &str) -> Option<Run> {
    let command = cell.strip_prefix('`')?.strip_suffix('`')?;
    if command.contains('`') {
        return None;
    }
    let mut words = command.split_whitespace();
    if words.next()? != "cargo" || words.next()? != "run" {
        return None;
    }
    let mut package = None;
    let mut example = None;
    while let Some(word) = words.next() {
        match word {
            "--release" => {}
            "-p" | "--package" => package = Some(words.next()?),
            "--example" => example = Some(words.next()?),
            "--" => break,
            _ => return None,
        }
    }
    (example? == name).then(|| Run {
        package,
        args: words.collect(),
    })
}

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
    let entries = entries();
    if entries.is_empty() {
        eprintln!("tour: README.md lists no examples");
        return ExitCode::FAILURE;
    }
    let runs = entries.iter().filter(|entry| entry.run.is_ok()).count();
    println!("tour: {runs} examples in reading order, each built just before it runs");

    let mut failed = Vec::new();
    for entry in &entries {
        let name = entry.name;
        println!();
        println!("=== {name}: {} ===", plain(entry.title));
        let run = match &entry.run {
            Ok(run) => run,
            Err(needs) => {
                println!("(not run by the tour: {})", plain(needs));
                continue;
            }
        };
        // The example writes to the same stdout: everything of ours goes first.
        let _ = io::stdout().flush();
        match build_example(&profile, run.package, name) {
            Ok(status) if status.success() => {}
            Ok(status) => {
                eprintln!("tour: building example {name} failed ({status})");
                failed.push(name);
                continue;
            }
            Err(e) => eprintln!("tour: could not run cargo ({e}); running the binary as it is"),
        }
        let binary = examples_dir.join(format!("{name}{}", env::consts::EXE_SUFFIX));
        match Command::new(&binary).args(&run.args).status() {
            Ok(status) if status.success() => {}
            Ok(status) => {
                eprintln!("tour: example {name} failed ({status})");
                failed.push(name);
            }
            Err(e) => {
                eprintln!("tour: could not start example {name} ({e})");
                failed.push(name);
            }
        }
    }

    println!();
    if failed.is_empty() {
        println!("=== tour done: {runs} examples ran ===");
        ExitCode::SUCCESS
    } else {
        println!("=== tour failed: {} ===", failed.join(", "));
        ExitCode::FAILURE
    }
}

/// Markdown's code spans, as a terminal shows them: without the backticks.
fn plain(markdown: &str) -> String {
    markdown.replace('`', "")
}

fn print_help() {
    println!("tour: runs every example of corio in reading order, each under a heading.");
    println!();
    println!("usage: cargo run --release --example tour [-- --help]");
    println!();
    println!("  -h, --help   print this and exit");
    println!();
    println!("Each example is built (with the tour's cargo profile) just before it runs;");
    println!("the tour exits with a failure if any example fails. The examples (README.md):");
    for entry in entries() {
        let note = if entry.run.is_ok() {
            ""
        } else {
            " (not run by the tour)"
        };
        println!("  {:<20} {}{note}", entry.name, plain(entry.title));
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
