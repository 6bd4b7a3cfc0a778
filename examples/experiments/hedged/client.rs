//! The client side of seed 002's problem: get an answer within `deadline`.
//!
//! Every strategy is built from one piece, an attempt loop: connect, send
//! `GET`, read the answer; after a failure (EOF, a reset, a refused
//! connection) pause 1 ms and try again, until an answer or the deadline. A
//! stalled connection is not a failure the client can see — it simply gets
//! no answer — so one loop caught by a stall waits there until the deadline.
//! The strategies differ in how many loops run and when they start:
//!
//! * sequential retry — one loop (the seed's baseline);
//! * concurrent — `k` loops at once, as tasks; the first to succeed wins
//!   (`corio::wait` with `FirstCompleted`) and the rest are cancelled;
//! * staggered — one loop at once, one more each time `after` (the 95th
//!   percentile of a single request's latency) passes without an answer, up
//!   to `k` ("The Tail at Scale"'s hedged requests);
//! * threads — the concurrent design with `k` OS threads and blocking
//!   sockets; the winner cancels the others by shutting their sockets down,
//!   since a thread, unlike a task, cannot be dropped from outside.

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use corio::net::TcpStream;
use corio::task::Task;
use corio::FirstCompleted;

/// The pause between a failed attempt and the next one.
const RETRY_PAUSE: Duration = Duration::from_millis(1);

/// How the client tries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Strategy {
    Sequential,
    Concurrent,
    Staggered { after: Duration },
    Threads,
}

impl Strategy {
    /// The strategy's name in the table.
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Sequential => "sequential retry",
            Strategy::Concurrent => "k concurrent tasks",
            Strategy::Staggered { .. } => "staggered hedge",
            Strategy::Threads => "k concurrent threads",
        }
    }
}

/// One configuration of the client.
#[derive(Debug, Clone, Copy)]
pub struct ClientConfig {
    pub strategy: Strategy,
    /// Loops at most (1 for sequential retry).
    pub k: usize,
    pub deadline: Duration,
    pub trials: usize,
    /// Trials run at the same time.
    pub in_flight: usize,
}

/// What the trials of one configuration measured.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub trials: usize,
    /// Time to the answer of each successful trial, sorted.
    pub latencies: Vec<Duration>,
    /// Requests (connections) sent in all trials.
    pub requests: u64,
    /// Time of each single attempt that got an answer, sorted: the base for
    /// the staggered hedge's delay.
    pub attempt_latencies: Vec<Duration>,
}

impl Outcome {
    /// Share of trials answered within the deadline.
    pub fn success_rate(&self) -> f64 {
        self.latencies.len() as f64 / self.trials.max(1) as f64
    }

    /// Requests sent per successful trial (infinite when none succeeded).
    pub fn requests_per_success(&self) -> f64 {
        self.requests as f64 / self.latencies.len() as f64
    }
}

/// The `q` quantile (0.0 ..= 1.0) of sorted durations, nearest rank.
pub fn percentile(sorted: &[Duration], q: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Runs `config.trials` trials against the server at `addr`.
pub fn run_trials(addr: SocketAddr, config: ClientConfig) -> Outcome {
    let mut outcome = match config.strategy {
        Strategy::Threads => trials_on_threads(addr, config),
        _ => corio::run(trials_on_tasks(addr, config)),
    };
    outcome.trials = config.trials;
    outcome.latencies.sort();
    outcome.attempt_latencies.sort();
    outcome
}

/// What the tasks of one run share (all on the loop's thread).
#[derive(Default)]
struct Tally {
    requests: Cell<u64>,
    latencies: RefCell<Vec<Duration>>,
    attempt_latencies: RefCell<Vec<Duration>>,
}

async fn trials_on_tasks(addr: SocketAddr, config: ClientConfig) -> Outcome {
    let tally = Rc::new(Tally::default());
    let next_trial = Rc::new(Cell::new(0));
    // `in_flight` runners, each taking the next trial until none are left.
    let runners: Vec<Task<()>> = (0..config.in_flight.max(1))
        .map(|_| {
            let (tally, next_trial) = (tally.clone(), next_trial.clone());
            corio::spawn(async move {
                while next_trial.get() < config.trials {
                    next_trial.set(next_trial.get() + 1);
                    if let Some(latency) = trial_on_tasks(addr, config, &tally).await {
                        tally.latencies.borrow_mut().push(latency);
                    }
                }
            })
        })
        .collect();
    corio::gather(runners)
        .await
        .expect("the runners do not fail");
    Outcome {
        trials: config.trials,
        latencies: tally.latencies.take(),
        requests: tally.requests.get(),
        attempt_latencies: tally.attempt_latencies.take(),
    }
}

/// One trial: the time to the first answer, `None` past the deadline.
async fn trial_on_tasks(
    addr: SocketAddr,
    config: ClientConfig,
    tally: &Rc<Tally>,
) -> Option<Duration> {
    let start = Instant::now();
    let deadline = start + config.deadline;
    let (k, stagger) = match config.strategy {
        Strategy::Sequential => {
            return attempt_loop(addr, deadline, tally.clone())
                .await
                .then(|| start.elapsed());
        }
        Strategy::Staggered { after } => (config.k, Some(after)),
        _ => (config.k, None),
    };
    let launch = || corio::spawn(attempt_loop(addr, deadline, tally.clone()));
    let mut pending: Vec<Task<bool>> = match stagger {
        Some(_) => vec![launch()],
        None => (0..k).map(|_| launch()).collect(),
    };
    let mut launched = pending.len();
    let mut next_launch = stagger.map(|after| start + after);
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let wake = match next_launch {
            Some(at) if launched < k => at.min(deadline),
            _ => deadline,
        };
        if pending.is_empty() {
            corio::time::sleep_until(wake).await;
        } else {
            let (done, still) = corio::wait(pending, FirstCompleted, Some(wake - now))
                .await
                .expect("pending is not empty");
            pending = still.into_iter().map(|(_, task)| task).collect();
            for (_, task) in done {
                if matches!(task.await, Ok(true)) {
                    // The seed's design: the first answer wins, the rest are
                    // cancelled (their sockets close when their tasks drop).
                    for loser in &pending {
                        loser.cancel();
                    }
                    return Some(start.elapsed());
                }
            }
        }
        if let Some(at) = next_launch {
            if launched < k && Instant::now() >= at {
                pending.push(launch());
                launched += 1;
                next_launch = Some(at + stagger.expect("a launch time means a stagger"));
            }
        }
    }
    for task in &pending {
        task.cancel();
    }
    None
}

/// Attempts until an answer (`true`) or the deadline (`false`).
async fn attempt_loop(addr: SocketAddr, deadline: Instant, tally: Rc<Tally>) -> bool {
    while Instant::now() < deadline {
        tally.requests.set(tally.requests.get() + 1);
        let sent = Instant::now();
        if let Ok(true) = corio::time::timeout_at(deadline, attempt(addr)).await {
            tally.attempt_latencies.borrow_mut().push(sent.elapsed());
            return true;
        }
        corio::time::sleep(RETRY_PAUSE).await;
    }
    false
}

/// One request: `true` if the server answered `OK`.
async fn attempt(addr: SocketAddr) -> bool {
    let Ok(stream) = TcpStream::connect(addr).await else {
        return false;
    };
    if stream.write_all(b"GET\n").await.is_err() {
        return false;
    }
    let mut answer = [0u8; 3];
    stream.read_exact(&mut answer).await.is_ok() && &answer == b"OK\n"
}

/// The thread design's trials: `in_flight` coordinator threads, each running
/// trials one after another, each trial on `k` threads of its own.
fn trials_on_threads(addr: SocketAddr, config: ClientConfig) -> Outcome {
    let next_trial = AtomicUsize::new(0);
    let requests = AtomicU64::new(0);
    let latencies = Mutex::new(Vec::new());
    let attempt_latencies = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..config.in_flight.max(1) {
            scope.spawn(|| {
                while next_trial.fetch_add(1, Ordering::SeqCst) < config.trials {
                    let trial = trial_on_threads(addr, config);
                    requests.fetch_add(trial.requests, Ordering::SeqCst);
                    if let Some(latency) = trial.latency {
                        latencies.lock().unwrap().push(latency);
                    }
                    attempt_latencies
                        .lock()
                        .unwrap()
                        .extend(trial.attempt_latency);
                }
            });
        }
    });
    Outcome {
        trials: config.trials,
        latencies: latencies.into_inner().unwrap(),
        requests: requests.into_inner(),
        attempt_latencies: attempt_latencies.into_inner().unwrap(),
    }
}

struct ThreadTrial {
    latency: Option<Duration>,
    requests: u64,
    attempt_latency: Option<Duration>,
}

/// What the `k` threads of one trial share.
struct Race {
    /// Set, under the lock, by whoever ends the race; beside it each
    /// thread's open socket (slot `i` for thread `i`), none opened after it.
    sockets: Mutex<(bool, Vec<Option<std::net::TcpStream>>)>,
    requests: AtomicU64,
}

fn trial_on_threads(addr: SocketAddr, config: ClientConfig) -> ThreadTrial {
    let start = Instant::now();
    let deadline = start + config.deadline;
    let race = Race {
        sockets: Mutex::new((false, (0..config.k).map(|_| None).collect())),
        requests: AtomicU64::new(0),
    };
    let (answers, answer) = mpsc::channel();
    let first = std::thread::scope(|scope| {
        for slot in 0..config.k {
            let (race, answers) = (&race, answers.clone());
            scope.spawn(move || {
                if let Some(took) = blocking_attempt_loop(addr, deadline, race, slot) {
                    let _ = answers.send(took);
                }
            });
        }
        drop(answers);
        let first = answer.recv_timeout(deadline.saturating_duration_since(Instant::now()));
        // Win or time out, stop the others: no new sockets, and the open ones
        // shut down so that their blocked reads return at once.
        let mut sockets = race.sockets.lock().unwrap();
        sockets.0 = true;
        for socket in sockets.1.iter().flatten() {
            let _ = socket.shutdown(Shutdown::Both);
        }
        drop(sockets);
        first.ok().map(|took| (start.elapsed(), took))
    });
    ThreadTrial {
        latency: first.map(|(latency, _)| latency),
        requests: race.requests.into_inner(),
        attempt_latency: first.map(|(_, took)| took),
    }
}

/// The blocking attempt loop: the time of the answering attempt, `None` at
/// the deadline or when another thread won.
fn blocking_attempt_loop(
    addr: SocketAddr,
    deadline: Instant,
    race: &Race,
    slot: usize,
) -> Option<Duration> {
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        if left.is_zero() {
            return None;
        }
        race.requests.fetch_add(1, Ordering::SeqCst);
        let sent = Instant::now();
        if let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, left) {
            {
                let mut sockets = race.sockets.lock().unwrap();
                if sockets.0 {
                    return None;
                }
                sockets.1[slot] = stream.try_clone().ok();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let mut answer = [0u8; 3];
            let answered = !left.is_zero()
                && stream.set_read_timeout(Some(left)).is_ok()
                && stream.write_all(b"GET\n").is_ok()
                && stream.read_exact(&mut answer).is_ok()
                && &answer == b"OK\n";
            race.sockets.lock().unwrap().1[slot] = None;
            if answered {
                return Some(sent.elapsed());
            }
        }
        if race.sockets.lock().unwrap().0 {
            return None;
        }
        std::thread::sleep(RETRY_PAUSE);
    }
}
