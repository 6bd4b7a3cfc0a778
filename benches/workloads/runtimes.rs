//! The runtimes under test, built the same way for every workload.
//!
//! Each runtime is built as its users get it by default: corio's loop (it
//! always has its timers and reactor), tokio with `enable_all()` (what
//! `#[tokio::main]` builds: timers and IO driver), smol's `LocalExecutor`
//! under `smol::block_on` (async-io's reactor and timers).

use std::cell::RefCell;
use std::future::Future;
use std::rc::{Rc, Weak};

/// corio's single event loop.
pub fn corio() -> corio::EventLoop {
    corio::EventLoop::new()
}

/// corio's single event loop recording a trace of every step, park and wake
/// into a file in `/dev/shm` (or the temporary directory; issue 13's
/// overhead row). The file's name is removed when the runtime is dropped,
/// after the loop wrote it out; its space comes back when the process
/// exits, since a trace file stays open for later loops tracing into it.
pub struct CorioTraced {
    lp: Option<Rc<corio::EventLoop>>,
    path: std::path::PathBuf,
}

impl CorioTraced {
    /// The traced loop.
    pub fn lp(&self) -> &corio::EventLoop {
        self.lp.as_ref().expect("the loop lives until drop")
    }
}

impl Drop for CorioTraced {
    fn drop(&mut self) {
        drop(self.lp.take());
        let _ = std::fs::remove_file(&self.path);
    }
}

thread_local! {
    /// The traced loops alive on this thread, for [`settle`].
    static TRACED: RefCell<Vec<Weak<corio::EventLoop>>> = const { RefCell::new(Vec::new()) };
}

pub fn corio_traced() -> CorioTraced {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // In memory where there is a tmpfs: tens of MB of JSON per run, written
    // back to a disk, would add kernel work to whichever member runs next.
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("corio-bench-trace-{}-{n}.json", std::process::id()));
    let lp = Rc::new(corio::EventLoop::builder().trace(&path).build().unwrap());
    TRACED.with(|t| t.borrow_mut().push(Rc::downgrade(&lp)));
    CorioTraced { lp: Some(lp), path }
}

/// Waits, outside any timing, until every traced loop's trace so far is in
/// its file. The writer thread formats the JSON on the second core while
/// the traced loop runs ahead of it; called after each timed run, this keeps
/// that work from spilling into the next member's run.
pub fn settle() {
    TRACED.with(|t| {
        t.borrow_mut().retain(|lp| match lp.upgrade() {
            Some(lp) => {
                lp.flush_trace();
                true
            }
            None => false,
        })
    });
}

/// tokio's current-thread runtime, with its timer and IO drivers.
pub fn tokio_ct() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// tokio's multi-thread runtime with 2 workers, with its timer and IO drivers.
pub fn tokio_mt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// smol's `LocalExecutor` (leaked, so tasks can reach it as `&'static` from
/// anywhere), driven by `smol::block_on`.
#[derive(Clone, Copy)]
pub struct Smol(pub &'static smol::LocalExecutor<'static>);

impl Smol {
    /// Runs `f` on this thread, running the executor's tasks beside it.
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        smol::block_on(self.0.run(f))
    }
}

pub fn smol() -> Smol {
    Smol(Box::leak(Box::new(smol::LocalExecutor::new())))
}

/// corio's multi-loop runtime with 2 loops (thread-per-core).
pub fn corio_loops() -> corio::multi_loop::Runtime {
    corio::multi_loop::Runtime::builder()
        .loops(2)
        .build()
        .unwrap()
}

/// smol's `Executor` run by 2 threads: the caller's (in `block_on`) and one
/// more, which runs the executor until the runtime is dropped.
pub struct SmolMt {
    pub ex: &'static smol::Executor<'static>,
    stop: Option<smol::channel::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SmolMt {
    /// Runs `f` on this thread, both threads running the executor's tasks.
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        smol::block_on(self.ex.run(f))
    }
}

impl Drop for SmolMt {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

pub fn smol_mt() -> SmolMt {
    let ex: &'static smol::Executor<'static> = Box::leak(Box::new(smol::Executor::new()));
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let thread = std::thread::spawn(move || {
        let _ = smol::block_on(ex.run(stopped.recv()));
    });
    SmolMt {
        ex,
        stop: Some(stop),
        thread: Some(thread),
    }
}
