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

use crate::containment::contain;

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
        // Made outside the borrow: making it may reach the loop again, and
        // even ask for a `T` itself. The first one stored is the loop's; a
        // second, made meanwhile, is released at once.
        let value = Rc::new(make());
        let mut made = self.made.borrow_mut();
        if let Some(first) = made
            .iter()
            .find_map(|m| m.value.clone().downcast::<T>().ok())
        {
            drop(made);
            value.close();
            return first;
        }
        made.push(Made {
            value: value.clone(),
            close: close_as::<T>,
        });
        value
    }

    /// Closes every resource, in the order they were made — and any that a
    /// `close` made in turn. A panicking `close` is reported and the others
    /// still close.
    pub(crate) fn close_all(&self) {
        loop {
            let made = self.made.take();
            if made.is_empty() {
                return;
            }
            for resource in made {
                contain("closing a loop's resource", || {
                    (resource.close)(&*resource.value)
                });
            }
        }
    }
}

fn close_as<T: LoopResource>(value: &dyn Any) {
    if let Some(resource) = value.downcast_ref::<T>() {
        resource.close();
    }
}

#[cfg(test)]
mod tests {
    use super::{LoopResource, Resources};
    use std::cell::Cell;
    use std::rc::Rc;

    thread_local! {
        static CLOSED: Cell<u32> = const { Cell::new(0) };
    }

    struct Counted;

    impl LoopResource for Counted {
        fn close(&self) {
            CLOSED.with(|c| c.set(c.get() + 1));
        }
    }

    struct Panicking;

    impl LoopResource for Panicking {
        fn close(&self) {
            panic!("a resource that fails to close");
        }
    }

    #[test]
    fn get_or_make_makes_once_and_close_all_closes_each_even_after_a_panicking_close() {
        CLOSED.with(|c| c.set(0));
        let resources = Resources::default();
        resources.get_or_make(|| Panicking);
        let first = resources.get_or_make(|| Counted);
        let again = resources.get_or_make(|| -> Counted { unreachable!("made once") });
        assert!(Rc::ptr_eq(&first, &again));
        resources.close_all();
        assert_eq!(CLOSED.with(Cell::get), 1);
        resources.close_all();
        assert_eq!(CLOSED.with(Cell::get), 1, "closed once only");
    }

    #[test]
    fn a_resource_made_while_making_the_same_kind_is_released_and_the_first_kept() {
        CLOSED.with(|c| c.set(0));
        let resources = Resources::default();
        let outer = resources.get_or_make(|| {
            resources.get_or_make(|| Counted);
            Counted
        });
        assert_eq!(CLOSED.with(Cell::get), 1, "the second one was released");
        let kept = resources.get_or_make(|| -> Counted { unreachable!("already made") });
        assert!(Rc::ptr_eq(&outer, &kept));
        resources.close_all();
        assert_eq!(CLOSED.with(Cell::get), 2);
    }
}
