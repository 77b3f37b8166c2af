//! The simulated network: links and lanes built from the corridor, with what each lane's
//! vehicles obey at the stop line.

use petgraph::visit::EdgeRef;

use greenwave_controllers::corridor::{Corridor, TurnSet};
use greenwave_controllers::model::Direction;

use crate::scenario::TURNS;

/// Marks "none" in the compact index fields.
pub(crate) const NONE: u32 = u32::MAX;
/// Marks "no signal group" in a lane's group table.
pub(crate) const NO_GROUP: u8 = u8::MAX;

/// Length of the path through the junction, by turn (left, through, right), in metres.
pub(crate) const JUNCTION_PATH_M: [f32; 3] = [20.0, 16.0, 9.0];

/// A link of the simulation.
#[derive(Clone, Debug)]
pub(crate) struct SimLink {
    /// `FROM->TO`.
    pub id: String,
    pub first_lane: u32,
    pub lanes: u32,
    pub length: f32,
    pub speed: f32,
    /// The junction at the downstream end (index into the junction list), or `NONE` at an exit.
    pub junction: u32,
    /// Link reached by each turn (left, through, right), or `NONE`.
    pub next: [u32; 3],
    /// Cumulative turning ratios (left, left + through, 1).
    pub turn_cdf: [f64; 3],
}

impl SimLink {
    pub(crate) fn lanes(&self) -> std::ops::Range<usize> {
        self.first_lane as usize..(self.first_lane + self.lanes) as usize
    }

    pub(crate) fn is_exit(&self) -> bool {
        self.junction == NONE
    }
}

/// Static facts of one lane.
#[derive(Clone, Debug)]
pub(crate) struct LaneInfo {
    pub link: u32,
    pub allows: TurnSet,
    /// Signal group governing each turn (left, through, right) from this lane.
    pub group: [u8; 3],
    /// For a lane whose left turns run on the same green as the oncoming through traffic
    /// (a permissive left), the oncoming approach link; `NONE` otherwise.
    pub yield_to: u32,
}

impl LaneInfo {
    pub(crate) fn allows_turn(&self, turn: u8) -> bool {
        turn == EXIT || self.allows.allows(TURNS[usize::from(turn)])
    }
}

/// The "turn" of a vehicle whose link ends at an exit.
pub(crate) const EXIT: u8 = 3;

/// Builds links and lanes; `junction_of` gives the junction index of an intersection node.
pub(crate) fn build(
    corridor: &Corridor,
    turning: &[[f64; 3]],
    junction_of: impl Fn(petgraph::graph::NodeIndex) -> Option<u32>,
) -> (Vec<SimLink>, Vec<LaneInfo>) {
    let g = corridor.graph();
    let mut links = Vec::with_capacity(g.edge_count());
    let mut lanes = Vec::new();
    for e in g.edge_references() {
        let link = e.weight();
        let junction = junction_of(e.target()).unwrap_or(NONE);
        let ix = g[e.target()].intersection();
        let mut next = [NONE; 3];
        for m in &link.movements {
            if let Some(i) = TURNS.iter().position(|&t| t == m.turn) {
                next[i] = m.onto.index() as u32;
            }
        }
        let r = turning[e.id().index()];
        let first_lane = lanes.len() as u32;
        for (index, allows) in link.lanes.iter().enumerate() {
            let mut group = [NO_GROUP; 3];
            if let Some(ix) = ix {
                for (t, turn) in TURNS.iter().enumerate() {
                    group[t] = ix
                        .groups()
                        .iter()
                        .position(|gr| {
                            gr.movements.iter().any(|m| {
                                m.approach == link.approach
                                    && m.turn == *turn
                                    && (m.lanes.is_empty() || m.lanes.contains(&(index as u8)))
                            })
                        })
                        .map_or(NO_GROUP, |p| p as u8);
                }
            }
            lanes.push(LaneInfo {
                link: e.id().index() as u32,
                allows: *allows,
                group,
                yield_to: NONE,
            });
        }
        links.push(SimLink {
            id: link.id.clone(),
            first_lane,
            lanes: link.lanes.len() as u32,
            length: link.length_m as f32,
            speed: link.speed_mps as f32,
            junction,
            next,
            turn_cdf: [r[0], r[0] + r[1], 1.0],
        });
    }
    mark_permissive_lefts(corridor, &links, &mut lanes);
    (links, lanes)
}

/// Finds the lanes whose left turns share their green with the oncoming through movement.
fn mark_permissive_lefts(corridor: &Corridor, links: &[SimLink], lanes: &mut [LaneInfo]) {
    let g = corridor.graph();
    for e in g.edge_references() {
        let opposite = match e.weight().approach {
            Direction::Eb => Direction::Wb,
            Direction::Wb => Direction::Eb,
            Direction::Nb => Direction::Sb,
            Direction::Sb => Direction::Nb,
        };
        let Some(oncoming) = g
            .edges_directed(e.target(), petgraph::Direction::Incoming)
            .find(|o| o.weight().approach == opposite)
        else {
            continue;
        };
        let oncoming_through: Vec<u8> = links[oncoming.id().index()]
            .lanes()
            .map(|l| lanes[l].group[1])
            .collect();
        for lane in links[e.id().index()].lanes() {
            let left = lanes[lane].group[0];
            if left != NO_GROUP && oncoming_through.contains(&left) {
                lanes[lane].yield_to = oncoming.id().index() as u32;
            }
        }
    }
}

/// The turn a uniform draw `u` in [0, 1) picks at `link`.
pub(crate) fn pick_turn(link: &SimLink, u: f64) -> u8 {
    if link.is_exit() {
        return EXIT;
    }
    link.turn_cdf.iter().position(|&c| u < c).unwrap_or(1) as u8
}
