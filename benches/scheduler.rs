//! Scheduler workloads of BENCHMARKS.md — spawn_many, yield_many, chained_spawn —
//! on corio, tokio (current-thread and 2-worker multi-thread) and smol's
//! `LocalExecutor`, one criterion group per workload so the report shows them
//! side by side. Every run checks its result, so a runtime that skipped work
//! could not look fast.
//!
//! `cargo bench --bench scheduler` (add `-- --quick` for a fast pass).

mod common;

use common::{config, corio, smol_local, tokio_ct, tokio_mt, Runtime};
use criterion::{criterion_group, criterion_main, Criterion};

const SPAWN_MANY: usize = 100_000;
const YIELD_TASKS: usize = 200;
const YIELDS: usize = 1_000;
const CHAINS: usize = 100;
const CHAIN_LEN: usize = 1_000;

// ----- spawn_many -----

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

async fn spawn_many_smol(ex: &'static smol::LocalExecutor<'static>) -> usize {
    let handles: Vec<_> = (0..SPAWN_MANY)
        .map(|i| ex.spawn(async move { i }))
        .collect();
    let mut sum = 0;
    for h in handles {
        sum += h.await;
    }
    sum
}

const SPAWN_SUM: usize = SPAWN_MANY * (SPAWN_MANY - 1) / 2;

fn spawn_many(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_many");
    let rt = corio();
    g.bench_function("corio", |b| {
        b.iter(|| assert_eq!(rt.block_on(spawn_many_corio()), SPAWN_SUM))
    });
    let rt = tokio_ct();
    g.bench_function("tokio-ct", |b| {
        b.iter(|| assert_eq!(rt.block_on(spawn_many_tokio()), SPAWN_SUM))
    });
    let rt = tokio_mt();
    g.bench_function("tokio-mt", |b| {
        b.iter(|| assert_eq!(rt.block_on(spawn_many_tokio()), SPAWN_SUM))
    });
    let rt = smol_local();
    g.bench_function("smol", |b| {
        b.iter(|| assert_eq!(rt.block_on(spawn_many_smol(rt.0)), SPAWN_SUM))
    });
    g.finish();
}

// ----- yield_many -----

async fn yield_many_corio() -> usize {
    let handles: Vec<_> = (0..YIELD_TASKS)
        .map(|_| {
            corio::spawn(async {
                for _ in 0..YIELDS {
                    corio::yield_now().await;
                }
                YIELDS
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
                for _ in 0..YIELDS {
                    tokio::task::yield_now().await;
                }
                YIELDS
            })
        })
        .collect();
    let mut n = 0;
    for h in handles {
        n += h.await.unwrap();
    }
    n
}

async fn yield_many_smol(ex: &'static smol::LocalExecutor<'static>) -> usize {
    let handles: Vec<_> = (0..YIELD_TASKS)
        .map(|_| {
            ex.spawn(async {
                for _ in 0..YIELDS {
                    smol::future::yield_now().await;
                }
                YIELDS
            })
        })
        .collect();
    let mut n = 0;
    for h in handles {
        n += h.await;
    }
    n
}

fn yield_many(c: &mut Criterion) {
    let total = YIELD_TASKS * YIELDS;
    let mut g = c.benchmark_group("yield_many");
    let rt = corio();
    g.bench_function("corio", |b| {
        b.iter(|| assert_eq!(rt.block_on(yield_many_corio()), total))
    });
    let rt = tokio_ct();
    g.bench_function("tokio-ct", |b| {
        b.iter(|| assert_eq!(rt.block_on(yield_many_tokio()), total))
    });
    let rt = tokio_mt();
    g.bench_function("tokio-mt", |b| {
        b.iter(|| assert_eq!(rt.block_on(yield_many_tokio()), total))
    });
    let rt = smol_local();
    g.bench_function("smol", |b| {
        b.iter(|| assert_eq!(rt.block_on(yield_many_smol(rt.0)), total))
    });
    g.finish();
}

// ----- chained_spawn -----
// Each link spawns the next; the last sends on a bounded(1) async-channel (the
// same channel for every runtime, as BENCHMARKS.md asks) that the root awaits.

type Done = smol::channel::Sender<usize>;

fn chain_corio(left: usize, done: Done) {
    corio::spawn(async move {
        if left == 0 {
            done.send(CHAIN_LEN).await.unwrap();
        } else {
            chain_corio(left - 1, done);
        }
    });
}

fn chain_tokio(left: usize, done: Done) {
    tokio::spawn(async move {
        if left == 0 {
            done.send(CHAIN_LEN).await.unwrap();
        } else {
            chain_tokio(left - 1, done);
        }
    });
}

fn chain_smol(ex: &'static smol::LocalExecutor<'static>, left: usize, done: Done) {
    ex.spawn(async move {
        if left == 0 {
            done.send(CHAIN_LEN).await.unwrap();
        } else {
            chain_smol(ex, left - 1, done);
        }
    })
    .detach();
}

async fn chained<S: Fn(usize, Done)>(start: S) -> usize {
    let mut n = 0;
    for _ in 0..CHAINS {
        let (tx, rx) = smol::channel::bounded(1);
        start(CHAIN_LEN - 1, tx);
        n += rx.recv().await.unwrap();
    }
    n
}

fn chained_spawn(c: &mut Criterion) {
    let total = CHAINS * CHAIN_LEN;
    let mut g = c.benchmark_group("chained_spawn");
    let rt = corio();
    g.bench_function("corio", |b| {
        b.iter(|| assert_eq!(rt.block_on(chained(chain_corio)), total))
    });
    let rt = tokio_ct();
    g.bench_function("tokio-ct", |b| {
        b.iter(|| assert_eq!(rt.block_on(chained(chain_tokio)), total))
    });
    let rt = tokio_mt();
    g.bench_function("tokio-mt", |b| {
        b.iter(|| assert_eq!(rt.block_on(chained(chain_tokio)), total))
    });
    let rt = smol_local();
    let ex = rt.0;
    g.bench_function("smol", |b| {
        b.iter(|| assert_eq!(rt.block_on(chained(|n, d| chain_smol(ex, n, d))), total))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = spawn_many, yield_many, chained_spawn
}
criterion_main!(benches);
