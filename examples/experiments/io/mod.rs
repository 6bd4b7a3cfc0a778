//! The pieces of `io_models`: the clients, the measuring, and one echo
//! server per IO model (each in its own file), shared with
//! tests/io_models.rs.

pub mod blocking;
pub mod busy_poll;
pub mod corio_async;
pub mod mio_poll;
pub mod sigio;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// Bytes in each message.
pub const MESSAGE: usize = 64;

/// What a server measured on its own threads.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerReport {
    /// User + system CPU time of the server's threads.
    pub cpu: Duration,
    /// Threads the server used.
    pub threads: usize,
}

/// One of the five models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    Blocking,
    BusyPolling,
    Multiplexing,
    Async,
    SignalDriven,
}

impl Model {
    pub const ALL: [Model; 5] = [
        Model::Blocking,
        Model::BusyPolling,
        Model::Multiplexing,
        Model::Async,
        Model::SignalDriven,
    ];

    /// The seed's name and ours.
    pub fn name(self) -> &'static str {
        match self {
            Model::Blocking => "阻塞 blocking, a thread per connection",
            Model::BusyPolling => "非阻塞 non-blocking, busy polling",
            Model::Multiplexing => "多路复用 multiplexing, raw mio (epoll)",
            Model::Async => "异步 async, corio tasks",
            Model::SignalDriven => "信号驱动 signal-driven, O_ASYNC + SIGIO",
        }
    }

    fn serve(self, listener: TcpListener, clients: usize) -> std::io::Result<ServerReport> {
        match self {
            Model::Blocking => blocking::serve(listener, clients),
            Model::BusyPolling => busy_poll::serve(listener, clients),
            Model::Multiplexing => mio_poll::serve(listener, clients),
            Model::Async => corio_async::serve(listener, clients),
            Model::SignalDriven => sigio::serve(listener, clients),
        }
    }
}

/// One model's measured run.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub wall: Duration,
    /// Messages echoed per second, all clients together.
    pub throughput: f64,
    pub server: ServerReport,
}

/// Runs `model`'s server on a thread of its own, and `clients` blocking
/// client threads that each send `messages` messages and wait for each
/// echo (the same clients for every model). Errors if the server fails.
pub fn run(model: Model, clients: usize, messages: usize) -> std::io::Result<Measured> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let start = Instant::now();
    let server = std::thread::spawn(move || model.serve(listener, clients));
    let client_threads: Vec<_> = (0..clients)
        .map(|id| std::thread::spawn(move || client(addr, id, messages)))
        .collect();
    for c in client_threads {
        c.join().expect("a client does not panic")?;
    }
    let server = server.join().expect("the server does not panic")?;
    let wall = start.elapsed();
    Ok(Measured {
        wall,
        throughput: (clients * messages) as f64 / wall.as_secs_f64(),
        server,
    })
}

/// A client: `messages` round trips of one message, each echo checked.
fn client(addr: SocketAddr, id: usize, messages: usize) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let mut message = [0u8; MESSAGE];
    let mut echo = [0u8; MESSAGE];
    for i in 0..messages {
        message.fill((id + i) as u8);
        stream.write_all(&message)?;
        stream.read_exact(&mut echo)?;
        if echo != message {
            return Err(std::io::Error::other("the echo differs"));
        }
    }
    Ok(())
}

/// CPU time (user + system) of the calling thread so far.
pub fn thread_cpu_time() -> Duration {
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage` for the call.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Echoes what is readable now on a non-blocking stream, writing it all
/// back. `Ok(false)` when the client closed; `WouldBlock` ends the turn.
pub fn echo_ready(stream: &mut TcpStream) -> std::io::Result<bool> {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(false),
            Ok(n) => write_all_nonblocking(stream, &buf[..n])?,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// `write_all` on a non-blocking socket: an echo of at most 4 KiB fits in
/// the send buffer, so a `WouldBlock` here only spins for a moment.
fn write_all_nonblocking(stream: &mut TcpStream, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        match stream.write(data) {
            Ok(n) => data = &data[n..],
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                ) =>
            {
                std::thread::yield_now()
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
