//! Placement: which loop gets a future handed to `spawn`.
//!
//! Each loop has a count of the runtime-spawned tasks still alive on it (a
//! guard inside the task decrements it when the task's future is dropped,
//! finished or not). `spawn` picks the loop with the fewest, scanning from a
//! rotating start so that ties are broken round-robin. This balances *how
//! many* tasks each loop holds, not how busy they are: a task's place is fixed
//! once chosen (no work stealing — see the module docs).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Per-loop counts of live tasks and the round-robin cursor.
#[derive(Debug)]
pub(crate) struct Loads {
    live: Box<[AtomicUsize]>,
    cursor: AtomicUsize,
}

impl Loads {
    pub(crate) fn new(loops: usize) -> Loads {
        Loads {
            live: (0..loops).map(|_| AtomicUsize::new(0)).collect(),
            cursor: AtomicUsize::new(0),
        }
    }

    /// The loop with the fewest live tasks, ties broken round-robin.
    pub(crate) fn least_loaded(&self) -> usize {
        let n = self.live.len();
        let start = self.cursor.fetch_add(1, Ordering::Relaxed) % n;
        (0..n)
            .map(|k| (start + k) % n)
            .min_by_key(|&i| self.live[i].load(Ordering::Relaxed))
            .expect("a runtime has at least one loop")
    }

    /// Live runtime-spawned tasks on loop `i`.
    pub(crate) fn live(&self, i: usize) -> usize {
        self.live[i].load(Ordering::Relaxed)
    }
}

/// Counts one task on loop `i` for as long as it lives.
pub(crate) struct LoadGuard {
    loads: Arc<Loads>,
    index: usize,
}

impl LoadGuard {
    pub(crate) fn new(loads: &Arc<Loads>, index: usize) -> LoadGuard {
        loads.live[index].fetch_add(1, Ordering::Relaxed);
        LoadGuard {
            loads: loads.clone(),
            index,
        }
    }
}

impl Drop for LoadGuard {
    fn drop(&mut self) {
        self.loads.live[self.index].fetch_sub(1, Ordering::Relaxed);
    }
}
