//! Trace Event Format JSON: how the recorder's events reach the file.
//!
//! The format is Chrome's (the one Perfetto and `chrome://tracing` open): a
//! JSON array of objects, each with `ph` (the kind), `ts` (microseconds),
//! `pid`, `tid` (the track) and `name`. corio writes times with three
//! decimals, that is in whole nanoseconds, so slices recorded in order nest
//! exactly.
//!
//! Every loop of a process that traces into the same path shares one
//! [`TraceFile`], each loop on its own track (`tid`), so a program with
//! several loops (or several `corio::run` calls) gives one timeline. The file
//! is valid JSON after every write: the closing `]` is written each time and
//! overwritten by the next batch, so a program that crashes still leaves a
//! trace that opens.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::trace::{Event, FlowKind, Slice};
use crate::event_loop::observer::{ParkWake, StepOutcome};

/// The end of the file after every write; overwritten by the next one.
const TAIL: &str = "\n]\n";

/// Nanoseconds since the first traced event of the process: one time base for
/// every loop (and thread) writing into a trace.
pub(crate) fn now_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// A trace file shared by the loops that write into it.
pub(crate) struct TraceFile {
    path: PathBuf,
    inner: Mutex<FileState>,
}

struct FileState {
    file: File,
    /// Something (and so the `[` and the tail) has been written.
    started: bool,
    /// Tracks handed out so far.
    tracks: u64,
    /// A write failed; it was reported once and tracing into this file stopped.
    broken: bool,
}

/// The file for `path`: the one already open in this process, or a new one
/// (truncating what a previous run left there).
pub(crate) fn open(path: &Path) -> io::Result<Arc<TraceFile>> {
    static OPEN: Mutex<Vec<Arc<TraceFile>>> = Mutex::new(Vec::new());
    let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = open.iter().find(|f| f.path == path) {
        return Ok(found.clone());
    }
    let file = File::create(path)?;
    let trace = Arc::new(TraceFile {
        path: path.to_path_buf(),
        inner: Mutex::new(FileState {
            file,
            started: false,
            tracks: 0,
            broken: false,
        }),
    });
    open.push(trace.clone());
    Ok(trace)
}

impl TraceFile {
    /// A new track (a `tid`), named after the calling thread.
    pub(crate) fn new_track(&self) -> u64 {
        let track = {
            let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            state.tracks += 1;
            state.tracks
        };
        let thread = std::thread::current();
        let mut out = String::new();
        let _ = write!(
            out,
            "{{\"ph\":\"M\",\"name\":\"process_name\",\"ts\":0,\"pid\":{},\"tid\":{track},\"args\":{{\"name\":\"corio\"}}}},\n\
             {{\"ph\":\"M\",\"name\":\"thread_name\",\"ts\":0,\"pid\":{},\"tid\":{track},\"args\":{{\"name\":",
            std::process::id(),
            std::process::id(),
        );
        push_string(
            &mut out,
            &format!(
                "corio loop {track} ({})",
                thread.name().unwrap_or("unnamed thread")
            ),
        );
        out.push_str("}}");
        self.write_chunk(&out);
        track
    }

    /// Writes `events` as JSON objects on `track`.
    pub(crate) fn append(&self, track: u64, events: &[Event]) {
        if events.is_empty() {
            return;
        }
        let pid = std::process::id();
        let mut out = String::with_capacity(events.len() * 160);
        for (i, event) in events.iter().enumerate() {
            if i > 0 {
                out.push_str(",\n");
            }
            render(&mut out, event, pid, track);
        }
        self.write_chunk(&out);
    }

    fn write_chunk(&self, chunk: &str) {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if state.broken {
            return;
        }
        let result = (|| -> io::Result<()> {
            if state.started {
                state.file.seek(SeekFrom::End(-(TAIL.len() as i64)))?;
                state.file.write_all(b",\n")?;
            } else {
                state.file.write_all(b"[\n")?;
            }
            state.file.write_all(chunk.as_bytes())?;
            state.file.write_all(TAIL.as_bytes())?;
            state.file.flush()
        })();
        match result {
            Ok(()) => state.started = true,
            Err(e) => {
                state.broken = true;
                eprintln!(
                    "corio: could not write the trace to {} ({e}); tracing stops",
                    self.path.display()
                );
            }
        }
    }
}

/// One event as a JSON object (two for a flow: its start and its end).
fn render(out: &mut String, event: &Event, pid: u32, tid: u64) {
    match event {
        Event::Slice { start, end, what } => {
            let (cat, name) = slice_names(what);
            let _ = write!(out, "{{\"ph\":\"X\",\"cat\":\"{cat}\",\"name\":");
            match what {
                Slice::Step(report) => match &report.name {
                    Some(name) => push_string(out, name),
                    None => {
                        let _ = write!(out, "\"Task-{}\"", report.task);
                    }
                },
                _ => push_string(out, name),
            }
            out.push_str(",\"ts\":");
            push_micros(out, *start);
            out.push_str(",\"dur\":");
            push_micros(out, end.saturating_sub(*start));
            let _ = write!(out, ",\"pid\":{pid},\"tid\":{tid},\"args\":{{");
            slice_args(out, what, end.saturating_sub(*start));
            out.push_str("}}");
        }
        Event::Flow { id, kind, from, to } => {
            let name = match kind {
                FlowKind::Spawn => "spawn",
                FlowKind::Wake => "wake",
                FlowKind::RemoteWake => "wake from another thread",
            };
            let _ = write!(
                out,
                "{{\"ph\":\"s\",\"cat\":\"flow\",\"name\":\"{name}\",\"id\":{id},\"ts\":"
            );
            push_micros(out, *from);
            let _ = write!(
                out,
                ",\"pid\":{pid},\"tid\":{tid}}},\n{{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"flow\",\"name\":\"{name}\",\"id\":{id},\"ts\":"
            );
            push_micros(out, *to);
            let _ = write!(out, ",\"pid\":{pid},\"tid\":{tid}}}");
        }
    }
}

fn slice_names(what: &Slice) -> (&'static str, &'static str) {
    match what {
        Slice::Iteration { .. } => ("loop", "iteration"),
        Slice::Step(_) => ("step", ""),
        Slice::Callback => ("callback", "callback"),
        Slice::Park { .. } => ("park", "park"),
        Slice::IoPoll { .. } => ("io", "io poll"),
        Slice::Timers { .. } => ("timer", "timers fired"),
    }
}

fn slice_args(out: &mut String, what: &Slice, dur_ns: u64) {
    match what {
        Slice::Iteration { batch } => {
            let _ = write!(out, "\"batch\":{batch}");
        }
        Slice::Step(report) => {
            let outcome = match report.outcome {
                StepOutcome::Pending => "pending",
                StepOutcome::Ready => "ready",
                StepOutcome::Cancelled => "cancelled",
                StepOutcome::Panicked => "panicked",
            };
            let _ = write!(
                out,
                "\"task\":{},\"poll\":{},\"outcome\":\"{outcome}\"",
                report.task, report.poll
            );
        }
        Slice::Callback => {}
        Slice::Park { timeout, why } => {
            out.push_str("\"timeout_us\":");
            match timeout {
                Some(t) => push_micros(out, duration_ns(*t)),
                None => out.push_str("null"),
            }
            out.push_str(",\"slept_us\":");
            push_micros(out, dur_ns);
            let why = match why {
                ParkWake::Io => "io",
                ParkWake::Thread => "another thread",
                ParkWake::Timer => "timer",
                ParkWake::NotParked => "not parked (work arrived)",
            };
            let _ = write!(out, ",\"woken_by\":\"{why}\"");
        }
        Slice::IoPoll { wakes } => {
            let _ = write!(out, "\"wakes\":{wakes}");
        }
        Slice::Timers { fired } => {
            let _ = write!(out, "\"fired\":{fired}");
        }
    }
}

fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Nanoseconds as microseconds with three decimals (exact).
fn push_micros(out: &mut String, ns: u64) {
    let _ = write!(out, "{}.{:03}", ns / 1000, ns % 1000);
}

/// `s` as a JSON string literal.
fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::{push_micros, push_string};

    #[test]
    fn strings_are_escaped_for_json() {
        let mut out = String::new();
        push_string(&mut out, "a\"b\\c\nd\u{1}");
        assert_eq!(out, r#""a\"b\\c\nd\u0001""#);
    }

    #[test]
    fn micros_keep_every_nanosecond() {
        let mut out = String::new();
        push_micros(&mut out, 1_234_005);
        assert_eq!(out, "1234.005");
    }
}
