//! tcp_echo of the suite — 50 in-process clients × 2,000 round trips of 64
//! bytes over 127.0.0.1 — on corio, tokio (current-thread and 2-worker),
//! smol, and a hand-written mio loop with no tasks (`mio-raw`, the floor).
//! The workload lives in `workloads/net.rs` (shared with the `compare`
//! runner).
//!
//! A run takes about a second, so this group takes 10 samples per runtime
//! (criterion then samples flat): about a minute in all.
//! `cargo bench -p corio-benches --bench net`

mod common;
mod workloads;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

fn tcp_echo(c: &mut Criterion) {
    common::bench(c, workloads::net::tcp_echo());
}

criterion_group! {
    name = benches;
    config = common::config()
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    targets = tcp_echo
}
criterion_main!(benches);
