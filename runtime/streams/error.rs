//! The errors of stream reads, with asyncio's names: `LimitOverrunError`
//! (the separator was not found within `limit` bytes) and
//! `IncompleteReadError` (EOF came before the read was complete, with the
//! bytes that did arrive).
//!
//! Both are fields of [`StreamError`], the error of the reads that can end
//! in them; it converts into `io::Error` so that `?` works in a function
//! returning `io::Result` (the original stays inside, reachable with
//! `io::Error::get_ref` and `downcast_ref`).

use std::error::Error;
use std::fmt;
use std::io;

/// `readuntil` / `readline` found no separator within the reader's limit.
///
/// `consumed` is asyncio's: how many bytes the reader had searched (or, when
/// the separator was found too far away, where it starts). After
/// `readuntil`, the bytes stay in the reader's buffer (read them with
/// `read(n)`); `readline` discards the overlong line, as asyncio does.
/// `separator_found` tells the two cases apart, which asyncio leaves to a
/// guess: `true` if the separator had arrived (so `readline` discarded the
/// whole line, separator included), `false` if the rest of the line is still
/// to come — a line-based protocol then skips up to the next separator.
///
/// ```
/// let e = corio::streams::LimitOverrunError { consumed: 70_000, separator_found: false };
/// assert!(e.to_string().contains("70000"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitOverrunError {
    /// Bytes searched (or the separator's position) when the limit was hit.
    pub consumed: usize,
    /// The separator was in the buffer, beyond the limit.
    pub separator_found: bool,
}

impl fmt::Display for LimitOverrunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "separator not found within the stream reader's limit ({} bytes consumed)",
            self.consumed
        )
    }
}

impl Error for LimitOverrunError {}

/// The stream ended before the read was complete: `readexactly` got fewer
/// than `expected` bytes, or `readuntil` reached EOF without the separator
/// (`expected` is then `None`). `partial` holds what did arrive — it has
/// left the reader's buffer, as in asyncio.
///
/// ```
/// let e = corio::streams::IncompleteReadError { partial: b"ab".to_vec(), expected: Some(4) };
/// assert_eq!(e.to_string(), "2 bytes read on a total of 4 expected bytes");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteReadError {
    /// The bytes read before EOF.
    pub partial: Vec<u8>,
    /// How many bytes were wanted (`None`: up to a separator).
    pub expected: Option<usize>,
}

impl fmt::Display for IncompleteReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expected {
            Some(n) => write!(
                f,
                "{} bytes read on a total of {n} expected bytes",
                self.partial.len()
            ),
            None => write!(
                f,
                "{} bytes read on a total of undefined expected bytes",
                self.partial.len()
            ),
        }
    }
}

impl Error for IncompleteReadError {}

/// Why a [`StreamReader`](super::StreamReader) read failed.
///
/// ```
/// use corio::streams::StreamError;
/// let e = StreamError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
/// let io: std::io::Error = e.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::ConnectionReset);
/// ```
#[derive(Debug)]
pub enum StreamError {
    /// The transport failed (reset, …), or the arguments were bad.
    Io(io::Error),
    /// No separator within the limit.
    LimitOverrun(LimitOverrunError),
    /// EOF before the read was complete.
    IncompleteRead(IncompleteReadError),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Io(e) => e.fmt(f),
            StreamError::LimitOverrun(e) => e.fmt(f),
            StreamError::IncompleteRead(e) => e.fmt(f),
        }
    }
}

impl Error for StreamError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            StreamError::Io(e) => Some(e),
            StreamError::LimitOverrun(e) => Some(e),
            StreamError::IncompleteRead(e) => Some(e),
        }
    }
}

impl From<io::Error> for StreamError {
    fn from(e: io::Error) -> StreamError {
        StreamError::Io(e)
    }
}

impl From<LimitOverrunError> for StreamError {
    fn from(e: LimitOverrunError) -> StreamError {
        StreamError::LimitOverrun(e)
    }
}

impl From<IncompleteReadError> for StreamError {
    fn from(e: IncompleteReadError) -> StreamError {
        StreamError::IncompleteRead(e)
    }
}

/// `LimitOverrun` becomes `InvalidData`, `IncompleteRead` `UnexpectedEof`;
/// the original is the `io::Error`'s inner error.
impl From<StreamError> for io::Error {
    fn from(e: StreamError) -> io::Error {
        match e {
            StreamError::Io(e) => e,
            StreamError::LimitOverrun(e) => io::Error::new(io::ErrorKind::InvalidData, e),
            StreamError::IncompleteRead(e) => io::Error::new(io::ErrorKind::UnexpectedEof, e),
        }
    }
}
