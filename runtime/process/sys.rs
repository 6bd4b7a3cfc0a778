//! The system calls `corio::process` makes, each wrapped once with what the
//! kernel promises about it. Nothing else in `process/` calls `libc`.
//!
//! * `pidfd_open(pid)` (Linux ≥ 5.3): a descriptor that becomes readable
//!   when the process exits. It refers to the process itself, not to its
//!   number, and our child cannot be replaced under its number until we reap
//!   it, so opening it right after the spawn is race-free. Close-on-exec is
//!   always set by the kernel.
//! * `waitpid(pid, WNOHANG)`: reaps *that* child if it has exited, and only
//!   that one — corio never calls `waitpid(-1)`, which would steal the exit
//!   status of children the program started some other way.
//! * `kill(pid, sig)`: safe while the child is unreaped (a zombie still holds
//!   its number, and signalling it does nothing); after the reap the number
//!   may belong to someone else, so callers refuse to signal a reaped child.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// The process's return code as asyncio gives it: the exit status, or the
/// negated number of the signal that killed it.
fn returncode_from_status(status: libc::c_int) -> i32 {
    if libc::WIFSIGNALED(status) {
        -libc::WTERMSIG(status)
    } else {
        libc::WEXITSTATUS(status)
    }
}

/// Opens a pidfd for our child `pid`. `ENOSYS` on kernels older than 5.3;
/// `EPERM` where a seccomp filter forbids it.
pub(crate) fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and a flags word and returns a new
    // descriptor or -1; no memory is passed.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor to us; nobody else
    // owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Reaps our child `pid` if it has exited: `Some(returncode)`; `None` while
/// it runs. `block` waits for the exit (only ever on a thread of its own).
pub(crate) fn waitpid(pid: u32, block: bool) -> io::Result<Option<i32>> {
    let flags = if block { 0 } else { libc::WNOHANG };
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: `status` is a valid, writable c_int for the call's duration.
        let reaped = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, flags) };
        match reaped {
            0 => return Ok(None),
            r if r > 0 => return Ok(Some(returncode_from_status(status))),
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}

/// Sends `signal` to `pid`.
pub(crate) fn kill(pid: u32, signal: i32) -> io::Result<()> {
    // SAFETY: kill takes two integers; no memory is passed.
    if unsafe { libc::kill(pid as libc::pid_t, signal) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Makes `fd` non-blocking, so a read or write that cannot proceed returns
/// `EAGAIN` instead of putting the loop's thread to sleep.
pub(crate) fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFL on a descriptor we own reads its flags; no memory.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: F_SETFL with the flags just read plus O_NONBLOCK; no memory.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A pipe, both ends close-on-exec: `(read end, write end)`.
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [libc::c_int; 2] = [-1; 2];
    // SAFETY: `fds` is a writable array of two c_ints, as pipe2 requires.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both entries are new descriptors we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `read(2)` into `buf`.
pub(crate) fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// `write(2)` from `buf`.
pub(crate) fn write(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes.
    let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}
