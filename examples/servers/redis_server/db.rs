//! The keyspace: string keys to string values, each with an optional
//! deadline, and the bookkeeping that makes deadlines happen.
//!
//! Keys expire two ways, as in Redis. *Lazily*: every read looks at the
//! key's deadline first, so an expired key is never seen even if nothing
//! removed it yet. *Actively*: a min-heap orders the deadlines, and a timer
//! task (in `server.rs`, on corio's timers) sleeps until the earliest one and
//! calls [`Db::remove_expired`] — so a key nobody reads again still leaves
//! memory. The heap may hold stale entries (a key whose deadline changed or
//! was removed); each is checked against the key's current deadline when it
//! comes up and dropped if they differ; and when stale entries outnumber
//! the keys, the heap is rebuilt from the keys, so that a client re-setting
//! one key with a long `EX` in a loop cannot grow it without bound.
//!
//! The database knows nothing of sockets or runtimes: every method that
//! needs the time takes `now`, which keeps it testable and lets the same
//! file serve the tokio peer.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

/// One key's value and deadline.
#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires_at: Option<Instant>,
}

impl Entry {
    fn is_expired(&self, now: Instant) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// What `SET` may be told besides the key and value.
#[derive(Debug, Default, Clone, Copy)]
pub struct SetOptions {
    /// `EX` / `PX`: the deadline.
    pub expires_at: Option<Instant>,
    /// `NX`: only if the key does not exist.
    pub only_if_missing: bool,
    /// `XX`: only if it does.
    pub only_if_present: bool,
}

/// An `INCR` that cannot be done; the texts are Redis's.
#[derive(Debug, PartialEq, Eq)]
pub enum IncrError {
    NotAnInteger,
    Overflow,
}

/// A key's time to live, as `TTL` and `PTTL` report it.
#[derive(Debug, PartialEq, Eq)]
pub enum TimeToLive {
    NoKey,
    Forever,
    Remaining(Duration),
}

/// The keyspace.
#[derive(Debug, Default)]
pub struct Db {
    entries: HashMap<Box<[u8]>, Entry>,
    deadlines: BinaryHeap<Reverse<(Instant, Box<[u8]>)>>,
    /// A deadline earlier than every other was added since the timer task
    /// last looked: it must wake up sooner than it planned.
    earlier_deadline: bool,
}

impl Db {
    /// The value of `key`, unless it is missing or expired.
    pub fn get(&self, key: &[u8], now: Instant) -> Option<&[u8]> {
        self.live(key, now).map(|e| e.value.as_slice())
    }

    /// `true` if `key` exists (and has not expired).
    pub fn exists(&self, key: &[u8], now: Instant) -> bool {
        self.live(key, now).is_some()
    }

    /// `SET`: returns whether the value was stored (`NX` / `XX` may say no).
    /// Overwriting a key reuses its value's allocation.
    pub fn set(&mut self, key: &[u8], value: &[u8], options: SetOptions, now: Instant) -> bool {
        let present = self.live(key, now).is_some();
        if (options.only_if_missing && present) || (options.only_if_present && !present) {
            return false;
        }
        match self.entries.get_mut(key) {
            Some(entry) => {
                entry.value.clear();
                entry.value.extend_from_slice(value);
                entry.expires_at = options.expires_at;
            }
            None => {
                let entry = Entry {
                    value: value.to_vec(),
                    expires_at: options.expires_at,
                };
                self.entries.insert(key.into(), entry);
            }
        }
        if let Some(at) = options.expires_at {
            self.add_deadline(key, at);
        }
        true
    }

    /// `DEL`: whether the key existed.
    pub fn delete(&mut self, key: &[u8], now: Instant) -> bool {
        self.entries
            .remove(key)
            .is_some_and(|entry| !entry.is_expired(now))
    }

    /// `INCRBY`: adds `delta` to the integer stored at `key` (a missing key
    /// is 0) and returns the result. The deadline, if any, is kept.
    pub fn increment(&mut self, key: &[u8], delta: i64, now: Instant) -> Result<i64, IncrError> {
        let current = match self.live(key, now) {
            Some(entry) => crate::resp::parse_i64(&entry.value).ok_or(IncrError::NotAnInteger)?,
            None => 0,
        };
        let next = current.checked_add(delta).ok_or(IncrError::Overflow)?;
        let mut digits = Vec::with_capacity(20);
        crate::resp::push_decimal(&mut digits, next);
        match self.entries.get_mut(key) {
            Some(entry) if !entry.is_expired(now) => entry.value = digits,
            _ => {
                let entry = Entry {
                    value: digits,
                    expires_at: None,
                };
                self.entries.insert(key.into(), entry);
            }
        }
        Ok(next)
    }

    /// `EXPIRE` / `PEXPIRE`: sets the deadline of an existing key. A
    /// deadline already past deletes the key, as Redis does.
    pub fn expire_at(&mut self, key: &[u8], at: Instant, now: Instant) -> bool {
        if self.live(key, now).is_none() {
            return false;
        }
        if at <= now {
            self.entries.remove(key);
            return true;
        }
        if let Some(entry) = self.entries.get_mut(key) {
            entry.expires_at = Some(at);
        }
        self.add_deadline(key, at);
        true
    }

    /// `TTL` / `PTTL`.
    pub fn time_to_live(&self, key: &[u8], now: Instant) -> TimeToLive {
        match self.live(key, now) {
            None => TimeToLive::NoKey,
            Some(Entry {
                expires_at: None, ..
            }) => TimeToLive::Forever,
            Some(Entry {
                expires_at: Some(at),
                ..
            }) => TimeToLive::Remaining(at.saturating_duration_since(now)),
        }
    }

    /// The lazy half of expiry: a key past its deadline is treated as
    /// missing (the timer task removes it; one hash lookup either way).
    fn live(&self, key: &[u8], now: Instant) -> Option<&Entry> {
        self.entries.get(key).filter(|entry| !entry.is_expired(now))
    }

    /// How many keys there are (expired ones not yet removed included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The earliest deadline the timer task should wake up for.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.peek().map(|Reverse((at, _))| *at)
    }

    /// Whether a deadline earlier than the others came since the last call
    /// (the timer task is then sleeping too long and must be woken).
    pub fn take_earlier_deadline(&mut self) -> bool {
        std::mem::take(&mut self.earlier_deadline)
    }

    /// Removes every key whose deadline is `now` or earlier; returns how
    /// many. The timer task's work.
    pub fn remove_expired(&mut self, now: Instant) -> usize {
        let mut removed = 0;
        while let Some(Reverse((at, _))) = self.deadlines.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((at, key))) = self.deadlines.pop() else {
                break;
            };
            // Only if this heap entry is still the key's deadline.
            if self
                .entries
                .get(&key)
                .is_some_and(|e| e.expires_at == Some(at))
            {
                self.entries.remove(&key);
                removed += 1;
            }
        }
        removed
    }

    fn add_deadline(&mut self, key: &[u8], at: Instant) {
        if self.next_deadline().is_none_or(|next| at < next) {
            self.earlier_deadline = true;
        }
        self.deadlines.push(Reverse((at, key.into())));
        if self.deadlines.len() > 2 * self.entries.len() + 1024 {
            self.deadlines = self
                .entries
                .iter()
                .filter_map(|(key, e)| Some(Reverse((e.expires_at?, key.clone()))))
                .collect();
        }
    }
}
