//! tcp_echo: a listener on 127.0.0.1:0 and 50 client tasks in the same
//! process; each client does 2,000 round trips of 64 bytes with TCP_NODELAY
//! (on both ends); the server spawns one echo task per connection.
//!
//! Every client checks each echo against what it sent (the bytes differ per
//! client and round), every echo task counts the bytes it echoed, and the
//! totals are asserted. `mio-raw` is the floor: one thread, one `mio::Poll`,
//! a state machine per socket and no tasks at all.

use std::io::{ErrorKind, Read, Write};

use super::runtimes::{corio, smol, tokio_ct, tokio_mt};
use super::{Rt, Workload};

pub const CLIENTS: usize = 50;
pub const ROUNDS: usize = 2_000;
pub const MSG: usize = 64;
/// The echo tasks' read buffer (the same for every runtime).
const BUF: usize = 1024;

const TRIPS: usize = CLIENTS * ROUNDS;
const BYTES: usize = TRIPS * MSG;

type Ex = &'static smol::LocalExecutor<'static>;

/// What client `c` sends in round `r`: different for every client and round.
pub fn message(c: usize, r: usize) -> [u8; MSG] {
    let mut m = [0; MSG];
    for (i, b) in m.iter_mut().enumerate() {
        *b = (c * 31 + r * 7 + i) as u8;
    }
    m
}

/// (round trips done, bytes echoed), checked by every member.
fn check((trips, bytes): (usize, usize)) {
    assert_eq!(trips, TRIPS, "round trips");
    assert_eq!(bytes, BYTES, "bytes echoed");
}

// ----- corio -----

async fn tcp_echo_corio() -> (usize, usize) {
    let listener = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = corio::spawn(async move {
        let mut echoes = Vec::with_capacity(CLIENTS);
        for _ in 0..CLIENTS {
            let (s, _) = listener.accept().await.unwrap();
            s.set_nodelay(true).unwrap();
            echoes.push(corio::spawn(async move {
                let mut buf = [0; BUF];
                let mut bytes = 0;
                loop {
                    let n = s.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break bytes;
                    }
                    s.write_all(&buf[..n]).await.unwrap();
                    bytes += n;
                }
            }));
        }
        let mut bytes = 0;
        for e in echoes {
            bytes += e.await.unwrap();
        }
        bytes
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            corio::spawn(async move {
                let s = corio::net::TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                let mut back = [0; MSG];
                for r in 0..ROUNDS {
                    let out = message(c, r);
                    s.write_all(&out).await.unwrap();
                    s.read_exact(&mut back).await.unwrap();
                    assert_eq!(out, back);
                }
                ROUNDS
            })
        })
        .collect();
    let mut trips = 0;
    for c in clients {
        trips += c.await.unwrap();
    }
    (trips, server.await.unwrap())
}

// ----- tokio -----

async fn tcp_echo_tokio() -> (usize, usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut echoes = Vec::with_capacity(CLIENTS);
        for _ in 0..CLIENTS {
            let (mut s, _) = listener.accept().await.unwrap();
            s.set_nodelay(true).unwrap();
            echoes.push(tokio::spawn(async move {
                let mut buf = [0; BUF];
                let mut bytes = 0;
                loop {
                    let n = s.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break bytes;
                    }
                    s.write_all(&buf[..n]).await.unwrap();
                    bytes += n;
                }
            }));
        }
        let mut bytes = 0;
        for e in echoes {
            bytes += e.await.unwrap();
        }
        bytes
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            tokio::spawn(async move {
                let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                let mut back = [0; MSG];
                for r in 0..ROUNDS {
                    let out = message(c, r);
                    s.write_all(&out).await.unwrap();
                    s.read_exact(&mut back).await.unwrap();
                    assert_eq!(out, back);
                }
                ROUNDS
            })
        })
        .collect();
    let mut trips = 0;
    for c in clients {
        trips += c.await.unwrap();
    }
    (trips, server.await.unwrap())
}

// ----- smol -----

async fn tcp_echo_smol(ex: Ex) -> (usize, usize) {
    use smol::io::{AsyncReadExt, AsyncWriteExt};
    let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = ex.spawn(async move {
        let mut echoes = Vec::with_capacity(CLIENTS);
        for _ in 0..CLIENTS {
            let (mut s, _) = listener.accept().await.unwrap();
            s.set_nodelay(true).unwrap();
            echoes.push(ex.spawn(async move {
                let mut buf = [0; BUF];
                let mut bytes = 0;
                loop {
                    let n = s.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break bytes;
                    }
                    s.write_all(&buf[..n]).await.unwrap();
                    bytes += n;
                }
            }));
        }
        let mut bytes = 0;
        for e in echoes {
            bytes += e.await;
        }
        bytes
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            ex.spawn(async move {
                let mut s = smol::net::TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                let mut back = [0; MSG];
                for r in 0..ROUNDS {
                    let out = message(c, r);
                    s.write_all(&out).await.unwrap();
                    s.read_exact(&mut back).await.unwrap();
                    assert_eq!(out, back);
                }
                ROUNDS
            })
        })
        .collect();
    let mut trips = 0;
    for c in clients {
        trips += c.await;
    }
    (trips, server.await)
}

// ----- mio-raw: no tasks, no runtime -----

/// A client socket's state: writing `out`, then reading the echo into `back`.
struct Client {
    id: usize,
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
                if self.round == ROUNDS {
                    self.stream = None;
                    return true;
                }
                self.out = message(self.id, self.round);
                self.written = 0;
                self.read = 0;
            }
        }
    }
}

/// A server socket's state: echoing `buf[start..end]`, else reading.
struct Echo {
    stream: Option<mio::net::TcpStream>,
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

/// The floor. The 50 connections are made with blocking `connect` (the
/// kernel completes the handshake into the listen backlog) and accepted
/// after, all inside the timed run, then every socket is non-blocking and
/// registered edge-triggered with one `mio::Poll`.
fn tcp_echo_mio() -> (usize, usize) {
    use mio::{Events, Interest, Poll, Token};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let nonblocking = |s: std::net::TcpStream| {
        s.set_nodelay(true).unwrap();
        s.set_nonblocking(true).unwrap();
        mio::net::TcpStream::from_std(s)
    };
    let mut clients: Vec<Client> = (0..CLIENTS)
        .map(|id| Client {
            id,
            stream: Some(nonblocking(std::net::TcpStream::connect(addr).unwrap())),
            round: 0,
            out: message(id, 0),
            back: [0; MSG],
            written: 0,
            read: 0,
        })
        .collect();
    let mut echoes: Vec<Echo> = (0..CLIENTS)
        .map(|_| Echo {
            stream: Some(nonblocking(listener.accept().unwrap().0)),
            buf: [0; BUF],
            start: 0,
            end: 0,
            bytes: 0,
        })
        .collect();

    // Tokens: clients 0..CLIENTS, echoes CLIENTS..2 * CLIENTS.
    let mut poll = Poll::new().unwrap();
    let both = Interest::READABLE | Interest::WRITABLE;
    for (i, c) in clients.iter_mut().enumerate() {
        let s = c.stream.as_mut().unwrap();
        poll.registry().register(s, Token(i), both).unwrap();
    }
    for (i, e) in echoes.iter_mut().enumerate() {
        let s = e.stream.as_mut().unwrap();
        poll.registry()
            .register(s, Token(CLIENTS + i), both)
            .unwrap();
    }

    let (mut clients_done, mut echoes_done, mut bytes) = (0, 0, 0);
    for c in &mut clients {
        clients_done += c.drive() as usize;
    }
    let mut events = Events::with_capacity(1024);
    while clients_done < CLIENTS || echoes_done < CLIENTS {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => panic!("poll: {e}"),
        }
        for ev in events.iter() {
            let t = ev.token().0;
            if t < CLIENTS {
                clients_done += clients[t].drive() as usize;
            } else if let Some(b) = echoes[t - CLIENTS].drive() {
                echoes_done += 1;
                bytes += b;
            }
        }
    }
    let trips = clients.iter().map(|c| c.round).sum();
    (trips, bytes)
}

pub fn tcp_echo() -> Workload {
    Workload::new(
        "tcp_echo",
        "50 clients × 2,000 round trips of 64 bytes to an in-process echo server over 127.0.0.1, TCP_NODELAY",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        Box::new(move || check(rt.block_on(tcp_echo_corio())))
    })
    .member(Rt::TokioCt, || {
        let rt = tokio_ct();
        Box::new(move || check(rt.block_on(tcp_echo_tokio())))
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        Box::new(move || check(rt.block_on(tcp_echo_tokio())))
    })
    .member(Rt::Smol, || {
        let rt = smol();
        Box::new(move || check(rt.block_on(tcp_echo_smol(rt.0))))
    })
    .member(Rt::MioRaw, || Box::new(|| check(tcp_echo_mio())))
}
