//! `corio::executor` from the outside: `ThreadPoolExecutor`, `PoolFuture`,
//! `as_completed`, `run_in_executor` and `to_thread`.
//!
//! ASYNCIO_SPEC.md behaviours 41–43 are the tests named `b41_…` to `b43_…`.
//! Ordering is made deterministic with channels (a job waits until the test
//! releases it), never with sleeps; the few sleeps left only give a wrong
//! implementation the chance to show itself, and bounds are generous. Every
//! test body runs under a watchdog thread, so a job or a loop that never
//! finishes fails the test instead of hanging it.
//!
//! Some jobs panic on purpose; their panic messages on stderr are expected.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use corio::executor::{as_completed, ExecutorError, PoolFuture, ThreadPoolExecutor};
use corio::{run_in_executor, spawn, to_thread, yield_now, EventLoop};

/// How long a job may wait for the test to release it before giving up.
const PATIENCE: Duration = Duration::from_secs(20);

/// Runs `body` on a thread of its own and fails the test if it is not done
/// within 60 seconds (a hung job or loop), re-raising its panic otherwise.
fn guarded<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (done_tx, done_rx) = channel();
    let worker = thread::spawn(move || {
        let out = body();
        let _ = done_tx.send(());
        out
    });
    match done_rx.recv_timeout(Duration::from_secs(60)) {
        Ok(()) | Err(RecvTimeoutError::Disconnected) => match worker.join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(RecvTimeoutError::Timeout) => panic!("the test did not finish in 60 s: a hang"),
    }
}

/// A job's leash: the job calls `wait()`, the test calls `release()`.
fn leash() -> (Sender<()>, Receiver<()>) {
    channel()
}

/// Waits (in the job) for the test's release; `false` if it never came.
fn wait_release(rx: &Receiver<()>) -> bool {
    rx.recv_timeout(PATIENCE).is_ok()
}

/// Polls `cond` until it holds, failing after `PATIENCE`.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

fn thread_name() -> String {
    thread::current().name().unwrap_or("<unnamed>").to_owned()
}

// ----- 41: run_in_executor -----

#[test]
fn b41_run_in_executor_result_arrives_on_the_loop() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(2);
        corio::run(async move {
            let loop_thread = thread::current().id();
            let (value, job_thread) =
                run_in_executor(Some(&pool), || (6 * 7, thread::current().id()))
                    .await
                    .unwrap();
            assert_eq!(value, 42);
            assert_ne!(job_thread, loop_thread, "the job ran on a pool thread");
            assert_eq!(thread::current().id(), loop_thread, "resumed on the loop");

            // The loop is not blocked while the job runs: a task of the loop
            // ticks ten times and only then releases the job.
            let (tx, rx) = leash();
            let ticker = spawn(async move {
                for _ in 0..10 {
                    yield_now().await;
                }
                tx.send(()).unwrap();
            });
            let released = run_in_executor(Some(&pool), move || wait_release(&rx))
                .await
                .unwrap();
            assert!(released, "the job waited for a loop task that never ran");
            ticker.await.unwrap();

            // None: the loop's default pool.
            let name = run_in_executor(None, thread_name).await.unwrap();
            assert!(name.starts_with("corio-pool"), "{name}");
        });
    });
}

#[test]
fn b41_panicking_job_yields_an_error_and_the_pool_keeps_working() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        corio::run(async move {
            let err = run_in_executor(Some(&pool), || -> u32 { panic!("boom in a job") })
                .await
                .unwrap_err();
            assert!(err.to_string().contains("boom in a job"), "{err}");
            match err {
                ExecutorError::Panicked(payload) => {
                    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in a job"));
                }
                other => panic!("expected Panicked, got {other:?}"),
            }
            // The single worker survived: it runs the next job itself.
            let name = run_in_executor(Some(&pool), thread_name).await.unwrap();
            assert_eq!(name, "corio-pool-0");
            for _ in 0..5 {
                let r = run_in_executor(Some(&pool), || -> () { panic!("again") }).await;
                assert!(matches!(r, Err(ExecutorError::Panicked(_))));
            }
            let mut sum = 0;
            for i in 0..10 {
                sum += run_in_executor(Some(&pool), move || i).await.unwrap();
            }
            assert_eq!(sum, 45);
            assert_eq!(
                run_in_executor(Some(&pool), thread_name).await.unwrap(),
                "corio-pool-0",
                "still the same worker"
            );
        });
        // From a plain thread too.
        let pool = ThreadPoolExecutor::new(2);
        let bad = pool.submit(|| -> u8 { panic!("plain") }).unwrap();
        assert!(matches!(
            bad.result(Some(PATIENCE)),
            Err(ExecutorError::Panicked(_))
        ));
        assert_eq!(
            pool.submit(|| 3).unwrap().result(Some(PATIENCE)).unwrap(),
            3
        );
    });
}

// ----- 42: max_workers, as_completed -----

#[test]
fn b42_max_workers_bounds_concurrency() {
    const MAX: usize = 4;
    const JOBS: usize = 24;
    guarded(|| {
        let pool = ThreadPoolExecutor::new(MAX);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let names = Arc::new(Mutex::new(std::collections::BTreeSet::new()));
        let futures: Vec<PoolFuture<bool>> = (0..JOBS)
            .map(|_| {
                let (running, peak, gate, names) =
                    (running.clone(), peak.clone(), gate.clone(), names.clone());
                pool.submit(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    names.lock().unwrap().insert(thread_name());
                    let (open, cv) = &*gate;
                    let guard = open.lock().unwrap();
                    let (guard, timeout) = cv
                        .wait_timeout_while(guard, PATIENCE, |open| !*open)
                        .unwrap();
                    drop(guard);
                    thread::sleep(Duration::from_millis(2)); // overlap with the next
                    running.fetch_sub(1, Ordering::SeqCst);
                    !timeout.timed_out()
                })
                .unwrap()
            })
            .collect();
        // The first MAX jobs block at the gate: the pool must fill up...
        wait_until("max_workers jobs run", || {
            running.load(Ordering::SeqCst) == MAX
        });
        // ...and go no further, however long we give it.
        thread::sleep(Duration::from_millis(100));
        assert_eq!(running.load(Ordering::SeqCst), MAX);
        assert_eq!(peak.load(Ordering::SeqCst), MAX);
        {
            let (open, cv) = &*gate;
            *open.lock().unwrap() = true;
            cv.notify_all();
        }
        for f in futures {
            assert!(f.result(Some(PATIENCE)).unwrap(), "a job waited in vain");
        }
        assert_eq!(peak.load(Ordering::SeqCst), MAX, "never above max_workers");
        assert!(names.lock().unwrap().len() <= MAX);
        pool.shutdown(true, false);
    });
}

#[test]
fn b42_as_completed_yields_in_finish_order() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(4);
        // Release one job, take the next finished one: in lock-step.
        let (txs, rxs): (Vec<_>, Vec<_>) = (0..4).map(|_| leash()).unzip();
        let futures: Vec<_> = rxs
            .into_iter()
            .enumerate()
            .map(|(i, rx)| pool.submit(move || wait_release(&rx).then_some(i)).unwrap())
            .collect();
        let mut finished = as_completed(futures, None);
        for i in [2, 0, 3, 1] {
            txs[i].send(()).unwrap();
            let f = finished.next().expect("one more").expect("no timeout");
            assert_eq!(f.result(None).unwrap(), Some(i));
        }
        assert!(finished.next().is_none());

        // All finish (in a chosen order) before anyone reads the iterator.
        let (txs, rxs): (Vec<_>, Vec<_>) = (0..4).map(|_| leash()).unzip();
        let futures: Vec<_> = rxs
            .into_iter()
            .enumerate()
            .map(|(i, rx)| pool.submit(move || wait_release(&rx).then_some(i)).unwrap())
            .collect();
        let finished = as_completed(futures.clone(), None);
        for i in [1, 3, 0, 2] {
            txs[i].send(()).unwrap();
            wait_until("the released job is done", || futures[i].done());
        }
        let order: Vec<_> = finished
            .map(|f| f.unwrap().result(None).unwrap().unwrap())
            .collect();
        assert_eq!(order, [1, 3, 0, 2]);
        pool.shutdown(true, false);
    });
}

#[test]
fn as_completed_timeout_ends_the_iteration() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(2);
        let quick = pool.submit(|| Some(1)).unwrap();
        let (tx, rx) = leash();
        let stuck = pool.submit(move || wait_release(&rx).then_some(2)).unwrap();
        wait_until("the quick job is done", || quick.done());
        let mut it = as_completed(vec![quick, stuck.clone()], Some(Duration::from_millis(100)));
        assert_eq!(it.next().unwrap().unwrap().result(None).unwrap(), Some(1));
        assert!(matches!(it.next(), Some(Err(ExecutorError::Timeout))));
        assert!(it.next().is_none(), "the iteration ends after a timeout");
        tx.send(()).unwrap();
        assert_eq!(
            stuck.result(Some(PATIENCE)).unwrap(),
            Some(2),
            "the job went on"
        );
    });
}

// ----- 43: done callbacks -----

#[test]
fn b43_add_done_callback_on_a_finished_future_runs_at_once_on_the_calling_thread() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let (tx, rx) = leash();
        let f = pool.submit(move || wait_release(&rx).then_some(5)).unwrap();

        // Added while pending: runs later, on the worker that finished the job.
        let (seen_tx, seen_rx) = channel();
        f.add_done_callback(move |f| {
            seen_tx.send((thread_name(), f.done())).unwrap();
        });
        assert!(seen_rx.try_recv().is_err(), "not yet done: not called");
        tx.send(()).unwrap();
        let (name, done) = seen_rx.recv_timeout(PATIENCE).unwrap();
        assert!(name.starts_with("corio-pool"), "{name}");
        assert!(done);

        // Added when done: called before add_done_callback returns, here.
        let here = Arc::new(Mutex::new(None::<(ThreadId, bool)>));
        let h = here.clone();
        f.add_done_callback(move |f| *h.lock().unwrap() = Some((thread::current().id(), f.done())));
        assert_eq!(
            here.lock().unwrap().take(),
            Some((thread::current().id(), true)),
            "runs at once, on the calling thread"
        );
        assert_eq!(
            f.clone().result(None).unwrap(),
            Some(5),
            "the value is still there"
        );

        // Also once the value was taken, and on a cancelled future.
        let called = Arc::new(AtomicBool::new(false));
        let c = called.clone();
        f.add_done_callback(move |_| c.store(true, Ordering::SeqCst));
        assert!(called.load(Ordering::SeqCst));
        let (tx, rx) = leash();
        let busy = pool.submit(move || wait_release(&rx)).unwrap();
        let queued = pool.submit(|| ()).unwrap();
        assert!(queued.cancel());
        let c = Arc::new(AtomicBool::new(false));
        let c2 = c.clone();
        queued.add_done_callback(move |f| c2.store(f.cancelled(), Ordering::SeqCst));
        assert!(c.load(Ordering::SeqCst));
        tx.send(()).unwrap();
        assert!(busy.result(Some(PATIENCE)).unwrap());
    });
}

// ----- cancel, shutdown, result -----

#[test]
fn executor_cancel_before_start_returns_true_and_the_job_never_runs() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let (tx, rx) = leash();
        let busy = pool.submit(move || wait_release(&rx)).unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let queued = pool
            .submit(move || r.store(true, Ordering::SeqCst))
            .unwrap();
        assert!(!queued.running() && !queued.done());
        assert!(queued.cancel(), "not started: cancellable");
        assert!(queued.cancelled() && queued.done() && !queued.running());
        assert!(queued.cancel(), "cancelling again still says cancelled");
        tx.send(()).unwrap();
        assert!(busy.result(Some(PATIENCE)).unwrap());
        pool.shutdown(true, false); // every worker has finished and exited
        assert!(!ran.load(Ordering::SeqCst), "a cancelled job never runs");
        assert!(matches!(
            queued.clone().result(None),
            Err(ExecutorError::Cancelled)
        ));
        // Awaited on a loop: the same error.
        let r = corio::run(queued);
        assert!(matches!(r, Err(ExecutorError::Cancelled)));
    });
}

#[test]
fn executor_cancel_of_a_running_or_finished_job_returns_false() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let (started_tx, started_rx) = channel();
        let (tx, rx) = leash();
        let f = pool
            .submit(move || {
                started_tx.send(()).unwrap();
                wait_release(&rx).then_some("finished")
            })
            .unwrap();
        started_rx.recv_timeout(PATIENCE).unwrap();
        assert!(f.running());
        assert!(!f.cancel(), "a running job cannot be cancelled");
        assert!(!f.cancelled() && f.running());
        tx.send(()).unwrap();
        wait_until("the job is done", || f.done());
        assert!(!f.cancel(), "nor can a finished one");
        assert!(!f.cancelled());
        assert_eq!(f.result(None).unwrap(), Some("finished"));
    });
}

#[test]
fn executor_shutdown_wait_waits_for_running_and_queued_jobs() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let (started_tx, started_rx) = channel();
        let finished = Arc::new(AtomicUsize::new(0));
        let f1 = finished.clone();
        pool.submit(move || {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(150));
            f1.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        let queued: Vec<_> = (0..3)
            .map(|_| {
                let f = finished.clone();
                pool.submit(move || {
                    f.fetch_add(1, Ordering::SeqCst);
                })
                .unwrap()
            })
            .collect();
        started_rx.recv_timeout(PATIENCE).unwrap();
        pool.shutdown(true, false);
        assert_eq!(
            finished.load(Ordering::SeqCst),
            4,
            "shutdown(wait) returns after the running and the queued jobs"
        );
        assert!(queued.iter().all(|f| f.done() && !f.cancelled()));
        pool.shutdown(true, false); // again: harmless
    });
}

#[test]
fn executor_shutdown_cancel_futures_cancels_queued_jobs() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let (tx, rx) = leash();
        let busy = pool.submit(move || wait_release(&rx)).unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let queued: Vec<_> = (0..3)
            .map(|_| {
                let ran = ran.clone();
                pool.submit(move || {
                    ran.fetch_add(1, Ordering::SeqCst);
                })
                .unwrap()
            })
            .collect();
        wait_until("the busy job runs", || busy.running());
        pool.shutdown(false, true);
        assert!(
            queued.iter().all(|f| f.cancelled() && f.done()),
            "queued jobs are cancelled by the time shutdown returns"
        );
        assert!(!busy.cancelled(), "the running job is not");
        tx.send(()).unwrap();
        assert!(busy.result(Some(PATIENCE)).unwrap());
        pool.shutdown(true, false);
        assert_eq!(ran.load(Ordering::SeqCst), 0, "no queued job ran");
        for f in queued {
            assert!(matches!(f.result(None), Err(ExecutorError::Cancelled)));
        }
    });
}

#[test]
fn executor_submit_after_shutdown_is_an_error() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(2);
        assert_eq!(
            pool.submit(|| 1).unwrap().result(Some(PATIENCE)).unwrap(),
            1
        );
        pool.shutdown(false, false);
        assert!(matches!(pool.submit(|| 2), Err(ExecutorError::ShutDown)));
        let clone = pool.clone();
        assert!(
            matches!(clone.submit(|| 3), Err(ExecutorError::ShutDown)),
            "clones share the pool"
        );
        let r = corio::run(async move { run_in_executor(Some(&pool), || 4).await });
        assert!(matches!(r, Err(ExecutorError::ShutDown)));
    });
}

#[test]
fn executor_dropping_the_last_handle_still_runs_queued_jobs() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let (tx, rx) = leash();
        let first = pool.submit(move || wait_release(&rx)).unwrap();
        let rest: Vec<_> = (0..3).map(|i| pool.submit(move || i).unwrap()).collect();
        drop(pool); // shuts down without waiting or cancelling
        tx.send(()).unwrap();
        assert!(first.result(Some(PATIENCE)).unwrap());
        let values: Vec<_> = rest
            .into_iter()
            .map(|f| f.result(Some(PATIENCE)).unwrap())
            .collect();
        assert_eq!(values, [0, 1, 2]);
    });
}

#[test]
fn executor_result_timeout_times_out_and_the_job_goes_on() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let (tx, rx) = leash();
        let f = pool.submit(move || wait_release(&rx).then_some(9)).unwrap();
        let t0 = Instant::now();
        assert!(matches!(
            f.clone().result(Some(Duration::from_millis(50))),
            Err(ExecutorError::Timeout)
        ));
        assert!(
            t0.elapsed() >= Duration::from_millis(50),
            "waited the timeout"
        );
        assert!(matches!(
            f.clone().result(Some(Duration::ZERO)),
            Err(ExecutorError::Timeout)
        ));
        assert!(
            !f.done() && !f.cancelled(),
            "a timeout does not touch the job"
        );
        tx.send(()).unwrap();
        assert_eq!(f.clone().result(Some(PATIENCE)).unwrap(), Some(9));
        assert!(
            matches!(f.result(None), Err(ExecutorError::AlreadyTaken)),
            "a value is taken once"
        );
    });
}

// ----- to_thread, the default pool, cross-thread wake-ups -----

#[test]
fn to_thread_runs_on_a_pool_thread() {
    guarded(|| {
        corio::run(async {
            let loop_thread = thread::current().id();
            let (name, id) = to_thread(|| (thread_name(), thread::current().id()))
                .await
                .unwrap();
            assert!(name.starts_with("corio-pool"), "{name}");
            assert_ne!(id, loop_thread);
            let err = to_thread(|| -> () { panic!("to_thread panic") })
                .await
                .unwrap_err();
            assert!(matches!(err, ExecutorError::Panicked(_)));
            assert_eq!(to_thread(|| 5).await.unwrap(), 5);
        });
    });
}

#[test]
fn default_pool_is_shut_down_when_run_returns() {
    guarded(|| {
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        corio::run(async move {
            let (started_tx, started_rx) = channel();
            // A task whose job is still running when main returns; the task
            // itself is cancelled at close, the job is not.
            let _detached = spawn(async move {
                to_thread(move || {
                    started_tx.send(()).unwrap();
                    thread::sleep(Duration::from_millis(200));
                    f.store(true, Ordering::SeqCst);
                })
                .await
            });
            // Wait for it to start without blocking the loop.
            let started = to_thread(move || started_rx.recv_timeout(PATIENCE).is_ok())
                .await
                .unwrap();
            assert!(started);
        });
        assert!(
            finished.load(Ordering::SeqCst),
            "run returned before the default pool's job finished"
        );
    });
}

#[test]
fn pool_future_awaited_while_the_loop_is_parked_wakes_it() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let lp = EventLoop::new();
        let (tx, rx) = leash();
        let value = lp.block_on(async {
            let fut = pool
                .submit(move || wait_release(&rx).then_some(11))
                .unwrap();
            // Another plain thread completes it, once the loop has long parked.
            let releaser = thread::spawn(move || {
                thread::sleep(Duration::from_millis(300));
                tx.send(()).unwrap();
            });
            let value = fut.await;
            releaser.join().unwrap();
            value
        });
        assert_eq!(value.unwrap(), Some(11));
        let stats = lp.stats();
        assert!(stats.parks >= 1, "the loop parked while waiting: {stats:?}");
        assert!(stats.remote_events >= 1, "woken from the worker: {stats:?}");
    });
}

#[test]
fn pool_future_cancelled_from_another_thread_while_awaited() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let (tx, rx) = leash();
        let busy = pool.submit(move || wait_release(&rx)).unwrap();
        let queued = pool.submit(|| "never").unwrap();
        let remote = queued.clone();
        let r = corio::run(async move {
            let canceller = thread::spawn(move || {
                thread::sleep(Duration::from_millis(50));
                assert!(remote.cancel());
            });
            let r = queued.await;
            canceller.join().unwrap();
            r
        });
        assert!(matches!(r, Err(ExecutorError::Cancelled)));
        tx.send(()).unwrap();
        assert!(busy.result(Some(PATIENCE)).unwrap());
    });
}

// ----- idle workers -----

/// With one idle worker and room for another, two jobs submitted back to
/// back must run at the same time (CPython's `submit` claims the idle worker
/// through its idle semaphore, so the second submit starts a new thread).
/// A regression test: the pool once let both submits count on the same idle
/// worker, so the second job queued behind the first.
#[test]
fn executor_two_submits_with_one_idle_worker_run_concurrently() {
    guarded(|| {
        for round in 0..20 {
            let pool = ThreadPoolExecutor::new(2);
            pool.submit(|| ()).unwrap().result(Some(PATIENCE)).unwrap();
            thread::sleep(Duration::from_millis(20)); // the worker goes idle
            let (tx, rx) = leash();
            let a = pool
                .submit(move || rx.recv_timeout(Duration::from_secs(2)).is_ok())
                .unwrap();
            let b = pool.submit(move || tx.send(()).unwrap()).unwrap();
            assert!(
                a.result(Some(PATIENCE)).unwrap(),
                "round {round}: job b never ran while job a waited for it (max_workers = 2)"
            );
            b.result(Some(PATIENCE)).unwrap();
            pool.shutdown(true, false);
        }
    });
}

#[test]
fn closing_the_loop_does_not_wait_forever_for_a_pool_job_that_needs_the_loop() {
    use std::sync::mpsc;
    let (tx, rx) = mpsc::channel();
    let (started_tx, started_rx) = mpsc::channel();
    corio::run(async move {
        let handle = corio::LoopHandle::current();
        let _job = corio::spawn(corio::to_thread(move || {
            started_tx.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(100));
            // The loop is closing by now: this must not hang.
            let outcome = handle.spawn(async { 1 }).wait();
            tx.send(outcome.is_err()).unwrap();
        }));
        corio::yield_now().await;
        // The job must have started: a job still queued when its task is
        // cancelled at close would be cancelled with it, and never run.
        started_rx.recv_timeout(PATIENCE).unwrap();
    });
    assert!(rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap());
}

// ----- user code that panics outside the job (issue 10, section 2) -----

/// A value whose `Drop` panics: `chain` more times, each panic's payload
/// being another `Bomb` one link shorter. Counts every drop, so a test can
/// check each link was dropped exactly once (nothing leaked, nothing freed
/// twice).
#[derive(Debug)]
struct Bomb {
    drops: Arc<AtomicUsize>,
    chain: usize,
}

impl Bomb {
    fn new(drops: &Arc<AtomicUsize>, chain: usize) -> Bomb {
        Bomb {
            drops: drops.clone(),
            chain,
        }
    }
}

impl Drop for Bomb {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        if self.chain > 0 {
            std::panic::panic_any(Bomb::new(&self.drops, self.chain - 1));
        }
    }
}

/// The thread name of the pool's single worker, after one more job: proves
/// the worker survived and still serves jobs.
fn next_job_thread(pool: &ThreadPoolExecutor) -> String {
    pool.submit(thread_name)
        .unwrap()
        .result(Some(PATIENCE))
        .expect("the pool no longer runs jobs: its worker died")
}

#[test]
fn panicking_done_callback_does_not_kill_worker() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let (tx, rx) = leash();
        let f = pool.submit(move || wait_release(&rx).then_some(1)).unwrap();
        let (seen_tx, seen_rx) = channel();
        let before = seen_tx.clone();
        f.add_done_callback(move |_| before.send("before").unwrap());
        f.add_done_callback(|_| panic!("boom in a done-callback"));
        let drops = Arc::new(AtomicUsize::new(0));
        let bomb_drops = drops.clone();
        f.add_done_callback(move |_| std::panic::panic_any(Bomb::new(&bomb_drops, 2)));
        f.add_done_callback(move |_| seen_tx.send("after").unwrap());
        tx.send(()).unwrap();
        assert_eq!(seen_rx.recv_timeout(PATIENCE), Ok("before"));
        assert_eq!(
            seen_rx.recv_timeout(PATIENCE),
            Ok("after"),
            "the callbacks after the panicking ones still run"
        );
        assert_eq!(f.result(Some(PATIENCE)).unwrap(), Some(1));
        assert_eq!(
            drops.load(Ordering::SeqCst),
            3,
            "the panicking payload, and the payload of its own panic, each dropped once"
        );
        for _ in 0..3 {
            assert_eq!(
                next_job_thread(&pool),
                "corio-pool-0",
                "the same worker lives on"
            );
        }
        // The worker count is right: shutdown(wait) sees the worker leave.
        pool.shutdown(true, false);
    });
}

#[test]
fn cancel_with_panicking_callback_does_not_panic_caller() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let (tx, rx) = leash();
        let busy = pool.submit(move || wait_release(&rx)).unwrap();
        wait_until("the busy job runs", || busy.running());
        let later_ran = Arc::new(AtomicUsize::new(0));

        // cancel()
        let queued = pool.submit(|| "never").unwrap();
        queued.add_done_callback(|_| panic!("boom in a callback run by cancel"));
        let l = later_ran.clone();
        queued.add_done_callback(move |_| {
            l.fetch_add(1, Ordering::SeqCst);
        });
        assert!(queued.cancel(), "cancel returns normally");
        assert_eq!(later_ran.load(Ordering::SeqCst), 1);

        // add_done_callback on a future already done runs here, contained.
        queued.add_done_callback(|_| panic!("boom in a callback run at once"));
        let l = later_ran.clone();
        queued.add_done_callback(move |_| {
            l.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(later_ran.load(Ordering::SeqCst), 2);

        // shutdown(cancel_futures = true)
        let drops = Arc::new(AtomicUsize::new(0));
        let queued: Vec<_> = (0..3)
            .map(|_| {
                let f = pool.submit(|| ()).unwrap();
                let d = drops.clone();
                f.add_done_callback(move |_| std::panic::panic_any(Bomb::new(&d, 1)));
                let l = later_ran.clone();
                f.add_done_callback(move |_| {
                    l.fetch_add(1, Ordering::SeqCst);
                });
                f
            })
            .collect();
        pool.shutdown(false, true);
        assert!(queued.iter().all(PoolFuture::cancelled));
        assert_eq!(
            later_ran.load(Ordering::SeqCst),
            5,
            "every later callback ran"
        );
        assert_eq!(drops.load(Ordering::SeqCst), 6, "each payload dropped once");
        tx.send(()).unwrap();
        assert!(busy.result(Some(PATIENCE)).unwrap());
        pool.shutdown(true, false);
    });
}

#[test]
fn cancelled_job_closure_with_panicking_drop_is_contained() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = leash();
        let busy = pool.submit(move || wait_release(&rx)).unwrap();
        wait_until("the busy job runs", || busy.running());
        // Cancelled by cancel(): the closure is dropped later, by the worker
        // that finds it cancelled.
        let bomb = Bomb::new(&drops, 1);
        let by_cancel = pool.submit(move || drop(bomb)).unwrap();
        assert!(by_cancel.cancel());
        // Cancelled by shutdown: the closure is dropped by the caller.
        let bomb = Bomb::new(&drops, 1);
        let by_shutdown = pool.submit(move || drop(bomb)).unwrap();
        pool.shutdown(false, true);
        assert!(by_shutdown.cancelled());
        tx.send(()).unwrap();
        assert!(busy.result(Some(PATIENCE)).unwrap());
        pool.shutdown(true, false);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            4,
            "each closure and payload dropped once"
        );
    });
}

#[test]
fn job_panic_payload_with_panicking_drop_is_contained() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let drops = Arc::new(AtomicUsize::new(0));

        // The worker drops the last handle: the payload is dropped there.
        let (tx, rx) = leash();
        let d = drops.clone();
        let f = pool
            .submit(move || -> () {
                wait_release(&rx);
                std::panic::panic_any(Bomb::new(&d, 2))
            })
            .unwrap();
        drop(f);
        tx.send(()).unwrap();
        assert_eq!(
            next_job_thread(&pool),
            "corio-pool-0",
            "the worker survived"
        );
        assert_eq!(drops.load(Ordering::SeqCst), 3);

        // This thread drops the last handle, unread.
        let d = drops.clone();
        let f = pool
            .submit(move || -> () { std::panic::panic_any(Bomb::new(&d, 2)) })
            .unwrap();
        wait_until("the job is done", || f.done());
        drop(f);
        pool.shutdown(true, false);
        assert_eq!(drops.load(Ordering::SeqCst), 6);
    });
}

#[test]
fn unread_job_output_with_panicking_drop_is_contained() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let drops = Arc::new(AtomicUsize::new(0));

        let (tx, rx) = leash();
        let d = drops.clone();
        let f = pool
            .submit(move || {
                wait_release(&rx);
                Bomb::new(&d, 1)
            })
            .unwrap();
        drop(f);
        tx.send(()).unwrap();
        assert_eq!(
            next_job_thread(&pool),
            "corio-pool-0",
            "the worker survived"
        );
        assert_eq!(drops.load(Ordering::SeqCst), 2);

        let d = drops.clone();
        let f = pool.submit(move || Bomb::new(&d, 1)).unwrap();
        wait_until("the job is done", || f.done());
        drop(f);
        pool.shutdown(true, false);
        assert_eq!(drops.load(Ordering::SeqCst), 4);
    });
}

// ----- cancelling the task that awaits a job (issue 10, section 2) -----

#[test]
fn dropped_to_thread_cancels_unstarted_job() {
    guarded(|| {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        corio::run(async move {
            // Occupy every worker of the default pool, so the next job queues.
            let workers = corio::executor::default_max_workers();
            let gate = Arc::new((Mutex::new(false), Condvar::new()));
            let (started_tx, started_rx) = channel();
            let blockers: Vec<_> = (0..workers)
                .map(|_| {
                    let (gate, started_tx) = (gate.clone(), started_tx.clone());
                    spawn(to_thread(move || {
                        started_tx.send(()).unwrap();
                        let (open, cv) = &*gate;
                        let guard = open.lock().unwrap();
                        drop(
                            cv.wait_timeout_while(guard, PATIENCE, |open| !*open)
                                .unwrap(),
                        );
                    }))
                })
                .collect();
            yield_now().await; // the blockers submit their jobs
            for _ in 0..workers {
                // Blocking the loop is fine here: the jobs run on the pool.
                started_rx.recv_timeout(PATIENCE).unwrap();
            }
            let victim = spawn(to_thread(move || r.store(true, Ordering::SeqCst)));
            yield_now().await; // the victim submits its job, which queues
            assert!(victim.cancel());
            assert!(victim.await.unwrap_err().is_cancelled());
            {
                let (open, cv) = &*gate;
                *open.lock().unwrap() = true;
                cv.notify_all();
            }
            for b in blockers {
                b.await.unwrap().unwrap();
            }
        });
        // run() shut the default pool down and waited for it: had the job not
        // been cancelled, it would have run by now.
        assert!(!ran.load(Ordering::SeqCst), "the cancelled job never runs");
    });
}

#[test]
fn run_in_executor_timed_out_before_start_cancels_the_job() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let (tx, rx) = leash();
        let busy = pool.submit(move || wait_release(&rx)).unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let p = pool.clone();
        let outcome = corio::run(async move {
            corio::wait_for(
                run_in_executor(Some(&p), move || r.store(true, Ordering::SeqCst)),
                Duration::from_millis(20),
            )
            .await
        });
        assert!(outcome.is_err(), "timed out: the job could not start");
        tx.send(()).unwrap();
        assert!(busy.result(Some(PATIENCE)).unwrap());
        pool.shutdown(true, false);
        assert!(!ran.load(Ordering::SeqCst), "the abandoned job never runs");
    });
}

#[test]
fn cancelled_run_in_executor_lets_a_started_job_finish_and_drops_its_result() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let finished = Arc::new(AtomicBool::new(false));
        let drops = Arc::new(AtomicUsize::new(0));
        let (started_tx, started_rx) = channel();
        let (tx, rx) = leash();
        let (f, d, p) = (finished.clone(), drops.clone(), pool.clone());
        corio::run(async move {
            let task = spawn(async move {
                run_in_executor(Some(&p), move || {
                    started_tx.send(()).unwrap();
                    wait_release(&rx);
                    f.store(true, Ordering::SeqCst);
                    Bomb::new(&d, 0)
                })
                .await
            });
            yield_now().await; // the task submits the job
            started_rx.recv_timeout(PATIENCE).unwrap();
            assert!(task.cancel());
            assert!(task.await.unwrap_err().is_cancelled());
        });
        assert!(!finished.load(Ordering::SeqCst), "still running");
        tx.send(()).unwrap();
        pool.shutdown(true, false);
        assert!(
            finished.load(Ordering::SeqCst),
            "a started job runs to completion"
        );
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "its result is dropped, once"
        );
    });
}

// ----- shutdown(wait) from several callers (issue 10, section 2) -----

#[test]
fn every_shutdown_wait_caller_waits_for_workers() {
    guarded(|| {
        const WORKERS: usize = 2;
        const CALLERS: usize = 3;
        let pool = ThreadPoolExecutor::new(WORKERS);
        let finished = Arc::new(AtomicUsize::new(0));
        let (txs, rxs): (Vec<_>, Vec<_>) = (0..WORKERS).map(|_| leash()).unzip();
        let (started_tx, started_rx) = channel();
        for rx in rxs {
            let (finished, started_tx) = (finished.clone(), started_tx.clone());
            pool.submit(move || {
                started_tx.send(()).unwrap();
                wait_release(&rx);
                finished.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        }
        for _ in 0..WORKERS {
            started_rx.recv_timeout(PATIENCE).unwrap();
        }
        let callers: Vec<_> = (0..CALLERS)
            .map(|_| {
                let (pool, finished) = (pool.clone(), finished.clone());
                thread::spawn(move || {
                    pool.shutdown(true, false);
                    finished.load(Ordering::SeqCst)
                })
            })
            .collect();
        // Give every caller the time to reach shutdown and (wrongly) return.
        thread::sleep(Duration::from_millis(100));
        for tx in txs {
            tx.send(()).unwrap();
        }
        for caller in callers {
            assert_eq!(
                caller.join().unwrap(),
                WORKERS,
                "a shutdown(wait) caller returned before the workers finished"
            );
        }
    });
}

#[test]
fn shutdown_wait_from_a_worker_waits_for_the_other_workers() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(2);
        let other_finished = Arc::new(AtomicBool::new(false));
        let (tx, rx) = leash();
        let (started_tx, started_rx) = channel();
        let o = other_finished.clone();
        pool.submit(move || {
            started_tx.send(()).unwrap();
            wait_release(&rx);
            o.store(true, Ordering::SeqCst);
        })
        .unwrap();
        started_rx.recv_timeout(PATIENCE).unwrap();
        let (p, o) = (pool.clone(), other_finished.clone());
        let shutting = pool
            .submit(move || {
                p.shutdown(true, false); // on a worker: must not wait for itself
                o.load(Ordering::SeqCst)
            })
            .unwrap();
        thread::sleep(Duration::from_millis(50));
        tx.send(()).unwrap();
        assert!(
            shutting.result(Some(PATIENCE)).unwrap(),
            "the worker's shutdown(wait) returned before the other worker finished"
        );
        pool.shutdown(true, false);
    });
}

#[test]
fn closing_the_loop_cancels_the_queued_jobs_of_its_pending_tasks() {
    guarded(|| {
        let pool = ThreadPoolExecutor::new(1);
        let (tx, rx) = leash();
        let busy = pool.submit(move || wait_release(&rx)).unwrap();
        wait_until("the busy job runs", || busy.running());
        let ran = Arc::new(AtomicBool::new(false));
        let (r, p) = (ran.clone(), pool.clone());
        corio::run(async move {
            let _pending = spawn(async move {
                run_in_executor(Some(&p), move || r.store(true, Ordering::SeqCst)).await
            });
            yield_now().await; // the task submits its job, which queues
        });
        // run() cancelled the pending task on its way out, and with it the job.
        tx.send(()).unwrap();
        assert!(busy.result(Some(PATIENCE)).unwrap());
        pool.shutdown(true, false);
        assert!(
            !ran.load(Ordering::SeqCst),
            "the job of a cancelled task never runs"
        );
    });
}
