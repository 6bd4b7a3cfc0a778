//! chat: a broadcast chat room on asyncio's streams — `start_server` runs one
//! task per client, which reads lines with `readline` and says them to
//! everyone through their `StreamWriter`s.
//!
//! Seed 001, "生产者消费者模型" (the producer–consumer model): "producers and
//! consumers do not talk directly; they talk through a buffer." A client
//! that says something is the producer; the others' sockets are the
//! consumers; each client's `StreamWriter` buffer is the buffer between
//! them. A broadcast never waits: `write` hands the line to the writer, which
//! sends what the socket takes at once and keeps the rest for its flusher
//! task. So one slow client cannot stall the room.
//!
//! But a client that *stops reading* would make its buffer grow forever.
//! The rule that drops it, and only it:
//!
//! > a client is dropped when more than `BACKLOG` bytes (64 KiB) have waited
//! > for it for `STALL` seconds (10) in a row without its backlog getting any
//! > smaller — or at once if its backlog passes `HARD_CAP` (16 MiB).
//!
//! A client that reads, however big the burst (5,000 lines at once arrive
//! whole), keeps its backlog shrinking and is never dropped. (The first
//! version of this room dropped a reading client whenever a burst of 256
//! lines arrived faster than its writer task ran: a count of queued lines is
//! not a measure of whether someone reads.)
//!
//! ```text
//! cargo run --release --example chat                   # the demo (the tour runs it)
//! cargo run --release --example chat -- --serve 8081   # a real room
//! nc 127.0.0.1 8081                                    # join it, from many terminals
//! ```
//!
//! The first line a client sends is its nickname; every later line goes to
//! everyone else as `nick: line`. Ctrl-C or SIGTERM closes the room
//! gracefully: no new clients, a goodbye to everyone, a few seconds to
//! leave, and a one-line summary.
//!
//! The demo starts the room on a port the OS chooses and scripts clients in
//! the same process: a conversation, a burst of 5,000 lines that a reading
//! client receives whole, a client that stops reading and is dropped (with
//! a short stall time), and the graceful stop. Every printed line happens in
//! an order the script fixes, so the output is the same on every run.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::streams::{Server, StreamError, StreamReader, StreamWriter};
use corio::sync::Event;
use corio::time::timeout;
use corio::TaskRef;

#[path = "../support/mod.rs"]
mod support;

const FLAGS: &str = "\
(no flag)      a short demo with scripted clients (what the tour runs)
--serve [PORT] a chat room on 127.0.0.1:PORT (8081; 0 lets the OS choose)
               until Ctrl-C or SIGTERM";

const DEFAULT_PORT: u16 = 8081;
const MAX_NICK: usize = 20;
/// Bytes waiting for a client above which its progress is watched.
const BACKLOG: usize = 64 * 1024;
/// A backlog this big drops the client at once: the room's memory bound.
const HARD_CAP: usize = 16 * 1024 * 1024;
/// How long a backlog may go without shrinking before the client is dropped.
const STALL: Duration = Duration::from_secs(10);
/// The demo's stall time, so that its drop happens quickly.
const DEMO_STALL: Duration = Duration::from_millis(300);
/// How long clients get to leave after the goodbye.
const GRACE: Duration = Duration::from_secs(3);

fn main() -> ExitCode {
    let mut args = support::args(include_str!("chat.rs"), FLAGS);
    let serve = args.optional_value("--serve", DEFAULT_PORT);
    args.done();
    match serve {
        Some(port) => corio::run(serve_until_signal(port)),
        None => corio::run(demo()),
    }
}

// ---------------------------------------------------------------------------
// The room
// ---------------------------------------------------------------------------

/// A client that chose its nickname.
struct Member {
    nick: String,
    writer: Rc<StreamWriter>,
    /// The client's task, cancelled when the room drops the client.
    session: TaskRef,
    /// Since when its backlog has been above `BACKLOG`, and the smallest
    /// backlog seen since: the drop rule's memory.
    stalled: Cell<Option<(Instant, usize)>>,
}

/// Everyone in the room. Only tasks of this one loop touch it, so a
/// `RefCell` is enough, and no borrow is ever held across an `await`.
struct Room {
    /// By guest number, which is also the order they connected in.
    members: RefCell<BTreeMap<u64, Member>>,
    guests: Cell<u64>,
    dropped: Cell<u64>,
    stall: Duration,
    /// Log peer addresses and error causes, which change from run to run;
    /// the demo leaves them out so its output is always the same.
    log_details: bool,
}

impl Room {
    fn new(stall: Duration, log_details: bool) -> Room {
        Room {
            members: RefCell::new(BTreeMap::new()),
            guests: Cell::new(0),
            dropped: Cell::new(0),
            stall,
            log_details,
        }
    }

    fn nick_taken(&self, nick: &str) -> bool {
        self.members.borrow().values().any(|m| m.nick == nick)
    }

    /// Adds a client; returns the nicknames already there.
    fn join(&self, guest: u64, member: Member) -> Vec<String> {
        let mut members = self.members.borrow_mut();
        let others = members.values().map(|m| m.nick.clone()).collect();
        members.insert(guest, member);
        others
    }

    /// Removes a client; returns its nickname if it had joined.
    fn leave(&self, guest: u64) -> Option<String> {
        self.members.borrow_mut().remove(&guest).map(|m| m.nick)
    }

    /// Hands `text` to the writer of everyone but `from`. Never waits.
    fn broadcast(&self, from: Option<u64>, text: &str) {
        let mut over_cap = Vec::new();
        for (&guest, member) in self.members.borrow().iter() {
            if Some(guest) == from {
                continue;
            }
            // A failed write means the client is gone: its own session
            // reads that too, and leaves.
            let _ = member.writer.write(text.as_bytes());
            if member.writer.write_buffer_size() > HARD_CAP {
                over_cap.push(guest);
            }
        }
        // Dropping broadcasts again: done once the borrow above is released.
        for guest in over_cap {
            self.drop_client(guest);
        }
    }

    /// The drop rule (module docs), applied to every member; run a few
    /// times per stall period by `watch_backlogs`.
    fn check_backlogs(&self, now: Instant) {
        let mut not_reading = Vec::new();
        for (&guest, member) in self.members.borrow().iter() {
            let backlog = member.writer.write_buffer_size();
            let next = match member.stalled.get() {
                _ if backlog <= BACKLOG => None,
                None => Some((now, backlog)),
                // Smaller than ever since the stall began: it reads.
                Some((_, smallest)) if backlog < smallest => Some((now, backlog)),
                Some((since, smallest)) => {
                    if now.duration_since(since) >= self.stall {
                        not_reading.push(guest);
                    }
                    Some((since, smallest))
                }
            };
            member.stalled.set(next);
        }
        for guest in not_reading {
            self.drop_client(guest);
        }
    }

    /// Removes a client that does not read: its writer is aborted (the
    /// backlog is thrown away) and its session cancelled, which closes the
    /// connection.
    fn drop_client(&self, guest: u64) {
        let Some(member) = self.members.borrow_mut().remove(&guest) else {
            return;
        };
        member.writer.abort();
        member.session.cancel();
        self.dropped.set(self.dropped.get() + 1);
        println!("[room] {} dropped: not reading", member.nick);
        self.broadcast(
            None,
            &format!("* {} was dropped (not reading)\n", member.nick),
        );
    }
}

/// Applies the drop rule four times per stall period, for as long as the
/// room is open.
async fn watch_backlogs(room: Rc<Room>) {
    let mut ticks = corio::time::interval(room.stall / 4);
    loop {
        ticks.tick().await;
        room.check_backlogs(Instant::now());
    }
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

async fn start(room: Rc<Room>, port: u16) -> io::Result<Server> {
    corio::start_server(
        move |reader, writer| session(room.clone(), reader, writer),
        "127.0.0.1",
        port,
    )
    .await
}

/// One client, from connection to departure.
async fn session(room: Rc<Room>, reader: StreamReader, writer: StreamWriter) {
    let guest = room.guests.get() + 1;
    room.guests.set(guest);
    let writer = Rc::new(writer);
    match writer.peer_addr() {
        Some(peer) if room.log_details => println!("[room] guest {guest} connected from {peer}"),
        _ => println!("[room] guest {guest} connected"),
    }
    let outcome = converse(&room, guest, reader, &writer).await;
    if let Some(nick) = room.leave(guest) {
        match outcome {
            Err(e) if room.log_details => println!("[room] {nick} left ({e})"),
            _ => println!("[room] {nick} left"),
        }
        room.broadcast(None, &format!("* {nick} left\n"));
    }
    // Send what is still buffered, then close; a client that does not take
    // it within a second is cut off.
    writer.close();
    if timeout(Duration::from_secs(1), writer.wait_closed())
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// Asks for a nickname, joins the room, then broadcasts every line until
/// the client closes its side (`Ok`) or the connection fails (`Err`).
async fn converse(
    room: &Room,
    guest: u64,
    mut reader: StreamReader,
    writer: &Rc<StreamWriter>,
) -> io::Result<()> {
    writer.write(b"Welcome to corio chat! Your nickname?\n")?;
    let nick = loop {
        let Some(line) = next_line(&mut reader, writer).await? else {
            return Ok(()); // gone before choosing a nickname
        };
        let nick = line.trim();
        if nick.is_empty() {
            writer.write(b"Please type a nickname:\n")?;
        } else if nick.chars().count() > MAX_NICK {
            writer.write(format!("At most {MAX_NICK} characters, please:\n").as_bytes())?;
        } else if room.nick_taken(nick) {
            writer.write(format!("{nick} is taken; pick another:\n").as_bytes())?;
        } else {
            break nick.to_string();
        }
    };

    // No `await` between the `nick_taken` check above and `join`: no other
    // task can take the nickname in between.
    let session = corio::current_task().expect("a session runs as a task");
    let others = room.join(
        guest,
        Member {
            nick: nick.clone(),
            writer: writer.clone(),
            session,
            stalled: Cell::new(None),
        },
    );
    println!("[room] guest {guest} is {nick}");
    let welcome = if others.is_empty() {
        format!("* Welcome, {nick}! You are the first one here.\n")
    } else {
        format!("* Welcome, {nick}! Also here: {}\n", others.join(", "))
    };
    writer.write(welcome.as_bytes())?;
    room.broadcast(Some(guest), &format!("* {nick} joined\n"));

    while let Some(line) = next_line(&mut reader, writer).await? {
        if !line.trim().is_empty() {
            room.broadcast(Some(guest), &format!("{nick}: {line}\n"));
        }
    }
    Ok(())
}

/// The next line without its `\n` (and a `\r` before it, for telnet-style
/// clients), decoded lossily; `None` at EOF. A line longer than the
/// reader's limit (64 KiB) is refused with a note to its sender — all of
/// it: when its end had not arrived yet, what follows up to the next `\n`
/// is the same line's tail and is skipped too, not sent as a line of its own.
async fn next_line(reader: &mut StreamReader, writer: &StreamWriter) -> io::Result<Option<String>> {
    let mut skipping_tail = false;
    loop {
        match reader.readline().await {
            Ok(line) if line.is_empty() => return Ok(None),
            Ok(line) if skipping_tail => skipping_tail = !line.ends_with(b"\n"),
            Ok(line) => {
                let line = line.strip_suffix(b"\n").unwrap_or(&line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                return Ok(Some(String::from_utf8_lossy(line).into_owned()));
            }
            Err(StreamError::LimitOverrun(e)) => {
                if !skipping_tail {
                    writer.write(b"* That line was too long; it was not sent.\n")?;
                }
                skipping_tail = !e.separator_found;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The graceful stop: no new clients; everyone is told, and gets `GRACE`
/// to leave. Returns the one-line summary.
async fn shut_down(server: &Server, room: &Room, why: &str) -> String {
    server.close();
    let told = room.members.borrow().len();
    room.broadcast(None, "* The room is closing. Goodbye!\n");
    for member in room.members.borrow().values() {
        member.writer.write_eof();
    }
    let in_time = timeout(GRACE, server.wait_closed()).await.is_ok();
    let still_there = if in_time {
        0
    } else {
        server.active_connections()
    };
    format!(
        "chat: closed on {why}: {} guest(s) in all, {} dropped for not reading, \
         {told} told goodbye, {still_there} still connected after the {} s grace period",
        room.guests.get(),
        room.dropped.get(),
        GRACE.as_secs()
    )
}

async fn serve_until_signal(port: u16) -> ExitCode {
    let room = Rc::new(Room::new(STALL, true));
    // Listen before serving: a signal that comes early is not lost.
    let stop = support::shutdown_signal();
    let server = match start(room.clone(), port).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("chat: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _watch = corio::spawn(watch_backlogs(room.clone()));
    let addr = server.sockets()[0];
    println!(
        "chat room on {addr}; join with: nc {} {}",
        addr.ip(),
        addr.port()
    );
    println!(
        "close it with Ctrl-C or SIGTERM (kill {})",
        std::process::id()
    );
    let why = match stop {
        Ok(stop) => stop.await,
        Err(e) => {
            eprintln!("chat: cannot listen for signals ({e}); serving until killed");
            server.serve_forever().await;
            "close"
        }
    };
    println!("\n{why}: closing the room");
    println!("{}", shut_down(&server, &room, why).await);
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------
// The demo: scripted clients in the same process
// ---------------------------------------------------------------------------

/// How long a scripted client waits for a line before the demo fails.
const PATIENCE: Duration = Duration::from_secs(10);

/// A scripted client: a stream pair from `open_connection`.
struct Client {
    name: &'static str,
    reader: StreamReader,
    writer: StreamWriter,
}

impl Client {
    async fn connect(name: &'static str, port: u16) -> io::Result<Client> {
        println!("{name:<5} connects");
        let (reader, writer) = corio::open_connection("127.0.0.1", port).await?;
        Ok(Client {
            name,
            reader,
            writer,
        })
    }

    async fn say(&mut self, line: &str) -> io::Result<()> {
        println!("{:<5} sends    {line:?}", self.name);
        self.writer.write(format!("{line}\n").as_bytes())?;
        self.writer.drain().await
    }

    /// The next line the room sends this client.
    async fn next(&mut self) -> io::Result<String> {
        match timeout(PATIENCE, self.reader.readline()).await {
            Ok(Ok(line)) if line.is_empty() => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{}: the room closed the connection", self.name),
            )),
            Ok(Ok(line)) => Ok(String::from_utf8_lossy(&line).trim_end().to_string()),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{}: nothing heard for {} s", self.name, PATIENCE.as_secs()),
            )),
        }
    }

    /// Waits for the next line, and prints it.
    async fn hear(&mut self) -> io::Result<()> {
        let line = self.next().await?;
        println!("{:<5} receives {line:?}", self.name);
        Ok(())
    }

    /// Closes the connection.
    fn leave(self) {
        println!("{:<5} leaves", self.name);
    }
}

async fn demo() -> ExitCode {
    let room = Rc::new(Room::new(DEMO_STALL, false));
    let server = match start(room.clone(), 0).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("chat demo: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _watch = corio::spawn(watch_backlogs(room.clone()));
    println!("[room] open (on a port the OS chose)");
    let port = server.sockets()[0].port();
    match script(port, &server, &room).await {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("chat demo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The script. Each `hear` names who must receive what: the order of the
/// printout is the script's, whatever order the bytes travel in.
async fn script(port: u16, server: &Server, room: &Rc<Room>) -> io::Result<String> {
    let mut alice = Client::connect("alice", port).await?;
    alice.hear().await?; // the nickname prompt
    alice.say("alice").await?;
    alice.hear().await?; // welcome, first one here

    let mut bob = Client::connect("bob", port).await?;
    bob.hear().await?;
    bob.say("bob").await?;
    bob.hear().await?; // welcome, alice is here
    alice.hear().await?; // bob joined

    let mut carol = Client::connect("carol", port).await?;
    carol.hear().await?;
    carol.say("alice").await?;
    carol.hear().await?; // taken
    carol.say("carol").await?;
    carol.hear().await?;
    alice.hear().await?; // carol joined
    bob.hear().await?; // carol joined

    alice.say("hello everyone").await?;
    bob.hear().await?;
    carol.hear().await?;

    carol.say("no, off I go. bye!").await?;
    alice.hear().await?;
    bob.hear().await?;
    carol.leave();
    alice.hear().await?; // carol left
    bob.hear().await?; // carol left

    burst(&mut alice, &mut bob).await?;
    not_reading(&mut alice, &mut bob, port).await?;

    // The stop: in --serve it is a signal; here an Event stands in for it.
    let ctrl_c = Rc::new(Event::new());
    let leaving = corio::spawn({
        let ctrl_c = ctrl_c.clone();
        let room = room.clone();
        async move {
            ctrl_c.set();
            println!("(the demo presses Ctrl-C)");
            alice.hear().await?; // the room is closing
            bob.hear().await?;
            alice.leave();
            // One at a time, so that the room's log has a fixed order.
            while room.members.borrow().len() > 1 {
                corio::time::sleep(Duration::from_millis(1)).await;
            }
            bob.leave();
            Ok::<(), io::Error>(())
        }
    });
    ctrl_c.wait().await;
    println!("[room] Ctrl-C: closing the room");
    let summary = shut_down(server, room, "Ctrl-C").await;
    leaving
        .await
        .map_err(|e| io::Error::other(e.to_string()))??;
    Ok(summary)
}

/// Issue 10 §4: bob sends 5,000 lines in one burst; alice, who reads, gets
/// every one of them, in order.
async fn burst(alice: &mut Client, bob: &mut Client) -> io::Result<()> {
    const LINES: usize = 5_000;
    println!("bob   sends    {LINES} lines of 100 bytes in one burst");
    let burst: Vec<u8> = (0..LINES)
        .flat_map(|i| format!("{i:05} {}\n", "x".repeat(94)).into_bytes())
        .collect();
    bob.writer.write(&burst)?;
    bob.writer.drain().await?;
    for i in 0..LINES {
        let line = alice.next().await?;
        if !line.starts_with(&format!("bob: {i:05} ")) {
            return Err(io::Error::other(format!("line {i} of the burst: {line:?}")));
        }
    }
    println!("alice receives all {LINES} lines, in order");
    Ok(())
}

/// dave joins, then stops reading while bob floods the room: once dave's
/// backlog has not shrunk for the stall time, the room drops him — and
/// alice, who reads all along, is not dropped.
async fn not_reading(alice: &mut Client, bob: &mut Client, port: u16) -> io::Result<()> {
    let mut dave = Client::connect("dave", port).await?;
    dave.hear().await?;
    dave.say("dave").await?;
    dave.hear().await?;
    alice.hear().await?; // dave joined
    bob.hear().await?;
    println!("dave  stops reading; bob floods the room");
    let flood: Vec<u8> = (0..1_000)
        .flat_map(|_| format!("{}\n", "f".repeat(99)).into_bytes())
        .collect();
    // Flood until alice hears that dave was dropped, reading all the while.
    let mut floods = 0;
    loop {
        if floods < 2_000 {
            bob.writer.write(&flood)?;
            floods += 1;
        }
        // Bob reads too: dave's drop notice arrives to him as well.
        loop {
            match timeout(Duration::from_millis(1), alice.reader.readline()).await {
                Ok(Ok(line)) if line.starts_with(b"* dave was dropped") => {
                    println!(
                        "alice receives {:?}",
                        String::from_utf8_lossy(&line).trim_end()
                    );
                    drop(dave);
                    return end_of_flood(alice, bob).await;
                }
                Ok(Ok(line)) if line.starts_with(b"bob: ") => continue,
                Ok(Ok(line)) => {
                    return Err(io::Error::other(format!("alice got {line:?} in the flood")))
                }
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => break,
            }
        }
        bob.writer.drain().await?;
    }
}

/// Bob, who only sent, hears of dave's drop too; then he ends the flood
/// with a line of his own, and alice reads up to it.
async fn end_of_flood(alice: &mut Client, bob: &mut Client) -> io::Result<()> {
    loop {
        let line = bob.next().await?;
        if line.starts_with("* dave was dropped") {
            println!("bob   receives {line:?}");
            break;
        }
    }
    bob.say("that was a lot").await?;
    loop {
        let line = alice.next().await?;
        if line == "bob: that was a lot" {
            println!("alice receives {line:?}");
            return Ok(());
        }
    }
}
