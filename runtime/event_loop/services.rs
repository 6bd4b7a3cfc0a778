//! `LoopServices`: the parts of a loop that code running on it can reach.
//!
//! `spawn`, `call_soon`, `sleep`, a socket's first poll, `to_thread`: each
//! needs one service of the running loop, never the loop's cycle itself. So
//! the thread-local context (`context.rs`) points at this struct, and each
//! caller takes the one service it needs:
//!
//! | service | what reaches it |
//! |---|---|
//! | [`Scheduler`] | `spawn`, `call_soon`, wakers, the task harness |
//! | [`Timers`] | `sleep`, `call_later`, `timeout`, `time::now` |
//! | [`Reactor`] | a socket's registration, its IO budget |
//! | [`Resources`] | the default pool of `run_in_executor` |
//!
//! The loop's core (`core.rs`) owns one `LoopServices` and drives it; the
//! services never see the core. That is what keeps imports pointing one way.

use std::cell::Cell;
use std::rc::Rc;

use super::resources::Resources;
use super::scheduler::Scheduler;
use crate::io::reactor::Reactor;
use crate::time::timers::Timers;

/// See the module docs.
pub(crate) struct LoopServices {
    pub(crate) scheduler: Scheduler,
    pub(crate) timers: Timers,
    /// The driver's socket table, shared with every registration.
    pub(crate) reactor: Rc<Reactor>,
    pub(crate) resources: Resources,
    /// `stop()` was called: the current iteration finishes, then
    /// `run_forever` returns (asyncio's `_stopping`).
    pub(crate) stopping: Cell<bool>,
}

impl LoopServices {
    /// `stop()`: let the current iteration finish, then return from `run_forever`.
    pub(crate) fn request_stop(&self) {
        self.stopping.set(true);
    }
}
