//! subprocess: child processes driven from the event loop — a
//! `producer | corio | consumer` pipeline, a fan-out of 8 children under a
//! `Semaphore(2)`, and a hung child stopped by `wait_for`.
//!
//! Seed 001, "进程" (processes), starts three `multiprocessing.Process`
//! workers that print their pid, sleep and finish; seed 004's "进程池Pool"
//! caps how many run at once — "once the pool reaches its maximum, a new
//! request waits until a process in the pool ends". asyncio does the same
//! with real child programs and no pool: `create_subprocess_exec` starts
//! them, a `Semaphore` caps them, and the loop watches their pipes and exits
//! without a thread per child (corio: a pidfd per child, registered with the
//! loop like a socket).
//!
//! Run it with `cargo run --example subprocess` (a short run), or with
//! `--full` for a million-line pipeline and slower children.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::process::{Command, Stdio};
use corio::streams::{StreamReader, StreamWriter};
use corio::sync::Semaphore;

#[path = "../support/mod.rs"]
mod support;

/// The sizes of one run.
struct Sizes {
    /// Lines the producer writes.
    lines: u64,
    /// How long each fanned-out child works.
    child_sleep: &'static str,
}

const SHORT: Sizes = Sizes {
    lines: 10_000,
    child_sleep: "0.05",
};
const FULL: Sizes = Sizes {
    lines: 1_000_000,
    child_sleep: "0.5",
};

fn main() {
    let mut args = support::args(
        include_str!("17_subprocess.rs"),
        "--full       a 1,000,000-line pipeline and 0.5 s children",
    );
    let sizes = if args.flag("--full") { FULL } else { SHORT };
    args.done();
    corio::run(async {
        pipeline(sizes.lines).await?;
        fan_out(sizes.child_sleep).await?;
        hung_child().await
    })
    .expect("the child programs (seq, wc, sh, sleep) are installed");
}

/// `seq 1 N | corio (keeps multiples of 7) | wc -l`: corio sits in the
/// middle of a shell pipeline, reading one child's stdout line by line and
/// writing another's stdin, both as asyncio streams.
async fn pipeline(lines: u64) -> std::io::Result<()> {
    println!("== 1. seq 1 {lines} | corio (multiples of 7) | wc -l ==");
    let started = Instant::now();
    let mut producer = Command::new("seq")
        .args(["1", &lines.to_string()])
        .stdout(Stdio::Pipe)
        .spawn()?;
    let mut consumer = Command::new("wc")
        .arg("-l")
        .stdin(Stdio::Pipe)
        .stdout(Stdio::Pipe)
        .spawn()?;
    let mut from = producer.stdout.take().expect("piped");
    let to = consumer.stdin.take().expect("piped");
    let kept = filter_lines(&mut from, &to, |n| n % 7 == 0).await?;
    to.close(); // end-of-file for wc, once the buffer is out
    to.wait_closed().await?;
    let (counted, _) = consumer.communicate(None).await?;
    let counted = String::from_utf8_lossy(&counted.unwrap_or_default())
        .trim()
        .to_string();
    println!(
        "  producer pid {} returned {}, consumer pid {} returned {}",
        producer.pid(),
        producer.wait().await?,
        consumer.pid(),
        consumer.wait().await?
    );
    println!(
        "  corio passed on {kept} lines; wc counted {counted}; {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(counted, kept.to_string());
    assert_eq!(kept, lines / 7);
    Ok(())
}

/// Copies the lines of `from` whose number passes `keep` to `to`; returns
/// how many it copied. asyncio's idiom line for line: `readline`, `write`,
/// `drain` — `drain` waits only while the consumer lags by more than the
/// writer's high-water mark (64 KiB), so memory stays bounded.
async fn filter_lines(
    from: &mut StreamReader,
    to: &StreamWriter,
    keep: impl Fn(u64) -> bool,
) -> std::io::Result<u64> {
    let mut kept = 0;
    loop {
        let line = from.readline().await?;
        if line.is_empty() {
            return Ok(kept); // EOF: the producer is done
        }
        let number = std::str::from_utf8(&line)
            .ok()
            .and_then(|s| s.trim_end().parse().ok());
        if number.is_some_and(&keep) {
            to.write(&line)?;
            to.drain().await?;
            kept += 1;
        }
    }
}

/// Eight children, at most two at a time: each holds a permit of
/// `Semaphore(2)` from its spawn to its exit.
async fn fan_out(child_sleep: &'static str) -> std::io::Result<()> {
    println!("== 2. eight children under Semaphore(2) ==");
    let started = Instant::now();
    let sem = Rc::new(Semaphore::new(2));
    let running = Rc::new(Cell::new(0));
    let peak = Rc::new(Cell::new(0));
    let children = (0..8).map(|i| {
        let (sem, running, peak) = (sem.clone(), running.clone(), peak.clone());
        async move {
            let _permit = sem.permit().await;
            running.set(running.get() + 1);
            peak.set(peak.get().max(running.get()));
            // Seed 001's worker: say the pid, work, say done.
            let script =
                format!("echo \"$$ is running\"; sleep {child_sleep}; echo \"$$ is done\"");
            let mut child = Command::new("sh")
                .args(["-c", &script])
                .stdout(Stdio::Pipe)
                .spawn()?;
            let at = started.elapsed().as_millis();
            let (out, _) = child.communicate(None).await?;
            running.set(running.get() - 1);
            let said = String::from_utf8_lossy(&out.unwrap_or_default())
                .trim_end()
                .replace('\n', "; ");
            println!(
                "  child {i} started at {at:>4} ms, ended at {:>4} ms: {said}",
                started.elapsed().as_millis()
            );
            Ok::<_, std::io::Error>(())
        }
    });
    for outcome in corio::gather_futures(children)
        .await
        .expect("no child task panics")
    {
        outcome?;
    }
    println!("  at most {} ran at once", peak.get());
    assert_eq!(peak.get(), 2);
    Ok(())
}

/// A child that never ends: `wait_for` gives up on it, then `kill` ends it
/// and `wait` reaps it (asyncio's pattern: `proc.kill(); await proc.wait()`).
async fn hung_child() -> std::io::Result<()> {
    println!("== 3. a hung child and wait_for ==");
    let hung = Command::new("sleep").arg("1000").spawn()?;
    let limit = Duration::from_millis(200);
    match corio::wait_for(hung.wait(), limit).await {
        Ok(code) => println!("  it exited by itself with {code:?}?"),
        Err(_) => {
            println!("  pid {} still running after {limit:?}: kill", hung.pid());
            hung.kill()?;
            let code = hung.wait().await?;
            println!("  reaped, returncode {code} (-9: SIGKILL, as asyncio reports it)");
            assert_eq!(code, -9);
        }
    }
    Ok(())
}
