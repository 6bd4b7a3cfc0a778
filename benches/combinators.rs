//! Combinator workloads of issue 5 — gather of 10,000 tasks, and wait
//! (FIRST_COMPLETED) over 1,000 — corio beside tokio (`join_all` of spawned
//! handles, `JoinSet`, `select_all`; current-thread and 2-worker) and smol
//! (`join_all`, `select_all` of its tasks). The workloads live in
//! `workloads/combinators.rs` (shared with the `compare` runner).
//!
//! `cargo bench -p corio-benches --bench combinators`

mod common;
mod workloads;

use criterion::{criterion_group, criterion_main, Criterion};
use workloads::combinators;

fn gather_10k(c: &mut Criterion) {
    common::bench(c, combinators::gather_10k());
}

fn wait_first_1k(c: &mut Criterion) {
    common::bench(c, combinators::wait_first_completed_1k());
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = gather_10k, wait_first_1k
}
criterion_main!(benches);
