//! The corridor model: a directed graph (petgraph) of intersections and boundary nodes joined by
//! links with lanes, detectors and turning movements.
//!
//! Built only through [`Corridor::from_spec`], which checks that links join known nodes, that
//! every turn a lane allows leads somewhere, that every movement a signal group serves exists on
//! the approach, that every turn is served by some group, and that detector channels are unique
//! per cabinet.

pub mod geometry;
mod lanes;
pub mod spec;

pub use lanes::TurnSet;
pub use spec::{CorridorSpec, DetectorKind, DetectorSpec, LinkSpec, NodeSpec};

use petgraph::Direction as Dir;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::error::{Collector, Problems};
use crate::model::{Approach, Intersection, Turn};

/// The shortest link: room for one vehicle and its gap.
pub const MIN_LINK_M: f64 = 10.0;

/// What a node is.
#[derive(Clone, Debug)]
pub enum NodeKind {
    /// A signalised intersection.
    Intersection(Arc<Intersection>),
    /// Where traffic enters or leaves the corridor.
    Boundary,
}

/// A node of the corridor.
#[derive(Clone, Debug)]
pub struct Node {
    /// Its id (an intersection's site id).
    pub id: String,
    /// Position east of the origin.
    pub x_m: f64,
    /// Position north of the origin.
    pub y_m: f64,
    /// Intersection or boundary.
    pub kind: NodeKind,
}

impl Node {
    /// The intersection at this node, if it is one.
    pub fn intersection(&self) -> Option<&Arc<Intersection>> {
        match &self.kind {
            NodeKind::Intersection(ix) => Some(ix),
            NodeKind::Boundary => None,
        }
    }
}

/// A detector on a link.
#[derive(Clone, Debug, PartialEq)]
pub struct Detector {
    /// Unique id in the corridor.
    pub id: String,
    /// The cabinet channel at the downstream intersection.
    pub channel: u8,
    /// Lane, from 0 at the left.
    pub lane: u8,
    /// Distance of the loop's downstream edge from the stop line.
    pub distance_m: f64,
    /// Loop length.
    pub length_m: f64,
    /// What it detects.
    pub kind: DetectorKind,
}

/// Where traffic from a link goes at its downstream intersection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TurnMovement {
    /// The turn.
    pub turn: Turn,
    /// The link it leads onto.
    pub onto: EdgeIndex,
}

/// A directed link.
#[derive(Clone, Debug)]
pub struct Link {
    /// `FROM->TO`.
    pub id: String,
    /// Length.
    pub length_m: f64,
    /// Free-flow speed in metres per second.
    pub speed_mps: f64,
    /// Lanes from left to right, each with its allowed turns.
    pub lanes: Vec<TurnSet>,
    /// Saturation flow per lane.
    pub saturation_flow_veh_h_lane: f64,
    /// Its detectors.
    pub detectors: Vec<Detector>,
    /// The approach it forms at its downstream node: named by its direction of travel (four or
    /// eight compass points), or as its file names it.
    pub approach: Approach,
    /// Turning movements at the downstream node (empty at a boundary).
    pub movements: Vec<TurnMovement>,
}

impl Link {
    /// The link a turn leads onto.
    pub fn onto(&self, turn: Turn) -> Option<EdgeIndex> {
        self.movements
            .iter()
            .find(|m| m.turn == turn)
            .map(|m| m.onto)
    }
}

/// A validated corridor.
#[derive(Clone, Debug)]
pub struct Corridor {
    id: String,
    name: Option<String>,
    graph: DiGraph<Node, Link>,
}

impl Corridor {
    /// Validates a parsed corridor file. `intersection` turns a node's `intersection` path into
    /// the validated intersection, or says why it cannot.
    pub fn from_spec(
        spec: &CorridorSpec,
        mut intersection: impl FnMut(&str) -> Result<Arc<Intersection>, String>,
    ) -> Result<Corridor, Problems> {
        let mut out = Collector::default();
        let mut graph = DiGraph::new();
        let by_id = add_nodes(spec, &mut intersection, &mut graph, &mut out);

        let mut link_ids = BTreeSet::new();
        let mut explicit = BTreeSet::new();
        for (i, link) in spec.links.iter().enumerate() {
            let field = format!("links[{i}]");
            let id = format!("{}->{}", link.from, link.to);
            let ends = [("from", &link.from), ("to", &link.to)].map(|(end, node)| {
                let found = by_id.get(node.as_str()).copied();
                if found.is_none() {
                    let verb = if end == "from" { "starts" } else { "ends" };
                    out.push(
                        format!("{field}.{end}"),
                        format!("link `{id}` {verb} at unknown node `{node}`"),
                    );
                }
                found
            });
            let [Some(a), Some(b)] = ends else { continue };
            if a == b {
                out.push(
                    field,
                    format!("link `{id}` starts and ends at the same node"),
                );
                continue;
            }
            if !link_ids.insert(id.clone()) {
                out.push(field, format!("link `{id}` is defined twice"));
                continue;
            }
            let (na, nb) = (&graph[a], &graph[b]);
            let (dx, dy) = (nb.x_m - na.x_m, nb.y_m - na.y_m);
            let length_m = link.length_m.unwrap_or_else(|| dx.hypot(dy));
            check_link_numbers(&mut out, &field, &id, link, length_m);
            let lanes: Vec<TurnSet> = link
                .lanes
                .iter()
                .enumerate()
                .map(|(l, s)| {
                    TurnSet::parse(s).unwrap_or_else(|why| {
                        out.push(format!("{field}.lanes[{l}]"), why);
                        TurnSet::default()
                    })
                })
                .collect();
            let detectors = detectors_of(&mut out, &field, &id, link, lanes.len(), length_m);
            let named = link.approach.as_deref().and_then(|name| {
                Approach::new(name)
                    .map_err(|why| out.push(format!("{field}.approach"), why))
                    .ok()
            });
            if named.is_some() {
                explicit.insert(id.clone());
            }
            graph.add_edge(
                a,
                b,
                Link {
                    id,
                    length_m,
                    speed_mps: link.speed_kmh / 3.6,
                    lanes,
                    saturation_flow_veh_h_lane: link.saturation_flow_veh_h_lane,
                    detectors,
                    approach: named
                        .unwrap_or(Approach::from_heading_deg(dy.atan2(dx).to_degrees())),
                    movements: Vec::new(),
                },
            );
        }

        let mut corridor = Corridor {
            id: spec.id.clone(),
            name: spec.name.clone(),
            graph,
        };
        corridor.name_approaches(&explicit, &mut out);
        corridor.derive_movements(&mut out);
        if out.is_clean() {
            corridor.derive_intergreens(&spec.nodes, &mut out);
        }
        corridor.check_detectors(&mut out);
        corridor.check_groups_against_approaches(&mut out);
        out.finish(|| corridor)
    }

    /// Gives each intersection that asks for them (`derive_intergreens`) the intergreens of its
    /// own node's geometry: one file shared by several nodes gets each its own.
    fn derive_intergreens(&mut self, nodes: &[spec::NodeSpec], out: &mut Collector) {
        for node in self.graph.node_indices() {
            let Some(ix) = self.graph[node]
                .intersection()
                .filter(|ix| ix.derives_intergreens())
            else {
                continue;
            };
            let derived = geometry::derived_intergreens(self, node)
                .into_iter()
                .map(|d| (d.clearing, d.entering, d.seconds));
            match ix.with_derived_intergreens(derived) {
                Ok(ix) => self.graph[node].kind = NodeKind::Intersection(Arc::new(ix)),
                Err(problems) => {
                    let id = &self.graph[node].id;
                    let i = nodes.iter().position(|n| &n.id == id).unwrap_or_default();
                    for p in problems.iter() {
                        out.push(
                            format!("nodes[{i}].intersection"),
                            format!("with the intergreens of `{id}`'s geometry: {p}"),
                        );
                    }
                }
            }
        }
    }

    /// Names each node's approaches: the four compass points where its links fit them, else the
    /// eight; links in `explicit` keep the names their files give. Two approaches of one node
    /// may not share a name.
    fn name_approaches(&mut self, explicit: &BTreeSet<String>, out: &mut Collector) {
        for node in self.graph.node_indices() {
            let incoming: Vec<EdgeIndex> = self
                .graph
                .edges_directed(node, Dir::Incoming)
                .map(|e| e.id())
                .collect();
            let given: Vec<Approach> = incoming
                .iter()
                .filter(|&&e| explicit.contains(&self.graph[e].id))
                .map(|&e| self.graph[e].approach)
                .collect();
            let unnamed: Vec<EdgeIndex> = incoming
                .iter()
                .copied()
                .filter(|&e| !explicit.contains(&self.graph[e].id))
                .collect();
            let headings: Vec<f64> = unnamed.iter().map(|&e| self.heading(e)).collect();
            let chosen = Approach::name_legs(&headings, &given);
            for (&e, name) in unnamed.iter().zip(chosen) {
                self.graph[e].approach = name;
            }
            if matches!(self.graph[node].kind, NodeKind::Boundary) {
                continue;
            }
            let mut seen: BTreeMap<Approach, EdgeIndex> = BTreeMap::new();
            for &e in &incoming {
                let name = self.graph[e].approach;
                if let Some(other) = seen.insert(name, e) {
                    out.push(
                        format!("nodes.{}", self.graph[node].id),
                        format!(
                            "links `{}` and `{}` both approach `{}` as {name}; give one an \
                             `approach` name of its own",
                            self.graph[other].id, self.graph[e].id, self.graph[node].id
                        ),
                    );
                }
            }
        }
    }

    /// The link whose traffic comes the other way into the same node as `link`: the incoming
    /// link whose direction of travel is most nearly opposite, within 45 degrees of it.
    pub fn oncoming(&self, link: EdgeIndex) -> Option<EdgeIndex> {
        let (_, node) = self.graph.edge_endpoints(link)?;
        let h = self.heading(link);
        self.graph
            .edges_directed(node, Dir::Incoming)
            .filter(|o| o.id() != link)
            .map(|o| {
                (
                    o.id(),
                    crate::model::group::wrap_deg(self.heading(o.id()) - h),
                )
            })
            .filter(|(_, d)| d.abs() >= 135.0)
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(o, _)| o)
    }

    /// The direction of travel of a link, degrees counter-clockwise from east.
    pub fn heading(&self, e: EdgeIndex) -> f64 {
        let (a, b) = self.graph.edge_endpoints(e).expect("edge exists");
        let (na, nb) = (&self.graph[a], &self.graph[b]);
        (nb.y_m - na.y_m).atan2(nb.x_m - na.x_m).to_degrees()
    }

    /// Turning movements from the node positions: each outgoing link of the downstream node is a
    /// turn of the incoming link by angle ([`Turn::classify`]), the one back to where it came
    /// from its U-turn, kept where a lane of the incoming link allows that turn.
    fn derive_movements(&mut self, out: &mut Collector) {
        for node in self.graph.node_indices() {
            let is_boundary = matches!(self.graph[node].kind, NodeKind::Boundary);
            let incoming: Vec<EdgeIndex> = self
                .graph
                .edges_directed(node, Dir::Incoming)
                .map(|e| e.id())
                .collect();
            let outgoing: Vec<EdgeIndex> = self
                .graph
                .edges_directed(node, Dir::Outgoing)
                .map(|e| e.id())
                .collect();
            for &inc in &incoming {
                let h_in = self.heading(inc);
                let from = self.graph.edge_endpoints(inc).expect("edge").0;
                // The exit back to where the link came from is its U-turn, whatever its angle;
                // the others are classified by angle.
                let goes_back =
                    |og: EdgeIndex| self.graph.edge_endpoints(og).expect("edge").1 == from;
                let back = outgoing.iter().copied().find(|&og| goes_back(og));
                let exits: Vec<EdgeIndex> = outgoing
                    .iter()
                    .copied()
                    .filter(|&og| !goes_back(og))
                    .collect();
                let deltas: Vec<f64> = exits.iter().map(|&og| self.heading(og) - h_in).collect();
                let mut movements: Vec<TurnMovement> = match Turn::classify(&deltas) {
                    Ok(turns) if !turns.contains(&Turn::UTurn) => exits
                        .iter()
                        .zip(turns)
                        .map(|(&onto, turn)| TurnMovement { turn, onto })
                        .chain(back.map(|onto| TurnMovement {
                            turn: Turn::UTurn,
                            onto,
                        }))
                        .collect(),
                    Ok(_) if is_boundary => Vec::new(),
                    Ok(turns) => {
                        let a = turns.iter().position(|&t| t == Turn::UTurn).expect("found");
                        out.push(
                            format!("nodes.{}", self.graph[node].id),
                            format!(
                                "link `{}` turns straight back from `{}` but does not lead to `{}` (move a node so that it is not a U-turn)",
                                self.graph[exits[a]].id,
                                self.graph[inc].id,
                                self.graph[from].id
                            ),
                        );
                        Vec::new()
                    }
                    Err(_) if is_boundary => Vec::new(),
                    Err((a, b)) => {
                        let turn = Turn::fine_from_heading_change_deg(deltas[a]);
                        out.push(
                            format!("nodes.{}", self.graph[node].id),
                            format!(
                                "links `{}` and `{}` are both a {} turn from `{}` (move a node so that their angles differ more)",
                                self.graph[exits[a]].id,
                                self.graph[exits[b]].id,
                                turn,
                                self.graph[inc].id
                            ),
                        );
                        Vec::new()
                    }
                };
                if !is_boundary {
                    let link = &self.graph[inc];
                    for (l, lane) in link.lanes.iter().enumerate() {
                        for turn in lane.iter() {
                            if !movements.iter().any(|m| m.turn == turn) {
                                out.push(
                                    format!("links.{}.lanes[{l}]", link.id),
                                    format!("lane {l} of `{}` allows {turn}, but `{}` has no exit that way", link.id, self.graph[node].id),
                                );
                            }
                        }
                    }
                }
                // A movement exists where some lane allows it.
                let lanes = &self.graph[inc].lanes;
                movements.retain(|m| lanes.iter().any(|l| l.allows(m.turn)));
                movements.sort_by_key(|m| m.turn);
                self.graph[inc].movements = if is_boundary { Vec::new() } else { movements };
            }
        }
    }

    fn check_detectors(&self, out: &mut Collector) {
        let mut ids = BTreeSet::new();
        for node in self.graph.node_indices() {
            let mut channels: BTreeMap<u8, &str> = BTreeMap::new();
            for e in self.graph.edges_directed(node, Dir::Incoming) {
                for det in &e.weight().detectors {
                    if !ids.insert(det.id.as_str()) {
                        out.push(
                            format!("links.{}.detectors", e.weight().id),
                            format!("detector `{}` is defined twice", det.id),
                        );
                    }
                    if let Some(other) = channels.insert(det.channel, &det.id) {
                        out.push(
                            format!("links.{}.detectors", e.weight().id),
                            format!(
                                "detectors `{other}` and `{}` both use channel {} of `{}`",
                                det.id, det.channel, self.graph[node].id
                            ),
                        );
                    }
                }
            }
        }
    }

    /// Every movement a group serves exists on its approach; every turn is served.
    fn check_groups_against_approaches(&self, out: &mut Collector) {
        for node in self.graph.node_indices() {
            let Some(ix) = self.graph[node].intersection() else {
                continue;
            };
            let site = &self.graph[node].id;
            if ix.is_nema_preset() {
                let legs: BTreeSet<Approach> = self
                    .graph
                    .edges_directed(node, Dir::Incoming)
                    .map(|e| e.weight().approach)
                    .collect();
                if legs.iter().any(|a| !Approach::FOUR.contains(a)) {
                    let names: Vec<String> = legs.iter().map(|a| a.to_string()).collect();
                    out.push(
                        format!("nodes.{site}"),
                        format!(
                            "the NEMA eight-phase preset fits junctions whose legs are the four \
                             compass points (nb, eb, sb, wb) or three of them; `{site}` has {} \
                             approaches ({}): write its signal groups, intergreens and stages out",
                            legs.len(),
                            names.join(", ")
                        ),
                    );
                    continue;
                }
            }
            for group in ix.groups() {
                for m in &group.movements {
                    let Some(link) = self.approach(node, m.approach) else {
                        out.push(
                            format!("nodes.{site}"),
                            format!(
                                "group `{}` serves `{m}`, but `{site}` has no {} approach",
                                group.id, m.approach
                            ),
                        );
                        continue;
                    };
                    if m.turn == Turn::Crossing {
                        continue;
                    }
                    let lanes_allowing: Vec<u8> = (0..link.lanes.len() as u8)
                        .filter(|&l| link.lanes[usize::from(l)].allows(m.turn))
                        .collect();
                    // A U-turn no lane allows is not made (one that runs with the left).
                    if lanes_allowing.is_empty() && m.turn != Turn::UTurn {
                        out.push(
                            format!("nodes.{site}"),
                            format!(
                                "group `{}` serves `{m}`, but no lane of `{}` allows {}",
                                group.id, link.id, m.turn
                            ),
                        );
                    }
                    for &l in &m.lanes {
                        if !lanes_allowing.contains(&l) {
                            out.push(format!("nodes.{site}"), format!("group `{}` serves `{m}` on lane {l}, which `{}` does not have for {}", group.id, link.id, m.turn));
                        }
                    }
                }
            }
            for e in self.graph.edges_directed(node, Dir::Incoming) {
                let link = e.weight();
                for m in &link.movements {
                    let served = ix.groups().iter().any(|g| {
                        g.movements
                            .iter()
                            .any(|gm| gm.approach == link.approach && gm.turn == m.turn)
                    });
                    if !served {
                        out.push(
                            format!("nodes.{site}"),
                            format!(
                                "no signal group serves `{} {}` from `{}`",
                                link.approach, m.turn, link.id
                            ),
                        );
                    }
                }
            }
        }
    }

    /// The corridor's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its name.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The graph itself, for algorithms.
    pub fn graph(&self) -> &DiGraph<Node, Link> {
        &self.graph
    }

    /// The node with this id.
    pub fn node_by_id(&self, id: &str) -> Option<NodeIndex> {
        self.graph.node_indices().find(|&n| self.graph[n].id == id)
    }

    /// The link with this id (`FROM->TO`).
    pub fn link_by_id(&self, id: &str) -> Option<EdgeIndex> {
        self.graph.edge_indices().find(|&e| self.graph[e].id == id)
    }

    /// The incoming link forming approach `dir` at `node`.
    pub fn approach(&self, node: NodeIndex, dir: Approach) -> Option<&Link> {
        self.graph
            .edges_directed(node, Dir::Incoming)
            .map(|e| e.weight())
            .find(|l| l.approach == dir)
    }

    /// Intersections, in file order.
    pub fn intersections(&self) -> impl Iterator<Item = (NodeIndex, &Node)> {
        self.graph
            .node_indices()
            .map(|n| (n, &self.graph[n]))
            .filter(|(_, node)| node.intersection().is_some())
    }

    /// Links whose upstream node is a boundary: where traffic enters.
    pub fn entries(&self) -> impl Iterator<Item = EdgeIndex> + '_ {
        self.graph.edge_indices().filter(|&e| {
            let (a, _) = self.graph.edge_endpoints(e).expect("edge exists");
            matches!(self.graph[a].kind, NodeKind::Boundary)
        })
    }
}

/// The nodes of `spec` added to `graph`, by id; each problem goes to `out`.
fn add_nodes<'a>(
    spec: &'a CorridorSpec,
    intersection: &mut impl FnMut(&str) -> Result<Arc<Intersection>, String>,
    graph: &mut DiGraph<Node, Link>,
    out: &mut Collector,
) -> BTreeMap<&'a str, NodeIndex> {
    let mut by_id = BTreeMap::new();
    for (i, node) in spec.nodes.iter().enumerate() {
        let field = format!("nodes[{i}]");
        if node.id.trim().is_empty() {
            out.push(format!("{field}.id"), "a node id may not be empty");
        }
        if !(node.x_m.is_finite() && node.y_m.is_finite()) {
            out.push(
                field.clone(),
                format!("node `{}` has a non-finite position", node.id),
            );
        }
        let kind = match &node.intersection {
            None => NodeKind::Boundary,
            Some(path) => match intersection(path) {
                Ok(ix) => NodeKind::Intersection(ix),
                Err(why) => {
                    out.push(format!("{field}.intersection"), why);
                    NodeKind::Boundary
                }
            },
        };
        let index = graph.add_node(Node {
            id: node.id.clone(),
            x_m: node.x_m,
            y_m: node.y_m,
            kind,
        });
        if by_id.insert(node.id.as_str(), index).is_some() {
            out.push(
                format!("{field}.id"),
                format!("node `{}` is defined twice", node.id),
            );
        }
    }
    by_id
}

/// A link's length, speed, saturation flow and lanes, each in its range.
fn check_link_numbers(out: &mut Collector, field: &str, id: &str, link: &LinkSpec, length_m: f64) {
    if !(length_m.is_finite() && length_m >= MIN_LINK_M) {
        out.push(
            format!("{field}.length_m"),
            format!("link `{id}` length {length_m} m is out of range (at least {MIN_LINK_M} m)"),
        );
    }
    if !(link.speed_kmh.is_finite() && link.speed_kmh > 0.0 && link.speed_kmh <= 150.0) {
        out.push(
            format!("{field}.speed_kmh"),
            format!(
                "{} km/h is out of range (above 0, at most 150)",
                link.speed_kmh
            ),
        );
    }
    if !(link.saturation_flow_veh_h_lane.is_finite()
        && (100.0..=3000.0).contains(&link.saturation_flow_veh_h_lane))
    {
        out.push(
            format!("{field}.saturation_flow_veh_h_lane"),
            format!(
                "{} veh/h is out of range (100 to 3000)",
                link.saturation_flow_veh_h_lane
            ),
        );
    }
    if link.lanes.is_empty() {
        out.push(
            format!("{field}.lanes"),
            format!("link `{id}` has no lanes"),
        );
    }
}

/// A link's detectors, each on one of its `lanes` lanes and within its length.
fn detectors_of(
    out: &mut Collector,
    field: &str,
    id: &str,
    link: &LinkSpec,
    lanes: usize,
    length_m: f64,
) -> Vec<Detector> {
    link.detectors
        .iter()
        .enumerate()
        .map(|(d, det)| {
            let dfield = format!("{field}.detectors[{d}]");
            if usize::from(det.lane) >= lanes {
                out.push(
                    format!("{dfield}.lane"),
                    format!(
                        "detector `{}` is on lane {}, but link `{id}` has {} lanes",
                        det.id, det.lane, lanes
                    ),
                );
            }
            if !(det.distance_m.is_finite() && det.distance_m >= 0.0 && det.distance_m <= length_m)
            {
                out.push(
                    format!("{dfield}.distance_m"),
                    format!(
                        "detector `{}` at {} m is not on the link (0 to {length_m} m)",
                        det.id, det.distance_m
                    ),
                );
            }
            if !(det.length_m.is_finite() && det.length_m > 0.0 && det.length_m <= 50.0) {
                out.push(
                    format!("{dfield}.length_m"),
                    format!("{} m is out of range (above 0, at most 50)", det.length_m),
                );
            }
            if det.channel >= 64 {
                out.push(
                    format!("{dfield}.channel"),
                    format!("channel {} is out of range (0 to 63)", det.channel),
                );
            }
            Detector {
                id: det.id.clone(),
                channel: det.channel,
                lane: det.lane,
                distance_m: det.distance_m,
                length_m: det.length_m,
                kind: det.kind,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
