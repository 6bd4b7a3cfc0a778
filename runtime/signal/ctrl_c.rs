//! `ctrl_c`: wait for one Ctrl-C — the usual way a server learns it should
//! shut down.

use std::io;

use super::number::SIGINT;
use super::signals::signal;

/// Waits until the process gets `SIGINT` (Ctrl-C at the terminal).
///
/// The listener is installed when the future is first polled, and removed
/// when it completes or is dropped. While it is installed, Ctrl-C no longer
/// kills the process; once it is gone, `SIGINT` has its default action
/// again, so a second Ctrl-C during a slow shutdown kills the process — the
/// way out users expect. Spawn (or first poll) the wait before the work it
/// should interrupt.
///
/// # Errors
///
/// When no corio loop runs on this thread, or the self-pipe cannot be made.
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let interrupted = corio::spawn(corio::signal::ctrl_c());
///     corio::yield_now().await; // the task ran until its first wait: listening now
///     // SAFETY: SIGINT has a listener, so raising it does not kill the process.
///     unsafe { libc::raise(corio::signal::SIGINT) };
///     let result = corio::time::timeout(Duration::from_secs(10), interrupted).await;
///     assert!(matches!(result, Ok(Ok(Ok(())))));
/// });
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupts = signal(SIGINT)?;
    interrupts
        .recv()
        .await
        .ok_or_else(|| io::Error::other("corio: the self-pipe for SIGINT failed"))
}
