//! Timer workloads of BENCHMARKS.md — timeout_churn and sleep_many — on corio,
//! tokio (current-thread and 2-worker) and smol, side by side.
//!
//! `cargo bench --bench timers`

mod common;

use std::time::Duration;

use common::{config, corio, smol_local, tokio_ct, tokio_mt, Runtime};
use criterion::{criterion_group, criterion_main, Criterion};

const CHURN: usize = 200_000;
const SLEEPERS: usize = 50_000;

// ----- timeout_churn: arm a 10 s timeout around a yield, and cancel it -----

async fn churn_corio() -> usize {
    let mut ok = 0;
    for _ in 0..CHURN {
        ok += corio::time::timeout(Duration::from_secs(10), corio::yield_now())
            .await
            .is_ok() as usize;
    }
    ok
}

async fn churn_tokio() -> usize {
    let mut ok = 0;
    for _ in 0..CHURN {
        ok += tokio::time::timeout(Duration::from_secs(10), tokio::task::yield_now())
            .await
            .is_ok() as usize;
    }
    ok
}

async fn churn_smol() -> usize {
    let mut ok = 0;
    for _ in 0..CHURN {
        let finished = smol::future::or(
            async {
                smol::future::yield_now().await;
                true
            },
            async {
                smol::Timer::after(Duration::from_secs(10)).await;
                false
            },
        )
        .await;
        ok += finished as usize;
    }
    ok
}

fn timeout_churn(c: &mut Criterion) {
    let mut g = c.benchmark_group("timeout_churn");
    let rt = corio();
    g.bench_function("corio", |b| {
        b.iter(|| assert_eq!(rt.block_on(churn_corio()), CHURN))
    });
    let rt = tokio_ct();
    g.bench_function("tokio-ct", |b| {
        b.iter(|| assert_eq!(rt.block_on(churn_tokio()), CHURN))
    });
    let rt = tokio_mt();
    g.bench_function("tokio-mt", |b| {
        b.iter(|| assert_eq!(rt.block_on(churn_tokio()), CHURN))
    });
    let rt = smol_local();
    g.bench_function("smol", |b| {
        b.iter(|| assert_eq!(rt.block_on(churn_smol()), CHURN))
    });
    g.finish();
}

// ----- sleep_many: 50,000 tasks sleeping 1–20 ms -----

/// The delays of BENCHMARKS.md: an LCG seeded with 7, ms = 1 + (x >> 33) mod 20.
fn delays() -> Vec<Duration> {
    let mut x: u64 = 7;
    (0..SLEEPERS)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            Duration::from_millis(1 + (x >> 33) % 20)
        })
        .collect()
}

async fn sleep_many_corio(delays: &[Duration]) -> usize {
    let tasks: Vec<_> = delays
        .iter()
        .map(|&d| corio::spawn(async move { corio::time::sleep(d).await }))
        .collect();
    let mut n = 0;
    for t in tasks {
        t.await.unwrap();
        n += 1;
    }
    n
}

async fn sleep_many_tokio(delays: &[Duration]) -> usize {
    let tasks: Vec<_> = delays
        .iter()
        .map(|&d| tokio::spawn(async move { tokio::time::sleep(d).await }))
        .collect();
    let mut n = 0;
    for t in tasks {
        t.await.unwrap();
        n += 1;
    }
    n
}

async fn sleep_many_smol(ex: &'static smol::LocalExecutor<'static>, delays: &[Duration]) -> usize {
    let tasks: Vec<_> = delays
        .iter()
        .map(|&d| {
            ex.spawn(async move {
                smol::Timer::after(d).await;
            })
        })
        .collect();
    let mut n = 0;
    for t in tasks {
        t.await;
        n += 1;
    }
    n
}

fn sleep_many(c: &mut Criterion) {
    let delays = delays();
    let d = &delays;
    let mut g = c.benchmark_group("sleep_many");
    let rt = corio();
    g.bench_function("corio", |b| {
        b.iter(|| assert_eq!(rt.block_on(sleep_many_corio(d)), SLEEPERS))
    });
    let rt = tokio_ct();
    g.bench_function("tokio-ct", |b| {
        b.iter(|| assert_eq!(rt.block_on(sleep_many_tokio(d)), SLEEPERS))
    });
    let rt = tokio_mt();
    g.bench_function("tokio-mt", |b| {
        b.iter(|| assert_eq!(rt.block_on(sleep_many_tokio(d)), SLEEPERS))
    });
    let rt = smol_local();
    let ex = rt.0;
    g.bench_function("smol", |b| {
        b.iter(|| assert_eq!(rt.block_on(sleep_many_smol(ex, d)), SLEEPERS))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = timeout_churn, sleep_many
}
criterion_main!(benches);
