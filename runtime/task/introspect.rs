//! asyncio's introspection: `current_task`, `all_tasks`, and the task table.

use crate::event_loop::context;
use crate::task::header::TaskRef;

/// The task whose step is running now: asyncio's `current_task()`. `None` in
/// plain callbacks and outside any loop.
///
/// ```
/// assert!(corio::current_task().is_none());
/// corio::run(async {
///     let t = corio::spawn(async { corio::current_task().unwrap().id() });
///     let id = t.id();
///     assert_eq!(t.await.unwrap(), id);
/// });
/// ```
pub fn current_task() -> Option<TaskRef> {
    // SAFETY: the current task is being polled, so the loop's reference keeps
    // it alive; `retained` takes a reference of its own.
    context::current_task().map(|t| unsafe { TaskRef::retained(t) })
}

/// Every task of the running loop that is not done: asyncio's `all_tasks()`,
/// in no particular order. Empty outside a loop.
///
/// ```
/// corio::run(async {
///     let t = corio::spawn(async {});
///     assert_eq!(corio::all_tasks().len(), 2); // main and t
///     t.await.unwrap();
///     assert_eq!(corio::all_tasks().len(), 1);
/// });
/// ```
pub fn all_tasks() -> Vec<TaskRef> {
    context::with_current_loop(|lp| {
        lp.scheduler
            .live_tasks()
            .into_iter()
            // SAFETY: `live_tasks` took one reference per task for us.
            .map(|t| unsafe { TaskRef::from_raw(t) })
            .collect()
    })
    .unwrap_or_default()
}

/// Prints a table of the running loop's tasks (id, name, state, polls, time in
/// polls, spawn site) to stdout. It never polls or waits on anything.
///
/// ```
/// corio::run(async {
///     corio::task::Builder::new().name("sleeper").spawn(std::future::pending::<()>());
///     corio::dump_tasks();
/// });
/// ```
pub fn dump_tasks() {
    match context::with_current_loop(crate::debug::dump::render) {
        Some(table) => print!("{table}"),
        None => println!("(no corio loop is running on this thread)"),
    }
}
