//! The jobs and the four models of `which_model`, apart from its printing
//! so that tests/which_model.rs can check them on small sizes.

use std::time::{Duration, Instant};

use corio::executor::process_pool::{ProcessPoolExecutor, Registry};
use corio::executor::ThreadPoolExecutor;

/// The CPU-bound job: `rounds` passes of FNV-1a over a 64-byte block, each
/// pass's hash written back into the block so that no pass can be skipped.
pub fn hash_job(seed: u64, rounds: u32) -> u64 {
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut block = [0u8; 64];
    block[..8].copy_from_slice(&seed.to_le_bytes());
    let mut hash = FNV_OFFSET;
    for round in 0..rounds {
        for &byte in &block {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
        let at = (round as usize % 8) * 8;
        block[at..at + 8].copy_from_slice(&hash.to_le_bytes());
    }
    hash
}

/// The IO-bound job: wait for a timer (blocking form, for threads).
pub fn io_job_blocking(wait: Duration) -> u64 {
    std::thread::sleep(wait);
    1
}

/// The IO-bound job on a corio loop.
pub async fn io_job(wait: Duration) -> u64 {
    corio::time::sleep(wait).await;
    1
}

/// What to run: `count` jobs of one kind.
#[derive(Debug, Clone, Copy)]
pub enum Work {
    Cpu { count: usize, rounds: u32 },
    Io { count: usize, wait: Duration },
}

/// Where to run it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    Sequential,
    ThreadPool,
    ProcessPool,
    Tasks,
}

impl Model {
    pub const ALL: [Model; 4] = [
        Model::Sequential,
        Model::ThreadPool,
        Model::ProcessPool,
        Model::Tasks,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Model::Sequential => "sequential",
            Model::ThreadPool => "thread pool",
            Model::ProcessPool => "process pool",
            Model::Tasks => "corio tasks",
        }
    }
}

/// Wall time, CPU time (user + system, of this process and of its children
/// that were waited for), and the jobs' combined result (the same in every
/// model, or a model is wrong).
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub wall: Duration,
    pub cpu: Duration,
    pub checksum: u64,
}

/// User + system CPU time so far, of this process and its reaped children.
pub fn cpu_time() -> Duration {
    let of = |who| {
        // SAFETY: an all-zero `rusage` is a valid value of the plain C
        // struct, and getrusage only writes into the one we pass it.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a valid, writable `rusage` for the call.
        if unsafe { libc::getrusage(who, &mut usage) } != 0 {
            return Duration::ZERO;
        }
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        tv(usage.ru_utime) + tv(usage.ru_stime)
    };
    of(libc::RUSAGE_SELF) + of(libc::RUSAGE_CHILDREN)
}

/// Runs `work` in `model` with `workers` threads or processes; the process
/// pool's workers are this binary started with `worker_args`, whose `main`
/// calls `registry().serve_if_worker()` first.
pub fn run(work: Work, model: Model, workers: usize, worker_args: &[String]) -> Measured {
    let (cpu0, start) = (cpu_time(), Instant::now());
    let checksum = match model {
        Model::Sequential => match work {
            Work::Cpu { count, rounds } => (0..count as u64)
                .map(|s| hash_job(s, rounds))
                .fold(0, u64::wrapping_add),
            Work::Io { count, wait } => (0..count).map(|_| io_job_blocking(wait)).sum(),
        },
        Model::ThreadPool => on_thread_pool(work, workers),
        Model::ProcessPool => on_process_pool(work, workers, worker_args),
        Model::Tasks => corio::run(on_tasks(work)),
    };
    Measured {
        wall: start.elapsed(),
        cpu: cpu_time().saturating_sub(cpu0),
        checksum,
    }
}

fn on_thread_pool(work: Work, workers: usize) -> u64 {
    let pool = ThreadPoolExecutor::new(workers);
    let futures: Vec<_> = match work {
        Work::Cpu { count, rounds } => (0..count as u64)
            .map(|s| pool.submit(move || hash_job(s, rounds)))
            .collect(),
        Work::Io { count, wait } => (0..count)
            .map(|_| pool.submit(move || io_job_blocking(wait)))
            .collect(),
    };
    let sum = futures
        .into_iter()
        .map(|f| {
            f.expect("the pool is open")
                .result(None)
                .expect("jobs do not panic")
        })
        .fold(0, u64::wrapping_add);
    pool.shutdown(true, false);
    sum
}

async fn on_tasks(work: Work) -> u64 {
    // CPU jobs as tasks still run one at a time: a task holds the loop's
    // only thread until it returns (or awaits), as a coroutine holds
    // asyncio's.
    let tasks: Vec<_> = match work {
        Work::Cpu { count, rounds } => (0..count as u64)
            .map(|s| corio::spawn(async move { hash_job(s, rounds) }))
            .collect(),
        Work::Io { count, wait } => (0..count).map(|_| corio::spawn(io_job(wait))).collect(),
    };
    corio::gather(tasks)
        .await
        .expect("jobs do not fail")
        .into_iter()
        .fold(0, u64::wrapping_add)
}

/// The jobs as the process pool's workers know them: bytes in, bytes out.
pub fn registry() -> Registry {
    Registry::new()
        .register("hash", |input| {
            let seed = u64::from_le_bytes(input[..8].try_into().expect("a seed"));
            let rounds = u32::from_le_bytes(input[8..12].try_into().expect("rounds"));
            hash_job(seed, rounds).to_le_bytes().to_vec()
        })
        .register("wait", |input| {
            let ms = u64::from_le_bytes(input.try_into().expect("milliseconds"));
            io_job_blocking(Duration::from_millis(ms))
                .to_le_bytes()
                .to_vec()
        })
}

/// corio's `ProcessPoolExecutor`: `map` sends each job's bytes to a worker
/// process, the results come back in order. Starting the workers is part of
/// the measured time, as it is of a Python program's.
fn on_process_pool(work: Work, workers: usize, worker_args: &[String]) -> u64 {
    let pool = ProcessPoolExecutor::with_worker_args(workers, worker_args.to_vec());
    let (name, inputs): (&str, Vec<Vec<u8>>) = match work {
        Work::Cpu { count, rounds } => (
            "hash",
            (0..count as u64)
                .map(|s| [s.to_le_bytes().as_slice(), &rounds.to_le_bytes()].concat())
                .collect(),
        ),
        Work::Io { count, wait } => (
            "wait",
            (0..count)
                .map(|_| (wait.as_millis() as u64).to_le_bytes().to_vec())
                .collect(),
        ),
    };
    let sum = pool
        .map(name, inputs)
        .expect("the pool is open")
        .map(|outcome| {
            let output = outcome
                .expect("the job is not cancelled")
                .expect("the worker runs the job");
            u64::from_le_bytes(output[..].try_into().expect("8 bytes"))
        })
        .fold(0, u64::wrapping_add);
    pool.shutdown(true, false);
    sum
}
