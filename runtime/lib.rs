//! corio: a coroutine runtime you can read, modelled on Python's asyncio.
//!
//! ```
//! use std::time::Duration;
//!
//! async fn fetch(i: u64) -> u64 {
//!     corio::time::sleep(Duration::from_millis(i)).await; // asyncio.sleep
//!     i * 10
//! }
//!
//! // asyncio.run(main()), where main gathers three tasks
//! let results = corio::run(async {
//!     let tasks = (1..=3).map(|i| corio::spawn(fetch(i))).collect::<Vec<_>>();
//!     corio::gather(tasks).await.unwrap()
//! });
//! assert_eq!(results, [10, 20, 30]);
//! ```
//!
//! One event loop per thread runs tasks (futures it owns), callbacks, timers
//! ([`time`]) and socket readiness ([`net`]) in asyncio's run-once cycle.
//! Around the loop: asyncio's combinators ([`gather`], [`wait`],
//! [`task_group`]), streams ([`streams`]), subprocesses ([`process`]),
//! signals (`signal`, on Unix), locks and queues ([`sync`], [`queue`]), a
//! thread pool for blocking work ([`executor`], [`to_thread`]) and one loop
//! per core ([`multi_loop`]).
//!
//! # The way through
//!
//! The source is meant to be studied, and [the guide](guide) is the walk
//! through it: each chapter follows one thing through named functions and
//! files, beside the asyncio source it mirrors, and ends with the timeline
//! of an example's run.
//!
//! 1. [The life of a task](guide::a_task) — spawn, a step, a wake, completion
//! 2. [The life of a timer](guide::b_timer) — the wheel, the park, the fire
//! 3. [The life of a socket event](guide::c_socket_event) — the reactor
//! 4. [A wake from another thread](guide::d_remote_wake) — the injection queue and the park handshake
//! 5. [The life of a signal](guide::e_signal) — a byte on a socket pair
//! 6. [The life of a child process](guide::f_child_process) — pipes and a pidfd
//! 7. [A line through the streams](guide::g_streams) — `StreamReader`, `StreamWriter`
//! 8. [A request through the servers](guide::h_servers) — Redis and HTTP on corio
//! 9. [The life of a panic](guide::i_panic) — containment
//!
//! `ARCHITECTURE.md` in the repository is the map: the invariants and the
//! file that keeps each.
//!
//! | asyncio                          | corio                                  |
//! |----------------------------------|----------------------------------------|
//! | `asyncio.run(main())`            | [`run`]`(main())`                      |
//! | `asyncio.create_task(c, name=)`  | [`spawn`], [`task::Builder`]           |
//! | `task.cancel(msg)`               | [`Task::cancel`], [`Task::cancel_with`]|
//! | `task.add_done_callback(f)`      | [`Task::add_done_callback`]            |
//! | `await asyncio.sleep(0)`         | [`yield_now`]`().await`                |
//! | `loop.call_soon(f)`              | [`call_soon`]                          |
//! | `loop.call_soon_threadsafe(f)`   | [`LoopHandle::call_soon_threadsafe`]   |
//! | `asyncio.current_task()`         | [`current_task`]                       |
//! | `asyncio.all_tasks()`            | [`all_tasks`]                          |
//! | `asyncio.capture_call_graph()`   | [`call_graph`]                         |
//! | `loop.run_until_complete(f)`     | [`EventLoop::block_on`]                |
//! | `loop.run_forever()`, `stop()`   | [`EventLoop::run_forever`], [`EventLoop::stop`] |

#![warn(missing_docs, missing_debug_implementations, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod combinators;
mod containment;
mod debug;
pub mod event_loop;
pub mod executor;
pub mod guide;
mod io;
pub mod multi_loop;
pub mod net;
pub mod process;
pub mod queue;
#[cfg(unix)]
pub mod signal;
pub mod streams;
pub mod sync;
pub mod task;
pub mod time;
mod trace;

pub use combinators::{
    as_completed, gather, gather_futures, gather_settled, shield, task_group, wait, AllCompleted,
    ChildFailure, FailureKind, Fallible, FirstCompleted, FirstException, GatherError, ReturnWhen,
    TaskGroup, TaskGroupError,
};
pub use event_loop::call_soon::call_soon;
pub use event_loop::callback::{CallbackHandle, ThreadsafeHandle};
pub use event_loop::{run, EventLoop, LoopClosed, LoopHandle, LoopStats, RemoteTask};
pub use executor::{run_in_executor, to_thread};
pub use streams::{open_connection, open_unix_connection, start_server, start_unix_server};
pub use task::{
    all_tasks, call_graph, current_task, dump_tasks, spawn, yield_now, CallGraph, CallNode,
    DoneCallbackId, Task, TaskError, TaskId, TaskRef, TaskState,
};
pub use time::{call_at, call_later, wait_for, TimerHandle};
