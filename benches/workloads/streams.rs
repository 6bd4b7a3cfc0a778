//! readline: 1,000,000 lines of 40 bytes (40 MB) sent over a Unix socket
//! pair by a writer task and read back line by line on the same runtime —
//! corio's `StreamReader::readline`, tokio's `BufReader::lines`, and
//! `BufReader::lines` of `futures` on smol.
//!
//! The text is built once, outside the timing. Every member counts its
//! lines and their bytes (without the `\n`, as tokio's `lines` gives them),
//! and the totals are asserted. tokio's `lines` also checks UTF-8 and
//! returns `String`s; corio's `readline` returns the bytes, `\n` included,
//! as asyncio's does: each member uses its runtime's idiomatic line reader.

use std::sync::OnceLock;

use super::runtimes::{corio, smol, tokio_ct, tokio_mt};
use super::{Rt, Workload};

pub const LINES: usize = 1_000_000;
/// Bytes per line, `\n` included.
const LINE: usize = 40;

/// The text: line `i` is `"line 0000000i of the readline workload…\n"`.
fn text() -> &'static [u8] {
    static TEXT: OnceLock<Vec<u8>> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut text = Vec::with_capacity(LINES * LINE);
        for i in 0..LINES {
            let line = format!("line {i:08} of the readline workload");
            text.extend_from_slice(format!("{line:<width$}\n", width = LINE - 1).as_bytes());
        }
        assert_eq!(text.len(), LINES * LINE);
        text
    })
}

/// (lines, bytes without their `\n`), checked by every member.
fn check((lines, bytes): (usize, usize)) {
    assert_eq!(lines, LINES, "lines read");
    assert_eq!(bytes, LINES * (LINE - 1), "bytes read");
}

async fn readline_corio() -> (usize, usize) {
    let (tx, rx) = corio::net::UnixStream::pair().unwrap();
    let writer = corio::spawn(async move { tx.write_all(text()).await.unwrap() });
    let mut reader = corio::streams::StreamReader::new(rx);
    let (mut lines, mut bytes) = (0, 0);
    loop {
        let line = reader.readline().await.unwrap();
        if line.is_empty() {
            break;
        }
        lines += 1;
        bytes += line.len() - 1;
    }
    writer.await.unwrap();
    (lines, bytes)
}

async fn readline_tokio() -> (usize, usize) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let (mut tx, rx) = tokio::net::UnixStream::pair().unwrap();
    let writer = tokio::spawn(async move {
        tx.write_all(text()).await.unwrap();
        tx.shutdown().await.unwrap();
    });
    let mut lines = tokio::io::BufReader::new(rx).lines();
    let (mut count, mut bytes) = (0, 0);
    while let Some(line) = lines.next_line().await.unwrap() {
        count += 1;
        bytes += line.len();
    }
    writer.await.unwrap();
    (count, bytes)
}

async fn readline_smol(ex: &'static smol::LocalExecutor<'static>) -> (usize, usize) {
    use futures::{AsyncBufReadExt, AsyncWriteExt, StreamExt};
    let (mut tx, rx) = smol::Async::<std::os::unix::net::UnixStream>::pair().unwrap();
    let writer = ex.spawn(async move {
        tx.write_all(text()).await.unwrap();
        tx.close().await.unwrap();
    });
    let mut lines = futures::io::BufReader::new(rx).lines();
    let (mut count, mut bytes) = (0, 0);
    while let Some(line) = lines.next().await {
        count += 1;
        bytes += line.unwrap().len();
    }
    writer.await;
    (count, bytes)
}

pub fn readline() -> Workload {
    Workload::new(
        "readline",
        "1,000,000 lines of 40 bytes over a Unix socket pair, read line by line (StreamReader::readline / BufReader::lines)",
    )
    .member(Rt::Corio, || {
        let rt = corio();
        text();
        Box::new(move || check(rt.block_on(readline_corio())))
    })
    .member(Rt::TokioCt, || {
        let rt = tokio_ct();
        text();
        Box::new(move || check(rt.block_on(readline_tokio())))
    })
    .member(Rt::TokioMt, || {
        let rt = tokio_mt();
        text();
        Box::new(move || check(rt.block_on(readline_tokio())))
    })
    .member(Rt::Smol, || {
        let rt = smol();
        text();
        Box::new(move || check(rt.block_on(readline_smol(rt.0))))
    })
}
