//! What the criterion benches share: their settings, and one criterion group
//! per workload of `workloads/` with a member per runtime (or API variant),
//! so the report shows the runtimes side by side.

use criterion::Criterion;

use std::time::{Duration, Instant};

use crate::workloads::{runtimes, Workload};

/// The criterion settings shared by the suite: short, since each sample is
/// already a whole workload.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3))
}

/// Benches `w` as the criterion group named after it: each member's runtime
/// is built (outside the timing), benched under its label, then dropped.
/// After each run, outside the timing, a traced loop's trace is written out
/// (`runtimes::settle`), as the comparison runner does.
pub fn bench(c: &mut Criterion, w: Workload) {
    let mut g = c.benchmark_group(w.name);
    for m in w.members {
        let mut run = (m.make)();
        g.bench_function(m.label, |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    run();
                    timed += t.elapsed();
                    runtimes::settle();
                }
                timed
            })
        });
    }
    g.finish();
}
