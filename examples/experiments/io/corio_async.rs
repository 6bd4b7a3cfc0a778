//! 异步 I/O in asyncio's sense: the same multiplexing loop, with a task per
//! connection written as straight-line code; each `.await` on a socket
//! parks the task until corio's reactor (mio underneath) says it is ready.

use std::net::TcpListener;

use super::{thread_cpu_time, ServerReport};

pub fn serve(listener: TcpListener, clients: usize) -> std::io::Result<ServerReport> {
    let cpu_start = thread_cpu_time();
    corio::run(async move {
        let listener = corio::net::TcpListener::from_std(listener)?;
        let mut handlers = Vec::with_capacity(clients);
        for _ in 0..clients {
            let (stream, _) = listener.accept().await?;
            handlers.push(corio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }));
        }
        corio::gather(handlers)
            .await
            .map_err(|_| std::io::Error::other("an echo task failed"))?;
        Ok::<_, std::io::Error>(())
    })?;
    Ok(ServerReport {
        cpu: thread_cpu_time() - cpu_start,
        threads: 1,
    })
}
