//! Design flows and Webster plans for a scenario: the peak flow of every movement, found by
//! carrying each entry's peak demand through the turning ratios, and fixed-time plans from
//! them with green-wave offsets along the arterial.

use std::collections::BTreeMap;

use petgraph::visit::EdgeRef;

use greenwave_controllers::control::webster::{self, WebsterOptions, WebsterSettings};
use greenwave_controllers::model::{Approach, PerTurn, StageIndex, Turn, VEHICLE_TURNS};
use greenwave_controllers::plan::PlanSpec;
use greenwave_controllers::site::Site;

use crate::scenario::Scenario;

mod network;
pub use network::PlatoonDelay;

/// Peak flow (veh/h) of each movement (by [`Turn::index`]) by approach link id: each entry's
/// peak carried through the turning ratios (the largest for each movement over the times the
/// ratios change), plus each origin-destination pair's peak along its route.
pub fn design_flows(scenario: &Scenario) -> BTreeMap<String, PerTurn<f64>> {
    let g = scenario.corridor.graph();
    let mut entry = vec![0.0; g.edge_count()];
    for d in &scenario.demand {
        entry[d.link.index()] = d.flows.iter().map(|f| f.1 * 3600.0).fold(0.0, f64::max);
    }
    let mut times: Vec<f64> = std::iter::once(0.0)
        .chain(scenario.turning_changes.iter().map(|c| c.from_s))
        .collect();
    times.dedup();
    let mut movements = vec![[0.0; VEHICLE_TURNS]; g.edge_count()];
    for t in times {
        let turning = scenario.turning_at(t);
        for (m, at_t) in movements
            .iter_mut()
            .zip(carried(scenario, &entry, &turning))
        {
            for (x, y) in m.iter_mut().zip(at_t) {
                *x = f64::max(*x, y);
            }
        }
    }
    for route in &scenario.od {
        let peak = route.flows.iter().map(|f| f.1 * 3600.0).fold(0.0, f64::max);
        for (link, &turn) in route.links.iter().zip(&route.turns) {
            movements[link.index()][usize::from(turn)] += peak;
        }
    }
    g.edge_references()
        .filter(|e| g[e.target()].intersection().is_some())
        .map(|e| (e.weight().id.clone(), movements[e.id().index()]))
        .collect()
}

/// Each link's movement flows (veh/h, by edge index) with `entry` flows entering and turning
/// by `turning`.
fn carried(scenario: &Scenario, entry: &[f64], turning: &[PerTurn<f64>]) -> Vec<PerTurn<f64>> {
    let g = scenario.corridor.graph();
    let mut flow = entry.to_vec();
    // Carry flows downstream until they settle: a corridor without U-turns settles in as many
    // passes as its longest route has links; with them, a share can come back round, and the
    // passes stop at the number of links.
    for _ in 0..=g.edge_count() {
        let mut next = entry.to_vec();
        for e in g.edge_references() {
            let ratios = turning[e.id().index()];
            for (i, turn) in Turn::VEHICLE.into_iter().enumerate() {
                if let Some(onto) = e.weight().onto(turn) {
                    next[onto.index()] += flow[e.id().index()] * ratios[i];
                }
            }
        }
        if next == flow {
            break;
        }
        flow = next;
    }
    turning
        .iter()
        .zip(flow)
        .map(|(r, q)| r.map(|x| q * x))
        .collect()
}

/// Webster plans for every intersection of a scenario.
#[derive(Clone, Debug)]
pub struct CorridorPlans {
    /// The common cycle, s.
    pub cycle_s: f64,
    /// The direction the green wave favours.
    pub direction: Approach,
    /// Its progression speed, m/s.
    pub speed_mps: f64,
    /// Per site: its id, its plan and the figures behind it.
    pub sites: Vec<(String, PlanSpec, WebsterSettings)>,
}

/// Webster plans with a common cycle (the largest optimum), or half of it where an
/// intersection needs no more and `options.half_cycles` allows, and offsets that let a platoon
/// travelling in `direction` at `speed_mps` (default: the link speed) meet green at every
/// intersection of the arterial.
pub fn webster_plans(
    scenario: &Scenario,
    direction: Approach,
    speed_mps: Option<f64>,
    options: &WebsterOptions,
) -> CorridorPlans {
    let corridor = &scenario.corridor;
    let flows = design_flows(scenario);
    let sites = Site::all(corridor);
    let flow_of = |link: &str, turn: usize| flows.get(link).map_or(0.0, |f| f[turn]);
    let order_of = |site: &Site| -> Vec<StageIndex> {
        let node = corridor.node_by_id(&site.id).expect("site node");
        match scenario.plans.get(&node) {
            Some(plan) => plan.stages.iter().map(|s| s.stage).collect(),
            None => (0..site.intersection.stages().len() as u8)
                .map(StageIndex)
                .collect(),
        }
    };
    // The common cycle: the longest any site needs on its own.
    let cycle_s = sites
        .iter()
        .map(|s| {
            webster::settings(
                s,
                &order_of(s),
                &webster::group_flow_ratios(s, flow_of),
                options,
                None,
            )
            .cycle_s
        })
        .fold(options.min_cycle_s, f64::max);

    // The arterial in `direction`: the longest chain of through movements starting that way.
    let path = arterial(scenario, direction);
    let mut distance = 0.0;
    let mut arrival_offset: BTreeMap<String, (f64, String)> = BTreeMap::new();
    let mut speed = speed_mps.unwrap_or(0.0);
    for link_id in &path {
        let e = corridor.link_by_id(link_id).expect("path link");
        let link = &corridor.graph()[e];
        if speed_mps.is_none() {
            speed = link.speed_mps;
        }
        distance += link.length_m;
        let (_, to) = corridor.graph().edge_endpoints(e).expect("edge");
        if corridor.graph()[to].intersection().is_some() {
            arrival_offset
                .entry(corridor.graph()[to].id.clone())
                .or_insert((distance / speed.max(0.1), link_id.clone()));
        }
    }
    let first = arrival_offset
        .values()
        .map(|v| v.0)
        .fold(f64::INFINITY, f64::min);

    let plans = sites
        .iter()
        .map(|site| {
            let mut order = order_of(site);
            let mut offset = 0.0;
            if let Some((t, link)) = arrival_offset.get(&site.id) {
                // Start the cycle with the stage that serves the arterial's through traffic.
                let approach = site.approaches.iter().find(|a| &a.link == link);
                let group = approach
                    .and_then(|a| a.movement(Turn::Through))
                    .and_then(|m| m.group);
                if let Some(k) = group.and_then(|g| {
                    order
                        .iter()
                        .position(|&s| site.intersection.stage(s).groups.contains(g))
                }) {
                    order.rotate_left(k);
                }
                offset = t - first;
            }
            let ratios = webster::group_flow_ratios(site, flow_of);
            let mut s = webster::settings(site, &order, &ratios, options, Some(cycle_s));
            // Double cycling: an intersection that needs no more than half the common cycle
            // runs that half twice (its green wave repeats every half cycle).
            let half = cycle_s / 2.0;
            if options.half_cycles
                && webster::settings(site, &order, &ratios, options, None).cycle_s <= half
            {
                let h = webster::settings(site, &order, &ratios, options, Some(half));
                if (h.cycle_s - half).abs() < 1e-9 {
                    s = h;
                    offset = offset.rem_euclid(half);
                }
            }
            let spec =
                webster::plan_spec(site, &format!("webster-{}", site.id), &order, &s, offset);
            (site.id.clone(), spec, s)
        })
        .collect();
    CorridorPlans {
        cycle_s,
        direction,
        speed_mps: speed,
        sites: plans,
    }
}

/// Link ids of the longest route of through movements whose first link travels `direction`.
fn arterial(scenario: &Scenario, direction: Approach) -> Vec<String> {
    let corridor = &scenario.corridor;
    let g = corridor.graph();
    let mut best: Vec<String> = Vec::new();
    for start in corridor.entries().filter(|&e| g[e].approach == direction) {
        let mut route = vec![g[start].id.clone()];
        let mut at = start;
        while let Some(next) = g[at].onto(Turn::Through) {
            if route.len() > g.edge_count() {
                break;
            }
            route.push(g[next].id.clone());
            at = next;
        }
        if route.len() > best.len() {
            best = route;
        }
    }
    best
}

/// Webster plans for every intersection of a network on one cycle, with offsets that
/// coordinate every street both ways (`network`), starting from the green wave `direction`;
/// and the expected platoon delay before (that one wave) and after.
pub fn network_plans(
    scenario: &Scenario,
    direction: Approach,
    options: &WebsterOptions,
) -> Result<(CorridorPlans, PlatoonDelay, PlatoonDelay), String> {
    let mut plans = webster_plans(scenario, direction, None, options);
    let sites = Site::all(&scenario.corridor);
    let mut specs: Vec<PlanSpec> = plans.sites.iter().map(|s| s.1.clone()).collect();
    let (before, after) = network::coordinate(scenario, &sites, &mut specs)?;
    for (site, spec) in plans.sites.iter_mut().zip(specs) {
        site.1 = spec;
    }
    Ok((plans, before, after))
}
