//! The task table printed by `dump_tasks()` / `EventLoop::dump()`, followed
//! by the await graph (`task/call_graph.rs`) drawn as a tree.
//!
//! It reads task headers and never polls, wakes or waits: if the registry is
//! borrowed (a dump from inside a registry operation, which user code cannot
//! reach today) it prints `<busy>` instead of blocking.
//!
//! Time spent in polls is measured only in debug mode (two clock reads per
//! poll would cost more than a whole `yield_now` step). With debug mode off
//! the column says "not measured" rather than showing a zero that reads as a
//! measurement.

use std::fmt::Write;

use crate::event_loop::services::LoopServices;
use crate::task::header::TaskRef;

/// The poll-time cell of a task when debug mode is off.
const NOT_MEASURED: &str = "not measured";

/// Renders every live task of the loop of `services` as a table.
pub(crate) fn render(services: &LoopServices) -> String {
    let scheduler = &services.scheduler;
    let mut out = String::new();
    let Some(registry) = scheduler.try_registry() else {
        out.push_str("<busy>\n");
        return out;
    };
    let tasks: Vec<TaskRef> = registry
        .iter()
        // SAFETY: registered tasks are alive; `retained` takes its own reference.
        .map(|t| unsafe { TaskRef::retained(t) })
        .collect();
    drop(registry);
    let poll_time_measured = scheduler.debug.enabled;
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
            if poll_time_measured {
                format!("{:.1?}", t.poll_time())
            } else {
                NOT_MEASURED.to_owned()
            },
            t.spawned_at()
        );
    }
    let _ = writeln!(out, "{} task(s) not done", tasks.len());
    if !poll_time_measured {
        let _ = writeln!(
            out,
            "poll time: {NOT_MEASURED} (debug mode off; turn it on with \
             EventLoop::builder().debug(true) or CORIO_DEBUG=1)"
        );
    }
    drop(tasks);
    let graph = crate::task::call_graph::of_loop(scheduler);
    if !graph.roots.is_empty() || !graph.deadlocks.is_empty() {
        let _ = write!(out, "await graph (who awaits whom):\n{graph}");
    }
    out
}
