//! One loop on its own thread: start it, and stop and join it.
//!
//! The thread builds its `EventLoop` (a loop belongs to the thread that
//! creates it), reports the loop's `LoopHandle` back, runs the loop until it
//! is stopped, and then drops it — which closes it exactly as `corio::run`
//! does: every task still pending is cancelled and dropped, the callbacks
//! that produces run, and the loop is marked closed.

use std::io;
use std::sync::mpsc;
use std::thread::{self, JoinHandle, ThreadId};

use crate::event_loop::Builder as LoopBuilder;
use crate::LoopHandle;

/// A started loop: its handle, its thread's id and the thread to join.
pub(crate) struct StartedLoop {
    pub(crate) handle: LoopHandle,
    pub(crate) thread_id: ThreadId,
    pub(crate) thread: JoinHandle<()>,
}

/// Starts a thread named `name` running a loop built by `config`.
pub(crate) fn start(name: String, config: LoopBuilder) -> io::Result<StartedLoop> {
    let (tx, rx) = mpsc::channel();
    let thread = thread::Builder::new().name(name).spawn(move || {
        let event_loop = match config.build() {
            Ok(event_loop) => event_loop,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let _ = tx.send(Ok(event_loop.handle()));
        event_loop.run_forever();
        // Closing: pending tasks are cancelled here, on the loop's thread.
        drop(event_loop);
    })?;
    let thread_id = thread.thread().id();
    match rx.recv() {
        Ok(Ok(handle)) => Ok(StartedLoop {
            handle,
            thread_id,
            thread,
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(mpsc::RecvError) => {
            let _ = thread.join();
            Err(io::Error::other(
                "a loop thread ended before its loop started",
            ))
        }
    }
}

/// Asks every loop to stop, then joins their threads; the indices of the
/// threads that ended by a panic. A loop whose thread is the calling one is
/// only asked to stop (joining it would wait for ourselves).
pub(crate) fn stop_and_join(
    handles: &[LoopHandle],
    threads: &mut [Option<JoinHandle<()>>],
) -> Vec<usize> {
    for handle in handles {
        // A closed loop has already stopped.
        let _ = handle.stop();
    }
    let me = thread::current().id();
    let mut panicked = Vec::new();
    for (i, slot) in threads.iter_mut().enumerate() {
        let Some(thread) = slot.take() else { continue };
        if thread.thread().id() == me {
            continue;
        }
        if thread.join().is_err() {
            panicked.push(i);
        }
    }
    panicked
}
