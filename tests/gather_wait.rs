//! Integration tests for corio's asyncio-style combinators: `gather`,
//! `gather_settled`, `gather_futures`, `wait`, `as_completed`, `shield` and
//! `task_group`.
//!
//! Tests named `bNN_…` check the numbered behaviour NN of ASYNCIO_SPEC.md
//! (11–20, 23–25); the others check the promises of `runtime/combinators`:
//! combinators never poll a child's future, work on tasks they did not spawn,
//! and `wait` splits its tasks when it resumes.
//!
//! Every test runs on a paused clock: the loop jumps straight to the next
//! deadline instead of sleeping, so loop times are asserted exactly and
//! nothing depends on the machine's speed. Assertions are made in the main
//! future (whose panic `block_on` re-raises) or on values tasks return, never
//! inside a detached task, where the loop would contain a failed assertion.
//! Some children panic on purpose; their messages on stderr are expected.

use std::cell::{Cell, RefCell};
use std::future::{pending, poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use corio::combinators::{ChildFailure, EmptyWait, FailureKind};
use corio::time::{self, sleep, TimeoutError};
use corio::{
    as_completed, current_task, gather, gather_futures, gather_settled, shield, spawn, task_group,
    wait, wait_for, yield_now, AllCompleted, EventLoop, FirstCompleted, GatherError, ReturnWhen,
    Task, TaskError, TaskGroup, TaskRef, TaskState,
};

// ----- helpers -----

/// Runs `future` on a fresh loop whose clock is paused. A watchdog timer an
/// hour of loop time away turns a deadlock (nothing left to run, no timer
/// but the watchdog) into a prompt failure instead of a hang: the paused
/// clock jumps straight to it.
fn run_paused<F: Future>(future: F) -> F::Output {
    EventLoop::builder()
        .start_paused(true)
        .build()
        .expect("an OS poller")
        .block_on(async {
            time::timeout(Duration::from_secs(3600), future)
                .await
                .expect("deadlock: the test's future never finished (watchdog)")
        })
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Loop time since `t0`.
fn since(t0: Instant) -> Duration {
    time::now() - t0
}

/// A task that sleeps `delay` ms and returns `value`.
fn sleeper<T: 'static>(delay: u64, value: T) -> Task<T> {
    spawn(async move {
        sleep(ms(delay)).await;
        value
    })
}

/// Sleeps `delay` ms, then panics with `message`.
async fn panic_after<T>(delay: u64, message: &'static str) -> T {
    sleep(ms(delay)).await;
    panic!("{message}")
}

/// A task that sleeps `delay` ms and then sets `flag`; returns `value`.
fn flagging<T: 'static>(delay: u64, flag: &Rc<Cell<bool>>, value: T) -> Task<T> {
    let flag = flag.clone();
    spawn(async move {
        sleep(ms(delay)).await;
        flag.set(true);
        value
    })
}

fn flag() -> Rc<Cell<bool>> {
    Rc::new(Cell::new(false))
}

/// A future that counts its own polls and returns `Pending` (waking itself)
/// `yields` times before returning `yields`. Its counter is what proves who
/// polled it: only the loop may.
struct CountedYields {
    yields: u32,
    polls: Rc<Cell<u32>>,
}

impl Future for CountedYields {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.polls.set(self.polls.get() + 1);
        if self.polls.get() > self.yields {
            Poll::Ready(self.yields)
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A poll counter shared with a [`CountedYields`].
type Polls = Rc<Cell<u32>>;

/// Spawns a [`CountedYields`] for each `k` in `yields`; returns the tasks,
/// their `TaskRef`s and their self-counted polls.
fn counted_children(yields: &[u32]) -> (Vec<Task<u32>>, Vec<TaskRef>, Vec<Polls>) {
    let mut tasks = Vec::new();
    let mut refs = Vec::new();
    let mut polls = Vec::new();
    for &k in yields {
        let counter = Rc::new(Cell::new(0));
        let task = spawn(CountedYields {
            yields: k,
            polls: counter.clone(),
        });
        refs.push(task.task_ref());
        tasks.push(task);
        polls.push(counter);
    }
    (tasks, refs, polls)
}

/// Asserts that the child that yielded `yields[i]` times was polled exactly
/// `yields[i] + 1` times, by the loop's count and by its own.
fn assert_polled_by_the_loop_only(what: &str, yields: &[u32], refs: &[TaskRef], polls: &[Polls]) {
    for ((k, r), own) in yields.iter().zip(refs).zip(polls) {
        assert!(r.is_done(), "{what}: child yielding {k} times is done");
        assert_eq!(r.poll_count(), k + 1, "{what}: loop's poll count");
        assert_eq!(own.get(), k + 1, "{what}: the future's own poll count");
    }
}

/// Polls `f` once from the current task and says what it returned.
async fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *f).poll(cx))).await
}

/// Records the loop time at which it is dropped: moved into a future, it
/// tells when that future was dropped.
struct DropStamp(Rc<Cell<Option<Instant>>>);

impl Drop for DropStamp {
    fn drop(&mut self) {
        self.0.set(Some(time::now()));
    }
}

fn ids(tasks: &[(usize, Task<impl Sized>)]) -> Vec<corio::TaskId> {
    tasks.iter().map(|(_, t)| t.id()).collect()
}

/// The indices `wait` gave back.
fn indices(tasks: &[(usize, Task<impl Sized>)]) -> Vec<usize> {
    tasks.iter().map(|(i, _)| *i).collect()
}

// ----- gather -----

#[test]
fn b11_gather_keeps_argument_order_when_completion_order_differs() {
    run_paused(async {
        let t0 = time::now();
        let finished = Rc::new(RefCell::new(Vec::new()));
        let child = |delay: u64, label: &'static str| {
            let finished = finished.clone();
            spawn(async move {
                sleep(ms(delay)).await;
                finished.borrow_mut().push(label);
                label
            })
        };
        let tasks = [
            child(30, "a"),
            child(10, "b"),
            child(20, "c"),
            child(0, "d"),
        ];
        let out = gather(tasks).await.expect("no child failed");
        assert_eq!(out, ["a", "b", "c", "d"]);
        assert_eq!(*finished.borrow(), ["d", "b", "c", "a"]);
        assert_eq!(since(t0), ms(30), "gather returned when the last child did");
    });
}

#[test]
fn b11_gather_futures_keeps_argument_order_when_completion_order_differs() {
    run_paused(async {
        let futures = [40u64, 10, 30, 20].map(|d| async move {
            sleep(ms(d)).await;
            d
        });
        assert_eq!(gather_futures(futures).await.unwrap(), [40, 10, 30, 20]);
    });
}

#[test]
fn b12_gather_fail_fast_error_arrives_before_slower_siblings_finish_and_they_still_complete() {
    run_paused(async {
        let t0 = time::now();
        let slow_done = flag();
        let fast = sleeper(5, 1u32);
        let failing = spawn(panic_after::<u32>(10, "child exploded"));
        let slow = flagging(100, &slow_done, 3u32);
        let slow_ref = slow.task_ref();

        let err = gather([fast, failing, slow]).await.unwrap_err();
        assert_eq!(err.index(), 1);
        let err = err.task_error().expect("a panic");
        assert!(err.is_panic());
        assert_eq!(err.panic_message(), Some("child exploded"));
        assert_eq!(since(t0), ms(10), "the error came at the failure");
        assert!(!slow_done.get(), "the slow sibling had not finished");
        assert!(!slow_ref.is_done());
        assert_ne!(slow_ref.state(), TaskState::Cancelling);

        // The gather is gone (it returned): its sibling was not cancelled.
        sleep(ms(200)).await;
        assert!(slow_done.get(), "the sibling ran to completion");
        assert_eq!(slow_ref.state(), TaskState::Done);
    });
}

#[test]
fn b12_gather_fail_fast_on_a_cancelled_child_and_siblings_keep_running() {
    run_paused(async {
        let t0 = time::now();
        let slow_done = flag();
        let victim = sleeper(50, 1u8);
        let victim_ref = victim.task_ref();
        let slow = flagging(100, &slow_done, 2u8);
        let slow_ref = slow.task_ref();
        let canceller = spawn(async move {
            sleep(ms(20)).await;
            victim_ref.cancel_with("stop it")
        });

        let err = gather([victim, slow]).await.unwrap_err();
        assert!(matches!(
            err,
            GatherError::Task { index: 0, error: TaskError::Cancelled(Some(ref m)) } if m == "stop it"
        ));
        assert_eq!(since(t0), ms(20));
        assert!(canceller.await.unwrap());
        assert!(!slow_ref.is_done() && !slow_done.get());

        sleep(ms(100)).await;
        assert!(slow_done.get());
        assert_eq!(slow_ref.state(), TaskState::Done);
    });
}

#[test]
fn b13_gather_settled_returns_every_outcome_in_order() {
    run_paused(async {
        let t0 = time::now();
        let ok_late = sleeper(30, 1i32);
        let panicked = spawn(panic_after::<i32>(10, "bad input"));
        let cancelled = sleeper(1_000, 3i32);
        let cancelled_ref = cancelled.task_ref();
        let ok_early = sleeper(5, 4i32);
        spawn(async move {
            sleep(ms(20)).await;
            cancelled_ref.cancel_with("not needed");
        });

        let outcomes = gather_settled([ok_late, panicked, cancelled, ok_early]).await;
        assert_eq!(since(t0), ms(30), "it waited for every child");
        assert_eq!(outcomes.len(), 4);
        assert_eq!(*outcomes[0].as_ref().unwrap(), 1);
        let e = outcomes[1].as_ref().unwrap_err();
        assert!(e.is_panic());
        assert_eq!(e.panic_message(), Some("bad input"));
        assert!(matches!(outcomes[2], Err(TaskError::Cancelled(Some(ref m))) if m == "not needed"));
        assert_eq!(*outcomes[3].as_ref().unwrap(), 4);
    });
}

#[test]
fn b14_cancelling_a_gather_cancels_unfinished_children() {
    run_paused(async {
        let t0 = time::now();
        let fast = sleeper(5, 1u32);
        let slow = sleeper(100, 2u32);
        let slower = sleeper(200, 3u32);
        let refs = [fast.task_ref(), slow.task_ref(), slower.task_ref()];
        let waiter = spawn(gather([fast, slow, slower]));

        sleep(ms(10)).await;
        assert_eq!(refs[0].state(), TaskState::Done);
        assert!(!waiter.is_done());
        assert!(waiter.cancel());
        assert!(waiter.await.unwrap_err().is_cancelled());
        yield_now().await; // let the children's cancellations run

        assert_eq!(since(t0), ms(10));
        assert_eq!(
            refs[0].state(),
            TaskState::Done,
            "a finished child stays Done"
        );
        assert!(refs[1].is_cancelled(), "{:?}", refs[1]);
        assert!(refs[2].is_cancelled(), "{:?}", refs[2]);
        sleep(ms(300)).await;
        assert_eq!(refs[1].state(), TaskState::Cancelled);
        assert_eq!(refs[2].state(), TaskState::Cancelled);
    });
}

#[test]
fn b14_cancelling_a_gather_settled_cancels_unfinished_children_and_ends_cancelled() {
    run_paused(async {
        let fast = sleeper(5, 'a');
        let slow = sleeper(100, 'b');
        let refs = [fast.task_ref(), slow.task_ref()];
        let waiter = spawn(gather_settled([fast, slow]));

        sleep(ms(10)).await;
        waiter.cancel();
        assert!(waiter.await.unwrap_err().is_cancelled());
        yield_now().await;
        assert_eq!(refs[0].state(), TaskState::Done);
        assert!(refs[1].is_cancelled());
    });
}

#[test]
fn b14_a_gather_dropped_by_wait_for_or_before_its_first_poll_cancels_its_children() {
    run_paused(async {
        let t0 = time::now();
        let a = sleeper(100, 1u8);
        let b = sleeper(5, 2u8);
        let refs = [a.task_ref(), b.task_ref()];
        assert!(wait_for(gather([a, b]), ms(20)).await.is_err());
        assert_eq!(since(t0), ms(20));
        yield_now().await;
        assert_eq!(refs[0].state(), TaskState::Cancelled);
        assert_eq!(refs[1].state(), TaskState::Done);

        let never_polled = sleeper(100, 3u8);
        let r = never_polled.task_ref();
        drop(gather([never_polled]));
        yield_now().await;
        assert_eq!(r.state(), TaskState::Cancelled);
    });
}

#[test]
fn b14_a_finished_gather_cancels_nothing_when_dropped() {
    run_paused(async {
        // Fail-fast returned: dropping the finished gather leaves the sibling alone.
        let failing = spawn(panic_after::<u8>(1, "early"));
        let sibling = sleeper(50, 9u8);
        let r = sibling.task_ref();
        let mut g = gather([failing, sibling]);
        let first = poll_fn(|cx| Pin::new(&mut g).poll(cx)).await;
        assert!(first.unwrap_err().task_error().unwrap().is_panic());
        drop(g);
        sleep(ms(100)).await;
        assert_eq!(r.state(), TaskState::Done);
    });
}

#[test]
fn b15_gather_of_nothing_is_an_empty_list() {
    run_paused(async {
        let t0 = time::now();
        let me = current_task().unwrap();
        let polls = me.poll_count();

        let mut g = gather(Vec::<Task<u32>>::new());
        match poll_once(&mut g).await {
            Poll::Ready(Ok(v)) => assert!(v.is_empty()),
            other => panic!("gather of nothing: {other:?}"),
        }
        let mut s = gather_settled(Vec::<Task<u32>>::new());
        match poll_once(&mut s).await {
            Poll::Ready(v) => assert!(v.is_empty()),
            Poll::Pending => panic!("gather_settled of nothing is pending"),
        }
        let mut f = gather_futures(Vec::<std::future::Ready<u32>>::new());
        match poll_once(&mut f).await {
            Poll::Ready(Ok(v)) => assert!(v.is_empty()),
            other => panic!("gather_futures of nothing: {other:?}"),
        }
        assert_eq!(
            gather(Vec::<Task<()>>::new()).await.unwrap(),
            Vec::<()>::new()
        );

        assert_eq!(me.poll_count(), polls, "no await above suspended the task");
        assert_eq!(since(t0), Duration::ZERO);
    });
}

#[test]
fn gather_futures_spawns_plain_futures_as_tasks() {
    run_paused(async {
        let main_id = current_task().unwrap().id();
        let g = gather_futures((0..3).map(|i| async move {
            let me = current_task().expect("a spawned future runs as a task");
            yield_now().await;
            (i, me)
        }));
        let out = g.await.unwrap();
        let mut seen = Vec::new();
        for (i, (n, me)) in out.iter().enumerate() {
            assert_eq!(*n, i);
            assert_ne!(me.id(), main_id, "future {i} ran in its own task");
            assert!(!seen.contains(&me.id()), "one task per future");
            seen.push(me.id());
            assert_eq!(me.poll_count(), 2);
        }
    });
}

#[test]
fn gather_futures_tasks_report_the_call_of_gather_futures_as_their_spawn_site() {
    run_paused(async {
        let line = line!() + 1;
        let tasks = gather_futures((0..2).map(|_| async {
            let at = current_task().unwrap().spawned_at();
            (at.file(), at.line())
        }));
        for at in tasks.await.unwrap() {
            assert_eq!(
                at,
                (file!(), line),
                "gather_futures is #[track_caller]: its tasks were spawned at its call"
            );
        }
    });
}

#[test]
fn gather_of_ten_thousand_tasks_returns_the_right_sum() {
    run_paused(async {
        let n = 10_000u64;
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                spawn(async move {
                    if i % 2 == 0 {
                        yield_now().await;
                    }
                    i
                })
            })
            .collect();
        let out = gather(tasks).await.unwrap();
        assert_eq!(out.len(), 10_000);
        assert!(out.iter().enumerate().all(|(i, v)| *v == i as u64));
        assert_eq!(out.iter().sum::<u64>(), n * (n - 1) / 2);

        let settled = gather_settled((0..n).map(|i| spawn(async move { i * 2 }))).await;
        let sum: u64 = settled.into_iter().map(Result::unwrap).sum();
        assert_eq!(sum, n * (n - 1));
    });
}

// ----- wait -----

#[test]
fn b16_wait_first_completed_returns_after_the_first_completion_with_the_rest_pending() {
    run_paused(async {
        let t0 = time::now();
        let c = sleeper(30, 'c');
        let a = sleeper(10, 'a');
        let b = sleeper(20, 'b');
        let all = [c.id(), a.id(), b.id()];

        let (done, pending) = wait([c, a, b], ReturnWhen::FirstCompleted, None)
            .await
            .unwrap();
        assert_eq!(since(t0), ms(10));
        assert_eq!(ids(&done), [all[1]]);
        assert_eq!(ids(&pending), [all[0], all[2]], "argument order");
        assert_eq!(indices(&done), [1]);
        assert_eq!(indices(&pending), [0, 2]);
        assert!(pending.iter().all(|(_, t)| !t.is_done()));
        assert_eq!(done.into_iter().next().unwrap().1.await.unwrap(), 'a');

        // The pending tasks are still running and finish on their own.
        let rest = gather(pending).await.unwrap();
        assert_eq!(rest, ['c', 'b']);
        assert_eq!(since(t0), ms(30));
    });
}

#[test]
fn b16_wait_first_completed_counts_every_task_done_at_the_same_time() {
    run_paused(async {
        let (done, pending) = wait(
            [sleeper(10, 1u8), sleeper(50, 2), sleeper(10, 3)],
            ReturnWhen::FirstCompleted,
            None,
        )
        .await
        .unwrap();
        assert_eq!(done.len(), 2);
        assert_eq!(pending.len(), 1);
        let values = gather(done).await.unwrap();
        assert_eq!(values, [1, 3]);
    });
}

#[test]
fn b17_wait_first_exception_returns_at_the_first_panic() {
    run_paused(async {
        let t0 = time::now();
        let ok = sleeper(5, 1u32);
        let bad = spawn(panic_after::<u32>(10, "boom"));
        let slow_done = flag();
        let slow = flagging(50, &slow_done, 3u32);
        let expect_done = [ok.id(), bad.id()];
        let slow_ref = slow.task_ref();

        let (done, pending) = wait([ok, bad, slow], ReturnWhen::FirstException, None)
            .await
            .unwrap();
        assert_eq!(since(t0), ms(10));
        assert_eq!(ids(&done), expect_done);
        assert_eq!(pending.len(), 1);
        let mut done = done.into_iter().map(|(_, t)| t);
        assert_eq!(done.next().unwrap().await.unwrap(), 1);
        let err = done.next().unwrap().await.unwrap_err();
        assert_eq!(err.panic_message(), Some("boom"));

        drop(pending); // detached, not cancelled
        sleep(ms(100)).await;
        assert!(slow_done.get());
        assert_eq!(slow_ref.state(), TaskState::Done);
    });
}

#[test]
fn b17_wait_first_exception_returns_at_the_first_task_returning_err() {
    run_paused(async {
        let t0 = time::now();
        let ok = sleeper(5, Ok::<u32, String>(1));
        let bad = sleeper(10, Err::<u32, String>("refused".into()));
        let slow = sleeper(50, Ok::<u32, String>(3));
        let bad_id = bad.id();

        let (done, pending) = wait([ok, bad, slow], ReturnWhen::FirstException, None)
            .await
            .unwrap();
        assert_eq!(since(t0), ms(10));
        assert_eq!(done.len(), 2);
        assert_eq!((done[1].0, done[1].1.id()), (1, bad_id));
        assert_eq!(pending.len(), 1);
        // The Err output is still in the handle for the caller.
        let outputs: Vec<_> = gather_settled(done)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(outputs, [Ok(1), Err("refused".to_string())]);
        assert_eq!(gather(pending).await.unwrap(), [Ok(3)]);
    });
}

#[test]
fn b17_wait_first_exception_a_cancelled_task_does_not_count() {
    run_paused(async {
        let t0 = time::now();
        let cancelled = sleeper(100, 1u32);
        let cancelled_ref = cancelled.task_ref();
        let early = sleeper(5, 2u32);
        let last = sleeper(40, 3u32);
        spawn(async move {
            sleep(ms(10)).await;
            cancelled_ref.cancel();
        });

        let (done, pending) = wait([cancelled, early, last], ReturnWhen::FirstException, None)
            .await
            .unwrap();
        assert_eq!(
            since(t0),
            ms(40),
            "the cancellation at 10 ms did not end the wait"
        );
        assert!(pending.is_empty());
        assert_eq!(done.len(), 3);
        assert!(done[0].1.is_cancelled());
        let outcomes = gather_settled(done).await;
        assert!(outcomes[0].as_ref().unwrap_err().is_cancelled());
        assert_eq!(*outcomes[2].as_ref().unwrap(), 3);
    });
}

#[test]
fn b17_wait_first_exception_sees_a_task_that_failed_before_the_wait() {
    run_paused(async {
        let t0 = time::now();
        let bad = spawn(async { Err::<(), &str>("already") });
        yield_now().await;
        assert!(bad.is_done());
        let slow = sleeper(50, Ok::<(), &str>(()));
        let (done, pending) = wait([slow, bad], ReturnWhen::FirstException, None)
            .await
            .unwrap();
        assert_eq!(since(t0), Duration::ZERO);
        assert_eq!((done.len(), pending.len()), (1, 1));
    });
}

#[test]
fn b18_wait_first_exception_with_no_failure_equals_all_completed() {
    fn scenario(when: ReturnWhen) -> (Duration, Vec<u32>, usize) {
        run_paused(async move {
            let t0 = time::now();
            let tasks = [
                sleeper(30, Ok::<u32, ()>(1)),
                sleeper(10, Ok(2)),
                sleeper(20, Ok(3)),
            ];
            let (done, pending) = wait(tasks, when, None).await.unwrap();
            let at = since(t0);
            let values = gather(done)
                .await
                .unwrap()
                .into_iter()
                .map(Result::unwrap)
                .collect();
            (at, values, pending.len())
        })
    }
    let first_exception = scenario(ReturnWhen::FirstException);
    let all_completed = scenario(ReturnWhen::AllCompleted);
    assert_eq!(first_exception, all_completed);
    assert_eq!(all_completed, (ms(30), vec![1, 2, 3], 0));
    assert_eq!(ReturnWhen::default(), ReturnWhen::AllCompleted);
}

#[test]
fn b19_wait_with_timeout_returns_done_and_pending_and_cancels_nothing() {
    run_paused(async {
        let t0 = time::now();
        let quick = sleeper(10, 1u32);
        let slow_done = flag();
        let slow = flagging(100, &slow_done, 2u32);
        let slower = sleeper(200, 3u32);
        let quick_id = quick.id();
        let refs = [slow.task_ref(), slower.task_ref()];

        let (done, pending) = wait(
            [slow, quick, slower],
            ReturnWhen::AllCompleted,
            Some(ms(50)),
        )
        .await
        .unwrap();
        assert_eq!(since(t0), ms(50));
        assert_eq!(ids(&done), [quick_id]);
        assert_eq!(pending.len(), 2);
        for r in &refs {
            assert!(!r.is_done());
            assert_ne!(r.state(), TaskState::Cancelling, "{r:?}");
        }
        assert_eq!(gather(pending).await.unwrap(), [2, 3]);
        assert!(slow_done.get());
        assert_eq!(since(t0), ms(200));
    });
}

#[test]
fn b19_wait_first_completed_with_timeout_and_no_completion_returns_all_pending() {
    run_paused(async {
        let t0 = time::now();
        let (done, pending) = wait(
            [sleeper(100, ()), sleeper(100, ())],
            ReturnWhen::FirstCompleted,
            Some(ms(30)),
        )
        .await
        .unwrap();
        assert_eq!(since(t0), ms(30));
        assert!(done.is_empty());
        assert_eq!(pending.len(), 2);
        assert!(pending.iter().all(|(_, t)| !t.is_cancelled()));
        gather(pending).await.unwrap();
        assert_eq!(since(t0), ms(100));
    });
}

#[test]
fn b19_cancelling_the_task_awaiting_a_wait_cancels_none_of_its_tasks() {
    run_paused(async {
        let child = sleeper(100, 5u32);
        let r = child.task_ref();
        let waiter = spawn(wait([child], ReturnWhen::AllCompleted, None));
        sleep(ms(10)).await;
        waiter.cancel();
        assert!(waiter.await.unwrap_err().is_cancelled());
        sleep(ms(200)).await;
        assert_eq!(r.state(), TaskState::Done);
    });
}

#[test]
fn b20_wait_on_an_empty_set_is_an_error() {
    run_paused(async {
        let t0 = time::now();
        for when in [
            ReturnWhen::FirstCompleted,
            ReturnWhen::FirstException,
            ReturnWhen::AllCompleted,
        ] {
            let r = wait(Vec::<Task<u32>>::new(), when, None).await;
            assert_eq!(r.unwrap_err(), EmptyWait, "{when:?}");
            let r = wait(Vec::<Task<u32>>::new(), when, Some(ms(50))).await;
            assert_eq!(r.unwrap_err(), EmptyWait, "{when:?} with a timeout");
        }
        assert_eq!(since(t0), Duration::ZERO, "the error came at once");
        assert!(!EmptyWait.to_string().is_empty());
    });
}

#[test]
fn wait_computes_done_and_pending_when_it_resumes() {
    run_paused(async {
        // `late` yields once in the iteration where `early` completes (which
        // wakes the wait); it finishes in the next iteration, before the
        // waiting task resumes, and must count as done.
        let late = spawn(async {
            yield_now().await;
            "late"
        });
        let early = spawn(async { "early" });
        let never = spawn(pending::<&str>());
        let never_ref = never.task_ref();
        let late_ref = late.task_ref();

        let (done, pending) = wait([late, early, never], ReturnWhen::FirstCompleted, None)
            .await
            .unwrap();
        assert_eq!(
            late_ref.poll_count(),
            2,
            "late finished after the first completion"
        );
        assert_eq!(done.len(), 2, "late counted as done");
        assert_eq!(gather(done).await.unwrap(), ["late", "early"]);
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].1.id(), never_ref.id());
        never_ref.cancel();
    });
}

// ----- never polling a child, tasks from elsewhere -----

#[test]
fn combinators_never_poll_a_child_future_themselves() {
    let yields = [0u32, 1, 2, 3, 7];
    run_paused(async move {
        let (tasks, refs, polls) = counted_children(&yields);
        assert_eq!(gather(tasks).await.unwrap(), yields);
        assert_polled_by_the_loop_only("gather", &yields, &refs, &polls);

        let (tasks, refs, polls) = counted_children(&yields);
        let outcomes = gather_settled(tasks).await;
        assert!(outcomes.iter().all(Result::is_ok));
        assert_polled_by_the_loop_only("gather_settled", &yields, &refs, &polls);

        for when in [
            ReturnWhen::AllCompleted,
            ReturnWhen::FirstException,
            ReturnWhen::FirstCompleted,
        ] {
            let (tasks, refs, polls) = counted_children(&yields);
            let (done, pending) = wait(tasks, when, None).await.unwrap();
            assert!(!done.is_empty());
            // FirstCompleted leaves some running: let them finish.
            gather(pending).await.unwrap();
            assert_polled_by_the_loop_only(&format!("wait {when:?}"), &yields, &refs, &polls);
        }

        let (tasks, refs, polls) = counted_children(&yields);
        let mut stream = as_completed(tasks, Some(ms(1_000)));
        let mut order = Vec::new();
        while let Some(item) = stream.next().await {
            order.push(item.unwrap().1.unwrap());
        }
        assert_eq!(order, yields, "fewer yields finish first");
        assert_polled_by_the_loop_only("as_completed", &yields, &refs, &polls);

        let (refs, polls) = task_group(|tg| async move {
            let mut refs = Vec::new();
            let mut polls = Vec::new();
            for &k in &yields {
                let counter = Rc::new(Cell::new(0));
                let child = tg.spawn(CountedYields {
                    yields: k,
                    polls: counter.clone(),
                });
                refs.push(child.task_ref());
                polls.push(counter);
            }
            (refs, polls)
        })
        .await
        .unwrap();
        assert_polled_by_the_loop_only("task_group", &yields, &refs, &polls);
    });
}

#[test]
fn combinators_work_on_tasks_they_did_not_spawn_including_finished_ones() {
    run_paused(async {
        // Tasks spawned by another task and handed over in its output.
        let maker = spawn(async { (1..=4u32).map(|i| sleeper(u64::from(i), i)).collect() });
        let made: Vec<Task<u32>> = maker.await.unwrap();
        assert_eq!(gather(made).await.unwrap(), [1, 2, 3, 4]);

        // Tasks that finished before any combinator saw them.
        let finished: Vec<_> = (0..3u32).map(|i| spawn(async move { i })).collect();
        yield_now().await;
        assert!(finished.iter().all(Task::is_done));
        assert_eq!(gather(finished).await.unwrap(), [0, 1, 2]);

        let finished: Vec<_> = (0..3u32).map(|i| spawn(async move { i })).collect();
        yield_now().await;
        let (done, pending) = wait(finished, ReturnWhen::AllCompleted, None)
            .await
            .unwrap();
        assert_eq!((done.len(), pending.len()), (3, 0));

        let finished: Vec<_> = (0..3u32).map(|i| spawn(async move { i })).collect();
        yield_now().await;
        let mut stream = as_completed(finished, None);
        let mut seen = Vec::new();
        while let Some(item) = stream.next().await {
            seen.push(item.unwrap().1.unwrap());
        }
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2]);
    });
}

// ----- as_completed -----

#[test]
fn b23_as_completed_yields_in_completion_order() {
    run_paused(async {
        let t0 = time::now();
        let mut stream = as_completed(
            [
                sleeper(30, 30u64),
                sleeper(10, 10),
                spawn(panic_after::<u64>(20, "twenty")),
                sleeper(40, 40),
            ],
            None,
        );
        let mut seen = Vec::new();
        while let Some(item) = stream.next().await {
            let (index, outcome) = item.expect("no timeout was given");
            let label = match outcome {
                Ok(v) => v.to_string(),
                Err(e) => e.panic_message().unwrap().to_string(),
            };
            seen.push((index, label, since(t0)));
        }
        assert_eq!(
            seen,
            [
                (1, "10".to_string(), ms(10)),
                (2, "twenty".to_string(), ms(20)),
                (0, "30".to_string(), ms(30)),
                (3, "40".to_string(), ms(40)),
            ]
        );
        assert!(stream.next().await.is_none());
    });
}

#[test]
fn b23_as_completed_with_a_timeout_yields_timeout_error_once_then_ends_and_cancels_nothing() {
    run_paused(async {
        let t0 = time::now();
        let late_done = flag();
        let late = flagging(100, &late_done, 100u64);
        let later = sleeper(300, 300);
        let refs = [late.task_ref(), later.task_ref()];
        let mut stream = as_completed(
            [late, sleeper(20, 20), later, sleeper(10, 10)],
            Some(ms(50)),
        );

        let mut seen = Vec::new();
        while let Some(item) = stream.next().await {
            seen.push((item.map(|(_, o)| o.unwrap()), since(t0)));
        }
        assert_eq!(
            seen,
            [
                (Ok(10), ms(10)),
                (Ok(20), ms(20)),
                (Err(TimeoutError), ms(50))
            ]
        );
        assert!(stream.next().await.is_none(), "it ended");
        for r in &refs {
            assert!(!r.is_done() && r.state() != TaskState::Cancelling, "{r:?}");
        }

        // Still holding the stream: the tasks finish, the stream stays ended.
        sleep(ms(150)).await;
        assert!(late_done.get());
        assert_eq!(refs[0].state(), TaskState::Done);
        assert!(stream.next().await.is_none(), "no item after the timeout");
        assert!(!refs[1].is_done());

        // Dropping the stream detaches the rest.
        drop(stream);
        yield_now().await;
        assert_ne!(refs[1].state(), TaskState::Cancelling);
        sleep(ms(150)).await;
        assert_eq!(since(t0), ms(350));
        assert_eq!(refs[1].state(), TaskState::Done);
    });
}

#[test]
fn b23_as_completed_that_finishes_before_its_timeout_yields_no_timeout_error() {
    run_paused(async {
        let t0 = time::now();
        let mut stream = as_completed([sleeper(20, 2u8), sleeper(10, 1)], Some(ms(50)));
        let mut seen = Vec::new();
        while let Some(item) = stream.next().await {
            seen.push(item.expect("finished before the timeout").1.unwrap());
        }
        assert_eq!(seen, [1, 2]);
        assert_eq!(since(t0), ms(20));
        sleep(ms(100)).await;
        assert!(stream.next().await.is_none());

        let mut empty = as_completed(Vec::<Task<u8>>::new(), Some(ms(5)));
        assert!(empty.next().await.is_none());
        assert_eq!(since(t0), ms(120));
    });
}

// ----- shield -----

#[test]
fn b24_shield_cancelling_the_outer_does_not_cancel_the_inner() {
    run_paused(async {
        let t0 = time::now();
        let inner_done = flag();
        let inner = flagging(50, &inner_done, "saved");
        let inner_ref = inner.task_ref();
        let outer = spawn(shield(inner));

        sleep(ms(10)).await;
        assert!(outer.cancel());
        assert!(outer.await.unwrap_err().is_cancelled());
        yield_now().await;
        assert!(!inner_ref.is_done());
        assert_ne!(inner_ref.state(), TaskState::Cancelling);

        sleep(ms(100)).await;
        assert!(inner_done.get());
        assert_eq!(inner_ref.state(), TaskState::Done);
        assert_eq!(since(t0), ms(110));
    });
}

#[test]
fn b24_shield_keeps_the_inner_out_of_reach_of_a_cancelled_gather_and_wait_for() {
    run_paused(async {
        let inner = sleeper(50, 7u32);
        let inner_ref = inner.task_ref();
        let wrapper = spawn(shield(inner));
        let wrapper_ref = wrapper.task_ref();
        let other = sleeper(100, Ok::<u32, TaskError>(8));
        let other_ref = other.task_ref();
        assert!(wait_for(gather([wrapper, other]), ms(10)).await.is_err());
        yield_now().await;
        assert!(wrapper_ref.is_cancelled(), "the gather cancelled its child");
        assert!(other_ref.is_cancelled());
        assert!(!inner_ref.is_done(), "the shielded task still runs");

        let inner2 = sleeper(30, 9u32);
        let inner2_ref = inner2.task_ref();
        assert!(wait_for(shield(inner2), ms(5)).await.is_err());
        sleep(ms(100)).await;
        assert_eq!(inner_ref.state(), TaskState::Done);
        assert_eq!(inner2_ref.state(), TaskState::Done);
    });
}

#[test]
fn b24_shield_gives_the_inner_outcome() {
    run_paused(async {
        assert_eq!(shield(sleeper(5, 3u8)).await.unwrap(), 3);
        let e = shield(spawn(panic_after::<u8>(5, "inner")))
            .await
            .unwrap_err();
        assert_eq!(e.panic_message(), Some("inner"));
    });
}

// ----- task_group -----

fn panic_with_a_number(n: u32) {
    std::panic::panic_any(n)
}

fn panic_with_a_string(message: String) {
    std::panic::panic_any(message)
}

fn panic_with_a_str(message: &'static str) {
    std::panic::panic_any(message)
}

/// Each failure as text: `panicked: <message>`, `panicked` or `failed: <Debug of the error>`.
fn failure_texts(failures: &[ChildFailure]) -> Vec<String> {
    failures.iter().map(|f| f.kind.to_string()).collect()
}

#[test]
fn b25_task_group_first_failure_cancels_siblings_and_the_body() {
    run_paused(async {
        let t0 = time::now();
        let siblings = Rc::new(RefCell::new(Vec::new()));
        let failing_id = Rc::new(Cell::new(None));
        let body_dropped = Rc::new(Cell::new(None));
        let body_finished = flag();
        let (s, f, d, b) = (
            siblings.clone(),
            failing_id.clone(),
            body_dropped.clone(),
            body_finished.clone(),
        );
        let result = task_group(move |tg| async move {
            let _stamp = DropStamp(d);
            s.borrow_mut().push(tg.spawn(sleep(ms(100))).task_ref());
            let failing = tg.spawn(panic_after::<()>(10, "child 2 failed"));
            f.set(Some(failing.id()));
            s.borrow_mut().push(tg.spawn(sleep(ms(200))).task_ref());
            sleep(ms(1_000)).await;
            b.set(true);
        })
        .await;

        let err = result.unwrap_err();
        assert_eq!(since(t0), ms(10), "the group ended at the failure");
        assert_eq!(err.failures.len(), 1, "{err}");
        assert_eq!(Some(err.failures[0].id), failing_id.get());
        assert_eq!(failure_texts(&err.failures), ["panicked: child 2 failed"]);
        assert!(!body_finished.get());
        assert_eq!(
            body_dropped.get(),
            Some(t0 + ms(10)),
            "the body was dropped"
        );
        for r in siblings.borrow().iter() {
            assert_eq!(r.state(), TaskState::Cancelled, "{r:?}");
        }
        assert!(err.to_string().contains("child 2 failed"), "{err}");
    });
}

#[test]
fn b25_task_group_reports_all_failures_at_the_same_time() {
    run_paused(async {
        let t0 = time::now();
        let expected = Rc::new(RefCell::new(Vec::new()));
        let bystander = Rc::new(RefCell::new(None));
        let (e, by) = (expected.clone(), bystander.clone());
        let err = task_group(move |tg| async move {
            let a = tg.spawn(panic_after::<Result<(), String>>(10, "first"));
            let b = tg.spawn(async {
                sleep(ms(10)).await;
                Err::<(), String>("second".into())
            });
            let c = tg.spawn(async {
                sleep(ms(10)).await;
                panic_with_a_number(42)
            });
            *by.borrow_mut() = Some(tg.spawn(sleep(ms(500))).task_ref());
            e.borrow_mut().extend([a.id(), b.id(), c.id()]);
            sleep(ms(10_000)).await;
        })
        .await
        .unwrap_err();
        assert_eq!(since(t0), ms(10));
        let ids: Vec<_> = err.failures.iter().map(|f| f.id).collect();
        assert_eq!(ids, *expected.borrow(), "every failure, in order");
        assert_eq!(
            failure_texts(&err.failures),
            ["panicked: first", "failed: \"second\"", "panicked"]
        );
        assert!(
            matches!(&err.failures[2].kind, FailureKind::Panicked(p) if p.downcast_ref::<u32>() == Some(&42))
        );
        assert!(err
            .failures
            .iter()
            .all(|f| f.name == format!("Task-{}", f.id)));
        let by = bystander.borrow_mut().take().unwrap();
        assert_eq!(
            by.state(),
            TaskState::Cancelled,
            "the bystander is not a failure"
        );
        let text = err.to_string();
        assert!(text.starts_with("3 task(s)"), "{text}");
    });
}

#[test]
fn b25_task_group_cancellation_of_children_is_not_a_failure() {
    run_paused(async {
        let t0 = time::now();
        let out = task_group(|tg| async move {
            let a = tg.spawn(sleep(ms(100)));
            let b = tg.spawn(async {
                sleep(ms(100)).await;
                Err::<(), &str>("never returned")
            });
            let b_ref = b.task_ref();
            let c = tg.spawn(async { 3u8 });
            sleep(ms(10)).await;
            assert!(a.cancel());
            // Cancelled from a sibling, by TaskRef.
            tg.spawn(async move {
                b_ref.cancel();
            });
            c.await.unwrap()
        })
        .await;
        assert_eq!(out.unwrap(), 3);
        assert_eq!(since(t0), ms(10));
    });
}

#[test]
fn b25_task_group_leaving_the_scope_waits_for_every_child() {
    run_paused(async {
        let t0 = time::now();
        let finished = Rc::new(RefCell::new(Vec::new()));
        let fin = finished.clone();
        let (refs, pending_at_end) = task_group(move |tg| async move {
            let mut refs = Vec::new();
            for d in [30u64, 10, 60] {
                let fin = fin.clone();
                let child = tg.spawn(async move {
                    sleep(ms(d)).await;
                    fin.borrow_mut().push(d);
                });
                refs.push(child.task_ref());
                // Detached: the group still waits for it.
                drop(child);
            }
            (refs, tg.pending())
        })
        .await
        .unwrap();
        assert_eq!(pending_at_end, 3, "the body ended first");
        assert_eq!(since(t0), ms(60));
        assert_eq!(*finished.borrow(), [10, 30, 60]);
        assert!(refs.iter().all(|r| r.state() == TaskState::Done));
    });
}

#[test]
fn b25_task_group_child_returning_err_is_a_failure_carried_by_the_group_error() {
    run_paused(async {
        let t0 = time::now();
        let kept = Rc::new(RefCell::new(None::<Task<Result<u8, String>>>));
        let detached_id = Rc::new(Cell::new(None));
        let sibling = Rc::new(RefCell::new(None));
        let (k, d, s) = (kept.clone(), detached_id.clone(), sibling.clone());
        let err = task_group(move |tg| async move {
            *k.borrow_mut() = Some(tg.spawn(async {
                sleep(ms(10)).await;
                Err::<u8, String>("kept error".into())
            }));
            // A detached child's Err is judged before its output is dropped.
            let detached = tg.spawn(async {
                sleep(ms(10)).await;
                Err::<(), &str>("detached error")
            });
            d.set(Some(detached.id()));
            drop(detached);
            *s.borrow_mut() = Some(tg.spawn(sleep(ms(100))).task_ref());
        })
        .await
        .unwrap_err();
        assert_eq!(since(t0), ms(10));
        assert_eq!(
            failure_texts(&err.failures),
            ["failed: \"kept error\"", "failed: \"detached error\""]
        );
        assert_eq!(Some(err.failures[1].id), detached_id.get());
        assert!(sibling.borrow().as_ref().unwrap().is_cancelled());
        let task = kept.borrow_mut().take().unwrap();
        assert_eq!(err.failures[0].id, task.id());
        // The Err value moved into the group's error (an ExceptionGroup
        // carries its exceptions); a detached child's too.
        assert_eq!(
            err.failures[0].kind.error::<String>().map(String::as_str),
            Some("kept error")
        );
        assert_eq!(
            err.failures[1].kind.error::<&str>(),
            Some(&"detached error")
        );
        assert!(task.is_done());
    });
}

#[test]
fn b25_task_group_panic_gives_panicked_with_the_message() {
    run_paused(async {
        let err = task_group(|tg| async move {
            let n = 7;
            tg.spawn(async move {
                yield_now().await;
                panic_with_a_string(format!("formatted {n}"))
            });
            tg.spawn(async {
                yield_now().await;
                panic_with_a_str("literal")
            });
        })
        .await
        .unwrap_err();
        assert_eq!(
            failure_texts(&err.failures),
            ["panicked: formatted 7", "panicked: literal"]
        );
    });
}

#[test]
fn b25_task_group_dropping_the_scope_cancels_the_children() {
    run_paused(async {
        let t0 = time::now();
        let children = Rc::new(RefCell::new(Vec::new()));
        let body_dropped = Rc::new(Cell::new(None));
        let (c, d) = (children.clone(), body_dropped.clone());
        let outer = spawn(task_group(move |tg| async move {
            let _stamp = DropStamp(d);
            for delay in [100u64, 200] {
                c.borrow_mut().push(tg.spawn(sleep(ms(delay))).task_ref());
            }
            pending::<()>().await;
        }));
        sleep(ms(10)).await;
        assert_eq!(children.borrow().len(), 2);
        assert!(outer.cancel());
        assert!(outer.await.unwrap_err().is_cancelled());
        yield_now().await;
        assert_eq!(body_dropped.get(), Some(t0 + ms(10)));
        for r in children.borrow().iter() {
            assert_eq!(r.state(), TaskState::Cancelled, "{r:?}");
        }
    });
}

/// The child a [`SpawnOnDrop`] spawned, and whether its body ran.
type SpawnedLate = (TaskRef, Rc<Cell<bool>>);

/// Spawns a child in its group when dropped: a cancelled child's destructor
/// runs after the group started failing.
struct SpawnOnDrop {
    tg: TaskGroup,
    out: Rc<RefCell<Option<SpawnedLate>>>,
}

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let ran = flag();
        let r = ran.clone();
        let child = self.tg.spawn(async move { r.set(true) });
        *self.out.borrow_mut() = Some((child.task_ref(), ran));
    }
}

#[test]
fn b25_task_group_child_spawned_after_the_failure_is_cancelled_at_once() {
    run_paused(async {
        let t0 = time::now();
        let late = Rc::new(RefCell::new(None));
        let out = late.clone();
        let err = task_group(move |tg| async move {
            let guard = SpawnOnDrop {
                tg: tg.clone(),
                out,
            };
            tg.spawn(async move {
                let _guard = guard;
                sleep(ms(100)).await;
            });
            tg.spawn(panic_after::<()>(10, "first"));
        })
        .await
        .unwrap_err();
        assert_eq!(since(t0), ms(10));
        assert_eq!(err.failures.len(), 1);
        let (child, ran) = late.borrow_mut().take().expect("the guard spawned");
        assert_eq!(
            child.state(),
            TaskState::Cancelled,
            "the scope waited for it"
        );
        assert!(!ran.get(), "its body never ran");
    });
}

// ----- one meaning of "failed" (issue 10, 3.4) -----

#[test]
fn b12_gather_fails_fast_on_a_child_returning_err_and_the_slower_sibling_keeps_running() {
    run_paused(async {
        let t0 = time::now();
        let sibling_done = flag();
        let failing = spawn(async { Err::<u32, String>("refused".into()) });
        let slow = flagging(100, &sibling_done, Ok::<u32, String>(2));
        let slow_ref = slow.task_ref();

        let err = gather([failing, slow]).await.unwrap_err();
        assert_eq!(since(t0), ms(0), "the Err ended the gather at once");
        assert!(
            matches!(&err, GatherError::Failed { index: 0, .. }),
            "{err:?}"
        );
        assert_eq!(err.into_output(), Some(Err("refused".to_string())));
        assert!(!slow_ref.is_done(), "the sibling was not awaited");

        sleep(ms(150)).await;
        assert!(
            sibling_done.get() && !slow_ref.is_cancelled(),
            "nor cancelled"
        );

        // `gather_settled` still returns every outcome, the Err included.
        let settled = gather_settled([
            spawn(async { Err::<u8, &str>("kept") }),
            sleeper(10, Ok::<u8, &str>(1)),
        ])
        .await;
        assert_eq!(settled[0].as_ref().unwrap(), &Err("kept"));
        assert_eq!(settled[1].as_ref().unwrap(), &Ok(1));
    });
}

// ----- TaskGroup errors carry their children's errors; names (issue 10, 3.5) -----

#[derive(Debug, PartialEq)]
struct Refused {
    port: u16,
}

fn panic_with_refused(port: u16) {
    std::panic::panic_any(Refused { port })
}

#[test]
fn task_group_error_carries_the_err_values_and_panic_payloads_of_its_children() {
    run_paused(async {
        let err = task_group(|tg| async move {
            tg.spawn_named("connect", async {
                sleep(ms(5)).await;
                Err::<(), _>(Refused { port: 8080 })
            });
            tg.spawn_named("parse", async {
                sleep(ms(5)).await;
                panic_with_refused(1)
            });
            pending::<()>().await
        })
        .await
        .unwrap_err();
        let [connect, parse] = &err.failures[..] else {
            panic!("two failures expected: {err}")
        };
        assert_eq!(connect.name, "connect");
        assert_eq!(
            connect.kind.error::<Refused>(),
            Some(&Refused { port: 8080 })
        );
        assert_eq!(parse.name, "parse");
        let FailureKind::Panicked(payload) = &parse.kind else {
            panic!("a panic expected: {:?}", parse.kind)
        };
        assert_eq!(
            payload.downcast_ref::<Refused>(),
            Some(&Refused { port: 1 })
        );
        let text = err.to_string();
        assert!(
            text.contains("[connect failed: Refused { port: 8080 }]"),
            "{text}"
        );
        assert!(text.contains("[parse panicked]"), "{text}");
    });
}

/// An output whose failure test panics: the group reports that panic as the
/// child's failure instead of losing the child.
struct PanickyVerdict;

impl corio::Fallible for PanickyVerdict {
    fn is_failure(&self) -> bool {
        panic!("verdict exploded")
    }
}

#[test]
fn task_group_reports_a_panicking_fallible_impl_as_the_childs_failure() {
    run_paused(async {
        let err = task_group(|tg| async move {
            tg.spawn(async { PanickyVerdict });
        })
        .await
        .unwrap_err();
        assert_eq!(failure_texts(&err.failures), ["panicked: verdict exploded"]);
    });
}

#[test]
fn task_group_spawn_named_names_the_child_everywhere() {
    run_paused(async {
        let names = task_group(|tg| async move {
            let child = tg.spawn_named("fetch-1", async { 1u8 });
            let listed: Vec<String> = corio::all_tasks().iter().map(TaskRef::name).collect();
            let line = line!() - 2;
            let at = child.task_ref().spawned_at();
            assert_eq!((at.file(), at.line()), (file!(), line), "spawn site kept");
            (child.name(), listed)
        })
        .await
        .unwrap();
        assert_eq!(names.0, "fetch-1");
        assert!(names.1.contains(&"fetch-1".to_string()), "{:?}", names.1);
    });
}

// ----- which task finished (issue 10, 3.6) -----

#[test]
fn as_completed_yields_the_index_of_each_finished_task_with_its_outcome() {
    run_paused(async {
        let inputs = [sleeper(30, 'a'), sleeper(10, 'b'), sleeper(20, 'c')];
        let mut stream = as_completed(inputs, None);
        let mut seen = Vec::new();
        while let Some(item) = stream.next().await {
            let (index, outcome) = item.unwrap();
            seen.push((index, outcome.unwrap()));
        }
        assert_eq!(seen, [(1, 'b'), (2, 'c'), (0, 'a')]);
    });
}

#[test]
fn wait_returns_indices_of_the_inputs_that_survive_a_second_wait_and_gather() {
    run_paused(async {
        let inputs = vec![
            sleeper(30, 30u32),
            sleeper(10, 10),
            sleeper(20, 20),
            sleeper(40, 40),
        ];
        let (done, pending) = wait(inputs, FirstCompleted, None).await.unwrap();
        assert_eq!(
            (indices(&done), indices(&pending)),
            (vec![1], vec![0, 2, 3])
        );

        // The pending pairs go back to wait: indices are those of the inputs.
        let (done, pending) = wait(pending, FirstCompleted, None).await.unwrap();
        assert_eq!((indices(&done), indices(&pending)), (vec![2], vec![0, 3]));
        assert_eq!(done.into_iter().next().unwrap().1.await.unwrap(), 20);

        // And to gather, whose failure names the input's index.
        let failing = vec![(7, spawn(async { Err::<u8, u8>(1) }))];
        assert_eq!(gather(failing).await.unwrap_err().index(), 7);
        assert_eq!(gather(pending).await.unwrap(), [30, 40]);
    });
}

// ----- Fallible only where a failure is judged (issue 10, 3.7) -----

/// An output type with no `Fallible` impl.
#[derive(Debug, PartialEq)]
struct Plain(u8);

#[test]
fn wait_first_completed_and_all_completed_take_outputs_without_fallible() {
    run_paused(async {
        let (done, pending) = wait(
            [sleeper(10, Plain(1)), sleeper(20, Plain(2))],
            FirstCompleted,
            None,
        )
        .await
        .unwrap();
        assert_eq!((indices(&done), indices(&pending)), (vec![0], vec![1]));
        let (done, _) = wait(pending, AllCompleted, None).await.unwrap();
        assert_eq!(done.into_iter().next().unwrap().1.await.unwrap(), Plain(2));

        let settled = gather_settled([sleeper(1, Plain(3))]).await;
        assert_eq!(settled[0].as_ref().unwrap(), &Plain(3));
        let mut stream = as_completed([sleeper(1, Plain(4))], None);
        assert_eq!(stream.next().await.unwrap().unwrap().1.unwrap(), Plain(4));
    });
}
