//! `start_server` / `start_unix_server` and the `Server` they return:
//! asyncio's `Server`, with one task per client.
//!
//! Each listening socket has an accept task; each accepted connection
//! becomes a reader and a writer, handed to the `client_connected` callback,
//! whose future runs as a task of its own. The server counts those handler
//! tasks (a guard inside each task, so a handler that returns, panics or is
//! cancelled is counted out alike): that count is what makes a graceful stop
//! possible — [`Server::close`] stops accepting at once, and
//! [`Server::wait_closed`] waits for the running handlers to finish, as
//! asyncio 3.12's `wait_closed` waits for the connections.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::rc::{Rc, Weak};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use super::connection::{tcp_streams, unix_streams};
use super::{StreamReader, StreamWriter};
use crate::net::{lookup_host, TcpListener, UnixListener};
use crate::sync::Event;
use crate::task::{Builder, Task};

/// Pause after an accept error (`EMFILE`: out of descriptors) before trying
/// again, instead of spinning on an accept that fails at once.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// What a client handler's future may return: `()`, or a `Result` whose
/// error is reported on stderr (asyncio logs "Unhandled exception in
/// client_connected_cb").
///
/// ```
/// fn takes<O: corio::streams::HandlerOutcome>(_: O) {}
/// takes(());
/// takes(Ok::<(), std::io::Error>(()));
/// ```
pub trait HandlerOutcome {
    /// Reports a failure of the handler for `client`.
    fn report(self, client: &str);
}

impl HandlerOutcome for () {
    fn report(self, _client: &str) {}
}

impl<E: fmt::Display> HandlerOutcome for Result<(), E> {
    fn report(self, client: &str) {
        if let Err(e) = self {
            eprintln!("corio: the handler for client {client} failed: {e}");
        }
    }
}

/// Listens on `host:port` and runs `client_connected(reader, writer)` as a
/// task for every connection: asyncio's `start_server`. Serving starts at
/// once; keep the returned [`Server`] (dropping the last handle closes it).
///
/// `host` is resolved off the loop thread, and the server listens on every
/// address it names (`"localhost"` may be `::1` and `127.0.0.1`; an address
/// family the machine lacks is skipped). Port 0 lets the OS choose.
///
/// # Errors
///
/// The resolver's error, or the first bind error (address in use, …).
///
/// ```
/// corio::run(async {
///     let server = corio::start_server(
///         |_reader, writer: corio::streams::StreamWriter| async move { writer.write(b"hi\n") },
///         "127.0.0.1",
///         0,
///     )
///     .await
///     .unwrap();
///     let port = server.sockets()[0].port();
///     let (mut reader, _writer) = corio::open_connection("127.0.0.1", port).await.unwrap();
///     assert_eq!(reader.readline().await.unwrap(), b"hi\n");
/// });
/// ```
pub async fn start_server<F, Fut>(client_connected: F, host: &str, port: u16) -> io::Result<Server>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: HandlerOutcome,
{
    let mut listeners = Vec::new();
    let mut skipped = None;
    for addr in lookup_host(host, port).await? {
        match TcpListener::bind(addr) {
            Ok(listener) => listeners.push(listener),
            Err(e) if is_missing_family(&e) => skipped = Some(e),
            Err(e) => return Err(e),
        }
    }
    if listeners.is_empty() {
        return Err(skipped.unwrap_or_else(|| io::ErrorKind::AddrNotAvailable.into()));
    }
    let sockets = listeners
        .iter()
        .map(TcpListener::local_addr)
        .collect::<io::Result<Vec<_>>>()?;
    let server = Server::new(sockets, None);
    let handler = Rc::new(client_connected);
    for listener in listeners {
        server.adopt(listener, handler.clone());
    }
    Ok(server)
}

/// Serves on a listener the caller already made: asyncio's
/// `start_server(client_connected, sock=listener)`. The way to serve a port
/// from every loop of a [`multi_loop::Runtime`](crate::multi_loop::Runtime):
/// each loop binds its own [`TcpListener::bind_reuseport`] on one address
/// and starts a server on it. The [`Server`] is the same as
/// [`start_server`]'s (it takes the listener; `close` closes it).
///
/// # Errors
///
/// When the listener's address cannot be read.
///
/// The listener must belong to the current loop, as every socket does to
/// the loop that made it: one made on another loop fails in the accept task.
///
/// # Panics
///
/// Outside a running loop (it spawns the accept task on the current loop).
///
/// ```
/// corio::run(async {
///     let listener = corio::net::TcpListener::bind_reuseport("127.0.0.1:0").unwrap();
///     let server = corio::streams::start_server_on(
///         |_reader, writer: corio::streams::StreamWriter| async move { writer.write(b"hi\n") },
///         listener,
///     )
///     .unwrap();
///     let port = server.sockets()[0].port();
///     let (mut reader, _writer) = corio::open_connection("127.0.0.1", port).await.unwrap();
///     assert_eq!(reader.readline().await.unwrap(), b"hi\n");
/// });
/// ```
pub fn start_server_on<F, Fut>(client_connected: F, listener: TcpListener) -> io::Result<Server>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: HandlerOutcome,
{
    let server = Server::new(vec![listener.local_addr()?], None);
    server.adopt(listener, Rc::new(client_connected));
    Ok(server)
}

/// Listens on the Unix socket `path` and runs `client_connected(reader,
/// writer)` as a task for every connection: asyncio's `start_unix_server`.
/// Closing the server removes the socket file.
///
/// # Errors
///
/// The bind error (`AddrInUse` when the file exists, …).
///
/// ```
/// corio::run(async {
///     let path = std::env::temp_dir().join(format!("corio-doc-{}.sock", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let server = corio::start_unix_server(
///         |mut r: corio::streams::StreamReader, w: corio::streams::StreamWriter| async move {
///             w.write(&r.readline().await?)?;
///             Ok::<(), corio::streams::StreamError>(())
///         },
///         &path,
///     )
///     .await
///     .unwrap();
///     let (mut reader, writer) = corio::open_unix_connection(&path).await.unwrap();
///     writer.write(b"over unix\n").unwrap();
///     assert_eq!(reader.readline().await.unwrap(), b"over unix\n");
///     server.close();
///     assert!(!path.exists());
/// });
/// ```
pub async fn start_unix_server<F, Fut>(
    client_connected: F,
    path: impl AsRef<Path>,
) -> io::Result<Server>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: HandlerOutcome,
{
    let path = path.as_ref().to_path_buf();
    let listener = UnixListener::bind(&path)?;
    let server = Server::new(Vec::new(), Some(path.clone()));
    server.adopt(listener, Rc::new(client_connected));
    Ok(server)
}

/// `bind` failed because the machine has no such address family (no IPv6).
fn is_missing_family(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::AddrNotAvailable | io::ErrorKind::Unsupported
    ) || e.raw_os_error() == Some(97) // EAFNOSUPPORT
}

/// A listening socket that yields stream pairs, and a name for the client
/// (its address, or the socket path).
trait AcceptStreams {
    fn poll_accept_streams(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(StreamReader, StreamWriter, String)>>;
}

impl AcceptStreams for TcpListener {
    fn poll_accept_streams(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(StreamReader, StreamWriter, String)>> {
        let (stream, peer) = ready!(self.poll_accept(cx))?;
        let (reader, writer) = tcp_streams(stream)?;
        Poll::Ready(Ok((reader, writer, peer.to_string())))
    }
}

impl AcceptStreams for UnixListener {
    fn poll_accept_streams(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(StreamReader, StreamWriter, String)>> {
        let (stream, _) = ready!(self.poll_accept(cx))?;
        let (reader, writer) = unix_streams(stream);
        let name = match self.local_addr()?.as_pathname() {
            Some(path) => path.display().to_string(),
            None => "(unnamed)".to_string(),
        };
        Poll::Ready(Ok((reader, writer, name)))
    }
}

/// Accepts until the server closes, spawning a handler task per
/// connection.
///
/// The server holds the only strong reference to the listener; this loop
/// upgrades its `Weak` for the length of one poll. So `close`, by dropping
/// the server's reference, closes the listening socket at once — new
/// connections are refused from that moment, not from the accept task's
/// next step.
async fn accept_loop<L, F, Fut>(listener: Weak<L>, connections: Rc<Connections>, handler: Rc<F>)
where
    L: AcceptStreams,
    F: Fn(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: HandlerOutcome,
{
    loop {
        let accepted = poll_fn(|cx| match listener.upgrade() {
            Some(listener) => listener.poll_accept_streams(cx).map(Some),
            None => Poll::Ready(None),
        })
        .await;
        let (reader, writer, client) = match accepted {
            None => return,
            Some(Ok(connection)) => connection,
            Some(Err(e)) => {
                eprintln!("corio: accept failed ({e}); retrying in 100 ms");
                crate::time::sleep(ACCEPT_RETRY_DELAY).await;
                continue;
            }
        };
        if connections.stopped.get() {
            return;
        }
        let counted = HandlerCount::enter(connections.clone());
        let handler = handler.clone();
        // The callback is called inside the task: a callback that panics
        // fails its own task, never the accept loop.
        Builder::new()
            .name(format!("client {client}"))
            .spawn(async move {
                let _counted = counted;
                handler(reader, writer).await.report(&client);
            });
    }
}

/// The running handlers, counted.
#[derive(Debug)]
struct Connections {
    running: Cell<usize>,
    /// Set while no handler runs.
    idle: Event,
    /// `close` was called: accepted connections are no longer served.
    stopped: Cell<bool>,
}

/// Counts one handler task in for as long as it lives.
struct HandlerCount(Rc<Connections>);

impl HandlerCount {
    fn enter(connections: Rc<Connections>) -> HandlerCount {
        connections.running.set(connections.running.get() + 1);
        connections.idle.clear();
        HandlerCount(connections)
    }
}

impl Drop for HandlerCount {
    fn drop(&mut self) {
        let running = self.0.running.get() - 1;
        self.0.running.set(running);
        if running == 0 {
            self.0.idle.set();
        }
    }
}

/// A listening server: asyncio's `Server`. Cloning gives another handle to
/// the same server; dropping the last one closes it.
///
/// ```
/// corio::run(async {
///     let server = corio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
///     assert!(server.is_serving());
///     server.close();
///     assert!(!server.is_serving());
///     server.wait_closed().await;
/// });
/// ```
#[derive(Clone)]
pub struct Server {
    inner: Rc<ServerInner>,
}

struct ServerInner {
    sockets: Vec<SocketAddr>,
    unix_path: Option<PathBuf>,
    /// The listening sockets; dropped by `close`.
    listeners: RefCell<Vec<Rc<dyn Any>>>,
    accept_tasks: RefCell<Vec<Task<()>>>,
    connections: Rc<Connections>,
    /// Set by `close`.
    closed: Event,
}

impl Server {
    fn new(sockets: Vec<SocketAddr>, unix_path: Option<PathBuf>) -> Server {
        let idle = Event::new();
        idle.set();
        Server {
            inner: Rc::new(ServerInner {
                sockets,
                unix_path,
                listeners: RefCell::new(Vec::new()),
                accept_tasks: RefCell::new(Vec::new()),
                connections: Rc::new(Connections {
                    running: Cell::new(0),
                    idle,
                    stopped: Cell::new(false),
                }),
                closed: Event::new(),
            }),
        }
    }

    /// Keeps `listener` open (the only strong reference) and runs its
    /// accept loop as a task, each connection handed to `handler`.
    fn adopt<L, F, Fut>(&self, listener: L, handler: Rc<F>)
    where
        L: AcceptStreams + 'static,
        F: Fn(StreamReader, StreamWriter) -> Fut + 'static,
        Fut: Future + 'static,
        Fut::Output: HandlerOutcome,
    {
        let listener = Rc::new(listener);
        let accepting = accept_loop(
            Rc::downgrade(&listener),
            self.inner.connections.clone(),
            handler,
        );
        let task = Builder::new().name("server accept").spawn(accepting);
        self.inner.listeners.borrow_mut().push(listener);
        self.inner.accept_tasks.borrow_mut().push(task);
    }

    /// The addresses a TCP server listens on (empty for a Unix server):
    /// asyncio's `server.sockets`.
    ///
    /// ```
    /// corio::run(async {
    ///     let server = corio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     assert_ne!(server.sockets()[0].port(), 0);
    /// });
    /// ```
    pub fn sockets(&self) -> Vec<SocketAddr> {
        self.inner.sockets.clone()
    }

    /// The socket path of a Unix server.
    ///
    /// ```
    /// corio::run(async {
    ///     let server = corio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     assert_eq!(server.unix_path(), None);
    /// });
    /// ```
    pub fn unix_path(&self) -> Option<&Path> {
        self.inner.unix_path.as_deref()
    }

    /// `true` until [`close`](Self::close).
    ///
    /// ```
    /// corio::run(async {
    ///     let server = corio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     assert!(server.is_serving());
    /// });
    /// ```
    pub fn is_serving(&self) -> bool {
        !self.inner.closed.is_set()
    }

    /// How many client handlers are running now.
    ///
    /// ```
    /// corio::run(async {
    ///     let server = corio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     assert_eq!(server.active_connections(), 0);
    /// });
    /// ```
    pub fn active_connections(&self) -> usize {
        self.inner.connections.running.get()
    }

    /// Waits until [`close`](Self::close) is called — from another task, a
    /// signal handler, … If this future is dropped (its task cancelled), the
    /// server is closed, as asyncio's `serve_forever` does when cancelled.
    ///
    /// ```
    /// corio::run(async {
    ///     let server = corio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     let stopper = server.clone();
    ///     corio::call_soon(move || stopper.close());
    ///     server.serve_forever().await;
    ///     assert!(!server.is_serving());
    /// });
    /// ```
    pub async fn serve_forever(&self) {
        struct CloseOnDrop<'a>(&'a Server);
        impl Drop for CloseOnDrop<'_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let _close = CloseOnDrop(self);
        self.inner.closed.wait().await;
    }

    /// Stops accepting: the listening sockets close (a Unix server's file is
    /// removed). Running handlers go on; [`wait_closed`](Self::wait_closed)
    /// waits for them.
    ///
    /// ```
    /// corio::run(async {
    ///     let server = corio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     let addr = server.sockets()[0];
    ///     server.close();
    ///     server.wait_closed().await;
    ///     assert!(corio::net::TcpStream::connect(addr).await.is_err());
    /// });
    /// ```
    pub fn close(&self) {
        self.inner.close();
    }

    /// Waits until the server is closed and every handler has finished:
    /// the graceful end of a server (asyncio 3.12's `wait_closed`). Bound
    /// it with a `timeout` if a client may never leave.
    ///
    /// ```
    /// corio::run(async {
    ///     let server = corio::start_server(|_r, _w| async {}, "127.0.0.1", 0).await.unwrap();
    ///     server.close();
    ///     server.wait_closed().await;
    ///     assert_eq!(server.active_connections(), 0);
    /// });
    /// ```
    pub async fn wait_closed(&self) {
        self.inner.closed.wait().await;
        while !self.inner.connections.idle.is_set() {
            self.inner.connections.idle.wait().await;
        }
    }
}

impl ServerInner {
    fn close(&self) {
        if self.closed.is_set() {
            return;
        }
        self.connections.stopped.set(true);
        self.closed.set();
        // The listening sockets close now; the accept tasks end.
        let listeners = std::mem::take(&mut *self.listeners.borrow_mut());
        drop(listeners);
        for task in self.accept_tasks.borrow_mut().drain(..) {
            task.cancel();
        }
        if let Some(path) = &self.unix_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for ServerInner {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("sockets", &self.inner.sockets)
            .field("unix_path", &self.inner.unix_path)
            .field("serving", &self.is_serving())
            .field("active_connections", &self.active_connections())
            .finish()
    }
}
