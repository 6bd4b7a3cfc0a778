//! The bytes between the pool and a worker process, over the worker's stdin
//! and stdout pipes. One job at a time per worker, so no ids:
//!
//! * the worker, once ready, writes [`HELLO`] (anything a program printed
//!   before it reached its worker mode is skipped up to there);
//! * a job: `u32` name length, the name, `u64` input length, the input;
//! * an answer: one status byte ([`OK`], [`UNKNOWN`], [`PANICKED`]), `u64`
//!   length, the payload (the output, the unknown name, the panic message).
//!
//! Lengths are little-endian.

use std::io::{self, Read, Write};

/// What a worker writes once, before its first answer.
pub(crate) const HELLO: &[u8] = b"\0corio-process-pool-worker\0";

/// The job ran; the payload is its output.
pub(crate) const OK: u8 = 0;
/// No function is registered under the job's name; the payload is the name.
pub(crate) const UNKNOWN: u8 = 1;
/// The function panicked; the payload is the panic message.
pub(crate) const PANICKED: u8 = 2;

pub(crate) fn write_job(out: &mut impl Write, name: &str, input: &[u8]) -> io::Result<()> {
    let name_len = u32::try_from(name.len()).map_err(io::Error::other)?;
    out.write_all(&name_len.to_le_bytes())?;
    out.write_all(name.as_bytes())?;
    out.write_all(&(input.len() as u64).to_le_bytes())?;
    out.write_all(input)?;
    out.flush()
}

/// Reads a job; `Ok(None)` at a clean end of input (the pool closed it).
pub(crate) fn read_job(input: &mut impl Read) -> io::Result<Option<(String, Vec<u8>)>> {
    let mut name_len = [0u8; 4];
    match input.read_exact(&mut name_len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let name = read_exactly(input, u32::from_le_bytes(name_len) as u64)?;
    let name = String::from_utf8(name).map_err(io::Error::other)?;
    let mut len = [0u8; 8];
    input.read_exact(&mut len)?;
    Ok(Some((name, read_exactly(input, u64::from_le_bytes(len))?)))
}

pub(crate) fn write_answer(out: &mut impl Write, status: u8, payload: &[u8]) -> io::Result<()> {
    out.write_all(&[status])?;
    out.write_all(&(payload.len() as u64).to_le_bytes())?;
    out.write_all(payload)?;
    out.flush()
}

/// Reads an answer: `(status, payload)`. An end of input here means the
/// worker died mid-job.
pub(crate) fn read_answer(input: &mut impl Read) -> io::Result<(u8, Vec<u8>)> {
    let mut status = [0u8; 1];
    input.read_exact(&mut status)?;
    let mut len = [0u8; 8];
    input.read_exact(&mut len)?;
    Ok((status[0], read_exactly(input, u64::from_le_bytes(len))?))
}

/// Skips everything up to and including [`HELLO`]; an error if the stream
/// ends first (the program never reached its worker mode).
pub(crate) fn skip_to_hello(input: &mut impl Read) -> io::Result<()> {
    let mut matched = 0;
    let mut byte = [0u8; 1];
    while matched < HELLO.len() {
        if input.read(&mut byte)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the worker exited before it said hello (does main call \
                 Registry::serve_if_worker?)",
            ));
        }
        matched = if byte[0] == HELLO[matched] {
            matched + 1
        } else {
            usize::from(byte[0] == HELLO[0])
        };
    }
    Ok(())
}

fn read_exactly(input: &mut impl Read, len: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    input.take(len).read_to_end(&mut buf)?;
    if buf.len() as u64 != len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_and_answer_round_trip() {
        let mut wire = Vec::new();
        write_job(&mut wire, "hash", b"abc").unwrap();
        let mut r = &wire[..];
        assert_eq!(
            read_job(&mut r).unwrap(),
            Some(("hash".into(), b"abc".to_vec()))
        );
        assert_eq!(read_job(&mut r).unwrap(), None);
        let mut wire = Vec::new();
        write_answer(&mut wire, PANICKED, b"boom").unwrap();
        assert_eq!(
            read_answer(&mut &wire[..]).unwrap(),
            (PANICKED, b"boom".to_vec())
        );
    }

    #[test]
    fn hello_is_found_after_noise_and_missing_hello_is_an_error() {
        let mut wire = b"running 1 test\n\0\0corio".to_vec();
        wire.extend_from_slice(HELLO);
        wire.push(7);
        let mut r = &wire[..];
        skip_to_hello(&mut r).unwrap();
        assert_eq!(r, &[7]);
        assert!(skip_to_hello(&mut &b"no hello here"[..]).is_err());
    }
}
