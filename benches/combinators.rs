//! Combinator workloads of issue 5 — gather of 10,000 tasks, and wait
//! (FIRST_COMPLETED) over 1,000 — corio beside tokio (`join_all` of spawned
//! handles, `JoinSet`, `select_all`) and smol (`join_all` of its tasks).
//!
//! `cargo bench --bench combinators`

mod common;

use common::{config, corio, smol_local, tokio_ct, Runtime};
use criterion::{criterion_group, criterion_main, Criterion};
use futures::future::{join_all, select_all};

const GATHER: usize = 10_000;
const WAITERS: usize = 1_000;
const GATHER_SUM: usize = GATHER * (GATHER - 1) / 2;

fn gather_10k(c: &mut Criterion) {
    let mut g = c.benchmark_group("gather_10k");
    let rt = corio();
    g.bench_function("corio", |b| {
        b.iter(|| {
            let sum: usize = rt.block_on(async {
                let tasks = (0..GATHER).map(|i| corio::spawn(async move { i }));
                corio::gather(tasks.collect::<Vec<_>>())
                    .await
                    .unwrap()
                    .into_iter()
                    .sum()
            });
            assert_eq!(sum, GATHER_SUM);
        })
    });
    let rt = tokio_ct();
    g.bench_function("tokio-ct join_all", |b| {
        b.iter(|| {
            let sum: usize = rt.block_on(async {
                let tasks = (0..GATHER).map(|i| tokio::spawn(async move { i }));
                join_all(tasks.collect::<Vec<_>>())
                    .await
                    .into_iter()
                    .map(Result::unwrap)
                    .sum()
            });
            assert_eq!(sum, GATHER_SUM);
        })
    });
    g.bench_function("tokio-ct JoinSet", |b| {
        b.iter(|| {
            let sum: usize = rt.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for i in 0..GATHER {
                    set.spawn(async move { i });
                }
                let mut sum = 0;
                while let Some(v) = set.join_next().await {
                    sum += v.unwrap();
                }
                sum
            });
            assert_eq!(sum, GATHER_SUM);
        })
    });
    let rt = smol_local();
    let ex = rt.0;
    g.bench_function("smol join_all", |b| {
        b.iter(|| {
            let sum: usize = rt.block_on(async {
                let tasks = (0..GATHER).map(|i| ex.spawn(async move { i }));
                join_all(tasks.collect::<Vec<_>>()).await.into_iter().sum()
            });
            assert_eq!(sum, GATHER_SUM);
        })
    });
    g.finish();
}

/// 1,000 tasks, of which only the last finishes (after one yield); wait for
/// the first completion, then cancel the rest.
fn wait_first_1k(c: &mut Criterion) {
    let mut g = c.benchmark_group("wait_first_completed_1k");
    let rt = corio();
    g.bench_function("corio", |b| {
        b.iter(|| {
            let first = rt.block_on(async {
                let tasks: Vec<_> = (0..WAITERS)
                    .map(|i| {
                        corio::spawn(async move {
                            if i + 1 < WAITERS {
                                std::future::pending::<()>().await;
                            }
                            corio::yield_now().await;
                            i
                        })
                    })
                    .collect();
                let (done, pending) = corio::wait(tasks, corio::ReturnWhen::FirstCompleted, None)
                    .await
                    .unwrap();
                for t in &pending {
                    t.cancel();
                }
                let mut done = done;
                done.pop().unwrap().await.unwrap()
            });
            assert_eq!(first, WAITERS - 1);
        })
    });
    let rt = tokio_ct();
    g.bench_function("tokio-ct select_all", |b| {
        b.iter(|| {
            let first = rt.block_on(async {
                let tasks: Vec<_> = (0..WAITERS)
                    .map(|i| {
                        tokio::spawn(async move {
                            if i + 1 < WAITERS {
                                std::future::pending::<()>().await;
                            }
                            tokio::task::yield_now().await;
                            i
                        })
                    })
                    .collect();
                let (first, _, rest) = select_all(tasks).await;
                for t in &rest {
                    t.abort();
                }
                first.unwrap()
            });
            assert_eq!(first, WAITERS - 1);
        })
    });
    let rt = smol_local();
    let ex = rt.0;
    g.bench_function("smol select_all", |b| {
        b.iter(|| {
            let first = rt.block_on(async {
                let tasks: Vec<_> = (0..WAITERS)
                    .map(|i| {
                        ex.spawn(async move {
                            if i + 1 < WAITERS {
                                std::future::pending::<()>().await;
                            }
                            smol::future::yield_now().await;
                            i
                        })
                    })
                    .collect();
                // smol cancels a task when its handle is dropped.
                let (first, _, rest) = select_all(tasks).await;
                drop(rest);
                first
            });
            assert_eq!(first, WAITERS - 1);
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = gather_10k, wait_first_1k
}
criterion_main!(benches);
