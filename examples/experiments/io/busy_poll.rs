//! 非阻塞 I/O: non-blocking sockets, one thread asking every socket again
//! and again whether it has data — never waiting, so it burns a core even
//! when every client is silent.

use std::net::TcpListener;

use super::{echo_ready, thread_cpu_time, ServerReport};

pub fn serve(listener: TcpListener, clients: usize) -> std::io::Result<ServerReport> {
    let cpu_start = thread_cpu_time();
    listener.set_nonblocking(true)?;
    let mut open = Vec::new();
    let mut accepted = 0;
    while accepted < clients || !open.is_empty() {
        if accepted < clients {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(true)?;
                    open.push(stream);
                    accepted += 1;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        let mut i = 0;
        while i < open.len() {
            if echo_ready(&mut open[i])? {
                i += 1;
            } else {
                open.swap_remove(i);
            }
        }
    }
    Ok(ServerReport {
        cpu: thread_cpu_time() - cpu_start,
        threads: 1,
    })
}
