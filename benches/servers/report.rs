//! One measured row of the servers benchmark.
//!
//! (helper "http"'s copy of the shared interface, so that its branch
//! compiles; the runner's owner provides the real one.)

pub struct Row {
    /// "redis" or "http"
    pub group: &'static str,
    /// e.g. "corio", "tokio-ct (same shape)", "mini-redis", "redis-server", "hyper on corio"
    pub server: String,
    /// e.g. "SET -P 16", "GET /", "POST /echo"
    pub test: String,
    pub requests_per_sec: f64,
    pub p99_ms: Option<f64>,
}
