//! The report's tables: rows of measures, each shown alone or, when comparing, as before, after
//! and change; and which measures a row of each table carries.

use std::fmt::Write;

use super::approach::ApproachMeasures;
use super::pedestrian::PedMeasures;
use super::phase::PhaseMeasures;
use super::timeline::Termination;

/// One measure of a row: after, and before when comparing.
pub(crate) struct Value {
    after: Option<f64>,
    before: Option<Option<f64>>,
    digits: usize,
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |x| format!("{x:.digits$}"))
}

/// A table: `labels` columns on the left, then each measure (before / after / change when
/// comparing).
pub(crate) fn table(
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

pub(crate) fn approach_values(
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

pub(crate) const APPROACH_MEASURES: [&str; 4] = [
    "vehicles",
    "mean wait s",
    "p95 wait s",
    "split failures % of cycles",
];

pub(crate) fn phase_values(
    p: &PhaseMeasures,
    before: Option<&PhaseMeasures>,
    comparing: bool,
) -> Vec<Value> {
    let pick = |f: fn(&PhaseMeasures) -> Option<f64>| comparing.then(|| before.and_then(f));
    let cycles = |p: &PhaseMeasures| Some(p.greens.len() as f64);
    let gap = |p: &PhaseMeasures| Some(p.ended(Termination::GapOut) as f64);
    let max = |p: &PhaseMeasures| Some(p.ended(Termination::MaxOut) as f64);
    let force = |p: &PhaseMeasures| Some(p.ended(Termination::ForceOff) as f64);
    let arrivals = |p: &PhaseMeasures| Some(f64::from(p.arrivals));
    let sf = |p: &PhaseMeasures| Some(f64::from(p.split_failures));
    let yellow = |p: &PhaseMeasures| Some(f64::from(p.yellow_actuations));
    let red = |p: &PhaseMeasures| Some(f64::from(p.red_clearance_actuations));
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
        Value {
            after: yellow(p),
            before: pick(yellow),
            digits: 0,
        },
        Value {
            after: red(p),
            before: pick(red),
            digits: 0,
        },
    ]
}

pub(crate) const PED_MEASURES: [&str; 4] = ["calls", "mean delay s", "max delay s", "unserved"];

pub(crate) fn ped_values(
    p: &PedMeasures,
    before: Option<&PedMeasures>,
    comparing: bool,
) -> Vec<Value> {
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

pub(crate) const PHASE_MEASURES: [&str; 11] = [
    "cycles",
    "mean green s",
    "gap outs",
    "max outs",
    "force offs",
    "arrivals",
    "arrivals on green %",
    "platoon ratio",
    "split failures",
    "yellow actuations",
    "red clearance actuations",
];
