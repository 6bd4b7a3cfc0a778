//! Wakers and the loop's thread-safe side: `call_soon_threadsafe`, waking a
//! parked loop from another thread, stale wakers (after their task finished,
//! after their loop closed), `LoopHandle::spawn` / `RemoteTask`, and the
//! rule that a task is queued at most once however often it is woken.
//!
//! Any test that would hang if a wake-up were lost runs its loop through
//! [`finishes`], which fails the test after a generous minute instead.

use std::future::{pending, poll_fn};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;

use corio::{spawn, yield_now, EventLoop, LoopClosed, LoopHandle};

/// Counts its own drop, from any thread: moved into a future, it proves the
/// future was dropped.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// Where a hand-written future leaves its waker for another thread.
type WakerSlot = Arc<Mutex<Option<Waker>>>;

/// Runs `f` on a fresh thread and fails, instead of hanging the test run, if it
/// has not finished after a generous minute (a lost wake-up blocks forever).
fn finishes<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(value) => {
            worker.join().expect("the worker thread finished");
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => unreachable!("the worker sends before it returns"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("did not finish within 60 s: a wake-up was probably lost")
        }
    }
}

// ----- call_soon_threadsafe -----

#[test]
fn call_soon_threadsafe_from_four_threads_loses_none_and_keeps_each_threads_order() {
    const THREADS: usize = 4;
    const PER_THREAD: usize = 10_000;
    let (count, in_order, stats) = finishes(|| {
        let lp = EventLoop::new();
        let count = counter();
        let in_order = Arc::new(AtomicBool::new(true));
        // The next sequence number each producer's callback should carry.
        let next: Arc<Vec<AtomicUsize>> =
            Arc::new((0..THREADS).map(|_| AtomicUsize::new(0)).collect());
        let producers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (handle, count, in_order, next) =
                    (lp.handle(), count.clone(), in_order.clone(), next.clone());
                thread::spawn(move || {
                    for seq in 0..PER_THREAD {
                        let (count, in_order, next) =
                            (count.clone(), in_order.clone(), next.clone());
                        handle
                            .call_soon_threadsafe(move || {
                                if next[t].swap(seq + 1, Ordering::Relaxed) != seq {
                                    in_order.store(false, Ordering::Relaxed);
                                }
                                if count.fetch_add(1, Ordering::SeqCst) + 1 == THREADS * PER_THREAD
                                {
                                    LoopHandle::current().stop().unwrap();
                                }
                            })
                            .expect("the loop is open");
                    }
                })
            })
            .collect();
        lp.run_forever();
        for p in producers {
            p.join().unwrap();
        }
        (
            count.load(Ordering::SeqCst),
            in_order.load(Ordering::Relaxed),
            lp.stats(),
        )
    });
    assert_eq!(count, THREADS * PER_THREAD);
    assert!(
        in_order,
        "callbacks from one thread run in the order they were sent"
    );
    assert!(stats.remote_events >= (THREADS * PER_THREAD) as u64);
    assert!(stats.callbacks_run >= (THREADS * PER_THREAD) as u64);
}

#[test]
fn threadsafe_handle_cancel_from_another_thread_prevents_the_callback() {
    let lp = EventLoop::new();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let handle = lp
        .handle()
        .call_soon_threadsafe(move || r.store(true, Ordering::SeqCst))
        .unwrap();
    let remote = handle.clone();
    thread::spawn(move || remote.cancel()).join().unwrap();
    assert!(handle.is_cancelled());
    lp.block_on(async {
        yield_now().await;
        yield_now().await;
    });
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn call_soon_threadsafe_on_a_closed_loop_returns_loop_closed() {
    let lp = EventLoop::new();
    let handle = lp.handle();
    drop(lp);
    assert!(handle.is_closed());
    let (ran, drops) = (Arc::new(AtomicBool::new(false)), counter());
    let (r, g) = (ran.clone(), DropCounter(drops.clone()));
    let result = handle.call_soon_threadsafe(move || {
        let _guard = g;
        r.store(true, Ordering::SeqCst);
    });
    assert_eq!(result.unwrap_err(), LoopClosed);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the refused callback is dropped"
    );
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(handle.stop(), Err(LoopClosed));
    assert_eq!(LoopClosed.to_string(), "the event loop is closed");
    let from_thread = thread::spawn(move || handle.call_soon_threadsafe(|| {}).map(drop));
    assert_eq!(from_thread.join().unwrap(), Err(LoopClosed));
}

// ----- waking a parked loop -----

#[test]
fn a_parked_loop_is_woken_by_a_waker_from_another_thread() {
    let (polls, parks) = finishes(|| {
        let lp = EventLoop::new();
        let slot: WakerSlot = Arc::default();
        let flag = Arc::new(AtomicBool::new(false));
        let (first_poll_tx, first_poll_rx) = mpsc::channel::<()>();
        let waker_thread = {
            let (slot, flag) = (slot.clone(), flag.clone());
            thread::spawn(move || {
                first_poll_rx.recv().unwrap();
                // The loop has nothing else to do: give it time to block in the OS poll.
                thread::sleep(Duration::from_millis(50));
                flag.store(true, Ordering::SeqCst);
                if let Some(w) = slot.lock().unwrap().take() {
                    w.wake();
                }
            })
        };
        let mut polls = 0;
        lp.block_on(poll_fn(|cx| {
            polls += 1;
            *slot.lock().unwrap() = Some(cx.waker().clone());
            if flag.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            let _ = first_poll_tx.send(());
            Poll::Pending
        }));
        waker_thread.join().unwrap();
        (polls, lp.stats().parks)
    });
    assert_eq!(polls, 2, "polled once, then once more after the wake");
    assert!(parks >= 1, "the loop blocked while it waited");
}

#[test]
fn concurrent_wakes_from_many_threads_lose_none() {
    const THREADS: usize = 4;
    const WAKES: usize = 5_000;
    let polls = finishes(|| {
        let lp = EventLoop::new();
        let slot: WakerSlot = Arc::default();
        let count = counter();
        let producers: Vec<_> = (0..THREADS)
            .map(|_| {
                let (slot, count) = (slot.clone(), count.clone());
                thread::spawn(move || {
                    for _ in 0..WAKES {
                        count.fetch_add(1, Ordering::SeqCst);
                        if let Some(w) = slot.lock().unwrap().as_ref() {
                            w.wake_by_ref();
                        }
                    }
                })
            })
            .collect();
        let mut polls = 0usize;
        lp.block_on(poll_fn(|cx| {
            polls += 1;
            *slot.lock().unwrap() = Some(cx.waker().clone());
            if count.load(Ordering::SeqCst) == THREADS * WAKES {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
        for p in producers {
            p.join().unwrap();
        }
        polls
    });
    assert!(
        polls <= THREADS * WAKES + 1,
        "{polls} polls for {} wakes",
        THREADS * WAKES
    );
}

// ----- a task is queued once however often it is woken -----

#[test]
fn many_wakes_from_another_thread_before_the_loop_drains_schedule_the_task_once() {
    let lp = EventLoop::new();
    let slot: WakerSlot = Arc::default();
    let (task, task_ref) = lp.block_on(async {
        let s = slot.clone();
        let task = spawn(poll_fn(move |cx| {
            *s.lock().unwrap() = Some(cx.waker().clone());
            Poll::<()>::Pending
        }));
        yield_now().await; // the task is polled once and waits
        let task_ref = task.task_ref();
        (task, task_ref)
    });
    assert_eq!(task_ref.poll_count(), 1);
    let waker = slot.lock().unwrap().clone().unwrap();
    let remote_before = lp.stats().remote_events;
    // The loop is not running, so nothing drains the injection queue meanwhile.
    thread::spawn(move || {
        for _ in 0..1_000 {
            waker.wake_by_ref();
        }
        let by_value = waker.clone();
        by_value.wake();
        waker.wake();
    })
    .join()
    .unwrap();
    lp.block_on(async {
        for _ in 0..3 {
            yield_now().await;
        }
    });
    assert_eq!(task_ref.poll_count(), 2, "1,002 wakes, one poll");
    assert_eq!(
        lp.stats().remote_events - remote_before,
        1,
        "one injection-queue entry"
    );

    // The same on the loop's own thread, while the task is already queued.
    let waker = slot.lock().unwrap().clone().unwrap();
    lp.block_on(async {
        for _ in 0..1_000 {
            waker.wake_by_ref();
        }
        for _ in 0..3 {
            yield_now().await;
        }
    });
    assert_eq!(task_ref.poll_count(), 3);
    task.cancel();
    lp.block_on(yield_now());
    assert!(task_ref.is_cancelled());
}

#[test]
fn a_waker_of_one_loop_woken_inside_another_loop_reaches_its_own_loop() {
    finishes(|| {
        let home = EventLoop::new();
        let other = EventLoop::new();
        let slot: WakerSlot = Arc::default();
        let flag = Arc::new(AtomicBool::new(false));
        let mut spawned = None;
        home.block_on(async {
            let (s, f) = (slot.clone(), flag.clone());
            spawned = Some(spawn(poll_fn(move |cx| {
                *s.lock().unwrap() = Some(cx.waker().clone());
                if f.load(Ordering::SeqCst) {
                    Poll::Ready("woken")
                } else {
                    Poll::Pending
                }
            })));
            yield_now().await;
        });
        let task = spawned.expect("the main future ran");
        let polls_before = task.task_ref().poll_count();
        other.block_on(async {
            flag.store(true, Ordering::SeqCst);
            slot.lock().unwrap().take().unwrap().wake();
            yield_now().await;
            yield_now().await;
        });
        assert!(!task.is_done(), "the other loop must not run the task");
        assert_eq!(task.task_ref().poll_count(), polls_before);
        assert_eq!(home.block_on(task).unwrap(), "woken");
    });
}

// ----- stale wakers -----

#[test]
fn a_wake_of_a_finished_task_is_ignored() {
    let lp = EventLoop::new();
    let (waker, task_ref) = lp.block_on(async {
        let task = spawn(poll_fn(|cx| Poll::Ready(cx.waker().clone())));
        let task_ref = task.task_ref();
        (task.await.unwrap(), task_ref)
    });
    assert_eq!(task_ref.poll_count(), 1);
    let remote = waker.clone();
    thread::spawn(move || remote.wake()).join().unwrap();
    lp.block_on(async {
        waker.wake_by_ref();
        yield_now().await;
        yield_now().await;
    });
    assert_eq!(
        task_ref.poll_count(),
        1,
        "a finished task is never polled again"
    );
    assert!(task_ref.is_done());
}

#[test]
fn wakers_used_after_their_task_finished_and_their_loop_was_dropped_are_harmless() {
    let lp = EventLoop::new();
    let handle = lp.handle();
    let drops = counter();
    let slot: WakerSlot = Arc::default();
    let (finished, finished_ref, pending_task_ref) = lp.block_on(async {
        let done = spawn(poll_fn(|cx| Poll::Ready(cx.waker().clone())));
        let done_ref = done.task_ref();
        let finished = done.await.unwrap();
        let (s, g) = (slot.clone(), DropCounter(drops.clone()));
        let waiting = spawn(async move {
            let _guard = g;
            poll_fn(move |cx| {
                *s.lock().unwrap() = Some(cx.waker().clone());
                Poll::<()>::Pending
            })
            .await
        });
        yield_now().await;
        (finished, done_ref, waiting.task_ref())
    });
    let waiting = slot.lock().unwrap().take().unwrap();
    let for_thread: Vec<Waker> = (0..4)
        .flat_map(|_| [finished.clone(), waiting.clone()])
        .collect();
    // Leave an entry in the injection queue for the close to deal with.
    waiting.wake_by_ref();
    drop(lp);
    assert!(handle.is_closed());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the waiting task was dropped at close"
    );
    assert!(pending_task_ref.is_cancelled() && finished_ref.is_done());

    // On this thread, with no loop running.
    finished.wake_by_ref();
    waiting.wake_by_ref();
    let by_value = finished.clone();
    by_value.wake();
    let by_value = waiting.clone();
    by_value.wake();
    drop(waiting.clone());
    // On another thread.
    thread::spawn(move || {
        for w in for_thread {
            w.wake_by_ref();
            let by_value = w.clone();
            by_value.wake();
            w.wake();
        }
    })
    .join()
    .unwrap();
    // On this thread, inside another loop.
    let other = EventLoop::new();
    other.block_on(async {
        finished.wake_by_ref();
        waiting.wake_by_ref();
        yield_now().await;
    });
    drop(other);
    drop(pending_task_ref);
    drop(finished_ref);
    finished.wake();
    waiting.wake();
}

#[test]
fn wakes_racing_with_the_loop_closing_are_harmless() {
    for _ in 0..50 {
        let lp = EventLoop::new();
        let slot: WakerSlot = Arc::default();
        lp.block_on(async {
            let s = slot.clone();
            spawn(poll_fn(move |cx| {
                *s.lock().unwrap() = Some(cx.waker().clone());
                Poll::<()>::Pending
            }));
            yield_now().await;
        });
        let waker = slot.lock().unwrap().take().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (started_tx, started_rx) = mpsc::channel();
        let waker_thread = {
            let stop = stop.clone();
            thread::spawn(move || {
                started_tx.send(()).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    waker.wake_by_ref();
                    let by_value = waker.clone();
                    by_value.wake();
                }
                waker.wake();
            })
        };
        started_rx.recv().unwrap();
        drop(lp);
        stop.store(true, Ordering::Relaxed);
        waker_thread.join().unwrap();
    }
}

// ----- LoopHandle::spawn and RemoteTask -----

#[test]
fn loop_handle_spawn_from_another_thread_wait_and_cancel() {
    let (value, awaited, cancelled, drops) = finishes(|| {
        let lp = EventLoop::new();
        let handle = lp.handle();
        let worker = thread::spawn(move || {
            let task = handle.spawn(async {
                yield_now().await;
                (6 * 7, corio::current_task().is_some())
            });
            let value = task.wait().unwrap();

            // A RemoteTask is a plain future: any executor can await it.
            let awaited = futures::executor::block_on(handle.spawn(async { "elsewhere" })).unwrap();

            let drops = counter();
            let (started_tx, started_rx) = mpsc::channel();
            let guard = DropCounter(drops.clone());
            let blocked = handle.spawn(async move {
                let _guard = guard;
                started_tx.send(()).unwrap();
                pending::<()>().await;
            });
            started_rx.recv().unwrap();
            assert!(!blocked.is_done());
            blocked.cancel();
            let cancelled = blocked.wait().unwrap_err().is_cancelled();
            handle.stop().unwrap();
            (value, awaited, cancelled, drops.load(Ordering::SeqCst))
        });
        lp.run_forever();
        worker.join().unwrap()
    });
    assert_eq!(
        value,
        (42, true),
        "the remote future ran as a task on the loop"
    );
    assert_eq!(awaited, "elsewhere");
    assert!(cancelled, "a cancelled RemoteTask ends Cancelled");
    assert_eq!(drops, 1, "and its future was dropped");
}

#[test]
fn remote_task_cancelled_before_the_loop_runs_it_never_starts() {
    let lp = EventLoop::new();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let task = lp.handle().spawn(async move {
        r.store(true, Ordering::SeqCst);
        7
    });
    task.cancel(); // asyncio: run_coroutine_threadsafe(..).cancel() before the loop ran it
    let outcome = lp.block_on(task);
    assert!(!ran.load(Ordering::SeqCst), "the body must never run");
    assert!(
        matches!(outcome, Err(ref e) if e.is_cancelled()),
        "a RemoteTask cancelled before it started must end Cancelled, got {outcome:?}"
    );
}

#[test]
fn spawning_on_a_closed_loop_gives_cancelled() {
    let lp = EventLoop::new();
    let handle = lp.handle();
    drop(lp);
    let (ran, drops) = (Arc::new(AtomicBool::new(false)), counter());
    let (r, g) = (ran.clone(), DropCounter(drops.clone()));
    let task = handle.spawn(async move {
        let _guard = g;
        r.store(true, Ordering::SeqCst);
    });
    assert!(task.is_done(), "refused at once");
    assert_eq!(drops.load(Ordering::SeqCst), 1, "the future was dropped");
    assert!(task.wait().unwrap_err().is_cancelled());
    assert!(!ran.load(Ordering::SeqCst));

    let from_thread = {
        let handle = handle.clone();
        thread::spawn(move || handle.spawn(async { 1 }).wait())
    };
    assert!(from_thread.join().unwrap().unwrap_err().is_cancelled());
    let on_another_loop = EventLoop::new().block_on(handle.spawn(async { 2 }));
    assert!(on_another_loop.unwrap_err().is_cancelled());
}

#[test]
fn a_remote_task_not_yet_started_when_the_loop_closes_ends_cancelled() {
    let lp = EventLoop::new();
    let (ran, drops) = (Arc::new(AtomicBool::new(false)), counter());
    let (r, g) = (ran.clone(), DropCounter(drops.clone()));
    let task = lp.handle().spawn(async move {
        let _guard = g;
        r.store(true, Ordering::SeqCst);
    });
    assert!(!task.is_done());
    drop(lp);
    assert!(task.is_done());
    assert!(task.wait().unwrap_err().is_cancelled());
    assert!(
        !ran.load(Ordering::SeqCst),
        "a task born while the loop closes never starts"
    );
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}
