//! The Purdue coordination diagram of a phase (Day et al., Purdue 2014): one column per cycle,
//! counted from the start of its red; a dot per arrival at the stop line at its time in the
//! cycle; the green band from the start of the next green to the start of its yellow. Arrivals
//! inside the band arrived on green.

use std::fmt::Write;

use super::html::clock;
use super::phase::PhaseMeasures;

/// The coordination diagram of `p` as inline SVG, or `None` without two cycles to draw.
pub fn svg(p: &PhaseMeasures) -> Option<String> {
    // Cycle i runs from the red after green i to the red after green i + 1.
    let reds: Vec<f64> = p.cycles.iter().map(|c| c.red.unwrap_or(c.yellow)).collect();
    if reds.len() < 2 {
        return None;
    }
    let spans: Vec<(f64, f64)> = reds.windows(2).map(|w| (w[0], w[1])).collect();
    let longest = spans.iter().map(|(a, b)| b - a).fold(0.0, f64::max);
    let top = (longest / 30.0).ceil().max(1.0) * 30.0;
    let (t0, t1) = (spans[0].0, spans[spans.len() - 1].1);
    let (w, h, left, bottom) = (420.0, 200.0, 40.0, 24.0);
    let x = |t: f64| left + (t - t0) / (t1 - t0).max(1.0) * (w - left - 10.0);
    let y = |s: f64| (h - bottom) - s / top * (h - bottom - 10.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-size=\"10\" \
         role=\"img\" aria-label=\"coordination diagram, phase {}\">\
         <rect x=\"{left}\" y=\"10\" width=\"{}\" height=\"{}\" fill=\"#fbe3e3\"/>",
        p.phase,
        w - left - 10.0,
        h - bottom - 10.0
    );
    for (i, &(a, b)) in spans.iter().enumerate() {
        let next = &p.cycles[i + 1];
        let (xa, xb) = (x(a), x(b));
        let _ = write!(
            out,
            "<rect x=\"{xa:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#cdeccd\"/>",
            y(next.yellow - a),
            (xb - xa).max(0.5),
            (y(next.green - a) - y(next.yellow - a)).max(0.0)
        );
        let _ = write!(
            out,
            "<line x1=\"{xa:.1}\" y1=\"{yb:.1}\" x2=\"{xb:.1}\" y2=\"{yb:.1}\" stroke=\"#c00\"/>",
            yb = y(b - a)
        );
    }
    let mut k = p.arrival_times.partition_point(|&t| t < t0);
    for &(a, b) in &spans {
        while let Some(&t) = p.arrival_times.get(k).filter(|&&t| t < b) {
            let _ = write!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"1.2\" fill=\"#222\"/>",
                x(a),
                y(t - a)
            );
            k += 1;
        }
    }
    let _ = write!(
        out,
        "<line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#888\"/>\
         <text x=\"2\" y=\"14\">{top:.0} s</text>\
         <text x=\"{left}\" y=\"{h}\">{}</text>\
         <text x=\"{r}\" y=\"{h}\" text-anchor=\"end\">{}</text></svg>",
        clock(t0),
        clock(t1),
        b = h - bottom,
        r = w - 10.0
    );
    Some(out)
}
