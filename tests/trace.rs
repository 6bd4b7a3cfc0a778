//! Integration tests for the trace recorder (`builder().trace(path)`,
//! `CORIO_TRACE`): the file it writes is Trace Event Format JSON that
//! Perfetto and `chrome://tracing` accept, and it shows what the loop did.
//!
//! The JSON is parsed with `serde_json` (a dev-dependency) so the checks
//! below test corio's writer against a real parser, not against a second
//! hand-written one that could share its mistakes.
//!
//! Each test traces into its own file under the system's temporary
//! directory and removes it afterwards.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::{EventLoop, ReturnWhen};
use serde_json::Value;

/// A trace file path unique to this test, removed when dropped.
struct TracePath(PathBuf);

impl TracePath {
    fn new(test: &str) -> TracePath {
        let path =
            std::env::temp_dir().join(format!("corio-trace-{}-{test}.json", std::process::id()));
        TracePath(path)
    }

    fn events(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.0).expect("the trace file exists");
        match serde_json::from_str::<Value>(&text).expect("the trace is valid JSON") {
            Value::Array(events) => events,
            other => panic!("a trace is a JSON array, got {other}"),
        }
    }
}

impl TracePath {
    /// The events once the file holds more than `n` (the writer thread
    /// writes on its own time); gives up after five minutes (valgrind, which
    /// runs one thread at a time, slows the writer down the most).
    fn events_once_more_than(&self, n: usize) -> Vec<Value> {
        let deadline = std::time::Instant::now() + Duration::from_secs(300);
        loop {
            let parsed = std::fs::read_to_string(&self.0)
                .ok()
                .and_then(|text| serde_json::from_str::<Vec<Value>>(&text).ok());
            match parsed {
                Some(events) if events.len() > n => return events,
                _ if std::time::Instant::now() > deadline => {
                    panic!("the trace never held more than {n} events before the loop closed")
                }
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Drop for TracePath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A program in the shape of the `gather_wait` example, plus the other
/// sources of wakes: a socket, another thread, a callback, a cancellation
/// and a panic.
async fn gather_wait_like() {
    async fn foo(i: u64) -> u64 {
        corio::time::sleep(Duration::from_millis(2 * i + 1)).await;
        i
    }
    let tasks: Vec<_> = (0..3).map(|i| corio::spawn(foo(i))).collect();
    let (done, pending) = corio::wait(tasks, ReturnWhen::AllCompleted, None)
        .await
        .expect("three tasks");
    assert_eq!((done.len(), pending.len()), (3, 0));
    let gathered = corio::gather((0..3).map(|i| corio::spawn(foo(i))))
        .await
        .expect("no failure");
    assert_eq!(gathered, vec![0, 1, 2]);

    // A socket: the reader is woken by IO readiness.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("an address");
    let server = corio::spawn(async move {
        let (conn, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 4];
        conn.read_exact(&mut buf).await.expect("four bytes");
        buf
    });
    let client = TcpStream::connect(addr).await.expect("connect");
    client.write_all(b"ping").await.expect("write");
    assert_eq!(&server.await.expect("the server task"), b"ping");

    // A park that only a socket ends: another thread writes after a while,
    // and nothing else is ready or armed meanwhile (however slowly this runs,
    // under valgrind too).
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("an address");
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        let mut peer = std::net::TcpStream::connect(addr).expect("connect");
        std::io::Write::write_all(&mut peer, b"pong").expect("write");
        peer
    });
    let (conn, _) = listener.accept().await.expect("accept");
    let mut buf = [0u8; 4];
    conn.read_exact(&mut buf).await.expect("four bytes");
    assert_eq!(&buf, b"pong");
    drop(writer.join().expect("the writing thread"));

    // A park that only a timer ends.
    corio::time::sleep(Duration::from_millis(100)).await;

    // Another thread spawns a task (through a thread-safe callback).
    let handle = corio::LoopHandle::current();
    let remote = std::thread::spawn(move || handle.spawn(async { 7 }));
    let remote = remote.join().expect("the thread");
    assert_eq!(remote.await.expect("the remote task"), 7);
    // A pool thread wakes the task awaiting its job (which takes long
    // enough that the task is surely waiting by then).
    let job = || {
        std::thread::sleep(Duration::from_millis(50));
        8
    };
    assert_eq!(corio::to_thread(job).await.expect("the job"), 8);

    // A callback, a cancelled task and a panicking one.
    corio::call_soon(|| {});
    let sleeper = corio::spawn(corio::time::sleep(Duration::from_secs(60)));
    corio::yield_now().await;
    sleeper.cancel();
    assert!(sleeper.await.is_err());
    let panics = corio::spawn(async { panic!("on purpose, for the trace") });
    assert!(panics.await.is_err());
}

fn field<'a>(event: &'a Value, key: &str) -> &'a Value {
    event
        .get(key)
        .unwrap_or_else(|| panic!("event without {key:?}: {event}"))
}

/// Nanoseconds from a `ts` or `dur` in microseconds with three decimals.
fn ns(value: &Value) -> u64 {
    let micros = value.as_f64().expect("a number of microseconds");
    (micros * 1000.0).round() as u64
}

/// Every event has the fields the format requires.
fn assert_required_fields(events: &[Value]) {
    for event in events {
        for key in ["ph", "ts", "pid", "tid", "name"] {
            field(event, key);
        }
    }
}

/// Complete (`X`) events on one track nest: each one ends before the one
/// enclosing it ends.
fn assert_slices_nest(events: &[Value]) {
    let mut tracks: HashMap<u64, Vec<(u64, u64)>> = HashMap::new();
    for e in events.iter().filter(|e| e["ph"] == "X") {
        let start = ns(field(e, "ts"));
        let end = start + ns(field(e, "dur"));
        tracks
            .entry(field(e, "tid").as_u64().expect("a tid"))
            .or_default()
            .push((start, end));
    }
    for slices in tracks.values_mut() {
        // Outer slices first: by start, and the longer first on a tie.
        slices.sort_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
        let mut open: Vec<(u64, u64)> = Vec::new();
        for &(start, end) in slices.iter() {
            while open.last().is_some_and(|&(_, e)| e <= start && e != end) {
                open.pop();
            }
            if let Some(&(outer_start, outer_end)) = open.last() {
                assert!(
                    end <= outer_end,
                    "slice {start}..{end} overlaps its enclosing slice {outer_start}..{outer_end}"
                );
            }
            open.push((start, end));
        }
    }
}

/// Every flow id has a start and an end, and the end lands on the first
/// instant of a task step (or, for a pool job, of the job on its worker's
/// track): the slice it points to.
fn assert_flows_are_whole(events: &[Value]) -> HashMap<String, usize> {
    let mut step_starts = std::collections::HashSet::new();
    for e in events
        .iter()
        .filter(|e| e["ph"] == "X" && (e["cat"] == "step" || e["cat"] == "pool"))
    {
        step_starts.insert((e["tid"].as_u64(), ns(&e["ts"])));
    }
    let mut ends: HashMap<u64, (Option<&Value>, Option<&Value>)> = HashMap::new();
    for e in events.iter() {
        let slot = |e: &Value| field(e, "id").as_u64().expect("a flow id");
        match e["ph"].as_str() {
            Some("s") => ends.entry(slot(e)).or_default().0 = Some(e),
            Some("f") => ends.entry(slot(e)).or_default().1 = Some(e),
            _ => {}
        }
    }
    let mut kinds = HashMap::new();
    for (id, pair) in ends {
        let (Some(start), Some(end)) = pair else {
            panic!("flow {id} has only one end");
        };
        assert_eq!(start["name"], end["name"], "flow {id} changes its name");
        assert!(
            ns(&start["ts"]) <= ns(&end["ts"]),
            "flow {id} goes back in time"
        );
        assert!(
            step_starts.contains(&(end["tid"].as_u64(), ns(&end["ts"]))),
            "flow {id} does not end at the start of a step"
        );
        *kinds
            .entry(start["name"].as_str().unwrap_or_default().to_string())
            .or_insert(0) += 1;
    }
    kinds
}

#[test]
fn trace_of_a_gather_wait_program_is_valid_trace_event_json() {
    let path = TracePath::new("gather-wait");
    let lp = EventLoop::builder().trace(&path.0).build().expect("a loop");
    lp.block_on(gather_wait_like());
    drop(lp);

    let events = path.events();
    assert_required_fields(&events);
    assert_slices_nest(&events);
    let flows = assert_flows_are_whole(&events);
    assert!(flows.get("spawn").copied().unwrap_or(0) >= 8, "{flows:?}");
    assert!(flows.get("wake").copied().unwrap_or(0) >= 6, "{flows:?}");
    assert!(
        flows.get("wake from another thread").copied().unwrap_or(0) >= 1,
        "{flows:?}"
    );

    let steps: Vec<&Value> = events.iter().filter(|e| e["cat"] == "step").collect();
    for outcome in ["pending", "ready", "cancelled", "panicked"] {
        assert!(
            steps.iter().any(|s| s["args"]["outcome"] == outcome),
            "no step ended {outcome}"
        );
    }
    let parks: Vec<&Value> = events.iter().filter(|e| e["name"] == "park").collect();
    assert!(parks.iter().any(|p| p["args"]["woken_by"] == "timer"));
    assert!(parks.iter().any(|p| p["args"]["woken_by"] == "io"));
    assert!(events.iter().any(|e| e["name"] == "timers fired"));
    assert!(events.iter().any(|e| e["name"] == "callback"));
    assert!(events
        .iter()
        .any(|e| e["name"] == "io poll" && e["args"]["wakes"].as_u64() >= Some(1)));
    // The IO events dispatched: which socket, and readable or writable.
    let reported: Vec<&Value> = events
        .iter()
        .filter(|e| e["name"] == "io poll")
        .flat_map(|e| e["args"]["sockets"].as_array().expect("a list of sockets"))
        .collect();
    assert!(reported
        .iter()
        .any(|s| s["socket"].is_u64() && s["readable"] == true));
    assert!(reported.iter().any(|s| s["writable"] == true));
    assert!(events
        .iter()
        .any(|e| e["name"] == "thread_name" && e["ph"] == "M"));
}

#[test]
fn each_step_counts_its_poll_and_names_its_task() {
    let path = TracePath::new("polls");
    let lp = EventLoop::builder().trace(&path.0).build().expect("a loop");
    lp.block_on(async {
        let task = corio::task::Builder::new()
            .name("yields \"twice\"")
            .spawn(async {
                corio::yield_now().await;
                corio::yield_now().await;
            });
        task.await.expect("done");
    });
    drop(lp);
    let events = path.events();
    let polls: Vec<(u64, &str)> = events
        .iter()
        .filter(|e| e["name"] == "yields \"twice\"")
        .map(|e| {
            (
                e["args"]["poll"].as_u64().expect("a poll number"),
                e["args"]["outcome"].as_str().expect("an outcome"),
            )
        })
        .collect();
    assert_eq!(polls, vec![(1, "pending"), (2, "pending"), (3, "ready")]);
}

#[test]
fn trace_is_written_when_the_buffer_fills_before_the_loop_closes() {
    let path = TracePath::new("flush");
    let lp = EventLoop::builder().trace(&path.0).build().expect("a loop");
    lp.block_on(async {
        for _ in 0..20_000 {
            corio::yield_now().await;
        }
    });
    // The loop is still open: what reaches the disk came from a full buffer
    // (written by the file's writer thread, so it may take a moment), and it
    // is valid JSON after every write.
    let before_close = path.events_once_more_than(10_000);
    drop(lp);
    let after_close = path.events();
    assert!(after_close.len() > before_close.len());
    assert_flows_are_whole(&after_close);
}

#[test]
fn two_loops_tracing_into_one_path_share_the_file_on_two_tracks() {
    let path = TracePath::new("two-loops");
    for _ in 0..2 {
        let lp = EventLoop::builder().trace(&path.0).build().expect("a loop");
        lp.block_on(corio::yield_now());
    }
    let events = path.events();
    assert_required_fields(&events);
    let tracks: std::collections::HashSet<u64> = events
        .iter()
        .filter(|e| e["cat"] == "step")
        .map(|e| e["tid"].as_u64().expect("a tid"))
        .collect();
    assert_eq!(tracks.len(), 2);
}

#[test]
fn an_unwritable_trace_path_is_a_build_error() {
    let missing = std::env::temp_dir()
        .join("corio-no-such-directory")
        .join("trace.json");
    assert!(EventLoop::builder().trace(missing).build().is_err());
}

/// Run by [`corio_trace_variable_turns_tracing_on`] in a child process, with
/// `CORIO_TRACE` set (the variable is process-wide: setting it here would
/// trace every other test's loop).
#[test]
#[ignore = "run by corio_trace_variable_turns_tracing_on in a child process"]
fn child_traced_by_the_environment() {
    corio::run(async { corio::yield_now().await });
}

#[test]
fn corio_trace_variable_turns_tracing_on() {
    let path = TracePath::new("env");
    let status = std::process::Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "--exact",
            "child_traced_by_the_environment",
            "--ignored",
            "--quiet",
        ])
        .env("CORIO_TRACE", &path.0)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the child runs");
    assert!(status.success());
    let events = path.events();
    assert_required_fields(&events);
    assert!(events.iter().any(|e| e["cat"] == "step"));
}

#[test]
fn a_task_that_yields_is_woken_by_its_own_previous_step() {
    let path = TracePath::new("yields");
    let lp = EventLoop::builder().trace(&path.0).build().expect("a loop");
    lp.block_on(async {
        let a = corio::task::Builder::new().name("a").spawn(async {
            for _ in 0..3 {
                corio::yield_now().await;
            }
        });
        let b = corio::task::Builder::new().name("b").spawn(async {
            for _ in 0..3 {
                corio::yield_now().await;
            }
        });
        a.await.expect("a");
        b.await.expect("b");
    });
    drop(lp);
    let events = path.events();
    assert_slices_nest(&events);
    assert_flows_are_whole(&events);
    for name in ["a", "b"] {
        let starts: Vec<u64> = events
            .iter()
            .filter(|e| e["ph"] == "X" && e["name"] == name)
            .map(|e| ns(&e["ts"]))
            .collect();
        assert_eq!(starts.len(), 4, "{name}: three yields and the last step");
        // Each step after the first is the end of a wake arrow that left
        // from the start of the step before it.
        for pair in starts.windows(2) {
            let arrow = events
                .iter()
                .filter(|e| e["ph"] == "f" && e["name"] == "wake" && ns(&e["ts"]) == pair[1])
                .find_map(|f| {
                    events
                        .iter()
                        .find(|s| s["ph"] == "s" && s["id"] == f["id"])
                        .map(|s| ns(&s["ts"]))
                });
            assert_eq!(
                arrow,
                Some(pair[0]),
                "{name}: the wake into the step at {}",
                pair[1]
            );
        }
    }
}

#[test]
fn a_pool_job_runs_on_a_worker_track_with_an_arrow_from_the_step_that_sent_it() {
    let path = TracePath::new("pool");
    let lp = EventLoop::builder().trace(&path.0).build().expect("a loop");
    lp.block_on(async {
        assert_eq!(corio::to_thread(|| 8).await.expect("the job"), 8);
    });
    drop(lp);
    let events = path.events();
    assert_required_fields(&events);
    let flows = assert_flows_are_whole(&events);
    assert_eq!(flows.get("pool job"), Some(&1), "{flows:?}");
    let job = events
        .iter()
        .find(|e| e["ph"] == "X" && e["name"] == "pool job")
        .expect("a pool job slice");
    let worker_track = job["tid"].as_u64();
    let track_name = events
        .iter()
        .find(|e| e["ph"] == "M" && e["name"] == "thread_name" && e["tid"].as_u64() == worker_track)
        .map(|e| e["args"]["name"].as_str().unwrap_or_default().to_owned())
        .expect("the worker's track is named");
    assert!(track_name.starts_with("corio pool worker"), "{track_name}");
    // The arrow leaves from inside a step on the loop's own track.
    let from = events
        .iter()
        .find(|e| e["ph"] == "s" && e["name"] == "pool job")
        .expect("the arrow's start");
    assert_ne!(from["tid"].as_u64(), worker_track);
    let t = ns(&from["ts"]);
    assert!(events.iter().any(|s| s["cat"] == "step"
        && s["tid"] == from["tid"]
        && ns(&s["ts"]) <= t
        && t <= ns(&s["ts"]) + ns(&s["dur"])));
}

#[test]
fn a_multi_loop_runtime_traces_each_loop_on_its_own_track_of_one_file() {
    let path = TracePath::new("multi-loop");
    let rt = corio::multi_loop::Runtime::builder()
        .loops(2)
        .event_loop(EventLoop::builder().trace(&path.0))
        .build()
        .expect("two loops");
    let answers: Vec<_> = (0..2)
        .map(|i| {
            rt.spawn_on(i, move || async move {
                corio::yield_now().await;
                i
            })
        })
        .collect();
    let got: Vec<usize> = answers
        .into_iter()
        .map(|t| t.wait().expect("each loop's task"))
        .collect();
    assert_eq!(got, vec![0, 1]);
    rt.shutdown().expect("no loop panicked");
    let events = path.events();
    assert_required_fields(&events);
    assert_flows_are_whole(&events);
    let loop_tracks: Vec<String> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .filter_map(|e| e["args"]["name"].as_str())
        .filter(|n| n.starts_with("corio loop"))
        .map(str::to_owned)
        .collect();
    assert_eq!(loop_tracks.len(), 2, "{loop_tracks:?}");
    let stepping: std::collections::HashSet<u64> = events
        .iter()
        .filter(|e| e["cat"] == "step")
        .filter_map(|e| e["tid"].as_u64())
        .collect();
    assert_eq!(stepping.len(), 2, "both loops ran steps");
}

#[test]
fn a_task_renamed_between_steps_shows_its_new_name_from_its_next_step() {
    let path = TracePath::new("rename");
    let lp = EventLoop::builder().trace(&path.0).build().expect("a loop");
    lp.block_on(async {
        let task = corio::task::Builder::new().name("before").spawn(async {
            corio::yield_now().await;
            corio::yield_now().await;
        });
        corio::yield_now().await;
        task.set_name("after");
        task.await.expect("done");
    });
    drop(lp);
    let events = path.events();
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["cat"] == "step" && (e["name"] == "before" || e["name"] == "after"))
        .map(|e| e["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, vec!["before", "after", "after"]);
}
