//! `Reactor`: the table of registered sockets, keyed by mio token.
//!
//! A socket registers once with the loop's `mio::Registry` under a token that
//! is its index in a `Slab`; the slab holds the socket's [`ScheduledIo`]. When
//! the driver's poll returns events, `dispatch` maps each token back to its
//! `ScheduledIo`, records the readiness and collects the wakers; the driver
//! wakes them after every borrow is released. A socket deregisters when it is
//! dropped (see `Registration`), freeing its token.
//!
//! The reactor is shared (`Rc`) between the driver and every registration of
//! the loop; all of it lives on the loop's thread.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::task::Waker;

use mio::event::{Event, Source};
use mio::{Interest, Registry, Token};
use slab::Slab;

use super::budget::IoBudget;
use super::scheduled_io::{ScheduledIo, ERROR, READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED};

/// See the module docs.
pub(crate) struct Reactor {
    registry: Registry,
    sources: RefCell<Slab<Rc<ScheduledIo>>>,
    /// The running task step's budget of ready operations (see `budget.rs`).
    pub(crate) budget: IoBudget,
}

impl Reactor {
    pub(crate) fn new(registry: Registry) -> Reactor {
        Reactor {
            registry,
            sources: RefCell::default(),
            budget: IoBudget::new(),
        }
    }

    /// How many sockets are registered.
    pub(crate) fn len(&self) -> usize {
        self.sources.borrow().len()
    }

    /// Registers `source` for both directions; returns its token and state.
    pub(crate) fn register(
        &self,
        source: &mut impl Source,
    ) -> io::Result<(Token, Rc<ScheduledIo>)> {
        let io = Rc::new(ScheduledIo::default());
        let token = Token(self.sources.borrow_mut().insert(io.clone()));
        if let Err(e) =
            self.registry
                .register(source, token, Interest::READABLE | Interest::WRITABLE)
        {
            self.sources.borrow_mut().remove(token.0);
            return Err(e);
        }
        Ok((token, io))
    }

    /// Deregisters `source` and frees its token.
    pub(crate) fn deregister(&self, token: Token, source: &mut impl Source) {
        // Deregistering can only fail if the fd is already gone; the token is
        // freed either way.
        let _ = self.registry.deregister(source);
        let io = self.sources.borrow_mut().try_remove(token.0);
        if let Some(io) = io {
            let mut wake = Vec::new();
            io.shutdown(&mut wake);
            wake.into_iter().for_each(Waker::wake);
        }
    }

    /// Records one OS event; pushes the wakers to wake on `wake`.
    pub(crate) fn dispatch(&self, event: &Event, wake: &mut Vec<Waker>) {
        let sources = self.sources.borrow();
        let Some(io) = sources.get(event.token().0) else {
            // A socket dropped after the OS queued its event.
            return;
        };
        let mut ready = 0;
        if event.is_readable() {
            ready |= READABLE;
        }
        if event.is_writable() {
            ready |= WRITABLE;
        }
        if event.is_read_closed() {
            ready |= READ_CLOSED;
        }
        if event.is_write_closed() {
            ready |= WRITE_CLOSED;
        }
        if event.is_error() {
            ready |= ERROR;
        }
        io.record(ready, wake);
    }
}
