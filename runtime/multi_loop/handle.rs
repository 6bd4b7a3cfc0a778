//! `RuntimeHandle`: placing work on the loops of a [`Runtime`](super::Runtime)
//! from any thread, including from a task on one of its loops.

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::thread::ThreadId;

use super::on_loop::BuildOnLoop;
use super::placement::{LoadGuard, Loads};
use crate::net::TcpStream;
use crate::{LoopHandle, RemoteTask};

/// A `Send + Sync + Clone` handle to a multi-loop [`Runtime`](super::Runtime):
/// what a task on one loop holds to start work on another (an acceptor
/// handing connections out, for instance).
///
/// ```
/// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
/// let handle = rt.handle().clone();
/// let answer = rt.block_on(async move {
///     // From loop 0, start work on loop 1 and await it here.
///     handle.spawn_on(1, || async { 6 * 7 }).await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
#[derive(Clone)]
pub struct RuntimeHandle {
    shared: Arc<Shared>,
}

struct Shared {
    handles: Box<[LoopHandle]>,
    threads: Box<[ThreadId]>,
    loads: Arc<Loads>,
}

impl RuntimeHandle {
    pub(crate) fn new(handles: Vec<LoopHandle>, threads: Vec<ThreadId>) -> RuntimeHandle {
        let loads = Arc::new(Loads::new(handles.len()));
        RuntimeHandle {
            shared: Arc::new(Shared {
                handles: handles.into(),
                threads: threads.into(),
                loads,
            }),
        }
    }

    /// How many loops (and threads) the runtime has.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(3).build().unwrap();
    /// assert_eq!(rt.handle().loops(), 3);
    /// ```
    pub fn loops(&self) -> usize {
        self.shared.handles.len()
    }

    /// Each loop's [`LoopHandle`], by index: `call_soon_threadsafe`,
    /// `spawn` and `stop` on one loop.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let task = rt.handle().handles()[1].spawn(async { 1 });
    /// assert_eq!(task.wait().unwrap(), 1);
    /// ```
    pub fn handles(&self) -> &[LoopHandle] {
        &self.shared.handles
    }

    /// The index of the loop running on this thread, if it is one of this
    /// runtime's.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// assert_eq!(rt.handle().current_loop(), None);
    /// let h = rt.handle().clone();
    /// assert_eq!(rt.block_on(async move { h.current_loop() }), Some(0));
    /// ```
    pub fn current_loop(&self) -> Option<usize> {
        let me = std::thread::current().id();
        self.shared.threads.iter().position(|&t| t == me)
    }

    /// Tasks started through this runtime (any of its `spawn` methods) that
    /// are still alive on loop `index`.
    ///
    /// # Panics
    ///
    /// When `index >= loops()`.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// assert_eq!(rt.handle().live_tasks(1), 0);
    /// ```
    #[track_caller]
    pub fn live_tasks(&self, index: usize) -> usize {
        self.check_index(index);
        self.shared.loads.live(index)
    }

    /// Spawns a `Send` future on the loop with the fewest live
    /// runtime-spawned tasks (ties in turn). Its place is fixed from then on.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let tasks: Vec<_> = (0..4u32).map(|i| rt.spawn(async move { i * 2 })).collect();
    /// let sum: u32 = tasks.into_iter().map(|t| t.wait().unwrap()).sum();
    /// assert_eq!(sum, 12);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> RemoteTask<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let index = self.shared.loads.least_loaded();
        self.spawn_send_on(index, future)
    }

    /// Spawns a `Send` future on loop `index`.
    ///
    /// # Panics
    ///
    /// When `index >= loops()`, as indexing a slice would.
    #[track_caller]
    pub(crate) fn spawn_send_on<F>(&self, index: usize, future: F) -> RemoteTask<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.check_index(index);
        let guard = LoadGuard::new(&self.shared.loads, index);
        self.shared.handles[index].spawn(async move {
            let _counted = guard;
            future.await
        })
    }

    /// Runs `build` on loop `index` and spawns the future it returns there.
    /// Only the closure crosses threads, so the future may be `!Send`: it can
    /// hold corio's sockets, `Rc`s and tasks (tokio's `spawn_pinned` shape).
    /// The output travels back, so it must be `Send`.
    ///
    /// # Panics
    ///
    /// When `index >= loops()` — a programming error, reported as indexing a
    /// slice out of range is, rather than a `Result` every caller unwraps.
    ///
    /// ```
    /// use std::rc::Rc;
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let task = rt.spawn_on(1, || async {
    ///     let shared = Rc::new(5); // !Send, fine: it never leaves loop 1
    ///     corio::yield_now().await;
    ///     *shared + 1
    /// });
    /// assert_eq!(task.wait().unwrap(), 6);
    /// ```
    ///
    /// The closure itself must be `Send`; capturing an `Rc` is a compile error:
    ///
    /// ```compile_fail
    /// use std::rc::Rc;
    /// let rt = corio::multi_loop::Runtime::new();
    /// let shared = Rc::new(5);
    /// rt.spawn_on(1, move || async move { *shared });
    /// ```
    #[track_caller]
    pub fn spawn_on<C, F>(&self, index: usize, build: C) -> RemoteTask<F::Output>
    where
        C: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        self.check_index(index);
        let guard = LoadGuard::new(&self.shared.loads, index);
        self.shared.handles[index].spawn(BuildOnLoop::new(move || {
            let future = build();
            async move {
                let _counted = guard;
                future.await
            }
        }))
    }

    /// [`spawn_on`](RuntimeHandle::spawn_on) on the least-loaded loop.
    ///
    /// ```
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let task = rt.handle().spawn_pinned(|| async { std::rc::Rc::new(3) == std::rc::Rc::new(3) });
    /// assert!(task.wait().unwrap());
    /// ```
    #[track_caller]
    pub fn spawn_pinned<C, F>(&self, build: C) -> RemoteTask<F::Output>
    where
        C: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let index = self.shared.loads.least_loaded();
        self.spawn_on(index, build)
    }

    /// The acceptor mode's hand-off: moves an accepted connection (as a std
    /// socket, e.g. from [`TcpStream::into_std`]) to the least-loaded loop,
    /// registers it with that loop's reactor and runs `serve` on it there.
    /// The outcome is `Err` if the socket could not be registered.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let rt = corio::multi_loop::Runtime::builder().loops(2).build().unwrap();
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let (accepted, _) = listener.accept().unwrap();
    /// let served = rt.handle().spawn_connection(accepted, |stream| async move {
    ///     let mut buf = [0; 5];
    ///     let n = stream.read(&mut buf).await.unwrap();
    ///     stream.write_all(&buf[..n]).await.unwrap();
    /// });
    /// client.write_all(b"hello").unwrap();
    /// let mut back = [0; 5];
    /// client.read_exact(&mut back).unwrap();
    /// assert_eq!(&back, b"hello");
    /// served.wait().unwrap().unwrap();
    /// ```
    #[track_caller]
    pub fn spawn_connection<S, F>(
        &self,
        stream: std::net::TcpStream,
        serve: S,
    ) -> RemoteTask<io::Result<F::Output>>
    where
        S: FnOnce(TcpStream) -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_pinned(move || async move {
            let stream = TcpStream::from_std(stream)?;
            Ok(serve(stream).await)
        })
    }

    #[track_caller]
    pub(crate) fn check_index(&self, index: usize) {
        let loops = self.loops();
        assert!(
            index < loops,
            "corio: loop index {index} is out of range: the runtime has {loops} loop(s)"
        );
    }

    /// The thread of loop `index`.
    pub(crate) fn thread_of(&self, index: usize) -> ThreadId {
        self.shared.threads[index]
    }
}

impl fmt::Debug for RuntimeHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeHandle")
            .field("loops", &self.loops())
            .finish()
    }
}
