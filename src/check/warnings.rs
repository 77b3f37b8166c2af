//! Warnings on a valid scenario: places where a study is likely to mislead a planner. They are
//! said under the verdict and never fail the check.
//!
//! - A lane with no advance loop at an intersection an actuated or adaptive controller runs:
//!   the controller sees its arrivals only at the stop line (or not at all).
//! - A shared lane (left with through or right) whose lefts are protected-only: a left-turner
//!   waiting at the front holds back the traffic behind it while that traffic has green.
//! - Turning ratios rescaled because, over the turns an approach has, they did not sum to 1.

use petgraph::visit::EdgeRef;

use greenwave_controllers::corridor::{Corridor, DetectorKind, Link};
use greenwave_controllers::model::{GroupIndex, Intersection, PerTurn, Turn};
use greenwave_sim::Scenario;
use greenwave_sim::scenario::{ScenarioSpec, TurningSpec};

/// Controllers that decide on detector counts, and so want advance loops.
const DETECTOR_DRIVEN: [&str; 2] = ["actuated", "adaptive"];

/// Every warning for a scenario that loaded, in corridor order.
pub fn scenario(spec: &ScenarioSpec, scenario: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    if DETECTOR_DRIVEN.contains(&scenario.controller.as_str()) {
        out.extend(advance_loops(&scenario.corridor, &scenario.controller));
    }
    out.extend(shared_protected_lefts(&scenario.corridor));
    out.extend(super::intergreens::short_intergreens(&scenario.corridor));
    out.extend(rescaled_turning(spec, scenario));
    out
}

/// Links into an intersection, with the intersection.
fn approaches(corridor: &Corridor) -> impl Iterator<Item = (&Link, &str, &Intersection)> {
    let g = corridor.graph();
    g.edge_references().filter_map(move |e| {
        let node = &g[e.target()];
        node.intersection()
            .map(|ix| (e.weight(), node.id.as_str(), ix.as_ref()))
    })
}

/// `lane 1`, `lanes 0, 2`.
fn lanes_list(lanes: &[usize]) -> String {
    let list: Vec<String> = lanes.iter().map(usize::to_string).collect();
    match lanes.len() {
        1 => format!("lane {}", list[0]),
        _ => format!("lanes {}", list.join(", ")),
    }
}

/// One warning per link with lanes that no advance loop covers.
pub fn advance_loops(corridor: &Corridor, controller: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (link, _, _) in approaches(corridor) {
        let bare: Vec<usize> = (0..link.lanes.len())
            .filter(|&l| {
                !link
                    .detectors
                    .iter()
                    .any(|d| d.kind == DetectorKind::Advance && usize::from(d.lane) == l)
            })
            .collect();
        if bare.is_empty() {
            continue;
        }
        out.push(format!(
            "`{}`: {} of {} without an advance loop; the {controller} controller sees \
             arrivals there only at the stop line, if at all",
            link.id,
            lanes_list(&bare),
            link.lanes.len()
        ));
    }
    out
}

/// The group serving `turn` from `link`'s lane `lane`.
fn group_of(ix: &Intersection, link: &Link, lane: usize, turn: Turn) -> Option<GroupIndex> {
    ix.group_indices().find(|&g| {
        ix.group(g).movements.iter().any(|m| {
            m.approach == link.approach
                && m.turn == turn
                && (m.lanes.is_empty() || m.lanes.contains(&(lane as u8)))
        })
    })
}

/// Shared lanes whose left turns run only on a green of their own (never with the oncoming
/// through traffic, as the simulator's permissive lefts do) while the lane's other turns have
/// another group.
pub fn shared_protected_lefts(corridor: &Corridor) -> Vec<String> {
    let g = corridor.graph();
    let mut out = Vec::new();
    for e in g.edge_references() {
        let Some(ix) = g[e.target()].intersection() else {
            continue;
        };
        let link = e.weight();
        let Some(oncoming) = corridor.oncoming(e.id()).map(|o| &g[o]) else {
            continue;
        };
        let oncoming_through: Vec<GroupIndex> = (0..oncoming.lanes.len())
            .filter_map(|l| group_of(ix, oncoming, l, Turn::Through))
            .collect();
        for (lane, allows) in link.lanes.iter().enumerate() {
            let Some(left) = allows
                .allows(Turn::Left)
                .then(|| group_of(ix, link, lane, Turn::Left))
                .flatten()
            else {
                continue;
            };
            if oncoming_through.contains(&left) {
                continue;
            }
            let others: Vec<String> = [Turn::Through, Turn::Right]
                .into_iter()
                .filter(|&t| allows.allows(t))
                .filter_map(|t| group_of(ix, link, lane, t))
                .filter(|&o| o != left)
                .map(|o| ix.group(o).id.clone())
                .collect();
            if others.is_empty() {
                continue;
            }
            out.push(format!(
                "`{}`: lane {lane} ({allows}) is shared, but its left turns are protected-only \
                 (group {}); a left-turner waiting at the front holds back the traffic behind \
                 it while {} {} green",
                link.id,
                ix.group(left).id,
                others.join(" and "),
                if others.len() == 1 { "is" } else { "are" }
            ));
        }
    }
    out
}

/// `left 0.1, through 0.8, right 0.1`, the turns with a ratio above 0.
fn ratios(r: PerTurn<f64>) -> String {
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    Turn::VEHICLE
        .iter()
        .zip(r)
        .filter(|&(_, x)| x > 0.0)
        .map(|(t, x)| format!("{t} {}", round(x)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Approaches where the simulator rescales the given ratios: some turn given a share does not
/// exist there, so the shares of the turns that do no longer sum to 1.
pub fn rescaled_turning(spec: &ScenarioSpec, scenario: &Scenario) -> Vec<String> {
    let g = scenario.corridor.graph();
    let mut out = Vec::new();
    for e in g.edge_references() {
        if g[e.target()].intersection().is_none() {
            continue;
        }
        let link = e.weight();
        let (field, given): (String, &TurningSpec) = match spec.turning_by_link.get(&link.id) {
            Some(r) => (format!("turning_by_link.\"{}\"", link.id), r),
            None => match &spec.turning {
                Some(r) => ("turning".into(), r),
                None => continue,
            },
        };
        let raw = given.ratios();
        let kept: f64 = Turn::VEHICLE
            .iter()
            .zip(raw)
            .filter(|&(t, _)| link.onto(*t).is_some())
            .map(|(_, x)| x)
            .sum();
        if (kept - 1.0).abs() <= 1e-6 {
            continue;
        }
        let missing: Vec<String> = Turn::VEHICLE
            .iter()
            .zip(raw)
            .filter(|&(t, x)| x > 0.0 && link.onto(*t).is_none())
            .map(|(t, _)| t.to_string())
            .collect();
        out.push(format!(
            "`{}`: turning ratios ({field}) rescaled from {} to {}: no {} turn from this \
             approach, so the others summed to {}",
            link.id,
            ratios(raw),
            ratios(scenario.turning[e.id().index()]),
            missing.join(" or "),
            (kept * 1000.0).round() / 1000.0
        ));
    }
    out
}
