//! `corio::net`: TCP, UDP and Unix-domain sockets on the loop's reactor.
//!
//! Each socket wraps a mio socket registered with the running loop
//! (`io/registration.rs`). An operation tries the non-blocking syscall when
//! the socket is ready and waits for readiness — costing no thread and no busy
//! loop — when it is not. Errors (refused, reset, EOF, broken pipe, `EMFILE`
//! on accept) are `io::Error` values, never panics.
//!
//! Sockets belong to the loop that created them (like tasks, they are not
//! `Send`); create them inside `corio::run`.
//!
//! The streams implement `futures_io::AsyncRead` and `AsyncWrite` (and so do
//! their split halves), and `TcpListener::incoming` / `UnixListener::incoming`
//! are `futures_core::Stream`s, so the `futures` ecosystem works on them.

mod lookup;
#[cfg(unix)]
mod reuseport;
mod split;
mod stream_core;
mod tcp;
mod udp;
mod unix;

pub use lookup::{lookup_host, ToSocketAddrs};
#[cfg(unix)]
pub use reuseport::bind_reuseport_std;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, SplitStream, WriteHalf};
pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixIncoming, UnixListener, UnixStream};

/// The plumbing of a stream type that is a facade over a `core:
/// StreamCore<_>` field (`TcpStream`, `UnixStream`): its [`SplitStream`]
/// methods are its core's, and `futures_io::AsyncRead` / `AsyncWrite` for
/// the type and for a shared reference to it go through them. These calls
/// have no future to own a wait, so they wait in the stream's shared entry
/// per direction (`WaitAs::Shared`): if several tasks poll one direction of
/// one stream this way at once, only the latest is woken.
macro_rules! stream_impls {
    ($ty:ty) => {
        impl $crate::net::SplitStream for $ty {
            fn core_poll_read(
                &self,
                cx: &mut std::task::Context<'_>,
                wait: $crate::io::registration::WaitAs<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.core.poll_read(cx, wait, buf)
            }

            fn core_poll_write(
                &self,
                cx: &mut std::task::Context<'_>,
                wait: $crate::io::registration::WaitAs<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.core.poll_write(cx, wait, buf)
            }

            fn core_shutdown(&self, how: std::net::Shutdown) -> std::io::Result<()> {
                self.core.shutdown(how)
            }
        }

        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::SplitStream::core_poll_read(
                    &*self,
                    cx,
                    $crate::io::registration::WaitAs::Shared,
                    buf,
                )
            }
        }

        impl futures_io::AsyncRead for &$ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::SplitStream::core_poll_read(
                    *self,
                    cx,
                    $crate::io::registration::WaitAs::Shared,
                    buf,
                )
            }
        }

        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::SplitStream::core_poll_write(
                    &*self,
                    cx,
                    $crate::io::registration::WaitAs::Shared,
                    buf,
                )
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready($crate::net::SplitStream::core_shutdown(
                    &*self,
                    std::net::Shutdown::Write,
                ))
            }
        }

        impl futures_io::AsyncWrite for &$ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::SplitStream::core_poll_write(
                    *self,
                    cx,
                    $crate::io::registration::WaitAs::Shared,
                    buf,
                )
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready($crate::net::SplitStream::core_shutdown(
                    *self,
                    std::net::Shutdown::Write,
                ))
            }
        }
    };
}

pub(crate) use stream_impls;
