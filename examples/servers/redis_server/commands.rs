//! The commands: from a parsed command (ranges into the read buffer) to a
//! reply appended to the output buffer.
//!
//! [`execute`] is the whole dispatcher: it finds the command by name
//! (case-insensitively, as Redis does), checks the argument count against
//! the command's *arity* (Redis's convention: `n` means exactly `n` words
//! including the name, `-n` at least `n`), and runs it against the [`Db`].
//! Errors use Redis's exact texts, because clients and their tests match on
//! them.
//!
//! Three commands concern the connection, not the data — `QUIT` and the
//! publish/subscribe family — and are handed back to the caller as an
//! [`Outcome`]: only the connection loop knows its socket and its
//! subscriptions.

use std::ops::Range;
use std::time::{Duration, Instant};

use crate::db::{Db, IncrError, SetOptions, TimeToLive};
use crate::resp;

/// What the connection must do after a command.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The reply is in the output buffer; go on.
    Replied,
    /// `QUIT`: `+OK` is in the buffer; send it and close.
    Quit,
    /// `PUBLISH`, `SUBSCRIBE` or `UNSUBSCRIBE` (arity already checked): the
    /// connection loop answers it.
    PubSub(PubSub),
}

/// The publish/subscribe commands.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum PubSub {
    Publish,
    Subscribe,
    Unsubscribe,
}

/// The arguments of one command: ranges into the buffer they were read into.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    pub buf: &'a [u8],
    pub ranges: &'a [Range<usize>],
}

impl<'a> Args<'a> {
    /// The number of words, the command's name included.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Word `i` (0 is the name).
    pub fn get(&self, i: usize) -> &'a [u8] {
        &self.buf[self.ranges[i].clone()]
    }

    /// Words `from..`.
    pub fn rest(&self, from: usize) -> impl Iterator<Item = &'a [u8]> + 'a {
        let buf = self.buf;
        self.ranges[from..].iter().map(move |r| &buf[r.clone()])
    }
}

const WRONG_INTEGER: &str = "ERR value is not an integer or out of range";

/// Runs one command (at least one word) and appends its reply to `out`.
pub fn execute(args: Args<'_>, db: &mut Db, now: Instant, out: &mut Vec<u8>) -> Outcome {
    let mut name_buf = [0u8; 16];
    let name = uppercase_name(args.get(0), &mut name_buf);
    let Some((arity, lower_name)) = arity(name) else {
        unknown_command(args, out);
        return Outcome::Replied;
    };
    let count = args.len() as i32;
    if (arity > 0 && count != arity) || (arity < 0 && count < -arity) {
        let text = format!("ERR wrong number of arguments for '{lower_name}' command");
        resp::error(out, &text);
        return Outcome::Replied;
    }
    match name {
        b"GET" => match db.get(args.get(1), now) {
            Some(value) => resp::bulk(out, value),
            None => resp::nil(out),
        },
        b"SET" => set(args, db, now, out),
        b"PING" => match args.len() {
            1 => out.extend_from_slice(b"+PONG\r\n"),
            2 => resp::bulk(out, args.get(1)),
            _ => resp::error(out, "ERR wrong number of arguments for 'ping' command"),
        },
        b"ECHO" => resp::bulk(out, args.get(1)),
        b"DEL" => {
            let deleted = args.rest(1).filter(|key| db.delete(key, now)).count();
            resp::integer(out, deleted as i64);
        }
        b"EXISTS" => {
            let found = args.rest(1).filter(|key| db.exists(key, now)).count();
            resp::integer(out, found as i64);
        }
        b"INCR" => increment(db, args.get(1), Some(1), now, out),
        b"DECR" => increment(db, args.get(1), Some(-1), now, out),
        b"INCRBY" => increment(db, args.get(1), resp::parse_i64(args.get(2)), now, out),
        b"DECRBY" => {
            let delta = resp::parse_i64(args.get(2)).and_then(i64::checked_neg);
            increment(db, args.get(1), delta, now, out);
        }
        b"MGET" => {
            resp::array_header(out, args.len() - 1);
            for key in args.rest(1) {
                match db.get(key, now) {
                    Some(value) => resp::bulk(out, value),
                    None => resp::nil(out),
                }
            }
        }
        b"MSET" => {
            if args.len() % 2 == 0 {
                resp::error(out, "ERR wrong number of arguments for 'mset' command");
            } else {
                for pair in args.ranges[1..].chunks_exact(2) {
                    let (key, value) = (&args.buf[pair[0].clone()], &args.buf[pair[1].clone()]);
                    db.set(key, value, SetOptions::default(), now);
                }
                resp::status(out, "OK");
            }
        }
        b"EXPIRE" | b"PEXPIRE" => expire(args, name == b"PEXPIRE", db, now, out),
        b"TTL" | b"PTTL" => {
            let reply = match db.time_to_live(args.get(1), now) {
                TimeToLive::NoKey => -2,
                TimeToLive::Forever => -1,
                // Redis rounds TTL to the nearest second.
                TimeToLive::Remaining(left) if name == b"TTL" => {
                    ((left.as_millis() + 500) / 1000) as i64
                }
                TimeToLive::Remaining(left) => left.as_millis() as i64,
            };
            resp::integer(out, reply);
        }
        b"DBSIZE" => resp::integer(out, db.len() as i64),
        b"SELECT" => match args.get(1) {
            b"0" => resp::status(out, "OK"),
            _ => resp::error(out, "ERR DB index is out of range"),
        },
        b"QUIT" => {
            resp::status(out, "OK");
            return Outcome::Quit;
        }
        b"PUBLISH" => return Outcome::PubSub(PubSub::Publish),
        b"SUBSCRIBE" => return Outcome::PubSub(PubSub::Subscribe),
        b"UNSUBSCRIBE" => return Outcome::PubSub(PubSub::Unsubscribe),
        // What redis-cli and redis-benchmark ask when they start.
        b"COMMAND" => resp::array_header(out, 0),
        b"CONFIG" => config(args, out),
        b"CLIENT" => client(args, out),
        b"HELLO" => hello(args, out),
        b"INFO" => resp::bulk(
            out,
            b"# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\n",
        ),
        _ => unreachable!("every name in `arity` has a branch"),
    }
    Outcome::Replied
}

/// Each command's arity and its name as Redis prints it in errors; `None`
/// for a command this server does not know.
fn arity(name: &[u8]) -> Option<(i32, &'static str)> {
    Some(match name {
        b"GET" => (2, "get"),
        b"SET" => (-3, "set"),
        b"PING" => (-1, "ping"),
        b"ECHO" => (2, "echo"),
        b"DEL" => (-2, "del"),
        b"EXISTS" => (-2, "exists"),
        b"INCR" => (2, "incr"),
        b"DECR" => (2, "decr"),
        b"INCRBY" => (3, "incrby"),
        b"DECRBY" => (3, "decrby"),
        b"MGET" => (-2, "mget"),
        b"MSET" => (-3, "mset"),
        b"EXPIRE" => (3, "expire"),
        b"PEXPIRE" => (3, "pexpire"),
        b"TTL" => (2, "ttl"),
        b"PTTL" => (2, "pttl"),
        b"DBSIZE" => (1, "dbsize"),
        b"SELECT" => (2, "select"),
        b"QUIT" => (-1, "quit"),
        b"PUBLISH" => (3, "publish"),
        b"SUBSCRIBE" => (-2, "subscribe"),
        b"UNSUBSCRIBE" => (-1, "unsubscribe"),
        b"COMMAND" => (-1, "command"),
        b"CONFIG" => (-2, "config"),
        b"CLIENT" => (-2, "client"),
        b"HELLO" => (-1, "hello"),
        b"INFO" => (-1, "info"),
        _ => return None,
    })
}

/// The name in upper case, in `buf` (every known name fits in 16 bytes; a
/// longer one is left as it is and matches nothing).
fn uppercase_name<'a>(name: &'a [u8], buf: &'a mut [u8; 16]) -> &'a [u8] {
    if name.len() > buf.len() {
        return name;
    }
    let upper = &mut buf[..name.len()];
    upper.copy_from_slice(name);
    upper.make_ascii_uppercase();
    upper
}

/// Redis 7's text: `ERR unknown command 'foo', with args beginning with:
/// 'a' 'b' ` (each argument quoted and followed by a space, 128 bytes at
/// most of them).
fn unknown_command(args: Args<'_>, out: &mut Vec<u8>) {
    let name = String::from_utf8_lossy(&args.get(0)[..args.get(0).len().min(128)]);
    let mut text = format!("ERR unknown command '{name}', with args beginning with: ");
    let mut listed = String::new();
    for arg in args.rest(1) {
        let room = 128usize.saturating_sub(listed.len());
        let arg = String::from_utf8_lossy(&arg[..arg.len().min(room)]);
        listed.push_str(&format!("'{arg}' "));
        if listed.len() >= 128 {
            break;
        }
    }
    text.push_str(&listed);
    resp::error(out, &text.replace(['\r', '\n'], " "));
}

/// `SET key value [NX|XX] [EX seconds|PX milliseconds]`.
fn set(args: Args<'_>, db: &mut Db, now: Instant, out: &mut Vec<u8>) {
    let mut options = SetOptions::default();
    let mut i = 3;
    while i < args.len() {
        let mut word_buf = [0u8; 16];
        let word = uppercase_name(args.get(i), &mut word_buf);
        let millis_per_unit = match word {
            b"NX" if !options.only_if_present => {
                options.only_if_missing = true;
                i += 1;
                continue;
            }
            b"XX" if !options.only_if_missing => {
                options.only_if_present = true;
                i += 1;
                continue;
            }
            b"EX" => 1000,
            b"PX" => 1,
            _ => return resp::error(out, "ERR syntax error"),
        };
        if options.expires_at.is_some() || i + 1 >= args.len() {
            return resp::error(out, "ERR syntax error");
        }
        let Some(amount) = resp::parse_i64(args.get(i + 1)) else {
            return resp::error(out, WRONG_INTEGER);
        };
        match deadline(now, amount, millis_per_unit) {
            Some(at) if amount > 0 => options.expires_at = Some(at),
            _ => return resp::error(out, "ERR invalid expire time in 'set' command"),
        }
        i += 2;
    }
    if db.set(args.get(1), args.get(2), options, now) {
        out.extend_from_slice(b"+OK\r\n");
    } else {
        resp::nil(out);
    }
}

/// `now + amount × unit` milliseconds, if representable.
fn deadline(now: Instant, amount: i64, millis_per_unit: u64) -> Option<Instant> {
    let millis = u64::try_from(amount).ok()?.checked_mul(millis_per_unit)?;
    now.checked_add(Duration::from_millis(millis))
}

fn increment(db: &mut Db, key: &[u8], delta: Option<i64>, now: Instant, out: &mut Vec<u8>) {
    let Some(delta) = delta else {
        return resp::error(out, WRONG_INTEGER);
    };
    match db.increment(key, delta, now) {
        Ok(n) => resp::integer(out, n),
        Err(IncrError::NotAnInteger) => resp::error(out, WRONG_INTEGER),
        Err(IncrError::Overflow) => resp::error(out, "ERR increment or decrement would overflow"),
    }
}

/// `EXPIRE key seconds` / `PEXPIRE key milliseconds`: 1 if the key exists.
/// A time of zero or less deletes the key at once.
fn expire(args: Args<'_>, in_millis: bool, db: &mut Db, now: Instant, out: &mut Vec<u8>) {
    let Some(amount) = resp::parse_i64(args.get(2)) else {
        return resp::error(out, WRONG_INTEGER);
    };
    let at = if amount <= 0 {
        Some(now)
    } else {
        deadline(now, amount, if in_millis { 1 } else { 1000 })
    };
    let Some(at) = at else {
        let which = if in_millis { "pexpire" } else { "expire" };
        return resp::error(
            out,
            &format!("ERR invalid expire time in '{which}' command"),
        );
    };
    resp::integer(out, i64::from(db.expire_at(args.get(1), at, now)));
}

/// `CONFIG GET name`: redis-benchmark asks for `save` and `appendonly`.
/// The answer is a flat array of name/value pairs, as Redis 7's.
fn config(args: Args<'_>, out: &mut Vec<u8>) {
    let mut sub_buf = [0u8; 16];
    if uppercase_name(args.get(1), &mut sub_buf) != b"GET" || args.len() != 3 {
        return resp::error(
            out,
            "ERR CONFIG: this server answers only CONFIG GET <name>",
        );
    }
    let value: &[u8] = match args.get(2) {
        b"save" => b"",
        b"appendonly" => b"no",
        _ => return resp::array_header(out, 0),
    };
    resp::array_header(out, 2);
    resp::bulk(out, args.get(2));
    resp::bulk(out, value);
}

/// `CLIENT SETNAME` / `SETINFO` (sent by clients when they start): `+OK`.
fn client(args: Args<'_>, out: &mut Vec<u8>) {
    let mut sub_buf = [0u8; 16];
    match uppercase_name(args.get(1), &mut sub_buf) {
        b"SETNAME" | b"SETINFO" => resp::status(out, "OK"),
        b"GETNAME" => resp::nil(out),
        _ => {
            let sub = String::from_utf8_lossy(args.get(1));
            resp::error(
                out,
                &format!("ERR unknown subcommand '{sub}'. Try CLIENT HELP."),
            );
        }
    }
}

/// `HELLO [2]`: the server's description, as a flat array (RESP2 has no
/// maps). This server speaks only RESP2, so `HELLO 3` is refused the way
/// Redis refuses a version it does not know.
fn hello(args: Args<'_>, out: &mut Vec<u8>) {
    if args.len() > 1 && args.get(1) != b"2" {
        return resp::error(out, "NOPROTO unsupported protocol version");
    }
    resp::array_header(out, 14);
    for (key, value) in [("server", "redis"), ("version", "7.0.0")] {
        resp::bulk(out, key.as_bytes());
        resp::bulk(out, value.as_bytes());
    }
    resp::bulk(out, b"proto");
    resp::integer(out, 2);
    resp::bulk(out, b"id");
    resp::integer(out, 1);
    for (key, value) in [("mode", "standalone"), ("role", "master")] {
        resp::bulk(out, key.as_bytes());
        resp::bulk(out, value.as_bytes());
    }
    resp::bulk(out, b"modules");
    resp::array_header(out, 0);
}
