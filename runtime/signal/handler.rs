//! asyncio's `loop.add_signal_handler` / `remove_signal_handler`: a callback
//! per signal per loop, run on the loop as an ordinary callback.
//!
//! A handler is a [`Signals`] listener plus a small task that waits on it
//! and, for each delivery, schedules the callback with [`call_soon`]. So the
//! callback never runs inside the OS handler (where almost nothing is
//! allowed); it runs on the loop thread between tasks, like any `call_soon`
//! callback: [`current_task`](crate::current_task) is `None` in it, and a
//! panic in it is reported and contained. The task is named
//! `signal handler SIGHUP (1)` and shows up in `all_tasks()` and dumps.
//!
//! **Which loop.** Handlers belong to the loop they were added on, as in
//! asyncio where they are loop methods. The table is a thread-local (a loop
//! runs on one thread) keyed by the loop's identity; an entry whose task
//! is gone (its loop closed and dropped it, which also removed the
//! listener) counts as absent and is swept out on the next add or remove.
//!
//! **Removing is immediate.** `remove_signal_handler` drops the listener
//! before it returns — so the signal's previous action is back at once — and
//! then cancels the task, which has nothing left to wait on.

use std::cell::RefCell;
use std::future::poll_fn;
use std::io;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use super::number;
use super::signals::{signal, Signals};
use crate::event_loop::call_soon::call_soon;
use crate::event_loop::context;
use crate::event_loop::shared::LoopShared;
use crate::task::{Builder, Task};

/// What a handler's task and the table share.
struct HandlerListener {
    /// Taken out (and dropped) by `remove_signal_handler`.
    signals: RefCell<Option<Signals>>,
    callback: Rc<dyn Fn()>,
}

/// One row of the table.
struct InstalledHandler {
    /// The loop it was added on. A `Weak` keeps the allocation, so the
    /// address is never reused by another loop while the row exists.
    owner: std::sync::Weak<LoopShared>,
    signal: i32,
    /// Alive exactly while the task's future is.
    listener: Weak<HandlerListener>,
    task: Task<()>,
}

impl InstalledHandler {
    fn belongs_to(&self, owner: &Arc<LoopShared>, sig: i32) -> bool {
        self.signal == sig && std::ptr::eq(self.owner.as_ptr(), Arc::as_ptr(owner))
    }

    fn is_live(&self) -> bool {
        self.listener.strong_count() > 0
    }

    /// Drops the listener now and ends the task. Runs with the table
    /// released: dropping the callback runs user `Drop` code.
    fn remove(self) {
        if let Some(listener) = self.listener.upgrade() {
            drop(listener.signals.borrow_mut().take());
        }
        self.task.cancel();
    }
}

thread_local! {
    /// The signal handlers of the loops on this thread (see the module docs).
    static HANDLERS: RefCell<Vec<InstalledHandler>> = const { RefCell::new(Vec::new()) };
}

/// Calls `callback` on the running loop, as a `call_soon` callback, each
/// time the process gets `sig`: asyncio's `loop.add_signal_handler`. A
/// handler already set for `sig` on this loop is replaced (with no moment in
/// between when the signal has its default action). Deliveries that arrive
/// while the loop is busy are coalesced into one call.
///
/// # Errors
///
/// `InvalidInput` for `SIGKILL`, `SIGSTOP`, the fault signals and numbers
/// that are no signal; an error when no corio loop runs on this thread.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// use corio::signal::{add_signal_handler, SIGUSR1};
///
/// let reloads = Rc::new(Cell::new(0));
/// let seen = reloads.clone();
/// corio::run(async move {
///     add_signal_handler(SIGUSR1, move || seen.set(seen.get() + 1)).unwrap();
///     // SAFETY: SIGUSR1 has a handler, so raising it does not kill the process.
///     unsafe { libc::raise(SIGUSR1) };
///     while reloads.get() == 0 {
///         corio::time::sleep(std::time::Duration::from_millis(1)).await;
///     }
/// });
/// ```
pub fn add_signal_handler(sig: i32, callback: impl Fn() + 'static) -> io::Result<()> {
    number::check(sig)?;
    let owner = running_loop().ok_or_else(|| {
        io::Error::other("add_signal_handler needs a running corio loop on this thread")
    })?;
    // The new listener is installed before the old one goes.
    let listener = Rc::new(HandlerListener {
        signals: RefCell::new(Some(signal(sig)?)),
        callback: Rc::new(callback),
    });
    let task = Builder::new()
        .name(format!("signal handler {}", number::describe(sig)))
        .spawn(forward_deliveries(listener.clone()));
    let row = InstalledHandler {
        owner: Arc::downgrade(&owner),
        signal: sig,
        listener: Rc::downgrade(&listener),
        task,
    };
    let replaced = HANDLERS.with(|table| {
        let mut table = table.borrow_mut();
        let (replaced, stale) = take_rows(&mut table, |row| row.belongs_to(&owner, sig));
        table.push(row);
        (replaced, stale)
    });
    drop(listener);
    finish_removal(replaced);
    Ok(())
}

/// Removes the handler for `sig` from the running loop: asyncio's
/// `loop.remove_signal_handler`. Returns `true` if there was one. Once it
/// returns, the callback is not scheduled again, and if no other listener
/// remains the signal has the action it had before corio listened.
///
/// ```
/// use corio::signal::{add_signal_handler, remove_signal_handler, SIGUSR2};
///
/// corio::run(async {
///     add_signal_handler(SIGUSR2, || {}).unwrap();
///     assert!(remove_signal_handler(SIGUSR2));
///     assert!(!remove_signal_handler(SIGUSR2));
/// });
/// ```
pub fn remove_signal_handler(sig: i32) -> bool {
    let Some(owner) = running_loop() else {
        return false;
    };
    let (matched, stale) = HANDLERS
        .with(|table| take_rows(&mut table.borrow_mut(), |row| row.belongs_to(&owner, sig)));
    let found = !matched.is_empty();
    finish_removal((matched, stale));
    found
}

/// Takes out of `table` the live rows matching `wanted` and every dead row.
fn take_rows(
    table: &mut Vec<InstalledHandler>,
    wanted: impl Fn(&InstalledHandler) -> bool,
) -> (Vec<InstalledHandler>, Vec<InstalledHandler>) {
    let mut matched = Vec::new();
    let mut stale = Vec::new();
    let mut i = 0;
    while i < table.len() {
        if !table[i].is_live() {
            stale.push(table.swap_remove(i));
        } else if wanted(&table[i]) {
            matched.push(table.swap_remove(i));
        } else {
            i += 1;
        }
    }
    (matched, stale)
}

/// Removes what `take_rows` took, with the table no longer borrowed.
fn finish_removal((matched, stale): (Vec<InstalledHandler>, Vec<InstalledHandler>)) {
    matched.into_iter().for_each(InstalledHandler::remove);
    drop(stale);
}

/// The running loop's shared part: its identity for the table.
fn running_loop() -> Option<Arc<LoopShared>> {
    context::with_current_loop(|lp| lp.scheduler.shared().clone())
}

/// The handler's task: every delivery becomes one `call_soon` of the
/// callback. Ends when the listener is taken away.
async fn forward_deliveries(listener: Rc<HandlerListener>) {
    loop {
        let delivery = poll_fn(|cx| match listener.signals.borrow_mut().as_mut() {
            Some(signals) => signals.poll_recv(cx),
            None => std::task::Poll::Ready(None),
        })
        .await;
        if delivery.is_none() {
            return;
        }
        let callback = listener.callback.clone();
        call_soon(move || callback());
    }
}
