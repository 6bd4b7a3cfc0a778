//! The live task list: `CORIO_INSPECT=/path/to.sock` (or
//! `EventLoop::builder().inspect(path)`) serves the loop's task table and
//! await tree on a Unix socket, while the program runs — asyncio 3.14's
//! `python -m asyncio ps PID`. `cargo run --example corio_ps -- /path/to.sock`
//! is the client.
//!
//! A small thread (`corio-inspect`) accepts connections. For each one it asks
//! the loop for a snapshot the only safe way a foreign thread can: a
//! thread-safe callback (`LoopHandle::call_soon_threadsafe`) that renders
//! `dump_tasks`' text between two steps, on the loop's thread, and sends it
//! back. Task headers are never read from the inspector's thread.
//!
//! A loop stuck inside one step never runs that callback. So the loop also
//! tells the inspector, through the observer seam, which step it is in (id,
//! name, spawn site, start) — and when no snapshot arrives within
//! [`ANSWER_WITHIN`], the reply names the step the loop is stuck in instead of
//! hanging. That costs one uncontended lock per step, only while inspecting.

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::panic::Location;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crate::event_loop::observer::{LoopObserver, StepOutcome};
use crate::event_loop::LoopHandle;
use crate::task::header::Header;

/// How long a client waits for the loop to reach the gap between two steps.
pub(crate) const ANSWER_WITHIN: Duration = Duration::from_millis(500);

/// The step the loop is running, as the inspector's thread may see it.
struct RunningStep {
    task: u32,
    name: Option<String>,
    spawned_at: &'static Location<'static>,
    since: Instant,
}

/// What the loop and the inspector's thread share.
struct Shared {
    step: Mutex<Option<RunningStep>>,
    closed: AtomicBool,
    path: PathBuf,
}

/// The loop's side: an observer that keeps [`Shared::step`] current.
pub(crate) struct Inspector {
    shared: Arc<Shared>,
}

/// The socket, until the loop exists and its thread can start.
pub(crate) struct InspectServer {
    shared: Arc<Shared>,
    listener: UnixListener,
}

impl Inspector {
    /// Binds the socket at `path` (a stale socket file left there is
    /// replaced). The thread starts with [`InspectServer::start`], once the
    /// loop exists.
    pub(crate) fn bind(path: &Path) -> io::Result<(Inspector, InspectServer)> {
        if std::fs::symlink_metadata(path)
            .is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()))
        {
            std::fs::remove_file(path)?;
        }
        let listener = UnixListener::bind(path)?;
        let shared = Arc::new(Shared {
            step: Mutex::new(None),
            closed: AtomicBool::new(false),
            path: path.to_path_buf(),
        });
        Ok((
            Inspector {
                shared: shared.clone(),
            },
            InspectServer { shared, listener },
        ))
    }

    fn set_step(&self, step: Option<RunningStep>) {
        *self.shared.step.lock().unwrap_or_else(|e| e.into_inner()) = step;
    }
}

impl InspectServer {
    /// Starts the thread that answers clients with snapshots of `handle`'s loop.
    pub(crate) fn start(self, handle: LoopHandle) -> io::Result<()> {
        let InspectServer { shared, listener } = self;
        std::thread::Builder::new()
            .name("corio-inspect".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if shared.closed.load(Ordering::Acquire) {
                        break;
                    }
                    if let Ok(conn) = conn {
                        // A client that goes away mid-answer is its own business.
                        let _ = answer(conn, &shared, &handle);
                    }
                }
            })?;
        Ok(())
    }
}

/// One client: reads its request line, then writes the snapshot (or why
/// there is none) and closes.
fn answer(conn: UnixStream, shared: &Shared, handle: &LoopHandle) -> io::Result<()> {
    conn.set_read_timeout(Some(ANSWER_WITHIN))?;
    let mut request = String::new();
    // The request is informational (`ps`); an empty or slow one gets the same answer.
    let _ = BufReader::new(&conn).read_line(&mut request);
    let mut conn = conn;
    let (send, receive) = mpsc::channel();
    let asked = handle.call_soon_threadsafe(move || {
        let text =
            crate::event_loop::context::with_current_loop(super::dump::render).unwrap_or_default();
        let _ = send.send(text);
    });
    let reply = match asked {
        Err(_) => "corio: the loop has closed\n".to_string(),
        Ok(_) => match receive.recv_timeout(ANSWER_WITHIN) {
            Ok(text) => text,
            Err(_) => stuck_message(shared),
        },
    };
    conn.write_all(reply.as_bytes())
}

/// Why no snapshot came: the step the loop is inside, if it is in one.
fn stuck_message(shared: &Shared) -> String {
    let step = shared.step.lock().unwrap_or_else(|e| e.into_inner());
    match &*step {
        Some(s) => format!(
            "corio: the loop is stuck inside a step of task {} ({}, spawned at {}) for {:.1?}; \
             no snapshot until that step returns\n",
            s.task,
            s.name.clone().unwrap_or_else(|| format!("Task-{}", s.task)),
            s.spawned_at,
            s.since.elapsed()
        ),
        None => format!(
            "corio: the loop did not answer within {ANSWER_WITHIN:?} (it is busy outside any \
             task step: a callback, or closing)\n"
        ),
    }
}

impl LoopObserver for Inspector {
    fn step_begin(&self, task: &Header) {
        self.set_step(Some(RunningStep {
            task: task.id,
            name: task.peek_cold(|c| c.name.clone()).flatten(),
            spawned_at: task.spawned_at,
            since: Instant::now(),
        }));
    }

    fn step_end(&self, _task: u32, _outcome: StepOutcome) {
        self.set_step(None);
    }

    fn close(&self) {
        if self.shared.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        // Wakes the thread blocked in `accept`; it sees `closed` and ends.
        let _ = UnixStream::connect(&self.shared.path);
        let _ = std::fs::remove_file(&self.shared.path);
    }
}

impl std::fmt::Debug for InspectServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InspectServer")
            .field("path", &self.shared.path)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Inspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspector")
            .field("path", &self.shared.path)
            .finish_non_exhaustive()
    }
}
