//! `ThreadPoolExecutor`: `concurrent.futures.ThreadPoolExecutor`.
//!
//! A job queue behind a `Mutex` and a `Condvar`, and up to `max_workers`
//! threads, started lazily: a submit starts a new worker only when every idle
//! worker already has a queued job to take, and the limit is not reached (as
//! CPython does). A worker takes a
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

use std::collections::VecDeque;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{JoinHandle, ThreadId};

use super::future::{ExecutorError, PoolFuture};
use crate::containment::drop_contained;
use crate::trace::pool::{self as trace_pool, JobTrace};

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
    state: Mutex<PoolState>,
    /// Signalled when a job is queued or the pool shuts down.
    work: Condvar,
    /// Signalled when a worker exits.
    exited: Condvar,
    max_workers: usize,
}

struct PoolState {
    queue: VecDeque<Box<dyn Job>>,
    /// Workers started and not yet exited.
    workers: usize,
    idle: usize,
    shut_down: bool,
    /// Handles of started workers that no `shutdown(wait)` caller took yet.
    threads: Vec<JoinHandle<()>>,
    /// Every worker ever started, to tell a caller that is one of them.
    worker_ids: Vec<ThreadId>,
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
            state: Mutex::new(PoolState {
                queue: VecDeque::new(),
                workers: 0,
                idle: 0,
                shut_down: false,
                threads: Vec::new(),
                worker_ids: Vec::new(),
            }),
            work: Condvar::new(),
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
        let mut s = lock(&self.shared);
        if s.shut_down {
            return Err(ExecutorError::ShutDown);
        }
        s.queue.push_back(Box::new(TypedJob {
            f: job,
            future: future.clone(),
            trace,
        }));
        // Each queued job will be taken by one idle worker; start a new worker
        // when the idle ones are all spoken for (CPython claims an idle thread
        // the same way).
        if s.queue.len() > s.idle && s.workers < self.shared.max_workers {
            self.start_worker(&mut s);
        }
        drop(s);
        self.shared.work.notify_one();
        Ok(future)
    }

    fn start_worker(&self, s: &mut PoolState) {
        let shared = self.shared.clone();
        let n = s.workers;
        let spawned = std::thread::Builder::new()
            .name(format!("corio-pool-{n}"))
            .spawn(move || worker(&shared));
        match spawned {
            Ok(handle) => {
                s.workers += 1;
                s.worker_ids.push(handle.thread().id());
                s.threads.push(handle);
            }
            // No thread now (resource limits); the queued job waits for an
            // existing worker. With none at all, the job would never run:
            // report that loudly rather than hang silently.
            Err(e) if s.workers == 0 => panic!("corio: could not start a pool thread: {e}"),
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

fn lock(shared: &Shared) -> MutexGuard<'_, PoolState> {
    // No user code runs under this lock.
    shared.state.lock().unwrap_or_else(|e| e.into_inner())
}

fn shutdown(shared: &Shared, wait: bool, cancel_futures: bool) {
    let cancelled: Vec<_> = {
        let mut s = lock(shared);
        s.shut_down = true;
        if cancel_futures {
            s.queue.drain(..).collect()
        } else {
            Vec::new()
        }
    };
    shared.work.notify_all();
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
    let mut s = lock(shared);
    let (own, others): (Vec<_>, Vec<_>) = std::mem::take(&mut s.threads)
        .into_iter()
        .partition(|t| t.thread().id() == me);
    s.threads = own;
    drop(s);
    for t in others {
        // A worker never unwinds (user code runs contained), so there is no
        // panic to pass on from a join.
        let _ = t.join();
    }
    let mut s = lock(shared);
    let itself = usize::from(s.worker_ids.contains(&me));
    while s.workers > itself {
        s = shared.exited.wait(s).unwrap_or_else(|e| e.into_inner());
    }
}

/// Held by a running worker; dropping it counts the worker out and tells the
/// `shutdown(wait)` callers.
struct WorkerExit<'a>(&'a Shared);

impl Drop for WorkerExit<'_> {
    fn drop(&mut self) {
        lock(self.0).workers -= 1;
        self.0.exited.notify_all();
    }
}

fn worker(shared: &Shared) {
    let _exit = WorkerExit(shared);
    loop {
        let job = {
            let mut s = lock(shared);
            loop {
                if let Some(job) = s.queue.pop_front() {
                    break Some(job);
                }
                if s.shut_down {
                    break None;
                }
                s.idle += 1;
                s = shared.work.wait(s).unwrap_or_else(|e| e.into_inner());
                s.idle -= 1;
            }
        };
        match job {
            Some(job) => job.run(),
            None => return,
        }
    }
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = lock(&self.shared);
        f.debug_struct("ThreadPoolExecutor")
            .field("max_workers", &self.shared.max_workers)
            .field("workers", &s.workers)
            .field("queued", &s.queue.len())
            .field("shut_down", &s.shut_down)
            .finish()
    }
}
