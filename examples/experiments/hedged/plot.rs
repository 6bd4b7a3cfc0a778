//! The SVG plot: one panel per duty cycle, success within the deadline
//! against k, one line per strategy. Written by hand — a plot is a few
//! dozen SVG elements.

use std::fmt::Write;

use super::Row;

const PANEL_W: f64 = 260.0;
const PANEL_H: f64 = 220.0;
const MARGIN: f64 = 50.0;

/// The strategies drawn, with their colours (sequential retry is a dashed
/// line across each panel: it has no k).
const SERIES: [(&str, &str); 3] = [
    ("k concurrent tasks", "#1f77b4"),
    ("staggered hedge", "#2ca02c"),
    ("k concurrent threads", "#d62728"),
];

/// The plot of `rows`, as an SVG document.
pub fn svg(rows: &[Row], deadline_ms: f64) -> String {
    let mut duties: Vec<f64> = rows.iter().map(|r| r.duty).collect();
    duties.dedup();
    let mut ks: Vec<usize> = rows.iter().map(|r| r.k).collect();
    ks.sort_unstable();
    ks.dedup();
    let width = MARGIN + duties.len() as f64 * (PANEL_W + MARGIN);
    let height = PANEL_H + 2.5 * MARGIN + 20.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{MARGIN}" y="18" font-size="13">Seed 002: answered within t = {deadline_ms:.0} ms, by duty cycle of the server's peaks</text>"#
    );
    let x_of = |i: usize| {
        if ks.len() < 2 {
            PANEL_W / 2.0
        } else {
            i as f64 * PANEL_W / (ks.len() - 1) as f64
        }
    };
    let y_of = |rate: f64| PANEL_H * (1.0 - rate);
    for (p, &duty) in duties.iter().enumerate() {
        let left = MARGIN + p as f64 * (PANEL_W + MARGIN);
        let top = MARGIN;
        let _ = writeln!(out, r#"<g transform="translate({left},{top})">"#);
        let _ = writeln!(
            out,
            r##"<rect width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#999"/>"##
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="-6" text-anchor="middle">duty {:.0} %</text>"#,
            PANEL_W / 2.0,
            duty * 100.0
        );
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let y = y_of(tick);
            let _ = writeln!(
                out,
                r##"<line x1="0" x2="{PANEL_W}" y1="{y}" y2="{y}" stroke="#eee"/><text x="-4" y="{}" text-anchor="end">{:.0} %</text>"##,
                y + 4.0,
                tick * 100.0
            );
        }
        for (i, k) in ks.iter().enumerate() {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle">k = {k}</text>"#,
                x_of(i),
                PANEL_H + 16.0
            );
        }
        let in_panel = |name: &'static str| {
            rows.iter()
                .filter(move |r| r.duty == duty && r.strategy.name() == name)
        };
        let sequential = in_panel("sequential retry").next();
        if let Some(seq) = sequential {
            let y = y_of(seq.outcome.success_rate());
            let _ = writeln!(
                out,
                r##"<line x1="0" x2="{PANEL_W}" y1="{y}" y2="{y}" stroke="#555" stroke-dasharray="5,4"/>"##
            );
        }
        for (name, colour) in SERIES {
            let mut points: Vec<(usize, f64)> = in_panel(name)
                .map(|r| (r.k, r.outcome.success_rate()))
                .collect();
            // The staggered hedge with k = 1 is sequential retry.
            if matches!(name, "staggered hedge") {
                if let Some(seq) = sequential {
                    points.insert(0, (1, seq.outcome.success_rate()));
                }
            }
            let coords: Vec<String> = points
                .iter()
                .filter_map(|&(k, rate)| {
                    let i = ks.iter().position(|&x| x == k)?;
                    Some(format!("{:.1},{:.1}", x_of(i), y_of(rate)))
                })
                .collect();
            let _ = writeln!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                coords.join(" ")
            );
            for c in &coords {
                let (x, y) = c.split_once(',').expect("x,y");
                let _ = writeln!(out, r#"<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>"#);
            }
        }
        let _ = writeln!(out, "</g>");
    }
    let legend_y = MARGIN + PANEL_H + 40.0;
    let mut x = MARGIN;
    let _ = writeln!(
        out,
        r##"<line x1="{x}" x2="{}" y1="{legend_y}" y2="{legend_y}" stroke="#555" stroke-dasharray="5,4"/><text x="{}" y="{}">sequential retry</text>"##,
        x + 20.0,
        x + 24.0,
        legend_y + 4.0
    );
    x += 130.0;
    for (name, colour) in SERIES {
        let _ = writeln!(
            out,
            r#"<line x1="{x}" x2="{}" y1="{legend_y}" y2="{legend_y}" stroke="{colour}" stroke-width="2"/><text x="{}" y="{}">{name}</text>"#,
            x + 20.0,
            x + 24.0,
            legend_y + 4.0
        );
        x += 160.0;
    }
    out.push_str("</svg>\n");
    out
}
