//! `LoopCore`: the loop's state on its own thread, and the run-once cycle.
//!
//! One iteration ([`LoopCore::run_once`]) follows asyncio's `_run_once`:
//!
//! 1. **Timeout.** Zero if something is ready (or a stop is pending); else
//!    until the nearest timer of the [`TimerWheel`]; else block.
//! 2. **Poll.** With a non-zero timeout the loop parks in the OS poll
//!    ([`Driver`]) through the [`ParkState`](super::park::ParkState)
//!    handshake; with a zero timeout it polls IO only every `event_interval`
//!    task steps (below). Then it drains the injection queue: wakes and
//!    callbacks from other threads join the ready queue.
//! 3. **Timers.** Expired timers, in deadline order, join the ready queue
//!    behind what is there: a sleeping task is woken, a `call_later`
//!    callback is queued.
//! 4. **Run the batch:** exactly the entries that were ready when the batch
//!    began. What they schedule waits for the next iteration, which is what
//!    makes `yield_now` a fair turn.
//!
//! **Fairness with IO.** When tasks are always ready the loop never parks, so
//! every `event_interval` task steps (61 by default, as tokio) it polls IO
//! with a zero timeout and drains the injection queue mid-batch; nothing
//! waiting on a socket or another thread starves.
//!
//! Borrow discipline: each `RefCell` here is borrowed for one queue or
//! registry operation and released before any user code (a poll, a callback,
//! a destructor) runs, so user code may call back into the loop freely.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::panic::Location;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use super::callback::ScheduledCallback;
use super::observer::{self, LoopObserver, ParkWake};
use super::ready_queue::{ReadyQueue, Runnable};
use super::shared::{LoopShared, Remote};
use super::stats::{LoopStats, StatCounters};
use crate::containment::{contain, drop_contained};
use crate::debug::watchdog::Watchdog;
use crate::debug::{self, DebugConfig};
use crate::io::driver::Driver;
use crate::task::harness;
use crate::task::header::Header;
use crate::task::raw::{Stage, TaskCell, VTableFor};
use crate::task::registry::TaskRegistry;
use crate::task::state::{CANCEL_REQUESTED, COMPLETE};
use crate::time::clock::Clock;
use crate::time::wheel::{Fired, TimerKey, TimerWheel, TICK_NS};
use crate::time::TimerAction;

/// Settings fixed when the loop is built.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoopConfig {
    pub(crate) event_interval: u32,
    pub(crate) debug: DebugConfig,
    pub(crate) start_paused: bool,
}

/// See the module docs.
pub(crate) struct LoopCore {
    shared: Arc<LoopShared>,
    ready: RefCell<ReadyQueue>,
    registry: RefCell<TaskRegistry>,
    driver: RefCell<Driver>,
    /// The driver's socket table, shared with every registration.
    reactor: std::rc::Rc<crate::io::reactor::Reactor>,
    clock: Clock,
    timers: RefCell<TimerWheel<TimerAction>>,
    /// Reused buffer for the timers one `advance` fires.
    fired: RefCell<Vec<Fired<TimerAction>>>,
    next_task_id: Cell<u32>,
    /// `stop()` was called; the current iteration finishes, then the loop returns.
    stopping: Cell<bool>,
    /// The loop is closing: new tasks are born cancelled.
    closing: Cell<bool>,
    /// Task steps since IO was last polled.
    ticks: Cell<u32>,
    /// Ready IO operations the current task step may still perform.
    io_budget: Cell<u32>,
    config: LoopConfig,
    stats: StatCounters,
    /// The pool of `run_in_executor(None, ..)` and `to_thread`, made on first use.
    default_executor: RefCell<Option<crate::executor::ThreadPoolExecutor>>,
    /// Who watches the cycle (the trace recorder), if anyone: see `observer.rs`.
    observer: Option<Box<dyn LoopObserver>>,
    /// Debug mode's stuck-task watchdog (`debug/watchdog.rs`).
    watchdog: Option<Watchdog>,
}

impl LoopCore {
    pub(crate) fn new(
        config: LoopConfig,
        observer: Option<Box<dyn LoopObserver>>,
    ) -> io::Result<LoopCore> {
        let (driver, unparker) = Driver::new()?;
        let clock = Clock::new(config.start_paused);
        Ok(LoopCore {
            shared: Arc::new(LoopShared::new(unparker)),
            ready: RefCell::default(),
            registry: RefCell::default(),
            reactor: driver.reactor().clone(),
            driver: RefCell::new(driver),
            timers: RefCell::new(TimerWheel::new(clock.now_ns())),
            clock,
            fired: RefCell::default(),
            next_task_id: Cell::new(1),
            stopping: Cell::new(false),
            closing: Cell::new(false),
            ticks: Cell::new(0),
            io_budget: Cell::new(crate::io::registration::BUDGET),
            config,
            stats: StatCounters::default(),
            default_executor: RefCell::new(None),
            observer,
            watchdog: config
                .debug
                .enabled
                .then(|| Watchdog::new(config.debug.stuck_task_threshold)),
        })
    }

    /// The observer, if one watches this loop. Without the `observe`
    /// feature this is a constant `None`, and every report the core makes
    /// compiles away (the build the comparison runner measures tracing
    /// off against).
    #[inline(always)]
    fn observer(&self) -> Option<&dyn LoopObserver> {
        if cfg!(feature = "observe") {
            self.observer.as_deref()
        } else {
            None
        }
    }

    /// Has the observer write out what it buffered (the trace so far).
    pub(crate) fn write_out_observed(&self) {
        if let Some(observer) = self.observer() {
            observer.write_out();
        }
    }

    pub(crate) fn shared(&self) -> &Arc<LoopShared> {
        &self.shared
    }

    /// The identity wakers compare against (see `task/waker.rs`).
    #[inline]
    pub(crate) fn shared_ptr(&self) -> *const LoopShared {
        Arc::as_ptr(&self.shared)
    }

    pub(crate) fn debug(&self) -> &DebugConfig {
        &self.config.debug
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
        if h.state.transition_to_scheduled() == crate::task::state::ScheduleDecision::Push {
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

    /// The registry, for the dump; `None` when it is busy (never waits).
    pub(crate) fn try_registry(&self) -> Option<std::cell::Ref<'_, TaskRegistry>> {
        self.registry.try_borrow().ok()
    }

    // ----- callbacks -----

    /// `call_soon`: queue `f` behind everything already ready.
    pub(crate) fn call_soon(&self, f: Box<dyn FnOnce()>) -> Rc<ScheduledCallback> {
        let cell = ScheduledCallback::new(f);
        self.ready.borrow_mut().push_callback(cell.clone());
        cell
    }

    /// `call_soon_threadsafe` on the loop's own thread: what other threads
    /// injected first is taken in, then `f` joins the ready queue as a
    /// `call_soon` would.
    pub(crate) fn call_soon_after_injected(&self, f: Box<dyn FnOnce()>) {
        self.drain_injected();
        self.call_soon(f);
    }

    // ----- the cycle -----

    /// `stop()`: let the current iteration finish, then return from `run_forever`.
    pub(crate) fn request_stop(&self) {
        self.stopping.set(true);
    }

    /// Consumes a pending stop request.
    pub(crate) fn take_stop_request(&self) -> bool {
        self.stopping.replace(false)
    }

    /// One turn of the cycle. See the module docs.
    pub(crate) fn run_once(&self) {
        StatCounters::bump(&self.stats.iterations);
        if let Some(observer) = self.observer() {
            observer.iteration_begin();
        }
        if let Some(watchdog) = &self.watchdog {
            watchdog.maybe_check(self);
        }
        self.drain_injected();
        // 1. Timeout, and 2. poll IO / take in what other threads sent.
        let work_ready = !self.ready.borrow().is_empty() || self.stopping.get();
        if work_ready {
            if self.ticks.get() >= self.config.event_interval {
                self.poll_io_now();
            }
        } else {
            match self.timer_timeout() {
                Some(Duration::ZERO) => {}
                timeout => self.park(timeout),
            }
        }
        // 3. Expired timers join the ready queue.
        self.fire_timers();
        // 4. Run exactly what was ready when the batch began. Whether an
        // observer watches is decided once per batch, not once per step.
        let batch = self.ready.borrow().len();
        match self.observer() {
            None => self.run_batch(batch, |task| {
                harness::run_task(self, task);
            }),
            Some(watcher) => self.run_batch(batch, |task| {
                observer::run_task_observed(self, watcher, task);
            }),
        }
        self.ready.borrow_mut().shrink_if_drained();
        if let Some(observer) = self.observer() {
            observer.iteration_end(batch);
        }
    }

    /// Runs `batch` entries of the ready queue, each task step through
    /// `step`, polling IO every `event_interval` steps.
    #[inline]
    fn run_batch(&self, batch: usize, step: impl Fn(NonNull<Header>)) {
        for _ in 0..batch {
            let Some(next) = self.ready.borrow_mut().pop() else {
                break;
            };
            self.run_one(next, &step);
            let ticks = self.ticks.get() + 1;
            self.ticks.set(ticks);
            if ticks >= self.config.event_interval {
                self.poll_io_now();
            }
        }
    }

    #[inline]
    fn run_one(&self, next: Runnable, step: impl Fn(NonNull<Header>)) {
        match next {
            Runnable::Task(task) => {
                StatCounters::bump(&self.stats.tasks_polled);
                step(task);
            }
            Runnable::Callback(callback) => {
                if let Some(observer) = self.observer() {
                    observer.callback_begin();
                }
                if callback.run() {
                    StatCounters::bump(&self.stats.callbacks_run);
                }
                if let Some(observer) = self.observer() {
                    observer.callback_end();
                }
            }
        }
    }

    /// Blocks in the OS poll until IO, a wake-up from another thread or the
    /// timeout — unless another thread already injected work.
    fn park(&self, mut timeout: Option<Duration>) {
        StatCounters::bump(&self.stats.parks);
        if let Some(watchdog) = &self.watchdog {
            // Wake up to look, even with nothing else to wait for (a paused
            // clock jumps instead of sleeping: leave its timeout alone).
            if !self.clock.is_paused() {
                timeout = Some(timeout.map_or(watchdog.interval(), |t| t.min(watchdog.interval())));
            }
        }
        match self.observer() {
            None => {
                self.park_for(timeout);
            }
            Some(observer) => {
                observer.park_begin();
                let why = self.park_for(timeout);
                observer.park_end(why, timeout);
            }
        }
    }

    /// [`park`](Self::park)'s work; says what ended it.
    fn park_for(&self, timeout: Option<Duration>) -> ParkWake {
        if let Some(timeout) = timeout {
            if self.clock.is_paused() {
                // Paused time: look at IO without waiting; if nothing became
                // ready, jump to the next deadline instead of sleeping (as
                // tokio's paused time does).
                let mut io = 0;
                if self.driver.borrow().has_io_sources() {
                    io = self.os_poll(Some(Duration::ZERO));
                }
                let thread = self.shared.has_injected();
                self.drain_injected();
                if self.ready.borrow().is_empty() {
                    self.clock.advance(timeout);
                }
                return ParkWake::after(io, thread, true, Some(timeout));
            }
        }
        let park = self.shared.park_state();
        let mut io = 0;
        let parked = park.begin_park();
        if parked {
            io = self.os_poll(timeout);
            park.end_park();
        } else if self.driver.borrow().has_io_sources() {
            io = self.os_poll(Some(Duration::ZERO));
        }
        self.ticks.set(0);
        let thread = self.shared.has_injected();
        self.drain_injected();
        ParkWake::after(io, thread, parked, timeout)
    }

    /// The mid-batch fairness check: IO without blocking, and the injection queue.
    fn poll_io_now(&self) {
        self.ticks.set(0);
        if self.driver.borrow().has_io_sources() {
            self.os_poll(Some(Duration::ZERO));
        }
        self.drain_injected();
    }

    /// Polls the OS and wakes the tasks whose sockets are ready; returns how many.
    fn os_poll(&self, timeout: Option<Duration>) -> usize {
        if let Some(observer) = self.observer() {
            observer.io_poll_begin();
        }
        let wake = self.driver.borrow_mut().poll(timeout);
        let mut wake = match wake {
            Ok(wake) => wake,
            // The OS poller failing (EBADF, ENOMEM) leaves the loop nothing to
            // wait with; continuing would spin or hang silently.
            Err(e) => panic!("corio: the OS poll failed: {e}"),
        };
        if let Some(observer) = self.observer() {
            for (socket, readiness) in self.driver.borrow().reported() {
                observer.io_event(socket, readiness);
            }
        }
        // Woken after the driver's borrow ended: a waker may be anyone's
        // (user code, so contained).
        let woken = wake.len();
        for waker in wake.drain(..) {
            contain("waking a socket's waiter", || waker.wake());
        }
        self.driver.borrow_mut().recycle(wake);
        if let Some(observer) = self.observer() {
            observer.io_poll_end(woken);
        }
        woken
    }

    /// The socket table of this loop.
    pub(crate) fn reactor(&self) -> std::rc::Rc<crate::io::reactor::Reactor> {
        self.reactor.clone()
    }

    /// The identity of this loop's socket table (checked on every socket
    /// operation, so kept beside the driver rather than behind its `RefCell`).
    pub(crate) fn reactor_ptr(&self) -> *const crate::io::reactor::Reactor {
        std::rc::Rc::as_ptr(&self.reactor)
    }

    /// Spends one unit of the current task's IO budget (see
    /// `io/registration.rs`); `false` once it is spent.
    pub(crate) fn take_io_budget(&self) -> bool {
        let left = self.io_budget.get();
        if left == 0 {
            return false;
        }
        self.io_budget.set(left - 1);
        true
    }

    /// A task step begins: a fresh IO budget.
    #[inline]
    pub(crate) fn reset_io_budget(&self) {
        self.io_budget.set(crate::io::registration::BUDGET);
    }

    /// Moves what other threads injected onto the ready queue.
    fn drain_injected(&self) {
        if !self.shared.has_injected() {
            return;
        }
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

    // ----- timers -----

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Registers a timer for `deadline`.
    pub(crate) fn insert_timer(
        &self,
        deadline: std::time::Instant,
        action: TimerAction,
    ) -> TimerKey {
        let at = self.clock.ns_of(deadline);
        self.timers.borrow_mut().insert(at, action)
    }

    /// Cancels a timer; returns its action (for the caller to drop outside
    /// the borrow), or `None` if it already fired or was cancelled.
    pub(crate) fn remove_timer(&self, key: TimerKey) -> Option<TimerAction> {
        self.timers.borrow_mut().remove(key)
    }

    /// `true` if a timer registered for `deadline` (while it was ahead) has
    /// fired; see `TimerWheel::has_fired`.
    pub(crate) fn timer_has_fired(&self, deadline: std::time::Instant) -> bool {
        self.timers.borrow().has_fired(self.clock.ns_of(deadline))
    }

    /// Points a registered timer at a new waker. Returns `false` if the timer
    /// is no longer registered.
    pub(crate) fn update_timer_waker(&self, key: TimerKey, waker: &std::task::Waker) -> bool {
        let same = {
            let mut timers = self.timers.borrow_mut();
            match timers.get_mut(key) {
                Some(TimerAction::Wake(w)) => w.will_wake(waker),
                Some(TimerAction::Callback(_)) => true,
                None => return false,
            }
        };
        if !same {
            // Cloned outside the borrow: a foreign waker's clone is user code.
            let new = waker.clone();
            let old = match self.timers.borrow_mut().get_mut(key) {
                Some(TimerAction::Wake(w)) => Some(std::mem::replace(w, new)),
                _ => None,
            };
            drop(old);
        }
        true
    }

    /// The tasks whose wakers wait in the timer wheel (by header address):
    /// a timer will wake them, so the watchdog leaves them alone.
    pub(crate) fn tasks_timers_will_wake(&self) -> std::collections::HashSet<usize> {
        self.timers
            .borrow()
            .values()
            .filter_map(|action| match action {
                TimerAction::Wake(waker) => Some(waker.data() as usize),
                TimerAction::Callback(_) => None,
            })
            .collect()
    }

    /// How long the loop may park: until the nearest timer, or forever.
    fn timer_timeout(&self) -> Option<Duration> {
        let tick = self.timers.borrow().next_expiration_tick()?;
        let due = tick.saturating_mul(TICK_NS);
        Some(Duration::from_nanos(
            due.saturating_sub(self.clock.now_ns()),
        ))
    }

    /// Step 3: expired timers, in deadline order, join the ready queue.
    fn fire_timers(&self) {
        if self.timers.borrow().len() == 0 {
            return;
        }
        if let Some(observer) = self.observer() {
            observer.timers_begin();
        }
        let now = self.clock.now_ns();
        let mut fired = self.fired.take();
        self.timers.borrow_mut().advance(now, &mut fired);
        let count = fired.len();
        for timer in fired.drain(..) {
            match timer.value {
                TimerAction::Wake(waker) => {
                    contain("waking a timer's waiter", || waker.wake());
                }
                TimerAction::Callback(callback) => self.ready.borrow_mut().push_callback(callback),
            }
        }
        self.fired.replace(fired);
        if let Some(observer) = self.observer() {
            observer.timers_end(count);
        }
    }

    // ----- the default executor -----

    /// The loop's default thread pool, created on first use.
    pub(crate) fn default_executor(&self) -> crate::executor::ThreadPoolExecutor {
        self.default_executor
            .borrow_mut()
            .get_or_insert_with(|| {
                crate::executor::ThreadPoolExecutor::new(crate::executor::default_max_workers())
            })
            .clone()
    }

    // ----- closing -----

    /// asyncio.run's epilogue: cancel every task that is not done, run the
    /// loop until they have all finished cancelling and the callbacks that
    /// produced have run, then close the injection queue.
    pub(crate) fn close(&self) {
        if self.shared.is_closed() {
            return;
        }
        self.closing.set(true);
        self.stopping.set(false);
        const MAX_ROUNDS: usize = 1000;
        for _ in 0..MAX_ROUNDS {
            if self.registry.borrow().len() == 0
                && self.ready.borrow().is_empty()
                && !self.shared.has_injected()
            {
                break;
            }
            for task in self.live_tasks() {
                // SAFETY: `live_tasks` took a reference for us.
                let h = unsafe { task.as_ref() };
                if !h.state.is(CANCEL_REQUESTED) {
                    debug::report_pending_at_close(self.debug(), h);
                }
                harness::cancel(task, None);
                // SAFETY: release the reference `live_tasks` took.
                unsafe { Header::release(task) };
            }
            self.stopping.set(true); // never park while closing
            self.run_once();
            self.stopping.set(false);
        }
        self.force_drop_remaining();
        // Timers still armed (a `call_later` far ahead) are discarded, as
        // asyncio's close does; their callbacks and wakers are user values.
        let timers = self.timers.borrow_mut().take_all();
        for timer in timers {
            drop_contained("dropping a timer left at close", timer);
        }
        // Closed first: a pool job that reaches for the loop now gets
        // `LoopClosed` (or a cancelled `RemoteTask`) instead of waiting for a
        // loop that no longer runs — then asyncio.run's
        // `shutdown_default_executor`: wait for the pool's threads.
        self.shared.close();
        let pool = self.default_executor.borrow_mut().take();
        if let Some(pool) = pool {
            pool.shutdown(true, false);
        }
        if let Some(observer) = self.observer() {
            observer.close();
        }
    }

    /// A last resort when closing did not converge (destructors that keep
    /// spawning): drop every remaining future without running anything.
    fn force_drop_remaining(&self) {
        let remaining = self.live_tasks();
        if !remaining.is_empty() {
            eprintln!(
                "corio: {} task(s) still spawning while the loop closed; dropping them",
                remaining.len()
            );
        }
        for task in remaining {
            // SAFETY: `live_tasks` took a reference for us.
            if !unsafe { task.as_ref() }.state.is(COMPLETE) {
                harness::cancel_now(self, task);
            }
            // SAFETY: release the reference `live_tasks` took.
            unsafe { Header::release(task) };
        }
        loop {
            let next = self.ready.borrow_mut().pop();
            match next {
                Some(Runnable::Task(task)) => {
                    harness::run_task(self, task);
                }
                Some(Runnable::Callback(cb)) => drop_contained("dropping a callback at close", cb),
                None => break,
            }
        }
    }
}
