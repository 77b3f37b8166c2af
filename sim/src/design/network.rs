//! Network-wide offsets: every street of a network coordinated in both directions, not one
//! arterial. Each link between two signals carries a platoon: the vehicles its upstream
//! signal sends straight on while its group is green, arriving a travel time later at the
//! downstream signal, where those outside its green wait for the next. The expected delay of
//! that platoon depends only on the two signals' offset difference, so it is tabulated per
//! link for every difference, weighted by the link's through flow, and the sum over the
//! network is minimised by coordinate descent on the offsets, one intersection at a time, each
//! tried at every second of the cycle (the hill climbing of TRANSYT, Robertson 1969), from the
//! one-arterial green wave. In a grid not every street can have its wave both ways (the
//! offsets around a block must add up to whole cycles): the search trades them by flow. An
//! intersection on half the common cycle (double cycling) shows its green windows twice in it.

use std::collections::BTreeMap;

use petgraph::visit::EdgeRef;

use greenwave_controllers::model::{GroupIndex, Intersection, Turn};
use greenwave_controllers::plan::{PlanSpec, TimingPlan};
use greenwave_controllers::site::Site;

use crate::scenario::Scenario;

/// A link between two signals, and its platoon's expected delay by offset difference.
#[derive(Clone, Debug)]
struct Platoon {
    /// Upstream and downstream site, by index.
    from: usize,
    to: usize,
    /// Its id (`FROM->TO`).
    link: String,
    /// Through flow arriving, veh/h.
    flow: f64,
    /// Mean delay per vehicle of the platoon (s) for each offset difference (upstream minus
    /// downstream, whole seconds into the cycle).
    delay: Vec<f64>,
}

/// The expected platoon delays of a set of offsets.
#[derive(Clone, Debug, PartialEq)]
pub struct PlatoonDelay {
    /// Per link between signals (`FROM->TO`): its through flow (veh/h) and mean platoon delay (s).
    pub links: Vec<(String, f64, f64)>,
    /// The flow-weighted mean over them, s per vehicle.
    pub mean_s: f64,
}

/// Where signal group `g` is green within its plan's cycle: intervals (start, end) in seconds
/// from the first stage's green start (a group green in two stages running one after the other
/// stays green between them, and an interval may run past the cycle's end into the next).
fn windows(plan: &TimingPlan, ix: &Intersection, g: GroupIndex) -> Vec<(f64, f64)> {
    let n = plan.stages.len();
    let mut starts = Vec::with_capacity(n + 1);
    let mut t = 0.0;
    for (k, stage) in plan.stages.iter().enumerate() {
        starts.push(t);
        t += stage.green.as_secs_f64() + plan.interstages[k].as_secs_f64();
    }
    starts.push(t);
    let serves = |k: usize| ix.stage(plan.stages[k % n].stage).groups.contains(g);
    let mut out: Vec<(f64, f64)> = Vec::new();
    for k in (0..n).filter(|&k| serves(k)) {
        let end = if serves(k + 1) {
            starts[k + 1]
        } else {
            starts[k] + plan.stages[k].green.as_secs_f64()
        };
        match out.last_mut() {
            Some(last) if last.1 >= starts[k] - 1e-9 => last.1 = end,
            _ => out.push((starts[k], end)),
        }
    }
    out
}

/// `windows` of a plan of `plan_cycle` s repeated over a common cycle of `cycle` s (twice for
/// a half cycle).
fn repeated(windows: &[(f64, f64)], plan_cycle: f64, cycle: f64) -> Vec<(f64, f64)> {
    let times = (cycle / plan_cycle).round().max(1.0) as usize;
    (0..times)
        .flat_map(|k| {
            let shift = k as f64 * plan_cycle;
            windows.iter().map(move |&(a, b)| (a + shift, b + shift))
        })
        .collect()
}

/// The wait (s) of a vehicle arriving `tau` s into a cycle of `cycle` s with green `windows`.
fn wait(tau: f64, windows: &[(f64, f64)], cycle: f64) -> f64 {
    let tau = tau.rem_euclid(cycle);
    let mut best = f64::INFINITY;
    for &(a, b) in windows {
        if (tau >= a && tau < b) || (tau + cycle >= a && tau + cycle < b) {
            return 0.0;
        }
        best = best.min((a - tau).rem_euclid(cycle));
    }
    if best.is_finite() { best } else { 0.0 }
}

/// The group serving the through movement of approach `link` at `site`.
fn through_group(site: &Site, link: &str) -> Option<GroupIndex> {
    site.approaches
        .iter()
        .find(|a| a.link == link)
        .and_then(|a| a.movement(Turn::Through))
        .and_then(|m| m.group)
}

/// The platoons of `scenario`'s network under `plans` (by site index, with `sites`).
fn platoons(
    scenario: &Scenario,
    sites: &[Site],
    plans: &[TimingPlan],
    cycle: usize,
) -> Vec<Platoon> {
    let corridor = &scenario.corridor;
    let g = corridor.graph();
    let flows = super::design_flows(scenario);
    let index: BTreeMap<&str, usize> = sites
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut out = Vec::new();
    for e in g.edge_references() {
        let (Some(&from), Some(&to)) = (
            index.get(g[e.source()].id.as_str()),
            index.get(g[e.target()].id.as_str()),
        ) else {
            continue;
        };
        let link = &e.weight().id;
        // Upstream: the approach whose through movement leads onto this link.
        let feeder = g
            .edges_directed(e.source(), petgraph::Direction::Incoming)
            .find(|f| f.weight().onto(Turn::Through) == Some(e.id()));
        let (Some(feeder), Some(down)) = (feeder, through_group(&sites[to], link)) else {
            continue;
        };
        let Some(up) = through_group(&sites[from], &feeder.weight().id) else {
            continue;
        };
        let flow = flows
            .get(link)
            .map_or(0.0, |f| f[usize::from(crate::net::THROUGH)]);
        let c = cycle as f64;
        let window_of = |i: usize, g: GroupIndex| {
            let w = windows(&plans[i], &sites[i].intersection, g);
            repeated(&w, plans[i].cycle.as_secs_f64(), c)
        };
        let up_windows = window_of(from, up);
        let down_windows = window_of(to, down);
        let travel = e.weight().length_m / e.weight().speed_mps.max(0.1);
        // The platoon leaves evenly over the upstream green, a vehicle every half second.
        let departures: Vec<f64> = up_windows
            .iter()
            .flat_map(|&(a, b)| {
                let n = ((b - a) * 2.0).round().max(1.0) as usize;
                (0..n).map(move |i| a + (i as f64 + 0.5) * (b - a) / n as f64)
            })
            .collect();
        if departures.is_empty() {
            continue;
        }
        let delay = (0..cycle)
            .map(|d| {
                let total: f64 = departures
                    .iter()
                    .map(|&t| wait(t + travel + d as f64, &down_windows, c))
                    .sum();
                total / departures.len() as f64
            })
            .collect();
        out.push(Platoon {
            from,
            to,
            link: link.clone(),
            flow,
            delay,
        });
    }
    out
}

fn diff(offsets: &[usize], p: &Platoon, cycle: usize) -> usize {
    (offsets[p.from] + cycle - offsets[p.to]) % cycle
}

fn total(offsets: &[usize], platoons: &[Platoon], cycle: usize) -> f64 {
    platoons
        .iter()
        .map(|p| p.flow * p.delay[diff(offsets, p, cycle)])
        .sum()
}

/// The expected platoon delays of `specs` (one per site of `sites`, sharing a cycle).
fn platoon_delay(platoons: &[Platoon], offsets: &[usize], cycle: usize) -> PlatoonDelay {
    let links: Vec<(String, f64, f64)> = platoons
        .iter()
        .map(|p| (p.link.clone(), p.flow, p.delay[diff(offsets, p, cycle)]))
        .collect();
    let flow: f64 = links.iter().map(|l| l.1).sum();
    let mean_s = if flow > 0.0 {
        links.iter().map(|l| l.1 * l.2).sum::<f64>() / flow
    } else {
        0.0
    };
    PlatoonDelay { links, mean_s }
}

/// Offsets for every site of `specs` (by site in `sites` order, on one cycle or half of it)
/// that coordinate the whole network; returns the platoon delays before and after. The first
/// site's offset stays where it was (the reference).
pub fn coordinate(
    scenario: &Scenario,
    sites: &[Site],
    specs: &mut [PlanSpec],
) -> Result<(PlatoonDelay, PlatoonDelay), String> {
    let cycle_s = specs.iter().map(|s| s.cycle_s).fold(0.0, f64::max);
    let fits = |c: f64| (c - cycle_s).abs() < 1e-6 || (2.0 * c - cycle_s).abs() < 1e-6;
    if let Some(s) = specs.iter().find(|s| !fits(s.cycle_s)) {
        return Err(format!(
            "the plans cannot share a cycle: {} runs {} s, neither the common {cycle_s} s nor \
             half of it",
            s.plan_id, s.cycle_s
        ));
    }
    let cycle = cycle_s.round().max(1.0) as usize;
    let plans = sites
        .iter()
        .zip(specs.iter())
        .map(|(site, spec)| {
            TimingPlan::from_spec(spec, &site.intersection)
                .map_err(|e| format!("plan for {}: {e}", site.id))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let platoons = platoons(scenario, sites, &plans, cycle);
    let mut offsets: Vec<usize> = specs
        .iter()
        .map(|s| s.offset_s.round().rem_euclid(cycle as f64) as usize % cycle)
        .collect();
    let before = platoon_delay(&platoons, &offsets, cycle);
    let mut best = total(&offsets, &platoons, cycle);
    for _sweep in 0..50 {
        let mut moved = false;
        for i in 1..offsets.len() {
            let keep = offsets[i];
            let (mut choice, mut cost) = (keep, best);
            for o in 0..cycle {
                offsets[i] = o;
                let c = total(&offsets, &platoons, cycle);
                if c < cost - 1e-6 {
                    (choice, cost) = (o, c);
                }
            }
            offsets[i] = choice;
            if choice != keep {
                moved = true;
                best = cost;
            }
        }
        if !moved {
            break;
        }
    }
    // A half-cycle plan's offset is within its own cycle.
    for (spec, &o) in specs.iter_mut().zip(&offsets) {
        spec.offset_s = (o as f64).rem_euclid(spec.cycle_s);
    }
    Ok((before, platoon_delay(&platoons, &offsets, cycle)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Grid;
    use greenwave_controllers::control::webster::WebsterOptions;
    use greenwave_controllers::model::Approach;

    fn grid_scenario(rows: usize, cols: usize) -> Scenario {
        let dir = std::env::temp_dir().join(format!(
            "greenwave-network-{rows}x{cols}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let grid = Grid {
            rows,
            cols,
            ..Grid::default()
        };
        let path = grid.write(&dir).unwrap();
        let scenario = Scenario::load(&path).unwrap();
        let _ = std::fs::remove_dir_all(dir);
        scenario
    }

    #[test]
    fn a_vehicle_waits_for_the_next_window_and_not_in_one() {
        let windows = [(0.0, 30.0), (60.0, 70.0)];
        assert_eq!(wait(10.0, &windows, 100.0), 0.0);
        assert_eq!(wait(40.0, &windows, 100.0), 20.0);
        assert_eq!(wait(80.0, &windows, 100.0), 20.0);
        assert_eq!(wait(180.0, &windows, 100.0), 20.0, "a cycle later");
        // A window running past the cycle's end covers the start of the next.
        assert_eq!(wait(5.0, &[(90.0, 110.0)], 100.0), 0.0);
    }

    #[test]
    fn network_offsets_cut_the_platoons_delay_on_every_street_of_a_grid() {
        let scenario = grid_scenario(3, 3);
        let super::super::CorridorPlans { sites, .. } =
            super::super::webster_plans(&scenario, Approach::EB, None, &WebsterOptions::default());
        let all = Site::all(&scenario.corridor);
        let mut specs: Vec<PlanSpec> = sites.iter().map(|s| s.1.clone()).collect();
        let reference = specs[0].offset_s;
        let (before, after) = coordinate(&scenario, &all, &mut specs).unwrap();
        // Every link between two signals, both ways: 2 x (3 rows x 2 + 3 columns x 2).
        assert_eq!(after.links.len(), 24);
        assert!(
            after.mean_s < 0.6 * before.mean_s,
            "{:.1} s against {:.1} s with one green wave",
            after.mean_s,
            before.mean_s
        );
        assert_eq!(specs[0].offset_s, reference, "the reference stays");
        // The streets the one wave left out gain most: the north-south ones.
        let mean = |d: &PlatoonDelay, vertical: bool| {
            let on: Vec<f64> = d
                .links
                .iter()
                .filter(|l| {
                    let (a, b) = l.0.split_once("->").unwrap();
                    (a[..2] != b[..2]) == vertical
                })
                .map(|l| l.2)
                .collect();
            on.iter().sum::<f64>() / on.len() as f64
        };
        assert!(mean(&after, true) < mean(&before, true));
    }

    #[test]
    fn plans_on_different_cycles_cannot_be_coordinated() {
        let scenario = grid_scenario(2, 2);
        let plans =
            super::super::webster_plans(&scenario, Approach::EB, None, &WebsterOptions::default());
        let all = Site::all(&scenario.corridor);
        let mut specs: Vec<PlanSpec> = plans.sites.iter().map(|s| s.1.clone()).collect();
        specs[1].cycle_s -= 10.0;
        let err = coordinate(&scenario, &all, &mut specs).unwrap_err();
        assert!(err.contains("cannot share a cycle"), "{err}");
        assert!(err.contains(&specs[1].plan_id), "{err}");
    }
}
