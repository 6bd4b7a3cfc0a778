//! The results: one table on the terminal with ratios (corio ÷ each peer),
//! the same as Markdown in `target/servers/results.md`, and a bar chart in
//! `target/servers/results.svg`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

/// What could not be measured, and why: printed under the tables.
static NOTES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Records a note for the report (and says it on stderr now).
pub fn note(text: String) {
    eprintln!("servers: {text}");
    NOTES.lock().unwrap_or_else(|e| e.into_inner()).push(text);
}

/// Extra Markdown sections for the report (after the tables).
static SECTIONS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Adds a Markdown section to the report.
pub fn section(markdown: String) {
    SECTIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(markdown);
}

/// The sections added so far.
pub fn sections() -> Vec<String> {
    SECTIONS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The notes recorded so far.
pub fn notes() -> Vec<String> {
    NOTES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// One measurement.
pub struct Row {
    /// "redis" or "http"
    pub group: &'static str,
    /// e.g. "corio", "tokio-ct (same shape)", "mini-redis", "redis-server", "hyper on corio"
    pub server: String,
    /// e.g. "SET -P 16", "GET /", "POST /echo"
    pub test: String,
    pub requests_per_sec: f64,
    pub p99_ms: Option<f64>,
}

/// The least corio ÷ peer a group must reach, where issue 15 sets one: on
/// two threads, corio's two loops against tokio's multi-thread runtime
/// with two workers, balanced server workloads ≥ 1.2 × its throughput.
pub fn target(group: &str) -> Option<f64> {
    group.ends_with("-2t").then_some(1.2)
}

/// The rows of one group as a Markdown table: a line per test, a column
/// per server, then `corio ÷ peer` for every peer, then the target (against
/// the first peer) when the group has one.
pub fn group_table(rows: &[Row], group: &str) -> String {
    let rows: Vec<&Row> = rows.iter().filter(|r| r.group == group).collect();
    let servers = in_order(rows.iter().map(|r| r.server.as_str()));
    let tests = in_order(rows.iter().map(|r| r.test.as_str()));
    let Some(corio) = servers.iter().find(|s| s.contains("corio")).copied() else {
        return String::new();
    };
    let peers: Vec<&str> = servers.iter().copied().filter(|s| *s != corio).collect();
    let find = |server: &str, test: &str| {
        rows.iter()
            .find(|r| r.server == server && r.test == test)
            .copied()
    };
    let mut out = String::new();
    let _ = write!(out, "| {group} test |");
    for server in &servers {
        let _ = write!(out, " {server} req/s (p99 ms) |");
    }
    for peer in &peers {
        let _ = write!(out, " {corio} ÷ {peer} |");
    }
    let target = target(group).zip(peers.first());
    if let Some((least, peer)) = target {
        let _ = write!(out, " target: ≥ {least:.1} × {peer} |");
    }
    out.push('\n');
    let columns = 1 + servers.len() + peers.len() + usize::from(target.is_some());
    out.push_str(&"|---".repeat(columns));
    out.push_str("|\n");
    for test in &tests {
        let _ = write!(out, "| {test} |");
        for server in &servers {
            match find(server, test) {
                Some(r) => {
                    let p99 = r.p99_ms.map_or(String::new(), |p| format!(" ({p:.2})"));
                    let _ = write!(out, " {}{p99} |", thousands(r.requests_per_sec));
                }
                None => out.push_str(" — |"),
            }
        }
        for peer in &peers {
            match (find(corio, test), find(peer, test)) {
                (Some(c), Some(p)) if p.requests_per_sec > 0.0 => {
                    let _ = write!(out, " {:.2} |", c.requests_per_sec / p.requests_per_sec);
                }
                _ => out.push_str(" — |"),
            }
        }
        if let Some((least, peer)) = target {
            match (find(corio, test), find(peer, test)) {
                (Some(c), Some(p)) if p.requests_per_sec > 0.0 => {
                    let ratio = c.requests_per_sec / p.requests_per_sec;
                    let verdict = if ratio >= least { "met" } else { "missed" };
                    let _ = write!(out, " {ratio:.2}: {verdict} |");
                }
                _ => out.push_str(" — |"),
            }
        }
        out.push('\n');
    }
    out
}

/// Distinct names in first-seen order.
fn in_order<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = BTreeSet::new();
    names.filter(|name| seen.insert(*name)).collect()
}

/// `1234567.8` as `1,234,568`.
pub fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A horizontal bar per (test, server), grouped by test, scaled per group.
pub fn write_svg(rows: &[Row], path: &Path) -> std::io::Result<()> {
    const BAR: usize = 16;
    const LABEL: usize = 330;
    const WIDTH: usize = 900;
    let colours = [
        "#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#718096",
    ];
    let servers = in_order(rows.iter().map(|r| r.server.as_str()));
    let mut body = String::new();
    let mut y = 30;
    for group in in_order(rows.iter().map(|r| r.group)) {
        let in_group: Vec<&Row> = rows.iter().filter(|r| r.group == group).collect();
        let top = in_group
            .iter()
            .map(|r| r.requests_per_sec)
            .fold(1.0, f64::max);
        let _ = writeln!(
            body,
            r#"<text x="10" y="{y}" font-weight="bold">{group} (requests/s; longer is better)</text>"#
        );
        y += 10;
        for test in in_order(in_group.iter().map(|r| r.test.as_str())) {
            for r in in_group.iter().filter(|r| r.test == test) {
                let colour = colours
                    [servers.iter().position(|s| *s == r.server).unwrap_or(0) % colours.len()];
                let width = (r.requests_per_sec / top * (WIDTH - LABEL - 120) as f64) as usize;
                let _ = writeln!(
                    body,
                    r#"<text x="{}" y="{}" text-anchor="end">{} — {}</text><rect x="{LABEL}" y="{}" width="{width}" height="{}" fill="{colour}"/><text x="{}" y="{}">{}</text>"#,
                    LABEL - 6,
                    y + BAR - 4,
                    escape(test),
                    escape(&r.server),
                    y + 2,
                    BAR - 2,
                    LABEL + width + 4,
                    y + BAR - 4,
                    thousands(r.requests_per_sec)
                );
                y += BAR;
            }
            y += 6;
        }
        y += 20;
    }
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>
{body}</svg>
"#
    );
    std::fs::write(path, svg)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
