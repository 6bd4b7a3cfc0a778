//! `JobQueue`: the queue both executors' threads take their jobs from — a
//! `VecDeque` behind a `Mutex`, and a `Condvar` the idle threads sleep on.
//!
//! The thread pool's workers and the process pool's managers differ in what
//! they do with a job (run a closure; send a request to a worker process),
//! not in how they get it, so the getting is written once:
//!
//! * [`submit`](JobQueue::submit) queues a job unless the pool is shut down,
//!   and wakes one sleeping thread;
//! * [`serve`](JobQueue::serve) is a thread's loop: take the oldest job,
//!   hand it over, again, sleeping while the queue is empty — until the pool
//!   is shut down *and* the queue is empty, so that a shutdown without
//!   cancelling still runs every queued job;
//! * [`shut_down`](JobQueue::shut_down) refuses new jobs, optionally takes
//!   the queued ones back (to be cancelled by the caller), and wakes every
//!   sleeping thread so that it can see the pool end.
//!
//! Each pool keeps bookkeeping of its own (its threads, their count) under
//! the same lock as the queue, as `X`, so that a decision such as "start a
//! worker for this job" sees the queue and the workers at one instant.
//!
//! No user code runs under the lock: a job is handed over, and queued jobs
//! are given back, only after the guard is dropped. So the lock is never
//! poisoned by a user's panic; a poisoned one is used as it is.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};

use super::super::ExecutorError;

/// See the module docs.
pub(crate) struct JobQueue<J, X> {
    state: Mutex<Queued<J, X>>,
    /// Signalled when a job is queued or the pool shuts down.
    work: Condvar,
}

/// What the lock of a [`JobQueue`] guards.
pub(crate) struct Queued<J, X> {
    jobs: VecDeque<J>,
    /// Threads sleeping in `serve` for want of a job.
    idle: usize,
    shut_down: bool,
    /// The pool's own bookkeeping (see the module docs).
    pub(crate) pool: X,
}

impl<J, X> Queued<J, X> {
    /// Jobs queued and not yet taken.
    pub(crate) fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Threads sleeping for want of a job.
    pub(crate) fn idle(&self) -> usize {
        self.idle
    }

    /// `true` once [`JobQueue::shut_down`] was called.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down
    }
}

impl<J, X> JobQueue<J, X> {
    /// An empty queue, open for jobs, with the pool's bookkeeping `pool`.
    pub(crate) fn new(pool: X) -> JobQueue<J, X> {
        JobQueue {
            state: Mutex::new(Queued {
                jobs: VecDeque::new(),
                idle: 0,
                shut_down: false,
                pool,
            }),
            work: Condvar::new(),
        }
    }

    /// The queue and the pool's bookkeeping, locked.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Queued<J, X>> {
        // No user code runs under this lock (see the module docs).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `job` behind the others, lets `then` look at the queue with
    /// the job in it (under the same lock), and wakes one sleeping thread.
    ///
    /// # Errors
    ///
    /// [`ExecutorError::ShutDown`] after [`shut_down`](Self::shut_down); the
    /// job is dropped.
    pub(crate) fn submit(
        &self,
        job: J,
        then: impl FnOnce(&mut Queued<J, X>),
    ) -> Result<(), ExecutorError> {
        let mut queued = self.lock();
        if queued.shut_down {
            return Err(ExecutorError::ShutDown);
        }
        queued.jobs.push_back(job);
        then(&mut queued);
        drop(queued);
        self.work.notify_one();
        Ok(())
    }

    /// A serving thread's loop: hands each job to `run`, oldest first, until
    /// the pool is shut down and no job is left.
    pub(crate) fn serve(&self, mut run: impl FnMut(J)) {
        while let Some(job) = self.next() {
            run(job);
        }
    }

    /// The oldest job, waiting for one while there is none; `None` once the
    /// pool is shut down and the queue is empty.
    fn next(&self) -> Option<J> {
        let mut queued = self.lock();
        loop {
            if let Some(job) = queued.jobs.pop_front() {
                return Some(job);
            }
            if queued.shut_down {
                return None;
            }
            queued.idle += 1;
            queued = self.work.wait(queued).unwrap_or_else(|e| e.into_inner());
            queued.idle -= 1;
        }
    }

    /// Refuses new jobs from now on and wakes every sleeping thread. With
    /// `cancel_queued`, the jobs not yet taken are returned for the caller
    /// to cancel (outside the lock); otherwise the threads still run them.
    /// `then` sees the pool's bookkeeping under the same lock, and its
    /// result is returned beside the jobs.
    pub(crate) fn shut_down<T>(
        &self,
        cancel_queued: bool,
        then: impl FnOnce(&mut X) -> T,
    ) -> (Vec<J>, T) {
        let taken = {
            let mut queued = self.lock();
            queued.shut_down = true;
            let jobs = if cancel_queued {
                queued.jobs.drain(..).collect()
            } else {
                Vec::new()
            };
            (jobs, then(&mut queued.pool))
        };
        self.work.notify_all();
        taken
    }
}
