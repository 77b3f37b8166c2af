//! The measures as a self-contained HTML report: a page for the corridor (the equity table of
//! every approach, arterial and side streets side by side, and the wait chart) and one per
//! intersection (its approaches, phases and pedestrians, a split monitor and a coordination
//! diagram per phase). Inline SVG and CSS, no script, nothing fetched. With a "before" set of
//! logs every measure shows before, after and change ([`super::compare`]).

use std::fmt::Write;

use super::SiteMeasures;
use super::compare::{
    APPROACH_MEASURES, PED_MEASURES, PHASE_MEASURES, approach_values, ped_values, phase_values,
    table,
};
use super::phase::PhaseMeasures;
use super::split_monitor::split_monitor_svg;

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

/// The approaches' volumes per 15 minutes (before and after, when comparing).
fn volumes(body: &mut String, s: &SiteMeasures, before: Option<&SiteMeasures>) {
    let mut bins: Vec<f64> = (s.approaches.iter())
        .chain(before.map_or(&[][..], |b| &b.approaches))
        .flat_map(|a| a.volumes.iter().map(|v| v.from_s))
        .collect();
    bins.sort_by(f64::total_cmp);
    bins.dedup();
    if bins.is_empty() {
        return;
    }
    body.push_str("<h2>Approach volumes</h2>\n<p>Vehicles counted by the advance loops, per 15 minutes.</p>\n<table><tr><th class=\"l\">approach</th>");
    for b in &bins {
        let _ = write!(body, "<th>{}</th>", clock(*b));
    }
    body.push_str("</tr>\n");
    let sets = [("before", before), ("", Some(s))];
    for a in &s.approaches {
        for (set, measures) in sets.iter().filter(|(_, m)| m.is_some()) {
            let Some(row) = measures.and_then(|m| m.approaches.iter().find(|x| x.link == a.link))
            else {
                continue;
            };
            let label = format!(
                "{} {}{}",
                a.direction,
                a.link,
                if set.is_empty() {
                    String::new()
                } else {
                    format!(" ({set})")
                }
            );
            let _ = write!(body, "<tr><td class=\"l\">{}</td>", escape(&label));
            for b in &bins {
                let n = row
                    .volumes
                    .iter()
                    .find(|v| v.from_s == *b)
                    .map_or(0, |v| v.vehicles);
                let _ = write!(body, "<td>{n}</td>");
            }
            body.push_str("</tr>\n");
        }
    }
    body.push_str("</table>\n");
}

/// The split monitor and the coordination diagram of every phase, each beside its "before" when
/// comparing.
fn pictures(body: &mut String, s: &SiteMeasures, before: Option<&SiteMeasures>) {
    let was = |p: &PhaseMeasures| before.and_then(|b| b.phases.iter().find(|x| x.phase == p.phase));
    let pair =
        |body: &mut String, p: &PhaseMeasures, draw: &dyn Fn(&PhaseMeasures) -> Option<String>| {
            let old = was(p).and_then(|w| draw(w).map(|svg| (svg, w)));
            if let Some((svg, w)) = &old {
                let _ = writeln!(
                    body,
                    "<figure>{svg}<figcaption>phase {} before{}</figcaption></figure>",
                    w.phase,
                    caption(w)
                );
            }
            if let Some(svg) = draw(p) {
                let when = if old.is_some() { " after" } else { "" };
                let _ = writeln!(
                    body,
                    "<figure>{svg}<figcaption>phase {}{when}{}</figcaption></figure>",
                    p.phase,
                    caption(p)
                );
            }
        };
    body.push_str(
        "<h2>Split monitor</h2>\n<p>Green of every cycle; ● gap out, ▲ max out, \
         ■ force off, ○ not logged; red outline: split failure.</p>\n",
    );
    for p in &s.phases {
        pair(body, p, &|p| {
            (!p.greens.is_empty()).then(|| split_monitor_svg(p))
        });
    }
    body.push_str(
        "<h2>Coordination diagrams</h2>\n<p>Each column a cycle from the start of its red \
         (pink) through its green (green band) to the start of the next red (red line); each dot \
         a vehicle's arrival at the stop line, projected from its advance loop.</p>\n",
    );
    for p in &s.phases {
        pair(body, p, &super::pcd::svg);
    }
}

/// A phase's figures' caption: its arrivals and how many on green.
fn caption(p: &PhaseMeasures) -> String {
    match p.aog_pct() {
        Some(a) => format!(": {} arrivals, {a:.0} % on green", p.arrivals),
        None => String::new(),
    }
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
    volumes(&mut body, s, before);
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
    pictures(&mut body, s, before);
    let mut skipped: Vec<String> = s
        .skipped
        .iter()
        .map(|k| format!("{} line {}: {}", k.file, k.line, k.why))
        .collect();
    skipped.extend(s.notes.iter().cloned());
    notices(&mut body, &skipped);
    page(&format!("Signal performance: {}", s.site), &body)
}
