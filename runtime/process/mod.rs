//! Subprocesses: asyncio's `create_subprocess_exec` / `create_subprocess_shell`
//! and `asyncio.subprocess.Process`, plus a [`Command`] builder shaped like
//! `std::process::Command`.
//!
//! A child is three things to the loop, each watched without blocking it:
//!
//! * its **pipes**: non-blocking pipe ends registered with the loop's
//!   reactor, read and written like sockets (`pipe.rs`), handed out as
//!   asyncio's [`StreamWriter`](crate::streams::StreamWriter) (stdin) and
//!   [`StreamReader`](crate::streams::StreamReader)s (stdout, stderr);
//! * its **exit**: a pidfd registered the same way, readable when the child
//!   exits, then `waitpid` on that one pid (`exit_watch.rs`; on kernels
//!   without pidfds, a backing-off `waitpid(WNOHANG)` poll);
//! * its **reaping** when nobody waits: a dropped [`Process`] leaves a small
//!   task that reaps the child when it exits, so no zombie is left
//!   (`orphan.rs`).
//!
//! ```
//! use corio::process::{Command, Stdio};
//!
//! corio::run(async {
//!     let mut sort = Command::new("sort").stdin(Stdio::Pipe).stdout(Stdio::Pipe).spawn()?;
//!     let (out, _) = sort.communicate(Some(b"pear\napple\n")).await?;
//!     assert_eq!(out.unwrap(), b"apple\npear\n");
//!     assert_eq!(sort.returncode(), Some(0));
//!     Ok::<_, std::io::Error>(())
//! })
//! .unwrap();
//! ```
//!
//! | asyncio | corio |
//! |---|---|
//! | `await create_subprocess_exec(prog, *args)` | [`create_subprocess_exec`]`(prog, args).await` |
//! | `await create_subprocess_shell(cmd)` | [`create_subprocess_shell`]`(cmd).await` |
//! | `stdout=PIPE`, `DEVNULL`, `stderr=STDOUT` | [`Command`]`::new(prog).stdout(`[`Stdio::Pipe`]`)`, [`Stdio::DevNull`], [`Stdio::Stdout`] |
//! | `proc.pid`, `proc.returncode` | [`Process::pid`], [`Process::returncode`] |
//! | `await proc.wait()` | [`Process::wait`] |
//! | `await proc.communicate(input)` | [`Process::communicate`] |
//! | `proc.send_signal(s)`, `terminate()`, `kill()` | [`Process::send_signal`], [`Process::terminate`], [`Process::kill`] |
//! | `ProcessLookupError` after the exit | an `ESRCH` `io::Error` |
//! | `await proc.stdout.readline()`, `proc.stdin.write(b)` | `proc.stdout.as_mut().unwrap().readline().await`, `proc.stdin.as_ref().unwrap().write(b)` |

mod child;
mod command;
mod communicate;
mod exit_watch;
mod orphan;
mod pipe;
mod stdio;
mod sys;

pub use child::Process;
pub use command::Command;
pub use communicate::Communicated;
pub use stdio::Stdio;

use std::ffi::OsStr;
use std::io;

/// Starts `program` with `args`, every stream inherited (asyncio's
/// `create_subprocess_exec`). For pipes, use [`Command`].
///
/// # Errors
///
/// As [`Command::spawn`]: `NotFound` for a program that does not exist.
///
/// ```
/// corio::run(async {
///     let child = corio::process::create_subprocess_exec("sh", ["-c", "exit 7"]).await?;
///     assert_eq!(child.wait().await?, 7);
///     let missing = corio::process::create_subprocess_exec("no-such-corio-program", [""; 0]).await;
///     assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub async fn create_subprocess_exec<I, S>(
    program: impl AsRef<OsStr>,
    args: I,
) -> io::Result<Process>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(program).args(args).spawn()
}

/// Runs `cmd` with `/bin/sh -c`, every stream inherited (asyncio's
/// `create_subprocess_shell`). A command that fails is not an error: its
/// status is the return code.
///
/// # Errors
///
/// As [`Command::spawn`].
///
/// ```
/// corio::run(async {
///     let child = corio::process::create_subprocess_shell("false || exit 4").await?;
///     assert_eq!(child.wait().await?, 4);
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub async fn create_subprocess_shell(cmd: impl AsRef<OsStr>) -> io::Result<Process> {
    Command::new("/bin/sh").arg("-c").arg(cmd).spawn()
}
