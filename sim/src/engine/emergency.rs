//! Emergency vehicles and the preemption inputs that see them: an emergency vehicle enters at
//! its scheduled time ahead of the queue at its entry, drives like any other vehicle (it stops
//! for red), and holds every preemption input of an approach it is on, within the input's range
//! of the stop line, until it crosses the line.

use petgraph::visit::EdgeRef;

use greenwave_controllers::corridor::DetectorKind;

use crate::scenario::Scenario;

/// One preemption input of one junction.
pub(super) struct PreemptInput {
    pub junction: u32,
    pub channel: u8,
    /// The approach link it watches.
    pub link: u32,
    /// How far upstream of the stop line it sees, m.
    pub range_m: f32,
}

/// Every preemption input of the corridor; `junction_of` maps an intersection node to its
/// junction.
pub(super) fn inputs(
    scenario: &Scenario,
    junction_of: &dyn Fn(petgraph::graph::NodeIndex) -> Option<u32>,
) -> Vec<PreemptInput> {
    let g = scenario.corridor.graph();
    g.edge_references()
        .filter_map(|e| Some((e, junction_of(e.target())?)))
        .flat_map(|(e, junction)| {
            e.weight()
                .detectors
                .iter()
                .filter(|d| d.kind == DetectorKind::Preemption)
                .map(move |d| PreemptInput {
                    junction,
                    channel: d.channel,
                    link: e.id().index() as u32,
                    range_m: d.distance_m as f32,
                })
        })
        .collect()
}
