//! I/O 多路复用: one thread, one `mio::Poll` (epoll on Linux) watching the
//! listener and every connection; the thread sleeps in `poll` until some
//! socket is ready and then serves exactly those. This is the loop under
//! corio, with no tasks on top.

use std::collections::HashMap;
use std::net::TcpListener;

use mio::net::{TcpListener as MioListener, TcpStream as MioStream};
use mio::{Events, Interest, Poll, Token};

use super::{thread_cpu_time, ServerReport};

const LISTENER: Token = Token(usize::MAX);

pub fn serve(listener: TcpListener, clients: usize) -> std::io::Result<ServerReport> {
    let cpu_start = thread_cpu_time();
    listener.set_nonblocking(true)?;
    let mut listener = MioListener::from_std(listener);
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut events = Events::with_capacity(256);
    let mut open: HashMap<Token, std::net::TcpStream> = HashMap::new();
    let (mut accepted, mut closed) = (0, 0);
    while closed < clients {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let token = Token(accepted);
                            accepted += 1;
                            poll.registry()
                                .register(&mut stream, token, Interest::READABLE)?;
                            open.insert(token, into_std(stream));
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
            } else if let Some(stream) = open.get_mut(&event.token()) {
                if !super::echo_ready(stream)? {
                    open.remove(&event.token());
                    closed += 1;
                }
            }
        }
    }
    Ok(ServerReport {
        cpu: thread_cpu_time() - cpu_start,
        threads: 1,
    })
}

/// The std stream over the same (still registered, non-blocking) socket,
/// so that the shared `echo_ready` can serve it.
fn into_std(stream: MioStream) -> std::net::TcpStream {
    use std::os::fd::{FromRawFd, IntoRawFd};
    let fd = stream.into_raw_fd();
    // SAFETY: `fd` was just released by `stream`, so this is its only owner.
    unsafe { std::net::TcpStream::from_raw_fd(fd) }
}
