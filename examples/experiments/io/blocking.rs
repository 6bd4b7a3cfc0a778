//! 阻塞 I/O: blocking sockets and a thread per connection. Each thread
//! sleeps in `read` until its client sends; the kernel does the waiting, a
//! thread stack per client is the price.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use super::{thread_cpu_time, ServerReport};

pub fn serve(listener: TcpListener, clients: usize) -> std::io::Result<ServerReport> {
    let accept_cpu_start = thread_cpu_time();
    let (cpu_tx, cpu_rx) = mpsc::channel();
    let mut handlers = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (mut stream, _) = listener.accept()?;
        let cpu_tx = cpu_tx.clone();
        handlers.push(std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stream.read(&mut buf) {
                if stream.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = cpu_tx.send(thread_cpu_time());
        }));
    }
    let mut cpu = thread_cpu_time() - accept_cpu_start;
    for handler in handlers {
        handler.join().expect("an echo thread does not panic");
    }
    drop(cpu_tx);
    cpu += cpu_rx.iter().sum();
    Ok(ServerReport {
        cpu,
        threads: 1 + clients,
    })
}
