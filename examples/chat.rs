//! chat: a broadcast chat room. Every client has a reading task and a writing
//! task joined by an outbox (a `corio::queue::Queue`), and the room shares
//! the outboxes: asyncio's classic chat server, with `start_server`, one
//! `asyncio.Queue` per client and the writer half of each connection in its
//! own task.
//!
//! Seed 001, "生产者消费者模型" (the producer–consumer model): "producers and
//! consumers do not talk directly; they talk through a buffer, which in
//! Python is usually a message queue." Here a client that says something is
//! the producer; the other clients' writer tasks are the consumers; each
//! outbox is the buffer. Why a buffer per client: a broadcast that awaited
//! every client's socket in turn would let one client that stops reading
//! stall the whole room. With outboxes the broadcast never waits — it puts
//! the line in each outbox at once — and a client whose outbox fills up (it
//! stopped reading long ago) is dropped from the room, alone.
//!
//! Run the room and join it with `nc`, from as many terminals as you like:
//!
//! ```text
//! cargo run --release --example chat -- [PORT]      # 8081 by default
//! nc 127.0.0.1 8081
//! ```
//!
//! The first line a client sends is its nickname; every later line goes to
//! everyone else as `nick: line`. Joins and leaves are announced; a client
//! that disconnects, or whose connection fails, leaves without disturbing
//! the others.
//!
//! `cargo run --release --example chat -- --demo` (the tour runs this) starts
//! the room on a port the OS chooses and connects three scripted clients —
//! corio `TcpStream`s in the same process — which chat and leave. Each
//! client's lines are read and printed in a fixed order, and every server log
//! line happens before a message the script waits for, so the output is the
//! same on every run.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use corio::net::{OwnedReadHalf, OwnedWriteHalf, TcpListener, TcpStream};
use corio::queue::Queue;
use corio::time::timeout;
use corio::TaskRef;

const DEFAULT_PORT: u16 = 8081;
/// Lines waiting for one client before it counts as not reading.
const OUTBOX_SIZE: usize = 256;
/// A longer line is cut into pieces of this size.
const MAX_LINE: usize = 1024;
const MAX_NICK: usize = 20;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag] if flag == "--demo" => corio::run(demo()),
        [] => corio::run(serve_forever(DEFAULT_PORT)),
        [port] => match port.parse() {
            Ok(port) => corio::run(serve_forever(port)),
            Err(_) => usage(&format!("{port:?} is not a port number (0-65535)")),
        },
        _ => usage("too many arguments"),
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("chat: {problem}");
    eprintln!("usage: chat [PORT] | chat --demo");
    ExitCode::from(2)
}

async fn serve_forever(port: u16) -> ExitCode {
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("chat: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    println!(
        "chat room on {addr}; join with: nc {} {}",
        addr.ip(),
        addr.port()
    );
    println!("(runs until killed: Ctrl-C)");
    serve(listener, Rc::new(Room::new(true)), None).await;
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------
// The room
// ---------------------------------------------------------------------------

/// A client's outbox: lines waiting to be written to its socket. `Rc<str>`:
/// one broadcast line is shared by every outbox it is put in.
type Outbox = Rc<Queue<Rc<str>>>;

/// A client that chose its nickname.
struct Member {
    nick: String,
    outbox: Outbox,
    /// The client's reading task, cancelled when the room drops the client.
    session: TaskRef,
}

/// Everyone in the room. Only tasks of this one loop touch it, so a
/// `RefCell` is enough: no lock, and no borrow is ever held across an
/// `await`.
struct Room {
    /// By guest number, which is also the order they connected in.
    members: RefCell<BTreeMap<u64, Member>>,
    /// Log peer addresses and error causes, which change from run to run;
    /// the demo leaves them out so its output is always the same.
    log_details: bool,
}

impl Room {
    fn new(log_details: bool) -> Room {
        Room {
            members: RefCell::new(BTreeMap::new()),
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

    /// Puts `text` in the outbox of everyone but `from`. Never waits: a full
    /// outbox means that client stopped reading, and it is dropped.
    fn broadcast(&self, from: Option<u64>, text: String) {
        let text: Rc<str> = text.into();
        let mut not_reading = Vec::new();
        for (&guest, member) in self.members.borrow().iter() {
            if Some(guest) != from && member.outbox.put_nowait(text.clone()).is_err() {
                not_reading.push(guest);
            }
        }
        // Dropping a client broadcasts again: done after the loop above has
        // released its borrow of the members.
        for guest in not_reading {
            self.drop_client(guest);
        }
    }

    /// Removes a client that does not read: its outbox is closed, which
    /// ends its writing task, and its reading task is cancelled; the two
    /// halves of its socket go with them, which closes the connection.
    fn drop_client(&self, guest: u64) {
        let Some(member) = self.members.borrow_mut().remove(&guest) else {
            return;
        };
        member.outbox.shutdown(true);
        member.session.cancel();
        println!("[room] {} dropped: not reading", member.nick);
        self.broadcast(
            None,
            format!("* {} was dropped (not reading)\n", member.nick),
        );
    }
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

/// Accepts clients, one session task each — all of them, or the first
/// `max_guests` and then waits for their sessions to end.
async fn serve(listener: TcpListener, room: Rc<Room>, max_guests: Option<u64>) {
    let mut sessions = Vec::new();
    let mut guests = 0;
    while max_guests != Some(guests) {
        let (stream, peer) = match listener.accept().await {
            Ok(connection) => connection,
            Err(e) => {
                // Out of descriptors, say: pause instead of spinning on an
                // accept that would fail again at once.
                eprintln!("[room] accept failed: {e}; retrying in 100 ms");
                corio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        guests += 1;
        if room.log_details {
            println!("[room] guest {guests} connected from {peer}");
        } else {
            println!("[room] guest {guests} connected");
        }
        let session = corio::task::Builder::new()
            .name(format!("guest {guests}"))
            .spawn(session(room.clone(), guests, stream, peer));
        if max_guests.is_some() {
            sessions.push(session);
        }
    }
    drop(listener);
    for session in sessions {
        // A dropped client's session was cancelled: nothing to report.
        let _ = session.await;
    }
    println!("[room] closed after {guests} guests");
}

/// One client, from connection to departure. The socket is split into
/// owned halves: this task keeps the read half and reads lines; a second
/// task gets the write half and writes whatever arrives in the outbox.
async fn session(room: Rc<Room>, guest: u64, stream: TcpStream, peer: SocketAddr) {
    let (reader, writer) = stream.into_split();
    let outbox: Outbox = Rc::new(Queue::new(OUTBOX_SIZE));
    let mut delivery = corio::task::Builder::new()
        .name(format!("guest {guest} writer"))
        .spawn(deliver(writer, outbox.clone()));

    let outcome = converse(&room, guest, &mut Lines::new(reader), &outbox).await;

    if let Some(nick) = room.leave(guest) {
        match outcome {
            Err(e) if room.log_details => println!("[room] {nick} left ({e}, from {peer})"),
            _ => println!("[room] {nick} left"),
        }
        room.broadcast(None, format!("* {nick} left\n"));
    }
    // Let the writer send what is still queued, then stop; a client that
    // does not read gets a second to take it.
    outbox.shutdown(false);
    if timeout(Duration::from_secs(1), &mut delivery)
        .await
        .is_err()
    {
        delivery.cancel();
    }
}

/// Asks for a nickname, joins the room, then broadcasts every line until
/// the client closes its side (`Ok`) or the connection fails (`Err`).
async fn converse(room: &Room, guest: u64, lines: &mut Lines, outbox: &Outbox) -> io::Result<()> {
    send(outbox, "Welcome to corio chat! Your nickname?\n")?;
    let nick = loop {
        let Some(line) = lines.next().await? else {
            return Ok(()); // gone before choosing a nickname
        };
        let nick = line.trim();
        if nick.is_empty() {
            send(outbox, "Please type a nickname:\n")?;
        } else if nick.chars().count() > MAX_NICK {
            send(outbox, &format!("At most {MAX_NICK} characters, please:\n"))?;
        } else if room.nick_taken(nick) {
            send(outbox, &format!("{nick} is taken; pick another:\n"))?;
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
            outbox: outbox.clone(),
            session,
        },
    );
    println!("[room] guest {guest} is {nick}");
    if others.is_empty() {
        send(
            outbox,
            &format!("* Welcome, {nick}! You are the first one here.\n"),
        )?;
    } else {
        let here = others.join(", ");
        send(outbox, &format!("* Welcome, {nick}! Also here: {here}\n"))?;
    }
    room.broadcast(Some(guest), format!("* {nick} joined\n"));

    while let Some(line) = lines.next().await? {
        if !line.trim().is_empty() {
            room.broadcast(Some(guest), format!("{nick}: {line}\n"));
        }
    }
    Ok(())
}

/// Puts a line in this client's own outbox.
fn send(outbox: &Outbox, text: &str) -> io::Result<()> {
    outbox
        .put_nowait(text.into())
        .map_err(|_| io::Error::other("the client does not read what it is sent"))
}

/// The consumer: writes the outbox to the socket, line after line, until the
/// outbox is shut down or the client is gone.
async fn deliver(mut writer: OwnedWriteHalf<TcpStream>, outbox: Outbox) {
    while let Ok(text) = outbox.get().await {
        if writer.write_all(text.as_bytes()).await.is_err() {
            // The client is gone. Its session will read that too and leave
            // the room; until then its outbox fills, and at worst the room
            // drops it.
            return;
        }
    }
}

/// Lines from a read half: bytes are buffered until a `\n` (a `\r` before
/// it is dropped, for telnet-style clients). Lines that are not UTF-8 are
/// decoded lossily.
struct Lines {
    reader: OwnedReadHalf<TcpStream>,
    buf: Vec<u8>,
}

impl Lines {
    fn new(reader: OwnedReadHalf<TcpStream>) -> Lines {
        Lines {
            reader,
            buf: Vec::new(),
        }
    }

    /// The next line; `None` at EOF.
    async fn next(&mut self) -> io::Result<Option<String>> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=end).collect();
                return Ok(Some(decode(&line[..end])));
            }
            if self.buf.len() >= MAX_LINE {
                let piece: Vec<u8> = self.buf.drain(..MAX_LINE).collect();
                return Ok(Some(decode(&piece)));
            }
            let mut chunk = [0; MAX_LINE];
            let n = self.reader.read(&mut chunk).await?;
            if n == 0 {
                // EOF: a last line without its `\n` still counts.
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let last = std::mem::take(&mut self.buf);
                return Ok(Some(decode(&last)));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn decode(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    String::from_utf8_lossy(line).into_owned()
}

// ---------------------------------------------------------------------------
// The demo: three scripted clients in the same process
// ---------------------------------------------------------------------------

/// How long a scripted client waits for a line before the demo fails.
const PATIENCE: Duration = Duration::from_secs(5);

/// A scripted client: a corio `TcpStream`, split like the server's.
struct Client {
    name: &'static str,
    lines: Lines,
    writer: OwnedWriteHalf<TcpStream>,
}

impl Client {
    async fn connect(name: &'static str, addr: SocketAddr) -> io::Result<Client> {
        println!("{name:<5} connects");
        let (reader, writer) = TcpStream::connect(addr).await?.into_split();
        Ok(Client {
            name,
            lines: Lines::new(reader),
            writer,
        })
    }

    async fn say(&mut self, line: &str) -> io::Result<()> {
        println!("{:<5} sends    {line:?}", self.name);
        self.writer.write_all(format!("{line}\n").as_bytes()).await
    }

    /// Waits for the next line the room sends this client, and prints it.
    async fn hear(&mut self) -> io::Result<()> {
        match timeout(PATIENCE, self.lines.next()).await {
            Ok(Ok(Some(line))) => {
                println!("{:<5} receives {line:?}", self.name);
                Ok(())
            }
            Ok(Ok(None)) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{}: the room closed the connection", self.name),
            )),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{}: nothing heard for {} s", self.name, PATIENCE.as_secs()),
            )),
        }
    }

    /// Closes the connection: both halves dropped.
    fn leave(self) {
        println!("{:<5} leaves", self.name);
    }
}

async fn demo() -> ExitCode {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding port 0 on loopback");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    println!("[room] open (on a port the OS chose)");
    let room = Rc::new(Room::new(false));
    let server = corio::spawn(serve(listener, room, Some(3)));

    if let Err(e) = script(addr).await {
        eprintln!("chat --demo: {e}");
        return ExitCode::FAILURE;
    }
    // The server took its three guests; it ends when their sessions have.
    match timeout(PATIENCE, server).await {
        Ok(Ok(())) => {
            println!("demo done");
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("chat --demo: the server task failed: {e}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("chat --demo: the server did not close");
            ExitCode::FAILURE
        }
    }
}

/// The conversation. Each `hear` names who must receive what: the order of
/// the printout is the script's, whatever order the bytes travel in.
async fn script(addr: SocketAddr) -> io::Result<()> {
    let mut alice = Client::connect("alice", addr).await?;
    alice.hear().await?; // the nickname prompt
    alice.say("alice").await?;
    alice.hear().await?; // welcome, first one here

    let mut bob = Client::connect("bob", addr).await?;
    bob.hear().await?;
    bob.say("bob").await?;
    bob.hear().await?; // welcome, alice is here
    alice.hear().await?; // bob joined

    let mut carol = Client::connect("carol", addr).await?;
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

    bob.say("hi alice! carol, are you staying?").await?;
    alice.hear().await?;
    carol.hear().await?;

    carol.say("no, off I go. bye!").await?;
    alice.hear().await?;
    bob.hear().await?;
    carol.leave();
    alice.hear().await?; // carol left
    bob.hear().await?; // carol left

    alice.leave();
    bob.hear().await?; // alice left
    bob.leave();
    Ok(())
}
