//! The results: medians, corio's ratios and its targets (defined here, in
//! [`target`]), as a markdown table and a results file.

use std::fmt::Write;
use std::process::Command;

use crate::workloads::Rt;

/// What a workload measures.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Wall time of one run.
    Millis,
    /// Resident bytes per idle task.
    BytesPerTask,
}

impl Unit {
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Millis if v < 10.0 => format!("{v:.2} ms"),
            Unit::Millis if v < 100.0 => format!("{v:.1} ms"),
            Unit::Millis => format!("{v:.0} ms"),
            Unit::BytesPerTask => format!("{v:.0} B/task"),
        }
    }
}

/// One member's samples (ms, or bytes per task).
pub struct Measured {
    pub rt: Rt,
    pub label: &'static str,
    pub samples: Vec<f64>,
}

impl Measured {
    pub fn median(&self) -> f64 {
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        }
    }

    fn min(&self) -> f64 {
        self.samples.iter().copied().fold(f64::INFINITY, f64::min)
    }

    fn max(&self) -> f64 {
        self.samples.iter().copied().fold(0.0, f64::max)
    }
}

/// A workload's results.
pub struct Row {
    pub name: &'static str,
    pub about: &'static str,
    pub unit: Unit,
    pub members: Vec<Measured>,
    /// The asyncio reference's median, if it has this workload.
    pub python: Option<f64>,
}

impl Row {
    /// `rt`'s fastest member (its best API variant, where it has several).
    pub fn best(&self, rt: Rt) -> Option<&Measured> {
        self.members
            .iter()
            .filter(|m| m.rt == rt)
            .min_by(|a, b| a.median().total_cmp(&b.median()))
    }

    /// `rt`'s median (of its best variant).
    pub fn value(&self, rt: Rt) -> Option<f64> {
        self.best(rt).map(Measured::median)
    }

    /// The best single-thread peer (tokio-ct or smol) and its median.
    pub fn best_peer(&self) -> Option<(Rt, f64)> {
        Rt::ALL
            .iter()
            .filter(|rt| rt.is_single_thread_peer())
            .filter_map(|&rt| Some((rt, self.value(rt)?)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// corio ÷ the best single-thread peer.
    pub fn ratio(&self) -> Option<f64> {
        Some(self.value(Rt::Corio)? / self.best_peer()?.1)
    }

    /// The cell of `rt`: its median, and the variant when it has several.
    fn cell(&self, rt: Rt) -> String {
        let Some(best) = self.best(rt) else {
            return String::new();
        };
        let value = self.unit.format(best.median());
        let variants = self.members.iter().filter(|m| m.rt == rt).count();
        match best.label.strip_prefix(rt.name()) {
            Some(variant) if variants > 1 => format!("{value} ({})", variant.trim()),
            _ => value,
        }
    }
}

/// corio's target for a workload: what the benchmark suite was written to
/// hold it to.
enum Target {
    /// At most this × the best single-thread peer.
    Peer(f64),
    /// At most this × mio-raw.
    MioRaw(f64),
    /// corio-loops at most this × tokio-mt (issue 15's target).
    TokioMt(f64),
    /// At most this many bytes per task.
    Bytes(f64),
    None,
}

fn target(workload: &str) -> Target {
    match workload {
        "spawn_many" | "yield_many" | "chained_spawn" | "ping_pong" | "timeout_churn"
        | "sleep_many" => Target::Peer(0.8),
        "tcp_echo" => Target::MioRaw(1.03),
        "readline" => Target::Peer(0.9),
        "spawn_wait" => Target::Peer(1.0),
        "tcp_echo_2t" => Target::TokioMt(0.85),
        "idle_memory" => Target::Bytes(96.0),
        _ => Target::None,
    }
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "missed"
    }
}

/// What tracing may cost: corio-traced at most this × corio (issue 13).
const TRACED: f64 = 2.0;
/// What the observer seam may cost when no one watches: corio at most this
/// × corio-no-seam, corio built without its `observe` feature (issue 13).
const SEAM: f64 = 1.02;

fn target_cell(row: &Row) -> String {
    let mut cell = workload_target_cell(row);
    let corio = row.value(Rt::Corio);
    if let (Some(t), Some(c)) = (row.value(Rt::CorioTraced), corio) {
        cell.push_str(&format!(
            "; corio-traced ≤ {TRACED:.2} × corio: {:.2}, {}",
            t / c,
            verdict(t / c <= TRACED)
        ));
    }
    if let (Some(c), Some(u)) = (corio, row.value(Rt::CorioNoSeam)) {
        cell.push_str(&format!(
            "; corio ≤ {SEAM:.2} × corio-no-seam: {:.2}, {}",
            c / u,
            verdict(c / u <= SEAM)
        ));
    }
    cell
}

fn workload_target_cell(row: &Row) -> String {
    let corio = row.value(Rt::Corio);
    match target(row.name) {
        Target::Peer(x) => match row.ratio() {
            Some(r) => format!("≤ {x:.2}: {}", verdict(r <= x)),
            None => format!("≤ {x:.2}"),
        },
        Target::MioRaw(x) => match (corio, row.value(Rt::MioRaw)) {
            (Some(c), Some(m)) => {
                format!("≤ {x:.2} × mio-raw: {:.2}, {}", c / m, verdict(c / m <= x))
            }
            _ => format!("≤ {x:.2} × mio-raw"),
        },
        Target::TokioMt(x) => {
            let mut cell = match (row.value(Rt::CorioLoops), row.value(Rt::TokioMt)) {
                (Some(c), Some(t)) => format!(
                    "corio-loops ≤ {x:.2} × tokio-mt: {:.2}, {}",
                    c / t,
                    verdict(c / t <= x)
                ),
                _ => format!("corio-loops ≤ {x:.2} × tokio-mt"),
            };
            // How far corio is from the readiness model's floor on 2 threads,
            // and how far that floor itself is from the target.
            if let (Some(c), Some(m)) = (row.value(Rt::CorioLoops), row.value(Rt::MioRaw)) {
                let _ = write!(cell, "; corio-loops ÷ mio-raw (2t): {:.2}", c / m);
                if let Some(t) = row.value(Rt::TokioMt) {
                    let _ = write!(cell, "; mio-raw (2t) ÷ tokio-mt: {:.2}", m / t);
                }
            }
            cell
        }
        Target::Bytes(b) => match corio {
            Some(c) => format!("≤ {b:.0} B/task: {}", verdict(c <= b)),
            None => format!("≤ {b:.0} B/task"),
        },
        Target::None => "—".to_owned(),
    }
}

/// The runtimes that have a value somewhere in `rows`, in table order.
pub fn columns(rows: &[Row]) -> Vec<Rt> {
    Rt::ALL
        .into_iter()
        .filter(|&rt| rows.iter().any(|r| r.value(rt).is_some()))
        .collect()
}

fn header(rt: Rt) -> &'static str {
    match rt {
        Rt::TokioMt => "tokio-mt (2)",
        Rt::CorioLoops => "corio-loops (2)",
        Rt::SmolMt => "smol-mt (2)",
        rt => rt.name(),
    }
}

/// The markdown table of medians.
pub fn table(rows: &[Row]) -> String {
    let cols = columns(rows);
    let python = rows.iter().any(|r| r.python.is_some());
    let mut head = vec!["workload".to_owned()];
    head.extend(cols.iter().map(|&rt| header(rt).to_owned()));
    if python {
        head.push("asyncio (python3)".to_owned());
    }
    head.push("corio ÷ best single-thread peer".to_owned());
    head.push("target".to_owned());

    let mut t = format!("| {} |\n", head.join(" | "));
    t.push_str(&format!("|{}\n", "---|".repeat(head.len())));
    for row in rows {
        let mut cells = vec![row.name.to_owned()];
        cells.extend(cols.iter().map(|&rt| row.cell(rt)));
        if python {
            cells.push(row.python.map(|v| row.unit.format(v)).unwrap_or_default());
        }
        cells.push(match (row.ratio(), row.best_peer()) {
            (Some(r), Some((peer, _))) => format!("{r:.2} (vs {})", peer.name()),
            _ => String::new(),
        });
        cells.push(target_cell(row));
        t.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    t
}

/// What the reader of the table needs to know.
pub fn target_notes(rows: &[Row]) -> Vec<String> {
    let mut notes = vec![
        "Medians; lower is better. The ratio is corio ÷ the faster of tokio-ct and smol."
            .to_owned(),
    ];
    if rows
        .iter()
        .any(|r| r.name.ends_with("_2t") && r.value(Rt::MioRaw).is_some())
    {
        notes.push(
            "In the _2t rows, mio-raw is two threads, each a hand-written mio loop with its own listener and half the clients: the floor of the readiness model on 2 threads."
                .to_owned(),
        );
    }
    if rows.iter().any(|r| {
        Rt::ALL
            .iter()
            .any(|&rt| r.members.iter().filter(|m| m.rt == rt).count() > 1)
    }) {
        notes.push(
            "Where a peer has several APIs for a workload (tokio's join_all and JoinSet), its cell shows the faster."
                .to_owned(),
        );
    }
    notes
}

/// The machine the run is on.
pub struct Machine {
    pub nproc: usize,
    pub uname: String,
    pub cpu: String,
    /// `rustc -V` of the compiler on the PATH (the one cargo ran).
    pub rustc: String,
    pub date: String,
    pub load_start: String,
}

impl Machine {
    pub fn probe() -> Machine {
        Machine {
            nproc: std::thread::available_parallelism().map_or(0, |n| n.get()),
            uname: command_output("uname", &["-sr"]).unwrap_or_else(|| "unknown".to_owned()),
            cpu: std::fs::read_to_string("/proc/cpuinfo")
                .ok()
                .and_then(|info| {
                    info.lines()
                        .find(|l| l.starts_with("model name"))
                        .and_then(|l| l.split_once(':'))
                        .map(|(_, m)| m.trim().to_owned())
                })
                .unwrap_or_else(|| "unknown CPU".to_owned()),
            rustc: command_output("rustc", &["-V"]).unwrap_or_else(|| "rustc unknown".to_owned()),
            date: command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default(),
            load_start: load_average(),
        }
    }

    pub fn summary(&self) -> String {
        format!(
            "{} CPU{}, {}, {}; load average {}",
            self.nproc,
            if self.nproc == 1 { "" } else { "s" },
            self.cpu,
            self.uname,
            self.load_start
        )
    }
}

fn command_output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The 1, 5 and 15-minute load averages (Linux), else "unknown".
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// How the run went.
pub struct Run {
    pub machine: Machine,
    pub reps: usize,
    pub total_secs: f64,
    pub command: String,
}

/// `target/compare/results.md`: the table, the machine, every member.
pub fn markdown(rows: &[Row], run: &Run) -> String {
    let m = &run.machine;
    let mut s = String::from("# corio compare: results\n\n");
    let _ = writeln!(
        s,
        "{} · {} CPUs ({}) · {} · medians of {} run{} after one warm-up · whole run {:.0} s · load average (1, 5, 15 min) {} at the start, {} at the end\n",
        m.date,
        m.nproc,
        m.cpu,
        m.uname,
        run.reps,
        if run.reps == 1 { "" } else { "s" },
        run.total_secs,
        m.load_start,
        load_average(),
    );
    let _ = writeln!(s, "Reproduce with `{}`.\n", run.command);
    s.push_str(&table(rows));
    s.push('\n');
    for note in target_notes(rows) {
        let _ = writeln!(s, "{note}");
    }
    s.push_str("\n![chart](results.svg)\n\n## Workloads\n\n");
    for row in rows {
        let _ = writeln!(s, "- **{}**: {}", row.name, row.about);
    }
    s.push_str("\n## Every member (median, min–max)\n\n| workload | member | median | min | max | runs |\n|---|---|---|---|---|---|\n");
    for row in rows {
        for mem in &row.members {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                row.name,
                mem.label,
                row.unit.format(mem.median()),
                row.unit.format(mem.min()),
                row.unit.format(mem.max()),
                mem.samples.len()
            );
        }
    }
    s
}

/// The machine line of a published table: CPU, cores, kernel, compiler.
fn machine_line(m: &Machine) -> String {
    format!(
        "{} · {} core{} · {} · {}",
        m.cpu,
        m.nproc,
        if m.nproc == 1 { "" } else { "s" },
        m.uname,
        m.rustc
    )
}

/// The `compare` block of `docs/benchmarks.md`: the command, the machine,
/// the table of medians, the notes and what each workload does. No date:
/// the file's history in git says when it was written.
pub fn published(rows: &[Row], run: &Run) -> String {
    let m = &run.machine;
    let mut s = String::new();
    let _ = writeln!(s, "Command: `{}`\n", run.command);
    let _ = writeln!(s, "Machine: {}\n", machine_line(m));
    let _ = writeln!(
        s,
        "Medians of {} timed run{} per member after one warm-up; the whole run took {:.0} s; load average (1, 5, 15 min) {} at the start, {} at the end.\n",
        run.reps,
        if run.reps == 1 { "" } else { "s" },
        run.total_secs,
        m.load_start,
        load_average(),
    );
    s.push_str(&table(rows));
    s.push('\n');
    for note in target_notes(rows) {
        let _ = writeln!(s, "{note}");
    }
    s.push_str("\nThe workloads:\n\n");
    for row in rows {
        let _ = writeln!(s, "- **{}**: {}", row.name, row.about);
    }
    s
}

/// The README's block: corio against its best single-thread peer on each
/// workload the run had both for, and where the full table is.
pub fn summary(rows: &[Row], run: &Run) -> String {
    let mut s = String::from(
        "| workload | corio | best single-thread peer | corio ÷ peer |\n|---|---|---|---|\n",
    );
    for row in rows {
        let (Some(c), Some((peer, p)), Some(r)) =
            (row.value(Rt::Corio), row.best_peer(), row.ratio())
        else {
            continue;
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} {} | {r:.2} |",
            row.name,
            row.unit.format(c),
            peer.name(),
            row.unit.format(p)
        );
    }
    let _ = writeln!(
        s,
        "\nMedians, lower is better; written by `{}` on {}. Every runtime, the two-thread rows and the targets: [docs/benchmarks.md](docs/benchmarks.md).",
        run.command,
        machine_line(&run.machine)
    );
    s
}
