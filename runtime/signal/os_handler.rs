//! The part of corio that runs inside the OS signal handler, and the
//! process-wide bookkeeping around it.
//!
//! **What may run in a signal handler.** A signal interrupts a thread at any
//! instruction — possibly inside `malloc`, holding its lock, or halfway
//! through a `RefCell` borrow. Code that runs in the handler may therefore
//! only call async-signal-safe functions (signal-safety(7)) and touch memory
//! through atomics: no allocation, no lock, no `println!`, no panic. corio's
//! handler actions obey that by doing almost nothing:
//!
//! * a **listener action** writes one byte to its listener's socket with
//!   `write(2)` and returns. Everything else — reading the byte, waking the
//!   task, running the callback — happens on the loop, in ordinary code,
//!   after the reactor reports the socket readable (the self-pipe trick);
//! * a **default keeper** (one per signal, installed with the signal's first
//!   listener and never removed) checks an atomic count of listeners and,
//!   when it is zero, does what the kernel would have done had corio never
//!   listened (see below).
//!
//! **Why `signal-hook-registry`.** A process has one disposition per signal,
//! but corio wants many listeners per signal (several loops, several
//! `Signals`), and other libraries in the same program may want the signal
//! too. The registry installs one `sigaction` handler per signal that runs a
//! list of actions, chains to whatever handler was there before, and guards
//! the list with a lock-free read side that a handler can use. Writing that
//! by hand would mean owning `sigaction` for the whole process.
//!
//! **Closing a listener's socket safely.** A delivery on another thread may
//! be running a listener's action at the moment the listener is dropped; if
//! the write end were closed first, the action could write into a closed —
//! or, worse, reused — descriptor. The registry's `unregister` returns only
//! after every handler that could still see the removed action has finished
//! (it swaps the action list and waits until no handler reads the old one).
//! So [`Registration`] owns the write end and closes it only after
//! `unregister` has returned: from then on no action can touch it.
//!
//! **The default disposition after the last listener.** The registry cannot
//! put `SIG_DFL` back when its last action is removed: its handler stays
//! installed for the life of the process, and a signal with no action left
//! would be silently swallowed — a program that stopped listening to `SIGINT`
//! could no longer be stopped with Ctrl-C. asyncio's `remove_signal_handler`
//! restores the default, and so does corio, by acting it out: the keeper,
//! finding no listener, and if the signal's disposition was `SIG_DFL` before
//! corio came, re-installs `SIG_DFL` and re-raises the signal for terminating
//! signals (the process dies of it, with the right exit status, when the
//! handler returns), raises `SIGSTOP` for stopping ones, and does nothing for
//! ignored ones. If the disposition was `SIG_IGN` (say, `SIGHUP` under
//! `nohup`), the signal is ignored again; if it was some other handler, the
//! registry already chains to it and the keeper does nothing. One caveat: the
//! keeper cannot see actions other libraries added through the registry, so
//! with corio's last listener gone it acts out the default even if such a
//! library still listens.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use signal_hook_registry::SigId;

use super::number::{self, DefaultAction};

/// The disposition a signal had before corio installed anything for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disposition {
    Default,
    Ignore,
    Handler,
}

/// Process-wide state of one signal corio has listened to.
struct SignalSlot {
    signal: i32,
    /// Listener actions currently registered. Read by the keeper inside the
    /// handler, hence an atomic.
    listeners: AtomicUsize,
    before: Disposition,
}

/// Every signal corio has installed a keeper for. Only touched outside
/// signal handlers (the handler reaches its slot through the `Arc` the
/// keeper captured), so a `Mutex` is fine here.
static SLOTS: Mutex<BTreeMap<i32, Arc<SignalSlot>>> = Mutex::new(BTreeMap::new());

/// One listener's action: registered on creation, unregistered on drop.
///
/// Invariant: `wake_fd` stays open while the action can run — it is closed
/// only when this value's fields drop, after `Drop::drop` has unregistered
/// the action (see the module docs).
pub(crate) struct Registration {
    id: SigId,
    slot: Arc<SignalSlot>,
    wake_fd: OwnedFd,
}

impl Registration {
    /// Registers an action that writes one byte to `wake_fd` on every
    /// delivery of `sig`. `wake_fd` must be non-blocking: when its buffer is
    /// full the byte is dropped, and the reader still sees the earlier ones.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a number corio refuses or the kernel does not know.
    pub(crate) fn new(sig: i32, wake_fd: OwnedFd) -> io::Result<Registration> {
        number::check(sig)?;
        let slot = slot_for(sig)?;
        // Counted before the action exists: the keeper never sees a live
        // listener as missing.
        slot.listeners.fetch_add(1, Ordering::SeqCst);
        let fd = wake_fd.as_raw_fd();
        // The action calls only `write(2)`, which is async-signal-safe, on a
        // descriptor this `Registration` keeps open until the action is
        // unregistered; it allocates nothing, takes no lock and cannot panic.
        // `sig` is not one of the registry's forbidden signals
        // (`number::check` refused those), so `register` does not panic.
        // SAFETY: the action is async-signal-safe (see just above).
        let registered = unsafe { signal_hook_registry::register(sig, move || write_byte(fd)) };
        match registered {
            Ok(id) => Ok(Registration { id, slot, wake_fd }),
            Err(e) => {
                slot.listeners.fetch_sub(1, Ordering::SeqCst);
                Err(e)
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Returns once no handler can still be running the action; only then
        // may `wake_fd` close (when the fields drop, after this body).
        signal_hook_registry::unregister(self.id);
        self.slot.listeners.fetch_sub(1, Ordering::SeqCst);
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("signal", &number::describe(self.slot.signal))
            .field("wake_fd", &self.wake_fd.as_raw_fd())
            .field("listeners", &self.slot.listeners.load(Ordering::SeqCst))
            .finish()
    }
}

/// The listener action: one byte down the listener's socket. The result is
/// ignored on purpose: `EAGAIN` means the buffer is full of earlier bytes
/// the reader has not taken yet, and one more would tell it nothing new.
/// (`errno` is saved and restored around all actions by the registry.)
fn write_byte(fd: RawFd) {
    let byte = 1u8;
    // SAFETY: `fd` is open (`Registration`'s invariant) and the buffer is
    // one byte on this stack frame; `write(2)` is async-signal-safe.
    unsafe { libc::write(fd, ptr::from_ref(&byte).cast(), 1) };
}

/// The slot of `sig`, installing its keeper the first time.
fn slot_for(sig: i32) -> io::Result<Arc<SignalSlot>> {
    let mut slots = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(slot) = slots.get(&sig) {
        return Ok(slot.clone());
    }
    let slot = Arc::new(SignalSlot {
        signal: sig,
        listeners: AtomicUsize::new(0),
        before: current_disposition(sig)?,
    });
    let keeper = slot.clone();
    // SAFETY: the keeper reads an atomic and may call `sigaction(2)` and
    // `raise(3)`, all async-signal-safe; it allocates nothing, takes no lock
    // and cannot panic. `sig` passed `number::check`, so it is not a
    // forbidden signal and `register` does not panic.
    unsafe { signal_hook_registry::register(sig, move || keeper.act_out_default_if_unheard()) }?;
    slots.insert(sig, slot.clone());
    Ok(slot)
}

/// Asks the kernel for `sig`'s disposition without changing it; this is also
/// where a number the kernel does not know is refused.
fn current_disposition(sig: i32) -> io::Result<Disposition> {
    // SAFETY: `sigaction` is plain old data; all-zero is a valid value.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `old`,
    // which is a valid, writable `sigaction`.
    if unsafe { libc::sigaction(sig, ptr::null(), &mut old) } != 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "corio cannot listen to {}: not a signal this system lets a program catch ({e})",
                number::describe(sig)
            ),
        ));
    }
    Ok(match old.sa_sigaction {
        libc::SIG_DFL => Disposition::Default,
        libc::SIG_IGN => Disposition::Ignore,
        _ => Disposition::Handler,
    })
}

impl SignalSlot {
    /// The keeper action (runs inside the signal handler): with no listener
    /// left, do what the disposition corio replaced would have done.
    fn act_out_default_if_unheard(&self) {
        if self.listeners.load(Ordering::SeqCst) != 0 || self.before != Disposition::Default {
            return;
        }
        match number::default_action(self.signal) {
            DefaultAction::Ignore => {}
            // SAFETY: `raise(3)` is async-signal-safe; `SIGSTOP` stops the
            // process until `SIGCONT`, as the default action would have.
            DefaultAction::Stop => unsafe {
                libc::raise(libc::SIGSTOP);
            },
            DefaultAction::Terminate => terminate_by(self.signal),
        }
    }
}

/// Puts `SIG_DFL` back and raises `sig` again. The signal is blocked while
/// its handler runs, so the raised one waits until the handler returns, then
/// meets `SIG_DFL` and ends the process as if corio had never listened.
fn terminate_by(sig: i32) {
    // SAFETY: `sigaction` is plain old data; all-zero is a valid value
    // (empty mask, no flags).
    let mut default: libc::sigaction = unsafe { std::mem::zeroed() };
    default.sa_sigaction = libc::SIG_DFL;
    // SAFETY: `sigaction(2)` and `raise(3)` are async-signal-safe; `default`
    // is a valid action and the old one is not asked for.
    unsafe {
        libc::sigaction(sig, &default, ptr::null_mut());
        libc::raise(sig);
    }
}
