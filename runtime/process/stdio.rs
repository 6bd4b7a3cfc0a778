//! `Stdio`: where a child's standard stream goes — asyncio's `PIPE`,
//! `DEVNULL`, `STDOUT` and `None` (inherit).

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::process::Stdio as StdStdio;

use super::sys;

/// Where one of the child's standard streams goes.
///
/// ```
/// use corio::process::{Command, Stdio};
///
/// corio::run(async {
///     let out = Command::new("sh")
///         .args(["-c", "echo out; echo err >&2"])
///         .stdout(Stdio::Pipe)
///         .stderr(Stdio::Stdout) // asyncio's stderr=STDOUT
///         .spawn()?
///         .communicate(None)
///         .await?;
///     assert_eq!(out.0.unwrap(), b"out\nerr\n");
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Stdio {
    /// The parent's own stream (asyncio's `None`, the default).
    #[default]
    Inherit,
    /// A pipe to the parent: `Process::stdin` / `stdout` / `stderr` (`PIPE`).
    Pipe,
    /// `/dev/null` (`DEVNULL`).
    DevNull,
    /// For stderr only: wherever stdout goes (`STDOUT`). For stdin or stdout
    /// it is an `InvalidInput` error at spawn.
    Stdout,
}

/// What the child's stdout and stderr are given, plus the parent's read end
/// when stderr is merged into a piped stdout.
pub(crate) struct OutputWiring {
    pub(crate) stdout: StdStdio,
    pub(crate) stderr: StdStdio,
    /// `Some` when corio made the stdout pipe itself (stderr shares it).
    pub(crate) merged_read_end: Option<OwnedFd>,
}

impl Stdio {
    /// The std equivalent for a stream that is not merged.
    pub(crate) fn to_std(self, which: &str) -> io::Result<StdStdio> {
        match self {
            Stdio::Inherit => Ok(StdStdio::inherit()),
            Stdio::Pipe => Ok(StdStdio::piped()),
            Stdio::DevNull => Ok(StdStdio::null()),
            Stdio::Stdout => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("Stdio::Stdout is only for stderr, not {which}"),
            )),
        }
    }
}

/// The child's stdout and stderr. With `stderr == Stdio::Stdout` both get
/// one descriptor: a pipe corio makes (its read end kept for the parent), a
/// copy of the parent's stdout, or `/dev/null`.
pub(crate) fn wire_outputs(stdout: Stdio, stderr: Stdio) -> io::Result<OutputWiring> {
    if stderr != Stdio::Stdout {
        return Ok(OutputWiring {
            stdout: stdout.to_std("stdout")?,
            stderr: stderr.to_std("stderr")?,
            merged_read_end: None,
        });
    }
    let (out, err, read_end) = match stdout {
        Stdio::Pipe => {
            let (read_end, write_end) = sys::pipe()?;
            let copy = write_end.try_clone()?;
            (write_end.into(), copy.into(), Some(read_end))
        }
        Stdio::Inherit => {
            let copy = io::stdout().as_fd().try_clone_to_owned()?;
            (StdStdio::inherit(), copy.into(), None)
        }
        Stdio::DevNull => (StdStdio::null(), StdStdio::null(), None),
        Stdio::Stdout => return Err(Stdio::Stdout.to_std("stdout").unwrap_err()),
    };
    Ok(OutputWiring {
        stdout: out,
        stderr: err,
        merged_read_end: read_end,
    })
}
