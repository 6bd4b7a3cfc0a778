//! Integration tests for the await graph: `corio::call_graph()` (asyncio's
//! `capture_call_graph`) and its tree in `dump_tasks` / `EventLoop::dump`.
//!
//! Every test runs on a paused clock, so the sleeps that keep tasks pending
//! cost no real time.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use corio::task::Builder;
use corio::{CallGraph, CallNode, EventLoop, ReturnWhen, Task};

fn paused() -> EventLoop {
    EventLoop::builder()
        .start_paused(true)
        .build()
        .expect("a loop")
}

/// The graph as lines of `depth via name`, children in id order.
fn shape(graph: &CallGraph) -> Vec<String> {
    fn walk(node: &CallNode, depth: usize, out: &mut Vec<String>) {
        out.push(format!(
            "{}{}{}",
            "  ".repeat(depth),
            node.via.map(|v| format!("{v}: ")).unwrap_or_default(),
            node.task.name()
        ));
        for child in &node.awaits {
            walk(child, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    for root in &graph.roots {
        walk(root, 0, &mut out);
    }
    out
}

fn named<F: std::future::Future + 'static>(name: &str, f: F) -> Task<F::Output> {
    Builder::new().name(name).spawn(f)
}

async fn nap() {
    corio::time::sleep(Duration::from_secs(1)).await;
}

#[test]
fn await_graph_of_a_known_program_equals_the_expected_tree() {
    let lp = paused();
    let graph = lp.block_on(async {
        let parent = named("parent", async {
            let child = named("child", nap());
            child.await.unwrap();
        });
        let gatherer = named("gatherer", async {
            corio::gather(vec![named("g1", nap()), named("g2", nap())])
                .await
                .unwrap();
        });
        let waiter = named("waiter", async {
            let (_done, _pending) =
                corio::wait(vec![named("w1", nap())], ReturnWhen::AllCompleted, None)
                    .await
                    .unwrap();
        });
        let grouped = named("grouped", async {
            let body = corio::task_group(|g| async move {
                g.spawn(nap());
                Ok::<(), ()>(())
            })
            .await
            .expect("no child fails");
            body.expect("the body returns Ok");
        });
        let shielded = named("shielding", corio::shield(named("shielded", nap())));
        for _ in 0..3 {
            corio::yield_now().await;
        }
        let graph = corio::call_graph();
        for t in [parent, gatherer, waiter, grouped] {
            t.await.unwrap();
        }
        shielded.await.unwrap().unwrap();
        graph
    });
    assert!(graph.deadlocks.is_empty());
    let lines = shape(&graph);
    // The subtree under a task, its own line first, indented from it.
    let subtree = |name: &str| -> Vec<String> {
        let at = lines
            .iter()
            .position(|l| l.trim_start().ends_with(name) && !l.trim_start().contains(": g"))
            .unwrap_or_else(|| panic!("{name} in {lines:#?}"));
        let depth = lines[at].len() - lines[at].trim_start().len();
        let mut out = vec![lines[at].trim_start().to_string()];
        for l in &lines[at + 1..] {
            let d = l.len() - l.trim_start().len();
            if d <= depth {
                break;
            }
            out.push(format!("{}{}", " ".repeat(d - depth), l.trim_start()));
        }
        out
    };
    assert_eq!(subtree("parent").len(), 2, "{lines:#?}");
    assert_eq!(subtree("parent")[1], "  await: child");
    assert_eq!(
        subtree("gatherer")[1..],
        ["  gather: g1".to_string(), "  gather: g2".to_string()]
    );
    assert_eq!(subtree("waiter")[1..], ["  wait: w1".to_string()]);
    assert_eq!(subtree("grouped").len(), 2, "{lines:#?}");
    assert!(subtree("grouped")[1].starts_with("  task_group: Task-"));
    assert_eq!(subtree("shielding")[1..], ["  await: shielded".to_string()]);
}

#[test]
fn main_awaiting_a_task_is_its_parent_in_the_graph() {
    let lp = paused();
    lp.block_on(async {
        let child = named("child", nap());
        let watcher = corio::spawn(async {
            corio::yield_now().await;
            corio::call_graph()
        });
        // main awaits the watcher first: the child is awaited by nobody yet.
        let graph = watcher.await.unwrap();
        assert_eq!(shape(&graph), ["Task-1", "  await: Task-3", "child"]);
        child.await.unwrap();
    });
}

#[test]
fn a_cycle_of_awaits_is_reported_as_a_deadlock_with_both_spawn_sites() {
    let lp = paused();
    let text = lp.block_on(async {
        let b_slot: Rc<RefCell<Option<Task<()>>>> = Rc::default();
        let slot = b_slot.clone();
        let a = named("A", async move {
            corio::yield_now().await;
            let b = slot.borrow_mut().take().expect("B's handle");
            b.await.unwrap_or(());
        });
        let a_id = a.id();
        let b = named("B", async move {
            a.await.unwrap_or(());
        });
        let b_id = b.id();
        *b_slot.borrow_mut() = Some(b);
        for _ in 0..3 {
            corio::yield_now().await;
        }
        let graph = corio::call_graph();
        assert_eq!(graph.deadlocks.len(), 1, "{graph}");
        let ids: Vec<_> = graph.deadlocks[0].iter().map(|t| t.id()).collect();
        assert_eq!(ids, vec![a_id, b_id]);
        graph.to_string()
    });
    let line = text
        .lines()
        .find(|l| l.starts_with("deadlock:"))
        .expect("a deadlock line");
    assert!(
        line.contains("A (spawned at tests/call_graph.rs:"),
        "{line}"
    );
    assert!(
        line.contains("awaits B (spawned at tests/call_graph.rs:"),
        "{line}"
    );
    assert!(line.ends_with("which awaits A"), "{line}");
    // The loop dump (dump_tasks' table) shows the graph too.
    let dump = lp.dump();
    assert!(dump.contains("deadlock: A"), "{dump}");
}

#[test]
fn a_task_no_longer_awaited_after_a_timeout_has_no_parent() {
    let lp = paused();
    lp.block_on(async {
        let slow = named("slow", async {
            corio::time::sleep(Duration::from_secs(60)).await;
        });
        let slow_ref = slow.task_ref();
        let (_done, pending) = corio::wait(
            vec![slow],
            ReturnWhen::AllCompleted,
            Some(Duration::from_secs(1)),
        )
        .await
        .unwrap();
        assert_eq!(pending.len(), 1);
        let graph = corio::call_graph();
        assert!(graph.roots.iter().any(|r| r.task == slow_ref), "{graph}");
        slow_ref.cancel();
    });
}
