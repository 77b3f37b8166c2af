//! The corridor file format (TOML): nodes with positions, directed links with lanes and
//! detectors.
//!
//! ```toml
//! id = "arterial-4"
//!
//! [[nodes]]
//! id = "J1"
//! x_m = 0.0
//! y_m = 0.0
//! intersection = "../intersections/nema-4leg.toml"   # relative to this file
//!
//! [[nodes]]
//! id = "W"          # no intersection: a boundary where traffic enters or leaves
//! x_m = -400.0
//! y_m = 0.0
//!
//! [[links]]
//! from = "W"
//! to = "J1"
//! speed_kmh = 50.0
//! lanes = ["L", "T", "TR"]      # left to right; L, T, R = turns allowed from the lane
//! detectors = [
//!   { id = "J1-eb-0-stop", channel = 0, lane = 0, distance_m = 0.0, kind = "stop_bar" },
//! ]
//! ```
//!
//! The length of a link defaults to the distance between its nodes; its approach direction and
//! its turning movements at the downstream intersection follow from the node positions (x east,
//! y north).

use serde::{Deserialize, Serialize};

/// A corridor file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CorridorSpec {
    /// The corridor's id.
    pub id: String,
    /// A human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Intersections and boundary nodes.
    pub nodes: Vec<NodeSpec>,
    /// Directed links between nodes.
    pub links: Vec<LinkSpec>,
}

/// One node.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Unique id (for an intersection, its site id).
    pub id: String,
    /// Position east of the corridor origin.
    pub x_m: f64,
    /// Position north of the corridor origin.
    pub y_m: f64,
    /// Path of the intersection file, relative to the corridor file; absent for a boundary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intersection: Option<String>,
}

/// One directed link.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Upstream node.
    pub from: String,
    /// Downstream node.
    pub to: String,
    /// Length; defaults to the distance between the nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_m: Option<f64>,
    /// Free-flow speed.
    pub speed_kmh: f64,
    /// Lanes from left to right, each the turns allowed from it at the downstream node
    /// (`"L"`, `"T"`, `"R"` or combinations such as `"TR"`; `"SL+T"` with the slight and sharp
    /// turns of [`TurnSet::parse`](super::TurnSet::parse)).
    pub lanes: Vec<String>,
    /// The name of the approach it forms at its downstream node, where the compass does not
    /// suit (default: its direction of travel, on four compass points where the node's legs
    /// fit them, else on eight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approach: Option<String>,
    /// Saturation flow of each lane (HCM base 1900; default 1800).
    #[serde(default = "default_saturation_flow")]
    pub saturation_flow_veh_h_lane: f64,
    /// Detectors on the link.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detectors: Vec<DetectorSpec>,
}

fn default_saturation_flow() -> f64 {
    1800.0
}

/// What a detector detects.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum DetectorKind {
    /// A presence loop at the stop line (gap-out, queue discharge).
    StopBar,
    /// A loop upstream of the stop line (arrivals, queue input).
    Advance,
    /// A counting loop further upstream, beyond where queues stand: the advance count detector
    /// of Automated Traffic Signal Performance Measures (arrivals on green). It is simulated,
    /// wired and logged like any loop; no controller uses it.
    AdvanceCount,
    /// A pedestrian push button at the crossing of this approach.
    PedestrianButton,
    /// An emergency-vehicle preemption input for this approach (an optical or radio detector's
    /// output, wired to a detector channel); `distance_m` is its detection range.
    Preemption,
    /// A transit check-in input for this approach (a transponder loop or an optical emitter's
    /// receiver, wired to a detector channel): a bus passing it, `distance_m` upstream of the
    /// stop line, asks for priority. Each pulse (count) is one bus.
    BusCheckIn,
    /// A transit check-out input at the stop line of this approach: the bus has gone through
    /// and its priority request ends.
    BusCheckOut,
}

impl DetectorKind {
    /// True for the loops that detect vehicles in a lane (stop bar, advance, advance count).
    pub const fn is_vehicle_loop(self) -> bool {
        matches!(
            self,
            DetectorKind::StopBar | DetectorKind::Advance | DetectorKind::AdvanceCount
        )
    }
}

/// One detector.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DetectorSpec {
    /// Unique id in the corridor.
    pub id: String,
    /// The cabinet's detector channel (register 100 + 4 * channel), unique per intersection.
    pub channel: u8,
    /// The lane, from 0 at the left.
    #[serde(default)]
    pub lane: u8,
    /// Distance of the loop's downstream edge from the stop line.
    pub distance_m: f64,
    /// Length of the loop along the lane (default 2 m).
    #[serde(default = "default_loop_length")]
    pub length_m: f64,
    /// What it detects.
    pub kind: DetectorKind,
}

fn default_loop_length() -> f64 {
    2.0
}
