//! Origin-destination demand: a matrix of trips per hour between boundary nodes for each time
//! interval, every pair routed once by the shortest free-flow travel time over the corridor's
//! links and turning movements (Dijkstra). A vehicle of a pair follows its route; vehicles of
//! the entry flows (`[[demand]]`) draw their turns from the turning ratios as before.
//!
//! ```toml
//! [[od]]                      # from 0 s until the next interval
//! from_s = 0.0
//! trips_veh_h = { W = { E = 600.0, N1 = 40.0 }, E = { W = 550.0 } }
//!
//! [[od]]
//! from_s = 1800.0
//! trips_veh_h = { W = { E = 300.0 } }
//! ```

use petgraph::graph::EdgeIndex;
use petgraph::visit::EdgeRef;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use greenwave_controllers::Collector;
use greenwave_controllers::corridor::{Corridor, NodeKind};

use super::spec::OdSpec;

/// One origin-destination pair: its route and its demand over time.
#[derive(Clone, Debug, PartialEq)]
pub struct OdRoute {
    /// The boundary node it comes from.
    pub origin: String,
    /// The boundary node it leaves by.
    pub destination: String,
    /// Its links, from the entry to the exit.
    pub links: Vec<EdgeIndex>,
    /// Its turn at the end of every link but the last (its [`Turn::index`](greenwave_controllers::model::Turn::index)).
    pub turns: Vec<u8>,
    /// `(from_s, veh_per_s)`, ascending; 0 where an interval leaves the pair out.
    pub flows: Vec<(f64, f64)>,
}

/// The fastest route from boundary `origin` to boundary `destination` at free-flow speed,
/// through the intersections' turning movements: its links and turns.
pub fn shortest_route(
    corridor: &Corridor,
    origin: &str,
    destination: &str,
) -> Option<(Vec<EdgeIndex>, Vec<u8>)> {
    let g = corridor.graph();
    let from = corridor.node_by_id(origin)?;
    let to = corridor.node_by_id(destination)?;
    let cost = |e: EdgeIndex| g[e].length_m / g[e].speed_mps.max(0.1);
    // Costs in microseconds, so that the heap orders whole numbers (ties by edge index).
    let micros = |s: f64| (s * 1e6).round() as u64;
    let mut best: BTreeMap<EdgeIndex, u64> = BTreeMap::new();
    let mut came_from: BTreeMap<EdgeIndex, (EdgeIndex, u8)> = BTreeMap::new();
    let mut heap = BinaryHeap::new();
    for e in g.edges_directed(from, petgraph::Direction::Outgoing) {
        let c = micros(cost(e.id()));
        best.insert(e.id(), c);
        heap.push(Reverse((c, e.id())));
    }
    let mut done = BTreeSet::new();
    while let Some(Reverse((c, e))) = heap.pop() {
        if !done.insert(e) {
            continue;
        }
        let (_, end) = g.edge_endpoints(e).expect("edge");
        if end == to {
            let (mut links, mut turns) = (vec![e], Vec::new());
            let mut at = e;
            while let Some(&(prev, turn)) = came_from.get(&at) {
                links.push(prev);
                turns.push(turn);
                at = prev;
            }
            links.reverse();
            turns.reverse();
            return Some((links, turns));
        }
        for m in &g[e].movements {
            let Some(turn) = m.turn.index() else {
                continue;
            };
            let next = c + micros(cost(m.onto));
            if best.get(&m.onto).is_none_or(|&b| next < b) {
                best.insert(m.onto, next);
                came_from.insert(m.onto, (e, turn as u8));
                heap.push(Reverse((next, m.onto)));
            }
        }
    }
    None
}

/// The pairs of every interval, routed, with their flows; problems name the field.
pub fn od_of(specs: &[OdSpec], corridor: &Corridor, out: &mut Collector) -> Vec<OdRoute> {
    let g = corridor.graph();
    let boundary = |id: &str| {
        corridor
            .node_by_id(id)
            .is_some_and(|n| matches!(g[n].kind, NodeKind::Boundary))
    };
    let mut last = f64::NEG_INFINITY;
    let mut routes: BTreeMap<(String, String), OdRoute> = BTreeMap::new();
    for (i, interval) in specs.iter().enumerate() {
        let field = format!("od[{i}]");
        if !(interval.from_s.is_finite() && interval.from_s >= 0.0 && interval.from_s > last) {
            out.push(
                format!("{field}.from_s"),
                format!(
                    "{} s must be at least 0 and after the previous interval's start",
                    interval.from_s
                ),
            );
        }
        last = interval.from_s;
        for (origin, row) in &interval.trips_veh_h {
            for (destination, &veh_h) in row {
                let cell = format!("{field}.trips_veh_h.{origin}.{destination}");
                if !(veh_h.is_finite() && (0.0..=10_000.0).contains(&veh_h)) {
                    out.push(&cell, format!("{veh_h} veh/h is out of range (0 to 10000)"));
                    continue;
                }
                if !boundary(origin) || !boundary(destination) {
                    let which = if boundary(origin) {
                        destination
                    } else {
                        origin
                    };
                    out.push(
                        &cell,
                        format!("`{which}` is not a boundary node of the corridor"),
                    );
                    continue;
                }
                let key = (origin.clone(), destination.clone());
                if !routes.contains_key(&key) {
                    let Some((links, turns)) = shortest_route(corridor, origin, destination) else {
                        out.push(
                            &cell,
                            format!("no route from `{origin}` to `{destination}`"),
                        );
                        continue;
                    };
                    routes.insert(
                        key.clone(),
                        OdRoute {
                            origin: origin.clone(),
                            destination: destination.clone(),
                            links,
                            turns,
                            flows: Vec::new(),
                        },
                    );
                }
                routes
                    .get_mut(&key)
                    .expect("inserted")
                    .flows
                    .push((interval.from_s, veh_h / 3600.0));
            }
        }
        // A pair an interval leaves out has no trips in it.
        for route in routes.values_mut() {
            if route.flows.last().is_some_and(|f| f.0 < interval.from_s) {
                route.flows.push((interval.from_s, 0.0));
            }
        }
    }
    routes.into_values().collect()
}
