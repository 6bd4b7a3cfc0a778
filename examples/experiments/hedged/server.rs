//! The loopback server with traffic peaks: its own thread, its own corio
//! loop, one task per connection, each connection's fate decided by
//! [`Traffic`] the moment it is accepted.
//!
//! The protocol is one line each way: the client sends `GET\n`, a served
//! connection answers `OK\n`. A served connection then waits for the client
//! to close first; on loopback Linux reuses the client's `TIME_WAIT` ports,
//! so the tens of thousands of short connections of a full run never run out
//! of ports.

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use corio::net::{TcpListener, TcpStream};

use super::peaks::{Fate, Traffic};

/// How long a stalled connection is held at most, if the client never goes.
const STALL_LIMIT: Duration = Duration::from_secs(2);
/// How often the accept loop looks at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(20);

/// How the server's peaks are drawn.
#[derive(Debug, Clone, Copy)]
pub struct ServerConfig {
    /// Seed of the peak process: the same seed, the same peaks.
    pub seed: u64,
    /// Share of the time spent in peaks, 0.0 ..= 1.0.
    pub duty: f64,
    /// Mean length of a peak.
    pub mean_peak: Duration,
}

/// What the server did with the connections it accepted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ServerCounts {
    pub served: u64,
    pub dropped: u64,
    pub reset: u64,
    pub stalled: u64,
}

/// A running server; [`Server::stop`] ends it and says what it did.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<ServerCounts>,
}

impl Server {
    /// Binds `127.0.0.1:0` and starts serving on a new thread.
    pub fn start(config: ServerConfig) -> io::Result<Server> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("peaky-server".into())
                .spawn(move || corio::run(serve(listener, config, stop)))?
        };
        Ok(Server { addr, stop, thread })
    }

    /// Where to connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, drops the connections still held, and returns the
    /// counts.
    pub fn stop(self) -> ServerCounts {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .join()
            .expect("the server thread does not panic")
    }
}

async fn serve(
    listener: std::net::TcpListener,
    config: ServerConfig,
    stop: Arc<AtomicBool>,
) -> ServerCounts {
    let listener = TcpListener::from_std(listener).expect("a fresh listener registers");
    let mut traffic = Traffic::new(config.seed, config.duty, config.mean_peak);
    let counts = Rc::new(Cell::new(ServerCounts::default()));
    let start = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let Ok(accepted) = corio::wait_for(listener.accept(), STOP_CHECK).await else {
            continue;
        };
        // An accept error (a connection reset before it was accepted) is the
        // client's problem, not the server's.
        let Ok((stream, _)) = accepted else { continue };
        let fate = traffic.fate(start.elapsed());
        let mut c = counts.get();
        match fate {
            Fate::Serve(_) => c.served += 1,
            Fate::Drop => c.dropped += 1,
            Fate::Reset => c.reset += 1,
            Fate::Stall => c.stalled += 1,
        }
        counts.set(c);
        corio::spawn(handle(stream, fate));
    }
    // Returning ends `run`, which cancels the handlers still stalling.
    counts.get()
}

async fn handle(stream: TcpStream, fate: Fate) {
    match fate {
        Fate::Serve(service) => {
            if read_request(&stream).await {
                corio::time::sleep(service).await;
                if stream.write_all(b"OK\n").await.is_ok() {
                    let _ = corio::wait_for(until_closed(&stream), STALL_LIMIT).await;
                }
            }
        }
        Fate::Drop => drop(stream),
        Fate::Reset => reset(stream),
        Fate::Stall => {
            let _ = corio::wait_for(until_closed(&stream), STALL_LIMIT).await;
        }
    }
}

/// Reads up to the request's newline; `false` if the client went first.
async fn read_request(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 16];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) if buf[..n].contains(&b'\n') => return true,
            Ok(_) => {}
        }
    }
}

/// Reads and discards until the client closes (or the connection fails).
async fn until_closed(stream: &TcpStream) {
    let mut buf = [0u8; 64];
    while let Ok(1..) = stream.read(&mut buf).await {}
}

/// Closes with `SO_LINGER` zero: the kernel sends RST instead of FIN.
fn reset(stream: TcpStream) {
    let Ok(stream) = stream.into_std() else {
        return;
    };
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the descriptor is open (owned by `stream`, alive for the call)
    // and `linger` is a valid `struct linger` whose size is passed with it.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}
