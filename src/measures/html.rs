//! The measures as a self-contained HTML report: a page for the corridor (the equity table of
//! every approach, arterial and side streets side by side) and one per intersection (its
//! approaches, its phases, a split monitor picture per phase). Inline SVG and CSS, no script,
//! nothing fetched. With a "before" set of logs every measure shows before, after and change.

use std::fmt::Write;

use super::SiteMeasures;
use super::approach::ApproachMeasures;
use super::pedestrian::PedMeasures;
use super::phase::PhaseMeasures;
use super::timeline::Termination;

const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:96em;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:.85em}td,th{border:1px solid #bbb;padding:.25em .5em;\
text-align:right}th{background:#eee}td.l,th.l{text-align:left}.side{background:#fff7e0}\
.warn{color:#a40}figure{display:inline-block;margin:.5em}";

/// HTML-escapes `text`.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `HH:MM` of `t` seconds from the log's first midnight (`+1d` after the first day).
pub fn clock(t: f64) -> String {
    let day = (t / 86_400.0).floor();
    let s = (t - day * 86_400.0).max(0.0) as u64;
    let hm = format!("{:02}:{:02}", s / 3600, s % 3600 / 60);
    if day >= 1.0 {
        format!("{hm} +{day}d")
    } else {
        hm
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>{STYLE}</style></head><body>\n<h1>{t}</h1>\n{body}</body></html>\n",
        t = escape(title)
    )
}

/// One measure of a row: after, and before when comparing.
struct Value {
    after: Option<f64>,
    before: Option<Option<f64>>,
    digits: usize,
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |x| format!("{x:.digits$}"))
}

/// A table: `labels` columns on the left, then each measure (before / after / change when
/// comparing).
fn table(
    labels: &[&str],
    measures: &[&str],
    rows: &[(Vec<String>, bool, Vec<Value>)],
    comparing: bool,
) -> String {
    let mut html = String::from("<table><tr>");
    for l in labels {
        let _ = write!(html, "<th class=\"l\">{l}</th>");
    }
    for m in measures {
        if comparing {
            let _ = write!(
                html,
                "<th>{m}<br>before</th><th>{m}<br>after</th><th>change</th>"
            );
        } else {
            let _ = write!(html, "<th>{m}</th>");
        }
    }
    html.push_str("</tr>\n");
    for (cells, side, values) in rows {
        html.push_str(if *side { "<tr class=\"side\">" } else { "<tr>" });
        for c in cells {
            let _ = write!(html, "<td class=\"l\">{c}</td>");
        }
        for v in values {
            if comparing {
                let before = v.before.flatten();
                let change = before.zip(v.after).map(|(b, a)| a - b);
                let _ = write!(
                    html,
                    "<td>{}</td><td>{}</td><td>{}</td>",
                    num(before, v.digits),
                    num(v.after, v.digits),
                    change.map_or_else(|| "–".to_owned(), |c| format!("{c:+.*}", v.digits))
                );
            } else {
                let _ = write!(html, "<td>{}</td>", num(v.after, v.digits));
            }
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
    html
}

fn approach_values(
    a: &ApproachMeasures,
    before: Option<&ApproachMeasures>,
    comparing: bool,
) -> Vec<Value> {
    let pick = |f: fn(&ApproachMeasures) -> Option<f64>| comparing.then(|| before.and_then(f));
    vec![
        Value {
            after: Some(f64::from(a.vehicles)),
            before: pick(|b| Some(f64::from(b.vehicles))),
            digits: 0,
        },
        Value {
            after: a.mean_wait_s,
            before: pick(|b| b.mean_wait_s),
            digits: 1,
        },
        Value {
            after: a.p95_wait_s,
            before: pick(|b| b.p95_wait_s),
            digits: 1,
        },
        Value {
            after: a.split_failure_pct(),
            before: pick(ApproachMeasures::split_failure_pct),
            digits: 1,
        },
    ]
}

const APPROACH_MEASURES: [&str; 4] = [
    "vehicles",
    "mean wait s",
    "p95 wait s",
    "split failures % of cycles",
];

/// The equity table of `sites` (with the `before` measures when comparing).
pub fn equity_table(sites: &[SiteMeasures], before: Option<&[SiteMeasures]>) -> String {
    let mut rows = Vec::new();
    for s in sites {
        let old = before.and_then(|b| b.iter().find(|x| x.site == s.site));
        for a in &s.approaches {
            let was = old.and_then(|o| o.approaches.iter().find(|x| x.link == a.link));
            let street = if a.arterial {
                "arterial"
            } else {
                "side street"
            };
            rows.push((
                vec![
                    escape(&s.site),
                    escape(&a.direction),
                    escape(&a.link),
                    street.to_owned(),
                ],
                !a.arterial,
                approach_values(a, was, before.is_some()),
            ));
        }
    }
    table(
        &["site", "dir", "approach", "street"],
        &APPROACH_MEASURES,
        &rows,
        before.is_some(),
    )
}

fn phase_values(p: &PhaseMeasures, before: Option<&PhaseMeasures>, comparing: bool) -> Vec<Value> {
    let pick = |f: fn(&PhaseMeasures) -> Option<f64>| comparing.then(|| before.and_then(f));
    let cycles = |p: &PhaseMeasures| Some(p.greens.len() as f64);
    let gap = |p: &PhaseMeasures| Some(p.ended(Termination::GapOut) as f64);
    let max = |p: &PhaseMeasures| Some(p.ended(Termination::MaxOut) as f64);
    let force = |p: &PhaseMeasures| Some(p.ended(Termination::ForceOff) as f64);
    let arrivals = |p: &PhaseMeasures| Some(f64::from(p.arrivals));
    let sf = |p: &PhaseMeasures| Some(f64::from(p.split_failures));
    vec![
        Value {
            after: cycles(p),
            before: pick(cycles),
            digits: 0,
        },
        Value {
            after: p.mean_green_s(),
            before: pick(PhaseMeasures::mean_green_s),
            digits: 1,
        },
        Value {
            after: gap(p),
            before: pick(gap),
            digits: 0,
        },
        Value {
            after: max(p),
            before: pick(max),
            digits: 0,
        },
        Value {
            after: force(p),
            before: pick(force),
            digits: 0,
        },
        Value {
            after: arrivals(p),
            before: pick(arrivals),
            digits: 0,
        },
        Value {
            after: p.aog_pct(),
            before: pick(PhaseMeasures::aog_pct),
            digits: 1,
        },
        Value {
            after: p.platoon_ratio(),
            before: pick(PhaseMeasures::platoon_ratio),
            digits: 2,
        },
        Value {
            after: sf(p),
            before: pick(sf),
            digits: 0,
        },
    ]
}

const PED_MEASURES: [&str; 4] = ["calls", "mean delay s", "max delay s", "unserved"];

fn ped_values(p: &PedMeasures, before: Option<&PedMeasures>, comparing: bool) -> Vec<Value> {
    let pick = |f: fn(&PedMeasures) -> Option<f64>| comparing.then(|| before.and_then(f));
    let calls = |p: &PedMeasures| Some(f64::from(p.calls));
    let unserved = |p: &PedMeasures| Some(f64::from(p.unserved));
    vec![
        Value {
            after: calls(p),
            before: pick(calls),
            digits: 0,
        },
        Value {
            after: p.mean_delay_s,
            before: pick(|b| b.mean_delay_s),
            digits: 1,
        },
        Value {
            after: p.max_delay_s,
            before: pick(|b| b.max_delay_s),
            digits: 1,
        },
        Value {
            after: unserved(p),
            before: pick(unserved),
            digits: 0,
        },
    ]
}

const PHASE_MEASURES: [&str; 9] = [
    "cycles",
    "mean green s",
    "gap outs",
    "max outs",
    "force offs",
    "arrivals",
    "arrivals on green %",
    "platoon ratio",
    "split failures",
];

/// The corridor page.
pub fn index_page(
    title: &str,
    sites: &[SiteMeasures],
    before: Option<&[SiteMeasures]>,
    refused: &[String],
) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<p>Who waits how long, per approach: waits estimated from the advance loops (time from \
         a vehicle's arrival at the stop line to its phase's next green), and the share of its \
         phases' cycles that were split failures (green and first-5-s red occupancy of the \
         stop-bar loops both at least 80 %). Side streets are shaded.</p>"
    );
    body.push_str(&equity_table(sites, before));
    let _ = writeln!(
        body,
        "<figure>{}</figure>",
        super::chart::waits_svg(sites, before)
    );
    body.push_str("<h2>Intersections</h2><ul>\n");
    for s in sites {
        let _ = writeln!(
            body,
            "<li><a href=\"{id}.html\">{id}</a>: {} events over {:.2} h, {} lines skipped</li>",
            s.events,
            s.hours,
            s.skipped.len(),
            id = escape(&s.site)
        );
    }
    body.push_str("</ul>\n");
    notices(&mut body, refused);
    page(title, &body)
}

fn notices(body: &mut String, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    body.push_str("<h2>Not used</h2><ul class=\"warn\">\n");
    for l in lines {
        let _ = writeln!(body, "<li>{}</li>", escape(l));
    }
    body.push_str("</ul>\n");
}

/// The page of one intersection.
pub fn site_page(s: &SiteMeasures, before: Option<&SiteMeasures>, comparing: bool) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<p><a href=\"index.html\">corridor</a></p>\n<h2>Approaches</h2>"
    );
    let sites = std::slice::from_ref(s);
    let before_sites = before.map(std::slice::from_ref);
    body.push_str(&equity_table(
        sites,
        if comparing {
            Some(before_sites.unwrap_or(&[]))
        } else {
            None
        },
    ));
    body.push_str("<h2>Phases</h2>\n");
    let rows: Vec<_> = s
        .phases
        .iter()
        .map(|p| {
            let was = before.and_then(|b| b.phases.iter().find(|x| x.phase == p.phase));
            (
                vec![p.phase.to_string()],
                false,
                phase_values(p, was, comparing),
            )
        })
        .collect();
    body.push_str(&table(&["phase"], &PHASE_MEASURES, &rows, comparing));
    body.push_str(
        "<h2>Split monitor</h2>\n<p>Green of every cycle; ● gap out, ▲ max out, \
                   ■ force off, ○ not logged; red outline: split failure.</p>\n",
    );
    for p in s.phases.iter().filter(|p| !p.greens.is_empty()) {
        let _ = writeln!(
            body,
            "<figure>{}<figcaption>phase {}</figcaption></figure>",
            split_monitor_svg(p),
            p.phase
        );
    }
    if !s.pedestrians.is_empty() {
        body.push_str(
            "<h2>Pedestrians</h2>\n<p>Delay from a push of the button to the walk.</p>\n",
        );
        let rows: Vec<_> = s
            .pedestrians
            .iter()
            .map(|p| {
                let was = before.and_then(|b| b.pedestrians.iter().find(|x| x.phase == p.phase));
                (
                    vec![p.phase.to_string()],
                    false,
                    ped_values(p, was, comparing),
                )
            })
            .collect();
        body.push_str(&table(
            &["pedestrian phase"],
            &PED_MEASURES,
            &rows,
            comparing,
        ));
    }
    body.push_str(
        "<h2>Coordination diagrams</h2>\n<p>Each column a cycle from the start of its red \
         (pink) through its green (green band) to the start of the next red (red line); each dot \
         a vehicle's arrival at the stop line, projected from its advance loop.</p>\n",
    );
    for p in &s.phases {
        if let Some(svg) = super::pcd::svg(p) {
            let _ = writeln!(
                body,
                "<figure>{svg}<figcaption>phase {}: {} arrivals, {} on green</figcaption></figure>",
                p.phase,
                p.arrivals,
                p.aog_pct().map_or("–".to_owned(), |a| format!("{a:.0} %"))
            );
        }
    }
    let mut skipped: Vec<String> = s
        .skipped
        .iter()
        .map(|k| format!("{} line {}: {}", k.file, k.line, k.why))
        .collect();
    skipped.extend(s.notes.iter().cloned());
    notices(&mut body, &skipped);
    page(&format!("Signal performance: {}", s.site), &body)
}

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
