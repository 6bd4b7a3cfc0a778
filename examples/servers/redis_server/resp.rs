//! RESP2, the Redis wire protocol: reading commands out of a byte buffer and
//! writing replies into one.
//!
//! A client sends each command as an array of bulk strings —
//! `*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n` is `GET key` — or, typed by a human
//! (and by `redis-benchmark -t ping_inline`), as one "inline" line of words:
//! `PING\r\n`. Replies are one of five shapes: `+OK` (a status), `-ERR ...`
//! (an error), `:42` (an integer), `$3\r\nbar` (a bulk string, `$-1` for
//! nil) and `*N` followed by N replies (an array).
//!
//! Why the parser returns ranges instead of strings. A pipelining client
//! sends many commands in one packet; the server reads them all in one
//! `read` and should answer them without copying or allocating per command.
//! [`parse_command`] looks at the bytes where they lie (the reader's buffer)
//! and records each argument as a `start..end` range into it, in a `Vec` the
//! connection reuses for every command. A command cut in half by the end of
//! the buffer is [`Parsed::Incomplete`]: nothing is consumed, and the caller
//! parses it again once more bytes came.
//!
//! Limits, as Redis's: at most 1,048,576 arguments, a bulk string of at most
//! 512 MiB, an inline line of at most 64 KiB. A header that asks for more is
//! a protocol error *before* anything is allocated for it — a client that
//! announces a 2^40-byte string gets an error, not an allocation.

use std::ops::Range;

/// The longest bulk string a client may send (Redis's `proto-max-bulk-len`).
pub const MAX_BULK_LEN: usize = 512 * 1024 * 1024;
/// The most arguments one command may have.
pub const MAX_ARGS: usize = 1024 * 1024;
/// The longest inline command, and the longest `*N` / `$N` header line.
pub const MAX_INLINE_LEN: usize = 64 * 1024;

/// The result of looking for one command at the front of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole command, `len` bytes long; its arguments are in `args`.
    /// (An empty inline line is a command with no arguments: skip it.)
    Command { len: usize },
    /// The buffer ends inside a command: read more, then parse again.
    Incomplete,
}

/// A client broke the protocol: the server answers `-ERR Protocol error:
/// {0}` and closes the connection, as Redis does.
#[derive(Debug, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(what: &str) -> ProtocolError {
        ProtocolError(what.to_string())
    }
}

/// Parses one command at the start of `buf`, recording its arguments as
/// ranges of `buf` in `args` (cleared first).
pub fn parse_command(buf: &[u8], args: &mut Vec<Range<usize>>) -> Result<Parsed, ProtocolError> {
    args.clear();
    match buf.first() {
        None => Ok(Parsed::Incomplete),
        Some(b'*') => parse_array(buf, args),
        Some(_) => parse_inline(buf, args),
    }
}

/// `*N\r\n` then N times `$LEN\r\nBYTES\r\n`.
fn parse_array(buf: &[u8], args: &mut Vec<Range<usize>>) -> Result<Parsed, ProtocolError> {
    let Some((count, mut at)) = header(buf, 0, "too big mbulk count string")? else {
        return Ok(Parsed::Incomplete);
    };
    let count = match count {
        Some(n) if n <= MAX_ARGS as u64 => n as usize,
        // `*-1` is accepted by Redis and ignored (as `*0` is).
        None if buf[1] == b'-' => return Ok(Parsed::Command { len: at }),
        _ => return Err(ProtocolError::new("invalid multibulk length")),
    };
    for _ in 0..count {
        match buf.get(at) {
            None => return Ok(Parsed::Incomplete),
            Some(b'$') => {}
            Some(&other) => {
                let got = char::from(other);
                return Err(ProtocolError(format!("expected '$', got '{got}'")));
            }
        }
        let Some((len, data_at)) = header(buf, at, "too big bulk count string")? else {
            return Ok(Parsed::Incomplete);
        };
        let len = match len {
            Some(n) if n <= MAX_BULK_LEN as u64 => n as usize,
            _ => return Err(ProtocolError::new("invalid bulk length")),
        };
        let end = data_at + len;
        if buf.len() < end + 2 {
            return Ok(Parsed::Incomplete);
        }
        if &buf[end..end + 2] != b"\r\n" {
            return Err(ProtocolError::new("bulk string not terminated by CRLF"));
        }
        args.push(data_at..end);
        at = end + 2;
    }
    Ok(Parsed::Command { len: at })
}

/// Reads the `*N\r\n` or `$N\r\n` header at `buf[at..]` (the first byte is the
/// sigil). `Ok(None)`: the line is not complete yet. `Some((None, _))`: the
/// number is not a non-negative decimal. Otherwise the number and where the
/// line ends.
#[allow(clippy::type_complexity)]
fn header(
    buf: &[u8],
    at: usize,
    too_long: &'static str,
) -> Result<Option<(Option<u64>, usize)>, ProtocolError> {
    let line = &buf[at + 1..];
    let Some(cr) = line.iter().position(|&b| b == b'\r') else {
        if line.len() > MAX_INLINE_LEN {
            return Err(ProtocolError::new(too_long));
        }
        return Ok(None);
    };
    if line.len() < cr + 2 {
        return Ok(None);
    }
    Ok(Some((parse_u64(&line[..cr]), at + 1 + cr + 2)))
}

/// A non-negative decimal that fits in a u64, with no sign or spaces.
/// (Nineteen digits always fit, so longer numbers are refused outright.)
pub fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
    })
}

/// A signed decimal as Redis reads integers (`INCRBY key -5`, `EX 10`).
pub fn parse_i64(text: &[u8]) -> Option<i64> {
    match text.split_first() {
        Some((b'-', digits)) => {
            let n = parse_u64(digits)?;
            0i64.checked_sub_unsigned(n)
        }
        _ => i64::try_from(parse_u64(text)?).ok(),
    }
}

/// One line of words separated by spaces, ended by `\n` (`\r\n` too).
/// Quoting, which Redis also allows here, is not supported: a quote is an
/// ordinary byte.
fn parse_inline(buf: &[u8], args: &mut Vec<Range<usize>>) -> Result<Parsed, ProtocolError> {
    let Some(newline) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > MAX_INLINE_LEN {
            return Err(ProtocolError::new("too big inline request"));
        }
        return Ok(Parsed::Incomplete);
    };
    let line_end = if newline > 0 && buf[newline - 1] == b'\r' {
        newline - 1
    } else {
        newline
    };
    let mut word_start = None;
    for (i, &b) in buf[..line_end].iter().enumerate() {
        match (b == b' ' || b == b'\t', word_start) {
            (true, Some(start)) => {
                args.push(start..i);
                word_start = None;
            }
            (false, None) => word_start = Some(i),
            _ => {}
        }
    }
    if let Some(start) = word_start {
        args.push(start..line_end);
    }
    Ok(Parsed::Command { len: newline + 1 })
}

// ---------------------------------------------------------------------------
// Replies: each appends one RESP value to the connection's output buffer.
// ---------------------------------------------------------------------------

/// `+OK`, `+PONG`: a status line.
pub fn status(out: &mut Vec<u8>, text: &str) {
    out.push(b'+');
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `-ERR ...`: `text` includes the error's kind (`ERR`, `NOPROTO`).
pub fn error(out: &mut Vec<u8>, text: &str) {
    out.push(b'-');
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `:N`.
pub fn integer(out: &mut Vec<u8>, n: i64) {
    out.push(b':');
    push_decimal(out, n);
    out.extend_from_slice(b"\r\n");
}

/// `$LEN\r\nBYTES\r\n`.
pub fn bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'$');
    push_decimal(out, bytes.len() as i64);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// `$-1`: nil, the answer for a missing key.
pub fn nil(out: &mut Vec<u8>) {
    out.extend_from_slice(b"$-1\r\n");
}

/// `*N`: the header of an array; the caller appends N replies after it.
pub fn array_header(out: &mut Vec<u8>, len: usize) {
    out.push(b'*');
    push_decimal(out, len as i64);
    out.extend_from_slice(b"\r\n");
}

/// Appends `n` in decimal without `format!` (which would go through the
/// formatting machinery for every reply).
pub fn push_decimal(out: &mut Vec<u8>, n: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
}
