//! task_group: structured concurrency, asyncio 3.11's `TaskGroup` —
//! `async with asyncio.TaskGroup() as tg: tg.create_task(...)`.
//!
//! Not in the seeds (they predate 3.11); it is the modern form of the seed 003
//! programs that start tasks and then `wait`/`gather` them: the scope starts
//! tasks, and leaving it waits for all of them. If one fails, the group cancels
//! the others and reports every failure together.
//!
//! Run it with `cargo run --example task_group`.

use std::time::Duration;

use corio::FailureKind;

#[path = "../support/mod.rs"]
mod support;

const MS: Duration = Duration::from_millis(1);

/// Prints when its task is cancelled (dropped before it finished).
struct Announce {
    name: &'static str,
    finished: bool,
}

impl Announce {
    fn new(name: &'static str) -> Announce {
        Announce {
            name,
            finished: false,
        }
    }
}

impl Drop for Announce {
    fn drop(&mut self) {
        if !self.finished {
            println!("  {}: cancelled", self.name);
        }
    }
}

async fn fetch(name: &'static str, ms: u32) -> Result<String, String> {
    let mut announce = Announce::new(name);
    corio::time::sleep(MS * ms).await;
    println!("  {name}: fetched after {ms} ms");
    announce.finished = true;
    Ok(format!("{name}-data"))
}

async fn all_succeed() {
    println!("== 1. every child succeeds: leaving the scope waits for all ==");
    let results = corio::task_group(|tg| async move {
        let a = tg.spawn(fetch("users", 20));
        let b = tg.spawn(fetch("orders", 10));
        println!("  body: two children started; the body returns without awaiting them");
        (a, b)
    })
    .await
    .expect("no child failed");
    let (a, b) = results;
    println!(
        "  after the scope both are done: {}, {}",
        a.is_done(),
        b.is_done()
    );
    println!("  {:?} {:?}", a.await.unwrap(), b.await.unwrap());
}

async fn one_fails() {
    println!("\n== 2. one child fails: the others and the body are cancelled ==");
    let outcome = corio::task_group(|tg| async move {
        tg.spawn_named("slow", fetch("slow", 100));
        tg.spawn_named("broken", async {
            corio::time::sleep(MS * 10).await;
            println!("  broken: failing");
            Err::<String, String>("connection refused".into())
        });
        let _announce = Announce::new("body");
        corio::time::sleep(MS * 1_000).await;
        println!("  (never printed: the body is cancelled)");
    })
    .await;
    match outcome {
        Ok(()) => println!("  no failure?"),
        Err(e) => {
            println!("  {e}");
            // Like an ExceptionGroup, the error carries what each child failed with.
            for f in &e.failures {
                let error = f.kind.error::<String>().expect("an Err(String)");
                println!("  {} failed with the value {error:?}", f.name);
            }
        }
    }
}

async fn two_panics() {
    println!("\n== 3. two children panic at once: both are reported ==");
    let outcome = corio::task_group(|tg| async move {
        for name in ["left", "right"] {
            tg.spawn_named(name, async move {
                corio::time::sleep(MS * 5).await;
                if !name.is_empty() {
                    panic!("{name} gave up");
                }
            });
        }
    })
    .await;
    if let Err(e) = outcome {
        println!("  {} failures:", e.failures.len());
        for f in e.failures {
            if let FailureKind::Panicked(payload) = &f.kind {
                println!("    {}: {} (the payload is here)", f.name, f.kind);
                assert!(payload.downcast_ref::<String>().is_some());
            }
        }
    }
}

fn main() {
    support::args(include_str!("10_task_group.rs"), "").done();
    // The panics of section 3 are reported through the group; silence the
    // default hook so they do not also print, out of order, on stderr.
    std::panic::set_hook(Box::new(|_| {}));
    corio::run(async {
        all_succeed().await;
        one_fails().await;
        two_panics().await;
    });
}
