//! What the criterion benches share: their settings, and one criterion group
//! per workload of `workloads/` with a member per runtime (or API variant),
//! so the report shows the runtimes side by side.

use criterion::Criterion;

use crate::workloads::Workload;

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
pub fn bench(c: &mut Criterion, w: Workload) {
    let mut g = c.benchmark_group(w.name);
    for m in w.members {
        let mut run = (m.make)();
        g.bench_function(m.label, |b| b.iter(&mut run));
    }
    g.finish();
}
