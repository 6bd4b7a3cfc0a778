//! The core of examples/experiments/which_model.rs: the hashing job and the
//! four models agree on small sizes (the process pool's workers are this
//! test binary, running only `which_model_worker_entry`).

#[path = "../examples/experiments/which/mod.rs"]
mod which;

use std::time::Duration;

use which::{Model, Work};

#[test]
fn hash_job_is_deterministic_and_depends_on_seed_and_rounds() {
    assert_eq!(which::hash_job(1, 100), which::hash_job(1, 100));
    assert_ne!(which::hash_job(1, 100), which::hash_job(2, 100));
    assert_ne!(which::hash_job(1, 100), which::hash_job(1, 101));
}

#[test]
fn in_process_models_compute_the_same_checksum() {
    let cpu = Work::Cpu {
        count: 6,
        rounds: 2_000,
    };
    let expected = (0..6)
        .map(|s| which::hash_job(s, 2_000))
        .fold(0, u64::wrapping_add);
    // The process pool has its own test below.
    let in_process = || Model::ALL.into_iter().filter(|&m| m != Model::ProcessPool);
    for model in in_process() {
        let checksum = which::run(cpu, model, 3, &worker_args()).checksum;
        assert_eq!(checksum, expected, "{}", model.name());
    }
    let io = Work::Io {
        count: 10,
        wait: Duration::from_millis(5),
    };
    for model in in_process() {
        let m = which::run(io, model, 3, &worker_args());
        assert_eq!(m.checksum, 10, "{model:?}");
        // Ten 5 ms waits cannot end before one has.
        assert!(m.wall >= Duration::from_millis(5));
    }
}

#[test]
fn corio_tasks_overlap_io_waits() {
    let io = Work::Io {
        count: 50,
        wait: Duration::from_millis(40),
    };
    let tasks = which::run(io, Model::Tasks, 1, &worker_args());
    // Sequentially the waits take 2 s; overlapped, one wait plus overhead.
    assert!(
        tasks.wall < Duration::from_millis(1_500),
        "{:?}",
        tasks.wall
    );
    // Waiting on timers costs next to no CPU.
    assert!(tasks.cpu < Duration::from_millis(500), "{:?}", tasks.cpu);
}

#[test]
fn which_model_worker_entry() {
    which::registry().serve_if_worker();
}

fn worker_args() -> Vec<String> {
    ["which_model_worker_entry", "--exact", "--test-threads=1"]
        .map(String::from)
        .to_vec()
}

#[test]
fn process_pool_model_matches_the_others() {
    let cpu = Work::Cpu {
        count: 5,
        rounds: 1_000,
    };
    let in_thread = which::run(cpu, Model::Sequential, 2, &worker_args());
    let in_processes = which::run(cpu, Model::ProcessPool, 2, &worker_args());
    assert_eq!(in_processes.checksum, in_thread.checksum);
    let io = Work::Io {
        count: 4,
        wait: Duration::from_millis(5),
    };
    assert_eq!(
        which::run(io, Model::ProcessPool, 2, &worker_args()).checksum,
        4
    );
}
