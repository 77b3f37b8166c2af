//! `map.svg`: the network drawn to scale from its node positions. Each approach is coloured by
//! its mean delay (the p95, vehicles and queue on hover, and the scale in the legend), its mean
//! queue drawn to scale as a bar back from the stop line (7 m a vehicle, shared among its
//! lanes), and each signal as a dot; links that are no intersection's approach in grey.

use std::fmt::Write as _;

use greenwave_controllers::corridor::Corridor;
use greenwave_sim::{ApproachSummary, Summary};

const WIDTH: f64 = 1000.0;
const MARGIN: f64 = 50.0;
/// Room under the map for the legend.
const LEGEND: f64 = 70.0;
/// A queued vehicle's share of a lane, m.
const VEHICLE_M: f64 = 7.0;
/// Mean delays from green to red, s.
const DELAY_SCALE: [(f64, &str); 5] = [
    (0.0, "#1a9641"),
    (15.0, "#a6d96a"),
    (30.0, "#fdae61"),
    (45.0, "#f46d43"),
    (60.0, "#d7191c"),
];

/// The colour of a mean delay: the scale's band it falls in.
fn delay_colour(delay_s: f64) -> &'static str {
    DELAY_SCALE
        .iter()
        .rev()
        .find(|(from, _)| delay_s >= *from)
        .map_or(DELAY_SCALE[0].1, |(_, c)| c)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Metres to picture coordinates.
struct Frame {
    min_x: f64,
    max_y: f64,
    scale: f64,
    height: f64,
}

impl Frame {
    fn new(corridor: &Corridor) -> Frame {
        let g = corridor.graph();
        let xs = g.node_weights().map(|n| n.x_m);
        let ys = g.node_weights().map(|n| n.y_m);
        let (min_x, max_x) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        let (min_y, max_y) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
        let span_x = (max_x - min_x).max(1.0);
        let span_y = (max_y - min_y).max(1.0);
        let scale = (WIDTH - 2.0 * MARGIN) / span_x.max(span_y);
        let height = span_y * scale + 2.0 * MARGIN + LEGEND;
        Frame {
            min_x,
            max_y,
            scale,
            height,
        }
    }

    fn at(&self, x_m: f64, y_m: f64) -> (f64, f64) {
        (
            MARGIN + (x_m - self.min_x) * self.scale,
            MARGIN + (self.max_y - y_m) * self.scale,
        )
    }
}

/// The map of `corridor` with the approach figures of `summary`.
pub fn map(corridor: &Corridor, summary: &Summary) -> String {
    let frame = Frame::new(corridor);
    let g = corridor.graph();
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{h:.0}" viewBox="0 0 {WIDTH} {h:.0}" font-family="sans-serif" font-size="12">"#,
        h = frame.height
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{MARGIN}" y="24" font-size="15">{}: mean delay by approach, mean queues to scale ({}, {} s)</text>"#,
        escape(&summary.scenario),
        escape(&summary.controller),
        summary.sim_seconds
    );
    // Links: each direction drawn to the right of the line between its nodes.
    let offset = (2.5f64).max(0.004 * WIDTH);
    for e in g.edge_indices() {
        let Some((from, to)) = g.edge_endpoints(e) else {
            continue;
        };
        let (a, b, link) = (&g[from], &g[to], &g[e]);
        let (x1, y1) = frame.at(a.x_m, a.y_m);
        let (x2, y2) = frame.at(b.x_m, b.y_m);
        let len = ((x2 - x1).powi(2) + (y2 - y1).powi(2)).sqrt().max(1e-9);
        let (ux, uy) = ((x2 - x1) / len, (y2 - y1) / len);
        // Right of the direction of travel, in picture coordinates (y down).
        let (nx, ny) = (-uy * offset, ux * offset);
        let approach = summary.approaches.iter().find(|a| a.link == link.id);
        let (colour, width) = match approach {
            Some(a) => (delay_colour(a.delay.mean_delay_s), 3.0),
            None => ("#bbbbbb", 1.5),
        };
        let _ = write!(
            s,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="{width}">"#,
            x1 + nx,
            y1 + ny,
            x2 + nx,
            y2 + ny
        );
        let _ = writeln!(
            s,
            "<title>{}</title></line>",
            escape(&hover(&link.id, approach))
        );
        if let Some(a) = approach {
            // The queue, back from the stop line.
            let queue_m = a.mean_queue_veh * VEHICLE_M / link.lanes.len().max(1) as f64;
            let bar = (queue_m * frame.scale).min(len);
            if bar >= 0.5 {
                let _ = writeln!(
                    s,
                    r##"<line class="queue" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333333" stroke-opacity="0.55" stroke-width="{:.1}"><title>{}: mean queue {:.1} veh</title></line>"##,
                    x2 + 2.2 * nx,
                    y2 + 2.2 * ny,
                    x2 + 2.2 * nx - ux * bar,
                    y2 + 2.2 * ny - uy * bar,
                    offset * 1.6,
                    escape(&link.id),
                    a.mean_queue_veh
                );
            }
        }
    }
    for n in g.node_weights() {
        let (x, y) = frame.at(n.x_m, n.y_m);
        let (r, fill) = match n.intersection() {
            Some(_) => (offset * 1.8, "#222222"),
            None => (offset, "#999999"),
        };
        let _ = writeln!(
            s,
            r#"<circle class="{}" cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="{fill}"><title>{}</title></circle>"#,
            if n.intersection().is_some() {
                "signal"
            } else {
                "boundary"
            },
            escape(&n.id)
        );
    }
    legend(&mut s, &frame);
    s.push_str("</svg>\n");
    s
}

fn hover(link: &str, approach: Option<&ApproachSummary>) -> String {
    match approach {
        Some(a) => format!(
            "{link} ({} {}): mean delay {:.1} s, p95 {:.1} s, {} vehicles, mean queue {:.1} veh",
            a.intersection,
            a.direction,
            a.delay.mean_delay_s,
            a.delay.p95_delay_s,
            a.delay.vehicles,
            a.mean_queue_veh
        ),
        None => link.to_owned(),
    }
}

/// The delay colours and a scale bar.
fn legend(s: &mut String, frame: &Frame) {
    let y = frame.height - LEGEND + 25.0;
    let _ = writeln!(
        s,
        r#"<text x="{MARGIN}" y="{:.0}">mean delay</text>"#,
        y - 8.0
    );
    for (i, (from, colour)) in DELAY_SCALE.iter().enumerate() {
        let x = MARGIN + 80.0 + i as f64 * 85.0;
        let label = match DELAY_SCALE.get(i + 1) {
            Some((to, _)) => format!("{from:.0}-{to:.0} s"),
            None => format!("{from:.0} s +"),
        };
        let _ = writeln!(
            s,
            r#"<rect x="{x:.0}" y="{:.0}" width="20" height="8" fill="{colour}"/><text x="{:.0}" y="{:.0}">{label}</text>"#,
            y - 16.0,
            x + 24.0,
            y - 8.0
        );
    }
    // A round length near a sixth of the width.
    let target = (WIDTH / 6.0) / frame.scale;
    let metres = [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0]
        .into_iter()
        .find(|&m| m >= target)
        .unwrap_or(10000.0);
    let px = metres * frame.scale;
    let _ = writeln!(
        s,
        r##"<line x1="{MARGIN}" y1="{:.0}" x2="{:.0}" y2="{:.0}" stroke="#000" stroke-width="2"/><text x="{:.0}" y="{:.0}">{metres:.0} m; queue bars: {VEHICLE_M} m a queued vehicle over the approach's lanes; dots: signals</text>"##,
        y + 14.0,
        MARGIN + px,
        y + 14.0,
        MARGIN + px + 10.0,
        y + 18.0
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_take_the_colour_of_their_band() {
        assert_eq!(delay_colour(0.0), "#1a9641");
        assert_eq!(delay_colour(29.9), "#a6d96a");
        assert_eq!(delay_colour(30.0), "#fdae61");
        assert_eq!(delay_colour(600.0), "#d7191c");
        assert_eq!(delay_colour(f64::NAN), "#1a9641");
    }
}
