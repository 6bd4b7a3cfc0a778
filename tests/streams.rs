//! Integration tests for `corio::streams` and name resolution (issue 11,
//! parts 1, 2 and 6): the reader's buffer (separators split across reads,
//! the limit, EOF mid-line, cancellation), the writer's flow control
//! (backpressure against a peer that does not read, errors, use after
//! close), the server's graceful stop, and `lookup_host` / connecting to
//! several addresses.
//!
//! Bodies run under a generous deadline so that a lost wake-up fails
//! instead of hanging. Where a test needs bytes to arrive in pieces it uses
//! [`Pieces`], a scripted `AsyncRead` that returns one piece per poll with a
//! `Pending` in between — the order of events is then exact, not timing.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, ErrorKind, Read};
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::streams::{StreamError, StreamReader, StreamWriter};
use corio::time::timeout;
use futures::io::AsyncBufReadExt;
use futures::StreamExt;

const DEADLINE: Duration = Duration::from_secs(20);

fn block<F: Future>(body: F) -> F::Output {
    corio::run(async {
        match timeout(DEADLINE, body).await {
            Ok(value) => value,
            Err(_) => panic!("the test body did not finish within {DEADLINE:?}"),
        }
    })
}

/// A transport that returns its pieces one per poll, with a `Pending` (and
/// an immediate wake) before each: every piece is a separate read.
struct Pieces {
    pieces: VecDeque<Vec<u8>>,
    ready: bool,
    reads: Rc<std::cell::Cell<usize>>,
}

impl Pieces {
    fn new(pieces: &[&[u8]]) -> Pieces {
        Pieces {
            pieces: pieces.iter().map(|p| p.to_vec()).collect(),
            ready: false,
            reads: Rc::default(),
        }
    }
}

impl futures::io::AsyncRead for Pieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        self.reads.set(self.reads.get() + 1);
        let Some(mut piece) = self.pieces.pop_front() else {
            return Poll::Ready(Ok(0));
        };
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        if n < piece.len() {
            piece.drain(..n);
            self.pieces.push_front(piece);
        }
        Poll::Ready(Ok(n))
    }
}

fn closed_tcp_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// A connected pair: a stream pair on the client side, the accepted socket
/// on the other.
async fn connected_pair() -> ((StreamReader, StreamWriter), TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepting = corio::spawn(async move { listener.accept().await.unwrap().0 });
    let pair = corio::open_connection("127.0.0.1", port).await.unwrap();
    (pair, accepting.await.unwrap())
}

// ----- StreamReader -----

#[test]
fn readuntil_finds_a_separator_split_across_reads() {
    block(async {
        let mut reader = StreamReader::new(Pieces::new(&[b"head\r", b"\n\r", b"\nbody"]));
        assert_eq!(
            reader.readuntil(b"\r\n\r\n").await.unwrap(),
            b"head\r\n\r\n"
        );
        assert_eq!(reader.read_to_eof().await.unwrap(), b"body");
    });
}

#[test]
fn readline_joins_a_line_delivered_in_many_pieces() {
    block(async {
        let mut reader = StreamReader::new(Pieces::new(&[b"a", b"b", b"c\nd", b"e\n"]));
        assert_eq!(reader.readline().await.unwrap(), b"abc\n");
        assert_eq!(reader.readline().await.unwrap(), b"de\n");
        assert_eq!(reader.readline().await.unwrap(), b"");
        assert!(reader.at_eof());
    });
}

#[test]
fn readuntil_limit_overrun_keeps_the_bytes_buffered() {
    block(async {
        let mut data = vec![b'x'; 40];
        data.extend_from_slice(b"\nnext\n");
        let mut reader = StreamReader::with_limit(Pieces::new(&[&data[..20], &data[20..]]), 16);
        match reader.readuntil(b"\n").await {
            Err(StreamError::LimitOverrun(e)) => assert!(e.consumed > 16, "{e:?}"),
            other => panic!("expected a limit overrun, got {other:?}"),
        }
        // As asyncio: nothing was consumed; the caller can take the bytes.
        let mut taken = Vec::new();
        while taken.len() < 41 {
            taken.extend(reader.read(41 - taken.len()).await.unwrap());
        }
        assert_eq!(taken, &data[..41]);
        assert_eq!(reader.readuntil(b"\n").await.unwrap(), b"next\n");
    });
}

#[test]
fn readline_limit_overrun_drops_the_line_and_reads_on() {
    block(async {
        let mut reader = StreamReader::with_limit(&b"0123456789ABCDEF\nnext\n"[..], 8);
        assert!(matches!(
            reader.readline().await,
            Err(StreamError::LimitOverrun(_))
        ));
        assert_eq!(reader.readline().await.unwrap(), b"next\n");
    });
}

#[test]
fn limit_overrun_says_whether_the_overlong_lines_end_had_arrived() {
    block(async {
        // The end arrived: the whole line is gone and the next one is whole.
        let mut reader = StreamReader::with_limit(&b"0123456789ABCDEF\nnext\n"[..], 8);
        match reader.readline().await {
            Err(StreamError::LimitOverrun(e)) => assert!(e.separator_found),
            other => panic!("expected a limit overrun, got {other:?}"),
        }
        assert_eq!(reader.readline().await.unwrap(), b"next\n");
        // The end had not arrived: what follows is still the same line.
        let ((mut reader, _writer), peer) = connected_pair().await;
        peer.write_all(&[b'x'; 200_000]).await.unwrap();
        match reader.readline().await {
            Err(StreamError::LimitOverrun(e)) => assert!(!e.separator_found),
            other => panic!("expected a limit overrun, got {other:?}"),
        }
        peer.write_all(b"tail\nnext\n").await.unwrap();
        // Skipping to the end of the overlong line, as a line protocol does:
        // either an overrun that found the separator, or the line's tail.
        loop {
            match reader.readline().await {
                Err(StreamError::LimitOverrun(e)) if e.separator_found => break,
                Err(StreamError::LimitOverrun(_)) => {}
                Ok(tail) => {
                    assert!(tail.ends_with(b"tail\n"));
                    break;
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(reader.readline().await.unwrap(), b"next\n");
    });
}

#[test]
fn readline_limit_bounds_the_buffer_for_an_endless_line() {
    block(async {
        let ((mut reader, _writer), peer) = connected_pair().await;
        let sender = corio::spawn(async move {
            // 1 MiB without a newline; the reader must give up long before.
            let chunk = vec![b'z'; 64 * 1024];
            for _ in 0..16 {
                if peer.write_all(&chunk).await.is_err() {
                    break;
                }
            }
            peer
        });
        match reader.readline().await {
            Err(StreamError::LimitOverrun(e)) => assert!(e.consumed <= 2 * reader.limit()),
            other => panic!("expected a limit overrun, got {other:?}"),
        }
        let debug = format!("{reader:?}");
        let buffered: usize = debug
            .split("buffered: ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .and_then(|s| s.parse().ok())
            .expect("the Debug output shows the buffered count");
        assert!(buffered <= 2 * reader.limit(), "{debug}");
        drop(reader);
        let _ = sender.await;
    });
}

#[test]
fn readuntil_at_eof_mid_line_is_an_incomplete_read_with_the_partial_bytes() {
    block(async {
        let mut reader = StreamReader::new(Pieces::new(&[b"complete\nhalf a li", b"ne"]));
        assert_eq!(reader.readuntil(b"\n").await.unwrap(), b"complete\n");
        match reader.readuntil(b"\n").await {
            Err(StreamError::IncompleteRead(e)) => {
                assert_eq!(e.partial, b"half a line");
                assert_eq!(e.expected, None);
            }
            other => panic!("expected an incomplete read, got {other:?}"),
        }
        assert!(reader.at_eof());
    });
}

#[test]
fn readline_at_eof_mid_line_returns_the_partial_line() {
    block(async {
        let mut reader = StreamReader::new(Pieces::new(&[b"no newline"]));
        assert_eq!(reader.readline().await.unwrap(), b"no newline");
        assert_eq!(reader.readline().await.unwrap(), b"");
    });
}

#[test]
fn readexactly_at_eof_carries_partial_and_expected() {
    block(async {
        let mut reader = StreamReader::new(Pieces::new(&[b"abc", b"de"]));
        match reader.readexactly(8).await {
            Err(StreamError::IncompleteRead(e)) => {
                assert_eq!(e.partial, b"abcde");
                assert_eq!(e.expected, Some(8));
                let as_io: io::Error = StreamError::IncompleteRead(e).into();
                assert_eq!(as_io.kind(), ErrorKind::UnexpectedEof);
            }
            other => panic!("expected an incomplete read, got {other:?}"),
        }
    });
}

#[test]
fn readexactly_zero_is_empty_at_once_and_an_absurd_n_fails_at_eof() {
    block(async {
        let ((mut reader, _writer), peer) = connected_pair().await;
        // Nothing was sent: 0 bytes still return at once.
        assert_eq!(reader.readexactly(0).await.unwrap(), b"");
        assert_eq!(reader.read(0).await.unwrap(), b"");
        peer.write_all(b"abc").await.unwrap();
        drop(peer);
        match reader.readexactly(usize::MAX).await {
            Err(StreamError::IncompleteRead(e)) => {
                assert_eq!(e.partial, b"abc");
                assert_eq!(e.expected, Some(usize::MAX));
            }
            other => panic!("expected an incomplete read, got {other:?}"),
        }
    });
}

#[test]
fn readuntil_with_an_empty_separator_is_invalid_input() {
    block(async {
        let mut reader = StreamReader::new(&b"abc"[..]);
        match reader.readuntil(b"").await {
            Err(StreamError::Io(e)) => assert_eq!(e.kind(), ErrorKind::InvalidInput),
            other => panic!("{other:?}"),
        }
        assert_eq!(reader.read_to_eof().await.unwrap(), b"abc");
    });
}

#[test]
fn cancelled_readline_loses_no_byte() {
    block(async {
        let ((mut reader, _writer), peer) = connected_pair().await;
        peer.write_all(b"hel").await.unwrap();
        // The line is incomplete: readline times out, and is dropped.
        let first = timeout(Duration::from_millis(50), reader.readline()).await;
        assert!(first.is_err(), "no full line yet: {first:?}");
        peer.write_all(b"lo\nwor").await.unwrap();
        assert_eq!(reader.readline().await.unwrap(), b"hello\n");
        let second = timeout(Duration::from_millis(50), reader.readline()).await;
        assert!(second.is_err());
        peer.write_all(b"ld\n").await.unwrap();
        assert_eq!(reader.readline().await.unwrap(), b"world\n");
    });
}

#[test]
fn readline_cancelled_at_every_step_still_sees_every_line() {
    block(async {
        // Many pieces, and a zero timeout around each readline: whatever
        // step a readline is dropped at, the next one carries on.
        let text: Vec<u8> = (0..200)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let pieces: Vec<&[u8]> = text.chunks(7).collect();
        let mut reader = StreamReader::new(Pieces::new(&pieces));
        let mut lines = Vec::new();
        loop {
            match timeout(Duration::ZERO, reader.readline()).await {
                Ok(Ok(line)) if line.is_empty() => break,
                Ok(Ok(line)) => lines.push(line),
                Ok(Err(e)) => panic!("{e}"),
                Err(_) => continue,
            }
        }
        assert_eq!(lines.concat(), text);
        assert_eq!(lines.len(), 200);
    });
}

#[test]
fn reader_serves_async_buf_read_and_a_lines_stream() {
    block(async {
        let mut reader = StreamReader::new(Pieces::new(&[b"first\nsec", b"ond\nthird\nfourth"]));
        // `futures::AsyncBufReadExt` on the reader's own buffer:
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "first\n");
        let rest: Vec<Vec<u8>> = reader.lines().map(Result::unwrap).collect().await;
        assert_eq!(rest, [&b"second\n"[..], b"third\n", b"fourth"]);
    });
}

// ----- StreamWriter -----

#[test]
fn writer_sends_everything_without_drain() {
    block(async {
        let ((_reader, writer), peer) = connected_pair().await;
        let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
        writer.write(&data).unwrap(); // far more than the socket takes at once
        let mut received = Vec::new();
        let mut buf = vec![0; 64 * 1024];
        while received.len() < data.len() {
            let n = peer.read(&mut buf).await.unwrap();
            assert_ne!(n, 0, "EOF after {} bytes", received.len());
            received.extend_from_slice(&buf[..n]);
        }
        assert!(received == data);
        assert_eq!(writer.write_buffer_size(), 0);
    });
}

#[test]
fn drain_blocks_at_the_high_water_mark_against_a_peer_that_does_not_read() {
    block(async {
        let ((_reader, writer), peer) = connected_pair().await;
        let (high, _) = writer.get_write_buffer_limits();
        let chunk = vec![7u8; 16 * 1024];
        let mut written = 0usize;
        // Write and drain until drain blocks: the peer reads nothing.
        loop {
            writer.write(&chunk).unwrap();
            written += chunk.len();
            if timeout(Duration::from_millis(200), writer.drain())
                .await
                .is_err()
            {
                break;
            }
            assert!(written < 64 * 1024 * 1024, "drain never blocked");
        }
        // Memory is bounded by the high-water mark plus the last write.
        assert!(writer.write_buffer_size() <= high + chunk.len());
        assert!(writer.write_buffer_size() > high);
        // Once the peer reads, drain returns and every byte arrives.
        let reading = corio::spawn(async move {
            let mut buf = vec![0; 64 * 1024];
            let mut total = 0;
            while total < written {
                total += peer.read(&mut buf).await.unwrap();
            }
            total
        });
        writer.drain().await.unwrap();
        assert_eq!(reading.await.unwrap(), written);
    });
}

#[test]
fn drain_reports_the_error_of_a_peer_that_reset_the_connection() {
    block(async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (_reader, writer) = corio::open_connection("127.0.0.1", port).await.unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        writer.write(b"unread bytes").unwrap();
        writer.drain().await.unwrap();
        // Closing a socket with unread bytes sends a reset (RST).
        let mut one = [0; 1];
        peer.set_nonblocking(true).unwrap();
        let _ = peer.read(&mut one);
        drop(peer);
        let mut outcome = Ok(());
        for _ in 0..100 {
            corio::time::sleep(Duration::from_millis(10)).await;
            outcome = writer.write(&[0; 1024]).and(Ok(()));
            if outcome.is_ok() {
                outcome = writer.drain().await;
            }
            if outcome.is_err() {
                break;
            }
        }
        let err = outcome.expect_err("writing to a reset connection must fail");
        assert!(
            matches!(
                err.kind(),
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
            ),
            "{err:?}"
        );
        // The error stays: drain reports it again, and the writer is closing.
        assert_eq!(writer.drain().await.unwrap_err().kind(), err.kind());
        assert!(writer.is_closing());
    });
}

#[test]
fn writer_used_after_close_fails_with_broken_pipe() {
    block(async {
        let ((mut reader, writer), peer) = connected_pair().await;
        writer.write(b"before\n").unwrap();
        writer.close();
        assert!(writer.is_closing());
        assert_eq!(
            writer.write(b"after").unwrap_err().kind(),
            ErrorKind::BrokenPipe
        );
        assert_eq!(
            writer.writelines([&b"x"[..]]).unwrap_err().kind(),
            ErrorKind::BrokenPipe
        );
        assert_eq!(
            writer.drain().await.unwrap_err().kind(),
            ErrorKind::BrokenPipe
        );
        writer.wait_closed().await.unwrap();
        // The peer got what was written before close, then EOF.
        let mut peer_reader = StreamReader::new(peer);
        assert_eq!(peer_reader.read_to_eof().await.unwrap(), b"before\n");
        // Our reading side still works after the writer closed.
        drop(peer_reader);
        assert_eq!(reader.read(10).await.unwrap(), b"");
    });
}

#[test]
fn write_eof_half_closes_and_the_reply_still_arrives() {
    block(async {
        let ((mut reader, writer), peer) = connected_pair().await;
        writer.write(b"question").unwrap();
        writer.write_eof();
        assert_eq!(
            writer.write(b"more").unwrap_err().kind(),
            ErrorKind::BrokenPipe
        );
        let mut question = Vec::new();
        let mut buf = [0; 64];
        loop {
            match peer.read(&mut buf).await.unwrap() {
                0 => break,
                n => question.extend_from_slice(&buf[..n]),
            }
        }
        assert_eq!(question, b"question");
        peer.write_all(b"answer").await.unwrap();
        drop(peer);
        assert_eq!(reader.read_to_eof().await.unwrap(), b"answer");
    });
}

#[test]
fn set_write_buffer_limits_rejects_low_above_high() {
    block(async {
        let ((_reader, writer), _peer) = connected_pair().await;
        let err = writer.set_write_buffer_limits(100, 200).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        writer.set_write_buffer_limits(0, 0).unwrap();
        assert_eq!(writer.get_write_buffer_limits(), (0, 0));
        assert!(writer.peer_addr().is_some());
    });
}

// ----- Server -----

#[test]
fn server_close_stops_accepting_and_wait_closed_waits_for_the_running_handler() {
    block(async {
        let server = corio::start_server(
            |mut reader: StreamReader, writer: StreamWriter| async move {
                let line = reader.readline().await?;
                writer.write(&line)?;
                writer.drain().await?;
                Ok::<(), io::Error>(())
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let addr = server.sockets()[0];
        let (mut reader, writer) = corio::open_connection("127.0.0.1", addr.port())
            .await
            .unwrap();
        // The handler is running once the connection is accepted.
        while server.active_connections() == 0 {
            corio::time::sleep(Duration::from_millis(1)).await;
        }
        server.close();
        assert!(!server.is_serving());
        let refused = TcpStream::connect(addr).await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::ConnectionRefused);
        // The handler still waits for its line: wait_closed waits too.
        assert!(timeout(Duration::from_millis(100), server.wait_closed())
            .await
            .is_err());
        writer.write(b"last words\n").unwrap();
        assert_eq!(reader.readline().await.unwrap(), b"last words\n");
        server.wait_closed().await;
        assert_eq!(server.active_connections(), 0);
    });
}

#[test]
fn server_survives_a_panicking_handler() {
    block(async {
        let server = corio::start_server(
            |mut reader: StreamReader, writer: StreamWriter| async move {
                let line = reader.readline().await.unwrap();
                if line == b"panic\n" {
                    panic!("the handler panics on purpose");
                }
                writer.write(b"fine\n").unwrap();
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let port = server.sockets()[0].port();
        let (mut r1, w1) = corio::open_connection("127.0.0.1", port).await.unwrap();
        w1.write(b"panic\n").unwrap();
        assert_eq!(r1.read_to_eof().await.unwrap(), b"");
        let (mut r2, w2) = corio::open_connection("127.0.0.1", port).await.unwrap();
        w2.write(b"hello\n").unwrap();
        assert_eq!(r2.readline().await.unwrap(), b"fine\n");
        server.close();
        server.wait_closed().await;
    });
}

#[test]
fn serve_forever_returns_when_another_task_closes_the_server() {
    block(async {
        let server = corio::start_server(|_r, _w| async {}, "127.0.0.1", 0)
            .await
            .unwrap();
        let stopper = server.clone();
        corio::spawn(async move {
            corio::time::sleep(Duration::from_millis(10)).await;
            stopper.close();
        });
        server.serve_forever().await;
        server.wait_closed().await;
    });
}

#[test]
fn unix_server_round_trip_and_cleanup() {
    block(async {
        let path = std::env::temp_dir().join(format!("corio-streams-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let server = corio::start_unix_server(
            |mut reader: StreamReader, writer: StreamWriter| async move {
                while let Ok(line) = reader.readline().await {
                    if line.is_empty() || writer.write(&line).is_err() {
                        break;
                    }
                }
            },
            &path,
        )
        .await
        .unwrap();
        let (mut reader, writer) = corio::open_unix_connection(&path).await.unwrap();
        writer.writelines([&b"one\n"[..], b"two\n"]).unwrap();
        assert_eq!(reader.readline().await.unwrap(), b"one\n");
        assert_eq!(reader.readline().await.unwrap(), b"two\n");
        writer.close();
        server.close();
        server.wait_closed().await;
        assert!(!path.exists());
    });
}

// ----- Name resolution and connecting -----

#[test]
fn lookup_host_resolves_localhost_to_loopback_addresses() {
    block(async {
        let addrs = corio::net::lookup_host("localhost", 8080).await.unwrap();
        assert!(!addrs.is_empty());
        assert!(
            addrs
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 8080),
            "{addrs:?}"
        );
    });
}

#[test]
fn lookup_host_of_a_literal_needs_no_loop_and_no_pool() {
    // No corio loop runs here: a lookup that went to the pool would panic.
    let v4 = futures::executor::block_on(corio::net::lookup_host("10.1.2.3", 7)).unwrap();
    assert_eq!(v4, ["10.1.2.3:7".parse::<SocketAddr>().unwrap()]);
    let v6 = futures::executor::block_on(corio::net::lookup_host("[::1]", 7)).unwrap();
    assert_eq!(v6, ["[::1]:7".parse::<SocketAddr>().unwrap()]);
}

#[test]
fn connect_tries_every_address_in_order() {
    block(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let good = listener.local_addr().unwrap();
        let _accepting = corio::spawn(async move { listener.accept().await });
        let closed = closed_tcp_port();
        let stream = TcpStream::connect(&[closed, closed_tcp_port(), good][..])
            .await
            .unwrap();
        assert_eq!(stream.peer_addr().unwrap(), good);
        // All refused: the last error comes back.
        let err = TcpStream::connect(vec![closed, closed_tcp_port()])
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}

#[test]
fn connect_resolves_a_host_name_string() {
    block(async {
        let server = corio::start_server(
            |_r, writer: StreamWriter| async move { writer.write(b"hi\n") },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let port = server.sockets()[0].port();
        // "localhost" may name ::1 first, where nobody listens.
        let stream = TcpStream::connect(format!("localhost:{port}"))
            .await
            .unwrap();
        let mut reader = StreamReader::new(stream);
        assert_eq!(reader.readline().await.unwrap(), b"hi\n");
        let (mut reader, _w) = corio::open_connection("localhost", port).await.unwrap();
        assert_eq!(reader.readline().await.unwrap(), b"hi\n");
        let bad = TcpStream::connect("no port here").await.unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn server_and_streams_outliving_their_loop_drop_quietly() {
    let (server, pair) = corio::run(async {
        let server = corio::start_server(|_r, _w| async {}, "127.0.0.1", 0)
            .await
            .unwrap();
        let port = server.sockets()[0].port();
        let pair = corio::open_connection("127.0.0.1", port).await.unwrap();
        pair.1.write(&vec![1u8; 4_000_000]).unwrap(); // leaves a backlog
        (server, pair)
    });
    assert!(server.is_serving());
    drop(pair);
    server.close();
    assert!(!server.is_serving());
}
