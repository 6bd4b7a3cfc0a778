//! Combinator workloads of issue 5: gather of 10,000 tasks, and wait
//! (FIRST_COMPLETED) over 1,000 — corio's `gather`/`wait` beside tokio
//! (`join_all` of spawned handles, `JoinSet`, `select_all`) and smol
//! (`join_all`, `select_all` of its tasks).

use futures::future::{join_all, select_all};

use super::runtimes::{corio, smol, tokio_ct, tokio_mt};
use super::{Rt, Workload};

pub const GATHER: usize = 10_000;
pub const WAITERS: usize = 1_000;

const GATHER_SUM: usize = GATHER * (GATHER - 1) / 2;

type Ex = &'static smol::LocalExecutor<'static>;

// ----- gather_10k -----

async fn gather_corio() -> usize {
    let tasks = (0..GATHER).map(|i| corio::spawn(async move { i }));
    corio::gather(tasks.collect::<Vec<_>>())
        .await
        .unwrap()
        .into_iter()
        .sum()
}

async fn gather_tokio_join_all() -> usize {
    let tasks = (0..GATHER).map(|i| tokio::spawn(async move { i }));
    join_all(tasks.collect::<Vec<_>>())
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum()
}

async fn gather_tokio_join_set() -> usize {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..GATHER {
        set.spawn(async move { i });
    }
    let mut sum = 0;
    while let Some(v) = set.join_next().await {
        sum += v.unwrap();
    }
    sum
}

async fn gather_smol(ex: Ex) -> usize {
    let tasks = (0..GATHER).map(|i| ex.spawn(async move { i }));
    join_all(tasks.collect::<Vec<_>>()).await.into_iter().sum()
}

pub fn gather_10k() -> Workload {
    Workload::new(
        "gather_10k",
        "spawn 10,000 tasks returning their index and gather them (tokio: join_all or JoinSet)",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        Box::new(move || assert_eq!(rt.block_on(gather_corio()), GATHER_SUM))
    })
    .variant(Rt::TokioCt, "tokio-ct join_all", || {
        let rt = tokio_ct();
        Box::new(move || assert_eq!(rt.block_on(gather_tokio_join_all()), GATHER_SUM))
    })
    .variant(Rt::TokioCt, "tokio-ct JoinSet", || {
        let rt = tokio_ct();
        Box::new(move || assert_eq!(rt.block_on(gather_tokio_join_set()), GATHER_SUM))
    })
    .variant(Rt::TokioMt, "tokio-mt join_all", || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(gather_tokio_join_all()), GATHER_SUM))
    })
    .variant(Rt::TokioMt, "tokio-mt JoinSet", || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(gather_tokio_join_set()), GATHER_SUM))
    })
    .variant(Rt::Smol, "smol join_all", || {
        let rt = smol();
        Box::new(move || assert_eq!(rt.block_on(gather_smol(rt.0)), GATHER_SUM))
    })
}

// ----- wait_first_completed_1k -----
// 1,000 tasks, of which only the last finishes (after one yield); wait for the
// first completion, then cancel the rest. The winner's index is checked.

async fn wait_corio() -> usize {
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
    let (mut done, pending) = corio::wait(tasks, corio::ReturnWhen::FirstCompleted, None)
        .await
        .unwrap();
    assert_eq!((done.len(), pending.len()), (1, WAITERS - 1));
    for (_, t) in &pending {
        t.cancel();
    }
    done.pop().unwrap().1.await.unwrap()
}

async fn wait_tokio() -> usize {
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
    assert_eq!(rest.len(), WAITERS - 1);
    for t in &rest {
        t.abort();
    }
    first.unwrap()
}

async fn wait_smol(ex: Ex) -> usize {
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
    let (first, _, rest) = select_all(tasks).await;
    assert_eq!(rest.len(), WAITERS - 1);
    // smol cancels a task when its handle is dropped.
    drop(rest);
    first
}

pub fn wait_first_completed_1k() -> Workload {
    Workload::new(
        "wait_first_completed_1k",
        "1,000 tasks, only the last finishes (after a yield): wait FIRST_COMPLETED, cancel the rest (peers: select_all)",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        Box::new(move || assert_eq!(rt.block_on(wait_corio()), WAITERS - 1))
    })
    .variant(Rt::TokioCt, "tokio-ct select_all", || {
        let rt = tokio_ct();
        Box::new(move || assert_eq!(rt.block_on(wait_tokio()), WAITERS - 1))
    })
    .variant(Rt::TokioMt, "tokio-mt select_all", || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(wait_tokio()), WAITERS - 1))
    })
    .variant(Rt::Smol, "smol select_all", || {
        let rt = smol();
        Box::new(move || assert_eq!(rt.block_on(wait_smol(rt.0)), WAITERS - 1))
    })
}
