//! Scheduler workloads: spawn_many, yield_many, chained_spawn, ping_pong.

use super::runtimes::{corio, corio_traced, smol, tokio_ct, tokio_mt};
use super::{Rt, Run, Workload};

pub const SPAWN_MANY: usize = 100_000;
pub const YIELD_TASKS: usize = 200;
pub const YIELDS: usize = 1_000;
pub const CHAINS: usize = 100;
pub const CHAIN_LEN: usize = 1_000;
pub const PAIRS: usize = 1_000;
pub const TRIPS: usize = 100;

type Ex = &'static smol::LocalExecutor<'static>;

// ----- spawn_many: 100,000 tasks returning their index, awaited in order -----

const SPAWN_SUM: usize = SPAWN_MANY * (SPAWN_MANY - 1) / 2;

async fn spawn_many_corio() -> usize {
    let handles: Vec<_> = (0..SPAWN_MANY)
        .map(|i| corio::spawn(async move { i }))
        .collect();
    let mut sum = 0;
    for h in handles {
        sum += h.await.unwrap();
    }
    sum
}

async fn spawn_many_tokio() -> usize {
    let handles: Vec<_> = (0..SPAWN_MANY)
        .map(|i| tokio::spawn(async move { i }))
        .collect();
    let mut sum = 0;
    for h in handles {
        sum += h.await.unwrap();
    }
    sum
}

async fn spawn_many_smol(ex: Ex) -> usize {
    let handles: Vec<_> = (0..SPAWN_MANY)
        .map(|i| ex.spawn(async move { i }))
        .collect();
    let mut sum = 0;
    for h in handles {
        sum += h.await;
    }
    sum
}

pub fn spawn_many() -> Workload {
    Workload::new(
        "spawn_many",
        "spawn 100,000 tasks returning their index, await each in order, check the sum",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        Box::new(move || assert_eq!(rt.block_on(spawn_many_corio()), SPAWN_SUM)) as Run
    })
    .member(Rt::TokioCt, || {
        let rt = tokio_ct();
        Box::new(move || assert_eq!(rt.block_on(spawn_many_tokio()), SPAWN_SUM))
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(spawn_many_tokio()), SPAWN_SUM))
    })
    .member(Rt::Smol, || {
        let rt = smol();
        Box::new(move || assert_eq!(rt.block_on(spawn_many_smol(rt.0)), SPAWN_SUM))
    })
}

// ----- yield_many: 200 tasks, each yielding 1,000 times -----

const YIELD_TOTAL: usize = YIELD_TASKS * YIELDS;

async fn yield_many_corio() -> usize {
    let handles: Vec<_> = (0..YIELD_TASKS)
        .map(|_| {
            corio::spawn(async {
                let mut n = 0;
                for _ in 0..YIELDS {
                    corio::yield_now().await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut n = 0;
    for h in handles {
        n += h.await.unwrap();
    }
    n
}

/// yield_many_corio, on corio built without its observer seam.
async fn yield_many_no_seam() -> usize {
    let handles: Vec<_> = (0..YIELD_TASKS)
        .map(|_| {
            corio_no_seam::spawn(async {
                let mut n = 0;
                for _ in 0..YIELDS {
                    corio_no_seam::yield_now().await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut n = 0;
    for h in handles {
        n += h.await.unwrap();
    }
    n
}

async fn yield_many_tokio() -> usize {
    let handles: Vec<_> = (0..YIELD_TASKS)
        .map(|_| {
            tokio::spawn(async {
                let mut n = 0;
                for _ in 0..YIELDS {
                    tokio::task::yield_now().await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut n = 0;
    for h in handles {
        n += h.await.unwrap();
    }
    n
}

async fn yield_many_smol(ex: Ex) -> usize {
    let handles: Vec<_> = (0..YIELD_TASKS)
        .map(|_| {
            ex.spawn(async {
                let mut n = 0;
                for _ in 0..YIELDS {
                    smol::future::yield_now().await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut n = 0;
    for h in handles {
        n += h.await;
    }
    n
}

pub fn yield_many() -> Workload {
    Workload::new(
        "yield_many",
        "200 tasks, each yielding 1,000 times; await all, count the yields",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        Box::new(move || assert_eq!(rt.block_on(yield_many_corio()), YIELD_TOTAL)) as Run
    })
    .member(Rt::CorioTraced, || {
        let rt = corio_traced();
        Box::new(move || assert_eq!(rt.lp().block_on(yield_many_corio()), YIELD_TOTAL)) as Run
    })
    .member(Rt::CorioNoSeam, || {
        let rt = corio_no_seam::EventLoop::new();
        Box::new(move || assert_eq!(rt.block_on(yield_many_no_seam()), YIELD_TOTAL)) as Run
    })
    .member(Rt::TokioCt, || {
        let rt = tokio_ct();
        Box::new(move || assert_eq!(rt.block_on(yield_many_tokio()), YIELD_TOTAL))
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(yield_many_tokio()), YIELD_TOTAL))
    })
    .member(Rt::Smol, || {
        let rt = smol();
        Box::new(move || assert_eq!(rt.block_on(yield_many_smol(rt.0)), YIELD_TOTAL))
    })
}

// ----- chained_spawn: 100 chains of 1,000 spawns -----
// Each link spawns the next; the last sends on a bounded(1) channel that the
// root awaits. A link carries its depth, so the last one proves the chain was
// whole.

type Done = smol::channel::Sender<usize>;

const CHAIN_TOTAL: usize = CHAINS * CHAIN_LEN;

fn chain_corio(depth: usize, done: Done) {
    corio::spawn(async move {
        if depth == CHAIN_LEN {
            done.send(depth).await.unwrap();
        } else {
            chain_corio(depth + 1, done);
        }
    });
}

fn chain_tokio(depth: usize, done: Done) {
    tokio::spawn(async move {
        if depth == CHAIN_LEN {
            done.send(depth).await.unwrap();
        } else {
            chain_tokio(depth + 1, done);
        }
    });
}

fn chain_smol(ex: Ex, depth: usize, done: Done) {
    ex.spawn(async move {
        if depth == CHAIN_LEN {
            done.send(depth).await.unwrap();
        } else {
            chain_smol(ex, depth + 1, done);
        }
    })
    .detach();
}

/// Starts each chain with `start(1, tx)` (the first link has depth 1) and
/// adds up the depths the last links report.
async fn chained<S: Fn(usize, Done)>(start: S) -> usize {
    let mut n = 0;
    for _ in 0..CHAINS {
        let (tx, rx) = smol::channel::bounded(1);
        start(1, tx);
        n += rx.recv().await.unwrap();
    }
    n
}

pub fn chained_spawn() -> Workload {
    Workload::new(
        "chained_spawn",
        "100 times: a chain of 1,000 spawns, each task spawning the next; the last sends on a channel",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        Box::new(move || assert_eq!(rt.block_on(chained(chain_corio)), CHAIN_TOTAL)) as Run
    })
    .member(Rt::TokioCt, || {
        let rt = tokio_ct();
        Box::new(move || assert_eq!(rt.block_on(chained(chain_tokio)), CHAIN_TOTAL))
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(chained(chain_tokio)), CHAIN_TOTAL))
    })
    .member(Rt::Smol, || {
        let rt = smol();
        let ex = rt.0;
        Box::new(move || {
            assert_eq!(
                rt.block_on(chained(|d, done| chain_smol(ex, d, done))),
                CHAIN_TOTAL
            )
        })
    })
}

// ----- ping_pong: 1,000 pairs, 100 round trips each over two bounded(1) channels -----

type Tx = smol::channel::Sender<usize>;
type Rx = smol::channel::Receiver<usize>;

/// Pair `i`'s `a`: sends n (starting at `i`), receives the answer n + 1, 100
/// times; returns the last answer, `i + TRIPS`.
pub async fn ping(start: usize, tx: Tx, rx: Rx) -> usize {
    let mut n = start;
    for _ in 0..TRIPS {
        tx.send(n).await.unwrap();
        let answer = rx.recv().await.unwrap();
        assert_eq!(answer, n + 1);
        n = answer;
    }
    n
}

/// Pair `i`'s `b`: answers n + 1 until `a` hangs up; returns how many answers.
pub async fn pong(rx: Rx, tx: Tx) -> usize {
    let mut answers = 0;
    while let Ok(n) = rx.recv().await {
        tx.send(n + 1).await.unwrap();
        answers += 1;
    }
    answers
}

/// The channels of one pair: (a's sender, b's receiver), (b's sender, a's receiver).
pub fn pair() -> ((Tx, Rx), (Tx, Rx)) {
    let (a_tx, b_rx) = smol::channel::bounded(1);
    let (b_tx, a_rx) = smol::channel::bounded(1);
    ((a_tx, a_rx), (b_tx, b_rx))
}

/// Σ (i + TRIPS) over the pairs, and TRIPS answers per pair.
pub const PING_SUM: usize = PAIRS * (PAIRS - 1) / 2 + PAIRS * TRIPS;
pub const PONG_TOTAL: usize = PAIRS * TRIPS;

async fn ping_pong_corio() -> (usize, usize) {
    let mut pings = Vec::with_capacity(PAIRS);
    let mut pongs = Vec::with_capacity(PAIRS);
    for i in 0..PAIRS {
        let ((a_tx, a_rx), (b_tx, b_rx)) = pair();
        pongs.push(corio::spawn(pong(b_rx, b_tx)));
        pings.push(corio::spawn(ping(i, a_tx, a_rx)));
    }
    let (mut sum, mut answers) = (0, 0);
    for p in pings {
        sum += p.await.unwrap();
    }
    for p in pongs {
        answers += p.await.unwrap();
    }
    (sum, answers)
}

pub async fn ping_pong_tokio() -> (usize, usize) {
    let mut pings = Vec::with_capacity(PAIRS);
    let mut pongs = Vec::with_capacity(PAIRS);
    for i in 0..PAIRS {
        let ((a_tx, a_rx), (b_tx, b_rx)) = pair();
        pongs.push(tokio::spawn(pong(b_rx, b_tx)));
        pings.push(tokio::spawn(ping(i, a_tx, a_rx)));
    }
    let (mut sum, mut answers) = (0, 0);
    for p in pings {
        sum += p.await.unwrap();
    }
    for p in pongs {
        answers += p.await.unwrap();
    }
    (sum, answers)
}

async fn ping_pong_smol(ex: Ex) -> (usize, usize) {
    let mut pings = Vec::with_capacity(PAIRS);
    let mut pongs = Vec::with_capacity(PAIRS);
    for i in 0..PAIRS {
        let ((a_tx, a_rx), (b_tx, b_rx)) = pair();
        pongs.push(ex.spawn(pong(b_rx, b_tx)));
        pings.push(ex.spawn(ping(i, a_tx, a_rx)));
    }
    let (mut sum, mut answers) = (0, 0);
    for p in pings {
        sum += p.await;
    }
    for p in pongs {
        answers += p.await;
    }
    (sum, answers)
}

pub fn ping_pong() -> Workload {
    const WANT: (usize, usize) = (PING_SUM, PONG_TOTAL);
    Workload::new(
        "ping_pong",
        "1,000 pairs of tasks, 100 round trips each over two bounded(1) channels (a sends n, b answers n+1)",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        Box::new(move || assert_eq!(rt.block_on(ping_pong_corio()), WANT)) as Run
    })
    .member(Rt::TokioCt, || {
        let rt = tokio_ct();
        Box::new(move || assert_eq!(rt.block_on(ping_pong_tokio()), WANT))
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(ping_pong_tokio()), WANT))
    })
    .member(Rt::Smol, || {
        let rt = smol();
        Box::new(move || assert_eq!(rt.block_on(ping_pong_smol(rt.0)), WANT))
    })
}
