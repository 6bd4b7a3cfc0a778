//! `Process`: a running child — asyncio's `asyncio.subprocess.Process`.
//!
//! It owns the child's `ExitWatch` (how the exit is learned and the child
//! reaped) and exposes the parent's pipe ends as public fields holding
//! asyncio's stream types, as asyncio exposes `proc.stdin` (a
//! `StreamWriter`) and `proc.stdout` / `proc.stderr` (`StreamReader`s);
//! take them to use them from other tasks.
//!
//! Signalling is refused once the child has been reaped: from then on its
//! pid may belong to another process, and a `kill` could hit a stranger.
//! Before the reap the pid is still ours (an exited, unreaped child is a
//! zombie that keeps its number), so signalling an exited child that was not
//! yet waited for is a harmless no-op — CPython's rule as well.
//!
//! Dropping a `Process` does not stop the child (asyncio does not either);
//! it is reaped in the background when it exits (`orphan.rs`).

use std::io;

use super::exit_watch::ExitWatch;
use super::orphan;
use crate::streams::{StreamReader, StreamWriter};

/// Which streams were configured as [`Stdio::Pipe`](super::Stdio::Pipe).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piped {
    pub(crate) stdin: bool,
    pub(crate) stdout: bool,
    pub(crate) stderr: bool,
}

/// A child process started by [`Command::spawn`](super::Command::spawn),
/// [`create_subprocess_exec`](super::create_subprocess_exec) or
/// [`create_subprocess_shell`](super::create_subprocess_shell).
///
/// ```
/// use corio::process::create_subprocess_shell;
///
/// corio::run(async {
///     let child = create_subprocess_shell("exit 3").await?;
///     assert!(child.pid() > 0);
///     assert_eq!(child.wait().await?, 3);
///     assert_eq!(child.returncode(), Some(3));
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct Process {
    /// The child's stdin, when it was [`Stdio::Pipe`](super::Stdio::Pipe):
    /// `write` + `drain`, then `close` (the child reads EOF).
    pub stdin: Option<StreamWriter>,
    /// The child's stdout, when it was [`Stdio::Pipe`](super::Stdio::Pipe):
    /// `readline`, `read`, `read_to_eof`, ….
    pub stdout: Option<StreamReader>,
    /// The child's stderr, when it was [`Stdio::Pipe`](super::Stdio::Pipe).
    pub stderr: Option<StreamReader>,
    pid: u32,
    /// `Some` until the `Process` is dropped (then handed to `orphan`).
    exit: Option<ExitWatch>,
    pub(crate) piped: Piped,
    pub(crate) communicated: bool,
}

impl Process {
    pub(crate) fn new(pid: u32, piped: Piped) -> Process {
        Process {
            stdin: None,
            stdout: None,
            stderr: None,
            pid,
            exit: Some(ExitWatch::new(pid)),
            piped,
            communicated: false,
        }
    }

    fn exit(&self) -> &ExitWatch {
        self.exit.as_ref().expect("present until drop")
    }

    /// The child's process id.
    ///
    /// ```
    /// # corio::run(async {
    /// let child = corio::process::create_subprocess_exec("true", [""; 0]).await.unwrap();
    /// assert!(child.pid() > 1);
    /// # child.wait().await.unwrap(); });
    /// ```
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Waits for the child to exit and returns its return code: the exit
    /// status, or `-signal` when a signal killed it (asyncio's rule). Waiting
    /// again returns the same code at once.
    ///
    /// Only this child is waited for; the loop keeps running other tasks.
    /// With piped output, read it (or use [`communicate`](Self::communicate))
    /// before or while waiting: a child blocked on a full pipe never exits.
    ///
    /// # Errors
    ///
    /// The OS error of `waitpid` (`ECHILD` if something else reaped the
    /// child — a `SIGCHLD` set to `SIG_IGN`, or a `waitpid(-1)` elsewhere).
    ///
    /// ```
    /// # corio::run(async {
    /// let child = corio::process::create_subprocess_shell("kill -9 $$").await.unwrap();
    /// assert_eq!(child.wait().await.unwrap(), -9);
    /// # });
    /// ```
    pub async fn wait(&self) -> io::Result<i32> {
        self.exit().wait().await
    }

    /// The return code if the child has exited, `None` while it runs
    /// (asyncio's `returncode` attribute). Reaps an exited child without
    /// waiting.
    ///
    /// ```
    /// # corio::run(async {
    /// let child = corio::process::create_subprocess_exec("sleep", ["10"]).await.unwrap();
    /// assert_eq!(child.returncode(), None);
    /// child.kill().unwrap();
    /// child.wait().await.unwrap();
    /// assert_eq!(child.returncode(), Some(-9));
    /// # });
    /// ```
    pub fn returncode(&self) -> Option<i32> {
        self.exit().try_reap().ok().flatten()
    }

    /// Sends `signal` (a `libc::SIG*` number) to the child.
    ///
    /// # Errors
    ///
    /// After the child was reaped (its return code is known): `ESRCH`
    /// ("No such process"), asyncio's `ProcessLookupError` — the pid may
    /// belong to someone else by then. An invalid signal number: `EINVAL`.
    ///
    /// ```
    /// # corio::run(async {
    /// let child = corio::process::create_subprocess_exec("sleep", ["10"]).await.unwrap();
    /// child.send_signal(15).unwrap(); // SIGTERM
    /// assert_eq!(child.wait().await.unwrap(), -15);
    /// let err = child.send_signal(15).unwrap_err();
    /// assert_eq!(err.raw_os_error(), Some(3)); // ESRCH: ProcessLookupError
    /// # });
    /// ```
    pub fn send_signal(&self, signal: i32) -> io::Result<()> {
        if self.exit().reaped().is_some() {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
        super::sys::kill(self.pid, signal)
    }

    /// Sends `SIGTERM`. Errors as [`send_signal`](Self::send_signal).
    ///
    /// ```
    /// # corio::run(async {
    /// let child = corio::process::create_subprocess_exec("sleep", ["10"]).await.unwrap();
    /// child.terminate().unwrap();
    /// assert_eq!(child.wait().await.unwrap(), -15);
    /// # });
    /// ```
    pub fn terminate(&self) -> io::Result<()> {
        self.send_signal(libc::SIGTERM)
    }

    /// Sends `SIGKILL`. Errors as [`send_signal`](Self::send_signal).
    ///
    /// ```
    /// # corio::run(async {
    /// let child = corio::process::create_subprocess_exec("sleep", ["10"]).await.unwrap();
    /// child.kill().unwrap();
    /// assert_eq!(child.wait().await.unwrap(), -9);
    /// # });
    /// ```
    pub fn kill(&self) -> io::Result<()> {
        self.send_signal(libc::SIGKILL)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(watch) = self.exit.take() {
            orphan::reap_in_background(watch);
        }
    }
}
