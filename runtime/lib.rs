//! corio: a coroutine runtime you can read, modelled on Python's asyncio.
//!
//! One event loop per thread runs tasks (futures it owns), callbacks, timers
//! ([`time`]) and socket readiness ([`net`], over one `mio::Poll`), in the
//! run-once cycle of asyncio — drawn, step by step, on the [`event_loop`]
//! page. Around the loop: asyncio's combinators ([`gather`], [`wait`],
//! [`task_group`]), locks and queues ([`sync`], [`queue`]), and a thread pool
//! for blocking work ([`executor`], [`to_thread`]). The source is meant to be
//! studied: start at `event_loop/core.rs` (the cycle) and `task/mod.rs` (the
//! life of a task), and read `ARCHITECTURE.md` for the map.
//!
//! ```
//! use std::time::Duration;
//!
//! async fn fetch(i: u32) -> u32 {
//!     corio::yield_now().await; // let the others run, as asyncio.sleep(0)
//!     i * 10
//! }
//!
//! let total = corio::run(async {
//!     let tasks: Vec<_> = (1..=3)
//!         .map(|i| corio::task::Builder::new().name(format!("fetch-{i}")).spawn(fetch(i)))
//!         .collect();
//!     assert_eq!(corio::all_tasks().len(), 4); // main + three
//!     let mut total = 0;
//!     for task in tasks {
//!         total += task.await.expect("not cancelled, did not panic");
//!     }
//!     total
//! });
//! assert_eq!(total, 60);
//! # let _ = Duration::ZERO;
//! ```
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
pub use event_loop::callback::{call_soon, CallbackHandle, ThreadsafeHandle};
pub use event_loop::{run, EventLoop, LoopClosed, LoopHandle, LoopStats, RemoteTask};
pub use executor::{run_in_executor, to_thread};
pub use streams::{open_connection, open_unix_connection, start_server, start_unix_server};
pub use task::{
    all_tasks, call_graph, current_task, dump_tasks, spawn, yield_now, CallGraph, CallNode,
    DoneCallbackId, Task, TaskError, TaskId, TaskRef, TaskState,
};
pub use time::{call_at, call_later, wait_for, TimerHandle};
