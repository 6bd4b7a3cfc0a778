//! The server on several loops (`--loops N`): one corio loop per core, one
//! `SO_REUSEPORT` listener per loop, one keyspace and one set of channels
//! for all of them.
//!
//! Each loop runs the one-loop server of `server.rs` on its own listener;
//! the kernel spreads new connections over the listeners, and a connection
//! stays on the loop that accepted it. Two things must still look like one
//! server to the clients:
//!
//! * **The keyspace.** `SET` on a connection of loop 0 must be seen by
//!   `GET` on loop 1. The [`Db`] is shared under one mutex
//!   (`keyspace.rs`), taken once per batch of commands. Why not one shard
//!   per loop, each owned by its loop's thread (no lock)? Then half of all
//!   keys would live on the other loop, and every command on them would be
//!   a message there and a reply back — a cross-thread wake per command,
//!   where the mutex costs a few atomic instructions per batch and a short
//!   wait only when both loops touch the keyspace at the same instant. And
//!   `MGET`, `MSET`, `DEL` with keys on both shards would need a protocol
//!   of their own.
//! * **Publish/subscribe.** A subscriber's socket belongs to its loop
//!   (`!Send`), so a message cannot be written to it from another thread.
//!   Each loop keeps its own subscribers (`pubsub.rs`'s [`Hub`], unchanged)
//!   and one inbox, a [`multi_loop::channel`](corio::multi_loop::channel).
//!   A shared registry says how many subscribers each loop has on each
//!   channel. `PUBLISH` delivers to its own loop's subscribers at once,
//!   sends the formatted message to the inbox of every other loop that has
//!   subscribers on the channel (a wake only if that loop's relay task
//!   sleeps), and answers with the number of subscribers it reached: its
//!   own, plus the other loops' counts. Messages from one publisher arrive
//!   in the order published. A subscriber that leaves while a message to
//!   it is on its way is counted but does not get it, and one that
//!   subscribes on another loop while a message is on its way gets it
//!   without being counted (on one Redis thread neither can happen; here it
//!   is the price of not locking every subscriber's socket).
//!
//! [`OnLoops`] starts all this on a [`Runtime`] and stops it gracefully.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use corio::multi_loop::channel::Sender;
use corio::multi_loop::{channel, Runtime};
use corio::RemoteTask;

use crate::db::Db;
use crate::keyspace::Keyspace;
use crate::pubsub::{self, Hub};
use crate::server::RedisServer;

/// A message published on one loop, on its way to another loop's subscribers.
pub struct Published {
    pub channel: Box<[u8]>,
    /// As the subscriber receives it ([`pubsub::frame`]).
    pub frame: Box<[u8]>,
}

/// Per channel, how many subscribers each loop has (no entry: none).
type SubscriberCounts = HashMap<Box<[u8]>, Box<[usize]>>;

/// What all loops share.
struct AcrossLoops {
    db: Arc<Mutex<Db>>,
    subscribers: Mutex<SubscriberCounts>,
    /// Each loop's inbox for messages published elsewhere.
    inboxes: Box<[Sender<Arc<Published>>]>,
    /// Connections each loop has accepted.
    connections: Box<[AtomicUsize]>,
}

impl AcrossLoops {
    fn subscribers(&self) -> MutexGuard<'_, SubscriberCounts> {
        // Counts only: whatever a panicking holder left is still counts.
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One loop's way to the others: held by that loop's server.
pub struct LoopLink {
    index: usize,
    across: Arc<AcrossLoops>,
}

impl LoopLink {
    /// The keyspace every loop shares.
    pub fn keyspace(&self) -> Keyspace {
        Keyspace::Loops(self.across.db.clone())
    }

    /// Counts one more connection accepted by this loop.
    pub fn count_connection(&self) {
        self.across.connections[self.index].fetch_add(1, Ordering::Relaxed);
    }

    /// Records that this loop now has `count` subscribers on `channel`.
    pub fn count_subscribers(&self, channel: &[u8], count: usize) {
        let mut subscribers = self.across.subscribers();
        match subscribers.get_mut(channel) {
            Some(counts) => {
                counts[self.index] = count;
                if counts.iter().all(|&c| c == 0) {
                    subscribers.remove(channel);
                }
            }
            None if count > 0 => {
                let mut counts = vec![0; self.across.inboxes.len()].into_boxed_slice();
                counts[self.index] = count;
                subscribers.insert(channel.into(), counts);
            }
            None => {}
        }
    }

    /// `PUBLISH` from this loop: to this loop's subscribers (`hub`) at once,
    /// to the other loops' through their inboxes. Returns how many
    /// subscribers it reached.
    pub fn publish(&self, hub: &mut Hub, channel: &[u8], message: &[u8]) -> usize {
        let frame = pubsub::frame(channel, message);
        let here = hub.deliver(channel, &frame);
        let mut subscribers = self.across.subscribers();
        let Some(counts) = subscribers.get_mut(channel) else {
            return here;
        };
        // Delivering may have dropped a slow subscriber here.
        counts[self.index] = hub.subscribers(channel);
        let mut reached = here;
        let mut published = None;
        for (other, &count) in counts.iter().enumerate() {
            if other == self.index || count == 0 {
                continue;
            }
            let published = published.get_or_insert_with(|| {
                Arc::new(Published {
                    channel: channel.into(),
                    frame: frame.as_slice().into(),
                })
            });
            if self.across.inboxes[other].send(published.clone()).is_ok() {
                reached += count;
            }
        }
        if counts.iter().all(|&c| c == 0) {
            subscribers.remove(channel);
        }
        reached
    }
}

/// A Redis server running on every loop of a [`Runtime`].
pub struct OnLoops {
    addr: SocketAddr,
    across: Arc<AcrossLoops>,
    /// Each loop's stop: sending (or dropping the sender) stops that loop's server.
    stops: Vec<Sender<()>>,
    /// Each loop's server task; its output is how many clients stayed past the grace.
    servers: Vec<RemoteTask<usize>>,
}

impl OnLoops {
    /// Binds `127.0.0.1:port` (0: the OS picks) once per loop with
    /// `SO_REUSEPORT` and starts a server on each loop; returns once every
    /// loop serves.
    pub fn start(rt: &Runtime, port: u16, grace: Duration) -> io::Result<OnLoops> {
        let first = corio::net::bind_reuseport_std(("127.0.0.1", port))?;
        let addr = first.local_addr()?;
        let mut listeners = vec![first];
        for _ in 1..rt.loops() {
            listeners.push(corio::net::bind_reuseport_std(addr)?);
        }
        let (inboxes, receivers): (Vec<_>, Vec<_>) = (0..rt.loops()).map(|_| channel()).unzip();
        let across = Arc::new(AcrossLoops {
            db: Arc::default(),
            subscribers: Mutex::default(),
            inboxes: inboxes.into(),
            connections: (0..rt.loops()).map(|_| AtomicUsize::new(0)).collect(),
        });
        let (started, each_started) = std::sync::mpsc::channel();
        let mut stops = Vec::new();
        let mut servers = Vec::new();
        for (index, (listener, inbox)) in listeners.into_iter().zip(receivers).enumerate() {
            let (stop, stopped) = channel::<()>();
            let link = LoopLink {
                index,
                across: across.clone(),
            };
            let started = started.clone();
            servers.push(rt.spawn_on(index, move || async move {
                let server = corio::net::TcpListener::from_std(listener)
                    .and_then(|listener| RedisServer::start_on_loop(listener, link, inbox));
                let server = match server {
                    Ok(server) => server,
                    Err(e) => {
                        let _ = started.send(Err(e));
                        return 0;
                    }
                };
                let _ = started.send(Ok(()));
                drop(started);
                // A stop sent, or the sender dropped: either way, stop.
                stopped.recv().await;
                server.shut_down(grace).await
            }));
            stops.push(stop);
        }
        drop(started);
        let server = OnLoops {
            addr,
            across,
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

    /// The port every loop listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many connections each loop has accepted so far.
    pub fn connections_per_loop(&self) -> Vec<usize> {
        self.across
            .connections
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }

    /// The graceful stop of every loop's server at once (see
    /// [`RedisServer::shut_down`]); waits for them. Returns how many clients
    /// were still connected after the grace period, all loops together.
    pub fn shut_down(self) -> usize {
        for stop in &self.stops {
            let _ = stop.send(());
        }
        self.servers
            .into_iter()
            .map(|server| server.wait().unwrap_or(0))
            .sum()
    }
}
