//! `corio::signal`: Unix signals as loop events — asyncio's
//! `add_signal_handler`, plus `ctrl_c` and a `Stream` of deliveries.
//!
//! A signal can interrupt any thread at any instruction, so the code that
//! runs in the OS handler may do almost nothing. corio's does one thing:
//! it writes a byte to a socket (the self-pipe trick). The other end of the
//! socket is registered with the loop's reactor like any other socket, so
//! everything the program wants to do about the signal happens later, on
//! the loop, in ordinary code:
//!
//! ```text
//! OS handler (os_handler.rs) ── 1 byte ──▶ socket pair ── readable ──▶ reactor
//!     ──▶ Signals::poll_recv (signals.rs) wakes its task
//!     ──▶ add_signal_handler's task calls call_soon(callback) (handler.rs)
//! ```
//!
//! * [`signal`] → [`Signals`]: the deliveries of one signal, as
//!   `recv().await` or a `futures_core::Stream`;
//! * [`ctrl_c`]: wait for one `SIGINT`;
//! * [`add_signal_handler`] / [`remove_signal_handler`]: asyncio's callback
//!   form, one handler per signal per loop.
//!
//! Any number of listeners — on one loop, or on loops on several threads —
//! may listen to one signal; each gets every delivery (bursts coalesce, see
//! [`Signals::recv`]). `SIGKILL`, `SIGSTOP`, the fault signals (`SIGSEGV`,
//! `SIGBUS`, `SIGILL`, `SIGFPE`) and numbers that are no signal are refused
//! with `InvalidInput`. When a signal's last listener goes, the signal gets
//! back the action it had before corio listened.
//!
//! Unix only. Signal numbers are `i32` constants, re-exported here.
//!
//! ```
//! use corio::signal::{signal, SIGTERM};
//!
//! corio::run(async {
//!     let mut term = signal(SIGTERM).unwrap();
//!     let server = corio::spawn(async { /* serve until told to stop */ });
//!     // SAFETY: SIGTERM has a listener, so raising it does not kill the process.
//!     unsafe { libc::raise(SIGTERM) };
//!     term.recv().await;
//!     server.cancel();
//!     println!("SIGTERM: shutting down");
//! });
//! ```

mod ctrl_c;
mod handler;
mod number;
mod os_handler;
mod signals;

pub use ctrl_c::ctrl_c;
pub use handler::{add_signal_handler, remove_signal_handler};
pub use number::{
    SIGABRT, SIGALRM, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGHUP, SIGILL, SIGINT, SIGIO, SIGKILL,
    SIGPIPE, SIGPROF, SIGQUIT, SIGSEGV, SIGSTOP, SIGSYS, SIGTERM, SIGTRAP, SIGTSTP, SIGTTIN,
    SIGTTOU, SIGURG, SIGUSR1, SIGUSR2, SIGVTALRM, SIGWINCH, SIGXCPU, SIGXFSZ,
};
pub use signals::{signal, Signals};
