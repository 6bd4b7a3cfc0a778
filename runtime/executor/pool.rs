//! `ThreadPoolExecutor`: `concurrent.futures.ThreadPoolExecutor`.
//!
//! A [`JobQueue`] and up to `max_workers` threads, started lazily: a submit
//! starts a new worker only when every idle worker already has a queued job
//! to take, and the limit is not reached (as CPython does). A worker takes a
//! job, runs it under `catch_unwind` (a panic becomes the job's error; the
//! worker lives on), settles its [`PoolFuture`], and takes the next. After
//! `shutdown`, workers finish the queue and exit.
//!
//! No user code can end a worker: the job runs under `catch_unwind`, and the
//! rest — done-callbacks, wakes, dropping a cancelled job's closure or an
//! unread result — runs under [`contain`](super::containment). The same holds
//! for a thread calling `shutdown(cancel_futures = true)`, which settles the
//! cancelled futures and so runs their callbacks.
//!
//! `shutdown(wait = true)` may be called by several threads at once, and each
//! returns only when every worker has left: the worker count is decremented
//! by each worker on its way out, and every waiting caller watches it reach
//! zero (one if the caller is itself a worker — a job that shuts its own pool
//! down waits for the others, not for itself). Whichever caller takes the
//! threads' handles also joins them.

pub(super) mod job_queue;

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar};
use std::thread::{JoinHandle, ThreadId};

use super::future::{ExecutorError, PoolFuture};
use crate::containment::drop_contained;
use crate::trace::pool::{self as trace_pool, JobTrace};
use job_queue::{JobQueue, Queued};

/// A job on the queue: runs and settles its future, or cancels it.
trait Job: Send {
    fn run(self: Box<Self>);
    /// Cancels the future and drops the closure unrun.
    fn cancel(self: Box<Self>);
}

struct TypedJob<T, F> {
    f: F,
    future: PoolFuture<T>,
    /// Where it was submitted from, when that was a traced loop's thread.
    trace: Option<JobTrace>,
}

impl<T: Send + 'static, F: FnOnce() -> T + Send> Job for TypedJob<T, F> {
    fn run(self: Box<Self>) {
        if !self.future.start() {
            // Cancelled while queued: the closure's captures are user values.
            drop_contained("dropping a cancelled pool job", self);
            return;
        }
        let TypedJob { f, future, trace } = *self;
        let outcome = match trace {
            Some(trace) => trace.record(|| catch_unwind(AssertUnwindSafe(f))),
            None => catch_unwind(AssertUnwindSafe(f)),
        };
        future.finish(outcome);
    }

    fn cancel(self: Box<Self>) {
        self.future.cancel();
        drop_contained("dropping a cancelled pool job", self);
    }
}

struct Shared {
    queue: JobQueue<Box<dyn Job>, Workers>,
    /// Signalled when a worker exits (waited on with the queue's lock).
    exited: Condvar,
    max_workers: usize,
}

/// The pool's workers, kept under the queue's lock.
#[derive(Default)]
struct Workers {
    /// Workers started and not yet exited.
    count: usize,
    /// Handles of started workers that no `shutdown(wait)` caller took yet.
    threads: Vec<JoinHandle<()>>,
    /// Every worker ever started, to tell a caller that is one of them.
    ids: Vec<ThreadId>,
}

/// A pool of worker threads for blocking work: asyncio's executor.
///
/// Clones share the pool. Dropping the last handle shuts the pool down
/// without waiting (the workers finish the queue, then exit).
///
/// ```
/// let pool = corio::executor::ThreadPoolExecutor::new(4);
/// let futures: Vec<_> = (0..8).map(|i| pool.submit(move || i * i).unwrap()).collect();
/// let squares: Vec<_> = futures.into_iter().map(|f| f.result(None).unwrap()).collect();
/// assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36, 49]);
/// pool.shutdown(true, false);
/// ```
#[derive(Clone)]
pub struct ThreadPoolExecutor {
    shared: Arc<Shared>,
    /// Counts user handles (not workers), so the last one can shut down.
    _handle: Arc<HandleToken>,
}

struct HandleToken(Arc<Shared>);

impl Drop for HandleToken {
    fn drop(&mut self) {
        shutdown(&self.0, false, false);
    }
}

impl ThreadPoolExecutor {
    /// A pool of at most `max_workers` threads.
    ///
    /// # Panics
    ///
    /// When `max_workers` is 0 (asyncio's `ValueError`).
    ///
    /// ```
    /// assert_eq!(corio::executor::ThreadPoolExecutor::new(3).max_workers(), 3);
    /// ```
    #[track_caller]
    pub fn new(max_workers: usize) -> ThreadPoolExecutor {
        assert!(max_workers > 0, "ThreadPoolExecutor needs max_workers > 0");
        let shared = Arc::new(Shared {
            queue: JobQueue::new(Workers::default()),
            exited: Condvar::new(),
            max_workers,
        });
        ThreadPoolExecutor {
            _handle: Arc::new(HandleToken(shared.clone())),
            shared,
        }
    }

    /// The worker limit.
    ///
    /// ```
    /// assert_eq!(corio::executor::ThreadPoolExecutor::new(1).max_workers(), 1);
    /// ```
    pub fn max_workers(&self) -> usize {
        self.shared.max_workers
    }

    /// Queues `job` and returns its future.
    ///
    /// # Errors
    ///
    /// [`ExecutorError::ShutDown`] after [`shutdown`](ThreadPoolExecutor::shutdown).
    ///
    /// ```
    /// let pool = corio::executor::ThreadPoolExecutor::new(1);
    /// let f = pool.submit(|| panic!("boom")).unwrap();
    /// assert!(matches!(f.result(None), Err(corio::executor::ExecutorError::Panicked(_))));
    /// assert_eq!(pool.submit(|| 1).unwrap().result(None).unwrap(), 1); // the worker lives on
    /// ```
    pub fn submit<T, F>(&self, job: F) -> Result<PoolFuture<T>, ExecutorError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let future = PoolFuture::new_pending();
        let trace = trace_pool::job_submitted();
        let job = Box::new(TypedJob {
            f: job,
            future: future.clone(),
            trace,
        });
        self.shared.queue.submit(job, |queued| {
            // Each queued job will be taken by one idle worker; start a new
            // worker when the idle ones are all spoken for (CPython claims an
            // idle thread the same way).
            if queued.len() > queued.idle() && queued.pool.count < self.shared.max_workers {
                self.start_worker(queued);
            }
        })?;
        Ok(future)
    }

    fn start_worker(&self, queued: &mut Queued<Box<dyn Job>, Workers>) {
        let shared = self.shared.clone();
        let workers = &mut queued.pool;
        let n = workers.count;
        let spawned = std::thread::Builder::new()
            .name(format!("corio-pool-{n}"))
            .spawn(move || worker(&shared));
        match spawned {
            Ok(handle) => {
                workers.count += 1;
                workers.ids.push(handle.thread().id());
                workers.threads.push(handle);
            }
            // No thread now (resource limits); the queued job waits for an
            // existing worker. With none at all, the job would never run:
            // report that loudly rather than hang silently.
            Err(e) if workers.count == 0 => panic!("corio: could not start a pool thread: {e}"),
            Err(_) => {}
        }
    }

    /// Stops accepting jobs. With `cancel_futures`, queued jobs that have not
    /// started are cancelled (their done-callbacks run here, contained: a
    /// panicking one is reported, never raised); with `wait`, blocks until
    /// every worker has finished and exited — every caller that asks to
    /// wait, from any thread, not only the first. Called from a job or a
    /// done-callback on one of the pool's own workers, it waits for the other
    /// workers. Calling it again is harmless.
    ///
    /// ```
    /// let pool = corio::executor::ThreadPoolExecutor::new(2);
    /// let f = pool.submit(|| 1).unwrap();
    /// pool.shutdown(true, false);
    /// assert_eq!(f.result(None).unwrap(), 1);
    /// assert!(pool.submit(|| 2).is_err());
    /// ```
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        shutdown(&self.shared, wait, cancel_futures);
    }
}

fn shutdown(shared: &Shared, wait: bool, cancel_futures: bool) {
    let (cancelled, ()) = shared.queue.shut_down(cancel_futures, |_| ());
    for job in cancelled {
        job.cancel();
    }
    if wait {
        wait_for_workers(shared);
    }
}

/// Blocks until every worker but the calling thread has exited. Handles not
/// yet taken by another caller are joined here; the calling worker's own
/// handle stays for a later caller.
fn wait_for_workers(shared: &Shared) {
    let me = std::thread::current().id();
    let mut queued = shared.queue.lock();
    let (own, others): (Vec<_>, Vec<_>) = std::mem::take(&mut queued.pool.threads)
        .into_iter()
        .partition(|t| t.thread().id() == me);
    queued.pool.threads = own;
    drop(queued);
    for t in others {
        // A worker never unwinds (user code runs contained), so there is no
        // panic to pass on from a join.
        let _ = t.join();
    }
    let mut queued = shared.queue.lock();
    let itself = usize::from(queued.pool.ids.contains(&me));
    while queued.pool.count > itself {
        queued = shared
            .exited
            .wait(queued)
            .unwrap_or_else(|e| e.into_inner());
    }
}

/// Held by a running worker; dropping it counts the worker out and tells the
/// `shutdown(wait)` callers.
struct WorkerExit<'a>(&'a Shared);

impl Drop for WorkerExit<'_> {
    fn drop(&mut self) {
        self.0.queue.lock().pool.count -= 1;
        self.0.exited.notify_all();
    }
}

fn worker(shared: &Shared) {
    let _exit = WorkerExit(shared);
    shared.queue.serve(|job| job.run());
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let queued = self.shared.queue.lock();
        f.debug_struct("ThreadPoolExecutor")
            .field("max_workers", &self.shared.max_workers)
            .field("workers", &queued.pool.count)
            .field("queued", &queued.len())
            .field("shut_down", &queued.is_shut_down())
            .finish()
    }
}
