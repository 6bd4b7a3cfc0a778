//! `as_completed` for pool futures: `concurrent.futures.as_completed`.

use std::fmt;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::future::{ExecutorError, PoolFuture};

/// Yields the futures in the order they finish (cancelled ones count as
/// finished), blocking this thread between them: `concurrent.futures`'
/// `as_completed`. With a `timeout`, an item is `Err(ExecutorError::Timeout)`
/// once it passes, and the iteration ends.
///
/// ```
/// use std::sync::mpsc::channel;
/// let pool = corio::executor::ThreadPoolExecutor::new(3);
/// let (go_second, second_gate) = channel::<()>();
/// let (go_last, last_gate) = channel::<()>();
/// // Submitted last-first; each job finishes only when the test lets it.
/// let futures = vec![
///     pool.submit(move || { last_gate.recv().unwrap(); "last" }).unwrap(),
///     pool.submit(|| "first").unwrap(),
///     pool.submit(move || { second_gate.recv().unwrap(); "second" }).unwrap(),
/// ];
/// let mut finished = corio::executor::as_completed(futures, None);
/// let mut next = || finished.next().unwrap().unwrap().result(None).unwrap();
/// assert_eq!(next(), "first");
/// go_second.send(()).unwrap();
/// assert_eq!(next(), "second");
/// go_last.send(()).unwrap();
/// assert_eq!(next(), "last");
/// ```
pub fn as_completed<T: Send + 'static>(
    futures: impl IntoIterator<Item = PoolFuture<T>>,
    timeout: Option<Duration>,
) -> PoolAsCompleted<T> {
    let (tx, rx) = channel();
    let mut remaining = 0;
    for future in futures {
        remaining += 1;
        let tx = tx.clone();
        future.add_done_callback(move |f| {
            let _ = tx.send(f.clone());
        });
    }
    PoolAsCompleted {
        rx,
        remaining,
        deadline: timeout.map(|t| Instant::now() + t),
        timed_out: false,
    }
}

/// The iterator of [`as_completed`].
pub struct PoolAsCompleted<T> {
    rx: Receiver<PoolFuture<T>>,
    remaining: usize,
    deadline: Option<Instant>,
    timed_out: bool,
}

impl<T> Iterator for PoolAsCompleted<T> {
    type Item = Result<PoolFuture<T>, ExecutorError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 || self.timed_out {
            return None;
        }
        let received = match self.deadline {
            None => self.rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(deadline) => self
                .rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now())),
        };
        match received {
            Ok(future) => {
                self.remaining -= 1;
                Some(Ok(future))
            }
            Err(_) => {
                self.timed_out = true;
                Some(Err(ExecutorError::Timeout))
            }
        }
    }
}

impl<T> fmt::Debug for PoolAsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolAsCompleted")
            .field("remaining", &self.remaining)
            .finish()
    }
}
