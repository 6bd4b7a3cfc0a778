//! IO readiness: the one part of corio that talks to mio and the OS.
//!
//! Today this is the loop's OS poller and the cross-thread wake-up; sockets
//! register here as well once `corio::net` exists. Nothing outside `io/`
//! imports mio.

pub(crate) mod driver;
