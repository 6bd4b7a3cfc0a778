//! corio-servers: HTTP/1.1 on corio through hyper 1.x.
//!
//! * [`hyper_corio`] — the adapter: hyper's I/O, executor and timer traits
//!   over corio's sockets, tasks and timers (start reading here);
//! * [`routes`] — the service (`GET /`, `POST /echo`, `GET /sleep?ms=N`),
//!   the same function on every runtime the benchmark compares;
//! * [`server`] — the accept loop, keep-alive, the header-read timeout and
//!   the graceful stop;
//! * [`loops`] — the same server on several corio loops, a `SO_REUSEPORT`
//!   listener each (`http_server --loops N`);
//! * [`client`] — hyper's client on corio (the demo and the tests use it).
//!
//! The program is `examples/http_server.rs`:
//! `cargo run --release -p corio-servers --example http_server -- --port 8080`.
//!
//! A workspace member of its own, so that building corio's examples (the
//! tour) never waits for hyper.

#![warn(missing_docs, missing_debug_implementations, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod client;
pub mod hyper_corio;
pub mod loops;
pub mod routes;
pub mod server;
