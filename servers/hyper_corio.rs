//! The adapter that lets hyper run on corio.
//!
//! hyper 1.x is a protocol library with no runtime of its own. It speaks
//! HTTP over anything that implements its three small traits, and it asks
//! the program for the rest:
//!
//! | hyper asks for                   | for                                   | corio gives it              |
//! |----------------------------------|---------------------------------------|-----------------------------|
//! | [`hyper::rt::Read`] / [`Write`]  | the bytes of one connection           | [`CorioIo`] over a [`TcpStream`] (any corio stream) |
//! | [`hyper::rt::Executor`]          | running a background future (HTTP/2, a client's connection) | [`CorioExecutor`]: `corio::spawn` |
//! | [`hyper::rt::Timer`]             | timeouts (`header_read_timeout`, keep-alive) | [`CorioTimer`]: `corio::time::sleep` |
//!
//! Everything here is a thin translation: no buffering and no threads of its
//! own. hyper keeps its own read and write buffers; corio's stream does the
//! system calls and parks the task on the reactor when a socket is not
//! ready; corio's timer wheel ends the sleeps.
//!
//! [`Write`]: hyper::rt::Write
//! [`TcpStream`]: corio::net::TcpStream
//!
//! ```
//! use corio_servers::hyper_corio::CorioIo;
//!
//! corio::run(async {
//!     let listener = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     let _server = corio::spawn(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await.unwrap();
//!     });
//!     let stream = corio::net::TcpStream::connect(addr).await.unwrap();
//!     // hyper's client, on a corio socket, with its connection on a corio task
//!     let (mut sender, connection) =
//!         hyper::client::conn::http1::handshake::<_, String>(CorioIo::new(stream)).await.unwrap();
//!     corio::spawn(connection);
//!     let response = sender.send_request(hyper::Request::new(String::new())).await.unwrap();
//!     assert_eq!(response.status(), 204);
//! });
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::{Executor, ReadBufCursor, Sleep, Timer};

/// A corio stream seen through hyper's I/O traits.
///
/// corio's streams implement the `futures_io` traits (`AsyncRead`,
/// `AsyncWrite`); hyper has traits of its own, so that it depends on no
/// runtime. The two differ in one place that matters: hyper hands its read
/// buffer over *uninitialised* (a `ReadBufCursor`), while `AsyncRead` wants
/// an ordinary `&mut [u8]`. See `poll_read` below for how that gap is
/// closed without `unsafe` tricks on the buffer.
///
/// ```
/// # corio::run(async {
/// # let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let stream = corio::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
/// let io = corio_servers::hyper_corio::CorioIo::new(stream);
/// assert!(io.get_ref().peer_addr().is_ok());
/// # });
/// ```
#[derive(Debug)]
pub struct CorioIo<S> {
    stream: S,
}

impl<S> CorioIo<S> {
    /// Wraps a corio stream (`TcpStream`, `UnixStream`, or a split half).
    pub fn new(stream: S) -> CorioIo<S> {
        CorioIo { stream }
    }

    /// The stream inside, for its socket options and addresses.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }
}

/// How many bytes one read takes at most: hyper offers 8 KiB at a time
/// unless a large body makes it grow its buffer.
const SCRATCH_BYTES: usize = 16 * 1024;

thread_local! {
    /// The loop thread's landing area for reads (see `poll_read` below):
    /// initialised once per thread, shared by every connection on it — a
    /// read finishes inside one `poll_read` call, and a loop polls one task
    /// at a time, so no two connections use it at once.
    static SCRATCH: RefCell<[u8; SCRATCH_BYTES]> = const { RefCell::new([0; SCRATCH_BYTES]) };
}

impl<S: AsyncRead + Unpin> hyper::rt::Read for CorioIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // hyper's buffer may be uninitialised memory, and a `&mut [u8]` over
        // uninitialised memory is undefined behaviour even if nobody reads
        // it, while `AsyncRead` wants exactly that. Two ways across:
        // zero hyper's buffer before every read (`initialize_unfilled`) —
        // 8 KiB of memset on every call, including the calls that find the
        // socket empty, which the profile showed costing more than all of
        // hyper's parsing — or read into memory that is initialised already
        // and copy what arrived: a request's few hundred bytes. We do the
        // second, with one buffer per thread.
        SCRATCH.with(|scratch| {
            let Ok(mut scratch) = scratch.try_borrow_mut() else {
                // Only reachable if a read re-entered another read on this
                // thread, which corio's streams never do: zeroing is the
                // slow but always-correct way.
                return Pin::new(&mut self.stream)
                    .poll_read(cx, buf.initialize_unfilled())
                    .map_ok(|n| {
                        // SAFETY: `advance(n)` requires the first `n` unfilled
                        // bytes to be initialised: `initialize_unfilled` zeroed
                        // all of them, and `poll_read` returned `n <= len`.
                        unsafe { buf.advance(n) };
                    });
            };
            let wanted = buf.remaining().min(SCRATCH_BYTES);
            // corio's stream does the read(2). When the socket has nothing,
            // it registers this task's waker with the reactor and returns
            // Pending, which we pass straight up: hyper's connection future
            // is then parked until the socket is readable.
            Pin::new(&mut self.stream)
                .poll_read(cx, &mut scratch[..wanted])
                // Hand hyper what arrived; 0 bytes means the peer closed
                // (EOF), which hyper reads the same way.
                .map_ok(|n| buf.put_slice(&scratch[..n]))
        })
    }
}

impl<S: AsyncWrite + Unpin> hyper::rt::Write for CorioIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        // One write(2) of as much as the kernel takes; Pending (with the
        // waker registered) when the socket's send buffer is full.
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // corio's sockets keep no buffer of their own: once `poll_write`
        // returned, the bytes are the kernel's, so this is immediately Ready.
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // hyper closes its side when a connection ends (`Connection: close`,
        // graceful shutdown): `poll_close` is shutdown(2) of the write side,
        // so the peer reads EOF after the last response.
        Pin::new(&mut self.stream).poll_close(cx)
    }

    // `is_write_vectored` stays hyper's default, false: corio's streams have
    // no writev, so hyper copies a response's head and body into one buffer
    // and sends it with one write(2) — for short responses as cheap as two
    // iovecs, and one system call either way.
}

/// hyper's executor: runs a future hyper hands over as a corio task.
///
/// hyper calls it for work that must go on beside the connection future
/// the program awaits: an HTTP/2 connection's streams, or the background
/// half of a client when built with `with_executor`. An HTTP/1 server
/// connection never calls it; the tour's client uses it to drive its
/// connection (see the example's `--demo`).
///
/// ```
/// use hyper::rt::Executor;
/// use corio_servers::hyper_corio::CorioExecutor;
///
/// corio::run(async {
///     let (tx, rx) = std::sync::mpsc::channel();
///     CorioExecutor.execute(async move { tx.send(42).unwrap() });
///     corio::yield_now().await; // the spawned task runs
///     assert_eq!(rx.recv().unwrap(), 42);
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CorioExecutor;

impl<F> Executor<F> for CorioExecutor
where
    F: Future + 'static,
    F::Output: 'static,
{
    fn execute(&self, future: F) {
        // `corio::spawn` returns a `Task` handle; dropping it detaches the
        // task (asyncio keeps a task running when its handle is dropped too),
        // so the future runs to completion on this thread's loop. The future
        // need not be `Send`: corio's loop runs its tasks on one thread.
        drop(corio::spawn(future));
    }
}

/// hyper's timer: corio's [`sleep`](corio::time::sleep), boxed as hyper wants.
///
/// With a timer, hyper can time things out — most importantly
/// `header_read_timeout`: a client that opens a connection and sends its
/// request head slowly (slowloris) is cut off instead of holding a
/// connection open for ever.
///
/// ```
/// use std::time::{Duration, Instant};
/// use hyper::rt::Timer;
/// use corio_servers::hyper_corio::CorioTimer;
///
/// corio::run(async {
///     let start = Instant::now();
///     CorioTimer.sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CorioTimer;

impl Timer for CorioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(CorioSleep(corio::time::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(CorioSleep(corio::time::sleep_until(deadline)))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        // hyper moves a deadline (keep-alive, a new request head) by calling
        // `reset`. When the sleep is one of ours, move its timer in corio's
        // wheel instead of allocating a new one; otherwise replace it.
        match sleep.as_mut().downcast_mut_pin::<CorioSleep>() {
            Some(ours) => ours.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// A corio [`Sleep`](corio::time::Sleep) that hyper can hold as `dyn
/// hyper::rt::Sleep` (a trait only types it can name may implement, so it
/// needs a type of ours around corio's).
struct CorioSleep(corio::time::Sleep);

impl CorioSleep {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.inner().reset(deadline);
    }

    /// The corio sleep inside. corio's `Sleep` is `Unpin` (its timer lives
    /// in the loop's wheel, not in the future), so no pin projection is needed.
    fn inner(self: Pin<&mut Self>) -> Pin<&mut corio::time::Sleep> {
        Pin::new(&mut self.get_mut().0)
    }
}

impl Future for CorioSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.inner().poll(cx)
    }
}

impl Sleep for CorioSleep {}
