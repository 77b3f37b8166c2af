//! The scenario file format (TOML): a corridor, demand, a controller, a seed and a duration.
//!
//! ```toml
//! name = "arterial-peak"
//! corridor = "../corridors/arterial-4.toml"   # relative to this file
//! duration_s = 3600.0
//! seed = 1
//! step_s = 0.1
//!
//! [controller]
//! kind = "fixed"
//! plan = "../plans/nema-4leg-base.toml"       # every intersection, unless `plans` names one
//! plans = { J3 = "../plans/j3.toml" }
//!
//! [turning]                                   # at every approach, unless overridden
//! left = 0.12
//! through = 0.78
//! right = 0.10
//!
//! [[demand]]
//! link = "W->J1"
//! flows = [{ from_s = 0.0, veh_h = 800.0 }, { from_s = 900.0, veh_h = 1300.0 }]
//!
//! [[od]]                                      # origin-destination trips, by interval
//! from_s = 0.0
//! trips_veh_h = { W = { E = 300.0 } }
//!
//! [[pedestrians]]
//! site = "J1"
//! group = "P1"
//! ped_h = 120.0
//!
//! [[faults]]
//! detector = "J1-eb-0-stop"
//! kind = "stuck_on"
//! from_s = 600.0
//! to_s = 1800.0
//! ```

use greenwave_controllers::model::PerTurn;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A scenario file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// The scenario's name.
    pub name: String,
    /// Path of the corridor file, relative to the scenario file.
    pub corridor: String,
    /// Simulated time.
    pub duration_s: f64,
    /// Seed of every random draw; the same seed gives the same run.
    pub seed: u64,
    /// Time step (default 0.5 s; 0.1 s to 1 s).
    #[serde(default = "default_step")]
    pub step_s: f64,
    /// The controller of every intersection.
    pub controller: ControllerSpec,
    /// Turning ratios at every approach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turning: Option<TurningSpec>,
    /// Turning ratios by approach link (`"N3->J3"`), overriding `turning`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub turning_by_link: BTreeMap<String, TurningSpec>,
    /// Turning ratios that change during the run, in time order of their `from_s`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub turning_changes: Vec<TurningChangeSpec>,
    /// Vehicle demand at entry links.
    #[serde(default)]
    pub demand: Vec<DemandSpec>,
    /// Origin-destination demand: a matrix per time interval, each pair on its shortest route.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub od: Vec<OdSpec>,
    /// Pedestrian demand at signalised crossings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pedestrians: Vec<PedestrianSpec>,
    /// Emergency vehicles entering at given times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emergency: Vec<EmergencySpec>,
    /// Bus routes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buses: Vec<super::bus::BusRouteSpec>,
    /// Detector faults to inject.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSpec>,
    /// Vehicle and driver parameters.
    #[serde(default)]
    pub vehicles: VehicleSpec,
}

/// Controllers decide every 0.1 s, as the cabinet daemon does at its default 10 Hz tick.
fn default_step() -> f64 {
    0.1
}

pub use greenwave_controllers::control::ControllerSpec;

/// Fractions of an approach's traffic by turn; they must sum to 1. Turns not given take none;
/// the sharp and slight turns are those of junctions with more than four legs or skewed ones
/// ([`Turn`](greenwave_controllers::model::Turn)).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TurningSpec {
    /// Sharp left turns.
    #[serde(skip_serializing_if = "is_zero")]
    pub sharp_left: f64,
    /// Left turns.
    pub left: f64,
    /// Slight left turns.
    #[serde(skip_serializing_if = "is_zero")]
    pub slight_left: f64,
    /// Straight on.
    pub through: f64,
    /// Slight right turns.
    #[serde(skip_serializing_if = "is_zero")]
    pub slight_right: f64,
    /// Right turns.
    pub right: f64,
    /// Sharp right turns.
    #[serde(skip_serializing_if = "is_zero")]
    pub sharp_right: f64,
    /// U-turns, back along the leg they came from.
    #[serde(skip_serializing_if = "is_zero")]
    pub u_turn: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl TurningSpec {
    /// Left, through and right, the turns of a four-leg junction.
    pub fn left_through_right(left: f64, through: f64, right: f64) -> TurningSpec {
        TurningSpec {
            left,
            through,
            right,
            ..TurningSpec::default()
        }
    }

    /// The ratios by [`Turn::index`].
    pub fn ratios(&self) -> PerTurn<f64> {
        [
            self.sharp_left,
            self.left,
            self.slight_left,
            self.through,
            self.slight_right,
            self.right,
            self.sharp_right,
            self.u_turn,
        ]
    }

    /// The spec of ratios given by [`Turn::index`].
    pub fn from_ratios(r: PerTurn<f64>) -> TurningSpec {
        let [
            sharp_left,
            left,
            slight_left,
            through,
            slight_right,
            right,
            sharp_right,
            u_turn,
        ] = r;
        TurningSpec {
            sharp_left,
            left,
            slight_left,
            through,
            slight_right,
            right,
            sharp_right,
            u_turn,
        }
    }
}

/// New turning ratios from a time on: at one approach link, or at every one where `link` is
/// left out. At any time a link turns by the latest ratios that speak of it (those naming it
/// before those for every link given from the same time), else by `turning_by_link` or
/// `turning`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TurningChangeSpec {
    /// From when, s.
    pub from_s: f64,
    /// The approach link (`"S3->J3"`); every approach when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The ratios from then on.
    pub ratios: TurningSpec,
}

/// Demand entering at one link.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DemandSpec {
    /// The entry link (`"W->J1"`), whose upstream node is a boundary.
    pub link: String,
    /// Piecewise-constant flow: each value holds from its `from_s` to the next one's.
    pub flows: Vec<FlowSpec>,
}

/// One piece of a flow profile.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlowSpec {
    /// When this flow starts.
    pub from_s: f64,
    /// Vehicles per hour (Poisson arrivals at this mean rate).
    pub veh_h: f64,
}

/// Emergency vehicles entering at one entry link. They drive like other vehicles (and stop for
/// red); the corridor's preemption inputs see them coming.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EmergencySpec {
    /// The entry link.
    pub link: String,
    /// When each one wants to enter, s.
    pub at_s: Vec<f64>,
}

/// One time interval's origin-destination matrix.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OdSpec {
    /// When the interval starts; it lasts until the next one's start (or the end of the run).
    pub from_s: f64,
    /// Vehicles per hour by origin, then destination (boundary node ids).
    pub trips_veh_h: BTreeMap<String, BTreeMap<String, f64>>,
}

/// Pedestrian calls at one crossing.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PedestrianSpec {
    /// The intersection's site id.
    pub site: String,
    /// The pedestrian signal group of the crossing.
    pub group: String,
    /// Pedestrians per hour arriving and pressing the button (Poisson).
    pub ped_h: f64,
}

/// What goes wrong with a detector.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Presence held on, counts frozen (the card reports maximum presence).
    StuckOn,
    /// No presence, counts frozen (the card reports an open loop).
    Dead,
    /// Spurious counts (the card reports erratic counts).
    Erratic,
}

/// A detector fault over a time window.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// The detector id in the corridor.
    pub detector: String,
    /// The fault.
    pub kind: FaultKind,
    /// Start.
    pub from_s: f64,
    /// End (default: the end of the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_s: Option<f64>,
    /// Whether the card diagnoses it and sets the fault code (default true); an undiagnosed
    /// fault shows only in the counts.
    #[serde(default = "yes")]
    pub reported: bool,
}

fn yes() -> bool {
    true
}

/// Vehicle and driver parameters (Intelligent Driver Model, Treiber et al. 2000).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct VehicleSpec {
    /// Vehicle length.
    pub length_m: f64,
    /// Standstill gap to the vehicle ahead.
    pub min_gap_m: f64,
    /// Desired time headway.
    pub headway_s: f64,
    /// Maximum acceleration.
    pub accel_mps2: f64,
    /// Comfortable deceleration.
    pub decel_mps2: f64,
    /// Most a driver brakes to stop at an amber (beyond it, the driver goes on).
    pub amber_decel_mps2: f64,
    /// Emergency (maximum) deceleration.
    pub max_decel_mps2: f64,
    /// How long a driver standing at the stop line takes to start once the signal turns green
    /// (the source of most of the start-up lost time).
    pub reaction_s: f64,
    /// A bus's length (default 12 m).
    pub bus_length_m: f64,
    /// A bus's maximum acceleration (default 1.0 m/s2).
    pub bus_accel_mps2: f64,
    /// Mean of the desired-speed factor (times the link speed).
    pub speed_factor_mean: f64,
    /// Its standard deviation (normal, cut at +-2 deviations).
    pub speed_factor_sd: f64,
}

impl Default for VehicleSpec {
    fn default() -> Self {
        VehicleSpec {
            length_m: 4.5,
            min_gap_m: 2.0,
            headway_s: 1.0,
            accel_mps2: 2.0,
            decel_mps2: 3.0,
            amber_decel_mps2: 3.5,
            max_decel_mps2: 9.0,
            reaction_s: 1.0,
            speed_factor_mean: 1.0,
            speed_factor_sd: 0.08,
            bus_length_m: 12.0,
            bus_accel_mps2: 1.0,
        }
    }
}
