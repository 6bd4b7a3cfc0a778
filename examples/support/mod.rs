//! support: what the examples share and do not teach — answering `--help`,
//! reading flags, waiting for Ctrl-C or SIGTERM, and a time bound on a demo.
//!
//! An example takes it in with `#[path = "../support/mod.rs"] mod support;`
//! (cargo builds each example from its main file alone; this folder is not
//! an example). The concept an example shows stays in the example: a
//! server's graceful stop is written out in the server, and
//! `lessons/18_signals.rs` teaches the signal API that [`shutdown_signal`]
//! is built from.

// Each example uses only its own part of this module.
#![allow(dead_code)]

pub mod help;

use std::future::Future;
use std::io;
use std::path::Path;
use std::process::ExitCode;
use std::str::FromStr;
use std::task::Poll;
use std::time::Duration;

/// An example's command line, read flag by flag: each one the example takes
/// is removed, and [`Args::done`] refuses whatever is left.
pub struct Args {
    words: Vec<String>,
}

/// The command line after the program's name. When it asks for help
/// (`--help` or `-h` anywhere) this prints the example's opening comment
/// from `source` and its `flags` (see [`help::requested`]), and the program
/// exits with success.
pub fn args(source: &str, flags: &str) -> Args {
    if help::requested(source, flags) {
        std::process::exit(0);
    }
    Args {
        words: std::env::args().skip(1).collect(),
    }
}

impl Args {
    /// Whether `flag` was given.
    pub fn flag(&mut self, flag: &str) -> bool {
        self.take(flag).is_some()
    }

    /// The value after `flag` (`--port 7000`), if `flag` was given; a
    /// missing or unreadable value is a usage error.
    pub fn value<T: FromStr>(&mut self, flag: &str) -> Option<T> {
        let at = self.take(flag)?;
        if at == self.words.len() {
            fail(&format!("{flag} needs a value"));
        }
        Some(parse(flag, &self.words.remove(at)))
    }

    /// Like [`Args::value`], for a flag whose value may be left out
    /// (`--serve` or `--serve 8080`): then it is `default`.
    pub fn optional_value<T: FromStr>(&mut self, flag: &str, default: T) -> Option<T> {
        let at = self.take(flag)?;
        match self.words.get(at) {
            Some(next) if !next.starts_with('-') => Some(parse(flag, &self.words.remove(at))),
            _ => Some(default),
        }
    }

    /// The arguments no flag took, in order: an example's own words (a
    /// port, a path, messages).
    pub fn rest(self) -> Vec<String> {
        self.words
    }

    /// The end of reading: an argument no flag took is a usage error.
    pub fn done(self) {
        if let Some(word) = self.words.first() {
            fail(&format!("unexpected argument {word:?}"));
        }
    }

    /// Removes `flag`, and says where it stood.
    fn take(&mut self, flag: &str) -> Option<usize> {
        let at = self.words.iter().position(|word| word == flag)?;
        self.words.remove(at);
        Some(at)
    }
}

fn parse<T: FromStr>(flag: &str, text: &str) -> T {
    text.parse()
        .unwrap_or_else(|_| fail(&format!("{flag} does not take {text:?}")))
}

/// Ends the program on a command line it cannot use: says what is wrong,
/// points at `--help`, and exits with status 2, as a shell's built-ins do.
pub fn fail(problem: &str) -> ! {
    eprintln!("{}: {problem} (see --help)", program());
    std::process::exit(2)
}

/// The example's name, from the path it was started by
/// (`target/release/examples/NAME`).
pub fn program() -> String {
    std::env::args_os()
        .next()
        .as_deref()
        .and_then(|path| Path::new(path).file_stem())
        .map_or_else(|| "example".into(), |name| name.to_string_lossy().into())
}

/// Starts listening for Ctrl-C (SIGINT) and SIGTERM — at once, so that a
/// signal sent from now on is caught — and returns a future that resolves
/// at the first of them, with its name. Called on a corio loop.
pub fn shutdown_signal() -> io::Result<impl Future<Output = &'static str>> {
    use corio::signal::{signal, SIGINT, SIGTERM};
    let mut interrupt = signal(SIGINT)?;
    let mut terminate = signal(SIGTERM)?;
    Ok(std::future::poll_fn(move |cx| {
        if interrupt.poll_recv(cx).is_ready() {
            return Poll::Ready("Ctrl-C");
        }
        terminate.poll_recv(cx).map(|_| "SIGTERM")
    }))
}

/// Runs a scripted demo within `limit`, so that a lost packet or a bug ends
/// it with a message instead of hanging the tour: its error, or its not
/// finishing in time, is printed and makes the exit status a failure.
pub async fn within(limit: Duration, demo: impl Future<Output = io::Result<()>>) -> ExitCode {
    match corio::time::timeout(limit, demo).await {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("{}: {e}", program());
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("{}: not done within {} s", program(), limit.as_secs());
            ExitCode::FAILURE
        }
    }
}
