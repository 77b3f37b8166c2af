//! The corridor as SUMO plain XML: nodes (`.nod.xml`), edges with their lanes and speeds
//! (`.edg.xml`), lane-to-lane connections from the lanes' turns (`.con.xml`), and the loops as
//! E1 induction loops (an additional file).
//!
//! SUMO numbers lanes from the right (lane 0 is the kerb lane); greenwave from the left. A turn
//! from `k` lanes onto a link of `m` lanes fans out without crossings: with as many lanes or
//! more, source lane `i` (from the right) feeds target lane `i * m / k`; with fewer, each source
//! lane feeds a block of neighbouring target lanes, as greenwave lets a vehicle enter whichever
//! lane of the next link its next turn needs.

use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

use greenwave_controllers::corridor::{Corridor, Link};
use greenwave_controllers::model::{Intersection, Turn};

use super::xml::{Doc, attr, num};

/// A SUMO edge id for a greenwave link (`W->J1` becomes `W_J1`: SUMO ids take no `>`).
pub fn edge_id(corridor: &Corridor, e: EdgeIndex) -> String {
    let g = corridor.graph();
    let (a, b) = g.edge_endpoints(e).expect("edge exists");
    format!("{}_{}", g[a].id, g[b].id)
}

/// Why a node or link id cannot be a SUMO id, if it cannot.
pub fn bad_id(id: &str) -> Option<String> {
    let bad: Vec<char> = id
        .chars()
        .filter(|c| c.is_whitespace() || "|;,<>&\"'\\".contains(*c))
        .collect();
    (!bad.is_empty() || id.is_empty()).then(|| {
        format!("`{id}` cannot be a SUMO id (no spaces, |, ;, comma, <, >, &, quotes or backslash)")
    })
}

/// One lane-to-lane connection across a junction.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    /// The junction.
    pub node: NodeIndex,
    /// Incoming and outgoing link.
    pub from: EdgeIndex,
    pub to: EdgeIndex,
    /// SUMO lane indices (0 at the right).
    pub from_lane: usize,
    pub to_lane: usize,
    /// The turn.
    pub turn: Turn,
    /// The signal group that controls it (its index in the intersection).
    pub group: Option<usize>,
}

/// Target lanes (SUMO indices) fed by source lane `i` of `k` turning lanes onto `m` lanes.
fn fan(i: usize, k: usize, m: usize) -> std::ops::Range<usize> {
    if k >= m {
        let t = i * m / k;
        t..t + 1
    } else {
        (i * m / k)..((i + 1) * m / k)
    }
}

/// The group serving `turn` from greenwave lane `lane` of `link`.
fn group_of(ix: &Intersection, link: &Link, turn: Turn, lane: usize) -> Option<usize> {
    ix.groups().iter().position(|g| {
        g.movements.iter().any(|m| {
            m.approach == link.approach
                && m.turn == turn
                && (m.lanes.is_empty() || m.lanes.contains(&(lane as u8)))
        })
    })
}

/// Every connection of every intersection, by incoming link, turn and lane.
pub fn connections(corridor: &Corridor) -> Vec<Connection> {
    let g = corridor.graph();
    let mut out = Vec::new();
    for e in g.edge_references() {
        let link = e.weight();
        let Some(ix) = g[e.target()].intersection() else {
            continue;
        };
        let n = link.lanes.len();
        for m in &link.movements {
            // Source lanes in SUMO numbering, right to left.
            let sources: Vec<usize> = (0..n)
                .rev()
                .filter(|&l| link.lanes[l].allows(m.turn))
                .collect();
            let targets = g[m.onto].lanes.len();
            for (i, &lane) in sources.iter().enumerate() {
                for to_lane in fan(i, sources.len(), targets) {
                    out.push(Connection {
                        node: e.target(),
                        from: e.id(),
                        to: m.onto,
                        from_lane: n - 1 - lane,
                        to_lane,
                        turn: m.turn,
                        group: group_of(ix, link, m.turn, lane),
                    });
                }
            }
        }
    }
    out
}

/// The nodes file: intersections as traffic lights, boundaries as plain nodes.
pub fn nodes(corridor: &Corridor) -> String {
    let g = corridor.graph();
    let mut doc = Doc::new(
        &format!("greenwave corridor `{}`: nodes", corridor.id()),
        "nodes",
        &[],
    );
    for n in g.node_indices() {
        let node = &g[n];
        let mut attrs = vec![
            attr("id", &node.id),
            attr("x", num(node.x_m)),
            attr("y", num(node.y_m)),
        ];
        if node.intersection().is_some() {
            attrs.push(attr("type", "traffic_light"));
            attrs.push(attr("tl", &node.id));
        } else {
            attrs.push(attr("type", "priority"));
        }
        doc.leaf("node", &attrs);
    }
    doc.finish("nodes")
}

/// The edges file: one edge per link with its lanes and speed; the length where it is not the
/// distance between the nodes.
pub fn edges(corridor: &Corridor) -> String {
    let g = corridor.graph();
    let mut doc = Doc::new(
        &format!("greenwave corridor `{}`: links", corridor.id()),
        "edges",
        &[],
    );
    for e in g.edge_references() {
        let link = e.weight();
        let (a, b) = (&g[e.source()], &g[e.target()]);
        let distance = (b.x_m - a.x_m).hypot(b.y_m - a.y_m);
        let mut attrs = vec![
            attr("id", edge_id(corridor, e.id())),
            attr("from", &a.id),
            attr("to", &b.id),
            attr("numLanes", link.lanes.len()),
            attr("speed", num(link.speed_mps)),
        ];
        if (link.length_m - distance).abs() > 0.01 {
            attrs.push(attr("length", num(link.length_m)));
        }
        doc.leaf("edge", &attrs);
    }
    doc.finish("edges")
}

/// The connections file.
pub fn connections_xml(corridor: &Corridor, conns: &[Connection]) -> String {
    let mut doc = Doc::new(
        &format!(
            "greenwave corridor `{}`: lane-to-lane connections from the lanes' turns",
            corridor.id()
        ),
        "connections",
        &[],
    );
    for c in conns {
        doc.leaf(
            "connection",
            &[
                attr("from", edge_id(corridor, c.from)),
                attr("to", edge_id(corridor, c.to)),
                attr("fromLane", c.from_lane),
                attr("toLane", c.to_lane),
            ],
        );
    }
    doc.finish("connections")
}

/// The generic parameter of an exported induction loop that gives its cabinet channel.
pub const LOOP_CHANNEL: &str = "greenwave.channel";
/// The generic parameter that gives its kind (`stop_bar`, `advance`, `advance_count`).
pub const LOOP_KIND: &str = "greenwave.kind";

/// The loops as E1 induction loops, counted per `period_s` into `output`. A loop's position is
/// its upstream end, counted back from the stop line (a negative SUMO position).
pub fn detectors(corridor: &Corridor, period_s: f64, output: &str) -> Option<String> {
    let g = corridor.graph();
    let mut doc = Doc::new(
        &format!(
            "greenwave corridor `{}`: loop detectors as E1 induction loops",
            corridor.id()
        ),
        "additional",
        &[],
    );
    let mut any = false;
    for e in g.edge_references() {
        let link = e.weight();
        for d in &link.detectors {
            if !d.kind.is_vehicle_loop() {
                continue;
            }
            any = true;
            let lane = link.lanes.len() - 1 - usize::from(d.lane);
            doc.open(
                "inductionLoop",
                &[
                    attr("id", &d.id),
                    attr("lane", format!("{}_{lane}", edge_id(corridor, e.id()))),
                    attr("pos", num(-(d.distance_m + d.length_m).max(0.1))),
                    attr("length", num(d.length_m)),
                    attr("period", num(period_s)),
                    attr("file", output),
                ],
            );
            // What SUMO has no word for, as generic parameters: the cabinet channel and the
            // kind (an import reads them back).
            let kind = toml::Value::try_from(d.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            doc.leaf(
                "param",
                &[attr("key", LOOP_CHANNEL), attr("value", d.channel)],
            );
            doc.leaf("param", &[attr("key", LOOP_KIND), attr("value", kind)]);
            doc.close("inductionLoop");
        }
    }
    any.then(|| doc.finish("additional"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_fan_out_without_crossing() {
        // Two through lanes onto three: the kerb lane keeps the kerb, the other fans out.
        assert_eq!(fan(0, 2, 3), 0..1);
        assert_eq!(fan(1, 2, 3), 1..3);
        // One left-turn lane onto two.
        assert_eq!(fan(0, 1, 2), 0..2);
        // Three onto one.
        assert_eq!(fan(2, 3, 1), 0..1);
        assert!(bad_id("W->J1").is_some());
        assert!(bad_id("J1").is_none());
    }
}
