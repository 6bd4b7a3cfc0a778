//! `Command`: a child process to start, shaped like `std::process::Command`,
//! with asyncio's stdio options.
//!
//! The fork and exec are std's (`std::process::Command::spawn`: close-on-exec
//! descriptors, `posix_spawn` or `vfork` where it can, the exec error carried
//! back to the parent so a missing program is a `NotFound` error). corio adds
//! what makes the child asynchronous: its pipe ends become non-blocking,
//! registered with the loop and wrapped in asyncio's `StreamWriter` /
//! `StreamReader`, and its exit is watched by an `ExitWatch`.

use std::ffi::OsStr;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::Stdio as StdStdio;

use super::child::{Piped, Process};
use super::pipe::{ChildOutput, ChildStdin};
use super::stdio::{wire_outputs, Stdio};
use crate::event_loop::context;
use crate::streams::{StreamReader, StreamWriter};

/// A child process to spawn; build it, then [`spawn`](Command::spawn).
///
/// ```
/// use corio::process::{Command, Stdio};
///
/// corio::run(async {
///     let mut child = Command::new("sh")
///         .args(["-c", "echo $GREETING from $(pwd)"])
///         .env("GREETING", "hello")
///         .current_dir("/")
///         .stdout(Stdio::Pipe)
///         .spawn()?;
///     let (out, _) = child.communicate(None).await?;
///     assert_eq!(out.unwrap(), b"hello from /\n");
///     assert_eq!(child.returncode(), Some(0));
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct Command {
    inner: std::process::Command,
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
}

impl Command {
    /// A command running `program` (looked up in `PATH` when it has no
    /// slash), with no arguments and every stream inherited.
    ///
    /// ```
    /// let _ = corio::process::Command::new("ls");
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            inner: std::process::Command::new(program),
            stdin: Stdio::Inherit,
            stdout: Stdio::Inherit,
            stderr: Stdio::Inherit,
        }
    }

    /// Adds one argument.
    ///
    /// ```
    /// let _ = corio::process::Command::new("ls").arg("-l");
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.inner.arg(arg);
        self
    }

    /// Adds arguments.
    ///
    /// ```
    /// let _ = corio::process::Command::new("ls").args(["-l", "/"]);
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.inner.args(args);
        self
    }

    /// Sets an environment variable for the child.
    ///
    /// ```
    /// let _ = corio::process::Command::new("env").env("LANG", "C");
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.inner.env(key, value);
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// ```
    /// let _ = corio::process::Command::new("env").env_remove("HOME");
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.inner.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what `env` adds).
    ///
    /// ```
    /// let _ = corio::process::Command::new("/usr/bin/env").env_clear();
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.inner.env_clear();
        self
    }

    /// The child's working directory.
    ///
    /// ```
    /// let _ = corio::process::Command::new("ls").current_dir("/tmp");
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.inner.current_dir(dir);
        self
    }

    /// Where the child's standard input comes from.
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    /// let _ = Command::new("cat").stdin(Stdio::Pipe);
    /// ```
    pub fn stdin(&mut self, stdin: Stdio) -> &mut Command {
        self.stdin = stdin;
        self
    }

    /// Where the child's standard output goes.
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    /// let _ = Command::new("ls").stdout(Stdio::DevNull);
    /// ```
    pub fn stdout(&mut self, stdout: Stdio) -> &mut Command {
        self.stdout = stdout;
        self
    }

    /// Where the child's standard error goes; [`Stdio::Stdout`] merges it
    /// into stdout.
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    /// let _ = Command::new("ls").stdout(Stdio::Pipe).stderr(Stdio::Stdout);
    /// ```
    pub fn stderr(&mut self, stderr: Stdio) -> &mut Command {
        self.stderr = stderr;
        self
    }

    /// Starts the child on the running loop. The command can be spawned
    /// again.
    ///
    /// # Errors
    ///
    /// `NotFound` when the program does not exist, `PermissionDenied` when
    /// it cannot be executed, `InvalidInput` for `Stdio::Stdout` on stdin or
    /// stdout, an `Other` error when no corio loop runs on this thread, and
    /// the OS error of a failed fork or pipe.
    ///
    /// ```
    /// use corio::process::Command;
    ///
    /// corio::run(async {
    ///     let err = Command::new("no-such-program-corio").spawn().unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    ///     let child = Command::new("true").spawn().unwrap();
    ///     assert_eq!(child.wait().await.unwrap(), 0);
    /// });
    /// ```
    pub fn spawn(&mut self) -> io::Result<Process> {
        if context::with_current_loop(|_| ()).is_none() {
            return Err(io::Error::other(
                "corio::process needs a running corio loop on this thread (use it inside corio::run)",
            ));
        }
        let outputs = wire_outputs(self.stdout, self.stderr)?;
        self.inner.stdin(self.stdin.to_std("stdin")?);
        self.inner.stdout(outputs.stdout);
        self.inner.stderr(outputs.stderr);
        let spawned = self.inner.spawn();
        // std keeps the configured stdio until it is replaced: drop our copies
        // of the pipe ends now, or the parent would hold a write end open and
        // never see the child's end-of-file.
        self.inner.stdin(StdStdio::inherit());
        self.inner.stdout(StdStdio::inherit());
        self.inner.stderr(StdStdio::inherit());
        let mut child = spawned?;
        let mut process = Process::new(
            child.id(),
            Piped {
                stdin: self.stdin == Stdio::Pipe,
                stdout: self.stdout == Stdio::Pipe,
                stderr: self.stderr == Stdio::Pipe,
            },
        );
        // `std::process::Child` is dropped below without waiting: corio's
        // `Process` reaps the child from now on.
        let stdout_end = outputs
            .merged_read_end
            .or_else(|| child.stdout.take().map(OwnedFd::from));
        // The pipe ends become asyncio's streams: a buffered `StreamWriter`
        // for stdin, `StreamReader`s for the outputs.
        let registered = (|| -> io::Result<()> {
            if let Some(stdin) = child.stdin.take() {
                process.stdin = Some(StreamWriter::new(ChildStdin::new(stdin.into())?));
            }
            if let Some(stdout) = stdout_end {
                process.stdout = Some(StreamReader::new(ChildOutput::new(stdout)?));
            }
            if let Some(stderr) = child.stderr.take() {
                process.stderr = Some(StreamReader::new(ChildOutput::new(stderr.into())?));
            }
            Ok(())
        })();
        if let Err(e) = registered {
            // The child runs but cannot be talked to: stop it; dropping the
            // `Process` reaps it.
            let _ = process.kill();
            return Err(e);
        }
        Ok(process)
    }
}
