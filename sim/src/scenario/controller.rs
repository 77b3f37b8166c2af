//! The `[controller]` section shared by scenarios and cabinet configs: which controller, with
//! which parameters, each checked against its allowed range.

use greenwave_controllers::Invalid;
use greenwave_controllers::control::{
    ActuatedParams, AdaptiveParams, MAX_WAIT_RANGE_S, PASSAGE_RANGE_S,
};

use super::{CONTROLLERS, ControllerParams, ControllerSpec};

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
        ControllerParams {
            actuated: ActuatedParams {
                passage_s: self.passage_s.unwrap_or(3.0),
                recall: self.recall.clone(),
            },
            adaptive: AdaptiveParams {
                max_wait_s: self
                    .max_wait_s
                    .unwrap_or(AdaptiveParams::default().max_wait_s),
                ..AdaptiveParams::default()
            },
        }
    }
}
