//! `LoopCore`: the run-once cycle, the park, and the close — nothing else.
//!
//! One iteration ([`LoopCore::run_once`]) follows asyncio's
//! `BaseEventLoop._run_once`:
//!
//! 1. **Timeout.** Zero if something is ready (or a stop is pending); else
//!    until the nearest timer ([`Timers::timeout`]); else block.
//! 2. **Wait.** With a non-zero timeout the loop parks in the OS poll of its
//!    IO [`Driver`] through the [`ParkState`](super::park::ParkState)
//!    handshake (asyncio: `self._selector.select(timeout)`, then
//!    `_process_events`); with a zero timeout it polls IO only every
//!    `event_interval` task steps (below). Then it takes in the wakes and
//!    callbacks other threads sent.
//! 3. **Timers.** Expired timers, in deadline order, join the ready queue
//!    behind what is there: a sleeping task is woken, a `call_later`
//!    callback is queued.
//! 4. **Run the batch:** exactly the entries that were ready when the batch
//!    began. What they schedule waits for the next iteration, which is what
//!    makes `yield_now` a fair turn.
//!
//! **Fairness with IO.** When tasks are always ready the loop never parks, so
//! every `event_interval` task steps (61 by default, as tokio) it polls IO
//! with a zero timeout and takes in what other threads sent, mid-batch;
//! nothing waiting on a socket or another thread starves.
//!
//! **What the core is not.** It owns the loop's [`LoopServices`] — the
//! scheduler, the timers, the socket table, the per-loop resources — and the
//! IO driver, and it drives them; none of them imports this file. Tasks reach
//! their loop through the [`Scheduler`](super::scheduler::Scheduler), timers
//! through [`Timers`], sockets through the reactor, and the default pool is
//! made on first use by the executor itself. Debug mode's watchdog is handed
//! the scheduler and the timers to look at; the trace recorder sees the cycle
//! through the [`LoopObserver`] seam.
//!
//! Borrow discipline: no `RefCell` of the loop is borrowed while user code
//! (a poll, a callback, a destructor, a waker) runs, so user code may call
//! back into the loop freely.

use std::cell::{Cell, RefCell};
use std::io;
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::Duration;

use super::observer::{LoopObserver, ParkWake, StepOutcome};
use super::ready_queue::Runnable;
use super::resources::Resources;
use super::scheduler::Scheduler;
use super::services::LoopServices;
use super::shared::LoopShared;
use super::stats::StatCounters;
use crate::containment::{contain, drop_contained};
use crate::debug::watchdog::Watchdog;
use crate::debug::{self, DebugConfig};
use crate::io::driver::Driver;
use crate::task::harness;
use crate::task::header::Header;
use crate::task::state::{CANCEL_REQUESTED, COMPLETE};
use crate::time::timers::{TimerAction, Timers};

/// Settings fixed when the loop is built.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoopConfig {
    pub(crate) event_interval: u32,
    pub(crate) debug: DebugConfig,
    pub(crate) start_paused: bool,
}

/// See the module docs.
pub(crate) struct LoopCore {
    services: LoopServices,
    /// The OS poll: what the loop waits on when nothing is ready.
    driver: RefCell<Driver>,
    /// Task steps since IO was last polled.
    ticks: Cell<u32>,
    event_interval: u32,
    /// Debug mode's stuck-task watchdog (`debug/watchdog.rs`).
    watchdog: Option<Watchdog>,
}

impl LoopCore {
    pub(crate) fn new(
        config: LoopConfig,
        observer: Option<Box<dyn LoopObserver>>,
    ) -> io::Result<LoopCore> {
        let (driver, unparker) = Driver::new()?;
        let shared = Arc::new(LoopShared::new(unparker));
        Ok(LoopCore {
            services: LoopServices {
                scheduler: Scheduler::new(shared, config.debug, observer),
                timers: Timers::new(config.start_paused),
                reactor: driver.reactor().clone(),
                resources: Resources::default(),
                stopping: Cell::new(false),
            },
            driver: RefCell::new(driver),
            ticks: Cell::new(0),
            event_interval: config.event_interval,
            watchdog: config
                .debug
                .enabled
                .then(|| Watchdog::new(config.debug.stuck_task_threshold)),
        })
    }

    /// What code running on this loop can reach (`context.rs` points here
    /// while the loop runs).
    pub(crate) fn services(&self) -> &LoopServices {
        &self.services
    }

    #[inline(always)]
    fn scheduler(&self) -> &Scheduler {
        &self.services.scheduler
    }

    /// Consumes a pending stop request.
    pub(crate) fn take_stop_request(&self) -> bool {
        self.services.stopping.replace(false)
    }

    // ----- the cycle -----

    /// One turn of the cycle. See the module docs.
    pub(crate) fn run_once(&self) {
        let scheduler = self.scheduler();
        StatCounters::bump(&scheduler.stats.iterations);
        if let Some(observer) = scheduler.observer() {
            observer.iteration_begin();
        }
        if let Some(watchdog) = &self.watchdog {
            watchdog.maybe_check(scheduler, &self.services.timers);
        }
        scheduler.take_in_remote();
        // 1. Timeout, and 2. wait on the driver / take in what other threads sent.
        if !scheduler.is_idle() || self.services.stopping.get() {
            if self.ticks.get() >= self.event_interval {
                self.poll_io_now();
            }
        } else {
            match self.services.timers.timeout() {
                Some(Duration::ZERO) => {}
                timeout => self.park(timeout),
            }
        }
        // 3. Expired timers join the ready queue.
        self.fire_timers();
        // 4. Run exactly what was ready when the batch began. Whether an
        // observer watches is decided once per batch, not once per step.
        let batch = scheduler.ready_len();
        match scheduler.observer() {
            None => self.run_batch(batch, |task| {
                self.step(task);
            }),
            Some(watcher) => self.run_batch(batch, |task| self.step_observed(watcher, task)),
        }
        scheduler.shrink_if_drained();
        if let Some(observer) = scheduler.observer() {
            observer.iteration_end(batch);
        }
    }

    /// Runs `batch` entries of the ready queue, each task step through
    /// `step`, polling IO every `event_interval` steps.
    #[inline]
    fn run_batch(&self, batch: usize, step: impl Fn(NonNull<Header>)) {
        for _ in 0..batch {
            let Some(next) = self.scheduler().pop() else {
                break;
            };
            self.run_one(next, &step);
            let ticks = self.ticks.get() + 1;
            self.ticks.set(ticks);
            if ticks >= self.event_interval {
                self.poll_io_now();
            }
        }
    }

    #[inline]
    fn run_one(&self, next: Runnable, step: impl Fn(NonNull<Header>)) {
        let scheduler = self.scheduler();
        match next {
            Runnable::Task(task) => {
                StatCounters::bump(&scheduler.stats.tasks_polled);
                step(task);
            }
            Runnable::Callback(callback) => {
                if let Some(observer) = scheduler.observer() {
                    observer.callback_begin();
                }
                if callback.run() {
                    StatCounters::bump(&scheduler.stats.callbacks_run);
                }
                if let Some(observer) = scheduler.observer() {
                    observer.callback_end();
                }
            }
        }
    }

    /// One task step: a full IO budget, then the harness runs it.
    #[inline]
    fn step(&self, task: NonNull<Header>) -> Option<StepOutcome> {
        self.services.reactor.budget.refill();
        harness::run_task(self.scheduler(), task)
    }

    /// [`step`](Self::step), telling `observer` when it began and how it ended.
    fn step_observed(&self, observer: &dyn LoopObserver, task: NonNull<Header>) {
        // SAFETY: the ready-queue entry being run holds a reference.
        let h = unsafe { task.as_ref() };
        if h.state.is(COMPLETE) {
            // Not a step: the entry of a task that completed while queued.
            self.step(task);
            return;
        }
        // Read now: the step may complete the task and free it.
        let id = h.id;
        observer.step_begin(h);
        if let Some(outcome) = self.step(task) {
            observer.step_end(id, outcome);
        }
    }

    /// Blocks in the OS poll until IO, a wake-up from another thread or the
    /// timeout — unless another thread already injected work.
    fn park(&self, mut timeout: Option<Duration>) {
        StatCounters::bump(&self.scheduler().stats.parks);
        if let Some(watchdog) = &self.watchdog {
            // Wake up to look, even with nothing else to wait for (a paused
            // clock jumps instead of sleeping: leave its timeout alone).
            if !self.services.timers.clock().is_paused() {
                timeout = Some(timeout.map_or(watchdog.interval(), |t| t.min(watchdog.interval())));
            }
        }
        match self.scheduler().observer() {
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
        let scheduler = self.scheduler();
        let shared = scheduler.shared();
        if let Some(timeout) = timeout {
            let clock = self.services.timers.clock();
            if clock.is_paused() {
                // Paused time: look at IO without waiting; if nothing became
                // ready, jump to the next deadline instead of sleeping (as
                // tokio's paused time does).
                let mut io = 0;
                if self.driver.borrow().has_io_sources() {
                    io = self.os_poll(Some(Duration::ZERO));
                }
                let thread = shared.has_injected();
                scheduler.take_in_remote();
                if scheduler.is_idle() {
                    clock.advance(timeout);
                }
                return ParkWake::after(io, thread, true, Some(timeout));
            }
        }
        let park = shared.park_state();
        let mut io = 0;
        let parked = park.begin_park();
        if parked {
            io = self.os_poll(timeout);
            park.end_park();
        } else if self.driver.borrow().has_io_sources() {
            io = self.os_poll(Some(Duration::ZERO));
        }
        self.ticks.set(0);
        let thread = shared.has_injected();
        scheduler.take_in_remote();
        ParkWake::after(io, thread, parked, timeout)
    }

    /// The mid-batch fairness check: IO without blocking, and what other
    /// threads sent.
    fn poll_io_now(&self) {
        self.ticks.set(0);
        if self.driver.borrow().has_io_sources() {
            self.os_poll(Some(Duration::ZERO));
        }
        self.scheduler().take_in_remote();
    }

    /// Polls the OS and wakes the tasks whose sockets are ready; returns how many.
    fn os_poll(&self, timeout: Option<Duration>) -> usize {
        let observer = self.scheduler().observer();
        if let Some(observer) = observer {
            observer.io_poll_begin();
        }
        let wake = self.driver.borrow_mut().poll(timeout);
        let mut wake = match wake {
            Ok(wake) => wake,
            // The OS poller failing (EBADF, ENOMEM) leaves the loop nothing to
            // wait with; continuing would spin or hang silently.
            Err(e) => panic!("corio: the OS poll failed: {e}"),
        };
        if let Some(observer) = observer {
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
        if let Some(observer) = observer {
            observer.io_poll_end(woken);
        }
        woken
    }

    /// Step 3: expired timers, in deadline order, join the ready queue.
    fn fire_timers(&self) {
        let timers = &self.services.timers;
        if timers.is_empty() {
            return;
        }
        let scheduler = self.scheduler();
        if let Some(observer) = scheduler.observer() {
            observer.timers_begin();
        }
        let count = timers.fire(|action| match action {
            TimerAction::Wake(waker) => {
                contain("waking a timer's waiter", || waker.wake());
            }
            TimerAction::Callback(callback) => scheduler.push_callback(callback),
        });
        if let Some(observer) = scheduler.observer() {
            observer.timers_end(count);
        }
    }

    // ----- closing -----

    /// asyncio.run's epilogue: cancel every task that is not done, run the
    /// loop until they have all finished cancelling and the callbacks that
    /// produced have run, then close the injection queue and release the
    /// loop's resources (the default pool waits for its threads).
    pub(crate) fn close(&self) {
        let scheduler = self.scheduler();
        if scheduler.shared().is_closed() {
            return;
        }
        scheduler.start_closing();
        self.services.stopping.set(false);
        const MAX_ROUNDS: usize = 1000;
        for _ in 0..MAX_ROUNDS {
            if scheduler.live_count() == 0
                && scheduler.is_idle()
                && !scheduler.shared().has_injected()
            {
                break;
            }
            for task in scheduler.live_tasks() {
                // SAFETY: `live_tasks` took a reference for us.
                let h = unsafe { task.as_ref() };
                if !h.state.is(CANCEL_REQUESTED) {
                    debug::report_pending_at_close(&scheduler.debug, h);
                }
                harness::cancel(task, None);
                // SAFETY: release the reference `live_tasks` took.
                unsafe { Header::release(task) };
            }
            self.services.stopping.set(true); // never park while closing
            self.run_once();
            self.services.stopping.set(false);
        }
        self.force_drop_remaining();
        // Timers still armed (a `call_later` far ahead) are discarded, as
        // asyncio's close does; their callbacks and wakers are user values.
        for timer in self.services.timers.take_all() {
            drop_contained("dropping a timer left at close", timer);
        }
        // Closed first: a pool job that reaches for the loop now gets
        // `LoopClosed` (or a cancelled `RemoteTask`) instead of waiting for a
        // loop that no longer runs — then the resources close (asyncio.run's
        // `shutdown_default_executor`: wait for the pool's threads).
        scheduler.shared().close();
        self.services.resources.close_all();
        if let Some(observer) = scheduler.observer() {
            observer.close();
        }
    }

    /// A last resort when closing did not converge (destructors that keep
    /// spawning): drop every remaining future without running anything.
    fn force_drop_remaining(&self) {
        let scheduler = self.scheduler();
        let remaining = scheduler.live_tasks();
        if !remaining.is_empty() {
            eprintln!(
                "corio: {} task(s) still spawning while the loop closed; dropping them",
                remaining.len()
            );
        }
        for task in remaining {
            // SAFETY: `live_tasks` took a reference for us.
            if !unsafe { task.as_ref() }.state.is(COMPLETE) {
                harness::cancel_now(scheduler, task);
            }
            // SAFETY: release the reference `live_tasks` took.
            unsafe { Header::release(task) };
        }
        while let Some(next) = scheduler.pop() {
            match next {
                Runnable::Task(task) => {
                    self.step(task);
                }
                Runnable::Callback(cb) => drop_contained("dropping a callback at close", cb),
            }
        }
    }
}
