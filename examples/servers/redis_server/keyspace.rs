//! Where the [`Db`] lives: in a `RefCell` when one loop serves every
//! connection, behind an `Arc<Mutex>` when several loops do.
//!
//! On one loop nothing can run between two commands of a batch but that
//! batch, so a `RefCell` borrow is all the exclusion needed and costs no
//! atomic instruction. With several loops (`loops.rs`) the connections of
//! every loop read and write one keyspace — `SET` on loop 0 must be seen by
//! `GET` on loop 1 — so it is shared between threads under a mutex.
//!
//! A connection takes the keyspace once per batch (every command of one
//! read), not once per command: at `redis-benchmark -P 16` that is one lock
//! for sixteen commands, and the other loop waits at most one batch's worth
//! of in-memory work (no command awaits while it holds the lock).

use std::cell::{RefCell, RefMut};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::db::Db;

/// The keyspace of one loop's connections.
pub enum Keyspace {
    /// Only this loop uses it.
    OneLoop(RefCell<Db>),
    /// Every loop of the server uses it.
    Loops(Arc<Mutex<Db>>),
}

impl Default for Keyspace {
    fn default() -> Keyspace {
        Keyspace::OneLoop(RefCell::default())
    }
}

impl Keyspace {
    /// The keyspace, for as long as the guard lives. Do not await while
    /// holding it: on one loop another task's borrow would panic, across
    /// loops the other loops would wait.
    pub fn lock(&self) -> KeyspaceGuard<'_> {
        match self {
            Keyspace::OneLoop(db) => KeyspaceGuard::OneLoop(db.borrow_mut()),
            // A panic in a command leaves the map itself sound (std's
            // HashMap is panic-safe), so a poisoned lock is taken anyway:
            // one failed connection must not stop every other one.
            Keyspace::Loops(db) => {
                KeyspaceGuard::Loops(db.lock().unwrap_or_else(PoisonError::into_inner))
            }
        }
    }
}

/// Exclusive use of the [`Db`], from [`Keyspace::lock`].
pub enum KeyspaceGuard<'a> {
    OneLoop(RefMut<'a, Db>),
    Loops(MutexGuard<'a, Db>),
}

impl Deref for KeyspaceGuard<'_> {
    type Target = Db;

    fn deref(&self) -> &Db {
        match self {
            KeyspaceGuard::OneLoop(db) => db,
            KeyspaceGuard::Loops(db) => db,
        }
    }
}

impl DerefMut for KeyspaceGuard<'_> {
    fn deref_mut(&mut self) -> &mut Db {
        match self {
            KeyspaceGuard::OneLoop(db) => db,
            KeyspaceGuard::Loops(db) => db,
        }
    }
}
