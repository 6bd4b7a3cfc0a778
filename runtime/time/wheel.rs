//! `TimerWheel`: a hierarchical timer wheel — O(1) insert, O(1) cancel, expiry
//! in deadline order, 1 ms ticks.
//!
//! # Shape
//!
//! Six levels of 64 slots. A slot of level `L` spans `64^L` ticks (1 ms each),
//! so level 0 covers the next 64 ms one tick per slot, level 1 the next 4 s in
//! 64 ms slots, … level 5 about 2.2 years in 12-day slots:
//!
//! | level | slot width | level span |
//! |-------|------------|------------|
//! | 0     | 1 ms       | 64 ms      |
//! | 1     | 64 ms      | 4.1 s      |
//! | 2     | 4.1 s      | 4.4 min    |
//! | 3     | 4.4 min    | 4.7 h      |
//! | 4     | 4.7 h      | 12.4 days  |
//! | 5     | 12.4 days  | 2.2 years  |
//!
//! A timer goes to the level of the highest 6-bit group in which its tick and
//! the wheel's current tick (`elapsed`) differ, and to the slot given by its
//! tick's bits in that group. Each level keeps a 64-bit map of its non-empty
//! slots, so finding the next expiry is one `trailing_zeros` per level.
//!
//! # Memory layout: slot vectors and a handle table
//!
//! A slot is a `Vec` of entries, not a linked list: inserting appends to the
//! slot's tail and firing a slot reads its entries front to back — sequential
//! memory, which matters when tens of thousands of timers expire in a burst
//! (a linked list through a slab costs a cache miss per timer, twice). An
//! entry's current position lives in a dense handle table (`handles`), which
//! is what a [`TimerKey`] indexes: cancelling looks the position up,
//! `swap_remove`s the entry and updates the handle of the entry moved into
//! its place. Insert and cancel stay O(1).
//!
//! # Cascading
//!
//! When time reaches the start of a level-`L` slot (`L > 0`), the slot's
//! timers are re-inserted relative to the new `elapsed`: each lands on a lower
//! level, closer to its tick. When time reaches a level-0 slot, its timers
//! fire. A timer is thus moved at most five times in its life.
//!
//! # Order and range
//!
//! Timers fire in deadline order and equal deadlines in insertion order: one
//! `advance` collects every timer due and sorts them by `(deadline, seq)`
//! before handing them out (cascading and `swap_remove` reorder slots; the
//! sort is skipped when the batch is already in order). A tick is the
//! deadline rounded *up* to the next millisecond, so no timer fires early.
//! Deadlines beyond the top level's window (more than ~2.2 years ahead, up to
//! `Duration::MAX`) wait in an overflow list and are re-inserted when the
//! wheel enters a new window.

use slab::Slab;

const LEVELS: usize = 6;
const SLOT_BITS: u32 = 6;
const SLOTS: u64 = 1 << SLOT_BITS;
/// Bits of a tick covered by all levels together.
const WHEEL_BITS: u32 = SLOT_BITS * LEVELS as u32;
/// Nanoseconds per tick.
pub(crate) const TICK_NS: u64 = 1_000_000;

/// Which list an entry is in: a slot (`level * 64 + slot`), or one of two
/// special lists.
type ListId = u16;
/// Due already (its tick is not after `elapsed`); fires at the next advance.
const DUE: ListId = (LEVELS as u64 * SLOTS) as ListId;
/// Beyond the top level's window.
const OVERFLOW: ListId = DUE + 1;
const LISTS: usize = OVERFLOW as usize + 1;

/// A registered timer's key: handle index plus a sequence number, so that a
/// stale key (its timer fired or was cancelled, and the index reused) is
/// recognised and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey {
    index: u32,
    seq: u64,
}

/// Where a live timer is: its list and its position in that list.
struct Handle {
    seq: u64,
    list: ListId,
    pos: u32,
}

struct Entry<T> {
    /// Nanoseconds since the clock's start; its tick (rounded up) places the
    /// entry, and it orders timers within an advance.
    deadline: u64,
    /// Insertion order, for equal deadlines (and key validation).
    seq: u64,
    /// Index of this entry's `Handle`.
    handle: u32,
    value: T,
}

/// A fired timer: its deadline, sequence number and value.
pub(crate) struct Fired<T> {
    pub(crate) deadline: u64,
    pub(crate) seq: u64,
    pub(crate) value: T,
}

/// See the module docs. `T` is what a timer carries (a waker or a callback).
pub(crate) struct TimerWheel<T> {
    handles: Slab<Handle>,
    lists: Vec<Vec<Entry<T>>>,
    occupied: [u64; LEVELS],
    /// The current tick: every timer with a tick up to here has fired.
    elapsed: u64,
    next_seq: u64,
}

fn tick_of(deadline_ns: u64) -> u64 {
    deadline_ns.div_ceil(TICK_NS)
}

impl<T> TimerWheel<T> {
    /// A wheel whose current time is `now` (nanoseconds on the clock's scale).
    pub(crate) fn new(now: u64) -> TimerWheel<T> {
        TimerWheel {
            handles: Slab::new(),
            lists: (0..LISTS).map(|_| Vec::new()).collect(),
            occupied: [0; LEVELS],
            elapsed: now / TICK_NS,
            next_seq: 0,
        }
    }

    /// Number of registered timers.
    pub(crate) fn len(&self) -> usize {
        self.handles.len()
    }

    /// Registers a timer for `deadline` (nanoseconds since the clock's start).
    pub(crate) fn insert(&mut self, deadline: u64, value: T) -> TimerKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        let handle = self.handles.insert(Handle {
            seq,
            list: DUE,
            pos: 0,
        });
        let handle = u32::try_from(handle).expect("more than 2^32 timers");
        self.push(Entry {
            deadline,
            seq,
            handle,
            value,
        });
        TimerKey { index: handle, seq }
    }

    fn handle(&self, key: TimerKey) -> Option<&Handle> {
        self.handles
            .get(key.index as usize)
            .filter(|h| h.seq == key.seq)
    }

    /// `true` while the timer is registered (not fired, not removed).
    #[cfg(test)]
    fn contains(&self, key: TimerKey) -> bool {
        self.handle(key).is_some()
    }

    /// The timer's value, to update it in place (a new waker).
    pub(crate) fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        let (list, pos) = self.handle(key).map(|h| (h.list, h.pos))?;
        Some(&mut self.lists[list as usize][pos as usize].value)
    }

    /// Cancels a timer; returns its value, or `None` for a stale key.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<T> {
        let (list, pos) = self.handle(key).map(|h| (h.list, h.pos))?;
        self.handles.remove(key.index as usize);
        let entries = &mut self.lists[list as usize];
        let entry = entries.swap_remove(pos as usize);
        if let Some(moved) = entries.get(pos as usize) {
            self.handles[moved.handle as usize].pos = pos;
        } else if entries.is_empty() && list < DUE {
            self.occupied[(list / SLOTS as u16) as usize] &= !(1 << (list % SLOTS as u16));
        }
        Some(entry.value)
    }

    /// Every registered timer's value, in no particular order (the stuck-task
    /// watchdog looks for the tasks timers will wake).
    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.lists
            .iter()
            .flat_map(|list| list.iter().map(|entry| &entry.value))
    }

    /// Removes every timer and returns their values (the loop drops them one
    /// by one at close, each destructor contained).
    pub(crate) fn take_all(&mut self) -> Vec<T> {
        self.handles.clear();
        self.occupied = [0; LEVELS];
        self.lists
            .iter_mut()
            .flat_map(|list| list.drain(..).map(|entry| entry.value))
            .collect()
    }

    /// `true` if a timer inserted for `deadline` while that deadline was still
    /// ahead of the wheel has fired. Such a timer never waits in the due list
    /// (its tick was after `elapsed`), so it has fired exactly when its tick is
    /// not after `elapsed` — and the caller learns it without touching the
    /// entry's (likely cold) memory.
    pub(crate) fn has_fired(&self, deadline: u64) -> bool {
        tick_of(deadline) <= self.elapsed
    }

    /// The earliest tick at which `advance` will fire or move something.
    pub(crate) fn next_expiration_tick(&self) -> Option<u64> {
        if !self.lists[DUE as usize].is_empty() {
            return Some(self.elapsed);
        }
        self.next_expiration().map(|(_, start)| start)
    }

    /// Moves time forward to `now` (nanoseconds since the clock's start) and
    /// appends every timer due by then to `fired`, sorted by deadline, then by
    /// insertion order.
    pub(crate) fn advance(&mut self, now: u64, fired: &mut Vec<Fired<T>>) {
        let first = fired.len();
        let now_tick = now / TICK_NS;
        self.fire_list(DUE, fired);
        while let Some((list, start)) = self.next_expiration() {
            if start > now_tick {
                break;
            }
            self.elapsed = start;
            if list < DUE {
                self.occupied[(list / SLOTS as u16) as usize] &= !(1 << (list % SLOTS as u16));
            }
            if list < SLOTS as ListId {
                self.fire_list(list, fired);
            } else {
                self.cascade_list(list, fired);
            }
        }
        self.elapsed = self.elapsed.max(now_tick);
        let batch = &mut fired[first..];
        if !batch.is_sorted_by_key(|f| (f.deadline, f.seq)) {
            batch.sort_unstable_by_key(|f| (f.deadline, f.seq));
        }
    }

    // ----- internals -----

    /// The list an entry with `tick` belongs to, relative to `elapsed`.
    fn list_for(&self, tick: u64) -> ListId {
        if tick <= self.elapsed {
            return DUE;
        }
        let differing = (self.elapsed ^ tick) | (SLOTS - 1);
        let level = (63 - differing.leading_zeros()) / SLOT_BITS;
        if level as usize >= LEVELS {
            return OVERFLOW;
        }
        let slot = (tick >> (level * SLOT_BITS)) & (SLOTS - 1);
        (u64::from(level) * SLOTS + slot) as ListId
    }

    /// Appends `entry` to its list and records where it went.
    fn push(&mut self, entry: Entry<T>) {
        let list = self.list_for(tick_of(entry.deadline));
        if list < DUE {
            self.occupied[(list / SLOTS as u16) as usize] |= 1 << (list % SLOTS as u16);
        }
        let entries = &mut self.lists[list as usize];
        let handle = &mut self.handles[entry.handle as usize];
        handle.list = list;
        handle.pos = entries.len() as u32;
        entries.push(entry);
    }

    /// Fires every entry of a list (its slot's time has come).
    fn fire_list(&mut self, list: ListId, fired: &mut Vec<Fired<T>>) {
        let mut entries = std::mem::take(&mut self.lists[list as usize]);
        for e in entries.drain(..) {
            self.handles.remove(e.handle as usize);
            fired.push(Fired {
                deadline: e.deadline,
                seq: e.seq,
                value: e.value,
            });
        }
        // Keep the buffer for the slot's next turn.
        self.lists[list as usize] = entries;
    }

    /// Re-inserts every entry of a list relative to the new `elapsed`
    /// (cascading); those now due fire at once.
    fn cascade_list(&mut self, list: ListId, fired: &mut Vec<Fired<T>>) {
        let mut entries = std::mem::take(&mut self.lists[list as usize]);
        for e in entries.drain(..) {
            if tick_of(e.deadline) <= self.elapsed {
                self.handles.remove(e.handle as usize);
                fired.push(Fired {
                    deadline: e.deadline,
                    seq: e.seq,
                    value: e.value,
                });
            } else {
                self.push(e);
            }
        }
        // Overflow entries still beyond the new window went back into this
        // very list (a fresh `Vec`); otherwise give the buffer back.
        if self.lists[list as usize].is_empty() {
            self.lists[list as usize] = entries;
        }
    }

    /// The earliest non-empty slot over all levels (or the start of the next
    /// top-level window, when timers wait in overflow), with its start tick.
    fn next_expiration(&self) -> Option<(ListId, u64)> {
        for level in 0..LEVELS {
            let occupied = self.occupied[level];
            if occupied == 0 {
                continue;
            }
            let shift = level as u32 * SLOT_BITS;
            let pos = (self.elapsed >> shift) & (SLOTS - 1);
            // Occupied slots of a level lie after the current position in the
            // current window of the level above (see `list_for`).
            let ahead = occupied & (u64::MAX << pos);
            debug_assert_ne!(ahead, 0, "a timer slot behind the wheel's position");
            let slot = u64::from(ahead.trailing_zeros());
            let window = self.elapsed & !((1u64 << (shift + SLOT_BITS)) - 1);
            // Lower levels always expire before higher ones: return the first found.
            return Some((
                (level as u64 * SLOTS + slot) as ListId,
                window + (slot << shift),
            ));
        }
        if !self.lists[OVERFLOW as usize].is_empty() {
            let next_window = ((self.elapsed >> WHEEL_BITS) + 1).checked_mul(1 << WHEEL_BITS)?;
            return Some((OVERFLOW, next_window));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    const MS: u64 = TICK_NS;

    fn fire(w: &mut TimerWheel<u32>, now: u64) -> Vec<u32> {
        let mut fired = Vec::new();
        w.advance(now, &mut fired);
        fired.into_iter().map(|f| f.value).collect()
    }

    #[test]
    fn fires_in_deadline_order_then_insertion_order() {
        let mut w = TimerWheel::new(0);
        w.insert(30 * MS, 3);
        w.insert(10 * MS, 1);
        w.insert(10 * MS, 2);
        w.insert(5_000 * MS, 4);
        assert_eq!(fire(&mut w, 9 * MS), Vec::<u32>::new());
        assert_eq!(fire(&mut w, 30 * MS), [1, 2, 3]);
        assert_eq!(fire(&mut w, 4_999 * MS), Vec::<u32>::new());
        assert_eq!(fire(&mut w, 5_000 * MS), [4]);
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn never_fires_early_sub_millisecond_deadlines_round_up() {
        let mut w = TimerWheel::new(0);
        w.insert(MS + 1, 1);
        assert_eq!(fire(&mut w, MS + 1), Vec::<u32>::new());
        assert_eq!(w.next_expiration_tick(), Some(2));
        assert_eq!(fire(&mut w, 2 * MS), [1]);
    }

    #[test]
    fn equal_deadlines_keep_insertion_order_across_cascades() {
        // The first timer is inserted far from its deadline (level 2) and the
        // second close to it (level 0): cascading must not reorder them.
        let mut w = TimerWheel::new(0);
        w.insert(5_000 * MS, 1);
        assert!(fire(&mut w, 4_990 * MS).is_empty());
        w.insert(5_000 * MS, 2);
        assert_eq!(fire(&mut w, 5_000 * MS), [1, 2]);
    }

    #[test]
    fn remove_cancels_and_stale_keys_are_ignored() {
        let mut w = TimerWheel::new(0);
        let a = w.insert(10 * MS, 1);
        let b = w.insert(10 * MS, 2);
        assert_eq!(w.remove(a), Some(1));
        assert_eq!(w.remove(a), None);
        assert_eq!(fire(&mut w, 10 * MS), [2]);
        assert_eq!(w.remove(b), None);
        let c = w.insert(20 * MS, 3); // may reuse a's slab index
        assert_eq!(w.remove(a), None);
        assert!(w.contains(c));
    }

    #[test]
    fn past_deadlines_fire_at_the_next_advance() {
        let mut w = TimerWheel::new(0);
        assert!(fire(&mut w, 100 * MS).is_empty());
        w.insert(0, 1);
        w.insert(50 * MS, 2);
        assert_eq!(w.next_expiration_tick(), Some(100));
        assert_eq!(fire(&mut w, 100 * MS), [1, 2]);
    }

    #[test]
    fn far_deadlines_wait_in_overflow_without_overflowing() {
        let mut w = TimerWheel::new(0);
        let never = w.insert(u64::MAX, 1);
        let three_years = 3 * 365 * 24 * 3600 * 1_000 * MS;
        w.insert(three_years, 2);
        w.insert(10 * MS, 3);
        assert_eq!(fire(&mut w, 10 * MS), [3]);
        assert!(fire(&mut w, three_years - 1).is_empty());
        assert_eq!(fire(&mut w, three_years), [2]);
        assert_eq!(w.len(), 1);
        assert!(fire(&mut w, u64::MAX - 1).is_empty());
        assert_eq!(w.len(), 1);
        assert_eq!(w.remove(never), Some(1));
    }

    #[test]
    fn next_expiration_tick_names_the_earliest_slot() {
        let mut w = TimerWheel::new(0);
        assert_eq!(w.next_expiration_tick(), None);
        w.insert(200 * MS, 1); // level 1, slot of 192..255
        assert_eq!(w.next_expiration_tick(), Some(192));
        w.insert(3 * MS, 2);
        assert_eq!(w.next_expiration_tick(), Some(3));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u64),
        Cancel(usize),
        Advance(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u64..300_000_000_000).prop_map(Op::Insert),
            1 => (0u64..1 << 45).prop_map(Op::Insert),
            2 => any::<usize>().prop_map(Op::Cancel),
            3 => (0u64..5_000_000_000).prop_map(Op::Advance),
        ]
    }

    proptest! {
        /// Drives the wheel and a `BTreeMap` model with the same random
        /// inserts, cancels and advances, and compares what fires, in order.
        #[test]
        fn matches_a_btreemap_model(ops in proptest::collection::vec(op(), 1..300)) {
            let mut wheel = TimerWheel::new(0);
            let mut model: BTreeMap<(u64, u64), u32> = BTreeMap::new();
            let mut keys: Vec<(TimerKey, (u64, u64))> = Vec::new();
            let mut now = 0u64;
            let mut next_value = 0u32;
            for op in ops {
                match op {
                    Op::Insert(delay) => {
                        let deadline = now.saturating_add(delay);
                        let key = wheel.insert(deadline, next_value);
                        // The model fires at the deadline rounded up to a tick.
                        let model_key = (deadline, key.seq);
                        model.insert(model_key, next_value);
                        keys.push((key, model_key));
                        next_value += 1;
                    }
                    Op::Cancel(i) if !keys.is_empty() => {
                        let (key, model_key) = keys[i % keys.len()];
                        prop_assert_eq!(wheel.remove(key), model.remove(&model_key));
                    }
                    Op::Cancel(_) => {}
                    Op::Advance(by) => {
                        now = now.saturating_add(by);
                        let mut fired = Vec::new();
                        wheel.advance(now, &mut fired);
                        let got: Vec<u32> = fired.into_iter().map(|f| f.value).collect();
                        let now_tick = now / TICK_NS;
                        let due: Vec<(u64, u64)> = model
                            .keys()
                            .filter(|(d, _)| tick_of(*d) <= now_tick)
                            .copied()
                            .collect();
                        let want: Vec<u32> = due.iter().map(|k| model.remove(k).unwrap()).collect();
                        prop_assert_eq!(got, want);
                    }
                }
                prop_assert_eq!(wheel.len(), model.len());
            }
        }
    }
}
