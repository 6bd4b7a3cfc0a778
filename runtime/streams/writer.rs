//! `StreamWriter`: asyncio's writer — `write` buffers and never waits,
//! `drain` waits while too much is buffered — over any
//! `futures_io::AsyncWrite`.
//!
//! Who moves the bytes. `write` first tries the transport at once (asyncio's
//! transport writes eagerly when the socket is writable), and buffers only
//! what the transport would not take. If anything is left, a small *flusher*
//! task is spawned; it waits for the transport to be writable and writes the
//! buffer out, then ends. So bytes go out whether or not anyone calls
//! `drain` — `drain` is only flow control: it waits while the buffer is above
//! the high-water mark, until the flusher brings it down to the low-water
//! mark. A peer that never reads therefore stops a writer that drains at
//! about `high` buffered bytes.
//!
//! One invariant keeps the two writers apart: while a flusher runs, only the
//! flusher touches the transport. (A second, eager `poll_write` would
//! replace the flusher's waker in the socket's wait slot, and the flusher
//! would never wake.) When no flusher runs, the buffer is empty.
//!
//! Failures are sticky: the first error of the transport (a reset, a broken
//! pipe) is kept, the buffer dropped, and every later `write` and `drain`
//! reports it. After `close`, the writer refuses work with a
//! `BrokenPipe` error saying so.

use std::cell::RefCell;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_io::AsyncWrite;

use crate::sync::Event;

/// asyncio's default high-water mark: 64 KiB.
const DEFAULT_HIGH: usize = 64 * 1024;
/// asyncio's default low-water mark: a quarter of the high one.
const DEFAULT_LOW: usize = DEFAULT_HIGH / 4;

/// The writing side of a connection, with asyncio's `StreamWriter` methods.
///
/// Made by [`open_connection`](super::open_connection), by
/// [`start_server`](super::start_server) for each client, or over any
/// `AsyncWrite` with [`StreamWriter::new`]. Methods take `&self`: put the
/// writer in an `Rc` to write from several tasks.
///
/// Dropping the writer closes it as [`close`](Self::close) does: what is
/// buffered is still sent, then the write side is shut down.
///
/// ```
/// corio::run(async {
///     let (client, server) = corio::net::UnixStream::pair().unwrap();
///     let writer = corio::streams::StreamWriter::new(client);
///     writer.write(b"hello ").unwrap();
///     writer.writelines([&b"big "[..], b"world\n"]).unwrap();
///     writer.drain().await.unwrap();
///     writer.close();
///     writer.wait_closed().await.unwrap();
///     let mut reader = corio::streams::StreamReader::new(server);
///     assert_eq!(reader.read_to_eof().await.unwrap(), b"hello big world\n");
/// });
/// ```
pub struct StreamWriter {
    shared: Rc<Shared>,
    peer: Option<SocketAddr>,
}

/// What the writer handle and its flusher task share.
struct Shared {
    state: RefCell<WriteState>,
    /// Set while `drain` may return: the buffer is at or below the low-water
    /// mark since it was last above the high one (or the writer failed or
    /// closed, which `drain` reports).
    drained: Event,
    /// Set once the writer closed (or failed, or was aborted).
    closed: Event,
}

struct WriteState {
    /// `None` once closed: dropping the transport releases it.
    transport: Option<Box<dyn AsyncWrite + Unpin>>,
    /// `buf[sent..]` waits to be written.
    buf: Vec<u8>,
    sent: usize,
    high: usize,
    low: usize,
    phase: Phase,
    /// The transport's first error, kept for every later call.
    error: Option<io::Error>,
    flusher_running: bool,
}

/// Where the writer is in its life, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Open,
    /// `write_eof` asked for a half-close after the buffer.
    EofWanted,
    /// The write side is shut down; the writer may still `close`.
    EofSent,
    /// `close` asked: flush, shut down, release the transport.
    Closing,
    Closed,
}

impl WriteState {
    fn buffered(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// An error for a call on a writer that failed or closed; `None` if it
    /// may go on.
    fn refusal(&self) -> Option<io::Error> {
        if let Some(e) = &self.error {
            return Some(copy_error(e));
        }
        (self.phase >= Phase::Closing)
            .then(|| io::Error::new(io::ErrorKind::BrokenPipe, "the StreamWriter is closed"))
    }
}

/// `io::Error` is not `Clone`: the kept error is reported again by its OS
/// code, or by its kind and message.
fn copy_error(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

impl StreamWriter {
    /// A writer over `writer` with the default water marks (64 KiB high,
    /// 16 KiB low).
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     let w = corio::streams::StreamWriter::new(a);
    ///     assert_eq!(w.get_write_buffer_limits(), (65_536, 16_384));
    /// });
    /// ```
    pub fn new<W: AsyncWrite + Unpin + 'static>(writer: W) -> StreamWriter {
        StreamWriter::with_peer(writer, None)
    }

    pub(crate) fn with_peer<W: AsyncWrite + Unpin + 'static>(
        writer: W,
        peer: Option<SocketAddr>,
    ) -> StreamWriter {
        let drained = Event::new();
        drained.set();
        StreamWriter {
            shared: Rc::new(Shared {
                state: RefCell::new(WriteState {
                    transport: Some(Box::new(writer)),
                    buf: Vec::new(),
                    sent: 0,
                    high: DEFAULT_HIGH,
                    low: DEFAULT_LOW,
                    phase: Phase::Open,
                    error: None,
                    flusher_running: false,
                }),
                drained,
                closed: Event::new(),
            }),
            peer,
        }
    }

    /// Sends `data`, or buffers what the transport does not take at once.
    /// Never waits; follow with [`drain`](Self::drain) to keep memory
    /// bounded.
    ///
    /// # Errors
    ///
    /// The transport's kept error once it failed (the bytes are dropped);
    /// `BrokenPipe` after [`close`](Self::close) or
    /// [`write_eof`](Self::write_eof).
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     let w = corio::streams::StreamWriter::new(a);
    ///     w.write(b"ping\n").unwrap();
    ///     w.close();
    ///     assert_eq!(w.write(b"late").unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
    /// });
    /// ```
    pub fn write(&self, data: &[u8]) -> io::Result<()> {
        let mut state = self.shared.state.borrow_mut();
        if let Some(e) = state.refusal() {
            return Err(e);
        }
        if state.phase != Phase::Open {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "write after write_eof",
            ));
        }
        if data.is_empty() {
            return Ok(());
        }
        if state.flusher_running {
            state.buf.extend_from_slice(data);
            drop(state);
            self.update_flow_control();
            return Ok(());
        }
        let written = write_now(&mut state, data);
        if written < data.len() && state.error.is_none() {
            state.buf.extend_from_slice(&data[written..]);
            drop(state);
            self.start_flusher();
            self.update_flow_control();
        } else {
            drop(state);
            self.after_failure();
        }
        Ok(())
    }

    /// Writes each buffer in turn, as [`write`](Self::write).
    ///
    /// # Errors
    ///
    /// As `write`.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair().unwrap();
    ///     let w = corio::streams::StreamWriter::new(a);
    ///     w.writelines(["a\n", "b\n"].map(str::as_bytes)).unwrap();
    ///     drop(w);
    ///     let mut r = corio::streams::StreamReader::new(b);
    ///     assert_eq!(r.read_to_eof().await.unwrap(), b"a\nb\n");
    /// });
    /// ```
    pub fn writelines<'a>(&self, lines: impl IntoIterator<Item = &'a [u8]>) -> io::Result<()> {
        lines.into_iter().try_for_each(|line| self.write(line))
    }

    /// Waits while the buffer is above the high-water mark, until it is down
    /// to the low one: asyncio's `await writer.drain()`. Returns at once
    /// when little is buffered.
    ///
    /// # Errors
    ///
    /// The transport's error (a peer that reset the connection:
    /// `ConnectionReset` or `BrokenPipe`); `BrokenPipe` after `close`.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     let w = corio::streams::StreamWriter::new(a);
    ///     w.write(&[0; 100]).unwrap();
    ///     w.drain().await.unwrap(); // 100 bytes: below the mark, no wait
    /// });
    /// ```
    pub async fn drain(&self) -> io::Result<()> {
        loop {
            if let Some(e) = self.shared.state.borrow().refusal() {
                return Err(e);
            }
            if self.shared.drained.is_set() {
                return Ok(());
            }
            self.shared.drained.wait().await;
        }
    }

    /// Half-closes: once the buffer is out, the write side is shut down and
    /// the peer reads EOF; reading goes on. Later writes fail.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair().unwrap();
    ///     let w = corio::streams::StreamWriter::new(a);
    ///     w.write(b"last words").unwrap();
    ///     w.write_eof();
    ///     let mut r = corio::streams::StreamReader::new(b);
    ///     assert_eq!(r.read_to_eof().await.unwrap(), b"last words");
    /// });
    /// ```
    pub fn write_eof(&self) {
        self.finish(Phase::EofWanted);
    }

    /// Closes the writer: what is buffered is still sent, then the write
    /// side is shut down and the transport released. Returns at once; await
    /// [`wait_closed`](Self::wait_closed) for the end. The socket's file
    /// descriptor closes when the reader is dropped too.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     let w = corio::streams::StreamWriter::new(a);
    ///     w.close();
    ///     assert!(w.is_closing());
    ///     w.wait_closed().await.unwrap();
    /// });
    /// ```
    pub fn close(&self) {
        self.finish(Phase::Closing);
    }

    /// Closes now: drops what is buffered and releases the transport
    /// (asyncio's `transport.abort()`) — for a peer that stopped reading.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     let w = corio::streams::StreamWriter::new(a);
    ///     w.write(&[1; 10_000_000]).unwrap(); // far more than the socket takes
    ///     w.abort();
    ///     w.wait_closed().await.unwrap();
    ///     assert_eq!(w.write_buffer_size(), 0);
    /// });
    /// ```
    pub fn abort(&self) {
        let transport = {
            let mut state = self.shared.state.borrow_mut();
            state.buf = Vec::new();
            state.sent = 0;
            state.phase = Phase::Closed;
            state.transport.take()
        };
        drop(transport);
        self.shared.drained.set();
        self.shared.closed.set();
    }

    /// `true` once `close` or `abort` was called, or the transport failed.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     let w = corio::streams::StreamWriter::new(a);
    ///     assert!(!w.is_closing());
    /// });
    /// ```
    pub fn is_closing(&self) -> bool {
        let state = self.shared.state.borrow();
        state.phase >= Phase::Closing || state.error.is_some()
    }

    /// Waits until the writer is closed: after `close`, the buffer sent and
    /// the write side shut down.
    ///
    /// # Errors
    ///
    /// The transport's error, if it failed before or while closing.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     let w = corio::streams::StreamWriter::new(a);
    ///     w.write(b"bye").unwrap();
    ///     w.close();
    ///     w.wait_closed().await.unwrap();
    /// });
    /// ```
    pub async fn wait_closed(&self) -> io::Result<()> {
        self.shared.closed.wait().await;
        match &self.shared.state.borrow().error {
            Some(e) => Err(copy_error(e)),
            None => Ok(()),
        }
    }

    /// Sets the water marks: `drain` waits while more than `high` bytes are
    /// buffered, until at most `low` are.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when `low > high` (asyncio's `ValueError`).
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     let w = corio::streams::StreamWriter::new(a);
    ///     w.set_write_buffer_limits(1024, 256).unwrap();
    ///     assert!(w.set_write_buffer_limits(10, 20).is_err());
    ///     assert_eq!(w.get_write_buffer_limits(), (1024, 256));
    /// });
    /// ```
    pub fn set_write_buffer_limits(&self, high: usize, low: usize) -> io::Result<()> {
        if low > high {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the low-water mark ({low}) is above the high-water mark ({high})"),
            ));
        }
        {
            let mut state = self.shared.state.borrow_mut();
            state.high = high;
            state.low = low;
        }
        self.update_flow_control();
        Ok(())
    }

    /// The water marks, `(high, low)`.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     assert_eq!(corio::streams::StreamWriter::new(a).get_write_buffer_limits().0, 65_536);
    /// });
    /// ```
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        let state = self.shared.state.borrow();
        (state.high, state.low)
    }

    /// Bytes buffered and not yet taken by the transport.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     let w = corio::streams::StreamWriter::new(a);
    ///     w.write(&vec![0; 10_000_000]).unwrap(); // more than a socket buffer holds
    ///     assert!(w.write_buffer_size() > 0);
    /// });
    /// ```
    pub fn write_buffer_size(&self) -> usize {
        self.shared.state.borrow().buffered()
    }

    /// The peer's address for a TCP connection (asyncio's
    /// `get_extra_info("peername")`); `None` for other transports.
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair().unwrap();
    ///     assert_eq!(corio::streams::StreamWriter::new(a).peer_addr(), None);
    /// });
    /// ```
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// Moves to `EofWanted` or `Closing` (never backwards), then lets the
    /// flusher — or one step here, when none runs — finish the job.
    fn finish(&self, phase: Phase) {
        {
            let mut state = self.shared.state.borrow_mut();
            if state.phase >= phase || state.phase == Phase::Closed {
                return;
            }
            if phase == Phase::EofWanted && state.phase > Phase::Open {
                return;
            }
            state.phase = phase;
            if state.flusher_running {
                return;
            }
        }
        let waker = Waker::noop();
        // A transport that cannot close at once is finished by a flusher —
        // if a loop runs to run it (a writer may be dropped after its loop).
        if poll_progress(&self.shared, &mut Context::from_waker(waker)).is_pending()
            && crate::event_loop::context::with_current_loop(|_| ()).is_some()
        {
            self.start_flusher();
        }
    }

    fn start_flusher(&self) {
        // The guard moves into the future: a flusher dropped before its
        // first poll (its loop closing, or `spawn` unwinding) still clears
        // the flag.
        let running = FlusherRunning::start(self.shared.clone());
        crate::spawn(async move {
            poll_fn(|cx| poll_progress(&running.0, cx)).await;
        });
    }

    /// Clears `drained` above the high-water mark, sets it at or below the
    /// low one.
    fn update_flow_control(&self) {
        let (buffered, high, low) = {
            let state = self.shared.state.borrow();
            (state.buffered(), state.high, state.low)
        };
        if buffered > high {
            self.shared.drained.clear();
        } else if buffered <= low {
            self.shared.drained.set();
        }
    }

    fn after_failure(&self) {
        if self.shared.state.borrow().error.is_some() {
            self.shared.drained.set();
            self.shared.closed.set();
        }
    }
}

/// Writes as much of `data` as the transport takes right now, without
/// waiting (no flusher runs, so no waker is displaced); a failure is kept in
/// `state.error`. Returns how much was written.
fn write_now(state: &mut WriteState, data: &[u8]) -> usize {
    let Some(transport) = state.transport.as_mut() else {
        return 0;
    };
    let mut cx = Context::from_waker(Waker::noop());
    let mut written = 0;
    while written < data.len() {
        match Pin::new(&mut **transport).poll_write(&mut cx, &data[written..]) {
            Poll::Ready(Ok(0)) => {
                state.error = Some(io::ErrorKind::WriteZero.into());
                break;
            }
            Poll::Ready(Ok(n)) => written += n,
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Poll::Ready(Err(e)) => {
                state.error = Some(e);
                break;
            }
            Poll::Pending => break,
        }
    }
    written
}

/// One step of the flusher: writes the buffer out, then carries out a
/// pending half-close or close. `Ready` when nothing is left to do.
fn poll_progress(shared: &Shared, cx: &mut Context<'_>) -> Poll<()> {
    let (outcome, drained, closed) = {
        let mut state = shared.state.borrow_mut();
        let outcome = step(&mut state, cx);
        let failed = state.error.is_some();
        (
            outcome,
            failed || state.buffered() <= state.low,
            failed || state.phase == Phase::Closed,
        )
    };
    // Waiters are woken with the state released.
    if drained {
        shared.drained.set();
    }
    if closed {
        shared.closed.set();
    }
    outcome
}

fn step(state: &mut WriteState, cx: &mut Context<'_>) -> Poll<()> {
    while state.error.is_none() {
        let Some(transport) = state.transport.as_mut() else {
            return Poll::Ready(());
        };
        if state.sent < state.buf.len() {
            match Pin::new(&mut **transport).poll_write(cx, &state.buf[state.sent..]) {
                Poll::Ready(Ok(0)) => state.error = Some(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => state.sent += n,
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => state.error = Some(e),
                Poll::Pending => return Poll::Pending,
            }
            continue;
        }
        state.buf.clear();
        state.sent = 0;
        match state.phase {
            Phase::Open | Phase::EofSent => return Poll::Ready(()),
            Phase::EofWanted | Phase::Closing => {
                match Pin::new(&mut **transport).poll_close(cx) {
                    Poll::Ready(Ok(())) => {}
                    // A peer that is gone already has its EOF.
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::NotConnected => {}
                    Poll::Ready(Err(e)) => state.error = Some(e),
                    Poll::Pending => return Poll::Pending,
                }
                if state.phase == Phase::Closing {
                    state.transport = None;
                    state.phase = Phase::Closed;
                } else {
                    state.phase = Phase::EofSent;
                }
            }
            Phase::Closed => return Poll::Ready(()),
        }
    }
    // Failed: nothing more will be sent.
    state.buf = Vec::new();
    state.sent = 0;
    state.transport = None;
    Poll::Ready(())
}

/// Clears `flusher_running` when the flusher ends — finished, cancelled with
/// its loop, or unwound by a panicking transport.
struct FlusherRunning(Rc<Shared>);

impl FlusherRunning {
    fn start(shared: Rc<Shared>) -> FlusherRunning {
        shared.state.borrow_mut().flusher_running = true;
        FlusherRunning(shared)
    }
}

impl Drop for FlusherRunning {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.state.try_borrow_mut() {
            state.flusher_running = false;
        }
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("StreamWriter");
        match self.shared.state.try_borrow() {
            Ok(state) => d
                .field("buffered", &state.buffered())
                .field("phase", &state.phase)
                .field("error", &state.error),
            Err(_) => d.field("state", &"<busy>"),
        };
        d.field("peer", &self.peer).finish()
    }
}
