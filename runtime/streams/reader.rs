//! `StreamReader`: asyncio's buffered reader — `read`, `readline`,
//! `readuntil`, `readexactly` — over any `futures_io::AsyncRead`.
//!
//! Why a buffer makes every read cancel-safe: bytes move from the transport
//! into the reader's own buffer, and a read takes them out of the buffer only
//! in the step where it returns. A read dropped half-way (a `timeout` around
//! `readline`) leaves whatever arrived in the buffer for the next read; no
//! future ever holds bytes of its own.
//!
//! The buffer is one `Vec<u8>` with a window `start..end` of unread bytes:
//! taking a line moves `start`, and the unread tail is moved to the front
//! only when the free space at the end runs short, so a burst of short lines
//! costs one `read` syscall per buffer-full and no copying but the line
//! itself. It is allocated when the first bytes arrive (an idle connection costs no
//! buffer) and grows only when unread bytes fill it. `limit` bounds what a
//! separator search may buffer: a line longer than `limit` is an error
//! ([`LimitOverrunError`]), never an unbounded buffer.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use futures_io::{AsyncBufRead, AsyncRead};

use super::error::{IncompleteReadError, LimitOverrunError, StreamError};

/// asyncio's default limit: 64 KiB.
const DEFAULT_LIMIT: usize = 64 * 1024;
/// The buffer's size once the first bytes came.
const FIRST_CAPACITY: usize = 16 * 1024;
/// The most the first read takes (into a stack array; see `poll_first_fill`).
const FIRST_READ: usize = 2 * 1024;
/// Less free space than this at the end of the buffer, and the unread bytes
/// are moved to the front (or the buffer grows) before the next read.
const MIN_READ: usize = 4 * 1024;

/// A buffered reader with asyncio's `StreamReader` methods.
///
/// Made by [`open_connection`](super::open_connection), by
/// [`start_server`](super::start_server) for each client, or over any
/// `AsyncRead` with [`StreamReader::new`].
///
/// ```
/// corio::run(async {
///     let data: &[u8] = b"hello\nworld\n";
///     let mut reader = corio::streams::StreamReader::new(data);
///     assert_eq!(reader.readline().await.unwrap(), b"hello\n");
///     assert_eq!(reader.readuntil(b"ld").await.unwrap(), b"world");
///     assert_eq!(reader.read_to_eof().await.unwrap(), b"\n");
///     assert!(reader.at_eof());
/// });
/// ```
pub struct StreamReader {
    transport: Box<dyn AsyncRead + Unpin>,
    /// `buf[start..end]` are the bytes read from the transport and not yet
    /// returned; the rest is room for the next read.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The transport returned EOF (bytes may still be buffered).
    eof: bool,
    limit: usize,
}

impl StreamReader {
    /// A reader over `reader` with the default limit (64 KiB).
    ///
    /// ```
    /// let reader = corio::streams::StreamReader::new(&b"x"[..]);
    /// assert_eq!(reader.limit(), 64 * 1024);
    /// ```
    pub fn new<R: AsyncRead + Unpin + 'static>(reader: R) -> StreamReader {
        StreamReader::with_limit(reader, DEFAULT_LIMIT)
    }

    /// A reader over `reader` whose separator searches give up after `limit`
    /// bytes.
    ///
    /// # Panics
    ///
    /// When `limit` is 0 (asyncio: "Limit cannot be <= 0").
    ///
    /// ```
    /// let reader = corio::streams::StreamReader::with_limit(&b"x"[..], 100);
    /// assert_eq!(reader.limit(), 100);
    /// ```
    pub fn with_limit<R: AsyncRead + Unpin + 'static>(reader: R, limit: usize) -> StreamReader {
        assert!(limit > 0, "StreamReader limit cannot be 0");
        StreamReader {
            transport: Box::new(reader),
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            limit,
        }
    }

    /// The separator-search limit.
    ///
    /// ```
    /// assert_eq!(corio::streams::StreamReader::new(&b""[..]).limit(), 65_536);
    /// ```
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// `true` when the transport reached EOF and every byte was read.
    ///
    /// ```
    /// corio::run(async {
    ///     let mut r = corio::streams::StreamReader::new(&b"ab"[..]);
    ///     assert!(!r.at_eof());
    ///     r.readexactly(2).await.unwrap();
    ///     assert!(!r.at_eof()); // EOF not seen yet
    ///     assert_eq!(r.read(10).await.unwrap(), b"");
    ///     assert!(r.at_eof());
    /// });
    /// ```
    pub fn at_eof(&self) -> bool {
        self.eof && self.start == self.end
    }

    /// Up to `n` bytes: what is buffered, or — when nothing is — what one
    /// read of the transport brings. Empty at EOF (and for `n == 0`).
    /// asyncio's `read(n)`; its `read(-1)` is [`read_to_eof`](Self::read_to_eof).
    ///
    /// # Errors
    ///
    /// The transport's error.
    ///
    /// ```
    /// corio::run(async {
    ///     let mut r = corio::streams::StreamReader::new(&b"abcdef"[..]);
    ///     assert_eq!(r.read(4).await.unwrap(), b"abcd");
    ///     assert_eq!(r.read(usize::MAX).await.unwrap(), b"ef");
    ///     assert_eq!(r.read(4).await.unwrap(), b"");
    /// });
    /// ```
    pub async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
        poll_fn(|cx| self.poll_read_some(cx, n)).await
    }

    /// Every byte up to EOF: asyncio's `read(-1)`. The bytes are buffered
    /// until EOF, so this holds the whole rest of the stream in memory.
    ///
    /// # Errors
    ///
    /// The transport's error (the bytes read so far stay buffered).
    ///
    /// ```
    /// corio::run(async {
    ///     let mut r = corio::streams::StreamReader::new(&b"all of it"[..]);
    ///     assert_eq!(r.read_to_eof().await.unwrap(), b"all of it");
    /// });
    /// ```
    pub async fn read_to_eof(&mut self) -> io::Result<Vec<u8>> {
        poll_fn(|cx| {
            while !self.eof {
                ready!(self.poll_fill(cx))?;
            }
            Poll::Ready(Ok(self.take(self.end - self.start)))
        })
        .await
    }

    /// Exactly `n` bytes. `readexactly(0)` is empty at once; an absurd `n`
    /// (`usize::MAX`) reads to EOF and fails there — the buffer grows with
    /// what arrives, never by `n` up front.
    ///
    /// # Errors
    ///
    /// [`StreamError::IncompleteRead`] with the bytes that arrived when EOF
    /// comes first (they leave the buffer); `Io` for the transport's error.
    ///
    /// ```
    /// use corio::streams::{StreamError, StreamReader};
    /// corio::run(async {
    ///     let mut r = StreamReader::new(&b"abc"[..]);
    ///     assert_eq!(r.readexactly(2).await.unwrap(), b"ab");
    ///     match r.readexactly(5).await {
    ///         Err(StreamError::IncompleteRead(e)) => assert_eq!(e.partial, b"c"),
    ///         other => panic!("{other:?}"),
    ///     }
    /// });
    /// ```
    pub async fn readexactly(&mut self, n: usize) -> Result<Vec<u8>, StreamError> {
        poll_fn(|cx| loop {
            if self.end - self.start >= n {
                return Poll::Ready(Ok(self.take(n)));
            }
            if self.eof {
                let partial = self.take(self.end - self.start);
                return Poll::Ready(Err(IncompleteReadError {
                    partial,
                    expected: Some(n),
                }
                .into()));
            }
            ready!(self.poll_fill(cx))?;
        })
        .await
    }

    /// Bytes up to and including `separator`.
    ///
    /// # Errors
    ///
    /// * [`StreamError::LimitOverrun`] when the separator is not within
    ///   `limit` bytes — the bytes stay buffered (asyncio), so `read(n)` can
    ///   take them;
    /// * [`StreamError::IncompleteRead`] at EOF without the separator, with
    ///   the remaining bytes (`expected: None`);
    /// * `Io`: the transport's error, or `InvalidInput` for an empty
    ///   separator.
    ///
    /// ```
    /// corio::run(async {
    ///     let mut r = corio::streams::StreamReader::new(&b"key: value\r\n\r\nbody"[..]);
    ///     assert_eq!(r.readuntil(b"\r\n\r\n").await.unwrap(), b"key: value\r\n\r\n");
    /// });
    /// ```
    pub async fn readuntil(&mut self, separator: &[u8]) -> Result<Vec<u8>, StreamError> {
        let mut searched = 0;
        poll_fn(|cx| {
            let n = ready!(self.poll_find(cx, separator, &mut searched))?;
            Poll::Ready(Ok(self.take(n)))
        })
        .await
    }

    /// One line, `\n` included; at EOF the last bytes without a `\n`, then
    /// empty lines.
    ///
    /// # Errors
    ///
    /// [`StreamError::LimitOverrun`] for a line longer than `limit`: as in
    /// asyncio, the overlong line is dropped from the buffer (up to its `\n`
    /// if that arrived, else all that is buffered) and the next read goes
    /// on after it. `Io`: the transport's error.
    ///
    /// ```
    /// corio::run(async {
    ///     let mut r = corio::streams::StreamReader::new(&b"one\ntwo"[..]);
    ///     assert_eq!(r.readline().await.unwrap(), b"one\n");
    ///     assert_eq!(r.readline().await.unwrap(), b"two");
    ///     assert_eq!(r.readline().await.unwrap(), b"");
    /// });
    /// ```
    pub async fn readline(&mut self) -> Result<Vec<u8>, StreamError> {
        let mut searched = 0;
        poll_fn(|cx| self.poll_readline(cx, &mut searched)).await
    }

    /// The lines as a `futures_core::Stream` (asyncio's `async for line in
    /// reader`): each item is a [`readline`](Self::readline), and the stream
    /// ends at EOF. It takes the reader (so it can be stored or moved into
    /// a task — and so this method, not `futures::AsyncBufReadExt::lines`,
    /// is the one called); [`Lines::into_inner`] gives it back.
    ///
    /// ```
    /// use futures::StreamExt;
    /// corio::run(async {
    ///     let r = corio::streams::StreamReader::new(&b"a\nb\n"[..]);
    ///     let lines: Vec<_> = r.lines().map(Result::unwrap).collect().await;
    ///     assert_eq!(lines, [b"a\n".to_vec(), b"b\n".to_vec()]);
    /// });
    /// ```
    pub fn lines(self) -> Lines {
        Lines {
            reader: self,
            searched: 0,
        }
    }

    fn poll_readline(
        &mut self,
        cx: &mut Context<'_>,
        searched: &mut usize,
    ) -> Poll<Result<Vec<u8>, StreamError>> {
        let result = match ready!(self.poll_find(cx, b"\n", searched)) {
            Ok(n) => Ok(self.take(n)),
            Err(StreamError::IncompleteRead(e)) => Ok(e.partial),
            Err(StreamError::LimitOverrun(e)) => {
                if e.separator_found {
                    self.consume(e.consumed + 1);
                } else {
                    self.consume(self.end - self.start);
                }
                Err(StreamError::LimitOverrun(e))
            }
            Err(e) => Err(e),
        };
        Poll::Ready(result)
    }

    /// Finds `separator` in the buffer, reading more as needed; returns the
    /// length of the chunk up to and including it. `searched` carries how
    /// far previous polls looked, so each byte is searched once.
    fn poll_find(
        &mut self,
        cx: &mut Context<'_>,
        separator: &[u8],
        searched: &mut usize,
    ) -> Poll<Result<usize, StreamError>> {
        if separator.is_empty() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the separator must be at least one byte",
            )
            .into()));
        }
        loop {
            let unread = &self.buf[self.start..self.end];
            if unread.len() >= *searched + separator.len() {
                if let Some(at) = find(&unread[*searched..], separator) {
                    let at = *searched + at;
                    if at > self.limit {
                        return Poll::Ready(Err(LimitOverrunError {
                            consumed: at,
                            separator_found: true,
                        }
                        .into()));
                    }
                    return Poll::Ready(Ok(at + separator.len()));
                }
                // The separator could still start in the last few bytes.
                *searched = unread.len() + 1 - separator.len();
                if *searched > self.limit {
                    return Poll::Ready(Err(LimitOverrunError {
                        consumed: *searched,
                        separator_found: false,
                    }
                    .into()));
                }
            }
            if self.eof {
                let partial = self.take(self.end - self.start);
                *searched = 0;
                return Poll::Ready(Err(IncompleteReadError {
                    partial,
                    expected: None,
                }
                .into()));
            }
            ready!(self.poll_fill(cx))?;
        }
    }

    /// What is buffered, or one read's worth; empty at EOF.
    fn poll_read_some(&mut self, cx: &mut Context<'_>, n: usize) -> Poll<io::Result<Vec<u8>>> {
        if n == 0 {
            return Poll::Ready(Ok(Vec::new()));
        }
        while self.start == self.end && !self.eof {
            ready!(self.poll_fill(cx))?;
        }
        Poll::Ready(Ok(self.take(n.min(self.end - self.start))))
    }

    /// Reads once from the transport into the buffer: `Ok(0)` is EOF. The
    /// only place bytes enter the buffer.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        if self.buf.is_empty() {
            return self.poll_first_fill(cx);
        }
        self.make_room();
        loop {
            let room = &mut self.buf[self.end..];
            match Pin::new(&mut *self.transport).poll_read(cx, room) {
                Poll::Ready(Ok(0)) => {
                    self.eof = true;
                    return Poll::Ready(Ok(0));
                }
                Poll::Ready(Ok(n)) => {
                    self.end += n;
                    return Poll::Ready(Ok(n));
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// The first read, into a small array on the stack: the buffer is
    /// allocated only once bytes came, so a connection that waits before
    /// its first byte (10,000 idle clients of a server) costs no buffer.
    fn poll_first_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut first = [0u8; FIRST_READ];
        loop {
            match Pin::new(&mut *self.transport).poll_read(cx, &mut first) {
                Poll::Ready(Ok(0)) => {
                    self.eof = true;
                    return Poll::Ready(Ok(0));
                }
                Poll::Ready(Ok(n)) => {
                    self.buf.resize(FIRST_CAPACITY, 0);
                    self.buf[..n].copy_from_slice(&first[..n]);
                    self.start = 0;
                    self.end = n;
                    return Poll::Ready(Ok(n));
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// Ensures at least `MIN_READ` bytes of room after `end`: first by
    /// moving the unread bytes to the front, then by doubling the buffer.
    fn make_room(&mut self) {
        if self.buf.len() - self.end >= MIN_READ {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < MIN_READ {
            let grown = (self.buf.len() * 2).max(FIRST_CAPACITY);
            self.buf.resize(grown, 0);
        }
    }

    /// Takes the first `n` unread bytes out of the buffer.
    fn take(&mut self, n: usize) -> Vec<u8> {
        let taken = self.buf[self.start..self.start + n].to_vec();
        self.consume(n);
        taken
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }
}

/// Where `separator` first occurs in `haystack`.
fn find(haystack: &[u8], separator: &[u8]) -> Option<usize> {
    match separator {
        [byte] => find_byte(haystack, *byte),
        _ => haystack
            .windows(separator.len())
            .position(|window| window == separator),
    }
}

/// Where `needle` first occurs in `haystack`, two machine words at a time.
///
/// A byte-by-byte `position` costs about a nanosecond per byte, which is most
/// of `readline`'s time for short lines (the readline benchmark measured it).
/// Here each word is XORed with the needle repeated in every byte, so a
/// matching byte becomes zero; `(w - 0x01..01) & !w & 0x80..80` is non-zero
/// exactly when some byte of `w` is zero (a borrow can only start at a zero
/// byte, and the lowest zero byte always sets its own high bit). The word
/// that has one is then searched byte by byte.
fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    const WORD: usize = std::mem::size_of::<usize>();
    const ONES: usize = usize::from_ne_bytes([0x01; WORD]);
    const HIGHS: usize = usize::from_ne_bytes([0x80; WORD]);
    let has_zero_byte = |w: usize| w.wrapping_sub(ONES) & !w & HIGHS != 0;
    let repeated = ONES * usize::from(needle);
    let word_at = |chunk: &[u8], at: usize| {
        let bytes: [u8; WORD] = chunk[at..at + WORD].try_into().expect("a whole word");
        usize::from_ne_bytes(bytes) ^ repeated
    };
    let mut chunks = haystack.chunks_exact(2 * WORD);
    let mut offset = 0;
    for chunk in &mut chunks {
        if has_zero_byte(word_at(chunk, 0)) || has_zero_byte(word_at(chunk, WORD)) {
            break;
        }
        offset += 2 * WORD;
    }
    haystack[offset..]
        .iter()
        .position(|&b| b == needle)
        .map(|at| offset + at)
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("buffered", &(self.end - self.start))
            .field("eof", &self.eof)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// Reads through the buffer: buffered bytes first, then the transport.
impl AsyncRead for StreamReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if out.is_empty() {
            return Poll::Ready(Ok(0));
        }
        while this.start == this.end && !this.eof {
            ready!(this.poll_fill(cx))?;
        }
        let n = out.len().min(this.end - this.start);
        out[..n].copy_from_slice(&this.buf[this.start..this.start + n]);
        this.consume(n);
        Poll::Ready(Ok(n))
    }
}

/// The buffer itself, for `futures::AsyncBufReadExt` (`read_line`, `lines`,
/// `read_until`) and `futures::io::copy_buf`.
impl AsyncBufRead for StreamReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        while this.start == this.end && !this.eof {
            ready!(this.poll_fill(cx))?;
        }
        Poll::Ready(Ok(&this.buf[this.start..this.end]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        StreamReader::consume(this, amt.min(this.end - this.start));
    }
}

/// The stream of [`StreamReader::lines`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Lines {
    reader: StreamReader,
    searched: usize,
}

impl Lines {
    /// The reader back, with whatever it has buffered.
    ///
    /// ```
    /// use futures::StreamExt;
    /// corio::run(async {
    ///     let mut lines = corio::streams::StreamReader::new(&b"head\nbody"[..]).lines();
    ///     assert_eq!(lines.next().await.unwrap().unwrap(), b"head\n");
    ///     let mut reader = lines.into_inner();
    ///     assert_eq!(reader.read_to_eof().await.unwrap(), b"body");
    /// });
    /// ```
    pub fn into_inner(self) -> StreamReader {
        self.reader
    }
}

impl Stream for Lines {
    type Item = Result<Vec<u8>, StreamError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let line = ready!(this.reader.poll_readline(cx, &mut this.searched));
        this.searched = 0;
        Poll::Ready(match line {
            Ok(line) if line.is_empty() => None,
            other => Some(other),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{find_byte, StreamReader, FIRST_CAPACITY};
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    /// A transport with nothing to read yet.
    struct Silent;

    impl futures_io::AsyncRead for Silent {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut [u8],
        ) -> Poll<std::io::Result<usize>> {
            Poll::Pending
        }
    }

    #[test]
    fn reader_waiting_for_its_first_byte_allocates_no_buffer() {
        let mut reader = StreamReader::new(Silent);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(reader.poll_fill(&mut cx).is_pending());
        assert_eq!(reader.buf.capacity(), 0);
    }

    #[test]
    fn first_bytes_allocate_the_buffer_and_are_kept() {
        let mut reader = StreamReader::new(&b"hello"[..]);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(reader.poll_fill(&mut cx), Poll::Ready(Ok(5))));
        assert_eq!(reader.buf.len(), FIRST_CAPACITY);
        assert_eq!(&reader.buf[reader.start..reader.end], b"hello");
    }

    #[test]
    fn find_byte_agrees_with_a_plain_search_at_every_position() {
        // Bytes next to the needle and with the high bit set are where a
        // word-at-a-time test could go wrong.
        for needle in [b'\n', 0x00, 0x80, 0xff] {
            let others = [
                needle.wrapping_sub(1),
                needle.wrapping_add(1),
                0x80,
                0x7f,
                0x00,
                0xff,
            ];
            for len in 0..48 {
                for filler in others.iter().filter(|&&b| b != needle) {
                    let mut haystack = vec![*filler; len];
                    assert_eq!(find_byte(&haystack, needle), None);
                    for at in 0..len {
                        haystack[at] = needle;
                        let expected = haystack.iter().position(|&b| b == needle);
                        assert_eq!(find_byte(&haystack, needle), expected, "{haystack:?}");
                        haystack[at] = *filler;
                    }
                }
            }
        }
    }
}
