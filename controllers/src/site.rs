//! A site: one intersection seen from its place in the corridor, with its approaches, their
//! lanes and detectors, where each movement goes and which neighbour sends or receives it.
//!
//! This is what the estimator and the controllers of one cabinet need to know of the corridor;
//! the daemon and the simulator build it the same way.

use petgraph::Direction as Dir;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use std::sync::Arc;

use crate::corridor::{Corridor, Detector, DetectorKind, NodeKind, TurnSet};
use crate::detector::{DetectorSample, FaultCode};
use crate::model::{Approach, GroupIndex, Intersection, Turn};
use crate::sequencer::Sequencer;

/// One movement out of an approach.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteMovement {
    /// The turn.
    pub turn: Turn,
    /// The signal group that serves it.
    pub group: Option<GroupIndex>,
    /// Lanes of the approach it may use (from 0 at the left).
    pub lanes: Vec<u8>,
    /// The link it leads onto.
    pub onto: String,
    /// The neighbouring intersection at the end of that link, if any.
    pub downstream_site: Option<String>,
    /// Length of that link.
    pub onto_length_m: f64,
    /// Free speed on that link.
    pub onto_speed_mps: f64,
}

/// One approach of the site.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteApproach {
    /// The approach link.
    pub link: String,
    /// Its direction of travel.
    pub direction: Approach,
    /// Lanes from left to right.
    pub lanes: Vec<TurnSet>,
    /// Its length.
    pub length_m: f64,
    /// Its free speed.
    pub speed_mps: f64,
    /// Saturation flow of one lane.
    pub saturation_flow_veh_h_lane: f64,
    /// Its detectors.
    pub detectors: Vec<Detector>,
    /// Its movements.
    pub movements: Vec<SiteMovement>,
    /// The neighbouring intersection at its upstream end, if any.
    pub upstream_site: Option<String>,
}

impl SiteApproach {
    /// The detector of `kind` on `lane`, if any.
    pub fn detector(&self, lane: u8, kind: DetectorKind) -> Option<&Detector> {
        self.detectors
            .iter()
            .find(|d| d.lane == lane && d.kind == kind)
    }

    /// The movement for `turn`, if the approach has it.
    pub fn movement(&self, turn: Turn) -> Option<&SiteMovement> {
        self.movements.iter().find(|m| m.turn == turn)
    }

    /// The signal groups serving a movement that may use `lane`: the groups a vehicle counted
    /// in that lane goes on.
    pub fn lane_groups(&self, lane: u8) -> Vec<GroupIndex> {
        let mut groups: Vec<GroupIndex> = (self.movements.iter())
            .filter(|m| m.lanes.contains(&lane))
            .filter_map(|m| m.group)
            .collect();
        groups.sort_unstable_by_key(|g| g.get());
        groups.dedup();
        groups
    }
}

/// One intersection in its corridor.
#[derive(Clone, Debug)]
pub struct Site {
    /// Its id (the corridor node id).
    pub id: String,
    /// Its intersection model.
    pub intersection: Arc<Intersection>,
    /// Its approaches, in corridor link order.
    pub approaches: Vec<SiteApproach>,
}

impl Site {
    /// The site at `node` (which must be an intersection).
    pub fn new(corridor: &Corridor, node: NodeIndex) -> Option<Site> {
        let g = corridor.graph();
        let ix = g[node].intersection()?.clone();
        let site_of = |n: NodeIndex| match &g[n].kind {
            NodeKind::Intersection(_) => Some(g[n].id.clone()),
            NodeKind::Boundary => None,
        };
        let approaches = g
            .edges_directed(node, Dir::Incoming)
            .map(|e| {
                let link = e.weight();
                let movements = link
                    .movements
                    .iter()
                    .map(|m| {
                        let lanes = (0..link.lanes.len() as u8)
                            .filter(|&l| link.lanes[usize::from(l)].allows(m.turn))
                            .collect();
                        let group = ix.groups().iter().position(|gr| {
                            gr.movements
                                .iter()
                                .any(|gm| gm.approach == link.approach && gm.turn == m.turn)
                        });
                        let (_, to) = g.edge_endpoints(m.onto).expect("edge");
                        SiteMovement {
                            turn: m.turn,
                            group: group.map(|p| GroupIndex(p as u8)),
                            lanes,
                            onto: g[m.onto].id.clone(),
                            downstream_site: site_of(to),
                            onto_length_m: g[m.onto].length_m,
                            onto_speed_mps: g[m.onto].speed_mps,
                        }
                    })
                    .collect();
                SiteApproach {
                    link: link.id.clone(),
                    direction: link.approach,
                    lanes: link.lanes.clone(),
                    length_m: link.length_m,
                    speed_mps: link.speed_mps,
                    saturation_flow_veh_h_lane: link.saturation_flow_veh_h_lane,
                    detectors: link.detectors.clone(),
                    movements,
                    upstream_site: site_of(e.source()),
                }
            })
            .collect();
        Some(Site {
            id: g[node].id.clone(),
            intersection: ix,
            approaches,
        })
    }

    /// Every site of a corridor, in corridor order.
    pub fn all(corridor: &Corridor) -> Vec<Site> {
        corridor
            .intersections()
            .filter_map(|(n, _)| Site::new(corridor, n))
            .collect()
    }

    /// The detectors that call each signal group, by group index: a stop-bar or advance loop on
    /// a lane one of the group's movements uses, or the push button of the crossing it serves.
    /// Advance count loops call nothing (see [`SiteApproach::lane_groups`]).
    pub fn group_detectors(&self) -> Vec<Vec<&Detector>> {
        let ix = &self.intersection;
        let mut by_group = vec![Vec::new(); ix.groups().len()];
        for approach in &self.approaches {
            for d in &approach.detectors {
                for g in ix.group_indices() {
                    let serves = ix.group(g).movements.iter().any(|m| {
                        m.approach == approach.direction
                            && match d.kind {
                                DetectorKind::PedestrianButton => m.turn == Turn::Crossing,
                                DetectorKind::Preemption
                                | DetectorKind::AdvanceCount
                                | DetectorKind::BusCheckIn
                                | DetectorKind::BusCheckOut => false,
                                DetectorKind::StopBar | DetectorKind::Advance => {
                                    m.turn != Turn::Crossing
                                        && approach
                                            .movement(m.turn)
                                            .is_some_and(|sm| sm.lanes.contains(&d.lane))
                                }
                            }
                    });
                    if serves {
                        by_group[g.get()].push(d);
                    }
                }
            }
        }
        by_group
    }

    /// The push buttons of its pedestrian groups: `(group, channel)`.
    pub fn pedestrian_buttons(&self) -> Vec<(GroupIndex, u8)> {
        self.group_detectors()
            .iter()
            .enumerate()
            .flat_map(|(g, ds)| {
                ds.iter()
                    .filter(|d| d.kind == DetectorKind::PedestrianButton)
                    .map(move |d| (GroupIndex(g as u8), d.channel))
            })
            .collect()
    }

    /// Its emergency preemption inputs: `(approach, channel)`.
    pub fn preemption_inputs(&self) -> Vec<(Approach, u8)> {
        self.approaches
            .iter()
            .flat_map(|a| {
                a.detectors
                    .iter()
                    .filter(|d| d.kind == DetectorKind::Preemption)
                    .map(move |d| (a.direction, d.channel))
            })
            .collect()
    }

    /// Its transit priority inputs: `(approach, channel, distance from the stop line, check-in)`,
    /// check-outs with `false`.
    pub fn priority_inputs(&self) -> Vec<PriorityInput> {
        self.approaches
            .iter()
            .flat_map(|a| {
                a.detectors.iter().filter_map(move |d| {
                    let check_in = match d.kind {
                        DetectorKind::BusCheckIn => true,
                        DetectorKind::BusCheckOut => false,
                        _ => return None,
                    };
                    Some(PriorityInput {
                        approach: a.direction,
                        channel: d.channel,
                        distance_m: d.distance_m,
                        speed_mps: a.speed_mps,
                        check_in,
                    })
                })
            })
            .collect()
    }

    /// The number of detector channels its cabinet uses (highest channel + 1).
    pub fn channels(&self) -> usize {
        self.approaches
            .iter()
            .flat_map(|a| a.detectors.iter().map(|d| usize::from(d.channel) + 1))
            .max()
            .unwrap_or(0)
    }
}

/// A transit priority input of a site.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PriorityInput {
    /// The approach it watches.
    pub approach: Approach,
    /// Its cabinet channel.
    pub channel: u8,
    /// How far upstream of the stop line it is, m.
    pub distance_m: f64,
    /// The approach's free speed, m/s (to estimate when the bus reaches the line).
    pub speed_mps: f64,
    /// A check-in (true) or a check-out (false).
    pub check_in: bool,
}

/// Calls the pedestrian groups whose push button (`buttons`, from
/// [`Site::pedestrian_buttons`]) shows presence in `samples`; a faulty button calls nothing.
pub fn press_buttons(
    buttons: &[(GroupIndex, u8)],
    samples: &[DetectorSample],
    sequencer: &mut Sequencer,
) {
    for &(g, channel) in buttons {
        if samples
            .get(usize::from(channel))
            .is_some_and(|s| s.presence && s.fault == FaultCode::Ok)
        {
            sequencer.call_pedestrian(g);
        }
    }
}
