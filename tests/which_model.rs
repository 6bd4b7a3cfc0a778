//! The core of examples/which_model.rs: the hashing job and the models
//! agree on small sizes, and the worker mode parses its arguments.

#[path = "../examples/which/mod.rs"]
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
    let exe = std::env::current_exe().unwrap();
    let cpu = Work::Cpu {
        count: 6,
        rounds: 2_000,
    };
    let expected = (0..6)
        .map(|s| which::hash_job(s, 2_000))
        .fold(0, u64::wrapping_add);
    // The process pool needs the example's binary (its worker mode).
    let in_process = || Model::ALL.into_iter().filter(|&m| m != Model::ProcessPool);
    for model in in_process() {
        let checksum = which::run(cpu, model, 3, &exe).checksum;
        assert_eq!(checksum, expected, "{}", model.name());
    }
    let io = Work::Io {
        count: 10,
        wait: Duration::from_millis(5),
    };
    for model in in_process() {
        let m = which::run(io, model, 3, &exe);
        assert_eq!(m.checksum, 10, "{model:?}");
        // Ten 5 ms waits cannot end before one has.
        assert!(m.wall >= Duration::from_millis(5));
    }
}

#[test]
fn corio_tasks_overlap_io_waits() {
    let exe = std::env::current_exe().unwrap();
    let io = Work::Io {
        count: 50,
        wait: Duration::from_millis(40),
    };
    let tasks = which::run(io, Model::Tasks, 1, &exe);
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
fn worker_mode_parses_its_jobs_and_rejects_others() {
    let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    assert_eq!(
        which::worker(&args("--worker cpu 3 50")),
        Some(which::hash_job(3, 50))
    );
    assert_eq!(which::worker(&args("--worker io 1")), Some(1));
    assert_eq!(which::worker(&args("--worker cpu x 50")), None);
    assert_eq!(which::worker(&args("--quick")), None);
}
