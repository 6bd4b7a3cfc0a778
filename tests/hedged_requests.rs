//! The core of examples/experiments/hedged_requests.rs: the peak process,
//! the server's fates, and the strategy runner on a tiny configuration.

#[path = "../examples/experiments/hedged/mod.rs"]
mod hedged;

use std::time::Duration;

use hedged::client::{percentile, Strategy};
use hedged::peaks::{Fate, Traffic, Xorshift};
use hedged::Plan;

#[test]
fn xorshift_repeats_from_its_seed_and_stays_in_unit_range() {
    let (mut a, mut b) = (Xorshift::new(7), Xorshift::new(7));
    let draws: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
    assert!(draws.iter().all(|&d| d == b.next_u64()));
    assert_ne!(Xorshift::new(8).next_u64(), draws[0]);
    let mut c = Xorshift::new(0);
    assert!((0..10_000)
        .map(|_| c.unit())
        .all(|u| (0.0..1.0).contains(&u)));
}

/// Share of 1 ms steps over `seconds` spent in a peak.
fn measured_duty(seed: u64, duty: f64, seconds: u64) -> f64 {
    let mut traffic = Traffic::new(seed, duty, Duration::from_millis(20));
    let steps = seconds * 1000;
    let in_peak = (0..steps)
        .filter(|&ms| traffic.in_peak(Duration::from_millis(ms)))
        .count();
    in_peak as f64 / steps as f64
}

#[test]
fn peaks_take_the_configured_share_of_time() {
    for duty in [0.1, 0.3, 0.5] {
        let measured = measured_duty(1, duty, 2_000);
        assert!(
            (measured - duty).abs() < 0.03,
            "duty {duty}: measured {measured}"
        );
    }
    assert_eq!(measured_duty(1, 0.0, 10), 0.0);
    assert_eq!(measured_duty(1, 1.0, 10), 1.0);
}

#[test]
fn same_seed_same_peaks_and_fates() {
    let fates = |seed| {
        let mut traffic = Traffic::new(seed, 0.5, Duration::from_millis(20));
        (0..500)
            .map(|ms| traffic.fate(Duration::from_millis(ms)))
            .collect::<Vec<_>>()
    };
    let first = fates(3);
    assert_eq!(first, fates(3));
    // Every fate occurs at a 50 % duty cycle, and calm service stays short
    // or on the slow path's 15–40 ms.
    for wanted in [Fate::Drop, Fate::Reset, Fate::Stall] {
        assert!(first.contains(&wanted), "{wanted:?} never drawn");
    }
    for fate in first {
        if let Fate::Serve(d) = fate {
            assert!(d >= Duration::from_millis(1) && d <= Duration::from_millis(40));
        }
    }
}

#[test]
fn percentile_is_nearest_rank() {
    let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
    assert_eq!(percentile(&ms, 0.5), Some(Duration::from_millis(50)));
    assert_eq!(percentile(&ms, 0.99), Some(Duration::from_millis(99)));
    assert_eq!(percentile(&ms, 0.0), Some(Duration::from_millis(1)));
    assert_eq!(percentile(&[], 0.5), None);
}

/// A tiny run of every strategy against real loopback servers: with no
/// peaks every trial is answered with one request each (k = 1), and with a
/// server always in a peak none is, and the server counted the connections.
#[test]
fn strategies_answer_in_calm_and_never_in_a_permanent_peak() {
    let plan = |duty| Plan {
        duties: vec![duty],
        ks: vec![1, 2],
        trials: 12,
        // Generous: a loaded machine must still answer a calm server in time.
        deadline: Duration::from_millis(1_500),
        mean_peak: Duration::from_millis(20),
        in_flight_tasks: 3,
        in_flight_threads: 2,
        seed: 5,
    };
    let calm = hedged::measure_all(&plan(0.0), |_| {});
    // sequential, concurrent ×2, staggered k=2, threads ×2
    assert_eq!(calm.len(), 6);
    for row in &calm {
        let o = &row.outcome;
        assert_eq!(o.latencies.len(), 12, "{:?} k={}", row.strategy, row.k);
        assert!(o.requests >= 12 && row.server.served >= 12);
        assert_eq!(
            row.server.dropped + row.server.reset + row.server.stalled,
            0
        );
        if row.k == 1 {
            assert_eq!(o.requests, 12, "{:?}: one request per trial", row.strategy);
        }
    }
    assert!(calm
        .iter()
        .any(|r| matches!(r.strategy, Strategy::Staggered { .. })));

    let mut stormy = plan(1.0);
    stormy.deadline = Duration::from_millis(60);
    stormy.ks = vec![2];
    stormy.trials = 4;
    for row in hedged::measure_all(&stormy, |_| {}) {
        assert!(row.outcome.latencies.is_empty(), "{:?}", row.strategy);
        assert_eq!(row.server.served, 0);
        assert!(row.outcome.requests >= 4);
    }
    let table = hedged::table(&calm);
    assert!(table.contains("| 0 % | sequential retry | 1 | 100.0 % |"));
    assert!(hedged::plot::svg(&calm, 1_500.0).contains("<polyline"));
}
