//! The benchmark suite: every workload (its sizes are in its file), written
//! once per runtime and shared by two users:
//!
//! - the criterion benches (`benches/*.rs`, each with `mod workloads;`), one
//!   criterion group per workload;
//! - the comparison runner (`compare/main.rs`, with
//!   `#[path = "../workloads/mod.rs"] mod workloads;`), which also holds
//!   corio's target per workload (`compare/report.rs`, `fn target`).
//!
//! A [`Workload`] is a name and its members, one per runtime (or per variant
//! of a runtime's API, as tokio's `join_all` and `JoinSet`). A member's `make`
//! builds the runtime — outside any timing — and returns a closure that runs
//! the workload once and asserts its result (sums, counts, echoed bytes), so
//! a runtime that skipped work could not look fast.
//!
//! Where a workload needs a channel it uses `async_channel::bounded`
//! (re-exported as `smol::channel`) on every runtime, so the scheduler is
//! measured and not each runtime's own channel.

// Each bench binary uses only its own part of the suite.
#![allow(dead_code)]

pub mod combinators;
pub mod idle_memory;
pub mod mio_echo;
pub mod multi;
pub mod net;
pub mod process;
pub mod runtimes;
pub mod scheduler;
pub mod streams;
pub mod sync;
pub mod timers;

/// The runtimes of the suite.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Rt {
    /// corio's single event loop.
    Corio,
    /// corio's single event loop recording a trace (`EventLoop::builder().trace`).
    CorioTraced,
    /// corio built without its `observe` feature (the `corio-no-seam`
    /// crate): the loop with no observer seam at all.
    CorioNoSeam,
    /// tokio's current-thread runtime.
    TokioCt,
    /// tokio's multi-thread runtime with 2 workers.
    TokioMt,
    /// smol's `LocalExecutor` driven by `async_io::block_on`.
    Smol,
    /// A hand-written mio loop with no tasks (IO workloads only): the floor.
    MioRaw,
    /// corio's multi-loop runtime with 2 loops (the `_2t` workloads).
    CorioLoops,
    /// smol's `Executor` run by 2 threads (the `_2t` workloads).
    SmolMt,
}

impl Rt {
    /// Every runtime, in table order.
    pub const ALL: [Rt; 9] = [
        Rt::Corio,
        Rt::CorioTraced,
        Rt::CorioNoSeam,
        Rt::TokioCt,
        Rt::TokioMt,
        Rt::Smol,
        Rt::MioRaw,
        Rt::CorioLoops,
        Rt::SmolMt,
    ];

    /// The name used in criterion ids, tables and the chart.
    pub fn name(self) -> &'static str {
        match self {
            Rt::Corio => "corio",
            Rt::CorioTraced => "corio-traced",
            Rt::CorioNoSeam => "corio-no-seam",
            Rt::TokioCt => "tokio-ct",
            Rt::TokioMt => "tokio-mt",
            Rt::Smol => "smol",
            Rt::MioRaw => "mio-raw",
            Rt::CorioLoops => "corio-loops",
            Rt::SmolMt => "smol-mt",
        }
    }

    /// The peers corio's single loop is judged against: single-thread
    /// runtimes, as corio's loop is.
    pub fn is_single_thread_peer(self) -> bool {
        matches!(self, Rt::TokioCt | Rt::Smol)
    }
}

/// One run of a workload on a runtime that is already built; it panics if
/// the result is wrong.
pub type Run = Box<dyn FnMut()>;

/// A workload on one runtime (or one API variant of it).
pub struct Member {
    pub rt: Rt,
    /// The criterion function id: the runtime's name, or name and variant.
    pub label: &'static str,
    /// Builds the runtime and returns the run closure.
    pub make: fn() -> Run,
}

/// A workload and its members.
pub struct Workload {
    pub name: &'static str,
    pub about: &'static str,
    pub members: Vec<Member>,
}

impl Workload {
    fn new(name: &'static str, about: &'static str) -> Workload {
        Workload {
            name,
            about,
            members: Vec::new(),
        }
    }

    /// Adds the member for `rt`, labelled with its name.
    fn member(self, rt: Rt, make: fn() -> Run) -> Workload {
        self.variant(rt, rt.name(), make)
    }

    /// Adds a member with its own label (an API variant of `rt`).
    fn variant(mut self, rt: Rt, label: &'static str, make: fn() -> Run) -> Workload {
        self.members.push(Member { rt, label, make });
        self
    }
}

/// Every timed workload: scheduler, timers, net, then the combinators and
/// sync. idle_memory is apart (it needs a fresh process per runtime): see
/// [`idle_memory`].
pub fn all() -> Vec<Workload> {
    vec![
        scheduler::spawn_many(),
        scheduler::yield_many(),
        scheduler::chained_spawn(),
        scheduler::ping_pong(),
        timers::timeout_churn(),
        timers::sleep_many(),
        combinators::gather_10k(),
        combinators::wait_first_completed_1k(),
        sync::queue_ping_pong(),
        sync::lock_contention(),
        sync::blocking_round_trip(),
        net::tcp_echo(),
        streams::readline(),
        process::spawn_wait(),
        multi::tcp_echo_2t(),
        multi::ping_pong_2t(),
        multi::imbalanced_2t(),
    ]
}
