//! The runtimes under test, built the same way for every workload.
//!
//! Each bench file writes its workload once per spawn API and runs it through
//! [`Runtime::block_on`], so corio, tokio and smol do identical work.

use std::future::Future;

/// How a runtime runs a root future.
pub trait Runtime {
    fn block_on<F: Future>(&self, f: F) -> F::Output;
}

pub struct Corio(pub corio::EventLoop);
pub struct TokioRt(pub tokio::runtime::Runtime);
pub struct Smol(pub &'static smol::LocalExecutor<'static>);

impl Runtime for Corio {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
}

impl Runtime for TokioRt {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
}

impl Runtime for Smol {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        smol::block_on(self.0.run(f))
    }
}

pub fn corio() -> Corio {
    Corio(corio::EventLoop::new())
}

/// tokio's current-thread runtime, with its timer driver.
pub fn tokio_ct() -> TokioRt {
    TokioRt(
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap(),
    )
}

/// tokio's multi-thread runtime with 2 workers, with its timer driver.
pub fn tokio_mt() -> TokioRt {
    TokioRt(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap(),
    )
}

/// smol's `LocalExecutor` (leaked, so tasks can reach it from anywhere),
/// driven by `smol::block_on` (async-io's reactor and timers).
pub fn smol_local() -> Smol {
    Smol(Box::leak(Box::new(smol::LocalExecutor::new())))
}

/// The criterion settings shared by the suite: short, since each sample is
/// already a whole workload.
pub fn config() -> criterion::Criterion {
    criterion::Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3))
}
