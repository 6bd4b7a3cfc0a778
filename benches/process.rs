//! spawn_wait of issue 11 — 1,000 `true` children spawned and waited for —
//! on corio, tokio (current-thread and 2-worker) and smol. The workload
//! lives in `workloads/process.rs` (shared with the `compare` runner).
//!
//! `cargo bench -p corio-benches --bench process`

mod common;
mod workloads;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

fn spawn_wait(c: &mut Criterion) {
    common::bench(c, workloads::process::spawn_wait());
}

criterion_group! {
    name = benches;
    config = common::config()
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    targets = spawn_wait
}
criterion_main!(benches);
