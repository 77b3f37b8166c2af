//! The scenario's demand as SUMO routes and flows (`.rou.xml`).
//!
//! greenwave draws a vehicle's turn at each junction from the approach's turning ratios, each
//! draw on its own. The same traffic as routes: every path from an entry link to an exit, with
//! the product of the ratios along it as its probability, in one route distribution per entry
//! link. Each piece of an entry's flow profile is a SUMO flow on that distribution with
//! exponential headways at the piece's rate (`period="exp(RATE)"`), the Poisson arrivals
//! greenwave draws. Where the turning ratios change during the run, each period has its own
//! distribution and the flows are split at the changes (greenwave draws a vehicle's turn at a
//! junction when it enters the link before it, so a trip under way at a change may turn by
//! either period's ratios; SUMO's keeps the route it set out on). Origin-destination pairs keep
//! to their routes, a flow per interval of the matrix. The vehicle type carries greenwave's driver: the Intelligent Driver Model
//! with the same acceleration, deceleration, headway, standstill gap and length, and the same
//! desired-speed factor (normal, cut at two standard deviations).

use petgraph::graph::EdgeIndex;

use greenwave_controllers::model::{PerTurn, Turn, VEHICLE_TURNS};
use greenwave_sim::Scenario;

use super::network::edge_id;
use super::xml::{Doc, attr, num};

/// Paths less likely than this are left out (their share goes to the others).
const MIN_ROUTE_P: f64 = 1e-6;
/// The most links a route may have (a grid has loops; no real route comes near it).
const MAX_ROUTE_LINKS: usize = 64;

/// A route and its probability.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// Links from the entry to the exit.
    pub links: Vec<EdgeIndex>,
    /// Probability among the entry's routes.
    pub p: f64,
}

/// The turn shares of a link under `turning`: its ratios over the turns it has, summing to 1.
fn shares(scenario: &Scenario, turning: &[PerTurn<f64>], e: EdgeIndex) -> Vec<(EdgeIndex, f64)> {
    let link = &scenario.corridor.graph()[e];
    let ratios = turning
        .get(e.index())
        .copied()
        .unwrap_or([0.0; VEHICLE_TURNS]);
    let picks: Vec<(EdgeIndex, f64)> = Turn::VEHICLE
        .iter()
        .zip(ratios)
        .filter_map(|(&turn, r)| link.onto(turn).map(|onto| (onto, r)))
        .filter(|&(_, r)| r > 0.0)
        .collect();
    let total: f64 = picks.iter().map(|p| p.1).sum();
    picks.into_iter().map(|(o, r)| (o, r / total)).collect()
}

/// Every route from `entry` to an exit, with its probability, turning by `turning`.
pub fn routes(scenario: &Scenario, turning: &[PerTurn<f64>], entry: EdgeIndex) -> Vec<Route> {
    let corridor = &scenario.corridor;
    let g = corridor.graph();
    let mut done = Vec::new();
    let mut open = vec![Route {
        links: vec![entry],
        p: 1.0,
    }];
    while let Some(route) = open.pop() {
        let last = *route.links.last().expect("a route has a link");
        let (_, end) = g.edge_endpoints(last).expect("edge exists");
        if g[end].intersection().is_none() {
            done.push(route);
            continue;
        }
        if route.links.len() >= MAX_ROUTE_LINKS {
            continue;
        }
        for (onto, share) in shares(scenario, turning, last) {
            let p = route.p * share;
            if p >= MIN_ROUTE_P {
                let mut links = route.links.clone();
                links.push(onto);
                open.push(Route { links, p });
            }
        }
    }
    let total: f64 = done.iter().map(|r| r.p).sum();
    for r in &mut done {
        r.p /= total;
    }
    done.sort_by(|a, b| b.p.total_cmp(&a.p).then(a.links.cmp(&b.links)));
    done
}

/// The vehicle type: greenwave's driver in SUMO's IDM.
fn vehicle_type(doc: &mut Doc, scenario: &Scenario) {
    let v = &scenario.vehicles;
    let (mean, sd) = (v.speed_factor_mean, v.speed_factor_sd);
    doc.leaf(
        "vType",
        &[
            attr("id", "greenwave"),
            attr("vClass", "passenger"),
            attr("carFollowModel", "IDM"),
            attr("accel", num(v.accel_mps2)),
            attr("decel", num(v.decel_mps2)),
            attr("emergencyDecel", num(v.max_decel_mps2)),
            attr("tau", num(v.headway_s)),
            attr("minGap", num(v.min_gap_m)),
            attr("length", num(v.length_m)),
            attr("delta", "4"),
            attr(
                "speedFactor",
                format!(
                    "normc({},{},{},{})",
                    num(mean),
                    num(sd),
                    num(mean - 2.0 * sd),
                    num(mean + 2.0 * sd)
                ),
            ),
        ],
    );
}

/// The routes file.
pub fn routes_xml(scenario: &Scenario) -> String {
    let corridor = &scenario.corridor;
    let end_s = scenario.duration.as_secs_f64();
    let mut doc = Doc::new(
        &format!(
            "greenwave scenario `{}`: entry flows (Poisson) on routes that reproduce the\n\
             turning ratios, and origin-destination pairs on their routes",
            scenario.name
        ),
        "routes",
        &[],
    );
    vehicle_type(&mut doc, scenario);
    // A route distribution per entry and turning period (one period unless the ratios change).
    let mut periods: Vec<f64> = std::iter::once(0.0)
        .chain(scenario.turning_changes.iter().map(|c| c.from_s))
        .filter(|&t| t < end_s)
        .collect();
    periods.dedup();
    let distribution = |entry: EdgeIndex, p: usize| match periods.len() {
        1 => edge_id(corridor, entry),
        _ => format!("{}_t{p}", edge_id(corridor, entry)),
    };
    let mut entries: Vec<EdgeIndex> = scenario.demand.iter().map(|d| d.link).collect();
    entries.sort();
    entries.dedup();
    for (p, &from_s) in periods.iter().enumerate() {
        let turning = scenario.turning_at(from_s);
        for &entry in &entries {
            let id = distribution(entry, p);
            doc.open("routeDistribution", &[attr("id", &id)]);
            for (k, r) in routes(scenario, &turning, entry).iter().enumerate() {
                let edges: Vec<String> = r.links.iter().map(|&e| edge_id(corridor, e)).collect();
                doc.leaf(
                    "route",
                    &[
                        attr("id", format!("{id}_r{k}")),
                        attr("edges", edges.join(" ")),
                        attr("probability", format!("{:.9}", r.p)),
                    ],
                );
            }
            doc.close("routeDistribution");
        }
    }
    // Origin-destination pairs keep to their routes.
    for (i, od) in scenario.od.iter().enumerate() {
        let edges: Vec<String> = od.links.iter().map(|&e| edge_id(corridor, e)).collect();
        doc.leaf(
            "route",
            &[attr("id", format!("od{i}")), attr("edges", edges.join(" "))],
        );
    }
    // (begin, id, attributes)
    type Flow<'a> = (f64, String, Vec<(&'a str, String)>);
    let mut flows: Vec<Flow> = Vec::new();
    let mut flow = |(from_s, until): (f64, f64), id: String, route: String, per_s: f64| {
        if per_s <= 0.0 || until <= from_s {
            return;
        }
        flows.push((
            from_s,
            id,
            vec![
                attr("type", "greenwave"),
                attr("route", route),
                attr("begin", num(from_s)),
                attr("end", num(until)),
                attr("period", format!("exp({:.9})", per_s)),
                attr("departLane", "best"),
                attr("departSpeed", "max"),
            ],
        ));
    };
    for d in &scenario.demand {
        let id = edge_id(corridor, d.link);
        for (i, &(from_s, per_s)) in d.flows.iter().enumerate() {
            let until = d.flows.get(i + 1).map_or(end_s, |f| f.0).min(end_s);
            // The piece split where the turning ratios change.
            for (p, &start) in periods.iter().enumerate() {
                let stop = periods.get(p + 1).copied().unwrap_or(end_s);
                let piece = (from_s.max(start), until.min(stop));
                let name = match periods.len() {
                    1 => format!("{id}_f{i}"),
                    _ => format!("{id}_f{i}_t{p}"),
                };
                flow(piece, name, distribution(d.link, p), per_s);
            }
        }
    }
    for (i, od) in scenario.od.iter().enumerate() {
        for (j, &(from_s, per_s)) in od.flows.iter().enumerate() {
            let until = od.flows.get(j + 1).map_or(end_s, |f| f.0).min(end_s);
            flow(
                (from_s, until),
                format!("od{i}_f{j}"),
                format!("od{i}"),
                per_s,
            );
        }
    }
    // SUMO wants flows sorted by their begin.
    flows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (_, id, mut attrs) in flows {
        attrs.insert(0, attr("id", id));
        doc.leaf("flow", &attrs);
    }
    doc.finish("routes")
}
