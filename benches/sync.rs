//! Issue 6's workloads — queue ping-pong, lock contention, thread-pool round
//! trip — corio beside tokio and smol. The workloads live in
//! `workloads/sync.rs` (shared with the `compare` runner).
//!
//! `cargo bench -p corio-benches --bench sync`

mod common;
mod workloads;

use criterion::{criterion_group, criterion_main, Criterion};
use workloads::sync;

fn queue_ping_pong(c: &mut Criterion) {
    common::bench(c, sync::queue_ping_pong());
}

fn lock_contention(c: &mut Criterion) {
    common::bench(c, sync::lock_contention());
}

fn blocking_round_trip(c: &mut Criterion) {
    common::bench(c, sync::blocking_round_trip());
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = queue_ping_pong, lock_contention, blocking_round_trip
}
criterion_main!(benches);
