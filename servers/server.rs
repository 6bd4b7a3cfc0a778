//! The HTTP/1.1 server on corio: an accept loop that gives each connection
//! to hyper on a task of its own, and a graceful stop.
//!
//! A connection's life: `TcpListener::accept` → a corio task → hyper's
//! `serve_connection` over [`CorioIo`], answering with
//! [`routes::respond`] for every request the client sends on it
//! (keep-alive) until the client closes, a request is malformed (hyper
//! answers 400 and closes), the client is too slow sending a request head
//! (`header_read_timeout`, which needs [`CorioTimer`]), or the server stops.
//!
//! Stopping: when `stop` completes, the listener is dropped (no new
//! connections: the kernel refuses them), every connection is asked to
//! finish gracefully — hyper completes the response in flight, then closes,
//! and closes an idle keep-alive connection at once — and the server waits
//! for them, but no longer than `Settings::shutdown_grace`.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::sync::Event;
use hyper::server::conn::http1;
use hyper::service::service_fn;

use crate::hyper_corio::{CorioIo, CorioTimer};
use crate::routes;

/// How the server treats slow clients and its own stop.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// How long a client may take to send a request head, from its first
    /// byte (or from the end of the previous response) to the blank line.
    pub header_read_timeout: Duration,
    /// How long a stop waits for the connections in flight.
    pub shutdown_grace: Duration,
}

impl Default for Settings {
    /// 10 s for a request head, 5 s of grace at a stop.
    ///
    /// ```
    /// let settings = corio_servers::server::Settings::default();
    /// assert_eq!(settings.header_read_timeout.as_secs(), 10);
    /// ```
    fn default() -> Settings {
        Settings {
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// What [`serve`] reports when it has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections accepted over the server's life.
    pub connections: u64,
    /// Connections still open when the grace period ran out (their tasks
    /// end when the loop does).
    pub cut_off: usize,
}

/// Serves HTTP/1.1 on `listener` until `stop` completes, then stops
/// gracefully (see the module docs).
///
/// ```
/// use corio_servers::server::{serve, Settings};
///
/// corio::run(async {
///     let listener = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let stop = std::rc::Rc::new(corio::sync::Event::new());
///     let stopped = stop.clone();
///     let server = corio::spawn(async move { serve(listener, Settings::default(), stopped.wait()).await });
///     let mut client = corio_servers::client::connect(addr).await.unwrap();
///     let response = client.send_request(hyper::Request::get("/").body(Default::default()).unwrap());
///     assert_eq!(response.await.unwrap().status(), 200);
///     drop(client);
///     stop.set();
///     assert_eq!(server.await.unwrap().connections, 1);
/// });
/// ```
pub async fn serve(
    listener: TcpListener,
    settings: Settings,
    stop: impl Future<Output = ()>,
) -> Stopped {
    let open = Rc::new(OpenConnections::default());
    let mut accepted = 0;
    let mut stop = pin!(stop);
    loop {
        // The next connection, unless the stop comes first.
        let next = poll_fn(|cx| {
            if stop.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            listener.poll_accept(cx).map(Some)
        })
        .await;
        match next {
            None => break,
            Some(Ok((stream, _peer))) => {
                accepted += 1;
                let counted = open.count_one();
                drop(corio::spawn(serve_connection(stream, settings, counted)));
            }
            Some(Err(e)) => {
                // Out of file descriptors and the like: the listener is still
                // good, and retrying at once would spin. Give the connections
                // that hold the descriptors a moment to finish.
                eprintln!("http_server: accept failed ({e}); retrying in 100 ms");
                corio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    drop(listener);
    open.stopping.set();
    let drained = corio::time::timeout(settings.shutdown_grace, open.all_closed()).await;
    Stopped {
        connections: accepted,
        cut_off: if drained.is_ok() { 0 } else { open.count.get() },
    }
}

/// One connection, from accept to close.
async fn serve_connection(stream: TcpStream, settings: Settings, counted: Counted) {
    // Small responses go out at once instead of waiting for Nagle's timer.
    let _ = stream.set_nodelay(true);
    let mut builder = http1::Builder::new();
    builder
        .timer(CorioTimer)
        .header_read_timeout(settings.header_read_timeout);
    let connection = builder.serve_connection(
        CorioIo::new(stream),
        service_fn(|request| routes::respond(request, corio::time::sleep)),
    );
    let mut connection = pin!(connection);
    let mut stopping = pin!(counted.open.stopping.wait());
    // Serve until the connection ends by itself, or the server stops.
    let ended = poll_fn(|cx| match connection.as_mut().poll(cx) {
        Poll::Ready(result) => Poll::Ready(Some(result)),
        Poll::Pending => stopping.as_mut().poll(cx).map(|()| None),
    })
    .await;
    let result = match ended {
        Some(result) => result,
        None => {
            // Finish the response in flight (if any), then close.
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    // A client that sent garbage got its 400 from hyper, one that was too
    // slow or went away mid-request lost only its own connection: neither
    // is the server's error, so there is nothing to report.
    drop(result);
}

/// The connections open now, and the stop signal they listen for.
#[derive(Default)]
struct OpenConnections {
    count: Cell<usize>,
    /// Set when `count` drops to zero; cleared when it rises from zero.
    none_open: Event,
    /// Set once, when the server stops.
    stopping: Event,
}

impl OpenConnections {
    fn count_one(self: &Rc<Self>) -> Counted {
        self.count.set(self.count.get() + 1);
        self.none_open.clear();
        Counted { open: self.clone() }
    }

    async fn all_closed(&self) {
        while self.count.get() > 0 {
            self.none_open.wait().await;
        }
    }
}

/// One open connection in the count; dropping it (when the connection's task
/// ends, returns or panics, or is dropped with the loop) takes it out.
struct Counted {
    open: Rc<OpenConnections>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        let left = self.open.count.get() - 1;
        self.open.count.set(left);
        if left == 0 {
            self.open.none_open.set();
        }
    }
}
