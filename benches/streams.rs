//! readline — 1,000,000 lines of 40 bytes over a Unix socket pair, read line
//! by line — on corio (`StreamReader::readline`), tokio (current-thread and
//! 2-worker, `BufReader::lines`) and smol (`futures`' `BufReader::lines`).
//! The workload lives in `workloads/streams.rs` (shared with the `compare`
//! runner). `cargo bench -p corio-benches --bench streams`

mod common;
mod workloads;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

fn readline(c: &mut Criterion) {
    common::bench(c, workloads::streams::readline());
}

criterion_group! {
    name = benches;
    config = common::config()
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    targets = readline
}
criterion_main!(benches);
