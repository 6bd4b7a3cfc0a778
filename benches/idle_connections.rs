//! idle_connections (issue 4's target): resident memory of 10,000 idle TCP
//! connections on one corio loop, per connection. The clients live in a child
//! process (this binary, re-executed), so the server's descriptors and memory
//! are all that is measured: the accepted stream, its registration and one
//! idle task waiting to read from it. Kernel socket buffers are not resident
//! memory of the process.
//!
//! `cargo bench -p corio-benches --bench idle_connections` (needs a
//! descriptor limit above 10,000: `ulimit -n 20000`).
use std::io::Read;
fn rss() -> usize {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap();
    s.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<usize>()
        .unwrap()
        * 4096
}
const N: usize = 10_000;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() > 2 && args[1] == "client" {
        let addr: std::net::SocketAddr = args[2].parse().unwrap();
        let conns: Vec<_> = (0..N)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        let mut stdin = std::io::stdin();
        let _ = stdin.read(&mut [0u8; 1]); // wait until told to go
        drop(conns);
        return;
    }
    corio::run(async {
        let l = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["client", &addr.to_string()])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let before = rss();
        let mut servers = Vec::with_capacity(N);
        for _ in 0..N {
            let (s, _) = l.accept().await.unwrap();
            servers.push(corio::spawn(async move {
                let mut buf = [0u8; 64];
                s.read(&mut buf).await.unwrap()
            }));
        }
        for _ in 0..3 {
            corio::yield_now().await;
        }
        let after = rss();
        let per = (after - before) / N;
        println!("idle_connections: {N} idle connections, one idle reader task each: {per} bytes per connection (target < 5120)");
        drop(child.stdin.take());
        for s in servers {
            let _ = s.await;
        }
        child.wait().unwrap();
    });
}
