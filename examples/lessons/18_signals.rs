//! signals: Unix signals as loop events — asyncio's `add_signal_handler`,
//! a stream of deliveries, `ctrl_c`, and one signal heard by two loops.
//!
//! Seed 001 lists "信号驱动I/O" (signal-driven I/O) among the I/O models and
//! leaves it as "rarely used"; what programs do use signals for is being
//! told to reload (`SIGHUP`) or to stop (`SIGTERM`, Ctrl-C). asyncio does it
//! with `loop.add_signal_handler(sig, callback)`: the callback runs on the
//! loop, never inside the OS handler. corio does the same through a
//! self-pipe: the OS handler writes one byte, the loop's reactor sees the
//! socket readable, and the rest is ordinary loop code.
//!
//! By default this program raises its own signals, so it ends by itself
//! (the tour runs it so). With `--wait` it prints its PID and waits for you:
//!
//! ```text
//! cargo run --example signals -- --wait
//! kill -HUP <pid>     # "reload"
//! kill -USR1 <pid>    # counted
//! kill <pid>          # SIGTERM: graceful stop (or press Ctrl-C)
//! ```

use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use corio::signal::{
    add_signal_handler, ctrl_c, remove_signal_handler, signal, SIGHUP, SIGINT, SIGKILL, SIGTERM,
    SIGUSR1,
};
use corio::time::{interval, sleep};
use corio::ReturnWhen;

#[path = "../support/mod.rs"]
mod support;

const FLAGS: &str = "\
(no flag)    raise SIGHUP, SIGTERM, SIGUSR1 and SIGINT at itself and show
             where each one lands; ends by itself
--wait       print the PID and wait for real signals: SIGHUP reloads,
             SIGUSR1 is counted, SIGTERM or Ctrl-C stops gracefully";

fn main() -> ExitCode {
    let mut args = support::args(include_str!("18_signals.rs"), FLAGS);
    let wait = args.flag("--wait");
    args.done();
    if wait {
        corio::run(wait_for_real_signals())
    } else {
        corio::run(demo());
        ExitCode::SUCCESS
    }
}

/// Sends `sig` to this process, as `kill -SIG <our pid>` would.
fn raise(sig: i32) {
    // SAFETY: `kill` has no memory-safety preconditions; every signal raised
    // here has a listener when it is raised.
    unsafe { libc::kill(libc::getpid(), sig) };
}

async fn demo() {
    reload_on_sighup().await;
    stop_on_sigterm().await;
    two_loops_one_signal();
    graceful_ctrl_c().await;
    refused();
}

/// asyncio's `loop.add_signal_handler(SIGHUP, reload)`.
async fn reload_on_sighup() {
    println!("== 1. add_signal_handler: SIGHUP reloads the configuration ==");
    let reloads = Rc::new(Cell::new(0));
    let count = reloads.clone();
    add_signal_handler(SIGHUP, move || {
        count.set(count.get() + 1);
        // A loop callback, not a task, and not inside the OS handler.
        let in_task = corio::current_task().is_some();
        println!(
            "  callback: reloading configuration (#{}), in a task: {in_task}",
            count.get()
        );
    })
    .expect("SIGHUP can be caught");
    for n in 1..=2 {
        println!("  raising SIGHUP");
        raise(SIGHUP);
        while reloads.get() < n {
            sleep(Duration::from_millis(1)).await;
        }
    }
    println!(
        "  remove_signal_handler(SIGHUP) -> {}",
        remove_signal_handler(SIGHUP)
    );
    println!(
        "  remove_signal_handler(SIGHUP) -> {}",
        remove_signal_handler(SIGHUP)
    );
}

/// A `Signals` stream awaited beside the work: a worker ticks until SIGTERM.
async fn stop_on_sigterm() {
    println!("== 2. signal(SIGTERM): a worker runs until it is told to stop ==");
    let mut term = signal(SIGTERM).expect("SIGTERM can be caught");
    let ticks = Rc::new(Cell::new(0u32));
    let counted = ticks.clone();
    let worker = corio::spawn(async move {
        let mut every = interval(Duration::from_millis(5));
        loop {
            every.tick().await;
            counted.set(counted.get() + 1);
        }
    });
    corio::spawn(async {
        sleep(Duration::from_millis(30)).await;
        println!("  (someone runs `kill <our pid>`)");
        raise(SIGTERM);
    });
    term.recv().await;
    println!("  SIGTERM received: cancelling the worker");
    worker.cancel();
    let outcome = worker.await;
    assert!(ticks.get() > 0, "the worker ran before the signal");
    println!(
        "  worker stopped: {}",
        outcome.map_or_else(|e| e.to_string(), |()| "returned".into())
    );
}

/// Two loops on two threads, one `SIGUSR1`: each listener gets it.
fn two_loops_one_signal() {
    println!("== 3. two loops on two threads, one SIGUSR1 ==");
    let listening = Arc::new(Barrier::new(3));
    let loops: Vec<_> = ["left", "right"]
        .into_iter()
        .map(|name| {
            let listening = listening.clone();
            thread::spawn(move || {
                corio::run(async move {
                    let mut usr1 = signal(SIGUSR1).expect("SIGUSR1 can be caught");
                    listening.wait();
                    usr1.recv().await;
                    format!("  loop {name}: got SIGUSR1")
                })
            })
        })
        .collect();
    listening.wait();
    println!("  both loops listen; raising SIGUSR1 once");
    raise(SIGUSR1);
    for lp in loops {
        println!("{}", lp.join().expect("the loop thread ran"));
    }
}

/// `ctrl_c().await`, the usual shutdown trigger.
async fn graceful_ctrl_c() {
    println!("== 4. ctrl_c: wait for SIGINT ==");
    let interrupted = ctrl_c(); // called inside the loop: listening from here on
    println!("  pressing Ctrl-C (raising SIGINT)");
    raise(SIGINT);
    match interrupted.await {
        Ok(()) => println!("  Ctrl-C received: shutting down gracefully"),
        other => println!("  ctrl_c failed: {other:?}"),
    }
}

/// Bad input: a signal nobody can catch.
fn refused() {
    println!("== 5. a signal no process can catch ==");
    if let Err(e) = signal(SIGKILL) {
        println!("  signal(SIGKILL): {:?}: {e}", e.kind());
    }
}

/// `--wait`: real signals from another terminal.
async fn wait_for_real_signals() -> ExitCode {
    println!(
        "pid {}: try kill -HUP / -USR1 / -TERM {0}, or Ctrl-C",
        std::process::id()
    );
    let counted = Rc::new(Cell::new(0u32));
    let count = counted.clone();
    let registered = add_signal_handler(SIGHUP, || println!("SIGHUP: reloading"))
        .and_then(|()| add_signal_handler(SIGUSR1, move || count.set(count.get() + 1)))
        .and_then(|()| signal(SIGTERM));
    let mut term = match registered {
        Ok(term) => term,
        Err(e) => {
            eprintln!("cannot listen to signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stops = [
        corio::spawn(async { ctrl_c().await.map(|()| "Ctrl-C") }),
        corio::spawn(async move { Ok(term.recv().await.map_or("SIGTERM?", |()| "SIGTERM")) }),
    ];
    let (done, _still_listening) = corio::wait(stops, ReturnWhen::FirstCompleted, None)
        .await
        .expect("two tasks to wait for");
    let (_, first) = done.into_iter().next().expect("FirstCompleted returns one");
    let by = match first.await {
        Ok(Ok(by)) => by,
        other => {
            eprintln!("listening failed: {other:?}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{by}: stopping; SIGUSR1 arrived {} time(s) (bursts count once)",
        counted.get()
    );
    ExitCode::SUCCESS
}
