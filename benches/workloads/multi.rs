//! Two threads each: corio's multi-loop runtime (2 loops, thread-per-core)
//! against tokio's multi-thread runtime (2 workers, work stealing) and smol's
//! `Executor` run by 2 threads.
//!
//! - tcp_echo_2t: tcp_echo's 50 clients × 2,000 round trips of 64 bytes.
//!   corio's clients are spread over the loops (client c on loop c % 2); the
//!   server is either a `SO_REUSEPORT` listener on each loop (the kernel
//!   spreads the connections) or one acceptor on loop 0 handing each
//!   connection to the least-loaded loop, or (`local`) a listener per loop
//!   that only that loop's clients connect to, so that both ends of a
//!   connection share a loop. tokio and smol spawn everything on their one
//!   shared pool. The table shows corio's best variant; `results.md` lists
//!   every one. `mio-raw` is the two-thread floor: two threads, each a
//!   hand-written mio loop (`mio_echo.rs`) with its own listener and its
//!   half of the clients — `local`'s shape with no runtime at all. Its two
//!   threads are spawned inside the timed run (about 0.1 ms of ~550).
//! - ping_pong_2t: ping_pong's 1,000 pairs; corio puts both tasks of a pair
//!   on one loop and the pairs alternate between loops.
//! - imbalanced_2t: tcp_echo_2t where client 0's connection is heavy: the
//!   server spends about 0.5 ms of CPU on each of its messages. A loop that
//!   holds the heavy connection serves its light ones late while the other
//!   loop idles; a work-stealing pool moves the light ones away. This is the
//!   workload thread-per-core is expected to lose.
//!
//! Every run asserts its round trips and echoed bytes (or ping_pong's sums).

use std::hint::black_box;
use std::net::SocketAddr;

use super::mio_echo;
use super::net::{message, CLIENTS, MSG, ROUNDS};
use super::runtimes::{corio_loops, smol_mt, tokio_mt};
use super::scheduler::{pair, ping, ping_pong_tokio, pong, PAIRS, PING_SUM, PONG_TOTAL};
use super::{Rt, Run, Workload};

/// The echo tasks' read buffer, as tcp_echo's.
const BUF: usize = 1024;
/// Rounds of the heavy connection's busy work per 64 bytes it sends.
const HEAVY_SPINS: u64 = 200_000;

const TRIPS: usize = CLIENTS * ROUNDS;
const BYTES: usize = TRIPS * MSG;

fn check((trips, bytes): (usize, usize)) {
    assert_eq!(trips, TRIPS, "round trips");
    assert_eq!(bytes, BYTES, "bytes echoed");
}

/// What client `c` sends in round `r`; byte 0 says whether it is heavy.
fn request(c: usize, r: usize, heavy: bool) -> [u8; MSG] {
    let mut m = message(c, r);
    m[0] = heavy as u8;
    m
}

/// The heavy connection's CPU work for `n` bytes received.
fn burn(n: usize) {
    let mut x = black_box(n as u64);
    for _ in 0..HEAVY_SPINS * n as u64 / MSG as u64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
    }
    black_box(x);
}

/// Per connection: is it the heavy one (decided by its first byte)?
fn serve_chunk(heavy: &mut Option<bool>, chunk: &[u8]) {
    if *heavy.get_or_insert(chunk[0] == 1) {
        burn(chunk.len());
    }
}

// ----- corio: 2 loops -----

async fn echo_corio(s: corio::net::TcpStream) -> usize {
    let mut buf = [0; BUF];
    let (mut bytes, mut heavy) = (0, None);
    loop {
        let n = s.read(&mut buf).await.unwrap();
        if n == 0 {
            break bytes;
        }
        serve_chunk(&mut heavy, &buf[..n]);
        s.write_all(&buf[..n]).await.unwrap();
        bytes += n;
    }
}

async fn client_corio(addr: SocketAddr, c: usize, heavy: bool) -> usize {
    let s = corio::net::TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    let mut back = [0; MSG];
    for r in 0..ROUNDS {
        let out = request(c, r, heavy);
        s.write_all(&out).await.unwrap();
        s.read_exact(&mut back).await.unwrap();
        assert_eq!(out, back);
    }
    ROUNDS
}

/// Client c on loop c % loops; client 0 is heavy when `heavy`.
fn clients_corio(
    rt: &corio::multi_loop::Runtime,
    addr: SocketAddr,
    heavy: bool,
) -> Vec<corio::RemoteTask<usize>> {
    (0..CLIENTS)
        .map(|c| {
            rt.spawn_on(c % rt.loops(), move || {
                client_corio(addr, c, heavy && c == 0)
            })
        })
        .collect()
}

/// Each loop accepts its share of the connections on its own listener.
fn echo_reuseport(rt: &corio::multi_loop::Runtime, heavy: bool) -> (usize, usize) {
    let first = corio::net::bind_reuseport_std("127.0.0.1:0").unwrap();
    let addr = first.local_addr().unwrap();
    let mut listeners = vec![first];
    for _ in 1..rt.loops() {
        listeners.push(corio::net::bind_reuseport_std(addr).unwrap());
    }
    let (tx, rx) = corio::multi_loop::channel();
    let servers: Vec<_> = listeners
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let tx = tx.clone();
            rt.spawn_on(i, move || async move {
                let listener = corio::net::TcpListener::from_std(l).unwrap();
                loop {
                    let (s, _) = listener.accept().await.unwrap();
                    s.set_nodelay(true).unwrap();
                    let tx = tx.clone();
                    corio::spawn(async move { tx.send(echo_corio(s).await).unwrap() });
                }
            })
        })
        .collect();
    drop(tx);
    let trips = clients_corio(rt, addr, heavy)
        .into_iter()
        .map(|c| c.wait().unwrap())
        .sum();
    let bytes = rt.block_on(async move {
        let mut bytes = 0;
        for _ in 0..CLIENTS {
            bytes += rx.recv().await.unwrap();
        }
        bytes
    });
    for s in &servers {
        s.cancel();
    }
    for s in servers {
        assert!(s.wait().unwrap_err().is_cancelled());
    }
    (trips, bytes)
}

/// Loop 0 accepts every connection and hands each to the least-loaded loop.
fn echo_acceptor(rt: &corio::multi_loop::Runtime, heavy: bool) -> (usize, usize) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let handle = rt.handle().clone();
    let server = rt.spawn_on(0, move || async move {
        let listener = corio::net::TcpListener::from_std(l).unwrap();
        let mut echoes = Vec::with_capacity(CLIENTS);
        for _ in 0..CLIENTS {
            let (s, _) = listener.accept().await.unwrap();
            s.set_nodelay(true).unwrap();
            echoes.push(handle.spawn_connection(s.into_std().unwrap(), echo_corio));
        }
        let mut bytes = 0;
        for e in echoes {
            bytes += e.await.unwrap().unwrap();
        }
        bytes
    });
    let trips = clients_corio(rt, addr, heavy)
        .into_iter()
        .map(|c| c.wait().unwrap())
        .sum();
    (trips, server.wait().unwrap())
}

/// Each loop runs its own listener and its own clients: a connection's two
/// ends share a loop, so no round trip crosses a thread (what `SO_REUSEPORT`
/// gives when the connections' source is steered to the loop, e.g. by CPU).
fn echo_local(rt: &corio::multi_loop::Runtime, heavy: bool) -> (usize, usize) {
    let loops = rt.loops();
    let per_loop: Vec<_> = (0..loops)
        .map(|l| {
            rt.spawn_on(l, move || async move {
                let listener = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                let mine: Vec<usize> = (l..CLIENTS).step_by(loops).collect();
                let accepts = mine.len();
                let server = corio::spawn(async move {
                    let mut echoes = Vec::with_capacity(accepts);
                    for _ in 0..accepts {
                        let (s, _) = listener.accept().await.unwrap();
                        s.set_nodelay(true).unwrap();
                        echoes.push(corio::spawn(echo_corio(s)));
                    }
                    let mut bytes = 0;
                    for e in echoes {
                        bytes += e.await.unwrap();
                    }
                    bytes
                });
                let clients: Vec<_> = mine
                    .into_iter()
                    .map(|c| corio::spawn(client_corio(addr, c, heavy && c == 0)))
                    .collect();
                let mut trips = 0;
                for c in clients {
                    trips += c.await.unwrap();
                }
                (trips, server.await.unwrap())
            })
        })
        .collect();
    per_loop
        .into_iter()
        .map(|t| t.wait().unwrap())
        .fold((0, 0), |(t, b), (t2, b2)| (t + t2, b + b2))
}

// ----- mio-raw on 2 threads: the floor -----

/// imbalanced_2t's messages: client 0 is the heavy one.
fn request_heavy(c: usize, r: usize) -> [u8; MSG] {
    request(c, r, c == 0)
}

/// tcp_echo_2t's messages: no heavy client.
fn request_light(c: usize, r: usize) -> [u8; MSG] {
    request(c, r, false)
}

/// Two threads, each a mio loop with its own listener and clients c with
/// c % 2 == its index (as corio's `local` layout).
fn echo_mio_2t(heavy: bool) -> (usize, usize) {
    let message: mio_echo::Message = if heavy { request_heavy } else { request_light };
    std::thread::scope(|scope| {
        let halves: Vec<_> = (0..2)
            .map(|t| {
                scope.spawn(move || {
                    let ids: Vec<usize> = (t..CLIENTS).step_by(2).collect();
                    mio_echo::run(&ids, ROUNDS, message, serve_chunk)
                })
            })
            .collect();
        halves
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold((0, 0), |(t, b), (t2, b2)| (t + t2, b + b2))
    })
}

// ----- tokio multi-thread -----

async fn echo_tokio(heavy: bool) -> (usize, usize) {
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
                let (mut bytes, mut heavy) = (0, None);
                loop {
                    let n = s.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break bytes;
                    }
                    serve_chunk(&mut heavy, &buf[..n]);
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
                    let out = request(c, r, heavy && c == 0);
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

// ----- smol, 2 executor threads -----

type Ex = &'static smol::Executor<'static>;

async fn echo_smol(ex: Ex, heavy: bool) -> (usize, usize) {
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
                let (mut bytes, mut heavy) = (0, None);
                loop {
                    let n = s.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break bytes;
                    }
                    serve_chunk(&mut heavy, &buf[..n]);
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
                    let out = request(c, r, heavy && c == 0);
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

fn echo_workload(name: &'static str, about: &'static str, heavy: bool) -> Workload {
    // A `fn` pointer per member: the heavy flag is chosen by two copies.
    fn members(w: Workload, heavy: bool) -> Workload {
        if heavy {
            w.variant(Rt::CorioLoops, "corio-loops reuseport", || {
                let rt = corio_loops();
                Box::new(move || check(echo_reuseport(&rt, true))) as Run
            })
            .variant(Rt::CorioLoops, "corio-loops acceptor", || {
                let rt = corio_loops();
                Box::new(move || check(echo_acceptor(&rt, true)))
            })
            .variant(Rt::CorioLoops, "corio-loops local", || {
                let rt = corio_loops();
                Box::new(move || check(echo_local(&rt, true)))
            })
            .member(Rt::TokioMt, || {
                let rt = tokio_mt();
                Box::new(move || check(rt.block_on(echo_tokio(true))))
            })
            .member(Rt::SmolMt, || {
                let rt = smol_mt();
                Box::new(move || check(rt.block_on(echo_smol(rt.ex, true))))
            })
            .member(Rt::MioRaw, || Box::new(|| check(echo_mio_2t(true))))
        } else {
            w.variant(Rt::CorioLoops, "corio-loops reuseport", || {
                let rt = corio_loops();
                Box::new(move || check(echo_reuseport(&rt, false))) as Run
            })
            .variant(Rt::CorioLoops, "corio-loops acceptor", || {
                let rt = corio_loops();
                Box::new(move || check(echo_acceptor(&rt, false)))
            })
            .variant(Rt::CorioLoops, "corio-loops local", || {
                let rt = corio_loops();
                Box::new(move || check(echo_local(&rt, false)))
            })
            .member(Rt::TokioMt, || {
                let rt = tokio_mt();
                Box::new(move || check(rt.block_on(echo_tokio(false))))
            })
            .member(Rt::SmolMt, || {
                let rt = smol_mt();
                Box::new(move || check(rt.block_on(echo_smol(rt.ex, false))))
            })
            .member(Rt::MioRaw, || Box::new(|| check(echo_mio_2t(false))))
        }
    }
    members(Workload::new(name, about), heavy)
}

pub fn tcp_echo_2t() -> Workload {
    echo_workload(
        "tcp_echo_2t",
        "tcp_echo on 2 threads: 50 clients × 2,000 round trips of 64 bytes; corio: 2 loops, clients alternate between them; a SO_REUSEPORT listener per loop, an acceptor handing connections out, or (local) a listener per loop for its own clients; mio-raw: 2 threads, each a hand-written mio loop with a listener for its half of the clients",
        false,
    )
}

pub fn imbalanced_2t() -> Workload {
    echo_workload(
        "imbalanced_2t",
        "tcp_echo_2t where client 0's connection is heavy (~0.5 ms of server CPU per message) and 49 are light: work stealing's case",
        true,
    )
}

// ----- ping_pong on 2 threads -----

/// corio: the pairs alternate between the loops; both tasks of a pair
/// share a loop.
fn ping_pong_loops(rt: &corio::multi_loop::Runtime) -> (usize, usize) {
    let loops = rt.loops();
    let per_loop: Vec<_> = (0..loops)
        .map(|l| {
            rt.spawn_on(l, move || async move {
                let mut pings = Vec::new();
                let mut pongs = Vec::new();
                for i in (l..PAIRS).step_by(loops) {
                    let ((a_tx, a_rx), (b_tx, b_rx)) = pair();
                    pongs.push(corio::spawn(pong(b_rx, b_tx)));
                    pings.push(corio::spawn(ping(i, a_tx, a_rx)));
                }
                let (mut sum, mut answers) = (0, 0);
                for p in pings {
                    sum += p.await.unwrap();
                }
                for p in pongs {
                    answers += p.await.unwrap();
                }
                (sum, answers)
            })
        })
        .collect();
    per_loop
        .into_iter()
        .map(|t| t.wait().unwrap())
        .fold((0, 0), |(s, a), (s2, a2)| (s + s2, a + a2))
}

async fn ping_pong_smol_mt(ex: Ex) -> (usize, usize) {
    let mut pings = Vec::with_capacity(PAIRS);
    let mut pongs = Vec::with_capacity(PAIRS);
    for i in 0..PAIRS {
        let ((a_tx, a_rx), (b_tx, b_rx)) = pair();
        pongs.push(ex.spawn(pong(b_rx, b_tx)));
        pings.push(ex.spawn(ping(i, a_tx, a_rx)));
    }
    let (mut sum, mut answers) = (0, 0);
    for p in pings {
        sum += p.await;
    }
    for p in pongs {
        answers += p.await;
    }
    (sum, answers)
}

pub fn ping_pong_2t() -> Workload {
    const WANT: (usize, usize) = (PING_SUM, PONG_TOTAL);
    Workload::new(
        "ping_pong_2t",
        "ping_pong on 2 threads: 1,000 pairs × 100 round trips; corio: 2 loops, each pair on one loop, pairs alternating",
    )
    .member(Rt::CorioLoops, || {
        let rt = corio_loops();
        Box::new(move || assert_eq!(ping_pong_loops(&rt), WANT)) as Run
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        Box::new(move || assert_eq!(rt.block_on(ping_pong_tokio()), WANT))
    })
    .member(Rt::SmolMt, || {
        let rt = smol_mt();
        Box::new(move || assert_eq!(rt.block_on(ping_pong_smol_mt(rt.ex)), WANT))
    })
}
