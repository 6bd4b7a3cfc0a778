//! `Process::communicate`: feed the child's stdin and collect its stdout and
//! stderr, all at once.
//!
//! Doing them one after another deadlocks as soon as the data outgrows a
//! pipe (64 KiB): the parent blocks writing stdin while the child blocks
//! writing stdout, which nobody reads. So the three transfers are three
//! futures polled side by side by one (`join3`), each making progress
//! whenever its pipe is ready — one task, no threads, any amount of data in
//! both directions.
//!
//! Like asyncio, a child that exits (or closes its stdin) before taking all
//! the input is not an error: `BrokenPipe` on stdin ends the feeding, and
//! the outputs are still collected.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::task::Poll;

use super::child::Process;
use crate::streams::{StreamReader, StreamWriter};

/// What `communicate` returns: asyncio's `(stdout_data, stderr_data)`, each
/// `None` when that stream was not piped.
pub type Communicated = (Option<Vec<u8>>, Option<Vec<u8>>);

impl Process {
    /// Writes `input` to stdin and closes it, reads stdout and stderr to
    /// end-of-file — concurrently, so no amount of data deadlocks — then
    /// waits for the exit (asyncio's `communicate(input)`).
    ///
    /// Cancelling it (a `wait_for` that times out) closes the pipes it took;
    /// the child keeps running — `kill` it, as asyncio's users do.
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
        let feed = feed(self.stdin.take(), input.unwrap_or_default());
        let out = collect(self.stdout.take());
        let err = collect(self.stderr.take());
        let (fed, out, err) = join3(feed, out, err).await;
        fed?;
        let (out, err) = (out?, err?);
        self.wait().await?;
        Ok((out, err))
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

/// Writes `data` to the child's stdin and closes it — asyncio's
/// `_feed_stdin`: `write`, `drain`, `close`. `BrokenPipe` or
/// `ConnectionReset` (the child stopped reading) ends the feeding quietly.
async fn feed(stdin: Option<StreamWriter>, data: &[u8]) -> io::Result<()> {
    let Some(stdin) = stdin else {
        return Ok(());
    };
    let sent = async {
        if !data.is_empty() {
            stdin.write(data)?;
            stdin.drain().await?;
        }
        Ok(())
    }
    .await;
    stdin.close();
    let closed = stdin.wait_closed().await;
    match sent.and(closed) {
        Err(e) if !is_peer_gone(&e) => Err(e),
        _ => Ok(()),
    }
}

fn is_peer_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

/// Reads one output to end-of-file; `None` when it was not piped.
async fn collect(output: Option<StreamReader>) -> io::Result<Option<Vec<u8>>> {
    match output {
        Some(mut reader) => reader.read_to_eof().await.map(Some),
        None => Ok(None),
    }
}

/// Polls three futures side by side until all are done; their outputs in
/// argument order. Each is polled only until it completes.
async fn join3<A: Future, B: Future, C: Future>(
    a: A,
    b: B,
    c: C,
) -> (A::Output, B::Output, C::Output) {
    let (mut a, mut b, mut c) = (pin!(a), pin!(b), pin!(c));
    let (mut ra, mut rb, mut rc) = (None, None, None);
    poll_fn(|cx| {
        if ra.is_none() {
            ra = poll_ready(a.as_mut().poll(cx));
        }
        if rb.is_none() {
            rb = poll_ready(b.as_mut().poll(cx));
        }
        if rc.is_none() {
            rc = poll_ready(c.as_mut().poll(cx));
        }
        match (ra.take(), rb.take(), rc.take()) {
            (Some(a), Some(b), Some(c)) => Poll::Ready((a, b, c)),
            (a, b, c) => {
                (ra, rb, rc) = (a, b, c);
                Poll::Pending
            }
        }
    })
    .await
}

fn poll_ready<T>(poll: Poll<T>) -> Option<T> {
    match poll {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}
