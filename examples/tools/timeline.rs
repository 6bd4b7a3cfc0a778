//! timeline: turns a corio trace into one self-contained HTML page.
//!
//! The lesson is the loop itself: run any example with `CORIO_TRACE=trace.json`,
//! then `cargo run --example timeline -- trace.json > timeline.html` and open
//! the page (no network needed: the drawing is inline SVG, with no scripts).
//!
//! * one lane per task, in the order tasks first ran; each step is a bar,
//!   coloured by how it ended (pending, ready, cancelled, panicked);
//! * a lane for the loop on top: parks, timer rounds, IO polls, callbacks;
//!   a lane under it for each pool worker that ran a job from this loop;
//! * arrows: blue from a parent's step to its child's first step (spawn),
//!   grey from the step or park that woke a task to its next step (wake),
//!   orange for a wake another thread sent and for a pool job's hand-off;
//! * hovering a bar or an arrow shows the event (an SVG `<title>`).
//!
//! Time is drawn on a broken axis: busy time is to scale, and each park is a
//! fixed-width gap labelled with how long the loop slept — otherwise a 10 ms
//! sleep would squeeze a run of 2 µs steps into nothing.
//!
//! With `--svg` it writes the drawing alone, with its legend inside, as one
//! SVG document that scales to the width it is shown at: the form the guide
//! inlines in its chapters (`scripts/timelines.sh` makes them all).
//!
//! Trace Event Format is read with `serde_json` (a dev-dependency).

#[path = "../support/help.rs"]
mod help;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::Value;

const USAGE: &str =
    "usage: cargo run --example timeline -- [--svg] TRACE.json > timeline.html  (--help for more)";

/// The width the whole axis aims for: busy time is scaled to what the parks'
/// gaps leave of it (but never below [`MIN_BUSY_PX`]).
const AXIS_PX: f64 = 1180.0;
const MIN_BUSY_PX: f64 = 500.0;
/// Width of the gap that stands for one park, whatever its length.
const PARK_PX: f64 = 36.0;
/// The narrowest bar drawn, so that a 100 ns step is still visible.
const MIN_BAR_PX: f64 = 2.0;
const LANE_PX: f64 = 26.0;
const LABEL_PX: f64 = 220.0;
const TOP_PX: f64 = 40.0;
/// Arrow kinds and their colours: spawn, wake, wake from another thread.
const ARROWS: [(&str, &str); 3] = [
    ("spawn", "#1d4ed8"),
    ("wake", "#6b7280"),
    ("remote", "#ea580c"),
];

fn main() -> ExitCode {
    if help::requested(
        include_str!("timeline.rs"),
        "TRACE.json   the trace to draw (CORIO_TRACE=TRACE.json cargo run --example gather_wait)\n--svg        write one SVG document (legend included) instead of an HTML page",
    ) {
        return ExitCode::SUCCESS;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, svg_only) = match args.as_slice() {
        [path] if path != "--svg" => (path, false),
        [flag, path] if flag == "--svg" => (path, true),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("timeline: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let events = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(events)) => events,
        Ok(_) => {
            eprintln!("timeline: {path} is not a JSON array of trace events");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("timeline: {path} is not valid JSON: {e}");
            return ExitCode::FAILURE;
        }
    };
    let trace = Trace::read(&events);
    let title = std::path::Path::new(path)
        .file_name()
        .map_or(path.clone(), |f| f.to_string_lossy().into_owned());
    if svg_only {
        print!("{}", trace.svg(true));
    } else {
        println!("{}", trace.page(&title));
    }
    ExitCode::SUCCESS
}

/// A slice of the trace, times in nanoseconds.
#[derive(Debug, Clone)]
struct Bar {
    track: u64,
    start: u64,
    end: u64,
    name: String,
    cat: String,
    args: Value,
}

/// An arrow of the trace.
#[derive(Debug)]
struct Flow {
    name: String,
    track: u64,
    from: u64,
    to: u64,
}

/// What the page draws, gathered from the events.
struct Trace {
    /// Task steps per lane key (track, task id), lanes in order of first step.
    lanes: Vec<((u64, u64), String)>,
    steps: Vec<Bar>,
    /// Everything else on a loop's own lane (parks, timers, IO, callbacks).
    loop_bars: Vec<Bar>,
    tracks: Vec<u64>,
    /// Each track's thread name from the trace's metadata (`corio loop 1
    /// (main)`, `corio pool worker 2 (corio-pool-1)`).
    track_names: HashMap<u64, String>,
    flows: Vec<Flow>,
    axis: Axis,
}

fn ns(v: &Value) -> u64 {
    (v.as_f64().unwrap_or(0.0) * 1000.0).round() as u64
}

impl Trace {
    fn read(events: &[Value]) -> Trace {
        let mut steps = Vec::new();
        let mut loop_bars = Vec::new();
        let mut starts: HashMap<u64, (u64, String)> = HashMap::new();
        let mut flows = Vec::new();
        let mut track_names = HashMap::new();
        for e in events {
            let track = e["tid"].as_u64().unwrap_or(0);
            match e["ph"].as_str() {
                Some("M") if e["name"] == "thread_name" => {
                    if let Some(name) = e["args"]["name"].as_str() {
                        track_names.insert(track, name.to_string());
                    }
                }
                Some("X") => {
                    let start = ns(&e["ts"]);
                    let bar = Bar {
                        track,
                        start,
                        end: start + ns(&e["dur"]),
                        name: e["name"].as_str().unwrap_or("?").to_string(),
                        cat: e["cat"].as_str().unwrap_or("").to_string(),
                        args: e["args"].clone(),
                    };
                    match bar.cat.as_str() {
                        "step" => steps.push(bar),
                        "loop" => {}
                        _ => loop_bars.push(bar),
                    }
                }
                Some("s") => {
                    let id = e["id"].as_u64().unwrap_or(0);
                    starts.insert(id, (ns(&e["ts"]), track.to_string()));
                }
                Some("f") => {
                    let id = e["id"].as_u64().unwrap_or(0);
                    if let Some((from, _)) = starts.remove(&id) {
                        flows.push(Flow {
                            name: e["name"].as_str().unwrap_or("flow").to_string(),
                            track,
                            from,
                            to: ns(&e["ts"]),
                        });
                    }
                }
                _ => {}
            }
        }
        steps.sort_by_key(|b| b.start);
        loop_bars.sort_by_key(|b| b.start);
        let mut lanes: Vec<((u64, u64), String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for s in &steps {
            let key = (s.track, s.args["task"].as_u64().unwrap_or(0));
            if seen.insert(key) {
                lanes.push((key, s.name.clone()));
            }
        }
        let mut tracks: Vec<u64> = steps.iter().chain(&loop_bars).map(|b| b.track).collect();
        tracks.sort_unstable();
        tracks.dedup();
        let parks: Vec<(u64, u64)> = loop_bars
            .iter()
            .filter(|b| b.cat == "park")
            .map(|b| (b.start, b.end))
            .collect();
        let first = steps
            .iter()
            .chain(&loop_bars)
            .map(|b| b.start)
            .min()
            .unwrap_or(0);
        let last = steps
            .iter()
            .chain(&loop_bars)
            .map(|b| b.end)
            .max()
            .unwrap_or(0);
        Trace {
            lanes,
            steps,
            loop_bars,
            tracks,
            track_names,
            flows,
            axis: Axis::new(first, last, parks),
        }
    }

    fn lane_of_step(&self, track: u64, task: u64) -> usize {
        self.tracks.len()
            + self
                .lanes
                .iter()
                .position(|(key, _)| *key == (track, task))
                .unwrap_or(0)
    }

    fn lane_of_track(&self, track: u64) -> usize {
        self.tracks.iter().position(|t| *t == track).unwrap_or(0)
    }

    /// The lane an arrow leaves from: the step running at `ts` on `track`,
    /// else the loop's own lane (a park, a timer round, a thread's wake).
    fn lane_at(&self, track: u64, ts: u64) -> usize {
        self.steps
            .iter()
            .find(|s| s.track == track && s.start <= ts && ts <= s.end)
            .map(|s| self.lane_of_step(track, s.args["task"].as_u64().unwrap_or(0)))
            .unwrap_or_else(|| self.lane_of_track(track))
    }

    /// The HTML page: a heading, the legend, the drawing.
    fn page(&self, source: &str) -> String {
        page(
            source,
            self.steps.len(),
            self.flows.len(),
            self.axis.px_per_us,
            &self.svg(false),
        )
    }

    /// The drawing. `standalone`: a document of its own that scales down to
    /// its container and carries its legend (the HTML page has its own).
    fn svg(&self, standalone: bool) -> String {
        let lanes = self.tracks.len() + self.lanes.len();
        let end = self
            .steps
            .iter()
            .chain(&self.loop_bars)
            .map(|b| b.end)
            .max()
            .unwrap_or(0);
        let width = LABEL_PX + self.axis.x(end) + 40.0;
        let legend_y = TOP_PX + lanes as f64 * LANE_PX + 24.0;
        let height = legend_y + if standalone { 40.0 } else { 16.0 };
        let mut svg = String::new();
        let scale = if standalone {
            format!(r#" viewBox="0 0 {width:.0} {height:.0}" style="max-width:100%;height:auto""#)
        } else {
            String::new()
        };
        let _ = writeln!(
            svg,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}"{scale} font-family="sans-serif" font-size="12">"##
        );
        svg.push_str("<defs>");
        for (kind, colour) in ARROWS {
            let _ = write!(
                svg,
                r##"<marker id="head-{kind}" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="{colour}"/></marker>"##
            );
        }
        svg.push_str("</defs>\n");
        // Lane backgrounds and labels.
        for lane in 0..lanes {
            let y = TOP_PX + lane as f64 * LANE_PX;
            let label = if lane < self.tracks.len() {
                let track = self.tracks[lane];
                self.track_names
                    .get(&track)
                    .cloned()
                    .unwrap_or_else(|| format!("loop (track {track})"))
            } else {
                let ((_, id), name) = &self.lanes[lane - self.tracks.len()];
                if name == &format!("Task-{id}") {
                    name.clone()
                } else {
                    format!("{name} (#{id})")
                }
            };
            let fill = if lane % 2 == 0 { "#f6f6f6" } else { "#ffffff" };
            let _ = writeln!(
                svg,
                r##"<rect x="0" y="{y}" width="{width:.0}" height="{LANE_PX}" fill="{fill}"/><text x="6" y="{:.1}">{}</text>"##,
                y + LANE_PX * 0.65,
                escape(&label)
            );
        }
        // Park gaps: a band over every lane, labelled with the time slept.
        for park in self.loop_bars.iter().filter(|b| b.cat == "park") {
            let x0 = LABEL_PX + self.axis.x(park.start);
            let x1 = LABEL_PX + self.axis.x(park.end);
            let _ = writeln!(
                svg,
                r##"<rect class="park" x="{x0:.1}" y="{TOP_PX}" width="{:.1}" height="{:.1}" fill="#e8eef8"><title>{}</title></rect><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#557">{}</text>"##,
                (x1 - x0).max(1.0),
                lanes as f64 * LANE_PX,
                escape(&describe(park)),
                (x0 + x1) / 2.0,
                TOP_PX - 6.0,
                micros(park.end - park.start),
            );
        }
        // The loop's own events.
        for bar in self.loop_bars.iter().filter(|b| b.cat != "park") {
            let lane = self.lane_of_track(bar.track);
            let colour = match bar.cat.as_str() {
                "timer" => "#c98a1a",
                "io" => "#2a9d8f",
                "pool" => "#b5651d",
                _ => "#7a5cc2",
            };
            self.bar(&mut svg, lane, bar, colour, "");
        }
        // Steps.
        for step in &self.steps {
            let lane = self.lane_of_step(step.track, step.args["task"].as_u64().unwrap_or(0));
            let colour = match step.args["outcome"].as_str() {
                Some("ready") => "#2e9e44",
                Some("cancelled") => "#888888",
                Some("panicked") => "#d62828",
                _ => "#3a6fd8",
            };
            self.bar(&mut svg, lane, step, colour, r##" class="step""##);
        }
        // Arrows.
        for flow in &self.flows {
            let from_lane = self.lane_at(flow.track, flow.from);
            let to_lane = self.lane_at(flow.track, flow.to);
            let (x0, x1) = (
                LABEL_PX + self.axis.x(flow.from),
                LABEL_PX + self.axis.x(flow.to),
            );
            let (y0, y1) = (lane_mid(from_lane), lane_mid(to_lane));
            let (kind, colour) = match flow.name.as_str() {
                "spawn" => ARROWS[0],
                "wake" => ARROWS[1],
                _ => ARROWS[2],
            };
            let bend = ((x1 - x0) / 2.0).max(12.0);
            let _ = writeln!(
                svg,
                r##"<path d="M{x0:.1},{y0:.1} C{:.1},{y0:.1} {:.1},{y1:.1} {x1:.1},{y1:.1}" fill="none" stroke="{colour}" stroke-width="1.2" opacity="0.8" marker-end="url(#head-{kind})"><title>{}</title></path>"##,
                x0 + bend,
                x1 - bend,
                escape(&format!(
                    "{} at {}, arrives at {}",
                    flow.name,
                    micros(flow.from.saturating_sub(self.axis.first)),
                    micros(flow.to.saturating_sub(self.axis.first))
                )),
            );
        }
        if standalone {
            legend(&mut svg, legend_y);
        }
        svg.push_str("</svg>\n");
        svg
    }

    fn bar(&self, svg: &mut String, lane: usize, bar: &Bar, colour: &str, class: &str) {
        let x0 = LABEL_PX + self.axis.x(bar.start);
        let x1 = LABEL_PX + self.axis.x(bar.end);
        let y = TOP_PX + lane as f64 * LANE_PX + 4.0;
        let _ = writeln!(
            svg,
            r##"<rect{class} x="{x0:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{}</title></rect>"##,
            (x1 - x0).max(MIN_BAR_PX),
            LANE_PX - 8.0,
            escape(&format!(
                "{} at {}",
                describe(bar),
                micros(bar.start.saturating_sub(self.axis.first))
            )),
        );
    }
}

/// The colours' meanings, in two rows under the lanes (standalone SVG).
fn legend(svg: &mut String, y: f64) {
    const KEYS: [(&str, &str); 12] = [
        ("#3a6fd8", "step → pending"),
        ("#2e9e44", "step → ready"),
        ("#888888", "cancelled"),
        ("#d62828", "panicked"),
        ("#e8eef8", "park"),
        ("#c98a1a", "timers fired"),
        ("#2a9d8f", "IO poll"),
        ("#7a5cc2", "callback"),
        ("#b5651d", "pool job"),
        ("#1d4ed8", "spawn arrow"),
        ("#6b7280", "wake arrow"),
        ("#ea580c", "wake from another thread"),
    ];
    for (i, (colour, text)) in KEYS.iter().enumerate() {
        let x = 6.0 + (i % 6) as f64 * 190.0;
        let row_y = y + (i / 6) as f64 * 18.0;
        let _ = writeln!(
            svg,
            r##"<rect x="{x:.0}" y="{:.0}" width="12" height="12" fill="{colour}" stroke="#999" stroke-width="0.5"/><text x="{:.0}" y="{row_y:.0}">{}</text>"##,
            row_y - 10.0,
            x + 17.0,
            escape(text)
        );
    }
}

fn lane_mid(lane: usize) -> f64 {
    TOP_PX + lane as f64 * LANE_PX + LANE_PX / 2.0
}

/// The hover text of a slice: its name, duration and arguments.
fn describe(bar: &Bar) -> String {
    let mut text = format!(
        "{} ({}), {}",
        bar.name,
        bar.cat,
        micros(bar.end - bar.start)
    );
    if let Value::Object(args) = &bar.args {
        for (k, v) in args {
            let _ = write!(text, "; {k}: {v}");
        }
    }
    text
}

/// The broken time axis: busy time to scale, each park a fixed gap.
struct Axis {
    first: u64,
    /// Parks merged and sorted, with the busy nanoseconds before each.
    parks: Vec<(u64, u64)>,
    /// Busy time (ns) and parks before the start of each park, for `x`.
    before: BTreeMap<u64, (u64, usize)>,
    /// The scale of busy time, chosen so that it fills [`BUSY_PX`].
    px_per_us: f64,
}

impl Axis {
    fn new(first: u64, last: u64, mut parks: Vec<(u64, u64)>) -> Axis {
        parks.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::new();
        for (a, b) in parks {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let mut before = BTreeMap::new();
        let merged_len = merged.len();
        let (mut busy, mut cursor) = (0u64, first);
        for (i, &(a, b)) in merged.iter().enumerate() {
            busy += a.saturating_sub(cursor);
            before.insert(a, (busy, i));
            cursor = b.max(cursor);
        }
        busy += last.saturating_sub(cursor);
        Axis {
            first,
            parks: merged,
            before,
            px_per_us: ((AXIS_PX - merged_len as f64 * PARK_PX).max(MIN_BUSY_PX)
                / (busy.max(1) as f64 / 1000.0))
                .clamp(0.001, 100.0),
        }
    }

    /// Pixels from the start of the axis to time `t`.
    fn x(&self, t: u64) -> f64 {
        let us = |ns: u64| ns as f64 / 1000.0 * self.px_per_us;
        match self.before.range(..=t).next_back() {
            None => us(t.saturating_sub(self.first)),
            Some((&a, &(busy, i))) => {
                let b = self.parks[i].1;
                let base = us(busy) + i as f64 * PARK_PX;
                if t <= b {
                    let part = if b > a {
                        (t - a) as f64 / (b - a) as f64
                    } else {
                        0.0
                    };
                    base + part * PARK_PX
                } else {
                    base + PARK_PX + us(t - b)
                }
            }
        }
    }
}

fn micros(ns: u64) -> String {
    if ns >= 1_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.1} µs", ns as f64 / 1e3)
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(source: &str, steps: usize, flows: usize, px_per_us: f64, svg: &str) -> String {
    format!(
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>corio timeline: {title}</title>
<style>
body {{ font-family: sans-serif; margin: 16px; color: #222; }}
.legend span {{ display: inline-block; margin-right: 14px; }}
.legend i {{ display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }}
.scroll {{ overflow-x: auto; border: 1px solid #ddd; }}
rect.step:hover {{ stroke: #000; stroke-width: 1; }}
</style></head>
<body>
<h1>corio timeline</h1>
<p>{title}: {steps} task steps, {flows} arrows. Busy time is to scale ({px:.2} px per µs);
each shaded gap is one park, labelled with how long the loop slept. Hover anything for details.</p>
<p class="legend">
<span><i style="background:#3a6fd8"></i>step → pending</span>
<span><i style="background:#2e9e44"></i>step → ready</span>
<span><i style="background:#888"></i>cancelled</span>
<span><i style="background:#d62828"></i>panicked</span>
<span><i style="background:#e8eef8"></i>park</span>
<span><i style="background:#c98a1a"></i>timers fired</span>
<span><i style="background:#2a9d8f"></i>IO poll</span>
<span><i style="background:#7a5cc2"></i>callback</span>
<span><i style="background:#b5651d"></i>pool job</span>
<span><i style="background:#1d4ed8"></i>spawn arrow</span>
<span><i style="background:#6b7280"></i>wake arrow</span>
<span><i style="background:#ea580c"></i>wake from another thread</span>
</p>
<div class="scroll">
{svg}</div>
</body></html>"##,
        title = escape(source),
        px = px_per_us,
    )
}
