//! `Process::communicate`: feed the child's stdin and collect its stdout and
//! stderr, all at once.
//!
//! Doing them one after another deadlocks as soon as the data outgrows a
//! pipe (64 KiB): the parent blocks writing stdin while the child blocks
//! writing stdout, which nobody reads. So the three transfers are polled
//! side by side in one future, each making progress whenever its pipe is
//! ready — one task, no threads, any amount of data in both directions.
//!
//! Like asyncio, a child that exits (or closes its stdin) before taking all
//! the input is not an error: `BrokenPipe` on stdin ends the feeding, and
//! the outputs are still collected.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::child::Process;
use super::pipe::poll_read_to_end;

/// What `communicate` returns: asyncio's `(stdout_data, stderr_data)`, each
/// `None` when that stream was not piped.
pub type Communicated = (Option<Vec<u8>>, Option<Vec<u8>>);

impl Process {
    /// Writes `input` to stdin and closes it, reads stdout and stderr to
    /// end-of-file — concurrently, so no amount of data deadlocks — then
    /// waits for the exit (asyncio's `communicate(input)`).
    ///
    /// # Errors
    ///
    /// `InvalidInput` when called a second time, when `input` is given but
    /// there is no stdin pipe (not piped, or taken out of the `Process`), or
    /// when piped stdout or stderr was taken out before the call; the OS error of a read, a write (other
    /// than `BrokenPipe`) or the wait.
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    ///
    /// corio::run(async {
    ///     let mut cat = Command::new("cat").stdin(Stdio::Pipe).stdout(Stdio::Pipe).spawn()?;
    ///     let input = vec![b'x'; 1 << 20]; // far more than a pipe holds
    ///     let (out, err) = cat.communicate(Some(&input)).await?;
    ///     assert_eq!(out.unwrap().len(), 1 << 20);
    ///     assert_eq!(err, None); // stderr was not piped
    ///     assert_eq!(cat.returncode(), Some(0));
    ///     let again = cat.communicate(None).await.unwrap_err();
    ///     assert_eq!(again.kind(), std::io::ErrorKind::InvalidInput);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn communicate(&mut self, input: Option<&[u8]>) -> io::Result<Communicated> {
        self.check_communicate(input.is_some())?;
        self.communicated = true;
        let mut stdin = self.stdin.take();
        let stdout = self.stdout.take();
        let stderr = self.stderr.take();
        let mut feed = Feed {
            writer: stdin.as_mut(),
            data: input.unwrap_or_default(),
        };
        let mut out = Collect::new(stdout);
        let mut err = Collect::new(stderr);
        poll_fn(|cx| {
            let fed = feed.poll(cx)?;
            let read_out = out.poll(cx)?;
            let read_err = err.poll(cx)?;
            if fed.is_ready() && read_out.is_ready() && read_err.is_ready() {
                Poll::Ready(Ok::<(), io::Error>(()))
            } else {
                Poll::Pending
            }
        })
        .await?;
        drop(stdin);
        self.wait().await?;
        Ok((out.into_bytes(), err.into_bytes()))
    }

    fn check_communicate(&self, has_input: bool) -> io::Result<()> {
        let refuse = |why: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, why.to_string()));
        if self.communicated {
            return refuse("communicate was already called on this Process");
        }
        if has_input && self.stdin.is_none() {
            return refuse(if self.piped.stdin {
                "communicate got input, but Process::stdin was taken out of the Process"
            } else {
                "communicate got input, but stdin is not Stdio::Pipe"
            });
        }
        // The outputs are the result: a stream taken away would silently come
        // back as `None`. (A taken stdin without input is fine: its new owner
        // feeds and closes it.)
        for (name, piped, present) in [
            ("stdout", self.piped.stdout, self.stdout.is_some()),
            ("stderr", self.piped.stderr, self.stderr.is_some()),
        ] {
            if piped && !present {
                return refuse(&format!(
                    "communicate needs Process::{name}, which was taken out of the Process"
                ));
            }
        }
        Ok(())
    }
}

/// Writes `data`, then closes the writer. `BrokenPipe` (the child stopped
/// reading) ends the feeding quietly.
struct Feed<'a, W> {
    writer: Option<&'a mut W>,
    data: &'a [u8],
}

impl<W: AsyncWrite + Unpin> Feed<'_, W> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(writer) = self.writer.as_deref_mut() else {
            return Poll::Ready(Ok(()));
        };
        while !self.data.is_empty() {
            match Pin::new(&mut *writer).poll_write(cx, self.data) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.data = &self.data[n..],
                Poll::Ready(Err(e)) if is_peer_gone(&e) => self.data = &[],
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            }
        }
        let closed = match Pin::new(&mut *writer).poll_close(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(e)) if !is_peer_gone(&e) => Err(e),
            Poll::Ready(_) => Ok(()),
        };
        self.writer = None;
        Poll::Ready(closed)
    }
}

fn is_peer_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

/// Reads one stream to end-of-file (nothing when it is not piped).
struct Collect<R> {
    reader: Option<R>,
    bytes: Vec<u8>,
    done: bool,
}

impl<R: AsyncRead + Unpin> Collect<R> {
    fn new(reader: Option<R>) -> Collect<R> {
        Collect {
            done: reader.is_none(),
            reader,
            bytes: Vec::new(),
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.reader.as_mut() {
            Some(reader) if !self.done => {
                let read = poll_read_to_end(reader, cx, &mut self.bytes);
                self.done = matches!(read, Poll::Ready(Ok(())));
                read
            }
            _ => Poll::Ready(Ok(())),
        }
    }

    fn into_bytes(self) -> Option<Vec<u8>> {
        self.reader.map(|_| self.bytes)
    }
}
