//! `Resources`: what a loop makes on first use and releases when it closes.
//!
//! asyncio's loop makes its default executor lazily, in the first
//! `run_in_executor(None, ..)`, and `asyncio.run` shuts it down at the end
//! (`shutdown_default_executor`). corio does the same, and keeps the loop's
//! core from knowing what the pool is: the executor module asks the running
//! loop for "its" pool through [`Resources::get_or_make`], and the core's
//! `close` calls [`Resources::close_all`], which runs each resource's
//! [`LoopResource::close`]. A new kind of per-loop resource needs no change
//! to the core.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

/// A value that belongs to one loop and is released when that loop closes.
pub(crate) trait LoopResource: Any {
    /// The loop is closing and no task will run again: release what this
    /// holds (the default pool waits for its threads here).
    fn close(&self);
}

/// One resource, with its `close` recovered for its concrete type.
struct Made {
    value: Rc<dyn Any>,
    close: fn(&dyn Any),
}

/// See the module docs.
#[derive(Default)]
pub(crate) struct Resources {
    made: RefCell<Vec<Made>>,
}

impl Resources {
    /// This loop's resource of type `T`, made by `make` the first time.
    pub(crate) fn get_or_make<T: LoopResource>(&self, make: impl FnOnce() -> T) -> Rc<T> {
        let found = self
            .made
            .borrow()
            .iter()
            .find_map(|m| m.value.clone().downcast::<T>().ok());
        if let Some(found) = found {
            return found;
        }
        // Made outside the borrow: making it may reach the loop again.
        let value = Rc::new(make());
        self.made.borrow_mut().push(Made {
            value: value.clone(),
            close: close_as::<T>,
        });
        value
    }

    /// Closes every resource, in the order they were made.
    pub(crate) fn close_all(&self) {
        for made in self.made.take() {
            (made.close)(&*made.value);
        }
    }
}

fn close_as<T: LoopResource>(value: &dyn Any) {
    if let Some(resource) = value.downcast_ref::<T>() {
        resource.close();
    }
}
