//! The await graph: which task awaits which, asyncio's `capture_call_graph`.
//!
//! corio never walks a future's state machine (Rust futures cannot be
//! inspected from outside). Instead, the places where one task starts
//! waiting for another write it down in the awaited task's cold part
//! (`TaskCold::awaited_by`):
//!
//! * `Task::poll` returning `Pending` — the current task awaits the handle
//!   (this covers `shield`, which awaits the handle it wraps);
//! * `harness::add_listener` — `gather`, `wait`, `as_completed` and a
//!   `TaskGroup` register a listener on each child from their parent's step.
//!
//! [`call_graph`] reads those records for every live task and builds a
//! forest: each root is a task nobody awaits, its children the tasks it
//! awaits. A chain of awaits that closes on itself (A awaits B, B awaits A)
//! can never finish: it is reported as a deadlock, with spawn sites.

use std::collections::HashMap;
use std::fmt;

use super::header::TaskRef;
use crate::event_loop::context;
use crate::event_loop::scheduler::Scheduler;

/// One task in the await graph and the tasks it awaits.
#[derive(Debug, Clone)]
pub struct CallNode {
    /// The task.
    pub task: TaskRef,
    /// How its parent awaits it: `"await"`, `"gather"`, `"wait"`,
    /// `"as_completed"` or `"task_group"`; `None` for a root.
    pub via: Option<&'static str>,
    /// The tasks this one awaits.
    pub awaits: Vec<CallNode>,
}

/// Every live task of a loop arranged by who awaits whom; see [`call_graph`].
#[derive(Debug, Clone, Default)]
pub struct CallGraph {
    /// Tasks nobody awaits (`main` first when it is alive), each with what
    /// it awaits below it.
    pub roots: Vec<CallNode>,
    /// Cycles of tasks awaiting each other (each can never finish), every
    /// cycle listed from its lowest task id.
    pub deadlocks: Vec<Vec<TaskRef>>,
}

/// The await graph of the running loop: asyncio's `capture_call_graph`.
/// Empty outside a loop.
///
/// ```
/// corio::run(async {
///     let child = corio::task::Builder::new()
///         .name("child")
///         .spawn(corio::time::sleep(std::time::Duration::from_millis(5)));
///     let parent = corio::spawn(async move { child.await.unwrap() });
///     corio::yield_now().await; // parent starts awaiting child
///     let graph = corio::call_graph();
///     let parent_node = graph.roots.iter().find(|n| n.task.id() == parent.id()).unwrap();
///     assert_eq!(parent_node.awaits[0].task.name(), "child");
///     assert_eq!(parent_node.awaits[0].via, Some("await"));
///     assert!(graph.deadlocks.is_empty());
///     parent.await.unwrap();
/// });
/// ```
pub fn call_graph() -> CallGraph {
    context::with_current_loop(|lp| of_loop(&lp.scheduler)).unwrap_or_default()
}

/// The await graph of the live tasks of `scheduler`'s loop.
pub(crate) fn of_loop(scheduler: &Scheduler) -> CallGraph {
    let tasks: Vec<TaskRef> = scheduler
        .live_tasks()
        .into_iter()
        // SAFETY: `live_tasks` took one reference per task for us.
        .map(|t| unsafe { TaskRef::from_raw(t) })
        .collect();
    build(tasks)
}

fn build(mut tasks: Vec<TaskRef>) -> CallGraph {
    tasks.sort_by_key(|t| t.id().as_u32());
    let index: HashMap<u32, usize> = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id().as_u32(), i))
        .collect();
    // parent[i]: the live task awaiting task i, and how.
    let parent: Vec<Option<(usize, &'static str)>> = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let by = t.awaited_by()?;
            let p = *index.get(&by.task)?;
            (p != i).then_some((p, by.via))
        })
        .collect();
    let deadlocks = find_cycles(&parent);
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); tasks.len()];
    let mut roots = Vec::new();
    for (i, p) in parent.iter().enumerate() {
        match p {
            Some((p, _)) => children[*p].push(i),
            None => roots.push(i),
        }
    }
    fn node(
        i: usize,
        tasks: &[TaskRef],
        parent: &[Option<(usize, &'static str)>],
        children: &[Vec<usize>],
    ) -> CallNode {
        CallNode {
            task: tasks[i].clone(),
            via: parent[i].map(|(_, via)| via),
            awaits: children[i]
                .iter()
                .map(|&c| node(c, tasks, parent, children))
                .collect(),
        }
    }
    CallGraph {
        roots: roots
            .iter()
            .map(|&r| node(r, &tasks, &parent, &children))
            .collect(),
        deadlocks: deadlocks
            .into_iter()
            .map(|cycle| cycle.into_iter().map(|i| tasks[i].clone()).collect())
            .collect(),
    }
}

/// Each cycle of the `parent` links once, from its lowest index, in await
/// order (the first awaits the second, ...).
fn find_cycles(parent: &[Option<(usize, &'static str)>]) -> Vec<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut mark = vec![Mark::New; parent.len()];
    let mut cycles = Vec::new();
    for start in 0..parent.len() {
        let mut path = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match mark[i] {
                Mark::Done => break,
                Mark::OnPath => {
                    let from = path.iter().position(|&p| p == i).unwrap_or(0);
                    // `path` follows "is awaited by"; a cycle reads in await
                    // order the other way round.
                    let mut cycle: Vec<usize> = path[from..].iter().rev().copied().collect();
                    let low = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
                    cycle.rotate_left(low);
                    cycles.push(cycle);
                    break;
                }
                Mark::New => {
                    mark[i] = Mark::OnPath;
                    path.push(i);
                    at = parent[i].map(|(p, _)| p);
                }
            }
        }
        for i in path {
            mark[i] = Mark::Done;
        }
    }
    cycles
}

impl fmt::Display for CallGraph {
    /// The tree, one task a line, then one line per deadlock:
    ///
    /// ```text
    /// └── Task-1 (running) spawned at examples/x.rs:3:5
    ///     └── gather: fetch #2 (pending) spawned at examples/x.rs:9:9
    /// deadlock: Task-3 (spawned at a.rs:4:5) awaits Task-4 (spawned at a.rs:5:5), which awaits Task-3
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn line(
            node: &CallNode,
            prefix: &str,
            last: bool,
            f: &mut fmt::Formatter<'_>,
        ) -> fmt::Result {
            let t = &node.task;
            let name = t.name();
            let default = format!("Task-{}", t.id());
            let label = if name == default {
                name
            } else {
                format!("{name} #{}", t.id())
            };
            writeln!(
                f,
                "{prefix}{}{}{label} ({}) spawned at {}",
                if last { "└── " } else { "├── " },
                node.via.map(|v| format!("{v}: ")).unwrap_or_default(),
                t.state(),
                t.spawned_at()
            )?;
            let inner = format!("{prefix}{}", if last { "    " } else { "│   " });
            for (k, child) in node.awaits.iter().enumerate() {
                line(child, &inner, k + 1 == node.awaits.len(), f)?;
            }
            Ok(())
        }
        for (k, root) in self.roots.iter().enumerate() {
            line(root, "", k + 1 == self.roots.len(), f)?;
        }
        for cycle in &self.deadlocks {
            write!(f, "deadlock: ")?;
            for (k, t) in cycle.iter().enumerate() {
                if k > 0 {
                    write!(
                        f,
                        "{}",
                        if k == 1 {
                            " awaits "
                        } else {
                            ", which awaits "
                        }
                    )?;
                }
                write!(f, "{} (spawned at {})", t.name(), t.spawned_at())?;
            }
            let first = &cycle[0];
            writeln!(f, ", which awaits {}", first.name())?;
        }
        Ok(())
    }
}
