//! tcp_echo: a listener on 127.0.0.1:0 and 50 client tasks in the same
//! process; each client does 2,000 round trips of 64 bytes with TCP_NODELAY
//! (on both ends); the server spawns one echo task per connection.
//!
//! Every client checks each echo against what it sent (the bytes differ per
//! client and round), every echo task counts the bytes it echoed, and the
//! totals are asserted. `mio-raw` is the floor: one thread, one `mio::Poll`,
//! a state machine per socket and no tasks at all (`mio_echo.rs`).

use super::mio_echo;
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

/// The floor: `mio_echo` on this thread with all the clients.
fn tcp_echo_mio() -> (usize, usize) {
    let ids: Vec<usize> = (0..CLIENTS).collect();
    mio_echo::run(&ids, ROUNDS, message, mio_echo::echo_only)
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
