//! `ExitWatch`: learning that a child exited without blocking the loop, and
//! reaping it.
//!
//! **With a pidfd** (Linux ≥ 5.3): `pidfd_open(pid)` gives a descriptor that
//! turns readable when the child exits. It is opened lazily, by the first
//! wait that finds the child still running: a child that is already gone
//! when someone waits (a short command, the common case under load) is
//! reaped by one `waitpid` and never costs a descriptor, an `epoll_ctl` pair
//! or a `close`. Opening late is as safe as opening early — our unreaped
//! child keeps its pid. It is registered with the loop's
//! reactor like a socket (`AsyncFd`), so a task waiting for the exit costs no
//! thread and no wake-up until it happens; then `waitpid(pid, WNOHANG)` reaps
//! it. The descriptor names the process, not its number, and the loop wakes
//! only the task that waits for *this* child.
//!
//! **Without one** (an older kernel says `ENOSYS`; a seccomp sandbox may say
//! `EPERM`; a process out of descriptors says `EMFILE`): the waiting task
//! polls `waitpid(pid, WNOHANG)` on a corio timer, starting at 1 ms and
//! doubling up to 100 ms. Any `pidfd_open` failure falls back — the child is
//! already running, and failing the spawn would leave it unwatched. Polling
//! rather than `SIGCHLD`: a `SIGCHLD` handler is process-wide state shared
//! with every other library in the program (and with `corio::signal`), and
//! the signal carries no pid, so every exit would have to try every child;
//! polling touches only our own child and needs no global state. It only
//! runs on kernels from before 2019, or in sandboxes; the latency it adds is
//! at most the current backoff step.
//!
//! Either way, only our own pid is ever reaped, and the return code is
//! remembered: after the reap the number may be reused by a stranger, so it
//! is never waited on or signalled again.
//!
//! **Dropped unreaped**, an `ExitWatch` tries one last `waitpid(WNOHANG)`; if
//! the child still runs it hands the pid to a small detached thread that
//! blocks in `waitpid(pid, 0)`. That is the fallback for children still
//! running when their loop closes (see `orphan.rs` for the normal path).

use std::cell::{Cell, OnceCell};
use std::future::poll_fn;
use std::io;
use std::time::Duration;

use super::sys;
use crate::io::async_fd::AsyncFd;
use crate::io::registration::WaitAs;
use crate::io::waiter::Waiter;

/// First and longest sleep between two `waitpid` calls without a pidfd.
const POLL_FIRST: Duration = Duration::from_millis(1);
const POLL_LONGEST: Duration = Duration::from_millis(100);

/// How one child's exit is watched. See the module docs.
#[derive(Debug)]
pub(crate) struct ExitWatch {
    pid: u32,
    returncode: Cell<Option<i32>>,
    /// Empty until the first wait that finds the child running; then the
    /// registered pidfd, or `None` for the polling fallback.
    pidfd: OnceCell<Option<AsyncFd>>,
}

impl ExitWatch {
    /// Watches our just-spawned child `pid`.
    pub(crate) fn new(pid: u32) -> ExitWatch {
        ExitWatch {
            pid,
            returncode: Cell::new(None),
            pidfd: OnceCell::new(),
        }
    }

    /// Always the polling fallback (tests of the fallback use it).
    #[cfg(test)]
    pub(crate) fn polling(pid: u32) -> ExitWatch {
        ExitWatch {
            pid,
            returncode: Cell::new(None),
            pidfd: OnceCell::from(None),
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// The registered pidfd, opened on first use; `None`: poll instead.
    /// A kernel that refuses pidfds is asked once; a registration that
    /// failed (no loop running) is tried again at the next wait.
    fn pidfd(&self) -> Option<&AsyncFd> {
        if self.pidfd.get().is_none() {
            match sys::pidfd_open(self.pid) {
                Err(_) => {
                    let _ = self.pidfd.set(None);
                }
                Ok(fd) => {
                    if let Ok(registered) = AsyncFd::new(fd) {
                        let _ = self.pidfd.set(Some(registered));
                    }
                }
            }
        }
        self.pidfd.get().and_then(Option::as_ref)
    }

    /// `true` when a pidfd watches (or can watch) the running child.
    #[cfg(test)]
    pub(crate) fn has_pidfd(&self) -> bool {
        self.pidfd().is_some()
    }

    /// The return code if the child was reaped (no system call).
    pub(crate) fn reaped(&self) -> Option<i32> {
        self.returncode.get()
    }

    /// Reaps the child if it exited; remembers and returns the return code.
    pub(crate) fn try_reap(&self) -> io::Result<Option<i32>> {
        if let Some(code) = self.returncode.get() {
            return Ok(Some(code));
        }
        let code = sys::waitpid(self.pid, false)?;
        self.returncode.set(code);
        Ok(code)
    }

    /// Waits for the exit, reaps, and returns the return code.
    pub(crate) async fn wait(&self) -> io::Result<i32> {
        if let Some(code) = self.try_reap()? {
            return Ok(code);
        }
        match self.pidfd() {
            Some(pidfd) => {
                // Owned by this wait: a `wait_for` that gives up takes the
                // task's waker back out of the pidfd's entry.
                let mut waiter = Waiter::default();
                poll_fn(|cx| {
                    pidfd.poll_read_with(
                        cx,
                        WaitAs::Own(&mut waiter),
                        // Readable means exited; a spurious event finds it
                        // running and waits for the next one.
                        |_| self.try_reap()?.ok_or(io::ErrorKind::WouldBlock.into()),
                        |_| false,
                    )
                })
                .await
            }
            None => self.poll_until_reaped().await,
        }
    }

    /// The fallback: `waitpid(WNOHANG)` on a backing-off timer.
    async fn poll_until_reaped(&self) -> io::Result<i32> {
        let mut delay = POLL_FIRST;
        loop {
            crate::time::sleep(delay).await;
            if let Some(code) = self.try_reap()? {
                return Ok(code);
            }
            delay = (delay * 2).min(POLL_LONGEST);
        }
    }
}

impl Drop for ExitWatch {
    fn drop(&mut self) {
        if matches!(self.try_reap(), Ok(Some(_)) | Err(_)) {
            return;
        }
        let pid = self.pid;
        let reaper = std::thread::Builder::new()
            .name(format!("corio-reap-{pid}"))
            .stack_size(64 * 1024)
            .spawn(move || {
                let _ = sys::waitpid(pid, true);
            });
        if let Err(e) = reaper {
            eprintln!("corio: cannot start a thread to reap child {pid} ({e}); it stays a zombie until this program exits");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ExitWatch;

    // The std handle is dropped without waiting on purpose: the watch reaps.
    #[allow(clippy::zombie_processes)]
    fn spawn_shell(script: &str) -> u32 {
        let child = std::process::Command::new("/bin/sh")
            .args(["-c", script])
            .spawn()
            .expect("sh runs");
        child.id()
    }

    #[test]
    fn polling_fallback_reaps_with_the_exit_status() {
        crate::run(async {
            let watch = ExitWatch::polling(spawn_shell("sleep 0.05; exit 5"));
            assert!(!watch.has_pidfd());
            assert_eq!(watch.wait().await.unwrap(), 5);
            assert_eq!(watch.reaped(), Some(5));
            assert_eq!(
                watch.wait().await.unwrap(),
                5,
                "a second wait repeats the code"
            );
        });
    }

    #[test]
    fn pidfd_watch_reports_a_signal_as_a_negative_code() {
        crate::run(async {
            let watch = ExitWatch::new(spawn_shell("sleep 0.1; kill -TERM $$"));
            assert!(watch.has_pidfd(), "this kernel (Linux >= 5.3) gives pidfds");
            assert_eq!(watch.wait().await.unwrap(), -libc::SIGTERM);
        });
    }

    #[test]
    fn dropped_watch_hands_a_running_child_to_a_reaper_thread() {
        let pid = spawn_shell("sleep 0.1");
        drop(ExitWatch::polling(pid));
        // Nobody here waits for it: only the reaper thread can make its
        // /proc entry go away (an unreaped child would stay a zombie).
        let stat = format!("/proc/{pid}/stat");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::path::Path::new(&stat).exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "child {pid} never reaped"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}
