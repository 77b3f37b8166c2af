//! The timing-plan file format (TOML; the same fields travel as JSON on MQTT `plan/set`).
//!
//! ```toml
//! plan_id = "am-peak"
//! version = 3
//! pattern = 2              # optional: its coordination pattern number (1 to 253)
//! intersection = "../intersections/nema-4leg.toml"   # optional, for `greenwave check`
//! cycle_s = 90.0
//! offset_s = 12.0          # first listed stage's green starts at this time in the cycle
//!
//! [[stages]]
//! stage = "2+6"
//! green_s = 40.0
//! max_green_s = 55.0       # optional bounds for adaptive control
//! ```
//!
//! A stage's `green_s` runs from the moment all its groups are green to the start of the next
//! transition; the cycle is the sum of the greens and the interstage times between them.

use serde::{Deserialize, Serialize};

/// A timing plan file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    /// The plan's id.
    pub plan_id: String,
    /// Its version; a newer plan of the same id has a higher version.
    pub version: u32,
    /// Its coordination pattern number, 1 to 253: the number a controller's pattern table and
    /// the event log's pattern change (131) give it. Default: its entry's position in a
    /// schedule (from 1), else 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<u8>,
    /// Path of the intersection the plan is for, relative to the plan file (for checking files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intersection: Option<String>,
    /// Cycle length.
    pub cycle_s: f64,
    /// When, after the corridor reference time modulo the cycle, the first stage's green starts.
    #[serde(default)]
    pub offset_s: f64,
    /// Longest cycle an adaptive controller may run under this plan (default: `cycle_s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cycle_s: Option<f64>,
    /// The stages in running order.
    pub stages: Vec<PlanStageSpec>,
}

/// One stage of a plan.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlanStageSpec {
    /// The stage's id in the intersection.
    pub stage: String,
    /// Its green.
    pub green_s: f64,
    /// Shortest green an adaptive controller may give (default: the groups' minimum greens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_green_s: Option<f64>,
    /// Longest green an adaptive controller may give (default: the groups' maximum greens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_green_s: Option<f64>,
}
