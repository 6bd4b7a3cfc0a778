//! `Driver` and `Unparker`: the loop's OS poller and the handle other threads
//! use to interrupt it.
//!
//! The owner/handle split follows tokio's `Driver`/`Handle`: the `Driver` owns
//! the `mio::Poll` and lives inside the loop (only the loop thread blocks in
//! it); the `Unparker` wraps a `mio::Waker` and lives in the loop's shared,
//! thread-safe part, so any thread can interrupt a blocked poll.
//!
//! What the OS promises here (Linux, through mio): `mio::Waker` is an eventfd
//! registered edge-triggered; each `wake` makes one pending poll return with
//! the `TOKEN_WAKEUP` event, and wake-ups may coalesce. `poll` may return
//! early (a signal, `EINTR`) or with no events: the loop treats every return
//! as "look again", never as "something happened".

use std::io;
use std::rc::Rc;
use std::task::Waker as TaskWaker;
use std::time::Duration;

use mio::{Events, Poll, Token, Waker};

use super::reactor::Reactor;

/// The token of the cross-thread wake-up; never handed to a socket.
pub(crate) const TOKEN_WAKEUP: Token = Token(usize::MAX);

/// How many OS events one poll can return at most.
const EVENTS_CAPACITY: usize = 1024;

/// The loop's OS poller. See the module docs.
pub(crate) struct Driver {
    poll: Poll,
    events: Events,
    reactor: Rc<Reactor>,
    /// Wakers collected from one poll's events, woken after the borrows end.
    to_wake: Vec<TaskWaker>,
}

/// Wakes a parked loop from any thread.
pub(crate) struct Unparker(Waker);

impl Driver {
    /// A poller and its un-parker.
    pub(crate) fn new() -> io::Result<(Driver, Unparker)> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), TOKEN_WAKEUP)?;
        let reactor = Rc::new(Reactor::new(poll.registry().try_clone()?));
        let driver = Driver {
            poll,
            events: Events::with_capacity(EVENTS_CAPACITY),
            reactor,
            to_wake: Vec::new(),
        };
        Ok((driver, Unparker(waker)))
    }

    /// The socket table, for registrations.
    pub(crate) fn reactor(&self) -> &Rc<Reactor> {
        &self.reactor
    }

    /// `true` when a zero-timeout poll could report something the loop would
    /// not otherwise learn: some socket is registered. (With none, it could
    /// only report a cross-thread wake-up, which the loop sees in its
    /// injection queue anyway, so the system call is skipped.)
    pub(crate) fn has_io_sources(&self) -> bool {
        self.reactor.len() > 0
    }

    /// Blocks until an event, a wake-up or the timeout (`None`: no timeout),
    /// records the sockets' readiness and returns the wakers to wake. An
    /// interrupted poll (`EINTR`) returns normally: the loop looks again.
    pub(crate) fn poll(&mut self, timeout: Option<Duration>) -> io::Result<Vec<TaskWaker>> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(Vec::new()),
            Err(e) => return Err(e),
        }
        let mut wake = std::mem::take(&mut self.to_wake);
        for event in self.events.iter() {
            if event.token() != TOKEN_WAKEUP {
                self.reactor.dispatch(event, &mut wake);
            }
        }
        Ok(wake)
    }

    /// The sockets the last poll reported, for the trace: each one's
    /// reactor slot and whether it was readable, writable, or closed.
    pub(crate) fn reported(&self) -> impl Iterator<Item = (usize, Readiness)> + '_ {
        self.events
            .iter()
            .filter(|e| e.token() != TOKEN_WAKEUP)
            .map(|e| {
                let readiness = Readiness {
                    readable: e.is_readable(),
                    writable: e.is_writable(),
                    closed: e.is_read_closed() || e.is_write_closed() || e.is_error(),
                };
                (e.token().0, readiness)
            })
    }

    /// Gives back the (emptied) waker buffer for the next poll.
    pub(crate) fn recycle(&mut self, mut buffer: Vec<TaskWaker>) {
        buffer.clear();
        self.to_wake = buffer;
    }
}

/// What the OS reported for one socket in one poll (as the trace shows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Readiness {
    pub(crate) readable: bool,
    pub(crate) writable: bool,
    /// Closed for reading or writing, or an error: the peer hung up.
    pub(crate) closed: bool,
}

impl Unparker {
    /// Interrupts the loop's blocked poll (or its next one).
    pub(crate) fn unpark(&self) {
        if let Err(e) = self.0.wake() {
            // Only a broken eventfd can fail here; the loop would then sleep
            // until its timeout. Say so rather than hide it.
            eprintln!("corio: could not wake the event loop: {e}");
        }
    }
}
