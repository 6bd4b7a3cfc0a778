//! Scheduler workloads of the suite — spawn_many, yield_many,
//! chained_spawn, ping_pong — on corio, tokio (current-thread and 2-worker
//! multi-thread) and smol's `LocalExecutor`, one criterion group per workload
//! so the report shows them side by side. The workloads live in
//! `workloads/scheduler.rs` (shared with the `compare` runner); every run
//! checks its result.
//!
//! `cargo bench -p corio-benches --bench scheduler` (add `-- --quick` for a
//! fast pass).

mod common;
mod workloads;

use criterion::{criterion_group, criterion_main, Criterion};
use workloads::scheduler;

fn spawn_many(c: &mut Criterion) {
    common::bench(c, scheduler::spawn_many());
}

fn yield_many(c: &mut Criterion) {
    common::bench(c, scheduler::yield_many());
}

fn chained_spawn(c: &mut Criterion) {
    common::bench(c, scheduler::chained_spawn());
}

fn ping_pong(c: &mut Criterion) {
    common::bench(c, scheduler::ping_pong());
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = spawn_many, yield_many, chained_spawn, ping_pong
}
criterion_main!(benches);
