//! The record format: what the recorder writes on the loop's thread and
//! the replay reads on the writer's.
//!
//! A record is 16 bytes — a time in ticks (`clock.rs`) or an operand, and
//! one word packing a [`Mark`], its flags and a 32-bit operand — so that
//! appending one is a single store. This file is the format alone and
//! imports nothing else of tracing: the recorder (`mod.rs`), the buffer
//! (`buffer.rs`), the replay (`replay.rs`) and the writer (`writer.rs`) all
//! depend on it, and it on none of them, so the format can be read (and
//! changed) on its own.

/// Records kept in memory before the buffer is handed to the writer.
pub(crate) const FLUSH_AT: usize = 1 << 14;

/// What a [`Record`] says happened. Each mark's operand (`small`, and `at`
/// where the mark records no time) is named in its docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Mark {
    /// A turn of the cycle began.
    IterationBegin,
    /// The turn ended; `small` is the batch size.
    IterationEnd,
    /// Task `small` began a step that does not follow another step.
    StepBegin,
    /// Task `small`'s step ended; the flags hold the [`StepOutcome`](crate::event_loop::observer::StepOutcome) and
    /// [`AFTER_STEP`], [`WOKE_ITSELF`].
    StepEnd,
    /// A callback began.
    CallbackBegin,
    /// The callback ended.
    CallbackEnd,
    /// The loop is about to block.
    ParkBegin,
    /// The park ended; `small` is the [`ParkWake`](crate::event_loop::observer::ParkWake). A `ParkTimeout` follows.
    ParkEnd,
    /// The timeout the park asked for, in nanoseconds, in `at` (`u64::MAX`:
    /// none).
    ParkTimeout,
    /// The OS poll began.
    IoPollBegin,
    /// The OS poll reported socket `small` (its reactor slot) with the
    /// readiness in the flags: [`READABLE`], [`WRITABLE`], [`CLOSED`].
    IoEvent,
    /// The OS poll ended; `small` is the number of socket waiters it woke.
    IoPollEnd,
    /// Expired timers are being collected.
    TimersBegin,
    /// `small` timers fired.
    TimersEnd,
    /// Task `small` was spawned (no time: see the module docs).
    Spawned,
    /// Task `small` was queued by a wake on the loop's thread (no time).
    Woken,
    /// Task `small` was queued by a wake from another thread (no time).
    WokenRemotely,
    /// Task `small` is now called `names[at]` of the batch (no time).
    Named,
}

impl Mark {
    const ALL: [Mark; 18] = [
        Mark::IterationBegin,
        Mark::IterationEnd,
        Mark::StepBegin,
        Mark::StepEnd,
        Mark::CallbackBegin,
        Mark::CallbackEnd,
        Mark::ParkBegin,
        Mark::ParkEnd,
        Mark::ParkTimeout,
        Mark::IoPollBegin,
        Mark::IoEvent,
        Mark::IoPollEnd,
        Mark::TimersBegin,
        Mark::TimersEnd,
        Mark::Spawned,
        Mark::Woken,
        Mark::WokenRemotely,
        Mark::Named,
    ];
}

/// A `StepEnd` flag: the step began straight after the previous step ended
/// (no `StepBegin` was recorded; the replay starts it 1 ns after that end).
pub(crate) const AFTER_STEP: u8 = 1 << 2;
/// A `StepEnd` flag: the task woke itself during the step (a yield), which
/// would otherwise take a `Woken` record of its own.
pub(crate) const WOKE_ITSELF: u8 = 1 << 3;
/// A flag of an untimed mark (a spawn, a wake): no step was running when it
/// happened, so it came from the loop itself (the turn, an IO poll, the
/// injection queue), not from a step.
pub(crate) const OUTSIDE_STEP: u8 = 1 << 4;
/// An `IoEvent` flag: the socket was readable.
pub(crate) const READABLE: u8 = 1;
/// An `IoEvent` flag: the socket was writable.
pub(crate) const WRITABLE: u8 = 1 << 1;
/// An `IoEvent` flag: the socket was closed (either way) or in error.
pub(crate) const CLOSED: u8 = 1 << 2;
/// The `StepEnd` flags that hold the [`StepOutcome`](crate::event_loop::observer::StepOutcome).
pub(crate) const OUTCOME_BITS: u8 = 0b11;

/// One entry of the buffer, 16 bytes: a time in ticks (`clock.rs`),
/// or the operand of a mark that records no time, and one word packing the
/// mark, its flags and a 32-bit operand.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record {
    pub(crate) at: u64,
    word: u64,
}

impl Record {
    #[inline]
    pub(crate) fn new(mark: Mark, flags: u8, small: u32, at: u64) -> Record {
        Record {
            at,
            word: u64::from(small) << 32 | u64::from(flags) << 8 | mark as u64,
        }
    }

    /// A record of no meaning, to fill a buffer with (`writer.rs`
    /// touches new buffers before a loop gets them). Its bits are not all
    /// zero on purpose: filling fresh memory with zeros may be compiled into
    /// a request for zeroed memory, which the allocator answers with pages
    /// nobody has touched, leaving the page faults to the loop after all.
    pub(crate) fn blank() -> Record {
        Record {
            at: u64::MAX,
            word: u64::MAX,
        }
    }

    pub(crate) fn mark(self) -> Mark {
        Mark::ALL[usize::from(self.word as u8)]
    }

    pub(crate) fn flags(self) -> u8 {
        (self.word >> 8) as u8
    }

    /// The task, or the mark's small count.
    pub(crate) fn small(self) -> u32 {
        (self.word >> 32) as u32
    }
}
