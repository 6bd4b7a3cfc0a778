//! `target/compare/results.svg`, written by hand: grouped bars per workload,
//! one bar per runtime, each runtime's median divided by corio's (corio = 1)
//! on a log scale, and each bar labelled with its own median.

use std::fmt::Write;

use crate::report::{columns, Row, Run};
use crate::workloads::Rt;

const BAR: f64 = 16.0;
const BAR_GAP: f64 = 2.0;
const GROUP_GAP: f64 = 34.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 110.0;
const PLOT_H: f64 = 360.0;
const BELOW: f64 = 170.0;

/// A workload's bars: (series, median, median ÷ corio's).
type Bars = Vec<(Series, f64, f64)>;

/// A bar series: a runtime, or the asyncio reference.
#[derive(Clone, Copy)]
enum Series {
    Rt(Rt),
    Asyncio,
}

impl Series {
    fn name(self) -> &'static str {
        match self {
            Series::Rt(Rt::TokioMt) => "tokio-mt (2 workers)",
            Series::Rt(Rt::CorioLoops) => "corio-loops (2 loops)",
            Series::Rt(Rt::SmolMt) => "smol-mt (2 threads)",
            Series::Rt(rt) => rt.name(),
            Series::Asyncio => "asyncio (python3)",
        }
    }

    fn color(self) -> &'static str {
        match self {
            Series::Rt(Rt::Corio) => "#c0392b",
            Series::Rt(Rt::CorioTraced) => "#f1948a",
            Series::Rt(Rt::CorioNoSeam) => "#922b21",
            Series::Rt(Rt::TokioCt) => "#1f5f99",
            Series::Rt(Rt::TokioMt) => "#7fb3e0",
            Series::Rt(Rt::Smol) => "#2e9d5b",
            Series::Rt(Rt::MioRaw) => "#7f7f7f",
            Series::Rt(Rt::CorioLoops) => "#e67e73",
            Series::Rt(Rt::SmolMt) => "#8fd1aa",
            Series::Asyncio => "#e0b020",
        }
    }

    fn value(self, row: &Row) -> Option<f64> {
        match self {
            Series::Rt(rt) => row.value(rt),
            Series::Asyncio => row.python,
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn svg(rows: &[Row], run: &Run) -> String {
    let mut series: Vec<Series> = columns(rows).into_iter().map(Series::Rt).collect();
    if rows.iter().any(|r| r.python.is_some()) {
        series.push(Series::Asyncio);
    }
    // (row, [(series, median, median ÷ corio's)]) for the rows corio ran.
    let groups: Vec<(&Row, Bars)> = rows
        .iter()
        .filter_map(|row| {
            // The `_2t` rows are scaled to corio's multi-loop runtime.
            let corio = row
                .value(Rt::Corio)
                .or(row.value(Rt::CorioLoops))
                .filter(|&c| c > 0.0)?;
            let bars = series
                .iter()
                .filter_map(|&s| s.value(row).map(|v| (s, v, v / corio)))
                .collect();
            Some((row, bars))
        })
        .collect();

    // The log axis: whole decades around every ratio, at least 0.1 to 10.
    let ratios = groups.iter().flat_map(|g| g.1.iter().map(|b| b.2));
    let (lo, hi) = ratios.fold((0.1f64, 10.0f64), |(lo, hi), r| (lo.min(r), hi.max(r)));
    let (lo_exp, hi_exp) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let y = |v: f64| TOP + PLOT_H * (hi_exp as f64 - v.log10()) / (hi_exp - lo_exp) as f64;
    let bottom = TOP + PLOT_H;

    let group_w = |n: usize| n as f64 * (BAR + BAR_GAP) - BAR_GAP;
    let plot_w: f64 = groups.iter().map(|g| group_w(g.1.len())).sum::<f64>()
        + GROUP_GAP * (groups.len() + 1) as f64;
    let width = (LEFT + plot_w + RIGHT).max(760.0);
    let height = TOP + PLOT_H + BELOW;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="Helvetica, Arial, sans-serif">"##
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="26" font-size="17" font-weight="bold">corio vs tokio and smol: each median ÷ corio's (log scale, lower is better)</text>"##
    );
    let m = &run.machine;
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="46" font-size="12" fill="#444">{}</text>"##,
        esc(&format!(
            "medians of {} run{} · {} · {} CPUs, {} · {}",
            run.reps,
            if run.reps == 1 { "" } else { "s" },
            m.date,
            m.nproc,
            m.cpu,
            m.uname
        ))
    );
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="64" font-size="12" fill="#444">corio = 1 (dashed line); each bar is labelled with its median (ms; bytes per task for idle_memory)</text>"##
    );

    // Grid: 1, 2, 5 × each decade.
    for e in lo_exp..=hi_exp {
        for k in [1.0, 2.0, 5.0] {
            let v = k * 10f64.powi(e);
            if e == hi_exp && k > 1.0 {
                break;
            }
            let gy = y(v);
            let (stroke, w) = if k == 1.0 {
                ("#bbb", 1.0)
            } else {
                ("#e4e4e4", 0.8)
            };
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" y1="{gy:.1}" x2="{:.1}" y2="{gy:.1}" stroke="{stroke}" stroke-width="{w}"/>"##,
                LEFT + plot_w
            );
            let label = if v >= 1.0 {
                format!("{v:.0}×")
            } else {
                format!("{}×", trim_float(v))
            };
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#555">{label}</text>"##,
                LEFT - 6.0,
                gy + 4.0
            );
        }
    }

    let mut x = LEFT + GROUP_GAP;
    for (row, bars) in &groups {
        let w = group_w(bars.len());
        for (i, &(series, value, ratio)) in bars.iter().enumerate() {
            let bx = x + i as f64 * (BAR + BAR_GAP);
            let by = y(ratio);
            let _ = writeln!(
                s,
                r##"<rect x="{bx:.1}" y="{by:.1}" width="{BAR}" height="{:.1}" fill="{}"><title>{}: {} ({:.2}× corio)</title></rect>"##,
                (bottom - by).max(0.5),
                series.color(),
                esc(&format!("{} {}", row.name, series.name())),
                esc(&row.unit.format(value)),
                ratio
            );
            let (tx, ty) = (bx + BAR / 2.0 + 3.5, by - 4.0);
            let _ = writeln!(
                s,
                r##"<text x="{tx:.1}" y="{ty:.1}" font-size="9" fill="#333" transform="rotate(-90 {tx:.1} {ty:.1})">{}</text>"##,
                esc(&row.unit.format(value))
            );
        }
        let (lx, ly) = (x + w / 2.0 + 4.0, bottom + 14.0);
        let _ = writeln!(
            s,
            r##"<text x="{lx:.1}" y="{ly:.1}" font-size="12" text-anchor="end" transform="rotate(-35 {lx:.1} {ly:.1})">{}</text>"##,
            esc(row.name)
        );
        x += w + GROUP_GAP;
    }

    // corio's line, over the bars.
    let cy = y(1.0);
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{cy:.1}" x2="{:.1}" y2="{cy:.1}" stroke="{}" stroke-width="1.2" stroke-dasharray="5 4"/>"##,
        LEFT + plot_w,
        Series::Rt(Rt::Corio).color()
    );
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom:.1}" stroke="#333"/><line x1="{LEFT}" y1="{bottom:.1}" x2="{:.1}" y2="{bottom:.1}" stroke="#333"/>"##,
        LEFT + plot_w
    );

    // Legend, along the bottom.
    let mut lx = LEFT;
    let ly = height - 24.0;
    for &sr in &series {
        let _ = writeln!(
            s,
            r##"<rect x="{lx:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{ly:.1}" font-size="12">{}</text>"##,
            ly - 10.0,
            sr.color(),
            lx + 16.0,
            esc(sr.name())
        );
        lx += 16.0 + 7.5 * sr.name().len() as f64 + 18.0;
    }
    s.push_str("</svg>\n");
    s
}

/// 0.5 → "0.5", 0.01 → "0.01".
fn trim_float(v: f64) -> String {
    let t = format!("{v:.4}");
    t.trim_end_matches('0').trim_end_matches('.').to_owned()
}
