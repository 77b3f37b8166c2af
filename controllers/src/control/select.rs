//! Choosing a controller by name, with its parameters: the `[controller]` section shared by
//! scenarios and cabinet configs, each value checked against its allowed range, and the one
//! place that turns a name into a running controller. Lives in the core so that the edge daemon
//! needs nothing else (not the simulator) to run one.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{
    Actuated, ActuatedParams, Adaptive, AdaptiveParams, Controller, Coordinated, CoordinatedParams,
    FixedTime, ForceOff, MAX_WAIT_RANGE_S, MaxPressure, PASSAGE_RANGE_S, Recall, WAIT_WEIGHT_RANGE,
};
use crate::Invalid;
use crate::plan::TimingPlan;
use crate::site::Site;

/// The controllers there are, by name.
pub const CONTROLLERS: &[&str] = &[
    "fixed",
    "coordinated",
    "actuated",
    "max-pressure",
    "adaptive",
];

/// Which controller runs the intersections, with its parameters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ControllerSpec {
    /// One of [`CONTROLLERS`].
    pub kind: String,
    /// The timing plan of every intersection without an entry in `plans`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Timing plans by site id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub plans: BTreeMap<String, String>,
    /// Actuated and coordinated: passage time (vehicle extension), s (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passage_s: Option<f64>,
    /// Adaptive: no group with a queue waits longer than this for green, s (default 120).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait_s: Option<f64>,
    /// Adaptive: how much more a second of delay counts for a group that has waited
    /// `max_wait_s` (1 + this many times; default 4; 0 minimises plain delay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_weight: Option<f64>,
    /// Coordinated: `fixed` force-offs (unused time passes on to the next stages, the default)
    /// or `floating` (it returns to the coordinated stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_off: Option<ForceOff>,
    /// Coordinated: the coordinated phases (signal group ids; default 2 and 6 where the
    /// intersection has them, else the plan's first stage).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coordinated_phases: Vec<String>,
    /// Actuated and coordinated: recall mode by stage id (`none`, `minimum`, `maximum`, `pedestrian`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub recall: BTreeMap<String, Recall>,
}

/// Settings of the controllers, from a `[controller]` section.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ControllerParams {
    /// For `actuated`.
    pub actuated: ActuatedParams,
    /// For `adaptive`.
    pub adaptive: AdaptiveParams,
    /// For `coordinated`.
    pub coordinated: CoordinatedParams,
}

/// Why a controller could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ControllerError {
    /// No controller of that name.
    #[error("unknown controller `{0}` (known: {known})", known = CONTROLLERS.join(", "))]
    Unknown(String),
    /// The controller's parameters are out of range.
    #[error("controller `{controller}`: {why}")]
    Parameters {
        /// The controller.
        controller: String,
        /// What is wrong.
        why: String,
    },
    /// The controller needs a timing plan that was not given.
    #[error("controller `{controller}` needs a timing plan for `{site}`")]
    NeedsPlan {
        /// The controller.
        controller: String,
        /// The intersection.
        site: String,
    },
}

/// Whether the named controller keeps to its plan's cycle and offset (fixed time and
/// coordinated control), so the event log can state them (codes 132, 133).
pub fn keeps_the_plan_cycle(name: &str) -> bool {
    matches!(name, "fixed" | "coordinated")
}

/// Builds the named controller for one intersection.
pub fn build_controller(
    name: &str,
    site: &Arc<Site>,
    plan: Option<&TimingPlan>,
    params: &ControllerParams,
) -> Result<Box<dyn Controller>, ControllerError> {
    let plan = || {
        plan.cloned().ok_or_else(|| ControllerError::NeedsPlan {
            controller: name.to_owned(),
            site: site.id.clone(),
        })
    };
    let parameters = |why| ControllerError::Parameters {
        controller: name.to_owned(),
        why,
    };
    match name {
        "fixed" => Ok(Box::new(FixedTime::new(plan()?))),
        "max-pressure" => Ok(Box::new(MaxPressure::new(site.clone(), plan()?))),
        "adaptive" => Adaptive::new(site.clone(), plan()?, params.adaptive)
            .map(|c| Box::new(c) as Box<dyn Controller>)
            .map_err(parameters),
        "coordinated" => Coordinated::new(site, plan()?, &params.coordinated)
            .map(|c| Box::new(c) as Box<dyn Controller>)
            .map_err(parameters),
        "actuated" => Actuated::new(site, plan()?, &params.actuated)
            .map(|c| Box::new(c) as Box<dyn Controller>)
            .map_err(parameters),
        other => Err(ControllerError::Unknown(other.to_owned())),
    }
}

impl ControllerSpec {
    /// What is wrong with the section, field by field (`controller.…`); `has_stage` says
    /// whether a stage id named by `recall` exists.
    pub fn problems(&self, has_stage: impl Fn(&str) -> bool) -> Vec<Invalid> {
        let mut out = Vec::new();
        let mut push = |field: &str, message: String| {
            out.push(Invalid {
                field: field.to_owned(),
                message,
            })
        };
        for stage in self.recall.keys() {
            if !has_stage(stage) {
                push(
                    &format!("controller.recall.{stage}"),
                    format!("recall names unknown stage `{stage}`"),
                );
            }
        }
        if let Some(w) = self.max_wait_s {
            let (lo, hi) = MAX_WAIT_RANGE_S;
            if !(w.is_finite() && (lo..=hi).contains(&w)) {
                push(
                    "controller.max_wait_s",
                    format!("maximum wait {w} s is out of range ({lo} to {hi} s)"),
                );
            }
        }
        if let Some(w) = self.wait_weight {
            let (lo, hi) = WAIT_WEIGHT_RANGE;
            if !(lo..=hi).contains(&w) {
                push(
                    "controller.wait_weight",
                    format!("wait weight {w} is out of range ({lo} to {hi})"),
                );
            }
        }
        if let Some(p) = self.passage_s {
            let (lo, hi) = PASSAGE_RANGE_S;
            if !(p.is_finite() && (lo..=hi).contains(&p)) {
                push(
                    "controller.passage_s",
                    format!("passage time {p} s is out of range ({lo} to {hi} s)"),
                );
            }
        }
        if !CONTROLLERS.contains(&self.kind.as_str()) {
            push(
                "controller.kind",
                format!(
                    "unknown controller `{}` (known: {})",
                    self.kind,
                    CONTROLLERS.join(", ")
                ),
            );
        }
        out
    }

    /// The parameters, defaults filled in (valid once [`ControllerSpec::problems`] is empty).
    pub fn params(&self) -> ControllerParams {
        let actuated = ActuatedParams {
            passage_s: self.passage_s.unwrap_or(3.0),
            recall: self.recall.clone(),
        };
        ControllerParams {
            coordinated: CoordinatedParams {
                actuated: actuated.clone(),
                force_off: self.force_off.unwrap_or_default(),
                phases: self.coordinated_phases.clone(),
            },
            actuated,
            adaptive: AdaptiveParams {
                max_wait_s: self
                    .max_wait_s
                    .unwrap_or(AdaptiveParams::default().max_wait_s),
                wait_weight: self
                    .wait_weight
                    .unwrap_or(AdaptiveParams::default().wait_weight),
                ..AdaptiveParams::default()
            },
        }
    }
}
