//! `ctrl_c`: wait for one Ctrl-C — the usual way a server learns it should
//! shut down.

use std::future::Future;
use std::io;

use super::number::SIGINT;
use super::signals::{signal, Signals};
use crate::event_loop::context;

/// Waits until the process gets `SIGINT` (Ctrl-C at the terminal).
///
/// **When it starts listening.** Called inside a running loop, it listens
/// from the call on: `let stop = ctrl_c();` before the work means a Ctrl-C
/// during the work is not lost, even before `stop` is first awaited. Called
/// outside a loop (as in `corio::run(ctrl_c())`), it starts listening when
/// the loop first polls it.
///
/// While it listens, Ctrl-C no longer kills the process. The listener goes
/// when the future completes or is dropped; then `SIGINT` has its default
/// action again, so a second Ctrl-C during a slow shutdown kills the
/// process — the way out users expect.
///
/// # Errors
///
/// When no corio loop runs when it is polled, or the self-pipe cannot be
/// made.
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let interrupted = corio::signal::ctrl_c(); // listening from here on
///     // SAFETY: SIGINT has a listener, so raising it does not kill the process.
///     unsafe { libc::raise(corio::signal::SIGINT) };
///     let result = corio::time::timeout(Duration::from_secs(10), interrupted).await;
///     assert!(matches!(result, Ok(Ok(()))));
/// });
/// ```
pub fn ctrl_c() -> impl Future<Output = io::Result<()>> {
    let listening_now = context::with_current_loop(|_| signal(SIGINT));
    async move {
        let mut interrupts: Signals = match listening_now {
            Some(listener) => listener?,
            None => signal(SIGINT)?,
        };
        interrupts
            .recv()
            .await
            .ok_or_else(|| io::Error::other("corio: the self-pipe for SIGINT failed"))
    }
}
