//! The Redis-protocol example (`examples/servers/redis_server/`), driven
//! over real loopback sockets with scripted RESP conversations: the replies
//! byte for byte, pipelining, commands split across reads, malformed input,
//! an oversized bulk length, a client leaving mid-command, expiry and
//! publish/subscribe; and the server on two loops (`--loops 2`), where a
//! key set through one loop must be read through the other and a message
//! published on one must reach subscribers on both. The example's modules
//! are compiled into this test by path, so the server under test is the
//! example's own code.

#[path = "../examples/servers/redis_server/commands.rs"]
#[allow(dead_code)]
mod commands;
#[path = "../examples/servers/redis_server/db.rs"]
#[allow(dead_code)]
mod db;
#[path = "../examples/servers/redis_server/keyspace.rs"]
mod keyspace;
#[path = "../examples/servers/redis_server/loops.rs"]
mod loops;
#[path = "../examples/servers/redis_server/pubsub.rs"]
#[allow(dead_code)]
mod pubsub;
#[path = "../examples/servers/redis_server/resp.rs"]
#[allow(dead_code)]
mod resp;
#[path = "../examples/servers/redis_server/server.rs"]
#[allow(dead_code)]
mod server;

use std::rc::Rc;
use std::time::Duration;

use corio::streams::{StreamReader, StreamWriter};
use server::RedisServer;

/// Runs `script` against a fresh server on a free port, under a generous
/// timeout.
fn with_server<F, Fut>(script: F)
where
    F: FnOnce(u16) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    corio::run(async move {
        let server = RedisServer::start("127.0.0.1", 0).await.unwrap();
        corio::time::timeout(Duration::from_secs(30), script(server.port()))
            .await
            .expect("the conversation finishes within 30 s");
        server.shut_down(Duration::from_secs(1)).await;
    });
}

/// Starts the server on two loops (as `--loops 2` does) and runs `script`
/// with it on this thread's own loop, under a generous timeout.
fn with_server_on_two_loops<F, Fut>(script: F)
where
    F: FnOnce(Rc<loops::OnLoops>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let rt = corio::multi_loop::Runtime::builder()
        .loops(2)
        .build()
        .unwrap();
    let server = Rc::new(loops::OnLoops::start(&rt, 0, Duration::from_secs(1)).unwrap());
    corio::run(async {
        corio::time::timeout(Duration::from_secs(30), script(server.clone()))
            .await
            .expect("the conversation finishes within 30 s");
    });
    let server = Rc::into_inner(server).expect("the script let go of the server");
    server.shut_down();
    rt.shutdown().unwrap();
}

/// Connects until each of the server's loops serves at least `per_loop` of
/// the connections (the kernel picks the loop; 64 connections make a miss
/// as likely as 64 coin tosses alike). Each has answered a `PING`, so its
/// loop has counted it.
async fn connect_to_every_loop(
    server: &loops::OnLoops,
    per_loop: usize,
) -> Vec<(StreamReader, StreamWriter)> {
    let mut connections = Vec::new();
    while server.connections_per_loop().iter().any(|&n| n < per_loop) {
        assert!(
            connections.len() < 64,
            "64 connections and a loop still has fewer than {per_loop}: {:?}",
            server.connections_per_loop()
        );
        let (mut r, w) = connect(server.port()).await;
        exchange(&mut r, &w, &["PING"], "+PONG\r\n").await;
        connections.push((r, w));
    }
    connections
}

async fn connect(port: u16) -> (StreamReader, StreamWriter) {
    corio::open_connection("127.0.0.1", port).await.unwrap()
}

/// `words` as one RESP array.
fn command(words: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    resp::array_header(&mut out, words.len());
    for word in words {
        resp::bulk(&mut out, word.as_bytes());
    }
    out
}

async fn send(writer: &StreamWriter, bytes: &[u8]) {
    writer.write(bytes).unwrap();
    writer.drain().await.unwrap();
}

/// Reads exactly the bytes of `expected` and compares them.
async fn expect(reader: &mut StreamReader, expected: &str) {
    let got = reader.readexactly(expected.len()).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&got), expected);
}

/// Sends one command and checks its reply.
async fn exchange(reader: &mut StreamReader, writer: &StreamWriter, words: &[&str], reply: &str) {
    send(writer, &command(words)).await;
    expect(reader, reply).await;
}

#[test]
fn scripted_conversation_gets_redis_replies_byte_for_byte() {
    with_server(|port| async move {
        let (mut r, w) = connect(port).await;
        let r = &mut r;
        exchange(r, &w, &["PING"], "+PONG\r\n").await;
        exchange(r, &w, &["ping", "hi"], "$2\r\nhi\r\n").await;
        exchange(r, &w, &["ECHO", "x y"], "$3\r\nx y\r\n").await;
        exchange(r, &w, &["GET", "k"], "$-1\r\n").await;
        exchange(r, &w, &["SET", "k", "v"], "+OK\r\n").await;
        exchange(r, &w, &["SET", "k", "w", "NX"], "$-1\r\n").await;
        exchange(r, &w, &["SET", "k2", "w", "XX"], "$-1\r\n").await;
        exchange(r, &w, &["set", "k", "value", "xx"], "+OK\r\n").await;
        exchange(r, &w, &["GET", "k"], "$5\r\nvalue\r\n").await;
        exchange(r, &w, &["EXISTS", "k", "k2", "k"], ":2\r\n").await;
        exchange(r, &w, &["INCR", "n"], ":1\r\n").await;
        exchange(r, &w, &["INCRBY", "n", "41"], ":42\r\n").await;
        exchange(r, &w, &["DECR", "n"], ":41\r\n").await;
        let not_integer = "-ERR value is not an integer or out of range\r\n";
        exchange(r, &w, &["INCR", "k"], not_integer).await;
        exchange(r, &w, &["INCRBY", "n", "x"], not_integer).await;
        exchange(r, &w, &["SET", "big", "9223372036854775807"], "+OK\r\n").await;
        let overflow = "-ERR increment or decrement would overflow\r\n";
        exchange(r, &w, &["INCR", "big"], overflow).await;
        exchange(r, &w, &["MSET", "a", "1", "b", "2"], "+OK\r\n").await;
        exchange(
            r,
            &w,
            &["MGET", "a", "nope", "b"],
            "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n",
        )
        .await;
        exchange(r, &w, &["DEL", "a", "b", "nope"], ":2\r\n").await;
        exchange(r, &w, &["TTL", "k"], ":-1\r\n").await;
        exchange(r, &w, &["TTL", "nope"], ":-2\r\n").await;
        exchange(r, &w, &["EXPIRE", "k", "100"], ":1\r\n").await;
        exchange(r, &w, &["TTL", "k"], ":100\r\n").await;
        exchange(
            r,
            &w,
            &["SET", "k", "v", "EX", "0"],
            "-ERR invalid expire time in 'set' command\r\n",
        )
        .await;
        exchange(r, &w, &["SET", "k", "v", "EX"], "-ERR syntax error\r\n").await;
        exchange(
            r,
            &w,
            &["GET"],
            "-ERR wrong number of arguments for 'get' command\r\n",
        )
        .await;
        exchange(
            r,
            &w,
            &["MSET", "a"],
            "-ERR wrong number of arguments for 'mset' command\r\n",
        )
        .await;
        exchange(
            r,
            &w,
            &["FLY", "to", "moon"],
            "-ERR unknown command 'FLY', with args beginning with: 'to' 'moon' \r\n",
        )
        .await;
        // What redis-benchmark and redis-cli send when they start.
        exchange(
            r,
            &w,
            &["CONFIG", "GET", "save"],
            "*2\r\n$4\r\nsave\r\n$0\r\n\r\n",
        )
        .await;
        exchange(r, &w, &["CLIENT", "SETNAME", "me"], "+OK\r\n").await;
        exchange(r, &w, &["COMMAND", "DOCS"], "*0\r\n").await;
        exchange(r, &w, &["QUIT"], "+OK\r\n").await;
        assert_eq!(
            r.read_to_eof().await.unwrap(),
            b"",
            "QUIT closes the connection"
        );
    });
}

#[test]
fn pipelined_commands_in_one_write_get_every_reply_in_order() {
    with_server(|port| async move {
        let (mut r, w) = connect(port).await;
        let mut batch = Vec::new();
        for i in 0..100 {
            batch.extend(command(&["SET", &format!("key{i}"), &i.to_string()]));
            batch.extend(command(&["GET", &format!("key{i}")]));
        }
        batch.extend_from_slice(b"PING\r\n"); // inline, as ping_inline sends it
        send(&w, &batch).await;
        for i in 0..100 {
            let value = i.to_string();
            expect(&mut r, &format!("+OK\r\n${}\r\n{value}\r\n", value.len())).await;
        }
        expect(&mut r, "+PONG\r\n").await;
    });
}

#[test]
fn command_arriving_one_byte_at_a_time_is_answered_once_whole() {
    with_server(|port| async move {
        let (mut r, w) = connect(port).await;
        let bytes = [command(&["SET", "slow", "drip"]), command(&["GET", "slow"])].concat();
        for byte in &bytes {
            send(&w, std::slice::from_ref(byte)).await;
            corio::time::sleep(Duration::from_micros(200)).await;
        }
        expect(&mut r, "+OK\r\n$4\r\ndrip\r\n").await;
    });
}

#[test]
fn malformed_input_gets_a_protocol_error_and_the_connection_closes() {
    with_server(|port| async move {
        let cases: [(&[u8], &str); 4] = [
            (b"*1\r\n+PING\r\n", "expected '$', got '+'"),
            (b"*x\r\n", "invalid multibulk length"),
            (b"*1\r\n$-5\r\n", "invalid bulk length"),
            (b"*1\r\n$3\r\nGETxx", "bulk string not terminated by CRLF"),
        ];
        for (garbage, error) in cases {
            let (mut r, w) = connect(port).await;
            send(&w, garbage).await;
            let reply = r.read_to_eof().await.unwrap();
            assert_eq!(
                String::from_utf8_lossy(&reply),
                format!("-ERR Protocol error: {error}\r\n")
            );
        }
        // Everyone else is still served.
        let (mut r, w) = connect(port).await;
        exchange(&mut r, &w, &["PING"], "+PONG\r\n").await;
    });
}

#[test]
fn bulk_length_of_two_to_the_forty_is_refused_before_any_allocation() {
    with_server(|port| async move {
        let (mut r, w) = connect(port).await;
        send(&w, b"*2\r\n$3\r\nGET\r\n$1099511627776\r\n").await;
        let reply = r.read_to_eof().await.unwrap();
        assert_eq!(reply, b"-ERR Protocol error: invalid bulk length\r\n");
        // Just above 512 MiB is refused the same way.
        let (mut r, w) = connect(port).await;
        send(&w, b"*1\r\n$536870913\r\n").await;
        let reply = r.read_to_eof().await.unwrap();
        assert_eq!(reply, b"-ERR Protocol error: invalid bulk length\r\n");
        let (mut r, w) = connect(port).await;
        exchange(&mut r, &w, &["PING"], "+PONG\r\n").await;
    });
}

#[test]
fn endless_inline_line_is_refused_at_64_kib() {
    with_server(|port| async move {
        let (mut r, w) = connect(port).await;
        send(&w, &vec![b'a'; 70 * 1024]).await;
        let reply = r.read_to_eof().await.unwrap();
        assert_eq!(reply, b"-ERR Protocol error: too big inline request\r\n");
    });
}

#[test]
fn client_leaving_mid_command_does_not_disturb_the_others() {
    with_server(|port| async move {
        let (mut other, other_w) = connect(port).await;
        let (_r, w) = connect(port).await;
        send(&w, b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$100\r\nonly a few").await;
        w.close();
        w.wait_closed().await.unwrap();
        corio::time::sleep(Duration::from_millis(20)).await;
        exchange(&mut other, &other_w, &["GET", "half"], "$-1\r\n").await;
        exchange(&mut other, &other_w, &["PING"], "+PONG\r\n").await;
    });
}

#[test]
fn expired_key_is_removed_by_the_timer_without_being_read() {
    with_server(|port| async move {
        let (mut r, w) = connect(port).await;
        exchange(&mut r, &w, &["SET", "brief", "x", "PX", "30"], "+OK\r\n").await;
        exchange(&mut r, &w, &["SET", "lasting", "y"], "+OK\r\n").await;
        exchange(&mut r, &w, &["PEXPIRE", "lasting", "60000"], ":1\r\n").await;
        exchange(&mut r, &w, &["DBSIZE"], ":2\r\n").await;
        corio::time::sleep(Duration::from_millis(150)).await;
        // DBSIZE counts keys without looking at deadlines: 1 means the
        // timer task removed `brief` on its own.
        exchange(&mut r, &w, &["DBSIZE"], ":1\r\n").await;
        exchange(&mut r, &w, &["GET", "brief"], "$-1\r\n").await;
        exchange(&mut r, &w, &["EXPIRE", "lasting", "0"], ":1\r\n").await;
        exchange(&mut r, &w, &["EXISTS", "lasting"], ":0\r\n").await;
    });
}

#[test]
fn subscriber_receives_what_is_published_on_its_channels() {
    with_server(|port| async move {
        let (mut sub, sub_w) = connect(port).await;
        let (mut publisher, pub_w) = connect(port).await;
        send(&sub_w, &command(&["SUBSCRIBE", "news", "sport"])).await;
        expect(&mut sub, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n").await;
        expect(&mut sub, "*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n").await;
        exchange(&mut publisher, &pub_w, &["PUBLISH", "news", "hi"], ":1\r\n").await;
        exchange(
            &mut publisher,
            &pub_w,
            &["PUBLISH", "weather", "rain"],
            ":0\r\n",
        )
        .await;
        expect(
            &mut sub,
            "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
        )
        .await;
        // Only pub/sub commands while subscribed.
        send(&sub_w, &command(&["GET", "x"])).await;
        expect(&mut sub, "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n").await;
        send(&sub_w, &command(&["UNSUBSCRIBE"])).await;
        expect(&mut sub, "*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:1\r\n").await;
        expect(
            &mut sub,
            "*3\r\n$11\r\nunsubscribe\r\n$5\r\nsport\r\n:0\r\n",
        )
        .await;
        exchange(
            &mut publisher,
            &pub_w,
            &["PUBLISH", "news", "anyone?"],
            ":0\r\n",
        )
        .await;
        exchange(&mut sub, &sub_w, &["GET", "x"], "$-1\r\n").await;
    });
}

#[test]
fn subscriber_that_never_reads_is_dropped_at_its_backlog_bound() {
    with_server(|port| async move {
        let (mut sub, sub_w) = connect(port).await;
        let (mut publisher, pub_w) = connect(port).await;
        send(&sub_w, &command(&["SUBSCRIBE", "firehose"])).await;
        expect(
            &mut sub,
            "*3\r\n$9\r\nsubscribe\r\n$8\r\nfirehose\r\n:1\r\n",
        )
        .await;
        // The subscriber reads nothing more. 64 KiB messages: the kernel's
        // socket buffers take some, the 1 MiB queue the rest, then the
        // publisher sees 0 receivers. Bounded at 64 MiB published.
        let message = "m".repeat(64 * 1024);
        let mut receivers = 1;
        for _ in 0..1024 {
            send(&pub_w, &command(&["PUBLISH", "firehose", &message])).await;
            let line = publisher.readline().await.unwrap();
            receivers = resp::parse_i64(&line[1..line.len() - 2]).unwrap();
            if receivers == 0 {
                break;
            }
        }
        assert_eq!(receivers, 0, "the slow subscriber was dropped");
        exchange(&mut publisher, &pub_w, &["PING"], "+PONG\r\n").await;
    });
}

#[test]
fn parser_sees_every_prefix_of_a_command_as_incomplete() {
    let whole = [command(&["SET", "key", "value"]), b"PING\r\n".to_vec()].concat();
    let first_len = command(&["SET", "key", "value"]).len();
    let mut args = Vec::new();
    for cut in 0..first_len {
        assert_eq!(
            resp::parse_command(&whole[..cut], &mut args),
            Ok(resp::Parsed::Incomplete),
            "cut at {cut}"
        );
    }
    assert_eq!(
        resp::parse_command(&whole, &mut args),
        Ok(resp::Parsed::Command { len: first_len })
    );
    let words: Vec<&[u8]> = args.iter().map(|r| &whole[r.clone()]).collect();
    assert_eq!(words, [&b"SET"[..], b"key", b"value"]);
}

#[test]
fn key_set_through_one_loop_is_read_through_the_other() {
    with_server_on_two_loops(|server| async move {
        let mut connections = connect_to_every_loop(&server, 1).await;
        // Every connection sets its own key; every connection reads them all.
        for (i, (r, w)) in connections.iter_mut().enumerate() {
            exchange(
                r,
                w,
                &["SET", &format!("key{i}"), &format!("value{i}")],
                "+OK\r\n",
            )
            .await;
        }
        let count = connections.len();
        for (r, w) in connections.iter_mut() {
            for i in 0..count {
                let value = format!("value{i}");
                let reply = format!("${}\r\n{value}\r\n", value.len());
                exchange(r, w, &["GET", &format!("key{i}")], &reply).await;
            }
            exchange(r, w, &["DBSIZE"], &format!(":{count}\r\n")).await;
        }
        // A key deleted through one connection is gone for all.
        let (r, w) = &mut connections[0];
        exchange(r, w, &["DEL", "key1"], ":1\r\n").await;
        for (r, w) in connections.iter_mut() {
            exchange(r, w, &["EXISTS", "key1"], ":0\r\n").await;
        }
    });
}

#[test]
fn increments_from_both_loops_at_once_are_all_counted() {
    with_server_on_two_loops(|server| async move {
        let connections = connect_to_every_loop(&server, 2).await;
        let clients = connections.len();
        // Each connection pipelines 500 INCRs in one write while the others
        // do the same: both loops change the one counter at the same time.
        let tasks: Vec<_> = connections
            .into_iter()
            .map(|(mut r, w)| {
                corio::spawn(async move {
                    let batch = command(&["INCR", "counter"]).repeat(500);
                    send(&w, &batch).await;
                    for _ in 0..500 {
                        let line = r.readline().await.unwrap();
                        assert_eq!(line[0], b':', "an integer reply");
                    }
                    (r, w)
                })
            })
            .collect();
        let mut connections = Vec::new();
        for task in tasks {
            connections.push(task.await.unwrap());
        }
        let total = 500 * clients;
        for (r, w) in connections.iter_mut() {
            exchange(
                r,
                w,
                &["GET", "counter"],
                &format!("${}\r\n{total}\r\n", total.to_string().len()),
            )
            .await;
        }
    });
}

#[test]
fn message_published_on_one_loop_reaches_subscribers_on_both() {
    with_server_on_two_loops(|server| async move {
        // Two or more connections on each loop: all but the publisher
        // subscribe, so each loop has a subscriber and one of them is on
        // the loop the publisher is not on.
        let mut connections = connect_to_every_loop(&server, 2).await;
        let (mut publisher, pub_w) = connections.pop().unwrap();
        let subscribers = connections.len();
        for (r, w) in connections.iter_mut() {
            send(w, &command(&["SUBSCRIBE", "news"])).await;
            expect(r, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n").await;
        }
        for text in ["first", "second", "third"] {
            let reached = format!(":{subscribers}\r\n");
            exchange(&mut publisher, &pub_w, &["PUBLISH", "news", text], &reached).await;
        }
        // Every subscriber, on either loop, gets all three, in order.
        for (r, _) in connections.iter_mut() {
            for text in ["first", "second", "third"] {
                let message = format!(
                    "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n${}\r\n{text}\r\n",
                    text.len()
                );
                expect(r, &message).await;
            }
        }
        // Once they all unsubscribed, nobody on any loop is counted.
        for (r, w) in connections.iter_mut() {
            send(w, &command(&["UNSUBSCRIBE", "news"])).await;
            expect(r, "*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:0\r\n").await;
        }
        exchange(
            &mut publisher,
            &pub_w,
            &["PUBLISH", "news", "anyone?"],
            ":0\r\n",
        )
        .await;
    });
}
