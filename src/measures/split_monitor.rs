//! A phase's split monitor: the green of every cycle against the time it began, marked by how
//! it ended (gap out, max out, force off, not logged), split failures outlined in red.

use std::fmt::Write;

use super::html::clock;
use super::phase::PhaseMeasures;
use super::timeline::Termination;

/// A phase's split monitor: one mark per cycle, its green against the time it began.
pub fn split_monitor_svg(p: &PhaseMeasures) -> String {
    let (w, h, left, bottom) = (420.0, 180.0, 40.0, 24.0);
    let (t0, t1) = p
        .greens
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), g| {
            (a.min(g.at_s), b.max(g.at_s))
        });
    let span = (t1 - t0).max(1.0);
    let top = (p.greens.iter().map(|g| g.green_s).fold(0.0, f64::max) / 10.0)
        .ceil()
        .max(1.0)
        * 10.0;
    let x = |t: f64| left + (t - t0) / span * (w - left - 10.0);
    let y = |g: f64| (h - bottom) - g / top * (h - bottom - 10.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         role=\"img\" aria-label=\"split monitor, phase {}\">\
         <line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#888\"/>\
         <line x1=\"{left}\" y1=\"10\" x2=\"{left}\" y2=\"{b}\" stroke=\"#888\"/>\
         <text x=\"2\" y=\"14\" font-size=\"10\">{top:.0} s</text>\
         <text x=\"{left}\" y=\"{h}\" font-size=\"10\">{}</text>\
         <text x=\"{r}\" y=\"{h}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
        p.phase,
        clock(t0),
        clock(t1),
        b = h - bottom,
        r = w - 10.0,
    );
    for g in &p.greens {
        let (cx, cy) = (x(g.at_s), y(g.green_s));
        let stroke = if g.split_failure == Some(true) {
            "#d00"
        } else {
            "none"
        };
        let title = format!("{} green {:.1} s", clock(g.at_s), g.green_s);
        let mark = match g.termination {
            Termination::GapOut => format!(
                "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3\" fill=\"#2a7\" stroke=\"{stroke}\"/>"
            ),
            Termination::MaxOut => format!(
                "<path d=\"M{:.1},{:.1}l3,6h-6z\" fill=\"#c60\" stroke=\"{stroke}\"/>",
                cx,
                cy - 3.0
            ),
            Termination::ForceOff => format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"6\" height=\"6\" fill=\"#36c\" stroke=\"{stroke}\"/>",
                cx - 3.0,
                cy - 3.0
            ),
            Termination::Unknown => format!(
                "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3\" fill=\"#fff\" stroke=\"{}\"/>",
                if stroke == "none" { "#555" } else { stroke }
            ),
        };
        let _ = write!(svg, "<g><title>{title}</title>{mark}</g>");
    }
    svg.push_str("</svg>");
    svg
}
