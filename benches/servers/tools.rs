//! The tools the servers benchmark drives, and how it starts processes.
//!
//! (helper "http"'s copy of the shared interface, so that its branch
//! compiles; the runner's owner provides the real one.)

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// What the runner found on this machine.
pub struct Tools {
    pub redis_benchmark: Option<PathBuf>,
    pub redis_server: Option<PathBuf>,
    pub wrk: Option<PathBuf>,
    /// `taskset` exists: pin servers to `server_cpu` and load generators to `client_cpu`.
    pub taskset: bool,
    pub server_cpu: usize,
    pub client_cpu: usize,
    /// `--quick`: shorter runs (wrk -d3s, redis-benchmark -n 20000).
    pub quick: bool,
}

impl Tools {
    /// A Command for a server process, pinned to `server_cpu` when taskset exists.
    pub fn server_command(&self, program: &Path) -> Command {
        self.pinned(program, self.server_cpu)
    }

    /// A Command for a load generator, pinned to `client_cpu` when taskset exists.
    pub fn client_command(&self, program: &Path) -> Command {
        self.pinned(program, self.client_cpu)
    }

    fn pinned(&self, program: &Path, cpu: usize) -> Command {
        if self.taskset {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(cpu.to_string()).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

/// Waits until 127.0.0.1:port accepts a connection (bounded: 30 s), else Err.
pub fn wait_for_port(port: u16) -> std::io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("the kernel hands out a free loopback port")
}
