//! 信号驱动 I/O: every socket is put in `O_ASYNC` mode with this thread as
//! its owner, so the kernel sends the thread `SIGIO` when a socket becomes
//! readable. The thread keeps `SIGIO` blocked and takes it with
//! `sigtimedwait`, so no handler runs at an arbitrary moment — but a plain
//! `SIGIO` does not say which socket it is about (several merge into one),
//! so each signal costs a scan of every connection. That is why the seed
//! calls it 不常用, rarely used: epoll tells you which.
//!
//! Linux only: `F_SETOWN_EX` with `F_OWNER_TID` directs the signal to this
//! one thread (plain `F_SETOWN` would send it to the process, where any
//! thread with `SIGIO` unblocked would die of it, its default action).

use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

use super::{echo_ready, thread_cpu_time, ServerReport};

/// `F_SETOWN_EX` and `F_OWNER_TID` from <fcntl.h>; the `libc` crate does not
/// export them for x86_64 glibc.
const F_SETOWN_EX: libc::c_int = 15;
const F_OWNER_TID: libc::c_int = 0;

/// `struct f_owner_ex` from <fcntl.h>.
#[repr(C)]
struct OwnerEx {
    kind: libc::c_int,
    pid: libc::pid_t,
}

/// How long to wait for a signal before scanning anyway: a safety net only,
/// since a readiness change while scanning leaves `SIGIO` pending.
const RESCAN_AFTER: Duration = Duration::from_millis(100);

pub fn serve(listener: TcpListener, clients: usize) -> io::Result<ServerReport> {
    let cpu_start = thread_cpu_time();
    let sigio = block_sigio()?;
    listener.set_nonblocking(true)?;
    signal_this_thread(&listener)?;
    let mut open: Vec<TcpStream> = Vec::new();
    let (mut accepted, mut closed) = (0, 0);
    while closed < clients {
        while accepted < clients {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(true)?;
                    signal_this_thread(&stream)?;
                    open.push(stream);
                    accepted += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        let mut i = 0;
        while i < open.len() {
            if echo_ready(&mut open[i])? {
                i += 1;
            } else {
                open.swap_remove(i);
                closed += 1;
            }
        }
        if closed < clients {
            wait_for_sigio(&sigio)?;
        }
    }
    drop(open);
    drop(listener);
    // A SIGIO still pending is discarded when this thread ends, and SIGIO
    // stays blocked here until then.
    Ok(ServerReport {
        cpu: thread_cpu_time() - cpu_start,
        threads: 1,
    })
}

/// Blocks `SIGIO` in this thread; returns the set that holds it.
fn block_sigio() -> io::Result<libc::sigset_t> {
    // SAFETY: an all-zero `sigset_t` is a valid value to hand to
    // sigemptyset, which initialises it.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid `sigset_t` owned by this frame; the mask
    // change applies to the calling thread only.
    let rc = unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGIO);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut())
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok(set)
}

/// Makes the kernel send `SIGIO` to this thread when `socket` is ready.
fn signal_this_thread(socket: &impl AsRawFd) -> io::Result<()> {
    let fd = socket.as_raw_fd();
    // SAFETY: gettid has no preconditions.
    let owner = OwnerEx {
        kind: F_OWNER_TID,
        pid: unsafe { libc::gettid() },
    };
    // SAFETY: `fd` is an open socket borrowed for the call; `owner` is a
    // valid `struct f_owner_ex` that outlives it.
    if unsafe { libc::fcntl(fd, F_SETOWN_EX, &owner as *const OwnerEx) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above; F_GETFL takes no argument.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above; F_SETFL takes the new flags as an int.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_ASYNC | libc::O_NONBLOCK) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Waits for a `SIGIO` (`true`) or the rescan timeout (`false`).
fn wait_for_sigio(set: &libc::sigset_t) -> io::Result<bool> {
    let timeout = libc::timespec {
        tv_sec: 0,
        tv_nsec: RESCAN_AFTER.as_nanos() as libc::c_long,
    };
    // SAFETY: `set` and `timeout` are valid for the call, and no siginfo is
    // asked for (a null pointer is allowed).
    let rc = unsafe { libc::sigtimedwait(set, std::ptr::null_mut(), &timeout) };
    if rc == libc::SIGIO {
        return Ok(true);
    }
    match io::Error::last_os_error() {
        e if matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EINTR)) => Ok(false),
        e => Err(e),
    }
}
