//! Which watchers a new loop gets: the trace recorder and the live task
//! list, asked for by the builder or by the environment (`CORIO_TRACE`,
//! `CORIO_INSPECT`), assembled into the one observer the core holds.
//!
//! A path given to the builder that cannot be used is an error of `build`;
//! one named by the environment is reported on stderr and that watcher is
//! left off: a stray variable must not stop a program from running.

use std::io;
use std::path::PathBuf;

use crate::event_loop::observer::{Both, LoopObserver};
use crate::trace::TraceRecorder;

/// What `build` must start once the loop exists (the inspector's thread).
#[cfg(unix)]
pub(crate) type Pending = Option<super::inspect::InspectServer>;
#[cfg(not(unix))]
pub(crate) type Pending = Option<std::convert::Infallible>;

/// The observer for a loop traced into `trace` and inspected at `inspect`
/// (each falling back to its environment variable), and what to start
/// after the loop is built.
pub(crate) fn assemble(
    trace: Option<PathBuf>,
    inspect: Option<PathBuf>,
) -> io::Result<(Option<Box<dyn LoopObserver>>, Pending)> {
    if !cfg!(feature = "observe") {
        return compiled_out(trace, inspect);
    }
    let recorder: Option<Box<dyn LoopObserver>> = match from_env(trace, "CORIO_TRACE") {
        None => None,
        Some((path, asked)) => match TraceRecorder::open(&path) {
            Ok(recorder) => Some(Box::new(recorder)),
            Err(e) if asked => return Err(e),
            Err(e) => {
                report("CORIO_TRACE", &path, &e);
                None
            }
        },
    };
    let (inspector, pending) = inspector(inspect)?;
    let observer = match (recorder, inspector) {
        (Some(a), Some(b)) => Some(Box::new(Both(a, b)) as Box<dyn LoopObserver>),
        (a, b) => a.or(b),
    };
    Ok((observer, pending))
}

#[cfg(unix)]
fn inspector(asked: Option<PathBuf>) -> io::Result<(Option<Box<dyn LoopObserver>>, Pending)> {
    let Some((path, asked)) = from_env(asked, "CORIO_INSPECT") else {
        return Ok((None, None));
    };
    match super::inspect::Inspector::bind(&path) {
        Ok((inspector, server)) => Ok((Some(Box::new(inspector)), Some(server))),
        Err(e) if asked => Err(e),
        Err(e) => {
            report("CORIO_INSPECT", &path, &e);
            Ok((None, None))
        }
    }
}

#[cfg(not(unix))]
fn inspector(_asked: Option<PathBuf>) -> io::Result<(Option<Box<dyn LoopObserver>>, Pending)> {
    Ok((None, None))
}

/// Without the `observe` feature the loop has no observer: asking the
/// builder for a watcher is an error, and a variable is reported and ignored.
fn compiled_out(
    trace: Option<PathBuf>,
    inspect: Option<PathBuf>,
) -> io::Result<(Option<Box<dyn LoopObserver>>, Pending)> {
    if trace.is_some() || inspect.is_some() {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "tracing and inspection need corio's `observe` feature (on by default)",
        ));
    }
    for variable in ["CORIO_TRACE", "CORIO_INSPECT"] {
        if std::env::var_os(variable).is_some_and(|v| !v.is_empty()) {
            eprintln!(
                "corio: {variable} is ignored: corio was built without its `observe` feature"
            );
        }
    }
    Ok((None, None))
}

/// The path asked for (`true`: by the builder), else the variable's.
fn from_env(asked: Option<PathBuf>, variable: &str) -> Option<(PathBuf, bool)> {
    match asked {
        Some(path) => Some((path, true)),
        None => std::env::var_os(variable)
            .filter(|p| !p.is_empty())
            .map(|p| (PathBuf::from(p), false)),
    }
}

fn report(variable: &str, path: &std::path::Path, e: &io::Error) {
    eprintln!(
        "corio: {variable}: cannot use {} ({e}); running without it",
        path.display()
    );
}
