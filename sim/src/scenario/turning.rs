//! Turning ratios: the share of an approach's vehicles that take each turn, at the start
//! (`turning`, `turning_by_link`) and as they change during the run (`turning_changes`, a
//! planner's counts by time interval). Each set is checked where it is written; at each
//! approach the turns it does not have take no traffic, and the rest are scaled back to 1.
//!
//! ```toml
//! turning = { left = 0.12, through = 0.78, right = 0.10 }
//!
//! [[turning_changes]]          # from 1800 s, at S3->J3 only
//! from_s = 1800.0
//! link = "S3->J3"
//! ratios = { left = 0.30, through = 0.60, right = 0.10 }
//!
//! [[turning_changes]]          # from 2700 s, at every approach
//! from_s = 2700.0
//! ratios = { left = 0.12, through = 0.78, right = 0.10 }
//! ```

use std::collections::BTreeMap;

use petgraph::graph::EdgeIndex;
use petgraph::visit::EdgeRef;

use greenwave_controllers::Collector;
use greenwave_controllers::corridor::{Corridor, Link};
use greenwave_controllers::model::{PerTurn, Turn, VEHICLE_TURNS};

use super::{ScenarioSpec, TurningSpec};

/// New turning ratios for one link from a time on.
#[derive(Clone, Debug, PartialEq)]
pub struct TurningChange {
    /// From when, s.
    pub from_s: f64,
    /// The approach link.
    pub link: EdgeIndex,
    /// The ratios by [`Turn::index`], over the turns the link has, summing to 1.
    pub ratios: PerTurn<f64>,
}

/// Whether `r`'s ratios are each within 0 to 1 and sum to 1; else says why under `field`.
fn check_ratios(field: &str, r: &TurningSpec, out: &mut Collector) -> bool {
    let raw = r.ratios();
    if let Some((turn, x)) = Turn::VEHICLE
        .iter()
        .zip(raw)
        .find(|(_, x)| !(x.is_finite() && (0.0..=1.0).contains(x)))
    {
        out.push(
            field,
            format!("the {turn} ratio {x} must be between 0 and 1"),
        );
        return false;
    }
    let sum: f64 = raw.iter().sum();
    if (sum - 1.0).abs() > 1e-6 {
        out.push(
            field,
            format!("turning ratios sum to {}, not 1", (sum * 1e6).round() / 1e6),
        );
        return false;
    }
    true
}

/// `r` at `link`: the turns it does not have take none, the rest scaled back to 1.
fn at_link(field: &str, link: &Link, r: &TurningSpec, out: &mut Collector) -> Option<PerTurn<f64>> {
    let raw = r.ratios();
    let mut kept = [0.0; VEHICLE_TURNS];
    for (i, turn) in Turn::VEHICLE.iter().enumerate() {
        if link.onto(*turn).is_some() {
            kept[i] = raw[i];
        }
    }
    let total: f64 = kept.iter().sum();
    if total <= 0.0 {
        out.push(
            field,
            format!("no movement with a ratio above 0 exists at `{}`", link.id),
        );
        return None;
    }
    Some(kept.map(|x| x / total))
}

/// The link `id` if it leads into an intersection.
fn approach_link(corridor: &Corridor, id: &str) -> Option<EdgeIndex> {
    let g = corridor.graph();
    corridor.link_by_id(id).filter(|&e| {
        let (_, b) = g.edge_endpoints(e).expect("edge");
        g[b].intersection().is_some()
    })
}

/// The turning ratios of each link into an intersection at the start, by edge index.
pub(super) fn turning_of(
    spec: &ScenarioSpec,
    corridor: &Corridor,
    out: &mut Collector,
) -> Vec<PerTurn<f64>> {
    let g = corridor.graph();
    for link in spec.turning_by_link.keys() {
        if approach_link(corridor, link).is_none() {
            out.push(
                format!("turning_by_link.{link}"),
                format!("`{link}` is not a link into an intersection"),
            );
        }
    }
    let default_ok = spec
        .turning
        .as_ref()
        .map(|r| check_ratios("turning", r, out));
    let overrides_ok: BTreeMap<&str, bool> = spec
        .turning_by_link
        .iter()
        .map(|(link, r)| {
            let ok = check_ratios(&format!("turning_by_link.{link}"), r, out);
            (link.as_str(), ok)
        })
        .collect();
    let mut turning = vec![[0.0; VEHICLE_TURNS]; g.edge_count()];
    for e in g.edge_references() {
        if g[e.target()].intersection().is_none() {
            continue;
        }
        let link = e.weight();
        let (field, ratios, ok) = match spec.turning_by_link.get(&link.id) {
            Some(r) => (
                format!("turning_by_link.{}", link.id),
                r,
                overrides_ok[link.id.as_str()],
            ),
            None => match (&spec.turning, default_ok) {
                (Some(r), Some(ok)) => ("turning".to_owned(), r, ok),
                _ => {
                    // Vehicles of origin-destination pairs follow their routes.
                    if !spec.demand.is_empty() {
                        out.push("turning", format!("no turning ratios for `{}`", link.id));
                    }
                    continue;
                }
            },
        };
        if ok && let Some(r) = at_link(&field, link, ratios, out) {
            turning[e.id().index()] = r;
        }
    }
    turning
}

/// The changes of `spec`, each resolved to the links it applies to, in time order (at one
/// time, those for every link before those naming one, so that the latter win).
pub(super) fn changes_of(
    spec: &ScenarioSpec,
    corridor: &Corridor,
    start: &[PerTurn<f64>],
    out: &mut Collector,
) -> Vec<TurningChange> {
    let g = corridor.graph();
    let mut order: Vec<usize> = (0..spec.turning_changes.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&spec.turning_changes[a], &spec.turning_changes[b]);
        a.from_s
            .total_cmp(&b.from_s)
            .then(a.link.is_some().cmp(&b.link.is_some()))
    });
    let mut changes = Vec::new();
    for i in order {
        let c = &spec.turning_changes[i];
        let field = format!("turning_changes[{i}]");
        if !(c.from_s.is_finite() && (0.0..spec.duration_s).contains(&c.from_s)) {
            out.push(
                format!("{field}.from_s"),
                format!(
                    "{} s is out of range (0 s to the end of the run, {} s)",
                    c.from_s, spec.duration_s
                ),
            );
            continue;
        }
        let links: Vec<EdgeIndex> = match &c.link {
            Some(id) => match approach_link(corridor, id) {
                Some(e) => vec![e],
                None => {
                    out.push(
                        format!("{field}.link"),
                        format!("`{id}` is not a link into an intersection"),
                    );
                    continue;
                }
            },
            // Every approach that turns at all (those left to origin-destination routes keep
            // to them).
            None => g
                .edge_references()
                .filter(|e| g[e.target()].intersection().is_some())
                .filter(|e| start[e.id().index()].iter().any(|&x| x > 0.0))
                .map(|e| e.id())
                .collect(),
        };
        if !check_ratios(&format!("{field}.ratios"), &c.ratios, out) {
            continue;
        }
        for e in links {
            if let Some(ratios) = at_link(&format!("{field}.ratios"), &g[e], &c.ratios, out) {
                changes.push(TurningChange {
                    from_s: c.from_s,
                    link: e,
                    ratios,
                });
            }
        }
    }
    changes
}

/// Each link's turning ratios at `t`: `start` with the `changes` up to `t` made.
pub(super) fn turning_at(
    start: &[PerTurn<f64>],
    changes: &[TurningChange],
    t: f64,
) -> Vec<PerTurn<f64>> {
    let mut now = start.to_vec();
    for c in changes.iter().take_while(|c| c.from_s <= t) {
        now[c.link.index()] = c.ratios;
    }
    now
}
