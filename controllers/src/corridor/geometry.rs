//! Intergreens from the conflict geometry, by the method of EN 12675 (as the German RiLSA
//! spells it out): the last vehicle of the clearing group, passing its stop line as its green
//! ends, must be past the conflict point before the first road user of the entering group,
//! starting as its green begins, reaches it:
//!
//! `t_ig = t_u + (s_c + l) / v_c - s_e / v_e`, rounded up to a whole second,
//!
//! with `t_u` the crossing time during amber (3 s for vehicles, 0 for pedestrians), `s_c` the
//! clearing distance from the clearing stop line to the conflict point, `l` the vehicle length
//! (6 m; 0 for pedestrians), `v_c` the clearing speed (10 m/s straight on, 7 m/s turning,
//! 1.2 m/s walking), `s_e` the entering distance from the entering stop line and `v_e` the
//! entering speed (11.1 m/s for vehicles, 1.5 m/s for pedestrians).
//!
//! The geometry is the corridor's own: legs along their links from the node, 3.5 m lanes (the
//! approach's on the right of its leg's centre line), stop lines where the widest leg needs
//! them, each movement's path a quadratic curve from its approach lanes' centre to its exit
//! lanes' centre, a pedestrian crossing across its leg just inside the stop line. Paths that
//! cross conflict where they cross; vehicle paths onto one exit conflict where they merge.

use petgraph::Direction as Dir;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use super::{Corridor, Link};
use crate::model::{GroupIndex, GroupKind, Movement, Turn};

/// Width of a lane, m.
const LANE_M: f64 = 3.5;
/// How far a stop line sits back from the edge of the crossing road, m.
const SETBACK_M: f64 = 2.0;
/// Crossing time during amber of the last clearing vehicle, s.
const CROSSING_TIME_S: f64 = 3.0;
/// Vehicle length counted in the clearing distance, m.
const VEHICLE_M: f64 = 6.0;
/// Clearing speeds, m/s.
const CLEAR_STRAIGHT_MPS: f64 = 10.0;
const CLEAR_TURNING_MPS: f64 = 7.0;
const CLEAR_WALKING_MPS: f64 = 1.2;
/// Entering speeds, m/s.
const ENTER_VEHICLE_MPS: f64 = 11.1;
const ENTER_WALKING_MPS: f64 = 1.5;
/// Points along each path.
const SAMPLES: usize = 24;

/// An intergreen the geometry asks for between two groups.
#[derive(Clone, Debug, PartialEq)]
pub struct DerivedIntergreen {
    /// The group whose green ends.
    pub clearing: GroupIndex,
    /// The group whose green begins.
    pub entering: GroupIndex,
    /// Whole seconds, rounded up.
    pub seconds: f64,
    /// The movements that set it (clearing, entering), e.g. `eb left`.
    pub movements: (String, String),
    /// Their clearing distance (without the vehicle length) and entering distance, m.
    pub clearing_m: f64,
    /// See `clearing_m`.
    pub entering_m: f64,
}

type Point = (f64, f64);

/// A road user's path through the junction.
struct Path {
    points: Vec<Point>,
    /// Pedestrians walk; vehicles drive.
    walking: bool,
    straight: bool,
    /// The exit link, for a vehicle (where paths merge).
    onto: Option<petgraph::graph::EdgeIndex>,
    label: String,
}

/// Every intergreen the geometry of `node` asks for, for each pair of its intersection's groups
/// whose paths cross or merge (in both orders). Empty where `node` is no intersection.
pub fn derived_intergreens(corridor: &Corridor, node: NodeIndex) -> Vec<DerivedIntergreen> {
    let Some(ix) = corridor.graph()[node].intersection() else {
        return Vec::new();
    };
    let r = stop_line_m(corridor, node);
    let paths: Vec<Vec<Path>> = ix
        .group_indices()
        .map(|g| {
            let group = ix.group(g);
            group
                .movements
                .iter()
                .flat_map(|m| paths_of(corridor, node, r, m, group.kind))
                .collect()
        })
        .collect();
    let mut out = Vec::new();
    for c in ix.group_indices() {
        for e in ix.group_indices().filter(|&e| e != c) {
            let worst = paths[c.get()]
                .iter()
                .flat_map(|p| paths[e.get()].iter().map(move |q| (p, q)))
                .filter_map(|(p, q)| conflict(p, q).map(|d| (p, q, d)))
                // The first of equals: the movements in file order.
                .fold(
                    None,
                    |best: Option<(&Path, &Path, (f64, f64, f64))>, x| match best {
                        Some(b) if b.2.0 + 1e-9 >= x.2.0 => Some(b),
                        _ => Some(x),
                    },
                );
            if let Some((p, q, (t, s_c, s_e))) = worst {
                out.push(DerivedIntergreen {
                    clearing: c,
                    entering: e,
                    seconds: t.max(0.0).ceil(),
                    movements: (p.label.clone(), q.label.clone()),
                    clearing_m: s_c,
                    entering_m: s_e,
                });
            }
        }
    }
    out
}

/// The unit vector of a link's direction of travel.
fn direction(corridor: &Corridor, link: petgraph::graph::EdgeIndex) -> Point {
    let h = corridor.heading(link).to_radians();
    (h.cos(), h.sin())
}

/// On the right of direction `u`.
fn right((x, y): Point) -> Point {
    (y, -x)
}

fn add(a: Point, b: Point, k: f64) -> Point {
    (a.0 + b.0 * k, a.1 + b.1 * k)
}

/// How far from the node its stop lines stand: past the widest leg's half width.
fn stop_line_m(corridor: &Corridor, node: NodeIndex) -> f64 {
    let g = corridor.graph();
    let width = |n: NodeIndex| -> f64 {
        // Lanes in and out of the leg towards neighbour `n`.
        let lanes = g
            .edges_connecting(n, node)
            .chain(g.edges_connecting(node, n))
            .map(|e| e.weight().lanes.len())
            .sum::<usize>();
        lanes as f64 * LANE_M
    };
    g.neighbors_undirected(node).map(width).fold(0.0, f64::max) / 2.0 + SETBACK_M
}

/// The paths of one movement, its stop line `r` from the node: one for a vehicle movement, one
/// each way across the leg for a pedestrian crossing.
fn paths_of(
    corridor: &Corridor,
    node: NodeIndex,
    r: f64,
    m: &Movement,
    kind: GroupKind,
) -> Vec<Path> {
    let g = corridor.graph();
    let Some(link_e) = g
        .edges_directed(node, Dir::Incoming)
        .find(|e| e.weight().approach == m.approach)
    else {
        return Vec::new();
    };
    let link: &Link = link_e.weight();
    let centre = (g[node].x_m, g[node].y_m);
    let u_in = direction(corridor, link_e.id());
    let label = format!("{} {}", m.approach, m.turn);
    if kind == GroupKind::Pedestrian || m.turn == Turn::Crossing {
        // Across the leg the approach comes along, just inside its stop line.
        let from = g.edge_endpoints(link_e.id()).expect("edge").0;
        let out_lanes: usize = g
            .edges_connecting(node, from)
            .map(|e| e.weight().lanes.len())
            .sum();
        let mid = add(centre, u_in, -(r - 1.0));
        let a = add(mid, right(u_in), link.lanes.len() as f64 * LANE_M + 0.5);
        let b = add(mid, right(u_in), -(out_lanes as f64 * LANE_M + 0.5));
        return [(a, b), (b, a)]
            .into_iter()
            .map(|(p, q)| Path {
                points: vec![p, q],
                walking: true,
                straight: true,
                onto: None,
                label: label.clone(),
            })
            .collect();
    }
    let Some(onto) = link.onto(m.turn) else {
        return Vec::new();
    };
    let lanes: Vec<u8> = if m.lanes.is_empty() {
        (0..link.lanes.len() as u8)
            .filter(|&l| link.lanes[usize::from(l)].allows(m.turn))
            .collect()
    } else {
        m.lanes.clone()
    };
    let lane_mid =
        lanes.iter().map(|&l| f64::from(l) + 0.5).sum::<f64>() / lanes.len().max(1) as f64;
    let start = add(add(centre, u_in, -r), right(u_in), lane_mid * LANE_M);
    let u_out = direction(corridor, onto);
    let exit_mid = g[onto].lanes.len() as f64 / 2.0;
    let end = add(add(centre, u_out, r), right(u_out), exit_mid * LANE_M);
    vec![Path {
        points: curve(start, u_in, end, u_out),
        walking: false,
        straight: matches!(m.turn, Turn::Through | Turn::SlightLeft | Turn::SlightRight),
        onto: Some(onto),
        label,
    }]
}

/// A quadratic curve from `a` heading `u` to `b` heading `v`: its control point where the two
/// headings' lines meet (the midpoint where they do not meet ahead; for a U-turn, as far
/// ahead of the midpoint as `a` is from `b`, so the path loops into the junction).
fn curve(a: Point, u: Point, b: Point, v: Point) -> Vec<Point> {
    let cross = u.0 * v.1 - u.1 * v.0;
    let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    let control = if cross.abs() < 1e-6 {
        if u.0 * v.0 + u.1 * v.1 < 0.0 {
            add(mid, u, (b.0 - a.0).hypot(b.1 - a.1))
        } else {
            mid
        }
    } else {
        // a + s u = b - t v
        let d = (b.0 - a.0, b.1 - a.1);
        let s = (d.0 * v.1 - d.1 * v.0) / cross;
        if s > 0.0 {
            add(a, u, s)
        } else {
            ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0)
        }
    };
    (0..=SAMPLES)
        .map(|i| {
            let t = i as f64 / SAMPLES as f64;
            let (p, q, w) = ((1.0 - t) * (1.0 - t), 2.0 * (1.0 - t) * t, t * t);
            (
                p * a.0 + q * control.0 + w * b.0,
                p * a.1 + q * control.1 + w * b.1,
            )
        })
        .collect()
}

fn length(points: &[Point]) -> f64 {
    points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1))
        .sum()
}

/// Where segment `p0 p1` meets `q0 q1`: the fractions along each.
fn meet(p0: Point, p1: Point, q0: Point, q1: Point) -> Option<(f64, f64)> {
    let r = (p1.0 - p0.0, p1.1 - p0.1);
    let s = (q1.0 - q0.0, q1.1 - q0.1);
    let den = r.0 * s.1 - r.1 * s.0;
    if den.abs() < 1e-12 {
        return None;
    }
    let d = (q0.0 - p0.0, q0.1 - p0.1);
    let t = (d.0 * s.1 - d.1 * s.0) / den;
    let w = (d.0 * r.1 - d.1 * r.0) / den;
    ((0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&w)).then_some((t, w))
}

/// The intergreen `clearing` then `entering` need, with the clearing and entering distances,
/// where their paths cross (the worst crossing) or merge onto one exit.
fn conflict(clearing: &Path, entering: &Path) -> Option<(f64, f64, f64)> {
    // Pedestrians do not conflict with pedestrians.
    if clearing.walking && entering.walking {
        return None;
    }
    let time = |s_c: f64, s_e: f64| {
        let (t_u, l, v_c) = if clearing.walking {
            (0.0, 0.0, CLEAR_WALKING_MPS)
        } else if clearing.straight {
            (CROSSING_TIME_S, VEHICLE_M, CLEAR_STRAIGHT_MPS)
        } else {
            (CROSSING_TIME_S, VEHICLE_M, CLEAR_TURNING_MPS)
        };
        let v_e = if entering.walking {
            ENTER_WALKING_MPS
        } else {
            ENTER_VEHICLE_MPS
        };
        (t_u + (s_c + l) / v_c - s_e / v_e, s_c, s_e)
    };
    let mut worst: Option<(f64, f64, f64)> = None;
    let (p, q) = (&clearing.points, &entering.points);
    let mut along_p = 0.0;
    for i in 0..p.len() - 1 {
        let seg_p = (p[i + 1].0 - p[i].0).hypot(p[i + 1].1 - p[i].1);
        let mut along_q = 0.0;
        for j in 0..q.len() - 1 {
            let seg_q = (q[j + 1].0 - q[j].0).hypot(q[j + 1].1 - q[j].1);
            if let Some((t, w)) = meet(p[i], p[i + 1], q[j], q[j + 1]) {
                let found = time(along_p + t * seg_p, along_q + w * seg_q);
                if worst.is_none_or(|x| found.0 > x.0) {
                    worst = Some(found);
                }
            }
            along_q += seg_q;
        }
        along_p += seg_p;
    }
    let merging = clearing.onto.is_some() && clearing.onto == entering.onto;
    if worst.is_none() && merging {
        worst = Some(time(length(p), length(q)));
    }
    worst
}

#[cfg(test)]
mod tests;
