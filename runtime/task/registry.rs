//! `TaskRegistry`: the loop's list of tasks that are not done, for
//! `all_tasks`, `dump_tasks` and the cancel-everything step of shutdown.
//!
//! A dense `Vec` of header pointers; each header remembers its index (`slot`),
//! so removal is a `swap_remove` plus one slot update, O(1), with no per-task
//! node allocation and 8 bytes per live task. The registry does not hold its
//! own reference: a task is in it exactly while the loop's reference is held
//! and the task is not complete.

use std::ptr::NonNull;

use super::header::Header;

/// The tasks of one loop that are not done yet.
#[derive(Default)]
pub(crate) struct TaskRegistry {
    tasks: Vec<NonNull<Header>>,
}

impl TaskRegistry {
    pub(crate) fn insert(&mut self, task: NonNull<Header>) {
        let slot = u32::try_from(self.tasks.len()).expect("more than 2^32 live tasks");
        // SAFETY: the task is alive: the loop holds its reference.
        unsafe { task.as_ref() }.slot.set(slot);
        self.tasks.push(task);
    }

    pub(crate) fn remove(&mut self, task: NonNull<Header>) {
        // SAFETY: registered tasks are alive (the loop holds their reference).
        let slot = unsafe { task.as_ref() }.slot.get() as usize;
        debug_assert_eq!(self.tasks[slot], task);
        self.tasks.swap_remove(slot);
        if let Some(moved) = self.tasks.get(slot) {
            // SAFETY: as above, for the task that took the freed slot.
            unsafe { moved.as_ref() }.slot.set(slot as u32);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.tasks.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = NonNull<Header>> + '_ {
        self.tasks.iter().copied()
    }
}
