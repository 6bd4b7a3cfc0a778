//! `Scheduler`: the narrow interface through which tasks reach their loop.
//!
//! asyncio's loop keeps a deque `_ready` of handles; `Task.__step` and a
//! future's done-callbacks reach it through `loop.call_soon`. corio splits
//! that part off the loop on purpose: everything a task needs from its loop
//! — be queued when woken, leave the registry when done, queue a
//! done-callback — is here, and nothing else is. The wakers
//! (`task/waker.rs`, through the thread-local context) and the task harness
//! (`task/harness.rs`) reach this type and never the loop's core (`core.rs`), which owns a `Scheduler` and
//! drives it: the core imports the tasks, the tasks do not import the core.
//!
//! What it holds:
//!
//! * the **ready queue** of task steps and callbacks, in FIFO order;
//! * the **registry** of tasks not yet done (`all_tasks`, the dump, closing);
//! * the loop's [`LoopShared`]: the door other threads use, and the identity a
//!   waker compares with to tell a local wake from a remote one;
//! * the **observer**, told of each spawn and wake (see `observer.rs`), and the
//!   loop's counters.
//!
//! Borrow discipline: each `RefCell` is borrowed for one queue or registry
//! operation and released before any user code runs, so user code may call
//! back in freely.

use std::cell::{Cell, Ref, RefCell};
use std::future::Future;
use std::panic::Location;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;

use super::callback::ScheduledCallback;
use super::observer::LoopObserver;
use super::ready_queue::{ReadyQueue, Runnable};
use super::shared::{LoopShared, Remote};
use super::stats::{LoopStats, StatCounters};
use crate::debug::DebugConfig;
use crate::task::header::Header;
use crate::task::raw::{Stage, TaskCell, VTableFor};
use crate::task::registry::TaskRegistry;
use crate::task::state::ScheduleDecision;

/// See the module docs.
pub(crate) struct Scheduler {
    shared: Arc<LoopShared>,
    ready: RefCell<ReadyQueue>,
    registry: RefCell<TaskRegistry>,
    next_task_id: Cell<u32>,
    /// The loop is closing: new tasks are born cancelled.
    closing: Cell<bool>,
    /// Debug mode's settings: the harness times steps and reports lost errors.
    pub(crate) debug: DebugConfig,
    /// The loop's counters (`EventLoop::stats`).
    pub(crate) stats: StatCounters,
    /// Who watches the loop (the trace recorder, the live task list), if anyone.
    observer: Option<Box<dyn LoopObserver>>,
}

impl Scheduler {
    pub(crate) fn new(
        shared: Arc<LoopShared>,
        debug: DebugConfig,
        observer: Option<Box<dyn LoopObserver>>,
    ) -> Scheduler {
        Scheduler {
            shared,
            ready: RefCell::default(),
            registry: RefCell::default(),
            next_task_id: Cell::new(1),
            closing: Cell::new(false),
            debug,
            stats: StatCounters::default(),
            observer,
        }
    }

    /// The observer, if one watches this loop. Without the `observe`
    /// feature this is a constant `None`, and every report compiles away
    /// (the build the comparison runner measures tracing off against).
    #[inline(always)]
    pub(crate) fn observer(&self) -> Option<&dyn LoopObserver> {
        if cfg!(feature = "observe") {
            self.observer.as_deref()
        } else {
            None
        }
    }

    /// The part of the loop other threads may touch.
    pub(crate) fn shared(&self) -> &Arc<LoopShared> {
        &self.shared
    }

    /// The identity wakers compare against (see `task/waker.rs`).
    #[inline]
    pub(crate) fn shared_ptr(&self) -> *const LoopShared {
        Arc::as_ptr(&self.shared)
    }

    pub(crate) fn stats(&self) -> LoopStats {
        self.stats.snapshot()
    }

    // ----- tasks -----

    /// Allocates, registers and queues a task; returns it with one reference
    /// for the caller's handle (the other is the loop's).
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        name: Option<String>,
        spawned_at: &'static Location<'static>,
    ) -> NonNull<Header>
    where
        F: Future + 'static,
    {
        let id = self.next_task_id.get();
        self.next_task_id.set(id.wrapping_add(1).max(1));
        let cell = Box::new(TaskCell {
            header: Header::new(
                &VTableFor::<F>::VTABLE,
                self.shared.clone(),
                id,
                name,
                spawned_at,
            ),
            stage: std::cell::UnsafeCell::new(Stage::Running(future)),
        });
        let task = NonNull::from(Box::leak(cell)).cast::<Header>();
        if self.closing.get() {
            // SAFETY: we own the new task.
            let _ = unsafe { task.as_ref() }.state.request_cancel();
        }
        self.registry.borrow_mut().insert(task);
        self.ready.borrow_mut().push_task(task);
        if let Some(observer) = self.observer() {
            observer.spawned(id);
        }
        task
    }

    /// A wake on the loop's own thread.
    #[inline]
    pub(crate) fn schedule_task(&self, task: NonNull<Header>) {
        self.queue_woken(task, false);
    }

    /// Queues a woken task unless it is queued or done already, and tells
    /// the observer who woke it (`remotely`: a wake another thread sent).
    #[inline]
    fn queue_woken(&self, task: NonNull<Header>, remotely: bool) {
        // SAFETY: the caller (a waker, an injection-queue entry) holds a reference.
        let h = unsafe { task.as_ref() };
        if h.state.transition_to_scheduled() == ScheduleDecision::Push {
            self.ready.borrow_mut().push_task(task);
            if let Some(observer) = self.observer() {
                if remotely {
                    observer.woken_remotely(h.id);
                } else {
                    observer.woken(h.id);
                }
            }
        }
    }

    /// A task completed: it leaves the registry.
    pub(crate) fn unregister(&self, task: NonNull<Header>) {
        self.registry.borrow_mut().remove(task);
    }

    /// Pointers to every task not yet done, each with a new reference taken.
    pub(crate) fn live_tasks(&self) -> Vec<NonNull<Header>> {
        let registry = self.registry.borrow();
        registry
            .iter()
            .inspect(|t| {
                // SAFETY: registered tasks are alive.
                unsafe { t.as_ref() }.retain();
            })
            .collect()
    }

    /// How many tasks are not yet done.
    pub(crate) fn live_count(&self) -> usize {
        self.registry.borrow().len()
    }

    /// The registry, for the dump; `None` when it is busy (never waits).
    pub(crate) fn try_registry(&self) -> Option<Ref<'_, TaskRegistry>> {
        self.registry.try_borrow().ok()
    }

    /// From now on new tasks are born cancelled (the loop is closing).
    pub(crate) fn start_closing(&self) {
        self.closing.set(true);
    }

    // ----- callbacks -----

    /// `call_soon`: queue `f` behind everything already ready.
    pub(crate) fn call_soon(&self, f: Box<dyn FnOnce()>) -> Rc<ScheduledCallback> {
        let cell = ScheduledCallback::new(f);
        self.push_callback(cell.clone());
        cell
    }

    /// Queues a callback that is already wrapped (a `call_later` whose timer fired).
    pub(crate) fn push_callback(&self, callback: Rc<ScheduledCallback>) {
        self.ready.borrow_mut().push_callback(callback);
    }

    /// `call_soon_threadsafe` on the loop's own thread: what other threads
    /// injected first is taken in, then `f` joins the ready queue as a
    /// `call_soon` would.
    pub(crate) fn call_soon_after_injected(&self, f: Box<dyn FnOnce()>) {
        self.take_in_remote();
        self.call_soon(f);
    }

    // ----- the ready queue, for the loop's cycle -----

    /// Nothing is ready to run.
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.ready.borrow().is_empty()
    }

    /// How many entries are ready: the size of the next batch.
    #[inline]
    pub(crate) fn ready_len(&self) -> usize {
        self.ready.borrow().len()
    }

    /// The next ready entry.
    #[inline]
    pub(crate) fn pop(&self) -> Option<Runnable> {
        self.ready.borrow_mut().pop()
    }

    /// Gives back the ready queue's spare room after a large batch.
    pub(crate) fn shrink_if_drained(&self) {
        self.ready.borrow_mut().shrink_if_drained();
    }

    /// Moves what other threads injected onto the ready queue.
    #[inline]
    pub(crate) fn take_in_remote(&self) {
        if self.shared.has_injected() {
            self.drain_injected();
        }
    }

    fn drain_injected(&self) {
        while let Some(work) = self.shared.pop() {
            StatCounters::bump(&self.stats.remote_events);
            match work {
                Remote::Wake(task) => {
                    let task = task.0;
                    // SAFETY: the entry owns a reference to the task.
                    let h = unsafe { task.as_ref() };
                    h.clear_injected();
                    self.queue_woken(task, true);
                    // SAFETY: give up the entry's reference (a queued task is
                    // covered by the loop's own reference).
                    unsafe { Header::release(task) };
                }
                Remote::Callback(f) => {
                    self.call_soon(f);
                }
            }
        }
    }
}
