//! `corio::multi_loop`: beyond one core — one corio loop per thread.
//!
//! asyncio has one loop per thread and so does corio. To use more cores,
//! this module runs N *independent* loops on N threads (thread-per-core):
//! each is a complete corio loop with unchanged single-thread semantics, its
//! own ready queue, timers and reactor. A task, once placed on a loop, stays
//! there for its whole life; nothing is shared on the hot path, so a wake
//! between two tasks of one loop never crosses a thread.
//!
//! What it gives up against a work-stealing scheduler (tokio's multi-thread
//! runtime): an idle loop does not take work from a busy one. If one loop's
//! tasks are heavier than the others', that loop is the bottleneck while the
//! rest wait. Placement ([`Runtime::spawn`] picks the loop with the fewest
//! live tasks) balances counts, not load; a server whose connections are
//! alike — most are — balances well, one with a few heavy connections may
//! not. `ARCHITECTURE.md` has the measurements.
//!
//! * [`Runtime`] starts the loops (`builder.rs`, `loop_thread.rs`), runs a
//!   `Send` future on loop 0 with [`Runtime::block_on`], and stops and
//!   closes every loop when it is shut down or dropped.
//! * [`RuntimeHandle`] (`handle.rs`) places work: a `Send` future by
//!   placement (`placement.rs`), or — with [`RuntimeHandle::spawn_on`] — a
//!   `Send` closure that builds a `!Send` future on the chosen loop
//!   (`on_loop.rs`), so per-loop servers can use corio's `!Send` sockets.
//! * Introspection per loop and for the whole runtime (`introspect.rs`).
//! * [`channel()`] (`channel.rs`): a small `Send` channel between loops.
//! * Sockets across loops: [`TcpListener::bind_reuseport`](crate::net::TcpListener::bind_reuseport)
//!   gives each loop its own listener on one port (the kernel spreads the
//!   connections), and [`RuntimeHandle::spawn_connection`] is the acceptor
//!   mode: one loop accepts and hands each connection, as a std socket, to
//!   another loop, which registers it with its own reactor.

mod builder;
pub mod channel;
mod handle;
mod introspect;
mod loop_thread;
mod on_loop;
mod placement;

use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::thread::JoinHandle;

pub use builder::Builder;
pub use channel::channel;
pub use handle::RuntimeHandle;
pub use introspect::LoopTask;

use crate::event_loop::context;
use crate::{LoopHandle, RemoteTask, TaskError};

/// N corio loops on N threads.
///
/// Dropping the runtime (or [`shutdown`](Runtime::shutdown)) stops every
/// loop and closes it on its own thread as [`run`](crate::run) closes its
/// loop: tasks still pending are cancelled and dropped.
///
/// ```
/// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
/// // A per-loop task that uses !Send values, on each loop.
/// let per_loop: Vec<_> = (0..rt.loops())
///     .map(|i| rt.spawn_on(i, move || async move {
///         let local = std::rc::Rc::new(i);
///         corio::yield_now().await;
///         *local * 10
///     }))
///     .collect();
/// let results: Vec<usize> = per_loop.into_iter().map(|t| t.wait().unwrap()).collect();
/// assert_eq!(results, [0, 10]);
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
///
/// A `!Send` future cannot be handed to a loop directly:
///
/// ```compile_fail
/// let rt = corio::multi_loop::Runtime::new();
/// rt.spawn(async {
///     let local = std::rc::Rc::new(1);
///     corio::yield_now().await;
///     *local
/// });
/// ```
pub struct Runtime {
    handle: RuntimeHandle,
    threads: Vec<Option<JoinHandle<()>>>,
}

/// Loop threads that ended by a panic (one escaped a loop's containment),
/// reported by [`Runtime::shutdown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopsPanicked {
    /// The indices of those loops.
    pub loops: Vec<usize>,
}

impl fmt::Display for LoopsPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "corio: the threads of loops {:?} panicked", self.loops)
    }
}

impl std::error::Error for LoopsPanicked {}

impl Runtime {
    /// A runtime with one loop per available core.
    ///
    /// # Panics
    ///
    /// When a loop or its thread cannot be created; [`Builder::build`]
    /// returns that error instead.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::new();
    /// assert!(rt.loops() >= 1);
    /// ```
    pub fn new() -> Runtime {
        Runtime::builder()
            .build()
            .unwrap_or_else(|e| panic!("corio: could not start the runtime's loops: {e}"))
    }

    /// A [`Builder`] to configure the runtime.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// The `Send + Sync + Clone` handle, for placing work from anywhere.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let h = rt.handle().clone();
    /// assert_eq!(h.loops(), 2);
    /// ```
    pub fn handle(&self) -> &RuntimeHandle {
        &self.handle
    }

    /// How many loops (and threads) the runtime has.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// assert_eq!(rt.loops(), 2);
    /// ```
    pub fn loops(&self) -> usize {
        self.handle.loops()
    }

    /// Each loop's [`LoopHandle`], by index.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// assert_eq!(rt.handles().len(), 2);
    /// ```
    pub fn handles(&self) -> &[LoopHandle] {
        self.handle.handles()
    }

    /// Runs `future` as a task on loop 0 and blocks this thread until it
    /// completes. The future may spawn onto its own loop with `corio::spawn`
    /// and onto others through a [`RuntimeHandle`]; for a `!Send` main
    /// future, `rt.spawn_on(0, build).wait()` does the same.
    ///
    /// Loop 0 is a choice: the calling thread is not a loop (so it can block
    /// without stalling one), and the main future lives where the runtime's
    /// other work can reach it like any task.
    ///
    /// # Panics
    ///
    /// * With the future's own panic (its loop, and the others, go on).
    /// * When the future is cancelled or the loop closes first.
    /// * When called on a thread running a corio loop (it would block it).
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    ///     rt.block_on(async { panic!("boom") })
    /// }));
    /// assert!(caught.is_err());
    /// assert_eq!(rt.block_on(async { "still running" }), "still running");
    /// ```
    #[track_caller]
    pub fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        assert!(
            context::with_current_loop(|_| ()).is_none(),
            "corio: Runtime::block_on called on a thread running a corio loop; await or spawn instead"
        );
        match self.handle.spawn_send_on(0, future).wait() {
            Ok(output) => output,
            Err(TaskError::Panicked(payload)) => resume_unwind(payload),
            Err(TaskError::Cancelled(msg)) => panic!(
                "corio: the block_on future was cancelled{}",
                msg.map(|m| format!(": {m}")).unwrap_or_default()
            ),
        }
    }

    /// [`RuntimeHandle::spawn`]: a `Send` future on the least-loaded loop.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// assert_eq!(rt.spawn(async { 3 }).wait().unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> RemoteTask<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// [`RuntimeHandle::spawn_on`]: builds a (possibly `!Send`) future on
    /// loop `index` and spawns it there.
    ///
    /// # Panics
    ///
    /// When `index >= loops()`.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// assert_eq!(rt.spawn_on(1, || async { 4 }).wait().unwrap(), 4);
    /// ```
    #[track_caller]
    pub fn spawn_on<C, F>(&self, index: usize, build: C) -> RemoteTask<F::Output>
    where
        C: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn_on(index, build)
    }

    /// Stops every loop, closes each on its own thread (pending tasks are
    /// cancelled, as [`run`](crate::run) does) and joins the threads.
    ///
    /// # Errors
    ///
    /// [`LoopsPanicked`] naming the loops whose threads ended by a panic.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let forever = rt.spawn_on(1, || std::future::pending::<()>());
    /// rt.shutdown().unwrap();
    /// assert!(forever.wait().unwrap_err().is_cancelled());
    /// ```
    pub fn shutdown(mut self) -> Result<(), LoopsPanicked> {
        let loops = loop_thread::stop_and_join(self.handle.handles(), &mut self.threads);
        if loops.is_empty() {
            Ok(())
        } else {
            Err(LoopsPanicked { loops })
        }
    }
}

impl Default for Runtime {
    fn default() -> Runtime {
        Runtime::new()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Panicked loop threads already printed their panic; `shutdown`
        // is the way to learn of them.
        loop_thread::stop_and_join(self.handle.handles(), &mut self.threads);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("loops", &self.loops())
            .finish()
    }
}
