//! Reaping children whose `Process` was dropped without `wait`.
//!
//! An exited child stays a zombie — an entry in the kernel's process table —
//! until its parent reaps it; a long-running server that spawns and forgets
//! would fill the table. asyncio's child watcher reaps every child in the
//! background; corio does the same per child: the dropped `Process` gives
//! its `ExitWatch` to a small task on the loop (named `corio-reap-<pid>`)
//! that waits for the exit exactly as `Process::wait` would — on the pidfd,
//! costing nothing while the child runs — and reaps it.
//!
//! When that is not possible the `ExitWatch`'s own `Drop` takes over (a
//! detached thread blocked in `waitpid(pid, 0)`): the `Process` was dropped
//! outside any loop, or the loop closed while the child still ran (closing
//! cancels the reaper task, which drops the watch).

use super::exit_watch::ExitWatch;
use crate::event_loop::context;

/// Makes sure the child behind `watch` is reaped, now or later.
pub(crate) fn reap_in_background(watch: ExitWatch) {
    if matches!(watch.try_reap(), Ok(Some(_)) | Err(_)) {
        return;
    }
    if context::with_current_loop(|_| ()).is_none() {
        return; // dropping `watch` hands it to a reaper thread
    }
    let name = format!("corio-reap-{}", watch.pid());
    // The task's output is unused: an error here (`ECHILD`: someone else
    // reaped it) leaves nothing to clean up.
    let _detached = crate::task::Builder::new().name(name).spawn(async move {
        let _ = watch.wait().await;
    });
}
