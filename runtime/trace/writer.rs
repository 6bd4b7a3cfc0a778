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

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use super::buffer::Batch;
use super::clock::Anchor;
use super::record::{Record, CLOSED, FLUSH_AT, READABLE, WRITABLE};
use super::replay::{Event, FlowKind, Slice, TrackReplay};
use crate::event_loop::observer::{ParkWake, StepOutcome};

/// The end of the file after every write; overwritten by the next one.
const TAIL: &str = "\n]\n";

/// How many jobs may wait for the writer before a loop handing over a batch
/// waits for it. The writer is the slow half: JSON takes about 350 bytes
/// per step, which costs several times the step itself. So a loop stepping
/// flat out runs ahead of the writer, holding up to this many batches of
/// records (256 KiB each: 64 MiB in all); beyond that it waits, and a
/// program that records faster than its file is written slows down to the
/// writer's pace rather than growing without bound.
const BACKLOG: usize = 256;

/// How long a job may rest in the writer while the loops are busy
/// ([`write_jobs`]): how far the file may fall behind a loop that never
/// parks.
const REST: Duration = Duration::from_millis(100);

/// How many jobs may rest in the writer at most (16 batches of records:
/// 4 MiB); beyond that the oldest is written at once.
const RESTING: usize = 16;

/// How many empty record buffers the writer keeps ready for the loops.
const SPARE_BUFFERS: usize = 16;

/// A trace file shared by the loops that write into it. The replaying, the
/// formatting and the writing happen on its own thread (`corio-trace-<n>`):
/// a loop hands over a full buffer and goes on running, so what tracing
/// costs the loop is the recording, not the JSON.
pub(crate) struct TraceFile {
    path: PathBuf,
    jobs: Mutex<mpsc::SyncSender<Job>>,
    /// Tracks handed out so far.
    tracks: AtomicU64,
    /// Empty record buffers, for the loops to fill: ones the writer emptied,
    /// or new ones it touched first. A loop that allocated its own would
    /// take a page fault every 256 records, as much again as recording them.
    spare: Arc<SpareBuffers>,
}

/// Emptied record buffers, shared by a file and its writer thread.
type SpareBuffers = Mutex<Vec<Vec<Record>>>;

/// Work for a file's writer thread.
enum Job {
    /// A new track: its metadata, and for a loop's track the clocks read
    /// when it opened (its records are replayed; a worker's are not).
    Track {
        track: u64,
        label: String,
        anchor: Option<Anchor>,
    },
    /// A loop's records, replayed on its track.
    Batch { track: u64, batch: Batch },
    /// Events made already (a pool worker's), written on `track`.
    Events { track: u64, events: Vec<Event> },
    /// A loop went idle: whatever rests can be written now.
    Idle,
    /// Answered once everything sent before it is in the file.
    Sync(mpsc::Sender<()>),
}

/// The file for `path`: the one already open in this process, or a new one
/// (truncating what a previous run left there) with its writer thread.
pub(crate) fn open(path: &Path) -> io::Result<Arc<TraceFile>> {
    static OPEN: Mutex<Vec<Arc<TraceFile>>> = Mutex::new(Vec::new());
    let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = open.iter().find(|f| f.path == path) {
        return Ok(found.clone());
    }
    let file = File::create(path)?;
    let (jobs, inbox) = mpsc::sync_channel(BACKLOG);
    let shown = path.to_path_buf();
    let spare = Arc::new(Mutex::new(Vec::new()));
    let writer_spare = spare.clone();
    std::thread::Builder::new()
        .name(format!("corio-trace-{}", open.len() + 1))
        .spawn(move || write_jobs(&shown, file, &inbox, &writer_spare))?;
    let trace = Arc::new(TraceFile {
        path: path.to_path_buf(),
        jobs: Mutex::new(jobs),
        tracks: AtomicU64::new(0),
        spare,
    });
    open.push(trace.clone());
    Ok(trace)
}

impl TraceFile {
    /// A new track (a `tid`) for the calling thread, called
    /// `corio <kind> <track> (<thread name>)`. A loop's track gives the
    /// clocks read as it opens (`anchor`); a pool worker's track gives none.
    pub(crate) fn new_track(&self, kind: &str, anchor: Option<Anchor>) -> u64 {
        let track = self.tracks.fetch_add(1, Ordering::Relaxed) + 1;
        let thread = std::thread::current();
        self.send(Job::Track {
            track,
            label: format!(
                "corio {kind} {track} ({})",
                thread.name().unwrap_or("unnamed thread")
            ),
            anchor,
        });
        track
    }

    /// An empty record buffer with room for a batch: one the writer
    /// emptied or touched, or a new one.
    pub(crate) fn empty_buffer(&self) -> Vec<Record> {
        let spare = self.spare.lock().unwrap_or_else(|e| e.into_inner()).pop();
        spare.unwrap_or_else(|| Vec::with_capacity(FLUSH_AT))
    }

    /// Hands a loop's `batch` of `track` to the writer thread.
    pub(crate) fn append(&self, track: u64, batch: Batch) {
        self.send(Job::Batch { track, batch });
    }

    /// Hands `events` of `track` (made already) to the writer thread.
    pub(crate) fn append_events(&self, track: u64, events: Vec<Event>) {
        self.send(Job::Events { track, events });
    }

    /// Tells the writer a loop went idle: what rests can be written now
    /// without slowing it.
    pub(crate) fn idle(&self) {
        self.send(Job::Idle);
    }

    /// Waits until everything handed over so far is in the file.
    pub(crate) fn sync(&self) {
        let (done, wait) = mpsc::channel();
        self.send(Job::Sync(done));
        // An error means the writer thread is gone: nothing left to wait for.
        let _ = wait.recv();
    }

    fn send(&self, job: Job) {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // A send fails only if the writer thread ended (it reported why).
        let _ = jobs.send(job);
    }
}

/// The writer thread of one file: replays, formats and writes until every
/// sender is gone.
///
/// It yields the processor to the loops it serves ([`yield_to_the_loops`])
/// and fills the spare buffers before it takes its first job, so that what
/// a traced loop pays for tracing is its recording and little else. For the
/// same reason the jobs *rest* while the loops are busy, and are written
/// when a loop goes idle (it parks), when someone waits for the file (a
/// sync: `write_out`, a loop closing), when the oldest has rested
/// [`REST`], or when [`RESTING`] jobs wait. A writer formatting while its
/// loop steps slows the loop even from another core: on a host whose two
/// cores share one physical core, or its caches and memory bandwidth, a
/// yielding step took about 1.7 times as long with its writer busy beside
/// it as with its writer asleep. A loop that never parks has its jobs
/// written [`REST`] late, while it runs.
fn write_jobs(path: &Path, file: File, inbox: &mpsc::Receiver<Job>, spare: &SpareBuffers) {
    yield_to_the_loops();
    top_up(spare);
    let mut writer = Writer {
        file,
        started: false,
        pid: u64::from(std::process::id()),
        replays: HashMap::new(),
        next_flow: 1,
        events: Vec::new(),
        chunk: Vec::new(),
    };
    let mut resting: VecDeque<Job> = VecDeque::new();
    let mut oldest: Option<Instant> = None;
    let outcome = loop {
        let job = match oldest {
            None => inbox.recv().ok(),
            Some(since) => match inbox.recv_timeout(REST.saturating_sub(since.elapsed())) {
                Ok(job) => Some(job),
                Err(mpsc::RecvTimeoutError::Timeout) => Some(Job::Idle),
                Err(mpsc::RecvTimeoutError::Disconnected) => None,
            },
        };
        let Some(job) = job else {
            break writer.write_all(&mut resting, spare);
        };
        let written = match job {
            Job::Idle => writer.write_all(&mut resting, spare),
            Job::Sync(done) => {
                let written = writer.write_all(&mut resting, spare);
                let _ = done.send(());
                written
            }
            job => {
                if matches!(job, Job::Batch { .. }) {
                    // A loop that runs ahead takes the spare buffers faster
                    // than resting batches give them back.
                    top_up(spare);
                }
                resting.push_back(job);
                oldest.get_or_insert_with(Instant::now);
                if resting.len() > RESTING {
                    writer.write_oldest(&mut resting, spare)
                } else {
                    Ok(())
                }
            }
        };
        if resting.is_empty() {
            oldest = None;
        }
        if written.is_err() {
            break written;
        }
    };
    if let Err(e) = outcome {
        eprintln!(
            "corio: could not write the trace to {} ({e}); tracing stops",
            path.display()
        );
        // Returning drops the inbox: every later send fails quietly.
    }
}

/// What the writer thread keeps from one job to the next.
struct Writer {
    file: File,
    /// Whether the array's opening `[` is in the file.
    started: bool,
    pid: u64,
    replays: HashMap<u64, TrackReplay>,
    next_flow: u64,
    /// One batch's events and its JSON, in buffers kept from batch to
    /// batch: a batch's JSON is megabytes, and fresh memory for each would
    /// be page faults on every batch, taken under the same process-wide
    /// memory locks the loops' threads need.
    events: Vec<Event>,
    chunk: Vec<u8>,
}

impl Writer {
    /// Writes every resting job, oldest first.
    fn write_all(&mut self, resting: &mut VecDeque<Job>, spare: &SpareBuffers) -> io::Result<()> {
        while let Some(job) = resting.pop_front() {
            self.write(job, spare)?;
        }
        Ok(())
    }

    /// Writes the job that has rested longest.
    fn write_oldest(
        &mut self,
        resting: &mut VecDeque<Job>,
        spare: &SpareBuffers,
    ) -> io::Result<()> {
        match resting.pop_front() {
            Some(job) => self.write(job, spare),
            None => Ok(()),
        }
    }

    /// Replays, formats and writes one job (a sync or an idle note has
    /// nothing to write).
    fn write(&mut self, job: Job, spare: &SpareBuffers) -> io::Result<()> {
        self.chunk.clear();
        match job {
            Job::Track {
                track,
                label,
                anchor,
            } => {
                if let Some(anchor) = anchor {
                    self.replays.insert(track, TrackReplay::new(track, anchor));
                }
                track_metadata(&mut self.chunk, self.pid, track, &label);
            }
            Job::Batch { track, mut batch } => {
                let Some(replay) = self.replays.get_mut(&track) else {
                    return Ok(());
                };
                self.events.clear();
                replay.replay(&mut batch, &mut self.events);
                give_back(spare, batch.records);
                render_all(
                    &mut self.chunk,
                    &self.events,
                    self.pid,
                    track,
                    &mut self.next_flow,
                );
            }
            Job::Events { track, events } => {
                render_all(
                    &mut self.chunk,
                    &events,
                    self.pid,
                    track,
                    &mut self.next_flow,
                );
            }
            Job::Idle | Job::Sync(_) => {}
        }
        if self.chunk.is_empty() {
            return Ok(());
        }
        write_chunk(&mut self.file, self.started, &self.chunk)?;
        self.started = true;
        Ok(())
    }
}

/// Lowers the calling thread (the writer) to the lowest scheduling
/// priority, nice 19, so that it runs on what the loops leave over.
///
/// A loop records faster than its writer formats (a yielding step takes a
/// few nanoseconds to record and over a microsecond to write out), so while
/// a traced loop runs flat out its writer is busy too. Where there are
/// fewer cores than busy threads (two cores and a benchmark harness, or a
/// machine shared with others), the scheduler would split a core between
/// them evenly, and the traced loop would run at half its speed for work
/// that can wait. At nice 19 the writer still gets a core nobody else
/// wants, and it cannot be starved for good: once [`BACKLOG`] batches wait,
/// the loop blocks on the next one and the writer has the core.
///
/// Linux keeps the nice value per thread, which is what makes this lower
/// the writer alone; elsewhere the same call would lower the whole
/// process, so it is made on Linux only. A refusal (a sandbox) leaves the
/// writer at its priority: tracing works the same, only slower under load.
fn yield_to_the_loops() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: `setpriority` takes plain integers and changes only the
        // scheduling priority of the calling thread (`who` 0, on Linux);
        // its failure is reported through the return value, ignored here.
        let _ = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) };
    }
}

/// Keeps `records` (emptied) for a loop to reuse.
fn give_back(spare: &SpareBuffers, mut records: Vec<Record>) {
    records.clear();
    let mut spare = spare.lock().unwrap_or_else(|e| e.into_inner());
    if spare.len() < SPARE_BUFFERS {
        spare.push(records);
    }
}

/// Fills the spare buffers up to [`SPARE_BUFFERS`] with new ones whose
/// pages this thread has touched, so the loops do not fault them in.
fn top_up(spare: &SpareBuffers) {
    let missing =
        SPARE_BUFFERS.saturating_sub(spare.lock().unwrap_or_else(|e| e.into_inner()).len());
    for _ in 0..missing {
        let mut records = vec![Record::blank(); FLUSH_AT];
        records.clear();
        spare
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(records);
    }
}

/// Appends the two metadata events naming a track to `out`.
fn track_metadata(out: &mut Vec<u8>, pid: u64, track: u64, label: &str) {
    for (what, name) in [("process_name", "corio"), ("thread_name", label)] {
        if what == "thread_name" {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(b"{\"ph\":\"M\",\"name\":\"");
        out.extend_from_slice(what.as_bytes());
        out.extend_from_slice(b"\",\"ts\":0,\"pid\":");
        push_u64(out, pid);
        out.extend_from_slice(b",\"tid\":");
        push_u64(out, track);
        out.extend_from_slice(b",\"args\":{\"name\":");
        push_string(out, name);
        out.extend_from_slice(b"}}");
    }
}

/// Appends `chunk` to the array in `file`, leaving the file valid JSON.
fn write_chunk(file: &mut File, started: bool, chunk: &[u8]) -> io::Result<()> {
    if started {
        file.seek(SeekFrom::End(-(TAIL.len() as i64)))?;
        file.write_all(b",\n")?;
    } else {
        file.write_all(b"[\n")?;
    }
    file.write_all(chunk)?;
    file.write_all(TAIL.as_bytes())?;
    file.flush()
}

/// Appends `events` of `track` to `out` as JSON objects separated by
/// commas; flows take their ids from `next_flow` (unique within the file:
/// one writer numbers every track's arrows).
fn render_all(out: &mut Vec<u8>, events: &[Event], pid: u64, track: u64, next_flow: &mut u64) {
    let here = Place::new(pid, track);
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        render(out, event, &here, next_flow);
    }
}

/// Where an event is drawn: its process, its track, and the
/// `,"pid":..,"tid":..` that says so, formatted once per batch.
struct Place {
    pid: u64,
    track: u64,
    ids: Vec<u8>,
}

impl Place {
    fn new(pid: u64, track: u64) -> Place {
        let mut ids = b",\"pid\":".to_vec();
        push_u64(&mut ids, pid);
        ids.extend_from_slice(b",\"tid\":");
        push_u64(&mut ids, track);
        Place { pid, track, ids }
    }
}

/// One event as a JSON object (two for a flow: its start and its end).
/// Numbers are formatted by hand (`push_u64`): a trace holds millions of
/// them, and `write!` would cost several times the step it describes.
fn render(out: &mut Vec<u8>, event: &Event, here: &Place, next_flow: &mut u64) {
    match event {
        Event::Slice { start, end, what } => {
            let (cat, name) = slice_names(what);
            out.extend_from_slice(b"{\"ph\":\"X\",\"cat\":\"");
            out.extend_from_slice(cat.as_bytes());
            out.extend_from_slice(b"\",\"name\":");
            match what {
                Slice::Step {
                    name: Some(name), ..
                } => push_string(out, name),
                Slice::Step { task, .. } => {
                    out.extend_from_slice(b"\"Task-");
                    push_u64(out, u64::from(*task));
                    out.push(b'"');
                }
                _ => push_string(out, name),
            }
            out.extend_from_slice(b",\"ts\":");
            push_micros(out, *start);
            out.extend_from_slice(b",\"dur\":");
            push_micros(out, end.saturating_sub(*start));
            out.extend_from_slice(&here.ids);
            out.extend_from_slice(b",\"args\":{");
            slice_args(out, what, end.saturating_sub(*start));
            out.extend_from_slice(b"}}");
        }
        Event::Flow {
            kind,
            from_track,
            from,
            to,
        } => {
            let name = match kind {
                FlowKind::Spawn => "spawn",
                FlowKind::Wake => "wake",
                FlowKind::RemoteWake => "wake from another thread",
                FlowKind::PoolJob => "pool job",
            };
            let id = *next_flow;
            *next_flow += 1;
            let there = (*from_track != here.track).then(|| Place::new(here.pid, *from_track));
            for (ph, ts, place) in [
                ("s", *from, there.as_ref().unwrap_or(here)),
                ("f", *to, here),
            ] {
                out.extend_from_slice(b"{\"ph\":\"");
                out.extend_from_slice(ph.as_bytes());
                out.extend_from_slice(if ph == "f" { "\",\"bp\":\"e" } else { "" }.as_bytes());
                out.extend_from_slice(b"\",\"cat\":\"flow\",\"name\":\"");
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b"\",\"id\":");
                push_u64(out, id);
                out.extend_from_slice(b",\"ts\":");
                push_micros(out, ts);
                out.extend_from_slice(&place.ids);
                out.extend_from_slice(if ph == "s" { "},\n" } else { "}" }.as_bytes());
            }
        }
    }
}

fn slice_names(what: &Slice) -> (&'static str, &'static str) {
    match what {
        Slice::Iteration { .. } => ("loop", "iteration"),
        Slice::Step { .. } => ("step", ""),
        Slice::Callback => ("callback", "callback"),
        Slice::Park { .. } => ("park", "park"),
        Slice::IoPoll { .. } => ("io", "io poll"),
        Slice::Timers { .. } => ("timer", "timers fired"),
        Slice::PoolJob => ("pool", "pool job"),
    }
}

fn slice_args(out: &mut Vec<u8>, what: &Slice, dur_ns: u64) {
    match what {
        Slice::Iteration { batch } => {
            out.extend_from_slice(b"\"batch\":");
            push_u64(out, *batch);
        }
        Slice::Step {
            task,
            poll,
            outcome,
            ..
        } => {
            let outcome = match outcome {
                StepOutcome::Pending => "pending",
                StepOutcome::Ready => "ready",
                StepOutcome::Cancelled => "cancelled",
                StepOutcome::Panicked => "panicked",
            };
            out.extend_from_slice(b"\"task\":");
            push_u64(out, u64::from(*task));
            out.extend_from_slice(b",\"poll\":");
            push_u64(out, u64::from(*poll));
            out.extend_from_slice(b",\"outcome\":\"");
            out.extend_from_slice(outcome.as_bytes());
            out.push(b'"');
        }
        Slice::Callback | Slice::PoolJob => {}
        Slice::Park { timeout, why } => {
            out.extend_from_slice(b"\"timeout_us\":");
            match timeout {
                Some(t) => push_micros(out, duration_ns(*t)),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"slept_us\":");
            push_micros(out, dur_ns);
            out.extend_from_slice(b",\"woken_by\":\"");
            out.extend_from_slice(
                match why {
                    ParkWake::Io => "io",
                    ParkWake::Thread => "another thread",
                    ParkWake::Timer => "timer",
                    ParkWake::NotParked => "not parked (work arrived)",
                }
                .as_bytes(),
            );
            out.push(b'"');
        }
        Slice::IoPoll { wakes, sockets } => {
            out.extend_from_slice(b"\"wakes\":");
            push_u64(out, *wakes);
            out.extend_from_slice(b",\"sockets\":[");
            for (i, (socket, flags)) in sockets.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"socket\":");
                push_u64(out, u64::from(*socket));
                for (flag, name) in [
                    (READABLE, "readable"),
                    (WRITABLE, "writable"),
                    (CLOSED, "closed"),
                ] {
                    if flags & flag != 0 {
                        out.extend_from_slice(b",\"");
                        out.extend_from_slice(name.as_bytes());
                        out.extend_from_slice(b"\":true");
                    }
                }
                out.push(b'}');
            }
            out.push(b']');
        }
        Slice::Timers { fired } => {
            out.extend_from_slice(b"\"fired\":");
            push_u64(out, *fired);
        }
    }
}

fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Nanoseconds as microseconds with three decimals (exact).
fn push_micros(out: &mut Vec<u8>, ns: u64) {
    push_u64(out, ns / 1000);
    let frac = (ns % 1000) as u16;
    let decimals = [
        b'.',
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ];
    out.extend_from_slice(&decimals);
}

/// "00" to "99": two digits per division in [`push_u64`].
const DIGIT_PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        pairs[2 * i] = b'0' + (i / 10) as u8;
        pairs[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    pairs
};

/// `n` in decimal.
fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        digits[at] = b'0' + n as u8;
    }
    out.extend_from_slice(&digits[at..]);
}

/// `s` as a JSON string literal.
fn push_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                let hex = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(hex[(c as usize) >> 4]);
                out.push(hex[(c as usize) & 15]);
            }
            c => {
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::{push_micros, push_string, push_u64};

    #[test]
    fn strings_are_escaped_for_json() {
        let mut out = Vec::new();
        push_string(&mut out, "a\"b\\c\nd\u{1}");
        assert_eq!(out, br#""a\"b\\c\nd\u0001""#);
    }

    #[test]
    fn micros_keep_every_nanosecond() {
        let mut out = Vec::new();
        push_micros(&mut out, 1_234_005);
        assert_eq!(out, b"1234.005");
        out.clear();
        push_micros(&mut out, 7);
        assert_eq!(out, b"0.007");
        for n in [0, 9, 10, 99, 100, 101, 12_345, 1_000_000, u64::MAX] {
            out.clear();
            push_u64(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }
}
