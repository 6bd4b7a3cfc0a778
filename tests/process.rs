//! `corio::process`: exit codes, pipes, communicate, signals, bad input, and
//! that every child is reaped and every descriptor closed.
//!
//! The tests take one lock each: two of them count this process's open
//! descriptors, which a test running beside them would disturb.

use std::io::ErrorKind;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use corio::process::{create_subprocess_exec, create_subprocess_shell, Command, Process, Stdio};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The state letter of `/proc/<pid>/stat` (`Z` for a zombie); `None` when the
/// process is gone.
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.trim_start().chars().next()
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc is mounted")
        .count()
}

/// Waits (on the loop, bounded) until `pid` is neither running nor a zombie.
async fn until_gone(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while proc_state(pid).is_some() {
        assert!(
            Instant::now() < deadline,
            "child {pid} still present: {:?}",
            proc_state(pid)
        );
        corio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn piped(program: &str, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::Pipe)
        .stdout(Stdio::Pipe)
        .stderr(Stdio::Pipe);
    command
}

#[test]
fn wait_returns_exit_codes_and_negative_signal_numbers() {
    let _serial = serial();
    corio::run(async {
        let ok = create_subprocess_exec("true", [""; 0]).await.unwrap();
        assert_eq!(ok.wait().await.unwrap(), 0);
        let three = create_subprocess_exec("sh", ["-c", "exit 3"])
            .await
            .unwrap();
        assert_eq!(three.wait().await.unwrap(), 3);
        assert_eq!(three.returncode(), Some(3));
        let killed = create_subprocess_shell("kill -KILL $$").await.unwrap();
        assert_eq!(killed.wait().await.unwrap(), -9);
    });
}

#[test]
fn communicate_moves_16_mib_in_and_out_through_cat() {
    let _serial = serial();
    corio::run(async {
        let input: Vec<u8> = (0..16u32 << 20).map(|i| (i % 251) as u8).collect();
        let mut cat = piped("cat", &[]).spawn().unwrap();
        let (out, err) = cat.communicate(Some(&input)).await.unwrap();
        assert_eq!(
            out.as_deref(),
            Some(&input[..]),
            "cat echoed every byte in order"
        );
        assert_eq!(err, Some(Vec::new()));
        assert_eq!(cat.returncode(), Some(0));
    });
}

#[test]
fn communicate_drains_stdout_and_stderr_at_once() {
    let _serial = serial();
    corio::run(async {
        // 1 MiB on each stream, interleaved: read one after the other, the
        // child would block on the stream nobody reads.
        let script = "i=0; while [ $i -lt 16 ]; do head -c 65536 /dev/zero; head -c 65536 /dev/zero >&2; i=$((i+1)); done";
        let mut child = piped("sh", &["-c", script]).spawn().unwrap();
        let (out, err) = child.communicate(None).await.unwrap();
        assert_eq!(out.unwrap().len(), 1 << 20);
        assert_eq!(err.unwrap().len(), 1 << 20);
    });
}

#[test]
fn communicate_ignores_a_child_that_never_reads_its_input() {
    let _serial = serial();
    corio::run(async {
        let mut child = piped("true", &[]).spawn().unwrap();
        let input = vec![0u8; 4 << 20];
        let (out, _) = child.communicate(Some(&input)).await.unwrap();
        assert_eq!(out, Some(Vec::new()));
        assert_eq!(child.returncode(), Some(0));
    });
}

#[test]
fn kill_stops_a_sleeping_child() {
    let _serial = serial();
    corio::run(async {
        let sleeper = create_subprocess_exec("sleep", ["100"]).await.unwrap();
        assert_eq!(sleeper.returncode(), None);
        sleeper.kill().unwrap();
        let code = corio::wait_for(sleeper.wait(), Duration::from_secs(20))
            .await
            .expect("a killed child exits promptly")
            .unwrap();
        assert_eq!(code, -libc::SIGKILL);
    });
}

#[test]
fn wait_for_kills_a_hung_child_after_the_timeout() {
    let _serial = serial();
    corio::run(async {
        let hung = create_subprocess_exec("sleep", ["100"]).await.unwrap();
        let waited = corio::wait_for(hung.wait(), Duration::from_millis(50)).await;
        assert!(waited.is_err(), "sleep 100 does not exit in 50 ms");
        hung.terminate().unwrap();
        assert_eq!(hung.wait().await.unwrap(), -libc::SIGTERM);
    });
}

#[test]
fn signals_after_the_reap_are_process_lookup_errors() {
    let _serial = serial();
    corio::run(async {
        let child = create_subprocess_exec("true", [""; 0]).await.unwrap();
        child.wait().await.unwrap();
        for result in [
            child.kill(),
            child.terminate(),
            child.send_signal(libc::SIGUSR1),
        ] {
            assert_eq!(result.unwrap_err().raw_os_error(), Some(libc::ESRCH));
        }
    });
}

#[test]
fn missing_program_is_a_not_found_error() {
    let _serial = serial();
    corio::run(async {
        let err = create_subprocess_exec("/nonexistent/corio-no-such-program", ["x"])
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = Command::new("corio-no-such-program-in-path")
            .spawn()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn shell_command_exiting_non_zero_only_sets_the_returncode() {
    let _serial = serial();
    corio::run(async {
        let mut shell = Command::new("/bin/sh");
        shell
            .args(["-c", "echo partial; exit 42"])
            .stdout(Stdio::Pipe);
        let mut child = shell.spawn().unwrap();
        let (out, _) = child.communicate(None).await.unwrap();
        assert_eq!(out.unwrap(), b"partial\n");
        assert_eq!(child.returncode(), Some(42));
        let missing = create_subprocess_shell("corio-no-such-command 2>/dev/null")
            .await
            .unwrap();
        assert_eq!(
            missing.wait().await.unwrap(),
            127,
            "sh's 'command not found'"
        );
    });
}

#[test]
fn stderr_can_be_merged_into_stdout() {
    let _serial = serial();
    corio::run(async {
        let mut child = Command::new("sh")
            .args(["-c", "echo one; echo two >&2; echo three"])
            .stdout(Stdio::Pipe)
            .stderr(Stdio::Stdout)
            .spawn()
            .unwrap();
        assert!(
            child.stderr.is_none(),
            "merged stderr has no pipe of its own"
        );
        let (out, err) = child.communicate(None).await.unwrap();
        assert_eq!(out.unwrap(), b"one\ntwo\nthree\n");
        assert_eq!(err, None);
    });
}

#[test]
fn stdio_stdout_is_refused_for_stdin_and_stdout() {
    let _serial = serial();
    corio::run(async {
        for command in [
            Command::new("true").stdin(Stdio::Stdout),
            Command::new("true").stdout(Stdio::Stdout),
        ] {
            assert_eq!(command.spawn().unwrap_err().kind(), ErrorKind::InvalidInput);
        }
    });
}

#[test]
fn devnull_gives_empty_input_and_swallows_output() {
    let _serial = serial();
    corio::run(async {
        let mut cat = Command::new("cat")
            .stdin(Stdio::DevNull)
            .stdout(Stdio::Pipe)
            .spawn()
            .unwrap();
        let (out, _) = cat.communicate(None).await.unwrap();
        assert_eq!(out.unwrap(), b"", "cat read end-of-file from /dev/null");
        let mut quiet = Command::new("sh")
            .args(["-c", "echo out; echo err >&2"])
            .stdout(Stdio::DevNull)
            .stderr(Stdio::DevNull)
            .spawn()
            .unwrap();
        assert!(quiet.stdout.is_none() && quiet.stderr.is_none());
        assert_eq!(quiet.communicate(None).await.unwrap(), (None, None));
        assert_eq!(quiet.returncode(), Some(0));
    });
}

#[test]
fn pipes_are_asyncio_streams_line_by_line() {
    let _serial = serial();
    corio::run(async {
        let mut child = piped("tr", &["a-z", "A-Z"]).spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        stdin.write(b"hello\n").unwrap();
        stdin.writelines([&b"pipes\n"[..], b"and streams"]).unwrap();
        stdin.drain().await.unwrap();
        stdin.close();
        stdin.wait_closed().await.unwrap();
        assert_eq!(stdout.readline().await.unwrap(), b"HELLO\n");
        assert_eq!(stdout.readline().await.unwrap(), b"PIPES\n");
        assert_eq!(
            stdout.readline().await.unwrap(),
            b"AND STREAMS",
            "EOF ends the last line"
        );
        assert_eq!(stdout.readline().await.unwrap(), b"");
        assert!(stdout.at_eof());
        assert_eq!(child.wait().await.unwrap(), 0);
    });
}

#[test]
fn a_cancelled_readline_on_a_child_loses_no_byte() {
    let _serial = serial();
    corio::run(async {
        let mut child = Command::new("sh")
            .args(["-c", "printf 'par'; sleep 0.3; printf 'tial\\n'"])
            .stdout(Stdio::Pipe)
            .spawn()
            .unwrap();
        let stdout = child.stdout.as_mut().unwrap();
        let early = corio::wait_for(stdout.readline(), Duration::from_millis(50)).await;
        assert!(early.is_err(), "the line is not complete yet");
        assert_eq!(stdout.readline().await.unwrap(), b"partial\n");
        assert_eq!(child.wait().await.unwrap(), 0);
    });
}

#[test]
fn communicate_twice_or_without_its_pipe_is_an_error() {
    let _serial = serial();
    corio::run(async {
        let mut child = piped("cat", &[]).spawn().unwrap();
        child.communicate(Some(b"x")).await.unwrap();
        let again = child.communicate(None).await.unwrap_err();
        assert_eq!(again.kind(), ErrorKind::InvalidInput);

        let mut taken = piped("cat", &[]).spawn().unwrap();
        let stdout = taken.stdout.take();
        let err = taken.communicate(None).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("stdout"), "{err}");
        drop(stdout);
        let stdin = taken.stdin.take();
        let err = taken.communicate(Some(b"input")).await.unwrap_err();
        assert!(err.to_string().contains("stdin"), "{err}");
        drop(stdin); // cat sees EOF and exits
        assert_eq!(taken.wait().await.unwrap(), 0);

        let mut no_stdin = Command::new("true").stdout(Stdio::Pipe).spawn().unwrap();
        let err = no_stdin.communicate(Some(b"input")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        no_stdin.wait().await.unwrap();
    });
}

#[test]
fn waiting_for_a_child_leaves_the_loop_running() {
    let _serial = serial();
    corio::run(async {
        let child = std::rc::Rc::new(create_subprocess_exec("sleep", ["100"]).await.unwrap());
        let waiter = corio::spawn({
            let child = child.clone();
            async move { child.wait().await.unwrap() }
        });
        for _ in 0..5 {
            corio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(
            !waiter.is_done(),
            "the waiter is parked on the pidfd, not blocking"
        );
        child.kill().unwrap();
        assert_eq!(waiter.await.unwrap(), -9);
    });
}

#[test]
fn two_hundred_concurrent_children_leave_no_zombie_and_no_descriptor() {
    let _serial = serial();
    corio::run(async {
        let before = open_descriptors();
        let started = Instant::now();
        let children: Vec<Process> = (0..200)
            .map(|i| {
                Command::new("sh")
                    .args(["-c", &format!("echo {i}")])
                    .stdout(Stdio::Pipe)
                    .spawn()
                    .unwrap()
            })
            .collect();
        let pids: Vec<u32> = children.iter().map(Process::pid).collect();
        let outputs = corio::gather_futures(children.into_iter().map(|mut child| async move {
            let (out, _) = child.communicate(None).await.unwrap();
            (String::from_utf8(out.unwrap()).unwrap(), child.returncode())
        }))
        .await
        .unwrap();
        for (i, (out, code)) in outputs.iter().enumerate() {
            assert_eq!(out.trim(), i.to_string());
            assert_eq!(*code, Some(0));
        }
        for pid in pids {
            assert_ne!(proc_state(pid), Some('Z'), "child {pid} left a zombie");
        }
        assert_eq!(
            open_descriptors(),
            before,
            "every pipe and pidfd was closed"
        );
        assert!(started.elapsed() < Duration::from_secs(60));
    });
}

#[test]
fn dropped_process_is_reaped_without_wait() {
    let _serial = serial();
    corio::run(async {
        let exited = create_subprocess_exec("true", [""; 0]).await.unwrap();
        let running = create_subprocess_exec("sleep", ["0.2"]).await.unwrap();
        let (exited_pid, running_pid) = (exited.pid(), running.pid());
        drop(exited);
        drop(running);
        until_gone(exited_pid).await;
        until_gone(running_pid).await;
    });
}

#[test]
fn process_dropped_by_a_panicking_task_is_reaped() {
    let _serial = serial();
    corio::run(async {
        let (tx, rx) = std::sync::mpsc::channel();
        let task = corio::spawn(async move {
            let child = create_subprocess_exec("sleep", ["0.1"]).await.unwrap();
            tx.send(child.pid()).unwrap();
            panic!("the task dies holding its child");
        });
        assert!(matches!(task.await, Err(corio::TaskError::Panicked(_))));
        until_gone(rx.recv().unwrap()).await;
    });
}

#[test]
fn child_still_running_at_loop_close_is_reaped_later() {
    let _serial = serial();
    let pid = corio::run(async {
        let child = create_subprocess_exec("sleep", ["0.3"]).await.unwrap();
        child.pid() // the Process is dropped here, its reaper cancelled at close
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while proc_state(pid).is_some() {
        assert!(
            Instant::now() < deadline,
            "child {pid}: {:?}",
            proc_state(pid)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn spawn_outside_a_loop_is_an_error() {
    let _serial = serial();
    let err = Command::new("true").spawn().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
    assert!(err.to_string().contains("corio loop"), "{err}");
}
