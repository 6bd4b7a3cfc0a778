//! `corio::executor`: a thread pool for blocking work, and the bridge from
//! the loop to it — asyncio's `run_in_executor` and `to_thread`.
//!
//! A blocking call (a file read, a CPU-heavy computation, a C library) would
//! stall every task of the loop. `run_in_executor` sends it to a
//! [`ThreadPoolExecutor`] and returns a future; the task awaiting it sleeps
//! like any other. When the job finishes, the worker thread wakes the task
//! through its waker — for a corio task on another thread that is the loop's
//! injection queue and, if the loop is parked, one eventfd write.

mod as_completed;
mod cancel_on_drop;
mod future;
mod pool;
pub mod process_pool;

pub use as_completed::{as_completed, PoolAsCompleted};
pub use future::{ExecutorError, PoolFuture};
pub use pool::ThreadPoolExecutor;
pub use process_pool::ProcessPoolExecutor;

use crate::event_loop::context;
use crate::event_loop::resources::LoopResource;
use cancel_on_drop::CancelOnDrop;

/// The default pool's size, as asyncio: `min(32, cpus + 4)`.
///
/// ```
/// assert!(corio::executor::default_max_workers() <= 32);
/// ```
pub fn default_max_workers() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    (cpus + 4).min(32)
}

/// Runs `job` on `executor` — or, with `None`, on the running loop's default
/// pool, created on first use with [`default_max_workers`] threads and shut
/// down when the loop closes — and awaits its result: asyncio's
/// `loop.run_in_executor(executor, fn)`.
///
/// A panicking job is an [`ExecutorError::Panicked`] here, not a dead worker.
///
/// Cancelling the awaiting task (dropping this future) cancels the job if it
/// has not started yet, as asyncio's `wrap_future` does: it never runs. A job
/// already running cannot be stopped; it runs to completion and its result
/// is dropped.
///
/// # Panics
///
/// With `None`, when no corio loop runs on this thread.
///
/// ```
/// corio::run(async {
///     let v = corio::run_in_executor(None, || { std::thread::sleep(std::time::Duration::from_millis(1)); 7 }).await;
///     assert_eq!(v.unwrap(), 7);
/// });
/// ```
pub async fn run_in_executor<T, F>(
    executor: Option<&ThreadPoolExecutor>,
    job: F,
) -> Result<T, ExecutorError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let submitted = match executor {
        Some(pool) => pool.submit(job),
        None => context::with_current_loop(|lp| {
            lp.resources
                .get_or_make(|| DefaultPool(ThreadPoolExecutor::new(default_max_workers())))
                .0
                .submit(job)
        })
        .expect("run_in_executor(None, ..) needs a running corio loop for its default pool"),
    };
    CancelOnDrop::new(submitted?).await
}

/// A loop's default pool: made by the first `run_in_executor(None, ..)` or
/// `to_thread`, shut down (waiting for its threads) when the loop closes, as
/// asyncio.run's `shutdown_default_executor`.
struct DefaultPool(ThreadPoolExecutor);

impl LoopResource for DefaultPool {
    fn close(&self) {
        self.0.shutdown(true, false);
    }
}

/// Runs `job` on the loop's default pool: asyncio's `to_thread`.
///
/// As with [`run_in_executor`], cancelling the awaiting task cancels the job
/// if it has not started.
///
/// # Panics
///
/// When no corio loop runs on this thread.
///
/// ```
/// corio::run(async {
///     let name = corio::to_thread(|| std::thread::current().name().map(String::from)).await.unwrap();
///     assert!(name.unwrap().starts_with("corio-pool"));
/// });
/// ```
pub async fn to_thread<T, F>(job: F) -> Result<T, ExecutorError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    run_in_executor(None, job).await
}
