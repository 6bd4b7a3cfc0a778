//! The HTTP server on several corio loops: one loop per core, each serving
//! its own `SO_REUSEPORT` listener on the same port.
//!
//! [`OnLoops::start`] binds the port once per loop of a
//! [`Runtime`](corio::multi_loop::Runtime) and runs [`serve`] on every loop
//! with that loop's listener. The kernel spreads new connections over the
//! listeners; a connection stays on the loop that accepted it, so its
//! sockets, hyper's connection state and its timers never cross a thread.
//! The routes share nothing, so the only message between loops is the stop
//! ([`OnLoops::stop`]), sent to each loop through a
//! [`multi_loop::channel`](corio::multi_loop::channel); each loop then
//! stops as the one-loop server does (no new connections, the requests in
//! flight finish within the grace period).

use std::io;
use std::net::SocketAddr;

use corio::multi_loop::channel::Sender;
use corio::multi_loop::{channel, Runtime};
use corio::RemoteTask;

use crate::server::{serve, Settings, Stopped};

/// The server running on every loop of a runtime.
#[derive(Debug)]
pub struct OnLoops {
    addr: SocketAddr,
    /// Each loop's stop: a send (or the sender's drop) stops that loop.
    stops: Vec<Sender<()>>,
    servers: Vec<RemoteTask<Stopped>>,
}

impl OnLoops {
    /// Binds `127.0.0.1:port` (0: a free port) once per loop of `rt` with
    /// `SO_REUSEPORT` and serves it from every loop; returns once every
    /// loop has its listener registered.
    ///
    /// # Errors
    ///
    /// When a socket cannot be bound or registered with its loop.
    ///
    /// ```
    /// use corio_servers::loops::OnLoops;
    /// use corio_servers::server::Settings;
    ///
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let server = OnLoops::start(&rt, 0, Settings::default()).unwrap();
    /// assert_ne!(server.local_addr().port(), 0);
    /// let per_loop = server.stop();
    /// assert_eq!(per_loop.len(), 2);
    /// ```
    pub fn start(rt: &Runtime, port: u16, settings: Settings) -> io::Result<OnLoops> {
        let first = corio::net::bind_reuseport_std(("127.0.0.1", port))?;
        let addr = first.local_addr()?;
        let mut listeners = vec![first];
        for _ in 1..rt.loops() {
            listeners.push(corio::net::bind_reuseport_std(addr)?);
        }
        let (started, each_started) = std::sync::mpsc::channel();
        let mut stops = Vec::new();
        let mut servers = Vec::new();
        for (index, listener) in listeners.into_iter().enumerate() {
            let (stop, stopped) = channel::<()>();
            let started = started.clone();
            servers.push(rt.spawn_on(index, move || async move {
                let listener = match corio::net::TcpListener::from_std(listener) {
                    Ok(listener) => listener,
                    Err(e) => {
                        let _ = started.send(Err(e));
                        return Stopped {
                            connections: 0,
                            cut_off: 0,
                        };
                    }
                };
                let _ = started.send(Ok(()));
                drop(started);
                // A stop sent, or its sender dropped: either way, stop.
                let stop = async move {
                    stopped.recv().await;
                };
                serve(listener, settings, stop).await
            }));
            stops.push(stop);
        }
        drop(started);
        let server = OnLoops {
            addr,
            stops,
            servers,
        };
        for _ in 0..rt.loops() {
            // Each task drops its sender once it has said how it started, so
            // a task that panicked first makes `recv` fail, not wait for ever.
            match each_started.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(io::Error::other("a loop did not start its server")),
            }
        }
        Ok(server)
    }

    /// The address every loop listens on.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let server = corio_servers::loops::OnLoops::start(&rt, 0, Default::default()).unwrap();
    /// assert!(server.local_addr().ip().is_loopback());
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops every loop's server gracefully (see [`serve`]) and waits for
    /// them; returns what each loop reports, by loop index (a loop whose
    /// server task failed reports nothing served).
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let server = corio_servers::loops::OnLoops::start(&rt, 0, Default::default()).unwrap();
    /// let per_loop = server.stop();
    /// assert!(per_loop.iter().all(|stopped| stopped.connections == 0));
    /// ```
    pub fn stop(self) -> Vec<Stopped> {
        for stop in &self.stops {
            let _ = stop.send(());
        }
        self.servers
            .into_iter()
            .map(|server| {
                server.wait().unwrap_or(Stopped {
                    connections: 0,
                    cut_off: 0,
                })
            })
            .collect()
    }
}
