//! Which parts of a SUMO network greenwave can model, as a corridor: the signalised junctions
//! with three to six legs become intersections (their approaches named and their turns
//! classified by angle as the corridor model does), the car links that touch them become links
//! (the other end a boundary where it is not an intersection), lanes get their turns from the
//! connections, and E1 loops on approach lanes become detectors. Everything else is dropped and
//! said so.

use std::collections::{BTreeMap, BTreeSet};

use greenwave_controllers::corridor::{CorridorSpec, LinkSpec, MIN_LINK_M, NodeSpec, TurnSet};
use greenwave_controllers::model::{Approach, Turn};

use super::loops::Loops;
use super::net::Net;

/// One signalled lane movement of an intersection: what a SUMO link index controls.
#[derive(Clone, Debug, PartialEq)]
pub struct Signalled {
    pub link_index: usize,
    pub approach: Approach,
    pub turn: Turn,
    /// greenwave lane (0 at the left).
    pub lane: u8,
}

/// The corridor part of an import.
#[derive(Debug, Default)]
pub struct Imported {
    pub spec: Option<CorridorSpec>,
    /// By intersection: its traffic light's id and the movements it signals.
    pub signals: BTreeMap<String, (String, Vec<Signalled>)>,
    /// SUMO edge id -> greenwave link id, for the links kept.
    pub links: BTreeMap<String, String>,
    /// What was dropped, one line each.
    pub dropped: Vec<String>,
}

fn heading(a: (f64, f64), b: (f64, f64)) -> f64 {
    (b.1 - a.1).atan2(b.0 - a.0).to_degrees()
}

/// The approach each of `from` (upstream junctions of the edges into `node`) forms at `node`,
/// named as the corridor model names them ([`Approach::name_legs`]).
fn approach_names<'a>(
    node: &str,
    from: &[&'a str],
    pos: &BTreeMap<&str, (f64, f64)>,
) -> BTreeMap<&'a str, Approach> {
    let headings: Vec<f64> = from.iter().map(|f| heading(pos[f], pos[node])).collect();
    from.iter()
        .copied()
        .zip(Approach::name_legs(&headings, &[]))
        .collect()
}

/// The turn from `from` through `node` onto each of `exits` (downstream junctions; the one back
/// to `from` is the U-turn), classified among them as the corridor model does
/// ([`Turn::classify`]); or the two exits it cannot tell apart (an exit straight back that
/// does not lead to `from` is told apart from none: it comes with `from` itself).
fn exit_turns<'a>(
    node: &str,
    from: &'a str,
    exits: &[&'a str],
    pos: &BTreeMap<&str, (f64, f64)>,
) -> Result<BTreeMap<&'a str, Turn>, (&'a str, &'a str)> {
    let back = exits.iter().copied().find(|&x| x == from);
    let exits: Vec<&str> = exits.iter().copied().filter(|&x| x != from).collect();
    let h_in = heading(pos[from], pos[node]);
    let deltas: Vec<f64> = exits
        .iter()
        .map(|x| heading(pos[node], pos[x]) - h_in)
        .collect();
    let turns = Turn::classify(&deltas).map_err(|(a, b)| (exits[a], exits[b]))?;
    if let Some(a) = turns.iter().position(|&t| t == Turn::UTurn) {
        return Err((exits[a], from));
    }
    Ok(exits
        .into_iter()
        .zip(turns)
        .chain(back.map(|x| (x, Turn::UTurn)))
        .collect())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

/// Which junctions can be intersections: signalised by a program of their own, with three or
/// four legs, one approach per compass direction and one exit per turn.
fn intersections(
    net: &Net,
    pos: &BTreeMap<&str, (f64, f64)>,
    cars: &[usize],
    out: &mut Imported,
) -> BTreeMap<String, String> {
    let edge_to: BTreeMap<&str, &str> = net
        .edges
        .iter()
        .map(|e| (e.id.as_str(), e.to.as_str()))
        .collect();
    let mut tls: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for c in &net.connections {
        if let (Some(tl), Some(j)) = (&c.tl, edge_to.get(c.from.as_str())) {
            tls.entry(j).or_default().insert(tl.as_str());
        }
    }
    let mut controlled_by: BTreeMap<&str, usize> = BTreeMap::new();
    for set in tls.values() {
        for tl in set {
            *controlled_by.entry(tl).or_default() += 1;
        }
    }
    let mut kept = BTreeMap::new();
    for j in &net.junctions {
        let signalised = j.kind.starts_with("traffic_light");
        let why = if !signalised {
            let legs: BTreeSet<&str> = cars
                .iter()
                .map(|&i| &net.edges[i])
                .filter_map(|e| {
                    (e.to == j.id)
                        .then_some(e.from.as_str())
                        .or((e.from == j.id).then_some(e.to.as_str()))
                })
                .collect();
            (legs.len() >= 3).then(|| {
                format!(
                    "junction `{}` ({}, {} legs): not signalised (greenwave models signalised \
                     junctions); where its links meet an intersection it is a boundary",
                    j.id,
                    j.kind,
                    legs.len()
                )
            })
        } else {
            check_junction(net, j.id.as_str(), pos, cars, &tls, &controlled_by).err()
        };
        match why {
            Some(why) => out.dropped.push(why),
            None if signalised => {
                let tl = tls[j.id.as_str()]
                    .iter()
                    .next()
                    .expect("checked")
                    .to_string();
                kept.insert(j.id.clone(), tl);
            }
            None => {}
        }
    }
    kept
}

fn check_junction(
    net: &Net,
    id: &str,
    pos: &BTreeMap<&str, (f64, f64)>,
    cars: &[usize],
    tls: &BTreeMap<&str, BTreeSet<&str>>,
    controlled_by: &BTreeMap<&str, usize>,
) -> Result<(), String> {
    let name = format!("junction `{id}` (signalised)");
    let tl = match tls.get(id).map(|s| s.iter().collect::<Vec<_>>()) {
        Some(t) if t.len() == 1 => *t[0],
        Some(t) => return Err(format!("{name}: controlled by {} traffic lights", t.len())),
        None => {
            return Err(format!(
                "{name}: no connection is controlled by its traffic light"
            ));
        }
    };
    if controlled_by.get(tl).copied().unwrap_or(0) > 1 {
        return Err(format!(
            "{name}: its traffic light `{tl}` also controls other junctions (a joined signal)"
        ));
    }
    if !net.programs.iter().any(|p| p.id == tl) {
        return Err(format!("{name}: traffic light `{tl}` has no program"));
    }
    let incoming: Vec<&super::net::Edge> = cars
        .iter()
        .map(|&i| &net.edges[i])
        .filter(|e| e.to == id)
        .collect();
    let outgoing: Vec<&super::net::Edge> = cars
        .iter()
        .map(|&i| &net.edges[i])
        .filter(|e| e.from == id)
        .collect();
    let legs: BTreeSet<&str> = incoming
        .iter()
        .map(|e| e.from.as_str())
        .chain(outgoing.iter().map(|e| e.to.as_str()))
        .collect();
    if !(2..=6).contains(&legs.len()) {
        return Err(format!(
            "{name}: {} legs (greenwave models two to six)",
            legs.len()
        ));
    }
    let from: Vec<&str> = incoming.iter().map(|e| e.from.as_str()).collect();
    let names = approach_names(id, &from, pos);
    let mut seen: BTreeMap<Approach, &str> = BTreeMap::new();
    for e in &incoming {
        let a = names[e.from.as_str()];
        if let Some(other) = seen.insert(a, &e.id) {
            return Err(format!(
                "{name}: edges `{other}` and `{}` both approach {a}",
                e.id
            ));
        }
    }
    let exits: Vec<&str> = outgoing.iter().map(|o| o.to.as_str()).collect();
    for e in &incoming {
        if let Err((a, b)) = exit_turns(id, &e.from, &exits, pos) {
            let edge = |to: &str| {
                outgoing
                    .iter()
                    .find(|o| o.to == to)
                    .map_or(to.to_owned(), |o| o.id.clone())
            };
            return Err(format!(
                "{name}: `{}` and `{}` are one turn from `{}` (their angles are too close)",
                edge(a),
                edge(b),
                e.id
            ));
        }
    }
    Ok(())
}

/// Builds the corridor from the network and its loops; what cannot be modelled goes to `dropped`.
pub fn corridor(net: &Net, id: &str, loops: Loops<'_>) -> Imported {
    let mut out = Imported::default();
    let pos: BTreeMap<&str, (f64, f64)> = net
        .junctions
        .iter()
        .map(|j| {
            (
                j.id.as_str(),
                (round2(j.x - net.offset.0), round2(j.y - net.offset.1)),
            )
        })
        .collect();
    // Edges cars may use, between known junctions.
    let mut cars = Vec::new();
    for (i, e) in net.edges.iter().enumerate() {
        if !e.lanes.iter().any(|l| l.cars) {
            let users: BTreeSet<&str> = e.lanes.iter().map(|l| l.used_by.as_str()).collect();
            out.dropped.push(format!(
                "edge `{}` (line {}): no lane for cars (used by {})",
                e.id,
                e.line,
                users.into_iter().collect::<Vec<_>>().join("; ")
            ));
        } else if !(pos.contains_key(e.from.as_str()) && pos.contains_key(e.to.as_str()))
            || e.from == e.to
        {
            out.dropped.push(format!(
                "edge `{}`: its ends are not two known junctions",
                e.id
            ));
        } else {
            cars.push(i);
        }
    }
    let kept = intersections(net, &pos, &cars, &mut out);
    let mut nodes: BTreeSet<&str> = BTreeSet::new();
    let mut pairs = BTreeSet::new();
    let mut links = Vec::new();
    for &i in &cars {
        let e = &net.edges[i];
        if !(kept.contains_key(&e.from) || kept.contains_key(&e.to)) {
            out.dropped.push(format!(
                "edge `{}`: touches no intersection greenwave models",
                e.id
            ));
            continue;
        }
        if !pairs.insert((e.from.as_str(), e.to.as_str())) {
            out.dropped.push(format!(
                "edge `{}`: a second edge from `{}` to `{}`",
                e.id, e.from, e.to
            ));
            continue;
        }
        for dropped in e.lanes.iter().filter(|l| !l.cars) {
            out.dropped.push(format!(
                "lane `{}_{}`: not for cars (used by {})",
                e.id, dropped.index, dropped.used_by
            ));
        }
        nodes.insert(&e.from);
        nodes.insert(&e.to);
        links.push(i);
    }
    let link_id = |i: usize| format!("{}->{}", net.edges[i].from, net.edges[i].to);
    for &i in &links {
        out.links.insert(net.edges[i].id.clone(), link_id(i));
    }
    let mut specs = Vec::new();
    let kept_links = out.links.clone();
    for &i in &links {
        if let Some(spec) = link_spec(net, i, &kept, &pos, &kept_links, &loops, &mut out) {
            specs.push(spec);
        }
    }
    let node_specs = nodes
        .iter()
        .map(|&n| NodeSpec {
            id: n.to_owned(),
            x_m: pos[n].0,
            y_m: pos[n].1,
            intersection: kept
                .contains_key(n)
                .then(|| format!("intersections/{n}.toml")),
        })
        .collect();
    number_channels(&mut specs, &pos);
    out.spec = Some(CorridorSpec {
        id: id.to_owned(),
        name: Some(format!("imported from SUMO network `{id}`")),
        nodes: node_specs,
        links: specs,
    });
    for (j, tl) in kept {
        out.signals.entry(j).or_insert((tl, Vec::new()));
    }
    out
}

/// One link: its car lanes from the left, each with the turns its connections make, and its
/// loops; movements signalled at an intersection are recorded for the signal groups.
fn link_spec(
    net: &Net,
    i: usize,
    kept: &BTreeMap<String, String>,
    pos: &BTreeMap<&str, (f64, f64)>,
    links: &BTreeMap<String, String>,
    loops: &Loops<'_>,
    out: &mut Imported,
) -> Option<LinkSpec> {
    let e = &net.edges[i];
    let onward = if kept.contains_key(&e.to) {
        Some(onward(net, e, pos, links))
    } else {
        None
    };
    // Car lanes, left to right: SUMO index -> greenwave index. At an intersection, a lane
    // none of whose connections greenwave keeps (a lane that ends short of the junction, a
    // cycle lane open to cars) is left out where the edge has others.
    let leads_on = |l: usize| {
        onward
            .as_ref()
            .is_none_or(|o| o.iter().any(|c| c.lane == l))
    };
    let car_lanes: Vec<usize> = e
        .lanes
        .iter()
        .rev()
        .filter(|l| l.cars && leads_on(l.index))
        .map(|l| l.index)
        .collect();
    if car_lanes.is_empty() {
        out.dropped.push(format!(
            "edge `{}`: no lane has a connection greenwave keeps; the edge is left out",
            e.id
        ));
        return None;
    }
    for l in e.lanes.iter().filter(|l| l.cars && !leads_on(l.index)) {
        out.dropped.push(format!(
            "edge `{}`: lane {} has no connection greenwave keeps; the lane is left out",
            e.id, l.index
        ));
    }
    let gw_lane = |sumo: usize| car_lanes.iter().position(|&l| l == sumo);
    let mut turns: Vec<BTreeSet<Turn>> = vec![BTreeSet::new(); car_lanes.len()];
    match &onward {
        Some(onward) => {
            for c in onward {
                let Some(lane) = gw_lane(c.lane) else {
                    continue;
                };
                turns[lane].insert(c.turn);
                if let Some((tl, index)) = &c.signal {
                    let (_, signalled) = out
                        .signals
                        .entry(e.to.clone())
                        .or_insert_with(|| (tl.clone(), Vec::new()));
                    let s = Signalled {
                        link_index: *index,
                        approach: c.approach,
                        turn: c.turn,
                        lane: lane as u8,
                    };
                    if !signalled.contains(&s) {
                        signalled.push(s);
                    }
                }
            }
        }
        None => turns.iter_mut().for_each(|t| {
            t.insert(Turn::Through);
        }),
    }
    let lanes_len = turns.len();
    let lanes = turns
        .iter()
        .map(|t| {
            t.iter()
                .fold(TurnSet::default(), |set, &t| set.with(t))
                .to_string()
        })
        .collect();
    let distance = {
        let (a, b) = (pos[e.from.as_str()], pos[e.to.as_str()]);
        (b.0 - a.0).hypot(b.1 - a.1)
    };
    let lane_length = e.lanes.iter().map(|l| l.length).fold(0.0, f64::max);
    let speed = e
        .lanes
        .iter()
        .filter(|l| l.cars)
        .map(|l| l.speed)
        .fold(0.0, f64::max);
    let to_intersection = kept.contains_key(&e.to);
    let mut detectors = super::loops::e1(e, &gw_lane, to_intersection, loops.e1, &mut out.dropped);
    let length_m = link_length(&e.id, lane_length, distance, &mut out.dropped);
    if loops.standard && to_intersection && detectors.is_empty() {
        let length = length_m.unwrap_or(distance);
        detectors = super::loops::standard(&e.id, lanes_len, length);
    }
    Some(LinkSpec {
        from: e.from.clone(),
        to: e.to.clone(),
        length_m,
        speed_kmh: round2(speed * 3.6),
        lanes,
        saturation_flow_veh_h_lane: 1800.0,
        detectors,
        approach: None,
    })
}

/// A connection from an approach lane that greenwave keeps: onto a kept link.
struct Onward {
    /// SUMO lane index.
    lane: usize,
    approach: Approach,
    turn: Turn,
    /// The traffic light and link index that signal it.
    signal: Option<(String, usize)>,
}

/// The connections of edge `e`, which ends at an intersection, that greenwave keeps: those
/// onto links it keeps.
fn onward(
    net: &Net,
    e: &super::net::Edge,
    pos: &BTreeMap<&str, (f64, f64)>,
    links: &BTreeMap<String, String>,
) -> Vec<Onward> {
    let node = e.to.as_str();
    let kept_edges = || net.edges.iter().filter(|o| links.contains_key(&o.id));
    let from: Vec<&str> = kept_edges()
        .filter(|o| o.to == node)
        .map(|o| o.from.as_str())
        .collect();
    let approach = approach_names(node, &from, pos)[e.from.as_str()];
    let exits: Vec<&str> = kept_edges()
        .filter(|o| o.from == node)
        .map(|o| o.to.as_str())
        .collect();
    let by_exit = exit_turns(node, &e.from, &exits, pos).unwrap_or_default();
    let mut out = Vec::new();
    for c in net.connections.iter().filter(|c| c.from == e.id) {
        let Some(to) = kept_edges().find(|o| o.id == c.to) else {
            continue;
        };
        // Every exit of a junction kept is classified (`junction` refuses the others).
        let Some(&turn) = by_exit.get(to.to.as_str()) else {
            continue;
        };
        out.push(Onward {
            lane: c.from_lane,
            approach,
            turn,
            signal: c.tl.clone().zip(c.link_index),
        });
    }
    out
}

/// A link's length where it is not the distance between its nodes: its lane's where that is
/// longer (a curved street), or greenwave's shortest link where both are shorter (two
/// junctions a few metres apart, a junction split in two by the data; noted).
fn link_length(edge: &str, lane_m: f64, distance_m: f64, dropped: &mut Vec<String>) -> Option<f64> {
    if lane_m.max(distance_m) < MIN_LINK_M {
        dropped.push(format!(
            "edge `{edge}`: {:.2} m long, lengthened to {MIN_LINK_M} m (greenwave's shortest link)",
            lane_m.max(distance_m)
        ));
        Some(MIN_LINK_M)
    } else {
        (lane_m > distance_m + 1.0).then(|| round2(lane_m))
    }
}

/// Numbers each intersection's detectors 0, 1, 2, ... by approach (eb, wb, nb, sb), lane and
/// distance from the stop line, unless its loops brought their channels, all distinct (a
/// greenwave export's `greenwave.channel`).
fn number_channels(links: &mut [LinkSpec], pos: &BTreeMap<&str, (f64, f64)>) {
    // By the four compass points (links of one point, at a junction of more legs, in file
    // order).
    let order = |l: &LinkSpec| {
        let d = Approach::from_heading_deg(heading(pos[l.from.as_str()], pos[l.to.as_str()]));
        [Approach::EB, Approach::WB, Approach::NB, Approach::SB]
            .iter()
            .position(|&x| x == d)
    };
    let mut by_node: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, l) in links.iter().enumerate() {
        by_node.entry(l.to.clone()).or_default().push(i);
    }
    for (_, mut idx) in by_node {
        // Channels the loops brought (`greenwave.channel`), all distinct: kept.
        let mut given: Vec<u8> = (idx.iter())
            .flat_map(|&i| links[i].detectors.iter().map(|d| d.channel))
            .collect();
        let n = given.len();
        given.sort_unstable();
        given.dedup();
        if given.len() == n {
            continue;
        }
        idx.sort_by_key(|&i| order(&links[i]));
        let mut channel = 0u8;
        for i in idx {
            links[i].detectors.sort_by(|a, b| {
                a.lane
                    .cmp(&b.lane)
                    .then(a.distance_m.total_cmp(&b.distance_m))
            });
            for d in &mut links[i].detectors {
                d.channel = channel;
                channel = channel.saturating_add(1);
            }
        }
    }
}
