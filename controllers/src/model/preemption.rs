//! Emergency preemption rules of an intersection (NTCIP 1202 preempt, MUTCD 4D.27): the dwell
//! stage for each approach, whether minimum greens and walks may be cut, when a call counts as stuck, and
//! which approach wins when two call.

use std::collections::BTreeMap;

use crate::error::Collector;
use crate::time::Duration;

use super::group::{Approach, SignalGroup, Turn};
use super::intersection::{Stage, StageIndex};
use super::spec::PreemptionSpec;

/// Validated preemption rules.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PreemptionRules {
    /// How short a preemption may cut a vehicle green, when it may cut minimum greens.
    pub min_green: Option<Duration>,
    /// How short a preemption may cut a walk, when not as short as a vehicle green.
    pub min_walk: Option<Duration>,
    /// How short a preemption may make a pedestrian clearance, when it may.
    pub ped_clearance_min: Option<Duration>,
    /// A call longer than this is stuck.
    pub max_call: Duration,
    /// The dwell stage for each approach, `None` where no stage serves it.
    pub dwell: BTreeMap<Approach, StageIndex>,
    /// Approaches in order of priority (empty: first come, first served).
    pub priority: Vec<Approach>,
}

impl PreemptionRules {
    /// The least green (a walk, for a pedestrian group) `group` may show: its minimum green,
    /// or less where a preemption may cut it.
    pub fn least_green(&self, group: &SignalGroup) -> Duration {
        let cut = match group.pedestrian {
            Some(_) => self.min_walk.or(self.min_green),
            None => self.min_green,
        };
        cut.map_or(group.min_green, |cut| cut.min(group.min_green))
    }

    /// The dwell stage for a vehicle from `approach`.
    pub fn dwell(&self, approach: Approach) -> Option<StageIndex> {
        self.dwell.get(&approach).copied()
    }

    /// The pedestrian clearance a preemption may show for a clearance of `clearance`.
    pub fn ped_clearance(&self, clearance: Duration) -> Duration {
        self.ped_clearance_min
            .map_or(clearance, |short| short.min(clearance))
    }

    /// Whether a call from `challenger` takes the signals from a running call from `holder`.
    pub fn overrides(&self, challenger: Approach, holder: Approach) -> bool {
        let rank = |d| self.priority.iter().position(|&p| p == d);
        match (rank(challenger), rank(holder)) {
            (Some(c), Some(h)) => c < h,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

/// The stage that serves most of `approach`'s movements, its through (or slight) movements
/// counting most.
fn default_dwell(
    approach: Approach,
    groups: &[SignalGroup],
    stages: &[Stage],
) -> Option<StageIndex> {
    let score = |s: &Stage| -> u32 {
        s.groups
            .iter()
            .flat_map(|g| groups[g.get()].movements.iter())
            .filter(|m| m.approach == approach && m.turn != Turn::Crossing)
            .map(|m| match m.turn {
                // The approach's straightest movement counts most.
                Turn::Through | Turn::SlightLeft | Turn::SlightRight => 10,
                _ => 1,
            })
            .sum()
    };
    stages
        .iter()
        .enumerate()
        .filter(|(_, s)| score(s) >= 10)
        .max_by_key(|&(i, s)| (score(s), std::cmp::Reverse(i)))
        .map(|(i, _)| StageIndex(i as u8))
}

/// Validates `spec` against the intersection's groups and stages.
pub(crate) fn rules(
    spec: &PreemptionSpec,
    groups: &[SignalGroup],
    stages: &[Stage],
    out: &mut Collector,
) -> PreemptionRules {
    let max_call_s = spec.max_call_s.unwrap_or(120.0);
    let max_call = out
        .seconds("preemption.max_call_s", max_call_s, 10.0, 3600.0)
        .map_or(Duration::from_secs(120), Duration::from_secs_f64);
    let mut dwell = BTreeMap::new();
    let approaches = super::group::approaches_of(groups);
    for approach in spec.dwell.keys().filter(|a| !approaches.contains(a)) {
        out.push(
            format!("preemption.dwell.{approach}"),
            format!("no signal group serves the {approach} approach"),
        );
    }
    for approach in approaches {
        let stage = match spec.dwell.get(&approach) {
            Some(id) => match stages.iter().position(|s| &s.id == id) {
                Some(i) => Some(StageIndex(i as u8)),
                None => {
                    out.push(
                        format!("preemption.dwell.{approach}"),
                        format!("unknown stage `{id}`"),
                    );
                    None
                }
            },
            None => default_dwell(approach, groups, stages),
        };
        if let Some(stage) = stage {
            dwell.insert(approach, stage);
        }
    }
    for (i, d) in spec.priority.iter().enumerate() {
        if spec.priority[..i].contains(d) {
            out.push(
                format!("preemption.priority[{i}]"),
                format!("approach `{d}` is listed twice"),
            );
        }
    }
    let min_green = spec.min_green_s.and_then(|s| {
        out.seconds("preemption.min_green_s", s, 0.0, 60.0)
            .map(Duration::from_secs_f64)
    });
    let min_walk = spec.min_walk_s.and_then(|s| {
        out.seconds("preemption.min_walk_s", s, 0.0, 60.0)
            .map(Duration::from_secs_f64)
    });
    let ped_clearance_min = spec.ped_clearance_min_s.and_then(|s| {
        out.seconds("preemption.ped_clearance_min_s", s, 1.0, 60.0)
            .map(Duration::from_secs_f64)
    });
    PreemptionRules {
        min_green,
        min_walk,
        ped_clearance_min,
        max_call,
        dwell,
        priority: spec.priority.clone(),
    }
}
