//! Issue 11's subprocess workload: spawn 1,000 `true` children and wait for
//! every exit — corio's `corio::process` (a pidfd per child on the loop's
//! reactor) beside `tokio::process` and smol's `async-process`.
//!
//! All spawn through std's `Command` (fork/exec is the same cost for
//! everyone); what differs is how each learns of the exit and reaps. Every
//! child is spawned at once and awaited by its own task, so the children
//! exit while others are still being spawned, as in a server that starts
//! helpers under load. The run asserts that every child returned 0.

use super::runtimes::{corio, smol, tokio_ct, tokio_mt};
use super::{Rt, Workload};

pub const CHILDREN: usize = 1_000;

type Ex = &'static smol::LocalExecutor<'static>;

async fn spawn_wait_corio() -> usize {
    let waits: Vec<_> = (0..CHILDREN)
        .map(|_| {
            let child = corio::process::Command::new("true").spawn().unwrap();
            corio::spawn(async move { child.wait().await.unwrap() })
        })
        .collect();
    let mut ok = 0;
    for w in waits {
        ok += usize::from(w.await.unwrap() == 0);
    }
    ok
}

async fn spawn_wait_tokio() -> usize {
    let waits: Vec<_> = (0..CHILDREN)
        .map(|_| {
            let mut child = tokio::process::Command::new("true").spawn().unwrap();
            tokio::spawn(async move { child.wait().await.unwrap() })
        })
        .collect();
    let mut ok = 0;
    for w in waits {
        ok += usize::from(w.await.unwrap().success());
    }
    ok
}

async fn spawn_wait_smol(ex: Ex) -> usize {
    let waits: Vec<_> = (0..CHILDREN)
        .map(|_| {
            let mut child = smol::process::Command::new("true").spawn().unwrap();
            ex.spawn(async move { child.status().await.unwrap() })
        })
        .collect();
    let mut ok = 0;
    for w in waits {
        ok += usize::from(w.await.success());
    }
    ok
}

pub fn spawn_wait() -> Workload {
    Workload::new(
        "spawn_wait",
        "spawn 1,000 `true` children and wait for each (corio::process, tokio::process, async-process)",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        Box::new(move || assert_eq!(rt.block_on(spawn_wait_corio()), CHILDREN))
    })
    .member(Rt::TokioCt, || {
        let rt = tokio_ct();
        Box::new(move || assert_eq!(rt.block_on(spawn_wait_tokio()), CHILDREN))
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(spawn_wait_tokio()), CHILDREN))
    })
    .member(Rt::Smol, || {
        let rt = smol();
        Box::new(move || assert_eq!(rt.block_on(spawn_wait_smol(rt.0)), CHILDREN))
    })
}
