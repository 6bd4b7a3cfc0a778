//! Signal numbers: the constants, their names, which ones corio refuses to
//! listen to, and what the OS would do with each if nobody listened.
//!
//! Signals are plain `i32`s, as in C and in Python's `signal` module, so a
//! number from anywhere (a config file, `libc`) can be passed on. corio
//! refuses three kinds of number, each with an `InvalidInput` error that says
//! why:
//!
//! * numbers that are no signal on this system (`0`, negatives, `9999`; the
//!   kernel is asked, so real-time signals the C library keeps for itself
//!   are refused too);
//! * `SIGKILL` and `SIGSTOP`, which the kernel never lets a process catch;
//! * the fault signals `SIGSEGV`, `SIGBUS`, `SIGILL` and `SIGFPE`: they mean
//!   the thread that got one cannot go on (a bad pointer, a bad instruction),
//!   so writing a byte and returning — all a corio handler does — would make
//!   the thread fault again at once, forever. They keep their default action.

use std::io;

/// Declares each signal as a documented public constant and lists them all
/// with their names, so a message can say `SIGTERM` instead of `15`.
macro_rules! signal_numbers {
    ($($name:ident: $doc:literal,)*) => {
        $(
            #[doc = $doc]
            pub const $name: i32 = libc::$name;
        )*

        /// Every named signal, for messages and `Debug`.
        const NAMED: &[(i32, &str)] = &[$(($name, stringify!($name)),)*];
    };
}

signal_numbers! {
    SIGHUP: "Hang-up: the terminal went away. Daemons take it as \"reload your configuration\".",
    SIGINT: "Interrupt: Ctrl-C at the terminal, the signal `ctrl_c()` waits for.",
    SIGQUIT: "Quit: Ctrl-\\ at the terminal; by default the process dies with a core dump.",
    SIGILL: "Illegal instruction. A fault signal: corio refuses to listen to it.",
    SIGTRAP: "Trace or breakpoint trap.",
    SIGABRT: "Abort, as sent by `abort(3)`.",
    SIGBUS: "Bus error (a bad memory access). A fault signal: corio refuses to listen to it.",
    SIGFPE: "Arithmetic fault. A fault signal: corio refuses to listen to it.",
    SIGKILL: "Kill. No process can catch it: corio refuses to listen to it.",
    SIGUSR1: "User-defined signal 1: means whatever the program says it means.",
    SIGSEGV: "Segmentation fault. A fault signal: corio refuses to listen to it.",
    SIGUSR2: "User-defined signal 2: means whatever the program says it means.",
    SIGPIPE: "Write to a pipe or socket nobody reads. Rust programs ignore it from the start.",
    SIGALRM: "Timer alarm, as set by `alarm(2)`.",
    SIGTERM: "Terminate: the polite request to stop (`kill PID`, service managers).",
    SIGCHLD: "A child process stopped or exited. Ignored by default.",
    SIGCONT: "Continue after a stop. Ignored by default (the kernel continues the process anyway).",
    SIGSTOP: "Stop. No process can catch it: corio refuses to listen to it.",
    SIGTSTP: "Stop from the terminal: Ctrl-Z. By default the process stops.",
    SIGTTIN: "A background process read from its terminal. By default the process stops.",
    SIGTTOU: "A background process wrote to its terminal. By default the process stops.",
    SIGURG: "Urgent data on a socket. Ignored by default.",
    SIGXCPU: "CPU time limit exceeded.",
    SIGXFSZ: "File size limit exceeded.",
    SIGVTALRM: "Virtual timer alarm.",
    SIGPROF: "Profiling timer alarm.",
    SIGWINCH: "The terminal window changed size. Ignored by default.",
    SIGIO: "A descriptor became ready for IO (`O_ASYNC`).",
    SIGSYS: "Bad system call.",
}

/// The name of `sig` (`"SIGTERM"`), or `None` for a number without one here
/// (a real-time signal, say).
pub(crate) fn name(sig: i32) -> Option<&'static str> {
    NAMED.iter().find(|(n, _)| *n == sig).map(|(_, name)| *name)
}

/// `"SIGTERM (15)"`, or `"signal 40"` for an unnamed one.
pub(crate) fn describe(sig: i32) -> String {
    match name(sig) {
        Some(name) => format!("{name} ({sig})"),
        None => format!("signal {sig}"),
    }
}

/// Refuses the numbers corio will not listen to (see the module docs). A
/// number that passes may still be refused by the kernel, which is asked
/// when the first listener for it is installed.
pub(crate) fn check(sig: i32) -> io::Result<()> {
    let refuse = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("corio cannot listen to {}: {why}", describe(sig)),
        ))
    };
    match sig {
        s if s <= 0 => refuse("signal numbers start at 1"),
        SIGKILL | SIGSTOP => refuse("the kernel never lets a process catch it"),
        SIGSEGV | SIGBUS | SIGILL | SIGFPE => refuse(
            "it reports a fault in the thread that got it, which cannot go on; it keeps its \
             default action",
        ),
        _ => Ok(()),
    }
}

/// What the kernel does with a signal whose disposition is `SIG_DFL`
/// (signal(7)'s table), which corio acts out when its last listener for a
/// signal has gone (see `os_handler.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultAction {
    /// Nothing happens.
    Ignore,
    /// The process stops until `SIGCONT`.
    Stop,
    /// The process dies (some signals also dump core).
    Terminate,
}

/// The default action of `sig`.
pub(crate) fn default_action(sig: i32) -> DefaultAction {
    match sig {
        SIGCHLD | SIGCONT | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        _ => DefaultAction::Terminate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_refuses_uncatchable_fault_and_nonpositive_numbers() {
        for sig in [0, -1, SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE] {
            let err = check(sig).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{sig}");
        }
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD] {
            assert!(check(sig).is_ok(), "{sig}");
        }
    }

    #[test]
    fn describe_names_known_signals_and_numbers_the_rest() {
        assert_eq!(describe(SIGTERM), format!("SIGTERM ({SIGTERM})"));
        assert_eq!(describe(9999), "signal 9999");
    }

    #[test]
    fn default_action_follows_signal_7() {
        assert_eq!(default_action(SIGWINCH), DefaultAction::Ignore);
        assert_eq!(default_action(SIGTSTP), DefaultAction::Stop);
        assert_eq!(default_action(SIGTERM), DefaultAction::Terminate);
        assert_eq!(default_action(SIGUSR1), DefaultAction::Terminate);
    }
}
