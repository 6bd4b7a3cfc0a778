//! `corio::sync` from the outside: `Lock`, `Semaphore`, `BoundedSemaphore`,
//! `Event`, `Condition` and `Barrier`, their FIFO hand-off and their
//! cancellation rules, plus the stress test of issue 6.
//!
//! ASYNCIO_SPEC.md behaviours 28–34 are the tests named `b28_…` to `b34_…`.
//! Every test runs its body under a generous deadline, so a lost wake-up or a
//! lost permit fails the test instead of hanging it. Assertions that matter
//! are made in the main future (whose panic `corio::run` re-raises) or on
//! values the tasks return.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use corio::sync::{
    Barrier, BoundedSemaphore, BrokenBarrierError, Condition, Event, Lock, LockGuard, Semaphore,
    SemaphorePermit, SyncError,
};
use corio::{spawn, yield_now, Task, TaskError};

/// Far beyond what any test needs; reaching it means something is stuck.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `body` on a fresh loop, failing the test if it has not finished by
/// [`DEADLINE`] (a waiter nobody will ever wake parks the loop until then).
fn run<T>(body: impl Future<Output = T>) -> T {
    corio::run(async move {
        corio::time::timeout(DEADLINE, body)
            .await
            .expect("the test body did not finish: a lost wake-up or a deadlock")
    })
}

/// Lets every ready task run a few loop iterations.
async fn settle() {
    for _ in 0..5 {
        yield_now().await;
    }
}

/// Polls `fut` exactly once, with the current task's waker, without yielding.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx))).await
}

type Log<T> = Rc<RefCell<Vec<T>>>;

fn new_log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

/// A task that takes `lock` (RAII), logs `name`, holds it over one yield.
fn locker(lock: &Rc<Lock>, log: &Log<&'static str>, name: &'static str) -> Task<()> {
    let (lock, log) = (lock.clone(), log.clone());
    spawn(async move {
        let _guard = lock.lock().await;
        log.borrow_mut().push(name);
        yield_now().await;
    })
}

/// A task that takes a permit of `sem`, logs `name`, holds it over one yield.
fn permit_taker(sem: &Rc<Semaphore>, log: &Log<&'static str>, name: &'static str) -> Task<()> {
    let (sem, log) = (sem.clone(), log.clone());
    spawn(async move {
        let _permit = sem.permit().await;
        log.borrow_mut().push(name);
        yield_now().await;
    })
}

fn cancelled<T>(outcome: Result<T, TaskError>) -> bool {
    matches!(outcome, Err(TaskError::Cancelled(_)))
}

// ----- Lock -----

#[test]
fn b28_lock_is_fifo_release_of_unlocked_is_an_error() {
    run(async {
        let lock = Rc::new(Lock::new());
        let log = new_log();
        assert_eq!(lock.release(), Err(SyncError::NotLocked));
        assert!(!lock.locked(), "a failed release changes nothing");

        lock.acquire().await;
        let waiters: Vec<_> = ["w0", "w1", "w2", "w3", "w4"]
            .into_iter()
            .map(|name| locker(&lock, &log, name))
            .collect();
        settle().await;
        assert!(
            log.borrow().is_empty(),
            "everyone waits while main holds it"
        );

        // Scheduled before the release, so it runs before the woken w0 does:
        // it arrives after the release but before the woken waiter ran.
        let newcomer = locker(&lock, &log, "newcomer");
        lock.release().unwrap();
        assert!(lock.locked(), "a release with waiters hands the lock over");
        // Main itself asks again right away: it queues too, behind w1..w4.
        let mut again = pin!(lock.lock());
        assert!(poll_once(&mut again).await.is_pending(), "no barging");
        let guard = again.await;
        log.borrow_mut().push("main");
        drop(guard);

        newcomer.await.unwrap();
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(
            *log.borrow(),
            ["w0", "w1", "w2", "w3", "w4", "main", "newcomer"]
        );
        assert!(!lock.locked());
        assert_eq!(lock.release(), Err(SyncError::NotLocked));
        assert!(!lock.locked());
    });
}

#[test]
fn lock_free_with_no_waiters_is_taken_at_once_and_the_guard_releases() {
    run(async {
        let lock = Lock::new();
        let mut first = pin!(lock.lock());
        let guard = match poll_once(&mut first).await {
            Poll::Ready(guard) => guard,
            Poll::Pending => panic!("a free lock must be taken at the first poll"),
        };
        assert!(lock.locked());
        drop(guard);
        assert!(!lock.locked());
        // The asyncio way: acquire + release, and forget() on a guard.
        lock.acquire().await;
        assert!(lock.locked());
        lock.release().unwrap();
        lock.lock().await.forget();
        assert!(lock.locked());
        lock.release().unwrap();
        assert!(!lock.locked());
    });
}

#[test]
fn b29_lock_waiter_cancelled_after_wake_passes_the_lock_on() {
    run(async {
        let lock = Rc::new(Lock::new());
        let log = new_log();
        let guard = lock.lock().await;
        let a = locker(&lock, &log, "a");
        let b = locker(&lock, &log, "b");
        let c = locker(&lock, &log, "c");
        settle().await;
        drop(guard); // hands the lock to `a`, which is scheduled but has not run
        assert!(lock.locked());
        assert!(a.cancel(), "a is not done yet");
        b.await.unwrap();
        c.await.unwrap();
        assert!(cancelled(a.await), "a was cancelled, not completed");
        assert_eq!(*log.borrow(), ["b", "c"], "b and c got it, in order");
        assert!(!lock.locked());
        assert!(poll_once(&mut pin!(lock.lock())).await.is_ready());
    });
}

#[test]
fn b29_lock_sole_waiter_cancelled_after_wake_unlocks_it() {
    run(async {
        let lock = Rc::new(Lock::new());
        // asyncio style: the waiter uses acquire()/release().
        lock.acquire().await;
        let waiter = {
            let lock = lock.clone();
            spawn(async move {
                lock.acquire().await;
                lock.release().unwrap();
                "ran"
            })
        };
        settle().await;
        lock.release().unwrap(); // handed to the waiter
        assert!(lock.locked());
        waiter.cancel();
        settle().await;
        assert!(cancelled(waiter.await));
        assert!(
            !lock.locked(),
            "the hand-off to a cancelled waiter must not leave the lock held"
        );
        assert!(poll_once(&mut pin!(lock.lock())).await.is_ready());
    });
}

#[test]
fn lock_waiter_cancelled_before_wake_leaves_the_queue() {
    run(async {
        let lock = Rc::new(Lock::new());
        let log = new_log();
        let guard = lock.lock().await;
        let a = locker(&lock, &log, "a");
        let b = locker(&lock, &log, "b");
        let c = locker(&lock, &log, "c");
        settle().await;
        b.cancel();
        settle().await; // b's future is dropped: it leaves the queue
        assert!(b.is_done());
        drop(guard);
        a.await.unwrap();
        c.await.unwrap();
        assert!(cancelled(b.await));
        assert_eq!(*log.borrow(), ["a", "c"]);
        assert!(!lock.locked());
        assert!(format!("{lock:?}").contains("waiters: 0"), "{lock:?}");
    });
}

// ----- Semaphore -----

#[test]
fn b30_semaphore_cancelled_waiter_does_not_consume_a_permit() {
    run(async {
        let sem = Rc::new(Semaphore::new(1));
        let log = new_log();

        // Cancelled while still queued.
        sem.acquire().await;
        let a = permit_taker(&sem, &log, "a");
        settle().await;
        assert!(!a.is_done());
        a.cancel();
        settle().await;
        assert!(cancelled(a.await));
        sem.release().unwrap();
        assert_eq!(sem.value(), 1, "the cancelled waiter took nothing");

        // Cancelled after a release handed it the permit, with a waiter behind.
        sem.acquire().await;
        let b = permit_taker(&sem, &log, "b");
        let c = permit_taker(&sem, &log, "c");
        settle().await;
        sem.release().unwrap(); // handed to b
        assert_eq!(sem.value(), 0, "the permit went to b, not back to the pool");
        b.cancel();
        c.await.unwrap();
        assert!(cancelled(b.await));
        assert_eq!(
            sem.value(),
            1,
            "c used the permit b never did, and returned it"
        );

        // Cancelled after the hand-off, nobody behind: the permit returns.
        sem.acquire().await;
        let d = permit_taker(&sem, &log, "d");
        settle().await;
        sem.release().unwrap();
        d.cancel();
        settle().await;
        assert!(cancelled(d.await));
        assert_eq!(sem.value(), 1);
        assert_eq!(*log.borrow(), ["c"]);
        assert!(poll_once(&mut pin!(sem.permit())).await.is_ready());
    });
}

#[test]
fn semaphore_is_fifo_and_bounds_holders() {
    run(async {
        let sem = Rc::new(Semaphore::new(2));
        let log = new_log();
        let p1 = sem.permit().await;
        let p2 = sem.permit().await;
        assert!(sem.locked());
        let waiters: Vec<_> = ["w0", "w1", "w2"]
            .into_iter()
            .map(|name| permit_taker(&sem, &log, name))
            .collect();
        settle().await;
        assert!(log.borrow().is_empty());
        drop(p1); // to w0
                  // Main asks again: it queues behind w1 and w2 although w0 has not run.
        let mut again = pin!(sem.permit());
        assert!(poll_once(&mut again).await.is_pending());
        drop(p2); // to w1
        let p3 = again.await;
        log.borrow_mut().push("main");
        drop(p3);
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(*log.borrow(), ["w0", "w1", "w2", "main"]);
        assert_eq!(sem.value(), 2);
    });
}

#[test]
fn b31_bounded_semaphore_over_release_is_an_error() {
    run(async {
        let sem = BoundedSemaphore::new(2);
        assert_eq!(sem.release(), Err(SyncError::TooManyReleases));
        assert_eq!(sem.value(), 2, "a refused release changes nothing");

        sem.acquire().await;
        assert_eq!(sem.value(), 1);
        sem.release().unwrap();
        assert_eq!(sem.release(), Err(SyncError::TooManyReleases));
        assert_eq!(sem.value(), 2);

        // A stray release while permits are out: the guards dropped later
        // cannot push the value over the bound either.
        let p1 = sem.permit().await;
        let p2 = sem.permit().await;
        assert_eq!(sem.value(), 0);
        sem.release().unwrap();
        drop(p1);
        assert_eq!(sem.value(), 2);
        drop(p2);
        assert_eq!(sem.value(), 2, "never above the initial value");

        // A plain Semaphore may grow.
        let plain = Semaphore::new(1);
        plain.release().unwrap();
        assert_eq!(plain.value(), 2);
    });
}

#[test]
fn b31_bounded_semaphore_cancelled_waiter_returns_its_permit_within_the_bound() {
    run(async {
        let sem = Rc::new(BoundedSemaphore::new(1));
        sem.acquire().await;
        let waiter = {
            let sem = sem.clone();
            spawn(async move {
                let _p = sem.permit().await;
            })
        };
        settle().await;
        sem.release().unwrap(); // handed to the waiter
        waiter.cancel();
        settle().await;
        assert!(cancelled(waiter.await));
        assert_eq!(sem.value(), 1);
        assert_eq!(sem.release(), Err(SyncError::TooManyReleases));
        assert_eq!(sem.value(), 1);
    });
}

// ----- Event -----

#[test]
fn b32_event_set_wakes_all_waiters_wait_after_set_returns_at_once() {
    run(async {
        let ev = Rc::new(Event::new());
        let woken = Rc::new(Cell::new(0));
        let waiters: Vec<_> = (0..5)
            .map(|i| {
                let (ev, woken) = (ev.clone(), woken.clone());
                spawn(async move {
                    ev.wait().await;
                    woken.set(woken.get() + 1);
                    i
                })
            })
            .collect();
        settle().await;
        assert_eq!(woken.get(), 0);
        assert!(waiters.iter().all(|w| !w.is_done()));
        assert!(format!("{ev:?}").contains("waiters: 5"), "{ev:?}");

        ev.set();
        assert!(ev.is_set());
        settle().await;
        assert_eq!(woken.get(), 5, "set wakes every waiter");
        let got = corio::gather(waiters).await.unwrap();
        assert_eq!(got, [0, 1, 2, 3, 4]);

        // While set, wait returns at the first poll.
        assert!(poll_once(&mut pin!(ev.wait())).await.is_ready());

        // Cleared, wait blocks again until the next set.
        ev.clear();
        assert!(!ev.is_set());
        let mut blocked = pin!(ev.wait());
        assert!(poll_once(&mut blocked).await.is_pending());
        ev.set();
        assert!(poll_once(&mut blocked).await.is_ready());
    });
}

#[test]
fn event_waiter_woken_by_set_returns_even_if_cleared_before_it_ran() {
    run(async {
        let ev = Rc::new(Event::new());
        let waiter = {
            let ev = ev.clone();
            spawn(async move { ev.wait().await })
        };
        settle().await;
        ev.set();
        ev.clear();
        settle().await;
        assert!(waiter.is_done());
        waiter.await.unwrap();
    });
}

#[test]
fn event_cancelled_waiter_leaves_no_trace() {
    run(async {
        let ev = Rc::new(Event::new());
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let ev = ev.clone();
                spawn(async move { ev.wait().await })
            })
            .collect();
        settle().await;
        waiters[1].cancel();
        settle().await;
        assert!(format!("{ev:?}").contains("waiters: 2"), "{ev:?}");
        ev.set();
        let outcomes: Vec<_> = {
            let mut v = Vec::new();
            for w in waiters {
                v.push(w.await);
            }
            v
        };
        assert!(outcomes[0].is_ok() && outcomes[2].is_ok());
        assert!(cancelled(outcomes.into_iter().nth(1).unwrap()));
    });
}

// ----- Condition -----

#[test]
fn b33_condition_notify_one_wakes_exactly_one_waiter_in_fifo_order() {
    run(async {
        let cond = Rc::new(Condition::new());
        let log = new_log();
        let waiters: Vec<_> = (0..4)
            .map(|i| {
                let (cond, log) = (cond.clone(), log.clone());
                spawn(async move {
                    let guard = cond.lock().await;
                    let guard = cond.wait(guard).await;
                    assert!(cond.locked(), "wait returns with the lock held");
                    log.borrow_mut().push(i);
                    drop(guard);
                })
            })
            .collect();
        settle().await;
        assert!(
            !cond.locked(),
            "every waiter released the lock while waiting"
        );
        assert!(format!("{cond:?}").contains("waiters: 4"), "{cond:?}");

        for expected in [&[0][..], &[0, 1], &[0, 1, 2]] {
            {
                let _guard = cond.lock().await;
                cond.notify(1).unwrap();
            }
            settle().await;
            assert_eq!(*log.borrow(), expected, "notify(1) wakes exactly one");
        }
        {
            let _guard = cond.lock().await;
            cond.notify(5).unwrap(); // more than are waiting: fine
        }
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(*log.borrow(), [0, 1, 2, 3]);
    });
}

#[test]
fn b33_condition_notify_without_the_lock_is_an_error() {
    run(async {
        let cond = Rc::new(Condition::new());
        let waiter = {
            let cond = cond.clone();
            spawn(async move {
                let guard = cond.lock().await;
                drop(cond.wait(guard).await);
            })
        };
        settle().await;
        assert_eq!(cond.notify(1), Err(SyncError::LockNotHeld));
        assert_eq!(cond.notify_all(), Err(SyncError::LockNotHeld));
        settle().await;
        assert!(!waiter.is_done(), "a refused notify wakes nobody");
        let guard = cond.lock().await;
        cond.notify_all().unwrap();
        drop(guard);
        waiter.await.unwrap();

        // A condition over a shared lock: holding that lock is holding it.
        let lock = Rc::new(Lock::new());
        let shared = Condition::with_lock(lock.clone());
        assert_eq!(shared.notify(1), Err(SyncError::LockNotHeld));
        let _g = lock.lock().await;
        assert!(shared.locked());
        assert_eq!(shared.notify(1), Ok(()));
    });
}

#[test]
fn b33_condition_wait_for_predicate() {
    run(async {
        let cond = Rc::new(Condition::new());
        let value = Rc::new(Cell::new(0));
        let checks = Rc::new(Cell::new(0));
        let waiter = {
            let (cond, value, checks) = (cond.clone(), value.clone(), checks.clone());
            spawn(async move {
                let guard = cond.lock().await;
                let c = cond.clone();
                let guard = cond
                    .wait_for(guard, || {
                        assert!(c.locked(), "the predicate runs under the lock");
                        checks.set(checks.get() + 1);
                        value.get() >= 3
                    })
                    .await;
                let seen = value.get();
                drop(guard);
                seen
            })
        };
        settle().await;
        assert_eq!(checks.get(), 1);
        for _ in 0..3 {
            assert!(!waiter.is_done(), "the predicate is still false");
            let guard = cond.lock().await;
            value.set(value.get() + 1);
            cond.notify_all().unwrap();
            drop(guard);
            settle().await;
        }
        assert!(waiter.is_done());
        assert_eq!(waiter.await.unwrap(), 3);
        assert_eq!(
            checks.get(),
            4,
            "checked once at first and after each notify"
        );

        // Already true: no wait at all.
        let guard = cond.lock().await;
        let mut quick = pin!(cond.wait_for(guard, || true));
        assert!(poll_once(&mut quick).await.is_ready());
    });
}

#[test]
fn condition_notified_waiter_cancelled_passes_the_notification_on() {
    run(async {
        let cond = Rc::new(Condition::new());
        let log = new_log();
        let spawn_waiter = |name: &'static str| {
            let (cond, log) = (cond.clone(), log.clone());
            spawn(async move {
                let guard = cond.lock().await;
                let guard = cond.wait(guard).await;
                log.borrow_mut().push(name);
                drop(guard);
            })
        };
        let a = spawn_waiter("a");
        let b = spawn_waiter("b");
        let c = spawn_waiter("c");
        settle().await;
        {
            let _guard = cond.lock().await;
            cond.notify(1).unwrap(); // a is notified...
        }
        a.cancel(); // ...and cancelled before it runs: b inherits the wake-up
        settle().await;
        assert!(cancelled(a.await));
        b.await.unwrap();
        assert_eq!(*log.borrow(), ["b"], "exactly one (b) was woken");
        assert!(!c.is_done());
        let _guard = cond.lock().await;
        cond.notify(1).unwrap();
        drop(_guard);
        c.await.unwrap();
        assert_eq!(*log.borrow(), ["b", "c"]);
    });
}

// ----- Barrier -----

fn barrier_waiter(barrier: &Rc<Barrier>) -> Task<Result<usize, BrokenBarrierError>> {
    let barrier = barrier.clone();
    spawn(async move { barrier.wait().await })
}

#[test]
fn b34_barrier_nth_arrival_releases_all_indices_are_distinct() {
    run(async {
        let barrier = Rc::new(Barrier::new(3));
        for _round in 0..3 {
            let first: Vec<_> = (0..2).map(|_| barrier_waiter(&barrier)).collect();
            settle().await;
            assert!(first.iter().all(|t| !t.is_done()), "two of three: all wait");
            assert_eq!(barrier.n_waiting(), 2);
            let last = barrier_waiter(&barrier);
            settle().await;
            assert!(first.iter().all(|t| t.is_done()), "the third releases all");
            let mut indices = vec![last.await.unwrap().unwrap()];
            for t in first {
                indices.push(t.await.unwrap().unwrap());
            }
            indices.sort_unstable();
            assert_eq!(indices, [0, 1, 2]);
            assert_eq!(barrier.n_waiting(), 0, "ready for the next round");
        }
    });
}

#[test]
fn b34_barrier_abort_breaks_waiters_until_reset() {
    run(async {
        let barrier = Rc::new(Barrier::new(3));
        let waiters: Vec<_> = (0..2).map(|_| barrier_waiter(&barrier)).collect();
        settle().await;
        barrier.abort();
        assert!(barrier.broken());
        for w in waiters {
            assert_eq!(w.await.unwrap(), Err(BrokenBarrierError));
        }
        assert_eq!(
            barrier.wait().await,
            Err(BrokenBarrierError),
            "stays broken"
        );
        barrier.reset();
        assert!(!barrier.broken());

        // reset while tasks wait: they are broken out, the barrier is not.
        let waiter = barrier_waiter(&barrier);
        settle().await;
        barrier.reset();
        assert_eq!(waiter.await.unwrap(), Err(BrokenBarrierError));
        assert!(!barrier.broken());
        assert_eq!(barrier.n_waiting(), 0);

        // And a full round works again.
        let all: Vec<_> = (0..3).map(|_| barrier_waiter(&barrier)).collect();
        let mut indices = Vec::new();
        for t in all {
            indices.push(t.await.unwrap().unwrap());
        }
        indices.sort_unstable();
        assert_eq!(indices, [0, 1, 2]);
    });
}

#[test]
fn b34_barrier_cancelled_waiter_leaves_the_round() {
    run(async {
        let barrier = Rc::new(Barrier::new(2));
        let a = barrier_waiter(&barrier);
        settle().await;
        assert_eq!(barrier.n_waiting(), 1);
        a.cancel();
        settle().await;
        assert!(cancelled(a.await));
        assert_eq!(barrier.n_waiting(), 0, "a left the round");
        let b = barrier_waiter(&barrier);
        settle().await;
        assert!(
            !b.is_done(),
            "a does not count: b still waits for a partner"
        );
        let c = barrier_waiter(&barrier);
        let mut indices = [b.await.unwrap().unwrap(), c.await.unwrap().unwrap()];
        indices.sort_unstable();
        assert_eq!(indices, [0, 1]);
        assert!(!barrier.broken());
    });
}

/// A regression test: indices were once taken at arrival, so after a waiter
/// left the round a later arrival reused a live waiter's index ([1, 1, 2]).
#[test]
fn b34_barrier_indices_stay_distinct_after_a_waiter_leaves() {
    run(async {
        let barrier = Rc::new(Barrier::new(3));
        let a = barrier_waiter(&barrier); // index 0
        let b = barrier_waiter(&barrier); // index 1
        settle().await;
        a.cancel(); // leaves: n_waiting 2 -> 1
        settle().await;
        assert!(cancelled(a.await));
        let c = barrier_waiter(&barrier);
        let d = barrier_waiter(&barrier);
        let mut indices = [
            b.await.unwrap().unwrap(),
            c.await.unwrap().unwrap(),
            d.await.unwrap().unwrap(),
        ];
        indices.sort_unstable();
        assert_eq!(indices, [0, 1, 2], "indices of one round must be distinct");
    });
}

// ----- the stress test of issue 6 -----

/// A linear congruential generator (Knuth's MMIX constants).
struct Lcg(Cell<u64>);

impl Lcg {
    fn below(&self, n: u64) -> u64 {
        let x = self
            .0
            .get()
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0.set(x);
        (x >> 33) % n
    }
}

/// The primitive under stress.
enum Prim {
    Lock(Lock),
    Sem(Semaphore),
}

/// What a worker holds: an RAII guard, or an asyncio-style acquisition it
/// releases by hand (on drop, as a `finally` would).
enum Held<'a> {
    Guard { _guard: LockGuard<'a> },
    Permit { _permit: SemaphorePermit<'a> },
    Manual(&'a Stress),
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Held::Manual(s) = self {
            let released = match &s.prim {
                Prim::Lock(l) => l.release(),
                Prim::Sem(m) => m.release(),
            };
            if released.is_err() {
                s.release_errors.set(s.release_errors.get() + 1);
            }
        }
    }
}

struct Stress {
    prim: Prim,
    capacity: usize,
    target: usize,
    rng: Lcg,
    /// Workers inside the critical section now.
    inside: Cell<usize>,
    peak: Cell<usize>,
    /// Entries that found the critical section already full.
    violations: Cell<usize>,
    acquisitions: Cell<usize>,
    timeouts: Cell<usize>,
    cancel_requests: Cell<usize>,
    release_errors: Cell<usize>,
    slots: RefCell<Vec<Option<Task<()>>>>,
    /// Slots whose task finished, to be refilled by the main loop.
    dead: RefCell<Vec<usize>>,
}

/// Leaves the critical section when dropped (declared after the guard, so it
/// drops first, also when the worker is cancelled inside).
struct Inside<'a>(&'a Stress);

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        self.0.inside.set(self.0.inside.get() - 1);
    }
}

impl Stress {
    async fn enter(&self, asyncio_style: bool) -> Held<'_> {
        match (&self.prim, asyncio_style) {
            (Prim::Lock(l), false) => Held::Guard {
                _guard: l.lock().await,
            },
            (Prim::Sem(s), false) => Held::Permit {
                _permit: s.permit().await,
            },
            (Prim::Lock(l), true) => {
                l.acquire().await;
                Held::Manual(self)
            }
            (Prim::Sem(s), true) => {
                s.acquire().await;
                Held::Manual(self)
            }
        }
    }

    fn critical(&self) -> Inside<'_> {
        let now = self.inside.get() + 1;
        if now > self.capacity {
            self.violations.set(self.violations.get() + 1);
        }
        self.inside.set(now);
        self.peak.set(self.peak.get().max(now));
        self.acquisitions.set(self.acquisitions.get() + 1);
        Inside(self)
    }

    fn cancel_random(&self) {
        let j = self.rng.below(self.slots.borrow().len() as u64) as usize;
        if let Some(task) = &self.slots.borrow()[j] {
            if task.cancel() {
                self.cancel_requests.set(self.cancel_requests.get() + 1);
            }
        }
    }

    fn is_free(&self) -> bool {
        match &self.prim {
            Prim::Lock(l) => !l.locked(),
            Prim::Sem(s) => s.value() == self.capacity,
        }
    }
}

async fn stress_worker(s: Rc<Stress>) {
    while s.acquisitions.get() < s.target {
        let held = match s.rng.below(8) {
            0 => match corio::time::timeout(Duration::ZERO, s.enter(false)).await {
                Ok(held) => held,
                Err(_) => {
                    s.timeouts.set(s.timeouts.get() + 1);
                    yield_now().await;
                    continue;
                }
            },
            1 => {
                let tiny = Duration::from_micros(s.rng.below(200));
                let style = s.rng.below(2) == 0;
                match corio::time::timeout(tiny, s.enter(style)).await {
                    Ok(held) => held,
                    Err(_) => {
                        s.timeouts.set(s.timeouts.get() + 1);
                        yield_now().await;
                        continue;
                    }
                }
            }
            2 | 3 => s.enter(true).await,
            _ => s.enter(false).await,
        };
        let inside = s.critical();
        if s.rng.below(32) == 0 {
            s.cancel_random(); // maybe itself: it is dropped at its next yield
        }
        for _ in 0..s.rng.below(3) {
            yield_now().await;
        }
        drop(inside);
        drop(held);
        if s.rng.below(16) == 0 {
            s.cancel_random();
        }
        if s.rng.below(4) == 0 {
            yield_now().await;
        }
    }
}

fn spawn_stress_worker(s: &Rc<Stress>, slot: usize) {
    let task = spawn(stress_worker(s.clone()));
    let sc = s.clone();
    task.add_done_callback(move |_| sc.dead.borrow_mut().push(slot));
    let old = s.slots.borrow_mut()[slot].replace(task);
    assert!(old.is_none());
}

/// 100 tasks take `prim` `target` times in all, with random cancellations by
/// each other and by main, and zero or tiny timeouts around the acquisition.
fn stress(prim: Prim, capacity: usize, target: usize) {
    const TASKS: usize = 100;
    run(async move {
        let s = Rc::new(Stress {
            prim,
            capacity,
            target,
            rng: Lcg(Cell::new(0x5eed_1234_abcd_0006)),
            inside: Cell::new(0),
            peak: Cell::new(0),
            violations: Cell::new(0),
            acquisitions: Cell::new(0),
            timeouts: Cell::new(0),
            cancel_requests: Cell::new(0),
            release_errors: Cell::new(0),
            slots: RefCell::new((0..TASKS).map(|_| None).collect()),
            dead: RefCell::new(Vec::new()),
        });
        for slot in 0..TASKS {
            spawn_stress_worker(&s, slot);
        }
        let (mut cancelled_tasks, mut last, mut stalled) = (0usize, 0usize, 0usize);
        while s.acquisitions.get() < target {
            let dead = std::mem::take(&mut *s.dead.borrow_mut());
            for slot in dead {
                let old = s.slots.borrow_mut()[slot].take().expect("a dead slot");
                match old.await {
                    Ok(()) => {}
                    Err(TaskError::Cancelled(_)) => cancelled_tasks += 1,
                    Err(e) => panic!("a worker failed: {e}"),
                }
                spawn_stress_worker(&s, slot);
            }
            if s.rng.below(8) == 0 {
                s.cancel_random();
            }
            yield_now().await;
            if s.acquisitions.get() == last {
                stalled += 1;
                assert!(
                    stalled < 10_000,
                    "no acquisition for 10,000 iterations at {last}: a lost permit?"
                );
            } else {
                (last, stalled) = (s.acquisitions.get(), 0);
            }
        }
        // Stop everyone, and wait for them all to be gone.
        let tasks: Vec<_> = s
            .slots
            .borrow_mut()
            .iter_mut()
            .filter_map(Option::take)
            .collect();
        for t in &tasks {
            t.cancel();
        }
        for t in tasks {
            match t.await {
                Ok(()) => {}
                Err(TaskError::Cancelled(_)) => cancelled_tasks += 1,
                Err(e) => panic!("a worker failed: {e}"),
            }
        }
        settle().await;

        assert_eq!(s.violations.get(), 0, "mutual exclusion was broken");
        assert_eq!(s.release_errors.get(), 0, "a release was refused");
        assert_eq!(s.inside.get(), 0);
        assert_eq!(s.peak.get(), capacity, "the stress must fill the section");
        assert!(
            s.is_free(),
            "a lost permit: the primitive is not free at the end"
        );
        let mut fresh = pin!(s.enter(false));
        assert!(
            poll_once(&mut fresh).await.is_ready(),
            "a fresh acquire must succeed at once"
        );
        // The random paths were really taken.
        assert!(s.acquisitions.get() >= target);
        assert!(
            cancelled_tasks > target / 1000,
            "{cancelled_tasks} cancelled"
        );
        assert!(
            s.timeouts.get() > target / 1000,
            "{} timeouts",
            s.timeouts.get()
        );
        assert!(s.cancel_requests.get() > 0);
    });
}

/// Issue 6's numbers (100,000 acquisitions among 100 tasks) on the lock.
#[test]
fn stress_lock_100k_acquisitions_random_cancellations() {
    stress(Prim::Lock(Lock::new()), 1, 100_000);
}

/// The same for a `Semaphore(3)`: at most three inside, value 3 at the end.
#[test]
fn stress_semaphore_3_random_cancellations() {
    stress(Prim::Sem(Semaphore::new(3)), 3, 100_000);
}
