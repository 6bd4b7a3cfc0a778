//! `corio::signal`: signals raised in this process reach their listeners on
//! the loop.
//!
//! The test harness runs these tests on parallel threads of one process, and
//! a signal is process-wide, so each test owns its signal (`SIGHUP`,
//! `SIGUSR1`, `SIGUSR2`, ...) and no two tests raise the same one. The tests
//! that check a signal's default action comes back (the process dies of it)
//! run in a child process: this test binary, started again on one test.
#![cfg(unix)]

use std::cell::Cell;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::rc::Rc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use corio::signal::{
    add_signal_handler, ctrl_c, remove_signal_handler, signal, SIGALRM, SIGBUS, SIGFPE, SIGHUP,
    SIGILL, SIGINT, SIGKILL, SIGSEGV, SIGSTOP, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGXCPU,
};
use corio::time::{sleep, timeout};
use futures::StreamExt;

/// Generous: only a broken delivery takes this long.
const PATIENCE: Duration = Duration::from_secs(10);

/// Raises `sig` in this thread. Only called for signals with a listener (or
/// whose default action is what the test wants).
fn raise(sig: i32) {
    // SAFETY: `raise` has no memory-safety preconditions; what the signal
    // does is the test's business.
    assert_eq!(unsafe { libc::raise(sig) }, 0);
}

/// Waits (on the loop) until `done` says so, or fails after `PATIENCE`.
async fn until(what: &str, done: impl Fn() -> bool) {
    let waited = timeout(PATIENCE, async {
        while !done() {
            sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting for {what}");
}

#[test]
fn handler_runs_on_the_loop_thread_as_a_callback() {
    let loop_thread = thread::current().id();
    let calls = Rc::new(Cell::new(0));
    let seen = calls.clone();
    corio::run(async move {
        add_signal_handler(SIGHUP, move || {
            assert_eq!(
                thread::current().id(),
                loop_thread,
                "not on the loop thread"
            );
            assert!(corio::current_task().is_none(), "ran inside a task");
            seen.set(seen.get() + 1);
        })
        .unwrap();
        // Raised on another thread: the OS handler runs there, the callback
        // must still run here.
        thread::spawn(|| raise(SIGHUP)).join().unwrap();
        until("the SIGHUP callback", || calls.get() > 0).await;
        for _ in 0..5 {
            corio::yield_now().await;
        }
        assert_eq!(calls.get(), 1, "one delivery, one call");
        assert!(remove_signal_handler(SIGHUP));
    });
}

#[test]
fn signals_stream_and_recv_receive_each_delivery() {
    corio::run(async {
        let mut first = signal(SIGUSR2).unwrap();
        let mut second = signal(SIGUSR2).unwrap();
        raise(SIGUSR2);
        assert_eq!(timeout(PATIENCE, first.next()).await.unwrap(), Some(()));
        assert_eq!(timeout(PATIENCE, second.recv()).await.unwrap(), Some(()));

        raise(SIGUSR2);
        assert_eq!(timeout(PATIENCE, first.recv()).await.unwrap(), Some(()));
        assert_eq!(timeout(PATIENCE, second.next()).await.unwrap(), Some(()));
        assert_eq!(first.signal(), SIGUSR2);
    });
}

#[test]
fn two_loops_on_two_threads_both_receive_one_sigusr1() {
    let listening = Arc::new(Barrier::new(3));
    let loops: Vec<_> = (0..2)
        .map(|_| {
            let listening = listening.clone();
            thread::spawn(move || {
                corio::run(async move {
                    let mut usr1 = signal(SIGUSR1).unwrap();
                    listening.wait();
                    timeout(PATIENCE, usr1.recv()).await
                })
            })
        })
        .collect();
    listening.wait();
    raise(SIGUSR1);
    for lp in loops {
        assert_eq!(lp.join().unwrap(), Ok(Some(())));
    }
}

#[test]
fn remove_signal_handler_returns_true_then_false() {
    let calls = Rc::new(Cell::new(0));
    let seen = calls.clone();
    corio::run(async move {
        assert!(!remove_signal_handler(SIGWINCH), "nothing was added");
        add_signal_handler(SIGWINCH, move || seen.set(seen.get() + 1)).unwrap();
        assert!(remove_signal_handler(SIGWINCH));
        assert!(!remove_signal_handler(SIGWINCH));
        // SIGWINCH's default action is to ignore it: the process goes on, and
        // the removed callback does not run.
        raise(SIGWINCH);
        for _ in 0..5 {
            corio::yield_now().await;
        }
        assert_eq!(calls.get(), 0);
    });
}

#[test]
fn a_handler_goes_with_its_loop() {
    corio::run(async { add_signal_handler(SIGWINCH, || {}).unwrap() });
    corio::run(async { assert!(!remove_signal_handler(SIGWINCH)) });
    // Two loops alive on one thread keep their own handlers.
    let first = corio::EventLoop::new();
    let second = corio::EventLoop::new();
    first.block_on(async { add_signal_handler(SIGWINCH, || {}).unwrap() });
    second.block_on(async { assert!(!remove_signal_handler(SIGWINCH)) });
    first.block_on(async { assert!(remove_signal_handler(SIGWINCH)) });
}

#[test]
fn add_signal_handler_replaces_the_previous_handler() {
    let old_calls = Rc::new(Cell::new(0));
    let new_calls = Rc::new(Cell::new(0));
    let (old, new) = (old_calls.clone(), new_calls.clone());
    corio::run(async move {
        add_signal_handler(SIGALRM, move || old.set(old.get() + 1)).unwrap();
        add_signal_handler(SIGALRM, move || new.set(new.get() + 1)).unwrap();
        raise(SIGALRM);
        until("the replacing handler", || new_calls.get() > 0).await;
        assert_eq!(old_calls.get(), 0, "the replaced handler ran");
        assert!(remove_signal_handler(SIGALRM));
        assert!(!remove_signal_handler(SIGALRM), "only one handler was left");
    });
}

#[test]
fn a_panicking_signal_callback_is_contained() {
    let calls = Rc::new(Cell::new(0));
    let seen = calls.clone();
    corio::run(async move {
        add_signal_handler(SIGXCPU, move || {
            seen.set(seen.get() + 1);
            panic!("callback panics on purpose");
        })
        .unwrap();
        raise(SIGXCPU);
        until("the first call", || calls.get() == 1).await;
        raise(SIGXCPU);
        until("the second call: the handler survived the panic", || {
            calls.get() == 2
        })
        .await;
        assert!(remove_signal_handler(SIGXCPU));
    });
}

#[test]
fn uncatchable_and_invalid_signals_are_invalid_input() {
    corio::run(async {
        for sig in [
            SIGKILL, SIGSTOP, 0, -1, 9999, SIGSEGV, SIGBUS, SIGILL, SIGFPE,
        ] {
            let err = signal(sig).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "signal({sig})");
            assert!(err.to_string().contains("cannot listen"), "{err}");
            let err = add_signal_handler(sig, || {}).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "add({sig})");
            assert!(!remove_signal_handler(sig));
        }
        let err = signal(SIGKILL).unwrap_err().to_string();
        assert!(
            err.contains("SIGKILL"),
            "the message names the signal: {err}"
        );
    });
}

#[test]
fn signal_outside_a_loop_is_an_error() {
    let err = signal(SIGUSR2).unwrap_err();
    assert!(err.to_string().contains("running corio loop"), "{err}");
}

#[test]
fn ctrl_c_called_in_a_loop_catches_a_sigint_raised_before_its_first_poll() {
    corio::run(async {
        // Called inside the loop, `ctrl_c` listens from the call on: the
        // signal raised before the first poll is not lost (and does not kill
        // the process).
        let interrupted = ctrl_c();
        raise(SIGINT);
        let outcome = timeout(PATIENCE, interrupted).await;
        assert!(matches!(outcome, Ok(Ok(()))), "{outcome:?}");
        // Spawned, it listens too.
        let interrupted = corio::spawn(ctrl_c());
        raise(SIGINT);
        let outcome = timeout(PATIENCE, interrupted).await;
        assert!(matches!(outcome, Ok(Ok(Ok(())))), "{outcome:?}");
    });
}

/// Runs [`child_dies_of_sigterm_after_its_listeners_are_gone`] in a child
/// process with `scenario`, and returns how the child ended and what it said.
fn run_child(scenario: &str) -> (std::process::ExitStatus, String) {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "child_dies_of_sigterm_after_its_listeners_are_gone",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CORIO_SIGNAL_CHILD", scenario)
        .output()
        .map(|out| {
            (
                out.status,
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        })
        .unwrap()
}

#[test]
fn default_action_returns_when_the_last_listener_goes() {
    for scenario in ["dropped", "removed", "loop-closed"] {
        let (status, said) = run_child(scenario);
        assert_eq!(
            status.signal(),
            Some(SIGTERM),
            "{scenario}: the child should die of SIGTERM, it ended with {status}:\n{said}"
        );
    }
}

#[test]
#[ignore = "run in a child process by default_action_returns_when_the_last_listener_goes"]
fn child_dies_of_sigterm_after_its_listeners_are_gone() {
    let Ok(scenario) = std::env::var("CORIO_SIGNAL_CHILD") else {
        return;
    };
    match scenario.as_str() {
        "dropped" => corio::run(async {
            let mut term = signal(SIGTERM).unwrap();
            raise(SIGTERM);
            timeout(PATIENCE, term.recv()).await.unwrap();
            drop(term);
            raise(SIGTERM);
        }),
        "removed" => corio::run(async {
            add_signal_handler(SIGTERM, || {}).unwrap();
            assert!(remove_signal_handler(SIGTERM));
            raise(SIGTERM);
        }),
        "loop-closed" => {
            let calls = Rc::new(Cell::new(0));
            let seen = calls.clone();
            corio::run(async move {
                add_signal_handler(SIGTERM, move || seen.set(seen.get() + 1)).unwrap();
                raise(SIGTERM);
                until("the SIGTERM callback", || calls.get() > 0).await;
            });
            raise(SIGTERM);
        }
        other => panic!("unknown scenario {other}"),
    }
    println!("still alive after SIGTERM in scenario {scenario}");
}
