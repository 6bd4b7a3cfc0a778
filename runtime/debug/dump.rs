//! The task table printed by `dump_tasks()` / `EventLoop::dump()`.
//!
//! It reads task headers and never polls, wakes or waits: if the registry is
//! borrowed (a dump from inside a registry operation, which user code cannot
//! reach today) it prints `<busy>` instead of blocking.

use std::fmt::Write;

use crate::event_loop::core::LoopCore;
use crate::task::task_ref::TaskRef;

/// Renders every live task of `core` as a table.
pub(crate) fn render(core: &LoopCore) -> String {
    let mut out = String::new();
    let Some(registry) = core.try_registry() else {
        out.push_str("<busy>\n");
        return out;
    };
    let tasks: Vec<TaskRef> = registry
        .iter()
        // SAFETY: registered tasks are alive; `retained` takes its own reference.
        .map(|t| unsafe { TaskRef::retained(t) })
        .collect();
    drop(registry);
    let _ = writeln!(
        out,
        "{:>6}  {:<20}  {:<10}  {:>8}  {:>12}  spawned at",
        "id", "name", "state", "polls", "poll time"
    );
    for t in &tasks {
        let _ = writeln!(
            out,
            "{:>6}  {:<20}  {:<10}  {:>8}  {:>12}  {}",
            t.id(),
            t.name(),
            t.state(),
            t.poll_count(),
            format!("{:.1?}", t.poll_time()),
            t.spawned_at()
        );
    }
    let _ = writeln!(out, "{} task(s) not done", tasks.len());
    out
}
