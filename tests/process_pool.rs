//! `ProcessPoolExecutor`: the workers are this test binary started again,
//! told by the arguments to run only `process_pool_worker_entry`, which
//! serves jobs in a worker and returns at once in a normal test run.

use std::time::Duration;

use corio::executor::process_pool::{ProcessPoolExecutor, Registry, WorkerError};
use corio::executor::ExecutorError;

fn square(input: &[u8]) -> Vec<u8> {
    let n = u64::from_le_bytes(input.try_into().expect("8 bytes"));
    (n * n).to_le_bytes().to_vec()
}

fn slow(input: &[u8]) -> Vec<u8> {
    std::thread::sleep(Duration::from_millis(30));
    input.to_vec()
}

/// Dies as a crash would, mid-job, without unwinding.
fn crash(_: &[u8]) -> Vec<u8> {
    std::process::exit(86)
}

fn panics(_: &[u8]) -> Vec<u8> {
    panic!("boom in a worker")
}

/// Says which process ran the job.
fn pid(_: &[u8]) -> Vec<u8> {
    std::process::id().to_le_bytes().to_vec()
}

fn registry() -> Registry {
    Registry::new()
        .register("square", square)
        .register("slow", slow)
        .register("crash", crash)
        .register("panics", panics)
        .register("pid", pid)
}

#[test]
fn process_pool_worker_entry() {
    registry().serve_if_worker();
}

fn test_pool(workers: usize) -> ProcessPoolExecutor {
    ProcessPoolExecutor::with_worker_args(
        workers,
        ["process_pool_worker_entry", "--exact", "--test-threads=1"]
            .map(String::from)
            .to_vec(),
    )
}

fn u64_of(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().expect("8 bytes"))
}

#[test]
fn thousand_jobs_all_answered_in_order() {
    let pool = test_pool(2);
    let futures: Vec<_> = (0..1_000u64)
        .map(|n| pool.submit("square", n.to_le_bytes().to_vec()).unwrap())
        .collect();
    for (n, future) in (0..1_000u64).zip(futures) {
        let output = future.result(None).unwrap().unwrap();
        assert_eq!(u64_of(&output), n * n);
    }
    let squares: Vec<u64> = pool
        .map("square", (0..10u64).map(|n| n.to_le_bytes().to_vec()))
        .unwrap()
        .map(|r| u64_of(&r.unwrap().unwrap()))
        .collect();
    assert_eq!(squares, (0..10u64).map(|n| n * n).collect::<Vec<_>>());
}

#[test]
fn crashing_job_fails_with_broken_pool_and_worker_is_replaced() {
    let pool = test_pool(1);
    let before = pool.submit("pid", Vec::new()).unwrap();
    let crashed = pool.submit("crash", Vec::new()).unwrap();
    let after = pool.submit("pid", Vec::new()).unwrap();
    let before = u64::from(u32::from_le_bytes(
        before.result(None).unwrap().unwrap()[..]
            .try_into()
            .unwrap(),
    ));
    match crashed.result(None).unwrap() {
        Err(WorkerError::BrokenPool(why)) => assert!(why.contains("86"), "{why}"),
        other => panic!("expected a broken pool, got {other:?}"),
    }
    let after = u64::from(u32::from_le_bytes(
        after.result(None).unwrap().unwrap()[..].try_into().unwrap(),
    ));
    assert_ne!(before, after, "a new worker process ran the next job");
}

#[test]
fn panicking_and_unknown_jobs_fail_their_future_only() {
    let pool = test_pool(1);
    let panicked = pool.submit("panics", Vec::new()).unwrap();
    let unknown = pool.submit("no such job", Vec::new()).unwrap();
    let fine = pool.submit("square", 3u64.to_le_bytes().to_vec()).unwrap();
    assert_eq!(
        panicked.result(None).unwrap(),
        Err(WorkerError::Panicked("boom in a worker".into()))
    );
    assert_eq!(
        unknown.result(None).unwrap(),
        Err(WorkerError::UnknownFunction("no such job".into()))
    );
    assert_eq!(u64_of(&fine.result(None).unwrap().unwrap()), 9);
}

#[test]
fn shutdown_with_jobs_queued_cancels_or_finishes_them() {
    // cancel_futures: the queued jobs are cancelled, the running ones finish.
    let pool = test_pool(1);
    let futures: Vec<_> = (0..10u8)
        .map(|i| pool.submit("slow", vec![i]).unwrap())
        .collect();
    pool.shutdown(true, true);
    let outcomes: Vec<_> = futures.into_iter().map(|f| f.result(None)).collect();
    let finished = outcomes.iter().filter(|o| matches!(o, Ok(Ok(_)))).count();
    let cancelled = outcomes
        .iter()
        .filter(|o| matches!(o, Err(ExecutorError::Cancelled)))
        .count();
    assert_eq!(finished + cancelled, 10, "{outcomes:?}");
    assert!(
        cancelled >= 8,
        "at most the first jobs had started: {outcomes:?}"
    );
    assert!(matches!(
        pool.submit("slow", Vec::new()),
        Err(ExecutorError::ShutDown)
    ));

    // Without cancel_futures: every queued job still runs before shutdown returns.
    let pool = test_pool(2);
    let futures: Vec<_> = (0..6u8)
        .map(|i| pool.submit("slow", vec![i]).unwrap())
        .collect();
    pool.shutdown(true, false);
    for (i, f) in (0..6u8).zip(futures) {
        assert_eq!(f.result(Some(Duration::ZERO)).unwrap().unwrap(), [i]);
    }
}

#[test]
fn futures_are_awaitable_on_a_corio_loop_and_as_completed() {
    let pool = test_pool(2);
    let sum = corio::run(async {
        let mut sum = 0;
        for n in 1..=4u64 {
            let output = pool.submit("square", n.to_le_bytes().to_vec()).unwrap();
            sum += u64_of(&output.await.unwrap().unwrap());
        }
        sum
    });
    assert_eq!(sum, 1 + 4 + 9 + 16);
    let futures: Vec<_> = (0..5u64)
        .map(|n| pool.submit("square", n.to_le_bytes().to_vec()).unwrap())
        .collect();
    let mut seen: Vec<u64> = corio::executor::as_completed(futures, None)
        .map(|f| u64_of(&f.unwrap().result(None).unwrap().unwrap()))
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, [0, 1, 4, 9, 16]);
}
