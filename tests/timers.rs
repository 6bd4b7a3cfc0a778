//! Integration tests for corio's timers: `sleep`, `sleep_until`, `timeout`,
//! `timeout_at`, `wait_for`, `timeout_scope`, `interval`, `call_later` /
//! `call_at` and the paused clock.
//!
//! Tests named `bNN_…` check the numbered behaviour NN of ASYNCIO_SPEC.md.
//! Almost every test runs on a paused clock, where the loop jumps straight to
//! the next deadline instead of sleeping: exact times can be asserted and
//! nothing depends on the machine's speed. The few real-clock tests use
//! generous upper bounds.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use corio::time::{self, MissedTickBehavior, Sleep, TimeoutError, TimeoutScope};
use corio::{EventLoop, TimerHandle};

// ----- helpers -----

const YEAR_SECS: u64 = 365 * 24 * 3600;

/// A loop whose clock stands still until the loop has nothing to do but wait
/// for a timer (then it jumps to it) or `time::advance` moves it.
fn paused_loop() -> EventLoop {
    EventLoop::builder()
        .start_paused(true)
        .build()
        .expect("an OS poller")
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

type Log<T> = Rc<RefCell<Vec<T>>>;

fn new_log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

/// A callback that appends `item` to `log`.
fn pusher<T: 'static>(log: &Log<T>, item: T) -> impl FnOnce() + 'static {
    let log = log.clone();
    move || log.borrow_mut().push(item)
}

/// Polls `f` exactly once from the current task and reports what it said.
async fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *f).poll(cx))).await
}

/// Where a [`DropProbe`] records the loop time of its drop.
type DropStamp = Rc<Cell<Option<Instant>>>;

/// Counts its drops and, when built with `new`, records the loop time of the
/// drop (so it must then be dropped while its loop runs).
struct DropProbe {
    drops: Rc<Cell<u32>>,
    dropped_at: Option<DropStamp>,
}

impl DropProbe {
    fn new() -> (DropProbe, Rc<Cell<u32>>, DropStamp) {
        let drops = Rc::new(Cell::new(0));
        let dropped_at = Rc::new(Cell::new(None));
        let probe = DropProbe {
            drops: drops.clone(),
            dropped_at: Some(dropped_at.clone()),
        };
        (probe, drops, dropped_at)
    }

    /// Counts only: may be dropped anywhere.
    fn counting() -> (DropProbe, Rc<Cell<u32>>) {
        let drops = Rc::new(Cell::new(0));
        let probe = DropProbe {
            drops: drops.clone(),
            dropped_at: None,
        };
        (probe, drops)
    }
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
        if let Some(at) = &self.dropped_at {
            at.set(Some(time::now()));
        }
    }
}

/// The furthest instant after `from` this platform represents, among a few
/// absurdly distant ones.
fn far_instant(from: Instant) -> Instant {
    [1000, 100, 31]
        .into_iter()
        .find_map(|years| from.checked_add(Duration::from_secs(years * YEAR_SECS)))
        .expect("an Instant 31 years ahead")
}

fn assert_send<T: Send>(_: &T) {}

// ----- ASYNCIO_SPEC.md behaviours -----

#[test]
fn b03_call_later_with_equal_delays_runs_in_scheduling_order_cancelled_never_runs() {
    let lp = paused_loop();
    let log: Log<(&str, Duration)> = new_log();
    let l = log.clone();
    lp.block_on(async move {
        let t0 = time::now();
        let stamp = |name: &'static str| {
            let l = l.clone();
            move || l.borrow_mut().push((name, time::now() - t0))
        };
        let _a = corio::call_later(ms(10), stamp("a"));
        let (probe, probe_drops) = DropProbe::counting();
        let b_stamp = stamp("b");
        let b = corio::call_later(ms(10), move || {
            let _probe = probe;
            b_stamp();
        });
        let _c = corio::call_later(ms(10), stamp("c"));
        let _early = corio::call_later(ms(4), stamp("early"));
        let _d = corio::call_later(ms(10), stamp("d"));
        assert_eq!(probe_drops.get(), 0);
        b.cancel();
        assert!(b.is_cancelled());
        assert_eq!(probe_drops.get(), 1, "cancel drops the closure at once");
        time::sleep(ms(9)).await;
        assert_eq!(*l.borrow(), [("early", ms(4))]);
        time::sleep(ms(20)).await;
    });
    assert_eq!(
        *log.borrow(),
        [
            ("early", ms(4)),
            ("a", ms(10)),
            ("c", ms(10)),
            ("d", ms(10))
        ]
    );
}

#[test]
fn b03_a_handle_cancelled_after_it_expired_but_before_it_ran_never_runs() {
    let lp = paused_loop();
    let log: Log<&str> = new_log();
    let l = log.clone();
    lp.block_on(async move {
        // Three callbacks with one deadline expire into the same batch; the
        // first cancels the second, which is already in the ready queue.
        let second: Rc<RefCell<Option<TimerHandle>>> = Rc::default();
        let s = second.clone();
        let first = pusher(&l, "first");
        corio::call_later(ms(5), move || {
            first();
            s.borrow().as_ref().expect("scheduled").cancel();
        });
        *second.borrow_mut() = Some(corio::call_later(ms(5), pusher(&l, "second")));
        corio::call_later(ms(5), pusher(&l, "third"));
        time::sleep(ms(50)).await;
        assert!(second.borrow().as_ref().unwrap().is_cancelled());
    });
    assert_eq!(*log.borrow(), ["first", "third"]);
}

#[test]
fn b21_wait_for_times_out_the_inner_future_is_dropped_and_timeout_error_returned() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let (probe, drops, dropped_at) = DropProbe::new();
        let finished = Rc::new(Cell::new(false));
        let f = finished.clone();
        let inner = async move {
            let _probe = probe;
            time::sleep(Duration::from_secs(3600)).await;
            f.set(true);
            5
        };
        let r = corio::wait_for(inner, ms(10)).await;
        assert_eq!(r, Err(TimeoutError));
        assert_eq!(time::now() - t0, ms(10));
        assert_eq!(drops.get(), 1, "the inner future is dropped exactly once");
        assert_eq!(
            dropped_at.get(),
            Some(t0 + ms(10)),
            "dropped at the deadline"
        );
        assert!(!finished.get());

        // The inner future's one-hour timer left with it: sleeping past that
        // hour costs this task exactly one wake, not two.
        let me = corio::current_task().expect("block_on runs a task");
        let polls = me.poll_count();
        time::sleep(Duration::from_secs(7200)).await;
        assert_eq!(me.poll_count(), polls + 1, "a stale timer woke the task");
    });
}

#[test]
fn b21_wait_for_on_a_task_times_out_and_leaves_the_task_detached_not_cancelled() {
    let lp = paused_loop();
    lp.block_on(async {
        let task = corio::spawn(async {
            time::sleep(ms(50)).await;
            "late"
        });
        let watch = task.task_ref();
        assert!(matches!(
            corio::wait_for(task, ms(10)).await,
            Err(TimeoutError)
        ));
        // Dropping a Task handle only detaches it (see `wait_for`'s docs).
        assert!(!watch.is_done());
        time::sleep(ms(100)).await;
        assert!(watch.is_done() && !watch.is_cancelled());
    });
}

#[test]
fn b22_wait_for_with_zero_timeout_on_a_ready_future_returns_its_value() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        assert_eq!(corio::wait_for(async { 42 }, Duration::ZERO).await, Ok(42));
        assert_eq!(
            corio::wait_for(std::future::ready("ready"), Duration::ZERO).await,
            Ok("ready")
        );
        let done = corio::spawn(async { 7 });
        corio::yield_now().await;
        assert!(done.is_done());
        assert_eq!(
            corio::wait_for(done, Duration::ZERO)
                .await
                .map(Result::unwrap),
            Ok(7)
        );

        // Not ready: times out after one loop turn, without a timer.
        let me = corio::current_task().unwrap();
        let polls = me.poll_count();
        let r = corio::wait_for(std::future::pending::<()>(), Duration::ZERO).await;
        assert_eq!(r, Err(TimeoutError));
        assert_eq!(
            me.poll_count(),
            polls + 1,
            "a zero timeout yields exactly once"
        );
        assert_eq!(time::now(), t0);
    });
    assert_eq!(lp.stats().parks, 0);
}

#[test]
fn b26_timeout_scope_reschedule_extends_the_deadline() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let r = time::timeout_scope(ms(10), |cm| async move {
            assert_eq!(cm.when(), Some(t0 + ms(10)));
            time::sleep(ms(5)).await;
            cm.reschedule(cm.when().unwrap() + ms(90));
            assert_eq!(cm.when(), Some(t0 + ms(100)));
            time::sleep(ms(45)).await; // well past the original deadline
            assert!(!cm.expired());
            (time::now() - t0, cm)
        })
        .await;
        let (finished_after, cm) = r.expect("the extended deadline was not reached");
        assert_eq!(finished_after, ms(50));
        assert!(!cm.expired());
    });
}

#[test]
fn b26_timeout_scope_rescheduled_earlier_expires_and_reports_expired() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let (probe, drops, dropped_at) = DropProbe::new();
        let seen: Rc<RefCell<Option<TimeoutScope>>> = Rc::default();
        let s = seen.clone();
        let r = time::timeout_scope(Duration::from_secs(3600), |cm| {
            *s.borrow_mut() = Some(cm.clone());
            async move {
                let _probe = probe;
                time::sleep(ms(5)).await;
                cm.reschedule(time::now() + ms(15));
                std::future::pending::<()>().await
            }
        })
        .await;
        assert_eq!(r, Err(TimeoutError));
        assert_eq!(time::now() - t0, ms(20));
        let cm = seen.borrow().clone().unwrap();
        assert!(cm.expired());
        assert_eq!(cm.when(), Some(t0 + ms(20)));
        assert_eq!(drops.get(), 1, "the body is dropped");
        assert_eq!(dropped_at.get(), Some(t0 + ms(20)));
    });
}

#[test]
fn b26_timeout_scope_reschedule_from_another_task_moves_the_deadline_both_ways() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        // Later: the scope would expire at 10 ms; another task moves it to 100 ms.
        let slot: Rc<RefCell<Option<TimeoutScope>>> = Rc::default();
        let s = slot.clone();
        let mover = corio::spawn(async move {
            time::sleep(ms(5)).await;
            s.borrow().as_ref().unwrap().reschedule(t0 + ms(100));
        });
        let r = time::timeout_scope(ms(10), |cm| {
            *slot.borrow_mut() = Some(cm);
            async {
                time::sleep(ms(50)).await;
                "done"
            }
        })
        .await;
        mover.await.unwrap();
        assert_eq!(r, Ok("done"));
        assert_eq!(time::now() - t0, ms(50));
        assert!(!slot.borrow().as_ref().unwrap().expired());

        // Earlier: an hour-long scope cut short by another task at 60 ms.
        let t1 = time::now();
        let slot: Rc<RefCell<Option<TimeoutScope>>> = Rc::default();
        let s = slot.clone();
        let cutter = corio::spawn(async move {
            time::sleep(ms(10)).await;
            s.borrow().as_ref().unwrap().reschedule(time::now());
        });
        let r = time::timeout_scope(Duration::from_secs(3600), |cm| {
            *slot.borrow_mut() = Some(cm);
            std::future::pending::<()>()
        })
        .await;
        cutter.await.unwrap();
        assert_eq!(r, Err(TimeoutError));
        assert_eq!(time::now() - t1, ms(10));
        assert!(slot.borrow().as_ref().unwrap().expired());
    });
}

#[test]
fn b27_sleep_zero_lets_every_other_ready_task_run_exactly_once() {
    // A real clock: `sleep(ZERO)` is a yield and must never wait for a timer.
    let lp = EventLoop::new();
    let log: Log<String> = new_log();
    let l = log.clone();
    lp.block_on(async move {
        let tasks: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let l = l.clone();
                corio::spawn(async move {
                    for i in 0..3 {
                        l.borrow_mut().push(format!("{name}{i}"));
                        time::sleep(Duration::ZERO).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }

        // Between one `sleep(ZERO)` of this task and its resumption, every
        // other ready task gets exactly one step.
        let counts = Rc::new([Cell::new(0u32), Cell::new(0), Cell::new(0)]);
        let spinners: Vec<_> = (0..3)
            .map(|i| {
                let counts = counts.clone();
                corio::spawn(async move {
                    loop {
                        counts[i].set(counts[i].get() + 1);
                        time::sleep(Duration::ZERO).await;
                    }
                })
            })
            .collect();
        for round in 1..=4 {
            time::sleep(Duration::ZERO).await;
            let seen: Vec<u32> = counts.iter().map(Cell::get).collect();
            assert_eq!(seen, [round; 3], "round {round}");
        }
        for s in &spinners {
            s.cancel();
        }
    });
    assert_eq!(
        *log.borrow(),
        ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]
    );
    assert_eq!(lp.stats().parks, 0, "sleep(ZERO) waited for a timer");
}

// ----- ordering -----

#[test]
fn sleeps_wake_in_deadline_order_and_equal_deadlines_in_spawn_order() {
    let lp = paused_loop();
    // Deadlines from a fixed pseudo-random sequence: sub-millisecond ones
    // (sharing a tick), and others up to three hours (every wheel level up
    // to 3). Every fifth task repeats an earlier delay.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut delays: Vec<Duration> = Vec::new();
    for i in 0..300 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let r = x >> 33;
        let d = match i % 5 {
            0 if i > 0 => delays[(r as usize) % delays.len()],
            1 => Duration::from_micros(r % 3_000),
            2 => Duration::from_micros(r % 100_000),
            3 => Duration::from_millis(r % 10_000),
            _ => Duration::from_millis(r % (3 * 3600 * 1000)),
        };
        delays.push(d);
    }
    let log: Log<(Duration, usize, Duration)> = new_log();
    let l = log.clone();
    let ds = delays.clone();
    lp.block_on(async move {
        let t0 = time::now();
        let tasks: Vec<_> = ds
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                let l = l.clone();
                corio::spawn(async move {
                    time::sleep(d).await;
                    l.borrow_mut().push((d, i, time::now() - t0));
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let log = log.borrow();
    assert_eq!(log.len(), delays.len());
    let order: Vec<(Duration, usize)> = log.iter().map(|&(d, i, _)| (d, i)).collect();
    let mut want = order.clone();
    want.sort();
    assert_eq!(order, want, "wake order is not (deadline, spawn order)");
    for &(d, i, woke) in log.iter() {
        // A paused clock lands on the deadline rounded up to the wheel's 1 ms tick.
        let tick = Duration::from_millis(u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap());
        assert_eq!(woke, tick, "task {i} ({d:?}) woke at {woke:?}");
    }
}

#[test]
fn equal_deadlines_keep_registration_order_across_wheel_levels_and_kinds() {
    let lp = paused_loop();
    let log: Log<&str> = new_log();
    let l = log.clone();
    lp.block_on(async move {
        let t0 = time::now();
        let at = t0 + Duration::from_secs(5);
        let sleeper = |name: &'static str| {
            let l = l.clone();
            async move {
                time::sleep_until(at).await;
                l.borrow_mut().push(name);
            }
        };
        // Registered 5 s ahead (a high wheel level)...
        let far = corio::spawn(sleeper("far sleep"));
        corio::call_at(at, pusher(&l, "far callback"));
        corio::yield_now().await;
        // ...and 5 ms ahead (level 0), for the same instant.
        time::sleep_until(at - ms(5)).await;
        let near = corio::spawn(sleeper("near sleep"));
        corio::call_at(at, pusher(&l, "near callback"));
        far.await.unwrap();
        near.await.unwrap();
        assert_eq!(time::now(), at);
    });
    // Registration order: the far callback (before the far task first ran),
    // the far sleep, the near callback, the near sleep. Callbacks and woken
    // tasks share the ready queue, so they run in exactly that order.
    assert_eq!(
        *log.borrow(),
        ["far callback", "far sleep", "near callback", "near sleep"]
    );
}

#[test]
fn equal_deadlines_stay_in_scheduling_order_when_some_are_cancelled() {
    let lp = paused_loop();
    let log: Log<String> = new_log();
    let l = log.clone();
    lp.block_on(async move {
        let t0 = time::now();
        let mut handles: Vec<TimerHandle> = Vec::new();
        let mut tasks = Vec::new();
        for i in 0..40 {
            handles.push(corio::call_later(ms(7), pusher(&l, format!("cb{i}"))));
            let l = l.clone();
            tasks.push(corio::spawn(async move {
                time::sleep_until(t0 + ms(7)).await;
                l.borrow_mut().push(format!("task{i}"));
            }));
        }
        corio::yield_now().await; // every task registers its sleep
        for i in (0..40).filter(|i| i % 3 == 0) {
            handles[i].cancel();
            tasks[i].cancel(); // drops its future, so its sleep leaves the wheel
        }
        time::sleep(ms(8)).await;
    });
    let kept = (0..40).filter(|i| i % 3 != 0);
    let want: Vec<String> = kept
        .clone()
        .map(|i| format!("cb{i}"))
        .chain(kept.map(|i| format!("task{i}")))
        .collect();
    assert_eq!(*log.borrow(), want);
}

#[test]
fn expired_timers_join_the_ready_queue_behind_call_soon() {
    let lp = paused_loop();
    let log: Log<&str> = new_log();
    let l = log.clone();
    lp.block_on(async move {
        corio::call_later(Duration::ZERO, pusher(&l, "t"));
        corio::call_soon(pusher(&l, "s"));
        corio::call_at(time::now(), pusher(&l, "t2"));
        corio::call_soon(pusher(&l, "s2"));
        time::sleep(ms(1)).await;
    });
    assert_eq!(*log.borrow(), ["s", "s2", "t", "t2"]);
}

#[test]
fn timers_expired_by_advance_fire_at_the_next_iteration_behind_the_running_task() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let ran_at = Rc::new(Cell::new(None));
        let r = ran_at.clone();
        corio::call_later(ms(10), move || r.set(Some(time::now())));
        time::advance(ms(35));
        assert_eq!(time::now() - t0, ms(35));
        assert_eq!(ran_at.get(), None, "advance itself runs nothing");
        corio::yield_now().await; // this task was queued before the timer expired
        assert_eq!(ran_at.get(), None);
        corio::yield_now().await;
        assert_eq!(ran_at.get(), Some(t0 + ms(35)));
    });
}

#[test]
fn past_deadlines_complete_promptly_and_order_before_later_ones() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        // Before the loop's own start, and before now.
        let long_ago = t0.checked_sub(Duration::from_secs(1)).unwrap_or(t0);
        let mut s = time::sleep_until(long_ago);
        assert!(s.is_elapsed());
        assert_eq!(poll_once(&mut s).await, Poll::Ready(()));
        time::sleep_until(long_ago).await;
        assert_eq!(time::now(), t0, "a past deadline must not move the clock");

        // Once the clock has run a while, "negative delays" are earlier deadlines.
        time::sleep(Duration::from_secs(10)).await;
        let now = time::now();
        time::sleep_until(now - Duration::from_secs(3)).await;
        assert_eq!(time::now(), now);
        let log: Log<&str> = new_log();
        corio::call_at(now + ms(1), pusher(&log, "+1ms"));
        corio::call_at(now, pusher(&log, "now"));
        corio::call_at(now - Duration::from_secs(1), pusher(&log, "-1s"));
        corio::call_at(now - Duration::from_secs(2), pusher(&log, "-2s"));
        time::sleep(ms(5)).await;
        assert_eq!(*log.borrow(), ["-2s", "-1s", "now", "+1ms"]);
    });
}

#[test]
fn call_at_deadlines_before_the_loop_started_still_run_in_deadline_order() {
    let lp = paused_loop();
    let log: Log<&str> = new_log();
    let l = log.clone();
    lp.block_on(async move {
        let t0 = time::now();
        let (Some(one), Some(two)) = (
            t0.checked_sub(Duration::from_secs(1)),
            t0.checked_sub(Duration::from_secs(2)),
        ) else {
            return; // the machine booted less than 2 s ago
        };
        corio::call_at(one, pusher(&l, "1 s ago"));
        corio::call_at(two, pusher(&l, "2 s ago"));
        time::sleep(ms(1)).await;
    });
    assert_eq!(*log.borrow(), ["2 s ago", "1 s ago"]);
}

// ----- cancel and reset -----

#[test]
fn dropping_a_registered_sleep_removes_its_timer() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        // Dropped by a timeout around it.
        let by_timeout = corio::spawn(async {
            let r = time::timeout(ms(10), time::sleep(ms(100))).await;
            assert_eq!(r, Err(TimeoutError));
            std::future::pending::<()>().await
        });
        // Dropped by hand after one poll.
        let by_hand = corio::spawn(async {
            let mut s = Box::pin(time::sleep(ms(100)));
            assert!(poll_once(&mut s).await.is_pending());
            drop(s);
            std::future::pending::<()>().await
        });
        time::sleep(Duration::from_secs(1)).await;
        assert_eq!(time::now() - t0, Duration::from_secs(1));
        assert_eq!(
            by_timeout.task_ref().poll_count(),
            2,
            "woken by a dropped sleep"
        );
        assert_eq!(
            by_hand.task_ref().poll_count(),
            1,
            "woken by a dropped sleep"
        );
        by_timeout.cancel();
        by_hand.cancel();
    });
}

#[test]
fn sleep_reset_to_an_earlier_or_later_deadline_and_after_completion() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let me = corio::current_task().unwrap();

        // Earlier: registered for 100 ms, moved to 30 ms.
        let mut s = Box::pin(time::sleep(ms(100)));
        assert_eq!(
            s.deadline(),
            None,
            "a delay has no deadline before its first poll"
        );
        assert!(poll_once(&mut s).await.is_pending());
        assert_eq!(s.deadline(), Some(t0 + ms(100)));
        s.as_mut().reset(t0 + ms(30));
        assert_eq!(s.deadline(), Some(t0 + ms(30)));
        s.as_mut().await;
        assert_eq!(time::now() - t0, ms(30));
        assert!(s.is_elapsed());

        // Reset after completion: the same Sleep runs again, later.
        s.as_mut().reset(t0 + ms(60));
        assert!(!s.is_elapsed());
        s.as_mut().await;
        assert_eq!(time::now() - t0, ms(60));

        // Later: registered for 70 ms, moved to 200 ms; nothing happens at 70.
        let mut s = Box::pin(time::sleep_until(t0 + ms(70)));
        assert!(poll_once(&mut s).await.is_pending());
        s.as_mut().reset(t0 + ms(200));
        let polls = me.poll_count();
        s.as_mut().await;
        assert_eq!(time::now() - t0, ms(200));
        assert_eq!(
            me.poll_count(),
            polls + 1,
            "the old 70 ms timer still fired"
        );
        // And the old 100 ms timer of the first Sleep was gone too.
        let polls = me.poll_count();
        time::sleep(Duration::from_secs(1)).await;
        assert_eq!(me.poll_count(), polls + 1);
    });
}

#[test]
fn a_sleep_polled_by_one_task_then_awaited_by_another_wakes_the_second() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let handoff: Rc<RefCell<Option<Pin<Box<Sleep>>>>> = Rc::default();
        let h = handoff.clone();
        let first = corio::spawn(async move {
            let mut s = Box::pin(time::sleep(ms(20)));
            assert!(poll_once(&mut s).await.is_pending());
            *h.borrow_mut() = Some(s);
            std::future::pending::<()>().await
        });
        corio::yield_now().await;
        let s = handoff.borrow_mut().take().expect("the first task ran");
        let second = corio::spawn(async move {
            s.await;
            time::now()
        });
        assert_eq!(second.await.unwrap(), t0 + ms(20));
        time::sleep(ms(100)).await;
        assert_eq!(first.task_ref().poll_count(), 1, "the first task was woken");
        first.cancel();
    });
}

#[test]
fn timer_handle_cancel_twice_or_after_firing_is_a_no_op() {
    let lp = paused_loop();
    let log: Log<&str> = new_log();
    let l = log.clone();
    lp.block_on(async move {
        let t0 = time::now();
        let twice = corio::call_later(ms(5), pusher(&l, "twice"));
        assert_eq!(twice.when(), t0 + ms(5));
        assert!(!twice.is_cancelled());
        twice.cancel();
        twice.cancel();
        assert!(twice.is_cancelled());

        let fired = corio::call_later(ms(5), pusher(&l, "fired"));
        time::sleep(ms(10)).await;
        assert_eq!(*l.borrow(), ["fired"]);
        // A new timer may reuse the fired one's slot in the wheel: cancelling
        // the stale handle must not touch it.
        let reused = corio::call_later(ms(5), pusher(&l, "reused"));
        fired.cancel();
        fired.cancel();
        twice.cancel();
        time::sleep(ms(10)).await;
        assert!(!reused.is_cancelled());
    });
    assert_eq!(*log.borrow(), ["fired", "reused"]);
}

#[test]
fn timer_handle_cancelled_while_another_loop_runs_leaves_that_loops_timers_alone() {
    let first = paused_loop();
    let handle = first.block_on(async { corio::call_later(Duration::from_secs(10), || {}) });
    let second = paused_loop();
    let r = second.block_on(async move {
        // The second loop's first timer gets the same key as `handle`'s.
        let sleeper = corio::spawn(time::sleep(ms(10)));
        corio::yield_now().await;
        handle.cancel();
        time::timeout(Duration::from_secs(1), sleeper).await
    });
    assert!(
        matches!(r, Ok(Ok(()))),
        "the other loop's sleep never woke up: {r:?}"
    );
}

// ----- interval -----

#[test]
fn interval_ticks_are_one_period_apart_on_a_paused_clock() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let mut every = time::interval(ms(7));
        assert_eq!(every.period(), ms(7));
        assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Burst);
        for k in 0..6u32 {
            let at = every.tick().await;
            assert_eq!(at, t0 + ms(7) * k, "tick {k}");
            assert_eq!(time::now(), at, "tick {k} came late or early");
        }

        let start = time::now() + ms(3);
        let mut later = time::interval_at(start, ms(4));
        assert_eq!(later.tick().await, start);
        assert_eq!(time::now(), start);
        assert_eq!(later.tick().await, start + ms(4));

        later.reset();
        let reset_at = time::now();
        assert_eq!(later.tick().await, reset_at + ms(4));
    });
}

/// Ticks of a 10 ms interval when the loop is 35 ms late after the first
/// tick: `(returned instant, loop time when returned)`, relative to the start.
fn ticks_after_a_35ms_stall(behavior: MissedTickBehavior) -> Vec<(Duration, Duration)> {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let mut every = time::interval(ms(10));
        every.set_missed_tick_behavior(behavior);
        assert_eq!(every.missed_tick_behavior(), behavior);
        let mut ticks = vec![(every.tick().await - t0, time::now() - t0)];
        time::advance(ms(35));
        for _ in 0..5 {
            let at = every.tick().await;
            ticks.push((at - t0, time::now() - t0));
        }
        ticks
    })
}

#[test]
fn interval_burst_fires_missed_ticks_back_to_back_on_the_original_schedule() {
    let t = ticks_after_a_35ms_stall(MissedTickBehavior::Burst);
    let want: Vec<(Duration, Duration)> =
        [(0, 0), (10, 35), (20, 35), (30, 35), (40, 40), (50, 50)]
            .iter()
            .map(|&(a, b)| (ms(a), ms(b)))
            .collect();
    assert_eq!(t, want);
}

#[test]
fn interval_delay_restarts_the_schedule_one_period_after_the_late_tick() {
    let t = ticks_after_a_35ms_stall(MissedTickBehavior::Delay);
    let want: Vec<(Duration, Duration)> =
        [(0, 0), (10, 35), (45, 45), (55, 55), (65, 65), (75, 75)]
            .iter()
            .map(|&(a, b)| (ms(a), ms(b)))
            .collect();
    assert_eq!(t, want);
}

#[test]
fn interval_skip_resumes_at_the_next_multiple_of_the_original_schedule() {
    let t = ticks_after_a_35ms_stall(MissedTickBehavior::Skip);
    let want: Vec<(Duration, Duration)> =
        [(0, 0), (10, 35), (40, 40), (50, 50), (60, 60), (70, 70)]
            .iter()
            .map(|&(a, b)| (ms(a), ms(b)))
            .collect();
    assert_eq!(t, want);
}

#[test]
#[should_panic(expected = "corio::time::interval: the period must be non-zero")]
fn interval_with_a_zero_period_panics_with_a_clear_message() {
    let lp = paused_loop();
    lp.block_on(async {
        let _ = time::interval(Duration::ZERO);
    });
}

#[test]
#[should_panic(expected = "corio::time::interval: the period must be non-zero")]
fn interval_at_with_a_zero_period_panics_even_outside_a_loop() {
    let _ = time::interval_at(Instant::now(), Duration::ZERO);
}

#[test]
#[should_panic(expected = "corio's timers need a running corio loop")]
fn a_sleep_polled_outside_a_loop_panics_with_a_clear_message() {
    let mut s = Box::pin(time::sleep(ms(1)));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let _ = s.as_mut().poll(&mut cx);
}

// ----- far deadlines -----

#[test]
fn far_deadlines_neither_panic_nor_overflow() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let far = far_instant(t0);
        assert_eq!(time::timeout(Duration::MAX, async { 7 }).await, Ok(7));
        assert_eq!(
            time::timeout(Duration::MAX, time::sleep(ms(3))).await,
            Ok(())
        );
        assert_eq!(
            corio::wait_for(time::sleep(ms(2)), Duration::MAX).await,
            Ok(())
        );
        assert_eq!(time::timeout_at(far, async { 1 }).await, Ok(1));
        assert_eq!(time::timeout_at(far, time::sleep(ms(5))).await, Ok(()));
        let scoped = time::timeout_scope(Duration::MAX, |_| time::sleep(ms(1))).await;
        assert_eq!(scoped, Ok(()));
        assert_eq!(time::now() - t0, ms(11));

        let t1 = time::now();
        assert_eq!(
            time::timeout(ms(5), time::sleep(Duration::MAX)).await,
            Err(TimeoutError)
        );
        assert_eq!(
            time::timeout(ms(5), time::sleep_until(far)).await,
            Err(TimeoutError)
        );
        let mut s = Box::pin(time::sleep(ms(1)));
        assert!(poll_once(&mut s).await.is_pending());
        s.as_mut().reset(far);
        assert_eq!(time::timeout(ms(5), s.as_mut()).await, Err(TimeoutError));
        assert_eq!(time::now() - t1, ms(15));

        let ran = Rc::new(Cell::new(false));
        let r = ran.clone();
        let h = corio::call_later(Duration::MAX, move || r.set(true));
        assert!(h.when() >= t0 + Duration::from_secs(29 * YEAR_SECS));
        // (A panicking callback is only reported, so record instead.)
        let ran_at = Rc::new(Cell::new(false));
        let r = ran_at.clone();
        let h_at = corio::call_at(far, move || r.set(true));
        assert_eq!(h_at.when(), far);
        time::sleep(Duration::from_secs(3600)).await;
        assert!(!ran.get() && !ran_at.get());
        h.cancel();
        h_at.cancel();
    });
}

#[test]
fn a_paused_clock_reaches_a_duration_max_sleep_clamped_to_thirty_years() {
    let lp = paused_loop();
    let real = Instant::now();
    let slept = lp.block_on(async {
        let t0 = time::now();
        time::sleep(Duration::MAX).await;
        time::now() - t0
    });
    assert!(slept >= Duration::from_secs(29 * YEAR_SECS), "{slept:?}");
    assert!(slept <= Duration::from_secs(31 * YEAR_SECS), "{slept:?}");
    assert!(real.elapsed() < Duration::from_secs(5));
    assert!(lp.stats().iterations < 200, "{:?}", lp.stats());
}

#[test]
fn interval_with_a_duration_max_period_ticks_once_without_panicking() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let mut every = time::interval(Duration::MAX);
        assert_eq!(every.tick().await, t0);
        let second = time::timeout(Duration::from_secs(3600), every.tick()).await;
        assert_eq!(second, Err(TimeoutError));
    });
}

#[test]
fn a_paused_clock_reaches_a_sleep_until_a_century_ahead() {
    let (handle_tx, handle_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let lp = paused_loop();
        handle_tx.send(lp.handle()).unwrap();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            lp.block_on(async {
                let t0 = time::now();
                let at = t0 + Duration::from_secs(100 * YEAR_SECS);
                time::sleep_until(at).await;
                time::now() >= at
            })
        }));
        done_tx.send((outcome.ok(), lp.stats())).unwrap();
    });
    let handle = handle_rx.recv().unwrap();
    let (outcome, stats) = match done_rx.recv_timeout(Duration::from_secs(5)) {
        Ok(done) => done,
        Err(_) => {
            // Still running: stop it (block_on then panics) and report.
            handle.stop().unwrap();
            done_rx.recv().unwrap()
        }
    };
    worker.join().unwrap();
    assert_eq!(
        outcome,
        Some(true),
        "the paused loop never reached a deadline 100 years ahead ({stats:?})"
    );
    assert!(stats.parks < 1000, "the paused loop spun: {stats:?}");
}

// ----- how the loop waits -----

#[test]
fn an_idle_loop_parks_until_the_nearest_deadline_instead_of_spinning() {
    let lp = EventLoop::new();
    let start = Instant::now();
    lp.block_on(time::sleep(ms(50)));
    let elapsed = start.elapsed();
    let stats = lp.stats();
    assert!(elapsed >= ms(50), "woke early: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(stats.parks <= 3, "parked too often: {stats:?}");
    assert!(stats.iterations <= 10, "spun: {stats:?}");
}

#[test]
fn real_clock_sleeps_and_timeouts_take_about_as_long_as_asked() {
    let lp = EventLoop::new();
    lp.block_on(async {
        let start = Instant::now();
        time::sleep(ms(50)).await;
        let slept = start.elapsed();
        assert!(
            slept >= ms(50) && slept < Duration::from_secs(5),
            "{slept:?}"
        );

        let start = Instant::now();
        let r = time::timeout(ms(30), time::sleep(Duration::from_secs(30))).await;
        let waited = start.elapsed();
        assert_eq!(r, Err(TimeoutError));
        assert!(
            waited >= ms(30) && waited < Duration::from_secs(5),
            "{waited:?}"
        );

        let start = Instant::now();
        let ran_after = Rc::new(Cell::new(None));
        let r = ran_after.clone();
        corio::call_later(ms(20), move || r.set(Some(start.elapsed())));
        time::sleep(ms(40)).await;
        let after = ran_after.get().expect("the call_later callback ran");
        assert!(
            after >= ms(20) && after < Duration::from_secs(5),
            "{after:?}"
        );
    });
}

#[test]
fn a_paused_loop_jumps_to_deadlines_instead_of_sleeping() {
    let lp = paused_loop();
    let real = Instant::now();
    let slept = lp.block_on(async {
        let t0 = time::now();
        time::sleep(Duration::from_secs(3 * 3600)).await;
        time::now() - t0
    });
    assert_eq!(slept, Duration::from_secs(3 * 3600));
    assert!(real.elapsed() < Duration::from_secs(5));
}

// ----- threads -----

#[test]
fn a_registered_sleep_dropped_on_another_thread_is_removed_safely() {
    let lp = paused_loop();
    let fired = Arc::new(AtomicBool::new(false));
    let f = fired.clone();
    lp.block_on(async move {
        let t0 = time::now();
        type Parked = Pin<Box<dyn Future<Output = ()> + Send>>;
        let slot: Rc<RefCell<Option<Parked>>> = Rc::default();
        let s = slot.clone();
        let victim = corio::spawn(async move {
            let mut fut: Parked = Box::pin(async move {
                time::sleep(Duration::from_secs(1)).await;
                f.store(true, Ordering::SeqCst);
            });
            assert!(poll_once(&mut fut).await.is_pending()); // registers the timer
            *s.borrow_mut() = Some(fut);
            std::future::pending::<()>().await
        });
        corio::yield_now().await;
        let fut = slot.borrow_mut().take().expect("the victim ran");
        assert_send(&time::sleep(ms(1)));
        assert_send(&time::timeout(ms(1), time::sleep(ms(1))));
        thread::spawn(move || drop(fut)).join().unwrap();

        time::sleep(Duration::from_secs(5)).await;
        assert_eq!(time::now() - t0, Duration::from_secs(5));
        assert_eq!(
            victim.task_ref().poll_count(),
            1,
            "the dropped timer still fired"
        );
        victim.cancel();
    });
    assert!(!fired.load(Ordering::SeqCst));
    assert!(
        lp.stats().remote_events >= 1,
        "the removal went through the injection queue"
    );
}

#[test]
fn a_sleep_dropped_on_another_thread_while_its_loop_is_parked_never_fires() {
    // A real clock, so the loop really blocks in the OS poll while the other
    // thread drops the sleep: the removal must wake it and be applied before
    // the timer's deadline (1 s, far beyond the 30 ms the thread waits).
    let lp = EventLoop::new();
    let handle = lp.handle();
    lp.block_on(async move {
        let slot: Rc<RefCell<Option<Pin<Box<Sleep>>>>> = Rc::default();
        let s = slot.clone();
        let victim = corio::spawn(async move {
            let mut sleep = Box::pin(time::sleep(Duration::from_secs(1)));
            assert!(poll_once(&mut sleep).await.is_pending());
            *s.borrow_mut() = Some(sleep);
            std::future::pending::<()>().await
        });
        corio::yield_now().await;
        let sleep = slot.borrow_mut().take().expect("the victim ran");
        let dropped = Arc::new(AtomicBool::new(false));
        let d = dropped.clone();
        let dropper = thread::spawn(move || {
            thread::sleep(ms(30));
            drop(sleep);
            d.store(true, Ordering::SeqCst);
            handle.call_soon_threadsafe(|| {}).unwrap();
        });
        time::sleep(ms(1500)).await;
        dropper.join().unwrap();
        assert!(dropped.load(Ordering::SeqCst));
        assert_eq!(victim.task_ref().poll_count(), 1, "the dropped timer fired");
        victim.cancel();
    });
    assert!(lp.stats().remote_events >= 2, "{:?}", lp.stats());
}

#[test]
fn a_registered_sleep_dropped_after_its_loop_closed_is_harmless() {
    let lp = paused_loop();
    let mut s = Box::pin(time::sleep(Duration::from_secs(60)));
    lp.block_on(async {
        assert!(poll_once(&mut s).await.is_pending());
    });
    drop(lp);
    // Its loop is gone: the removal request is discarded, on any thread.
    let mut t = Box::pin(time::sleep(Duration::from_secs(60)));
    let lp = paused_loop();
    lp.block_on(async {
        assert!(poll_once(&mut t).await.is_pending());
    });
    drop(lp);
    drop(s);
    thread::spawn(move || drop(t)).join().unwrap();
}

#[test]
fn a_registered_sleep_dropped_on_a_thread_running_another_loop_removes_its_timer() {
    let lp = paused_loop();
    lp.block_on(async {
        let slot: Rc<RefCell<Option<Pin<Box<Sleep>>>>> = Rc::default();
        let s = slot.clone();
        let victim = corio::spawn(async move {
            let mut sleep = Box::pin(time::sleep(Duration::from_secs(1)));
            assert!(poll_once(&mut sleep).await.is_pending());
            *s.borrow_mut() = Some(sleep);
            std::future::pending::<()>().await
        });
        corio::yield_now().await;
        let sleep = slot.borrow_mut().take().expect("the victim ran");
        thread::spawn(move || corio::run(async move { drop(sleep) }))
            .join()
            .unwrap();
        time::sleep(Duration::from_secs(5)).await;
        let polls = victim.task_ref().poll_count();
        victim.cancel();
        assert_eq!(polls, 1, "the dropped sleep's timer fired in its old loop");
    });
}

#[test]
fn a_million_unpolled_sleeps_register_nothing() {
    let real = Instant::now();
    let lp = EventLoop::new();
    let outside: Vec<Sleep> = (0..500_000u64)
        .map(|i| time::sleep(Duration::from_micros(i + 1)))
        .collect();
    lp.block_on(async move {
        let inside: Vec<Sleep> = (0..500_000u64)
            .map(|i| time::sleep(Duration::from_secs(i + 1)))
            .collect();
        assert!(inside.iter().all(|s| s.deadline().is_none()));
        drop(inside);
        drop(outside);
    });
    let stats = lp.stats();
    assert_eq!(stats.iterations, 1, "{stats:?}");
    assert_eq!(stats.parks, 0, "{stats:?}");

    // Unregistered sleeps dropped elsewhere send the loop nothing.
    let elsewhere: Vec<Sleep> = (0..1000).map(|_| time::sleep(ms(1))).collect();
    thread::spawn(move || drop(elsewhere)).join().unwrap();
    lp.block_on(corio::yield_now());
    let stats = lp.stats();
    assert_eq!(stats.parks, 0, "{stats:?}");
    assert_eq!(stats.remote_events, 0, "{stats:?}");
    assert!(
        real.elapsed() < Duration::from_secs(20),
        "{:?}",
        real.elapsed()
    );
}

#[test]
fn closing_a_loop_drops_pending_timers_without_running_them() {
    let lp = paused_loop();
    let ran = Rc::new(Cell::new(false));
    let (probe, drops) = DropProbe::counting();
    let (task_probe, task_drops) = DropProbe::counting();
    let r = ran.clone();
    lp.block_on(async move {
        corio::call_later(Duration::from_secs(60), move || {
            let _probe = probe;
            r.set(true);
        });
        corio::spawn(async move {
            let _probe = task_probe;
            time::sleep(Duration::from_secs(60)).await;
        });
        corio::yield_now().await;
    });
    drop(lp);
    assert!(!ran.get());
    assert_eq!(drops.get(), 1, "the pending callback was not dropped");
    assert_eq!(task_drops.get(), 1, "the sleeping task was not dropped");
}

// ----- timeout / timeout_at -----

#[test]
fn timeout_and_timeout_at_return_ok_when_the_future_finishes_first() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let slow_enough = async {
            time::sleep(ms(10)).await;
            "value"
        };
        assert_eq!(time::timeout(ms(11), slow_enough).await, Ok("value"));
        assert_eq!(time::now() - t0, ms(10));
        let t1 = time::now();
        let at = t1 + ms(20);
        assert_eq!(
            time::timeout_at(at, async {
                time::sleep(ms(19)).await;
                1
            })
            .await,
            Ok(1)
        );
        assert_eq!(time::now() - t1, ms(19));
        // Done on the very poll at which the deadline passes: the future wins.
        let t2 = time::now();
        assert_eq!(time::timeout(ms(5), time::sleep(ms(5))).await, Ok(()));
        assert_eq!(time::now() - t2, ms(5));
        let t = time::timeout(Duration::ZERO, async { 3 });
        let _inner = t.get_ref();
        assert_eq!(t.await, Ok(3));
    });
}

#[test]
fn timeout_and_timeout_at_return_timeout_error_when_the_deadline_passes() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let r = time::timeout(ms(10), time::sleep(ms(11))).await;
        assert_eq!(r, Err(TimeoutError));
        assert_eq!(time::now() - t0, ms(10));
        let t1 = time::now();
        let r = time::timeout_at(t1 + ms(7), std::future::pending::<u8>()).await;
        assert_eq!(r, Err(TimeoutError));
        assert_eq!(time::now() - t1, ms(7));
        let r = time::timeout_at(t1, std::future::pending::<u8>()).await;
        assert_eq!(r, Err(TimeoutError), "a past deadline expires at once");
        assert_eq!(time::now() - t1, ms(7));

        // `reschedule` on a held Timeout moves its deadline.
        let t2 = time::now();
        let mut held = Box::pin(time::timeout(Duration::ZERO, time::sleep(ms(30))));
        held.as_mut().reschedule(t2 + ms(20));
        assert_eq!(held.await, Err(TimeoutError));
        assert_eq!(time::now() - t2, ms(20));
    });
    let err = TimeoutError;
    assert_eq!(
        err.to_string(),
        "deadline elapsed before the future completed"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert_eq!(
        boxed.to_string(),
        "deadline elapsed before the future completed"
    );
}

#[test]
fn a_paused_clock_advances_even_with_a_socket_registered() {
    let lp = paused_loop();
    let real = Instant::now();
    lp.block_on(async {
        let _listener = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let t0 = time::now();
        time::sleep(Duration::from_secs(60)).await;
        assert_eq!(time::now() - t0, Duration::from_secs(60));
    });
    assert!(real.elapsed() < Duration::from_secs(5));
}

// ----- nested timeouts: the outermost expired one reports (issue 10, 3.1) -----

/// A retry loop of `attempt_ms` attempts inside an outer deadline of
/// `outer_ms`: counts the attempts started and the inner timeouts it saw.
async fn retry_loop_under_an_outer_scope(
    outer_ms: u64,
    attempt_ms: u64,
) -> (
    Result<(), TimeoutError>,
    TimeoutScope,
    u32,
    u32,
    TimeoutScope,
) {
    let attempts = Rc::new(Cell::new(0));
    let inner_timeouts = Rc::new(Cell::new(0));
    let last_inner: Rc<RefCell<Option<TimeoutScope>>> = Rc::default();
    let outer_seen: Rc<RefCell<Option<TimeoutScope>>> = Rc::default();
    let (a, i, last, seen) = (
        attempts.clone(),
        inner_timeouts.clone(),
        last_inner.clone(),
        outer_seen.clone(),
    );
    let r = time::timeout_scope(ms(outer_ms), |outer| async move {
        *seen.borrow_mut() = Some(outer.clone());
        while !outer.expired() {
            a.set(a.get() + 1);
            let last = last.clone();
            let attempt = time::timeout_scope(ms(attempt_ms), |cm| {
                *last.borrow_mut() = Some(cm);
                std::future::pending::<()>()
            })
            .await;
            assert_eq!(attempt, Err(TimeoutError));
            i.set(i.get() + 1);
        }
    })
    .await;
    let outer = outer_seen.borrow().clone().unwrap();
    let inner = last_inner.borrow().clone().unwrap();
    (r, outer, attempts.get(), inner_timeouts.get(), inner)
}

#[test]
fn nested_timeout_scopes_expiring_in_the_same_turn_report_the_timeout_from_the_outer_scope() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        // Attempts of 10 ms inside 30 ms: the third attempt's deadline is
        // the outer one. The outer scope reports; the loop never sees the
        // third inner timeout, so it starts no fourth attempt.
        let (r, outer, attempts, inner_timeouts, last_inner) =
            retry_loop_under_an_outer_scope(30, 10).await;
        assert_eq!(r, Err(TimeoutError), "the outer scope returns the timeout");
        assert!(outer.expired());
        assert!(
            last_inner.expired(),
            "the inner scope expired too (asyncio)"
        );
        assert_eq!(time::now() - t0, ms(30));
        assert_eq!(attempts, 3);
        assert_eq!(inner_timeouts, 2, "the third inner timeout was the outer's");
    });
}

#[test]
fn nested_timeouts_expiring_in_the_same_turn_report_from_the_outermost_of_three() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let middle_saw = Rc::new(Cell::new(None));
        let m = middle_saw.clone();
        // Three plain timeouts, all due at 20 ms: only the outermost reports.
        let r = time::timeout(ms(20), async move {
            let middle = time::timeout(ms(20), async {
                time::timeout(ms(20), std::future::pending::<()>()).await
            })
            .await;
            m.set(Some(middle));
        })
        .await;
        assert_eq!(r, Err(TimeoutError));
        assert_eq!(
            middle_saw.get(),
            None,
            "the body after the middle one never ran"
        );
        assert_eq!(time::now() - t0, ms(20));

        // An inner timeout due before the outer one still reports itself.
        let r = time::timeout(ms(20), async {
            time::timeout(ms(5), std::future::pending::<()>()).await
        })
        .await;
        assert_eq!(r, Ok(Err(TimeoutError)));
    });
}

#[test]
fn nested_timeout_steps_aside_then_reports_itself_when_the_outer_deadline_moved_later() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        // In the turn where both expire, the body also moves the outer
        // deadline later: the outer scope goes on, so the inner one, which
        // stepped aside, must be polled again and report its own timeout.
        let r = time::timeout_scope(ms(10), |outer| async move {
            let mut inner = Box::pin(time::timeout(ms(10), std::future::pending::<()>()));
            let mut mover = Box::pin(async {
                time::sleep(ms(10)).await;
                outer.reschedule(time::now() + ms(100));
            });
            let mut moved = false;
            std::future::poll_fn(|cx| {
                if !moved && mover.as_mut().poll(cx).is_ready() {
                    moved = true;
                }
                inner.as_mut().poll(cx)
            })
            .await
        })
        .await;
        assert_eq!(
            r,
            Ok(Err(TimeoutError)),
            "the inner timeout, once the outer moved"
        );
        assert_eq!(
            time::now() - t0,
            ms(10),
            "reported at once, not at the new deadline"
        );
    });
}

// ----- zero timeouts give the loop one turn (issue 10, 3.8) -----

#[test]
fn zero_timeout_on_a_pending_future_gives_every_other_ready_task_one_turn() {
    let lp = paused_loop();
    lp.block_on(async {
        let log: Log<&str> = new_log();
        let past = time::now();
        for (name, kind) in [
            ("timeout", 0),
            ("wait_for", 1),
            ("timeout_at", 2),
            ("scope", 3),
        ] {
            let other = {
                let log = log.clone();
                corio::spawn(async move { log.borrow_mut().push("other ran") })
            };
            let r = match kind {
                0 => time::timeout(Duration::ZERO, std::future::pending::<()>()).await,
                1 => corio::wait_for(std::future::pending::<()>(), Duration::ZERO).await,
                2 => time::timeout_at(past, std::future::pending::<()>()).await,
                _ => time::timeout_scope(Duration::ZERO, |_| std::future::pending::<()>()).await,
            };
            assert_eq!(r, Err(TimeoutError), "{name}");
            log.borrow_mut().push(name);
            other.await.unwrap();
        }
        assert_eq!(
            *log.borrow(),
            [
                "other ran",
                "timeout",
                "other ran",
                "wait_for",
                "other ran",
                "timeout_at",
                "other ran",
                "scope"
            ]
        );
    });
}

#[test]
fn retry_loop_on_a_zero_timeout_does_not_starve_other_tasks() {
    let lp = paused_loop();
    lp.block_on(async {
        let stop = Rc::new(Cell::new(false));
        let s = stop.clone();
        let stopper = corio::spawn(async move { s.set(true) });
        let mut attempts = 0;
        // Before, every attempt timed out without yielding and this loop
        // spun forever; the bound turns that into a failure, not a hang.
        while !stop.get() && attempts < 1_000 {
            attempts += 1;
            let _ = corio::wait_for(std::future::pending::<()>(), Duration::ZERO).await;
        }
        assert!(stop.get(), "the other task never ran");
        assert_eq!(attempts, 1, "it ran during the first attempt's turn");
        stopper.await.unwrap();
    });
}

#[test]
fn zero_timeout_returns_the_value_of_a_future_that_became_ready_during_its_turn() {
    let lp = paused_loop();
    lp.block_on(async {
        let event = Rc::new(corio::sync::Event::new());
        let e = event.clone();
        let setter = corio::spawn(async move { e.set() });
        let r = time::timeout(Duration::ZERO, event.wait()).await;
        assert_eq!(
            r,
            Ok(()),
            "asyncio: the result wins over the pending cancellation"
        );
        setter.await.unwrap();
    });
}

// ----- Task::wait_for cancels the task (issue 10, 3.3) -----

#[test]
fn task_wait_for_cancels_the_task_on_timeout_and_returns_once_it_finished_cancelling() {
    let lp = paused_loop();
    lp.block_on(async {
        let t0 = time::now();
        let (probe, drops, dropped_at) = DropProbe::new();
        let task = corio::spawn(async move {
            let _probe = probe;
            time::sleep(Duration::from_secs(3600)).await;
            "late"
        });
        let watch = task.task_ref();
        let r = task.wait_for(ms(10)).await;
        assert!(matches!(r, Err(TimeoutError)));
        assert!(watch.is_done() && watch.is_cancelled(), "{watch:?}");
        assert_eq!(
            drops.get(),
            1,
            "the task's future was dropped before wait_for returned"
        );
        assert_eq!(dropped_at.get(), Some(t0 + ms(10)));
        assert_eq!(time::now() - t0, ms(10));
    });
}

#[test]
fn task_wait_for_returns_the_outcome_of_a_task_that_finishes_in_time() {
    let lp = paused_loop();
    lp.block_on(async {
        let task = corio::spawn(async {
            time::sleep(ms(5)).await;
            7
        });
        assert_eq!(task.wait_for(ms(10)).await.unwrap().unwrap(), 7);

        let done = corio::spawn(async { 8 });
        corio::yield_now().await;
        assert_eq!(done.wait_for(Duration::ZERO).await.unwrap().unwrap(), 8);

        let panicking = corio::spawn(async { panic!("in time") });
        let r = panicking.wait_for(ms(10)).await.unwrap();
        assert_eq!(r.unwrap_err().panic_message(), Some("in time"));
    });
}

#[test]
fn dropping_a_task_wait_for_before_it_finished_cancels_the_task() {
    let lp = paused_loop();
    lp.block_on(async {
        let task = corio::spawn(time::sleep(Duration::from_secs(3600)));
        let watch = task.task_ref();
        let mut waiting = Box::pin(task.wait_for(Duration::from_secs(60)));
        assert!(poll_once(&mut waiting).await.is_pending());
        drop(waiting);
        corio::yield_now().await;
        assert!(watch.is_done() && watch.is_cancelled(), "{watch:?}");

        // A plain `wait_for` of a handle detaches instead (shield-like).
        let kept = corio::spawn(async {
            time::sleep(ms(20)).await;
            "kept"
        });
        let watch = kept.task_ref();
        assert!(corio::wait_for(kept, ms(5)).await.is_err());
        time::sleep(ms(50)).await;
        assert!(watch.is_done() && !watch.is_cancelled());
    });
}
