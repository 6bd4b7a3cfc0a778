//! `ProcessPoolExecutor`: Python's `concurrent.futures.ProcessPoolExecutor`
//! (and `multiprocessing.Pool`) — jobs run in worker processes, so a crash
//! or a runaway job cannot take the program down, and CPU work runs on
//! every core even where threads would not (CPython's GIL; in Rust, threads
//! already do, so a process pool is for isolation).
//!
//! Rust cannot send a closure to another process, so jobs are functions
//! registered by name in a [`Registry`], with bytes in and bytes out. A
//! worker is this same binary started again with an environment variable
//! set (like multiprocessing's "spawn" start method); `main` calls
//! [`Registry::serve_if_worker`] first thing, and in a worker that call
//! serves jobs and never returns.
//!
//! Each worker process has a manager thread in the pool's process that takes
//! the next queued job — from the same kind of `JobQueue`
//! (`executor/pool/job_queue.rs`) the thread pool's workers take theirs
//! from — writes it to the worker's stdin, and
//! reads the answer from its stdout (see `protocol.rs`). A worker that dies
//! mid-job (a crash, `abort`, a signal) fails that job's future with
//! [`WorkerError::BrokenPool`] and is replaced by a new process for the
//! next job — where CPython marks the whole pool broken, corio keeps the
//! other jobs going. The futures are the thread pool's [`PoolFuture`]s:
//! `result`, done-callbacks, [`as_completed`](super::as_completed), and
//! `.await` on a corio loop all work.

mod protocol;
mod worker;

pub use worker::{JobFn, Registry};

use std::fmt;
use std::io::{BufReader, BufWriter};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::pool::job_queue::JobQueue;
use super::{ExecutorError, PoolFuture};
use worker::WORKER_ENV;

/// Why a job ran in no worker or returned no output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerError {
    /// The worker process died while running the job (or could not be
    /// started); the message says how. CPython's `BrokenProcessPool`.
    BrokenPool(String),
    /// No function is registered under this name in the worker.
    UnknownFunction(String),
    /// The function panicked in the worker; the panic message.
    Panicked(String),
}

impl fmt::Display for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerError::BrokenPool(why) => write!(f, "the worker process broke: {why}"),
            WorkerError::UnknownFunction(name) => write!(f, "no job function named {name:?}"),
            WorkerError::Panicked(message) => write!(f, "the job panicked: {message}"),
        }
    }
}

impl std::error::Error for WorkerError {}

/// What a job's future holds: the output bytes, or why there are none.
pub type JobOutput = Result<Vec<u8>, WorkerError>;

struct Job {
    name: String,
    input: Vec<u8>,
    future: PoolFuture<JobOutput>,
}

struct Shared {
    /// The jobs, and the manager threads that no `shutdown(wait)` took yet.
    queue: JobQueue<Job, Vec<JoinHandle<()>>>,
    worker_args: Vec<String>,
}

/// A pool of worker processes running registered functions.
///
/// ```
/// use corio::executor::process_pool::{ProcessPoolExecutor, Registry};
/// fn shout(input: &[u8]) -> Vec<u8> {
///     input.to_ascii_uppercase()
/// }
/// let registry = Registry::new().register("shout", shout);
/// registry.serve_if_worker(); // a worker stops here
///
/// let pool = ProcessPoolExecutor::new(2);
/// let future = pool.submit("shout", b"hi".to_vec()).unwrap();
/// assert_eq!(future.result(None).unwrap().unwrap(), b"HI");
/// let outputs: Vec<_> = pool
///     .map("shout", [b"a".to_vec(), b"b".to_vec()])
///     .unwrap()
///     .map(|r| r.unwrap().unwrap())
///     .collect();
/// assert_eq!(outputs, [b"A".to_vec(), b"B".to_vec()]);
/// pool.shutdown(true, false);
/// ```
pub struct ProcessPoolExecutor {
    shared: Arc<Shared>,
    max_workers: usize,
}

impl ProcessPoolExecutor {
    /// A pool of `max_workers` worker processes (at least one), each started
    /// when its first job comes.
    ///
    /// # Panics
    ///
    /// In a worker process: a worker that starts a pool would start workers
    /// of its own, without end (the binary does not call
    /// [`Registry::serve_if_worker`] before it creates the pool).
    ///
    /// ```
    /// let pool = corio::executor::process_pool::ProcessPoolExecutor::new(3);
    /// assert_eq!(pool.max_workers(), 3);
    /// ```
    pub fn new(max_workers: usize) -> ProcessPoolExecutor {
        ProcessPoolExecutor::with_worker_args(max_workers, Vec::new())
    }

    /// As [`new`](Self::new), starting each worker with these command-line
    /// arguments (for a binary whose own argument parsing runs before
    /// `serve_if_worker`, or a test harness that must be told which test
    /// serves).
    ///
    /// ```
    /// use corio::executor::process_pool::ProcessPoolExecutor;
    /// let pool = ProcessPoolExecutor::with_worker_args(1, vec!["--worker".into()]);
    /// assert_eq!(pool.max_workers(), 1);
    /// ```
    pub fn with_worker_args(max_workers: usize, worker_args: Vec<String>) -> ProcessPoolExecutor {
        assert!(
            std::env::var_os(WORKER_ENV).is_none(),
            "corio: a process pool worker tried to start a pool — call \
             Registry::serve_if_worker at the top of main"
        );
        let max_workers = max_workers.max(1);
        let shared = Arc::new(Shared {
            queue: JobQueue::new(Vec::new()),
            worker_args,
        });
        let managers = (0..max_workers)
            .map(|n| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("corio-process-pool-{n}"))
                    .spawn(move || manage(&shared))
                    .expect("corio: could not start a process pool thread")
            })
            .collect();
        shared.queue.lock().pool = managers;
        ProcessPoolExecutor {
            shared,
            max_workers,
        }
    }

    /// How many worker processes the pool runs at most.
    ///
    /// ```
    /// let pool = corio::executor::process_pool::ProcessPoolExecutor::new(0);
    /// assert_eq!(pool.max_workers(), 1);
    /// ```
    pub fn max_workers(&self) -> usize {
        self.max_workers
    }

    /// Queues the function registered as `name` to run on `input` in a
    /// worker; the future holds its output or a [`WorkerError`].
    ///
    /// # Errors
    ///
    /// [`ExecutorError::ShutDown`] after [`shutdown`](Self::shutdown).
    ///
    /// ```
    /// use corio::executor::process_pool::{ProcessPoolExecutor, Registry, WorkerError};
    /// Registry::new().serve_if_worker();
    /// let pool = ProcessPoolExecutor::new(1);
    /// let missing = pool.submit("nothing", Vec::new()).unwrap().result(None).unwrap();
    /// assert_eq!(missing, Err(WorkerError::UnknownFunction("nothing".into())));
    /// ```
    pub fn submit(
        &self,
        name: &str,
        input: Vec<u8>,
    ) -> Result<PoolFuture<JobOutput>, ExecutorError> {
        let future = PoolFuture::new_pending();
        let job = Job {
            name: name.to_string(),
            input,
            future: future.clone(),
        };
        self.shared.queue.submit(job, |_| {})?;
        Ok(future)
    }

    /// Submits `name` on every input, and yields the outcomes in input
    /// order, each as it is ready: Python's `executor.map`.
    ///
    /// # Errors
    ///
    /// [`ExecutorError::ShutDown`] after [`shutdown`](Self::shutdown).
    ///
    /// ```
    /// use corio::executor::process_pool::{ProcessPoolExecutor, Registry};
    /// Registry::new().register("len", |b: &[u8]| vec![b.len() as u8]).serve_if_worker();
    /// let pool = ProcessPoolExecutor::new(2);
    /// let lens: Vec<u8> = pool
    ///     .map("len", [vec![0; 3], vec![0; 5]])
    ///     .unwrap()
    ///     .map(|r| r.unwrap().unwrap()[0])
    ///     .collect();
    /// assert_eq!(lens, [3, 5]);
    /// ```
    pub fn map(
        &self,
        name: &str,
        inputs: impl IntoIterator<Item = Vec<u8>>,
    ) -> Result<impl Iterator<Item = Result<JobOutput, ExecutorError>>, ExecutorError> {
        let futures = inputs
            .into_iter()
            .map(|input| self.submit(name, input))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(futures.into_iter().map(|future| future.result(None)))
    }

    /// Stops accepting jobs. With `cancel_futures`, queued jobs that have not
    /// started are cancelled; the others still run. With `wait`, blocks until
    /// every job has run and every worker process has exited. Calling it
    /// again is harmless.
    ///
    /// ```
    /// use corio::executor::process_pool::ProcessPoolExecutor;
    /// let pool = ProcessPoolExecutor::new(1);
    /// pool.shutdown(true, false);
    /// assert!(pool.submit("any", Vec::new()).is_err());
    /// ```
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let (cancelled, managers) = self.shared.queue.shut_down(cancel_futures, |managers| {
            if wait {
                std::mem::take(managers)
            } else {
                Vec::new()
            }
        });
        for job in cancelled {
            job.future.cancel();
        }
        for manager in managers {
            // A manager runs no user code, so it does not panic.
            let _ = manager.join();
        }
    }
}

impl Drop for ProcessPoolExecutor {
    /// Shuts down and waits, as Python's `with ProcessPoolExecutor()` does on
    /// leaving the block.
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

impl fmt::Debug for ProcessPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let queued = self.shared.queue.lock();
        f.debug_struct("ProcessPoolExecutor")
            .field("max_workers", &self.max_workers)
            .field("queued", &queued.len())
            .field("shut_down", &queued.is_shut_down())
            .finish()
    }
}

/// One worker process, as its manager sees it.
struct Worker {
    child: Child,
    to: BufWriter<ChildStdin>,
    from: BufReader<ChildStdout>,
}

impl Worker {
    fn start(args: &[String]) -> std::io::Result<Worker> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(args)
            .env(WORKER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let to = BufWriter::new(child.stdin.take().expect("stdin is piped"));
        let mut from = BufReader::new(child.stdout.take().expect("stdout is piped"));
        if let Err(e) = protocol::skip_to_hello(&mut from) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        Ok(Worker { child, to, from })
    }

    fn run(&mut self, job: &Job) -> std::io::Result<JobOutput> {
        protocol::write_job(&mut self.to, &job.name, &job.input)?;
        let (status, payload) = protocol::read_answer(&mut self.from)?;
        let text = || String::from_utf8_lossy(&payload).into_owned();
        Ok(match status {
            protocol::OK => Ok(payload.clone()),
            protocol::UNKNOWN => Err(WorkerError::UnknownFunction(text())),
            _ => Err(WorkerError::Panicked(text())),
        })
    }

    /// Closes the worker's stdin (its signal to exit) and reaps it; returns
    /// how it ended.
    fn finish(mut self) -> String {
        drop(self.to);
        match self.child.wait() {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        }
    }
}

/// A manager thread: runs queued jobs on its worker process, starting one
/// when needed and a new one after a crash, until the pool is shut down and
/// the queue is empty.
fn manage(shared: &Shared) {
    let mut worker: Option<Worker> = None;
    shared.queue.serve(|job| {
        if !job.future.start() {
            return; // cancelled while queued
        }
        let running = match worker.take() {
            Some(w) => Ok(w),
            None => Worker::start(&shared.worker_args),
        };
        let outcome = match running {
            Err(e) => Err(WorkerError::BrokenPool(format!(
                "could not start a worker: {e}"
            ))),
            Ok(mut w) => match w.run(&job) {
                Ok(output) => {
                    worker = Some(w);
                    output
                }
                // The pipe broke: the worker died. Reap it and say how; the
                // next job starts a new one.
                Err(_) => Err(WorkerError::BrokenPool(format!(
                    "the worker process exited mid-job ({})",
                    w.finish()
                ))),
            },
        };
        job.future.finish(Ok(outcome));
    });
    if let Some(w) = worker {
        w.finish();
    }
}
