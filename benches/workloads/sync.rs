//! Issue 6's workloads: a queue ping-pong, lock contention among 100 tasks,
//! and the round trip to a thread pool — corio's own `Queue`, `Lock` and
//! `run_in_executor` beside tokio's `mpsc`, `Mutex` and `spawn_blocking`, and
//! smol's `async-channel`, `async-lock` and `unblock`.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use super::runtimes::{corio, smol, tokio_ct, tokio_mt};
use super::{Rt, Workload};

pub const PAIRS: usize = 1_000;
pub const TRIPS: usize = 100;
pub const LOCKERS: usize = 100;
pub const ACQUISITIONS: usize = 1_000;
pub const BLOCKING_TRIPS: usize = 1_000;

type Ex = &'static smol::LocalExecutor<'static>;

// ----- queue_ping_pong: 1,000 pairs × 100 round trips over two queues of one slot -----

async fn ping_pong_corio() -> usize {
    let mut pings = Vec::new();
    for i in 0..PAIRS {
        let (to_b, to_a) = (
            Rc::new(corio::queue::Queue::new(1)),
            Rc::new(corio::queue::Queue::new(1)),
        );
        let (tb, ta) = (to_b.clone(), to_a.clone());
        corio::spawn(async move {
            for _ in 0..TRIPS {
                let n: usize = tb.get().await.unwrap();
                ta.put(n + 1).await.unwrap();
            }
        });
        pings.push(corio::spawn(async move {
            let mut n = i;
            for _ in 0..TRIPS {
                to_b.put(n).await.unwrap();
                n = to_a.get().await.unwrap();
            }
            n
        }));
    }
    let mut sum = 0;
    for p in pings {
        sum += p.await.unwrap();
    }
    sum
}

async fn ping_pong_tokio() -> usize {
    let mut pings = Vec::new();
    for i in 0..PAIRS {
        let (to_b, mut from_a) = tokio::sync::mpsc::channel::<usize>(1);
        let (to_a, mut from_b) = tokio::sync::mpsc::channel::<usize>(1);
        tokio::spawn(async move {
            for _ in 0..TRIPS {
                let n = from_a.recv().await.unwrap();
                to_a.send(n + 1).await.unwrap();
            }
        });
        pings.push(tokio::spawn(async move {
            let mut n = i;
            for _ in 0..TRIPS {
                to_b.send(n).await.unwrap();
                n = from_b.recv().await.unwrap();
            }
            n
        }));
    }
    let mut sum = 0;
    for p in pings {
        sum += p.await.unwrap();
    }
    sum
}

async fn ping_pong_smol(ex: Ex) -> usize {
    let mut pings = Vec::new();
    for i in 0..PAIRS {
        let (to_b, from_a) = smol::channel::bounded::<usize>(1);
        let (to_a, from_b) = smol::channel::bounded::<usize>(1);
        ex.spawn(async move {
            for _ in 0..TRIPS {
                let n = from_a.recv().await.unwrap();
                to_a.send(n + 1).await.unwrap();
            }
        })
        .detach();
        pings.push(ex.spawn(async move {
            let mut n = i;
            for _ in 0..TRIPS {
                to_b.send(n).await.unwrap();
                n = from_b.recv().await.unwrap();
            }
            n
        }));
    }
    let mut sum = 0;
    for p in pings {
        sum += p.await;
    }
    sum
}

const PING_SUM: usize = PAIRS * (PAIRS - 1) / 2 + PAIRS * TRIPS;

pub fn queue_ping_pong() -> Workload {
    Workload::new(
        "queue_ping_pong",
        "1,000 pairs × 100 round trips over two one-slot queues (corio Queue, tokio mpsc, async-channel)",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        Box::new(move || assert_eq!(rt.block_on(ping_pong_corio()), PING_SUM))
    })
    .member(Rt::TokioCt, || {
        let rt = tokio_ct();
        Box::new(move || assert_eq!(rt.block_on(ping_pong_tokio()), PING_SUM))
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(ping_pong_tokio()), PING_SUM))
    })
    .member(Rt::Smol, || {
        let rt = smol();
        Box::new(move || assert_eq!(rt.block_on(ping_pong_smol(rt.0)), PING_SUM))
    })
}

// ----- lock_contention: 100 tasks × 1,000 acquisitions, each held across a yield -----

async fn contention_corio() -> usize {
    let lock = Rc::new(corio::sync::Lock::new());
    let count = Rc::new(Cell::new(0));
    let tasks: Vec<_> = (0..LOCKERS)
        .map(|_| {
            let (lock, count) = (lock.clone(), count.clone());
            corio::spawn(async move {
                for _ in 0..ACQUISITIONS {
                    let _held = lock.lock().await;
                    let seen = count.get();
                    corio::yield_now().await;
                    count.set(seen + 1);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    count.get()
}

async fn contention_tokio() -> usize {
    let lock = Arc::new(tokio::sync::Mutex::new(0usize));
    let tasks: Vec<_> = (0..LOCKERS)
        .map(|_| {
            let lock = lock.clone();
            tokio::spawn(async move {
                for _ in 0..ACQUISITIONS {
                    let mut held = lock.lock().await;
                    let seen = *held;
                    tokio::task::yield_now().await;
                    *held = seen + 1;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let n = *lock.lock().await;
    n
}

async fn contention_smol(ex: Ex) -> usize {
    let lock = Rc::new(smol::lock::Mutex::new(0usize));
    let tasks: Vec<_> = (0..LOCKERS)
        .map(|_| {
            let lock = lock.clone();
            ex.spawn(async move {
                for _ in 0..ACQUISITIONS {
                    let mut held = lock.lock().await;
                    let seen = *held;
                    smol::future::yield_now().await;
                    *held = seen + 1;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await;
    }
    let n = *lock.lock().await;
    n
}

pub fn lock_contention() -> Workload {
    Workload::new(
        "lock_contention",
        "100 tasks × 1,000 acquisitions of one lock, each held across a yield (corio Lock, tokio Mutex, async-lock)",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        Box::new(move || assert_eq!(rt.block_on(contention_corio()), LOCKERS * ACQUISITIONS))
    })
    .member(Rt::TokioCt, || {
        let rt = tokio_ct();
        Box::new(move || assert_eq!(rt.block_on(contention_tokio()), LOCKERS * ACQUISITIONS))
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(contention_tokio()), LOCKERS * ACQUISITIONS))
    })
    .member(Rt::Smol, || {
        let rt = smol();
        Box::new(move || assert_eq!(rt.block_on(contention_smol(rt.0)), LOCKERS * ACQUISITIONS))
    })
}

// ----- blocking_round_trip: 1,000 sequential round trips to a thread pool -----

async fn blocking_corio() -> usize {
    let mut n = 0;
    for _ in 0..BLOCKING_TRIPS {
        n = corio::run_in_executor(None, move || n + 1).await.unwrap();
    }
    n
}

async fn blocking_tokio() -> usize {
    let mut n = 0;
    for _ in 0..BLOCKING_TRIPS {
        n = tokio::task::spawn_blocking(move || n + 1).await.unwrap();
    }
    n
}

async fn blocking_smol() -> usize {
    let mut n = 0;
    for _ in 0..BLOCKING_TRIPS {
        n = smol::unblock(move || n + 1).await;
    }
    n
}

pub fn blocking_round_trip() -> Workload {
    Workload::new(
        "blocking_round_trip",
        "1,000 sequential round trips to a thread pool (run_in_executor, spawn_blocking, unblock)",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        Box::new(move || assert_eq!(rt.block_on(blocking_corio()), BLOCKING_TRIPS))
    })
    .member(Rt::TokioCt, || {
        let rt = tokio_ct();
        Box::new(move || assert_eq!(rt.block_on(blocking_tokio()), BLOCKING_TRIPS))
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(blocking_tokio()), BLOCKING_TRIPS))
    })
    .member(Rt::Smol, || {
        let rt = smol();
        Box::new(move || assert_eq!(rt.block_on(blocking_smol()), BLOCKING_TRIPS))
    })
}
