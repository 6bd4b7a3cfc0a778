//! Timer workloads: timeout_churn and sleep_many.

use std::time::Duration;

use super::runtimes::{corio, smol, tokio_ct, tokio_mt};
use super::{Rt, Workload};

pub const CHURN: usize = 200_000;
pub const SLEEPERS: usize = 50_000;

type Ex = &'static smol::LocalExecutor<'static>;

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

/// smol has no `timeout` combinator: the yield raced against a `Timer`, which
/// is what `timeout` is.
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

pub fn timeout_churn() -> Workload {
    Workload::new(
        "timeout_churn",
        "one task, 200,000 times: timeout(10 s, yield_now()), each arming a timer and cancelling it",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        Box::new(move || assert_eq!(rt.block_on(churn_corio()), CHURN))
    })
    .member(Rt::TokioCt, || {
        let rt = tokio_ct();
        Box::new(move || assert_eq!(rt.block_on(churn_tokio()), CHURN))
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(churn_tokio()), CHURN))
    })
    .member(Rt::Smol, || {
        let rt = smol();
        Box::new(move || assert_eq!(rt.block_on(churn_smol()), CHURN))
    })
}

// ----- sleep_many: 50,000 tasks sleeping 1–20 ms -----

/// The delays of the suite (the same in `asyncio_reference.py`): an LCG
/// seeded with 7, ms = 1 + (x >> 33) mod 20.
pub fn delays() -> Vec<Duration> {
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

/// Each sleeper returns its delay in ms; the sum proves every one ran.
fn delays_sum(delays: &[Duration]) -> u64 {
    delays.iter().map(|d| d.as_millis() as u64).sum()
}

async fn sleep_many_corio(delays: &[Duration]) -> u64 {
    let tasks: Vec<_> = delays
        .iter()
        .map(|&d| {
            corio::spawn(async move {
                corio::time::sleep(d).await;
                d.as_millis() as u64
            })
        })
        .collect();
    let mut n = 0;
    for t in tasks {
        n += t.await.unwrap();
    }
    n
}

async fn sleep_many_tokio(delays: &[Duration]) -> u64 {
    let tasks: Vec<_> = delays
        .iter()
        .map(|&d| {
            tokio::spawn(async move {
                tokio::time::sleep(d).await;
                d.as_millis() as u64
            })
        })
        .collect();
    let mut n = 0;
    for t in tasks {
        n += t.await.unwrap();
    }
    n
}

async fn sleep_many_smol(ex: Ex, delays: &[Duration]) -> u64 {
    let tasks: Vec<_> = delays
        .iter()
        .map(|&d| {
            ex.spawn(async move {
                smol::Timer::after(d).await;
                d.as_millis() as u64
            })
        })
        .collect();
    let mut n = 0;
    for t in tasks {
        n += t.await;
    }
    n
}

pub fn sleep_many() -> Workload {
    Workload::new(
        "sleep_many",
        "50,000 tasks, each sleeping 1–20 ms (LCG seed 7); wall time, the floor is ~20 ms",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        let d = delays();
        let want = delays_sum(&d);
        Box::new(move || assert_eq!(rt.block_on(sleep_many_corio(&d)), want))
    })
    .member(Rt::TokioCt, || {
        let rt = tokio_ct();
        let d = delays();
        let want = delays_sum(&d);
        Box::new(move || assert_eq!(rt.block_on(sleep_many_tokio(&d)), want))
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        let d = delays();
        let want = delays_sum(&d);
        Box::new(move || assert_eq!(rt.block_on(sleep_many_tokio(&d)), want))
    })
    .member(Rt::Smol, || {
        let rt = smol();
        let d = delays();
        let want = delays_sum(&d);
        Box::new(move || assert_eq!(rt.block_on(sleep_many_smol(rt.0, &d)), want))
    })
}
