//! The `mio-raw` floor of the echo workloads: one thread, one `mio::Poll`, a
//! state machine per socket and no tasks at all — what the readiness model
//! costs with nothing on top. tcp_echo runs it once for its 50 clients;
//! tcp_echo_2t and imbalanced_2t run it on two threads, each with its own
//! listener and its half of the clients (the shape of corio's `local`
//! layout), so the two-thread floor sits in the table beside tokio-mt.
//!
//! The connections are made with blocking `connect` (the kernel completes
//! the handshake into the listen backlog) and accepted after, all inside the
//! timed run; then every socket is non-blocking and registered
//! edge-triggered. Every client checks each echo against what it sent.

use std::io::{ErrorKind, Read, Write};

use super::net::MSG;

/// The echo side's read buffer (the same for every runtime).
const BUF: usize = 1024;

/// What a workload's client `c` sends in round `r`.
pub type Message = fn(usize, usize) -> [u8; MSG];
/// The server's work on each chunk it reads, before echoing it; the option
/// is per-connection state (imbalanced_2t's "is this the heavy one").
pub type Serve = fn(&mut Option<bool>, &[u8]);

/// No server work beyond the echo.
pub fn echo_only(_: &mut Option<bool>, _: &[u8]) {}

/// A client socket's state: writing `out`, then reading the echo into `back`.
struct Client {
    id: usize,
    message: Message,
    rounds: usize,
    stream: Option<mio::net::TcpStream>,
    round: usize,
    out: [u8; MSG],
    back: [u8; MSG],
    written: usize,
    read: usize,
}

impl Client {
    /// Makes progress until the socket would block; true when this call
    /// finished the client's last round (its socket is then closed).
    fn drive(&mut self) -> bool {
        let Some(s) = self.stream.as_mut() else {
            return false;
        };
        loop {
            if self.written < MSG {
                match s.write(&self.out[self.written..]) {
                    Ok(n) => self.written += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => panic!("client write: {e}"),
                }
                continue;
            }
            match s.read(&mut self.back[self.read..]) {
                Ok(0) => panic!("the server closed early"),
                Ok(n) => self.read += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("client read: {e}"),
            }
            if self.read == MSG {
                assert_eq!(self.out, self.back);
                self.round += 1;
                if self.round == self.rounds {
                    self.stream = None;
                    return true;
                }
                self.out = (self.message)(self.id, self.round);
                self.written = 0;
                self.read = 0;
            }
        }
    }
}

/// A server socket's state: echoing `buf[start..end]`, else reading.
struct Echo {
    stream: Option<mio::net::TcpStream>,
    serve: Serve,
    state: Option<bool>,
    buf: [u8; BUF],
    start: usize,
    end: usize,
    bytes: usize,
}

impl Echo {
    /// Makes progress until the socket would block; `Some(bytes echoed)`
    /// when this call read the client's EOF (the socket is then closed).
    fn drive(&mut self) -> Option<usize> {
        let s = self.stream.as_mut()?;
        loop {
            if self.start < self.end {
                match s.write(&self.buf[self.start..self.end]) {
                    Ok(n) => self.start += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return None,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => panic!("echo write: {e}"),
                }
                continue;
            }
            match s.read(&mut self.buf) {
                Ok(0) => {
                    self.stream = None;
                    return Some(self.bytes);
                }
                Ok(n) => {
                    (self.serve)(&mut self.state, &self.buf[..n]);
                    (self.start, self.end) = (0, n);
                    self.bytes += n;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return None,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("echo read: {e}"),
            }
        }
    }
}

/// Runs clients `ids` (each `rounds` round trips) against a listener of
/// their own on this thread; returns (round trips done, bytes echoed).
pub fn run(ids: &[usize], rounds: usize, message: Message, serve: Serve) -> (usize, usize) {
    use mio::{Events, Interest, Poll, Token};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let nonblocking = |s: std::net::TcpStream| {
        s.set_nodelay(true).unwrap();
        s.set_nonblocking(true).unwrap();
        mio::net::TcpStream::from_std(s)
    };
    let mut clients: Vec<Client> = ids
        .iter()
        .map(|&id| Client {
            id,
            message,
            rounds,
            stream: Some(nonblocking(std::net::TcpStream::connect(addr).unwrap())),
            round: 0,
            out: message(id, 0),
            back: [0; MSG],
            written: 0,
            read: 0,
        })
        .collect();
    let mut echoes: Vec<Echo> = ids
        .iter()
        .map(|_| Echo {
            stream: Some(nonblocking(listener.accept().unwrap().0)),
            serve,
            state: None,
            buf: [0; BUF],
            start: 0,
            end: 0,
            bytes: 0,
        })
        .collect();

    // Tokens: clients 0..n, echoes n..2n.
    let n = ids.len();
    let mut poll = Poll::new().unwrap();
    let both = Interest::READABLE | Interest::WRITABLE;
    for (i, c) in clients.iter_mut().enumerate() {
        let s = c.stream.as_mut().unwrap();
        poll.registry().register(s, Token(i), both).unwrap();
    }
    for (i, e) in echoes.iter_mut().enumerate() {
        let s = e.stream.as_mut().unwrap();
        poll.registry().register(s, Token(n + i), both).unwrap();
    }

    let (mut clients_done, mut echoes_done, mut bytes) = (0, 0, 0);
    for c in &mut clients {
        clients_done += c.drive() as usize;
    }
    let mut events = Events::with_capacity(1024);
    while clients_done < n || echoes_done < n {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => panic!("poll: {e}"),
        }
        for ev in events.iter() {
            let t = ev.token().0;
            if t < n {
                clients_done += clients[t].drive() as usize;
            } else if let Some(b) = echoes[t - n].drive() {
                echoes_done += 1;
                bytes += b;
            }
        }
    }
    let trips = clients.iter().map(|c| c.round).sum();
    (trips, bytes)
}
