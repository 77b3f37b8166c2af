//! SVG pictures, written as plain text: a time-space diagram along a path of the corridor
//! (vehicle trajectories, with each signal's state drawn as a band at its stop line) and the
//! queue on every approach over time.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use greenwave_controllers::model::Aspect;
use greenwave_sim::{IntervalRow, Path, Recording};

const WIDTH: f64 = 1600.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 40.0;

fn colour(aspect: Aspect) -> &'static str {
    match aspect {
        Aspect::Green => "#1a9641",
        Aspect::FlashingGreen => "#a6d96a",
        Aspect::Amber => "#fdae61",
        Aspect::RedAmber => "#f46d43",
        Aspect::Red => "#d7191c",
        Aspect::FlashingDontWalk => "#f4a582",
        Aspect::FlashingAmber => "#ffd700",
        Aspect::Dark => "#555555",
    }
}

fn header(s: &mut String, height: f64, title: &str) {
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="22" font-size="15">{}</text>"#,
        escape(title)
    );
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn time_axis(s: &mut String, x: &impl Fn(f64) -> f64, bottom: f64, duration: f64) {
    let step = if duration > 1800.0 {
        300.0
    } else if duration > 600.0 {
        120.0
    } else {
        60.0
    };
    let mut t = 0.0;
    while t <= duration + 1e-9 {
        let _ = writeln!(
            s,
            r##"<line x1="{0:.1}" y1="{TOP}" x2="{0:.1}" y2="{bottom}" stroke="#ddd"/><text x="{0:.1}" y="{1:.1}" text-anchor="middle">{2}</text>"##,
            x(t),
            bottom + 16.0,
            t as u64
        );
        t += step;
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end">time (s)</text>"#,
        WIDTH - RIGHT,
        bottom + 32.0
    );
}

/// A time-space diagram of one path.
pub fn time_space(path: &Path, rec: &Recording, duration: f64) -> String {
    let height = 720.0;
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, height - TOP - BOTTOM);
    let x = |t: f64| LEFT + t / duration.max(1.0) * plot_w;
    let y = |p: f64| TOP + (1.0 - p / f64::from(path.length_m).max(1.0)) * plot_h;
    let mut s = String::new();
    header(
        &mut s,
        height,
        &format!("Time-space diagram, {}", path.name),
    );
    time_axis(&mut s, &x, height - BOTTOM, duration);

    // Trajectories.
    let mut by_vehicle: BTreeMap<u32, Vec<(f32, f32)>> = BTreeMap::new();
    for p in &path.points {
        by_vehicle.entry(p.id).or_default().push((p.t, p.pos_m));
    }
    let _ = writeln!(
        s,
        r##"<g fill="none" stroke="#2b5d8a" stroke-width="0.6" stroke-opacity="0.7">"##
    );
    for points in by_vehicle.values() {
        let mut line = String::new();
        let mut last_t = f32::NEG_INFINITY;
        for &(t, p) in points {
            if t - last_t > 1.5 && !line.is_empty() {
                let _ = writeln!(s, r#"<polyline points="{line}"/>"#);
                line.clear();
            }
            let _ = write!(line, "{:.1},{:.1} ", x(f64::from(t)), y(f64::from(p)));
            last_t = t;
        }
        if !line.is_empty() {
            let _ = writeln!(s, r#"<polyline points="{line}"/>"#);
        }
    }
    let _ = writeln!(s, "</g>");

    // Signal bands at each stop line.
    for signal in &path.signals {
        let yy = y(f64::from(signal.pos_m));
        let mut changes = rec
            .signal_changes
            .iter()
            .filter(|(_, j, _)| *j == signal.junction)
            .map(|(t, _, state)| (*t, state.aspects()[usize::from(signal.group)]))
            .peekable();
        while let Some((t, aspect)) = changes.next() {
            let until = changes.peek().map_or(duration, |c| c.0);
            let _ = writeln!(
                s,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.2}" height="4" fill="{}"/>"#,
                x(t),
                yy - 2.0,
                (x(until) - x(t)).max(0.0),
                colour(aspect)
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            yy + 4.0,
            escape(&signal.site)
        );
    }
    // Distance ticks every 200 m, on the right.
    let mut d = 0.0;
    while d <= f64::from(path.length_m) {
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#666">{d:.0}</text>"##,
            WIDTH - 4.0,
            y(d) + 4.0
        );
        d += 200.0;
    }
    let _ = writeln!(
        s,
        r#"<text x="12" y="{:.1}" transform="rotate(-90 12 {:.1})" text-anchor="middle">distance along the path (m)</text>"#,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0
    );
    s.push_str("</svg>\n");
    s
}

/// Per approach direction, (time, mean queue) points.
type Series<'a> = BTreeMap<&'a str, Vec<(f64, f64)>>;

/// Mean queue per interval on every approach, one panel per intersection, every panel on one
/// scale. The panels are grouped by path: the intersections along each of `paths` (a title and
/// its sites in order), then the others by name.
pub fn queues(rows: &[IntervalRow], duration: f64, paths: &[(String, Vec<String>)]) -> String {
    let mut by_site: BTreeMap<&str, Series<'_>> = BTreeMap::new();
    // Each interval's value is drawn at its middle.
    let mut starts: Vec<f64> = rows.iter().map(|r| r.from_s).collect();
    starts.sort_by(f64::total_cmp);
    starts.dedup();
    let half = starts.get(1).map_or(30.0, |s| s / 2.0);
    for r in rows {
        by_site
            .entry(&r.intersection)
            .or_default()
            .entry(&r.direction)
            .or_default()
            .push((r.from_s + half, r.mean_queue_veh));
    }
    // The panels in order, each with the title of the group it starts.
    let mut order: Vec<(&str, Option<&str>)> = Vec::new();
    for (title, sites) in paths {
        let mut first = true;
        for site in sites {
            if by_site.contains_key(site.as_str()) && !order.iter().any(|o| o.0 == site) {
                order.push((site, first.then_some(title.as_str())));
                first = false;
            }
        }
    }
    let mut first = true;
    for site in by_site.keys() {
        if !order.iter().any(|o| o.0 == *site) {
            let title = (first && !paths.is_empty()).then_some("elsewhere");
            order.push((site, title));
            first = false;
        }
    }
    let peak = by_site
        .values()
        .flat_map(|d| d.values().flatten())
        .map(|p| p.1)
        .fold(1.0, f64::max);
    let panel = 160.0;
    let height = TOP + BOTTOM + panel * order.len().max(1) as f64;
    let plot_w = WIDTH - LEFT - RIGHT;
    let x = |t: f64| LEFT + t / duration.max(1.0) * plot_w;
    let mut s = String::new();
    header(
        &mut s,
        height,
        &format!(
            "Mean queue per approach (halted vehicles, per interval; every panel 0 to {peak:.0})"
        ),
    );
    time_axis(&mut s, &x, height - BOTTOM, duration);
    let colours = [
        ("eb", "#1f77b4"),
        ("wb", "#ff7f0e"),
        ("nb", "#2ca02c"),
        ("sb", "#9467bd"),
    ];
    for (k, &(site, group)) in order.iter().enumerate() {
        let directions = &by_site[site];
        let top = TOP + k as f64 * panel + 10.0;
        let bottom = top + panel - 25.0;
        let y = |q: f64| bottom - q / peak * (bottom - top);
        if let Some(title) = group {
            let _ = writeln!(
                s,
                r##"<text class="path" x="{:.1}" y="{:.1}" fill="#444">{}</text>"##,
                LEFT + 6.0,
                top + 2.0,
                escape(title)
            );
        }
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{bottom:.1}" x2="{:.1}" y2="{bottom:.1}" stroke="#888"/>"##,
            WIDTH - RIGHT
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            top + 12.0,
            escape(site)
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{peak:.0}</text>"#,
            LEFT - 6.0,
            top + 28.0
        );
        for (direction, points) in directions {
            let colour = colours
                .iter()
                .find(|c| c.0 == *direction)
                .map_or("#444", |c| c.1);
            let line: String = points
                .iter()
                .map(|&(t, q)| format!("{:.1},{:.1} ", x(t), y(q)))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline class="queue" points="{line}" fill="none" stroke="{colour}" stroke-width="1.5"/>"#
            );
        }
    }
    for (i, (direction, colour)) in colours.iter().enumerate() {
        let lx = WIDTH - RIGHT - 200.0 + i as f64 * 50.0;
        let _ = writeln!(
            s,
            r#"<rect x="{lx:.1}" y="12" width="12" height="12" fill="{colour}"/><text x="{:.1}" y="22">{direction}</text>"#,
            lx + 16.0
        );
    }
    s.push_str("</svg>\n");
    s
}
