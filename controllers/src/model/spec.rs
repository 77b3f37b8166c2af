//! The intersection file format (TOML), as written by traffic engineers.
//!
//! Units are in the field names. Either explicit groups, an intergreen matrix and stages, or a
//! `[nema]` preset that compiles into the same model. Example (a two-stage crossing):
//!
//! ```toml
//! name = "Two-stage crossing"
//! region = "eu"
//!
//! [timings]
//! amber_s = 3.0
//! red_amber_s = 1.0
//!
//! [[groups]]
//! id = "K1"
//! min_green_s = 6.0
//! movements = [{ approach = "eb", turn = "through" }, { approach = "wb", turn = "through" }]
//!
//! [[groups]]
//! id = "K2"
//! movements = [{ approach = "nb", turn = "through" }, { approach = "sb", turn = "through" }]
//!
//! # Intergreen times in seconds, clearing group -> entering group (EN 12675); or
//! # `derive_intergreens = true` for those of the corridor's geometry.
//! [intergreens_s]
//! K1 = { K2 = 5.0 }
//! K2 = { K1 = 4.0 }
//!
//! [[stages]]
//! id = "A"
//! groups = ["K1"]
//!
//! [[stages]]
//! id = "B"
//! groups = ["K2"]
//! ```

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::aspect::{GroupKind, Region};
use super::group::{Approach, Movement};

/// An intersection file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IntersectionSpec {
    /// A human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The aspect sequence practice.
    pub region: Region,
    /// Durations of amber, red+amber and flashing green; regional defaults when absent.
    #[serde(default)]
    pub timings: TimingsSpec,
    /// Signal groups (empty with a `[nema]` preset).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupSpec>,
    /// Intergreen seconds: `intergreens_s.CLEARING.ENTERING`. A pair of groups conflicts when an
    /// intergreen is given for it; both directions must then be given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub intergreens_s: BTreeMap<String, BTreeMap<String, f64>>,
    /// Intergreens not given come from the conflict geometry of the corridor node the
    /// intersection stands at (EN 12675, `corridor::geometry`): every pair of groups whose paths
    /// cross or merge and that no stage runs together conflicts, with the intergreen its
    /// geometry asks for (at least the clearing group's amber and pedestrian clearance).
    /// Values given are kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub derive_intergreens: bool,
    /// Stages: sets of compatible groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageSpec>,
    /// A NEMA dual-ring eight-phase preset instead of groups, intergreens and stages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nema: Option<NemaSpec>,
    /// How pedestrian groups clear; regional defaults when absent.
    #[serde(default, skip_serializing_if = "PedestrianRulesSpec::is_default")]
    pub pedestrians: PedestrianRulesSpec,
    /// How emergency preemption runs; defaults when absent.
    #[serde(default, skip_serializing_if = "PreemptionSpec::is_default")]
    pub preemption: PreemptionSpec,
    /// How transit signal priority runs; defaults when absent.
    #[serde(default, skip_serializing_if = "PrioritySpec::is_default")]
    pub priority: PrioritySpec,
}

/// Transit signal priority (NTCIP 1211 in spirit): how far a green may be held or brought
/// forward for a bus, which buses qualify, and how the other approaches recover.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrioritySpec {
    /// Priority off here even where check-ins or requests come (default: on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// A green the controller would end may be held this long for a bus still coming
    /// (default 12 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_extension_s: Option<f64>,
    /// A bus due at the stop line within this many seconds brings its green forward (red
    /// truncation; the running greens still get their minimum green; default 25 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_window_s: Option<f64>,
    /// Only buses at least this late get priority (conditional priority; default: any).
    /// Check-ins from loops carry no lateness and always qualify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_lateness_s: Option<f64>,
    /// Only buses carrying at least this many people get priority (default: any). Check-ins
    /// from loops count as carrying `bus_occupancy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_occupancy: Option<f64>,
    /// People on a bus whose request does not say (default 40).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus_occupancy: Option<f64>,
    /// After a priority, no other until every vehicle group that was waiting has had a green,
    /// or this long at most (default 120 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_max_s: Option<f64>,
    /// Under a controller without a wait bound of its own nor a plan cycle (actuated
    /// control), no priority is granted or kept that would keep a group waiting outside the bus's stage
    /// (a vehicle on its loop at red, a pedestrian call) from its green longer than this
    /// (default 120 s, as the adaptive controller's wait bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait_s: Option<f64>,
}

impl PrioritySpec {
    fn is_default(&self) -> bool {
        *self == PrioritySpec::default()
    }
}

/// Emergency preemption (NTCIP 1202 preempt): which stage serves an emergency vehicle from each
/// approach, and how far the running stage may be cut for it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PreemptionSpec {
    /// A preemption may end a conflicting green (or walk) once it has lasted this long, even
    /// before its minimum green (ambers and red clearances are never cut). Default: minimum
    /// greens are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_green_s: Option<f64>,
    /// A preemption may end a walk once it has lasted this long, 0 omitting it (NTCIP 1202's
    /// preempt minimum walk; MUTCD 4D.27 allows a walk shortened or omitted on preemption: the
    /// flashing don't walk that follows still clears whoever stepped off). Default: as
    /// `min_green_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_walk_s: Option<f64>,
    /// A preemption may shorten a pedestrian clearance (flashing don't walk) to this, and the
    /// pedestrian intergreens by as much (MUTCD 4D.27 allows a shortened pedestrian change
    /// interval on preemption). Default: never shortened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ped_clearance_min_s: Option<f64>,
    /// A call longer than this is stuck: it is dropped and a fault raised (default 120 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_call_s: Option<f64>,
    /// The dwell stage for a vehicle from each approach (`eb = "2+5"`); by default the stage
    /// whose groups serve most of that approach's movements, its through movement first.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dwell: BTreeMap<Approach, String>,
    /// Which approach wins when two call at once, first first (default: the first call keeps
    /// the signals until it clears).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priority: Vec<Approach>,
}

impl PreemptionSpec {
    fn is_default(&self) -> bool {
        *self == PreemptionSpec::default()
    }
}

/// When a US pedestrian change interval (flashing don't walk) may run, MUTCD 4I.06.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChangeInterval {
    /// It ends at or before the onset of the parallel vehicle amber: the parallel green is held
    /// until it has run.
    #[default]
    BeforeAmber,
    /// It may run on into the parallel vehicle amber and red clearance; conflicting traffic
    /// waits for it and the buffer interval.
    IntoAmber,
}

/// The intersection's rules for pedestrian clearance.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PedestrianRulesSpec {
    /// Walking speed for the pedestrian clearance time, m/s: `us` default 1.07 (3.5 ft/s,
    /// MUTCD 4I.06); `eu` and `post_soviet` default 1.2 (the clearing speed of EN 12675 and
    /// RiLSA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walking_speed_m_s: Option<f64>,
    /// Steady don't walk after the flashing don't walk before any conflicting green (`us`,
    /// MUTCD 4I.06 buffer interval; default 3 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer_s: Option<f64>,
    /// When the flashing don't walk may run (`us`; default `before_amber`).
    #[serde(default)]
    pub change_interval: ChangeInterval,
}

impl PedestrianRulesSpec {
    fn is_default(&self) -> bool {
        *self == PedestrianRulesSpec::default()
    }
}

/// Durations of the transitional aspects; `None` takes the region's default.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimingsSpec {
    /// Amber (default 3 s; a NEMA preset uses its own `amber_s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amber_s: Option<f64>,
    /// Red+amber (default 1 s in `eu`, 2 s in `post_soviet`; unused in `us`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub red_amber_s: Option<f64>,
    /// Flashing green (default 3 s; `post_soviet` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flashing_green_s: Option<f64>,
    /// All red shown when the controller starts or is reset, before the first green
    /// (default: the largest intergreen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_all_red_s: Option<f64>,
}

/// One signal group.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Unique id within the intersection.
    pub id: String,
    /// Vehicle (default) or pedestrian heads.
    #[serde(default)]
    pub kind: GroupKind,
    /// Movements served.
    #[serde(default)]
    pub movements: Vec<Movement>,
    /// Minimum green (default 5 s).
    #[serde(default = "default_min_green_s")]
    pub min_green_s: f64,
    /// Maximum green a controller may give (default 60 s).
    #[serde(default = "default_max_green_s")]
    pub max_green_s: f64,
    /// Pedestrian groups: the walk interval (`us`: at least 4 s, default 7 s, MUTCD 4I.06); it
    /// is also the group's minimum green.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walk_s: Option<f64>,
    /// Pedestrian groups: the crossing's length, curb to far side of the travelled way, m. The
    /// clearance time is this over the walking speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crossing_m: Option<f64>,
    /// Pedestrian groups: the clearance time itself, s, instead of `crossing_m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clearance_s: Option<f64>,
    /// Pedestrian groups (`us`): walk every time the group's stage runs, without a push-button
    /// call (pedestrian recall).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recall: bool,
    /// Pedestrian groups (`us`): keep showing walk while the stage runs, instead of timing the
    /// walk once (rest in walk).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rest_in_walk: bool,
}

pub(crate) fn default_min_green_s() -> f64 {
    5.0
}

pub(crate) fn default_max_green_s() -> f64 {
    60.0
}

/// One stage.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// Unique id within the intersection.
    pub id: String,
    /// The groups green in this stage.
    pub groups: Vec<String>,
}

/// Which street the NEMA main-street phases 2 and 6 serve.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MainStreet {
    /// Phases 2 (eastbound) and 6 (westbound); 4 northbound, 8 southbound.
    EastWest,
    /// Phases 2 (northbound) and 6 (southbound); 4 westbound, 8 eastbound.
    NorthSouth,
}

/// The NEMA dual-ring, eight-phase preset (NEMA TS 2): ring 1 = phases 1-4, ring 2 = 5-8, a
/// barrier between {1, 2, 5, 6} and {3, 4, 7, 8}; odd phases are protected lefts.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NemaSpec {
    /// The street served by phases 2 and 6.
    pub main_street: MainStreet,
    /// Yellow change interval of every phase.
    pub amber_s: f64,
    /// Red clearance after the yellow; the intergreen between conflicting phases is
    /// `amber_s + all_red_s`.
    pub all_red_s: f64,
    /// Minimum green of every phase.
    pub min_green_s: f64,
    /// Maximum green of every phase (default 60 s); per-phase values in `max_green_by_phase_s`.
    #[serde(default = "default_max_green_s")]
    pub max_green_s: f64,
    /// Per-phase maximum greens, by phase number (`"2" = 50.0`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub max_green_by_phase_s: BTreeMap<String, f64>,
    /// Pedestrian phases beside the even vehicle phases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pedestrians: Option<NemaPedestrians>,
}

/// Pedestrian phases of a NEMA preset: pedestrian phase `P2` walks beside vehicle phase 2,
/// across the leg on that traffic's right (the side street's near crossing), and so on for 4, 6
/// and 8.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NemaPedestrians {
    /// The vehicle phases with a pedestrian phase beside them (2, 4, 6, 8 or some of them).
    pub phases: Vec<u8>,
    /// Crossing length of each pedestrian phase, m, by phase number (`"2" = 14.0`).
    pub crossing_m: BTreeMap<String, f64>,
    /// Walk interval (default 7 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walk_s: Option<f64>,
    /// Pedestrian recall on every pedestrian phase.
    #[serde(default)]
    pub recall: bool,
    /// Rest in walk on every pedestrian phase.
    #[serde(default)]
    pub rest_in_walk: bool,
}
