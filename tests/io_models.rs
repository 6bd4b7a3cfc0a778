//! The core of examples/experiments/io_models.rs: every one of the five
//! servers echoes every message of every client back unchanged (the clients
//! check each echo), and uses the threads its model says.

#[path = "../examples/experiments/io/mod.rs"]
mod io;

use io::Model;

#[test]
fn every_io_model_echoes_all_clients() {
    for model in Model::ALL {
        let measured = io::run(model, 5, 200).unwrap_or_else(|e| panic!("{}: {e}", model.name()));
        let threads = if model == Model::Blocking { 6 } else { 1 };
        assert_eq!(measured.server.threads, threads, "{}", model.name());
        assert!(measured.throughput > 0.0);
        // A thread cannot use more CPU than the time it ran (rusage ticks
        // add a little).
        let bound = measured.wall * threads as u32 + std::time::Duration::from_millis(50);
        assert!(
            measured.server.cpu <= bound,
            "{}: {measured:?}",
            model.name()
        );
    }
}

#[test]
fn signal_driven_server_survives_clients_that_come_and_go() {
    // Several rounds on fresh listeners: a SIGIO left pending by one round
    // must not kill the process or confuse the next.
    for _ in 0..3 {
        io::run(Model::SignalDriven, 3, 20).expect("the SIGIO server echoes");
    }
}
