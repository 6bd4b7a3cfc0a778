//! corio::multi_loop: N loops on N threads, placement, shutdown, panics,
//! sockets across loops and the channel between them.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio::multi_loop::{channel, Runtime};
use corio::net::{TcpListener, TcpStream};

fn two_loops() -> Runtime {
    Runtime::builder().loops(2).build().unwrap()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn spawn_on_out_of_range_panics_naming_the_loop_count() {
    let rt = two_loops();
    let err = catch_unwind(AssertUnwindSafe(|| rt.spawn_on(2, || async {}))).unwrap_err();
    let msg = panic_message(&*err);
    assert!(msg.contains("loop index 2 is out of range"), "{msg}");
    assert!(msg.contains("2 loop(s)"), "{msg}");
    // The runtime is untouched by the refused call.
    assert_eq!(rt.spawn_on(1, || async { 1 }).wait().unwrap(), 1);
}

#[test]
fn zero_loops_is_refused() {
    let err = Runtime::builder().loops(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn spawn_on_runs_the_future_on_the_chosen_loop_thread() {
    let rt = Runtime::builder()
        .loops(2)
        .thread_name("ml")
        .build()
        .unwrap();
    for i in 0..2 {
        let name = rt
            .spawn_on(i, || async {
                let not_send = Rc::new(std::thread::current().name().map(str::to_owned));
                corio::yield_now().await;
                (*not_send).clone()
            })
            .wait()
            .unwrap();
        assert_eq!(name, Some(format!("ml-{i}")));
    }
}

/// Sets its flag when dropped, and records the thread that dropped it.
struct DropFlag(Arc<Mutex<Vec<String>>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        let name = std::thread::current().name().unwrap_or("?").to_owned();
        self.0.lock().unwrap().push(name);
    }
}

#[test]
fn dropping_the_runtime_closes_every_loop_cancelling_its_tasks_on_its_thread() {
    let rt = Runtime::builder()
        .loops(2)
        .thread_name("close")
        .build()
        .unwrap();
    let dropped = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..2 {
        for _ in 0..3 {
            let flag = DropFlag(dropped.clone());
            tasks.push(rt.spawn_on(i, move || async move {
                let _flag = flag;
                std::future::pending::<()>().await
            }));
        }
    }
    // Wait until every task has started on its loop.
    while rt.handle().all_tasks().len() < 2 * 3 * 2 {
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(rt);
    let mut names = dropped.lock().unwrap().clone();
    names.sort();
    assert_eq!(
        names,
        ["close-0", "close-0", "close-0", "close-1", "close-1", "close-1"]
    );
    for t in tasks {
        assert!(t.wait().unwrap_err().is_cancelled());
    }
}

#[test]
fn a_panic_on_one_loop_leaves_the_others_running_and_block_on_reraises_it() {
    let rt = two_loops();
    let steady = rt.spawn_on(1, || async {
        let mut n = 0;
        for _ in 0..100 {
            corio::yield_now().await;
            n += 1;
        }
        n
    });
    let failed = rt.spawn_on(0, || async { panic!("loop zero fails") });
    let err = failed.wait().unwrap_err();
    assert!(err.is_panic());
    assert_eq!(steady.wait().unwrap(), 100);

    let caught = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async { panic!("main fails") })
    }))
    .unwrap_err();
    assert_eq!(panic_message(&*caught), "main fails");
    // Both loops still serve after the panics.
    assert_eq!(rt.block_on(async { 7 }), 7);
    assert_eq!(rt.spawn_on(1, || async { 8 }).wait().unwrap(), 8);
    rt.shutdown().unwrap();
}

#[test]
fn a_panicking_build_closure_ends_its_task_panicked_and_the_loop_goes_on() {
    let rt = two_loops();
    let failed = rt.spawn_on(1, || -> std::future::Ready<()> { panic!("no future") });
    assert!(failed.wait().unwrap_err().is_panic());
    assert_eq!(rt.spawn_on(1, || async { 2 }).wait().unwrap(), 2);
    assert_eq!(rt.handle().live_tasks(1), 0);
}

#[test]
fn block_on_inside_a_corio_loop_panics_instead_of_blocking_it() {
    let rt = two_loops();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        corio::run(async { rt.block_on(async {}) })
    }));
    let msg = panic_message(&*caught.unwrap_err());
    assert!(msg.contains("thread running a corio loop"), "{msg}");
}

#[test]
fn spawn_places_tasks_on_the_least_loaded_loop() {
    let rt = two_loops();
    let parked: Vec<_> = (0..6)
        .map(|_| rt.spawn(std::future::pending::<()>()))
        .collect();
    assert_eq!(rt.handle().live_tasks(0), 3);
    assert_eq!(rt.handle().live_tasks(1), 3);
    for t in &parked {
        t.cancel();
    }
    for t in parked {
        assert!(t.wait().unwrap_err().is_cancelled());
    }
    assert_eq!(rt.handle().live_tasks(0) + rt.handle().live_tasks(1), 0);
}

#[test]
fn cancelling_a_spawn_on_task_drops_its_future_on_its_loop() {
    let rt = Runtime::builder()
        .loops(2)
        .thread_name("cx")
        .build()
        .unwrap();
    let dropped = Arc::new(Mutex::new(Vec::new()));
    let flag = DropFlag(dropped.clone());
    let task = rt.spawn_on(1, move || async move {
        let _flag = flag;
        std::future::pending::<()>().await
    });
    while rt.handle().live_tasks(1) == 0 || rt.handle().loop_tasks(1).is_empty() {
        std::thread::yield_now();
    }
    task.cancel();
    assert!(task.wait().unwrap_err().is_cancelled());
    assert_eq!(*dropped.lock().unwrap(), ["cx-1"]);
}

#[test]
fn introspection_reports_each_loop_and_the_whole_runtime() {
    let rt = two_loops();
    let parked = rt.spawn_on(1, || async {
        let sleeper = corio::task::Builder::new()
            .name("sleeper")
            .spawn(std::future::pending::<()>());
        let _ = sleeper.await;
    });
    while !rt.handle().all_tasks().iter().any(|t| t.name == "sleeper") {
        std::thread::sleep(Duration::from_millis(1));
    }
    let all = rt.handle().all_tasks();
    assert!(all.iter().all(|t| t.loop_index == 1), "{all:?}");
    assert!(rt.handle().loop_tasks(0).is_empty());
    assert!(rt.handle().dump(1).contains("sleeper"));
    let combined = rt.handle().dump_all();
    assert!(combined.contains("== loop 0 ==\n") && combined.contains("== loop 1 =="));
    assert!(rt.handle().stats(1).unwrap().tasks_polled >= 1);
    parked.cancel();
    assert!(parked.wait().unwrap_err().is_cancelled());
}

const CONNECTIONS: usize = 40;

/// Serves one echo of up to 16 bytes; returns the loop it ran on.
async fn echo_once(stream: TcpStream, loop_index: usize) -> usize {
    let mut buf = [0; 16];
    let n = stream.read(&mut buf).await.unwrap();
    stream.write_all(&buf[..n]).await.unwrap();
    loop_index
}

/// Connects `CONNECTIONS` blocking clients to `addr`, each checking its echo.
fn blocking_clients(addr: std::net::SocketAddr) {
    use std::io::{Read, Write};
    for c in 0..CONNECTIONS {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let msg = format!("hello {c}");
        s.write_all(msg.as_bytes()).unwrap();
        let mut back = vec![0; msg.len()];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, msg.as_bytes());
    }
}

#[cfg(target_os = "linux")]
#[test]
fn reuseport_listeners_on_every_loop_share_one_port_and_each_accepts() {
    let rt = two_loops();
    let first = corio::net::bind_reuseport_std("127.0.0.1:0").unwrap();
    let addr = first.local_addr().unwrap();
    let listeners = [first, corio::net::bind_reuseport_std(addr).unwrap()];
    let (tx, rx) = channel();
    let servers: Vec<_> = listeners
        .into_iter()
        .enumerate()
        .map(|(i, std_listener)| {
            let tx = tx.clone();
            rt.spawn_on(i, move || async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                loop {
                    let (s, _) = listener.accept().await.unwrap();
                    let tx = tx.clone();
                    corio::spawn(async move { tx.send(echo_once(s, i).await).unwrap() });
                }
            })
        })
        .collect();
    drop(tx);
    blocking_clients(addr);
    let per_loop = rt.block_on(async move {
        let mut per_loop = [0; 2];
        for _ in 0..CONNECTIONS {
            per_loop[rx.recv().await.unwrap()] += 1;
        }
        per_loop
    });
    assert_eq!(per_loop[0] + per_loop[1], CONNECTIONS);
    // The kernel hashes 40 connections over two sockets: both get some
    // (all on one would have probability 2^-39).
    assert!(per_loop[0] > 0 && per_loop[1] > 0, "{per_loop:?}");
    for s in servers {
        s.cancel();
    }
}

#[test]
fn an_acceptor_loop_hands_connections_to_the_other_loops() {
    let rt = two_loops();
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let handle = rt.handle().clone();
    let acceptor = rt.spawn_on(0, move || async move {
        let listener = TcpListener::from_std(std_listener).unwrap();
        let mut served = Vec::new();
        for _ in 0..CONNECTIONS {
            let (s, _) = listener.accept().await.unwrap();
            let h = handle.clone();
            served.push(
                handle.spawn_connection(s.into_std().unwrap(), move |s| async move {
                    echo_once(s, h.current_loop().unwrap()).await
                }),
            );
        }
        let mut per_loop = [0; 2];
        for task in served {
            per_loop[task.await.unwrap().unwrap()] += 1;
        }
        per_loop
    });
    blocking_clients(addr);
    let per_loop = acceptor.wait().unwrap();
    assert_eq!(per_loop[0] + per_loop[1], CONNECTIONS);
    // Loop 0 carries the acceptor, so least-loaded placement sends most
    // connections to loop 1 — and some there in any case.
    assert!(per_loop[1] > 0, "{per_loop:?}");
}

#[test]
fn the_channel_carries_values_between_loops_and_ends_when_every_sender_is_gone() {
    let rt = two_loops();
    let (tx, rx) = channel();
    let receiver = rt.spawn_on(0, move || async move {
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        got
    });
    let senders: Vec<_> = (0..2)
        .map(|i| {
            let tx = tx.clone();
            rt.spawn_on(i, move || async move {
                for k in 0..100 {
                    tx.send(i * 1000 + k).unwrap();
                    corio::yield_now().await;
                }
            })
        })
        .collect();
    drop(tx);
    for s in senders {
        s.wait().unwrap();
    }
    let mut got = receiver.wait().unwrap();
    // Each sender's values arrive in its order.
    let from = |i: usize| {
        got.iter()
            .copied()
            .filter(|v| v / 1000 == i)
            .collect::<Vec<_>>()
    };
    assert_eq!(from(0), (0..100).collect::<Vec<_>>());
    assert_eq!(from(1), (1000..1100).collect::<Vec<_>>());
    got.sort();
    assert_eq!(got.len(), 200);
}

#[test]
fn sending_after_the_receiver_is_dropped_gives_the_value_back_and_queued_values_are_dropped() {
    let counted = Arc::new(AtomicUsize::new(0));
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let (tx, rx) = channel();
    assert!(tx.send(Counted(counted.clone())).is_ok());
    drop(rx);
    assert_eq!(counted.load(Ordering::SeqCst), 1);
    let back = tx.send(Counted(counted.clone())).unwrap_err();
    assert_eq!(counted.load(Ordering::SeqCst), 1);
    drop(back);
    assert_eq!(counted.load(Ordering::SeqCst), 2);
}

#[test]
fn shutdown_reports_no_panicked_loops_after_contained_panics() {
    let rt = two_loops();
    let _ = rt.spawn_on(1, || async { panic!("contained") }).wait();
    assert_eq!(rt.shutdown(), Ok(()));
}
