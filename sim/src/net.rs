//! The simulated network: links and lanes built from the corridor, with what each lane's
//! vehicles obey at the stop line.

use petgraph::visit::EdgeRef;

use greenwave_controllers::corridor::{Corridor, TurnSet};
use greenwave_controllers::model::{PerTurn, Turn, VEHICLE_TURNS};

/// Marks "none" in the compact index fields.
pub(crate) const NONE: u32 = u32::MAX;
/// Marks "no signal group" in a lane's group table.
pub(crate) const NO_GROUP: u8 = u8::MAX;

/// Length of the path through the junction, by turn (sharp left to sharp right, then the
/// U-turn: half a circle of 5 m), in metres.
pub(crate) const JUNCTION_PATH_M: PerTurn<f32> = [22.0, 20.0, 18.0, 16.0, 12.0, 9.0, 7.0, 16.0];

/// The turn code of going straight on.
pub(crate) const THROUGH: u8 = turn_code(Turn::Through);

/// A vehicle turn's code in the compact turn fields: its [`Turn::index`].
pub(crate) const fn turn_code(turn: Turn) -> u8 {
    match turn.index() {
        Some(i) => i as u8,
        None => EXIT,
    }
}

/// The U-turn's code.
pub(crate) const U_TURN: u8 = turn_code(Turn::UTurn);

/// Whether a turn code turns left (sharp, plain or slight) or back: such a turn crosses the
/// oncoming traffic.
pub(crate) const fn turns_left(turn: u8) -> bool {
    turn < THROUGH || turn == U_TURN
}

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
    /// Link reached by each turn (by [`Turn::index`]), or `NONE`.
    pub next: PerTurn<u32>,
    /// Cumulative turning ratios, by [`Turn::index`] (1 from the last turn taken on).
    pub turn_cdf: PerTurn<f64>,
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
    /// Signal group governing each turn (by [`Turn::index`]) from this lane.
    pub group: PerTurn<u8>,
    /// For a lane whose left turns run on the same green as the oncoming through traffic
    /// (a permissive left), the oncoming approach link; `NONE` otherwise.
    pub yield_to: u32,
}

impl LaneInfo {
    pub(crate) fn allows_turn(&self, turn: u8) -> bool {
        turn == EXIT || self.allows.allows(Turn::VEHICLE[usize::from(turn)])
    }
}

/// The "turn" of a vehicle whose link ends at an exit.
pub(crate) const EXIT: u8 = VEHICLE_TURNS as u8;

/// Builds links and lanes; `junction_of` gives the junction index of an intersection node.
pub(crate) fn build(
    corridor: &Corridor,
    turning: &[PerTurn<f64>],
    junction_of: impl Fn(petgraph::graph::NodeIndex) -> Option<u32>,
) -> (Vec<SimLink>, Vec<LaneInfo>) {
    let g = corridor.graph();
    let mut links = Vec::with_capacity(g.edge_count());
    let mut lanes = Vec::new();
    for e in g.edge_references() {
        let link = e.weight();
        let junction = junction_of(e.target()).unwrap_or(NONE);
        let ix = g[e.target()].intersection();
        let mut next = [NONE; VEHICLE_TURNS];
        for m in &link.movements {
            if let Some(i) = m.turn.index() {
                next[i] = m.onto.index() as u32;
            }
        }
        let r = turning[e.id().index()];
        let first_lane = lanes.len() as u32;
        for (index, allows) in link.lanes.iter().enumerate() {
            let mut group = [NO_GROUP; VEHICLE_TURNS];
            if let Some(ix) = ix {
                for (t, turn) in Turn::VEHICLE.iter().enumerate() {
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
            turn_cdf: cumulative(&r),
        });
    }
    mark_permissive_lefts(corridor, &links, &mut lanes);
    (links, lanes)
}

/// Cumulative ratios, exactly 1 from the last turn with a ratio above 0 on (so no draw can
/// pick a turn after it).
pub(crate) fn cumulative(r: &PerTurn<f64>) -> PerTurn<f64> {
    let last = r
        .iter()
        .rposition(|&x| x > 0.0)
        .unwrap_or(VEHICLE_TURNS - 1);
    let mut sum = 0.0;
    std::array::from_fn(|t| {
        sum += r[t];
        if t >= last { 1.0 } else { sum }
    })
}

/// Finds the lanes whose left turns (sharp, plain or slight) or U-turn share their green with
/// the oncoming through movement.
fn mark_permissive_lefts(corridor: &Corridor, links: &[SimLink], lanes: &mut [LaneInfo]) {
    let g = corridor.graph();
    for e in g.edge_references() {
        let Some(oncoming) = corridor.oncoming(e.id()) else {
            continue;
        };
        let oncoming = oncoming.index();
        let oncoming_through: Vec<u8> = links[oncoming]
            .lanes()
            .map(|l| lanes[l].group[usize::from(THROUGH)])
            .collect();
        for lane in links[e.id().index()].lanes() {
            let group = &lanes[lane].group;
            if (0..VEHICLE_TURNS as u8)
                .filter(|&t| turns_left(t))
                .map(|t| group[usize::from(t)])
                .any(|left| left != NO_GROUP && oncoming_through.contains(&left))
            {
                lanes[lane].yield_to = oncoming as u32;
            }
        }
    }
}

/// The turn a uniform draw `u` in [0, 1) picks at `link`.
pub(crate) fn pick_turn(link: &SimLink, u: f64) -> u8 {
    if link.is_exit() {
        return EXIT;
    }
    link.turn_cdf
        .iter()
        .position(|&c| u < c)
        .map_or(THROUGH, |t| t as u8)
}
