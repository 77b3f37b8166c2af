//! The picture of the equity table: every approach's mean wait as a bar (after; with the
//! before figure as a grey bar above it when comparing), side streets marked, so a reader sees
//! at once who is left waiting.

use std::fmt::Write;

use super::SiteMeasures;
use super::html::escape;

/// The wait chart of `sites` as a standalone SVG document.
pub fn waits_svg(sites: &[SiteMeasures], before: Option<&[SiteMeasures]>) -> String {
    let rows: Vec<(String, bool, Option<f64>, Option<f64>)> = sites
        .iter()
        .flat_map(|s| {
            let old = before.and_then(|b| b.iter().find(|x| x.site == s.site));
            s.approaches.iter().map(move |a| {
                let was = old
                    .and_then(|o| o.approaches.iter().find(|x| x.link == a.link))
                    .and_then(|x| x.mean_wait_s);
                (
                    format!("{} {}", s.site, a.direction),
                    a.arterial,
                    was,
                    a.mean_wait_s,
                )
            })
        })
        .collect();
    let top = rows
        .iter()
        .flat_map(|r| [r.2, r.3])
        .flatten()
        .fold(0.0, f64::max);
    let top = (top / 10.0).ceil().max(1.0) * 10.0;
    let (label_w, bar_w, row_h) = (90.0, 360.0, if before.is_some() { 22.0 } else { 14.0 });
    let h = 40.0 + row_h * rows.len() as f64;
    let w = label_w + bar_w + 60.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         font-family=\"sans-serif\" font-size=\"11\" role=\"img\" \
         aria-label=\"mean wait per approach\">\
         <text x=\"{label_w}\" y=\"14\">mean wait per approach, s (side streets in italics){}</text>",
        if before.is_some() {
            "; grey: before"
        } else {
            ""
        }
    );
    let x = |v: f64| v / top * bar_w;
    for (i, (label, arterial, was, now)) in rows.iter().enumerate() {
        let y = 26.0 + row_h * i as f64;
        let style = if *arterial {
            ""
        } else {
            " font-style=\"italic\""
        };
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\"{style}>{}</text>",
            label_w - 6.0,
            y + row_h * 0.6,
            escape(label)
        );
        let mut bar_y = y;
        if before.is_some() {
            if let Some(v) = was {
                let _ = write!(
                    svg,
                    "<rect x=\"{label_w}\" y=\"{bar_y:.1}\" width=\"{:.1}\" height=\"8\" fill=\"#bbb\"><title>before {v:.1} s</title></rect>",
                    x(*v)
                );
            }
            bar_y += 9.0;
        }
        if let Some(v) = now {
            let _ = write!(
                svg,
                "<rect x=\"{label_w}\" y=\"{bar_y:.1}\" width=\"{:.1}\" height=\"10\" fill=\"#2a7\"><title>{v:.1} s</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\">{v:.0}</text>",
                x(*v),
                label_w + x(*v) + 4.0,
                bar_y + 9.0
            );
        }
    }
    let _ = write!(
        svg,
        "<line x1=\"{label_w}\" y1=\"22\" x2=\"{label_w}\" y2=\"{:.1}\" stroke=\"#888\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{top:.0} s</text></svg>",
        h - 8.0,
        label_w + bar_w,
        h - 2.0
    );
    svg
}
