//! Timer workloads of the suite — timeout_churn and sleep_many — on corio,
//! tokio (current-thread and 2-worker) and smol, side by side. The
//! workloads live in `workloads/timers.rs` (shared with the `compare` runner).
//!
//! `cargo bench -p corio-benches --bench timers`

mod common;
mod workloads;

use criterion::{criterion_group, criterion_main, Criterion};
use workloads::timers;

fn timeout_churn(c: &mut Criterion) {
    common::bench(c, timers::timeout_churn());
}

fn sleep_many(c: &mut Criterion) {
    common::bench(c, timers::sleep_many());
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = timeout_churn, sleep_many
}
criterion_main!(benches);
