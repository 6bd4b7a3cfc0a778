//! The server: corio's `start_server` accepts, and each client gets a task
//! running [`serve_client`] — read what arrived, answer every complete
//! command in it, send all the answers at once.
//!
//! The loop of one connection, and why it is fast:
//!
//! 1. `fill_buf` waits for bytes and lends us the reader's own buffer: no
//!    copy, no allocation.
//! 2. Every complete command in those bytes is parsed in place (ranges into
//!    the buffer, in a `Vec` reused for the life of the connection) and run;
//!    its reply is appended to one output buffer, also reused. A client that
//!    pipelines 16 commands per packet gets 16 replies for one `read`, one
//!    `write` and one `drain` — the batching that lets a single-threaded
//!    server keep up with Redis's C loop.
//! 3. A command cut off by the end of the read is copied to `partial` (only
//!    that tail, and only then) and completed by the next reads.
//! 4. `drain` is flow control: a client that stops reading its replies
//!    stops being served once 64 KiB are waiting for it.
//!
//! A protocol error gets Redis's `-ERR Protocol error: ...` and the
//! connection is closed, as Redis does: after garbage there is no telling
//! where the next command starts.
//!
//! Keys with a deadline are removed by one more task, [`expire_keys`], which
//! sleeps on a corio timer until the earliest deadline.
//!
//! On several loops (`loops.rs`) each loop runs one such server on its own
//! `SO_REUSEPORT` listener ([`RedisServer::start_on_loop`]): the keyspace is
//! then the one every loop shares (`keyspace.rs`), and a message published
//! here also goes to the other loops' subscribers, which one more task per
//! loop, [`relay_published`], hands to this loop's own.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io;
use std::ops::Range;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use corio::multi_loop::channel::Receiver;
use corio::net::TcpListener;
use corio::streams::{Server, StreamReader, StreamWriter};
use corio::sync::Event;
use futures::future::{select, Either};
use futures::io::AsyncBufReadExt;

use crate::commands::{self, Args, Outcome, PubSub};
use crate::db::Db;
use crate::keyspace::Keyspace;
use crate::loops::{LoopLink, Published};
use crate::pubsub::Hub;
use crate::resp::{self, Parsed};

/// What every connection of this loop shares: one thread, so `Rc` and
/// `RefCell` (the keyspace is shared further when there are several loops).
#[derive(Default)]
struct Shared {
    db: Keyspace,
    /// This loop's subscribers.
    hub: RefCell<Hub>,
    /// On several loops: the way to the others.
    link: Option<LoopLink>,
    /// Set when a key got a deadline earlier than the timer task's.
    earlier_deadline: Event,
    /// Open connections' writers, for the graceful stop.
    clients: RefCell<HashMap<u64, Rc<StreamWriter>>>,
    next_connection: Cell<u64>,
}

/// A running Redis server.
pub struct RedisServer {
    server: Server,
    shared: Rc<Shared>,
    expiry: corio::Task<()>,
    /// On several loops: the task that delivers other loops' messages here.
    relay: Option<corio::Task<()>>,
}

impl RedisServer {
    /// Listens on `host:port` (0: the OS picks) and serves until shut down.
    pub async fn start(host: &str, port: u16) -> io::Result<RedisServer> {
        let shared = Rc::new(Shared::default());
        let expiry = corio::spawn(expire_keys(shared.clone()));
        let server = corio::start_server(
            {
                let shared = shared.clone();
                move |reader, writer| serve_client(reader, writer, shared.clone())
            },
            host,
            port,
        )
        .await?;
        Ok(RedisServer {
            server,
            shared,
            expiry,
            relay: None,
        })
    }

    /// One loop's share of a server on several loops (`loops.rs`): serves
    /// `listener` (this loop's `SO_REUSEPORT` socket) with the keyspace and
    /// channels of every loop, and delivers the messages that other loops
    /// publish (they arrive in `inbox`) to this loop's subscribers.
    pub fn start_on_loop(
        listener: TcpListener,
        link: LoopLink,
        inbox: Receiver<Arc<Published>>,
    ) -> io::Result<RedisServer> {
        let shared = Rc::new(Shared {
            db: link.keyspace(),
            link: Some(link),
            ..Shared::default()
        });
        let expiry = corio::spawn(expire_keys(shared.clone()));
        let relay = corio::spawn(relay_published(shared.clone(), inbox));
        let server = corio::streams::start_server_on(
            {
                let shared = shared.clone();
                move |reader, writer| serve_client(reader, writer, shared.clone())
            },
            listener,
        )?;
        Ok(RedisServer {
            server,
            shared,
            expiry,
            relay: Some(relay),
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.server.sockets()[0].port()
    }

    /// How many clients are connected.
    pub fn connections(&self) -> usize {
        self.server.active_connections()
    }

    /// The graceful stop: no new connections; every client's writer is
    /// closed (what is queued for it still goes out, then EOF); clients get
    /// `grace` to leave. Returns how many were still connected after it.
    pub async fn shut_down(&self, grace: Duration) -> usize {
        self.server.close();
        let writers: Vec<_> = self.shared.clients.borrow().values().cloned().collect();
        for writer in writers {
            writer.close();
        }
        let left_in_time = corio::time::timeout(grace, self.server.wait_closed())
            .await
            .is_ok();
        self.expiry.cancel();
        if let Some(relay) = &self.relay {
            relay.cancel();
        }
        if left_in_time {
            0
        } else {
            self.server.active_connections()
        }
    }
}

/// Removes expired keys: sleeps until the earliest deadline (or until a
/// command sets an earlier one), then sweeps. On several loops each loop
/// has one: the loop whose connection set the earlier deadline wakes its
/// own, and a sweep by either removes the key for all.
async fn expire_keys(shared: Rc<Shared>) {
    loop {
        let next = shared.db.lock().next_deadline();
        match next {
            Some(at) => {
                let _ = corio::time::timeout_at(at, shared.earlier_deadline.wait()).await;
            }
            None => shared.earlier_deadline.wait().await,
        }
        shared.earlier_deadline.clear();
        shared.db.lock().remove_expired(corio::time::now());
    }
}

/// On several loops: hands each message published on another loop to this
/// loop's subscribers of its channel, in the order that loop sent them.
async fn relay_published(shared: Rc<Shared>, inbox: Receiver<Arc<Published>>) {
    while let Some(published) = inbox.recv().await {
        let mut hub = shared.hub.borrow_mut();
        let before = hub.subscribers(&published.channel);
        if hub.deliver(&published.channel, &published.frame) < before {
            // Slow subscribers were dropped: the other loops count fewer.
            if let Some(link) = &shared.link {
                link.count_subscribers(&published.channel, hub.subscribers(&published.channel));
            }
        }
    }
}

/// One connection's state besides its reader and writer.
struct Connection {
    id: u64,
    writer: Rc<StreamWriter>,
    shared: Rc<Shared>,
    /// Replies waiting to be written (reused).
    out: Vec<u8>,
    /// The channels this connection subscribed to.
    channels: Vec<Box<[u8]>>,
}

/// How a batch of commands ended.
enum BatchEnd {
    /// Every complete command ran; the first `consumed` bytes are done with.
    NeedMore { consumed: usize },
    /// `QUIT` or a protocol error: send the replies, then close.
    Close,
}

/// The connection loop (steps 1–4 of the module docs).
async fn serve_client(mut reader: StreamReader, writer: StreamWriter, shared: Rc<Shared>) {
    let id = shared.next_connection.get();
    shared.next_connection.set(id + 1);
    if let Some(link) = &shared.link {
        link.count_connection();
    }
    let writer = Rc::new(writer);
    shared.clients.borrow_mut().insert(id, writer.clone());
    let mut conn = Connection {
        id,
        writer: writer.clone(),
        shared: shared.clone(),
        out: Vec::new(),
        channels: Vec::new(),
    };
    // The tail of a command that was cut off by the end of a read.
    let mut partial: Vec<u8> = Vec::new();
    // Argument ranges of the command being run, reused for every command.
    let mut args = Vec::new();
    loop {
        let read = if conn.channels.is_empty() {
            reader.fill_buf().await
        } else {
            // A subscriber may be dropped by a publisher (its backlog is
            // full) while this task waits to read: watch for that too.
            match select(pin!(reader.fill_buf()), pin!(writer.wait_closed())).await {
                Either::Left((read, _)) => read,
                Either::Right(_) => break,
            }
        };
        let Ok(bytes) = read else { break };
        if bytes.is_empty() {
            // EOF. A command cut off here is dropped: the client left.
            break;
        }
        let arrived = bytes.len();
        let end = if partial.is_empty() {
            let end = conn.run_batch(bytes, &mut args);
            if let BatchEnd::NeedMore { consumed } = end {
                partial.extend_from_slice(&bytes[consumed..]);
            }
            end
        } else {
            partial.extend_from_slice(bytes);
            let end = conn.run_batch(&partial, &mut args);
            if let BatchEnd::NeedMore { consumed } = end {
                partial.drain(..consumed);
            }
            end
        };
        reader.consume_unpin(arrived);
        let sent = writer.write(&conn.out);
        conn.out.clear();
        // A huge command or reply once must not pin its memory for the
        // life of the connection.
        shrink_if_idle(&mut partial);
        shrink_if_idle(&mut conn.out);
        if matches!(end, BatchEnd::Close) || sent.is_err() || writer.drain().await.is_err() {
            break;
        }
    }
    conn.leave();
    writer.close();
}

impl Connection {
    /// Runs every complete command at the front of `buf`.
    fn run_batch(&mut self, buf: &[u8], ranges: &mut Vec<Range<usize>>) -> BatchEnd {
        let now = corio::time::now();
        let shared = self.shared.clone();
        // Taken for the whole batch: one borrow (one lock, on several
        // loops) for all its commands — except while a pub/sub command
        // writes to subscribers' sockets, which touches no key.
        let mut keyspace = Some(shared.db.lock());
        let mut at = 0;
        let end = loop {
            let len = match resp::parse_command(&buf[at..], ranges) {
                Ok(Parsed::Command { len }) => len,
                Ok(Parsed::Incomplete) => break BatchEnd::NeedMore { consumed: at },
                Err(e) => {
                    resp::error(&mut self.out, &format!("ERR Protocol error: {}", e.0));
                    break BatchEnd::Close;
                }
            };
            let args = Args {
                buf: &buf[at..],
                ranges,
            };
            at += len;
            if args.len() == 0 {
                continue; // an empty inline line
            }
            if !self.channels.is_empty() && !allowed_while_subscribed(args.get(0)) {
                let name = String::from_utf8_lossy(args.get(0)).to_lowercase();
                resp::error(
                    &mut self.out,
                    &format!(
                        "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE \
                         / PING / QUIT / RESET are allowed in this context"
                    ),
                );
                continue;
            }
            if !self.channels.is_empty() && args.get(0).eq_ignore_ascii_case(b"PING") {
                // In subscribed mode PING answers as a message would.
                resp::array_header(&mut self.out, 2);
                resp::bulk(&mut self.out, b"pong");
                resp::bulk(
                    &mut self.out,
                    if args.len() > 1 { args.get(1) } else { b"" },
                );
                continue;
            }
            let db: &mut Db = keyspace.get_or_insert_with(|| shared.db.lock());
            let outcome = commands::execute(args, db, now, &mut self.out);
            if db.take_earlier_deadline() {
                shared.earlier_deadline.set();
            }
            match outcome {
                Outcome::Replied => {}
                Outcome::Quit => break BatchEnd::Close,
                Outcome::PubSub(which) => {
                    keyspace = None;
                    self.pubsub(which, args);
                }
            }
        };
        end
    }

    /// `PUBLISH`, `SUBSCRIBE`, `UNSUBSCRIBE`, with Redis's replies: one
    /// `[kind, channel, count]` array per channel (un)subscribed.
    fn pubsub(&mut self, which: PubSub, args: Args<'_>) {
        let shared = self.shared.clone();
        let mut hub = shared.hub.borrow_mut();
        match which {
            PubSub::Publish => {
                let received = match &shared.link {
                    None => hub.publish(args.get(1), args.get(2)),
                    Some(link) => link.publish(&mut hub, args.get(1), args.get(2)),
                };
                resp::integer(&mut self.out, received as i64);
            }
            PubSub::Subscribe => {
                for channel in args.rest(1) {
                    if !self.channels.iter().any(|c| **c == *channel) {
                        hub.subscribe(channel, self.id, &self.writer);
                        self.channels.push(channel.into());
                        if let Some(link) = &shared.link {
                            link.count_subscribers(channel, hub.subscribers(channel));
                        }
                    }
                    self.confirm(b"subscribe", Some(channel));
                }
            }
            PubSub::Unsubscribe => {
                let channels: Vec<Box<[u8]>> = if args.len() == 1 {
                    self.channels.clone()
                } else {
                    args.rest(1).map(Into::into).collect()
                };
                if channels.is_empty() {
                    self.confirm(b"unsubscribe", None);
                }
                for channel in channels {
                    hub.unsubscribe(&channel, self.id);
                    if let Some(link) = &shared.link {
                        link.count_subscribers(&channel, hub.subscribers(&channel));
                    }
                    self.channels.retain(|c| *c != channel);
                    self.confirm(b"unsubscribe", Some(&channel));
                }
            }
        }
    }

    fn confirm(&mut self, kind: &[u8], channel: Option<&[u8]>) {
        resp::array_header(&mut self.out, 3);
        resp::bulk(&mut self.out, kind);
        match channel {
            Some(channel) => resp::bulk(&mut self.out, channel),
            None => resp::nil(&mut self.out),
        }
        resp::integer(&mut self.out, self.channels.len() as i64);
    }

    /// Forgets this connection: its subscriptions and its writer.
    fn leave(&mut self) {
        let mut hub = self.shared.hub.borrow_mut();
        for channel in self.channels.drain(..) {
            hub.unsubscribe(&channel, self.id);
            if let Some(link) = &self.shared.link {
                link.count_subscribers(&channel, hub.subscribers(&channel));
            }
        }
        self.shared.clients.borrow_mut().remove(&self.id);
    }
}

/// Frees an empty buffer's allocation when it is over 64 KiB.
fn shrink_if_idle(buf: &mut Vec<u8>) {
    if buf.is_empty() && buf.capacity() > 64 * 1024 {
        *buf = Vec::new();
    }
}

/// The commands a subscribed connection may send.
fn allowed_while_subscribed(name: &[u8]) -> bool {
    ["SUBSCRIBE", "UNSUBSCRIBE", "PING", "QUIT"]
        .iter()
        .any(|allowed| name.eq_ignore_ascii_case(allowed.as_bytes()))
}
