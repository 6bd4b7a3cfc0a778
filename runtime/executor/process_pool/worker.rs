//! The worker side: a [`Registry`] of functions by name, and the worker mode
//! that serves them when the pool starts this binary again.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter};
use std::os::fd::FromRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::protocol::{self, OK, PANICKED, UNKNOWN};

/// The environment variable that puts a process in worker mode (the pool
/// sets it on the processes it starts).
pub(crate) const WORKER_ENV: &str = "CORIO_PROCESS_POOL_WORKER";

/// A job function: bytes in, bytes out.
pub type JobFn = fn(&[u8]) -> Vec<u8>;

/// The functions a [`ProcessPoolExecutor`](super::ProcessPoolExecutor) can
/// run, by name. A worker is this same binary started again, so the
/// program builds the same registry in both roles and calls
/// [`serve_if_worker`](Registry::serve_if_worker) at the top of `main` —
/// Python's `if __name__ == "__main__":` guard for multiprocessing's
/// "spawn", turned around.
///
/// ```
/// use corio::executor::process_pool::Registry;
/// fn double(input: &[u8]) -> Vec<u8> {
///     input.iter().map(|b| b * 2).collect()
/// }
/// let registry = Registry::new().register("double", double);
/// assert!(registry.contains("double"));
/// // In a normal run this returns at once.
/// registry.serve_if_worker();
/// ```
#[derive(Debug, Default, Clone)]
pub struct Registry {
    functions: HashMap<String, JobFn>,
}

impl Registry {
    /// An empty registry.
    ///
    /// ```
    /// assert!(!corio::executor::process_pool::Registry::new().contains("x"));
    /// ```
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds `function` under `name` (replacing one of the same name).
    ///
    /// ```
    /// use corio::executor::process_pool::Registry;
    /// let r = Registry::new().register("echo", |b: &[u8]| b.to_vec());
    /// assert!(r.contains("echo"));
    /// ```
    pub fn register(mut self, name: impl Into<String>, function: JobFn) -> Registry {
        self.functions.insert(name.into(), function);
        self
    }

    /// Whether a function is registered under `name`.
    ///
    /// ```
    /// use corio::executor::process_pool::Registry;
    /// assert!(Registry::new().register("f", |_: &[u8]| Vec::new()).contains("f"));
    /// ```
    pub fn contains(&self, name: &str) -> bool {
        self.functions.contains_key(name)
    }

    /// In a process the pool started, serves jobs until the pool closes the
    /// worker's stdin, then exits the process; anywhere else, returns at
    /// once. While serving, the process's stdout is the pool's channel: what
    /// the job functions print goes to stderr instead.
    ///
    /// ```
    /// // Not started by a pool: nothing happens.
    /// corio::executor::process_pool::Registry::new().serve_if_worker();
    /// ```
    pub fn serve_if_worker(&self) {
        if std::env::var_os(WORKER_ENV).is_none() {
            return;
        }
        let code = match self.serve() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("corio process pool worker: {e}");
                1
            }
        };
        std::process::exit(code);
    }

    fn serve(&self) -> io::Result<()> {
        let channel = take_stdout()?;
        let mut out = BufWriter::new(channel);
        let mut input = BufReader::new(io::stdin().lock());
        std::io::Write::write_all(&mut out, protocol::HELLO)?;
        std::io::Write::flush(&mut out)?;
        while let Some((name, job_input)) = protocol::read_job(&mut input)? {
            let Some(function) = self.functions.get(&name) else {
                protocol::write_answer(&mut out, UNKNOWN, name.as_bytes())?;
                continue;
            };
            match catch_unwind(AssertUnwindSafe(|| function(&job_input))) {
                Ok(output) => protocol::write_answer(&mut out, OK, &output)?,
                Err(payload) => {
                    let message = crate::task::error::payload_message(payload.as_ref())
                        .unwrap_or("<non-string payload>")
                        .to_string();
                    // The payload's own destructor may panic too.
                    crate::containment::drop_payload(payload);
                    protocol::write_answer(&mut out, PANICKED, message.as_bytes())?;
                }
            }
        }
        Ok(())
    }
}

/// Moves stdout to a new descriptor for the pool's channel and points
/// descriptor 1 at stderr, so that stray prints cannot corrupt the channel.
fn take_stdout() -> io::Result<File> {
    // SAFETY: dup on descriptor 1, which is open in a worker (the pool's
    // pipe); the new descriptor is owned by nobody else.
    let channel = unsafe { libc::dup(1) };
    if channel == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `channel` was just created by dup and is owned only here.
    let channel = unsafe { File::from_raw_fd(channel) };
    // SAFETY: both descriptors are open; dup2 replaces descriptor 1 atomically.
    if unsafe { libc::dup2(2, 1) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(channel)
}
