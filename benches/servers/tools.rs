//! What the servers benchmark needs from the machine — `redis-benchmark`,
//! `redis-server`, `wrk`, `taskset` — found on `PATH`, or installed with
//! `apt-get` when they are missing and that is possible.
//!
//! Pinning: the server runs on one core and the load generator on the
//! other (`taskset -c`), so that the two do not take turns on one core and
//! the numbers measure the server, not the scheduler.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the runner found on this machine.
pub struct Tools {
    pub redis_benchmark: Option<std::path::PathBuf>,
    pub redis_server: Option<std::path::PathBuf>,
    pub wrk: Option<std::path::PathBuf>,
    /// `taskset` exists: pin servers to `server_cpu` and load generators to `client_cpu`.
    pub taskset: bool,
    pub server_cpu: usize,
    pub client_cpu: usize,
    /// `--quick`: shorter runs (wrk -d3s, redis-benchmark -n 20000).
    pub quick: bool,
}

impl Tools {
    /// Looks for the tools, installing the missing Debian packages with
    /// `apt-get` when this process may (it runs as root, or `sudo -n`
    /// works); otherwise says what to install.
    pub fn find_or_install(quick: bool) -> Tools {
        let wanted = [
            ("redis-benchmark", "redis-tools"),
            ("redis-server", "redis-server"),
            ("wrk", "wrk"),
        ];
        let missing: Vec<&str> = wanted
            .iter()
            .filter(|(program, _)| which(program).is_none())
            .map(|(_, package)| *package)
            .collect();
        if !missing.is_empty() {
            install(&missing);
        }
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        Tools {
            redis_benchmark: which("redis-benchmark"),
            redis_server: which("redis-server"),
            wrk: which("wrk"),
            taskset: which("taskset").is_some() && cpus >= 2,
            server_cpu: 0,
            client_cpu: 1,
            quick,
        }
    }

    /// A Command for a server process, pinned to `server_cpu` when taskset exists.
    pub fn server_command(&self, program: &std::path::Path) -> std::process::Command {
        self.pinned(program, self.server_cpu)
    }

    /// A Command for a load generator, pinned to `client_cpu` when taskset exists.
    pub fn client_command(&self, program: &std::path::Path) -> std::process::Command {
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
    let address = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port).into();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match TcpStream::connect_timeout(&address, Duration::from_millis(200)) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("nothing listens on 127.0.0.1:{port} after 30 s: {e}"),
                ))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("the OS gives a free loopback port")
}

/// `program`'s path on `PATH` (or in `~/.cargo/bin`, where `cargo install`
/// puts programs).
pub fn which(program: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// `apt-get install -y packages` (after one `apt-get update`), as root or
/// through `sudo -n`; prints what to do by hand when neither works.
fn install(packages: &[&str]) {
    let by_hand = format!("sudo apt-get install -y {}", packages.join(" "));
    let as_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"));
    let sudo = !as_root
        && which("sudo").is_some()
        && Command::new("sudo")
            .args(["-n", "true"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if which("apt-get").is_none() || !(as_root || sudo) {
        eprintln!(
            "servers: missing {}; install them: {by_hand}",
            packages.join(", ")
        );
        return;
    }
    eprintln!("servers: installing {} with apt-get", packages.join(" "));
    let apt = |args: &[&str]| {
        let mut command = if sudo {
            let mut c = Command::new("sudo");
            c.args(["-n", "apt-get"]);
            c
        } else {
            Command::new("apt-get")
        };
        command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    // Another apt may hold the lock for a while: a few tries, bounded.
    for attempt in 1..=5 {
        if apt(&["update", "-q"]) && apt(&[&["install", "-y", "-q"][..], packages].concat()) {
            return;
        }
        eprintln!("servers: apt-get failed (attempt {attempt} of 5; the lock may be held)");
        std::thread::sleep(Duration::from_secs(10));
    }
    eprintln!("servers: could not install; by hand: {by_hand}");
}
