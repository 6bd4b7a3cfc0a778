//! The HTTP server on corio, driven by hyper's client on corio (and by raw
//! sockets where a client must misbehave).

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::net::TcpStream;
use corio::sync::Event;
use corio::Task;
use corio_servers::client;
use corio_servers::loops::OnLoops;
use corio_servers::routes::GREETING;
use corio_servers::server::{serve, Settings, Stopped};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};

/// A server on a free loopback port, and the event that stops it.
struct Running {
    addr: SocketAddr,
    stop: Rc<Event>,
    server: Task<Stopped>,
}

fn start(settings: Settings) -> Running {
    let listener = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Rc::new(Event::new());
    let stopped = stop.clone();
    let server = corio::spawn(async move { serve(listener, settings, stopped.wait()).await });
    Running { addr, stop, server }
}

impl Running {
    async fn stop(self) -> Stopped {
        self.stop.set();
        self.server.await.unwrap()
    }
}

async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> (StatusCode, Bytes) {
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    (
        status,
        response.into_body().collect().await.unwrap().to_bytes(),
    )
}

fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path).body(Full::default()).unwrap()
}

/// Everything the peer sends until it closes (or resets) the connection.
async fn read_to_close(stream: &TcpStream) -> Vec<u8> {
    let mut answer = Vec::new();
    let mut chunk = [0; 1024];
    while let Ok(n @ 1..) = stream.read(&mut chunk).await {
        answer.extend_from_slice(&chunk[..n]);
    }
    answer
}

#[test]
fn get_root_and_post_echo_share_one_keep_alive_connection() {
    corio::run(async {
        let running = start(Settings::default());
        let mut sender = client::connect(running.addr).await.unwrap();
        let (status, body) = exchange(&mut sender, get("/")).await;
        assert_eq!((status, &body[..]), (StatusCode::OK, GREETING.as_bytes()));

        let payload = Bytes::from(vec![b'x'; 100_000]);
        let echo = Request::post("/echo")
            .body(Full::new(payload.clone()))
            .unwrap();
        let (status, body) = exchange(&mut sender, echo).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, payload);

        let (status, _) = exchange(&mut sender, get("/nowhere")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        drop(sender);
        // Both requests came over the one connection.
        assert_eq!(running.stop().await.connections, 1);
    });
}

#[test]
fn sleep_route_waits_on_a_corio_timer_and_refuses_a_bad_duration() {
    corio::run(async {
        let running = start(Settings::default());
        let mut sender = client::connect(running.addr).await.unwrap();
        let started = Instant::now();
        let (status, body) = exchange(&mut sender, get("/sleep?ms=30")).await;
        assert_eq!((status, &body[..]), (StatusCode::OK, &b"slept 30 ms\n"[..]));
        assert!(started.elapsed() >= Duration::from_millis(30));
        for bad in ["/sleep", "/sleep?ms=x", "/sleep?ms=-5", "/sleep?ms=9999999"] {
            let (status, _) = exchange(&mut sender, get(bad)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        }
        drop(sender);
        running.stop().await;
    });
}

#[test]
fn malformed_request_gets_400_and_the_connection_closes() {
    corio::run(async {
        let running = start(Settings::default());
        let stream = TcpStream::connect(running.addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nno colon here\r\n\r\n")
            .await
            .unwrap();
        let answer = corio::time::timeout(Duration::from_secs(30), read_to_close(&stream))
            .await
            .expect("the server answers and closes");
        assert!(
            answer.starts_with(b"HTTP/1.1 400 Bad Request\r\n"),
            "{:?}",
            String::from_utf8_lossy(&answer)
        );
        running.stop().await;
    });
}

#[test]
fn slow_client_is_cut_off_by_the_header_read_timeout_while_others_are_served() {
    corio::run(async {
        let settings = Settings {
            header_read_timeout: Duration::from_millis(300),
            ..Settings::default()
        };
        let running = start(settings);
        // A slowloris: half a request head, then nothing. The clock starts
        // before it connects, so before the server's header timer does.
        let started = Instant::now();
        let slow = TcpStream::connect(running.addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: slow\r\n")
            .await
            .unwrap();
        let cut_off = corio::spawn(async move {
            read_to_close(&slow).await;
            started.elapsed()
        });
        // Meanwhile another client is served as usual.
        let mut sender = client::connect(running.addr).await.unwrap();
        let (status, _) = exchange(&mut sender, get("/")).await;
        assert_eq!(status, StatusCode::OK);
        // The slow one is closed by the server: well before this generous
        // bound, which only keeps a broken timeout from hanging the test.
        let waited = corio::time::timeout(Duration::from_secs(30), cut_off)
            .await
            .expect("the header-read timeout closes the slow connection")
            .unwrap();
        assert!(
            waited >= Duration::from_millis(250),
            "closed after {waited:?}"
        );
        drop(sender);
        running.stop().await;
    });
}

#[test]
fn graceful_stop_finishes_the_request_in_flight_and_refuses_new_connections() {
    corio::run(async {
        let running = start(Settings::default());
        let addr = running.addr;
        let mut sender = client::connect(addr).await.unwrap();
        let in_flight =
            corio::spawn(async move { exchange(&mut sender, get("/sleep?ms=200")).await });
        // Let the request reach the server before the stop.
        corio::time::sleep(Duration::from_millis(50)).await;
        let stopped = running.stop().await;
        assert_eq!(
            stopped,
            Stopped {
                connections: 1,
                cut_off: 0
            }
        );
        let (status, body) = in_flight.await.unwrap();
        assert_eq!(
            (status, &body[..]),
            (StatusCode::OK, &b"slept 200 ms\n"[..])
        );
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "the listener is closed"
        );
    });
}

#[test]
fn stop_cuts_off_a_connection_that_outlives_the_grace_period() {
    corio::run(async {
        let settings = Settings {
            shutdown_grace: Duration::from_millis(100),
            ..Settings::default()
        };
        let running = start(settings);
        let mut sender = client::connect(running.addr).await.unwrap();
        let _in_flight =
            corio::spawn(async move { exchange(&mut sender, get("/sleep?ms=60000")).await });
        corio::time::sleep(Duration::from_millis(50)).await;
        let stopped = corio::time::timeout(Duration::from_secs(30), running.stop())
            .await
            .expect("the stop is bounded by the grace period");
        assert_eq!(
            stopped,
            Stopped {
                connections: 1,
                cut_off: 1
            }
        );
    });
}

#[test]
fn two_loops_serve_one_port_each_taking_its_share_and_both_stop() {
    let rt = corio::multi_loop::Runtime::builder()
        .loops(2)
        .build()
        .unwrap();
    let server = OnLoops::start(&rt, 0, Settings::default()).unwrap();
    let addr = server.local_addr();
    // 32 connections, each on the loop the kernel hashes it to: all on one
    // loop is as likely as 31 coin tosses coming out alike.
    corio::run(async move {
        for _ in 0..32 {
            let mut sender = client::connect(addr).await.unwrap();
            let (status, body) = exchange(&mut sender, get("/")).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body, GREETING.as_bytes());
        }
    });
    let per_loop = server.stop();
    let connections: Vec<u64> = per_loop.iter().map(|s| s.connections).collect();
    assert_eq!(connections.iter().sum::<u64>(), 32, "{connections:?}");
    assert!(
        connections.iter().all(|&n| n > 0),
        "each loop accepts some connections: {connections:?}"
    );
    assert!(per_loop.iter().all(|s| s.cut_off == 0));
    // The listeners are closed: the port refuses connections.
    assert!(std::net::TcpStream::connect(addr).is_err());
    rt.shutdown().unwrap();
}
